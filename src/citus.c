/*
 * citus.c: where this node keeps a table's rows when the lake is
 * distributed on Citus (connect_lake.distribute(), 95_citus.sql).
 *
 * A reference table's rows live in its shard, connect_lake.<table>_<shard
 * id>, on every node that holds a placement (the workers, and the
 * coordinator when it is in the metadata); the table of that name is a
 * shell that keeps what it held before distribute().  The configuration
 * caches (calendars, the attribute map) read the rows, and the triggers that
 * invalidate them fire on the shard: both must name the placement.  On a
 * plain server, or for a table Citus does not manage, the placement is the
 * table itself.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "commands/extension.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "connect_lake.h"

/* pg_dist_shard's first two columns: logicalrelid regclass, shardid bigint */
#define DIST_SHARD_LOGICALRELID 1
#define DIST_SHARD_SHARDID		2

Oid
cl_placement_oid(const char *relname)
{
	Oid			relid = cl_relation_oid(relname);
	Oid			dist_shard;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	int64		shardid = -1;
	int			nshards = 0;

	if (!OidIsValid(get_extension_oid("citus", true)))
		return relid;
	dist_shard = get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE);
	if (!OidIsValid(dist_shard))
		return relid;

	rel = table_open(dist_shard, AccessShareLock);
	ScanKeyInit(&key, DIST_SHARD_LOGICALRELID, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, DIST_SHARD_SHARDID, RelationGetDescr(rel), &isnull);

		if (!isnull)
			shardid = DatumGetInt64(d);
		nshards++;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	/* a reference table has one shard; its placement here, if this node has one */
	if (nshards == 1 && shardid >= 0)
	{
		char	   *name = psprintf("%s_" INT64_FORMAT, relname, shardid);
		Oid			placement = get_relname_relid(name, cl_schema_oid());

		pfree(name);
		if (OidIsValid(placement))
			return placement;
	}
	return relid;
}
