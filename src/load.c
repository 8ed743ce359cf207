/*
 * load.c: connect_lake.load(kind, path, on_error, format, compression).
 *
 * Lands every record of the files under path in the kind's lake table,
 * through the same reader as the FDW (reader.h) and the lake's writer
 * (writer.h: CTR version upsert, insert-if-absent for the other kinds).
 *
 * In the calling session (workers NULL), first the kind's writer lock
 * (kinds.c), exclusive to the end of the transaction: one such load() of a
 * kind writes at a time, so two calls over overlapping paths or sharing
 * contacts never deadlock on each other's rows; the second waits, then
 * skips in the manifest what the first loaded.  Then a new budget of month
 * partitions (partition.h).  With workers, see "Workers" below.
 *
 * The listing streams (filelist.h: a directory is read when the walk reaches
 * it) and is taken 1,000 files at a time: one manifest query per batch finds
 * the files loaded with the same size and mtime, skipped with no statement of
 * their own.  Per-file state lives in a context reset per file, so memory is
 * bounded by the work (one file, one batch), not by the directory.
 *
 * Per file, in path order, unless the batch's query skipped it:
 *   1. claim the file's load_manifest row: INSERT ... ON CONFLICT DO NOTHING,
 *      then SELECT ... FOR UPDATE.  The row lock is held to the end of the
 *      transaction, so a second session loading the same file waits, then
 *      sees it loaded and skips it (row locks, unlike advisory locks, do not
 *      fill the shared lock table however many files one call claims);
 *   2. skip it when the manifest says it was loaded with the same size and
 *      mtime, or the same size and content checksum (a touched file); a file
 *      whose first bytes are those loaded before (same checksum) but that is
 *      longer now was appended to: only the records after those loaded
 *      before land (the framing is read from the start, the first `records`
 *      records are passed over), so no record is delivered twice and a CTR's
 *      versions_seen does not count a version again;
 *   3. load it inside a subtransaction: every record mapped and written,
 *      rejects (on_error 'skip') recorded, and the checksum of the raw bytes
 *      computed as the reader reads them; on any error the subtransaction
 *      rolls back, so nothing of the file lands;
 *   4. record the outcome in the manifest: loaded, with the size and checksum
 *      of the bytes actually read (a file that grew while it was read is
 *      recorded as read, so the next call loads only what came after), or
 *      failed with the error, keeping what the last successful load read.
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
 *
 * Workers (load(..., workers => n), load_workers.c starts them): each
 * background worker walks the listing as above and takes chunks of it
 * (CL_LOAD_CHUNK files, handed out in path order by a counter the call's
 * workers share), each chunk in a transaction of its own, committed.  So
 * rows are held for one file, not for the call: one file's rows go out in
 * one key order (a batch per partition, partitions in Oid order: files of up
 * to CL_WRITER_BATCH records per month), and writers of one kind can run
 * side by side; workers take the kind's writer lock shared, as ingest()
 * does, and a load() in a session (which holds its rows to its end) still
 * takes it exclusive.  Before its manifest row, a worker claims each file
 * with a transaction advisory lock taken without waiting (claim_file()): a
 * file another session's worker holds is skipped, and landed by that
 * session or, should it die, by the next load(); the manifest row, read
 * under the claim, skips a file committed meanwhile.  A chunk whose
 * transaction fails with a deadlock or a serialisation failure (possible
 * only for files larger than a batch, or for rows met in another order by
 * an ingest()) is rolled back and loaded again.  The kinds' commit upkeep
 * (upkeep.h: the SQL actions) would cost more per file than the file: a
 * worker queues what each file collected (connect_lake.upkeep_queue) and runs the
 * queue every CL_LOAD_DRAIN_FILES files and at its end, one drain of a kind
 * at a time (upkeep.c, cl_upkeep_drain()).
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
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "filelist.h"
#include "connect_lake.h"
#include "kinds.h"
#include "load.h"
#include "partition.h"
#include "pii.h"
#include "reader.h"
#include "upkeep.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(load);

/* Progress NOTICE every this many bytes read (on disk) within a file. */
#define PROGRESS_BYTES	((uint64) 100 * 1024 * 1024)
/* Raw text kept per reject. */
#define REJECT_RAW_CAP	((size_t) 1024 * 1024)

typedef struct LoadTotals
{
	CLLoadTotals n;
	char	   *error;			/* the first failed file's */
} LoadTotals;

