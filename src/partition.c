/*
 * partition.c: the month partition a row needs, found or created, and the
 * limits on which months a writer may create.
 *
 * The lake's fact tables are partitioned by UTC month on their event time and
 * the install script creates no partitions.  Writers call
 * cl_partition_admit() before inserting: a month in the small per-backend
 * cache costs a hash lookup; one not in it is looked up in the parent's
 * partition bounds; a missing one is created through
 * connect_lake.create_partition() (SECURITY DEFINER, so a loader that does
 * not own the tables may add a month; it attaches the month with a lock that
 * lets readers and writers of the table go on, see sql/install/00_schema.sql).
 *
 * Two limits, settings a superuser (or a role granted SET on them) changes:
 *   - the window of event times a writer accepts: from January 1st of
 *     connect_lake.partition_min_year (default 2000) to
 *     connect_lake.partition_years_ahead years (default 10) after the
 *     transaction's start.  A row outside it is refused, so that one bad
 *     timestamp cannot create a partition in year 9999 (or 4713 BC);
 *   - connect_lake.max_new_partitions (default 36): partitions one call of
 *     load() or ingest() may create.  Each new partition holds a few locks
 *     to the end of the transaction; without the cap a file of 3,000
 *     months exhausts the shared lock table.
 * A refused row is the writer's to reject (load_rejects under on_error
 * 'skip'), never an error of the whole call.
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "partitioning/partbounds.h"
#include "partitioning/partdesc.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "connect_lake.h"
#include "partition.h"

typedef struct PartKey
{
	Oid			parent;
	int32		month;			/* year * 12 + month - 1, UTC */
} PartKey;

typedef struct PartEntry
{
	PartKey		key;
	Oid			partition;
} PartEntry;

static HTAB *known_parts = NULL;
static Oid	create_partition_fn = InvalidOid;

/* the settings */
static int	partition_min_year = 2000;
static int	partition_years_ahead = 10;
static int	max_new_partitions = 36;

/* partitions created since the last cl_partition_budget_reset() */
static int	partitions_created = 0;

/* the window, as of a transaction start and the settings it was computed for */
typedef struct Window
{
	TimestampTz xact_start;
	int			min_year;
	int			years_ahead;
	TimestampTz lo;				/* first instant accepted */
	TimestampTz hi;				/* first instant refused */
	bool		valid;
} Window;

static Window window;

/* Any relcache invalidation of a parent may mean a partition came or went. */
static void
part_cache_invalidate(Datum arg, Oid relid)
{
	/* the extension may have been dropped and created again: look it up anew */
	create_partition_fn = InvalidOid;
	if (known_parts == NULL)
		return;
	hash_destroy(known_parts);
	known_parts = NULL;
}

/*
 * The backend's partition cache, made on first use: a relcache callback
 * destroys it when a lake table changes (a partition dropped or detached), so
 * a cached Oid never names a partition that is gone.
 */
static void
part_cache_init(void)
{
	static bool callback_registered = false;
	HASHCTL		ctl;

	ctl.keysize = sizeof(PartKey);
	ctl.entrysize = sizeof(PartEntry);
	ctl.hcxt = TopMemoryContext;
	known_parts = hash_create("connect_lake partitions", 64, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(part_cache_invalidate, (Datum) 0);
		callback_registered = true;
	}
}

/*
 * connect_lake.create_partition, looked up once per backend: the one SQL
 * definition of a partition's name, bounds and grants, which C calls rather
 * than repeats.
 */
static Oid
create_partition_oid(void)
{
	if (!OidIsValid(create_partition_fn))
	{
		Oid			argtypes[2] = {REGCLASSOID, TIMESTAMPTZOID};
		List	   *name = list_make2(makeString(CONNECT_LAKE_SCHEMA),
									  makeString("create_partition"));

		create_partition_fn = LookupFuncName(name, 2, argtypes, false);
	}
	return create_partition_fn;
}

/* The window for this transaction and the current settings. */
static const Window *
current_window(void)
{
	TimestampTz xs = GetCurrentTransactionStartTimestamp();

	if (!window.valid || window.xact_start != xs || window.min_year != partition_min_year ||
		window.years_ahead != partition_years_ahead)
	{
		struct pg_tm tm;
		fsec_t		fsec;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = partition_min_year;
		tm.tm_mon = 1;
		tm.tm_mday = 1;
		if (tm2timestamp(&tm, 0, NULL, &window.lo) != 0)
			window.lo = DT_NOBEGIN;
		if (timestamp2tm(xs, NULL, &tm, &fsec, NULL, NULL) != 0)
			elog(ERROR, "connect_lake: transaction start out of range");
		tm.tm_year += partition_years_ahead;
		if (tm.tm_mon == 2 && tm.tm_mday == 29)
			tm.tm_mday = 28;
		if (tm2timestamp(&tm, fsec, NULL, &window.hi) != 0)
			window.hi = DT_NOEND;
		window.xact_start = xs;
		window.min_year = partition_min_year;
		window.years_ahead = partition_years_ahead;
		window.valid = true;
	}
	return &window;
}

