/*
 * partition.c: create the month partition a row needs, once per backend.
 *
 * The lake's fact tables are partitioned by UTC month on their event time and
 * the install script creates no partitions.  Writers call
 * cl_partition_for() before inserting; the first call for a month goes
 * through connect_lake.create_partition() (SECURITY DEFINER, so a loader that
 * does not own the tables may add a month), later ones hit a small cache.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
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

/*
 * The partition of parent holding ts, created when missing: found in the
 * cache per (parent, UTC month) so that a batch of rows costs one hash lookup
 * each, and create_partition runs once per new month.
 */
Oid
cl_partition_for(Oid parent, TimestampTz ts)
{
	PartKey		key;
	PartEntry  *entry;
	struct pg_tm tm;
	fsec_t		fsec;
	Oid			partition;

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
		return entry->partition;

	partition = DatumGetObjectId(OidFunctionCall2(create_partition_oid(),
												  ObjectIdGetDatum(parent),
												  TimestampTzGetDatum(ts)));

	/* The call may have invalidated (destroyed) the cache: rebuild lazily. */
	if (known_parts == NULL)
		part_cache_init();
	entry = hash_search(known_parts, &key, HASH_ENTER, NULL);
	entry->partition = partition;
	return partition;
}
