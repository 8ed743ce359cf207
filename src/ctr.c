/*
 * ctr.c: contact trace records.
 *
 * The one description of a CTR's fields (connect-formats.md section 1), used
 * by ctr_parse() here and by the file loader.  Column names follow the
 * warehouse model, mostly the key path lower-cased and joined by '_' (see
 * sql/install/20_ctr.sql), with the warehouse's own exceptions: the id part
 * of an ARN (InstanceARN -> instanceid, Agent.ARN -> agent_id, Queue.ARN ->
 * queue_id), Agent.ConnectedToAgentTimestamp -> agent_connectedtoagentts, and
 * References -> contact_references (a reserved word).  Each column is spelt
 * in the table below, which is the rule.  The attributes_* columns are named
 * after contact attribute keys flattened as the warehouse flattened them
 * (attrkey.h).
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "attrkey.h"
#include "config_cache.h"
#include "connect_lake.h"
#include "convert.h"
#include "erasure.h"
#include "kinds.h"
#include "recmap.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(ctr_parse_jsonb);
PG_FUNCTION_INFO_V1(ctr_parse_text);
PG_FUNCTION_INFO_V1(ctr_parse_jsonb_map);
PG_FUNCTION_INFO_V1(ctr_parse_text_map);
PG_FUNCTION_INFO_V1(ctr_attribute_column);

static void ctr_finish(CLMapState *st);
static const char *ctr_attribute_column_key(const char *column, int *keylen);

/* a customer's personal values in a CTR (pii.c): SystemEndpoint is the centre's */
static const char *const ctr_pii_columns[] = {
	"customerendpoint_address",
	"transferredtoendpoint_address",
	NULL
};

