#!/usr/bin/env bash
# What a case event's load() pays for, part by part (issue #15, "a case event
# no slower per record than a contact event"; session 9): the backend's CPU
# seconds of load() of one generated day of case events on the lake as it is,
# and on the same lake with one part of the case model taken away, in turns;
# and a contact event's load() of the same day in the same rounds.  What each
# part costs a case record is the difference; what each variant takes from
# the readers is in the README (Performance, "Case events, sixth pass").
# The variants (benchmark only: nothing here is a setting of the lake):
#   as is            the lake as installed
#   no case_day      case_day_keep(false): no triggers keeping case_day and case_open
#   ... no state idx and case_state's six indexes besides its key dropped
#   months key only  every index of the case_events / case_related_items month but the key
#   no refresh       case_state_refresh() replaced by a no-op (case_state not kept)
#   no refresh, key  both of the last two
#
#   test/bench/case_load_parts.sh [CONTACTS_PER_DAY [ROUNDS]]   defaults 10000 2
# Environment: WORK (/tmp/connect_lake_case_parts: generated day, a private
# copy of this machine's PostgreSQL 15 with this tree's connect_lake, the
# cluster), PORT (5597), KEEP=1 keeps WORK.  Run as root (the cluster runs as
# postgres) or as a user who may run initdb.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/test/bench/lib.sh"
per_day=${1:-10000}
rounds=${2:-2}
WORK=${WORK:-/tmp/connect_lake_case_parts}
PORT=${PORT:-5597}
pg=$WORK/pg; data=$WORK/data; sock=$WORK/sock; gen=$WORK/gen
cleanup() {
	bench_stop "$pg" "$data"
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$WORK"; mkdir -p "$WORK"
bench_log "build in $here; private PostgreSQL under $pg"
bench_private_pg "$here" "$pg"
bench_log "generate one day at $per_day contacts"
"$here/test/gen/connect_gen" --out "$gen" --days 1 --contacts-per-day "$per_day" --quiet
chmod -R a+rX "$WORK"
bench_initdb "$pg" "$data"
bench_start "$pg" "$data" "$PORT" "$sock"
psql() { "${bench_psql[@]}" "$@"; }
psql -c "ALTER DATABASE postgres SET client_min_messages = warning" \
	-c "ALTER DATABASE postgres SET connect_lake.metrics_upkeep = off" \
	-c "ALTER DATABASE postgres SET connect_lake.flows_upkeep = off" \
	-c "ALTER DATABASE postgres SET connect_lake.repeats_upkeep = off"

# The lake anew, as the README sets it up (case_field_map from the generated
# ListFields response), its month made by a first load() of each kind, emptied.
fresh() {
	psql -c "DROP EXTENSION IF EXISTS connect_lake CASCADE" -c "CREATE EXTENSION connect_lake" \
		-c "SELECT count(*) FROM connect_lake.case_field_map_load(pg_read_file('$gen/fields.json')::jsonb)" >/dev/null
	psql -c "SELECT count(*) FROM connect_lake.load('case_event', '$gen/cases')" \
		-c "SELECT count(*) FROM connect_lake.load('contact_event', '$gen/contact_events')" >/dev/null
}
empty() {
	psql -c "TRUNCATE connect_lake.case_events, connect_lake.case_related_items, connect_lake.case_state, connect_lake.contact_events" \
		-c "DELETE FROM connect_lake.load_manifest" -c "TRUNCATE connect_lake.load_rejects" -c "CHECKPOINT"
}
# CPU seconds (user + system) of one load() of the kind's day, by its backend
tck=$(getconf CLK_TCK)
cpu_load() {
	local kind=$1 dir=$2 f=$WORK/cpu.sql
	empty
	cat > "$f" <<SQL
SELECT pg_catalog.pg_backend_pid() AS clpid \gset
\setenv CLPID :clpid
\! awk '{print \$14 + \$15}' /proc/\$CLPID/stat > $WORK/cpu.0
SELECT count(*) FROM connect_lake.load('$kind', '$gen/$dir') \g /dev/null
\! awk '{print \$14 + \$15}' /proc/\$CLPID/stat > $WORK/cpu.1
SQL
	chmod a+r "$f"; chmod a+w "$WORK"
	psql -f "$f"
	echo "($(cat "$WORK/cpu.1") - $(cat "$WORK/cpu.0")) / $tck" | bc -l
}
months="SELECT format('DROP INDEX %s', string_agg(i.indexrelid::regclass::text, ', '))
          FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indrelid
         WHERE h.inhparent IN ('connect_lake.case_events'::regclass, 'connect_lake.case_related_items'::regclass)
           AND NOT i.indisunique \gexec"
state="SELECT format('DROP INDEX %s', string_agg(i.indexrelid::regclass::text, ', '))
         FROM pg_index i WHERE i.indrelid = 'connect_lake.case_state'::regclass AND NOT i.indisprimary \gexec"
noop="CREATE OR REPLACE FUNCTION connect_lake.case_state_refresh(since timestamptz DEFAULT '-infinity', case_ids text[] DEFAULT NULL)
      RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint'"
notrig="SELECT connect_lake.case_day_keep(false)"
names=("as is" "no case_day" "... no state idx" "months key only" "no refresh" "no refresh, key")
setup() {
	case $1 in
	0) ;;
	1) psql -c "$notrig" >/dev/null ;;
	2) psql -c "$notrig" >/dev/null; echo "$state" | psql >/dev/null ;;
	3) echo "$months" | psql >/dev/null ;;
	4) psql -c "$noop" >/dev/null ;;
	5) psql -c "$noop" >/dev/null; echo "$months" | psql >/dev/null ;;
	esac
}
declare -A cpu
fresh
cases=$(psql -At -c "SELECT sum(records) FROM connect_lake.load_manifest WHERE kind = 'case_event'")
contacts=$(psql -At -c "SELECT sum(records) FROM connect_lake.load_manifest WHERE kind = 'contact_event'")
echo "load average before: $(bench_loadavg); $(nproc) cores; $per_day contacts, 1 day ($cases case records, $contacts contact events), $rounds rounds, two load()s each"
for r in $(seq "$rounds"); do
	for v in "${!names[@]}"; do
		fresh; setup "$v"
		for i in 1 2; do cpu[$v]="${cpu[$v]:-} $(cpu_load case_event cases)"; done
	done
	fresh
	for i in 1 2; do cpu[c]="${cpu[c]:-} $(cpu_load contact_event contact_events)"; done
done
best() { printf '%s\n' $@ | sort -g | head -1; }
printf '%-22s %8s %10s   %s\n' variant "CPU s" "us/record" "(every load)"
for v in "${!names[@]}"; do
	b=$(best ${cpu[$v]})
	printf '%-22s %8.2f %10.1f   %s\n' "case: ${names[$v]}" "$b" "$(echo "$b * 1000000 / $cases" | bc -l)" "$(printf '%.2f ' ${cpu[$v]})"
done
b=$(best ${cpu[c]})
printf '%-22s %8.2f %10.1f   %s\n' "contact events" "$b" "$(echo "$b * 1000000 / $contacts" | bc -l)" "$(printf '%.2f ' ${cpu[c]})"
echo "load average after: $(bench_loadavg)"
