/*
 * upkeep.c: a kind's upkeep at commit of the rows a transaction landed.
 *
 * A kind declaring commit_upkeep (recmap.h; e.g. the CTRs' contact metrics:
 * metrics_refresh_contacts) has the keys of every row the writer landed for
 * it (inserted, or a newer version that replaced the row) collected here,
 * batch by batch (cl_upkeep_collect(), called by the writer after each
 * flush), and its SQL function called ONCE per transaction, just before it
 * commits, with all of them:
 *
 *   connect_lake.<commit_upkeep>(ids uuid[], keys timestamptz[])
 *
 * ids from the kind's id_column, keys from its partition_column (so the
 * function can look each row up in its own partition), sorted and without
 * repeats.  Once per transaction, not per file or per call: the upkeep's
 * fixed cost (planning, the rollups of the intervals touched) is paid once
 * however many files load() reads, and a pipeline calling ingest() per
 * record in one transaction pays it once too.
 *
 * A subtransaction rolled back (a failed file of load()) takes the keys it
 * added with it; a committed one hands them to its parent.  The kind's
 * commit_upkeep_on() is asked per batch: rows landed while it says no are
 * not collected (the setting connect_lake.metrics_upkeep = off, for a bulk
 * load followed by metrics_refresh()).
 *
 * An error in the upkeep fails the commit: the transaction's rows and the
 * figures kept from them land together or not at all.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "connect_lake.h"
#include "kinds.h"
#include "writer.h"

/* One landed row's key, and the transaction nest level that landed it. */
typedef struct UpkeepKey
{
	pg_uuid_t	id;
	TimestampTz ts;
	int			level;
} UpkeepKey;

/* The keys pending for one kind in this transaction. */
typedef struct UpkeepSet
{
	CLRecordKind *kind;
	UpkeepKey  *keys;
	int			n;
	int			cap;
} UpkeepSet;

#define UPKEEP_MAX_KINDS 4

static UpkeepSet pending[UPKEEP_MAX_KINDS];
static bool deferred = false;	/* cl_upkeep_defer(): queue the keys instead */
static int	npending = 0;
static MemoryContext pending_cxt = NULL;
static bool callbacks = false;

static int
key_cmp(const void *pa, const void *pb)
{
	const UpkeepKey *a = pa;
	const UpkeepKey *b = pb;
	int			c = memcmp(a->id.data, b->id.data, UUID_LEN);

	if (c != 0)
		return c;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->level - b->level;
}

/*
 * Sort and drop repeats; of a key repeated at several levels the outermost
 * stays (rolling back the inner subtransaction must not lose it).
 */
static void
compact(UpkeepSet *s)
{
	int			out = 0;

	if (s->n <= 1)
		return;
	qsort(s->keys, s->n, sizeof(UpkeepKey), key_cmp);
	for (int i = 0; i < s->n; i++)
	{
		if (out > 0 && memcmp(s->keys[out - 1].id.data, s->keys[i].id.data, UUID_LEN) == 0 &&
			s->keys[out - 1].ts == s->keys[i].ts)
			continue;
		s->keys[out++] = s->keys[i];
	}
	s->n = out;
}

static void
reset(void)
{
	npending = 0;
	memset(pending, 0, sizeof(pending));
	if (pending_cxt)
		MemoryContextReset(pending_cxt);
}

/*
 * Just before commit: each kind's upkeep function with its keys.  Skipped
 * when the extension or the function is gone (dropped in this transaction).
 */
