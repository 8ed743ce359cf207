/*
 * connect_lake.h: declarations shared across the extension's C files.
 *
 * Each subsystem has its own header (partition.h, ...); this one holds only
 * what every file needs.
 *
 * Naming.  C symbols the rest of the module calls carry the cl_ / CL prefix
 * and the name of their file's module (cl_reader_next, cl_map_tape).  A C
 * function SQL calls (LANGUAGE C, 'MODULE_PATHNAME', 'symbol') is named as
 * its SQL function, as pgvector names vector_in: connect_lake.load() is
 * load, working_days_add() is working_days_add, the trigger function
 * config_changed() is config_changed.  A parse function adds the type of the
 * document it takes, and _map for the variant that also takes a map
 * (ctr_parse_jsonb, ctr_parse_text, ctr_parse_jsonb_map), so each overload
 * has its own symbol.  So the prefix tells which is which: no cl_ means SQL
 * calls it.  The symbols of earlier versions' scripts stay as aliases in
 * compat.c.
 */
#ifndef CONNECT_LAKE_H
#define CONNECT_LAKE_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "fmgr.h"

#define CONNECT_LAKE_SCHEMA "connect_lake"

/* Oid of the extension's schema; errors if the extension is not installed. */
extern Oid	cl_schema_oid(void);

/*
 * The row type a SQL-callable function returns, blessed, checked to have
 * the natts columns this library fills: a lake whose SQL objects are older
 * than the library (0.1.0's load() returned fewer columns) gets an error
 * asking for ALTER EXTENSION ... UPDATE instead of a crash.
 */
extern TupleDesc cl_result_row_type(FunctionCallInfo fcinfo, int natts, const char *fn);

/* Oid of a relation in the extension's schema, by name; errors when missing. */
extern Oid	cl_relation_oid(const char *relname);

/*
 * The relation holding this node's rows of a table of the extension's
 * schema: on Citus, the local placement of a reference table (citus.c);
 * else the table itself.
 */
extern Oid	cl_placement_oid(const char *relname);

/* Whether the lake's tables are distributed on Citus (citus.c). */
extern bool cl_lake_distributed(void);

/*
 * The writers' identity: on a distributed lake, load() and ingest() write
 * as the owner of the lake's tables (citus.c says why); else unchanged.
 */
typedef struct CLWriterIdentity
{
	Oid			userid;
	int			sec_context;
	bool		switched;
} CLWriterIdentity;
extern void cl_writer_identity_begin(CLWriterIdentity *saved);
extern void cl_writer_identity_end(CLWriterIdentity *saved);

#endif							/* CONNECT_LAKE_H */
