/*
 * workdays.c: the working-day functions, their calendar cache and triggers.
 *
 * Calendars are read from connect_lake.calendar and connect_lake.holiday into
 * a per-backend cache: for each calendar its time zone (a pg_tz, resolved
 * once) and a WdCalc (weekend table plus the sorted holidays).  A call then
 * converts its timestamp to the calendar's local date and clock time with
 * PostgreSQL's time zone code (never the session TimeZone), does
 * O(log holidays) arithmetic and converts back.
 *
 * Keeping the cache right is config_cache.h's pattern, as for every
 * configuration table:
 * - Plain DML sends no relcache invalidation, so an AFTER ... FOR EACH
 *   STATEMENT trigger on both tables (config_changed) queues one for the
 *   table.  PostgreSQL delivers it to this backend at the end of the command
 *   (so our own later commands see the change, and an abort undoes it) and to
 *   every other backend at commit.  The relcache callback marks the cache
 *   stale.
 * - The cache is read with the latest snapshot (as catalogs are): committed
 *   rows plus this transaction's earlier commands.  In parallel mode no new
 *   snapshot may be taken, so the query's snapshot is used and the cache is
 *   dropped again once out of parallel mode.
 * - Pending invalidations are accepted once per statement
 *   (cl_config_cache_check), so a change committed by another session is
 *   seen by the next statement even inside one transaction (READ COMMITTED
 *   style).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "config_cache.h"
#include "connect_lake.h"
#include "recmap.h"
#include "workdays.h"
#include "workdays_calc.h"

char	   *cl_workdays_calendar = NULL;

typedef struct CalEntry
{
	char	   *name;
	int			namelen;
	char	   *time_zone;
	pg_tz	   *tz;				/* NULL when time_zone is not recognised */
	bool		bundled;
	bool		has_workday;	/* the weekend leaves a working day */
	WdCalc		calc;
} CalEntry;

static CLConfigCache cal_cache = {
	.name = "connect_lake calendars",
	.tables = {"calendar", "holiday"},
};
static CalEntry *cals = NULL;	/* sorted by name (bytes) */
static int	ncals = 0;
static bool cache_from_parallel = false;	/* read with the query's snapshot */

/*
 * The connect_lake.calendar setting, registered once per backend from
 * _PG_init (the calendar cache registers itself at its first build).
 */
