/*
 * connect_lake.h: declarations shared across the extension's C files.
 *
 * Each subsystem has its own header (partition.h, ...); this one holds only
 * what every file needs.
 */
#ifndef CONNECT_LAKE_H
#define CONNECT_LAKE_H

#include "postgres.h"

#define CONNECT_LAKE_SCHEMA "connect_lake"

/* Oid of the extension's schema; errors if the extension is not installed. */
extern Oid	cl_schema_oid(void);

/* Oid of a relation in the extension's schema, by name; errors when missing. */
extern Oid	cl_relation_oid(const char *relname);

#endif							/* CONNECT_LAKE_H */
