/*
 * customer_profile.c: the Customer Profiles event stream
 * (connect-formats.md section 6) and the links it gives.
 *
 * One record per change of a domain's profiles and objects: EventId,
 * EventTimestamp, EventType (CREATED, UPDATED, MERGED), ObjectTypeName
 * (_profile, CTR, or a custom object type), AssociatedProfileId, Object.
 * Every record lands in customer_profile_events, de-duplicated by EventId,
 * whatever its object type: Object is kept whole as jsonb, and the few parts
 * the lake links by are columns:
 *
 *   profile_id  AssociatedProfileId, else Object.ProfileId
 *   account     Object.AccountNumber as an integer (bigint).  A number that
 *               is not an integer does not cost the event: it lands NULL
 *               (Object keeps it) and the mapper counts it
 *               (CLMapState.values_nulled), as case accounts are counted.
 *   contactid   Object.ContactId (or Object._ctrContactId) of a CTR object:
 *               the contact the profile is associated with; NULL when it is
 *               not a UUID.
 *
 * After the writer lands events (its after_write hook, once per file or
 * ingest call): customer_profile_refresh(profile_ids) rebuilds, from the
 * events, the state of the profiles they name (customer_profile,
 * customer_profile_history, customer_profile_merge, the CTR-object links of
 * contact_profile), so the result does not depend on the order events came
 * in or how often (sql/install/65_customer_profiles.sql).
 *
 * Contacts also link to a profile through a contact attribute a flow set
 * (e.g. from $.Customer.ProfileId), named by the setting
 * connect_lake.profile_id_attribute: the ctr kind's after_flush hook hands
 * the winning CTR versions that carry the attribute (or replaced a version
 * that may have) to contact_profile_attribute_upkeep() (SQL), which keeps
 * their 'attribute' links.
 */
#include "postgres.h"

#include "jsonc.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "connect_lake.h"
#include "convert.h"
#include "erasure.h"
#include "kinds.h"
#include "recmap.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(profile_arn_id);
PG_FUNCTION_INFO_V1(customer_profile_event_parse_jsonb);
PG_FUNCTION_INFO_V1(customer_profile_event_parse_text);

/* connect_lake.profile_id_attribute: the contact attribute holding a profile id ('' = none) */
static char *profile_id_attribute = NULL;

static void object_profile_id(CLMapState *st, const CLValue *value, const CLField *field);
static void object_account(CLMapState *st, const CLValue *value, const CLField *field);
static void object_contactid(CLMapState *st, const CLValue *value, const CLField *field);
static void cl_profile_after_write(Datum profile_ids);

static const CLField customer_profile_event_fields[] = {
	CL_REQ("EventId", "event_id", CLF_TEXT),
	CL_REQ("EventTimestamp", "eventtimestamp", CLF_TIMESTAMPTZ),
	CL_F("EventType", "event_type", CLF_UPPER),
	CL_F("ObjectTypeName", "object_type", CLF_TEXT),
	CL_F("AssociatedProfileId", "profile_id", CLF_TEXT),
	CL_F("DomainName", "domain_name", CLF_TEXT),
	CL_F("SchemaVersion", "schema_version", CLF_TEXT),
	CL_F("ProfileObjectUniqueKey", "profile_object_unique_key", CLF_TEXT),
	CL_F("IsMessageRealTime", "is_message_realtime", CLF_BOOL),
	CL_F("MergeId", "merge_id", CLF_TEXT),
	CL_F("DuplicateProfiles", "duplicate_profiles", CLF_JSONB),
	CL_F("Object", "object", CLF_JSONB),
	CL_CUSTOM("Object.ProfileId", object_profile_id),
	CL_CUSTOM("Object.AccountNumber", object_account),
	CL_CUSTOM("Object.ContactId", object_contactid),
	CL_CUSTOM("Object._ctrContactId", object_contactid),
};

/*
 * At commit: the erasure check of the events written (erasure.h), after
 * the profiles' state was rebuilt (after_write, when the call or file is
 * written).
 */
static const CLUpkeepAction profile_event_actions[] = {
	CL_UPKEEP_ERASURE_ACTION,
};

static const CLUpkeep profile_event_upkeep = {
	.spans = false,
	.actions = profile_event_actions,
	.nactions = lengthof(profile_event_actions),
};

