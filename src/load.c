/*
 * load.c: connect_lake.load(kind, path, on_error, format, compression).
 *
 * Lands every record of the files under path in the kind's lake table,
 * through the same reader as the FDW (reader.h) and the lake's writer
 * (writer.h: CTR version upsert, insert-if-absent for the other kinds).
 *
 * Per file, in path order:
 *   1. claim the file's load_manifest row: INSERT ... ON CONFLICT DO NOTHING,
 *      then SELECT ... FOR UPDATE.  The row lock is held to the end of the
 *      transaction, so a second session loading the same file waits, then
 *      sees it loaded and skips it (row locks, unlike advisory locks, do not
 *      fill the shared lock table however many files one call claims);
 *   2. skip it when the manifest says it was loaded with the same size and
 *      mtime, or the same size and content checksum (a touched file);
 *   3. load it inside a subtransaction: the checksum of the raw bytes, every
 *      record mapped and written, rejects (on_error 'skip') recorded; on any
 *      error the subtransaction rolls back, so nothing of the file lands;
 *   4. record the outcome in the manifest (loaded / failed with the error).
 *
 * on_error 'stop' (default): the first bad record fails its file; the load
 * stops there and returns with a WARNING carrying the error (file, the line
 * and byte offset where the bad record starts, reason; the DETAIL says where
 * the problem was noticed when that is further on).  Files loaded before it
 * stay loaded, the failed file is recorded 'failed' and is tried again by
 * the next call.  It does not raise an ERROR because an ERROR would roll
 * back the whole statement, manifest rows included.
 *
 * on_error 'skip': bad records go to load_rejects (the line and byte offset
 * where the record starts, so that raw begins there; the reason with its
 * DETAIL), with the file's subtransaction, so they are recorded once per
 * loaded version of a file; a file that cannot be read at all (missing,
 * unreadable, corrupt gzip) is recorded 'failed' with a WARNING and the load
 * goes on with the next file.
 *
 * Cancellation, deadlocks, serialisation failures and resource exhaustion
 * are not file failures: they abort the statement as usual.
 */
#include "postgres.h"

#include "jsonc.h"

#include <fcntl.h>
#include <unistd.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "filelist.h"
#include "kinds.h"
#include "reader.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(load);

/* Progress NOTICE every this many bytes read (on disk) within a file. */
#define PROGRESS_BYTES	((uint64) 100 * 1024 * 1024)
/* Raw text kept per reject. */
#define REJECT_RAW_CAP	((size_t) 1024 * 1024)

typedef struct LoadTotals
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
	char	   *error;
} LoadTotals;

typedef struct LoadPlans
{
	SPIPlanPtr	claim;
	SPIPlanPtr	lock;
	SPIPlanPtr	done;
	SPIPlanPtr	touch;
	SPIPlanPtr	reject;
	SPIPlanPtr	probe;
} LoadPlans;

/*
 * The listing, streamed (filelist.h) and taken in batches: one manifest
 * query per batch tells the files loaded with the same size and mtime, which
 * are skipped without a statement of their own.
 */
#define LISTING_BATCH 1000

typedef struct Listing
{
	CLFileIter *it;
	MemoryContext cxt;			/* the batch's paths, reset per batch */
	CLFile		files[LISTING_BATCH];
	bool		unchanged[LISTING_BATCH];
	int			n;
	int			next;
	bool		done;			/* the iterator is exhausted */
} Listing;

/* One file's outcome. */
typedef struct FileResult
{
	bool		unchanged;		/* same content as loaded before */
	char	   *checksum;
	int64		records;
	int64		rejected;
	CLWriteCounts counts;
} FileResult;

static SPIPlanPtr
prepare(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL)
		elog(ERROR, "connect_lake: load(): SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	return plan;
}

/*
 * The manifest and reject statements load() runs per file, prepared once per
 * call: claim a file, lock its row, record the outcome, touch an unchanged
 * one, keep a rejected record.
 */