/*
 * The partition of parent whose bounds hold ts, from the parent's partition
 * descriptor (as the executor routes a row), or InvalidOid.
 */
static Oid
partition_lookup(Oid parent, TimestampTz ts)
{
	Relation	rel = table_open(parent, AccessShareLock);
	PartitionKey key = RelationGetPartitionKey(rel);
	PartitionDesc pd = RelationGetPartitionDesc(rel, false);
	PartitionBoundInfo bi = pd->boundinfo;
	Oid			result = InvalidOid;

	if (key == NULL || key->strategy != PARTITION_STRATEGY_RANGE || key->partnatts != 1)
		elog(ERROR, "connect_lake: \"%s\" is not partitioned by range on one column",
			 RelationGetRelationName(rel));
	if (bi != NULL && bi->ndatums > 0)
	{
		Datum		v = TimestampTzGetDatum(ts);
		bool		equal = false;
		int			off = partition_range_datum_bsearch(key->partsupfunc, key->partcollation,
														bi, 1, &v, &equal);
		int			idx = bi->indexes[off + 1];

		if (idx >= 0)
			result = pd->oids[idx];
	}
	table_close(rel, AccessShareLock);
	return result;
}

void
cl_partition_budget_reset(void)
{
	partitions_created = 0;
}

/*
 * The partition of parent holding ts (see partition.h): the window first,
 * then the cache per (parent, UTC month), then the parent's bounds, and only
 * then, within the budget, create_partition.
 */
CLPartitionVerdict
cl_partition_admit(Oid parent, TimestampTz ts, Oid *partition)
{
	const Window *win = current_window();
	PartKey		key;
	PartEntry  *entry;
	struct pg_tm tm;
	fsec_t		fsec;
	Oid			part;

	*partition = InvalidOid;
	if (ts < win->lo)
		return CL_PART_TOO_EARLY;
	if (ts >= win->hi)
		return CL_PART_TOO_LATE;
	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range for a lake partition")));

	memset(&key, 0, sizeof(key));
	key.parent = parent;
	key.month = tm.tm_year * 12 + tm.tm_mon - 1;

	if (known_parts == NULL)
		part_cache_init();
	entry = hash_search(known_parts, &key, HASH_FIND, NULL);
	if (entry != NULL)
	{
		*partition = entry->partition;
		return CL_PART_OK;
	}

	part = partition_lookup(parent, ts);
	if (!OidIsValid(part) && partitions_created >= max_new_partitions)
	{
		/* another session may have added it since this one last looked */
		AcceptInvalidationMessages();
		part = partition_lookup(parent, ts);
		if (!OidIsValid(part))
			return CL_PART_CAP;
	}
	if (!OidIsValid(part))
	{
		part = DatumGetObjectId(OidFunctionCall2(create_partition_oid(),
												 ObjectIdGetDatum(parent),
												 TimestampTzGetDatum(ts)));
		partitions_created++;
	}

	/* Creating may have invalidated (destroyed) the cache: rebuild lazily. */
	if (known_parts == NULL)
		part_cache_init();
	entry = hash_search(known_parts, &key, HASH_ENTER, NULL);
	entry->partition = part;
	*partition = part;
	return CL_PART_OK;
}

char *
cl_partition_refusal(CLPartitionVerdict v, const char *table, const char *column)
{
	switch (v)
	{
		case CL_PART_TOO_EARLY:
			return psprintf("%s lies before the year %d, the start of the lake's time window (connect_lake.partition_min_year)",
							column, partition_min_year);
		case CL_PART_TOO_LATE:
			return psprintf("%s lies more than %d years ahead, the end of the lake's time window (connect_lake.partition_years_ahead)",
							column, partition_years_ahead);
		case CL_PART_CAP:
			return psprintf("%s needs a new month partition of %s, beyond the %d one call may create (connect_lake.max_new_partitions)",
							column, table, max_new_partitions);
		case CL_PART_OK:
			break;
	}
	return pstrdup("accepted");
}

void
cl_partition_init(void)
{
	DefineCustomIntVariable("connect_lake.partition_min_year",
							"Earliest year of the event times the lake's writers accept.",
							"Records whose partition timestamp lies before January 1st of this year (UTC) are rejected, one by one.",
							&partition_min_year,
							2000, 1, 294276,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("connect_lake.partition_years_ahead",
							"Years after the transaction's start up to which the lake's writers accept event times.",
							"Records whose partition timestamp lies further ahead are rejected, one by one.",
							&partition_years_ahead,
							10, 0, 294276,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("connect_lake.max_new_partitions",
							"Month partitions one call of load() or ingest() may create.",
							"A record that needs one more is rejected; each new partition holds locks to the end of the transaction.",
							&max_new_partitions,
							36, 0, 10000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}
