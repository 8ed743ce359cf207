/*
 * partition.h: monthly partitions of the lake's fact tables, on demand.
 */
#ifndef CL_PARTITION_H
#define CL_PARTITION_H

#include "postgres.h"
#include "utils/timestamp.h"

/*
 * The month partition of `parent` holding `ts`, created through
 * connect_lake.create_partition() when missing.  Keys and indexes live on
 * the partitions, so an upsert (INSERT ... ON CONFLICT) names the partition
 * this returns.  Cheap when the partition is known: a per-backend cache,
 * cleared by any relcache invalidation (a partition dropped or added).
 */
extern Oid	cl_partition_for(Oid parent, TimestampTz ts);

#endif							/* CL_PARTITION_H */
