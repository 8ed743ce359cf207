/*
 * config_cache.h: caching the DBA's configuration tables in a backend.
 *
 * The calendars (connect_lake.calendar, connect_lake.holiday) and the CTR
 * attribute map (connect_lake.ctr_attribute_map) are read on hot paths (per
 * row of a query, per record of a file) and change rarely, so each backend
 * keeps a copy.  One pattern serves them all:
 *
 *   - Each table carries an AFTER ... FOR EACH STATEMENT trigger running
 *     connect_lake.config_changed() (config_changed below), which sends a
 *     relcache invalidation of the table.  This backend processes it at its
 *     next command (CommandCounterIncrement), other backends once they
 *     accept invalidations after the commit.
 *   - One relcache callback (registered once, for every cache) marks each
 *     cache naming the table stale and bumps its generation.
 *   - cl_config_cache_check(), called where a cache is used, accepts other
 *     sessions' invalidations once per statement (a statement that opens no
 *     table, like SELECT working_days_add(now(), 2), accepts none by
 *     itself), so another session's commit is seen at the next statement.
 *   - A copy is built in the cache's own memory context, reset at each
 *     build: nothing of an old copy is left in TopMemoryContext.  A build
 *     that an invalidation interrupts (cl_config_cache_built() false) is
 *     done again.
 *
 * The hot path is c->valid (one load and a test) plus, once per call,
 * cl_config_cache_check's comparison of the statement start time.
 *
 *     cl_config_cache_check(&cache);
 *     while (!cache.valid)
 *     {
 *         uint64 gen;
 *         MemoryContext cxt = cl_config_cache_begin(&cache, &gen);
 *         ... read the tables into cxt ...
 *         cl_config_cache_built(&cache, gen);
 *     }
 *
 * Not for rules the DBA defines as SQL functions (case_event.c's
 * case_field_map with case_field_column_fillable(), case_is_overdue()):
 * replacing a function sends no relcache invalidation, so those are read
 * again per command and per transaction there.
 */
#ifndef CL_CONFIG_CACHE_H
#define CL_CONFIG_CACHE_H

#include "postgres.h"

#include "datatype/timestamp.h"

#define CL_CONFIG_MAX_TABLES 2

typedef struct CLConfigCache
{
	/* declared */
	const char *name;			/* of its memory context */
	const char *tables[CL_CONFIG_MAX_TABLES];	/* in schema connect_lake */

	/* kept by config_cache.c */
	bool		valid;			/* the copy in cxt may be used */
	uint64		generation;		/* bumped by every invalidation */
	Oid			relids[CL_CONFIG_MAX_TABLES];	/* InvalidOid until built */
	MemoryContext cxt;			/* the copy; reset at each build */
	TimestampTz checked_at;		/* statement start of the last check */
	struct CLConfigCache *next; /* the caches the callback marks */
} CLConfigCache;

/* Once per use: accept other sessions' invalidations once per statement. */
extern void cl_config_cache_check(CLConfigCache *c);

/*
 * Start (re)building: the cache's context, reset; *generation to pass to
 * cl_config_cache_built().  Registers the cache and resolves its tables.
 */
extern MemoryContext cl_config_cache_begin(CLConfigCache *c, uint64 *generation);

/* The copy is complete: valid unless an invalidation arrived meanwhile. */
extern bool cl_config_cache_built(CLConfigCache *c, uint64 generation);

/* Mark stale (the next use builds again). */
extern void cl_config_cache_reset(CLConfigCache *c);

#endif							/* CL_CONFIG_CACHE_H */
