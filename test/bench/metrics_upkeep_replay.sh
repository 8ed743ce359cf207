#!/usr/bin/env bash
# One day's CTR metric upkeep replayed, variant against variant, in one run:
# the comparison behind README "Metric upkeep" (session 7), where the whole
# benchmark (metrics_upkeep.sh) cannot see a change of a few percent of the
# commit on a shared machine.  The first generated day is loaded with the
# upkeep on (repeat contacts off), the second with it off; then the second
# day's upkeep (metrics_refresh_contacts() of the contacts it landed, with
# their InitiationTimestamps, as the writers call it at commit) runs ROUNDS
# times per variant, the variants interleaved, each in a transaction rolled
# back, and the backend's CPU time (/proc/self/stat) and the wall clock of
# each run are printed: min and median per variant, and the load average.
#
#   test/bench/metrics_upkeep_replay.sh [VARIANT.sql ...]   (ROUNDS, default 7)
#
# A variant is a SQL file run in the transaction before the replay (e.g. an
# older metric_apply() as CREATE OR REPLACE FUNCTION, or a DROP INDEX); the
# variant "installed" (always run first) is the installed code alone.  An
# older metric_apply(), from a commit C:
#   git show C:sql/install/90_metrics.sql | sed -n '/^CREATE FUNCTION connect_lake.metric_apply(/,/^\$fn\$;/p' \
#     | sed '1s/^CREATE FUNCTION/CREATE OR REPLACE FUNCTION/' > /tmp/old_apply.sql
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
days=$(cd "$data/ctr" && find . -mindepth 3 -maxdepth 3 -type d | sort | sed "s|^\.|$data/ctr|" | head -2)
day1=$(echo "$days" | sed -n 1p)
day2=$(echo "$days" | sed -n 2p)

variants=(installed)
for v in "$@"; do
	[ -f "$v" ] || { echo "metrics_upkeep_replay.sh: no file $v" >&2; exit 2; }
	variants+=("$v")
done
vdir=$(mktemp -d /tmp/metrics_upkeep_replay.XXXXXX)
trap 'rm -rf "$vdir"' EXIT
: > "$vdir/installed.sql"
for i in "${!variants[@]}"; do
	[ "$i" = 0 ] || cp "${variants[$i]}" "$vdir/v$i.sql"
done
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
SET connect_lake.repeats_upkeep = off;
\\o /dev/null
SELECT 1 FROM connect_lake.load('ctr', '$day1');
SET connect_lake.metrics_upkeep = off;
SELECT 1 FROM connect_lake.load('ctr', '$day2');
RESET connect_lake.metrics_upkeep;
\\o
VACUUM ANALYZE;
-- the contacts the second day landed (inserted, or a newer version)
CREATE TABLE replay_ids AS
  SELECT array_agg(e.contactid) AS c, array_agg(e.initiationtimestamp) AS t
    FROM connect_lake.ctr_events e
   WHERE NOT EXISTS (SELECT 1 FROM connect_lake.contact_metric m
                      WHERE m.contactid = e.contactid AND m.initiationtimestamp = e.initiationtimestamp
                        AND m.lastupdatetimestamp IS NOT DISTINCT FROM e.lastupdatetimestamp);
SELECT cardinality(c) AS contacts_replayed FROM replay_ids;
CREATE TABLE replay_run (variant text, round int, cpu float8, ms float8);
\\o /dev/null
SQL
	for r in $(seq "$rounds"); do
		for i in "${!variants[@]}"; do
			f=$vdir/v$i.sql; [ "$i" = 0 ] && f=$vdir/installed.sql
			echo "BEGIN;"
			echo "\\i $f"
			echo "SELECT pg_temp.cpu() AS c0, clock_timestamp() AS t0 \\gset"
			echo "SELECT connect_lake.metrics_refresh_contacts(c, t) FROM replay_ids;"
			echo "SELECT pg_temp.cpu() - :c0 AS cc, extract(epoch FROM clock_timestamp() - :'t0') * 1000 AS tt \\gset"
			echo "ROLLBACK;"
			echo "INSERT INTO replay_run VALUES ('$(basename "${variants[$i]}")', $r, :cc, :tt);"
		done
	done
	cat <<'SQL'
\o
\echo '== one day''s upkeep replayed per variant (backend CPU seconds, wall ms; min and median of the rounds)'
SELECT variant, count(*) AS rounds, round(min(cpu)::numeric, 2) AS min_cpu,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu))::numeric, 3) AS median_cpu,
       round(min(ms)::numeric) AS min_ms, round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric) AS median_ms
  FROM replay_run GROUP BY variant ORDER BY variant <> 'installed', variant;
SELECT pg_catalog.pg_read_file('/proc/loadavg') AS load_average;
SQL
} > "$sql"
chmod -R a+rX "$vdir"

bench_run_psql "$here" -o max_wal_size=4GB -- -f "$sql"
