/*
 * agent_activity.c: the agent activity rows of agent_activity_apply()
 * (91_agent_activity.sql) in one pass over each agent's events.
 *
 * connect_lake.agent_activity_time(agentarns, from_ts, to_ts) gives what
 * the SQL pipeline agent_timeline_segments() -> segments online or in
 * error -> pieces split at the 15-minute UTC boundaries computes, summed
 * per interval, agent, dimensions and status: the same rules, row for row
 * (test/sql/agent_activity.sql compares the two), without the window
 * functions, the per-row JSON path tests and the sorts of the SQL form.
 * connect_lake.agent_activity_rows() makes of the same pass the rows the
 * two rollups hold (per agent and dimensions with the offers of
 * agent_offers() summed in; per agent and status), sorted in their keys'
 * order: agent_activity_apply() inserts them as they come.
 *
 * Per agent (agent_ranges() gives the range and the events to read), the
 * events are read by the key (agentarn, eventtimestamp, eventid) in that
 * order, with each event's state columns worked out by the same SQL
 * expressions as agent_timeline_segments() (the snapshot's
 * AgentStatus.Type read from its column agentstatus_type, which the writer
 * fills from the snapshot: the snapshot itself, TOASTed, is never read);
 * duplicates of an eventid keep their earliest row.  Each event's segment
 * runs to the next event in the state of the latest state event (snapshot
 * or LOGOUT) at or before it.  A state's dimension ids are agent_arn_id()
 * and agent_hierarchy_id() in C, worked out again only when they differ
 * from the state before, and its flags (agent_segment_flags()) come from
 * the same JSON path tests, made only when its contacts differ from the
 * state before.  Pieces come in time order, so the sums of an interval are
 * complete when the next interval starts.  agent_offers() is asked only
 * for the agents with an event from the range on in which a contact is
 * CONNECTING or INCOMING (its own test of the events it reads).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

#include "connect_lake.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(agent_activity_time);
PG_FUNCTION_INFO_V1(agent_activity_rows);
PG_FUNCTION_INFO_V1(agent_activity_write);

#define AA_INTERVAL_US INT64CONST(900000000)	/* 15 minutes */
#define AA_GAP_MS INT64CONST(300000)

#define NDIMS 6					/* routing profile, hierarchy levels 1-5 */

/* Output columns */
enum
{
	O_INTERVAL, O_AGENTARN, O_AGENT_ID, O_DIMS,
	O_STATUS_NAME = O_DIMS + NDIMS, O_STATUS_TYPE,
	O_ONLINE, O_NON_PRODUCTIVE, O_CONTACT, O_IDLE, O_ERROR, O_GAP_MS, O_GAPS,
	O_NCOLS
};

/*
 * Output columns of agent_activity_rows(): the rows as the two tables hold
 * them (kind 'activity' with the offers of agent_offers() summed in, kind
 * 'status'), each kind in the order of its table's key, which makes the
 * inserts of agent_activity_apply() append to the key's index.
 */
enum
{
	R_KIND, R_INTERVAL, R_AGENTARN, R_AGENT_ID, R_DIMS,
	R_STATUS_NAME = R_DIMS + NDIMS, R_STATUS_TYPE,
	R_ONLINE, R_NON_PRODUCTIVE, R_CONTACT, R_IDLE, R_ERROR, R_GAP_MS, R_GAPS,
	R_OFFERS, R_OFFERS_CONNECTED, R_OFFERS_MISSED, R_OFFERS_NOT_CONNECTED,
	R_CONNECTING_MS_SUM, R_CONNECTING_COUNT,
	R_NCOLS
};

#define NOFFERS 6

/*
 * agent_activity_rows() emits its rows, sorted, whenever this many are held
 * (after an agent): about 65 MB; a weekday of 735 agents makes 90,000.  A
 * rebuild of all history emits sorted runs.
 */
#define AA_CHUNK_ROWS 250000

/* A row of agent_activity_rows() */
typedef struct AARow
{
	bool		status;			/* agent_status_interval, else agent_activity_interval */
	TimestampTz interval;
	int			agent;			/* position in the agents read, in name order */
	bool		agent_id_null;
	pg_uuid_t	agent_id;
	bool		dim_null[NDIMS];	/* activity */
	pg_uuid_t	dim[NDIMS];
	const char *name;			/* status */
	const char *type;
	int64		sums[7];		/* online, non-productive, contact, idle, error, gap ms, gaps */
	int64		offers[NOFFERS];
} AARow;

/* The state in force: its columns and what follows from them */
typedef struct AAState
{
	bool		set;			/* a state event came (else offline) */
	char	   *name;			/* NULL: none */
	char	   *type;
	char	   *rp;
	Jsonb	   *hg;
	Jsonb	   *contacts;
	bool		dim_null[NDIMS];
	pg_uuid_t	dim[NDIMS];
	bool		online,
				non_productive,
				on_contact,
				idle,
				error;
} AAState;

/* One interval's sums for a combination of agent id, dimensions and status */
typedef struct AAGroup
{
	bool		agent_id_null;
	pg_uuid_t	agent_id;
	bool		dim_null[NDIMS];
	pg_uuid_t	dim[NDIMS];
	char	   *name;
	char	   *type;
	int64		online,
				non_productive,
				contact,
				idle,
				error,
				gap_ms,
				gaps;
} AAGroup;

typedef struct AAEvent
{
	int			row;
	char	   *eventid;
} AAEvent;

/* JSON path tests of agent_segment_flags(), and the ringing test of agent_offers() */
static Datum path_on_contact,
			path_not_error,
			path_error,
			path_ringing,
			empty_vars;

