/*
 * metric_contact.c: the contact_metric rows of the new contacts a writer's
 * upkeep brings, written from C (metric_apply(), 90_metrics.sql).
 *
 * connect_lake.metric_apply_new(ids, initiation_ts) takes the contacts a
 * writer landed (metrics_refresh_contacts() with their InitiationTimestamps,
 * as every writer calls it at commit) and writes, directly as COPY writes
 * (cl_direct_table_*, writer_direct.c), the contact_metric rows of those
 * that need nothing but their own row: a contact that contact_metric does not
 * hold yet, with no PreviousContactId and no NextContactId, that no row of
 * contact_metric and no other contact given names as either (so it has no
 * follower, continues none, and no follower flag of another contact
 * changes).  For such a contact metric_apply_rows() reads its latest version
 * given from contact_metric_base, finds no row before, no follower leg and
 * no contact to settle, and inserts the row with the follower flags of no
 * leg: exactly the row the query below makes, through the same view and
 * the same rule functions (metric_abandoned() and its kin with '{}'), so the
 * rules stay defined once, in SQL.  What the upsert's work was for (its xmin
 * guard, the follower legs, the second call for contacts held under another
 * InitiationTimestamp) cannot apply to them.
 *
 * It returns the rows written (after: for metric_rollup_delta(), which adds
 * them to the rollups with the statement's rows) and the contacts it left
 * (rest_ids, rest_ts: the same order), which metric_apply() hands to
 * metric_apply_rows() unchanged.  after is NULL, and every contact left, where
 * the rows must go through the statement: not READ COMMITTED (under
 * REPEATABLE READ a row another session committed meanwhile must be the
 * upsert's serialization failure), a table that cannot be written directly
 * (triggers, rules, CHECK constraints, row-level security that does not let
 * any row in, no INSERT privilege, a read-only transaction, Citus:
 * cl_direct_table_begin()), or contact_metric's columns no longer those the
 * query forms (a DBA's change of a type, an added or dropped column, or a
 * typmod such as timestamptz(0), whose values INSERT would round: the
 * query's row is compared with the table's, type and typmod, before the
 * first row is fetched, and on a difference nothing is written and every
 * contact goes to the statement, which coerces as INSERT does).
 *
 * Concurrency: metric_apply() holds the rollups' lock exclusively, so the
 * writers' upkeeps come one at a time and another session's contact_metric
 * row of the same contact has committed before this reads (it then takes
 * the statement).  Should a row come in between anyway (a caller of this
 * function not holding that lock), the rows are written in a subtransaction
 * with each unique index checked as INSERT checks it: a key another session
 * holds uncommitted is waited for, and a duplicate key (it committed) or a
 * deadlock found while waiting rolls the subtransaction back, and every
 * contact goes to the statement, whose upsert handles them as before
 * (test/specs/metric_apply_new_race.spec: two sessions calling this on the
 * same contacts).  No other error is caught.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/uuid.h"

#include "connect_lake.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(metric_apply_new);

/* contact_metric's columns, as the query forms them */
#define MC_NATTS 31
static const char *const mc_names[MC_NATTS] = {
	"contactid", "initiationtimestamp", "disconnecttimestamp", "lastupdatetimestamp", "interval_start",
	"excluded_reason", "queue_kind", "queue_id", "channel", "agent_id", "initiationmethod",
	"disconnectreason", "previouscontactid", "nextcontactid", "queued", "handled", "answered",
	"abandoned", "callback_requested", "xfer_out_queue", "xfer_out_internal", "xfer_out_external",
	"xfer_out_agent", "held", "queue_time", "handle_time", "interaction_time", "hold_time", "acw_time",
	"contact_duration", "resolution_time"
};
static const Oid mc_types[MC_NATTS] = {
	UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	TEXTOID, TEXTOID, UUIDOID, TEXTOID, UUIDOID, TEXTOID,
	TEXTOID, UUIDOID, UUIDOID, BOOLOID, BOOLOID, BOOLOID,
	BOOLOID, BOOLOID, BOOLOID, BOOLOID, BOOLOID,
	BOOLOID, BOOLOID, INT4OID, INT4OID, INT4OID, INT4OID, INT4OID,
	INT4OID, INT4OID
};

/*
 * The rows: metric_apply_rows()'s src0 for the writers' condition (each
 * contact's latest version among those given), those that need nothing but
 * their own row, with the follower flags of no leg, in the order of the key.
 * Each lookup of contact_metric is a probe by an index (OFFSET 0: never
 * flattened into a join that reads the table); the contacts the batch names
 * are hashed (NOT IN a hashed subplan).
 */
