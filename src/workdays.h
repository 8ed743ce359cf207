/*
 * workdays.h: working days in a contact centre's own time zone and holidays.
 *
 * A calendar (a row of connect_lake.calendar) has a time zone, weekend days
 * and holidays (connect_lake.holiday).  Calendars are read once per backend
 * and cached; any change to the two tables, committed by another session or
 * made earlier in this transaction, is seen at the next call.  The
 * arithmetic itself is in workdays_calc.c.
 *
 * calendar NULL means the default calendar, the connect_lake.calendar
 * setting.  Errors (ereport) on an unknown calendar and on infinite
 * timestamps.  Both the C entry points and the SQL functions see other
 * sessions' commits at the next statement and this transaction's own changes
 * at the next command (config_cache.h).
 */
#ifndef CL_WORKDAYS_H
#define CL_WORKDAYS_H

#include "postgres.h"
#include "utils/timestamp.h"

/* The connect_lake.calendar setting. */
extern char *cl_workdays_calendar;

/* Registers the setting (from _PG_init). */
extern void cl_workdays_init(void);

/* The same local clock time n working days after ts (before it if n < 0). */
extern TimestampTz cl_working_days_add(const char *calendar, TimestampTz ts, int n);

#endif							/* CL_WORKDAYS_H */
