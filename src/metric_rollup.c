/*
 * metric_rollup.c: the signed sums metric_rollup_delta() (90_metrics.sql)
 * adds to the contact metric rollups, made in one pass over the
 * contact_metric rows that changed.
 *
 * connect_lake.metric_rollup_delta_rows(before, after, thresholds,
 * time_zone) takes the rows of the contacts changed before the change
 * (weighed -1: taken out of their sums) and after it (+1: added), and
 * gives, per rollup table, the rows to add to it, each kind in the order of
 * its table's key (so that concurrent upkeeps lock rows in one order):
 *
 *   queue          per 15-minute interval, queue kind, queue and channel:
 *                  what metric_queue_interval_live sums, signed, and the
 *                  longest queue time of the rows added;
 *   queue_day      the same per local day of time_zone (metric_queue_day);
 *   agent          per interval, agent and channel: what
 *                  metric_agent_interval_live sums, signed;
 *   threshold      per threshold X of thresholds, interval, queue kind,
 *                  queue and channel with queued contacts changed: the
 *                  answered, abandoned and removed contacts with a queue time
 *                  below X and equal to X (metric_queue_threshold_live),
 *                  signed (a group new to the table gets a row for every
 *                  threshold, zeros too);
 *   threshold_day  the same per local day (metric_queue_threshold_day).
 *
 * The interval kinds come as queue_new, agent_new and threshold_new for the
 * rows their table does not have yet (read with the calling statement's
 * snapshot: the intervals are locked, so no other session adds them), which
 * metric_rollup_delta() inserts plainly in READ COMMITTED (its statement's
 * snapshot is newer than the lock; under REPEATABLE READ the transaction's
 * may be older, and it upserts them all: a row another session added
 * meanwhile is then a serialization failure, not a duplicate key); a kept
 * group's "within X" rows come only where they change.
 *
 * The measures are the columns of the table, in its order, in v (bigint[];
 * queued_time_max apart).  What each sums is what the table's _live view
 * counts: the flags of contact_metric (the metric_* rules made them), and
 * the two rules the views apply on read, metric_incoming() and
 * metric_removed(), asked of the SQL functions themselves (once per
 * distinct argument, per call).  The metrics regression tests compare what
 * the writers keep with these (metric_rollup_delta()) against
 * metrics_refresh()'s rollups, made from the _live views.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "connect_lake.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(metric_rollup_delta_rows);
PG_FUNCTION_INFO_V1(metric_rollup_delta_write);

/* Output columns */
enum
{
	O_KIND, O_INTERVAL, O_DAY, O_QUEUE_KIND, O_QUEUE_ID, O_CHANNEL, O_AGENT_ID, O_THRESHOLD,
	O_QUEUED_TIME_MAX, O_V,
	O_NCOLS
};

/* The measures of metric_queue_interval, after its key, queued_time_max apart */
enum
{
	Q_CONTACTS, Q_QUEUED, Q_HANDLED, Q_HANDLED_INCOMING, Q_HANDLED_OUTBOUND, Q_HANDLED_CALLBACK,
	Q_HANDLED_API, Q_AGENT_HUNG_UP_FIRST, Q_TRANSFERRED_IN, Q_TRANSFERRED_IN_FROM_QUEUE, Q_ANSWERED,
	Q_ABANDONED, Q_ABANDONED_CUSTOMER_DISCONNECT, Q_CALLBACKS_REQUESTED, Q_XFER_OUT_QUEUE,
	Q_XFER_OUT_INTERNAL, Q_XFER_OUT_EXTERNAL, Q_XFER_OUT_AGENT, Q_PUT_ON_HOLD, Q_QUEUE_ANSWER_TIME,
	Q_ABANDON_TIME, Q_HANDLE_TIME, Q_INTERACTION_TIME, Q_HOLD_TIME, Q_ACW_TIME, Q_CONTACT_DURATION,
	Q_RESOLUTION_TIME,
	Q_N
};

/* The measures of metric_agent_interval, after its key */
enum
{
	A_CONTACTS, A_HANDLED, A_HANDLED_INCOMING, A_HANDLED_OUTBOUND, A_HANDLED_CALLBACK, A_HANDLED_API,
	A_AGENT_HUNG_UP_FIRST, A_ANSWERED, A_XFER_OUT_INTERNAL, A_XFER_OUT_EXTERNAL, A_XFER_OUT_AGENT,
	A_PUT_ON_HOLD, A_QUEUE_ANSWER_TIME, A_HANDLE_TIME, A_INTERACTION_TIME, A_HOLD_TIME, A_ACW_TIME,
	A_N
};

/* The measures of metric_queue_threshold: answered, abandoned, removed; below and at X */
#define T_N 6

/* The columns of contact_metric read, by name */
static const char *const cm_columns[] = {
	"interval_start", "queue_kind", "queue_id", "channel", "agent_id", "initiationmethod",
	"disconnectreason", "queued", "handled", "answered", "abandoned", "callback_requested",
	"xfer_out_queue", "xfer_out_internal", "xfer_out_external", "xfer_out_agent", "held",
	"queue_time", "handle_time", "interaction_time", "hold_time", "acw_time", "contact_duration",
	"resolution_time",
};

enum
{
	C_INTERVAL, C_QUEUE_KIND, C_QUEUE_ID, C_CHANNEL, C_AGENT_ID, C_METHOD, C_REASON, C_QUEUED,
	C_HANDLED, C_ANSWERED, C_ABANDONED, C_CALLBACK_REQUESTED, C_XFER_OUT_QUEUE, C_XFER_OUT_INTERNAL,
	C_XFER_OUT_EXTERNAL, C_XFER_OUT_AGENT, C_HELD, C_QUEUE_TIME, C_HANDLE_TIME, C_INTERACTION_TIME,
	C_HOLD_TIME, C_ACW_TIME, C_CONTACT_DURATION, C_RESOLUTION_TIME,
	C_N
};

