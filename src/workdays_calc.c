/*
 * workdays_calc.c: working-day arithmetic on day numbers (see workdays_calc.h).
 *
 * W(d), the working weekdays before d, is weeks * per_week plus a table
 * lookup; F(d) = W(d) - (holidays before d), one binary search.  The inverse,
 * the working day with index k, needs the number j of holidays before it:
 * holiday i lies before that day exactly when rank[i] = F(holidays[i]) <= k,
 * and rank is non-decreasing, so j is one more binary search; the day is then
 * the working weekday whose W is k + j.
 */
#include <stdlib.h>

#include "workdays_calc.h"

/* floor(a / b) and the matching non-negative remainder, for b > 0 */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b) < 0)
		q--;
	return q;
}

/* Day 0 (2000-01-01) is a Saturday: offset o has ISO weekday (o + 5) % 7 + 1. */
int
wd_isodow(int64_t day)
{
	int64_t		o = day - floor_div(day, 7) * 7;

	return (int) ((o + 5) % 7) + 1;
}

bool
wd_calc_init(WdCalc *c, unsigned weekend_mask)
{
	int			o;
	int			n = 0;

	for (o = 0; o < 7; o++)
	{
		c->working[o] = (weekend_mask & (1u << (wd_isodow(o) - 1))) == 0;
		c->before[o] = n;
		if (c->working[o])
			c->nth[n++] = o;
	}
	c->before[7] = n;
	c->per_week = n;
	c->nholidays = 0;
	c->holidays = NULL;
	c->rank = NULL;
	return n > 0;
}

/* W(d): working weekdays before d (holidays ignored). */
static int64_t
weekdays_before(const WdCalc *c, int64_t day)
{
	int64_t		q = floor_div(day, 7);

	return q * c->per_week + c->before[day - q * 7];
}

/* The working weekday d with W(d) = m. */
static int64_t
weekday_of_index(const WdCalc *c, int64_t m)
{
	int64_t		q = floor_div(m, c->per_week);

	return q * 7 + c->nth[m - q * c->per_week];
}

static bool
is_weekday(const WdCalc *c, int64_t day)
{
	return c->working[day - floor_div(day, 7) * 7];
}

/* Holidays strictly before day. */
static int64_t
holidays_before(const WdCalc *c, int64_t day)
{
	int			lo = 0,
				hi = c->nholidays;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (c->holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
cmp_int32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a;
	int32_t		y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

int
wd_calc_set_holidays(WdCalc *c, int32_t *days, int n, int64_t *rank)
{
	int			i;
	int			kept = 0;

	if (n > 1)
		qsort(days, n, sizeof(int32_t), cmp_int32);
	for (i = 0; i < n; i++)
	{
		if (!is_weekday(c, days[i]))
			continue;
		if (kept > 0 && days[kept - 1] == days[i])
			continue;
		days[kept] = days[i];
		rank[kept] = weekdays_before(c, days[i]) - kept;
		kept++;
	}
	c->holidays = days;
	c->rank = rank;
	c->nholidays = kept;
	return kept;
}

bool
wd_is_working(const WdCalc *c, int64_t day)
{
	int64_t		i;

	if (!is_weekday(c, day))
		return false;
	i = holidays_before(c, day);
	return !(i < c->nholidays && c->holidays[i] == day);
}

int64_t
wd_index(const WdCalc *c, int64_t day)
{
	return weekdays_before(c, day) - holidays_before(c, day);
}

int64_t
wd_day_of_index(const WdCalc *c, int64_t k)
{
	int			lo = 0,
				hi = c->nholidays;

	/* j = number of holidays with rank <= k */
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (c->rank[mid] <= k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return weekday_of_index(c, k + lo);
}

int64_t
wd_next_or_same(const WdCalc *c, int64_t day)
{
	return wd_day_of_index(c, wd_index(c, day));
}

int64_t
wd_next(const WdCalc *c, int64_t day)
{
	return wd_day_of_index(c, wd_index(c, day + 1));
}

int64_t
wd_add_days(const WdCalc *c, int64_t day, int64_t n)
{
	return wd_day_of_index(c, wd_index(c, day) + n);
}

void
wd_add_local(const WdCalc *c, int64_t day, int64_t tod, int64_t n,
			 int64_t *rday, int64_t *rtod)
{
	*rtod = wd_is_working(c, day) ? tod : 0;
	*rday = wd_add_days(c, day, n);
}
