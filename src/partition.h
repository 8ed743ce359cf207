/*
 * partition.h: monthly partitions of the lake's fact tables, on demand.
 */
#ifndef CL_PARTITION_H
#define CL_PARTITION_H

#include "postgres.h"
#include "utils/timestamp.h"

/* Why cl_partition_admit() refused a row. */
typedef enum CLPartitionVerdict
{
	CL_PART_OK = 0,
	CL_PART_TOO_EARLY,			/* before connect_lake.partition_min_year */
	CL_PART_TOO_LATE,			/* more than connect_lake.partition_years_ahead ahead */
	CL_PART_CAP					/* would create a partition beyond connect_lake.max_new_partitions */
} CLPartitionVerdict;

/*
 * The month partition of `parent` holding `ts`, created through
 * connect_lake.create_partition() when missing, for a writer: CL_PART_OK
 * and *partition set, or why the row may not land there (the timestamp
 * window the DBA allows; the number of partitions one call may create).
 * Keys and indexes live on the partitions, so an upsert (INSERT ... ON
 * CONFLICT) names the partition this returns.  Cheap when the partition is
 * known: a per-backend cache, cleared by any relcache invalidation (a
 * partition dropped or added); a month not in the cache is looked up in the
 * parent's partition bounds before anything is created.
 */
extern CLPartitionVerdict cl_partition_admit(Oid parent, TimestampTz ts, Oid *partition);

/* A new budget of partitions to create: at the start of load() and ingest(). */
extern void cl_partition_budget_reset(void);

/* A refusal as an error message (no record content: the column and the setting). */
extern char *cl_partition_refusal(CLPartitionVerdict v, const char *table, const char *column);

/* Register the GUCs (connect_lake.partition_min_year ...). */
extern void cl_partition_init(void);

#endif							/* CL_PARTITION_H */