/* One contact_metric row, weighed */
typedef struct MRContact
{
	int64		sign;
	TimestampTz interval;
	char	   *queue_kind;
	bool		queue_id_null;
	pg_uuid_t	queue_id;
	char	   *channel;		/* NULL: none */
	bool		agent_id_null;
	pg_uuid_t	agent_id;
	char	   *method;			/* NULL: none */
	char	   *reason;
	bool		flag[C_HELD - C_QUEUED + 1];
	bool		time_null[C_RESOLUTION_TIME - C_QUEUE_TIME + 1];
	int64		time[C_RESOLUTION_TIME - C_QUEUE_TIME + 1];
	bool		incoming;		/* metric_incoming(method) */
	bool		removed;		/* metric_removed(queued, handled, abandoned, callback_requested) */
} MRContact;

#define FLAG(c, col) ((c)->flag[(col) - C_QUEUED])
#define TIME(c, col) ((c)->time[(col) - C_QUEUE_TIME])
#define TIME_NULL(c, col) ((c)->time_null[(col) - C_QUEUE_TIME])

/* A group's key: interval (or day), queue kind, queue, channel; or agent, channel */
typedef struct MRGroup
{
	TimestampTz interval;
	DateADT		day;
	const MRContact *key;		/* the first contact of the group: its dimensions */
	bool		kept;			/* the table has the group's row(s) */
	int64	   *v;
	bool		max_null;
	int32		max;
} MRGroup;

/* ---------- the two rules the views apply on read, asked of SQL ---------- */

typedef struct MRRules
{
	FmgrInfo	incoming;
	FmgrInfo	removed;
	int			nmethods;
	char	   *methods[32];
	bool		method_incoming[32];
	bool		null_incoming;
	bool		null_known;
	signed char removed_by[16]; /* -1: not asked yet */
} MRRules;

static Oid
rule_oid(const char *name, int nargs, Oid *argtypes)
{
	return LookupFuncName(list_make2(makeString(CONNECT_LAKE_SCHEMA), makeString(pstrdup(name))),
						  nargs, argtypes, false);
}

static bool
call_rule(FmgrInfo *f, int nargs, Datum *args, bool *nulls)
{
	LOCAL_FCINFO(fcinfo, 4);
	Datum		r;

	InitFunctionCallInfoData(*fcinfo, f, nargs, InvalidOid, NULL, NULL);
	for (int i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = nulls[i];
	}
	r = FunctionCallInvoke(fcinfo);
	return !fcinfo->isnull && DatumGetBool(r);	/* a NULL flag counts as false, as FILTER does */
}

static bool
rule_incoming(MRRules *rules, const char *method)
{
	Datum		arg;
	bool		null = (method == NULL);
	bool		r;

	if (null && rules->null_known)
		return rules->null_incoming;
	for (int i = 0; !null && i < rules->nmethods; i++)
		if (strcmp(rules->methods[i], method) == 0)
			return rules->method_incoming[i];
	arg = null ? (Datum) 0 : CStringGetTextDatum(method);
	r = call_rule(&rules->incoming, 1, &arg, &null);
	if (null)
	{
		rules->null_known = true;
		rules->null_incoming = r;
	}
	else if (rules->nmethods < lengthof(rules->methods))
	{
		rules->methods[rules->nmethods] = pstrdup(method);
		rules->method_incoming[rules->nmethods++] = r;
	}
	return r;
}

static bool
rule_removed(MRRules *rules, bool queued, bool handled, bool abandoned, bool callback_requested)
{
	int			k = (queued ? 8 : 0) | (handled ? 4 : 0) | (abandoned ? 2 : 0) | (callback_requested ? 1 : 0);

	if (rules->removed_by[k] < 0)
	{
		Datum		args[4] = {BoolGetDatum(queued), BoolGetDatum(handled), BoolGetDatum(abandoned),
		BoolGetDatum(callback_requested)};
		bool		nulls[4] = {false, false, false, false};

		rules->removed_by[k] = call_rule(&rules->removed, 4, args, nulls) ? 1 : 0;
	}
	return rules->removed_by[k] == 1;
}

/* ---------- reading the rows ---------- */

static char *
text_or_null(Datum d, bool isnull)
{
	return isnull ? NULL : TextDatumGetCString(d);
}

