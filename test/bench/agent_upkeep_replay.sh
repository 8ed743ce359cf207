#!/usr/bin/env bash
# One day's agent activity upkeep replayed, variant against variant, in one
# run (issue 12; README "Metric upkeep", session 8): what the agent events'
# commit costs in metrics_upkeep.sh, without the load() around it, so that
# a change of a few percent of the commit shows on a shared machine.  The
# first generated day of agent events is loaded with the upkeep on, the
# second with it off; then the second day's upkeep (agent_activity_upkeep()
# of every agent it landed with its first and last EventTimestamp, as the
# writers call it at commit) runs ROUNDS times per variant, the variants
# interleaved, each in a transaction rolled back (the two tables vacuumed
# between runs, so that no run meets the dead rows of the one before), and
# the backend's CPU time (/proc/self/stat) and wall clock of each run are
# printed: min and median per variant, and the load average.  Each round
# also replays 100 of the day's events one at a time (the upkeep of one
# agent and one event: an ingest() per transaction), reported per call
# (single_*: CPU ms and wall ms of one call).  Then, per
# variant, whether the replayed upkeep leaves the two tables equal to
# agent_activity_refresh() over everything, row for row.
#
#   test/bench/agent_upkeep_replay.sh [VARIANT.sql ...]   (ROUNDS, default 7)
#
# A variant is a SQL file run in the transaction before the replay (e.g. an
# older agent_activity_apply() as CREATE OR REPLACE FUNCTION); the variant
# "installed" (always first) is the installed code alone.
# Data: the days of metrics_upkeep.sh (4 days of 20,000 contacts, seed 12),
# generated once under $CONNECT_LAKE_BENCH_DIR (default /tmp/connect_lake_bench).
# By default it installs the module (taking the install lock) and runs in a
# throw-away cluster (pg_virtualenv); CONNECT_LAKE_BENCH_PSQL, a psql command
# line to an empty database of a server you run, uses that instead.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/test/bench/lib.sh"
rounds=${ROUNDS:-7}
work=${CONNECT_LAKE_BENCH_DIR:-/tmp/connect_lake_bench}
data=$work/metrics_4d_20000

bench_gen_data "$here" "$data" 4 20000 12
days=$(cd "$data/agent_events" && find . -mindepth 3 -maxdepth 3 -type d | sort | sed "s|^\.|$data/agent_events|" | head -2)
day1=$(echo "$days" | sed -n 1p)
day2=$(echo "$days" | sed -n 2p)

variants=(installed)
for v in "$@"; do
	[ -f "$v" ] || { echo "agent_upkeep_replay.sh: no file $v" >&2; exit 2; }
	variants+=("$v")
done
vdir=$(mktemp -d /tmp/agent_upkeep_replay.XXXXXX)
trap 'rm -rf "$vdir"' EXIT
: > "$vdir/installed.sql"
for i in "${!variants[@]}"; do
	[ "$i" = 0 ] || cp "${variants[$i]}" "$vdir/v$i.sql"