static void
run_upkeep(void)
{
	Oid			nsp;
	bool		pushed = false;

	if (npending == 0)
		return;
	nsp = get_namespace_oid(CONNECT_LAKE_SCHEMA, true);
	if (!OidIsValid(nsp))
		return;
	for (int k = 0; k < npending; k++)
	{
		UpkeepSet  *s = &pending[k];
		Datum	   *ids;
		Datum	   *tss;
		Datum		args[2];
		Oid			argtypes[2] = {UUIDARRAYOID, TIMESTAMPTZARRAYOID};
		char	   *sql;
		int			rc;
		CLWriterIdentity identity;

		if (s->n == 0)
			continue;
		/* a lake of a version without the function (not yet updated) keeps nothing */
		if (!OidIsValid(LookupFuncName(list_make2(makeString(CONNECT_LAKE_SCHEMA),
												  makeString(unconstify(char *, s->kind->commit_upkeep))),
									   2, argtypes, true)))
			continue;
		compact(s);
		if (deferred)
			sql = psprintf("INSERT INTO %s.upkeep_queue (kind, ids, keys) VALUES (%s, $1, $2)",
						   quote_identifier(CONNECT_LAKE_SCHEMA), quote_literal_cstr(s->kind->name));
		else
			sql = psprintf("SELECT %s.%s($1, $2)", quote_identifier(CONNECT_LAKE_SCHEMA),
						   quote_identifier(s->kind->commit_upkeep));
		ids = palloc(sizeof(Datum) * s->n);
		tss = palloc(sizeof(Datum) * s->n);
		for (int i = 0; i < s->n; i++)
		{
			ids[i] = UUIDPGetDatum(&s->keys[i].id);
			tss[i] = TimestampTzGetDatum(s->keys[i].ts);
		}
		args[0] = cl_writer_array(ids, NULL, s->n, UUIDOID);
		args[1] = cl_writer_array(tss, NULL, s->n, TIMESTAMPTZOID);

		/* at pre-commit no statement is running: give the queries a snapshot */
		if (!pushed)
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			pushed = true;
		}
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "connect_lake: SPI_connect failed");
		/* as the writers wrote the rows (on Citus, as the tables' owner) */
		cl_writer_identity_begin(&identity);
		rc = SPI_execute_with_args(sql, 2, argtypes, args, NULL, false, 0);
		cl_writer_identity_end(&identity);
		if (rc != (deferred ? SPI_OK_INSERT : SPI_OK_SELECT))
			elog(ERROR, "connect_lake: %s failed: %s", sql, SPI_result_code_string(rc));
		SPI_finish();
	}
	if (pushed)
		PopActiveSnapshot();
}

static void
xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			run_upkeep();
			reset();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			reset();
			break;
		default:
			break;
	}
}

/* A rolled-back subtransaction drops the keys it added; a committed one hands them up. */
static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	for (int k = 0; k < npending; k++)
	{
		UpkeepSet  *s = &pending[k];
		int			out = 0;

		if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			for (int i = 0; i < s->n; i++)
				if (s->keys[i].level < level)
					s->keys[out++] = s->keys[i];
			s->n = out;
		}
		else if (event == SUBXACT_EVENT_COMMIT_SUB)
		{
			for (int i = 0; i < s->n; i++)
				if (s->keys[i].level >= level)
					s->keys[i].level = level - 1;
		}
	}
}

/*
 * After a flush (writer.c): the keys of the rows of a batch that landed,
 * for the kind's upkeep at commit.
 */
void
cl_upkeep_collect(const CLLanded *landed)
{
	CLRecordKind *kind = landed->kind;
	UpkeepSet  *s = NULL;
	int			id_att;
	int			ts_att;
	int			level;
	MemoryContext old;

	if (landed->n == 0 || kind->commit_upkeep == NULL ||
		(kind->commit_upkeep_on && !kind->commit_upkeep_on()))
		return;
	id_att = cl_tupdesc_column(landed->tupdesc, kind->id_column);
	ts_att = cl_tupdesc_column(landed->tupdesc, kind->partition_column);
	if (id_att < 0 || ts_att < 0 ||
		TupleDescAttr(landed->tupdesc, id_att)->atttypid != UUIDOID ||
		TupleDescAttr(landed->tupdesc, ts_att)->atttypid != TIMESTAMPTZOID)
		elog(ERROR, "connect_lake: kind %s has commit upkeep but its id is not a uuid column or its partition column not a timestamptz",
			 kind->name);

	if (!callbacks)
	{
		RegisterXactCallback(xact_callback, NULL);
		RegisterSubXactCallback(subxact_callback, NULL);
		callbacks = true;
	}
	if (pending_cxt == NULL)
		pending_cxt = AllocSetContextCreate(TopMemoryContext, "connect_lake upkeep",
											ALLOCSET_DEFAULT_SIZES);
	for (int k = 0; k < npending; k++)
		if (pending[k].kind == kind)
			s = &pending[k];
	if (s == NULL)
	{
		if (npending == UPKEEP_MAX_KINDS)
			elog(ERROR, "connect_lake: too many kinds with commit upkeep");
		s = &pending[npending++];
		s->kind = kind;
	}

	/* full: repeats (versions of one contact landed by several batches) go first */
	if (s->n + landed->n > s->cap && s->n > 0)
		compact(s);
	old = MemoryContextSwitchTo(pending_cxt);
	if (s->n + landed->n > s->cap)
	{
		int			cap = Max(1024, Max(s->cap * 2, s->n + landed->n));

		s->keys = s->keys ? repalloc_huge(s->keys, sizeof(UpkeepKey) * cap)
			: MemoryContextAllocHuge(pending_cxt, sizeof(UpkeepKey) * cap);
		s->cap = cap;
	}
	MemoryContextSwitchTo(old);

	level = GetCurrentTransactionNestLevel();
	for (int i = 0; i < landed->n; i++)
	{
		UpkeepKey  *key = &s->keys[s->n];

		if (landed->rows[i].nulls[id_att] || landed->rows[i].nulls[ts_att])
			continue;
		memcpy(key->id.data, DatumGetUUIDP(landed->rows[i].values[id_att])->data, UUID_LEN);
		key->ts = DatumGetTimestampTz(landed->rows[i].values[ts_att]);
		key->level = level;
		s->n++;
	}
}

