/*
 * ctr_dims.c: the side tables kept from CTRs: agent_dim, queue_dim,
 * queue_name_history and contact_account.
 *
 * The writer lands CTRs with their versions folded (version_land.c's hooks
 * on the ctr kind) and, after each batch, calls the ctr kind's after_flush
 * hook, cl_ctr_after_flush(), with the rows of the batch that won: inserted,
 * or newer than the row they replaced.  From them:
 *
 *   - contact_account follows each winning version at once: a replaced
 *     version's links go, the winner's account numbers (attributes_
 *     accountnumbers, attributes_juniferid; integers only) are inserted.
 *   - agent_dim, queue_dim and queue_name_history are only aggregated, per
 *     transaction, and written once, when it commits (see "Dimensions"
 *     below for why): the ctr kind's upkeep hooks (upkeep.h), collecting
 *     from the same winners.
 *
 * Column names here are the CTR's (ctr.c's field table), and the hierarchy
 * agent_dim keeps is rebuilt from the field table's Agent.HierarchyGroups
 * entries, so that the levels are listed in one place.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "connect_lake.h"
#include "convert.h"
#include "kinds.h"
#include "upkeep.h"
#include "writer.h"

/* ---------- the statements ---------- */

typedef enum SideStatement
{
	SIDE_AGENT_DIM,
	SIDE_QUEUE_DIM,
	SIDE_QUEUE_HISTORY,
	SIDE_ACCOUNT_DELETE,
	SIDE_ACCOUNT_INSERT
} SideStatement;

static const char *const side_names[] = {
	"agent_dim", "queue_dim", "queue_name_history", "contact_account delete", "contact_account insert"
};

/*
 * The SQL of a side-table statement, for cl_writer_plan(): arrays of one
 * batch's (or one transaction's) rows, one statement per table.
 */
