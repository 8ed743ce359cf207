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
 *     batch are resolved in C first.  For each version that wins, agent_dim,
 *     queue_dim, queue_name_history and contact_account are maintained (one
 *     statement per table per batch; rows sorted so concurrent writers lock
 *     in the same order).
 *
 *   every other kind: insert when the partition's unique key is absent
 *     (ON CONFLICT DO NOTHING), else count a duplicate.
 *
 * Columns the record left NULL take the table's column default (e.g.
 * landed_at DEFAULT now()), so a kind need not know its table's defaults.
 * The writer sets source_file, source_offset (NULL when source_file is NULL
 * or the offset negative) and landed_at where the kind's row type has them.
 *
 * Memory lives in CurrentMemoryContext at cl_writer_begin(); an error
 * mid-batch simply aborts the statement (nothing half-written survives).
 * Prepared statements are kept per backend.
 */
#ifndef CL_WRITER_H
#define CL_WRITER_H

#include "postgres.h"

#include "recmap.h"

/* Rows per partition sent in one statement. */
#define CL_WRITER_BATCH 2000

typedef struct CLWriteCounts
{
	int64		inserted;		/* new rows (ctr: a contact not in the lake) */
	int64		updated;		/* ctr: a newer version replaced the row */
	int64		duplicates;		/* already there (ctr: an older or identical version) */
} CLWriteCounts;

typedef struct CLWriter CLWriter;

/* A writer for one statement or one file; allocated in CurrentMemoryContext. */
extern CLWriter *cl_writer_begin(void);

/*
 * Add one successfully mapped record: st->kind is the target kind after
 * routing, st->values/nulls its row.  The row is copied (the caller reuses st
 * for the next record); st->values of source_file, source_offset, landed_at
 * (and versions_seen for ctr) are overwritten.  A record without a partition
 * value raises an error naming the record.  May flush a full batch.
 */
extern void cl_writer_add(CLWriter *w, CLMapState *st, const char *source_file, int64 source_offset);

/*
 * Send everything still buffered, run each written kind's upkeep
 * (cl_kind_after_write(), e.g. case_state after Cases events) and return
 * the counts of every record added since cl_writer_begin() (or the last
 * finish).  out may be NULL.  The writer may be used again after finishing.
 */
extern void cl_writer_finish(CLWriter *w, CLWriteCounts *out);

#endif							/* CL_WRITER_H */
