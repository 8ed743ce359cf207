#!/usr/bin/env bash
# load(..., workers => 2) against workers => 1 (issue 15: "loads use every
# core"): a 1/20 seed-scale month (test/gen/connect_gen, 30 days of 3,000
# contacts: 105,574 CTR records, 756,153 contact events) loaded into a
# fresh lake by one worker and by two, both ways in the same run,
# interleaved (ROUNDS rounds, the order swapped every round), with a load()
# in the session for reference.  Prints per kind the seconds of each way,
# records per second, the ratio (one worker's time / two workers' time: the
# throughput of two workers in units of one's), whether the three lakes
# hold the same rows and metrics, and the load average before and after
# (the machine is shared: the ratio is only meaningful on a quiet one).
#
#   test/bench/parallel_load.sh [ROUNDS]            default 1
# Environment: KINDS (default "ctr contact_event"), DAYS (30),
# CONTACTS_PER_DAY (3000), CONNECT_LAKE_PARALLEL_DIR (the data, default
# /tmp/connect_lake_parallel).  With PGPORT set the script uses that server
# (it must have max_worker_processes >= 4 and let this user CREATE
# DATABASE); otherwise it installs the module under the install lock and
# runs in a throw-away cluster (pg_virtualenv), like loader_bench.
# Last lines: "parallel_load KIND: ratio R (2 workers vs 1)".
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-1}
work=${CONNECT_LAKE_PARALLEL_DIR:-/tmp/connect_lake_parallel}
days=${DAYS:-30}
cpd=${CONTACTS_PER_DAY:-3000}
data=$work/month_${days}_$cpd

if [ ! -f "$data/SUMMARY.json" ]; then
	make -s -C "$here" gen >/dev/null
	rm -rf "$data"; mkdir -p "$work"
	"$here/test/gen/connect_gen" --out "$data" --start 2026-10-01 --days "$days" --contacts-per-day "$cpd" \
		--seed 15 --heartbeat-secs 0 --quiet
	chmod -R a+rX "$work"
fi
if [ -z "${PGPORT:-}" ]; then
	cd "$here"
	flock /tmp/connect_lake.install.lock make -s install >/dev/null
	cd /tmp
	exec runuser -u postgres -- pg_virtualenv -v 15 -o shared_buffers=256MB -o max_wal_size=4GB \
		-o max_worker_processes=8 \
		env CONNECT_LAKE_PARALLEL_DIR="$work" DAYS="$days" CONTACTS_PER_DAY="$cpd" KINDS="${KINDS:-}" \
		"$here/test/bench/parallel_load.sh" "$rounds"
fi

kinds=${KINDS:-ctr contact_event}
psql=(psql -X -q -v ON_ERROR_STOP=1 -At)
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

dir_of() {
	case $1 in
	ctr) echo "$data/ctr" ;;
	contact_event) echo "$data/contact_events" ;;
	esac
}

fresh() {
	"${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
	"${psql[@]}" -d "$1" -c 'CREATE EXTENSION connect_lake'
}

# seconds of one load() (workers: '' for in the session), its records checked
run_load() {
	local db=$1 kind=$2 workers=$3 arg='' out
	[ -n "$workers" ] && arg=", workers => $workers"
	fresh "$db"
	out=$("${psql[@]}" -d "$db" -F ' ' -c "SELECT records_read, files_failed, seconds FROM connect_lake.load('$kind', '$(dir_of "$kind")'$arg)")
	set -- $out
	[ "$2" = 0 ] || { echo "$db: $2 files failed" >&2; exit 1; }
	echo "$1 $3"
}

# what must not depend on who loaded what
fingerprint() {
	"${psql[@]}" -d "$1" <<'SQL'
SELECT md5(string_agg(x, '' ORDER BY x)) FROM (
  SELECT md5((to_jsonb(c) - 'source_file' - 'source_offset' - 'landed_at')::text) FROM connect_lake.ctr_events c
  UNION ALL SELECT md5((to_jsonb(e) - 'source_file' - 'source_offset' - 'landed_at')::text) FROM connect_lake.contact_events e
  UNION ALL SELECT md5(m::text) FROM connect_lake.contact_metric m
  UNION ALL SELECT md5(i::text) FROM connect_lake.metric_queue_interval i
  UNION ALL SELECT md5('queued ' || count(*)) FROM connect_lake.upkeep_queue) f(x)
SQL
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $rounds round(s); data $data"
for kind in $kinds; do
	t1=0 t2=0 ts=0 n=0
	for r in $(seq "$rounds"); do
		if [ $((r % 2)) = 1 ]; then order="1 2"; else order="2 1"; fi
		for w in $order; do
			set -- $(run_load "cl_par_w$w" "$kind" "$w")
			n=$1
			if [ "$w" = 1 ]; then t1=$(echo "$t1 + $2" | bc -l); else t2=$(echo "$t2 + $2" | bc -l); fi
		done
	done
	set -- $(run_load cl_par_s "$kind" '')
	ts=$2
	same=yes
	f1=$(fingerprint cl_par_w1); f2=$(fingerprint cl_par_w2); fs=$(fingerprint cl_par_s)
	[ "$f1" = "$f2" ] && [ "$f1" = "$fs" ] || same=NO
	printf '%-14s records %8d | 1 worker %8.1f s (%7.0f/s) | 2 workers %8.1f s (%7.0f/s) | in the session %7.1f s | same lake: %s\n' \
		"$kind" "$n" "$(echo "$t1 / $rounds" | bc -l)" "$(echo "$n * $rounds / $t1" | bc -l)" \
		"$(echo "$t2 / $rounds" | bc -l)" "$(echo "$n * $rounds / $t2" | bc -l)" "$ts" "$same"
	printf 'parallel_load %s: ratio %.2f (2 workers vs 1)\n' "$kind" "$(echo "$t1 / $t2" | bc -l)"
done
for db in cl_par_w1 cl_par_w2 cl_par_s; do "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db"; done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
