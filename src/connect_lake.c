/*
 * connect_lake.c: module entry point and helpers shared by every file.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/lsyscache.h"

#include "connect_lake.h"
#include "kinds.h"
#include "partition.h"
#include "record_limits.h"
#include "workdays.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/* Subsystems with settings or caches register them here. */
	cl_workdays_init();
	cl_case_init();
	cl_partition_init();
	cl_record_limits_init();
	cl_upkeep_init();
	cl_profile_init();
}

TupleDesc
cl_result_row_type(FunctionCallInfo fcinfo, int natts, const char *fn)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "connect_lake: %s: return type must be a row type", fn);
	if (tupdesc->natts != natts)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s returns %d columns in this database, the connect_lake library fills %d", fn,
						tupdesc->natts, natts),
				 errhint("The extension's SQL objects are older than its library: run ALTER EXTENSION connect_lake UPDATE.")));
	return BlessTupleDesc(tupdesc);
}

Oid
cl_schema_oid(void)
{
	return get_namespace_oid(CONNECT_LAKE_SCHEMA, false);
}

Oid
cl_relation_oid(const char *relname)
{
	Oid			relid = get_relname_relid(relname, cl_schema_oid());

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.%s\" does not exist", CONNECT_LAKE_SCHEMA, relname),
				 errhint("Is the connect_lake extension installed in this database?")));
	return relid;
}