static int64
aa_ms(TimestampTz ts)
{
	/* connect_lake.agent_ms(): milliseconds since the Unix epoch, rounded down */
	int64		us = ts + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;

	return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

static TimestampTz
aa_interval(TimestampTz ts)
{
	/* connect_lake.metric_interval(): date_bin('15 minutes', ts, '2000-01-01 00:00+00') as PostgreSQL 15 does it */
	int64		delta = ts - ts % AA_INTERVAL_US;

	if (0 > ts)
		delta -= AA_INTERVAL_US;
	return delta;
}

static bool
path_exists(Datum contacts, Datum path)
{
	LOCAL_FCINFO(fcinfo, 4);
	Datum		r;

	InitFunctionCallInfoData(*fcinfo, NULL, 4, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = contacts;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = path;
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = empty_vars;
	fcinfo->args[2].isnull = false;
	fcinfo->args[3].value = BoolGetDatum(false);
	fcinfo->args[3].isnull = false;
	r = jsonb_path_exists(fcinfo);
	return !fcinfo->isnull && DatumGetBool(r);	/* coalesce(..., false) */
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
jsonb_same(Jsonb *a, Jsonb *b)
{
	return a == b || (VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0);
}

static char *
col_text(HeapTuple tup, TupleDesc desc, int col, MemoryContext cxt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (isnull)
		return NULL;
	return MemoryContextStrdup(cxt, TextDatumGetCString(d));
}

/*
 * A jsonb column of an agent's event, detoasted and copied into cxt; the
 * value of the event before (*val) again when the stored bytes (*raw: the
 * datum as read, perhaps compressed) are the same: an agent's hierarchy groups and
 * contacts, compressed inline in the wide rows of agent_events, seldom
 * change from one event to the next, and were decompressed at every event
 * (5% of agent_activity_rows()'s CPU).  Equal bytes are an equal value
 * (decompression is a function of them); unequal bytes are read as usual.
 * *raw points into the agent's SPI tuples, which live until its last event.
 */
static Jsonb *
col_jsonb_again(HeapTuple tup, TupleDesc desc, int col, MemoryContext cxt, struct varlena **raw,
				Jsonb **val)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	struct varlena *v;
	Jsonb	   *j;
	MemoryContext oldcxt;

	if (isnull)
		return NULL;
	v = (struct varlena *) DatumGetPointer(d);
	if (*raw != NULL && VARSIZE_ANY(v) == VARSIZE_ANY(*raw) && memcmp(v, *raw, VARSIZE_ANY(v)) == 0)
		return *val;
	oldcxt = MemoryContextSwitchTo(cxt);
	j = DatumGetJsonbP(d);
	MemoryContextSwitchTo(oldcxt);
	if ((Pointer) j == (Pointer) v)
	{
		/* neither compressed nor short: copied out of the SPI tuple */
		Jsonb	   *copy = MemoryContextAlloc(cxt, VARSIZE(j));

		memcpy(copy, j, VARSIZE(j));
		j = copy;
	}
	*raw = v;
	*val = j;
	return j;
}

static int
event_cmp(const void *pa, const void *pb)
{
	const AAEvent *a = pa;
	const AAEvent *b = pb;
	int			c = strcmp(a->eventid, b->eventid);

	if (c != 0)
		return c;
	return a->row < b->row ? -1 : a->row > b->row;
}

/*
 * connect_lake.agent_arn_id(arn): the ARN's last path segment as a uuid
 * when it is one (8-4-4-4-12 hex digits, either case); else NULL.
 */
static bool
arn_id(const char *arn, int len, pg_uuid_t *id)
{
	const char *seg = arn;
	int			i;
	char		buf[37];

	for (i = 0; i < len; i++)
		if (arn[i] == '/')
			seg = arn + i + 1;
	if (arn + len - seg != 36)
		return false;
	for (i = 0; i < 36; i++)
	{
		char		c = seg[i];

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (c != '-')
				return false;
		}
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	memcpy(buf, seg, 36);
	buf[36] = '\0';
	*id = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(buf)));
	return true;
}

/*
 * connect_lake.agent_hierarchy_id(hierarchygroups, level): the id of
 * hierarchygroups -> 'LevelN' ->> 'ARN'.  Only a string can end in a uuid
 * (the text of a number, true, false or a container cannot), so any other
 * value gives NULL as in SQL.
 */
static bool
hierarchy_id(Jsonb *hg, int level, pg_uuid_t *id)
{
	char		key[8];
	JsonbValue	lv;
	JsonbValue	arn;

	if (hg == NULL || !JB_ROOT_IS_OBJECT(hg) || JB_ROOT_IS_SCALAR(hg))
		return false;
	snprintf(key, sizeof(key), "Level%d", level);
	if (getKeyJsonValueFromContainer(&hg->root, key, strlen(key), &lv) == NULL)
		return false;
	if (lv.type != jbvBinary || !JsonContainerIsObject(lv.val.binary.data))
		return false;
	if (getKeyJsonValueFromContainer(lv.val.binary.data, "ARN", 3, &arn) == NULL ||
		arn.type != jbvString)
		return false;
	return arn_id(arn.val.string.val, arn.val.string.len, id);
}

/* The state's dimension ids: routing profile, hierarchy levels 1-5 */
static void
state_dims(AAState *st)
{
	int			i;

	st->dim_null[0] = !arn_id(st->rp ? st->rp : "", st->rp ? strlen(st->rp) : 0, &st->dim[0]);
	for (i = 1; i < NDIMS; i++)
		st->dim_null[i] = !hierarchy_id(st->hg, i, &st->dim[i]);
}

/* The state's flags: connect_lake.agent_segment_flags(status_type, contacts) */
static void
state_flags(AAState *st)
{
	bool		routable = strcmp(st->type, "ROUTABLE") == 0;
	bool		any = false;

	if (st->contacts != NULL)
	{
		/* contacts <> '[]': an array (the SQL makes it one) with elements */
		any = !(JB_ROOT_IS_ARRAY(st->contacts) && JB_ROOT_COUNT(st->contacts) == 0);
	}
	st->online = strcmp(st->type, "OFFLINE") != 0;
	st->non_productive = strcmp(st->type, "CUSTOM") == 0;
	if (!any)
	{
		st->on_contact = false;
		st->idle = routable;
		st->error = false;
		return;
	}
	st->on_contact = routable && path_exists(JsonbPGetDatum(st->contacts), path_on_contact);
	st->idle = routable && !path_exists(JsonbPGetDatum(st->contacts), path_not_error);
	st->error = path_exists(JsonbPGetDatum(st->contacts), path_error);
}

typedef struct AAOut
{
	bool		rows;			/* agent_activity_rows(): the rows as inserted */
	Tuplestorestate *store;
	TupleDesc	desc;
	text	   *agentarn;
	int			agent;
	MemoryContext rowcxt;		/* rows: the rows so far, names kept */
	AARow	   *rowv;
	int			nrows;
	int			rowcap;
	int		   *order;			/* positions in rowv, sorted (sort_rows()) */
	char	  **names;
	int			nnames;
	TimestampTz interval;		/* of the groups open */
	AAGroup    *groups;
	int			ngroups;
	int			cap;
	/* agent_activity_write(): the two tables the rows go into directly */
	CLDirectTable *direct[2];	/* DW_ACTIVITY, DW_STATUS */
	int64		written;		/* activity rows written */
} AAOut;

/*
 * agent_activity_write(): the tables written directly, as COPY writes
 * (cl_direct_table_begin()), with their columns in the order
 * agent_activity_apply()'s INSERTs give them.
 */
