/*
 * writer.h: the one way mapped records land in the lake's tables.
 *
 * ingest() and load() map records with recmap (cl_map_jsonb / cl_map_tape)
 * and hand each good one to a writer.  The writer copies the row, buffers it
 * per month partition and sends full batches (CL_WRITER_BATCH rows) as ONE
 * prepared statement per batch:
 *
 *   INSERT INTO <partition> (cols) SELECT cols FROM unnest($1::<rowtype>[]) ...
 *
 * The writer names no kind and no kind's column: what differs between kinds
 * is declared on the kind (CLRecordKind, recmap.h) or done by its hooks:
 *
 *   every kind: insert when the partition's unique key is absent (ON
 *     CONFLICT DO NOTHING), else count a duplicate.
 *
 *   a kind with a land (CLLand below; e.g. cl_version_land for CTRs, whose
 *     versions fold into one row per contact): the land folds records of
 *     one key within a batch, orders the batch, writes the ON CONFLICT
 *     clause and sends the batch, counting each record as if it had been
 *     sent alone; the rows of the batch that landed go to the kind's
 *     after_flush hook (CTRs: dimensions and account links, ctr_dims.c).
 *
 *   a kind with after_write (case events): once per cl_writer_finish(), the
 *     values of after_write_key of every row added (case_state upkeep).
 *
 *   a kind with an upkeep (upkeep.h; ctr: the contact metrics, flow logs:
 *     the flow tables): the keys of the rows that landed (without a land:
 *     of the rows sent) are collected per transaction and handed to the
 *     kind's actions once, just before the transaction commits.
 *
 * Columns the record left NULL take the table's column default, so a kind
 * need not know its table's defaults.  The writer alone sets the provenance
 * columns, where the kind's row type has them: source_file, source_offset
 * (NULL when source_file is NULL or the offset negative), the kind's
 * landed_column (its clock, strictly increasing per backend; the
 * transaction's start for a kind declaring landed_xact_start) and its
 * count_column (the versions folded into the row).
 *
 * A land sends a batch in key order, and cl_writer_finish() flushes
 * partitions in Oid order, so concurrent writers lock rows in one order
 * (batches flushed early, when a buffer fills, are the exception: two
 * concurrent loads of files sharing contacts can still deadlock, and
 * PostgreSQL then fails one of them).
 *
 * Memory lives in CurrentMemoryContext at cl_writer_begin(); an error
 * mid-batch simply aborts the statement (nothing half-written survives).
 * Prepared statements are kept per backend.
 */
#ifndef CL_WRITER_H
#define CL_WRITER_H

#include "postgres.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"

#include "recmap.h"

/* Rows per partition sent in one statement. */
#define CL_WRITER_BATCH 2000

/*
 * A row this large (formed, in bytes) is sent as soon as it is added, not
 * buffered with others: the writer holds one large record at a time.
 */
#define CL_WRITER_LARGE_ROW ((uint32) 1024 * 1024)

/*
 * Per record added: what sending the records one at a time, in the order
 * added, would have done (exact also for several versions of a key in one
 * batch; approximate between updated and duplicates only when another
 * session lands the same key at the same moment).
 */
typedef struct CLWriteCounts
{
	int64		inserted;		/* new rows (a key not in the lake) */
	int64		updated;		/* a land's: a newer version replaced the row */
	int64		duplicates;		/* already there (with a land: an older or identical version) */
	int64		values_nulled;	/* values kept raw instead of in their column (CLMapState.values_nulled) */
} CLWriteCounts;

typedef struct CLWriter CLWriter;

/* A writer for one statement or one file; allocated in CurrentMemoryContext. */
extern CLWriter *cl_writer_begin(void);

/*
 * Add one successfully mapped record: st->kind is the target kind after
 * routing, st->values/nulls its row.  The row is copied (the caller reuses st
 * for the next record); st->values of the provenance columns are
 * overwritten.  A record without a partition
 * value raises an error naming the record.  May flush a full batch.
 * Returns false, with the reason in st (cl_map_fail) and nothing of the
 * record kept, when its partition timestamp is outside the window the DBA
 * allows or its month would need a partition beyond the call's budget
 * (partition.h): the caller rejects the record (load_rejects under
 * on_error 'skip') or raises it (cl_map_raise).
 */
