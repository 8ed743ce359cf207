#!/usr/bin/env bash
# Analysts at the same time as a load (issue 15): 16 concurrent clients
# (pgbench) ask the case views and the metrics queries of a generated month
# while load() lands the next day of every kind, against the same clients on
# the same lake with nothing loading, in one run.  Prints, per query and for
# all, transactions per second and the 50th / 95th / 99th percentile
# latencies of each phase (while loading: the transactions that ran while
# load() did); the goal is a 95th percentile under 100 ms for the
# views while the load runs.  The last line reads "analysts: p95 views X ms
# quiet, Y ms loading; metrics ...".
#
# The lake: test/gen/connect_gen writes DAYS + 1 days ending yesterday (the
# views count the last 30 and 90 days) at CPD contacts a day; every kind of
# the first DAYS days is loaded (test/sample/load.sql: load(), then the
# flows and repeats), metrics_refresh(), VACUUM ANALYZE; the last day is kept
# back for the load during the second phase.  Default CPD 6000 = 1/10 of the
# seed's 60,000 contacts a day.
#
#   test/bench/analysts.sh [--cpd 6000] [--days 30] [--clients 16] [--secs 60]
#
# Environment: the options' names in capitals, PORT (5596), WORK
# (/tmp/connect_lake_analysts_bench: generated files, cluster, a private copy
# of this machine's PostgreSQL 15 with this tree's connect_lake installed, so
# no install lock is needed), KEEP=1 keeps WORK, REUSE=1 starts from the lake
# a KEEP=1 run loaded (the second phase's load needs files the manifest has
# not seen: REUSE generates the last day anew, with other contacts).
# Run as root (the cluster runs as postgres) or as a user who may run initdb.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
CPD=${CPD:-6000}
DAYS=${DAYS:-30}
CLIENTS=${CLIENTS:-16}
SECS=${SECS:-60}
PORT=${PORT:-5596}
WORK=${WORK:-/tmp/connect_lake_analysts_bench}
while [ $# -gt 0 ]; do
	case $1 in
	--cpd) CPD=$2; shift ;;
	--days) DAYS=$2; shift ;;
	--clients) CLIENTS=$2; shift ;;
	--secs) SECS=$2; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "analysts.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

