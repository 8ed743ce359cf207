#!/usr/bin/env bash
# What the metric upkeep adds to load() (issue 12: at most 15% per kind), in
# one run, for every kind that carries metric upkeep: the CTRs (contact
# metrics and rollups: metrics_refresh_contacts(), setting
# connect_lake.metrics_upkeep; repeat contacts: contact_repeat_refresh(ids),
# setting connect_lake.repeats_upkeep) and the agent events (agent activity:
# agent_activity_upkeep(), connect_lake.metrics_upkeep).  The same generated
# files (test/gen/connect_gen, a day per load() call, as a daily load lands
# them) are loaded into an emptied lake in each mode, alternately (off,
# rollups, on, off, rollups, on ... ROUNDS times, kind by kind): off = both
# settings off; rollups (CTRs only) = the contact metrics and rollups alone
# (metrics_upkeep on, repeats_upkeep off); on = both on.  Each call is timed
# to its commit (the upkeep runs just before the commit), in wall clock and
# in the backend's CPU time (/proc/self/stat).  Prints the load average,
# then per kind and mode the best total of the rounds and the ratio mode /
# off, the first day (into an empty lake) apart from the later ones (onto the
# days before, which is what a daily load meets), the median of the rounds'
# ratios, every round's ratio (the rounds are interleaved, so a shared
# machine's drift between rounds shows as their spread), per round the
# commit's time against the load() statement's in the same transaction, wall
# clock and CPU (the upkeep's share, less exposed to that drift: the CPU
# share is the figure to trust on a busy machine), the refresh over
# everything for comparison, and whether the kept tables equal the
# refresh's, row for row.
#
#   test/bench/metrics_upkeep.sh [DAYS [CONTACTS_PER_DAY [ROUNDS]]]   defaults 4 20000 3
#   KINDS="ctr agent_event" (default: both)
# Data is generated once under $CONNECT_LAKE_BENCH_DIR (default /tmp/connect_lake_bench).
# By default it installs the module (taking the install lock) and runs in a
# throw-away cluster (pg_virtualenv); CONNECT_LAKE_BENCH_PSQL, a psql command
# line to an empty database of a server you run, uses that instead.
# METRICS_UPKEEP_VARIANT=FILE.sql runs FILE after CREATE EXTENSION (e.g. an
# older metric_rollup_delta() as CREATE OR REPLACE FUNCTION), so that code
# before and after a change can be run one after the other on one server.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/test/bench/lib.sh"
days=${1:-4}
per_day=${2:-20000}
rounds=${3:-3}
kinds=${KINDS:-ctr agent_event}
work=${CONNECT_LAKE_BENCH_DIR:-/tmp/connect_lake_bench}
data=$work/metrics_${days}d_${per_day}

bench_gen_data "$here" "$data" "$days" "$per_day" 12
# the day directories of a kind's files
day_dirs() { (cd "$data/$1" && find . -mindepth 3 -maxdepth 3 -type d | sort | sed "s|^\.|$data/$1|"); }

