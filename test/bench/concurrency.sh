#!/usr/bin/env bash
# Concurrent load() sessions: deadlocks and exact counts (issue 16).
#
# For every kind (ctr, contact_event, case_event, agent_event,
# contact_flow_log) and every scenario, N rounds of S concurrent load()
# sessions on a fresh lake (the extension dropped and created again, so the
# rounds also race to create the month partitions).  A round counts
#   - a deadlock when any session fails with "deadlock detected",
#   - an error when any session fails otherwise,
#   - a mismatch when the lake's counts (rows of every lake table, the
#     versions counted on CTRs, loaded manifest rows) differ from one session
#     loading the same paths one after another.
# Scenarios (the data: test/gen/connect_gen, 4 days, contacts re-delivered
# on later days, so that disjoint days share contacts):
#   overlap2   2 sessions: the whole directory, and one of its days
#   overlap4   4 sessions: the whole directory twice, two of its days
#   glob4      4 sessions: overlapping globs (days 1-3, 2-4, *, 3-6)
#   disjoint4  4 sessions: one day directory each
#
#   test/bench/concurrency.sh [ROUNDS]                 default 20
# Environment: KINDS, SCENARIOS (space-separated subsets), CONTACTS_PER_DAY
# (default 300), CONNECT_LAKE_CONCURRENCY_DIR (data, default
# /tmp/connect_lake_concurrency).  With PGPORT set the script uses that
# server (it must be able to CREATE EXTENSION connect_lake); otherwise it
# installs the module under the install lock and runs in a throw-away
# cluster (pg_virtualenv), like loader_bench.
# Then a reader's longest wait during a load() that creates 24 months, and
# during the plain-SQL way (CREATE TABLE ... PARTITION OF, open 2 s).
# Last line: "concurrency: R rounds, D deadlocks, M count mismatches, E errors".
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-20}
work=${CONNECT_LAKE_CONCURRENCY_DIR:-/tmp/connect_lake_concurrency}
cpd=${CONTACTS_PER_DAY:-300}
data=$work/data_$cpd

if [ -z "${PGPORT:-}" ]; then
	make -s -C "$here" gen >/dev/null
	if [ ! -f "$data/SUMMARY.json" ]; then
		rm -rf "$data"; mkdir -p "$work"
		"$here/test/gen/connect_gen" --out "$data" --start 2026-10-01 --days 4 --contacts-per-day "$cpd" \
			--seed 16 --object-mb 1 --heartbeat-secs 0 --quiet
	fi
	chmod -R a+rX "$work"
	cd "$here"
	exec flock /tmp/connect_lake.install.lock sh -c "
	  make -s install >/dev/null &&
	  cd /tmp && runuser -u postgres -- pg_virtualenv -v 15 -o max_connections=40 -o deadlock_timeout=100ms \
	    env CONNECT_LAKE_CONCURRENCY_DIR='$work' CONTACTS_PER_DAY='$cpd' KINDS='${KINDS:-}' SCENARIOS='${SCENARIOS:-}' \
	    '$here/test/bench/concurrency.sh' '$rounds'"
fi

[ -f "$data/SUMMARY.json" ] || { echo "no data in $data: run without PGPORT first, or generate it" >&2; exit 2; }
kinds=${KINDS:-ctr contact_event case_event agent_event contact_flow_log}
scenarios=${SCENARIOS:-overlap2 overlap4 glob4 disjoint4}
tmp=$(mktemp -d /tmp/concurrency.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql=(psql -X -q -v ON_ERROR_STOP=1 -At)

# The kind's directory and its four "days" (flow logs: the export's four flow directories).
kind_dir() {
	case $1 in
	ctr) echo "$data/ctr/2026/10" ;;
	contact_event) echo "$data/contact_events/2026/10" ;;
	case_event) echo "$data/cases/2026/10" ;;
	agent_event) echo "$data/agent_events/2026/10" ;;
	contact_flow_log) echo "$data/flowlogs/export" ;;
	esac
}
days() { ls "$(kind_dir "$1")" | sort | head -4; }

# The paths of each session of a scenario, one per line.
paths() {
	local kind=$1 scenario=$2 dir d
	dir=$(kind_dir "$kind")
	mapfile -t d < <(days "$kind")
	case $scenario in
	overlap2) printf '%s\n' "$dir" "$dir/${d[1]}" ;;
	overlap4) printf '%s\n' "$dir" "$dir/${d[1]}" "$dir" "$dir/${d[2]}" ;;
	glob4)
		if [ "$kind" = contact_flow_log ]; then
			printf '%s\n' "$dir/[${d[0]:0:1}${d[1]:0:1}]*" "$dir/*" "$dir/${d[2]:0:1}*" "$dir/*[0-9a-f]"
		else
			printf '%s\n' "$dir/0[1-3]" "$dir/0[2-4]" "$dir/*" "$dir/0[3-6]"
		fi ;;
	disjoint4) printf '%s\n' "$dir/${d[0]}" "$dir/${d[1]}" "$dir/${d[2]}" "$dir/${d[3]}" ;;
	esac
}

fresh_lake() {
	"${psql[@]}" -c 'DROP EXTENSION IF EXISTS connect_lake CASCADE' -c 'CREATE EXTENSION connect_lake' 2>/dev/null
}

