/*
 * case_event.c: Amazon Connect Cases events (connect-formats.md section 4).
 *
 * Two kinds share one EventBridge stream: CASE.* events land in case_events
 * (kind case_event), RELATED_ITEM.* events in case_related_items (kind
 * case_related_item); the case_event kind's route hook sends each record to
 * the right one, so ingest('case_event', doc) and load() of a Cases file need
 * not know.
 *
 * detail.case.fields is a map of field id -> {"value": <tagged value>}, the
 * tagged value being exactly one of stringValue, doubleValue, booleanValue,
 * emptyValue ({} = NULL) or userArnValue.  Each field lands in a column:
 *   1. the column connect_lake.case_field_map names for the field id (DBA
 *      configuration: custom fields are UUIDs), else
 *   2. detail_case_fields_<field id> when the row type has it (the system
 *      fields: status, title, summary, case_reason, customer_id,
 *      reference_number, last_updated_datetime, last_closed_datetime),
 *      created_datetime -> detail_case_createddatetime, case_id dropped (it
 *      is detail_case_caseid), else
 *   3. detail_case_fields_other, {field id: value} with the tag removed.
 * The value is converted to the column's type (see store_tagged()).
 *
 * account is an integer (bigint): the mapped account field, else an integer
 * Customer Profiles profile id at the end of customer_id.  An account value
 * that is not an integer does not cost the event: it lands NULL, the raw
 * value goes to detail_case_fields_other under its field id, and the mapper
 * counts it (CLMapState.values_nulled, summed into what load() and
 * ingest_batch() return).
 *
 * After the walk (finish hook): the due date is case_due_date(created) and
 * is_overdue is case_is_overdue(...) as of the landing time, both the SQL
 * rules of sql/install/50_case_events.sql ("Case rules"), so that the
 * landing-time columns and the views cannot disagree.  The landing time is
 * the transaction's start: the writer sets meta_enriched_landed_date to it
 * (.landed_xact_start), and so does case_event_parse(doc) (CL_MAP_READ).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "executor/executor.h"
#include "optimizer/optimizer.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "mb/pg_wchar.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "connect_lake.h"
#include "convert.h"
#include "erasure.h"
#include "kinds.h"
#include "recmap.h"
#include "workdays.h"

PG_FUNCTION_INFO_V1(case_event_parse_jsonb);
PG_FUNCTION_INFO_V1(case_event_parse_jsonb_map);
PG_FUNCTION_INFO_V1(case_related_item_parse_jsonb);
PG_FUNCTION_INFO_V1(case_event_parse_text);
PG_FUNCTION_INFO_V1(case_due_date);

/* connect_lake.case_due_working_days: a case is due this many working days after creation */
static int	case_due_working_days = 2;

static void case_fields(CLMapState *st, const CLValue *value, const CLField *field);
static void case_finish(CLMapState *st);
static CLRecordKind *case_route(CLMapState *st, const CLValue *root);
static int	known_column(CLMapState *st, int *cached, const char *name);
static bool related_event_type(const char *s, int len);

static const CLField case_event_fields[] = {
	CL_REQ("id", "event_id", CLF_TEXT),
	CL_F("detail-type", "detail_type", CLF_TEXT),
	CL_F("source", "source", CLF_TEXT),
	CL_F("account", "aws_account", CLF_TEXT),
	CL_F("time", "time", CLF_TIMESTAMPTZ),
	CL_F("region", "region", CLF_TEXT),
	CL_F("resources", "resources", CLF_JSONB),
	CL_F("detail.version", "detail_version", CLF_TEXT),
	CL_F("detail.eventType", "detail_event_type", CLF_UPPER),
	CL_REQ("detail.approximateChangeTime", "detail_approximatechangetime", CLF_TIMESTAMPTZ),
	CL_F("detail.changedFieldIds", "detail_changedfieldids", CLF_JSONB),
	CL_F("detail.performedBy.user.userArn", "detail_performedby_userarn", CLF_TEXT),
	CL_F("detail.performedBy.iamPrincipalArn", "detail_performedby_iamprincipalarn", CLF_TEXT),
	CL_REQ("detail.case.caseId", "detail_case_caseid", CLF_TEXT),
	CL_REQ("detail.case.caseId", "id", CLF_TEXT),	/* the warehouse's id: the Case ID */
	CL_F("detail.case.templateId", "detail_case_templateid", CLF_TEXT),
	CL_F("detail.case.createdDateTime", "detail_case_createddatetime", CLF_TIMESTAMPTZ),
	CL_CUSTOM("detail.case.fields", case_fields),
};

static const CLField case_related_item_fields[] = {
	CL_REQ("id", "event_id", CLF_TEXT),
	CL_F("time", "time", CLF_TIMESTAMPTZ),
	CL_F("detail.eventType", "detail_event_type", CLF_UPPER),
	CL_REQ("detail.approximateChangeTime", "detail_approximatechangetime", CLF_TIMESTAMPTZ),
	CL_F("detail.changedAttributes", "detail_changedattributes", CLF_JSONB),
	CL_F("detail.performedBy.user.userArn", "detail_performedby_userarn", CLF_TEXT),
	CL_F("detail.performedBy.iamPrincipalArn", "detail_performedby_iamprincipalarn", CLF_TEXT),
	CL_REQ("detail.relatedItem.caseId", "detail_relateditem_caseid", CLF_TEXT),
	CL_F("detail.relatedItem.relatedItemId", "detail_relateditem_relateditemid", CLF_TEXT),
	CL_F("detail.relatedItem.relatedItemType", "detail_relateditem_relateditemtype", CLF_TEXT),
	CL_F("detail.relatedItem.createdDateTime", "detail_relateditem_createddatetime", CLF_TIMESTAMPTZ),
	CL_F("detail.relatedItem.comment.body", "comment_body", CLF_TEXT),
	CL_F("detail.relatedItem.contact.contactArn", "contact_arn", CLF_TEXT),
	CL_F("detail.relatedItem.contact.contactArn", "contactid", CLF_ARN_ID),
};

