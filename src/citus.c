/*
 * citus.c: where this node keeps a table's rows when the lake is
 * distributed on Citus (connect_lake.distribute(), 97_citus.sql).
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
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

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

/*
 * Whether the lake is distributed: ctr_events is in Citus's metadata.  On a
 * server without Citus this is one catalog lookup of the extension.
 */
bool
cl_lake_distributed(void)
{
	Oid			dist_partition;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	bool		found;

	if (!OidIsValid(get_extension_oid("citus", true)))
		return false;
	dist_partition = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	if (!OidIsValid(dist_partition))
		return false;
	rel = table_open(dist_partition, AccessShareLock);
	/* pg_dist_partition's first column: logicalrelid regclass */
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(cl_relation_oid("ctr_events")));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * On a distributed lake, the writers (load(), ingest()) write as the owner
 * of the lake's tables, as create_partition() (SECURITY DEFINER) creates a
 * new month: Citus refuses a transaction that reaches a shard placement as
 * one user after another user changed it (a loader's insert into the month
 * create_partition() just made, or into a table colocated with it).  The
 * callers have checked their own privileges first (EXECUTE is the
 * loader's; load() checks pg_read_server_files).  On a plain lake nothing
 * changes.  An error restores the user with the (sub)transaction's abort.
 */
void
cl_writer_identity_begin(CLWriterIdentity *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	saved->switched = false;
	if (cl_lake_distributed())
	{
		HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(cl_relation_oid("ctr_events")));
		Oid			owner;

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "connect_lake: cache lookup failed for connect_lake.ctr_events");
		owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
		ReleaseSysCache(tup);
		SetUserIdAndSecContext(owner, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
		saved->switched = true;
	}
}

void
cl_writer_identity_end(CLWriterIdentity *saved)
{
	if (saved->switched)
		SetUserIdAndSecContext(saved->userid, saved->sec_context);
}
