#!/usr/bin/env bash
# The issue targets stated "at the seed's volume", measured on a month at the
# seed's volume (60,000 contacts a day, 30 days): test/gen/connect_gen writes
# the month (every kind, gzip), load() lands the kinds of KINDS (the upkeep
# off: a backfill), then
#   - flows_refresh() and contact_repeat_refresh() of the month, timed
#     (issue 13: the repeat flags of 1.9 million contacts in under 2 minutes),
#     a month of block funnels for the busiest flow against the plain-SQL way
#     over contact_flow_log (issue 13: under 200 ms and at least 20x), and
#     contact_journey() of 200 contacts (issue 13: under 20 ms);
#     (test/bench/flows_measure.sql)
#   - forget_customer() of 5 customers, 3 runs each, rolled back, with the
#     sequential scans it made of tables over 10,000 rows (issue 14: under
#     5 s, by indexes) (test/bench/seed_forget.sql);
#   - with METRICS=1, metrics_refresh() of the month, timed, and the rows a
#     day of metric_queue_day (what a dashboard of any length reads per day).
# Prints the load average beside each phase.
#
# The whole month of every kind takes more disk than this machine has (about
# 90 GB in the lake; the JSON is 7 GB gzip), so KINDS chooses; the default,
# "ctr contact_flow_log customer_profile_event", is about 25 GB (case events
# add about 16 GB, contact events 22 GB, agent events 20 GB).
#
#   test/bench/seed_month.sh        (settings: CPD 60000, DAYS 30, START 2026-10-01, SEED 42,
#                                    KINDS, METRICS, PORT 5597, WORK /tmp/connect_lake_seed_month,
#                                    KEEP=1 keeps WORK, REUSE=1 measures again a lake KEEP=1 left)
# Run as root (the cluster runs as postgres) or as a user who may run initdb.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/test/bench/lib.sh"
CPD=${CPD:-60000}
DAYS=${DAYS:-30}
START=${START:-2026-10-01}
SEED=${SEED:-42}
KINDS=${KINDS:-ctr contact_flow_log customer_profile_event}
PORT=${PORT:-5597}
WORK=${WORK:-/tmp/connect_lake_seed_month}
pg=$WORK/pg
data=$WORK/data
gen=$WORK/gen
cleanup() {
	local rc=$?
	bench_stop "$pg" "$data"
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
dir_of() {
	case $1 in
	ctr) echo ctr ;; contact_flow_log) echo flowlogs ;; contact_event) echo contact_events ;;
	case_event) echo cases ;; agent_event) echo agent_events ;; customer_profile_event) echo customer_profiles ;;
	*) echo "seed_month.sh: unknown kind $1" >&2; return 1 ;;
	esac
}

mkdir -p "$WORK"
bench_stop "$pg" "$data"
if [ -n "${REUSE:-}" ] && [ -f "$WORK/loaded" ]; then
	bench_log "reusing the lake loaded in $WORK"
	bench_start "$pg" "$data" "$PORT" "$WORK/sock"
else
	rm -rf "$pg" "$data" "$gen" "$WORK/loaded"
	bench_log "private PostgreSQL under $pg"
	bench_private_pg "$here" "$pg"
	bench_log "generate $DAYS days from $START at $CPD contacts a day, seed $SEED"
	"$here/test/gen/connect_gen" --out "$gen" --start "$START" --days "$DAYS" --contacts-per-day "$CPD" \
		--seed "$SEED" --summary "$WORK/SUMMARY.json" --quiet
	for kind in ctr contact_flow_log contact_event case_event agent_event customer_profile_event; do
		case " $KINDS " in *" $kind "*) ;; *) rm -rf "${gen:?}/$(dir_of "$kind")" ;; esac	# disk
	done
	bench_initdb "$pg" "$data"
	bench_start "$pg" "$data" "$PORT" "$WORK/sock"
	"${bench_psql[@]}" -c 'CREATE EXTENSION connect_lake'
	"${bench_psql[@]}" -Atc "SELECT 'case fields mapped: ' || count(*)
	                         FROM connect_lake.case_field_map_load(pg_read_file('$gen/fields.json')::jsonb)"
	for kind in $KINDS; do
		bench_log "load('$kind') (load average $(bench_loadavg))"
		"${bench_psql[@]}" -P footer=off <<-SQL
		SET client_min_messages = warning;
		SET connect_lake.flows_upkeep = off;
		SET connect_lake.metrics_upkeep = off;
		SELECT '$kind' AS kind, l.files_loaded, l.records_read, l.inserted, l.duplicates, l.rejected,
		       round(l.bytes / 1e6) AS mb, round(l.seconds::numeric, 1) AS seconds,
		       round(l.records_read / nullif(l.seconds, 0)) AS records_per_s
		  FROM connect_lake.load('$kind', '$gen/$(dir_of "$kind")', 'skip') l;
		SQL
		rm -rf "${gen:?}/$(dir_of "$kind")"	# landed: the disk it took is the next kind's
	done
	bench_log "VACUUM ANALYZE"
	"${bench_psql[@]}" -c 'VACUUM ANALYZE'
	touch "$WORK/loaded"
fi
"${bench_psql[@]}" -P footer=off <<-'SQL'
	SELECT (SELECT count(*) FROM connect_lake.ctr_events) AS ctrs,
	       (SELECT count(*) FROM connect_lake.contact_flow_log) AS flow_log_events,
	       (SELECT count(*) FROM connect_lake.contact_events) AS contact_events,
	       (SELECT count(*) FROM connect_lake.case_events) AS case_events,
	       (SELECT count(*) FROM connect_lake.agent_events) AS agent_events,
	       (SELECT count(*) FROM connect_lake.customer_profile_events) AS profile_events,
	       pg_size_pretty(pg_database_size(current_database())) AS lake;
	SQL
bench_log "flows, repeats, funnels and journeys (load average $(bench_loadavg))"
"${bench_psql[@]}" -f "$here/test/bench/flows_measure.sql"
bench_log "forget_customer (load average $(bench_loadavg))"
"${bench_psql[@]}" -f "$here/test/bench/seed_forget.sql"
if [ -n "${METRICS:-}" ]; then
	bench_log "metrics_refresh() of the month (load average $(bench_loadavg))"
	"${bench_psql[@]}" -P footer=off <<-'SQL'
	SELECT clock_timestamp() AS t0 \gset
	SELECT connect_lake.metrics_refresh() AS contacts,
	       round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS seconds;
	SELECT count(*) AS days, min(n) AS min_rows_a_day, round(avg(n), 1) AS avg_rows_a_day, max(n) AS max_rows_a_day
	  FROM (SELECT day, count(*) AS n FROM connect_lake.metric_queue_day
	         WHERE queue_kind = 'STANDARD' GROUP BY day) d;
	SQL
fi
bench_log "done (load average $(bench_loadavg))"
