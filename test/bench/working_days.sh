#!/usr/bin/env bash
# Benchmark: working_days_overdue (C) against the plain-SQL way (generate_series
# over days, excluding weekends and holidays), on timestamps spread over ten
# years.  Builds and installs the extension, starts a throw-away cluster
# (pg_virtualenv), times both in the same run, checks that they agree on
# every row the plain SQL computed, and prints the ratio per row.
#
#   test/bench/working_days.sh [ROWS [SQL_ROWS]]     defaults: 1000000 1000000
#
# The plain SQL takes ~25 us a row here (half a minute for a million rows);
# give SQL_ROWS < ROWS to run it on a random subset of that many rows only.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
rows=${1:-1000000}
sql_rows=${2:-$rows}

# Same lock as test/run: nobody replaces the installed module mid-run.
exec 9>/tmp/connect_lake.install.lock
flock 9
make -C "$here" -s all >/dev/null
if [ "$(id -u)" = 0 ]; then make -C "$here" -s install >/dev/null; else sudo make -C "$here" -s install >/dev/null; fi

runas=()
[ "$(id -u)" = 0 ] && runas=(runuser -u postgres --)
script=$(mktemp /tmp/connect_lake_bench.XXXXXX.sql)
trap 'rm -f "$script"' EXIT
chmod 644 "$script"
cat >"$script" <<SQL
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
SET TimeZone = 'UTC';                       -- the functions use the calendar's zone, not this
SET jit = off;                              -- no compile time in either measurement
SET max_parallel_workers_per_gather = 0;    -- one core for both
SELECT setseed(0.5) \gset

-- Cases created at random moments over ten years, each checked at a random
-- moment within the following week (so about half are overdue).
CREATE TABLE cases AS
SELECT i AS id, created, created + random() * interval '7 days' AS as_of
  FROM generate_series(1, $rows) i,
       LATERAL (SELECT timestamptz '2015-01-01 00:00+00' + random() * interval '3652 days' + i * interval '0') c(created);
VACUUM ANALYZE cases;
CREATE TABLE sample AS SELECT * FROM cases ORDER BY random() LIMIT $sql_rows;
VACUUM ANALYZE sample;

-- C: every row.  Both sides are timed as an aggregate over their rows (no
-- table writes in the measurement); the answers are stored afterwards for
-- the agreement check.
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FILTER (WHERE connect_lake.working_days_overdue(created, as_of)) AS c_overdue FROM cases \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS c_secs \gset
CREATE TEMP TABLE c_answers AS
SELECT id, connect_lake.working_days_overdue(created, as_of) AS overdue FROM sample;

-- Plain SQL: the working day on or after the creation date (local time,
-- Europe/London), keeping the clock time only if created on a working day,
-- then the second working day after it.
CREATE TEMP VIEW s_view AS
SELECT s.id, due.ts AS due, s.as_of > due.ts AS overdue
  FROM sample s
 CROSS JOIN LATERAL (SELECT s.created AT TIME ZONE 'Europe/London') l(lt)
 CROSS JOIN LATERAL (
       SELECT g::date AS day,
              CASE WHEN g::date = l.lt::date THEN l.lt::time ELSE time '00:00' END AS tod
         FROM generate_series(l.lt::date, l.lt::date + 14, interval '1 day') g
        WHERE extract(isodow FROM g) < 6
          AND NOT EXISTS (SELECT 1 FROM connect_lake.holiday h
                           WHERE h.calendar = 'england_wales' AND h.day = g::date)
        ORDER BY g LIMIT 1) start
 CROSS JOIN LATERAL (
       SELECT (g::date + start.tod) AT TIME ZONE 'Europe/London' AS ts
         FROM generate_series(start.day + 1, start.day + 30, interval '1 day') g
        WHERE extract(isodow FROM g) < 6
          AND NOT EXISTS (SELECT 1 FROM connect_lake.holiday h
                           WHERE h.calendar = 'england_wales' AND h.day = g::date)
        ORDER BY g OFFSET 1 LIMIT 1) due;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FILTER (WHERE overdue) AS s_overdue FROM s_view \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS s_secs \gset
CREATE TEMP TABLE s_answers AS SELECT * FROM s_view;

-- Agreement on every row the plain SQL computed: the overdue answer timed
-- above, and the due moment itself.
SELECT count(*) AS compared,
       count(*) FILTER (WHERE c.overdue IS NOT DISTINCT FROM s.overdue
                          AND connect_lake.working_days_add(k.created, 2) = s.due) AS agree,
       count(*) FILTER (WHERE s.overdue) AS overdue
  FROM s_answers s JOIN c_answers c USING (id) JOIN sample k USING (id) \gset

\echo 'working_days_overdue benchmark: cases created 2015-2024, england_wales calendar (Europe/London), as_of within a week'
SELECT format('  C            : %s rows in %s s = %s us/row (%s overdue)', $rows,
              round(:c_secs, 3), round(:c_secs * 1e6 / $rows, 3), :c_overdue) AS line \gset
\echo :line
SELECT format('  plain SQL    : %s rows (%s) in %s s = %s us/row (%s overdue)', $sql_rows,
              CASE WHEN $sql_rows < $rows THEN 'a random subset of the same table' ELSE 'the same rows' END,
              round(:s_secs, 3), round(:s_secs * 1e6 / $sql_rows, 3), :s_overdue) AS line \gset
\echo :line
SELECT format('  agreement    : %s of %s rows computed by both agree (overdue and due time)', :agree, :compared) AS line \gset
\echo :line
SELECT format('  ratio        : C is %sx faster per row than plain SQL',
              round((:s_secs / $sql_rows) / (:c_secs / $rows), 1)) AS line \gset
\echo :line
SELECT :agree = :compared AS all_agree \gset
\if :all_agree
\else
\echo 'FAIL: C and plain SQL disagree'
\q 3
\endif
SQL
"${runas[@]}" pg_virtualenv -v 15 psql -X -q -f "$script" 2>&1 | grep -vE '^(Creating new PostgreSQL cluster|Dropping cluster)'
exit "${PIPESTATUS[0]}"
