#!/usr/bin/env bash
# Benchmark of the queue dashboard of issue 12: two years of contacts, one
# row per queue (and channel, as Amazon's queue reports split them) per local
# day, 10 metrics (contacts queued, handled, abandoned, transferred out,
# service level 20 s, abandonment rate, average queue answer time, average
# handle time, average abandon time, maximum queued time), read from the
# lake's view queue_metrics_daily against the same answer computed from
# ctr_events with plain SQL (the rules of connect-metrics.md written out:
# follower legs by PreviousContactId and NextContactId, queue time from
# Queue.Duration, London days of the disconnect, the same exclusions and
# rounding), in one run, on one cluster.  Prints both times (warm medians),
# the ratio, the backend's CPU time per run (which a busy machine does not
# inflate as it does the wall clock) and the load average, and whether both
# answers are identical (md5 of every row; a
# mismatch exits non-zero).  Target (issue 12): under 200 ms and at least 50x
# the plain SQL at the seed's volume, 60,000 contacts a day.
#
# Two years at the seed's volume are 44 million CTRs (about 145 GB in
# ctr_events): more than this machine's disk.  So the scale is a parameter:
# test/gen/connect_gen --ctr-only writes DAYS days at CPD contacts a day, load()
# lands them (the upkeep off: a backfill), metrics_refresh() computes the metrics, then the dashboard is
# timed.  The script prints what was measured and, separately, what the
# figures extrapolate to at the seed's volume (the plain SQL reads every CTR:
# its time grows with the contacts; the lake reads one day-rollup row per
# queue, channel and day: its time grows with those rows, at most
# 12 queues x 4 channels x DAYS).
#
#   test/bench/metrics_dashboard.sh [--cpd 3000] [--days 730] [--start 2024-10-01]
#
# At the seed's volume on this disk (a month: about 1.9 million CTRs, 6 GB),
# timing the month and then two years of day rows at that volume:
#   CPD=60000 DAYS=30 START=2026-10-01 TWO_YEARS=1 test/bench/metrics_dashboard.sh
# TWO_YEARS=1 repeats the measured days' day rows (real rows of this volume)
# over the 730 days before START in a transaction that is rolled back and
# times queue_metrics_daily() over them; the plain SQL's two-year figure is
# then an extrapolation (the measured one x 730 / DAYS), printed as such.
#
# Settings (environment, or the options above): CPD (contacts a day, default
# 3000 = 1/20 of the seed's), DAYS (730), START (2024-10-01), SEED (42),
# LAKE_RUNS (timed runs of the lake's query after a warm-up, 10), PLAIN_RUNS
# (3), PORT (5594), WORK (/tmp/connect_lake_metrics_bench: generated files,
# cluster, private PostgreSQL), KEEP=1 keeps WORK (the server is stopped
# whatever happens), REUSE=1 starts from the lake a KEEP=1 run loaded in WORK
# (skips building, generating and loading, and computing the metrics when that
# run did: for timing the dashboard again; REFRESH=1 computes them again).  Like seed_scale.sh it runs a private copy of this
# machine's PostgreSQL 15 with this work tree's connect_lake installed into it,
# so it needs no install lock and nobody's make install changes it mid-run.
# Run as root (the cluster runs as postgres) or as a user who may run initdb.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
CPD=${CPD:-3000}
DAYS=${DAYS:-730}
START=${START:-2024-10-01}
SEED=${SEED:-42}
LAKE_RUNS=${LAKE_RUNS:-10}
PLAIN_RUNS=${PLAIN_RUNS:-3}
SEED_CPD=60000
PORT=${PORT:-5594}
WORK=${WORK:-/tmp/connect_lake_metrics_bench}
while [ $# -gt 0 ]; do
	case $1 in
	--cpd) CPD=$2; shift ;;
	--days) DAYS=$2; shift ;;
	--start) START=$2; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "metrics_dashboard.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
END=$(date -u -d "$START + $DAYS days" +%F)	# exclusive
LAST=$(date -u -d "$END - 1 day" +%F)