/*
 * At commit: the erasure check of the events written (erasure.h), of either
 * table.  Keyed by the case id and the change time, which lead each table's
 * key, so that erasure_landed() finds the rows by the key index: the months
 * keep no index on the event id, an entry for every event landed that only
 * this check read (issue #15).
 */
static const CLUpkeepAction case_actions[] = {
	CL_UPKEEP_ERASURE_ACTION,
};

static const CLUpkeep case_upkeep = {
	.key_column = "detail_case_caseid",
	.spans = false,
	.actions = case_actions,
	.nactions = lengthof(case_actions),
};

static const CLUpkeep case_related_item_upkeep = {
	.key_column = "detail_relateditem_caseid",
	.spans = false,
	.actions = case_actions,
	.nactions = lengthof(case_actions),
};

CLRecordKind cl_kind_case_related_item = {
	.name = "case_related_item",
	.rowtype = "case_related_item",
	.table = "case_related_items",
	.partition_column = "detail_approximatechangetime",
	.fields = case_related_item_fields,
	.nfields = lengthof(case_related_item_fields),
	.ci_keys = false,
	.extra_column = "extra",
	.id_column = "event_id",
	.label = "case related item record",
	.typical_bytes = 1500,
	.landed_column = "landed_at",
	.route = case_route,
	.upkeep = &case_related_item_upkeep,
};

CLRecordKind cl_kind_case_event = {
	.name = "case_event",
	.rowtype = "case_event",
	.table = "case_events",
	.partition_column = "detail_approximatechangetime",
	.fields = case_event_fields,
	.nfields = lengthof(case_event_fields),
	.ci_keys = false,
	.extra_column = "extra",
	.id_column = "event_id",
	.label = "case event record",
	.typical_bytes = 1500,
	.finish = case_finish,
	.landed_column = "meta_enriched_landed_date",
	.landed_xact_start = true,	/* case_finish derives as of it */
	.route = case_route,
	.after_write_key = "detail_case_caseid",
	.after_write = cl_case_state_after_write,
	.upkeep = &case_upkeep,
};

/* ---------- routing CASE.* and RELATED_ITEM.* ---------- */

typedef struct RouteScan
{
	bool		related;
} RouteScan;

/*
 * Look at one member of detail for route(): a Cases event is a related-item
 * event when its eventType names RELATED_ITEM or it carries a relatedItem,
 * decided before the walk so the record maps onto the right table.
 */
static void
route_detail_member(CLMapState *st, const char *key, int keylen, const CLValue *v, void *arg)
{
	RouteScan  *rs = arg;

	if (keylen == 9 && memcmp(key, "eventType", 9) == 0 && v->kind == CLV_STRING)
	{
		if (related_event_type(v->str, v->len))
			rs->related = true;
	}
	else if (keylen == 11 && memcmp(key, "relatedItem", 11) == 0 && v->kind == CLV_OBJECT)
		rs->related = true;
}

static void
route_root_member(CLMapState *st, const char *key, int keylen, const CLValue *v, void *arg)
{
	if (keylen == 6 && memcmp(key, "detail", 6) == 0 && v->kind == CLV_OBJECT)
		cl_value_members(st, v, route_detail_member, arg);
}

/* Whether an eventType names a related-item event (route_detail_member's test). */
static bool
related_event_type(const char *s, int len)
{
	/* RELATED_ITEM.CREATED, and the documented CASE.RELATED_ITEM.DELETED */
	for (int i = 0; i + 12 <= len; i++)
		if (pg_strncasecmp(s + i, "RELATED_ITEM", 12) == 0)
			return true;
	return false;
}

static CLRecordKind *
case_route(CLMapState *st, const CLValue *root)
{
	RouteScan	rs = {false};

	/*
	 * A file's record is a tape (jsontape.h): walking its members hands out
	 * pointers into it and converts nothing, so no lookup by key is needed.
	 */
	cl_value_members(st, root, route_root_member, &rs);
	return rs.related ? &cl_kind_case_related_item : &cl_kind_case_event;
}

/* ---------- the field map ---------- */

typedef struct FieldMapEntry
{
	char	   *field_id;
	char	   *column;
} FieldMapEntry;

typedef struct FieldMap
{
	int			n;
	FieldMapEntry *e;			/* sorted by field_id */
	int			nfillable;
	char	  **fillable;		/* columns a field may fill, sorted (strcmp) */
	/*
	 * Where each field id met goes (field_column()), made on first use in
	 * cxt (NULL: not kept), for records of row type cols_td: a Cases event
	 * names the same dozen or two field ids again and again (issue #15).
	 */
	MemoryContext cxt;
	HTAB	   *cols;
	TupleDesc	cols_td;
	Oid			cols_type;
	int			cols_natts;
	/*
	 * The entry of cols met as the i-th field of the last record: Cases
	 * sends a case's fields in much the same order every time, so that
	 * comparing the id with the one met there is usually all it takes
	 * (a hash lookup costs the id copied, padded and hashed; issue #15).
	 */
	struct FieldCol *seen[48];
} FieldMap;

/* A field id's column in FieldMap.cols: its attno, -1 (the other column) or -2 (none: case_id). */
typedef struct FieldCol FieldCol;
struct FieldCol
{
	char		field_id[NAMEDATALEN];	/* hash key */
	int			attno;
};

/* case_field_map as read for the current command (see table_field_map). */
static MemoryContext map_cxt = NULL;
static FieldMap *table_map = NULL;
static LocalTransactionId map_lxid = InvalidLocalTransactionId;
static CommandId map_cid = InvalidCommandId;
static uint64 map_load = 0;		/* the load() call it was read for, or 0 */