static char *
side_sql(void *arg, int *nargs, Oid *argtypes)
{
	SideStatement which = (SideStatement) (intptr_t) arg;
	const char *s = quote_identifier(CONNECT_LAKE_SCHEMA);
	const char *newer = "excluded.last_seen OPERATOR(pg_catalog.>=) d.last_seen";
	StringInfoData sql;

	initStringInfo(&sql);
	switch (which)
	{
		case SIDE_AGENT_DIM:
			*nargs = 8;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = argtypes[2] = argtypes[3] = argtypes[4] = TEXTARRAYOID;
			argtypes[5] = JSONBARRAYOID;
			argtypes[6] = argtypes[7] = TIMESTAMPTZARRAYOID;
			appendStringInfo(&sql,
							 "INSERT INTO %s.agent_dim AS d (agent_id, agent_arn, username, routingprofile_arn,"
							 "   routingprofile_name, hierarchygroups, first_seen, last_seen)"
							 " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8))"
							 " ON CONFLICT (agent_id) DO UPDATE SET"
							 "  agent_arn = CASE WHEN %s THEN excluded.agent_arn ELSE d.agent_arn END,"
							 "  username = CASE WHEN %s THEN COALESCE(excluded.username, d.username) ELSE COALESCE(d.username, excluded.username) END,"
							 "  routingprofile_arn = CASE WHEN %s THEN COALESCE(excluded.routingprofile_arn, d.routingprofile_arn) ELSE COALESCE(d.routingprofile_arn, excluded.routingprofile_arn) END,"
							 "  routingprofile_name = CASE WHEN %s THEN COALESCE(excluded.routingprofile_name, d.routingprofile_name) ELSE COALESCE(d.routingprofile_name, excluded.routingprofile_name) END,"
							 "  hierarchygroups = CASE WHEN %s THEN COALESCE(excluded.hierarchygroups, d.hierarchygroups) ELSE COALESCE(d.hierarchygroups, excluded.hierarchygroups) END,"
							 "  first_seen = LEAST(d.first_seen, excluded.first_seen),"
							 "  last_seen = GREATEST(d.last_seen, excluded.last_seen)",
							 s, newer, newer, newer, newer, newer);
			break;
		case SIDE_QUEUE_DIM:
			*nargs = 5;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = argtypes[2] = TEXTARRAYOID;
			argtypes[3] = argtypes[4] = TIMESTAMPTZARRAYOID;
			appendStringInfo(&sql,
							 "INSERT INTO %s.queue_dim AS d (queue_id, queue_arn, queue_name, first_seen, last_seen)"
							 " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5))"
							 " ON CONFLICT (queue_id) DO UPDATE SET"
							 "  queue_arn = CASE WHEN %s THEN excluded.queue_arn ELSE d.queue_arn END,"
							 "  queue_name = CASE WHEN %s THEN COALESCE(excluded.queue_name, d.queue_name) ELSE COALESCE(d.queue_name, excluded.queue_name) END,"
							 "  first_seen = LEAST(d.first_seen, excluded.first_seen),"
							 "  last_seen = GREATEST(d.last_seen, excluded.last_seen)",
							 s, newer, newer);
			break;
		case SIDE_QUEUE_HISTORY:
			*nargs = 4;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = TEXTARRAYOID;
			argtypes[2] = argtypes[3] = TIMESTAMPTZARRAYOID;
			appendStringInfo(&sql,
							 "INSERT INTO %s.queue_name_history AS d (queue_id, queue_name, first_seen, last_seen)"
							 " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4))"
							 " ON CONFLICT (queue_id, queue_name) DO UPDATE SET"
							 "  first_seen = LEAST(d.first_seen, excluded.first_seen),"
							 "  last_seen = GREATEST(d.last_seen, excluded.last_seen)",
							 s);
			break;
		case SIDE_ACCOUNT_DELETE:
			*nargs = 3;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = UUIDARRAYOID;
			argtypes[2] = TEXTARRAYOID;
			/*
			 * NOT IN, a hashed subplan, rather than NOT EXISTS: an anti join
			 * on the account made a full scan of the account's index, its
			 * order useful to a merge join, the cheapest path wherever the
			 * statistics make the table look empty (an ANALYZE while a load's
			 * rows were uncommitted), and a generic plan kept it: a scan of
			 * the whole table per batch.  The pairs given hold no NULL.
			 */
			appendStringInfo(&sql,
							 "DELETE FROM %s.contact_account AS c"
							 " WHERE c.contactid OPERATOR(pg_catalog.=) ANY ($1)"
							 "   AND (c.contactid, c.account) NOT IN"
							 "       (SELECT * FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3::pg_catalog.int8[])))",
							 s);
			break;
		case SIDE_ACCOUNT_INSERT:
			*nargs = 4;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = argtypes[2] = TEXTARRAYOID;
			argtypes[3] = TIMESTAMPTZARRAYOID;
			appendStringInfo(&sql,
							 "INSERT INTO %s.contact_account (contactid, account, source, initiationtimestamp)"
							 " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2::pg_catalog.int8[]), pg_catalog.unnest($3), pg_catalog.unnest($4))"
							 " ON CONFLICT (contactid, account) DO NOTHING",
							 s);
			break;
	}
	return sql.data;
}

/* A side-table statement, prepared once per backend (SPI connected). */
static SPIPlanPtr
side_plan(SideStatement which)
{
	return cl_writer_plan(cl_schema_oid(), InvalidOid, side_names[which], side_sql, (void *) (intptr_t) which);
}

/* ---------- the winners of a batch ---------- */

/* The columns side tables need, from a winning row. */
typedef struct Winner
{
	pg_uuid_t  *contactid;
	TimestampTz initts;
	bool		updated;		/* replaced an existing row (else new) */
	Datum	   *v;
	bool	   *n;
} Winner;

/*
 * agent_dim.hierarchygroups is the CTR's Agent.HierarchyGroups object,
 * {"Level1": {"ARN": ..., "GroupName": ...}, ...}, rebuilt from the columns
 * the field table maps its members to.
 */
#define HIERARCHY_PATH		"Agent.HierarchyGroups."
#define HIERARCHY_MAX		16

typedef struct HierarchyMember
{
	char		level[16];		/* "Level1" */
	char		member[16];		/* "ARN" */
	int			att;
} HierarchyMember;

/* Where the side tables' columns are in the CTR row type. */
typedef struct SideAtts
{
	int			agent_id,
				agent_arn,
				username,
				rp_arn,
				rp_name,
				queue_id,
				queue_arn,
				queue_name,
				accounts,
				junifer;
	HierarchyMember hier[HIERARCHY_MAX];	/* a level's members next to each other */
	int			nhier;
} SideAtts;

/* A column the side tables read, which the CTR row type must have. */
static int
side_att(TupleDesc td, const char *column)
{
	int			att = cl_tupdesc_column(td, column);

	if (att < 0)
		elog(ERROR, "connect_lake: ctr row type lacks %s, a column of the side tables", column);
	return att;
}

