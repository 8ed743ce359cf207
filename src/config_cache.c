/*
 * config_cache.c: what the caches of the DBA's configuration tables share
 * (see config_cache.h).
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/inval.h"
#include "utils/rel.h"

#include "config_cache.h"

PG_FUNCTION_INFO_V1(config_changed);

/*
 * config_changed() RETURNS trigger: the statement trigger of every
 * configuration table a backend caches (calendar, holiday,
 * ctr_attribute_map).  A relcache invalidation of the table is sent to every
 * backend at commit (and seen by this one at its next command), which is
 * what the caches listen for; the trigger itself needs no row.
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
