/*
 * compat.c: C symbols that install and update scripts of earlier versions
 * name, kept as one-line aliases of the functions that do the job now.
 *
 * CREATE EXTENSION connect_lake VERSION '0.1.0' must work with the newest
 * module, and a lake not yet updated keeps running on it: its functions
 * still name 0.1.0's symbols.  The update script to 0.2.0 creates some
 * functions with the old names before it re-points every function to the
 * SQL-callable scheme (connect_lake.h), so those stay too.  An alias can go
 * when no supported version's scripts name it.
 */
#include "postgres.h"

#include "fmgr.h"

/* the functions the aliases stand for (each defined where its job is done) */
extern Datum config_changed(PG_FUNCTION_ARGS);
extern Datum calendar_guard(PG_FUNCTION_ARGS);
extern Datum default_calendar(PG_FUNCTION_ARGS);
extern Datum working_days_add(PG_FUNCTION_ARGS);
extern Datum working_days_overdue(PG_FUNCTION_ARGS);
extern Datum working_days_between(PG_FUNCTION_ARGS);
extern Datum is_working_day(PG_FUNCTION_ARGS);
extern Datum next_working_day(PG_FUNCTION_ARGS);
extern Datum ingest(PG_FUNCTION_ARGS);
extern Datum ingest_batch(PG_FUNCTION_ARGS);
extern Datum kind_rowtype(PG_FUNCTION_ARGS);
extern Datum load(PG_FUNCTION_ARGS);
extern Datum case_event_parse_jsonb_map(PG_FUNCTION_ARGS);
extern Datum case_due_date(PG_FUNCTION_ARGS);

/* An old symbol, an alias of the function named now. */
#define CL_ALIAS(old, now) \
	PG_FUNCTION_INFO_V1(old); \
	Datum \
	old(PG_FUNCTION_ARGS) \
	{ \
		return now(fcinfo); \
	}

/* 0.1.0 (sql/connect_lake--0.1.0.sql) */
CL_ALIAS(cl_calendar_changed, config_changed)
CL_ALIAS(ctr_attribute_map_changed, config_changed)
CL_ALIAS(cl_calendar_guard, calendar_guard)
CL_ALIAS(cl_wd_default_calendar, default_calendar)
CL_ALIAS(cl_wd_add, working_days_add)
CL_ALIAS(cl_wd_overdue, working_days_overdue)
CL_ALIAS(cl_wd_between, working_days_between)
CL_ALIAS(cl_wd_is_working_day, is_working_day)
CL_ALIAS(cl_wd_next_working_day, next_working_day)
CL_ALIAS(cl_ingest, ingest)
CL_ALIAS(cl_ingest_array, ingest_batch)
CL_ALIAS(connect_lake_kind_rowtype, kind_rowtype)
CL_ALIAS(connect_lake_load, load)
CL_ALIAS(case_event_parse_map, case_event_parse_jsonb_map)

/* named by the first part of sql/connect_lake--0.1.0--0.2.0.sql */
CL_ALIAS(cl_case_due_date, case_due_date)