extern bool cl_writer_add(CLWriter *w, CLMapState *st, const char *source_file, int64 source_offset);

/*
 * Send everything still buffered, run each kind's after_write hook with the
 * keys of the rows added (e.g. case_state for the cases written) and return
 * the counts of every record added since cl_writer_begin() (or the last
 * finish).  out may be NULL.  The writer may be used again after finishing.
 */
extern void cl_writer_finish(CLWriter *w, CLWriteCounts *out);

/* ---------- for kinds' hooks ---------- */

/*
 * One partition's batch as a land sees it.  Rows are formed tuples in the
 * order the batch first met their keys; the batch's memory (cxt, where
 * `land` and anything the land allocates per batch live) is reset after
 * each flush.
 */
typedef struct CLBatch
{
	Oid			partition;
	TupleDesc	tupdesc;		/* the kind's row type */
	MemoryContext cxt;
	int			n;				/* rows buffered */
	HeapTuple  *rows;
	void	   *land;			/* the land's per-batch state: NULL at a batch's start */
	bool	   *direct;			/* rows the writer inserted itself (new keys), or NULL */
} CLBatch;

/*
 * How a kind's rows land, when not by plain insert (CLRecordKind.land).  The
 * writer calls, per writer and kind, then per partition, record and batch:
 *
 *   setup(kind, tupdesc)   once per writer and kind, before its first row
 *       (may use SPI): check the kind's declarations against its row type;
 *       returns the land's state for the kind ("ks" below), allocated in
 *       CurrentMemoryContext (the writer's).
 *   conflict_sql(ks, sql)  once per backend and partition, when preparing
 *       the batch statement: append its ON CONFLICT ... RETURNING ... clause.
 *   fold(ks, b, values, nulls, &newer)  the one per-record hook, after the
 *       writer set the provenance columns: -1 when the batch holds no row of
 *       the record's key (the writer appends it as row b->n), else the row it
 *       folds into, with *newer set when the record's values replace that
 *       row's.  The writer counts the versions folded into each row in its
 *       count_column.
 *   order(ks, b, order)    per batch: permute order[0..n) (the identity) into
 *       the order rows are sent.
 *   flush(ks, b, plan, rows, counts, landed)  per batch, SPI connected, in
 *       b->cxt: rows marked in b->direct (when not NULL) are new keys the
 *       writer inserted itself (writer_direct.c), landed as inserted; send
 *       the others (rows: an array of the row type in that order, or the
 *       one row of a batch of one; plan NULL when there are none) with the
 *       writer's prepared plan
 *       (cl_writer_run_rows()), add every record folded into the batch to
 *       counts and, when landed->rows is not NULL (the kind has after_flush or
 *       an upkeep),
 *       fill it with the rows that won, in row order.
 */
struct CLLand
{
	void	   *(*setup) (CLRecordKind *kind, TupleDesc tupdesc);
	void		(*conflict_sql) (void *ks, StringInfo sql);
	int			(*fold) (void *ks, CLBatch *b, Datum *values, bool *nulls, bool *newer);
	void		(*order) (void *ks, CLBatch *b, int *order);
	void		(*flush) (void *ks, CLBatch *b, SPIPlanPtr plan, Datum rows, CLWriteCounts *counts, CLLanded *landed);
};

/* Versions of one row per key, the newest winning (version_land.c). */
extern const CLLand cl_version_land;

/*
 * What a kind's after_flush hook is given (recmap.h): the rows of one flushed
 * batch that landed, each inserted or newer than the row it replaced, in the
 * order the batch first met their keys; values as sent (provenance set).
 * Memory lives until the batch's context is reset, after the hook.
 */
typedef struct CLLandedRow
{
	Datum	   *values;
	bool	   *nulls;
	bool		replaced;		/* replaced an existing row (else inserted) */
} CLLandedRow;

struct CLLanded
{
	CLRecordKind *kind;
	TupleDesc	tupdesc;		/* the kind's row type */
	int			n;
	CLLandedRow *rows;
};

/*
 * Statements kept per backend, for the writer and the hooks it calls (SPI
 * connected): prepared once per (relid, rowtype, name) from the SQL build()
 * returns, setting *nargs (at most CL_WRITER_MAX_ARGS) and argtypes.
 */