/*
 * The side tables' columns, looked up once per batch; the hierarchy's from
 * the kind's field table (its entries under Agent.HierarchyGroups).
 */
static void
side_atts(CLRecordKind *kind, TupleDesc td, SideAtts *a)
{
	int			plen = strlen(HIERARCHY_PATH);

	a->agent_id = side_att(td, "agent_id");
	a->agent_arn = side_att(td, "agent_arn");
	a->username = side_att(td, "agent_username");
	a->rp_arn = side_att(td, "agent_routingprofile_arn");
	a->rp_name = side_att(td, "agent_routingprofile_name");
	a->queue_id = side_att(td, "queue_id");
	a->queue_arn = side_att(td, "queue_arn");
	a->queue_name = side_att(td, "queue_name");
	a->accounts = side_att(td, "attributes_accountnumbers");
	a->junifer = side_att(td, "attributes_juniferid");
	a->nhier = 0;
	for (int f = 0; f < kind->nfields; f++)
	{
		const CLField *field = &kind->fields[f];
		const char *rest = field->path + plen;
		const char *dot;
		HierarchyMember *m;

		if (strncmp(field->path, HIERARCHY_PATH, plen) != 0 || field->column == NULL)
			continue;
		dot = strchr(rest, '.');
		if (dot == NULL || strchr(dot + 1, '.') != NULL || a->nhier == HIERARCHY_MAX ||
			dot - rest >= (int) sizeof(m->level) || strlen(dot + 1) >= sizeof(m->member))
			elog(ERROR, "connect_lake: ctr field %s is not a Level.member of the agent hierarchy", field->path);
		m = &a->hier[a->nhier++];
		snprintf(m->level, sizeof(m->level), "%.*s", (int) (dot - rest), rest);
		snprintf(m->member, sizeof(m->member), "%s", dot + 1);
		m->att = side_att(td, field->column);
	}
}

static int
cl_uuid_cmp(const pg_uuid_t *a, const pg_uuid_t *b)
{
	return memcmp(a->data, b->data, UUID_LEN);
}

static int
text_cmp(Datum a, Datum b)
{
	text	   *ta = DatumGetTextPP(a);
	text	   *tb = DatumGetTextPP(b);
	int			la = VARSIZE_ANY_EXHDR(ta),
				lb = VARSIZE_ANY_EXHDR(tb);
	int			c = memcmp(VARDATA_ANY(ta), VARDATA_ANY(tb), Min(la, lb));

	return c ? c : (la > lb) - (la < lb);
}

/* Items sorted by (uuid, [text], ts, seq): the unit of every side table. */
typedef struct SideItem
{
	pg_uuid_t  *id;
	Datum		name;			/* queue name / account (text), 0 when unused */
	TimestampTz ts;
	Winner	   *w;
	Datum		source;			/* account links: source column name */
	int			seq;
} SideItem;

static int
side_item_cmp(const void *pa, const void *pb)
{
	const SideItem *a = pa;
	const SideItem *b = pb;
	int			c = cl_uuid_cmp(a->id, b->id);

	if (c)
		return c;
	if (a->name && b->name && (c = text_cmp(a->name, b->name)) != 0)
		return c;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->seq - b->seq;
}

/* The winner's agent hierarchy as jsonb; *isnull when it has none. */
static Datum
hierarchy_jsonb(Winner *wn, SideAtts *a, bool *isnull)
{
	JsonbParseState *ps = NULL;
	JsonbValue	k;
	JsonbValue	v;
	JsonbValue *res;
	bool		any = false;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < a->nhier;)
	{
		int			end = i;
		bool		level_any = false;

		/* the level's members: hier[i .. end) */
		while (end < a->nhier && strcmp(a->hier[end].level, a->hier[i].level) == 0)
			level_any |= !wn->n[a->hier[end++].att];
		if (level_any)
		{
			any = true;
			k.type = jbvString;
			k.val.string.val = a->hier[i].level;
			k.val.string.len = strlen(a->hier[i].level);
			pushJsonbValue(&ps, WJB_KEY, &k);
			pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
			for (int j = i; j < end; j++)
			{
				int			att = a->hier[j].att;

				if (wn->n[att])
					continue;
				k.type = jbvString;
				k.val.string.val = a->hier[j].member;
				k.val.string.len = strlen(a->hier[j].member);
				pushJsonbValue(&ps, WJB_KEY, &k);
				v.type = jbvString;
				v.val.string.val = VARDATA_ANY(DatumGetPointer(wn->v[att]));
				v.val.string.len = VARSIZE_ANY_EXHDR(DatumGetPointer(wn->v[att]));
				pushJsonbValue(&ps, WJB_VALUE, &v);
			}
			pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
		}
		i = end;
	}
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	*isnull = !any;
	return any ? JsonbPGetDatum(JsonbValueToJsonb(res)) : (Datum) 0;
}

