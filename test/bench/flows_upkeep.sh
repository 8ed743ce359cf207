#!/usr/bin/env bash
# What keeping the flow tables as flow logs land costs load() (issue 13), in
# one run: the same generated flow log files (test/gen/connect_gen, the
# Firehose subscription delivery of a day per load() call, as a daily load
# lands them) loaded into an emptied flow log table with
# connect_lake.flows_upkeep off and on, alternately, ROUNDS times; each call
# timed to its commit (the upkeep runs just before the commit).  The CTRs
# are loaded once, first, so that containment reads them.  Prints per mode
# the best total of the rounds and the ratio on / off (the first day, into
# an empty table, apart from the later ones), flows_refresh() of every day
# for comparison (what upkeep off leaves to do), whether the kept tables
# equal flows_refresh()'s row for row, and per round the commit's time
# against the load() statement's in the same transaction.
#
#   test/bench/flows_upkeep.sh [DAYS [CONTACTS_PER_DAY [ROUNDS]]]   defaults 4 10000 2
# Data is generated once under $CONNECT_LAKE_BENCH_DIR (default /tmp/connect_lake_bench).
# By default it installs the module (taking the install lock) and runs in a
# throw-away cluster (pg_virtualenv); CONNECT_LAKE_BENCH_PSQL, a psql command
# line to an empty database of a server you run, uses that instead.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/test/bench/lib.sh"
days=${1:-4}
per_day=${2:-10000}
rounds=${3:-2}
work=${CONNECT_LAKE_BENCH_DIR:-/tmp/connect_lake_bench}
data=$work/flows_${days}d_${per_day}

bench_gen_data "$here" "$data" "$days" "$per_day" 13
day_dirs=$(cd "$data/flowlogs/subscription" && find . -mindepth 3 -maxdepth 3 -type d | sort |
	sed "s|^\.|$data/flowlogs/subscription|")