/* load() in the session (cl_case_state_defer()): its number, and whether one runs */
static uint64 load_number = 0;
static bool state_deferred = false;

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const FieldMapEntry *) a)->field_id, ((const FieldMapEntry *) b)->field_id);
}

/*
 * The column a case field id is mapped to (binary search; the map sorted by
 * field id), or NULL.  key is not NUL-terminated: it points into the record.
 */
static const char *
map_lookup(const FieldMap *map, const char *key, int keylen)
{
	int			lo = 0,
				hi = map->n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		const char *k = map->e[mid].field_id;
		int			c = strncmp(k, key, keylen);

		if (c == 0 && k[keylen] != '\0')
			c = 1;
		if (c == 0)
			return map->e[mid].column;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static int
cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The columns of case_event a case field may fill, as the SQL rule
 * connect_lake.case_field_column_fillable() says (the one definition, also
 * the CHECK of case_field_map), into map in CurrentMemoryContext.  SPI is
 * connected by the caller.
 */
static void
read_fillable(FieldMap *map, MemoryContext cxt)
{
	MemoryContext old;

	if (SPI_execute("SELECT a.attname::text FROM pg_catalog.pg_attribute a"
					" WHERE a.attrelid = 'connect_lake.case_events'::pg_catalog.regclass"
					"   AND a.attnum > 0 AND NOT a.attisdropped"
					"   AND connect_lake.case_field_column_fillable(a.attname)", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: could not read the columns case fields may fill");
	old = MemoryContextSwitchTo(cxt);
	map->fillable = palloc(sizeof(char *) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
		map->fillable[map->nfillable++] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	qsort(map->fillable, map->nfillable, sizeof(char *), cstring_cmp);
	MemoryContextSwitchTo(old);
}

/* Whether a case field may fill column col (by the map's copy of the rule). */
static bool
fillable_column(const FieldMap *map, const char *col)
{
	return bsearch(&col, map->fillable, map->nfillable, sizeof(char *), cstring_cmp) != NULL;
}

/*
 * case_field_map, read once per command (an INSERT ... SELECT of millions of
 * events reads it once; the next command of the transaction sees any change
 * made before it), and once per load() call in the session, whose own
 * statements advance the command counter with every batch.
 */
static FieldMap *
table_field_map(void)
{
	CommandId	cid = GetCurrentCommandId(false);

	if (table_map && map_lxid == MyProc->lxid &&
		(map_cid == cid || (state_deferred && map_load == load_number)))
		return table_map;

	if (map_cxt == NULL)
		map_cxt = AllocSetContextCreate(TopMemoryContext, "connect_lake case_field_map",
										ALLOCSET_SMALL_SIZES);
	MemoryContextReset(map_cxt);
	table_map = NULL;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	if (SPI_execute("SELECT field_id, column_name::text FROM connect_lake.case_field_map", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: could not read connect_lake.case_field_map");
	{
		MemoryContext old = MemoryContextSwitchTo(map_cxt);
		FieldMap   *map = palloc0(sizeof(FieldMap));

		map->e = palloc(sizeof(FieldMapEntry) * Max(SPI_processed, 1));
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			map->e[map->n].field_id = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			map->e[map->n].column = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
			if (map->e[map->n].field_id && map->e[map->n].column)
				map->n++;
		}
		qsort(map->e, map->n, sizeof(FieldMapEntry), entry_cmp);
		map->cxt = map_cxt;
		MemoryContextSwitchTo(old);
		read_fillable(map, map_cxt);
		table_map = map;
	}
	SPI_finish();
	map_lxid = MyProc->lxid;
	map_cid = cid;
	map_load = state_deferred ? load_number : 0;
	return table_map;
}

/* The map given as a jsonb object {"field id": "column", ...}. */
static FieldMap *
jsonb_field_map(Jsonb *j)
{
	FieldMap   *map = palloc0(sizeof(FieldMap));
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (!JB_ROOT_IS_OBJECT(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("case field map must be a JSON object"),
				 errhint("Pass {\"field id\": \"column name\", ...}, e.g. connect_lake.case_field_map_json().")));
	map->e = palloc(sizeof(FieldMapEntry) * Max(JsonContainerSize(&j->root), 1));
	it = JsonbIteratorInit(&j->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			if (v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("case field map entry \"%s\" must name a column as a string", key)));
			map->e[map->n].field_id = key;
			map->e[map->n].column = pnstrdup(v.val.string.val, v.val.string.len);
			map->n++;
		}
	}
	qsort(map->e, map->n, sizeof(FieldMapEntry), entry_cmp);
	map->cxt = CurrentMemoryContext;
	{
		MemoryContext cxt = CurrentMemoryContext;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "connect_lake: SPI_connect failed");
		read_fillable(map, cxt);
		SPI_finish();
	}
	return map;
}

/*
 * The field map argument of this call site, parsed (and the fillable columns
 * read, which takes SPI) only when its bytes change: an INSERT ... SELECT
 * of a million events with case_field_map_json() as the map does it once.
 */
typedef struct MapArg
{
	FieldMap   *map;
	Jsonb	   *mapdoc;			/* the bytes it was parsed from */
	MemoryContext cxt;			/* map and mapdoc; emptied when the map changes */
} MapArg;

static FieldMap *
field_map_arg(FunctionCallInfo fcinfo, Jsonb *mapdoc)
{
	void	  **slot = cl_parse_arg_cache(fcinfo);
	MapArg	   *ma = *slot;

	if (ma == NULL)
	{
		ma = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(MapArg));
		ma->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "case_event_parse field map",
										ALLOCSET_SMALL_SIZES);
		*slot = ma;
	}
	if (ma->mapdoc == NULL || VARSIZE(ma->mapdoc) != VARSIZE(mapdoc) ||
		memcmp(ma->mapdoc, mapdoc, VARSIZE(mapdoc)) != 0)
	{
		MemoryContext old;

		ma->map = NULL;
		ma->mapdoc = NULL;
		MemoryContextReset(ma->cxt);
		old = MemoryContextSwitchTo(ma->cxt);
		ma->map = jsonb_field_map(mapdoc);
		ma->mapdoc = palloc(VARSIZE(mapdoc));
		memcpy(ma->mapdoc, mapdoc, VARSIZE(mapdoc));
		MemoryContextSwitchTo(old);
	}
	return ma->map;
}