sql=$(mktemp /tmp/metrics_upkeep.XXXXXX.sql)
trap 'rm -f "$sql"' EXIT
{
	cat <<'SQL'
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
SQL
	if [ -n "${METRICS_UPKEEP_VARIANT:-}" ]; then
		echo "\\echo 'variant: $(basename "$METRICS_UPKEEP_VARIANT")'"
		cat "$METRICS_UPKEEP_VARIANT"
	fi
	cat <<'SQL'
\pset footer off
CREATE TABLE bench_time (kind text, mode text, round int, day int, seconds float8, load_seconds float8,
                         cpu float8, load_cpu float8);
-- the backend's CPU time (user + system, seconds; clock ticks of 1/100 s)
CREATE FUNCTION pg_temp.cpu() RETURNS float8 LANGUAGE sql AS $$
  SELECT (split_part(s, ' ', 14)::float8 + split_part(s, ' ', 15)::float8) / 100
    FROM pg_catalog.pg_read_file('/proc/self/stat') s
$$;
CREATE FUNCTION pg_temp.reset_lake(kind text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF kind = 'ctr' THEN
    TRUNCATE connect_lake.ctr_events, connect_lake.load_manifest, connect_lake.load_rejects,
             connect_lake.agent_dim, connect_lake.queue_dim, connect_lake.queue_name_history,
             connect_lake.contact_account, connect_lake.contact_metric, connect_lake.metric_queue_interval,
             connect_lake.metric_agent_interval, connect_lake.metric_queue_threshold,
             connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day, connect_lake.contact_repeat;
  ELSE
    TRUNCATE connect_lake.agent_events, connect_lake.load_manifest, connect_lake.load_rejects,
             connect_lake.agent_activity_interval, connect_lake.agent_status_interval;
  END IF;
  CHECKPOINT;
END
$$;
SQL
	echo '\o /dev/null'
	for kind in $kinds; do
		case $kind in
		ctr) dir=ctr; table=ctr_events ;;
		agent_event) dir=agent_events; table=agent_events ;;
		*) echo "metrics_upkeep.sh: no metric upkeep for kind $kind" >&2; exit 2 ;;
		esac
		dirs=$(day_dirs "$dir")
		# warm the page cache and the backend: one load of the kind, not timed
		echo "SELECT pg_temp.reset_lake('$kind');"
		for d1 in $dirs; do echo "SELECT 1 FROM connect_lake.load('$kind', '$d1');"; break; done
		# ctr: off (no metric or repeat upkeep), rollups (the contact metrics
		# and rollups alone: connect_lake.repeats_upkeep off), on (both);
		# agent_event: off, on
		modes="off on"
		[ "$kind" = ctr ] && modes="off rollups on"
		for r in $(seq "$rounds"); do
			for mode in $modes; do
				echo "SELECT pg_temp.reset_lake('$kind');"
				case $mode in
				off) echo "SET connect_lake.metrics_upkeep = off; SET connect_lake.repeats_upkeep = off;" ;;
				rollups) echo "SET connect_lake.metrics_upkeep = on; SET connect_lake.repeats_upkeep = off;" ;;
				on) echo "SET connect_lake.metrics_upkeep = on; SET connect_lake.repeats_upkeep = on;" ;;
				esac
				d=0
				for dd in $dirs; do
					d=$((d + 1))
					echo "BEGIN;"
					echo "SELECT clock_timestamp() AS t0, pg_temp.cpu() AS c0 \\gset"
					echo "SELECT 1 FROM connect_lake.load('$kind', '$dd');"
					echo "SELECT clock_timestamp() AS t1, pg_temp.cpu() AS c1 \\gset"
					echo "COMMIT;"
					echo "INSERT INTO bench_time VALUES ('$kind', '$mode', $r, $d, extract(epoch FROM clock_timestamp() - :'t0'), extract(epoch FROM :'t1'::timestamptz - :'t0'), pg_temp.cpu() - :c0, :c1 - :c0);"
				done
			done
		done
		echo "RESET connect_lake.metrics_upkeep; RESET connect_lake.repeats_upkeep;"
		echo '\o'
		if [ "$kind" = ctr ]; then
			cat <<'SQL'
\echo '== ctr, exact: the tables kept by the writers against metrics_refresh() and contact_repeat_refresh() over everything'
CREATE TABLE kept_cm AS SELECT * FROM connect_lake.contact_metric;
CREATE TABLE kept_qi AS SELECT * FROM connect_lake.metric_queue_interval;
CREATE TABLE kept_ai AS SELECT * FROM connect_lake.metric_agent_interval;
CREATE TABLE kept_qt AS SELECT * FROM connect_lake.metric_queue_threshold;
CREATE TABLE kept_qd AS SELECT * FROM connect_lake.metric_queue_day;
CREATE TABLE kept_qtd AS SELECT * FROM connect_lake.metric_queue_threshold_day;
CREATE TABLE kept_cr AS SELECT * FROM connect_lake.contact_repeat;
TRUNCATE connect_lake.contact_metric, connect_lake.metric_queue_interval, connect_lake.metric_agent_interval,
         connect_lake.metric_queue_threshold, connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day,
         connect_lake.contact_repeat;
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT connect_lake.metrics_refresh() AS contacts_refreshed;
SELECT connect_lake.contact_repeat_refresh() AS repeat_contacts;
INSERT INTO bench_time VALUES ('ctr', 'refresh', 0, 0, extract(epoch FROM clock_timestamp() - :'t0'), NULL);
SELECT t AS kept, n AS rows, missing, extra FROM (
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
         (SELECT count(*) FROM (TABLE kept_qtd EXCEPT ALL TABLE connect_lake.metric_queue_threshold_day) x)
  UNION ALL SELECT 'contact_repeat', (SELECT count(*) FROM kept_cr),
         (SELECT count(*) FROM (TABLE connect_lake.contact_repeat EXCEPT ALL TABLE kept_cr) x),
         (SELECT count(*) FROM (TABLE kept_cr EXCEPT ALL TABLE connect_lake.contact_repeat) x)) c;
SQL
		else
			cat <<'SQL'