static void
prepare_plans(LoadPlans *p)
{
	Oid			claim[4] = {TEXTOID, TEXTOID, INT8OID, TIMESTAMPTZOID};
	Oid			lock[2] = {TEXTOID, TEXTOID};
	Oid			done[12] = {TEXTOID, TEXTOID, INT8OID, TIMESTAMPTZOID, TEXTOID, TEXTOID,
	INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, TEXTOID};
	Oid			touch[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Oid			reject[6] = {TEXTOID, TEXTOID, INT8OID, INT8OID, TEXTOID, TEXTOID};
	Oid			probe[2] = {TEXTOID, TEXTARRAYOID};

	p->claim = prepare("INSERT INTO connect_lake.load_manifest (kind, path, size, mtime, checksum, status, error) "
					   "VALUES ($1, $2, $3, $4, '', 'failed', 'not loaded yet') "
					   "ON CONFLICT (kind, path) DO NOTHING RETURNING 1", 4, claim);
	p->lock = prepare("SELECT size, mtime, checksum, status FROM connect_lake.load_manifest "
					  "WHERE kind = $1 AND path = $2 FOR UPDATE", 2, lock);
	p->done = prepare("UPDATE connect_lake.load_manifest SET size = $3, mtime = $4, checksum = $5, status = $6, "
					  "records = $7, inserted = $8, updated = $9, duplicates = $10, rejected = $11, "
					  "error = $12, loaded_at = now() WHERE kind = $1 AND path = $2", 12, done);
	p->touch = prepare("UPDATE connect_lake.load_manifest SET mtime = $3 WHERE kind = $1 AND path = $2",
					   3, touch);
	p->reject = prepare("INSERT INTO connect_lake.load_rejects (kind, path, byte_offset, line, reason, raw) "
						"VALUES ($1, $2, $3, $4, $5, $6)", 6, reject);
	p->probe = prepare("SELECT path, size, mtime FROM connect_lake.load_manifest "
					   "WHERE kind = $1 AND path = ANY ($2) AND status = 'loaded'", 2, probe);
}

static void
run(SPIPlanPtr plan, Datum *values, const char *nulls, int expect)
{
	int			rc = SPI_execute_plan(plan, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "connect_lake: load(): manifest statement failed: %s", SPI_result_code_string(rc));
}

static int
file_path_cmp(const void *a, const void *b)
{
	return strcmp(((const CLFile *) a)->path, ((const CLFile *) b)->path);
}

/*
 * The next batch of the listing, and which of its files the manifest has as
 * loaded with the same size and mtime: one query (an index probe of the
 * manifest's key per path), its rows matched by path in the batch, which the
 * listing hands out sorted.  A file not found unchanged here goes through
 * the claim and its row lock, which decide under the lock.
 */
static void
fill_listing(Listing *l, LoadPlans *plans, const char *kindname)
{
	MemoryContext old = MemoryContextSwitchTo(l->cxt);
	Datum	   *paths;
	Datum		v[2];
	const CLFile *f;

	MemoryContextReset(l->cxt);
	l->n = l->next = 0;
	while (l->n < LISTING_BATCH && (f = cl_file_iter_next(l->it)) != NULL)
	{
		l->files[l->n] = *f;
		l->files[l->n].path = pstrdup(f->path);
		l->unchanged[l->n] = false;
		l->n++;
	}
	if (l->n < LISTING_BATCH)
		l->done = true;
	if (l->n == 0)
	{
		MemoryContextSwitchTo(old);
		return;
	}
	paths = palloc(sizeof(Datum) * l->n);
	for (int i = 0; i < l->n; i++)
		paths[i] = CStringGetTextDatum(l->files[i].path);
	v[0] = CStringGetTextDatum(kindname);
	v[1] = PointerGetDatum(construct_array(paths, l->n, TEXTOID, -1, false, TYPALIGN_INT));
	run(plans->probe, v, NULL, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		CLFile		key;
		CLFile	   *hit;

		key.path = SPI_getvalue(tup, td, 1);
		hit = bsearch(&key, l->files, l->n, sizeof(CLFile), file_path_cmp);
		if (hit != NULL &&
			DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull)) == hit->size &&
			DatumGetTimestampTz(SPI_getbinval(tup, td, 3, &isnull)) == hit->mtime)
			l->unchanged[hit - l->files] = true;
	}
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(old);
}

/* The next file listed (NULL after the last); *unchanged: skip it. */
static const CLFile *
next_listed(Listing *l, LoadPlans *plans, const char *kindname, bool *unchanged)
{
	if (l->next == l->n)
	{
		if (l->done)
			return NULL;
		fill_listing(l, plans, kindname);
		if (l->n == 0)
			return NULL;
	}
	*unchanged = l->unchanged[l->next];
	return &l->files[l->next++];
}

/* How many files the listing has after the current one (for a message). */
static int64
listing_rest(Listing *l)
{
	int64		rest = l->n - l->next;

	while (!l->done && cl_file_iter_next(l->it) != NULL)
		rest++;
	return rest;
}

