#!/usr/bin/env bash
# The upkeep of a single contact (what an ingest() per transaction pays at
# its commit) on a lake of 24 monthly partitions of ctr_events, variant
# against variant, in one run: README "Metric upkeep" (sessions 7 and 8).
# The first generated day of metrics_upkeep.sh is loaded with the upkeep on
# (repeat contacts off), the second with it off; then CALLS contacts of the
# second day (default 40) have their upkeep run one at a time, each in a
# transaction rolled back (metrics_refresh_contacts() of the one contact and
# its InitiationTimestamp, as the writers call it at commit), ROUNDS times
# per variant (default 10), the variants interleaved.  Prints per variant the
# backend's CPU and the wall clock per call, min and median of the rounds
# (each round's figure is its CALLS calls' mean), and the load average.
#
#   test/bench/metrics_upkeep_single.sh [VARIANT.sql ...]
#
# A variant is a SQL file run before each round's calls and undone after
# them (in a transaction of its own, rolled back after the round: e.g. an
# older metric_rollup_delta() as CREATE OR REPLACE FUNCTION); "installed"
# is the installed code alone.  Data, installation and CONNECT_LAKE_BENCH_PSQL
# as for metrics_upkeep_replay.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/test/bench/lib.sh"
rounds=${ROUNDS:-10}
calls=${CALLS:-40}
work=${CONNECT_LAKE_BENCH_DIR:-/tmp/connect_lake_bench}
data=$work/metrics_4d_20000

bench_gen_data "$here" "$data" 4 20000 12
days=$(cd "$data/ctr" && find . -mindepth 3 -maxdepth 3 -type d | sort | sed "s|^\.|$data/ctr|" | head -2)
day1=$(echo "$days" | sed -n 1p)
day2=$(echo "$days" | sed -n 2p)

variants=(installed)
for v in "$@"; do
	[ -f "$v" ] || { echo "metrics_upkeep_single.sh: no file $v" >&2; exit 2; }
	variants+=("$v")
done
vdir=$(mktemp -d /tmp/metrics_upkeep_single.XXXXXX)
trap 'rm -rf "$vdir"' EXIT
: > "$vdir/installed.sql"
for i in "${!variants[@]}"; do
	[ "$i" = 0 ] || cp "${variants[$i]}" "$vdir/v$i.sql"
done
sql=$vdir/single.sql
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
-- 24 monthly partitions of ctr_events around the days loaded
SELECT count(*) AS partitions FROM connect_lake.ensure_partitions('connect_lake.ctr_events', '2025-11-01', '2027-10-31');
SET connect_lake.repeats_upkeep = off;
\\o /dev/null
SELECT 1 FROM connect_lake.load('ctr', '$day1');
SET connect_lake.metrics_upkeep = off;
SELECT 1 FROM connect_lake.load('ctr', '$day2');
RESET connect_lake.metrics_upkeep;
\\o
VACUUM ANALYZE;
SELECT count(*) AS ctr_events_partitions FROM pg_inherits WHERE inhparent = 'connect_lake.ctr_events'::regclass;
-- contacts the second day landed (not in contact_metric yet), spread over it
CREATE TABLE single_ids AS
  SELECT e.contactid AS c, e.initiationtimestamp AS t, row_number() OVER (ORDER BY e.contactid) AS n
    FROM connect_lake.ctr_events e
   WHERE NOT EXISTS (SELECT 1 FROM connect_lake.contact_metric m WHERE m.contactid = e.contactid)
   ORDER BY e.contactid LIMIT $calls;
CREATE TABLE single_run (variant text, round int, cpu float8, ms float8);
\\o /dev/null
SQL
	for r in $(seq "$rounds"); do
		for i in "${!variants[@]}"; do
			f=$vdir/v$i.sql; [ "$i" = 0 ] && f=$vdir/installed.sql
			echo "BEGIN;"
			echo "\\i $f"
			echo "SELECT pg_temp.cpu() AS c0, clock_timestamp() AS t0 \\gset"
			for k in $(seq "$calls"); do
				echo "SAVEPOINT s;"
				echo "SELECT connect_lake.metrics_refresh_contacts(ARRAY[c], ARRAY[t]) FROM single_ids WHERE n = $k;"
				echo "ROLLBACK TO SAVEPOINT s;"
			done
			echo "SELECT (pg_temp.cpu() - :c0) / $calls AS cc, extract(epoch FROM clock_timestamp() - :'t0') * 1000 / $calls AS tt \\gset"
			echo "ROLLBACK;"
			echo "INSERT INTO single_run VALUES ('$(basename "${variants[$i]}")', $r, :cc, :tt);"
		done
	done
	cat <<'SQL'
\o
\echo '== one contact''s upkeep per call, per variant (backend CPU ms, wall ms; min and median of the rounds'' means)'
SELECT variant, count(*) AS rounds, round(min(cpu)::numeric * 1000, 2) AS min_cpu_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu))::numeric * 1000, 2) AS median_cpu_ms,
       round(min(ms)::numeric, 2) AS min_ms, round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 2) AS median_ms
  FROM single_run GROUP BY variant ORDER BY variant <> 'installed', variant;
SELECT pg_catalog.pg_read_file('/proc/loadavg') AS load_average;
SQL
} > "$sql"
chmod -R a+rX "$vdir"

bench_run_psql "$here" -o max_wal_size=4GB -- -f "$sql"