# What must not depend on how the sessions raced.
fingerprint() {
	"${psql[@]}" <<'SQL'
SELECT string_agg(t || '=' || n, ' ' ORDER BY t) FROM (
  SELECT c.relname::text AS t,
         (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM connect_lake.%I', c.relname), false, true, '')))[1]::text AS n
    FROM pg_class c
   WHERE c.relnamespace = 'connect_lake'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     AND c.relname NOT IN ('load_rejects', 'calendar', 'holiday', 'fact_table')
  UNION ALL SELECT 'ctr_versions', coalesce(sum(versions_seen), 0)::text FROM connect_lake.ctr_events
  UNION ALL SELECT 'manifest_loaded', count(*)::text FROM connect_lake.load_manifest WHERE status = 'loaded'
  UNION ALL SELECT 'manifest_records', coalesce(sum(records), 0)::text FROM connect_lake.load_manifest) f
SQL
}

load_sql() { printf "SELECT files_loaded, files_skipped, files_failed, coalesce(error, '-') FROM connect_lake.load('%s', '%s');\n" "$1" "$2"; }

total_rounds=0 total_dead=0 total_mis=0 total_err=0
printf '%-17s %-10s %6s %9s %10s %7s %8s\n' kind scenario rounds deadlocks mismatches errors seconds
for kind in $kinds; do
	for scenario in $scenarios; do
		mapfile -t p < <(paths "$kind" "$scenario")
		# the reference: the same paths loaded one after another
		fresh_lake
		for x in "${p[@]}"; do load_sql "$kind" "$x" | "${psql[@]}" >/dev/null; done
		ref=$(fingerprint)
		dead=0 mis=0 err=0
		start=$(date +%s.%N)
		for r in $(seq "$rounds"); do
			fresh_lake
			pids=()
			for i in "${!p[@]}"; do
				load_sql "$kind" "${p[$i]}" | "${psql[@]}" >"$tmp/out.$i" 2>"$tmp/err.$i" &
				pids+=($!)
			done
			for pid in "${pids[@]}"; do wait "$pid" || true; done
			if grep -qs 'deadlock detected' "$tmp"/err.*; then dead=$((dead + 1))
			elif grep -qsE 'ERROR|FATAL' "$tmp"/err.*; then err=$((err + 1)); grep -hE 'ERROR|FATAL' "$tmp"/err.* | head -2 >&2
			fi
			got=$(fingerprint)
			if [ "$got" != "$ref" ]; then
				mis=$((mis + 1))
				[ -n "${VERBOSE:-}" ] && { echo "want: $ref"; echo "got:  $got"; } >&2
			fi
			rm -f "$tmp"/out.* "$tmp"/err.*
		done
		secs=$(echo "$(date +%s.%N) - $start" | bc)
		printf '%-17s %-10s %6d %9d %10d %7d %8.1f\n' "$kind" "$scenario" "$rounds" "$dead" "$mis" "$err" "$secs"
		total_rounds=$((total_rounds + rounds)); total_dead=$((total_dead + dead))
		total_mis=$((total_mis + mis)); total_err=$((total_err + err))
	done
done
# A reader during a load() that creates months: the longest a count(*) of
# ctr_events waits, against the same reader during the plain-SQL way of
# adding a month (CREATE TABLE ... PARTITION OF in an open transaction).
# Both writers keep their transaction open 2 s after their work.
reader_max_ms() {	# the longest of 40 counts, 50 ms apart, in ms
	{ echo '\timing on'; for _ in $(seq 40); do echo "SELECT 'c', count(*) FROM connect_lake.ctr_events;"; echo 'SELECT pg_sleep(0.05);'; done; } |
		psql -X -At 2>/dev/null | awk '/^c\|/ { c = 1; next } c && /^Time:/ { if ($2 > m) m = $2; c = 0 } END { printf "%.1f", m }'
}
fresh_lake
"${psql[@]}" >/dev/null <<'SQL'
SELECT connect_lake.create_partition('connect_lake.ctr_events', '2023-12-15Z');
DO $$ BEGIN
  EXECUTE format('COPY (SELECT jsonb_build_object(''ContactId'', format(''a1b2c3d4-1617-4000-8000-%%s'', lpad(g::text, 12, ''0'')),
                                 ''InitiationTimestamp'', to_char(timestamptz ''2024-01-10Z'' + make_interval(months => g / 4), ''YYYY-MM-DD"T"HH24:MI:SS"Z"''))::text
                          FROM generate_series(0, 95) g) TO %L', current_setting('data_directory') || '/cl_reader_wait.ndjson');
END $$;
SQL
file=$("${psql[@]}" -c "SELECT current_setting('data_directory') || '/cl_reader_wait.ndjson'")
reader_max_ms >"$tmp/r1" & rp=$!
sleep 0.3
"${psql[@]}" -c 'BEGIN' -c "SELECT inserted FROM connect_lake.load('ctr', '$file')" -c 'SELECT pg_sleep(2)' -c 'COMMIT' >/dev/null
wait $rp
months=$("${psql[@]}" -c "SELECT count(*) - 1 FROM pg_inherits WHERE inhparent = 'connect_lake.ctr_events'::regclass")
reader_max_ms >"$tmp/r2" & rp=$!
sleep 0.3
"${psql[@]}" -c 'BEGIN' -c "CREATE TABLE connect_lake.ctr_events_p209912 PARTITION OF connect_lake.ctr_events FOR VALUES FROM ('2099-12-01Z') TO ('2100-01-01Z')" \
	-c 'SELECT pg_sleep(2)' -c 'COMMIT' >/dev/null
wait $rp
echo "reader wait: max $(cat "$tmp/r1") ms during a load() creating $months months; max $(cat "$tmp/r2") ms during CREATE TABLE ... PARTITION OF (plain SQL) in an open transaction"

echo "concurrency: $total_rounds rounds, $total_dead deadlocks, $total_mis count mismatches, $total_err errors"
[ "$total_dead" = 0 ] && [ "$total_mis" = 0 ] && [ "$total_err" = 0 ]
