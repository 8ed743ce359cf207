#!/usr/bin/env bash
# What parsing one record costs, per kind and parser (issue #15): json-c as
# the loader uses it and its options, PostgreSQL's pg_parse_json with no and
# with minimal semantic actions, and a flat tape parser, on the records of one
# generated day exactly as the framer hands them out (test/bench/json_parse.c
# says what each measures).  No server; CPU time of the process, best of
# ROUNDS interleaved rounds.
#
#   test/bench/json_parse.sh [CONTACTS_PER_DAY [ROUNDS [KINDS]]]   defaults 10000 5 "ctr case_event contact_event"
# Environment: PG_CONFIG (headers and libpgcommon; default pg_config),
# CONNECT_LAKE_BENCH_DIR (/tmp/connect_lake_bench).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
per_day=${1:-10000}
rounds=${2:-5}
kinds=${3:-"ctr case_event contact_event"}
pgc=${PG_CONFIG:-pg_config}
work=${CONNECT_LAKE_BENCH_DIR:-/tmp/connect_lake_bench}/json_parse_$per_day
mkdir -p "$work"
gen=$work/gen
if [ ! -f "$gen/done" ]; then
	echo "generating one day of $per_day contacts in $gen"
	cc -std=c99 -O2 -o "$work/connect_gen" "$here/test/gen/connect_gen.c" -lz
	rm -rf "$gen"
	"$work/connect_gen" --out "$gen" --days 1 --contacts-per-day "$per_day" --quiet
	touch "$gen/done"
fi
# built as the server builds the extension (-O2)
cc -std=gnu99 -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers \
	-I"$here/src" -I"$($pgc --includedir)" -I"$($pgc --includedir-server)" $(pkg-config --cflags json-c) \
	-o "$work/json_parse" "$here/test/bench/json_parse.c" "$here"/src/framing*.c "$here/src/jsontape.c" "$here/src/decompress.c" \
	-L"$($pgc --pkglibdir)" -L"$($pgc --libdir)" -lpgcommon -lpgport $(pkg-config --libs json-c) -lz -lm
declare -A dir=([ctr]=ctr [contact_event]=contact_events [case_event]=cases [agent_event]=agent_events)
args=()
for k in $kinds; do args+=("$k=$gen/${dir[$k]}"); done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/json_parse" "$rounds" "${args[@]}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