enum
{
	DW_ACTIVITY, DW_STATUS, DW_N
};
static const char *const dw_table[DW_N] = {"agent_activity_interval", "agent_status_interval"};

#define DW_ACTIVITY_NATTS 22
#define DW_STATUS_NATTS 6
static const Oid dw_activity_types[DW_ACTIVITY_NATTS] = {
	TIMESTAMPTZOID, TEXTOID, UUIDOID, UUIDOID, UUIDOID, UUIDOID, UUIDOID, UUIDOID, UUIDOID,
	INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,	/* online .. error ms */
	INT4OID, INT4OID, INT4OID, INT4OID, INT8OID, INT4OID,	/* offers .. connecting_count */
	INT8OID, INT4OID			/* gap_ms, gaps */
};
static const Oid dw_status_types[DW_STATUS_NATTS] = {
	TIMESTAMPTZOID, TEXTOID, UUIDOID, TEXTOID, TEXTOID, INT8OID
};

static bool
same_agent_dims(AAGroup *a, AAGroup *b)
{
	int			i;

	if (a->agent_id_null != b->agent_id_null ||
		(!a->agent_id_null && memcmp(&a->agent_id, &b->agent_id, sizeof(pg_uuid_t)) != 0))
		return false;
	if (memcmp(a->dim_null, b->dim_null, sizeof(a->dim_null)) != 0)
		return false;
	for (i = 0; i < NDIMS; i++)
		if (!a->dim_null[i] && memcmp(&a->dim[i], &b->dim[i], sizeof(pg_uuid_t)) != 0)
			return false;
	return true;
}

static bool
same_agent_status(AAGroup *a, AAGroup *b)
{
	if (a->agent_id_null != b->agent_id_null ||
		(!a->agent_id_null && memcmp(&a->agent_id, &b->agent_id, sizeof(pg_uuid_t)) != 0))
		return false;
	return str_eq(a->name, b->name) && strcmp(a->type, b->type) == 0;
}

/* A status name or type kept for the rows (few distinct: looked up) */
static const char *
keep_name(AAOut *out, const char *name)
{
	int			i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < out->nnames; i++)
		if (strcmp(out->names[i], name) == 0)
			return out->names[i];
	if (out->nnames >= 256)
		return MemoryContextStrdup(out->rowcxt, name);
	if (out->names == NULL)
		out->names = MemoryContextAlloc(out->rowcxt, 256 * sizeof(char *));
	out->names[out->nnames] = MemoryContextStrdup(out->rowcxt, name);
	return out->names[out->nnames++];
}

static AARow *
new_row(AAOut *out)
{
	AARow	   *r;

	if (out->nrows == out->rowcap)
	{
		out->rowcap = out->rowcap ? out->rowcap * 2 : 1024;
		if (out->rowv == NULL)
			out->rowv = MemoryContextAllocHuge(out->rowcxt, out->rowcap * sizeof(AARow));
		else
			out->rowv = repalloc_huge(out->rowv, out->rowcap * sizeof(AARow));
	}
	r = &out->rowv[out->nrows++];
	memset(r, 0, sizeof(AARow));
	return r;
}

/*
 * agent_activity_rows(): one interval's groups summed as the two tables
 * hold them, what agent_activity_apply() summed in SQL before: per agent id
 * and dimensions (every status) the activity row, per agent id and status
 * (every dimension) the status row of the online time, where there is some.
 */
static void
flush_rows(AAOut *out)
{
	int			g,
				h;

	for (g = 0; g < out->ngroups; g++)
	{
		AAGroup    *gr = &out->groups[g];
		AARow	   *r;
		bool		seen = false;

		/* activity: the first group of its agent id and dimensions sums them */
		for (h = 0; h < g && !seen; h++)
			seen = same_agent_dims(&out->groups[h], gr);
		if (seen)
			continue;
		r = new_row(out);
		r->status = false;
		r->interval = out->interval;
		r->agent = out->agent;
		r->agent_id_null = gr->agent_id_null;
		r->agent_id = gr->agent_id;
		memcpy(r->dim_null, gr->dim_null, sizeof(r->dim_null));
		memcpy(r->dim, gr->dim, sizeof(r->dim));
		for (h = g; h < out->ngroups; h++)
		{
			AAGroup    *o = &out->groups[h];

			if (h > g && !same_agent_dims(o, gr))
				continue;
			r->sums[0] += o->online;
			r->sums[1] += o->non_productive;
			r->sums[2] += o->contact;
			r->sums[3] += o->idle;
			r->sums[4] += o->error;
			r->sums[5] += o->gap_ms;
			r->sums[6] += o->gaps;
		}
	}
	for (g = 0; g < out->ngroups; g++)
	{
		AAGroup    *gr = &out->groups[g];
		AARow	   *r;
		int64		online = 0;
		bool		seen = false;

		/* status: the first group of its agent id and status sums them */
		for (h = 0; h < g && !seen; h++)
			seen = same_agent_status(&out->groups[h], gr);
		if (seen)
			continue;
		for (h = g; h < out->ngroups; h++)
			if (same_agent_status(&out->groups[h], gr))
				online += out->groups[h].online;
		if (online <= 0)
			continue;
		r = new_row(out);
		r->status = true;
		r->interval = out->interval;
		r->agent = out->agent;
		r->agent_id_null = gr->agent_id_null;
		r->agent_id = gr->agent_id;
		r->name = keep_name(out, gr->name);
		r->type = keep_name(out, gr->type);
		r->sums[0] = online;
	}
	out->ngroups = 0;
}

static int
uuid_null_cmp(bool an, const pg_uuid_t *a, bool bn, const pg_uuid_t *b)
{
	if (an || bn)
		return an == bn ? 0 : (an ? 1 : -1);	/* NULLS LAST, as the index */
	return memcmp(a, b, sizeof(pg_uuid_t));
}

/*
 * Rows in the order of their table's key (interval, agent, then the
 * dimensions or the status), activity rows first; agent id last (not in
 * the key, but part of what a row is).
 */
static int
row_cmp(const void *pa, const void *pb)
{
	const AARow *a = pa;
	const AARow *b = pb;
	int			c,
				i;

	if (a->status != b->status)
		return a->status ? 1 : -1;
	if (a->interval != b->interval)
		return a->interval < b->interval ? -1 : 1;
	if (a->agent != b->agent)
		return a->agent < b->agent ? -1 : 1;
	if (a->status)
	{
		if (a->name == NULL || b->name == NULL)
		{
			if (a->name != b->name)
				return a->name == NULL ? 1 : -1;
		}
		else if ((c = strcmp(a->name, b->name)) != 0)
			return c;
		if ((c = strcmp(a->type, b->type)) != 0)
			return c;
	}
	else
		for (i = 0; i < NDIMS; i++)
			if ((c = uuid_null_cmp(a->dim_null[i], &a->dim[i], b->dim_null[i], &b->dim[i])) != 0)
				return c;
	return uuid_null_cmp(a->agent_id_null, &a->agent_id, b->agent_id_null, &b->agent_id);
}

