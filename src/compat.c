/*
 * compat.c: the C symbols of released install scripts that the module no
 * longer uses.
 *
 * A lake made by CREATE EXTENSION connect_lake VERSION '0.1.0' (or not yet
 * updated) runs on the newest module: its functions still name 0.1.0's
 * symbols, so each is kept here as a one-line alias of the function that
 * does the job now.  The update scripts re-point the functions to the new
 * symbols; an alias can go when no supported release names it.
 */
#include "postgres.h"

#include "fmgr.h"

#include "config_cache.h"

/* 0.1.0's calendar_changed() and ctr_attribute_map_changed(): config_changed() */
PG_FUNCTION_INFO_V1(cl_calendar_changed);
Datum
cl_calendar_changed(PG_FUNCTION_ARGS)
{
	return cl_config_changed(fcinfo);
}

PG_FUNCTION_INFO_V1(ctr_attribute_map_changed);
Datum
ctr_attribute_map_changed(PG_FUNCTION_ARGS)
{
	return cl_config_changed(fcinfo);
}