/* ---------- per-record state ---------- */

/* The tagged value of a field: {"value": {"<tag>": v}}. */
typedef struct Tagged
{
	bool		found;
	char		tag[16];
	CLValue		v;
} Tagged;

/*
 * The type tag of a case field's value ({"stringValue": ...}, {"doubleValue": ...}),
 * which decides how it is stored; Cases sends exactly one, any further is ignored.
 */
static void
tag_member(CLMapState *st, const char *key, int keylen, const CLValue *v, void *arg)
{
	Tagged	   *t = arg;

	if (t->found)
		return;					/* exactly one tag; ignore any more */
	t->found = true;
	keylen = Min(keylen, (int) sizeof(t->tag) - 1);
	memcpy(t->tag, key, keylen);	/* (snprintf here cost more than the rest of the walk of a field) */
	t->tag[keylen] = '\0';
	t->v = *v;
}

/*
 * One member of a case field's {"value": {...}}: the tagged value (see
 * tag_member), or an untagged one taken as it is, so that a plain
 * {"value": 3} from a hand-written event still lands.
 */
static void
value_member(CLMapState *st, const char *key, int keylen, const CLValue *v, void *arg)
{
	if (keylen == 5 && memcmp(key, "value", 5) == 0)
	{
		if (v->kind == CLV_OBJECT)
			cl_value_members(st, v, tag_member, arg);
		else if (v->kind != CLV_NULL)
		{
			/* an untagged value: take it as it is */
			Tagged	   *t = arg;

			t->found = true;
			strcpy(t->tag, "");
			t->v = *v;
		}
	}
}

/* Whether s (len) is a plain decimal number: [-+]digits[.digits][e[-+]digits]. */
static bool
decimal_text(const char *s, int len)
{
	int			i = 0,
				digits = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < len && isdigit((unsigned char) s[i]))
		i++, digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && isdigit((unsigned char) s[i]); i++)
			digits++;
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		int			ed = 0;

		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		for (; i < len && isdigit((unsigned char) s[i]); i++)
			ed++;
		if (ed == 0)
			return false;
	}
	return i == len;
}

/* Whether s (len) is an integer that fits int64, spaces around allowed; its value in *out. */
static bool
integer_text(const char *s, int len, int64 *out)
{
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char) *s))
		s++, len--;
	return cl_parse_int64(s, len, PG_INT64_MIN, PG_INT64_MAX, out);
}

static char *
value_cstring(const CLValue *v)
{
	if (v->kind == CLV_STRING)
		return pnstrdup(v->str, v->len);
	if (v->kind == CLV_NUMBER)
		return cl_value_number_text(v);
	return NULL;
}

/*
 * Convert a tagged value into column attno, by the column's type:
 *   text         any string, number or boolean, as text
 *   boolean      booleanValue; a string true/false/yes/no/y/n/1/0
 *   numeric      doubleValue; a decimal string (the column's scale applies)
 *   timestamptz  an ISO-8601 stringValue (a bare YYYY-MM-DD is midnight UTC);
 *                a doubleValue is epoch milliseconds (Cases DateTime fields)
 *   bigint       an integral doubleValue or an integer string (account
 *                numbers); anything else is not lost but kept: the column
 *                stays NULL, the function returns false and the caller keeps
 *                the raw value in detail_case_fields_other
 * A value of any other type that does not convert rejects the record.
 */