done
vfile() { if [ "$1" = 0 ]; then echo "$vdir/installed.sql"; else echo "$vdir/v$1.sql"; fi; }
sql=$vdir/replay.sql
{
	cat <<SQL
\\set ON_ERROR_STOP 1
\\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
CREATE FUNCTION pg_temp.cpu() RETURNS float8 LANGUAGE sql AS \$\$
  SELECT (split_part(s, ' ', 14)::float8 + split_part(s, ' ', 15)::float8) / 100
    FROM pg_catalog.pg_read_file('/proc/self/stat') s
\$\$;
\\o /dev/null
SELECT 1 FROM connect_lake.load('agent_event', '$day1');
CREATE TABLE day1_events AS SELECT e.agentarn, e.eventtimestamp, e.eventid FROM connect_lake.agent_events e;
SET connect_lake.metrics_upkeep = off;
SELECT 1 FROM connect_lake.load('agent_event', '$day2');
RESET connect_lake.metrics_upkeep;
\\o
VACUUM ANALYZE;
-- the agents the second day landed, each with its first and last event time
CREATE TABLE replay_args AS
  SELECT array_agg(a ORDER BY a) AS a, array_agg(f ORDER BY a) AS f, array_agg(l ORDER BY a) AS l
    FROM (SELECT e.agentarn AS a, min(e.eventtimestamp) AS f, max(e.eventtimestamp) AS l
            FROM connect_lake.agent_events e
           WHERE NOT EXISTS (SELECT FROM day1_events d WHERE d.agentarn = e.agentarn
                                AND d.eventtimestamp = e.eventtimestamp AND d.eventid = e.eventid)
           GROUP BY 1) s;
SELECT cardinality(a) AS agents_replayed FROM replay_args;
-- and 100 of its events one by one, as 100 ingest() calls of one event each
-- commit them (the single-agent upkeep)
CREATE TABLE replay_single AS
  SELECT e.agentarn AS a, e.eventtimestamp AS t
    FROM connect_lake.agent_events e
   WHERE NOT EXISTS (SELECT FROM day1_events d WHERE d.agentarn = e.agentarn
                       AND d.eventtimestamp = e.eventtimestamp AND d.eventid = e.eventid)
   ORDER BY hashtext(e.eventid) LIMIT 100;
CREATE TABLE replay_run (variant text, round int, cpu float8, ms float8, single_cpu float8, single_ms float8);
\\o /dev/null
SQL
	for r in $(seq "$rounds"); do
		for i in "${!variants[@]}"; do
			echo "BEGIN;"
			echo "\\i $(vfile "$i")"
			echo "SELECT pg_temp.cpu() AS c0, clock_timestamp() AS t0 \\gset"
			echo "SELECT connect_lake.agent_activity_upkeep(a, f, l) FROM replay_args;"
			echo "SELECT pg_temp.cpu() - :c0 AS cc, extract(epoch FROM clock_timestamp() - :'t0') * 1000 AS tt \\gset"
			echo "ROLLBACK;"
			echo "VACUUM connect_lake.agent_activity_interval, connect_lake.agent_status_interval;"
			echo "BEGIN;"
			echo "\\i $(vfile "$i")"
			echo "SELECT pg_temp.cpu() AS c0, clock_timestamp() AS t0 \\gset"
			echo "SELECT count(connect_lake.agent_activity_upkeep(ARRAY[a], ARRAY[t], ARRAY[t])) FROM replay_single;"
			echo "SELECT pg_temp.cpu() - :c0 AS sc, extract(epoch FROM clock_timestamp() - :'t0') * 1000 AS st \\gset"
			echo "ROLLBACK;"
			echo "VACUUM connect_lake.agent_activity_interval, connect_lake.agent_status_interval;"
			echo "INSERT INTO replay_run VALUES ('$(basename "${variants[$i]}")', $r, :cc, :tt, :sc, :st);"
		done
	done
	echo '\o'
	echo "\\echo '== each variant''s replay against agent_activity_refresh() over everything (rows missing, extra)'"
	for i in "${!variants[@]}"; do
		cat <<SQL
BEGIN;
\\i $(vfile "$i")
\\o /dev/null
SELECT connect_lake.agent_activity_upkeep(a, f, l) FROM replay_args;
CREATE TEMP TABLE kept_aa ON COMMIT DROP AS SELECT * FROM connect_lake.agent_activity_interval;
CREATE TEMP TABLE kept_as ON COMMIT DROP AS SELECT * FROM connect_lake.agent_status_interval;
SELECT connect_lake.agent_activity_refresh();
\\o
SELECT '$(basename "${variants[$i]}")' AS variant, (SELECT count(*) FROM kept_aa) AS activity_rows,
       (SELECT count(*) FROM (TABLE connect_lake.agent_activity_interval EXCEPT ALL TABLE kept_aa) x)
     + (SELECT count(*) FROM (TABLE connect_lake.agent_status_interval EXCEPT ALL TABLE kept_as) x) AS missing,
       (SELECT count(*) FROM (TABLE kept_aa EXCEPT ALL TABLE connect_lake.agent_activity_interval) x)
     + (SELECT count(*) FROM (TABLE kept_as EXCEPT ALL TABLE connect_lake.agent_status_interval) x) AS extra;
ROLLBACK;
SQL
	done
	cat <<'SQL'
\echo '== one day''s agent activity upkeep replayed per variant (backend CPU seconds, wall ms; min and median of the rounds)'
SELECT variant, count(*) AS rounds, round(min(cpu)::numeric, 2) AS min_cpu,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu))::numeric, 3) AS median_cpu,
       round(min(ms)::numeric) AS min_ms, round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric) AS median_ms,
       round(min(single_cpu * 10)::numeric, 2) AS single_min_cpu_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY single_cpu * 10))::numeric, 2) AS single_median_cpu_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY single_ms / 100))::numeric, 2) AS single_median_ms
  FROM replay_run GROUP BY variant ORDER BY variant <> 'installed', variant;
SELECT pg_catalog.pg_read_file('/proc/loadavg') AS load_average;
SQL
} > "$sql"
chmod -R a+rX "$vdir"

bench_run_psql "$here" -o max_wal_size=4GB -- -f "$sql"