#define LEVEL(n) \
	CL_F("Agent.HierarchyGroups.Level" #n ".ARN", "agent_hierarchygroups_level" #n "_arn", CLF_TEXT), \
	CL_F("Agent.HierarchyGroups.Level" #n ".GroupName", "agent_hierarchygroups_level" #n "_groupname", CLF_TEXT)

static const CLField ctr_fields[] = {
	CL_REQ("ContactId", "contactid", CLF_UUID),
	CL_REQ("InitiationTimestamp", "initiationtimestamp", CLF_TIMESTAMPTZ),
	CL_F("AWSAccountId", "awsaccountid", CLF_TEXT),
	CL_F("AWSContactTraceRecordFormatVersion", "awscontacttracerecordformatversion", CLF_TEXT),
	CL_F("InstanceARN", "instancearn", CLF_TEXT),
	CL_F("InstanceARN", "instanceid", CLF_ARN_ID),
	CL_F("InitialContactId", "initialcontactid", CLF_UUID),
	CL_F("PreviousContactId", "previouscontactid", CLF_UUID),
	CL_F("NextContactId", "nextcontactid", CLF_UUID),
	CL_F("RelatedContactId", "relatedcontactid", CLF_UUID),
	CL_F("ContactAssociationId", "contactassociationid", CLF_TEXT),
	CL_F("CustomerId", "customerid", CLF_TEXT),
	CL_F("Channel", "channel", CLF_TEXT),
	CL_F("InitiationMethod", "initiationmethod", CLF_TEXT),
	CL_F("DisconnectReason", "disconnectreason", CLF_TEXT),
	CL_F("AnsweringMachineDetectionStatus", "answeringmachinedetectionstatus", CLF_TEXT),
	CL_F("Name", "name", CLF_TEXT),
	CL_F("Description", "description", CLF_TEXT),
	CL_F("ConnectedToSystemTimestamp", "connectedtosystemtimestamp", CLF_TIMESTAMPTZ),
	CL_F("DisconnectTimestamp", "disconnecttimestamp", CLF_TIMESTAMPTZ),
	CL_F("LastUpdateTimestamp", "lastupdatetimestamp", CLF_TIMESTAMPTZ),
	CL_F("ScheduledTimestamp", "scheduledtimestamp", CLF_TIMESTAMPTZ),
	CL_F("TransferCompletedTimestamp", "transfercompletedtimestamp", CLF_TIMESTAMPTZ),
	CL_F("LastPausedTimestamp", "lastpausedtimestamp", CLF_TIMESTAMPTZ),
	CL_F("LastResumedTimestamp", "lastresumedtimestamp", CLF_TIMESTAMPTZ),
	CL_F("AgentConnectionAttempts", "agentconnectionattempts", CLF_INT4),
	CL_F("TotalPauseCount", "totalpausecount", CLF_INT4),
	CL_F("TotalPauseDurationInSeconds", "totalpausedurationinseconds", CLF_INT4),

	CL_F("Agent.ARN", "agent_arn", CLF_TEXT),
	CL_F("Agent.ARN", "agent_id", CLF_ARN_ID),
	CL_F("Agent.Username", "agent_username", CLF_TEXT),
	CL_F("Agent.ConnectedToAgentTimestamp", "agent_connectedtoagentts", CLF_TIMESTAMPTZ),
	CL_F("Agent.AcceptedByAgentTimestamp", "agent_acceptedbyagenttimestamp", CLF_TIMESTAMPTZ),
	CL_F("Agent.PreviewEndTimestamp", "agent_previewendtimestamp", CLF_TIMESTAMPTZ),
	CL_F("Agent.AgentInteractionDuration", "agent_agentinteractionduration", CLF_INT4),
	CL_F("Agent.CustomerHoldDuration", "agent_customerholdduration", CLF_INT4),
	CL_F("Agent.LongestHoldDuration", "agent_longestholdduration", CLF_INT4),
	CL_F("Agent.AfterContactWorkDuration", "agent_aftercontactworkduration", CLF_INT4),
	CL_F("Agent.AgentPauseDuration", "agent_agentpauseduration", CLF_INT4),
	CL_F("Agent.AgentInitiatedHoldDuration", "agent_agentinitiatedholdduration", CLF_INT4),
	CL_F("Agent.NumberOfHolds", "agent_numberofholds", CLF_INT4),
	CL_F("Agent.AfterContactWorkStartTimestamp", "agent_aftercontactworkstarttimestamp", CLF_TIMESTAMPTZ),
	CL_F("Agent.AfterContactWorkEndTimestamp", "agent_aftercontactworkendtimestamp", CLF_TIMESTAMPTZ),
	CL_F("Agent.RoutingProfile.ARN", "agent_routingprofile_arn", CLF_TEXT),
	CL_F("Agent.RoutingProfile.Name", "agent_routingprofile_name", CLF_TEXT),
	LEVEL(1), LEVEL(2), LEVEL(3), LEVEL(4), LEVEL(5),
	CL_F("Agent.DeviceInfo.PlatformName", "agent_deviceinfo_platformname", CLF_TEXT),
	CL_F("Agent.DeviceInfo.PlatformVersion", "agent_deviceinfo_platformversion", CLF_TEXT),
	CL_F("Agent.DeviceInfo.OperatingSystem", "agent_deviceinfo_operatingsystem", CLF_TEXT),
	CL_F("Agent.Capabilities", "agent_capabilities", CLF_JSONB),
	CL_F("Agent.StateTransitions", "agent_statetransitions", CLF_JSONB),

	CL_F("Queue.ARN", "queue_arn", CLF_TEXT),
	CL_F("Queue.ARN", "queue_id", CLF_ARN_ID),
	CL_F("Queue.Name", "queue_name", CLF_TEXT),
	CL_F("Queue.EnqueueTimestamp", "queue_enqueuetimestamp", CLF_TIMESTAMPTZ),
	CL_F("Queue.DequeueTimestamp", "queue_dequeuetimestamp", CLF_TIMESTAMPTZ),
	CL_F("Queue.Duration", "queue_duration", CLF_INT4),

	CL_F("CustomerEndpoint.Address", "customerendpoint_address", CLF_TEXT),
	CL_F("CustomerEndpoint.Type", "customerendpoint_type", CLF_TEXT),
	CL_F("SystemEndpoint.Address", "systemendpoint_address", CLF_TEXT),
	CL_F("SystemEndpoint.Type", "systemendpoint_type", CLF_TEXT),
	CL_F("TransferredToEndpoint.Address", "transferredtoendpoint_address", CLF_TEXT),
	CL_F("TransferredToEndpoint.Type", "transferredtoendpoint_type", CLF_TEXT),

	CL_F("MediaStreams", "mediastreams", CLF_JSONB),
	CL_F("Recording", "recording", CLF_JSONB),
	CL_F("Recordings", "recordings", CLF_JSONB),
	CL_F("References", "contact_references", CLF_JSONB),
	CL_F("Campaign.CampaignId", "campaign_campaignid", CLF_TEXT),
	CL_F("ContactLens", "contactlens", CLF_JSONB),
	CL_F("QualityMetrics", "qualitymetrics", CLF_JSONB),
	CL_F("QualityMetrics.Agent.Audio.QualityScore", "qualitymetrics_agent_audio_qualityscore", CLF_NUMERIC),
	CL_F("QualityMetrics.Customer.Audio.QualityScore", "qualitymetrics_customer_audio_qualityscore", CLF_NUMERIC),
	CL_F("ChatMetrics", "chatmetrics", CLF_JSONB),
	CL_F("CustomerVoiceActivity.GreetingStartTimestamp", "customervoiceactivity_greetingstarttimestamp", CLF_TIMESTAMPTZ),
	CL_F("CustomerVoiceActivity.GreetingEndTimestamp", "customervoiceactivity_greetingendtimestamp", CLF_TIMESTAMPTZ),
	CL_F("DisconnectDetails.PotentialDisconnectIssue", "disconnectdetails_potentialdisconnectissue", CLF_TEXT),
	CL_F("SegmentAttributes", "segmentattributes", CLF_JSONB),
	CL_F("RoutingCriteria", "routingcriteria", CLF_JSONB),
	CL_F("WisdomInfo.SessionArn", "wisdominfo_sessionarn", CLF_TEXT),
	CL_F("VoiceIdResult", "voiceidresult", CLF_JSONB),
	CL_F("ContactEvaluations", "contactevaluations", CLF_JSONB),
	CL_F("OutboundStrategy", "outboundstrategy", CLF_JSONB),
	CL_F("AdditionalEmailRecipients", "additionalemailrecipients", CLF_JSONB),
	CL_F("ExternalThirdParty", "externalthirdparty", CLF_JSONB),
	CL_F("ContactDetails", "contactdetails", CLF_JSONB),
	CL_F("Tags", "tags", CLF_JSONB),
	CL_F("Attributes", "attributes", CLF_JSONB),
};

/*
 * At the commit of a transaction that landed CTRs (upkeep.h), for the
 * contacts it landed (inserted, or a newer version): their contact metrics
 * and the rollups, their repeat contacts, their flow outcome (containment
 * reads the CTR), the erasure check (last: it scrubs a forgotten
 * customer's contacts after the others wrote, and rebuilds their repeat
 * chains), and the dimensions (ctr_dims.c).
 */
static const CLUpkeepAction ctr_actions[] = {
	{"metrics_refresh_contacts", CL_UPKEEP_KEY_TIMES, CL_UPKEEP_METRICS},
	{"contact_repeat_refresh", CL_UPKEEP_KEYS, CL_UPKEEP_REPEATS},
	{"flows_ctrs_landed", CL_UPKEEP_KEYS, CL_UPKEEP_FLOWS},
	CL_UPKEEP_ERASURE_ACTION,
};

static const CLUpkeep ctr_upkeep = {
	.spans = false,
	.actions = ctr_actions,
	.nactions = lengthof(ctr_actions),
	.hooks = &cl_ctr_dim_hooks,
};

CLRecordKind cl_kind_ctr = {
	.name = "ctr",
	.rowtype = "ctr",
	.table = "ctr_events",
	.partition_column = "initiationtimestamp",
	.fields = ctr_fields,
	.nfields = lengthof(ctr_fields),
	.ci_keys = false,
	.extra_column = "extra",
	.id_column = "contactid",
	.label = "ctr record",
	.typical_bytes = 3000,
	.finish = ctr_finish,
	.landed_column = "landed_at",
	.count_column = "versions_seen",
	.land = &cl_version_land,	/* one row per contact: the newest version wins */
	.version_column = "lastupdatetimestamp",
	.after_flush = cl_ctr_after_flush,	/* ctr_dims.c */
	.upkeep = &ctr_upkeep,
	.pii_columns = ctr_pii_columns,
	.pii_attributes = "attributes",
	.attribute_column_key = ctr_attribute_column_key,
};

/* ---------- the attributes_* columns: contact attributes by a DBA-editable map ---------- */

/*
 * The columns filled from contact attributes, in the order of the type.  The
 * last two are integers: a rating that is not an integer ("None", "", "4.5")
 * leaves the column NULL; the attributes column keeps the raw value.
 *
 * Each column has a key in the map (the default or the DBA's).  A record
 * fills the column from that key spelt exactly, else from any key that
 * flattens as the warehouse flattened keys into column names to the same
 * name (csatResults.agentRating, csatResults_agentRating and
 * CSATResults.AgentRating all fill attributes_csatresults_agentrating),
 * the first of them in byte order: see attrkey.h.
 */
#define CTR_NATTRCOLS 6
static const char *const attr_columns[CTR_NATTRCOLS] = {
	"attributes_intent",
	"attributes_caseid",
	"attributes_accountnumbers",
	"attributes_juniferid",
	"attributes_csatresults_agentrating",
	"attributes_csatresults_resolutionrating",
};
static const bool attr_is_int[CTR_NATTRCOLS] = {false, false, false, false, true, true};
StaticAssertDecl(CTR_NATTRCOLS <= CL_ATTR_MAX_COLUMNS, "too many attributes_* columns for one matcher");

/*
 * The configured map (ctr_attribute_map_effective: the DBA's overrides over
 * the defaults), cached per backend as every configuration table is
 * (config_cache.h); configured_map lives in map_cache's context.
 */
static CLConfigCache map_cache = {
	.name = "connect_lake ctr attribute map",
	.tables = {"ctr_attribute_map"},
};
static ClAttrMatcher *configured_map = NULL;

/*
 * An attribute map is a matcher (attrkey.h): which key fills each column
 * (none: the column stays NULL), flattened once when the map is read, so that
 * a record's keys are matched with no allocation.
 */
static ClAttrMatcher *
map_new(MemoryContext cxt)
{
	ClAttrMatcher *map = MemoryContextAlloc(cxt, sizeof(ClAttrMatcher));

	cl_attr_matcher_init(map, CTR_NATTRCOLS);
	return map;
}

/* Column i is filled from key (len bytes) and the keys flattening like it. */
static void
map_set_key(ClAttrMatcher *map, int i, const char *key, int len, MemoryContext cxt)
{
	char	   *k = MemoryContextAlloc(cxt, len + 1);

	memcpy(k, key, len);
	k[len] = '\0';
	cl_attr_matcher_set(map, i, k, len, MemoryContextAlloc(cxt, len + 1));
}

static int
attr_column_index(const char *name, int len)
{
	for (int i = 0; i < CTR_NATTRCOLS; i++)
		if ((int) strlen(attr_columns[i]) == len && memcmp(attr_columns[i], name, len) == 0)
			return i;
	return -1;
}

/*
 * Read the attribute map in force (ctr_attribute_map_effective: the DBA's
 * entries over the defaults) into the backend's matcher, in cxt (the
 * cache's context, reset by cl_config_cache_begin, so a changed map
 * replaces the old one without a leak).
 */
static ClAttrMatcher *
load_configured_map(MemoryContext cxt)
{
	ClAttrMatcher *map;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	rc = SPI_execute("SELECT column_name::pg_catalog.text, attribute_key"
					 "  FROM connect_lake.ctr_attribute_map_effective", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: reading ctr_attribute_map_effective failed: %s", SPI_result_code_string(rc));
	map = map_new(cxt);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		char	   *col = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
		char	   *key = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
		int			i = col ? attr_column_index(col, strlen(col)) : -1;

		if (i >= 0 && key != NULL)
			map_set_key(map, i, key, strlen(key), cxt);
	}
	SPI_finish();
	return map;
}

/* The configured map, read again after a change (config_cache.h). */
static ClAttrMatcher *
get_configured_map(void)
{
	cl_config_cache_check(&map_cache);
	while (!map_cache.valid)
	{
		uint64		generation;
		MemoryContext cxt = cl_config_cache_begin(&map_cache, &generation);

		configured_map = NULL;
		configured_map = load_configured_map(cxt);
		cl_config_cache_built(&map_cache, generation);
	}
	return configured_map;
}

/*
 * The attribute key in force for an attributes_* column (the configured
 * map), for pii.c: a column filled from a personal attribute is personal too.
 */
static const char *
ctr_attribute_column_key(const char *column, int *keylen)
{
	int			i = attr_column_index(column, strlen(column));
	ClAttrMatcher *map;

	if (i < 0)
		return NULL;
	map = get_configured_map();
	*keylen = map->target[i].keylen;
	return map->target[i].key;
}

/*
 * An explicit map: a jsonb object {"attributes_intent": "intent", ...}.  It is
 * the whole map: a column it does not name stays NULL.
 */
static ClAttrMatcher *
parse_map(Jsonb *mapdoc, MemoryContext cxt)
{
	ClAttrMatcher *map = map_new(cxt);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			col = -1;

	if (!JB_ROOT_IS_OBJECT(mapdoc) || JB_ROOT_IS_SCALAR(mapdoc))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attribute map must be a JSON object of column name to attribute key"),
				 errhint("For example '{\"attributes_intent\": \"intent\"}'; connect_lake.ctr_attribute_map_json() returns the configured one.")));
	it = JsonbIteratorInit(&mapdoc->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			col = attr_column_index(v.val.string.val, v.val.string.len);
			if (col < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("attribute map names \"%.*s\", which is not an attributes_* column of ctr_events",
								v.val.string.len, v.val.string.val),
						 errhint("The columns are attributes_intent, attributes_caseid, attributes_accountnumbers, attributes_juniferid, attributes_csatresults_agentrating and attributes_csatresults_resolutionrating.")));
		}
		else if (tok == WJB_VALUE)
		{
			if (v.type == jbvNull)
				continue;
			if (v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("attribute map value of \"%s\" must be a string (an attribute key) or null",
								attr_columns[col])));
			map_set_key(map, col, v.val.string.val, v.val.string.len, cxt);
		}
	}
	return map;
}

