/*
 * load.h: load()'s file loop, for the session that calls it and for its
 * background workers (load_workers.c).
 */
#ifndef CL_LOAD_H
#define CL_LOAD_H

#include "postgres.h"

/* What load() returns, summed over its files (and over its workers). */
typedef struct CLLoadTotals
{
	int64		files_seen,
				files_loaded,
				files_skipped,
				files_failed,
				records,
				inserted,
				updated,
				duplicates,
				rejected,
				values_nulled,
				bytes;
} CLLoadTotals;

/* A load() call's arguments, as given. */
typedef struct CLLoadRequest
{
	const char *kind;
	const char *path;
	const char *on_error;
	const char *format;
	const char *compression;
} CLLoadRequest;

/*
 * Called by cl_load_committing() after each transaction it committed: that
 * transaction's totals (one chunk of files), and the error of the first
 * file that failed in it (NULL: none).
 */
typedef void (*CLLoadReport) (void *arg, const CLLoadTotals *t, const char *error);

/*
 * A worker's next chunk of the listing (0, 1, 2 ... shared by the workers
 * of one call): the files chunk * CL_LOAD_CHUNK to (chunk + 1) *
 * CL_LOAD_CHUNK - 1 in path order, loaded in one transaction.
 */
#define CL_LOAD_CHUNK 1
typedef int64 (*CLLoadNextChunk) (void *arg);

/*
 * A background worker's load (load_workers.c): chunks of the request's
 * files, each in a transaction of its own, every file claimed first and
 * skipped when another session's worker holds it (see load.c's header,
 * "Workers").  Called outside a transaction, connected to the database.
 */
extern void cl_load_committing(const CLLoadRequest *req, CLLoadNextChunk next_chunk,
							   CLLoadReport report, void *arg);

/*
 * load(..., workers => n): n background workers run cl_load_committing();
 * the caller waits for them and returns their totals (*first_error: the
 * first failed file's error, or NULL).  load_workers.c.
 */
extern void cl_load_with_workers(const CLLoadRequest *req, int nworkers, CLLoadTotals *t, char **first_error);

#endif							/* CL_LOAD_H */
