#!/usr/bin/env bash
# load() at the limit, per kind (issue #15), ratios printed in one run:
#   load      connect_lake.load(kind, dir) of generated files (test/gen/connect_gen,
#             gzip Firehose objects as delivered), connect_lake.metrics_upkeep,
#             connect_lake.repeats_upkeep and connect_lake.flows_upkeep = off
#             (the commit-time upkeep of metrics, repeat contacts, agent
#             activity and flow tables is measured by test/bench/metrics_upkeep.sh
#             and flows_upkeep.sh; BENCH_UPKEEP=on keeps it in; case_state,
#             dimensions and account links, which load() keeps as it writes,
#             are counted in)
#   copy      COPY of load()'s own output rows (exported once, text format) back
#             into the same tables, emptied: same partitions, indexes, side tables
#             (for CTRs the rows load() writes into its side tables too:
#             contact_account, agent_dim, queue_dim, queue_name_history; for
#             case events the rows load() keeps in case_state, whose triggers
#             keep case_day and case_open, as when load() writes it)
#   plain     the plain-SQL path: COPY the records as JSON lines into a jsonb
#             table (since session 7 one that keeps them uncompressed, see
#             step_plain; the default storage is timed too, on a line of its
#             own), CREATE TABLE AS with ->> casts of the kind's columns
#             (test/bench/plain_kind_sql.py, from the kind's own field table;
#             case events: the case's system fields and, since session 7, the
#             custom fields case_field_map maps (filled from the generated
#             fields.json, as the README sets a lake up) in columns, and the
#             latest event of every case in a table, as load() has them); flow logs
#             from the same delivered bytes as load(): the CloudWatch envelopes
#             as JSON lines, their events taken apart by jsonb_array_elements()
#             and (message)::jsonb in the CREATE TABLE AS
# Rounds are interleaved (the order of the three rotates per round); each step
# is timed from the client, after a CHECKPOINT.  Printed per kind: best
# seconds of each, load/copy, plain/load, and microseconds per record; then
# the same from the CPU seconds (user + system) of the step's backend, which
# other work on a busy machine disturbs less than the wall clock.
#
#   test/bench/load_vs_copy.sh [CONTACTS_PER_DAY [ROUNDS [KINDS]]]   defaults 10000 3 all
# Environment: PG_CONFIG (the PostgreSQL to install into and run; default
# pg_config: the shared install, under the install lock), BENCH_PORT (54471),
# BENCH_UPKEEP (off; on: load() also keeps metrics and flow tables at commit),
# BENCH_PLAIN_STAGE (uncompressed: the plain path's staging table keeps rows
# up to 8,160 bytes uncompressed; compressed: PostgreSQL's default storage),
# BENCH_CASE_MAP (on: case_field_map filled from the generated fields.json,
# the plain path landing the same custom fields' columns; off: neither),
# CONNECT_LAKE_BENCH_DIR (/tmp/connect_lake_bench).  Runs as root (the cluster
# as postgres).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
per_day=${1:-10000}
rounds=${2:-3}
kinds=${3:-"ctr contact_event case_event agent_event contact_flow_log"}
pgc=${PG_CONFIG:-pg_config}
port=${BENCH_PORT:-54471}
work=${CONNECT_LAKE_BENCH_DIR:-/tmp/connect_lake_bench}/load_vs_copy_$per_day
bin=$($pgc --bindir)

mkdir -p "$work"
gen=$work/gen
if [ ! -f "$gen/done" ]; then
	echo "generating one day of $per_day contacts in $gen"
	cc -std=c99 -O2 -o "$work/connect_gen" "$here/test/gen/connect_gen.c" -lz
	rm -rf "$gen"
	"$work/connect_gen" --out "$gen" --days 1 --contacts-per-day "$per_day" --quiet
	touch "$gen/done"
fi
declare -A dir=([ctr]=ctr [contact_event]=contact_events [case_event]=cases [agent_event]=agent_events
	[contact_flow_log]=flowlogs/subscription)
# the tables load() writes rows into, which the COPY step lands back: for CTRs
# also the side tables load() keeps (account links; agent_dim, queue_dim and
# queue_name_history, written at its commit), so that both end with the same rows
declare -A tables=([ctr]="ctr_events contact_account agent_dim queue_dim queue_name_history"
	[contact_event]=contact_events [case_event]="case_events case_related_items"
	[agent_event]=agent_events [contact_flow_log]=contact_flow_log)
declare -A side=([case_event]=case_state)
# the plain path's input: records as JSON lines; flow logs as delivered, one
# subscription envelope a line (line breaks between tokens made blanks)
declare -A lines=([contact_flow_log]=.envelopes)
declare -A lines_opt=([contact_flow_log]=--envelopes)
for k in $kinds; do
	nd=$work/$k${lines[$k]:-}.ndjson
	if [ ! -s "$nd" ]; then
		find "$gen/${dir[$k]}" -type f -print0 | sort -z |
			xargs -0 python3 "$here/test/bench/to_ndjson.py" ${lines_opt[$k]:-} "$nd"
	fi
	python3 "$here/test/bench/plain_kind_sql.py" "$here/src" "$k" bench_stage bench_plain > "$work/$k.plain.sql"
