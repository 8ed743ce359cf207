/*
 * load_workers.c: load(..., workers => n), the files loaded by n background
 * workers (dynamic background workers) while the calling session waits.
 *
 * The caller checks what it can before starting anything (reading server
 * files, the kind and options, n between 1 and max_worker_processes, not in
 * a transaction block: each file commits on its own), then puts the request
 * in a dynamic shared memory segment: the database, the roles (a worker
 * connects as the session's login role and acts as the calling role, as a
 * parallel query's workers do), the session's connect_lake.* settings and a
 * few others a load depends on (TimeZone, search_path, DateStyle ...), and
 * one slot per worker where it adds its totals after every transaction it
 * commits and, if it stops on an error, the message.
 *
 * Each worker runs cl_load_committing() (load.c): the workers of a call
 * take chunks of the listing from a counter in the segment, and claim each
 * file with a lock taken without waiting, so that the workers of other
 * calls on the same path skip it; each file lands in a transaction of its
 * own, exactly once.
 *
 * The caller waits on its latch (the postmaster sets it when a worker starts
 * or stops), sends a progress NOTICE every PROGRESS_SECS, and returns the
 * combined totals: files_seen the files listed (each in one chunk),
 * files_skipped what this call did not load or fail (unchanged, or claimed
 * by another session).  A worker's error (its first, as the worker
 * raised it) is raised by the caller once every worker has stopped; a worker
 * terminated (pg_terminate_backend()) is a WARNING and the result's error.
 * Cancelling or terminating the caller terminates its workers: the segment
 * belongs to the caller's transaction, and detaching from it (at abort or
 * exit) terminates the workers, whose current file rolls back.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "connect_lake.h"
#include "filelist.h"
#include "kinds.h"
#include "load.h"
#include "reader.h"

PGDLLEXPORT void cl_load_worker_main(Datum arg);

#define LOAD_ERRLEN		2048
#define PROGRESS_SECS	30

/* One worker's part of the segment. */
typedef struct LoadSlot
{
	CLLoadTotals t;				/* of the transactions it committed */
	int			sqlerrcode;
	bool		finished;		/* walked the whole listing */
	bool		failed;			/* stopped on an error: message in fatal */
	char		error[LOAD_ERRLEN]; /* its first failed file's error */
	char		fatal[LOAD_ERRLEN];
} LoadSlot;

typedef struct LoadShared
{
	slock_t		mutex;			/* the slots */
	Oid			database;
	Oid			session_user;
	Oid			outer_user;		/* SET ROLE's, or InvalidOid */
	bool		outer_is_superuser;
	Oid			current_user;
	int			sec_context;
	int			nworkers;
	pg_atomic_uint64 next_chunk;	/* the next chunk of the listing not taken */
	Size		request_off;	/* kind, path, on_error, format, compression: NUL-terminated, in order */
	Size		settings_off;	/* name NUL value NUL ..., then NUL */
	LoadSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} LoadShared;

/* Settings a worker takes from the caller when the caller's session set them. */
static const char *const copied_settings[] = {
	"TimeZone", "search_path", "DateStyle", "IntervalStyle", "work_mem",
	"maintenance_work_mem", "synchronous_commit", "extra_float_digits",
};

static bool
copied_setting(const char *name)
{
	if (pg_strncasecmp(name, "connect_lake.", 13) == 0)
		return true;
	for (int i = 0; i < lengthof(copied_settings); i++)
		if (pg_strcasecmp(name, copied_settings[i]) == 0)
			return true;
	return false;
}

/* The caller's settings to copy, as name NUL value NUL ... NUL. */
static void
collect_settings(StringInfo buf)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();

	for (int i = 0; i < n; i++)
	{
		struct config_generic *g = vars[i];
		const char *value;

		if (g->source < PGC_S_CLIENT || !copied_setting(g->name))
			continue;
		value = GetConfigOption(g->name, true, false);
		if (value == NULL)
			continue;
		appendBinaryStringInfo(buf, g->name, strlen(g->name) + 1);
		appendBinaryStringInfo(buf, value, strlen(value) + 1);
	}
	appendStringInfoChar(buf, '\0');
}

/* ---------- the caller ---------- */

