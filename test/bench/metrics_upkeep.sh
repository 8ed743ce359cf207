#!/usr/bin/env bash
# What the metric upkeep adds to load() (issue 12: at most 15% per kind), in
# one run: the same generated CTR files (test/gen/connect_gen, a day per
# load() call, as a daily load lands them) loaded into an emptied lake with
# connect_lake.metrics_upkeep off and on, alternately, ROUNDS times; each
# call timed to its commit (the upkeep runs just before the commit).  Prints
# per mode the best total of the rounds and the ratio on / off, the first day
# (into an empty lake) apart from the later ones (onto the days before, which
# is what a daily load meets), metrics_refresh() over everything for
# comparison, whether the kept rollups equal metrics_refresh()'s, row for
# row, and per round the commit's time against the load() statement's in the
# same transaction (the upkeep's share, less exposed to a shared machine's
# drift between rounds).
#
#   test/bench/metrics_upkeep.sh [DAYS [CONTACTS_PER_DAY [ROUNDS]]]   defaults 4 20000 3
# Data is generated once under $CONNECT_LAKE_BENCH_DIR (default /tmp/connect_lake_bench).
# By default it installs the module (taking the install lock) and runs in a
# throw-away cluster (pg_virtualenv); CONNECT_LAKE_BENCH_PSQL, a psql command
# line to an empty database of a server you run, uses that instead.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
days=${1:-4}
per_day=${2:-20000}
rounds=${3:-3}
work=${CONNECT_LAKE_BENCH_DIR:-/tmp/connect_lake_bench}
data=$work/metrics_${days}d_${per_day}

make -s -C "$here" gen >/dev/null
if [ ! -f "$data/done" ]; then
	echo "generating $days days of $per_day contacts in $data"
	rm -rf "$data"
	"$here/test/gen/connect_gen" --out "$data" --start 2026-10-01 --days "$days" \
		--contacts-per-day "$per_day" --seed 12 --quiet && touch "$data/done"
fi
chmod -R a+rX "$work"
day_dirs=$(cd "$data/ctr" && find . -mindepth 3 -maxdepth 3 -type d | sort | sed "s|^\.|$data/ctr|")