\echo '== agent_event, exact: the tables kept by the writers against agent_activity_refresh() over everything'
CREATE TABLE kept_aa AS SELECT * FROM connect_lake.agent_activity_interval;
CREATE TABLE kept_as AS SELECT * FROM connect_lake.agent_status_interval;
TRUNCATE connect_lake.agent_activity_interval, connect_lake.agent_status_interval;
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT connect_lake.agent_activity_refresh() AS activity_rows;
INSERT INTO bench_time VALUES ('agent_event', 'refresh', 0, 0, extract(epoch FROM clock_timestamp() - :'t0'), NULL);
SELECT t AS kept, n AS rows, missing, extra FROM (
  SELECT 'agent_activity_interval' t, (SELECT count(*) FROM kept_aa) n,
         (SELECT count(*) FROM (TABLE connect_lake.agent_activity_interval EXCEPT ALL TABLE kept_aa) x) missing,
         (SELECT count(*) FROM (TABLE kept_aa EXCEPT ALL TABLE connect_lake.agent_activity_interval) x) extra
  UNION ALL SELECT 'agent_status_interval', (SELECT count(*) FROM kept_as),
         (SELECT count(*) FROM (TABLE connect_lake.agent_status_interval EXCEPT ALL TABLE kept_as) x),
         (SELECT count(*) FROM (TABLE kept_as EXCEPT ALL TABLE connect_lake.agent_status_interval) x)) c;
SQL
		fi
		echo "SELECT (SELECT count(*) FROM connect_lake.${table}) AS records_$kind \\gset"
		echo '\o /dev/null'
	done
	echo '\o'
	cat <<'SQL'

\echo
\echo '== results per kind and mode: seconds of load() to commit, the best round of each mode; ratio = mode / off (cpu_ratio: the backend''s CPU time, best rounds)'
\echo '   (ctr: rollups = the contact metrics and rollups alone, connect_lake.repeats_upkeep off; on = those and the repeat contacts)'
SELECT pg_catalog.pg_read_file('/proc/loadavg') AS load_average;
WITH r AS (
  SELECT kind, mode, round, sum(seconds) FILTER (WHERE day = 1) AS first,
         sum(seconds) FILTER (WHERE day > 1) AS later, sum(seconds) AS total,
         sum(load_seconds) AS stmt, sum(cpu) AS cpu
    FROM bench_time WHERE mode <> 'refresh' GROUP BY kind, mode, round),
best AS (SELECT kind, mode, min(first) AS first, min(later) AS later, min(total) AS total, min(cpu) AS cpu
           FROM r GROUP BY kind, mode),
per_round AS (SELECT m.kind, m.mode, m.round, m.total / off.total AS ratio
                FROM r m JOIN r off ON off.kind = m.kind AND off.round = m.round AND off.mode = 'off'
               WHERE m.mode <> 'off')
SELECT off.kind, m.mode, (SELECT max(day) FROM bench_time b WHERE b.kind = off.kind) AS days,
       round(off.first::numeric, 2) AS first_day_off, round(m.first::numeric, 2) AS first_day_mode,
       round((m.first / off.first)::numeric, 3) AS first_day_ratio,
       round(off.later::numeric, 2) AS later_days_off, round(m.later::numeric, 2) AS later_days_mode,
       round((m.later / off.later)::numeric, 3) AS later_days_ratio,
       round((m.total / off.total)::numeric, 3) AS ratio,
       round((m.cpu / nullif(off.cpu, 0))::numeric, 3) AS cpu_ratio,
       (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY p.ratio)::numeric, 3) FROM per_round p
         WHERE p.kind = off.kind AND p.mode = m.mode) AS median_round_ratio,
       (SELECT string_agg(round(p.ratio::numeric, 3)::text, ' ' ORDER BY p.round) FROM per_round p
         WHERE p.kind = off.kind AND p.mode = m.mode) AS round_ratios,
       (SELECT round(b.seconds::numeric, 2) FROM bench_time b WHERE b.kind = off.kind AND b.mode = 'refresh') AS refresh_all
  FROM best off JOIN best m ON m.kind = off.kind AND m.mode <> 'off'
 WHERE off.mode = 'off'
 ORDER BY off.kind, m.mode = 'on', m.mode;
\echo '== the commit (where the upkeep runs) against the load() statement before it, same transaction, per round: wall clock and the backend''s CPU'
SELECT kind, mode, round, round(sum(load_seconds)::numeric, 2) AS load_statement, round(sum(seconds - load_seconds)::numeric, 2) AS commit,
       round((sum(seconds - load_seconds) / sum(load_seconds))::numeric, 3) AS commit_share,
       round(sum(load_cpu)::numeric, 2) AS load_cpu, round(sum(cpu - load_cpu)::numeric, 2) AS commit_cpu,
       round((sum(cpu - load_cpu) / nullif(sum(load_cpu), 0))::numeric, 3) AS commit_cpu_share
  FROM bench_time WHERE mode <> 'refresh' GROUP BY kind, mode, round ORDER BY kind, round, mode = 'on', mode = 'rollups', mode;
SQL
} > "$sql"
chmod a+r "$sql"

bench_run_psql "$here" -o max_wal_size=4GB -- -f "$sql"
