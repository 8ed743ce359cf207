#!/usr/bin/env bash
# Benchmark of get_metric_data_v2() (issue 12's target: a request for 3 days
# x 15-minute intervals x 10 queues x 30 metrics answers in under 100 ms at
# the seed's volume, 60,000 contacts a day).  In one run:
#   - generates DAYS days (default 4) at CPD contacts a day (default 60000)
#     with test/gen/connect_gen, loads the CTRs with connect_lake.load() and
#     builds the metrics with metrics_refresh();
#   - times get_metric_data_v2() on the request of test/bench/metric_api.sql
#     (the 10 busiest queues, 3 days from the second day, grouped by QUEUE,
#     30 metrics: counts, averages, service levels LT 20 and LTE 60, within-X
#     counts, metric filters) and the same figures computed the plain-SQL way
#     from ctr_events (each contact's flags, its later legs joined on
#     PreviousContactId / NextContactId): warm wall-clock medians of RUNS
#     runs each and the backend's CPU time per call (which a busy machine
#     does not inflate), both and the ratios;
#   - checks that both give the same answer (every row and value): a
#     mismatch is printed and the script exits non-zero.
#
#   test/bench/metric_api.sh            (settings: CPD, DAYS, SEED, RUNS, PORT, WORK, KEEP=1)
#
# Standalone on a shared machine: the cluster runs from a private copy of
# this machine's PostgreSQL 15 under WORK with this work tree's connect_lake
# installed into it (make install DESTDIR=...), so the shared install lock is
# not needed.  Run as root (the cluster runs as postgres) or as a user who
# may run initdb.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
CPD=${CPD:-60000}
DAYS=${DAYS:-4}
SEED=${SEED:-42}
RUNS=${RUNS:-9}
PORT=${PORT:-54338}
WORK=${WORK:-/tmp/connect_lake_metric_api_bench}
START=${START:-2026-09-01}
case ${1:-} in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac

t_begin=$(date +%s)
log() { printf '[%s +%ss] %s\n' "$(date -u +%H:%M:%S)" "$(( $(date +%s) - t_begin ))" "$*"; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg=$WORK/pg
bin=$pg/usr/lib/postgresql/15/bin
data=$WORK/data
sock=$WORK/sock
cleanup() {
	local rc=$?
	if [ -f "$data/postmaster.pid" ]; then as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true; fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK"
if [ -f "$data/postmaster.pid" ]; then as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true; fi
rm -rf "$pg" "$data" "$sock" "$WORK/gen"
mkdir -p "$pg/usr/lib/postgresql" "$pg/usr/share/postgresql" "$sock"

log "build (make all, make gen) and a private PostgreSQL under $pg"
make -C "$here" -s -j2 all >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
make -C "$here" -s gen >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
cp -a /usr/lib/postgresql/15 "$pg/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$pg/usr/share/postgresql/"
rm -f "$pg"/usr/share/postgresql/15/extension/connect_lake* "$pg"/usr/lib/postgresql/15/lib/connect_lake.so
rm -rf "$pg"/usr/lib/postgresql/15/lib/bitcode/connect_lake*
make -C "$here" -s install DESTDIR="$pg" >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }

log "generate $DAYS days at $CPD contacts a day from $START (seed $SEED)"
"$here/test/gen/connect_gen" --out "$WORK/gen" --start "$START" --days "$DAYS" --contacts-per-day "$CPD" --seed "$SEED" --quiet
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$WORK"; fi
chmod -R a+rX "$WORK/gen"

as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log"
as_pg "$bin/pg_ctl" -D "$data" -l "$WORK/server.log" -w -o "-p $PORT -k $sock -c listen_addresses='' \
 -c shared_buffers=1GB -c work_mem=64MB -c maintenance_work_mem=512MB -c max_wal_size=8GB -c jit=off \
 -c max_parallel_workers_per_gather=0" start >/dev/null
psql=(as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$PORT" -U postgres)
"${psql[@]}" -d postgres -c 'CREATE DATABASE lake'
"${psql[@]}" -d lake -c 'CREATE EXTENSION connect_lake'

log "load the CTRs and build the metrics (metrics_refresh())"
"${psql[@]}" -d lake -At -F' ' -c 'SET client_min_messages = warning' -c "
	SELECT 'load: ' || files_loaded || ' files, ' || records_read || ' records, ' || inserted || ' contacts, '
	       || files_failed || ' files failed' FROM connect_lake.load('ctr', '$WORK/gen/ctr')"
"${psql[@]}" -d lake -At -c "SELECT 'metrics_refresh: ' || connect_lake.metrics_refresh() || ' contacts'"
"${psql[@]}" -d lake -c 'VACUUM ANALYZE'

log "request: 3 days x 15-minute intervals x 10 queues x 30 metrics; warm medians of $RUNS runs"
out=$("${psql[@]}" -d lake -At -F' ' -v runs="$RUNS" <<SQL
\\i $here/test/bench/metric_api.sql
SELECT (SELECT count(*) FROM plain), (SELECT count(*) FROM lake),
       (SELECT jsonb_array_length(request->'Metrics') FROM bench_req),
       (SELECT count(*) FROM (SELECT * FROM plain) p FULL JOIN lake l USING (iv, queue)
         WHERE p.vals IS NULL OR l.vals IS NULL
            OR cardinality(p.vals) <> cardinality(l.vals)
            OR EXISTS (SELECT 1 FROM generate_subscripts(p.vals, 1) i
                        WHERE (p.vals[i] IS NULL) <> (l.vals[i] IS NULL) OR abs(p.vals[i] - l.vals[i]) > 1e-9)),
       pg_temp.median_ms('SELECT connect_lake.get_metric_data_v2(request) FROM bench_req', :runs),
       pg_temp.median_ms('SELECT jsonb_agg(p) FROM plain p', greatest(:runs / 3, 1)),
       pg_temp.cpu_ms_per_call('SELECT connect_lake.get_metric_data_v2(request) FROM bench_req', 4 * :runs),
       pg_temp.cpu_ms_per_call('SELECT jsonb_agg(p) FROM plain p', greatest(:runs / 3, 1)),
       (SELECT pg_column_size(connect_lake.get_metric_data_v2(request)) FROM bench_req);
SQL
)
read -r plain_rows lake_rows metrics differing lake_ms plain_ms lake_cpu plain_cpu bytes <<<"$out"
printf '  results %s (plain SQL %s) x %s metrics, response %.1f MB of jsonb\n' "$lake_rows" "$plain_rows" "$metrics" \
	"$(echo "$bytes / 1000000" | bc -l)"
printf '                           wall (median)   CPU per call\n'
printf '  get_metric_data_v2      %9.1f ms   %9.1f ms\n' "$lake_ms" "$lake_cpu"
printf '  plain SQL (ctr_events)  %9.1f ms   %9.1f ms\n' "$plain_ms" "$plain_cpu"
printf '  ratio                   %9.1fx    %9.1fx     target: under 100 ms\n' "$(echo "$plain_ms / $lake_ms" | bc -l)" \
	"$(echo "$plain_cpu / $lake_cpu" | bc -l)"
printf '  machine: %s cores, load average %s (wall-clock grows with the load; CPU per call does not)\n' "$(nproc)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$differing" != 0 ] || [ "$plain_rows" != "$lake_rows" ]; then
	echo "!!! MISMATCH: $differing rows differ between get_metric_data_v2 and the plain SQL" >&2
	exit 1
fi
echo "  same answer: every row and value of the response equals the plain SQL's"