static bool
store_tagged(CLMapState *st, int attno, const Tagged *t)
{
	Oid			typid = TupleDescAttr(st->tupdesc, attno)->atttypid;
	const CLValue *v = &t->v;

	if (strcmp(t->tag, "emptyValue") == 0 || v->kind == CLV_NULL)
	{
		st->nulls[attno] = true;
		return true;
	}
	if (!cl_value_number_ok(st, v))
		return true;
	switch (typid)
	{
		case INT8OID:
			{
				char	   *s = value_cstring(v);
				int64		n;

				st->nulls[attno] = true;
				if (s == NULL || !integer_text(s, strlen(s), &n))
					return false;
				st->values[attno] = Int64GetDatum(n);
				st->nulls[attno] = false;
				return true;
			}

		case BOOLOID:
			if (v->kind == CLV_STRING)
			{
				bool		b;
				char	   *s = pnstrdup(v->str, v->len);

				if (!parse_bool(s, &b))
				{
					cl_map_fail_value(st, v->str, v->len, ERRCODE_INVALID_TEXT_REPRESENTATION,
									  "case field value is not a boolean (column %s)",
									  NameStr(TupleDescAttr(st->tupdesc, attno)->attname));
					return true;
				}
				st->values[attno] = BoolGetDatum(b);
				st->nulls[attno] = false;
				return true;
			}
			cl_map_store(st, attno, CLF_BOOL, 0, v);
			return true;

		case NUMERICOID:
			if (v->kind == CLV_STRING)
			{
				Form_pg_attribute att = TupleDescAttr(st->tupdesc, attno);
				char	   *s = pnstrdup(v->str, v->len);
				int			len = v->len;
				Numeric		n;

				if (!decimal_text(s, v->len))
				{
					cl_map_fail_value(st, v->str, v->len, ERRCODE_INVALID_TEXT_REPRESENTATION,
									  "case field value is not a number (column %s)",
									  NameStr(att->attname));
					return true;
				}
				/* the spaces decimal_text allows trimmed, then the column's range checked */
				while (len > 0 && isspace((unsigned char) s[len - 1]))
					len--;
				while (len > 0 && isspace((unsigned char) *s))
					s++, len--;
				if (!cl_parse_numeric(s, len, att->atttypmod, &n))
				{
					cl_map_fail_value(st, v->str, v->len, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
									  "case field value out of range for column %s (%s)",
									  NameStr(att->attname),
									  format_type_with_typemod(NUMERICOID, att->atttypmod));
					return true;
				}
				st->values[attno] = NumericGetDatum(n);
				st->nulls[attno] = false;
				return true;
			}
			cl_map_store(st, attno, CLF_NUMERIC, 0, v);
			return true;

		case TIMESTAMPTZOID:
			if (v->kind == CLV_NUMBER)
			{
				char	   *s = value_cstring(v);
				double		ms = strtod(s, NULL);
				TimestampTz ts = 0;

				if (ms > -1e15 && ms < 1e15)
					ts = (TimestampTz) (ms * 1000.0) -
						((TimestampTz) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
				if (!(ms > -1e15 && ms < 1e15) || !IS_VALID_TIMESTAMP(ts))
				{
					cl_map_fail_value(st, s, strlen(s), ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
									  "case field value is not a time in epoch milliseconds within the timestamp range (column %s)",
									  NameStr(TupleDescAttr(st->tupdesc, attno)->attname));
					return true;
				}
				st->values[attno] = TimestampTzGetDatum(ts);
				st->nulls[attno] = false;
				return true;
			}
			if (v->kind == CLV_STRING && v->len == 10)
			{
				char		buf[32];
				CLValue		w = *v;

				snprintf(buf, sizeof(buf), "%.10sT00:00:00Z", v->str);
				w.str = buf;
				w.len = strlen(buf);
				cl_map_store(st, attno, CLF_TIMESTAMPTZ, 0, &w);
				return true;
			}
			cl_map_store(st, attno, CLF_TIMESTAMPTZ, 0, v);
			return true;

		default:
			cl_map_store(st, attno, CLF_TEXT, 0, v);
			return true;
	}
}

typedef struct FieldsWalk
{
	FieldMap   *map;
	JsonbParseState *other;
	int			nother;
	int			pos;			/* the field's position in the record */
} FieldsWalk;

/*
 * Keep a case field in detail_case_fields_other (jsonb) by its id: one
 * without a column, or whose value its column cannot hold, so no field a
 * Cases event sent is lost; an empty value is kept as null.
 */
static void
add_other(CLMapState *st, FieldsWalk *fw, const char *key, int keylen, const Tagged *t)
{
	JsonbValue	k;
	JsonbValue	sv;

	if (fw->nother++ == 0)
		pushJsonbValue(&fw->other, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = keylen;
	pushJsonbValue(&fw->other, WJB_KEY, &k);
	if (!t->found || strcmp(t->tag, "emptyValue") == 0 || t->v.kind == CLV_NULL)
	{
		sv.type = jbvNull;
		pushJsonbValue(&fw->other, WJB_VALUE, &sv);
		return;
	}
	/*
	 * A string or a boolean as it is (a string with no NUL, in a UTF-8
	 * database, is what cl_value_jsonb() would store), without forming a
	 * jsonb of its own to take the scalar out of.
	 */
	if (t->v.kind == CLV_BOOL ||
		(t->v.kind == CLV_STRING && GetDatabaseEncoding() == PG_UTF8 && memchr(t->v.str, '\0', t->v.len) == NULL))
	{
		if (t->v.kind == CLV_BOOL)
		{
			sv.type = jbvBool;
			sv.val.boolean = t->v.boolean;
		}
		else
		{
			sv.type = jbvString;
			sv.val.string.val = (char *) t->v.str;
			sv.val.string.len = t->v.len;
		}
		pushJsonbValue(&fw->other, WJB_VALUE, &sv);
		return;
	}
	{
		Jsonb	   *j = DatumGetJsonbP(cl_value_jsonb(st, &t->v));

		if (JsonbExtractScalar(&j->root, &sv))
			pushJsonbValue(&fw->other, WJB_VALUE, &sv);
		else
		{
			sv.type = jbvBinary;
			sv.val.binary.data = &j->root;
			sv.val.binary.len = VARSIZE(j) - VARHDRSZ;
			pushJsonbValue(&fw->other, WJB_VALUE, &sv);
		}
	}
}

/*
 * The column of case field id key (keylen bytes): the DBA's case_field_map
 * first, then the field id's own detail_case_fields_<id> column when the
 * rule says a field may fill it; -1: none (the other column), -2: none,
 * dropped (case_id, the same as detail.case.caseId).  A map entry naming a
 * column no field may fill is an error, not a silent drop.  Kept per map
 * and row type once found (FieldMap.cols).
 */
static int
field_column(CLMapState *st, FieldMap *map, const char *key, int keylen, int pos)
{
	const char *col;
	char		colbuf[NAMEDATALEN + 20];
	char		id[NAMEDATALEN];
	int			attno = -1;
	bool		keep = map->cxt != NULL && keylen < NAMEDATALEN && memchr(key, '\0', keylen) == NULL;
	FieldCol   *fc;
	bool		found;

	if (keep)
	{
		TupleDesc	td = st->tupdesc;

		if (map->cols == NULL || map->cols_td != td || map->cols_type != td->tdtypeid ||
			map->cols_natts != td->natts)
		{
			HASHCTL		ctl;

			if (map->cols)
				hash_destroy(map->cols);
			memset(&ctl, 0, sizeof(ctl));
			ctl.keysize = NAMEDATALEN;
			ctl.entrysize = sizeof(FieldCol);
			ctl.hcxt = map->cxt;
			map->cols = hash_create("connect_lake case field columns", 64, &ctl,
									HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
			map->cols_td = td;
			map->cols_type = td->tdtypeid;
			map->cols_natts = td->natts;
			memset(map->seen, 0, sizeof(map->seen));
		}
		if (pos < lengthof(map->seen))
		{
			fc = map->seen[pos];
			if (fc && fc->field_id[keylen] == '\0' && memcmp(fc->field_id, key, keylen) == 0)
				return fc->attno;
		}
		memset(id, 0, sizeof(id));
		memcpy(id, key, keylen);
		fc = hash_search(map->cols, id, HASH_FIND, NULL);
		if (fc)
		{
			if (pos < lengthof(map->seen))
				map->seen[pos] = fc;
			return fc->attno;
		}
	}

	col = map_lookup(map, key, keylen);
	if (col)
	{
		attno = cl_map_column(st, col);
		if (attno < 0 || !fillable_column(map, col))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("case_field_map maps field \"%.*s\" to \"%s\", which is not a fillable column of case_events",
							keylen, key, col),
					 errhint("Map fields to account or to a detail_case_fields_* column other than due_date, is_overdue and other.")));
	}
	else if (keylen == 7 && memcmp(key, "case_id", 7) == 0)
		attno = -2;				/* the same as detail.case.caseId */
	else if (keylen == 16 && memcmp(key, "created_datetime", 16) == 0)
		attno = cl_map_column(st, "detail_case_createddatetime");
	else if (keylen < NAMEDATALEN)
	{
		snprintf(colbuf, sizeof(colbuf), "detail_case_fields_%.*s", keylen, key);
		if (strlen(colbuf) < NAMEDATALEN && fillable_column(map, colbuf))
			attno = cl_map_column(st, colbuf);
	}

	if (keep)
	{
		fc = hash_search(map->cols, id, HASH_ENTER, &found);
		fc->attno = attno;
		if (pos < lengthof(map->seen))
			map->seen[pos] = fc;
	}
	return attno;
}

/*
 * One case field of detail.case.fields: store its tagged value in its
 * column (field_column()), else keep it in the other column.
 */
static void
case_field_member(CLMapState *st, const char *key, int keylen, const CLValue *v, void *arg)
{
	FieldsWalk *fw = arg;
	Tagged		t;
	int			attno;
	bool		pushed = false;

	memset(&t, 0, sizeof(t));
	if (v->kind == CLV_OBJECT)
		cl_value_members(st, v, value_member, &t);

	if (st->depth < lengthof(st->path))
	{
		st->path[st->depth] = key;
		st->pathlen[st->depth] = keylen;
		st->depth++;
		pushed = true;
	}

	attno = field_column(st, fw->map, key, keylen, fw->pos++);

	if (attno >= 0)
	{
		if (t.found && !store_tagged(st, attno, &t))
		{
			/* a value its column cannot hold: kept raw, the column NULL */
			add_other(st, fw, key, keylen, &t);
			st->values_nulled++;
		}
	}
	else if (attno == -1)
		add_other(st, fw, key, keylen, &t);

	if (pushed)
		st->depth--;
}

/*
 * detail.case.fields: each field into its column (see the file header), by
 * the field map a parse function was given (st->kind_arg), else by
 * case_field_map.
 */
static void
case_fields(CLMapState *st, const CLValue *value, const CLField *field)
{
	static int	other_c = -1;
	FieldsWalk	fw;
	int			other_att = known_column(st, &other_c, "detail_case_fields_other");

	if (value->kind == CLV_NULL)
		return;
	if (value->kind != CLV_OBJECT)
	{
		cl_map_fail(st, ERRCODE_INVALID_PARAMETER_VALUE, "case fields must be an object");
		return;
	}
	memset(&fw, 0, sizeof(fw));
	fw.map = st->kind_arg ? (FieldMap *) st->kind_arg : table_field_map();
	cl_value_members(st, value, case_field_member, &fw);
	if (fw.nother > 0 && other_att >= 0)
	{
		JsonbValue *res = pushJsonbValue(&fw.other, WJB_END_OBJECT, NULL);

		st->values[other_att] = JsonbPGetDatum(JsonbValueToJsonb(res));
		st->nulls[other_att] = false;
	}
}

/* ---------- the case rules ---------- */

/* The due date of a case created at `created`: the one C definition, also SQL's case_due_date(). */
static TimestampTz
case_due(TimestampTz created)
{
	return cl_working_days_add(NULL, created, case_due_working_days);
}

/* case_due_date(created timestamptz) RETURNS timestamptz */
Datum
case_due_date(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(case_due(PG_GETARG_TIMESTAMPTZ(0)));
}

/*
 * connect_lake.case_is_overdue(event_type, status, created, as_of), the SQL
 * rule, evaluated from C so that the open statuses (the DBA's case_status)
 * are decided in one place.  Planned once per transaction as an expression
 * of four parameters (the SQL functions inlined, as a query would have
 * them), then evaluated per event without an executor of its own (called
 * as a function, it started one per event: issue #15).  A replaced rule is
 * seen by the next transaction.
 */
typedef struct OverdueRule
{
	LocalTransactionId lxid;
	ExprState  *expr;
	ExprContext *econtext;
	ParamListInfo params;
} OverdueRule;

static bool
case_is_overdue(CLMapState *st, int evtype, int status, TimestampTz created, TimestampTz as_of)
{
	static OverdueRule rule = {InvalidLocalTransactionId, NULL, NULL, NULL};
	static MemoryContext cxt = NULL;
	ParamListInfo p;
	Datum		result;
	bool		isnull;

	if (rule.lxid != MyProc->lxid)
	{
		Oid			argtypes[4] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
		List	   *name = list_make2(makeString(CONNECT_LAKE_SCHEMA), makeString("case_is_overdue"));
		List	   *args = NIL;
		Oid			fn;
		MemoryContext old;

		if (cxt == NULL)
			cxt = AllocSetContextCreate(TopMemoryContext, "connect_lake case rules", ALLOCSET_SMALL_SIZES);
		rule.lxid = InvalidLocalTransactionId;
		MemoryContextReset(cxt);
		fn = LookupFuncName(name, 4, argtypes, false);
		old = MemoryContextSwitchTo(cxt);
		for (int i = 0; i < 4; i++)
		{
			Param	   *param = makeNode(Param);

			param->paramkind = PARAM_EXTERN;
			param->paramid = i + 1;
			param->paramtype = argtypes[i];
			param->paramtypmod = -1;
			param->paramcollid = argtypes[i] == TEXTOID ? DEFAULT_COLLATION_OID : InvalidOid;
			param->location = -1;
			args = lappend(args, param);
		}
		rule.params = makeParamList(4);
		rule.params->numParams = 4;
		for (int i = 0; i < 4; i++)
		{
			rule.params->params[i].ptype = argtypes[i];
			rule.params->params[i].pflags = PARAM_FLAG_CONST;
		}
		rule.expr = ExecInitExprWithParams(expression_planner((Expr *) makeFuncExpr(fn, BOOLOID, args, InvalidOid,
																				  DEFAULT_COLLATION_OID,
																				  COERCE_EXPLICIT_CALL)),
										   rule.params);
		rule.econtext = CreateStandaloneExprContext();
		rule.econtext->ecxt_param_list_info = rule.params;
		MemoryContextSwitchTo(old);
		rule.lxid = MyProc->lxid;
	}
	p = rule.params;
	p->params[0].value = evtype >= 0 ? st->values[evtype] : (Datum) 0;
	p->params[0].isnull = evtype < 0 || st->nulls[evtype];
	p->params[1].value = status >= 0 ? st->values[status] : (Datum) 0;
	p->params[1].isnull = status < 0 || st->nulls[status];
	p->params[2].value = TimestampTzGetDatum(created);
	p->params[2].isnull = false;
	p->params[3].value = TimestampTzGetDatum(as_of);
	p->params[3].isnull = false;
	result = ExecEvalExprSwitchContext(rule.expr, rule.econtext, &isnull);
	ResetExprContext(rule.econtext);
	return !isnull && DatumGetBool(result);
}

/*
 * The attno of column name in the record's row type, found once and then
 * checked by its name (the row type may differ between callers): the
 * finish hook looks up seven columns per event, each a scan of up to 52 names.
 */
static int
known_column(CLMapState *st, int *cached, const char *name)
{
	int			a = *cached;

	if (a >= 0 && a < st->tupdesc->natts && !TupleDescAttr(st->tupdesc, a)->attisdropped &&
		strcmp(NameStr(TupleDescAttr(st->tupdesc, a)->attname), name) == 0)
		return a;
	return *cached = cl_map_column(st, name);
}

/* The profile id at the end of a customer_id ARN, when it is an integer. */
static bool
profile_account(text *customer_id, int64 *account)
{
	const char *s = VARDATA_ANY(customer_id);
	int			len = VARSIZE_ANY_EXHDR(customer_id);

	for (int i = len - 1; i >= 0; i--)
		if (s[i] == '/')
			return integer_text(s + i + 1, len - i - 1, account);
	return integer_text(s, len, account);
}

/*
 * After the walk: account from customer_id when no field filled it; then,
 * unless a parse function wants the record's own fields only, the
 * landing-time columns as of the transaction's start (see the file header).
 */
static void
case_finish(CLMapState *st)
{
	static int	acc_c = -1,
				cust_c = -1,
				created_c = -1,
				due_c = -1,
				overdue_c = -1,
				type_c = -1,
				status_c = -1;
	int			acc = known_column(st, &acc_c, "account");
	int			cust = known_column(st, &cust_c, "detail_case_fields_customer_id");
	int			created = known_column(st, &created_c, "detail_case_createddatetime");
	int			due = known_column(st, &due_c, "detail_case_fields_due_date");
	int			overdue = known_column(st, &overdue_c, "detail_case_fields_is_overdue");
	bool		derive = st->purpose != CL_MAP_PARSE;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int64		account;

	/* account: the mapped account field, else an integer profile id of customer_id */
	if (acc >= 0 && st->nulls[acc] && cust >= 0 && !st->nulls[cust] &&
		profile_account(DatumGetTextPP(st->values[cust]), &account))
	{
		st->values[acc] = Int64GetDatum(account);
		st->nulls[acc] = false;
	}

	if (!derive)
		return;

	if (due >= 0 && created >= 0 && !st->nulls[created] && !st->failed)
	{
		TimestampTz c = DatumGetTimestampTz(st->values[created]);

		st->values[due] = TimestampTzGetDatum(case_due(c));
		st->nulls[due] = false;
		if (overdue >= 0)
		{
			st->values[overdue] = BoolGetDatum(case_is_overdue(st, known_column(st, &type_c, "detail_event_type"),
															   known_column(st, &status_c, "detail_case_fields_status"),
															   c, now));
			st->nulls[overdue] = false;
		}
	}
}

/* connect_lake.case_due_working_days */
void
cl_case_init(void)
{
	DefineCustomIntVariable("connect_lake.case_due_working_days",
							"Working days after its creation a case falls due.",
							"Used by case_due_date(), case_is_overdue() and the case views; on the default calendar.",
							&case_due_working_days,
							2, 0, 366,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
}

/* ---------- case_state upkeep ---------- */

/*
 * The case ids written while load() defers the refresh (cl_case_state_defer):
 * one refresh per load() call, for every case its files touched, instead of
 * one per file (a case's events of one day lie in several files; issue #15).
 */
static MemoryContext defer_cxt = NULL;
static char **deferred_ids = NULL;
static int	ndeferred = 0;
static int	deferred_cap = 0;

/* case_state_refresh(case_ids => ids) */
static void
refresh_cases(Datum case_ids)
{
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1] = {case_ids};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	if (SPI_execute_with_args("SELECT connect_lake.case_state_refresh(case_ids => $1)", 1, argtypes, args, NULL,
							  false, 0) != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: could not refresh connect_lake.case_state");
	SPI_finish();
}

/*
 * After the writer landed case events: bring case_state up to date for the
 * cases they belong to (the writer's after_write hook; `case_ids` is a
 * text[] of their ids, repeats allowed), set-wise and through the cases'
 * key index rather than a scan of every event; or, while load() defers it,
 * note the cases for cl_case_state_flush().  A failed file's cases are
 * noted too: refreshing a case recomputes it from the events that are there.
 */
void
cl_case_state_after_write(Datum case_ids)
{
	ArrayType  *a;
	Datum	   *ids;
	bool	   *nulls;
	int			n;
	MemoryContext old;

	if (!state_deferred)
	{
		refresh_cases(case_ids);
		return;
	}
	a = DatumGetArrayTypeP(case_ids);
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &ids, &nulls, &n);
	old = MemoryContextSwitchTo(defer_cxt);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			continue;
		if (ndeferred == deferred_cap)
		{
			deferred_cap = Max(1024, deferred_cap * 2);
			deferred_ids = deferred_ids ? repalloc(deferred_ids, sizeof(char *) * deferred_cap)
				: palloc(sizeof(char *) * deferred_cap);
		}
		deferred_ids[ndeferred++] = TextDatumGetCString(ids[i]);
	}
	MemoryContextSwitchTo(old);
}