/* The rows of a contact_metric[] appended to contacts, weighed sign (those counted in no interval left out). */
static int
read_rows(ArrayType *arr, int64 sign, MRContact *contacts, int n, MRRules *rules)
{
	Oid			elemtype = ARR_ELEMTYPE(arr);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *elemnulls;
	int			nelems;
	TupleDesc	desc;
	int			att[C_N];
	Datum	   *values;
	bool	   *nulls;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, &elemnulls, &nelems);
	if (nelems == 0)
		return n;
	desc = lookup_rowtype_tupdesc(elemtype, -1);
	for (int c = 0; c < C_N; c++)
	{
		att[c] = -1;
		for (int a = 0; a < desc->natts; a++)
			if (!TupleDescAttr(desc, a)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, a)->attname), cm_columns[c]) == 0)
				att[c] = a;
		if (att[c] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("metric_rollup_delta_rows: the rows have no column \"%s\"", cm_columns[c])));
	}
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	for (int i = 0; i < nelems; i++)
	{
		HeapTupleHeader th;
		HeapTupleData tuple;
		MRContact  *c = &contacts[n];

		CHECK_FOR_INTERRUPTS();
		if (elemnulls[i])
			continue;
		th = DatumGetHeapTupleHeader(elems[i]);
		tuple.t_len = HeapTupleHeaderGetDatumLength(th);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = th;
		heap_deform_tuple(&tuple, desc, values, nulls);
		if (nulls[att[C_INTERVAL]])
			continue;			/* excluded: counted nowhere */
		c->sign = sign;
		c->interval = DatumGetTimestampTz(values[att[C_INTERVAL]]);
		c->queue_kind = text_or_null(values[att[C_QUEUE_KIND]], nulls[att[C_QUEUE_KIND]]);
		c->queue_id_null = nulls[att[C_QUEUE_ID]];
		if (!c->queue_id_null)
			c->queue_id = *DatumGetUUIDP(values[att[C_QUEUE_ID]]);
		c->channel = text_or_null(values[att[C_CHANNEL]], nulls[att[C_CHANNEL]]);
		c->agent_id_null = nulls[att[C_AGENT_ID]];
		if (!c->agent_id_null)
			c->agent_id = *DatumGetUUIDP(values[att[C_AGENT_ID]]);
		c->method = text_or_null(values[att[C_METHOD]], nulls[att[C_METHOD]]);
		c->reason = text_or_null(values[att[C_REASON]], nulls[att[C_REASON]]);
		for (int f = C_QUEUED; f <= C_HELD; f++)
			FLAG(c, f) = !nulls[att[f]] && DatumGetBool(values[att[f]]);
		for (int t = C_QUEUE_TIME; t <= C_RESOLUTION_TIME; t++)
		{
			TIME_NULL(c, t) = nulls[att[t]];
			TIME(c, t) = nulls[att[t]] ? 0 : DatumGetInt32(values[att[t]]);
		}
		c->incoming = rule_incoming(rules, c->method);
		c->removed = rule_removed(rules, FLAG(c, C_QUEUED), FLAG(c, C_HANDLED), FLAG(c, C_ABANDONED),
								  FLAG(c, C_CALLBACK_REQUESTED));
		n++;
	}
	ReleaseTupleDesc(desc);
	return n;
}

/* ---------- keys ---------- */

/* NULLs last, as ORDER BY sorts ascending */
static int
cmp_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

static int
cmp_uuid(bool anull, const pg_uuid_t *a, bool bnull, const pg_uuid_t *b)
{
	if (anull || bnull)
		return (int) anull - (int) bnull;
	return memcmp(a->data, b->data, UUID_LEN);
}

static int
cmp_ts(TimestampTz a, TimestampTz b)
{
	return a < b ? -1 : (a > b ? 1 : 0);
}

/* queue kind, queue, channel */
static int
cmp_queue_dims(const MRContact *a, const MRContact *b)
{
	int			r = cmp_str(a->queue_kind, b->queue_kind);

	if (r == 0)
		r = cmp_uuid(a->queue_id_null, &a->queue_id, b->queue_id_null, &b->queue_id);
	if (r == 0)
		r = cmp_str(a->channel, b->channel);
	return r;
}

static int
cmp_queue_key(const void *pa, const void *pb)
{
	const MRContact *a = *(MRContact *const *) pa;
	const MRContact *b = *(MRContact *const *) pb;
	int			r = cmp_ts(a->interval, b->interval);

	return r != 0 ? r : cmp_queue_dims(a, b);
}

static int
cmp_agent_key(const void *pa, const void *pb)
{
	const MRContact *a = *(MRContact *const *) pa;
	const MRContact *b = *(MRContact *const *) pb;
	int			r = cmp_ts(a->interval, b->interval);

	if (r == 0)
		r = cmp_uuid(a->agent_id_null, &a->agent_id, b->agent_id_null, &b->agent_id);
	if (r == 0)
		r = cmp_str(a->channel, b->channel);
	return r;
}

/* groups by local day, then queue kind, queue, channel */
static int
cmp_group_day(const void *pa, const void *pb)
{
	const MRGroup *a = (const MRGroup *) pa;
	const MRGroup *b = (const MRGroup *) pb;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return cmp_queue_dims(a->key, b->key);
}

/* ---------- output ---------- */

typedef struct MROut
{
	Tuplestorestate *store;
	TupleDesc	desc;
	int			nthresholds;
	int32	   *thresholds;
	Datum		vbuf[Q_N];
	/* metric_rollup_delta_write(): the interval tables the new rows go into directly */
	CLDirectTable *direct[3];
	int64		written;
} MROut;

/* The interval tables, as direct[] numbers them, with their columns: key, then measures */
enum
{
	D_QUEUE, D_AGENT, D_THRESHOLD, D_N
};
static const char *const direct_table[D_N] = {"metric_queue_interval", "metric_agent_interval",
"metric_queue_threshold"};
static const int direct_natts[D_N] = {4 + Q_N + 1, 3 + A_N, 5 + T_N};
static const char *const direct_key[D_N][5] = {
	{"interval_start", "queue_kind", "queue_id", "channel", NULL},
	{"interval_start", "agent_id", "channel", NULL, NULL},
	{"interval_start", "queue_kind", "queue_id", "channel", "threshold_s"},
};
/* their types, as direct_put() forms the values (a domain or enum of a DBA's: the statement's) */
static const Oid direct_key_type[D_N][5] = {
	{TIMESTAMPTZOID, TEXTOID, UUIDOID, TEXTOID, InvalidOid},
	{TIMESTAMPTZOID, UUIDOID, TEXTOID, InvalidOid, InvalidOid},
	{TIMESTAMPTZOID, TEXTOID, UUIDOID, TEXTOID, INT4OID},
};

