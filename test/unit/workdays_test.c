/*
 * Unit tests of the working-day arithmetic (src/workdays_calc.c), no server.
 *
 * Known answers on England and Wales dates, then every operation checked
 * against a naive day-by-day walk on random calendars (random weekends,
 * random holidays, including holidays on weekend days and duplicates).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workdays_calc.h"

static int	passed,
			failed;

#define CHECK(cond, ...) \
	do { \
		if (cond) passed++; \
		else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
	} while (0)

/* Day number (days since 2000-01-01) of a proleptic Gregorian date. */
static int64_t
day_of(int y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 - 10957;
}

/* ---- naive reference: walk day by day ---- */

typedef struct Naive
{
	unsigned	weekend;
	int32_t    *hol;
	int			nhol;
} Naive;

static bool
naive_working(const Naive *nv, int64_t day)
{
	int			i;

	if (nv->weekend & (1u << (wd_isodow(day) - 1)))
		return false;
	for (i = 0; i < nv->nhol; i++)
		if (nv->hol[i] == day)
			return false;
	return true;
}

static int64_t
naive_add(const Naive *nv, int64_t day, int64_t n)
{
	while (!naive_working(nv, day))
		day++;
	while (n > 0)
	{
		day++;
		if (naive_working(nv, day))
			n--;
	}
	while (n < 0)
	{
		day--;
		if (naive_working(nv, day))
			n++;
	}
	return day;
}

/* working days in [a, b) minus those in [b, a) */
static int64_t
naive_count(const Naive *nv, int64_t a, int64_t b)
{
	int64_t		n = 0,
				d;

	for (d = a; d < b; d++)
		n += naive_working(nv, d);
	for (d = b; d < a; d++)
		n -= naive_working(nv, d);
	return n;
}

static void
test_known(void)
{
	/* England and Wales 2020-2023, a few of the bank holidays */
	int32_t		days[] = {
		day_of(2021, 4, 2), day_of(2021, 4, 5), day_of(2021, 12, 27), day_of(2021, 12, 28),
		day_of(2022, 1, 3), day_of(2020, 12, 25), day_of(2020, 12, 28),
		day_of(2021, 12, 25),	/* a Saturday: ignored */
		day_of(2021, 4, 2),		/* duplicate */
		day_of(2023, 4, 7), day_of(2023, 4, 10),
	};
	int64_t		rank[sizeof(days) / sizeof(days[0])];
	WdCalc		c;
	int64_t		rd,
				rt;
	int			kept;

	CHECK(wd_isodow(0) == 6, "2000-01-01 is a Saturday");
	CHECK(wd_isodow(day_of(2021, 4, 1)) == 4, "2021-04-01 is a Thursday");
	CHECK(wd_isodow(-1) == 5, "1999-12-31 is a Friday");
	CHECK(day_of(2000, 1, 1) == 0 && day_of(2000, 3, 1) == 60, "day numbers");

	CHECK(!wd_calc_init(&c, 0x7f), "no working day in the week is refused");
	CHECK(wd_calc_init(&c, (1u << 5) | (1u << 6)), "Saturday and Sunday weekend");
	kept = wd_calc_set_holidays(&c, days, sizeof(days) / sizeof(days[0]), rank);
	CHECK(kept == 9, "weekend holidays and duplicates dropped (kept %d)", kept);

	/* Fri 16:00 + 2 = Tue 16:00 */
	wd_add_local(&c, day_of(2021, 3, 12), 16 * 3600e6, 2, &rd, &rt);
	CHECK(rd == day_of(2021, 3, 16) && rt == 16 * 3600e6, "Fri + 2 = Tue");
	/* Sat 10:00 + 2 = Wed 00:00 */
	wd_add_local(&c, day_of(2021, 3, 13), 10 * 3600e6, 2, &rd, &rt);
	CHECK(rd == day_of(2021, 3, 17) && rt == 0, "Sat + 2 = Wed 00:00");
	/* Thu 1 Apr 2021 + 2 = Wed 7 Apr (Good Friday, Easter Monday) */
	CHECK(wd_add_days(&c, day_of(2021, 4, 1), 2) == day_of(2021, 4, 7), "Easter 2021");
	CHECK(wd_add_days(&c, day_of(2021, 4, 7), -2) == day_of(2021, 4, 1), "Easter 2021 backwards");
	/* Christmas on Saturday 2021 (27, 28 Dec off): Fri 24 Dec + 1 = Wed 29, + 2 = Thu 30 */
	CHECK(wd_add_days(&c, day_of(2021, 12, 24), 1) == day_of(2021, 12, 29), "Christmas 2021");
	CHECK(wd_add_days(&c, day_of(2021, 12, 24), 2) == day_of(2021, 12, 30), "Christmas 2021 + 2");
	CHECK(wd_add_days(&c, day_of(2021, 12, 31), 1) == day_of(2022, 1, 4), "new year 2022");
	/* a case created on a holiday (Good Friday 2023) counts from Tue 11 Apr */
	CHECK(wd_add_days(&c, day_of(2023, 4, 7), 0) == day_of(2023, 4, 11), "on a holiday, + 0");
	CHECK(wd_add_days(&c, day_of(2023, 4, 7), 2) == day_of(2023, 4, 13), "on a holiday, + 2");
	CHECK(wd_add_days(&c, day_of(2023, 4, 7), -1) == day_of(2023, 4, 6), "on a holiday, - 1");
	CHECK(wd_next(&c, day_of(2021, 4, 1)) == day_of(2021, 4, 6), "next after Thu 1 Apr 2021");
	CHECK(wd_next(&c, day_of(2021, 4, 2)) == day_of(2021, 4, 6), "next after Good Friday");
	CHECK(wd_next_or_same(&c, day_of(2021, 4, 6)) == day_of(2021, 4, 6), "next or same");
	CHECK(!wd_is_working(&c, day_of(2021, 4, 5)) && wd_is_working(&c, day_of(2021, 4, 6)), "is working");
	CHECK(wd_index(&c, day_of(2021, 4, 7)) - wd_index(&c, day_of(2021, 4, 1)) == 2, "index difference = 2");
	CHECK(wd_index(&c, day_of(2021, 4, 5)) == wd_index(&c, day_of(2021, 4, 2)), "holiday to holiday");
	CHECK(wd_index(&c, day_of(2021, 4, 2)) == wd_index(&c, day_of(2021, 4, 6)), "a holiday has its next working day's index");
	wd_add_local(&c, day_of(2021, 4, 3), 10, -1, &rd, &rt);
	CHECK(rd == day_of(2021, 4, 1) && rt == 0, "Sat 10:00 - 1 = Thu 00:00");
	/* spans far beyond the holidays, and before day 0 */
	CHECK(wd_add_days(&c, day_of(1900, 1, 1), 5) == day_of(1900, 1, 8), "1900");
	{
		int64_t		d = day_of(2021, 4, 1);
		int64_t		far = wd_add_days(&c, d, INT64_C(1000000000));
		int64_t		back = wd_add_days(&c, d, -INT64_C(1000000000));

		CHECK(wd_index(&c, far) - wd_index(&c, d) == INT64_C(1000000000) && wd_is_working(&c, far),
			  "a billion working days on, in one step");
		CHECK(wd_index(&c, d) - wd_index(&c, back) == INT64_C(1000000000) && wd_is_working(&c, back),
			  "a billion working days back");
		/* beyond the holidays: five working days a week exactly */
		CHECK(wd_add_days(&c, day_of(2030, 1, 7), 5 * 52) == day_of(2030, 1, 7) + 7 * 52, "52 weeks");
	}
}