/*
 * A row's place in the sort: the leading fields of row_cmp() copied out of
 * the row (about 260 bytes), so that the sort compares small keys in one
 * array instead of reaching into the rows (cache misses: a weekday's 90,000
 * rows are 23 MB); rows equal in these (an agent's rows of one interval)
 * are ordered by row_cmp().
 */
typedef struct AASortKey
{
	TimestampTz interval;
	int			agent;
	int			pos;			/* in rowv */
	bool		status;
} AASortKey;

static int
sort_key_cmp(const void *pa, const void *pb, void *arg)
{
	const AASortKey *a = pa;
	const AASortKey *b = pb;

	if (a->status != b->status)
		return a->status ? 1 : -1;
	if (a->interval != b->interval)
		return a->interval < b->interval ? -1 : 1;
	if (a->agent != b->agent)
		return a->agent < b->agent ? -1 : 1;
	return row_cmp(&((AARow *) arg)[a->pos], &((AARow *) arg)[b->pos]);
}

/* out->order: the rows' positions sorted by row_cmp() (positions, not the rows, move) */
static void
sort_rows(AAOut *out)
{
	AASortKey  *keys;
	int			i;

	if (out->order != NULL)
		pfree(out->order);
	out->order = MemoryContextAllocHuge(out->rowcxt, sizeof(int) * ((Size) out->nrows + 1));
	keys = MemoryContextAllocHuge(out->rowcxt, sizeof(AASortKey) * ((Size) out->nrows + 1));
	for (i = 0; i < out->nrows; i++)
	{
		keys[i].interval = out->rowv[i].interval;
		keys[i].agent = out->rowv[i].agent;
		keys[i].status = out->rowv[i].status;
		keys[i].pos = i;
	}
	qsort_arg(keys, out->nrows, sizeof(AASortKey), sort_key_cmp, out->rowv);
	for (i = 0; i < out->nrows; i++)
		out->order[i] = keys[i].pos;
	pfree(keys);
}

static void
flush_groups(AAOut *out)
{
	int			g;

	if (out->rows)
	{
		flush_rows(out);
		return;
	}
	for (g = 0; g < out->ngroups; g++)
	{
		AAGroup    *gr = &out->groups[g];
		Datum		values[O_NCOLS];
		bool		nulls[O_NCOLS];
		int			i;

		memset(nulls, 0, sizeof(nulls));
		values[O_INTERVAL] = TimestampTzGetDatum(out->interval);
		values[O_AGENTARN] = PointerGetDatum(out->agentarn);
		nulls[O_AGENT_ID] = gr->agent_id_null;
		values[O_AGENT_ID] = UUIDPGetDatum(&gr->agent_id);
		for (i = 0; i < NDIMS; i++)
		{
			nulls[O_DIMS + i] = gr->dim_null[i];
			values[O_DIMS + i] = UUIDPGetDatum(&gr->dim[i]);
		}
		nulls[O_STATUS_NAME] = gr->name == NULL;
		values[O_STATUS_NAME] = gr->name ? CStringGetTextDatum(gr->name) : (Datum) 0;
		values[O_STATUS_TYPE] = CStringGetTextDatum(gr->type);
		values[O_ONLINE] = Int64GetDatum(gr->online);
		values[O_NON_PRODUCTIVE] = Int64GetDatum(gr->non_productive);
		values[O_CONTACT] = Int64GetDatum(gr->contact);
		values[O_IDLE] = Int64GetDatum(gr->idle);
		values[O_ERROR] = Int64GetDatum(gr->error);
		values[O_GAP_MS] = Int64GetDatum(gr->gap_ms);
		values[O_GAPS] = Int64GetDatum(gr->gaps);
		tuplestore_putvalues(out->store, out->desc, values, nulls);
	}
	out->ngroups = 0;
}

static void
add_piece(AAOut *out, TimestampTz interval, bool agent_id_null, pg_uuid_t *agent_id,
		  AAState *st, int64 ms, bool gap, bool starts_here)
{
	AAGroup    *gr = NULL;
	int			g;

	if (out->ngroups > 0 && interval != out->interval)
		flush_groups(out);
	out->interval = interval;
	for (g = 0; g < out->ngroups; g++)
	{
		AAGroup    *c = &out->groups[g];

		if (c->agent_id_null != agent_id_null ||
			(!agent_id_null && memcmp(&c->agent_id, agent_id, sizeof(pg_uuid_t)) != 0))
			continue;
		if (memcmp(c->dim_null, st->dim_null, sizeof(c->dim_null)) != 0)
			continue;
		{
			bool		same = true;
			int			i;

			for (i = 0; i < NDIMS && same; i++)
				if (!c->dim_null[i] && memcmp(&c->dim[i], &st->dim[i], sizeof(pg_uuid_t)) != 0)
					same = false;
			if (!same)
				continue;
		}
		if (!str_eq(c->name, st->name) || strcmp(c->type, st->type) != 0)
			continue;
		gr = c;
		break;
	}
	if (gr == NULL)
	{
		if (out->ngroups == out->cap)
		{
			out->cap *= 2;
			out->groups = repalloc(out->groups, out->cap * sizeof(AAGroup));
		}
		gr = &out->groups[out->ngroups++];
		memset(gr, 0, sizeof(AAGroup));
		gr->agent_id_null = agent_id_null;
		if (!agent_id_null)
			gr->agent_id = *agent_id;
		memcpy(gr->dim_null, st->dim_null, sizeof(gr->dim_null));
		memcpy(gr->dim, st->dim, sizeof(gr->dim));
		gr->name = st->name;
		gr->type = st->type;
	}
	if (st->online)
		gr->online += ms;
	if (st->non_productive)
		gr->non_productive += ms;
	if (st->on_contact)
		gr->contact += ms;
	if (st->idle)
		gr->idle += ms;
	if (st->error)
		gr->error += ms;
	if (gap)
	{
		gr->gap_ms += ms;
		if (starts_here)
			gr->gaps++;
	}
}

/*
 * The offers of the agents in whose events a contact rings (for the others
 * agent_offers() finds none: its events are those tested here), summed per
 * interval, agent id and dimensions, added to the activity rows of the same
 * key or made rows of their own: what agent_activity_apply() did with a
 * UNION ALL and a GROUP BY.
 */