/* Column numbers of the attributes columns, per row type. */
static Oid	attr_typid = InvalidOid;
static int	attr_att_attributes = -1;
static int	attr_att[CTR_NATTRCOLS];

/*
 * After the walk: the attributes_* columns from the record's contact
 * attributes, by the parse call's map (kind_arg) or the configured one.
 * Here rather than as field-table entries because which key fills a column
 * is the map's choice among the record's keys (see attrkey.h).
 */
static void
ctr_finish(CLMapState *st)
{
	ClAttrMatcher *map;
	Jsonb	   *attrs;
	JsonbContainer *jc;
	ClAttrPick	picks[CTR_NATTRCOLS];
	const char *keys;
	uint32		nkeys,
				off = 0;

	if (attr_typid != st->tupdesc->tdtypeid)
	{
		attr_att_attributes = cl_map_column(st, "attributes");
		for (int i = 0; i < CTR_NATTRCOLS; i++)
			attr_att[i] = cl_map_column(st, attr_columns[i]);
		attr_typid = st->tupdesc->tdtypeid;
	}

	if (attr_att_attributes < 0 || st->nulls[attr_att_attributes])
		return;
	attrs = DatumGetJsonbP(st->values[attr_att_attributes]);
	if (!JB_ROOT_IS_OBJECT(attrs) || JB_ROOT_IS_SCALAR(attrs) || JB_ROOT_COUNT(attrs) == 0)
		return;
	map = st->kind_arg ? (ClAttrMatcher *) st->kind_arg : get_configured_map();

	/*
	 * Offer every key to the columns.  An object's keys are its first nkeys
	 * JEntries, their strings back to back at the start of the data (jsonb.h);
	 * walking them directly costs no iterator.
	 */
	memset(picks, 0, sizeof(picks));
	jc = &attrs->root;
	nkeys = JsonContainerSize(jc);
	keys = (const char *) &jc->children[nkeys * 2];
	for (uint32 k = 0; k < nkeys; k++)
	{
		uint32		start = off;

		JBE_ADVANCE_OFFSET(off, jc->children[k]);
		cl_attr_offer(map, picks, keys + start, off - start);
	}

	for (int i = 0; i < CTR_NATTRCOLS; i++)
	{
		JsonbValue *v;
		JsonbValue	buf;
		char	   *s;
		int			len;
		int			att = attr_att[i];

		if (picks[i].key == NULL || att < 0)
			continue;
		v = getKeyJsonValueFromContainer(jc, picks[i].key, picks[i].keylen, &buf);
		if (v == NULL)
			continue;
		/* attribute values are strings; a number or boolean is taken as its text */
		switch (v->type)
		{
			case jbvString:
				s = v->val.string.val;
				len = v->val.string.len;
				break;
			case jbvNumeric:
				s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
				len = strlen(s);
				break;
			case jbvBool:
				s = v->val.boolean ? "true" : "false";
				len = strlen(s);
				break;
			default:
				continue;		/* null, object, array: the column stays NULL */
		}
		if (attr_is_int[i])
		{
			int64		n;

			while (len > 0 && (*s == ' ' || *s == '\t'))
				s++, len--;
			while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
				len--;
			/* not an integer rating ("None", "", "4.5"): NULL, the raw value stays in attributes */
			if (!cl_parse_int64(s, len, PG_INT32_MIN, PG_INT32_MAX, &n))
				continue;
			st->values[att] = Int32GetDatum((int32) n);
		}
		else
			st->values[att] = PointerGetDatum(cstring_to_text_with_len(s, len));
		st->nulls[att] = false;
	}
}