/*
 * Dimensions (agent_dim, queue_dim, queue_name_history) are shared by every
 * writer: agents and queues appear in every file.  Upserting them batch by
 * batch would hold their row locks from the first batch to the end of a
 * load and deadlock two concurrent multi-file loads.  So each batch's
 * winners are only aggregated here, per transaction, and the dimensions are
 * written once, at commit (the ctr kind's upkeep hooks, cl_ctr_dim_hooks:
 * upkeep.c calls them): one statement per table, rows in key order, tables
 * in a fixed order, so concurrent committers never deadlock on them.  Rows
 * remember the subtransaction that added them, so a rolled-back
 * subtransaction (a failed file) adds nothing.
 */
#define DIM_AGENT	0
#define DIM_QUEUE	1
#define DIM_HISTORY 2
#define DIM_NVALS	5			/* agent: arn, username, rp arn, rp name, hierarchy; queue: arn, name */

typedef struct DimRow
{
	pg_uuid_t	id;
	Datum		name;			/* history: the queue name (text); else 0 */
	TimestampTz first;
	TimestampTz last;
	Datum		val[DIM_NVALS];
	TimestampTz val_ts[DIM_NVALS];	/* initiation time of the contact the value came from */
	bool		has[DIM_NVALS];
	int			level;			/* transaction nest level that added it */
	int			seq;
} DimRow;

typedef struct DimSet
{
	DimRow	   *rows;
	int			n;
	int			cap;
} DimSet;

static DimSet pending[3];
static MemoryContext pending_cxt = NULL;
static int	dim_seq = 0;

static int
dim_row_cmp(const void *pa, const void *pb)
{
	const DimRow *a = *(DimRow *const *) pa;
	const DimRow *b = *(DimRow *const *) pb;
	int			c;

	if (a->level != b->level)
		return a->level - b->level;
	if ((c = cl_uuid_cmp(&a->id, &b->id)) != 0)
		return c;
	if (a->name && b->name && (c = text_cmp(a->name, b->name)) != 0)
		return c;
	return a->seq - b->seq;
}

/* Merge rows of one key (and level): sorted, merged to the front of rows. */
static int
dim_compact(DimRow *rows, int n)
{
	int			out = 0;
	DimRow	  **sorted;
	DimRow	   *copy;

	if (n <= 1)
		return n;
	/* sorted by pointer (a row is large), merged from a copy into rows */
	sorted = palloc(sizeof(DimRow *) * n);
	copy = palloc(sizeof(DimRow) * n);
	memcpy(copy, rows, sizeof(DimRow) * n);
	for (int i = 0; i < n; i++)
		sorted[i] = &copy[i];
	qsort(sorted, n, sizeof(DimRow *), dim_row_cmp);
	for (int i = 0; i < n;)
	{
		DimRow		r = *sorted[i];
		int			j = i + 1;

		for (; j < n && sorted[j]->level == r.level && cl_uuid_cmp(&sorted[j]->id, &r.id) == 0 &&
			 (!r.name || text_cmp(sorted[j]->name, r.name) == 0); j++)
		{
			DimRow	   *x = sorted[j];

			r.first = Min(r.first, x->first);
			r.last = Max(r.last, x->last);
			for (int f = 0; f < DIM_NVALS; f++)
				if (x->has[f] && (!r.has[f] || x->val_ts[f] >= r.val_ts[f]))
				{
					r.val[f] = x->val[f];
					r.val_ts[f] = x->val_ts[f];
					r.has[f] = true;
				}
			r.seq = Max(r.seq, x->seq);
		}
		rows[out++] = r;
		i = j;
	}
	pfree(sorted);
	pfree(copy);
	return out;
}

