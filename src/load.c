/*
 * load.c: connect_lake.load(kind, path, on_error, format, compression).
 *
 * Lands every record of the files under path in the kind's lake table,
 * through the same reader as the FDW (reader.h) and the lake's writer
 * (writer.h: CTR version upsert, insert-if-absent for the other kinds).
 *
 * First the kind's writer lock (kinds.c), exclusive to the end of the
 * transaction: one load() of a kind writes at a time, so two calls over
 * overlapping paths or sharing contacts never deadlock on each other's rows;
 * the second waits, then skips in the manifest what the first loaded.  Then
 * a new budget of month partitions (partition.h).
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
 * on_error 'stop' (default): the first bad record fails its file alone: a
 * WARNING carries the error (file, the line and byte offset where the bad
 * record starts, reason; the DETAIL says where the problem was noticed when
 * that is further on), the file is recorded 'failed' with the reason and is
 * tried again by the next call, and the load goes on with the next file.  It
 * does not raise an ERROR because an ERROR would roll back the whole
 * statement, manifest rows included.
 *
 * A record the writer refuses (its partition timestamp outside the window
 * the DBA allows, or a month beyond the call's partition budget) is a bad
 * record like any other: it fails the file under 'stop', goes to
 * load_rejects under 'skip'.
 *
 * on_error 'skip': bad records go to load_rejects (the line and byte offset
 * where the record starts, so that raw begins there; the reason with its
 * DETAIL), with the file's subtransaction, so they are recorded once per
 * loaded version of a file; a file that cannot be read at all (missing,
 * unreadable, corrupt gzip) is recorded 'failed' with a WARNING and the load
 * goes on with the next file.
 *
 * A record that cannot land is a bad record like malformed JSON: values are
 * checked against their column before a datum is formed (a number beyond its
 * numeric(p,s), an integer beyond int4, a time beyond timestamptz's range:
 * convert.h, recmap.c), since PostgreSQL 15 has no soft input errors; the
 * file's subtransaction is the safety net for whatever still raises.
 * Reasons (load_rejects.reason, load_manifest.error) say what and where,
 * never quoting the file: its bytes are in load_rejects.raw, the loader's to
 * read, and in the HINT of the WARNING the loading session sees.
 *
 * A file is opened only if it is still what the listing saw (cl_file_open:
 * no symbolic link swapped in, same inode, size and mtime); one that changed
 * is refused with a WARNING and recorded 'failed', so the next load reads it.
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
#include "connect_lake.h"
#include "kinds.h"
#include "partition.h"
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
} LoadPlans;

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
}

static void
run(SPIPlanPtr plan, Datum *values, const char *nulls, int expect)
{
	int			rc = SPI_execute_plan(plan, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "connect_lake: load(): manifest statement failed: %s", SPI_result_code_string(rc));
}

/* A 64-bit checksum of the file's bytes as they lie on disk, in hex. */
static char *
file_checksum(const CLFile *f, int64 *bytes)
{
	const char *path = f->path;
	int			fd = cl_file_open(f, true);	/* what was listed, or an ERROR */
	char	   *buf;
	uint64		h = 0;
	int64		total = 0;

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

	res->checksum = file_checksum(f, &disk_bytes);
	if (same_size && old_checksum && strcmp(old_checksum, res->checksum) == 0)
	{
		res->unchanged = true;
		return;
	}

	w = cl_writer_begin();
	cl_reader_open(r, f);
	for (;;)
	{
		int			rc = cl_reader_next(r);

		if (rc == CL_READ_END)
			break;
		res->records++;
		if (rc == CL_READ_ROW)
		{
			bool		kept;

			cl_reader_push_context(r);
			kept = cl_writer_add(w, &r->st, f->path, (int64) r->rec.offset);
			cl_reader_pop_context(r);
			if (!kept)
			{
				/* refused by the writer (time window, partition cap): a bad record */
				cl_reader_reject_row(r);
				rc = CL_READ_BAD;
			}
		}
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
 * It is read by analysts too, so it quotes no record: the reader's messages
 * keep the bytes and values in the HINT, left out here, and a constraint
 * violation's DETAIL, which PostgreSQL fills with the row's values ("Failing
 * row contains ...", "Key (...)=(...)"), is left out as well.
 */
static char *
error_text(ErrorData *e)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, e->message ? e->message : "unknown error");
	if (e->detail &&
		ERRCODE_TO_CATEGORY(e->sqlerrcode) != ERRCODE_TO_CATEGORY(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION))
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
	CLFileList *files;
	TupleDesc	tupdesc;
	TimestampTz start = GetCurrentTimestamp();
	LoadTotals	t;
	LoadPlans	plans;
	CLReader   *r;
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext loadcxt;
	MemoryContext filecxt;
	ResourceOwner owner = CurrentResourceOwner;
	Datum		values[13];
	bool		nulls[13];
	long		secs;
	int			usecs;
	CLWriterIdentity identity;

	cl_check_read_server_files("load files with connect_lake.load()");
	kind = cl_kind_by_name(kindname);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "connect_lake: load(): return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	files = cl_file_list(path);
	memset(&t, 0, sizeof(t));
	/* one load() of a kind at a time, to the end of the transaction (kinds.c) */
	cl_kind_lock_writers(kind, true);
	cl_partition_budget_reset();

	loadcxt = AllocSetContextCreate(callcxt, "connect_lake load", ALLOCSET_DEFAULT_SIZES);
	filecxt = AllocSetContextCreate(loadcxt, "connect_lake load file", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(loadcxt);
	/* in loadcxt, not on the stack: the framer's reset callback points at it */
	r = palloc0(sizeof(CLReader));
	cl_reader_init(r, kind, CL_MAP_WRITE, format, compression);

	cl_writer_identity_begin(&identity);	/* on Citus, as the tables' owner */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: load(): SPI_connect failed");
	prepare_plans(&plans);

	for (int i = 0; i < files->nfiles; i++)
	{
		const CLFile *f = &files->files[i];
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
		t.files_seen++;
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
				old_checksum = MemoryContextStrdup(loadcxt, SPI_getvalue(tup, td, 3));
				if (DatumGetTimestampTz(SPI_getbinval(tup, td, 2, &isnull)) == f->mtime)
				{
					t.files_skipped++;
					continue;
				}
			}
		}

		/* 2-3. load it all or nothing */
		memset(&res, 0, sizeof(res));
		spicxt = CurrentMemoryContext;
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(filecxt);
		PG_TRY();
		{
			load_one_file(r, f, skip, &plans, kind->name, old_checksum, same_size, &res);
			res.checksum = MemoryContextStrdup(loadcxt, res.checksum);
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

	if (t.files_failed > 0 && !skip)
		ereport(WARNING,
				(errmsg("connect_lake.load: %lld of %d files not loaded (on_error 'stop'): each is recorded as failed in connect_lake.load_manifest and read again by the next load()",
						(long long) t.files_failed, files->nfiles),
				 errhint("Fix or remove them and run load() again, or use on_error 'skip' to land the good records and keep the bad ones in connect_lake.load_rejects.")));

	SPI_finish();
	cl_writer_identity_end(&identity);
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