t_begin=$(date +%s)
log() { printf '[%s +%ss] %s\n' "$(date -u +%H:%M:%S)" "$(( $(date +%s) - t_begin ))" "$*"; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg=$WORK/pg
bin=$pg/usr/lib/postgresql/15/bin
data=$WORK/data
sock=$WORK/sock
gen=$WORK/gen
later=$WORK/later
cleanup() {
	local rc=$?
	[ -f "$data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start_server() {
	as_pg "$bin/pg_ctl" -D "$data" -l "$WORK/server.log" -w -o "-p $PORT -k $sock -c listen_addresses='' \
 -c max_connections=50 -c shared_buffers=2GB -c work_mem=32MB -c maintenance_work_mem=512MB \
 -c max_wal_size=8GB -c checkpoint_timeout=30min -c jit=off" start >/dev/null
}
psql=(as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$PORT" -U postgres -d postgres)
START=$(date -u -d "today - $(( DAYS + 1 )) days" +%F)
HELD=$(date -u -d "yesterday" +%Y/%m/%d)	# the day kept back

# The held-back day of every kind, moved from the generated tree to $1.
hold_back() {
	local k
	for k in ctr flowlogs contact_events cases agent_events; do
		mkdir -p "$1/$k/$(dirname "$HELD")"
		[ -d "$gen/$k/$HELD" ] && mv "$gen/$k/$HELD" "$1/$k/$HELD"
	done
	cp "$gen/fields.json" "$1/"
}

mkdir -p "$WORK"
[ -f "$data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
if [ -n "${REUSE:-}" ] && [ -f "$WORK/loaded" ]; then
	log "reusing the lake loaded in $WORK"
	rm -rf "$gen" "$later"
	make -C "$here" -s gen >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
	"$here/test/gen/connect_gen" --out "$gen" --start "$(date -u -d yesterday +%F)" --days 1 --contacts-per-day "$CPD" \
		--seed $(( $(date +%s) % 100000 )) --heartbeat-secs 0 --quiet
	hold_back "$later"
	if [ "$(id -u)" = 0 ]; then chown -R postgres: "$WORK"; fi
	start_server
else
	rm -f "$WORK/loaded"; rm -rf "$pg" "$data" "$sock" "$gen" "$later"
	mkdir -p "$pg/usr/lib/postgresql" "$pg/usr/share/postgresql" "$sock"
	log "build in $here; private PostgreSQL under $pg"
	make -C "$here" -s -j2 all gen >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
	cp -a /usr/lib/postgresql/15 "$pg/usr/lib/postgresql/"
	cp -a /usr/share/postgresql/15 "$pg/usr/share/postgresql/"
	make -C "$here" -s install DESTDIR="$pg" >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
	log "generate $(( DAYS + 1 )) days from $START at $CPD contacts a day; $HELD kept back"
	"$here/test/gen/connect_gen" --out "$gen" --start "$START" --days $(( DAYS + 1 )) --contacts-per-day "$CPD" \
		--seed 15 --heartbeat-secs 0 --quiet
	hold_back "$later"
	if [ "$(id -u)" = 0 ]; then chown -R postgres: "$WORK"; fi
	as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log"
	start_server
	case $(readlink "/proc/$(head -1 "$data/postmaster.pid")/exe") in
	"$bin"/*) ;; *) echo "analysts.sh: the server does not run from the private copy" >&2; exit 1 ;;
	esac
	"${psql[@]}" -c 'CREATE EXTENSION connect_lake'
	log "load every kind of $DAYS days (test/sample/load.sql)"
	"${psql[@]}" -v exports="$gen" -f "$here/test/sample/load.sql" | sed 's/^/    /'
	log "metrics_refresh(), VACUUM ANALYZE"
	"${psql[@]}" -Atc "SELECT 'contacts: ' || connect_lake.metrics_refresh()"
	"${psql[@]}" -c 'VACUUM ANALYZE'
	touch "$WORK/loaded"
fi
"${psql[@]}" -Atc "SELECT 'lake: ' || (SELECT count(*) FROM connect_lake.ctr_events) || ' CTRs, '
	|| (SELECT count(*) FROM connect_lake.contact_events) || ' contact events, '
	|| (SELECT count(*) FROM connect_lake.case_events) || ' case events, '
	|| (SELECT count(*) FROM connect_lake.contact_flow_log) || ' flow log events, '
	|| (SELECT count(*) FROM connect_lake.agent_events) || ' agent events, '
	|| pg_size_pretty(pg_database_size(current_database()))"

# ---- The analysts' queries: one pgbench script each, picked at random.
sq=$WORK/scripts; rm -rf "$sq"; mkdir -p "$sq"
"${psql[@]}" -c "DROP TABLE IF EXISTS public.bench_req; CREATE TABLE public.bench_req AS
SELECT jsonb_build_object(
  'ResourceArn', 'arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111',
  'StartTime', extract(epoch FROM current_date - 3)::bigint, 'EndTime', extract(epoch FROM current_date)::bigint,
  'Interval', '{\"IntervalPeriod\": \"FIFTEEN_MIN\", \"TimeZone\": \"UTC\"}'::jsonb,
  'Filters', jsonb_build_array(jsonb_build_object('FilterKey', 'QUEUE', 'FilterValues',
      (SELECT jsonb_agg(queue_id) FROM (SELECT queue_id FROM connect_lake.metric_queue_interval
          WHERE queue_kind = 'STANDARD' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 10) q))),
  'Groupings', '[\"QUEUE\"]'::jsonb,
  'Metrics', '[{\"Name\": \"CONTACTS_QUEUED\"}, {\"Name\": \"CONTACTS_HANDLED\"}, {\"Name\": \"CONTACTS_ABANDONED\"},
    {\"Name\": \"AVG_QUEUE_ANSWER_TIME\"}, {\"Name\": \"AVG_HANDLE_TIME\"}, {\"Name\": \"ABANDONMENT_RATE\"},
    {\"Name\": \"SERVICE_LEVEL\", \"Threshold\": [{\"Comparison\": \"LT\", \"ThresholdValue\": 20}]}]'::jsonb) AS request"
i=0
while IFS='|' read -r kind name query; do
	i=$((i + 1))
	printf '%s\n' "$query" > "$sq/$i.sql"
	printf '%s|%s|%s\n' "$i" "$kind" "$name" >> "$sq/index"
done <<'EOF'
view|open_case_backlog|SELECT * FROM connect_lake.open_case_backlog;
view|case_volume_daily, 30 days|SELECT * FROM connect_lake.case_volume_daily WHERE day >= current_date - 30;
view|complaints_daily, 30 days|SELECT * FROM connect_lake.complaints_daily WHERE day >= current_date - 30;
view|complaints_by_subject|SELECT * FROM connect_lake.complaints_by_subject;
view|cases_by_category|SELECT * FROM connect_lake.cases_by_category;
view|overdue_cases, counted|SELECT count(*) FROM connect_lake.overdue_cases;
view|case_current, one account|SELECT * FROM connect_lake.case_current WHERE account = (SELECT account FROM connect_lake.case_state WHERE account IS NOT NULL OFFSET (random() * 1000)::int LIMIT 1);
metrics|queue_metrics_daily, 30 days|SELECT * FROM connect_lake.queue_metrics_daily WHERE day >= current_date - 30;
metrics|queue_metrics_15min, one day|SELECT * FROM connect_lake.queue_metrics_15min WHERE interval_start >= current_date - 2 AND interval_start < current_date - 1;
metrics|agent_metrics_daily, 7 days|SELECT * FROM connect_lake.agent_metrics_daily WHERE day >= current_date - 7;
metrics|get_metric_data_v2, 3 days x 15 min x 10 queues|SELECT connect_lake.get_metric_data_v2(request) FROM public.bench_req;
EOF
nscripts=$i
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$sq"; fi

# One phase: pgbench for SECS seconds, every transaction logged.
phase() {
	local name=$1 args=() s
	for s in $(seq 1 "$nscripts"); do args+=(-f "$sq/$s.sql"); done
	rm -rf "$WORK/log_$name"; mkdir -p "$WORK/log_$name"
	if [ "$(id -u)" = 0 ]; then chown postgres: "$WORK/log_$name"; fi
	(cd "$WORK/log_$name" && as_pg "$bin/pgbench" -n -h "$sock" -p "$PORT" -U postgres -c "$CLIENTS" -j 2 \
		-T "$SECS" --log --log-prefix=tx "${args[@]}" postgres > "$WORK/pgbench_$name.out" 2>&1) ||
		{ cat "$WORK/pgbench_$name.out"; exit 1; }
	cat "$WORK/log_$name"/tx* > "$WORK/tx_$name"
}

log "phase 1: $CLIENTS clients for $SECS s, nothing loading"
phase quiet
log "phase 2: $CLIENTS clients for $SECS s while load() lands $HELD of every kind"
( date +%s.%N > "$WORK/load_window"
  "${psql[@]}" -v exports="$later" -f "$here/test/sample/load.sql" > "$WORK/load_during.out" 2>&1; echo $? > "$WORK/load_during.rc"
  date +%s.%N >> "$WORK/load_window" ) &
loader=$!
phase loading
wait $loader
[ "$(cat "$WORK/load_during.rc")" = 0 ] || { cat "$WORK/load_during.out"; echo "analysts.sh: the load failed" >&2; exit 1; }
log "the load (every kind of one day):"; sed 's/^/    /' "$WORK/load_during.out"

# ---- Figures: per query and per kind of query, each phase.
python3 - "$WORK" "$sq/index" "$SECS" "$CLIENTS" <<'PY'
import sys, collections
work, index, secs, clients = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
lo, hi = (float(x) for x in open(f'{work}/load_window').read().split())
names = {}
for line in open(index):
    i, kind, name = line.rstrip('\n').split('|')
    names[int(i) - 1] = (kind, name)
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] if xs else float('nan')
res, span = {}, {}
for ph in ('quiet', 'loading'):
    lat = collections.defaultdict(list)
    for line in open(f'{work}/tx_{ph}'):
        f = line.split()
        # client_id transaction_no time_us script_no time_epoch time_us (the end)
        end = int(f[4]) + int(f[5]) / 1e6
        start = end - int(f[2]) / 1e6
        # while loading: the transactions that ran, in part, while load() did
        if ph == 'loading' and (end < lo or start > hi):
            continue
        lat[int(f[3])].append(int(f[2]) / 1000.0)
    res[ph] = lat
span = {'quiet': secs, 'loading': min(secs, hi - lo)}
print(f'\n{clients} clients, {secs:.0f} s quiet; the load took {hi - lo:.1f} s; latencies in ms (p50 / p95 / p99),'
      ' transactions per second')
print(f'{"query":<52} {"quiet":>26} {"while loading":>26}')
def row(label, q, l):
    f = lambda xs, t: f'{pct(xs,50):6.1f} {pct(xs,95):7.1f} {pct(xs,99):7.1f} {len(xs)/t:5.1f}/s' if xs else '-'
    print(f'{label:<52} {f(q, span["quiet"]):>26} {f(l, span["loading"]):>26}')
for s in sorted(names):
    row(f'{names[s][0]}: {names[s][1]}', res['quiet'][s], res['loading'][s])
summary = []
for kind in ('view', 'metrics'):
    q = [x for s in names if names[s][0] == kind for x in res['quiet'][s]]
    l = [x for s in names if names[s][0] == kind for x in res['loading'][s]]
    row(f'all {kind}s' if kind == 'view' else 'all metrics', q, l)
    summary.append(f'p95 {kind} {pct(q,95):.1f} ms quiet, {pct(l,95):.1f} ms loading')
q = [x for s in names for x in res['quiet'][s]]; l = [x for s in names for x in res['loading'][s]]
row('all', q, l)
print('\nanalysts: ' + '; '.join(summary) + f'; {len(q)/span["quiet"]:.0f} and {len(l)/span["loading"]:.0f} transactions/s')
PY