void
cl_workdays_init(void)
{
	DefineCustomStringVariable("connect_lake.calendar",
							   "Default calendar of the working-day functions.",
							   "The name of a row of connect_lake.calendar, used when a working_days_* function is called without one.",
							   &cl_workdays_calendar,
							   "england_wales",
							   PGC_USERSET, 0,
							   NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- cache */

static int
name_cmp(const char *a, int alen, const char *b, int blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

static int
cal_entry_cmp(const void *a, const void *b)
{
	const CalEntry *x = a,
			   *y = b;

	return name_cmp(x->name, x->namelen, y->name, y->namelen);
}

/*
 * A cached calendar by name: binary search, cals sorted by name_cmp when built.
 */
static CalEntry *
cal_find(const char *name, int len)
{
	int			lo = 0,
				hi = ncals;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = name_cmp(cals[mid].name, cals[mid].namelen, name, len);

		if (c == 0)
			return &cals[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * A column of a calendar table by name, so that reading the tables in C
 * does not depend on column order; errors if an update removed it.
 */
static AttrNumber
column_attnum(Relation rel, const char *colname)
{
	int			i = cl_tupdesc_column(RelationGetDescr(rel), colname);

	if (i >= 0)
		return (AttrNumber) (i + 1);
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of relation \"%s.%s\" does not exist",
					colname, CONNECT_LAKE_SCHEMA, RelationGetRelationName(rel)),
			 errhint("The connect_lake extension's calendar tables were altered; reinstall or update the extension.")));
	return InvalidAttrNumber;	/* keep the compiler quiet */
}

typedef struct HolidayRow
{
	int			cal;
	int32		day;
} HolidayRow;

static int
holiday_row_cmp(const void *a, const void *b)
{
	const HolidayRow *x = a,
			   *y = b;

	if (x->cal != y->cal)
		return (x->cal > y->cal) - (x->cal < y->cal);
	return (x->day > y->day) - (x->day < y->day);
}

/*
 * Read connect_lake.calendar into cals, sorted by name: the time zone is
 * resolved and the weekend compiled once here, so each call pays neither.
 */
static void
read_calendars(Relation rel, Snapshot snap)
{
	AttrNumber	a_name = column_attnum(rel, "name");
	AttrNumber	a_tz = column_attnum(rel, "time_zone");
	AttrNumber	a_weekend = column_attnum(rel, "weekend");
	AttrNumber	a_bundled = column_attnum(rel, "bundled");
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TableScanDesc scan = table_beginscan(rel, snap, 0, NULL);
	int			cap = 8;

	cals = MemoryContextAllocZero(cal_cache.cxt, cap * sizeof(CalEntry));
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CalEntry   *e;
		bool		isnull;
		Datum		d;
		unsigned	weekend = 0;

		if (ncals == cap)
		{
			cap *= 2;
			cals = repalloc(cals, cap * sizeof(CalEntry));
		}
		e = &cals[ncals++];
		memset(e, 0, sizeof(*e));

		d = slot_getattr(slot, a_name, &isnull);
		e->name = isnull ? MemoryContextStrdup(cal_cache.cxt, "") : text_to_cstring(DatumGetTextPP(d));
		e->namelen = strlen(e->name);
		d = slot_getattr(slot, a_tz, &isnull);
		e->time_zone = isnull ? MemoryContextStrdup(cal_cache.cxt, "") : text_to_cstring(DatumGetTextPP(d));
		e->tz = e->time_zone[0] ? pg_tzset(e->time_zone) : NULL;
		d = slot_getattr(slot, a_bundled, &isnull);
		e->bundled = !isnull && DatumGetBool(d);
		d = slot_getattr(slot, a_weekend, &isnull);
		if (!isnull)
		{
			ArrayType  *arr = DatumGetArrayTypeP(d);
			Datum	   *elems;
			bool	   *nulls;
			int			n,
						i;

			deconstruct_array(arr, INT2OID, sizeof(int16), true, TYPALIGN_SHORT,
							  &elems, &nulls, &n);
			for (i = 0; i < n; i++)
				if (!nulls[i] && DatumGetInt16(elems[i]) >= 1 && DatumGetInt16(elems[i]) <= 7)
					weekend |= 1u << (DatumGetInt16(elems[i]) - 1);
		}
		e->has_workday = wd_calc_init(&e->calc, weekend);
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	if (ncals > 1)
		qsort(cals, ncals, sizeof(CalEntry), cal_entry_cmp);
}

/*
 * Read connect_lake.holiday and give each calendar its holidays, sorted, as
 * the arithmetic's day ranks (workdays_calc.h); holidays of an unknown
 * calendar or of one with no working day are ignored.
 */
static void
read_holidays(Relation rel, Snapshot snap)
{
	AttrNumber	a_cal = column_attnum(rel, "calendar");
	AttrNumber	a_day = column_attnum(rel, "day");
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TableScanDesc scan = table_beginscan(rel, snap, 0, NULL);
	int			cap = 256,
				n = 0,
				i,
				start;
	HolidayRow *rows = palloc(cap * sizeof(HolidayRow));

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		d;
		text	   *t;
		CalEntry   *e;
		DateADT		day;

		d = slot_getattr(slot, a_cal, &isnull);
		if (isnull)
			continue;
		t = DatumGetTextPP(d);
		e = cal_find(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		if (e == NULL)
			continue;
		d = slot_getattr(slot, a_day, &isnull);
		if (isnull)
			continue;
		day = DatumGetDateADT(d);
		if (DATE_NOT_FINITE(day))
			continue;
		if (n == cap)
		{
			cap *= 2;
			rows = repalloc(rows, cap * sizeof(HolidayRow));
		}
		rows[n].cal = e - cals;
		rows[n].day = day;
		n++;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);

	if (n > 1)
		qsort(rows, n, sizeof(HolidayRow), holiday_row_cmp);
	for (start = 0; start < n; start = i)
	{
		CalEntry   *e = &cals[rows[start].cal];
		int32	   *days;
		int64	   *rank;
		int			j;

		for (i = start; i < n && rows[i].cal == rows[start].cal; i++)
			;
		days = palloc((i - start) * sizeof(int32));
		rank = palloc((i - start) * sizeof(int64));
		for (j = start; j < i; j++)
			days[j - start] = rows[j].day;
		if (e->has_workday)
			wd_calc_set_holidays(&e->calc, days, i - start, rank);
	}
	pfree(rows);
}

/*
 * (Re)read both calendar tables into cal_cache's context, reset first so nothing of the
 * old cache is left; heap scans, no SPI, so no query is planned.  The snapshot is taken after the locks, which accept pending invalidations;
 * an invalidation that arrives while reading means reading again.
 */
static void
cal_cache_build(void)
{
	while (!cal_cache.valid)
	{
		bool		parallel = IsInParallelMode();
		Relation	crel,
					hrel;
		Snapshot	snap;
		uint64		generation;
		MemoryContext cxt;
		MemoryContext old;

		/*
		 * Locking accepts pending invalidations: start the build and take the
		 * snapshot after.
		 */
		crel = table_open(cl_placement_oid("calendar"), AccessShareLock);
		hrel = table_open(cl_placement_oid("holiday"), AccessShareLock);
		cxt = cl_config_cache_begin(&cal_cache, &generation);
		if (!parallel)
			snap = GetLatestSnapshot();
		else if (ActiveSnapshotSet())
			snap = GetActiveSnapshot();
		else
			snap = GetTransactionSnapshot();
		snap = RegisterSnapshot(snap);

		cals = NULL;
		ncals = 0;
		old = MemoryContextSwitchTo(cxt);
		read_calendars(crel, snap);
		read_holidays(hrel, snap);
		MemoryContextSwitchTo(old);

		UnregisterSnapshot(snap);
		table_close(hrel, AccessShareLock);
		table_close(crel, AccessShareLock);

		/* An invalidation that arrived while reading means: read again. */
		if (cl_config_cache_built(&cal_cache, generation))
			cache_from_parallel = parallel;
	}
}

/* The calendar named name[0..len), or NULL; errors only if unreadable. */
static CalEntry *
cal_lookup(const char *name, int len)
{
	cl_config_cache_check(&cal_cache);
	if (!cal_cache.valid)
		cal_cache_build();
	return cal_find(name, len);
}

/* The calendar named name[0..len), ready for arithmetic, or an error. */
static CalEntry *
cal_get(const char *name, int len)
{
	CalEntry   *e = cal_lookup(name, len);

	if (e == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("calendar \"%s\" does not exist", pnstrdup(name, len)),
				 errhint("Calendars are the rows of connect_lake.calendar; the setting connect_lake.calendar names the default (now \"%s\").",
						 cl_workdays_calendar ? cl_workdays_calendar : "")));
	if (e->tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" of calendar \"%s\" is not recognized", e->time_zone, e->name),
				 errhint("Set connect_lake.calendar.time_zone to a name from pg_timezone_names, e.g. Europe/London.")));
	if (!e->has_workday)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calendar \"%s\" has no working day in the week", e->name),
				 errhint("Remove a day from connect_lake.calendar.weekend.")));
	return e;
}