#define CL_WRITER_MAX_ARGS 8
typedef char *(*CLPlanSqlFn) (void *arg, int *nargs, Oid *argtypes);
extern SPIPlanPtr cl_writer_plan(Oid relid, Oid rowtype, const char *name, CLPlanSqlFn build, void *arg);

/* Run a kept statement; an outcome other than expect (SPI_OK_*) is an error. */
extern void cl_writer_run(SPIPlanPtr plan, Datum *args, int nargs, int expect);

/*
 * Run a kept statement whose one parameter is a batch of rows (an array of
 * the row type, or one row), passed as a run-time value rather than folded
 * into the plan as a constant (no copy of the rows; on a lake distributed on
 * Citus, as a constant, which Citus needs); else as cl_writer_run().
 */
extern void cl_writer_run_rows(SPIPlanPtr plan, Datum rows, int expect);

/*
 * A batch of a kind without a land written into its partition as COPY
 * writes (writer_direct.c): rows[order[0..n)] in that order, each inserted
 * unless a unique index holds its key (as ON CONFLICT DO NOTHING: on the
 * lake's tables the key index's partial check flags it, and a duplicate is
 * taken out again).  The rows it takes are freed and set to NULL in rows[]
 * (the caller frees the others).
 * Returns the rows inserted, or -1 when the batch statement must be sent
 * instead (the kind's writer lock not held exclusively, triggers, CHECK
 * constraints, row-level security, Citus ...).  ko NULL: a side table's
 * rows (formed with its descriptor), distinct in its one unique index.
 */
struct CLKeyOrder;
extern int64 cl_writer_direct(CLRecordKind *kind, const struct CLKeyOrder *ko, Oid partition, TupleDesc td,
							  HeapTuple *rows, const int *order, const bool *same, int n);

/*
 * For a land, in the same conditions: of a batch's rows (keys distinct),
 * insert those whose key the partition does not hold yet, marking them in
 * inserted[]; the rest go to the land's statement.  Returns how many were
 * inserted, or -1 when none may be (writer_direct.c).
 */
extern int	cl_writer_direct_new_keys(CLRecordKind *kind, const struct CLKeyOrder *ko, Oid partition,
									  TupleDesc td, HeapTuple *rows, const int *order, int n,
									  bool *inserted);

/*
 * A plain table written as COPY writes (writer_direct.c): rows formed with
 * the table's descriptor (cl_direct_table_desc()), put one by one, inserted
 * in runs with table_multi_insert() and their index entries, each unique
 * index checked as a plain INSERT checks it (a duplicate fails).  Only where
 * the caller alone adds those keys meanwhile (e.g. the metric rollups'
 * interval rows, their intervals locked).  begin() returns NULL, nothing
 * held, when the table must be written by SQL instead: triggers, rules,
 * CHECK constraints, row-level security, no INSERT privilege, generated
 * columns (or identity GENERATED ALWAYS), not a plain table, a read-only
 * transaction, or the lake distributed on Citus.  end()
 * returns the rows written and makes them visible to the next commands.
 */
typedef struct CLDirectTable CLDirectTable;
extern CLDirectTable *cl_direct_table_begin(Oid relid);
extern TupleDesc cl_direct_table_desc(CLDirectTable *t);
extern void cl_direct_table_put(CLDirectTable *t, Datum *values, bool *nulls);
/* a row formed with the table's descriptor, which the table takes (freed when written) */
extern void cl_direct_table_put_tuple(CLDirectTable *t, HeapTuple tup);
extern int64 cl_direct_table_end(CLDirectTable *t);
/*
 * cl_direct_table_begin() of the extension's table relname when it still
 * has the columns its caller forms: natts of them, not dropped, of types[i]
 * (InvalidOid: integer or bigint, the caller's value following the column)
 * and, where names is given and names[i] is not NULL, of that name; else
 * NULL, nothing held (a DBA's domain, enum or varchar key would otherwise
 * take another type's bytes unchecked: the statement's).
 */
extern CLDirectTable *cl_direct_table_open(const char *relname, int natts, const Oid *types,
										   const char *const *names);

/* A one-dimensional array of count values of elemtype (nulls may be NULL). */
extern Datum cl_writer_array(Datum *values, bool *nulls, int count, Oid elemtype);

#endif							/* CL_WRITER_H */
