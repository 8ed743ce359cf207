-- Working days: "due two working days after creation, overdue after that",
-- in the calendar's own time zone and holidays, whatever the session's.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'Europe/London';
SET search_path = connect_lake, public;
-- The setting exists once the module is loaded (any call of its functions loads it).
SELECT default_calendar();
SHOW connect_lake.calendar;

-- The bundled calendars and how many holidays each has per year.
SELECT name, time_zone, weekend, bundled FROM calendar ORDER BY name;
SELECT calendar, count(*) FILTER (WHERE day < '2020-01-01') AS "2015-19",
       count(*) FILTER (WHERE day >= '2020-01-01' AND day < '2030-01-01') AS "2020-29",
       count(*) FILTER (WHERE day >= '2030-01-01') AS "2030-35",
       min(day), max(day), bool_and(bundled) AS bundled,
       bool_and(extract(isodow FROM day) < 6) AS all_weekdays
  FROM holiday GROUP BY calendar ORDER BY calendar;
-- Published gov.uk lists: England and Wales 2020-2023, one-off days included.
SELECT day, to_char(day, 'Dy') AS dow, name FROM holiday
 WHERE calendar = 'england_wales' AND day BETWEEN '2020-01-01' AND '2023-12-31' ORDER BY day;
-- Scotland (2 January, St Andrew's Day, August, no Easter Monday) and Northern Ireland.
SELECT day, to_char(day, 'Dy') AS dow, name FROM holiday
 WHERE calendar = 'scotland' AND day BETWEEN '2022-01-01' AND '2023-12-31' ORDER BY day;
SELECT day, to_char(day, 'Dy') AS dow, name FROM holiday
 WHERE calendar = 'northern_ireland' AND (day BETWEEN '2020-01-01' AND '2020-12-31'
       OR name LIKE 'St Patrick%' AND day BETWEEN '2018-01-01' AND '2019-12-31'
       OR name LIKE 'Battle%' AND day BETWEEN '2025-01-01' AND '2025-12-31') ORDER BY day;
-- Computed years: 2035 (Easter 25 March; Christmas on a Tuesday).
SELECT day, to_char(day, 'Dy') AS dow, name FROM holiday
 WHERE calendar = 'england_wales' AND day >= '2035-01-01' ORDER BY day;

-- The issue's examples (England and Wales).
SELECT working_days_add('2021-03-12 16:00', 2) AS "Fri 16:00 + 2 = Tue 16:00",
       working_days_add('2021-03-13 10:00', 2) AS "Sat 10:00 + 2 = Wed 00:00",
       working_days_add('2021-04-01 15:00', 2) AS "Thu 1 Apr + 2 = Wed 7 Apr (Easter)";
-- Across the spring DST change: 16:00 GMT on Friday, 16:00 BST (15:00 UTC) on Tuesday.
SELECT working_days_add('2023-03-24 16:00+00', 2) AS local,
       working_days_add('2023-03-24 16:00+00', 2) AT TIME ZONE 'UTC' AS utc;
-- Across the autumn change: 09:30 BST on Friday, 09:30 GMT (one hour later in UTC) on Tuesday.
SELECT working_days_add('2023-10-27 09:30+01', 2) AS local,
       working_days_add('2023-10-27 09:30+01', 2) AT TIME ZONE 'UTC' AS utc;
SELECT working_days_add('2023-03-26 12:00', -1) AS "Sunday of the change - 1";

-- The session time zone does not matter: the calendar's does.
SET TimeZone = 'America/New_York';
SELECT working_days_add('2021-03-12 16:00 Europe/London', 2) AS "Fri 16:00 London + 2",
       working_days_add('2021-03-12 23:30-05', 1) AS "Sat 04:30 London + 1 = Tue 00:00 London";
SET TimeZone = 'Europe/London';

-- Year ends and substitute days: Christmas 2021 on Saturday (27, 28 December off),
-- Christmas 2022 on Sunday (26, 27 December), New Year 2022 on Saturday (3 January).
SELECT ts, working_days_add(ts, 1) AS plus_1, working_days_add(ts, 2) AS plus_2,
       working_days_add(ts, 3) AS plus_3
  FROM unnest(ARRAY['2021-12-23 11:00', '2021-12-24 11:00', '2021-12-31 17:45',
                    '2022-12-23 09:00', '2023-12-22 09:00']::timestamptz[]) ts;
-- A case created on a holiday counts from 00:00 of the next working day.
SELECT working_days_add('2023-04-07 14:00', 0) AS "Good Friday + 0",
       working_days_add('2023-04-07 14:00', 2) AS "Good Friday + 2",
       working_days_add('2022-09-19 10:00', 1) AS "State funeral + 1",
       working_days_add('2023-05-08 10:00', 1) AS "Coronation + 1";
-- Negative n counts backwards; from a non-working day, back from its next working day's 00:00.
SELECT working_days_add('2021-04-07 15:00', -2) AS "Wed 7 Apr - 2",
       working_days_add('2021-04-06 09:00', -1) AS "Tue 6 Apr - 1",
       working_days_add('2021-04-03 09:00', -1) AS "Sat 3 Apr - 1 = Thu 00:00",
       working_days_add('2022-01-04 08:00', -3) AS "Tue 4 Jan 2022 - 3";
-- Microseconds and long spans (no loop over days: same cost for any n).
SELECT working_days_add('2021-03-12 16:59:59.999999', 2) AS micro,
       working_days_add('2015-01-05 09:00', 5000) AS far,
       working_days_add(working_days_add('2015-01-05 09:00', 5000), -5000) AS back,
       working_days_add('2015-01-01 09:00', 1) AS "from New Year's Day 2015";

-- Other bundled calendars, and named arguments.
SELECT working_days_add('2021-04-01 15:00', 2, 'scotland') AS "Scotland: no Easter Monday",
       working_days_add('2022-11-29 10:00', 1, calendar => 'scotland') AS "St Andrew's Day",
       working_days_add('2021-03-16 10:00', 1, 'northern_ireland') AS "St Patrick's Day",
       working_days_add('2020-07-10 10:00', 1, 'northern_ireland') AS "Boyne, substitute";

-- Overdue: as_of > working_days_add(ts, n).
SELECT working_days_overdue('2021-03-12 16:00', '2021-03-16 16:00') AS "due exactly",
       working_days_overdue('2021-03-12 16:00', '2021-03-16 16:00:00.000001') AS "a microsecond late",
       working_days_overdue('2021-04-01 15:00', '2021-04-06 23:00') AS "Easter: not yet",
       working_days_overdue('2021-04-01 15:00', '2021-04-07 15:01') AS "Easter: late",
       working_days_overdue('2021-04-01 15:00', '2021-04-06 23:00', 1) AS "n = 1",
       working_days_overdue('2021-04-01 15:00', '2021-04-06 23:00', calendar => 'scotland') AS "Scotland: late";
SELECT working_days_overdue(now() - interval '30 days') AS "a month ago: overdue",
       working_days_overdue(now()) AS "just now: not overdue";

-- Between: whole working days, the inverse of add.
SELECT working_days_between('2021-04-01 15:00', '2021-04-07 15:00') AS "2",
       working_days_between('2021-04-01 15:00', '2021-04-07 14:59') AS "1",
       working_days_between('2021-04-07 15:00', '2021-04-01 15:00') AS "-2",
       working_days_between('2021-04-02 10:00', '2021-04-05 18:00') AS "holiday to holiday: 0",
       working_days_between('2023-03-24 16:00+00', '2023-03-28 15:00+00') AS "DST: 2";
SELECT count(*) AS rows,
       count(*) FILTER (WHERE working_days_between(ts, working_days_add(ts, n)) = n) AS inverse
  FROM generate_series('2020-12-20'::timestamptz, '2023-01-10', interval '7 hours 13 minutes') ts,
       generate_series(-12, 12) n;

-- Dates.
SELECT d, to_char(d, 'Dy') AS dow, is_working_day(d) AS working, next_working_day(d) AS next,
       is_working_day(d, 'scotland') AS scotland
  FROM generate_series('2021-12-23'::date, '2022-01-05', '1 day') g, LATERAL (SELECT g::date) AS l(d);

-- In parallel workers too.
SET force_parallel_mode = on;
SELECT count(*) FILTER (WHERE working_days_overdue(ts, '2022-01-05 12:00')) AS overdue,
       count(*) FILTER (WHERE NOT working_days_overdue(ts, '2022-01-05 12:00')) AS not_overdue
  FROM generate_series('2021-12-20'::timestamptz, '2022-01-05', interval '1 hour') ts;
RESET force_parallel_mode;

-- Labels: STABLE (they read tables and a setting), PARALLEL SAFE, STRICT.
SELECT p.oid::regprocedure, p.provolatile, p.proparallel, p.proisstrict
  FROM pg_proc p
 WHERE p.pronamespace = 'connect_lake'::regnamespace
   AND p.proname IN ('working_days_add', 'working_days_overdue', 'working_days_between',
                     'is_working_day', 'next_working_day', 'default_calendar')
 ORDER BY p.oid::regprocedure::text;

-- NULL in, NULL out (an explicit NULL calendar too; leave it out for the default).
SELECT working_days_add(NULL, 2) IS NULL AS a, working_days_add(now(), NULL) IS NULL AS b,
       working_days_add(now(), 2, NULL) IS NULL AS c, working_days_overdue(NULL) IS NULL AS d,
       working_days_overdue(now(), NULL) IS NULL AS e, working_days_between(now(), NULL) IS NULL AS f,
       is_working_day(NULL) IS NULL AS g, next_working_day(NULL, 'scotland') IS NULL AS h;

-- Errors: unknown calendar (also as the setting), infinity, overflow.
SELECT working_days_add('2021-03-12 16:00', 2, 'atlantis');
SET connect_lake.calendar = 'atlantis';
SELECT working_days_overdue('2021-03-12 16:00');
RESET connect_lake.calendar;
SELECT working_days_add('infinity', 2);
SELECT working_days_overdue('2021-03-12 16:00', '-infinity');
SELECT working_days_between('2021-03-12 16:00', 'infinity');
SELECT is_working_day('infinity');
SELECT working_days_add('294276-12-01', 100);
SELECT working_days_add('2021-03-12 16:00', 2147483647);

-- Custom calendars: a copy of a bundled one, in another time zone, edited.
SET connect_lake.calendar = 'acme';
SELECT working_days_add('2021-03-12 16:00', 2);
SELECT copy_calendar('england_wales', 'acme', 'Europe/Dublin');
SELECT name, time_zone, weekend, description, bundled FROM calendar WHERE name = 'acme';
SELECT count(*), bool_or(bundled) FROM holiday WHERE calendar = 'acme';
SELECT working_days_add('2021-03-12 16:00', 2) AS "Dublin is London's clock here";
-- The company closes on Christmas Eve 2021 and Monday 15 March 2021: seen at once.
INSERT INTO holiday (calendar, day, name) VALUES ('acme', '2021-12-24', 'Christmas Eve'),
                                                 ('acme', '2021-03-15', 'Founders'' day');
SELECT working_days_add('2021-03-12 16:00', 2) AS "Fri + 2 = Wed", working_days_add('2021-12-23 11:00', 1) AS "Thu 23 Dec + 1";
-- Inside a transaction, its own changes are seen by the next statement, and undone by rollback.
BEGIN;
DELETE FROM holiday WHERE calendar = 'acme' AND day = '2021-03-15';
SELECT working_days_add('2021-03-12 16:00', 2) AS "without Founders' day";
UPDATE calendar SET weekend = '{5,6,7}' WHERE name = 'acme';
SELECT working_days_add('2021-03-12 16:00', 2) AS "four-day week", is_working_day('2021-03-19') AS "a Friday";
ROLLBACK;
SELECT working_days_add('2021-03-12 16:00', 2) AS "after rollback";
BEGIN;
SAVEPOINT s;
DELETE FROM holiday WHERE calendar = 'acme' AND day = '2021-03-15';
SELECT working_days_add('2021-03-12 16:00', 2) AS "in a savepoint";
ROLLBACK TO SAVEPOINT s;
SELECT working_days_add('2021-03-12 16:00', 2) AS "after rollback to savepoint";
COMMIT;
-- Renaming a calendar moves its holidays; deleting it removes them.
UPDATE calendar SET name = 'acme_uk' WHERE name = 'acme';
SELECT working_days_add('2021-03-12 16:00', 2, 'acme_uk') AS renamed;
SELECT working_days_add('2021-03-12 16:00', 2);  -- the setting still names acme
UPDATE calendar SET time_zone = 'Asia/Tokyo' WHERE name = 'acme_uk';
SELECT working_days_add('2021-03-12 16:00', 2, 'acme_uk') AS "Tokyo: Sat 01:00 there, Founders' day, Thu 00:00";
-- A calendar of one's own from scratch, Sunday-Thursday weeks.
INSERT INTO calendar (name, time_zone, weekend) VALUES ('dubai', 'Asia/Dubai', '{5,6}');
SELECT working_days_add('2023-06-01 10:00+04', 1, 'dubai') AS "Thu + 1 = Sun",
       working_days_between('2023-06-01 10:00+04', '2023-06-04 10:00+04', 'dubai') AS between;
-- Calendars may vary row by row.
SELECT c, working_days_add('2021-04-01 15:00', 2, c) FROM unnest(ARRAY['england_wales', 'dubai',
       'scotland', 'dubai', 'acme_uk', 'england_wales']) c;
-- Seven-day working: a local time that does not exist on the due day (the
-- spring gap) or happens twice (autumn) resolves as PostgreSQL's AT TIME ZONE.
INSERT INTO calendar (name, weekend) VALUES ('every_day', '{}');
SELECT working_days_add('2023-03-25 01:30', 1, 'every_day') AS into_the_gap,
       '2023-03-26 01:30'::timestamp AT TIME ZONE 'Europe/London' AS at_time_zone,
       working_days_add('2023-10-28 01:30', 1, 'every_day') AS into_the_repeat,
       '2023-10-29 01:30'::timestamp AT TIME ZONE 'Europe/London' AS at_time_zone;
SELECT working_days_between('2023-03-25 01:30', '2023-03-26 02:29:59+01', 'every_day') AS "0",
       working_days_between('2023-03-25 01:30', '2023-03-26 02:30+01', 'every_day') AS "1";

-- Bundled rows are read-only, and bad rows are refused.
UPDATE holiday SET name = 'x' WHERE calendar = 'england_wales' AND day = '2021-04-02';
DELETE FROM holiday WHERE calendar = 'scotland';
DELETE FROM calendar WHERE name = 'england_wales';
UPDATE calendar SET time_zone = 'Europe/Paris' WHERE name = 'england_wales';
INSERT INTO holiday (calendar, day) VALUES ('england_wales', '2026-12-24');
INSERT INTO calendar (name, bundled) VALUES ('sneaky', true);
UPDATE holiday SET bundled = true WHERE calendar = 'acme_uk';
TRUNCATE holiday;
INSERT INTO calendar (name, time_zone) VALUES ('mars', 'Mars/Olympus_Mons');
UPDATE calendar SET time_zone = 'Nowhere' WHERE name = 'dubai';
INSERT INTO calendar (name, weekend) VALUES ('never', '{1,2,3,4,5,6,7}');
INSERT INTO calendar (name, weekend) VALUES ('bad', '{0}');
INSERT INTO holiday (calendar, day) VALUES ('nonesuch', '2024-01-01');
SELECT copy_calendar('nonesuch', 'x');
SELECT copy_calendar('england_wales', 'dubai');
SELECT copy_calendar(NULL, 'x');

-- Clean up: the DBA's rows go, the bundled ones stay.
DELETE FROM calendar WHERE NOT bundled;
SELECT count(*) AS left_over FROM holiday WHERE NOT bundled;
RESET connect_lake.calendar;
RESET search_path;
