/*
 * record_limits.h: the limits one record must keep, whichever way it comes
 * in: a file read by load() or a foreign table (the framer's max_record_size
 * and max_depth), or a jsonb document given to ingest() / ingest_batch().
 *
 *   connect_lake.max_record_size   bytes of one record (default 64MB): a
 *                                  file's record counts its JSON text, an
 *                                  ingested document its jsonb size
 *   connect_lake.max_record_depth  nesting levels of objects and arrays
 *                                  (default 64)
 *
 * Both are superuser settings (PGC_SUSET): they bound a backend's memory.
 * A record beyond them is a bad record (ERRCODE_PROGRAM_LIMIT_EXCEEDED):
 * rejected per record by load() with on_error 'skip', an ERROR of ingest().
 */
#ifndef CL_RECORD_LIMITS_H
#define CL_RECORD_LIMITS_H

#include "postgres.h"

extern int	cl_max_record_size;
extern int	cl_max_record_depth;

/* Register the settings (from _PG_init). */
extern void cl_record_limits_init(void);

/* The limits for the framer's options (CLFrameOptions: max_record_size, max_depth). */
extern void cl_record_limits_frame(size_t *max_record_size, int *max_depth);

/*
 * Why a jsonb document (a Datum, possibly toasted: its size is read before
 * it is detoasted) breaks the limits, or NULL when it keeps them; label
 * names the record in the message (e.g. "ctr record").  The _check variant
 * raises it (ERRCODE_PROGRAM_LIMIT_EXCEEDED).
 */
extern char *cl_record_limits_jsonb_problem(Datum doc, const char *label);
extern void cl_record_limits_check_jsonb(Datum doc, const char *label);

#endif							/* CL_RECORD_LIMITS_H */