CLRecordKind cl_kind_customer_profile_event = {
	.name = "customer_profile_event",
	.rowtype = "customer_profile_event",
	.table = "customer_profile_events",
	.partition_column = "eventtimestamp",
	.fields = customer_profile_event_fields,
	.nfields = lengthof(customer_profile_event_fields),
	.ci_keys = true,
	.extra_column = "extra",
	.id_column = "event_id",
	.label = "customer profile event record",
	.typical_bytes = 1500,
	.landed_column = "landed_at",
	.after_write_key = "profile_id",
	.after_write = cl_profile_after_write,
	.upkeep = &profile_event_upkeep,
};

/* A string's or a number's text (as the JSON wrote it), palloc'd; NULL for anything else. */
static char *
value_cstring(const CLValue *v)
{
	if (v->kind == CLV_STRING)
		return pnstrdup(v->str, v->len);
	if (v->kind == CLV_NUMBER)
		return cl_value_number_text(v);
	return NULL;
}

/* Object.ProfileId: the profile, when AssociatedProfileId does not name it (that one wins). */
static void
object_profile_id(CLMapState *st, const CLValue *value, const CLField *field)
{
	int			att = cl_map_column(st, "profile_id");

	if (att < 0 || !st->nulls[att] || value->kind == CLV_NULL)
		return;
	cl_map_store(st, att, CLF_TEXT, 0, value);
}

/*
 * Object.AccountNumber as bigint: a string or number holding an integer
 * (spaces around it allowed).  Anything else lands NULL, counted; Object
 * keeps the value.
 */
static void
object_account(CLMapState *st, const CLValue *value, const CLField *field)
{
	int			att = cl_map_column(st, "account");
	char	   *s;
	int			len;
	int64		account;

	if (att < 0 || value->kind == CLV_NULL)
		return;
	if (!cl_value_number_ok(st, value))
		return;
	s = value_cstring(value);
	if (s != NULL)
	{
		len = strlen(s);
		while (len > 0 && isspace((unsigned char) s[len - 1]))
			len--;
		while (len > 0 && isspace((unsigned char) *s))
			s++, len--;
		if (len == 0)
			return;				/* an empty number is no number: NULL, nothing lost */
		if (cl_parse_int64(s, len, PG_INT64_MIN, PG_INT64_MAX, &account))
		{
			st->values[att] = Int64GetDatum(account);
			st->nulls[att] = false;
			return;
		}
	}
	st->values_nulled++;
}

/* Object.ContactId (or _ctrContactId) of a CTR object: a UUID, else NULL (Object keeps it). */
static void
object_contactid(CLMapState *st, const CLValue *value, const CLField *field)
{
	int			att = cl_map_column(st, "contactid");
	pg_uuid_t  *u;

	if (att < 0 || value->kind != CLV_STRING || !st->nulls[att])
		return;
	u = palloc(sizeof(pg_uuid_t));
	if (cl_parse_uuid(value->str, value->len, u))
	{
		st->values[att] = UUIDPGetDatum(u);
		st->nulls[att] = false;
	}
	else
		pfree(u);
}

/* customer_profile_event_parse(doc jsonb) RETURNS connect_lake.customer_profile_event: IMMUTABLE */
Datum
customer_profile_event_parse_jsonb(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_customer_profile_event, CL_MAP_PARSE, NULL);
}

/* customer_profile_event_parse(doc text): raw JSON as it lies in a file (the loader's json-c path) */
Datum
customer_profile_event_parse_text(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_customer_profile_event, CL_MAP_PARSE, NULL);
}

/* ---------- upkeep ---------- */

/*
 * After the writer landed profile events: rebuild the state of the profiles
 * they name (`profile_ids`, text[], repeats allowed) from their events.
 */
