#!/bin/sh
# Benchmark of forget_customer() (issue 14: one customer at the seed's
# volume under 5 s, by index lookups, not scans):
#
#   1. 5 customers (the accounts with the most contacts that have cases)
#      forgotten by account, each in a transaction rolled back, 3 runs,
#      against the same statements with the planner kept off every index
#      (the full scans of each table a lake without the indexes makes), both
#      ways interleaved; prints the medians, their ratio, and whether the
#      slowest call stayed under 5 s.
#   2. The writers' erasure check when the list is empty: 3 x 3000 ingest()
#      calls against the same with no list table at all (ratio ~ 1; rolled back).
#   3. Where it reads: every statement of one forget_customer() explained
#      (auto_explain, analyzed, rolled back), summarised per relation and
#      partition: index probes, sequential scans and the rows they read, the
#      slowest statements, and a verdict line (any sequential scan of more
#      than 1,000 rows of a lake table is listed).
#
#   test/bench/forget_customer.sh [days] [contacts-per-day]
#       a throw-away cluster (pg_virtualenv, the installed module) with a
#       generated month of every kind loaded (default 30 2000: 60,000
#       contacts, 1/30 of the seed's volume; the seed's is 30 60000).
#       Needs make install and make gen; run as root or postgres.
#   test/bench/forget_customer.sh --lake 'CONNINFO' [full-scan-customers]
#       an existing lake (e.g. 'host=/tmp/seedlake/sock port=5597
#       dbname=postgres'), loaded already: nothing is loaded, and nothing is
#       left changed (every erasure and ingest() is rolled back).  The
#       full-scan way is run for the first full-scan-customers (default 1; 0: none)
#       only: at the seed's volume each is a scan of every table.  Part 3
#       needs a superuser (LOAD 'auto_explain').
# Records the load average.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/forget_customer.sql" "$here/forget_customer_explain.sql" "$here/forget_customer_plans.py" "$tmp/"
chmod -R a+rX "$tmp"

if [ "${1:-}" = "--lake" ]; then
	lake=${2:?usage: forget_customer.sh --lake CONNINFO [full-scan-customers]}
	full=${3:-1}
	run psql -X -q -d "$lake" -v full_scan_customers="$full" -f "$tmp/forget_customer.sql"
	run psql -X -q -d "$lake" -f "$tmp/forget_customer_explain.sql" 2>&1 | python3 "$tmp/forget_customer_plans.py"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	exit
fi

days=${1:-30}
cpd=${2:-2000}
"$here/../gen/connect_gen" --out "$tmp/exports" --start 2026-09-01 --days "$days" --contacts-per-day "$cpd" \
	--customers $((days * cpd / 20)) --seed 14 --quiet
chmod -R a+rX "$tmp"
run pg_virtualenv -v 15 -o shared_buffers=1GB -o max_wal_size=8GB -o work_mem=64MB \
	sh -c "psql -X -q -c 'CREATE EXTENSION connect_lake' && psql -X -q -v exports='$tmp/exports' -f '$tmp/forget_customer.sql' &&
	       psql -X -q -f '$tmp/forget_customer_explain.sql' 2>&1 | python3 '$tmp/forget_customer_plans.py'"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