/*
 * Deferred upkeep, for load()'s workers (load.c, "Workers"): a worker
 * commits every file on its own, and the upkeep's fixed cost (the rollups of
 * the intervals touched, the repeat rule) paid per file would cost more than
 * the file.  With cl_upkeep_defer(true) the keys a transaction landed are
 * not given to the kind's function at commit but queued in
 * connect_lake.upkeep_queue, in the same transaction (a file and its queued
 * upkeep commit together); cl_upkeep_drain() then runs the functions once
 * for many files' keys, in a transaction that deletes what it ran.  A worker
 * killed between the two leaves its keys queued: the next drain runs them.
 */
void
cl_upkeep_defer(bool on)
{
	deferred = on;
}

/*
 * Run the queued upkeep (in a transaction, SPI not connected): per kind,
 * the queue's rows not locked by another drain, deleted, their keys
 * sorted without repeats and given to the kind's function in one call.
 * Returns the keys run; wait false: -1 at once when another drain of a kind
 * runs (its lock is not free).
 */
int64
cl_upkeep_drain(bool wait)
{
	const char *s = quote_identifier(CONNECT_LAKE_SCHEMA);
	List	   *kinds = NIL;
	ListCell   *lc;
	int64		done = 0;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	rc = SPI_execute(psprintf("SELECT DISTINCT kind FROM %s.upkeep_queue", s), true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: reading the upkeep queue failed: %s", SPI_result_code_string(rc));
	for (uint64 r = 0; r < SPI_processed; r++)
		kinds = lappend(kinds, SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1));
	foreach(lc, kinds)
	{
		CLRecordKind *kind = cl_kind_by_name((char *) lfirst(lc));
		CLWriterIdentity identity;
		char	   *sql;
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];
		bool		isnull;
		LOCKTAG		tag;

		if (kind->commit_upkeep == NULL)
			continue;
		/*
		 * One drain of a kind at a time, and no load() in a session: the
		 * upkeep reads the rows as committed, without the writers' row
		 * locks that order two upkeeps of a contact in a writer's own
		 * transaction; drains in turn each read what committed before them,
		 * and a version committed later has its keys queued for a later one.
		 */
		cl_kind_lock_writers(kind, false);
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, CL_WRITER_LOCK_SPACE, cl_relation_oid(kind->table), 4);
		if (LockAcquire(&tag, ExclusiveLock, false, !wait) == LOCKACQUIRE_NOT_AVAIL)
		{
			done = -1;
			break;
		}
		args[0] = CStringGetTextDatum(kind->name);
		sql = psprintf("WITH q AS (DELETE FROM %s.upkeep_queue WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
					   "SELECT ctid FROM %s.upkeep_queue WHERE kind OPERATOR(pg_catalog.=) $1 FOR UPDATE SKIP LOCKED)) "
					   "RETURNING ids, keys), "
					   "k AS (SELECT DISTINCT u.id, u.ts FROM q, ROWS FROM (pg_catalog.unnest(q.ids), pg_catalog.unnest(q.keys)) AS u(id, ts)) "
					   "SELECT pg_catalog.count(*), %s.%s(pg_catalog.array_agg(k.id ORDER BY k.id, k.ts), "
					   "pg_catalog.array_agg(k.ts ORDER BY k.id, k.ts)) IS NULL FROM k HAVING pg_catalog.count(*) > 0",
					   s, s, s, quote_identifier(kind->commit_upkeep));
		cl_writer_identity_begin(&identity);
		rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, false, 0);
		cl_writer_identity_end(&identity);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "connect_lake: draining the upkeep queue failed: %s", SPI_result_code_string(rc));
		if (SPI_processed == 1)
			done += DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	return done;
}