static void
cl_profile_after_write(Datum profile_ids)
{
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1] = {profile_ids};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	if (SPI_execute_with_args("SELECT connect_lake.customer_profile_refresh(profile_ids => $1)", 1, argtypes, args,
							  NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: could not refresh connect_lake.customer_profile");
	SPI_finish();
}

/* Whether a jsonb object holds key (exactly as spelt). */
static bool
jsonb_has_key(Jsonb *j, const char *key)
{
	JsonbValue	k;

	if (!JB_ROOT_IS_OBJECT(j))
		return false;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(&j->root, JB_FOBJECT, &k) != NULL;
}

/* The statement of cl_profile_ctr_links(), for cl_writer_plan(). */
static char *
links_sql(void *arg, int *nargs, Oid *argtypes)
{
	*nargs = 2;
	argtypes[0] = UUIDARRAYOID;
	argtypes[1] = TIMESTAMPTZARRAYOID;
	return psprintf("SELECT %s.contact_profile_attribute_upkeep($1, $2)", quote_identifier(CONNECT_LAKE_SCHEMA));
}

/*
 * The ctr kind's links to profiles through a contact attribute, called by
 * its after_flush hook (ctr_dims.c) with the winners of a batch, SPI
 * connected: the contacts whose winning version carries the attribute the
 * setting names, or replaced a version (whose link may be stale), go to
 * contact_profile_attribute_upkeep().  Nothing when the setting is empty or
 * the lake is distributed on Citus.
 */
void
cl_profile_ctr_links(const CLLanded *landed)
{
	int			id_att,
				ts_att,
				attr_att;
	Datum	   *ids,
			   *tss;
	bool	   *tsnulls;
	int			n = 0;

	if (landed->n == 0 || profile_id_attribute == NULL || profile_id_attribute[0] == '\0')
		return;

	/*
	 * On a lake distributed on Citus the upkeep's join of ctr_events with the
	 * contacts' ids is not planned there: customer_profile_refresh() rebuilds
	 * the links by hand (README, Customers).
	 */
	if (cl_lake_distributed())
		return;
	id_att = cl_tupdesc_column(landed->tupdesc, landed->kind->id_column);
	ts_att = cl_tupdesc_column(landed->tupdesc, landed->kind->partition_column);
	attr_att = cl_tupdesc_column(landed->tupdesc, "attributes");
	if (id_att < 0 || ts_att < 0 || attr_att < 0)
		return;
	ids = palloc(sizeof(Datum) * landed->n);
	tss = palloc(sizeof(Datum) * landed->n);
	tsnulls = palloc(sizeof(bool) * landed->n);
	for (int i = 0; i < landed->n; i++)
	{
		CLLandedRow *r = &landed->rows[i];
		bool		has_key;

		if (r->nulls[id_att] || r->nulls[ts_att])
			continue;
		has_key = !r->nulls[attr_att] && jsonb_has_key(DatumGetJsonbP(r->values[attr_att]), profile_id_attribute);
		if (!has_key && !r->replaced)
			continue;
		/* the row to read the link from; NULL: a new version without it (its old link goes) */
		ids[n] = r->values[id_att];
		tss[n] = r->values[ts_att];
		tsnulls[n] = !has_key;
		n++;
	}
	if (n > 0)
	{
		Datum		args[2];

		args[0] = cl_writer_array(ids, NULL, n, UUIDOID);
		args[1] = cl_writer_array(tss, tsnulls, n, TIMESTAMPTZOID);
		/* prepared once per backend: it runs after every batch that replaced a version */
		cl_writer_run(cl_writer_plan(cl_schema_oid(), InvalidOid, "contact_profile attribute upkeep",
									 links_sql, NULL),
					  args, 2, SPI_OK_SELECT);
	}
	pfree(ids);
	pfree(tss);
	pfree(tsnulls);
}

/* Defines the setting connect_lake.profile_id_attribute (_PG_init). */
void
cl_profile_init(void)
{
	DefineCustomStringVariable("connect_lake.profile_id_attribute",
							   "The contact attribute that holds the contact's Customer Profiles profile id.",
							   "A flow that copies $.Customer.ProfileId into this attribute links its contacts to the profile (contact_profile, source attribute) as CTRs land; an ARN is read up to its last '/'. Empty: no attribute link. After a change, customer_profile_refresh() rebuilds the links.",
							   &profile_id_attribute,
							   "profileId",
							   PGC_USERSET, 0,
							   NULL, NULL, NULL);
}

/*
 * profile_arn_id(arn text) RETURNS text: the last '/'-separated segment of
 * a profile ARN (or a bare id), spaces trimmed, NULL when empty or NULL:
 * what the SQL rule it was (nullif, btrim, regexp_replace of everything up
 * to the last slash) gives, without a regular expression run per row (the indexes of case_events and case_state
 * evaluate it for every case event and case written, and COPY into them
 * alike: about 4 us a row as SQL, issue #15).  '/' and ' ' are never part
 * of a multibyte character in a server encoding, so bytes are searched.
 */
Datum
profile_arn_id(PG_FUNCTION_ARGS)
{
	text	   *arn;
	const char *s;
	int			start = 0,
				end;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	arn = PG_GETARG_TEXT_PP(0);
	s = VARDATA_ANY(arn);
	end = VARSIZE_ANY_EXHDR(arn);
	for (int i = end - 1; i >= 0; i--)
		if (s[i] == '/')
		{
			start = i + 1;
			break;
		}
	while (start < end && s[start] == ' ')
		start++;
	while (end > start && s[end - 1] == ' ')
		end--;
	if (end == start)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(s + start, end - start));
}