/* Append a batch's (compacted) rows, copying their values for the transaction. */
static void
dim_append(int set, DimRow *rows, int n)
{
	DimSet	   *ds = &pending[set];
	MemoryContext old;

	if (n == 0)
		return;
	if (pending_cxt == NULL)
		pending_cxt = AllocSetContextCreate(TopMemoryContext, "connect_lake dimensions",
											ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(pending_cxt);
	if (ds->n + n > ds->cap)
	{
		int			cap = Max(64, Max(ds->cap * 2, ds->n + n));

		ds->rows = ds->rows ? repalloc(ds->rows, sizeof(DimRow) * cap) : palloc(sizeof(DimRow) * cap);
		ds->cap = cap;
	}
	for (int i = 0; i < n; i++)
	{
		DimRow	   *r = &ds->rows[ds->n++];

		*r = rows[i];
		if (r->name)
			r->name = datumCopy(r->name, false, -1);
		for (int f = 0; f < DIM_NVALS; f++)
			if (r->has[f])
				r->val[f] = datumCopy(r->val[f], false, -1);
	}
	MemoryContextSwitchTo(old);
	/* many batches: keep the set small (values of merged rows stay until commit) */
	if (ds->n > 20000)
		ds->n = dim_compact(ds->rows, ds->n);
}

/* The transaction is over (or its rows written): forget its pending rows. */
static void
dim_reset(void)
{
	for (int i = 0; i < 3; i++)
	{
		pending[i].rows = NULL;
		pending[i].n = pending[i].cap = 0;
	}
	if (pending_cxt)
		MemoryContextReset(pending_cxt);
}

/*
 * At commit (upkeep.c: SPI connected, a snapshot, as the writers): each
 * dimension's pending rows, merged to one per key, as one sorted upsert per
 * table in a fixed order (see "Dimensions" above).
 */
static void
dim_write(void)
{
	static const int cols[3] = {8, 5, 4};
	static const SideStatement plan[3] = {SIDE_AGENT_DIM, SIDE_QUEUE_DIM, SIDE_QUEUE_HISTORY};
	bool		any = false;
	Oid			nsp;

	for (int set = 0; set < 3; set++)
		any |= pending[set].n > 0;
	/* nothing to do, or the extension was dropped since the rows landed */
	if (!any)
		return;
	nsp = get_namespace_oid(CONNECT_LAKE_SCHEMA, true);
	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("agent_dim", nsp)))
		return;

	for (int set = 0; set < 3; set++)
	{
		DimSet	   *ds = &pending[set];
		int			n;
		Datum	   *v[8] = {0};
		bool	   *nl[8] = {0};
		Datum		args[8];

		if (ds->n == 0)
			continue;
		/* at commit every row belongs to the top transaction: one row per key */
		for (int i = 0; i < ds->n; i++)
			ds->rows[i].level = 1;
		n = dim_compact(ds->rows, ds->n);
		for (int c = 0; c < cols[set]; c++)
		{
			v[c] = palloc(sizeof(Datum) * n);
			nl[c] = palloc0(sizeof(bool) * n);
		}
		for (int i = 0; i < n; i++)
		{
			DimRow	   *r = &ds->rows[i];
			int			c = 0;

			v[c++][i] = UUIDPGetDatum(&r->id);
			if (set == DIM_HISTORY)
				v[c++][i] = r->name;
			else
				for (int f = 0; f < (set == DIM_AGENT ? 5 : 2); f++, c++)
				{
					v[c][i] = r->val[f];
					nl[c][i] = !r->has[f];
				}
			v[c++][i] = TimestampTzGetDatum(r->first);
			v[c++][i] = TimestampTzGetDatum(r->last);
		}
		args[0] = cl_writer_array(v[0], nl[0], n, UUIDOID);
		for (int c = 1; c < cols[set] - 2; c++)
			args[c] = cl_writer_array(v[c], nl[c], n, (set == DIM_AGENT && c == 5) ? JSONBOID : TEXTOID);
		args[cols[set] - 2] = cl_writer_array(v[cols[set] - 2], nl[cols[set] - 2], n, TIMESTAMPTZOID);
		args[cols[set] - 1] = cl_writer_array(v[cols[set] - 1], nl[cols[set] - 1], n, TIMESTAMPTZOID);
		cl_writer_run(side_plan(plan[set]), args, cols[set], SPI_OK_INSERT);
	}
}

/*
 * A subtransaction ended (upkeep.c): rolled back (a failed file of load()),
 * it drops the rows it added; committed, it hands them to its parent.
 */
