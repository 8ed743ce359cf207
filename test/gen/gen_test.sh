#!/bin/sh
# Self-check of the sample data generator: builds connect_gen and gen_check,
# generates a small day twice (same seed -> identical bytes), once with
# another seed (must differ), and recounts every record against SUMMARY.json
# with json-c.  Last line: "unit gen: N passed, N failed" (make unit runs it).  Needs cc, zlib, json-c.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen_test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

CC=${CC:-cc}
FLAGS="-std=c99 -O1 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Werror"
if $CC $FLAGS -o "$tmp/connect_gen" "$here/connect_gen.c" -lz; then ok "connect_gen builds without warnings"; else bad "connect_gen build"; fi
if $CC $FLAGS $(pkg-config --cflags json-c) -o "$tmp/gen_check" "$here/gen_check.c" $(pkg-config --libs json-c) -lz
then ok "gen_check builds"; else bad "gen_check build"; fi
[ -x "$tmp/gen_check" ] && [ -x "$tmp/connect_gen" ] || { echo "unit gen: $pass passed, $((fail + 1)) failed"; exit 1; }

args="--start 2026-10-25 --days 2 --contacts-per-day 500 --agents 60 --malformed 12 --heartbeat-secs 600 --quiet"
"$tmp/connect_gen" --out "$tmp/a" --seed 11 $args && ok "generate (seed 11)" || bad "generate (seed 11)"
"$tmp/connect_gen" --out "$tmp/b" --seed 11 $args --summary "$tmp/b.summary.json" && ok "generate again" || bad "generate again"
mv "$tmp/b.summary.json" "$tmp/b/SUMMARY.json"
if diff -r "$tmp/a" "$tmp/b" >/dev/null; then ok "same seed, identical bytes"; else bad "same seed gives different files"; fi
"$tmp/connect_gen" --out "$tmp/c" --seed 12 $args && ok "generate (seed 12)" || bad "generate (seed 12)"
if diff -r -q "$tmp/a" "$tmp/c" >/dev/null; then bad "another seed gives the same files"; else ok "another seed, other data"; fi
if "$tmp/gen_check" "$tmp/a" > "$tmp/check.out"; then ok "recount matches SUMMARY.json ($(grep -c '^ok' "$tmp/check.out") checks)"
else cat "$tmp/check.out"; bad "recount differs from SUMMARY.json"; fi
# layouts: Firehose object names, export layout, no .gz on Firehose objects
n=$(find "$tmp/a/ctr" -type f | grep -cE '/ctr/2026/1[0-2]/[0-3][0-9]/[0-2][0-9]/connect-ctr-firehose-1-2026-1[0-2]-[0-3][0-9]-[0-2][0-9]-[0-5][0-9]-[0-5][0-9]-[0-9a-f-]{36}$')
m=$(find "$tmp/a/ctr" -type f | wc -l)
[ "$n" -gt 0 ] && [ "$n" -eq "$m" ] && ok "CTR object keys ($n)" || bad "CTR object keys: $n of $m match"
n=$(find "$tmp/a/flowlogs/export" -type f -name 000000.gz | wc -l)
[ "$n" -gt 0 ] && ok "flow log export files ($n)" || bad "no flow log export files"
# several gzip members in some CTR object: gzip -l reports the first member only, so compare sizes
multi=0
for f in $(find "$tmp/a/ctr" -type f); do
    if [ "$(gzip -dc "$f" | wc -c)" -ne "$(gzip -l "$f" | awk 'NR==2 {print $2}')" ]; then multi=1; break; fi
done
[ $multi -eq 1 ] && ok "CTR objects with several gzip members" || bad "no CTR object with several gzip members"
echo "unit gen: $pass passed, $fail failed"
[ $fail -eq 0 ]