static CalEntry *
cal_by_cstring(const char *calendar)
{
	if (calendar == NULL)
		calendar = cl_workdays_calendar ? cl_workdays_calendar : "";
	return cal_get(calendar, strlen(calendar));
}

/* Per call site: the last calendar used, valid while the cache is unchanged. */
typedef struct CallCache
{
	uint64		generation;
	CalEntry   *cal;
	int			namelen;
	int			namecap;
	char	   *name;
} CallCache;

/*
 * The calendar a SQL call names, remembered per call site (fn_extra): a
 * query calling working_days_add() for a million rows with one calendar
 * looks it up once.  A new call site (each query) first accepts other
 * sessions' invalidations, so their commits are seen at the next statement.
 */
static CalEntry *
cal_for_call(FunctionCallInfo fcinfo, int argno)
{
	text	   *t = PG_GETARG_TEXT_PP(argno);
	const char *name = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	FmgrInfo   *flinfo = fcinfo->flinfo;
	CallCache  *cc;
	CalEntry   *e;

	if (flinfo == NULL)
		return cal_get(name, len);
	cc = (CallCache *) flinfo->fn_extra;
	if (cc == NULL)
	{
		cc = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(CallCache));
		flinfo->fn_extra = cc;
		/* once per query and call site: see what other sessions committed */
		cl_config_cache_check(&cal_cache);
		if (cache_from_parallel && !IsInParallelMode())
			cl_config_cache_reset(&cal_cache);
	}
	if (cc->cal != NULL && cc->generation == cal_cache.generation && cal_cache.valid &&
		cc->namelen == len && memcmp(cc->name, name, len) == 0)
		return cc->cal;

	e = cal_get(name, len);
	if (cc->namecap < len + 1)
	{
		cc->namecap = Max(len + 1, 64);
		cc->name = cc->name ? repalloc(cc->name, cc->namecap)
			: MemoryContextAlloc(flinfo->fn_mcxt, cc->namecap);
	}
	memcpy(cc->name, name, len);
	cc->namelen = len;
	cc->cal = e;
	cc->generation = cal_cache.generation;
	return e;
}

/* ------------------------------------------------------ local date-times */

static void
check_finite(TimestampTz ts, const CalEntry *e)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("working days of calendar \"%s\" are not defined for infinite timestamps", e->name),
				 errhint("Pass a finite timestamp, or filter with isfinite().")));
}