static const char *const mc_query =
"WITH src0 AS MATERIALIZED ("
"  SELECT DISTINCT ON (b.contactid) b.*"
"    FROM connect_lake.contact_metric_base b"
"   WHERE (b.contactid, b.initiationtimestamp) IN (SELECT u.c, u.t FROM unnest($1::uuid[], $2::timestamptz[]) u(c, t))"
"   ORDER BY b.contactid, b.lastupdatetimestamp DESC NULLS LAST, b.initiationtimestamp DESC"
"), named AS MATERIALIZED ("
"  SELECT s.previouscontactid AS c FROM src0 s WHERE s.previouscontactid IS NOT NULL"
"  UNION SELECT s.nextcontactid FROM src0 s WHERE s.nextcontactid IS NOT NULL"
")"
"SELECT s.contactid, s.initiationtimestamp, s.disconnecttimestamp, s.lastupdatetimestamp, s.interval_start,"
"       s.excluded_reason, s.queue_kind, s.queue_id, s.channel, s.agent_id, s.initiationmethod,"
"       s.disconnectreason, s.previouscontactid, s.nextcontactid, s.queued, s.handled, s.answered,"
"       connect_lake.metric_abandoned(s.queued, s.handled, '{}'::text[]),"
"       connect_lake.metric_callback_requested(s.queued, s.handled, '{}'::text[]),"
"       connect_lake.metric_xfer_out_queue(s.queued, s.handled, '{}'::text[]),"
"       connect_lake.metric_xfer_out_internal(s.handled, '{}'::text[]),"
"       s.xfer_out_external,"
"       connect_lake.metric_xfer_out_agent(s.handled, connect_lake.metric_xfer_out_internal(s.handled, '{}'::text[]),"
"                                          s.xfer_out_external),"
"       s.held, s.queue_time, s.handle_time, s.interaction_time, s.hold_time, s.acw_time, s.contact_duration,"
"       s.resolution_time"
"  FROM src0 s"
" WHERE s.previouscontactid IS NULL AND s.nextcontactid IS NULL"
"   AND s.contactid NOT IN (SELECT n.c FROM named n)"
"   AND NOT EXISTS (SELECT 1 FROM connect_lake.contact_metric m WHERE m.contactid = s.contactid OFFSET 0)"
"   AND NOT EXISTS (SELECT 1 FROM connect_lake.contact_metric m WHERE m.previouscontactid = s.contactid OFFSET 0)"
"   AND NOT EXISTS (SELECT 1 FROM connect_lake.contact_metric m WHERE m.nextcontactid = s.contactid OFFSET 0)"
" ORDER BY s.contactid";

/* What the subtransaction wrote. */
typedef struct MCWritten
{
	Datum	   *rows;			/* contact_metric composites */
	pg_uuid_t  *ids;			/* their contacts, ascending */
	int			n;
} MCWritten;

/* Rows fetched from the query's cursor at a time (so that they are held once). */
#define MC_FETCH 1000

/*
 * Whether the query's row is the table's, column for column, type and
 * typmod: then its tuples are the table's as they come (a typmod the table
 * has and the query's column lacks would have INSERT coerce the values).
 */
static bool
mc_row_is_table(TupleDesc rd, TupleDesc td)
{
	if (rd->natts != td->natts)
		return false;
	for (int i = 0; i < rd->natts; i++)
	{
		Form_pg_attribute r = TupleDescAttr(rd, i);
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (a->attisdropped || r->atttypid != a->atttypid || r->atttypmod != a->atttypmod)
			return false;
	}
	return true;
}

/*
 * The rows read and written (in the subtransaction); false, nothing
 * written: the statement's (the table cannot be written directly, or the
 * query's row is not the table's).
 */
static bool
mc_write(ArrayType *ids, ArrayType *ts, MCWritten *w, MemoryContext keep)
{
	CLDirectTable *t;
	TupleDesc	td;
	Oid			argtypes[2] = {UUIDARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		args[2];
	Portal		portal;
	int			cap = 0;

	t = cl_direct_table_open("contact_metric", MC_NATTS, mc_types, mc_names);
	if (t == NULL)
		return false;
	td = cl_direct_table_desc(t);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	args[0] = PointerGetDatum(ids);
	args[1] = PointerGetDatum(ts);
	portal = SPI_cursor_open_with_args(NULL, mc_query, 2, argtypes, args, NULL, false, 0);
	/* else the statement's: the query's row must be the table's, type and typmod */
	if (!mc_row_is_table(portal->tupDesc, td))
	{
		SPI_cursor_close(portal);
		(void) cl_direct_table_end(t);
		SPI_finish();
		return false;
	}
	for (;;)
	{
		SPITupleTable *tt;
		TupleDesc	rd;
		uint64		n;
		MemoryContext old;

		SPI_cursor_fetch(portal, true, MC_FETCH);
		tt = SPI_tuptable;
		n = SPI_processed;
		if (tt == NULL || n == 0)
			break;
		rd = tt->tupdesc;
		old = MemoryContextSwitchTo(keep);
		if (w->n + n > cap)
		{
			cap = Max(cap * 2, w->n + (int) n);
			w->rows = w->rows ? repalloc(w->rows, sizeof(Datum) * cap) : palloc(sizeof(Datum) * cap);
			w->ids = w->ids ? repalloc(w->ids, sizeof(pg_uuid_t) * cap) : palloc(sizeof(pg_uuid_t) * cap);
		}
		MemoryContextSwitchTo(old);
		for (uint64 i = 0; i < n; i++)
		{
			HeapTuple	src = tt->vals[i];
			HeapTuple	tup;
			bool		isnull;

			CHECK_FOR_INTERRUPTS();
			/* the table's row, and the composite for the rollups (in the caller's context) */
			tup = heap_copytuple(src);
			old = MemoryContextSwitchTo(keep);
			w->rows[w->n] = heap_copy_tuple_as_datum(tup, td);
			w->ids[w->n] = *DatumGetUUIDP(heap_getattr(src, 1, rd, &isnull));
			MemoryContextSwitchTo(old);
			w->n++;
			cl_direct_table_put_tuple(t, tup);
		}
		SPI_freetuptable(tt);
	}
	SPI_cursor_close(portal);
	(void) cl_direct_table_end(t);
	SPI_finish();
	return true;
}

/*
 * mc_write() in a subtransaction: false, nothing written, when the table
 * cannot be written directly or it met another session's row of one of the
 * contacts (a duplicate key, a deadlock while waiting for it); true, with
 * w->n rows (perhaps none), when it wrote; any other error is raised.
 */
static bool
mc_try(ArrayType *ids, ArrayType *ts, MCWritten *w)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool done = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		done = mc_write(ids, ts, w, cxt);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_UNIQUE_VIOLATION &&
			edata->sqlerrcode != ERRCODE_T_R_DEADLOCK_DETECTED)
			ReThrowError(edata);
		FreeErrorData(edata);
		done = false;
		w->n = 0;
	}
	PG_END_TRY();
	return done;
}

