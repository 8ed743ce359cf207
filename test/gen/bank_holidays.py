#!/usr/bin/env python3
"""Writes sql/install/11_bank_holidays.sql: the UK bank holidays bundled with
connect_lake, 2015-2035, for England and Wales, Scotland and Northern Ireland.

The rules are the statutory ones (Banking and Financial Dealings Act 1971 and
the royal proclamations that move or add days); the one-off changes are
listed in ONE_OFF.  Every year up to the latest gov.uk list agrees with the
published dates (https://www.gov.uk/bank-holidays); later years follow the
rules.  Run from the repository root:  test/gen/bank_holidays.py
"""
import datetime as dt
import os

FIRST, LAST = 2015, 2035
D = dt.date
MON, FRI, SAT, SUN = 0, 4, 5, 6


def easter(y):
    """Gregorian Easter Sunday (anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return D(y, month, day)


def first_monday(y, m):
    d = D(y, m, 1)
    return d + dt.timedelta((MON - d.weekday()) % 7)


def last_monday(y, m):
    d = D(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(1)
    return d - dt.timedelta((d.weekday() - MON) % 7)


def next_monday_if_weekend(d):
    return d + dt.timedelta({SAT: 2, SUN: 1}.get(d.weekday(), 0))


def sub(name):
    return name + " (substitute day)"


def christmas(y):
    """Christmas Day and Boxing Day with their substitutes (same in all three)."""
    c = D(y, 12, 25)
    wd = c.weekday()
    if wd <= 3:                      # Mon-Thu
        return [(c, "Christmas Day"), (D(y, 12, 26), "Boxing Day")]
    if wd == FRI:                    # Boxing Day on Saturday -> Monday 28th
        return [(c, "Christmas Day"), (D(y, 12, 28), sub("Boxing Day"))]
    if wd == SAT:                    # both on the weekend -> Monday 27th, Tuesday 28th
        return [(D(y, 12, 27), sub("Christmas Day")), (D(y, 12, 28), sub("Boxing Day"))]
    # Christmas on Sunday: Boxing Day Monday 26th, Christmas substitute Tuesday 27th
    return [(D(y, 12, 26), "Boxing Day"), (D(y, 12, 27), sub("Christmas Day"))]


def new_year(y):
    d = D(y, 1, 1)
    n = next_monday_if_weekend(d)
    return [(n, "New Year's Day" if n == d else sub("New Year's Day"))]


def scottish_new_year(y):
    """1 and 2 January; when either falls on a weekend, the next free weekdays."""
    wd = D(y, 1, 1).weekday()
    if wd <= 3:
        return [(D(y, 1, 1), "New Year's Day"), (D(y, 1, 2), "2nd January")]
    if wd == FRI:
        return [(D(y, 1, 1), "New Year's Day"), (D(y, 1, 4), sub("2nd January"))]
    if wd == SAT:
        return [(D(y, 1, 3), sub("New Year's Day")), (D(y, 1, 4), sub("2nd January"))]
    return [(D(y, 1, 2), sub("New Year's Day")), (D(y, 1, 3), sub("2nd January"))]


def fixed(d, name):
    n = next_monday_if_weekend(d)
    return [(n, name if n == d else sub(name))]


# Royal proclamations: days moved (early May 2020, spring 2022) and one-off days.
MOVED = {
    ("early_may", 2020): (D(2020, 5, 8), "Early May bank holiday (VE day)"),
    ("spring", 2022): (D(2022, 6, 2), "Spring bank holiday"),
}
ONE_OFF = [
    (D(2022, 6, 3), "Platinum Jubilee bank holiday"),
    (D(2022, 9, 19), "Bank Holiday for the State Funeral of Queen Elizabeth II"),
    (D(2023, 5, 8), "Bank holiday for the coronation of King Charles III"),
]


def common(y):
    e = easter(y)
    return {
        "good_friday": [(e - dt.timedelta(2), "Good Friday")],
        "easter_monday": [(e + dt.timedelta(1), "Easter Monday")],
        "early_may": [MOVED.get(("early_may", y), (first_monday(y, 5), "Early May bank holiday"))],
        "spring": [MOVED.get(("spring", y), (last_monday(y, 5), "Spring bank holiday"))],
        "christmas": christmas(y),
    }


def england_wales(y):
    c = common(y)
    return (new_year(y) + c["good_friday"] + c["easter_monday"] + c["early_may"] + c["spring"]
            + [(last_monday(y, 8), "Summer bank holiday")] + c["christmas"])


def scotland(y):
    c = common(y)
    return (scottish_new_year(y) + c["good_friday"] + c["early_may"] + c["spring"]
            + [(first_monday(y, 8), "Summer bank holiday")]
            + fixed(D(y, 11, 30), "St Andrew's Day") + c["christmas"])


def northern_ireland(y):
    c = common(y)
    return (new_year(y) + fixed(D(y, 3, 17), "St Patrick's Day") + c["good_friday"]
            + c["easter_monday"] + c["early_may"] + c["spring"]
            + fixed(D(y, 7, 12), "Battle of the Boyne (Orangemen's Day)")
            + [(last_monday(y, 8), "Summer bank holiday")] + c["christmas"])


CALENDARS = [
    ("england_wales", "England and Wales bank holidays", england_wales),
    ("northern_ireland", "Northern Ireland bank holidays", northern_ireland),
    ("scotland", "Scotland bank holidays", scotland),
]


def holidays(rules):
    out = []
    for y in range(FIRST, LAST + 1):
        days = rules(y) + [(d, n) for d, n in ONE_OFF if d.year == y]
        assert len({d for d, _ in days}) == len(days), (rules.__name__, y, days)
        assert all(d.weekday() < SAT for d, _ in days), (rules.__name__, y, days)
        out += sorted(days)
    return out


def q(s):
    return "'" + s.replace("'", "''") + "'"


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "sql", "install", "11_bank_holidays.sql")
    lines = [
        "-- Bundled calendars: UK bank holidays %d-%d." % (FIRST, LAST),
        "-- Generated by test/gen/bank_holidays.py (statutory rules plus royal",
        "-- proclamations; checked against https://www.gov.uk/bank-holidays).  Do not",
        "-- edit: change the generator and run it again.",
        "",
        "INSERT INTO connect_lake.calendar (name, time_zone, weekend, description, bundled) VALUES",
    ]
    lines.append(",\n".join(
        "  (%s, 'Europe/London', '{6,7}', %s, true)"
        % (q(name), q("%s %d-%d (gov.uk); only weekends outside those years." % (desc, FIRST, LAST)))
        for name, desc, _ in CALENDARS) + ";")
    for name, _, rules in CALENDARS:
        lines += ["", "INSERT INTO connect_lake.holiday (calendar, day, name, bundled) VALUES"]
        lines.append(",\n".join("  (%s, '%s', %s, true)" % (q(name), d.isoformat(), q(n))
                                for d, n in holidays(rules)) + ";")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