/* ts as a local day number and clock time (microseconds) in the calendar's zone */
static void
to_local(const CalEntry *e, TimestampTz ts, int64 *day, int64 *tod)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;

	check_finite(ts, e);
	if (timestamp2tm(ts, &tzoff, &tm, &fsec, NULL, e->tz) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	*day = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
	*tod = (((int64) tm.tm_hour * MINS_PER_HOUR + tm.tm_min) * SECS_PER_MINUTE + tm.tm_sec)
		* USECS_PER_SEC + fsec;
}

/* The moment a local day and clock time names, as PostgreSQL resolves it. */
static TimestampTz
from_local(const CalEntry *e, int64 day, int64 tod)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;
	TimestampTz result;

	if (day < DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE ||
		day >= TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	j2date((int) (day + POSTGRES_EPOCH_JDATE), &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
	dt2time(tod, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &fsec);
	tm.tm_isdst = -1;
	tzoff = DetermineTimeZoneOffset(&tm, e->tz);
	if (tm2timestamp(&tm, fsec, &tzoff, &result) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return result;
}

/*
 * ts moved n working days in the calendar's local time: the arithmetic is
 * on local days (workdays_calc.c), the time of day is kept.
 */
static TimestampTz
add_working_days(const CalEntry *e, TimestampTz ts, int n)
{
	int64		day,
				tod,
				rday,
				rtod;

	to_local(e, ts, &day, &tod);
	wd_add_local(&e->calc, day, tod, n, &rday, &rtod);
	return from_local(e, rday, rtod);
}

static bool
overdue(const CalEntry *e, TimestampTz ts, TimestampTz as_of, int n)
{
	check_finite(as_of, e);
	return as_of > add_working_days(e, ts, n);
}

/*
 * Whole working days from a to b: for b >= a the largest k >= 0 with
 * add(a, k) <= b (so between(t, add(t, n)) = n, and "overdue" agrees with it
 * even across a daylight-saving gap); for b < a, -between(b, a).
 */
static int
between_working_days(const CalEntry *e, TimestampTz a, TimestampTz b)
{
	int64		aday,
				atod,
				bday,
				btod,
				k;

	if (b < a)
		return -between_working_days(e, b, a);
	to_local(e, a, &aday, &atod);
	to_local(e, b, &bday, &btod);
	/* b's working day is k after a's: the answer is k or k - 1 */
	k = wd_index(&e->calc, bday) - wd_index(&e->calc, aday);
	if (k > 0 && add_working_days(e, a, (int) k) > b)
		k--;
	return (int) k;
}

static int64
finite_date(DateADT d, const CalEntry *e)
{
	if (DATE_NOT_FINITE(d))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("working days of calendar \"%s\" are not defined for infinite dates", e->name),
				 errhint("Pass a finite date, or filter with isfinite().")));
	return d;
}

/* ------------------------------------------------------------- C API */

TimestampTz
cl_working_days_add(const char *calendar, TimestampTz ts, int n)
{
	return add_working_days(cal_by_cstring(calendar), ts, n);
}

/* ------------------------------------------------------- SQL functions */

PG_FUNCTION_INFO_V1(default_calendar);
Datum
default_calendar(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(cl_workdays_calendar ? cl_workdays_calendar : ""));
}

/* working_days_add(ts timestamptz, n integer, calendar text) */
PG_FUNCTION_INFO_V1(working_days_add);
Datum
working_days_add(PG_FUNCTION_ARGS)
{
	CalEntry   *e = cal_for_call(fcinfo, 2);

	PG_RETURN_TIMESTAMPTZ(add_working_days(e, PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_INT32(1)));
}

/* working_days_overdue(ts timestamptz, as_of timestamptz, n integer, calendar text) */
PG_FUNCTION_INFO_V1(working_days_overdue);
Datum
working_days_overdue(PG_FUNCTION_ARGS)
{
	CalEntry   *e = cal_for_call(fcinfo, 3);

	PG_RETURN_BOOL(overdue(e, PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_TIMESTAMPTZ(1),
						   PG_GETARG_INT32(2)));
}

/* working_days_between(a timestamptz, b timestamptz, calendar text) */
PG_FUNCTION_INFO_V1(working_days_between);
Datum
working_days_between(PG_FUNCTION_ARGS)
{
	CalEntry   *e = cal_for_call(fcinfo, 2);

	PG_RETURN_INT32(between_working_days(e, PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_TIMESTAMPTZ(1)));
}