static unsigned rng_state = 12345;
static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % n;
}

static void
test_random(void)
{
	int			round;
	int			checks = 0;
	int			bad_add = 0,
				bad_working = 0,
				bad_count = 0,
				bad_next = 0,
				bad_inverse = 0;

	for (round = 0; round < 400; round++)
	{
		Naive		nv;
		WdCalc		c;
		int32_t		hol[60],
					sorted[60];
		int64_t		rank[60];
		int			nhol = rnd(60),
					i,
					t;
		int64_t		base = (int64_t) rnd(4000) - 2000;

		do
			nv.weekend = rnd(128);
		while (nv.weekend == 0x7f);
		if (!wd_calc_init(&c, nv.weekend))
		{
			bad_add++;
			continue;
		}
		/* holidays bunched in 40 days or spread over 400, duplicates and weekends included */
		for (i = 0; i < nhol; i++)
			hol[i] = sorted[i] = base + rnd(rnd(2) ? 40 : 400);
		nv.hol = hol;
		nv.nhol = nhol;
		wd_calc_set_holidays(&c, sorted, nhol, rank);

		for (t = 0; t < 200; t++)
		{
			int64_t		d = base - 30 + rnd(500);
			int64_t		e = base - 30 + rnd(500);
			int64_t		n = (int64_t) rnd(60) - 30;
			int64_t		ta = rnd(1000);
			int64_t		rd,
						rt;

			checks++;
			if (wd_add_days(&c, d, n) != naive_add(&nv, d, n))
			{
				if (bad_add++ < 5)
					printf("mismatch: weekend %x day %lld n %lld: got %lld want %lld\n",
						   nv.weekend, (long long) d, (long long) n,
						   (long long) wd_add_days(&c, d, n), (long long) naive_add(&nv, d, n));
			}
			bad_working += wd_is_working(&c, d) != naive_working(&nv, d);
			bad_count += wd_index(&c, e) - wd_index(&c, d) != naive_count(&nv, d, e);
			bad_next += wd_next(&c, d) != naive_add(&nv, d + 1, 0);
			bad_next += wd_next_or_same(&c, d) != naive_add(&nv, d, 0);
			/* the index difference inverts add; the clock time is kept on working days */
			wd_add_local(&c, d, ta, n, &rd, &rt);
			bad_inverse += wd_index(&c, rd) - wd_index(&c, d) != n || !wd_is_working(&c, rd)
				|| rt != (naive_working(&nv, d) ? ta : 0);
		}
	}
	CHECK(bad_add == 0, "random calendars: add agrees with a day-by-day walk (%d checks, %d bad)", checks, bad_add);
	CHECK(bad_working == 0, "random calendars: is_working (%d bad)", bad_working);
	CHECK(bad_count == 0, "random calendars: index differences count working days (%d bad)", bad_count);
	CHECK(bad_next == 0, "random calendars: next working day (%d bad)", bad_next);
	CHECK(bad_inverse == 0, "random calendars: add then count gives n back (%d bad)", bad_inverse);
}

int
main(void)
{
	test_known();
	test_random();
	printf("unit workdays: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
