/*
 * contact_event.c: Amazon Connect contact events from EventBridge
 * (connect-formats.md section 3).
 *
 * Keys match case-insensitively (older samples write instanceARN and
 * AgentInfo.AgentArn), enumerations are upper-cased (Voice -> VOICE), and
 * the 1970-01-01T00:00:00.001Z placeholder ("not yet") reads as NULL.
 */
#include "postgres.h"

#include "jsonc.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/timestamp.h"
#include "utils/jsonb.h"

#include "kinds.h"
#include "recmap.h"

PG_FUNCTION_INFO_V1(contact_event_parse_jsonb);
PG_FUNCTION_INFO_V1(contact_event_parse_text);

#define F(path, column, type)	{path, column, type, 0, NULL}
#define REQ(path, column, type) {path, column, type, CLF_REQUIRED, NULL}
#define TS(path, column)		{path, column, CLF_TIMESTAMPTZ, CLF_PLACEHOLDER, NULL}

static const CLField contact_event_fields[] = {
	REQ("id", "id", CLF_TEXT),
	REQ("time", "time", CLF_TIMESTAMPTZ),
	F("version", "version", CLF_TEXT),
	F("detail-type", "detail_type", CLF_TEXT),
	F("source", "source", CLF_TEXT),
	F("account", "aws_account", CLF_TEXT),
	F("region", "region", CLF_TEXT),
	F("resources", "resources", CLF_JSONB),
	REQ("detail.contactId", "detail_contactid", CLF_UUID),
	F("detail.eventType", "detail_eventtype", CLF_UPPER),
	F("detail.channel", "detail_channel", CLF_UPPER),
	F("detail.initiationMethod", "detail_initiationmethod", CLF_UPPER),
	F("detail.initialContactId", "detail_initialcontactid", CLF_UUID),
	F("detail.previousContactId", "detail_previouscontactid", CLF_UUID),
	F("detail.relatedContactId", "detail_relatedcontactid", CLF_UUID),
	F("detail.instanceArn", "detail_instancearn", CLF_TEXT),
	TS("detail.initiationTimestamp", "detail_initiationtimestamp"),
	TS("detail.connectedToSystemTimestamp", "detail_connectedtosystemtimestamp"),
	TS("detail.disconnectTimestamp", "detail_disconnecttimestamp"),
	F("detail.queueInfo.queueArn", "detail_queueinfo_queuearn", CLF_TEXT),
	F("detail.queueInfo.queueType", "detail_queueinfo_queuetype", CLF_UPPER),
	TS("detail.queueInfo.enqueueTimestamp", "detail_queueinfo_enqueuetimestamp"),
	F("detail.agentInfo.agentArn", "detail_agentinfo_agentarn", CLF_TEXT),
	TS("detail.agentInfo.connectedToAgentTimestamp", "detail_agentinfo_connectedtoagenttimestamp"),
	F("detail.agentInfo.hierarchyGroups", "detail_agentinfo_hierarchygroups", CLF_JSONB),
	F("detail.updatedProperties", "detail_updatedproperties", CLF_JSONB),
	F("detail.tags", "detail_tags", CLF_JSONB),
	F("detail.routingCriteria", "detail_routingcriteria", CLF_JSONB),
	F("detail.contactLens", "detail_contactlens", CLF_JSONB),
	F("detail.segmentAttributes", "detail_segmentattributes", CLF_JSONB),
};

/*
 * Records mapped for the writer (ingest(), load(): st->private NULL) get
 * landed_at, the transaction's start; contact_event_parse() leaves it NULL and stays
 * IMMUTABLE.
 */
static void
contact_event_finish(CLMapState *st)
{
	int			a = cl_map_column(st, "landed_at");

	if (st->private == NULL && a >= 0)
	{
		st->values[a] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		st->nulls[a] = false;
	}
}

CLRecordKind cl_kind_contact_event = {
	.name = "contact_event",
	.rowtype = "contact_event",
	.table = "contact_events",
	.partition_column = "time",
	.fields = contact_event_fields,
	.nfields = lengthof(contact_event_fields),
	.ci_keys = true,
	.extra_column = "extra",
	.id_column = "id",
	.typical_bytes = 1500,
	.finish = contact_event_finish,
};

/* contact_event_parse(doc jsonb) RETURNS connect_lake.contact_event */
Datum
contact_event_parse_jsonb(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	CLMapState	st;

	static int	pure;

	cl_map_init(&st, &cl_kind_contact_event);
	st.private = &pure;			/* no landed_at: IMMUTABLE */
	if (!cl_map_jsonb(&st, doc))
		cl_map_raise(&st);
	PG_RETURN_DATUM(cl_map_datum(&st));
}

/* contact_event_parse(doc text): raw JSON as it lies in a file (the loader's json-c path) */
Datum
contact_event_parse_text(PG_FUNCTION_ARGS)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);
	json_object *obj = cl_parse_json_text(VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc), "contact event record");
	CLMapState	st;
	static int	pure;

	cl_map_init(&st, &cl_kind_contact_event);
	st.private = &pure;
	if (!cl_map_jsonc(&st, obj))
		cl_map_raise(&st);
	PG_RETURN_DATUM(cl_map_datum(&st));
}