/*
 * ctr_attribute_column(key text) RETURNS text: the column the warehouse named
 * after an attribute key, 'attributes_' || the key flattened; NULL when the
 * key flattens to nothing.  IMMUTABLE: the rule ctr_finish() matches by.
 */
Datum
ctr_attribute_column(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);
	int			len = VARSIZE_ANY_EXHDR(key);
	const char prefix[] = "attributes_";
	int			plen = sizeof(prefix) - 1;
	char	   *out = palloc(plen + len);
	int			n;

	memcpy(out, prefix, plen);
	n = cl_attr_flatten(VARDATA_ANY(key), len, out + plen, len);
	if (n <= 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, plen + n));
}

/*
 * ctr_parse(doc, map)'s map, parsed once per call site and kept while the
 * map's bytes stay the same (a map that varies per row costs one map's
 * memory, not one per row).
 */
typedef struct MapArg
{
	ClAttrMatcher *map;
	Jsonb	   *mapdoc;			/* the bytes it was parsed from */
	MemoryContext cxt;			/* map and mapdoc; emptied when the map changes */
} MapArg;

/* This call site's MapArg, parsed again only when the map's bytes change. */
static ClAttrMatcher *
map_arg(FunctionCallInfo fcinfo, Jsonb *mapdoc)
{
	void	  **slot = cl_parse_arg_cache(fcinfo);
	MapArg	   *ma = *slot;

	if (ma == NULL)
	{
		ma = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(MapArg));
		ma->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "ctr_parse attribute map",
										ALLOCSET_SMALL_SIZES);
		*slot = ma;
	}
	if (ma->mapdoc == NULL || VARSIZE(ma->mapdoc) != VARSIZE(mapdoc) ||
		memcmp(ma->mapdoc, mapdoc, VARSIZE(mapdoc)) != 0)
	{
		ma->map = NULL;
		ma->mapdoc = NULL;
		MemoryContextReset(ma->cxt);
		ma->map = parse_map(mapdoc, ma->cxt);
		ma->mapdoc = MemoryContextAlloc(ma->cxt, VARSIZE(mapdoc));
		memcpy(ma->mapdoc, mapdoc, VARSIZE(mapdoc));
	}
	return ma->map;
}

/* ctr_parse(doc jsonb) RETURNS connect_lake.ctr: with the configured attribute map (STABLE) */
Datum
ctr_parse_jsonb(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_ctr, CL_MAP_PARSE, NULL);
}

/* ctr_parse(doc jsonb, attribute_map jsonb) RETURNS connect_lake.ctr: IMMUTABLE */
Datum
ctr_parse_jsonb_map(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_ctr, CL_MAP_PARSE, map_arg(fcinfo, PG_GETARG_JSONB_P(1)));
}

/* ctr_parse(doc text) RETURNS connect_lake.ctr: raw JSON as it lies in a file */
Datum
ctr_parse_text(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_ctr, CL_MAP_PARSE, NULL);
}

/* ctr_parse(doc text, attribute_map jsonb) RETURNS connect_lake.ctr: IMMUTABLE */
Datum
ctr_parse_text_map(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_ctr, CL_MAP_PARSE, map_arg(fcinfo, PG_GETARG_JSONB_P(1)));
}