typedef struct Launched
{
	int			n;
	BackgroundWorkerHandle **handles;
} Launched;

/*
 * The segment detached (the caller's transaction ended, or its process
 * exits): every worker still running is terminated, its file rolled back.
 */
static void
terminate_workers(dsm_segment *seg, Datum arg)
{
	Launched   *l = (Launched *) DatumGetPointer(arg);

	for (int i = 0; i < l->n; i++)
	{
		TerminateBackgroundWorker(l->handles[i]);
		pfree(l->handles[i]);
	}
	pfree(l->handles);
	pfree(l);
}

/* The totals so far, summed over the slots. */
static void
sum_slots(LoadShared *sh, int n, CLLoadTotals *t)
{
	memset(t, 0, sizeof(*t));
	SpinLockAcquire(&sh->mutex);
	for (int i = 0; i < n; i++)
	{
		CLLoadTotals *s = &sh->slots[i].t;

		t->files_seen += s->files_seen;
		t->files_loaded += s->files_loaded;
		t->files_failed += s->files_failed;
		t->records += s->records;
		t->inserted += s->inserted;
		t->updated += s->updated;
		t->duplicates += s->duplicates;
		t->rejected += s->rejected;
		t->values_nulled += s->values_nulled;
		t->bytes += s->bytes;
	}
	SpinLockRelease(&sh->mutex);
	t->files_skipped = Max(t->files_seen - t->files_loaded - t->files_failed, 0);
}