/* A 64-bit checksum of the file's bytes as they lie on disk, in hex. */
static char *
file_checksum(const char *path, int64 *bytes)
{
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	char	   *buf;
	uint64		h = 0;
	int64		total = 0;

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	buf = palloc(1024 * 1024);
	for (;;)
	{
		ssize_t		n;

		CHECK_FOR_INTERRUPTS();
		n = read(fd, buf, 1024 * 1024);
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		if (n == 0)
			break;
		h = hash_bytes_extended((const unsigned char *) buf, (int) n, h);
		total += n;
	}
	CloseTransientFile(fd);
	pfree(buf);
	*bytes = total;
	return psprintf("%016llx", (unsigned long long) h);
}

/* Read and land one file (inside its subtransaction). */
static void
load_one_file(CLReader *r, const CLFile *f, bool skip, LoadPlans *plans, const char *kindname,
		  const char *old_checksum, bool same_size, FileResult *res)
{
	CLWriter   *w;
	int64		disk_bytes;
	uint64		next_progress = PROGRESS_BYTES;

	res->checksum = file_checksum(f->path, &disk_bytes);
	if (same_size && old_checksum && strcmp(old_checksum, res->checksum) == 0)
	{
		res->unchanged = true;
		return;
	}

	w = cl_writer_begin();
	cl_reader_open(r, f->path);
	for (;;)
	{
		int			rc = cl_reader_next(r);

		if (rc == CL_READ_END)
			break;
		res->records++;
		if (rc == CL_READ_BAD)
		{
			Datum		v[6];
			char		n[6] = {' ', ' ', ' ', ' ', ' ', ' '};
			char	   *raw;

			if (!skip)
				cl_reader_raise(r);
			res->rejected++;
			raw = cl_reader_raw_text(r, REJECT_RAW_CAP);
			v[0] = CStringGetTextDatum(kindname);
			v[1] = CStringGetTextDatum(f->path);
			v[2] = Int64GetDatum((int64) r->err_offset);
			v[3] = Int64GetDatum((int64) r->err_line);
			if (r->err_line == 0)
				n[3] = 'n';
			v[4] = CStringGetTextDatum(r->errdetail ? psprintf("%s (%s)", r->errmsg, r->errdetail) : r->errmsg);
			if (raw)
				v[5] = CStringGetTextDatum(raw);
			else
				n[5] = 'n';
			run(plans->reject, v, n, SPI_OK_INSERT);
			continue;
		}

		cl_reader_push_context(r);
		cl_writer_add(w, &r->st, f->path, (int64) r->rec.offset);
		cl_reader_pop_context(r);

		if ((res->records & 1023) == 0 && cl_frame_bytes_in(r->frame) >= next_progress)
		{
			ereport(NOTICE,
					(errmsg("connect_lake.load: \"%s\": %llu MB of %lld MB read, %lld records",
							f->path, (unsigned long long) (cl_frame_bytes_in(r->frame) >> 20),
							(long long) (f->size >> 20), (long long) res->records)));
			next_progress = cl_frame_bytes_in(r->frame) + PROGRESS_BYTES;
		}
	}
	cl_reader_push_context(r);
	cl_writer_finish(w, &res->counts);
	cl_reader_pop_context(r);
	cl_reader_close(r);
}

/* Errors that are about the statement, not the file: never caught. */
static bool
statement_error(int sqlerrcode)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_TO_CATEGORY(ERRCODE_OPERATOR_INTERVENTION):	/* 57: cancel, shutdown */
		case ERRCODE_TO_CATEGORY(ERRCODE_TRANSACTION_ROLLBACK): /* 40: deadlock, serialisation */
		case ERRCODE_TO_CATEGORY(ERRCODE_INSUFFICIENT_RESOURCES):	/* 53: out of memory, disk */
			return true;
		default:
			return false;
	}
}

/*
 * An error as one line of text (message, DETAIL, CONTEXT) for the
 * load_manifest row and load()'s result, where a DBA reads why a file failed.
 */
static char *
error_text(ErrorData *e)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, e->message ? e->message : "unknown error");
	if (e->detail)
		appendStringInfo(&buf, " DETAIL: %s", e->detail);
	if (e->context)
		appendStringInfo(&buf, " CONTEXT: %s", e->context);
	return buf.data;
}

/*
 * load(kind, path, on_error, format, compression): every file under path,
 * each in a subtransaction of its own so that a bad file costs only itself,
 * read for the writer (CL_MAP_WRITE) and landed through it; the manifest
 * says which files were loaded unchanged and are skipped (see the file
 * header for the locking).
 */