static void
merge_offers(AAOut *out, char **agents, TimestampTz *range_from, TimestampTz *range_to,
			 bool *ring, int nagents, int nring)
{
	Datum	   *ra = MemoryContextAlloc(out->rowcxt, sizeof(Datum) * nring);
	Datum	   *rf = MemoryContextAlloc(out->rowcxt, sizeof(Datum) * nring);
	Datum	   *rt = MemoryContextAlloc(out->rowcxt, sizeof(Datum) * nring);
	int		   *pos = MemoryContextAlloc(out->rowcxt, sizeof(int) * nring);
	Oid			types[3] = {TEXTARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		args[3];
	int			a,
				k = 0,
				nact,
				i,
				j;
	SPITupleTable *tt;
	AARow		key;

	for (a = 0; a < nagents; a++)
		if (ring[a])
		{
			ra[k] = CStringGetTextDatum(agents[a]);
			rf[k] = TimestampTzGetDatum(range_from[a]);
			rt[k] = TimestampTzGetDatum(range_to[a]);
			pos[k++] = a;
		}
	args[0] = PointerGetDatum(construct_array(ra, nring, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(rf, nring, TIMESTAMPTZOID, sizeof(TimestampTz), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	args[2] = PointerGetDatum(construct_array(rt, nring, TIMESTAMPTZOID, sizeof(TimestampTz), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	if (SPI_execute_with_args(
							  "SELECT u.i::integer, connect_lake.metric_interval(o.offered_at), o.agent_id, "
							  "o.routing_profile_id, o.hierarchy_level1_id, o.hierarchy_level2_id, "
							  "o.hierarchy_level3_id, o.hierarchy_level4_id, o.hierarchy_level5_id, "
							  "count(*), count(*) FILTER (WHERE o.connected), count(*) FILTER (WHERE o.missed), "
							  "count(*) FILTER (WHERE NOT o.connected), coalesce(sum(o.connecting_ms), 0)::bigint, "
							  "count(o.connecting_ms) "
							  "FROM connect_lake.agent_offers($1, $2, $3) o "
							  "JOIN unnest($1) WITH ORDINALITY u(a, i) ON u.a = o.agentarn "
							  "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
							  3, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "agent_activity_rows: agent_offers() failed");
	tt = SPI_tuptable;
	if (SPI_processed == 0)
	{
		SPI_freetuptable(tt);
		return;
	}
	sort_rows(out);
	for (nact = 0; nact < out->nrows && !out->rowv[out->order[nact]].status; nact++)
		;
	for (i = 0; i < (int) SPI_processed; i++)
	{
		HeapTuple	tup = tt->vals[i];
		TupleDesc	desc = tt->tupdesc;
		bool		isnull;
		AARow	   *r;
		Datum		d;

		memset(&key, 0, sizeof(key));
		key.status = false;
		key.agent = pos[DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull)) - 1];
		key.interval = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &isnull));
		d = SPI_getbinval(tup, desc, 3, &key.agent_id_null);
		if (!key.agent_id_null)
			key.agent_id = *DatumGetUUIDP(d);
		for (j = 0; j < NDIMS; j++)
		{
			d = SPI_getbinval(tup, desc, 4 + j, &key.dim_null[j]);
			if (!key.dim_null[j])
				key.dim[j] = *DatumGetUUIDP(d);
		}
		{
			int			lo = 0,
						hi = nact;

			r = NULL;
			while (lo < hi)
			{
				int			mid = lo + (hi - lo) / 2;
				int			c = row_cmp(&key, &out->rowv[out->order[mid]]);

				if (c == 0)
				{
					r = &out->rowv[out->order[mid]];
					break;
				}
				if (c < 0)
					hi = mid;
				else
					lo = mid + 1;
			}
		}
		if (r == NULL)
		{
			r = new_row(out);
			*r = key;
		}
		for (j = 0; j < NOFFERS; j++)
			r->offers[j] += DatumGetInt64(SPI_getbinval(tup, desc, 10 + j, &isnull));
	}
	SPI_freetuptable(tt);
}

/*
 * A table of agent_activity_write() opened for its rows: NULL when they must
 * go through agent_activity_apply()'s INSERTs instead, i.e. when the table
 * cannot be written directly or its columns are not those the INSERTs give,
 * by count and type (cl_direct_table_open()).
 */
static CLDirectTable *
direct_open(int which)
{
	if (which == DW_ACTIVITY)
		return cl_direct_table_open(dw_table[which], DW_ACTIVITY_NATTS, dw_activity_types, NULL);
	return cl_direct_table_open(dw_table[which], DW_STATUS_NATTS, dw_status_types, NULL);
}

/* A sum as an integer column, failing as the INSERT's cast from bigint fails */
static Datum
direct_int4(int64 v)
{
	if (v < PG_INT32_MIN || v > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("integer out of range")));
	return Int32GetDatum((int32) v);
}

/*
 * A row written into its table directly (agent_activity_write()), its
 * columns as agent_activity_apply()'s INSERTs give them.  The tuple is
 * formed in the rows' context, which lasts until the tables are ended: a
 * table holds it until its run is written.
 */
static void
direct_put_row(AAOut *out, const AARow *r, Datum arn)
{
	Datum		values[DW_ACTIVITY_NATTS];
	bool		nulls[DW_ACTIVITY_NATTS];
	MemoryContext oldcxt;
	int			c = 0;
	int			j;

	memset(nulls, 0, sizeof(nulls));
	values[c++] = TimestampTzGetDatum(r->interval);
	values[c++] = arn;
	nulls[c] = r->agent_id_null;
	values[c++] = UUIDPGetDatum(unconstify(pg_uuid_t *, &r->agent_id));
	if (r->status)
	{
		nulls[c] = r->name == NULL;
		values[c++] = r->name ? CStringGetTextDatum(r->name) : (Datum) 0;
		nulls[c] = r->type == NULL;
		values[c++] = r->type ? CStringGetTextDatum(r->type) : (Datum) 0;
		values[c++] = Int64GetDatum(r->sums[0]);
		Assert(c == DW_STATUS_NATTS);
	}
	else
	{
		for (j = 0; j < NDIMS; j++)
		{
			nulls[c] = r->dim_null[j];
			values[c++] = UUIDPGetDatum(unconstify(pg_uuid_t *, &r->dim[j]));
		}
		for (j = 0; j < 5; j++)	/* online, non-productive, contact, idle, error ms */
			values[c++] = Int64GetDatum(r->sums[j]);
		for (j = 0; j < 4; j++)	/* offers, connected, missed, not connected */
			values[c++] = direct_int4(r->offers[j]);
		values[c++] = Int64GetDatum(r->offers[4]);	/* connecting_ms_sum */
		values[c++] = direct_int4(r->offers[5]);	/* connecting_count */
		values[c++] = Int64GetDatum(r->sums[5]);	/* gap_ms */
		values[c++] = direct_int4(r->sums[6]);	/* gaps */
		Assert(c == DW_ACTIVITY_NATTS);
		out->written++;
	}
	oldcxt = MemoryContextSwitchTo(out->rowcxt);
	cl_direct_table_put(out->direct[r->status ? DW_STATUS : DW_ACTIVITY], values, nulls);
	MemoryContextSwitchTo(oldcxt);
}

/* The rows into the result, or their tables, in their order */
static void
emit_rows(AAOut *out, char **agents, int nagents)
{
	Datum	   *arns = palloc0(sizeof(Datum) * (nagents + 1));
	Datum		kind_activity = CStringGetTextDatum("activity");
	Datum		kind_status = CStringGetTextDatum("status");
	int			i,
				j;

	for (i = 0; i < out->nrows; i++)
	{
		AARow	   *r = &out->rowv[out->order[i]];
		Datum		values[R_NCOLS];
		bool		nulls[R_NCOLS];

		CHECK_FOR_INTERRUPTS();
		memset(nulls, 0, sizeof(nulls));
		if (arns[r->agent] == (Datum) 0)
			arns[r->agent] = CStringGetTextDatum(agents[r->agent]);
		if (out->direct[DW_ACTIVITY])
		{
			direct_put_row(out, r, arns[r->agent]);
			continue;
		}
		values[R_KIND] = r->status ? kind_status : kind_activity;
		values[R_INTERVAL] = TimestampTzGetDatum(r->interval);
		values[R_AGENTARN] = arns[r->agent];
		nulls[R_AGENT_ID] = r->agent_id_null;
		values[R_AGENT_ID] = UUIDPGetDatum(&r->agent_id);
		for (j = 0; j < NDIMS; j++)
		{
			nulls[R_DIMS + j] = r->status || r->dim_null[j];
			values[R_DIMS + j] = UUIDPGetDatum(&r->dim[j]);
		}
		nulls[R_STATUS_NAME] = r->name == NULL;
		values[R_STATUS_NAME] = r->name ? CStringGetTextDatum(r->name) : (Datum) 0;
		nulls[R_STATUS_TYPE] = r->type == NULL;
		values[R_STATUS_TYPE] = r->type ? CStringGetTextDatum(r->type) : (Datum) 0;
		for (j = 0; j < 7; j++)
			values[R_ONLINE + j] = Int64GetDatum(r->sums[j]);
		for (j = 0; j < NOFFERS; j++)
			values[R_OFFERS + j] = Int64GetDatum(r->offers[j]);
		tuplestore_putvalues(out->store, out->desc, values, nulls);
	}
}

/*
 * The rows held into the result: the offers of the ringing agents summed
 * in, sorted, emitted; then none held.
 */
static void
flush_chunk(AAOut *out, char **agents, TimestampTz *range_from, TimestampTz *range_to,
			bool *ring, int nagents, int nring, MemoryContext callcxt)
{
	MemoryContext emitcxt = AllocSetContextCreate(callcxt, "agent_activity_rows", ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt;

	if (nring > 0)
		merge_offers(out, agents, range_from, range_to, ring, nagents, nring);
	sort_rows(out);
	oldcxt = MemoryContextSwitchTo(emitcxt);
	emit_rows(out, agents, nagents);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(emitcxt);
	out->nrows = 0;
	memset(ring, 0, sizeof(bool) * (nagents + 1));
}

/*
 * The pass of agent_activity_time() (rows false), agent_activity_rows()
 * (rows true) or agent_activity_write() (write: the rows into their tables,
 * both opened by the caller, out->direct[]; no result set).
 */
static void
activity_pass(FunctionCallInfo fcinfo, bool rows, CLDirectTable **write, int64 *written)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext agentcxt;
	SPIPlanPtr	ranges_plan,
				events_plan;
	Oid			ranges_types[3] = {TEXTARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID};
	Oid			events_types[4] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		rargs[3];
	char		rnulls[3];
	int			nagents;
	char	  **agents;
	TimestampTz *range_from,
			   *range_to,
			   *read_from,
			   *read_to;
	AAOut		out;
	int			a;
	bool	   *ring;
	int			nring = 0;

	memset(&out, 0, sizeof(out));
	out.rows = rows;
	out.rowcxt = callcxt;
	if (write)
	{
		Assert(rows);
		out.direct[DW_ACTIVITY] = write[DW_ACTIVITY];
		out.direct[DW_STATUS] = write[DW_STATUS];
	}
	else
	{
		InitMaterializedSRF(fcinfo, 0);
		out.store = rsinfo->setResult;
		out.desc = rsinfo->setDesc;
		if (out.desc->natts != (rows ? R_NCOLS : O_NCOLS))
			elog(ERROR, "agent_activity_time: %d result columns, expected %d", out.desc->natts,
				 rows ? R_NCOLS : O_NCOLS);
	}

	path_on_contact = DirectFunctionCall1(jsonpath_in, CStringGetDatum(
																	   "$[*] ? (@.State == \"CONNECTED\" || @.State == \"CONNECTED_ONHOLD\" || @.State == \"ENDED\" || @.State == \"PAUSED\")"));
	path_not_error = DirectFunctionCall1(jsonpath_in, CStringGetDatum(
																	  "$[*] ? (!(@.State == \"ERROR\" || @.State == \"MISSED\" || @.State == \"REJECTED\"))"));
	path_error = DirectFunctionCall1(jsonpath_in, CStringGetDatum(
																  "$[*] ? (@.State == \"ERROR\" || @.State == \"MISSED\" || @.State == \"REJECTED\")"));
	path_ringing = DirectFunctionCall1(jsonpath_in, CStringGetDatum(
																	"$[*] ? (@.State == \"CONNECTING\" || @.State == \"INCOMING\")"));
	empty_vars = DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));

	SPI_connect();
	ranges_plan = SPI_prepare("SELECT r.agentarn, r.range_from, r.range_to, r.read_from, r.read_to "
							  "FROM connect_lake.agent_ranges($1, $2, $3) r ORDER BY r.agentarn",
							  3, ranges_types);
	/* one plan for every agent (the key and runtime partition pruning) */
	events_plan = SPI_prepare_cursor(
							  "SELECT e.eventid, e.eventtimestamp, e.agent_id, "
							  "(e.eventtype = 'LOGOUT' OR e.current_snapshot IS NOT NULL), "
							  "CASE WHEN e.eventtype <> 'LOGOUT' THEN e.agentstatus_name END, "
	/*
	 * the status type: the snapshot's AgentStatus.Type as the writer put it
	 * in its column (agent_event.c), else by the status name
	 */
							  "CASE WHEN e.eventtype = 'LOGOUT' THEN 'OFFLINE' "
							  "ELSE connect_lake.agent_status_type(e.agentstatus_type, e.agentstatus_name) "
							  "END, "
							  "CASE WHEN e.eventtype <> 'LOGOUT' THEN coalesce(e.routingprofile_arn, '') ELSE '' END, "
							  "CASE WHEN e.eventtype <> 'LOGOUT' THEN coalesce(e.hierarchygroups, 'null') ELSE 'null' END, "
							  "CASE WHEN e.eventtype <> 'LOGOUT' AND jsonb_typeof(e.contacts) = 'array' THEN e.contacts "
							  "ELSE '[]'::jsonb END, "
	/*
	 * whether a contact rings in the event as agent_offers() reads it (its
	 * ent: from the range on, a snapshot, the raw contacts); NULL where
	 * those are the contacts of the column before, which C tests
	 */
							  "CASE WHEN e.eventtimestamp < $4 OR e.current_snapshot IS NULL THEN false "
							  "WHEN e.eventtype <> 'LOGOUT' AND jsonb_typeof(e.contacts) = 'array' THEN NULL "
							  "ELSE coalesce(jsonb_path_exists(e.contacts, "
							  "'$[*] ? (@.State == \"CONNECTING\" || @.State == \"INCOMING\")'), false) END "
							  "FROM connect_lake.agent_events e "
							  "WHERE e.agentarn = $1 AND e.eventtimestamp >= $2 AND e.eventtimestamp <= $3 "
							  "ORDER BY e.eventtimestamp, e.eventid",
							  4, events_types, CURSOR_OPT_GENERIC_PLAN);
	if (ranges_plan == NULL || events_plan == NULL)
		elog(ERROR, "agent_activity_time: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));

	/* Each agent's range and the events to read */
	rargs[0] = PG_GETARG_DATUM(0);
	rnulls[0] = PG_ARGISNULL(0) ? 'n' : ' ';
	rargs[1] = PG_GETARG_DATUM(1);
	rnulls[1] = PG_ARGISNULL(1) ? 'n' : ' ';
	rargs[2] = PG_GETARG_DATUM(2);
	rnulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	if (SPI_execute_plan(ranges_plan, rargs, rnulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "agent_activity_time: agent_ranges() failed");
	nagents = (int) SPI_processed;
	agents = MemoryContextAlloc(callcxt, sizeof(char *) * (nagents + 1));
	range_from = MemoryContextAlloc(callcxt, sizeof(TimestampTz) * (nagents + 1));
	range_to = MemoryContextAlloc(callcxt, sizeof(TimestampTz) * (nagents + 1));
	read_from = MemoryContextAlloc(callcxt, sizeof(TimestampTz) * (nagents + 1));
	read_to = MemoryContextAlloc(callcxt, sizeof(TimestampTz) * (nagents + 1));
	for (a = 0; a < nagents; a++)
	{
		HeapTuple	tup = SPI_tuptable->vals[a];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		agents[a] = col_text(tup, desc, 1, callcxt);
		range_from[a] = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &isnull));
		range_to[a] = DatumGetTimestampTz(SPI_getbinval(tup, desc, 3, &isnull));
		read_from[a] = DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull));
		read_to[a] = DatumGetTimestampTz(SPI_getbinval(tup, desc, 5, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);

	ring = MemoryContextAllocZero(callcxt, sizeof(bool) * (nagents + 1));
	agentcxt = AllocSetContextCreate(callcxt, "agent_activity_time", ALLOCSET_DEFAULT_SIZES);
	out.cap = 16;
	out.groups = MemoryContextAlloc(callcxt, out.cap * sizeof(AAGroup));

	for (a = 0; a < nagents; a++)
	{
		Datum		eargs[4];
		char		enulls[4] = {' ', ' ', ' ', ' '};
		bool		ringing = false;
		Jsonb	   *ring_contacts = NULL;
		bool		ring_known = false;
		SPITupleTable *tt;
		TupleDesc	desc;
		int			n,
					i,
					prev;
		AAEvent    *ev;
		bool	   *dup;
		AAState		st;
		bool		have_dims = false,
					have_flags = false;
		char	   *dims_rp = NULL;
		Jsonb	   *dims_hg = NULL;
		char	   *flags_type = NULL;
		Jsonb	   *flags_contacts = NULL;
		struct varlena *hg_raw = NULL,
				   *contacts_raw = NULL,
				   *ring_raw = NULL;
		Jsonb	   *hg_val = NULL,
				   *contacts_val = NULL,
				   *ring_val = NULL;
		MemoryContext oldcxt;

		CHECK_FOR_INTERRUPTS();
		if (agents[a] == NULL)
			continue;
		MemoryContextReset(agentcxt);
		eargs[0] = CStringGetTextDatum(agents[a]);
		eargs[1] = TimestampTzGetDatum(read_from[a]);
		eargs[2] = TimestampTzGetDatum(read_to[a]);
		eargs[3] = TimestampTzGetDatum(range_from[a]);
		if (SPI_execute_plan(events_plan, eargs, enulls, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "agent_activity_time: reading the agent's events failed");
		tt = SPI_tuptable;
		desc = tt->tupdesc;
		n = (int) SPI_processed;
		if (n == 0)
		{
			SPI_freetuptable(tt);
			continue;
		}
		oldcxt = MemoryContextSwitchTo(agentcxt);
		out.agentarn = cstring_to_text(agents[a]);
		out.agent = a;

		/* De-duplicate on eventid: its earliest row (rows come in time order) */
		ev = palloc(sizeof(AAEvent) * n);
		dup = palloc0(sizeof(bool) * n);
		for (i = 0; i < n; i++)
		{
			ev[i].row = i;
			ev[i].eventid = col_text(tt->vals[i], desc, 1, agentcxt);
		}
		qsort(ev, n, sizeof(AAEvent), event_cmp);
		for (i = 1; i < n; i++)
			if (strcmp(ev[i].eventid, ev[i - 1].eventid) == 0)
				dup[ev[i].row] = true;

		memset(&st, 0, sizeof(st));
		out.ngroups = 0;
		prev = -1;
		for (i = 0; i <= n; i++)
		{
			/* agent_activity_rows(): does a contact ring (every row, duplicates too) */
			if (rows && i < n && !ringing)
			{
				bool		isnull;
				Datum		r = SPI_getbinval(tt->vals[i], desc, 10, &isnull);

				if (!isnull)
					ringing = DatumGetBool(r);
				else
				{
					Jsonb	   *c = col_jsonb_again(tt->vals[i], desc, 9, agentcxt, &ring_raw, &ring_val);

					/* the contacts of the event before give the answer again */
					if (!ring_known || !jsonb_same(ring_contacts, c))
					{
						ringing = !(JB_ROOT_IS_ARRAY(c) && JB_ROOT_COUNT(c) == 0) &&
							path_exists(JsonbPGetDatum(c), path_ringing);
						ring_known = true;
						ring_contacts = c;
					}
				}
			}
			/* the segment of event prev runs from it to event i */
			if (i < n && dup[i])
				continue;
			if (prev >= 0)
			{
				HeapTuple	tup = tt->vals[prev];
				bool		isnull;
				bool		is_state;
				TimestampTz start = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &isnull));

				is_state = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
				if (isnull)
					is_state = false;	/* count(*) FILTER (WHERE NULL) counts nothing */
				if (is_state)
				{
					st.set = true;
					st.name = col_text(tup, desc, 5, agentcxt);
					st.type = col_text(tup, desc, 6, agentcxt);
					st.rp = col_text(tup, desc, 7, agentcxt);
					st.hg = col_jsonb_again(tup, desc, 8, agentcxt, &hg_raw, &hg_val);
					st.contacts = col_jsonb_again(tup, desc, 9, agentcxt, &contacts_raw, &contacts_val);
					if (st.type == NULL)
						st.type = "OFFLINE";	/* not reached: agent_status_type() gives a type */
					if (!have_dims || !str_eq(dims_rp, st.rp) ||
						(dims_hg == NULL) != (st.hg == NULL) ||
						(st.hg != NULL && !jsonb_same(dims_hg, st.hg)))
					{
						state_dims(&st);
						have_dims = true;
						dims_rp = st.rp;
						dims_hg = st.hg;
					}
					if (!have_flags || strcmp(flags_type, st.type) != 0 ||
						(flags_contacts == NULL) != (st.contacts == NULL) ||
						(st.contacts != NULL && !jsonb_same(flags_contacts, st.contacts)))
					{
						state_flags(&st);
						have_flags = true;
						flags_type = st.type;
						flags_contacts = st.contacts;
					}
				}
				/* before any state: offline, no contacts, so neither online nor in error */
				if (st.set && i < n && (st.online || st.error))
				{
					TimestampTz end = DatumGetTimestampTz(SPI_getbinval(tt->vals[i], desc, 2, &isnull));

					if (end > range_from[a] && start < range_to[a])
					{
						bool		id_null;
						Datum		idd = SPI_getbinval(tup, desc, 3, &id_null);
						pg_uuid_t	agent_id;
						bool		gap = st.online && aa_ms(end) - aa_ms(start) > AA_GAP_MS;
						TimestampTz b = aa_interval(Max(start, range_from[a]));
						TimestampTz stop = Min(end, range_to[a]) - 1;

						if (!id_null)
							agent_id = *DatumGetUUIDP(idd);
						else
							memset(&agent_id, 0, sizeof(agent_id));
						for (; b <= stop; b += AA_INTERVAL_US)
						{
							int64		ms = aa_ms(Min(end, b + AA_INTERVAL_US)) - aa_ms(Max(start, b));

							if (ms > 0)
								add_piece(&out, b, id_null, &agent_id, &st, ms, gap, start >= b);
						}
					}
				}
			}
			prev = i;
		}
		flush_groups(&out);
		if (ringing)
		{
			ring[a] = true;
			nring++;
		}
		MemoryContextSwitchTo(oldcxt);
		SPI_freetuptable(tt);
		/* rows: out into the result by the chunk, memory bounded */
		if (rows && out.nrows >= AA_CHUNK_ROWS)
		{
			flush_chunk(&out, agents, range_from, range_to, ring, nagents, nring, callcxt);
			nring = 0;
		}
	}
	if (rows)
		flush_chunk(&out, agents, range_from, range_to, ring, nagents, nring, callcxt);
	SPI_finish();
	if (written)
		*written = out.written;
}