/*
 * Open an interval table for its new rows (metric_rollup_delta_write()):
 * NULL when they must go through the statement instead, i.e. when the table
 * cannot be written directly or is not shaped as the statement writes it
 * (cl_direct_table_open(): its key's columns, of the types direct_put()
 * forms, then the measures as integer or bigint, queued_time_max among
 * them, in the order of v).
 */
static CLDirectTable *
direct_open(int which)
{
	Oid			types[4 + Q_N + 1];
	const char *names[4 + Q_N + 1];

	StaticAssertStmt(3 + A_N <= 4 + Q_N + 1 && 5 + T_N <= 4 + Q_N + 1, "direct_open(): arrays too small");
	for (int i = 0; i < direct_natts[which]; i++)
	{
		names[i] = i < 5 ? direct_key[which][i] : NULL;
		types[i] = names[i] != NULL ? direct_key_type[which][i] : InvalidOid;
	}
	return cl_direct_table_open(direct_table[which], direct_natts[which], types, names);
}

/* A measure as its column's type (integer or bigint), failing as the statement's cast fails */
static Datum
direct_measure(Form_pg_attribute a, int64 v)
{
	if (a->atttypid == INT8OID)
		return Int64GetDatum(v);
	if (v < PG_INT32_MIN || v > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("integer out of range"),
				 errdetail("The sum of column \"%s\" is %lld.", NameStr(a->attname), (long long) v)));
	return Int32GetDatum((int32) v);
}

/*
 * A new interval row written into its table (queue, agent or threshold,
 * the statement's column order): true, or false when it goes out as a row.
 */
static bool
direct_put(MROut *out, int which, const MRGroup *g, int threshold, int nv, const int64 *v)
{
	CLDirectTable *t = out->direct[which];
	TupleDesc	d;
	Datum		values[4 + Q_N + 1];
	bool		nulls[4 + Q_N + 1];
	const MRContact *k = g->key;
	int			c = 0;

	if (t == NULL)
		return false;
	d = cl_direct_table_desc(t);
	memset(nulls, false, sizeof(nulls));
	values[c++] = TimestampTzGetDatum(g->interval);
	if (which == D_AGENT)
	{
		values[c] = UUIDPGetDatum(unconstify(pg_uuid_t *, &k->agent_id));
		nulls[c++] = k->agent_id_null;
	}
	else
	{
		values[c] = k->queue_kind ? CStringGetTextDatum(k->queue_kind) : (Datum) 0;
		nulls[c++] = (k->queue_kind == NULL);
		values[c] = UUIDPGetDatum(unconstify(pg_uuid_t *, &k->queue_id));
		nulls[c++] = k->queue_id_null;
	}
	values[c] = k->channel ? CStringGetTextDatum(k->channel) : (Datum) 0;
	nulls[c++] = (k->channel == NULL);
	if (which == D_THRESHOLD)
		values[c++] = Int32GetDatum(threshold);
	for (int i = 0; i < nv; i++)
	{
		if (which == D_QUEUE && i == Q_HANDLE_TIME)
		{
			/* queued_time_max, between the abandon and handle time sums */
			values[c] = Int32GetDatum(g->max);
			nulls[c++] = g->max_null;
		}
		values[c] = direct_measure(TupleDescAttr(d, c), v[i]);
		c++;
	}
	Assert(c == d->natts);
	cl_direct_table_put(t, values, nulls);
	out->written++;
	return true;
}