sql=$(mktemp /tmp/flows_upkeep.XXXXXX.sql)
trap 'rm -f "$sql"' EXIT
{
	cat <<SQL
\\set ON_ERROR_STOP 1
\\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
\\pset footer off
CREATE TABLE bench_time (mode text, round int, day int, seconds float8, load_seconds float8);
SET connect_lake.metrics_upkeep = off;
SET connect_lake.repeats_upkeep = off;
SET connect_lake.flows_upkeep = off;
SELECT files_loaded, inserted AS ctrs FROM connect_lake.load('ctr', '$data/ctr');
RESET connect_lake.metrics_upkeep;
RESET connect_lake.repeats_upkeep;
CREATE FUNCTION pg_temp.reset_flows() RETURNS void LANGUAGE sql AS \$\$
  TRUNCATE connect_lake.contact_flow_log, connect_lake.contact_flow_path, connect_lake.flow_block_day,
           connect_lake.flow_entry_day, connect_lake.flow_names, connect_lake.flow_version;
  DELETE FROM connect_lake.load_manifest WHERE kind = 'contact_flow_log';
  CHECKPOINT;
\$\$;
SQL
	echo '\o /dev/null'
	for r in $(seq "$rounds"); do
		for mode in off on; do
			echo "SELECT pg_temp.reset_flows();"
			echo "SET connect_lake.flows_upkeep = $mode;"
			d=0
			for dir in $day_dirs; do
				d=$((d + 1))
				echo "BEGIN;"
				echo "SELECT clock_timestamp() AS t0 \\gset"
				echo "SELECT 1 FROM connect_lake.load('contact_flow_log', '$dir');"
				echo "SELECT clock_timestamp() AS t1 \\gset"
				echo "COMMIT;"
				echo "INSERT INTO bench_time VALUES ('$mode', $r, $d, extract(epoch FROM clock_timestamp() - :'t0'), extract(epoch FROM :'t1'::timestamptz - :'t0'));"
			done
		done
	done
	echo '\o'
	cat <<'SQL'
RESET connect_lake.flows_upkeep;
\echo '== exact: the flow tables kept by the writers (the last round, on) against flows_refresh() over everything'
CREATE TABLE kept_path AS SELECT * FROM connect_lake.contact_flow_path;
CREATE TABLE kept_block AS SELECT * FROM connect_lake.flow_block_day;
CREATE TABLE kept_entry AS SELECT * FROM connect_lake.flow_entry_day;
CREATE TABLE kept_version AS SELECT * FROM connect_lake.flow_version;
TRUNCATE connect_lake.contact_flow_path, connect_lake.flow_block_day, connect_lake.flow_entry_day,
         connect_lake.flow_version;
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT connect_lake.flows_refresh() AS contacts_refreshed;
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS t_refresh \gset
SELECT t AS kept, n AS rows, missing, extra FROM (
  SELECT 'contact_flow_path' t, (SELECT count(*) FROM kept_path) n,
         (SELECT count(*) FROM (SELECT x::text FROM connect_lake.contact_flow_path x EXCEPT ALL SELECT k::text FROM kept_path k) x) missing,
         (SELECT count(*) FROM (SELECT k::text FROM kept_path k EXCEPT ALL SELECT x::text FROM connect_lake.contact_flow_path x) x) extra
  UNION ALL SELECT 'flow_block_day', (SELECT count(*) FROM kept_block),
         (SELECT count(*) FROM (SELECT x::text FROM connect_lake.flow_block_day x EXCEPT ALL SELECT k::text FROM kept_block k) x),
         (SELECT count(*) FROM (SELECT k::text FROM kept_block k EXCEPT ALL SELECT x::text FROM connect_lake.flow_block_day x) x)
  UNION ALL SELECT 'flow_entry_day', (SELECT count(*) FROM kept_entry),
         (SELECT count(*) FROM (SELECT x::text FROM connect_lake.flow_entry_day x EXCEPT ALL SELECT k::text FROM kept_entry k) x),
         (SELECT count(*) FROM (SELECT k::text FROM kept_entry k EXCEPT ALL SELECT x::text FROM connect_lake.flow_entry_day x) x)
  UNION ALL SELECT 'flow_version', (SELECT count(*) FROM kept_version),
         (SELECT count(*) FROM (SELECT x::text FROM connect_lake.flow_version x EXCEPT ALL SELECT k::text FROM kept_version k) x),
         (SELECT count(*) FROM (SELECT k::text FROM kept_version k EXCEPT ALL SELECT x::text FROM connect_lake.flow_version x) x)) c;

\echo
\echo '== results: seconds of load() to commit, the best round of each mode; ratio = on / off'
WITH best AS (
  SELECT mode, min(first) AS first, min(later) AS later, min(total) AS total
    FROM (SELECT mode, round, sum(seconds) FILTER (WHERE day = 1) AS first,
                 sum(seconds) FILTER (WHERE day > 1) AS later, sum(seconds) AS total
            FROM bench_time GROUP BY mode, round) r
   GROUP BY mode)
SELECT (SELECT count(*) FROM connect_lake.contact_flow_log) AS flow_log_events, (SELECT max(day) FROM bench_time) AS days,
       round(off.first::numeric, 2) AS first_day_off, round(on_.first::numeric, 2) AS first_day_on,
       round((on_.first / off.first)::numeric, 3) AS first_day_ratio,
       round(off.later::numeric, 2) AS later_days_off, round(on_.later::numeric, 2) AS later_days_on,
       round((on_.later / off.later)::numeric, 3) AS later_days_ratio,
       round((on_.total / off.total)::numeric, 3) AS ratio,
       round(:t_refresh::numeric, 2) AS flows_refresh_all
  FROM best off, best on_ WHERE off.mode = 'off' AND on_.mode = 'on';
\echo '== the commit (where the upkeep runs) against the load() statement before it, same transaction, per round'
SELECT mode, round, round(sum(load_seconds)::numeric, 2) AS load_statement, round(sum(seconds - load_seconds)::numeric, 2) AS commit,
       round((sum(seconds - load_seconds) / sum(load_seconds))::numeric, 3) AS commit_share
  FROM bench_time GROUP BY mode, round ORDER BY round, mode;
SELECT pg_catalog.string_agg(pg_catalog.round(l::numeric, 2)::text, ' ') AS load_average
  FROM pg_catalog.regexp_split_to_table(pg_catalog.split_part(pg_catalog.pg_read_file('/proc/loadavg'), ' ', 1) || ' '
       || pg_catalog.split_part(pg_catalog.pg_read_file('/proc/loadavg'), ' ', 2), ' ') AS l;
SQL
} > "$sql"
chmod a+r "$sql"

bench_run_psql "$here" -o max_wal_size=4GB -- -f "$sql"
