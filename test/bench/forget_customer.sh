#!/bin/sh
# Benchmark of forget_customer() on a generated lake, in a throw-away
# cluster: a generated month of every kind loaded, then 5 customers (the
# accounts with the most contacts that have cases) forgotten by account, each
# in a transaction rolled back, 3 runs, against the same statements with the
# planner kept off every index (the full scans of each table a lake without
# the indexes makes), both ways interleaved; prints the medians and their
# ratio.  Then the writers' erasure check when the list is empty: 3 x 3000
# ingest() calls against the same with no list table at all (ratio ~ 1).
#   test/bench/forget_customer.sh [days] [contacts-per-day]   (default 30 2000:
#   60,000 contacts, 1/30 of the seed's volume; the seed's is 30 60000)
# Needs the extension installed (make install) and the generator built
# (make gen); run as root or postgres.  Records the load average.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
days=${1:-30}
cpd=${2:-2000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$here/../gen/connect_gen" --out "$tmp/exports" --start 2026-09-01 --days "$days" --contacts-per-day "$cpd" \
	--customers $((days * cpd / 20)) --seed 14 --quiet
cp "$here/forget_customer.sql" "$tmp/"
chmod -R a+rX "$tmp"
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
run pg_virtualenv -v 15 -o shared_buffers=1GB -o max_wal_size=8GB -o work_mem=64MB \
	sh -c "psql -X -q -c 'CREATE EXTENSION connect_lake' && psql -X -q -v exports='$tmp/exports' -f '$tmp/forget_customer.sql'"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
