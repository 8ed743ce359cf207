/*
 * config_cache.c: the one caching pattern for the DBA's configuration
 * tables (see config_cache.h).
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "config_cache.h"
#include "connect_lake.h"

PG_FUNCTION_INFO_V1(config_changed);

static CLConfigCache *caches = NULL;	/* registered, for the callback */
static bool callback_registered = false;

/*
 * A relcache invalidation: every cache naming the relation (or all, for a
 * reset of the whole relcache, or a cache whose tables are not resolved
 * yet) becomes stale, and its generation tells a build in progress.
 */
static void
config_cache_invalidate(Datum arg, Oid relid)
{
	for (CLConfigCache *c = caches; c != NULL; c = c->next)
	{
		bool		hit = !OidIsValid(relid);

		for (int i = 0; i < CL_CONFIG_MAX_TABLES && c->tables[i] && !hit; i++)
			hit = !OidIsValid(c->relids[i]) || c->relids[i] == relid;
		if (hit)
			cl_config_cache_reset(c);
	}
}

void
cl_config_cache_reset(CLConfigCache *c)
{
	c->valid = false;
	c->generation++;
}

/*
 * Accept invalidations once per statement: a statement that locks a table
 * accepts them anyway, one that does not (a function of literals) would
 * otherwise keep a copy another session changed since.
 */
void
cl_config_cache_check(CLConfigCache *c)
{
	TimestampTz stmt = GetCurrentStatementStartTimestamp();

	if (stmt != c->checked_at)
	{
		c->checked_at = stmt;
		AcceptInvalidationMessages();
	}
}

/*
 * Start a build: the relcache callback is registered at the first build of
 * any cache (one callback for all of them), the cache's own context is made
 * once and reset at each build, and its tables resolved again (a
 * re-created extension has new Oids).
 */
MemoryContext
cl_config_cache_begin(CLConfigCache *c, uint64 *generation)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(config_cache_invalidate, (Datum) 0);
		callback_registered = true;
	}
	if (c->cxt == NULL)
	{
		/* c->name is a literal of the declaring file: it outlives the context */
		c->cxt = AllocSetContextCreateInternal(TopMemoryContext, c->name, ALLOCSET_SMALL_SIZES);
		c->next = caches;
		caches = c;
	}
	else
		MemoryContextReset(c->cxt); /* the caller holds no reference to the old copy */
	c->valid = false;
	*generation = c->generation;
	for (int i = 0; i < CL_CONFIG_MAX_TABLES && c->tables[i]; i++)
		c->relids[i] = cl_placement_oid(c->tables[i]); /* where triggers fire */
	return c->cxt;
}

bool
cl_config_cache_built(CLConfigCache *c, uint64 generation)
{
	c->valid = (generation == c->generation);
	return c->valid;
}

/*
 * config_changed() RETURNS trigger: the statement trigger of every
 * configuration table a backend caches (calendar, holiday,
 * ctr_attribute_map).  It sends a relcache invalidation of the table, which
 * is what the caches listen for; the trigger needs no row.
 */
Datum
config_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("config_changed() was not called by a trigger")));
	CacheInvalidateRelcache(td->tg_relation);
	PG_RETURN_POINTER(NULL);
}