void
cl_load_with_workers(const CLLoadRequest *req, int nworkers, CLLoadTotals *t, char **first_error)
{
	StringInfoData strings;
	Size		slots_size;
	Size		size;
	dsm_segment *seg;
	LoadShared *sh;
	Launched   *launched;
	TimestampTz next_progress;
	const char *parts[5];
	int			settings_off;
	int			nlaunched;
	MemoryContext oldcxt;

	/* what every worker would refuse, refused once here */
	(void) cl_kind_by_name(req->kind);
	(void) cl_reader_on_error_skip(req->on_error);
	(void) cl_reader_format(req->format);
	(void) cl_reader_compression(req->compression);
	if (nworkers < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workers must be at least 1, not %d", nworkers),
				 errhint("Leave workers out (NULL) to load in this session.")));
	if (nworkers > max_worker_processes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workers must be at most max_worker_processes (%d), not %d",
						max_worker_processes, nworkers),
				 errhint("Raise max_worker_processes (a restart) or ask for fewer workers.")));
	if (IsTransactionBlock() || TransactionIdIsValid(GetTopTransactionIdIfAny()))
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("load() with workers cannot run inside a transaction block or after writes in the same transaction"),
				 errdetail("Its workers commit each file on their own, and would wait for rows this transaction holds."),
				 errhint("Run it on its own, or without workers to load in this transaction.")));
	/* the path: absolute, there (its top level read once) */
	cl_file_iter_end(cl_file_iter_begin(req->path));

	/* the request's strings and the settings, after the slots */
	initStringInfo(&strings);
	parts[0] = req->kind;
	parts[1] = req->path;
	parts[2] = req->on_error;
	parts[3] = req->format;
	parts[4] = req->compression;
	for (int i = 0; i < 5; i++)
		appendBinaryStringInfo(&strings, parts[i], strlen(parts[i]) + 1);
	settings_off = strings.len;
	collect_settings(&strings);
	slots_size = MAXALIGN(offsetof(LoadShared, slots) + sizeof(LoadSlot) * nworkers);
	size = slots_size + strings.len;

	seg = dsm_create(size, 0);
	sh = dsm_segment_address(seg);
	memset(sh, 0, slots_size);
	SpinLockInit(&sh->mutex);
	pg_atomic_init_u64(&sh->next_chunk, 0);
	sh->database = MyDatabaseId;
	sh->session_user = GetSessionUserId();
	sh->outer_user = GetCurrentRoleId();
	sh->outer_is_superuser = superuser_arg(OidIsValid(sh->outer_user) ? sh->outer_user : sh->session_user);
	GetUserIdAndSecContext(&sh->current_user, &sh->sec_context);
	sh->nworkers = nworkers;
	sh->request_off = slots_size;
	sh->settings_off = slots_size + settings_off;
	memcpy((char *) sh + slots_size, strings.data, strings.len);

	/*
	 * The handles outlive the call's memory: at an abort the portal's memory
	 * goes before the segment is detached, and the detach terminates the
	 * workers through them (and frees them).
	 */
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	launched = palloc0(sizeof(Launched));
	launched->handles = palloc0(sizeof(BackgroundWorkerHandle *) * nworkers);
	on_dsm_detach(seg, terminate_workers, PointerGetDatum(launched));

	for (int i = 0; i < nworkers; i++)
	{
		BackgroundWorker w;

		memset(&w, 0, sizeof(w));
		w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
		w.bgw_start_time = BgWorkerStart_ConsistentState;
		w.bgw_restart_time = BGW_NEVER_RESTART;
		snprintf(w.bgw_library_name, BGW_MAXLEN, "connect_lake");
		snprintf(w.bgw_function_name, BGW_MAXLEN, "cl_load_worker_main");
		snprintf(w.bgw_name, BGW_MAXLEN, "connect_lake load worker %d of %d for PID %d",
				 i + 1, nworkers, MyProcPid);
		snprintf(w.bgw_type, BGW_MAXLEN, "connect_lake load worker");
		w.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
		w.bgw_notify_pid = MyProcPid;
		memcpy(w.bgw_extra, &i, sizeof(int));
		if (!RegisterDynamicBackgroundWorker(&w, &launched->handles[launched->n]))
			break;
		launched->n++;
	}
	MemoryContextSwitchTo(oldcxt);
	nlaunched = launched->n;
	if (nlaunched == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start any load worker: every background worker slot is in use"),
				 errhint("Raise max_worker_processes (a restart), or leave workers out to load in this session.")));
	if (nlaunched < nworkers)
		ereport(NOTICE,
				(errmsg("connect_lake.load: %d of the %d workers asked for started (background worker slots in use)",
						nlaunched, nworkers)));

	next_progress = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), PROGRESS_SECS * 1000);
	for (;;)
	{
		bool		running = false;

		for (int i = 0; i < nlaunched; i++)
		{
			pid_t		pid;

			if (GetBackgroundWorkerPid(launched->handles[i], &pid) != BGWH_STOPPED)
				running = true;
		}
		if (!running)
			break;
		if (GetCurrentTimestamp() >= next_progress)
		{
			CLLoadTotals p;

			sum_slots(sh, nlaunched, &p);
			ereport(NOTICE,
					(errmsg("connect_lake.load: %d workers: %lld files loaded, %lld failed, %lld records so far",
							nlaunched, (long long) p.files_loaded, (long long) p.files_failed,
							(long long) p.records)));
			next_progress = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), PROGRESS_SECS * 1000);
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	sum_slots(sh, nlaunched, t);
	*first_error = NULL;
	for (int i = 0; i < nlaunched; i++)
	{
		LoadSlot   *s = &sh->slots[i];

		if (s->error[0] != '\0' && *first_error == NULL)
			*first_error = pstrdup(s->error);
	}
	for (int i = 0; i < nlaunched; i++)
	{
		LoadSlot   *s = &sh->slots[i];

		if (s->failed)
		{
			char	   *msg = pstrdup(s->fatal);
			int			code = s->sqlerrcode;

			dsm_detach(seg);
			ereport(ERROR,
					(errcode(code ? code : ERRCODE_INTERNAL_ERROR),
					 errmsg("connect_lake.load: worker %d of %d: %s", i + 1, nlaunched, msg),
					 errdetail("The files the workers committed stay loaded (load_manifest); the next load() takes the others.")));
		}
	}
	for (int i = 0; i < nlaunched; i++)
	{
		LoadSlot   *s = &sh->slots[i];

		if (!s->finished)
		{
			ereport(WARNING,
					(errmsg("connect_lake.load: worker %d of %d stopped before the end of the listing (terminated)",
							i + 1, nlaunched),
					 errdetail("Its file in progress was rolled back; the other workers or the next load() take the files it did not load.")));
			if (*first_error == NULL)
				*first_error = psprintf("worker %d of %d stopped before the end of the listing (terminated)",
										i + 1, nlaunched);
		}
	}
	if (t->files_failed > 0 && pg_strcasecmp(req->on_error, "skip") != 0)
		ereport(WARNING,
				(errmsg("connect_lake.load: %lld of %lld files not loaded (on_error 'stop'): each is recorded as failed in connect_lake.load_manifest and read again by the next load()",
						(long long) t->files_failed, (long long) t->files_seen),
				 errhint("Fix or remove them and run load() again, or use on_error 'skip' to land the good records and keep the bad ones in connect_lake.load_rejects.")));
	dsm_detach(seg);
}