static void
emit(MROut *out, const char *kind, const MRGroup *g, bool agent, bool by_day, int threshold, int nv,
	 const int64 *v)
{
	Datum		values[O_NCOLS];
	bool		nulls[O_NCOLS];
	const MRContact *k = g->key;

	memset(nulls, true, sizeof(nulls));
	values[O_KIND] = CStringGetTextDatum(kind);
	nulls[O_KIND] = false;
	if (by_day)
	{
		values[O_DAY] = DateADTGetDatum(g->day);
		nulls[O_DAY] = false;
	}
	else
	{
		values[O_INTERVAL] = TimestampTzGetDatum(g->interval);
		nulls[O_INTERVAL] = false;
	}
	if (agent)
	{
		values[O_AGENT_ID] = UUIDPGetDatum(unconstify(pg_uuid_t *, &k->agent_id));
		nulls[O_AGENT_ID] = k->agent_id_null;
	}
	else
	{
		values[O_QUEUE_KIND] = k->queue_kind ? CStringGetTextDatum(k->queue_kind) : (Datum) 0;
		nulls[O_QUEUE_KIND] = (k->queue_kind == NULL);
		values[O_QUEUE_ID] = UUIDPGetDatum(unconstify(pg_uuid_t *, &k->queue_id));
		nulls[O_QUEUE_ID] = k->queue_id_null;
	}
	values[O_CHANNEL] = k->channel ? CStringGetTextDatum(k->channel) : (Datum) 0;
	nulls[O_CHANNEL] = (k->channel == NULL);
	if (threshold > 0)
	{
		values[O_THRESHOLD] = Int32GetDatum(threshold);
		nulls[O_THRESHOLD] = false;
	}
	if (!agent && threshold == 0)
	{
		values[O_QUEUED_TIME_MAX] = Int32GetDatum(g->max);
		nulls[O_QUEUED_TIME_MAX] = g->max_null;
	}
	for (int i = 0; i < nv; i++)
		out->vbuf[i] = Int64GetDatum(v[i]);
	values[O_V] = PointerGetDatum(construct_array(out->vbuf, nv, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	nulls[O_V] = false;
	tuplestore_putvalues(out->store, out->desc, values, nulls);
}

/* The local day of an interval (interval_start AT TIME ZONE tz)::date, the last one asked remembered */
static DateADT
local_day(TimestampTz interval, Datum tz, TimestampTz *last_interval, DateADT *last_day)
{
	if (*last_interval != interval)
	{
		Datum		local = DirectFunctionCall2(timestamptz_zone, tz, TimestampTzGetDatum(interval));

		*last_day = DatumGetDateADT(DirectFunctionCall1(timestamp_date, local));
		*last_interval = interval;
	}
	return *last_day;
}

/* ---------- the rollup rows that exist ---------- */

/*
 * The groups of metric_queue_interval and metric_agent_interval in the
 * intervals of the rows, as the calling statement's snapshot has them
 * (read-only SPI: never what the statement itself writes).  The intervals
 * are locked (metric_lock_intervals()), so no other session adds or removes
 * one meanwhile: a group not there is new, its rows plainly inserted; and
 * a queue group with queued contacts has its "within X" rows (a group has a
 * row for every threshold or none).
 */
typedef struct MRKept
{
	int			n;
	MRContact  *keys;			/* dimensions only; FLAG(k, C_QUEUED): has queued contacts */
	MRContact **order;
} MRKept;

static void
read_kept(MRKept *kept, const char *sql, int nargs, Oid *argtypes, Datum *args, bool agent)
{
	MemoryContext outer = CurrentMemoryContext;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "metric_rollup_delta_rows: SPI_connect failed");
	rc = SPI_execute_with_args(sql, nargs, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "metric_rollup_delta_rows: reading the rollups failed: %s", SPI_result_code_string(rc));
	MemoryContextSwitchTo(outer);
	kept->n = (int) SPI_processed;
	kept->keys = palloc0(sizeof(MRContact) * (kept->n + 1));
	kept->order = palloc(sizeof(MRContact *) * (kept->n + 1));
	for (int i = 0; i < kept->n; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		MRContact  *k = &kept->keys[i];
		bool		isnull;
		Datum		v;

		k->interval = DatumGetTimestampTz(SPI_getbinval(t, d, 1, &isnull));
		if (agent)
		{
			v = SPI_getbinval(t, d, 2, &k->agent_id_null);
			if (!k->agent_id_null)
				k->agent_id = *DatumGetUUIDP(v);
			v = SPI_getbinval(t, d, 3, &isnull);
			k->channel = isnull ? NULL : TextDatumGetCString(v);
		}
		else
		{
			v = SPI_getbinval(t, d, 2, &isnull);
			k->queue_kind = isnull ? NULL : TextDatumGetCString(v);
			v = SPI_getbinval(t, d, 3, &k->queue_id_null);
			if (!k->queue_id_null)
				k->queue_id = *DatumGetUUIDP(v);
			v = SPI_getbinval(t, d, 4, &isnull);
			k->channel = isnull ? NULL : TextDatumGetCString(v);
			v = SPI_getbinval(t, d, 5, &isnull);
			FLAG(k, C_QUEUED) = !isnull && DatumGetBool(v);
		}
		kept->order[i] = k;
	}
	SPI_finish();
	MemoryContextSwitchTo(outer);
	qsort(kept->order, kept->n, sizeof(MRContact *), agent ? cmp_agent_key : cmp_queue_key);
}

/* The kept group of key, or NULL */
static const MRContact *
find_kept(const MRKept *kept, const MRContact *key, bool agent)
{
	MRContact **found = bsearch(&key, kept->order, kept->n, sizeof(MRContact *),
								agent ? cmp_agent_key : cmp_queue_key);

	return found ? *found : NULL;
}

/* ---------- the pass ---------- */

/* A queue group's measures (metric_queue_interval_live), a contact added in */
static void
add_queue(int64 *v, MRGroup *g, const MRContact *c)
{
	int64		s = c->sign;
	bool		handled = FLAG(c, C_HANDLED);
	const char *m = c->method;
	const char *r = c->reason;

	v[Q_CONTACTS] += s;
	v[Q_QUEUED] += FLAG(c, C_QUEUED) ? s : 0;
	v[Q_HANDLED] += handled ? s : 0;
	v[Q_HANDLED_INCOMING] += (handled && c->incoming) ? s : 0;
	v[Q_HANDLED_OUTBOUND] += (handled && m && strcmp(m, "OUTBOUND") == 0) ? s : 0;
	v[Q_HANDLED_CALLBACK] += (handled && m && strcmp(m, "CALLBACK") == 0) ? s : 0;
	v[Q_HANDLED_API] += (handled && m && strcmp(m, "API") == 0) ? s : 0;
	v[Q_AGENT_HUNG_UP_FIRST] += (handled && r && strcmp(r, "AGENT_DISCONNECT") == 0) ? s : 0;
	v[Q_TRANSFERRED_IN] += (m && strcmp(m, "TRANSFER") == 0) ? s : 0;
	v[Q_TRANSFERRED_IN_FROM_QUEUE] += (m && strcmp(m, "QUEUE_TRANSFER") == 0) ? s : 0;
	v[Q_ANSWERED] += FLAG(c, C_ANSWERED) ? s : 0;
	v[Q_ABANDONED] += FLAG(c, C_ABANDONED) ? s : 0;
	v[Q_ABANDONED_CUSTOMER_DISCONNECT] += (FLAG(c, C_ABANDONED) && r && strcmp(r, "CUSTOMER_DISCONNECT") == 0) ? s : 0;
	v[Q_CALLBACKS_REQUESTED] += FLAG(c, C_CALLBACK_REQUESTED) ? s : 0;
	v[Q_XFER_OUT_QUEUE] += FLAG(c, C_XFER_OUT_QUEUE) ? s : 0;
	v[Q_XFER_OUT_INTERNAL] += FLAG(c, C_XFER_OUT_INTERNAL) ? s : 0;
	v[Q_XFER_OUT_EXTERNAL] += FLAG(c, C_XFER_OUT_EXTERNAL) ? s : 0;
	v[Q_XFER_OUT_AGENT] += FLAG(c, C_XFER_OUT_AGENT) ? s : 0;
	v[Q_PUT_ON_HOLD] += FLAG(c, C_HELD) ? s : 0;
	v[Q_QUEUE_ANSWER_TIME] += FLAG(c, C_ANSWERED) ? s * TIME(c, C_QUEUE_TIME) : 0;
	v[Q_ABANDON_TIME] += FLAG(c, C_ABANDONED) ? s * TIME(c, C_QUEUE_TIME) : 0;
	v[Q_HANDLE_TIME] += s * TIME(c, C_HANDLE_TIME);
	v[Q_INTERACTION_TIME] += s * TIME(c, C_INTERACTION_TIME);
	v[Q_HOLD_TIME] += s * TIME(c, C_HOLD_TIME);
	v[Q_ACW_TIME] += s * TIME(c, C_ACW_TIME);
	v[Q_CONTACT_DURATION] += s * TIME(c, C_CONTACT_DURATION);
	v[Q_RESOLUTION_TIME] += s * TIME(c, C_RESOLUTION_TIME);
	/* the longest queue time of the rows added (one taken out: read again by the caller) */
	if (FLAG(c, C_QUEUED) && s > 0 && !TIME_NULL(c, C_QUEUE_TIME) &&
		(g->max_null || TIME(c, C_QUEUE_TIME) > g->max))
	{
		g->max = (int32) TIME(c, C_QUEUE_TIME);
		g->max_null = false;
	}
}

/* An agent group's measures (metric_agent_interval_live), a contact added in */
static void
add_agent(int64 *v, const MRContact *c)
{
	int64		s = c->sign;
	bool		handled = FLAG(c, C_HANDLED);
	const char *m = c->method;
	const char *r = c->reason;

	v[A_CONTACTS] += s;
	v[A_HANDLED] += handled ? s : 0;
	v[A_HANDLED_INCOMING] += (handled && c->incoming) ? s : 0;
	v[A_HANDLED_OUTBOUND] += (handled && m && strcmp(m, "OUTBOUND") == 0) ? s : 0;
	v[A_HANDLED_CALLBACK] += (handled && m && strcmp(m, "CALLBACK") == 0) ? s : 0;
	v[A_HANDLED_API] += (handled && m && strcmp(m, "API") == 0) ? s : 0;
	v[A_AGENT_HUNG_UP_FIRST] += (handled && r && strcmp(r, "AGENT_DISCONNECT") == 0) ? s : 0;
	v[A_ANSWERED] += FLAG(c, C_ANSWERED) ? s : 0;
	v[A_XFER_OUT_INTERNAL] += FLAG(c, C_XFER_OUT_INTERNAL) ? s : 0;
	v[A_XFER_OUT_EXTERNAL] += FLAG(c, C_XFER_OUT_EXTERNAL) ? s : 0;
	v[A_XFER_OUT_AGENT] += FLAG(c, C_XFER_OUT_AGENT) ? s : 0;
	v[A_PUT_ON_HOLD] += FLAG(c, C_HELD) ? s : 0;
	v[A_QUEUE_ANSWER_TIME] += FLAG(c, C_ANSWERED) ? s * TIME(c, C_QUEUE_TIME) : 0;
	v[A_HANDLE_TIME] += s * TIME(c, C_HANDLE_TIME);
	v[A_INTERACTION_TIME] += s * TIME(c, C_INTERACTION_TIME);
	v[A_HOLD_TIME] += s * TIME(c, C_HOLD_TIME);
	v[A_ACW_TIME] += s * TIME(c, C_ACW_TIME);
}

/*
 * A threshold group's counts (metric_queue_threshold_live), a queued contact
 * added in: for each threshold X (ascending), below X when its queue time is
 * (a NULL one is below none), at X when equal.  v: T_N counts per threshold.
 */
static void
add_threshold(int64 *v, const MRContact *c, const int32 *ths, int n)
{
	int64		s = c->sign;
	int64		qt = TIME(c, C_QUEUE_TIME);
	bool		what[3] = {FLAG(c, C_ANSWERED), FLAG(c, C_ABANDONED), c->removed};

	if (TIME_NULL(c, C_QUEUE_TIME))
		return;
	for (int i = 0; i < n; i++)
	{
		int64	   *t = &v[i * T_N];

		for (int w = 0; w < 3; w++)
		{
			if (!what[w])
				continue;
			if (qt < ths[i])
				t[2 * w] += s;
			else if (qt == ths[i])
				t[2 * w + 1] += s;
		}
	}
}

static Datum delta_rows(FunctionCallInfo fcinfo, bool write);

Datum
metric_rollup_delta_rows(PG_FUNCTION_ARGS)
{
	return delta_rows(fcinfo, false);
}

/*
 * metric_rollup_delta_write(before, after, thresholds, time_zone): the same
 * rows, but those of interval rows the tables do not have yet (queue_new,
 * agent_new, threshold_new) written into their tables directly, as COPY
 * writes (cl_direct_table_begin()), instead of returned for the statement's
 * plain INSERTs: only in READ COMMITTED (where metric_rollup_delta() inserts
 * them plainly too) and where a table can be written so; else they are
 * returned as by metric_rollup_delta_rows().  The caller holds the
 * intervals' locks (metric_lock_intervals()), so that no other session adds
 * those rows meanwhile; a row another session did add fails as the plain
 * INSERT fails (a duplicate key).
 */
Datum
metric_rollup_delta_write(PG_FUNCTION_ARGS)
{
	return delta_rows(fcinfo, true);
}

static Datum
delta_rows(FunctionCallInfo fcinfo, bool write)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *before = PG_ARGISNULL(0) ? NULL : PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *after = PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *tharr = PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2);
	Datum		tz;
	MRRules		rules;
	MROut		out;
	Oid			types1[1] = {TEXTOID};
	Oid			types4[4] = {BOOLOID, BOOLOID, BOOLOID, BOOLOID};
	int			ncap;
	int			n = 0;
	MRContact  *contacts;
	MRContact **order;
	MRGroup    *qgroups;
	int			nq = 0;
	MRGroup    *tgroups;
	int			nt = 0;
	int			nth = 0;
	int32	   *ths = NULL;
	TimestampTz last_interval = DT_NOBEGIN;
	DateADT		last_day = 0;
	MRKept		qkept;
	MRKept		akept;
	Datum	   *ivs;
	int			niv = 0;
	Datum		ivarr;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("metric_rollup_delta_rows: the time zone is NULL")));
	tz = PG_GETARG_DATUM(3);
	InitMaterializedSRF(fcinfo, 0);
	out.store = rsinfo->setResult;
	out.desc = rsinfo->setDesc;
	if (out.desc->natts != O_NCOLS)
		elog(ERROR, "metric_rollup_delta_rows: %d result columns, expected %d", out.desc->natts, O_NCOLS);

	/* the thresholds, ascending and distinct (metric_thresholds()) */
	if (tharr)
	{
		Datum	   *d;
		bool	   *dn;
		int			nd;

		deconstruct_array(tharr, INT4OID, 4, true, TYPALIGN_INT, &d, &dn, &nd);
		ths = palloc(sizeof(int32) * (nd + 1));
		for (int i = 0; i < nd; i++)
		{
			if (dn[i] || (nth > 0 && DatumGetInt32(d[i]) <= ths[nth - 1]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("metric_rollup_delta_rows: the thresholds must be ascending, distinct and not NULL")));
			ths[nth++] = DatumGetInt32(d[i]);
		}
	}
	out.nthresholds = nth;
	out.thresholds = ths;
	memset(out.direct, 0, sizeof(out.direct));
	out.written = 0;

	memset(&rules, 0, sizeof(rules));
	memset(rules.removed_by, -1, sizeof(rules.removed_by));
	fmgr_info(rule_oid("metric_incoming", 1, types1), &rules.incoming);
	fmgr_info(rule_oid("metric_removed", 4, types4), &rules.removed);

	ncap = (before ? ArrayGetNItems(ARR_NDIM(before), ARR_DIMS(before)) : 0) +
		(after ? ArrayGetNItems(ARR_NDIM(after), ARR_DIMS(after)) : 0);
	contacts = palloc_extended(sizeof(MRContact) * (ncap + 1), MCXT_ALLOC_HUGE);
	if (before)
		n = read_rows(before, -1, contacts, n, &rules);
	if (after)
		n = read_rows(after, 1, contacts, n, &rules);
	if (n == 0)
		return (Datum) 0;
	order = palloc(sizeof(MRContact *) * n);

	/* per interval, queue kind, queue and channel: queue rows, and the threshold groups' counts */
	for (int i = 0; i < n; i++)
		order[i] = &contacts[i];
	qsort(order, n, sizeof(MRContact *), cmp_queue_key);
	ivs = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
		if (niv == 0 || order[i]->interval != DatumGetTimestampTz(ivs[niv - 1]))
			ivs[niv++] = TimestampTzGetDatum(order[i]->interval);
	ivarr = PointerGetDatum(construct_array(ivs, niv, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	read_kept(&qkept, "SELECT interval_start, queue_kind, queue_id, channel, contacts_queued > 0 "
			  "FROM " CONNECT_LAKE_SCHEMA ".metric_queue_interval WHERE interval_start = ANY ($1)",
			  1, (Oid[]) {TIMESTAMPTZARRAYOID}, &ivarr, false);
	/* the agents' rows by the key, per interval and agent of the rows (each interval holds every agent's) */
	{
		Datum	   *kiv = palloc(sizeof(Datum) * n);
		Datum	   *kag = palloc(sizeof(Datum) * n);
		int			nk = 0;
		int			na = 0;
		Datum		args[2];

		for (int i = 0; i < n; i++)
			if (!contacts[i].agent_id_null)
				order[na++] = &contacts[i];
		qsort(order, na, sizeof(MRContact *), cmp_agent_key);
		for (int i = 0; i < na; i++)
			if (nk == 0 || order[i]->interval != order[i - 1]->interval ||
				memcmp(order[i]->agent_id.data, order[i - 1]->agent_id.data, UUID_LEN) != 0)
			{
				kiv[nk] = TimestampTzGetDatum(order[i]->interval);
				kag[nk++] = UUIDPGetDatum(&order[i]->agent_id);
			}
		args[0] = PointerGetDatum(construct_array(kiv, nk, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[1] = PointerGetDatum(construct_array(kag, nk, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
		read_kept(&akept, "SELECT r.interval_start, r.agent_id, r.channel "
				  "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) k(i, a) "
				  "CROSS JOIN LATERAL (SELECT r.interval_start, r.agent_id, r.channel "
				  "FROM " CONNECT_LAKE_SCHEMA ".metric_agent_interval r "
				  "WHERE r.interval_start OPERATOR(pg_catalog.=) k.i AND r.agent_id OPERATOR(pg_catalog.=) k.a "
				  "OFFSET 0) r",
				  2, (Oid[]) {TIMESTAMPTZARRAYOID, UUIDARRAYOID}, args, true);
		for (int i = 0; i < n; i++)
			order[i] = &contacts[i];
		qsort(order, n, sizeof(MRContact *), cmp_queue_key);
	}
	/* the new interval rows written directly (see metric_rollup_delta_write()) */
	if (write && XactIsoLevel == XACT_READ_COMMITTED)
		for (int w = 0; w < D_N; w++)
			out.direct[w] = direct_open(w);
	qgroups = palloc0(sizeof(MRGroup) * n);
	tgroups = palloc0(sizeof(MRGroup) * n);
	for (int i = 0; i < n;)
	{
		MRGroup    *g = &qgroups[nq++];
		MRGroup    *t = NULL;
		const MRContact *k = find_kept(&qkept, order[i], false);
		int			j;

		CHECK_FOR_INTERRUPTS();
		g->interval = order[i]->interval;
		g->day = local_day(g->interval, tz, &last_interval, &last_day);
		g->key = order[i];
		g->kept = (k != NULL);
		g->v = palloc0(sizeof(int64) * Q_N);
		g->max_null = true;
		for (j = i; j < n && cmp_queue_key(&order[i], &order[j]) == 0; j++)
		{
			add_queue(g->v, g, order[j]);
			if (FLAG(order[j], C_QUEUED) && nth > 0)
			{
				if (t == NULL)
				{
					t = &tgroups[nt++];
					t->interval = g->interval;
					t->day = g->day;
					t->key = order[i];
					t->kept = (k != NULL && FLAG(k, C_QUEUED));
					t->v = palloc0(sizeof(int64) * T_N * nth);
				}
				add_threshold(t->v, order[j], ths, nth);
			}
		}
		if (g->kept)
			emit(&out, "queue", g, false, false, 0, Q_N, g->v);
		else if (!direct_put(&out, D_QUEUE, g, 0, Q_N, g->v))
			emit(&out, "queue_new", g, false, false, 0, Q_N, g->v);
		i = j;
	}

	/* the same per local day: the interval groups summed (they are in interval order) */
	qsort(qgroups, nq, sizeof(MRGroup), cmp_group_day);
	for (int i = 0; i < nq;)
	{
		MRGroup		d = qgroups[i];
		int64		v[Q_N];
		int			j;

		memcpy(v, qgroups[i].v, sizeof(v));
		for (j = i + 1; j < nq && cmp_group_day(&qgroups[i], &qgroups[j]) == 0; j++)
		{
			for (int k = 0; k < Q_N; k++)
				v[k] += qgroups[j].v[k];
			if (!qgroups[j].max_null && (d.max_null || qgroups[j].max > d.max))
			{
				d.max = qgroups[j].max;
				d.max_null = false;
			}
		}
		emit(&out, "queue_day", &d, false, true, 0, Q_N, v);
		i = j;
	}

	/* per interval, agent and channel (contacts with an agent) */
	{
		int			na = 0;

		for (int i = 0; i < n; i++)
			if (!contacts[i].agent_id_null)
				order[na++] = &contacts[i];
		qsort(order, na, sizeof(MRContact *), cmp_agent_key);
		for (int i = 0; i < na;)
		{
			MRGroup		g;
			int64		v[A_N];
			int			j;

			CHECK_FOR_INTERRUPTS();
			memset(&g, 0, sizeof(g));
			memset(v, 0, sizeof(v));
			g.interval = order[i]->interval;
			g.key = order[i];
			g.kept = (find_kept(&akept, order[i], true) != NULL);
			for (j = i; j < na && cmp_agent_key(&order[i], &order[j]) == 0; j++)
				add_agent(v, order[j]);
			if (g.kept)
				emit(&out, "agent", &g, true, false, 0, A_N, v);
			else if (!direct_put(&out, D_AGENT, &g, 0, A_N, v))
				emit(&out, "agent_new", &g, true, false, 0, A_N, v);
			i = j;
		}
	}

	/*
	 * "within X": per threshold (the key's first column), each group in key
	 * order: a new group's row of every threshold, a kept group's rows that
	 * change; then per local day
	 */
	for (int x = 0; x < nth; x++)
		for (int i = 0; i < nt; i++)
		{
			const int64 *v = &tgroups[i].v[x * T_N];
			bool		zero = true;

			for (int k = 0; k < T_N; k++)
				zero = zero && v[k] == 0;
			if (!tgroups[i].kept)
			{
				if (!direct_put(&out, D_THRESHOLD, &tgroups[i], ths[x], T_N, v))
					emit(&out, "threshold_new", &tgroups[i], false, false, ths[x], T_N, v);
			}
			else if (!zero)
				emit(&out, "threshold", &tgroups[i], false, false, ths[x], T_N, v);
		}
	qsort(tgroups, nt, sizeof(MRGroup), cmp_group_day);
	{
		MRGroup    *days = palloc(sizeof(MRGroup) * (nt + 1));
		int			nd = 0;

		for (int i = 0; i < nt;)
		{
			MRGroup    *d = &days[nd++];
			int			j;

			*d = tgroups[i];
			d->v = palloc(sizeof(int64) * T_N * nth);
			memcpy(d->v, tgroups[i].v, sizeof(int64) * T_N * nth);
			for (j = i + 1; j < nt && cmp_group_day(&tgroups[i], &tgroups[j]) == 0; j++)
				for (int k = 0; k < T_N * nth; k++)
					d->v[k] += tgroups[j].v[k];
			i = j;
		}
		for (int x = 0; x < nth; x++)
			for (int i = 0; i < nd; i++)
				emit(&out, "threshold_day", &days[i], false, true, ths[x], T_N, &days[i].v[x * T_N]);
	}
	for (int w = 0; w < D_N; w++)
		if (out.direct[w])
			(void) cl_direct_table_end(out.direct[w]);
	return (Datum) 0;
}