/* One call's state (or, in a worker, one transaction's): see load_listed_file(). */
typedef struct LoadRun
{
	CLRecordKind *kind;
	bool		skip;
	bool		claim;			/* workers: claim each file first (claim_file()) */
	struct LoadPlans *plans;
	CLReader   *r;
	char	   *block;
	MemoryContext errcxt;		/* where the first error's text is kept */
	MemoryContext filecxt;		/* a file's load, reset per file */
	MemoryContext itercxt;		/* a file's statements, reset per file */
	ResourceOwner owner;
} LoadRun;

typedef struct LoadPlans
{
	SPIPlanPtr	claim;
	SPIPlanPtr	lock;
	SPIPlanPtr	done;
	SPIPlanPtr	fail;
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

/*
 * The checksum of a file's bytes: hash_bytes_extended chained over 1 MB
 * blocks from the start (as 0.1.0 computed it, so manifests it wrote still
 * compare), fed with the bytes as they are read.  check_at: the checksum of
 * the first check_at bytes is kept too (at_check), to verify that the part
 * of a grown file loaded before is what this read saw.
 */
#define CHECKSUM_BLOCK	(1024 * 1024)

typedef struct Checksum
{
	uint64		h;				/* over the full blocks so far */
	char	   *block;			/* the current block (CHECKSUM_BLOCK bytes) */
	size_t		fill;
	int64		bytes;			/* fed so far */
	int64		check_at;		/* -1: none */
	char		at_check[17];	/* "" until check_at bytes were fed */
} Checksum;

/* What the manifest says of a file's last successful load (the locked row). */
typedef struct Delivered
{
	bool		known;			/* a load succeeded: size, checksum, counts are its */
	bool		loaded;			/* status 'loaded' */
	int64		size;			/* bytes read by that load */
	char	   *checksum;		/* of those bytes */
	int64		records,
				inserted,
				updated,
				duplicates,
				rejected;
} Delivered;

/* One file's outcome. */
typedef struct FileResult
{
	bool		unchanged;		/* same content as loaded before */
	bool		grown;			/* loaded before, then appended to: the new records only */
	int64		skipped;		/* grown: the records loaded before, read but not landed */
	char	   *checksum;		/* of the bytes read */
	int64		bytes;			/* bytes read */
	int64		records;		/* records read, the skipped included */
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
	Oid			fail[3] = {TEXTOID, TEXTOID, TEXTOID};
	Oid			touch[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Oid			reject[6] = {TEXTOID, TEXTOID, INT8OID, INT8OID, TEXTOID, TEXTOID};
	Oid			probe[2] = {TEXTOID, TEXTARRAYOID};

	p->claim = prepare("INSERT INTO connect_lake.load_manifest (kind, path, size, mtime, checksum, status, error) "
					   "VALUES ($1, $2, $3, $4, '', 'failed', 'not loaded yet') "
					   "ON CONFLICT (kind, path) DO NOTHING RETURNING 1", 4, claim);
	p->lock = prepare("SELECT size, mtime, checksum, status, records, inserted, updated, duplicates, rejected "
					  "FROM connect_lake.load_manifest "
					  "WHERE kind = $1 AND path = $2 FOR UPDATE", 2, lock);
	p->done = prepare("UPDATE connect_lake.load_manifest SET size = $3, mtime = $4, checksum = $5, status = $6, "
					  "records = $7, inserted = $8, updated = $9, duplicates = $10, rejected = $11, "
					  "error = $12, loaded_at = now() WHERE kind = $1 AND path = $2", 12, done);
	/* a failure keeps what the last load that succeeded read and landed */
	p->fail = prepare("UPDATE connect_lake.load_manifest SET status = 'failed', error = $3, loaded_at = now() "
					  "WHERE kind = $1 AND path = $2", 3, fail);
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

/* bsearch comparator of a batch's files by path (the listing's order) */
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
		cl_file_copy(&l->files[l->n], f);
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

/* A checksum of nothing yet, its current block in `block`; check_at -1: no prefix kept. */
static void
checksum_init(Checksum *c, char *block, int64 check_at)
{
	memset(c, 0, sizeof(*c));
	c->block = block;
	c->check_at = check_at;
	if (check_at == 0)
		snprintf(c->at_check, sizeof(c->at_check), "%016llx", (unsigned long long) 0);
}

/* The checksum of the bytes fed so far, as 16 hex digits into out (17 bytes). */
static void
checksum_hex(const Checksum *c, char *out)
{
	uint64		h = c->h;

	if (c->fill > 0)
		h = hash_bytes_extended((const unsigned char *) c->block, (int) c->fill, h);
	snprintf(out, 17, "%016llx", (unsigned long long) h);
}

/* Feed bytes (the reader's tap: every byte read from the file, in order). */
static void
checksum_add(void *arg, const void *bytes, size_t len)
{
	Checksum   *c = arg;
	const char *p = bytes;

	while (len > 0)
	{
		size_t		n = Min(len, CHECKSUM_BLOCK - c->fill);

		/* stop at check_at, to note the checksum of the bytes before it */
		if (c->check_at >= 0 && c->bytes < c->check_at && (int64) n > c->check_at - c->bytes)
			n = (size_t) (c->check_at - c->bytes);
		memcpy(c->block + c->fill, p, n);
		c->fill += n;
		c->bytes += n;
		p += n;
		len -= n;
		if (c->fill == CHECKSUM_BLOCK)
		{
			c->h = hash_bytes_extended((const unsigned char *) c->block, CHECKSUM_BLOCK, c->h);
			c->fill = 0;
		}
		if (c->bytes == c->check_at && c->at_check[0] == '\0')
			checksum_hex(c, c->at_check);
	}
}

/*
 * The checksum of the first `limit` bytes of a file (fewer when it is
 * shorter), read apart from loading it: to tell a file touched or appended
 * to from one whose content changed.
 */
static char *
file_checksum(const CLFile *f, int64 limit, char *block)
{
	const char *path = f->path;
	int			fd = cl_file_open(f, true);	/* what was listed, or an ERROR */
	Checksum	c;
	char	   *buf;
	char	   *hex = palloc(17);

	checksum_init(&c, block, -1);
	buf = palloc(CHECKSUM_BLOCK);
	while (c.bytes < limit)
	{
		ssize_t		n;

		CHECK_FOR_INTERRUPTS();
		n = read(fd, buf, Min(CHECKSUM_BLOCK, limit - c.bytes));
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		if (n == 0)
			break;
		checksum_add(&c, buf, n);
	}
	CloseTransientFile(fd);
	pfree(buf);
	checksum_hex(&c, hex);
	return hex;
}

/*
 * Whether the file is the one loaded before, or that one with records
 * appended (its first bytes as they were: a log or an export written to as
 * it grows), or new content.  Appended, only the records after those loaded
 * before land (res->grown, res->skipped); the bytes are checked again as the
 * load reads them (checksum check_at).
 */
static void
compare_delivered(const CLFile *f, const Delivered *d, char *block, FileResult *res)
{
	if (!d->known || f->size < d->size)
		return;
	if (strcmp(file_checksum(f, d->size, block), d->checksum) != 0)
		return;
	if (f->size == d->size && d->loaded)
		res->unchanged = true;
	else
	{
		res->grown = true;
		res->skipped = d->records;
	}
}

/* Read and land one file (inside its subtransaction). */
static void
load_one_file(CLReader *r, const CLFile *f, bool skip, LoadPlans *plans, const char *kindname,
			  const Delivered *d, char *block, FileResult *res)
{
	CLWriter   *w;
	uint64		next_progress = PROGRESS_BYTES;
	Checksum	sum;

	compare_delivered(f, d, block, res);
	if (res->unchanged)
		return;

	w = cl_writer_begin();
	/* the manifest records what this read: its checksum as it is read */
	checksum_init(&sum, block, res->grown ? d->size : -1);
	r->on_bytes = checksum_add;
	r->on_bytes_arg = &sum;
	cl_reader_open(r, f);
	r->on_bytes = NULL;
	for (;;)
	{
		int			rc = cl_reader_next(r);

		if (rc == CL_READ_END)
			break;
		res->records++;
		/* appended to: the records loaded before are read again, not landed */
		if (res->records <= res->skipped)
			continue;
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
			cl_upkeep_rejected();
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
	if (res->grown && strcmp(sum.at_check, d->checksum) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" changed while it was loaded", f->path),
				 errdetail("Its first %lld bytes, loaded before, differ from what was checked before this load read them.",
						   (long long) d->size),
				 errhint("Run load() again once the file is no longer rewritten.")));
	res->bytes = sum.bytes;
	res->checksum = palloc(17);
	checksum_hex(&sum, res->checksum);
	cl_reader_push_context(r);
	cl_writer_finish(w, &res->counts);
	cl_reader_pop_context(r);
	cl_reader_close(r);
}

/*
 * The locked manifest row of a file seen before (plans->lock's result) into
 * d; true when it says the file was loaded with the size and mtime it has
 * now, so it is skipped.
 */
static bool
read_delivered(Delivered *d, const CLFile *f)
{
	HeapTuple	tup = SPI_tuptable->vals[0];
	TupleDesc	td = SPI_tuptable->tupdesc;
	bool		isnull;
	int64		size = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
	TimestampTz mtime = DatumGetTimestampTz(SPI_getbinval(tup, td, 2, &isnull));

	d->loaded = strcmp(SPI_getvalue(tup, td, 4), "loaded") == 0;
	if (d->loaded && size == f->size && mtime == f->mtime)
		return true;
	/* a file never loaded has no checksum: the claim's row until it loads */
	d->checksum = SPI_getvalue(tup, td, 3);
	d->known = d->checksum[0] != '\0';
	d->size = size;
	d->records = DatumGetInt64(SPI_getbinval(tup, td, 5, &isnull));
	d->inserted = DatumGetInt64(SPI_getbinval(tup, td, 6, &isnull));
	d->updated = DatumGetInt64(SPI_getbinval(tup, td, 7, &isnull));
	d->duplicates = DatumGetInt64(SPI_getbinval(tup, td, 8, &isnull));
	d->rejected = DatumGetInt64(SPI_getbinval(tup, td, 9, &isnull));
	return false;
}

/*
 * The manifest row of a file loaded: the size and checksum of the bytes this
 * load read (a file growing while it was read included), the mtime it was
 * listed with; a grown file's counts add to those of its earlier load.
 */
static void
record_loaded(LoadPlans *plans, Datum *v, char *n, const CLFile *f, const Delivered *d,
			  const FileResult *res)
{
	bool		add = res->grown;

	v[2] = Int64GetDatum(res->bytes);
	v[3] = TimestampTzGetDatum(f->mtime);
	v[4] = CStringGetTextDatum(res->checksum);
	v[5] = CStringGetTextDatum("loaded");
	v[6] = Int64GetDatum(res->records);
	v[7] = Int64GetDatum(res->counts.inserted + (add ? d->inserted : 0));
	v[8] = Int64GetDatum(res->counts.updated + (add ? d->updated : 0));
	v[9] = Int64GetDatum(res->counts.duplicates + (add ? d->duplicates : 0));
	v[10] = Int64GetDatum(res->rejected + (add ? d->rejected : 0));
	n[11] = 'n';
	run(plans->done, v, n, SPI_OK_UPDATE);
}

/*
 * The manifest row of a file that failed: status and error; its size,
 * checksum and counts stay those of the last load that succeeded, so that
 * once the file is fixed what that load landed is not landed again.
 */
static void
record_failed(LoadPlans *plans, Datum *v, char *n, const char *error)
{
	v[2] = CStringGetTextDatum(error);
	run(plans->fail, v, n, SPI_OK_UPDATE);
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
 * A worker's claim of a file (see "Workers" in the file header): a
 * transaction-level advisory lock taken without waiting, on the 64-bit hash
 * of the path seeded with the hash of the kind, as SQL computes it:
 *   h := hashtextextended(path, hashtextextended(kind, 0));
 *   pg_advisory_xact_lock((h >> 32)::int4, <the low 32 bits of h as int4>)
 * (so a DBA, or a test, can hold a file back).  False: another session's
 * worker holds it (it is loading the file now, or committing it), so this
 * one skips the file; that session, or the next load(), loads it.
 */
static bool
claim_file(const char *kindname, const char *path)
{
	LOCKTAG		tag;
	uint64		h = hash_bytes_extended((const unsigned char *) path, (int) strlen(path),
										hash_bytes_extended((const unsigned char *) kindname,
															(int) strlen(kindname), 0));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (h >> 32), (uint32) h, 2);
	return LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL;
}

/*
 * One listed file that the batch's query did not find unchanged: claimed,
 * loaded in a subtransaction, its outcome recorded (steps 1 to 4 of the
 * file header); its counts added to t.  SPI connected.
 */
static void
load_listed_file(LoadRun *lr, const CLFile *f, LoadTotals *t)
{
	CLRecordKind *kind = lr->kind;
	LoadPlans  *plans = lr->plans;
	CLReader   *r = lr->r;
	Datum		v[12];
	char		n[12];
	bool		is_new;
	Delivered	d;
	FileResult	res;
	ErrorData  *volatile edata = NULL;
	volatile uint64 err_line = 0;
	volatile uint64 err_offset = 0;
	MemoryContext spicxt;

	/* a worker skips a file another session's worker is loading */
	if (lr->claim && !claim_file(kind->name, f->path))
	{
		t->n.files_skipped++;
		return;
	}
	MemoryContextReset(lr->itercxt);
	MemoryContextSwitchTo(lr->itercxt);
	memset(n, ' ', sizeof(n));

	/* 1. claim the manifest row (waits for a concurrent loader of this file) */
	v[0] = CStringGetTextDatum(kind->name);
	v[1] = CStringGetTextDatum(f->path);
	v[2] = Int64GetDatum(f->size);
	v[3] = TimestampTzGetDatum(f->mtime);
	run(plans->claim, v, n, SPI_OK_INSERT_RETURNING);
	is_new = (SPI_processed == 1);
	SPI_freetuptable(SPI_tuptable);
	memset(&d, 0, sizeof(d));
	if (!is_new)
	{
		run(plans->lock, v, n, SPI_OK_SELECT);
		if (SPI_processed != 1)
			elog(ERROR, "connect_lake: load(): manifest row of \"%s\" vanished", f->path);
		if (read_delivered(&d, f))
		{
			SPI_freetuptable(SPI_tuptable);
			t->n.files_skipped++;
			return;
		}
		SPI_freetuptable(SPI_tuptable);
	}

	/* 2-3. load it all or nothing */
	memset(&res, 0, sizeof(res));
	spicxt = CurrentMemoryContext;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(lr->filecxt);
	PG_TRY();
	{
		load_one_file(r, f, lr->skip, plans, kind->name, &d, lr->block, &res);
		if (res.checksum)
			res.checksum = MemoryContextStrdup(lr->itercxt, res.checksum);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(spicxt);
		CurrentResourceOwner = lr->owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(lr->itercxt);
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
		CurrentResourceOwner = lr->owner;
		cl_reader_abandon(r);
		res.checksum = NULL;	/* was in filecxt */
		if (statement_error(edata->sqlerrcode))
			ReThrowError(edata);
	}
	PG_END_TRY();
	MemoryContextReset(lr->filecxt);

	/* 4. the outcome */
	if (edata == NULL && res.unchanged)
	{
		v[2] = TimestampTzGetDatum(f->mtime);
		run(plans->touch, v, n, SPI_OK_UPDATE);
		t->n.files_skipped++;
		return;
	}
	if (edata)
		record_failed(plans, v, n, error_text(edata));
	else
		record_loaded(plans, v, n, f, &d, &res);

	if (edata)
	{
		t->n.files_failed++;
		if (t->error == NULL)
			t->error = MemoryContextStrdup(lr->errcxt, error_text(edata));
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
		return;
	}

	t->n.files_loaded++;
	t->n.records += res.records - res.skipped;
	t->n.inserted += res.counts.inserted;
	t->n.updated += res.counts.updated;
	t->n.duplicates += res.counts.duplicates;
	t->n.rejected += res.rejected;
	t->n.values_nulled += res.counts.values_nulled;
	t->n.bytes += res.bytes - (res.grown ? d.size : 0);
	ereport(NOTICE,
			(errmsg("connect_lake.load: \"%s\": %lld records, %lld inserted, %lld updated, %lld duplicates, %lld rejected%s%s",
					f->path, (long long) (res.records - res.skipped), (long long) res.counts.inserted,
					(long long) res.counts.updated, (long long) res.counts.duplicates,
					(long long) res.rejected,
					res.counts.values_nulled == 0 ? "" :
					psprintf(", %lld values kept raw (not fitting their column)",
							 (long long) res.counts.values_nulled),
					!res.grown ? "" :
					psprintf(" (appended to since it was loaded: its first %lld records, in its first %lld bytes, were landed then)",
							 (long long) res.skipped, (long long) d.size))));
}

/*
 * Every file listed, loaded unless the listing saw it unchanged; then
 * case_state, once for the cases of every file rather than per file
 * (case_event.c).
 */
static void
load_files(LoadRun *lr, Listing *listing, LoadTotals *t)
{
	const CLFile *f;
	bool		listed_unchanged = false;

	while ((f = next_listed(listing, lr->plans, lr->kind->name, &listed_unchanged)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		t->n.files_seen++;
		if (listed_unchanged)
			t->n.files_skipped++;
		else
			load_listed_file(lr, f, t);
	}
	cl_case_state_flush();
}

static void
load_listing(LoadRun *lr, Listing *listing, LoadTotals *t)
{
	cl_case_state_defer(true);
	PG_TRY();
	{
		load_files(lr, listing, t);
	}
	PG_CATCH();
	{
		cl_case_state_defer(false);
		PG_RE_THROW();
	}
	PG_END_TRY();
	cl_case_state_defer(false);
}

/* The per-file contexts of a run, under parent. */
static void
run_contexts(LoadRun *run, MemoryContext parent)
{
	run->filecxt = AllocSetContextCreate(parent, "connect_lake load file", ALLOCSET_DEFAULT_SIZES);
	/* per file: its statements' arguments, results and messages */
	run->itercxt = AllocSetContextCreate(parent, "connect_lake load per file", ALLOCSET_DEFAULT_SIZES);
}

/*
 * load(kind, path, on_error, format, compression, workers): every file under
 * path, each in a subtransaction of its own so that a bad file costs only
 * itself, read for the writer (CL_MAP_WRITE) and landed through it; the
 * manifest says which files were loaded unchanged and are skipped (see the
 * file header for the locking).  workers NULL: in this session and its
 * transaction; else by that many background workers (load_workers.c).
 * Not STRICT because of workers: another argument NULL returns NULL, as a
 * STRICT function would.
 */
Datum
load(PG_FUNCTION_ARGS)
{
	char	   *kindname;
	char	   *path;
	CLLoadRequest req;
	bool		skip;
	CLFormat	format;
	CLCompression compression;
	CLRecordKind *kind;
	Listing    *listing;
	TupleDesc	tupdesc;
	TimestampTz start = GetCurrentTimestamp();
	LoadTotals	t;
	LoadPlans	plans;
	LoadRun		lr;
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext loadcxt;
	Datum		values[13];
	bool		nulls[13];
	long		secs;
	int			usecs;
	CLWriterIdentity identity;

	for (int i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_NULL();
	kindname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	path = text_to_cstring(PG_GETARG_TEXT_PP(1));
	req.kind = kindname;
	req.path = path;
	req.on_error = text_to_cstring(PG_GETARG_TEXT_PP(2));
	req.format = text_to_cstring(PG_GETARG_TEXT_PP(3));
	req.compression = text_to_cstring(PG_GETARG_TEXT_PP(4));
	skip = cl_reader_on_error_skip(req.on_error);
	format = cl_reader_format(req.format);
	compression = cl_reader_compression(req.compression);

	cl_check_read_server_files("load files with connect_lake.load()");
	kind = cl_kind_by_name(kindname);
	tupdesc = cl_result_row_type(fcinfo, 13, "load()");
	/* hashing without a secret: refused before any file (nothing lands unhashed) */
	cl_pii_check(kind);
	memset(&t, 0, sizeof(t));

	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
	{
		/* by background workers, each file committed on its own (load_workers.c) */
		cl_load_with_workers(&req, PG_GETARG_INT32(5), &t.n, &t.error);
		goto result;
	}

	/* one load() of a kind at a time, to the end of the transaction (kinds.c) */
	cl_kind_lock_writers(kind, true);
	cl_partition_budget_reset();

	loadcxt = AllocSetContextCreate(callcxt, "connect_lake load", ALLOCSET_DEFAULT_SIZES);
	memset(&lr, 0, sizeof(lr));
	run_contexts(&lr, loadcxt);
	lr.errcxt = callcxt;
	MemoryContextSwitchTo(loadcxt);
	lr.kind = kind;
	lr.skip = skip;
	lr.plans = &plans;
	lr.block = palloc(CHECKSUM_BLOCK);
	lr.owner = CurrentResourceOwner;
	listing = palloc0(sizeof(Listing));
	listing->it = cl_file_iter_begin(path);
	listing->cxt = AllocSetContextCreate(loadcxt, "connect_lake load listing", ALLOCSET_DEFAULT_SIZES);
	/* in loadcxt, not on the stack: the framer's reset callback points at it */
	lr.r = palloc0(sizeof(CLReader));
	cl_reader_init(lr.r, kind, CL_MAP_WRITE, format, compression);

	cl_writer_identity_begin(&identity);	/* on Citus, as the tables' owner */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: load(): SPI_connect failed");
	prepare_plans(&plans);

	load_listing(&lr, listing, &t);

	if (t.n.files_failed > 0 && !skip)
		ereport(WARNING,
				(errmsg("connect_lake.load: %lld of %lld files not loaded (on_error 'stop'): each is recorded as failed in connect_lake.load_manifest and read again by the next load()",
						(long long) t.n.files_failed, (long long) t.n.files_seen),
				 errhint("Fix or remove them and run load() again, or use on_error 'skip' to land the good records and keep the bad ones in connect_lake.load_rejects.")));

	SPI_finish();
	cl_writer_identity_end(&identity);
	cl_file_iter_end(listing->it);
	MemoryContextSwitchTo(callcxt);
	MemoryContextDelete(loadcxt);

result:
	TimestampDifference(start, GetCurrentTimestamp(), &secs, &usecs);
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(t.n.files_seen);
	values[1] = Int64GetDatum(t.n.files_loaded);
	values[2] = Int64GetDatum(t.n.files_skipped);
	values[3] = Int64GetDatum(t.n.files_failed);
	values[4] = Int64GetDatum(t.n.records);
	values[5] = Int64GetDatum(t.n.inserted);
	values[6] = Int64GetDatum(t.n.updated);
	values[7] = Int64GetDatum(t.n.duplicates);
	values[8] = Int64GetDatum(t.n.rejected);
	values[9] = Int64GetDatum(t.n.values_nulled);
	values[10] = Int64GetDatum(t.n.bytes);
	values[11] = Float8GetDatum(secs + usecs / 1e6);
	if (t.error)
		values[12] = CStringGetTextDatum(t.error);
	else
		nulls[12] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * A worker's load (load.h): chunks of the listing, each of CL_LOAD_CHUNK
 * consecutive files in a transaction of its own.  next_chunk() hands out
 * chunk numbers (shared by the workers of one call: chunk c is the files
 * c * CL_LOAD_CHUNK to (c + 1) * CL_LOAD_CHUNK - 1 of the listing, in path
 * order); a chunk's transaction takes the kind's writer lock shared, then
 * per file claims it (claim_file(): another session's worker may hold it),
 * loads it and records it as load() does; then commits, and reports.  A
 * chunk whose transaction fails with a deadlock or a serialisation failure
 * is rolled back and loaded again (see the file header, "Workers").
 */
#define CL_LOAD_RETRIES 10
#define CL_LOAD_DRAIN_FILES 32

/* The files of one chunk, copied out of the listing (kept for a retry). */
typedef struct Chunk
{
	CLFile		files[CL_LOAD_CHUNK];
	bool		unchanged[CL_LOAD_CHUNK];
	int			n;
} Chunk;

/*
 * The upkeep queued by the files committed (upkeep.c: cl_upkeep_drain()), in
 * a transaction of its own, tried again after a deadlock.  wait false: false
 * at once when another drain of the kind runs.
 */
static bool
drain_upkeep(MemoryContext cxt, bool wait)
{
	volatile bool ran = true;
	volatile int retries = 0;

	for (;; retries++)
	{
		volatile bool again = false;

		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		PG_TRY();
		{
			ran = cl_upkeep_drain(wait) >= 0;
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			ErrorData  *e;

			MemoryContextSwitchTo(cxt);
			e = CopyErrorData();
			if (ERRCODE_TO_CATEGORY(e->sqlerrcode) != ERRCODE_TO_CATEGORY(ERRCODE_TRANSACTION_ROLLBACK) ||
				retries >= CL_LOAD_RETRIES)
				PG_RE_THROW();
			FlushErrorState();
			AbortCurrentTransaction();
			ereport(LOG, (errmsg("connect_lake.load: worker: upkeep run again: %s", e->message)));
			FreeErrorData(e);
			again = true;
		}
		PG_END_TRY();
		MemoryContextSwitchTo(cxt);
		if (!again)
			return ran;
	}
}

void
cl_load_committing(const CLLoadRequest *req, CLLoadNextChunk next_chunk, CLLoadReport report, void *arg)
{
	MemoryContext workcxt = AllocSetContextCreate(TopMemoryContext, "connect_lake load worker",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext chunkcxt = AllocSetContextCreate(workcxt, "connect_lake load chunk",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext txcxt = AllocSetContextCreate(workcxt, "connect_lake load worker transaction",
												ALLOCSET_DEFAULT_SIZES);
	CLRecordKind *kind;
	bool		skip;
	CLFormat	format;
	CLCompression compression;
	Listing    *listing;
	char	   *block;
	Chunk	   *chunk;
	int64		listed = 0;		/* files taken from the listing so far */
	int			undrained = 0;	/* files committed since the upkeep queue was last run */

	/* the commit upkeep of the files queued, run every CL_LOAD_DRAIN_FILES files */
	cl_upkeep_defer(true);
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	MemoryContextSwitchTo(workcxt);
	cl_check_read_server_files("load files with connect_lake.load()");
	kind = cl_kind_by_name(req->kind);
	skip = cl_reader_on_error_skip(req->on_error);
	format = cl_reader_format(req->format);
	compression = cl_reader_compression(req->compression);
	block = palloc(CHECKSUM_BLOCK);
	chunk = palloc0(sizeof(Chunk));
	listing = palloc0(sizeof(Listing));
	listing->it = cl_file_iter_begin(req->path);
	listing->cxt = AllocSetContextCreate(workcxt, "connect_lake load listing", ALLOCSET_DEFAULT_SIZES);
	cl_partition_budget_reset();
	PopActiveSnapshot();
	CommitTransactionCommand();

	for (;;)
	{
		int64		c = next_chunk(arg);
		volatile int retries = 0;
		volatile bool collected = false;
		volatile bool ended = false;

		MemoryContextReset(chunkcxt);
		chunk->n = 0;
		for (;;)
		{
			LoadTotals	t;
			LoadPlans	plans;
			LoadRun		lr;
			volatile bool again = false;

			CHECK_FOR_INTERRUPTS();
			memset(&t, 0, sizeof(t));
			MemoryContextReset(txcxt);
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
			MemoryContextSwitchTo(txcxt);
			PG_TRY();
			{
				CLWriterIdentity identity;

				if (SPI_connect() != SPI_OK_CONNECT)
					elog(ERROR, "connect_lake: load(): SPI_connect failed");
				prepare_plans(&plans);
				/*
				 * The chunk's files: the listing walked on to them (once: a
				 * transaction tried again loads the same files).
				 */
				while (!collected && chunk->n < CL_LOAD_CHUNK)
				{
					bool		unchanged;
					const CLFile *f;

					CHECK_FOR_INTERRUPTS();
					if (listed >= (c + 1) * CL_LOAD_CHUNK)
						break;
					f = next_listed(listing, &plans, kind->name, &unchanged);
					if (f == NULL)
					{
						ended = true;
						break;
					}
					if (listed++ < c * CL_LOAD_CHUNK)
						continue;
					MemoryContextSwitchTo(chunkcxt);
					cl_file_copy(&chunk->files[chunk->n], f);
					chunk->unchanged[chunk->n++] = unchanged;
					MemoryContextSwitchTo(txcxt);
				}
				collected = true;

				/* workers share the lock, as ingest() does; a load() in a session waits for them */
				if (chunk->n > 0)
					cl_kind_lock_writers(kind, false);
				memset(&lr, 0, sizeof(lr));
				run_contexts(&lr, txcxt);
				lr.errcxt = txcxt;
				lr.kind = kind;
				lr.skip = skip;
				lr.claim = true;
				lr.plans = &plans;
				lr.block = block;
				lr.owner = CurrentResourceOwner;
				lr.r = palloc0(sizeof(CLReader));
				cl_reader_init(lr.r, kind, CL_MAP_WRITE, format, compression);
				cl_writer_identity_begin(&identity);
				for (int i = 0; i < chunk->n; i++)
				{
					CHECK_FOR_INTERRUPTS();
					t.n.files_seen++;
					if (chunk->unchanged[i])
						t.n.files_skipped++;
					else
						load_listed_file(&lr, &chunk->files[i], &t);
				}
				cl_writer_identity_end(&identity);
				SPI_finish();
				PopActiveSnapshot();
				CommitTransactionCommand();
			}
			PG_CATCH();
			{
				ErrorData  *e;

				MemoryContextSwitchTo(workcxt);
				e = CopyErrorData();
				if (!collected ||
					ERRCODE_TO_CATEGORY(e->sqlerrcode) != ERRCODE_TO_CATEGORY(ERRCODE_TRANSACTION_ROLLBACK) ||
					retries >= CL_LOAD_RETRIES)
					PG_RE_THROW();
				FlushErrorState();
				AbortCurrentTransaction();
				ereport(LOG,
						(errmsg("connect_lake.load: worker: %d files from \"%s\" loaded again: %s",
								chunk->n, chunk->n > 0 ? chunk->files[0].path : "", e->message)));
				FreeErrorData(e);
				retries++;
				again = true;
			}
			PG_END_TRY();
			if (again)
				continue;
			MemoryContextSwitchTo(workcxt);
			if (chunk->n > 0)
				report(arg, &t.n, t.error);
			undrained += t.n.files_loaded;
			break;
		}
		/* the queued upkeep, unless another worker is running it now */
		if (undrained >= CL_LOAD_DRAIN_FILES && drain_upkeep(workcxt, false))
			undrained = 0;
		if (ended || chunk->n == 0)
			break;
	}
	/* what this worker queued, and what a worker killed before left */
	(void) drain_upkeep(workcxt, true);
	MemoryContextSwitchTo(TopMemoryContext);
	cl_file_iter_end(listing->it);
	MemoryContextDelete(workcxt);
}