done
mkdir -p "$work/out"
chmod a+rx "$work"; chmod -R a+rX "$gen" "$work"/*.ndjson; chown postgres: "$work/out"

# the module into the PostgreSQL of PG_CONFIG
cd "$here"
if [ "$($pgc --pkglibdir)" = "$(pg_config --pkglibdir 2>/dev/null)" ]; then
	flock /tmp/connect_lake.install.lock make -s install PG_CONFIG="$pgc" >/dev/null
else
	make -s -j2 PG_CONFIG="$pgc" >/dev/null && make -s install PG_CONFIG="$pgc" >/dev/null
fi

data=$work/data
rm -rf "$data"; mkdir -p "$data"; chown postgres: "$data"
runuser -u postgres -- "$bin/initdb" -D "$data" -A trust -E UTF8 --locale=C >/dev/null
cat >> "$data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$work/out'
shared_buffers = 128MB
max_wal_size = 4GB
timezone = 'UTC'
log_min_messages = warning
CONF
runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$work/out/log" -w start >/dev/null
trap 'runuser -u postgres -- "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null' EXIT
psql() { runuser -u postgres -- env PGOPTIONS='-c client_min_messages=warning' "$bin/psql" -X -q -h "$work/out" -p "$port" -d postgres -v ON_ERROR_STOP=1 "$@"; }
upkeep=${BENCH_UPKEEP:-off}
psql -c "CREATE EXTENSION connect_lake" -c "ALTER DATABASE postgres SET connect_lake.metrics_upkeep = $upkeep" \
	-c "ALTER DATABASE postgres SET connect_lake.flows_upkeep = $upkeep" \
	-c "ALTER DATABASE postgres SET connect_lake.repeats_upkeep = $upkeep"
# Case events: the lake set up as the README says, its case_field_map filled
# from the generated ListFields response (the custom fields' columns: level
# 1-3, the complaint fields, assigned agent ...); the plain path takes the
# same fields into the same columns (BENCH_CASE_MAP=off: neither does, the
# custom fields staying in jsonb on both sides, as before session 7)
case_map=${BENCH_CASE_MAP:-on}
if [[ " $kinds " == *" case_event "* && $case_map = on ]]; then
	psql -c "SELECT count(*) FROM connect_lake.case_field_map_load(pg_read_file('$gen/fields.json')::jsonb)" >/dev/null
	psql -c "COPY (SELECT m.field_id, m.column_name, m.field_type, format_type(a.atttypid, a.atttypmod)
	                FROM connect_lake.case_field_map m
	                JOIN pg_attribute a ON a.attrelid = 'connect_lake.case_events'::regclass AND a.attname = m.column_name
	               ORDER BY a.attnum) TO '$work/out/case_field_map.tsv'"
	python3 "$here/test/bench/plain_kind_sql.py" "$here/src" case_event bench_stage bench_plain \
		"$work/out/case_field_map.tsv" > "$work/case_event.plain.sql"
fi

now() { date +%s.%N; }
# one timed step: seconds of a psql script, after a checkpoint; the CPU
# seconds its backend used (user + system, /proc) into $work/out/cpu.last
tck=$(getconf CLK_TCK)
printf '%s\n' 'SELECT pg_catalog.pg_backend_pid() AS clpid \gset' '\setenv CLPID :clpid' > "$work/out/cpu_pre.sql"
echo "\\! awk '{printf \"%.2f\\n\", (\$14 + \$15) / $tck}' /proc/\$CLPID/stat > $work/out/cpu.last" > "$work/out/cpu_post.sql"
timed() {
	psql -c "CHECKPOINT"; local a; a=$(now)
	psql -f "$work/out/cpu_pre.sql" "$@" -f "$work/out/cpu_post.sql" >/dev/null
	echo "$(now) - $a" | bc
}
empty() {
	local k=$1 t
	for t in ${tables[$k]} ${side[$k]:-}; do psql -c "TRUNCATE connect_lake.$t"; done
	psql -c "DELETE FROM connect_lake.load_manifest WHERE kind = '$k'" -c "TRUNCATE connect_lake.load_rejects"
}
step_load() {
	empty "$1"
	timed -c "SELECT * FROM connect_lake.load('$1', '$gen/${dir[$1]}')"
}
step_copy() {
	local k=$1 t s=""
	empty "$k"
	for t in ${tables[$k]} ${side[$k]:-}; do s="$s COPY connect_lake.$t FROM '$work/out/$t.copy';"; done
	timed -c "BEGIN; $s COMMIT;"
}
# The plain path's staging table.  Stored as PostgreSQL stores jsonb by
# default, a record over 2 KB is compressed in place (pglz), and every ->>
# of the CREATE TABLE AS decompresses it again: 45 times per case event
# (session 7: the plain path's CPU 1.56 s against 0.96 s staged
# uncompressed; CTRs 5.37 s against 1.18 s).  A DBA extracting many
# columns from staged JSON lines keeps them uncompressed (the staging table's
# toast_tuple_target at its maximum: rows up to 8,160 bytes stay as they
# are), as the flow log path already reads each envelope's fields once; so
# does the plain path.  Both ways are timed in every round, the other one
# printed on a line of its own (BENCH_PLAIN_STAGE=compressed: the default
# storage in the table's plain column, as before session 7).
plain_stage=${BENCH_PLAIN_STAGE:-uncompressed}
case $plain_stage in
	uncompressed) other_stage=compressed;;
	compressed) other_stage=uncompressed;;
	*) echo "BENCH_PLAIN_STAGE: uncompressed or compressed" >&2; exit 2;;
esac
step_plain() {
	local k=$1 with=""
	[ "$2" = uncompressed ] && with="WITH (toast_tuple_target = 8160)"
	psql -c "DROP TABLE IF EXISTS bench_stage, bench_plain, bench_plain_case, bench_plain_item, bench_plain_state"
	timed -c "BEGIN; CREATE TABLE bench_stage (doc jsonb) $with;
	  COPY bench_stage FROM '$work/$k${lines[$k]:-}.ndjson' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02');" \
		-f "$work/$k.plain.sql" -c "COMMIT"
}
best() { printf '%s\n' "$@" | sort -g | head -1; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $per_day contacts, 1 day, $rounds rounds; commit upkeep $upkeep; case field map $case_map; plain stage $plain_stage"
printf '%-17s %9s %9s %9s %9s %9s %8s %8s %10s\n' kind records load_s copy_s plain_s load/copy plain/load us/rec '(rounds: load copy plain)'
for k in $kinds; do
	# load() once to make its output rows, which COPY lands back
	empty "$k"
	psql -c "SELECT * FROM connect_lake.load('$k', '$gen/${dir[$k]}')" >/dev/null
	recs=$(psql -At -c "SELECT sum(records) FROM connect_lake.load_manifest WHERE kind = '$k'")
	for t in ${tables[$k]} ${side[$k]:-}; do psql -c "COPY (SELECT * FROM connect_lake.$t) TO '$work/out/$t.copy'"; done
	L=(); C=(); P=(); Q=(); LC=(); CC=(); PC=(); QC=()
	sl() { L+=("$(step_load "$k")"); LC+=("$(cat "$work/out/cpu.last")"); }
	sc() { C+=("$(step_copy "$k")"); CC+=("$(cat "$work/out/cpu.last")"); }
	sp() {
		P+=("$(step_plain "$k" "$plain_stage")"); PC+=("$(cat "$work/out/cpu.last")")
		Q+=("$(step_plain "$k" "$other_stage")"); QC+=("$(cat "$work/out/cpu.last")")
	}
	for r in $(seq "$rounds"); do
		case $(( r % 3 )) in
			1) sl; sc; sp;;
			2) sc; sp; sl;;
			0) sp; sl; sc;;
		esac
	done
	l=$(best "${L[@]}"); c=$(best "${C[@]}"); p=$(best "${P[@]}")
	printf '%-17s %9d %9.2f %9.2f %9.2f %9.2f %9.2f %8.1f   %s | %s | %s\n' "$k" "$recs" "$l" "$c" "$p" \
		"$(echo "$l / $c" | bc -l)" "$(echo "$p / $l" | bc -l)" "$(echo "$l * 1000000 / $recs" | bc -l)" \
		"$(printf '%.2f ' "${L[@]}")" "$(printf '%.2f ' "${C[@]}")" "$(printf '%.2f ' "${P[@]}")"
	l=$(best "${LC[@]}"); c=$(best "${CC[@]}"); p=$(best "${PC[@]}")
	printf '%-17s %9s %9.2f %9.2f %9.2f %9.2f %9.2f %8.1f   %s | %s | %s\n' "  backend CPU" "" "$l" "$c" "$p" \
		"$(echo "$l / $c" | bc -l)" "$(echo "$p / $l" | bc -l)" "$(echo "$l * 1000000 / $recs" | bc -l)" \
		"$(printf '%.2f ' "${LC[@]}")" "$(printf '%.2f ' "${CC[@]}")" "$(printf '%.2f ' "${PC[@]}")"
	q=$(best "${Q[@]}"); l=$(best "${L[@]}")
	printf '%-47s %9.2f %9s %9.2f %8s   %s\n' "  plain, $other_stage stage" "$q" "" "$(echo "$q / $l" | bc -l)" "" \
		"$(printf '%.2f ' "${Q[@]}")"
	q=$(best "${QC[@]}"); l=$(best "${LC[@]}")
	printf '%-47s %9.2f %9s %9.2f %8s   %s\n' "    backend CPU" "$q" "" "$(echo "$q / $l" | bc -l)" "" \
		"$(printf '%.2f ' "${QC[@]}")"
	for t in ${tables[$k]} ${side[$k]:-}; do rm -f "$work/out/$t.copy"; done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
