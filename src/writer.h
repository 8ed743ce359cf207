/*
 * writer.h: the one way mapped records land in the lake's tables.
 *
 * ingest() and load() map records with recmap (cl_map_jsonb / cl_map_jsonc)
 * and hand each good one to a writer.  The writer copies the row, buffers it
 * per month partition and sends full batches (CL_WRITER_BATCH rows) as ONE
 * prepared statement per batch:
 *
 *   INSERT INTO <partition> (cols) SELECT cols FROM unnest($1::<rowtype>[]) ...
 *
 * Semantics by kind:
 *
 *   ctr (kind->name "ctr"): upsert on (contactid, initiationtimestamp); the
 *     version with the greatest lastupdatetimestamp wins (a NULL one loses to
 *     any timestamp); an older or identical version never overwrites the row,
 *     it only adds to versions_seen.  The winning version's source_file,
 *     source_offset and landed_at are kept.  Versions of one contact within a
 *     batch are resolved in C first.  contact_account follows each winning
 *     version batch by batch.  agent_dim, queue_dim and queue_name_history
 *     are aggregated from the winners per transaction and written once, when
 *     the transaction commits (one sorted statement per table), so that
 *     concurrent multi-file loads, which all touch the same agents and
 *     queues, never deadlock on them; a rolled-back subtransaction adds
 *     nothing.  Inside the loading transaction the dimensions are not yet
 *     up to date.
 *
 *   every other kind: insert when the partition's unique key is absent
 *     (ON CONFLICT DO NOTHING), else count a duplicate.
 *
 * Columns the record left NULL take the table's column default, so a kind
 * need not know its table's defaults.  The writer alone sets the provenance
 * columns, where the kind's row type has them: source_file, source_offset
 * (NULL when source_file is NULL or the offset negative), the kind's
 * landed_column (its clock, strictly increasing per backend; the
 * transaction's start for a kind declaring landed_xact_start) and its
 * count_column (the versions folded into the row).
 *
 * Rows of a batch are sent in key order, and cl_writer_finish() flushes
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

#include "recmap.h"

/* Rows per partition sent in one statement. */
#define CL_WRITER_BATCH 2000

/*
 * Per record added: what sending the records one at a time, in the order
 * added, would have done (exact also for several versions of a contact in
 * one batch; approximate between updated and duplicates only when another
 * session lands the same contact at the same moment).
 */
typedef struct CLWriteCounts
{
	int64		inserted;		/* new rows (ctr: a contact not in the lake) */
	int64		updated;		/* ctr: a newer version replaced the row */
	int64		duplicates;		/* already there (ctr: an older or identical version) */
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
 */
extern void cl_writer_add(CLWriter *w, CLMapState *st, const char *source_file, int64 source_offset);

/*
 * Send everything still buffered, run each kind's after_write hook with the
 * keys of the rows added (e.g. case_state for the cases written) and return
 * the counts of every record added since cl_writer_begin() (or the last
 * finish).  out may be NULL.  The writer may be used again after finishing.
 */
extern void cl_writer_finish(CLWriter *w, CLWriteCounts *out);

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

/* A one-dimensional array of count values of elemtype (nulls may be NULL). */
extern Datum cl_writer_array(Datum *values, bool *nulls, int count, Oid elemtype);

#endif							/* CL_WRITER_H */