/* ---------- a worker ---------- */

typedef struct WorkerReport
{
	LoadShared *sh;
	LoadSlot   *slot;
} WorkerReport;

/* After each transaction a worker commits: its totals into its slot. */
static void
report_committed(void *arg, const CLLoadTotals *t, const char *error)
{
	WorkerReport *wr = arg;
	CLLoadTotals *s = &wr->slot->t;

	SpinLockAcquire(&wr->sh->mutex);
	s->files_seen += t->files_seen;
	s->files_loaded += t->files_loaded;
	s->files_skipped += t->files_skipped;
	s->files_failed += t->files_failed;
	s->records += t->records;
	s->inserted += t->inserted;
	s->updated += t->updated;
	s->duplicates += t->duplicates;
	s->rejected += t->rejected;
	s->values_nulled += t->values_nulled;
	s->bytes += t->bytes;
	if (error && wr->slot->error[0] == '\0')
		strlcpy(wr->slot->error, error, LOAD_ERRLEN);
	SpinLockRelease(&wr->sh->mutex);
}

/* The next chunk of the listing, for cl_load_committing(). */
static int64
take_chunk(void *arg)
{
	WorkerReport *wr = arg;

	return (int64) pg_atomic_fetch_add_u64(&wr->sh->next_chunk, 1);
}

/* The caller's settings, as a SET in the session would make them. */
static void
apply_settings(const char *p)
{
	while (*p)
	{
		const char *name = p;
		const char *value = name + strlen(name) + 1;

		(void) set_config_option(name, value, superuser() ? PGC_SUSET : PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SET, true, WARNING, false);
		p = value + strlen(value) + 1;
	}
}

void
cl_load_worker_main(Datum arg)
{
	dsm_segment *seg;
	LoadShared *sh;
	int			index;
	WorkerReport wr;
	CLLoadRequest req;
	const char *p;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	memcpy(&index, MyBgworkerEntry->bgw_extra, sizeof(int));
	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("connect_lake load worker: the caller's shared memory is gone")));
	sh = dsm_segment_address(seg);
	if (index < 0 || index >= sh->nworkers)
		elog(ERROR, "connect_lake load worker: bad worker number %d", index);
	wr.sh = sh;
	wr.slot = &sh->slots[index];

	BackgroundWorkerInitializeConnectionByOid(sh->database, sh->session_user, 0);
	SetCurrentRoleId(sh->outer_user, sh->outer_is_superuser);
	SetUserIdAndSecContext(sh->current_user, sh->sec_context);
	pgstat_report_appname("connect_lake load worker");

	p = (const char *) sh + sh->request_off;
	req.kind = p;
	p += strlen(p) + 1;
	req.path = p;
	p += strlen(p) + 1;
	req.on_error = p;
	p += strlen(p) + 1;
	req.format = p;
	p += strlen(p) + 1;
	req.compression = p;

	PG_TRY();
	{
		StartTransactionCommand();
		apply_settings((const char *) sh + sh->settings_off);
		CommitTransactionCommand();
		cl_load_committing(&req, take_chunk, report_committed, &wr);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(TopMemoryContext);
		e = CopyErrorData();
		SpinLockAcquire(&sh->mutex);
		wr.slot->failed = true;
		wr.slot->sqlerrcode = e->sqlerrcode;
		strlcpy(wr.slot->fatal, e->message ? e->message : "unknown error", LOAD_ERRLEN);
		SpinLockRelease(&sh->mutex);
		PG_RE_THROW();
	}
	PG_END_TRY();

	SpinLockAcquire(&sh->mutex);
	wr.slot->finished = true;
	SpinLockRelease(&sh->mutex);
	dsm_detach(seg);
}