static void
dim_subxact(bool committed, int level)
{
	for (int set = 0; set < 3; set++)
	{
		DimSet	   *ds = &pending[set];
		int			out = 0;

		if (!committed)
		{
			for (int i = 0; i < ds->n; i++)
				if (ds->rows[i].level < level)
					ds->rows[out++] = ds->rows[i];
			ds->n = out;
		}
		else
		{
			for (int i = 0; i < ds->n; i++)
				if (ds->rows[i].level >= level)
					ds->rows[i].level = level - 1;
		}
	}
}

/* A dimension row for the winner's entity id, seen at its initiation time. */
static DimRow *
dim_row(DimRow *rows, int *n, Winner *wn, int id_att, int level)
{
	DimRow	   *r = &rows[(*n)++];

	memset(r, 0, sizeof(*r));
	memcpy(&r->id, DatumGetUUIDP(wn->v[id_att]), sizeof(pg_uuid_t));
	r->first = r->last = wn->initts;
	r->level = level;
	r->seq = dim_seq++;
	return r;
}

/* Value column f of a dimension row, as of the winner's initiation time. */
static void
dim_val(DimRow *r, int f, Datum value, Winner *wn)
{
	r->val[f] = value;
	r->val_ts[f] = wn->initts;
	r->has[f] = true;
}

/* A batch's winners into the transaction's pending dimension rows. */
static void
collect_dims(Winner *wins, int nwins, SideAtts *a, int level)
{
	DimRow	   *rows = palloc(sizeof(DimRow) * nwins);
	int			n;

	/* agents: ARN, username, routing profile ARN and name, hierarchy */
	n = 0;
	for (int i = 0; i < nwins; i++)
	{
		Winner	   *wn = &wins[i];
		DimRow	   *r;
		int			atts[4] = {a->agent_arn, a->username, a->rp_arn, a->rp_name};
		bool		any = false;

		if (wn->n[a->agent_id] || wn->n[a->agent_arn])
			continue;
		r = dim_row(rows, &n, wn, a->agent_id, level);
		for (int f = 0; f < 4; f++)
			if (!wn->n[atts[f]])
				dim_val(r, f, wn->v[atts[f]], wn);
		/* the hierarchy: its winner for now, made jsonb below for the rows kept */
		for (int j = 0; j < a->nhier && !any; j++)
			any = !wn->n[a->hier[j].att];
		if (any)
			dim_val(r, 4, PointerGetDatum(wn), wn);
	}
	n = dim_compact(rows, n);
	for (int i = 0; i < n; i++)
		if (rows[i].has[4])
		{
			bool		hnull;

			rows[i].val[4] = hierarchy_jsonb((Winner *) DatumGetPointer(rows[i].val[4]), a, &hnull);
			rows[i].has[4] = !hnull;
		}
	dim_append(DIM_AGENT, rows, n);

	/* queues: ARN and name */
	n = 0;
	for (int i = 0; i < nwins; i++)
	{
		Winner	   *wn = &wins[i];
		DimRow	   *r;

		if (wn->n[a->queue_id] || wn->n[a->queue_arn])
			continue;
		r = dim_row(rows, &n, wn, a->queue_id, level);
		dim_val(r, 0, wn->v[a->queue_arn], wn);
		if (!wn->n[a->queue_name])
			dim_val(r, 1, wn->v[a->queue_name], wn);
	}
	dim_append(DIM_QUEUE, rows, dim_compact(rows, n));

	/* every name a queue carried */
	n = 0;
	for (int i = 0; i < nwins; i++)
	{
		Winner	   *wn = &wins[i];

		if (wn->n[a->queue_id] || wn->n[a->queue_name])
			continue;
		dim_row(rows, &n, wn, a->queue_id, level)->name = wn->v[a->queue_name];
	}
	dim_append(DIM_HISTORY, rows, dim_compact(rows, n));
}

