#!/usr/bin/env bash
# What the writers' metric upkeep adds to load() (issue 12: at most 15% per
# kind), counted in instructions (valgrind's callgrind) instead of time: the
# figure does not move with what else the machine runs, so a change of a few
# percent shows on a shared machine, in one run, where the timed benchmark
# (metrics_upkeep.sh) needs a quiet one.  It complements that benchmark, it
# does not replace it: an index probe that misses the CPU's caches costs the
# same instructions as one that hits them, so the two shares may differ
# (session 10, CTRs, the third day: 33.2% of the instructions; the timed
# benchmark's commit against its statement: 0.33-0.37).
#
# A lake is made (single-user backends of a private copy of this machine's
# PostgreSQL with this tree's connect_lake, lib.sh) and the first two
# generated days of the kind are loaded with every upkeep on; then the third
# day is loaded, into a fresh copy of that lake each time, in a single-user
# backend under callgrind, once per mode: off (connect_lake.metrics_upkeep
# and connect_lake.repeats_upkeep off), rollups (ctr only: the contact
# metrics and rollups, repeats off), on (both on); and once a base run (the
# same backend with an empty transaction), taken out of every figure.
# Printed per kind and mode: the instructions of load() to its commit
# (millions), what the mode adds to off, and that as a share of off.
#
#   test/bench/upkeep_instructions.sh        KINDS="ctr agent_event" (default: ctr)
#
# About 2 minutes per CTR run (6 minutes in all); an agent-event day is
# larger (about 8 minutes a run).  Needs valgrind.  Data: the days of
# metrics_upkeep.sh (4 days of 20,000 contacts, seed 12) under
# $CONNECT_LAKE_BENCH_DIR (default /tmp/connect_lake_bench).  The callgrind
# files are kept in the printed directory (callgrind_annotate --inclusive=yes
# FILE shows where the instructions go).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/test/bench/lib.sh"
kinds=${KINDS:-ctr}
work=${CONNECT_LAKE_BENCH_DIR:-/tmp/connect_lake_bench}
data=$work/metrics_4d_20000

command -v valgrind >/dev/null || { echo "upkeep_instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
bench_gen_data "$here" "$data" 4 20000 12

tmp=$(mktemp -d /tmp/upkeep_instructions.XXXXXX)
chmod a+rwx "$tmp"
# (the callgrind files stay; the PostgreSQL copy and the clusters go)
trap 'rm -rf "$tmp/pg" "$tmp/clusters" "$tmp/pg.build.log"' EXIT
bench_log "private PostgreSQL and lake under $tmp"
bench_private_pg "$here" "$tmp/pg"
bin=$tmp/pg/usr/lib/postgresql/15/bin
mkdir -p "$tmp/clusters"
bench_initdb "$tmp/pg" "$tmp/clusters/lake"

# single DATA SQLFILE: a single-user backend runs SQLFILE (a statement a line)
single() { bench_as_pg "$bin/postgres" --single -D "$1" postgres <"$2" >"$2.log" 2>&1; }
# counted DATA SQLFILE OUT: the same under callgrind; prints the instructions
counted() {
	bench_as_pg valgrind --tool=callgrind --callgrind-out-file="$3" "$bin/postgres" --single -D "$1" postgres \
		<"$2" >"$3.log" 2>&1
	grep -q 'ERROR' "$3.log" && { echo "upkeep_instructions.sh: $2 failed:" >&2; grep ERROR "$3.log" >&2; return 1; }
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$3.log" | tail -1
}

printf '%s\n' "CREATE EXTENSION connect_lake;" >"$tmp/create.sql"
single "$tmp/clusters/lake" "$tmp/create.sql"

printf '%-12s %-8s %12s %12s %8s\n' kind mode "load_Minstr" "added_Minstr" share
for kind in $kinds; do
	case $kind in
	ctr) dir=ctr; modes="off rollups on" ;;
	agent_event) dir=agent_events; modes="off on" ;;
	*) echo "upkeep_instructions.sh: no metric upkeep for kind $kind" >&2; exit 2 ;;
	esac
	days=$(cd "$data/$dir" && find . -mindepth 3 -maxdepth 3 -type d | sort | sed "s|^\.|$data/$dir|")
	lake=$tmp/clusters/lake_$kind
	bench_as_pg cp -a "$tmp/clusters/lake" "$lake"
	{
		for d in $(echo "$days" | head -2); do echo "SELECT count(*) FROM connect_lake.load('$kind', '$d');"; done
		echo "VACUUM ANALYZE;"
	} >"$tmp/$kind.setup.sql"
	bench_log "$kind: the first two days, every upkeep on"
	single "$lake" "$tmp/$kind.setup.sql"
	day3=$(echo "$days" | sed -n 3p)
	base=
	off=
	for mode in base $modes; do
		case $mode in
		base|off) set="SET connect_lake.metrics_upkeep = off; SET connect_lake.repeats_upkeep = off;" ;;
		rollups) set="SET connect_lake.metrics_upkeep = on; SET connect_lake.repeats_upkeep = off;" ;;
		on) set="SET connect_lake.metrics_upkeep = on; SET connect_lake.repeats_upkeep = on;" ;;
		esac
		stmt="SELECT count(*) FROM connect_lake.load('$kind', '$day3');"
		[ "$mode" = base ] && stmt="SELECT 1;"
		printf '%s\n' "LOAD 'connect_lake'; $set BEGIN; $stmt COMMIT;" >"$tmp/$kind.$mode.sql"
		run=$tmp/clusters/run
		bench_as_pg rm -rf "$run"
		bench_as_pg cp -a "$lake" "$run"
		bench_log "$kind $mode: callgrind"
		n=$(counted "$run" "$tmp/$kind.$mode.sql" "$tmp/$kind.$mode.callgrind")
		bench_as_pg rm -rf "$run"
		case $mode in
		base) base=$n; continue ;;
		off) off=$((n - base)) ;;
		esac
		awk -v k="$kind" -v m="$mode" -v n="$((n - base))" -v off="$off" 'BEGIN {
			printf "%-12s %-8s %12.1f %12.1f %8.3f\n", k, m, n / 1e6, (n - off) / 1e6, (n - off) / off }'
	done
	bench_as_pg rm -rf "$lake"
done
echo "(callgrind files: $tmp/*.callgrind; load average $(bench_loadavg))"