static int
uuid_cmp_p(const void *a, const void *b)
{
	return memcmp(a, b, UUID_LEN);
}

/*
 * metric_apply_new(ids uuid[], initiation_ts timestamptz[], OUT after
 * contact_metric[], OUT rest_ids uuid[], OUT rest_ts timestamptz[]): see the
 * file header.
 */
Datum
metric_apply_new(PG_FUNCTION_ARGS)
{
	ArrayType  *ids;
	ArrayType  *ts;
	TupleDesc	rtd;
	Datum		out[3];
	bool		outnull[3] = {false, false, false};
	MCWritten	w = {0};
	bool		done = false;
	Oid			rowtype = InvalidOid;
	Datum	   *idv;
	bool	   *idn;
	Datum	   *tsv;
	bool	   *tsn;
	int			nid;
	int			nts;
	int			nrest = 0;

	if (get_call_result_type(fcinfo, NULL, &rtd) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "connect_lake: metric_apply_new must return a record");
	rtd = BlessTupleDesc(rtd);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("metric_apply_new needs the contacts and their initiation timestamps")));
	ids = PG_GETARG_ARRAYTYPE_P(0);
	ts = PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(ids, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &idv, &idn, &nid);
	deconstruct_array(ts, TIMESTAMPTZOID, sizeof(TimestampTz), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &tsv, &tsn, &nts);
	if (nid != nts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contact ids and initiation timestamps differ in length (%d and %d)", nid, nts)));

	done = nid > 0 && !IsolationUsesXactSnapshot() && mc_try(ids, ts, &w);

	if (!done)
	{
		outnull[0] = true;
		out[1] = PointerGetDatum(ids);
		out[2] = PointerGetDatum(ts);
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(rtd, out, outnull)));
	}

	/* the contacts left, in their order (the rows came in key order) */
	for (int i = 0; i < nid; i++)
	{
		if (!idn[i] && w.n > 0 &&
			bsearch(DatumGetUUIDP(idv[i]), w.ids, w.n, sizeof(pg_uuid_t), uuid_cmp_p) != NULL)
			continue;
		idv[nrest] = idv[i];
		idn[nrest] = idn[i];
		tsv[nrest] = tsv[i];
		tsn[nrest] = tsn[i];
		nrest++;
	}
	rowtype = TupleDescAttr(rtd, 0)->atttypid;	/* contact_metric[] */
	rowtype = get_element_type(rowtype);
	{
		int16		typlen;
		bool		typbyval;
		char		typalign;
		int			dims[1];
		int			lbs[1] = {1};

		get_typlenbyvalalign(rowtype, &typlen, &typbyval, &typalign);
		dims[0] = w.n;
		out[0] = w.n > 0
			? PointerGetDatum(construct_md_array(w.rows, NULL, 1, dims, lbs, rowtype, typlen, typbyval, typalign))
			: PointerGetDatum(construct_empty_array(rowtype));
		dims[0] = nrest;
		out[1] = nrest > 0
			? PointerGetDatum(construct_md_array(idv, idn, 1, dims, lbs, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR))
			: PointerGetDatum(construct_empty_array(UUIDOID));
		out[2] = nrest > 0
			? PointerGetDatum(construct_md_array(tsv, tsn, 1, dims, lbs, TIMESTAMPTZOID, sizeof(TimestampTz),
												 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE))
			: PointerGetDatum(construct_empty_array(TIMESTAMPTZOID));
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(rtd, out, outnull)));
}