/* Account numbers in a list: comma or white space separated, trimmed, empties dropped. */
static int
split_accounts(Datum list, Winner *wn, Datum source, SideItem *items, int n, int max)
{
	text	   *t = DatumGetTextPP(list);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	int			i = 0;
	int64		account;

	while (i < len)
	{
		int			start;

		while (i < len && (s[i] == ',' || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
						   s[i] == '\r' || s[i] == ';'))
			i++;
		start = i;
		while (i < len && !(s[i] == ',' || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
							s[i] == '\r' || s[i] == ';'))
			i++;
		/* contact_account.account is an integer: other numbers stay in the attribute only */
		if (i > start && n < max && cl_parse_int64(s + start, i - start, PG_INT64_MIN, PG_INT64_MAX, &account))
		{
			items[n].id = wn->contactid;
			items[n].name = PointerGetDatum(cstring_to_text(psprintf(INT64_FORMAT, account)));
			items[n].ts = 0;	/* sorted by (contact, account, seq) */
			items[n].w = wn;
			items[n].source = source;
			items[n].seq = n;
			n++;
		}
	}
	return n;
}

/*
 * The links of a batch (distinct) inserted where absent as the CTRs
 * themselves are, without the statement (writer_direct.c: when this
 * backend is the kind's only writer, and the table has no trigger, CHECK
 * constraint or row-level security): false when the statement must insert
 * them.  What ON CONFLICT DO NOTHING does, probing the table's one unique
 * index, at the cost of COPY.
 */
static bool
write_accounts_direct(CLRecordKind *kind, Datum *ids, Datum *accts, Datum *srcs, Datum *tss, int n)
{
	Oid			relid = get_relname_relid("contact_account", cl_schema_oid());
	Relation	rel;
	TupleDesc	td;
	HeapTuple  *rows;
	int		   *order;
	bool	   *same;
	int64		inserted;

	if (!OidIsValid(relid))
		return false;
	rel = table_open(relid, RowExclusiveLock);
	td = RelationGetDescr(rel);
	/* the columns as the statement names them, in the table's order, of the types formed here */
	if (td->natts != 4 || cl_tupdesc_column(td, "contactid") != 0 || cl_tupdesc_column(td, "account") != 1 ||
		cl_tupdesc_column(td, "source") != 2 || cl_tupdesc_column(td, "initiationtimestamp") != 3 ||
		TupleDescAttr(td, 0)->atttypid != UUIDOID || TupleDescAttr(td, 1)->atttypid != INT8OID ||
		TupleDescAttr(td, 2)->atttypid != TEXTOID || TupleDescAttr(td, 3)->atttypid != TIMESTAMPTZOID)
	{
		table_close(rel, NoLock);
		return false;
	}
	rows = palloc(sizeof(HeapTuple) * n);
	order = palloc(sizeof(int) * n);
	same = palloc0(sizeof(bool) * n);
	for (int i = 0; i < n; i++)
	{
		Datum		v[4];
		bool		nl[4] = {false, false, false, false};
		text	   *acct = DatumGetTextPP(accts[i]);
		int64		account;

		/* the account as split_accounts() wrote it from an int64 */
		if (!cl_parse_int64(VARDATA_ANY(acct), VARSIZE_ANY_EXHDR(acct), PG_INT64_MIN, PG_INT64_MAX, &account))
			elog(ERROR, "connect_lake: account link \"%s\" is not an integer", text_to_cstring(acct));
		v[0] = ids[i];
		v[1] = Int64GetDatum(account);
		v[2] = srcs[i];
		v[3] = tss[i];
		rows[i] = heap_form_tuple(td, v, nl);
		order[i] = i;
	}
	inserted = cl_writer_direct(kind, NULL, relid, td, rows, order, same, n);
	table_close(rel, NoLock);
	return inserted >= 0;
}

/*
 * contact_account follows the batch's winners at once (not at commit: a
 * contact's links are its own, no other load contends for them): a replaced
 * version's links that the winner lacks go, the winner's are inserted.
 */