sql=$(mktemp /tmp/metrics_upkeep.XXXXXX.sql)
{
	cat <<'SQL'
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
\pset footer off
CREATE TABLE bench_time (mode text, round int, day int, seconds float8, load_seconds float8);
CREATE FUNCTION pg_temp.reset_lake() RETURNS void LANGUAGE sql AS $$
  TRUNCATE connect_lake.ctr_events, connect_lake.load_manifest, connect_lake.load_rejects,
           connect_lake.agent_dim, connect_lake.queue_dim, connect_lake.queue_name_history,
           connect_lake.contact_account, connect_lake.contact_metric, connect_lake.metric_queue_interval,
           connect_lake.metric_agent_interval, connect_lake.metric_queue_threshold,
           connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day;
  CHECKPOINT;
$$;
SQL
	# warm the page cache and the backend
	echo "SELECT count(*) AS files FROM pg_ls_dir('$data/ctr');"
	echo '\o /dev/null'
	for r in $(seq "$rounds"); do
		for mode in off on; do
			echo "SELECT pg_temp.reset_lake();"
			echo "SET connect_lake.metrics_upkeep = $mode;"
			d=0
			for dir in $day_dirs; do
				d=$((d + 1))
				echo "BEGIN;"
				echo "SELECT clock_timestamp() AS t0 \\gset"
				echo "SELECT 1 FROM connect_lake.load('ctr', '$dir');"
				echo "SELECT clock_timestamp() AS t1 \\gset"
				echo "COMMIT;"
				echo "INSERT INTO bench_time VALUES ('$mode', $r, $d, extract(epoch FROM clock_timestamp() - :'t0'), extract(epoch FROM :'t1'::timestamptz - :'t0'));"
			done
		done
	done
	echo '\o'
	cat <<'SQL'
RESET connect_lake.metrics_upkeep;
\echo '== exact: the rollups kept by the writers against metrics_refresh() over everything'
CREATE TABLE kept_cm AS SELECT * FROM connect_lake.contact_metric;
CREATE TABLE kept_qi AS SELECT * FROM connect_lake.metric_queue_interval;
CREATE TABLE kept_ai AS SELECT * FROM connect_lake.metric_agent_interval;
CREATE TABLE kept_qt AS SELECT * FROM connect_lake.metric_queue_threshold;
CREATE TABLE kept_qd AS SELECT * FROM connect_lake.metric_queue_day;
CREATE TABLE kept_qtd AS SELECT * FROM connect_lake.metric_queue_threshold_day;
TRUNCATE connect_lake.contact_metric, connect_lake.metric_queue_interval, connect_lake.metric_agent_interval,
         connect_lake.metric_queue_threshold, connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day;
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT connect_lake.metrics_refresh() AS contacts_refreshed;
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS t_refresh \gset
SELECT t AS rollup, n AS rows, missing, extra FROM (
  SELECT 'contact_metric' t, (SELECT count(*) FROM kept_cm) n,
         (SELECT count(*) FROM (TABLE connect_lake.contact_metric EXCEPT ALL TABLE kept_cm) x) missing,
         (SELECT count(*) FROM (TABLE kept_cm EXCEPT ALL TABLE connect_lake.contact_metric) x) extra
  UNION ALL SELECT 'metric_queue_interval', (SELECT count(*) FROM kept_qi),
         (SELECT count(*) FROM (TABLE connect_lake.metric_queue_interval EXCEPT ALL TABLE kept_qi) x),
         (SELECT count(*) FROM (TABLE kept_qi EXCEPT ALL TABLE connect_lake.metric_queue_interval) x)
  UNION ALL SELECT 'metric_agent_interval', (SELECT count(*) FROM kept_ai),
         (SELECT count(*) FROM (TABLE connect_lake.metric_agent_interval EXCEPT ALL TABLE kept_ai) x),
         (SELECT count(*) FROM (TABLE kept_ai EXCEPT ALL TABLE connect_lake.metric_agent_interval) x)
  UNION ALL SELECT 'metric_queue_threshold', (SELECT count(*) FROM kept_qt),
         (SELECT count(*) FROM (TABLE connect_lake.metric_queue_threshold EXCEPT ALL TABLE kept_qt) x),
         (SELECT count(*) FROM (TABLE kept_qt EXCEPT ALL TABLE connect_lake.metric_queue_threshold) x)
  UNION ALL SELECT 'metric_queue_day', (SELECT count(*) FROM kept_qd),
         (SELECT count(*) FROM (TABLE connect_lake.metric_queue_day EXCEPT ALL TABLE kept_qd) x),
         (SELECT count(*) FROM (TABLE kept_qd EXCEPT ALL TABLE connect_lake.metric_queue_day) x)
  UNION ALL SELECT 'metric_queue_threshold_day', (SELECT count(*) FROM kept_qtd),
         (SELECT count(*) FROM (TABLE connect_lake.metric_queue_threshold_day EXCEPT ALL TABLE kept_qtd) x),
         (SELECT count(*) FROM (TABLE kept_qtd EXCEPT ALL TABLE connect_lake.metric_queue_threshold_day) x)) c;

\echo
\echo '== results: seconds of load() to commit, the best round of each mode; ratio = on / off'
WITH best AS (
  SELECT mode, min(first) AS first, min(later) AS later, min(total) AS total
    FROM (SELECT mode, round, sum(seconds) FILTER (WHERE day = 1) AS first,
                 sum(seconds) FILTER (WHERE day > 1) AS later, sum(seconds) AS total
            FROM bench_time GROUP BY mode, round) r
   GROUP BY mode)
SELECT (SELECT count(*) FROM connect_lake.ctr_events) AS ctrs, (SELECT max(day) FROM bench_time) AS days,
       round(off.first::numeric, 2) AS first_day_off, round(on_.first::numeric, 2) AS first_day_on,
       round((on_.first / off.first)::numeric, 3) AS first_day_ratio,
       round(off.later::numeric, 2) AS later_days_off, round(on_.later::numeric, 2) AS later_days_on,
       round((on_.later / off.later)::numeric, 3) AS later_days_ratio,
       round((on_.total / off.total)::numeric, 3) AS ratio,
       round(:t_refresh::numeric, 2) AS metrics_refresh_all
  FROM best off, best on_ WHERE off.mode = 'off' AND on_.mode = 'on';
\echo '== the commit (where the upkeep runs) against the load() statement before it, same transaction, per round'
SELECT mode, round, round(sum(load_seconds)::numeric, 2) AS load_statement, round(sum(seconds - load_seconds)::numeric, 2) AS commit,
       round((sum(seconds - load_seconds) / sum(load_seconds))::numeric, 3) AS commit_share
  FROM bench_time GROUP BY mode, round ORDER BY round, mode;
SQL
} > "$sql"
chmod a+r "$sql"

cd "$here"
if [ -n "${CONNECT_LAKE_BENCH_PSQL:-}" ]; then
	# an installed module and a server of your own: a psql command line to an
	# empty database (e.g. "runuser -u postgres -- psql -h /tmp/sock -p 5433 -d bench")
	$CONNECT_LAKE_BENCH_PSQL -X -f "$sql"
	rm -f "$sql"
	exit
fi
flock /tmp/connect_lake.install.lock sh -c "
  make -s install >/dev/null &&
  cd /tmp && runuser -u postgres -- pg_virtualenv -v 15 -o shared_buffers=256MB -o max_wal_size=4GB \
    psql -X -f '$sql'"
rm -f "$sql"