t_begin=$(date +%s)
log() { printf '[%s +%ss] %s\n' "$(date -u +%H:%M:%S)" "$(( $(date +%s) - t_begin ))" "$*"; }
now() { date +%s.%N; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg=$WORK/pg
bin=$pg/usr/lib/postgresql/15/bin
data=$WORK/data
sock=$WORK/sock
gen=$WORK/gen
server_started=0
cleanup() {
	local rc=$?
	if [ "$server_started" = 1 ] || [ -f "$data/postmaster.pid" ]; then
		as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK"
if [ -f "$data/postmaster.pid" ]; then	# a previous run's server, left behind
	as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
fi
start_server() {
	server_started=1
	as_pg "$bin/pg_ctl" -D "$data" -l "$WORK/server.log" -w -o "-p $PORT -k $sock -c listen_addresses='' \
 -c shared_buffers=2GB -c work_mem=64MB -c maintenance_work_mem=512MB -c max_wal_size=8GB \
 -c checkpoint_timeout=30min -c jit=off -c max_parallel_workers_per_gather=0" start >/dev/null
}
psql=(as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$PORT" -U postgres -d postgres)
if [ -n "${REUSE:-}" ] && [ -f "$WORK/loaded" ]; then
	# shellcheck disable=SC1091
	. "$WORK/loaded"	# CPD DAYS START t_gen t_load of the run that loaded it
	END=$(date -u -d "$START + $DAYS days" +%F)
	LAST=$(date -u -d "$END - 1 day" +%F)
	log "reusing the lake loaded in $WORK ($DAYS days from $START at $CPD contacts a day)"
	cd "$WORK"
	start_server
else
rm -f "$WORK/loaded"
rm -rf "$pg" "$data" "$sock" "$gen"
mkdir -p "$pg/usr/lib/postgresql" "$pg/usr/share/postgresql" "$sock"

log "build (make all, make gen) in $here"
make -C "$here" -s -j2 all >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
make -C "$here" -s gen >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
log "private PostgreSQL under $pg"
cp -a /usr/lib/postgresql/15 "$pg/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$pg/usr/share/postgresql/"
rm -f "$pg"/usr/share/postgresql/15/extension/connect_lake* "$pg"/usr/lib/postgresql/15/lib/connect_lake.so
rm -rf "$pg"/usr/lib/postgresql/15/lib/bitcode/connect_lake*
make -C "$here" -s install DESTDIR="$pg" >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }

log "generate $DAYS days from $START at $CPD contacts a day (CTRs only), seed $SEED"
t0=$(now)
"$here/test/gen/connect_gen" --out "$gen" --start "$START" --days "$DAYS" --contacts-per-day "$CPD" \
	--seed "$SEED" --heartbeat-secs 0 --ctr-only --quiet
t_gen=$(echo "$(now) - $t0" | bc)
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$WORK"; fi
cd "$WORK"

log "cluster in $data (port $PORT, socket $sock)"
as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log"
start_server
server_version=$("${psql[@]}" -Atc 'SELECT version()')
running=$(readlink "/proc/$(head -1 "$data/postmaster.pid")/exe" || echo '?')
log "server: $running ($server_version)"
case $running in "$bin"/*) ;; *) echo "metrics_dashboard.sh: the server does not run from the private copy" >&2; exit 1 ;; esac
"${psql[@]}" -c 'CREATE EXTENSION connect_lake'

log "load('ctr') of $(find "$gen/ctr" -type f | wc -l) files"
t0=$(now)
"${psql[@]}" -Atc "SET client_min_messages = warning; SET connect_lake.metrics_upkeep = off; SET connect_lake.repeats_upkeep = off; SELECT 'loaded: ' || files_loaded || ' files, ' || inserted || ' inserted, ' || updated || ' updated, '
                          || duplicates || ' duplicates, ' || rejected || ' rejected'
                     FROM connect_lake.load('ctr', '$gen/ctr', 'skip')"
t_load=$(echo "$(now) - $t0" | bc)
printf 'CPD=%s\nDAYS=%s\nSTART=%s\nt_gen=%s\nt_load=%s\n' "$CPD" "$DAYS" "$START" "$t_gen" "$t_load" > "$WORK/loaded"
fi
# A month per call (a transaction each): metrics_refresh() holds an advisory
# lock per 15-minute interval it remakes to the end of its transaction, and
# two years of intervals (70,080) would overflow the lock table.
if [ -n "${REUSE:-}" ] && [ -f "$WORK/refreshed" ]; then
	# shellcheck disable=SC1091
	. "$WORK/refreshed"	# t_refresh t_vacuum of the run that computed the metrics
	log "reusing its metrics (REFRESH=1 computes them again)"
fi
if [ -z "${REUSE:-}" ] || [ ! -f "$WORK/refreshed" ] || [ -n "${REFRESH:-}" ]; then
rm -f "$WORK/refreshed"
log "metrics_refresh(), a month at a time"
t0=$(now)
m=$(date -u -d "$START" +%Y-%m-01)
"${psql[@]}" -c 'TRUNCATE connect_lake.contact_metric, connect_lake.metric_queue_interval, connect_lake.metric_agent_interval,
                 connect_lake.metric_queue_threshold, connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day'
n=0
while [ "$(date -u -d "$m" +%s)" -lt "$(date -u -d "$END + 40 days" +%s)" ]; do
	next=$(date -u -d "$m + 1 month" +%F)
	n=$(( n + $("${psql[@]}" -Atc "SELECT connect_lake.metrics_refresh('$m', '$next')") ))
	m=$next
done
echo "contacts recomputed: $n"
t_refresh=$(echo "$(now) - $t0" | bc)
log "vacuum analyze"
t0=$(now)
"${psql[@]}" -c 'VACUUM ANALYZE'
t_vacuum=$(echo "$(now) - $t0" | bc)
printf 't_refresh=%s\nt_vacuum=%s\n' "$t_refresh" "$t_vacuum" > "$WORK/refreshed"
fi

log "dashboard: lake (queue_metrics_daily(from, to), $LAKE_RUNS runs; the view, $PLAIN_RUNS runs) and plain SQL over ctr_events ($PLAIN_RUNS runs)"
"${psql[@]}" -v from="$START" -v last="$LAST" -v end="$END" -v lake_runs="$LAKE_RUNS" -v plain_runs="$PLAIN_RUNS" \
	-v cpd="$CPD" -v seed_cpd="$SEED_CPD" -v days="$DAYS" \
	-v t_gen="$t_gen" -v t_load="$t_load" -v t_refresh="$t_refresh" -v t_vacuum="$t_vacuum" <<'SQL'
SET client_min_messages = warning;
-- (a lake reused: the last run's helpers go)
DROP TABLE IF EXISTS public.plain_q, public.result;
DROP FUNCTION IF EXISTS public.bench(text, integer);
DROP FUNCTION IF EXISTS public.cpu_ms();
-- Times a query: one warm-up (whose rows give the answer's md5), then the
-- median of runs; every column of every row is turned into text, so nothing
-- is left uncomputed.
-- The backend's CPU time (utime + stime of /proc/self/stat, clock ticks of
-- 10 ms), which other work on a shared machine does not inflate as it does
-- the wall clock.
CREATE FUNCTION public.cpu_ms() RETURNS float8 LANGUAGE sql AS $fn$
  SELECT 10.0 * (f[12]::bigint + f[13]::bigint)
    FROM (SELECT string_to_array(substr(t, strpos(t, ') ') + 2), ' ') AS f FROM pg_read_file('/proc/self/stat') t) x
$fn$;
CREATE FUNCTION public.bench(q text, runs int, OUT median_ms float8, OUT min_ms float8, OUT cpu_ms float8,
                             OUT nrows bigint, OUT digest text)
LANGUAGE plpgsql AS $fn$
DECLARE
  t0 timestamptz;
  c0 float8;
  ms float8[] := '{}';
  w  text := format('SELECT count(*), md5(coalesce(string_agg(t::text, E''\n''), '''')) FROM (%s) t', q);
BEGIN
  EXECUTE w INTO nrows, digest;
  c0 := public.cpu_ms();
  FOR i IN 1 .. runs LOOP
    t0 := clock_timestamp();
    EXECUTE w;
    ms := ms || 1000 * extract(epoch FROM clock_timestamp() - t0)::float8;
  END LOOP;
  cpu_ms := (public.cpu_ms() - c0) / runs;
  SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x), min(x) INTO median_ms, min_ms FROM unnest(ms) x;
END
$fn$;

-- The lake: queue_metrics_daily(from_day, to_day), the queues of Amazon's
-- reports; London is the metrics time zone (the default calendar's).
\set lake_q 'SELECT (interval_start AT TIME ZONE ''Europe/London'')::date AS day, queue_id, channel, contacts_queued, contacts_handled, contacts_abandoned, contacts_transferred_out, service_level, abandonment_rate, avg_queue_answer_time, avg_handle_time, avg_abandon_time, max_queued_time FROM connect_lake.queue_metrics_daily(' :'from' ', ' :'last' ') WHERE queue_kind = ''STANDARD'' ORDER BY day, queue_id, channel'
-- The same from the view queue_metrics_daily (every day, filtered).
\set view_q 'SELECT day, queue_id, channel, contacts_queued, contacts_handled, contacts_abandoned, contacts_transferred_out, service_level, abandonment_rate, avg_queue_answer_time, avg_handle_time, avg_abandon_time, max_queued_time FROM connect_lake.queue_metrics_daily WHERE day BETWEEN ' :'from' ' AND ' :'last' ' AND queue_kind = ''STANDARD'' ORDER BY day, queue_id, channel'

-- The plain way: the same rules computed from ctr_events.
CREATE TABLE public.plain_q AS SELECT format($q$
WITH follower AS (          -- the legs that continue a contact: its PreviousContactId ...
  SELECT f.previouscontactid AS contactid, f.initiationmethod FROM connect_lake.ctr_events f
   WHERE f.previouscontactid IS NOT NULL AND f.previouscontactid <> f.contactid
  UNION                     -- ... or the contact its NextContactId names
  SELECT e.contactid, f.initiationmethod FROM connect_lake.ctr_events e
    JOIN connect_lake.ctr_events f ON f.contactid = e.nextcontactid AND f.contactid <> e.contactid
), fm AS (
  SELECT contactid, bool_or(initiationmethod = 'CALLBACK') AS cb, bool_or(initiationmethod = 'QUEUE_TRANSFER') AS qx,
         bool_or(initiationmethod = 'TRANSFER') AS tr
    FROM follower GROUP BY contactid
), c AS (
  SELECT (e.disconnecttimestamp AT TIME ZONE 'Europe/London')::date AS day, e.queue_id, e.channel,
         e.queue_enqueuetimestamp IS NOT NULL AS queued, e.agent_connectedtoagentts IS NOT NULL AS handled,
         CASE WHEN e.queue_enqueuetimestamp IS NOT NULL
              THEN coalesce(e.queue_duration, floor(extract(epoch FROM e.queue_dequeuetimestamp - e.queue_enqueuetimestamp))::int,
                            floor(extract(epoch FROM e.disconnecttimestamp - e.queue_enqueuetimestamp))::int) END AS qt,
         coalesce(fm.cb, false) AS cb, coalesce(fm.qx, false) AS qx, coalesce(fm.tr, false) AS tr,
         e.transfercompletedtimestamp IS NOT NULL AS ext,
         e.agent_agentinteractionduration AS talk, e.agent_customerholdduration AS hold, e.agent_aftercontactworkduration AS acw,
         e.initiationtimestamp, e.disconnecttimestamp
    FROM connect_lake.ctr_events e LEFT JOIN fm USING (contactid)
   WHERE e.queue_arn IS NOT NULL AND e.queue_arn NOT LIKE '%%/queue/agent/%%'
     AND e.disconnecttimestamp >= %L::timestamp AT TIME ZONE 'Europe/London'
     AND e.disconnecttimestamp < %L::timestamp AT TIME ZONE 'Europe/London'
), k AS (                   -- counted contacts, with their flags
  SELECT day, queue_id, channel, queued, handled, qt,
         queued AND NOT handled AND cb AS callback, queued AND NOT handled AND qx AS xfer_queue,
         queued AND NOT handled AND NOT cb AND NOT qx AS abandoned,
         handled AND (tr OR ext) AS xfer_agent,
         CASE WHEN handled THEN coalesce(talk, 0) + coalesce(hold, 0) + coalesce(acw, 0) END AS handle
    FROM c
   WHERE disconnecttimestamp >= initiationtimestamp
     AND coalesce(least(qt, talk, hold, acw), 0) >= 0 AND coalesce(greatest(qt, talk, hold, acw), 0) <= 604800
)
SELECT day, queue_id, channel,
       count(*) FILTER (WHERE queued) AS contacts_queued,
       count(*) FILTER (WHERE handled) AS contacts_handled,
       count(*) FILTER (WHERE abandoned) AS contacts_abandoned,
       count(*) FILTER (WHERE xfer_agent OR xfer_queue) AS contacts_transferred_out,
       round(100.0 * count(*) FILTER (WHERE queued AND (handled OR abandoned OR callback) AND qt < 20)
             / nullif(count(*) FILTER (WHERE queued), 0), 6) AS service_level,
       round(100.0 * count(*) FILTER (WHERE abandoned) / nullif(count(*) FILTER (WHERE queued), 0), 6) AS abandonment_rate,
       round(sum(qt) FILTER (WHERE queued AND handled)::numeric / nullif(count(*) FILTER (WHERE queued AND handled), 0), 6)
         AS avg_queue_answer_time,
       round(sum(handle)::numeric / nullif(count(*) FILTER (WHERE handled), 0), 6) AS avg_handle_time,
       round(sum(qt) FILTER (WHERE abandoned)::numeric / nullif(count(*) FILTER (WHERE abandoned), 0), 6) AS avg_abandon_time,
       max(qt) FILTER (WHERE queued) AS max_queued_time
  FROM k
 GROUP BY day, queue_id, channel
 ORDER BY day, queue_id, channel
$q$, :'from', :'end') AS q;

CREATE TABLE public.result AS
SELECT 'lake' AS way, b.* FROM public.bench(:'lake_q', :lake_runs) b
UNION ALL
SELECT 'lake_view', b.* FROM public.bench(:'view_q', :plain_runs) b
UNION ALL
SELECT 'plain', b.* FROM public.plain_q, LATERAL public.bench(plain_q.q, :plain_runs) b;

\pset footer off
\echo
\echo '==> data'
SELECT :'from' AS first_day, :'last' AS last_day, :days AS days, :cpd AS contacts_a_day,
       '1/' || round(:seed_cpd::numeric / :cpd, 2) AS of_seed_volume,
       (SELECT count(*) FROM connect_lake.ctr_events) AS ctr_events,
       (SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) FROM pg_partition_tree('connect_lake.ctr_events')) AS ctr_events_size,
       (SELECT count(*) FROM connect_lake.contact_metric) AS contact_metric,
       (SELECT count(*) FROM connect_lake.metric_queue_interval) AS interval_rows,
       (SELECT count(*) FROM connect_lake.metric_queue_day) AS day_rows;
\echo '==> steps (seconds)'
SELECT round(:t_gen::numeric, 1) AS generate, round(:t_load::numeric, 1) AS load,
       round(:t_refresh::numeric, 1) AS metrics_refresh, round(:t_vacuum::numeric, 1) AS vacuum_analyze;
\echo '==> the dashboard: one row per queue, channel and London day, 10 metrics'
SELECT pg_read_file('/proc/loadavg') AS load_average;
SELECT way, nrows AS rows, round(median_ms::numeric, 2) AS median_ms, round(min_ms::numeric, 2) AS min_ms,
       round(cpu_ms::numeric, 1) AS cpu_ms_per_run,
       CASE way WHEN 'lake' THEN :lake_runs ELSE :plain_runs END AS runs, digest,
       CASE way WHEN 'lake' THEN 'queue_metrics_daily(from_day, to_day)' WHEN 'lake_view' THEN 'view queue_metrics_daily, WHERE day BETWEEN'
                ELSE 'plain SQL over ctr_events' END AS query
  FROM public.result ORDER BY way;
SELECT round((SELECT median_ms FROM public.result WHERE way = 'plain')::numeric
             / (SELECT median_ms FROM public.result WHERE way = 'lake')::numeric, 1) AS ratio,
       (SELECT count(DISTINCT digest) = 1 AND min(nrows) > 0 FROM public.result) AS same_answer;
\echo '==> extrapolated to the seed volume (60,000 contacts a day): plain SQL x contacts, lake x day rows (at most 12 queues x 4 channels x days)'
SELECT round(((SELECT median_ms FROM public.result WHERE way = 'plain') * :seed_cpd / :cpd)::numeric, 0) AS plain_ms_at_seed,
       round(((SELECT median_ms FROM public.result WHERE way = 'lake') * (12 * 4 * :days)::float8
              / (SELECT nrows FROM public.result WHERE way = 'lake'))::numeric, 1) AS lake_ms_at_full_rows,
       round(((SELECT median_ms FROM public.result WHERE way = 'plain') * :seed_cpd / :cpd
              / ((SELECT median_ms FROM public.result WHERE way = 'lake') * (12 * 4 * :days)::float8
                 / (SELECT nrows FROM public.result WHERE way = 'lake')))::numeric, 0) AS ratio_at_seed;
SELECT count(DISTINCT digest) = 1 AND min(nrows) > 0 AS answers_identical FROM public.result \gset
\if :answers_identical
\echo 'answers identical'
\else
\echo 'MISMATCH: the lake and the plain SQL differ'
SELECT 1/0 AS mismatch;
\endif
SQL
if [ -n "${TWO_YEARS:-}" ]; then
# The day-row count of two years at this volume, reached without two years of
# CTRs (which at the seed's volume do not fit on this disk): the rows a local
# day has in metric_queue_day and metric_queue_threshold_day are what the
# lake's dashboard reads, so the measured days' rows (real rows of this
# volume) are repeated over the 730 days before START, in a transaction that
# is rolled back, and queue_metrics_daily() is timed over those 730 days.
# The plain SQL is not run over them (its CTRs are not there): its figure is
# the measured one scaled by 730 / DAYS, printed as an extrapolation.
log "two years of day rows at this volume: the measured days' rows repeated over 730 days (rolled back)"
"${psql[@]}" -v from="$START" -v days="$DAYS" -v lake_runs="$LAKE_RUNS" <<'SQL'
SET client_min_messages = warning;
\pset footer off
BEGIN;
SELECT (:'from'::date - 730) AS y_from, (:'from'::date - 1) AS y_last \gset
DELETE FROM connect_lake.metric_queue_day WHERE day BETWEEN :'y_from' AND :'y_last';
DELETE FROM connect_lake.metric_queue_threshold_day WHERE day BETWEEN :'y_from' AND :'y_last';
INSERT INTO connect_lake.metric_queue_day
SELECT (:'y_from'::date + g.i)::date, r.queue_kind, r.queue_id, r.channel, r.contacts, r.contacts_queued, r.contacts_handled,
       r.contacts_handled_incoming, r.contacts_handled_outbound, r.contacts_handled_callback, r.contacts_handled_api,
       r.contacts_agent_hung_up_first, r.contacts_transferred_in, r.contacts_transferred_in_from_queue, r.contacts_answered,
       r.contacts_abandoned, r.contacts_abandoned_customer_disconnect, r.callbacks_requested, r.transferred_out_from_queue,
       r.transferred_out_internal, r.transferred_out_external, r.transferred_out_by_agent, r.contacts_put_on_hold,
       r.queue_answer_time_sum, r.abandon_time_sum, r.queued_time_max, r.handle_time_sum, r.interaction_time_sum,
       r.hold_time_sum, r.acw_time_sum, r.contact_duration_sum, r.resolution_time_sum
  FROM generate_series(0, 729) g(i)
  JOIN connect_lake.metric_queue_day r ON r.day = :'from'::date + g.i % :days;
INSERT INTO connect_lake.metric_queue_threshold_day
SELECT (:'y_from'::date + g.i)::date, r.queue_kind, r.queue_id, r.channel, r.threshold_s, r.answered_lt, r.answered_eq,
       r.abandoned_lt, r.abandoned_eq, r.removed_lt, r.removed_eq
  FROM generate_series(0, 729) g(i)
  JOIN connect_lake.metric_queue_threshold_day r ON r.day = :'from'::date + g.i % :days;
ANALYZE connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day;
\set y_q 'SELECT (interval_start AT TIME ZONE ''Europe/London'')::date AS day, queue_id, channel, contacts_queued, contacts_handled, contacts_abandoned, contacts_transferred_out, service_level, abandonment_rate, avg_queue_answer_time, avg_handle_time, avg_abandon_time, max_queued_time FROM connect_lake.queue_metrics_daily(' :'y_from' ', ' :'y_last' ') WHERE queue_kind = ''STANDARD'' ORDER BY day, queue_id, channel'
CREATE TEMP TABLE y_result AS SELECT * FROM public.bench(:'y_q', :lake_runs);
\echo '==> two years of day rows at this volume (the measured days repeated; rolled back afterwards)'
SELECT pg_read_file('/proc/loadavg') AS load_average;
SELECT :'y_from' AS first_day, :'y_last' AS last_day,
       (SELECT count(*) FROM connect_lake.metric_queue_day WHERE day BETWEEN :'y_from' AND :'y_last') AS day_rows,
       y.nrows AS dashboard_rows, round(y.median_ms::numeric, 2) AS median_ms, round(y.min_ms::numeric, 2) AS min_ms,
       round(y.cpu_ms::numeric, 1) AS cpu_ms_per_run
  FROM y_result y;
\echo '==> the plain SQL over two years at this volume: NOT measured, the measured run scaled by 730 / days (it reads every CTR)'
SELECT round((SELECT median_ms FROM public.result WHERE way = 'plain')::numeric * 730 / :days, 0) AS plain_ms_extrapolated,
       round((SELECT median_ms FROM public.result WHERE way = 'plain')::numeric * 730 / :days
             / (SELECT median_ms FROM y_result)::numeric, 0) AS ratio_extrapolated;
ROLLBACK;
SQL
fi
log "done"