/*
 * load() in the session: from on, the case_state refresh waits for
 * cl_case_state_flush() (at the end of the call); off forgets what was
 * noted (the call failed; its transaction, or savepoint, rolls back).
 */
void
cl_case_state_defer(bool on)
{
	if (defer_cxt == NULL)
		defer_cxt = AllocSetContextCreate(TopMemoryContext, "connect_lake case_state deferred",
										  ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(defer_cxt);
	deferred_ids = NULL;
	ndeferred = deferred_cap = 0;
	state_deferred = on;
	if (on)
		load_number++;
}

/* The refresh load() deferred, once for every case noted (in key order, each once). */
void
cl_case_state_flush(void)
{
	Datum	   *keys;
	int			n = 0;
	MemoryContext old;

	if (!state_deferred || ndeferred == 0)
		return;
	old = MemoryContextSwitchTo(defer_cxt);
	qsort(deferred_ids, ndeferred, sizeof(char *), cstring_cmp);
	keys = palloc(sizeof(Datum) * ndeferred);
	for (int i = 0; i < ndeferred; i++)
		if (n == 0 || strcmp(deferred_ids[i], deferred_ids[i - 1]) != 0)
			keys[n++] = CStringGetTextDatum(deferred_ids[i]);
	MemoryContextSwitchTo(old);
	refresh_cases(PointerGetDatum(construct_array(keys, n, TEXTOID, -1, false, TYPALIGN_INT)));
	MemoryContextReset(defer_cxt);
	deferred_ids = NULL;
	ndeferred = deferred_cap = 0;
}

/* ---------- SQL functions ---------- */

static const char *
id_of(CLMapState *st)
{
	int			a = cl_map_column(st, "event_id");

	return (a >= 0 && !st->nulls[a]) ? TextDatumGetCString(st->values[a]) : "?";
}

/*
 * The Cases parse functions: a record of the other Cases kind (the route
 * hook tells) is an error naming the function that parses it.
 */
static Datum
parse_case(FunctionCallInfo fcinfo, CLRecordKind *want, CLMapPurpose purpose, const FieldMap *map)
{
	CLMapState *st = cl_parse_record(fcinfo, want, purpose, (void *) map);

	if (st->kind != want)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("case event %s is a %s event, not a %s event",
						id_of(st),
						st->kind == &cl_kind_case_related_item ? "RELATED_ITEM.*" : "CASE.*",
						want == &cl_kind_case_related_item ? "RELATED_ITEM.*" : "CASE.*"),
				 errhint("Use connect_lake.%s_parse(), or connect_lake.ingest('case_event', doc), which lands either kind.",
						 st->kind->name)));
	return cl_map_datum(st);
}

