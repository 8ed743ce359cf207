/*
 * workdays_calc.h: working-day arithmetic on day numbers, server-independent.
 *
 * Days are integers counted from 2000-01-01 (PostgreSQL's DateADT), so day 0
 * is a Saturday.  A calendar is a set of non-working ISO weekdays (the
 * weekend) plus a sorted array of holidays.  Every operation costs
 * O(log holidays), whatever the span: weeks are counted by arithmetic and
 * holidays by binary search, never by walking days.
 *
 * The key quantity is the working-day index F(d): the number of working days
 * before day d, counted from day 0 (negative before it).  F only grows, by one
 * after each working day; the working day with index k is the first working
 * day on or after any day d with F(d) = k.  Then
 *   add n working days to d   = the working day with index F(d) + n
 *   working days from a to b  = F(b) - F(a)
 * and a non-working day behaves as the start of the next working day.
 *
 * This file and workdays_calc.c include no PostgreSQL header: test/unit
 * builds them without a server.
 */
#ifndef CL_WORKDAYS_CALC_H
#define CL_WORKDAYS_CALC_H

#include <stdbool.h>
#include <stdint.h>

/* Microseconds in a day: times of day run from 0 to WD_USECS_PER_DAY - 1. */
#define WD_USECS_PER_DAY INT64_C(86400000000)

typedef struct WdCalc
{
	int			per_week;		/* working weekdays per week, 1..7 */
	bool		working[7];		/* working[o]: days d with d mod 7 = o work */
	int			before[8];		/* before[o]: working weekdays among offsets 0..o-1 */
	int			nth[7];			/* nth[r]: offset of the r-th working weekday (0-based) */
	int			nholidays;		/* holidays that fall on working weekdays */
	const int32_t *holidays;	/* their days, ascending, distinct */
	const int64_t *rank;		/* rank[i] = F(holidays[i]) = W(holidays[i]) - i */
} WdCalc;

/*
 * ISO day of the week (1 = Monday ... 7 = Sunday) of a day number.
 */
extern int	wd_isodow(int64_t day);

/*
 * Sets up a calendar without holidays.  weekend_mask has bit (isodow - 1)
 * set for each non-working ISO weekday.  Returns false when that leaves no
 * working day in the week.
 */
extern bool wd_calc_init(WdCalc *c, unsigned weekend_mask);

/*
 * Gives the calendar its holidays: sorts `days` in place, drops the ones on
 * weekend days and duplicates, fills `rank` (room for n entries) and points
 * the calendar at both arrays, which must outlive it.  Returns the number of
 * holidays kept.
 */
extern int	wd_calc_set_holidays(WdCalc *c, int32_t *days, int n, int64_t *rank);

/* Whether day is a working day (neither weekend nor holiday). */
extern bool wd_is_working(const WdCalc *c, int64_t day);

/* F(day): working days before day, counted from day 0. */
extern int64_t wd_index(const WdCalc *c, int64_t day);

/* The working day whose index is k (the inverse of wd_index on working days). */
extern int64_t wd_day_of_index(const WdCalc *c, int64_t k);

/* The first working day on or after day. */
extern int64_t wd_next_or_same(const WdCalc *c, int64_t day);

/* The first working day after day. */
extern int64_t wd_next(const WdCalc *c, int64_t day);

/* n working days after day (before it when n < 0), from its next working day. */
extern int64_t wd_add_days(const WdCalc *c, int64_t day, int64_t n);

/*
 * Local date-times: a day number and a time of day in microseconds.  A
 * moment on a non-working day counts as 00:00 of the next working day.
 * wd_add_local: the same clock time n working days later (earlier if n < 0).
 * (Whole working days between two moments are counted in workdays.c, which
 * checks the last day against wd_add_local so that the count agrees with it
 * even where a clock time does not exist, in a daylight-saving gap.)
 */
extern void wd_add_local(const WdCalc *c, int64_t day, int64_t tod, int64_t n,
						 int64_t *rday, int64_t *rtod);

#endif							/* CL_WORKDAYS_CALC_H */