/* is_working_day(day date, calendar text) */
PG_FUNCTION_INFO_V1(is_working_day);
Datum
is_working_day(PG_FUNCTION_ARGS)
{
	CalEntry   *e = cal_for_call(fcinfo, 1);

	PG_RETURN_BOOL(wd_is_working(&e->calc, finite_date(PG_GETARG_DATEADT(0), e)));
}

/* next_working_day(day date, calendar text): the first working day after day */
PG_FUNCTION_INFO_V1(next_working_day);
Datum
next_working_day(PG_FUNCTION_ARGS)
{
	CalEntry   *e = cal_for_call(fcinfo, 1);
	int64		next = wd_next(&e->calc, finite_date(PG_GETARG_DATEADT(0), e));

	if (!IS_VALID_DATE(next))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("date out of range")));
	PG_RETURN_DATEADT((DateADT) next);
}

/* ------------------------------------------------------------- triggers */

static bool
in_own_extension_script(void)
{
	return creating_extension &&
		CurrentExtensionObject == get_extension_oid("connect_lake", true);
}

static Datum
column_value(Relation rel, HeapTuple tuple, const char *colname, bool *isnull)
{
	return heap_getattr(tuple, column_attnum(rel, colname), RelationGetDescr(rel), isnull);
}

static bool
row_bundled(Relation rel, HeapTuple tuple)
{
	bool		isnull;
	Datum		d = column_value(rel, tuple, "bundled", &isnull);

	return !isnull && DatumGetBool(d);
}

static char *
row_text(Relation rel, HeapTuple tuple, const char *colname)
{
	bool		isnull;
	Datum		d = column_value(rel, tuple, colname, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * Refuse a change to a bundled calendar: those rows belong to the extension
 * (updated by ALTER EXTENSION UPDATE), so the DBA copies one and edits the copy.
 */
static void
bundled_readonly(const char *calendar)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("calendar \"%s\" is bundled with connect_lake and cannot be changed", calendar),
			 errdetail("Bundled calendars and their holidays are created by CREATE EXTENSION and changed only by ALTER EXTENSION UPDATE."),
			 errhint("Copy it into a calendar of your own and edit that: SELECT connect_lake.copy_calendar('%s', 'my_calendar');",
					 calendar)));
}

/*
 * BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW, and BEFORE TRUNCATE, on
 * connect_lake.calendar and connect_lake.holiday: bundled rows are read-only
 * (only the extension's own scripts write them), and a calendar's time zone
 * must be one PostgreSQL knows.
 */
PG_FUNCTION_INFO_V1(calendar_guard);
Datum
calendar_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	bool		is_calendar;
	HeapTuple	oldtup = NULL,
				newtup = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("calendar_guard() was not called by a trigger")));
	rel = td->tg_relation;
	/* by its columns, not its name: on Citus the trigger fires on calendar_<shard id> */
	is_calendar = cl_tupdesc_column(RelationGetDescr(rel), "time_zone") >= 0;

	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		newtup = td->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		oldtup = td->tg_trigtuple;
		newtup = td->tg_newtuple;
	}
	else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
		oldtup = td->tg_trigtuple;

	if (in_own_extension_script())
		return PointerGetDatum(newtup ? newtup : oldtup);

	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot truncate connect_lake.%s: it holds the calendars bundled with connect_lake",
						is_calendar ? "calendar" : "holiday"),
				 errhint("Delete your own rows instead: DELETE FROM connect_lake.%s WHERE NOT bundled;",
						 is_calendar ? "calendar" : "holiday")));

	if (oldtup && row_bundled(rel, oldtup))
		bundled_readonly(row_text(rel, oldtup, is_calendar ? "name" : "calendar"));
	if (newtup && row_bundled(rel, newtup))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only connect_lake's own scripts may write bundled rows of connect_lake.%s",
						is_calendar ? "calendar" : "holiday"),
				 errhint("Leave bundled false (the default): your own rows are the ones pg_dump keeps.")));

	if (newtup && !is_calendar)
	{
		char	   *calendar = row_text(rel, newtup, "calendar");
		CalEntry   *e = calendar ? cal_lookup(calendar, strlen(calendar)) : NULL;

		if (e != NULL && e->bundled)
			bundled_readonly(calendar);
	}
	if (newtup && is_calendar)
	{
		char	   *tz = row_text(rel, newtup, "time_zone");
		char	   *name = row_text(rel, newtup, "name");

		if (tz != NULL && (tz[0] == '\0' || pg_tzset(tz) == NULL))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time zone \"%s\" of calendar \"%s\" is not recognized", tz, name ? name : ""),
					 errhint("Use a name from pg_timezone_names, e.g. Europe/London.")));
	}
	return PointerGetDatum(newtup ? newtup : oldtup);
}