Datum
load(PG_FUNCTION_ARGS)
{
	char	   *kindname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		skip = cl_reader_on_error_skip(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	CLFormat	format = cl_reader_format(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	CLCompression compression = cl_reader_compression(text_to_cstring(PG_GETARG_TEXT_PP(4)));
	CLRecordKind *kind;
	Listing    *listing;
	const CLFile *volatile f;
	bool		listed_unchanged = false;
	int64		nth = 0;
	TupleDesc	tupdesc;
	TimestampTz start = GetCurrentTimestamp();
	LoadTotals	t;
	LoadPlans	plans;
	CLReader   *r;
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext loadcxt;
	MemoryContext filecxt;
	MemoryContext itercxt;
	ResourceOwner owner = CurrentResourceOwner;
	Datum		values[13];
	bool		nulls[13];
	long		secs;
	int			usecs;

	cl_check_read_server_files("load files with connect_lake.load()");
	kind = cl_kind_by_name(kindname);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "connect_lake: load(): return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	memset(&t, 0, sizeof(t));

	loadcxt = AllocSetContextCreate(callcxt, "connect_lake load", ALLOCSET_DEFAULT_SIZES);
	filecxt = AllocSetContextCreate(loadcxt, "connect_lake load file", ALLOCSET_DEFAULT_SIZES);
	/* per file: its statements' arguments, results and messages */
	itercxt = AllocSetContextCreate(loadcxt, "connect_lake load per file", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(loadcxt);
	listing = palloc0(sizeof(Listing));
	listing->it = cl_file_iter_begin(path);
	listing->cxt = AllocSetContextCreate(loadcxt, "connect_lake load listing", ALLOCSET_DEFAULT_SIZES);
	/* in loadcxt, not on the stack: the framer's reset callback points at it */
	r = palloc0(sizeof(CLReader));
	cl_reader_init(r, kind, CL_MAP_WRITE, format, compression);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: load(): SPI_connect failed");
	prepare_plans(&plans);

	while ((f = next_listed(listing, &plans, kind->name, &listed_unchanged)) != NULL)
	{
		Datum		v[12];
		char		n[12];
		bool		is_new;
		volatile bool same_size = false;
		char	   *volatile old_checksum = NULL;
		FileResult	res;
		ErrorData  *volatile edata = NULL;
		volatile uint64 err_line = 0;
		volatile uint64 err_offset = 0;
		MemoryContext spicxt;

		CHECK_FOR_INTERRUPTS();
		nth++;
		t.files_seen++;
		if (listed_unchanged)
		{
			t.files_skipped++;
			continue;
		}
		MemoryContextReset(itercxt);
		MemoryContextSwitchTo(itercxt);
		memset(n, ' ', sizeof(n));

		/* 1. claim the manifest row (waits for a concurrent loader of this file) */
		v[0] = CStringGetTextDatum(kind->name);
		v[1] = CStringGetTextDatum(f->path);
		v[2] = Int64GetDatum(f->size);
		v[3] = TimestampTzGetDatum(f->mtime);
		run(plans.claim, v, n, SPI_OK_INSERT_RETURNING);
		is_new = (SPI_processed == 1);
		if (!is_new)
		{
			bool		isnull;
			HeapTuple	tup;
			TupleDesc	td;
			char	   *status;

			SPI_freetuptable(SPI_tuptable);
			run(plans.lock, v, n, SPI_OK_SELECT);
			if (SPI_processed != 1)
				elog(ERROR, "connect_lake: load(): manifest row of \"%s\" vanished", f->path);
			tup = SPI_tuptable->vals[0];
			td = SPI_tuptable->tupdesc;
			status = SPI_getvalue(tup, td, 4);
			if (strcmp(status, "loaded") == 0 &&
				DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull)) == f->size)
			{
				same_size = true;
				old_checksum = SPI_getvalue(tup, td, 3);
				if (DatumGetTimestampTz(SPI_getbinval(tup, td, 2, &isnull)) == f->mtime)
				{
					SPI_freetuptable(SPI_tuptable);
					t.files_skipped++;
					continue;
				}
			}
		}
		SPI_freetuptable(SPI_tuptable);

		/* 2-3. load it all or nothing */
		memset(&res, 0, sizeof(res));
		spicxt = CurrentMemoryContext;
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(filecxt);
		PG_TRY();
		{
			load_one_file(r, f, skip, &plans, kind->name, old_checksum, same_size, &res);
			res.checksum = MemoryContextStrdup(itercxt, res.checksum);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(spicxt);
			CurrentResourceOwner = owner;
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(loadcxt);
			if (r->path != NULL)
			{
				/* where in the file it went wrong, for the WARNING */
				err_line = r->errmsg ? r->err_line : r->rec.line;
				err_offset = r->errmsg ? r->err_offset : r->rec.offset;
			}
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(spicxt);
			CurrentResourceOwner = owner;
			cl_reader_abandon(r);
			res.checksum = NULL;	/* was in filecxt */
			if (statement_error(edata->sqlerrcode))
				ReThrowError(edata);
		}
		PG_END_TRY();
		MemoryContextReset(filecxt);

		/* 4. the outcome */
		if (edata == NULL && res.unchanged)
		{
			v[2] = TimestampTzGetDatum(f->mtime);
			run(plans.touch, v, n, SPI_OK_UPDATE);
			t.files_skipped++;
			continue;
		}
		v[2] = Int64GetDatum(f->size);
		v[3] = TimestampTzGetDatum(f->mtime);
		v[4] = CStringGetTextDatum(res.checksum ? res.checksum : (old_checksum ? old_checksum : ""));
		v[5] = CStringGetTextDatum(edata ? "failed" : "loaded");
		v[6] = Int64GetDatum(edata ? 0 : res.records);
		v[7] = Int64GetDatum(edata ? 0 : res.counts.inserted);
		v[8] = Int64GetDatum(edata ? 0 : res.counts.updated);
		v[9] = Int64GetDatum(edata ? 0 : res.counts.duplicates);
		v[10] = Int64GetDatum(edata ? 0 : res.rejected);
		if (edata)
			v[11] = CStringGetTextDatum(error_text(edata));
		else
			n[11] = 'n';
		run(plans.done, v, n, SPI_OK_UPDATE);

		if (edata)
		{
			t.files_failed++;
			if (t.error == NULL)
				t.error = MemoryContextStrdup(loadcxt, error_text(edata));
			ereport(WARNING,
					(errcode(edata->sqlerrcode),
					 err_line > 0
					 ? errmsg("connect_lake.load: file \"%s\" not loaded: line %llu, byte offset %llu: %s",
							  f->path, (unsigned long long) err_line, (unsigned long long) err_offset,
							  edata->message)
					 : errmsg("connect_lake.load: file \"%s\" not loaded: %s", f->path, edata->message),
					 edata->detail ? errdetail("%s", edata->detail) : 0,
					 edata->hint ? errhint("%s", edata->hint) : 0,
					 edata->context ? errcontext("%s", edata->context) : 0));
			if (!skip)
			{
				ereport(WARNING,
						(errmsg("connect_lake.load stopped at file %lld of %lld (on_error 'stop'): files before it stay loaded, it is recorded as failed in connect_lake.load_manifest",
								(long long) nth, (long long) (nth + listing_rest(listing))),
						 errhint("Fix or remove the file and run load() again, or use on_error 'skip' to land the good records and keep the bad ones in connect_lake.load_rejects.")));
				FreeErrorData(edata);
				break;
			}
			FreeErrorData(edata);
			continue;
		}

		t.files_loaded++;
		t.records += res.records;
		t.inserted += res.counts.inserted;
		t.updated += res.counts.updated;
		t.duplicates += res.counts.duplicates;
		t.rejected += res.rejected;
		t.values_nulled += res.counts.values_nulled;
		t.bytes += f->size;
		ereport(NOTICE,
				(errmsg("connect_lake.load: \"%s\": %lld records, %lld inserted, %lld updated, %lld duplicates, %lld rejected%s",
						f->path, (long long) res.records, (long long) res.counts.inserted,
						(long long) res.counts.updated, (long long) res.counts.duplicates,
						(long long) res.rejected,
						res.counts.values_nulled == 0 ? "" :
						psprintf(", %lld values kept raw (not fitting their column)",
								 (long long) res.counts.values_nulled))));
	}

	SPI_finish();
	cl_file_iter_end(listing->it);
	MemoryContextSwitchTo(callcxt);

	TimestampDifference(start, GetCurrentTimestamp(), &secs, &usecs);
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(t.files_seen);
	values[1] = Int64GetDatum(t.files_loaded);
	values[2] = Int64GetDatum(t.files_skipped);
	values[3] = Int64GetDatum(t.files_failed);
	values[4] = Int64GetDatum(t.records);
	values[5] = Int64GetDatum(t.inserted);
	values[6] = Int64GetDatum(t.updated);
	values[7] = Int64GetDatum(t.duplicates);
	values[8] = Int64GetDatum(t.rejected);
	values[9] = Int64GetDatum(t.values_nulled);
	values[10] = Int64GetDatum(t.bytes);
	values[11] = Float8GetDatum(secs + usecs / 1e6);
	if (t.error)
		values[12] = CStringGetTextDatum(t.error);
	else
		nulls[12] = true;
	{
		HeapTuple	tuple = heap_form_tuple(tupdesc, values, nulls);

		MemoryContextDelete(loadcxt);
		PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
	}
}