static void
write_accounts(CLRecordKind *kind, Winner *wins, int nwins, SideAtts *a)
{
	int			max = 0;
	SideItem   *items;
	int			n = 0;
	Datum		src_accounts = PointerGetDatum(cstring_to_text("attributes_accountnumbers"));
	Datum		src_junifer = PointerGetDatum(cstring_to_text("attributes_juniferid"));
	Datum	   *ids,
			   *accts,
			   *srcs,
			   *tss,
			   *upd;
	int			out = 0,
				nupd = 0;
	Datum		args[4];

	for (int i = 0; i < nwins; i++)
	{
		if (!wins[i].n[a->accounts])
			max += VARSIZE_ANY_EXHDR(DatumGetPointer(wins[i].v[a->accounts])) / 2 + 1;
		if (!wins[i].n[a->junifer])
			max += VARSIZE_ANY_EXHDR(DatumGetPointer(wins[i].v[a->junifer])) / 2 + 1;
	}
	items = palloc(sizeof(SideItem) * (max + 1));
	upd = palloc(sizeof(Datum) * nwins);
	for (int i = 0; i < nwins; i++)
	{
		if (!wins[i].n[a->accounts])
			n = split_accounts(wins[i].v[a->accounts], &wins[i], src_accounts, items, n, max);
		if (!wins[i].n[a->junifer])
			n = split_accounts(wins[i].v[a->junifer], &wins[i], src_junifer, items, n, max);
		if (wins[i].updated)
			upd[nupd++] = UUIDPGetDatum(wins[i].contactid);
	}
	qsort(items, n, sizeof(SideItem), side_item_cmp);
	ids = palloc(sizeof(Datum) * (n + 1));
	accts = palloc(sizeof(Datum) * (n + 1));
	srcs = palloc(sizeof(Datum) * (n + 1));
	tss = palloc(sizeof(Datum) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		if (out > 0 && cl_uuid_cmp(items[i].id, DatumGetUUIDP(ids[out - 1])) == 0 &&
			text_cmp(items[i].name, accts[out - 1]) == 0)
			continue;
		ids[out] = UUIDPGetDatum(items[i].id);
		accts[out] = items[i].name;
		srcs[out] = items[i].source;
		tss[out] = TimestampTzGetDatum(items[i].w->initts);
		out++;
	}

	/* a replaced version's stale links go */
	if (nupd > 0)
	{
		args[0] = cl_writer_array(upd, NULL, nupd, UUIDOID);
		args[1] = cl_writer_array(ids, NULL, out, UUIDOID);
		args[2] = cl_writer_array(accts, NULL, out, TEXTOID);
		cl_writer_run(side_plan(SIDE_ACCOUNT_DELETE), args, 3, SPI_OK_DELETE);
	}
	if (out > 0 && !write_accounts_direct(kind, ids, accts, srcs, tss, out))
	{
		args[0] = cl_writer_array(ids, NULL, out, UUIDOID);
		args[1] = cl_writer_array(accts, NULL, out, TEXTOID);
		args[2] = cl_writer_array(srcs, NULL, out, TEXTOID);
		args[3] = cl_writer_array(tss, NULL, out, TIMESTAMPTZOID);
		cl_writer_run(side_plan(SIDE_ACCOUNT_INSERT), args, 4, SPI_OK_INSERT);
	}
}
/* ---------- the hooks ---------- */

/* The winners of a flushed batch, in the order the batch first met them. */
static Winner *
winners(const CLLanded *landed)
{
	TupleDesc	td = landed->tupdesc;
	int			id_att = side_att(td, landed->kind->id_column);
	int			part_att = side_att(td, landed->kind->partition_column);
	Winner	   *wins = palloc(sizeof(Winner) * landed->n);

	for (int i = 0; i < landed->n; i++)
	{
		wins[i].v = landed->rows[i].values;
		wins[i].n = landed->rows[i].nulls;
		wins[i].contactid = DatumGetUUIDP(wins[i].v[id_att]);
		wins[i].initts = DatumGetTimestampTz(wins[i].v[part_att]);
		wins[i].updated = landed->rows[i].replaced;
	}
	return wins;
}

/*
 * The ctr kind's after_flush hook (writer.h): the winners of one flushed
 * batch into the account links and their contacts' profile links
 * (customer_profile.c), now.  SPI is connected.
 */
void
cl_ctr_after_flush(const CLLanded *landed)
{
	SideAtts	sa;

	if (landed->n == 0)
		return;
	side_atts(landed->kind, landed->tupdesc, &sa);
	write_accounts(landed->kind, winners(landed), landed->n, &sa);
	cl_profile_ctr_links(landed);	/* customer_profile.c */
}

/* The dimensions' upkeep (upkeep.h): a batch's winners into the pending rows. */
static void
dim_collect(const CLLanded *landed, int level)
{
	SideAtts	sa;

	if (landed->n == 0)
		return;
	side_atts(landed->kind, landed->tupdesc, &sa);
	collect_dims(winners(landed), landed->n, &sa, level);
}

const CLUpkeepHooks cl_ctr_dim_hooks = {
	.collect = dim_collect,
	.commit = dim_write,
	.subxact = dim_subxact,
	.forget = dim_reset,
	.setting = CL_UPKEEP_ALWAYS,
};