Datum
agent_activity_time(PG_FUNCTION_ARGS)
{
	activity_pass(fcinfo, false, NULL, NULL);
	return (Datum) 0;
}

/*
 * connect_lake.agent_activity_rows(agentarns, from_ts, to_ts): the same
 * pass, its sums as agent_activity_interval (kind 'activity', the offers of
 * agent_offers() summed in) and agent_status_interval (kind 'status') hold
 * them, each kind in its key's order.
 */
Datum
agent_activity_rows(PG_FUNCTION_ARGS)
{
	activity_pass(fcinfo, true, NULL, NULL);
	return (Datum) 0;
}

/*
 * connect_lake.agent_activity_write(agentarns, from_ts, to_ts): the same
 * pass, its rows written into agent_activity_interval and
 * agent_status_interval directly, as COPY writes (cl_direct_table_begin():
 * runs of table_multi_insert() and their index entries, each unique index
 * checked as a plain INSERT checks it), instead of returned for
 * agent_activity_apply()'s INSERTs; returns the agent_activity_interval
 * rows written.  Only in READ COMMITTED (where those INSERTs see the same)
 * and where both tables can be written so; else it writes nothing, makes no
 * pass and returns -1: the caller then inserts the rows of
 * agent_activity_rows().  The caller holds the agents' locks (or the
 * tables', EXCLUSIVE), so that no other session adds those rows meanwhile;
 * a row another session did add fails as the INSERT fails (a duplicate
 * key).
 */
Datum
agent_activity_write(PG_FUNCTION_ARGS)
{
	CLDirectTable *direct[DW_N];
	int64		written = 0;

	if (XactIsoLevel != XACT_READ_COMMITTED)
		PG_RETURN_INT32(-1);
	direct[DW_ACTIVITY] = direct_open(DW_ACTIVITY);
	direct[DW_STATUS] = direct[DW_ACTIVITY] ? direct_open(DW_STATUS) : NULL;
	if (direct[DW_STATUS] == NULL)
	{
		if (direct[DW_ACTIVITY])
			(void) cl_direct_table_end(direct[DW_ACTIVITY]);
		PG_RETURN_INT32(-1);
	}
	activity_pass(fcinfo, true, direct, &written);
	(void) cl_direct_table_end(direct[DW_ACTIVITY]);
	(void) cl_direct_table_end(direct[DW_STATUS]);
	if (written > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("agent_activity_write: %lld rows written, more than an integer counts",
						(long long) written)));
	PG_RETURN_INT32((int32) written);
}
