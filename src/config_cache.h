/*
 * config_cache.h: caching the DBA's configuration tables in a backend.
 *
 * The calendars (connect_lake.calendar, connect_lake.holiday) and the CTR
 * attribute map (connect_lake.ctr_attribute_map) are read on hot paths and
 * change rarely, so each backend caches them.  Each such table carries an
 * AFTER ... FOR EACH STATEMENT trigger running connect_lake.config_changed()
 * (config_changed), which sends a relcache invalidation of the table:
 * other backends see it at their next statement after the commit, this
 * backend at its next command (CommandCounterIncrement processes its own
 * invalidations), and a relcache callback registered by the cache owner
 * marks its copy stale.
 */
#ifndef CL_CONFIG_CACHE_H
#define CL_CONFIG_CACHE_H

#include "postgres.h"

#endif							/* CL_CONFIG_CACHE_H */