/* case_event_parse(doc jsonb) RETURNS connect_lake.case_event: STABLE, reads case_field_map; as it would land now */
Datum
case_event_parse_jsonb(PG_FUNCTION_ARGS)
{
	return parse_case(fcinfo, &cl_kind_case_event, CL_MAP_READ, NULL);
}

/* case_event_parse(doc jsonb, field_map jsonb): IMMUTABLE, no derived columns */
Datum
case_event_parse_jsonb_map(PG_FUNCTION_ARGS)
{
	return parse_case(fcinfo, &cl_kind_case_event, CL_MAP_PARSE, field_map_arg(fcinfo, PG_GETARG_JSONB_P(1)));
}

/* case_related_item_parse(doc jsonb) RETURNS connect_lake.case_related_item: IMMUTABLE */
Datum
case_related_item_parse_jsonb(PG_FUNCTION_ARGS)
{
	static const FieldMap empty = {0};	/* never reads case_field_map */

	return parse_case(fcinfo, &cl_kind_case_related_item, CL_MAP_PARSE, &empty);
}

/* case_event_parse(doc text): raw JSON as it lies in a file (the loader's path: a tape) */
Datum
case_event_parse_text(PG_FUNCTION_ARGS)
{
	return parse_case(fcinfo, &cl_kind_case_event, CL_MAP_READ, NULL);
}
