#!/bin/sh
# Benchmark of the flow and journey functions on a generated lake, in a
# throw-away cluster: flows_refresh(), a month of block funnels for one flow
# against the plain-SQL way over contact_flow_log (answers compared),
# contact_journey() of 200 contacts, and the repeat-contact flags
# (contact_repeat_refresh()) of every contact.
#   test/bench/flows.sh [days] [contacts-per-day]     (default 30 6000: 1/10 of the seed's volume)
# Needs the extension installed (make install) and the generator built
# (make gen); run as root or postgres.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
days=${1:-30}
cpd=${2:-6000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/../gen/connect_gen" --out "$tmp/exports" --start 2026-09-01 --days "$days" --contacts-per-day "$cpd" \
	--seed 13 --quiet
cp "$here/flows.sql" "$here/flows_measure.sql" "$tmp/"
chmod -R a+rX "$tmp"
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
run pg_virtualenv -v 15 -o shared_buffers=2GB -o max_wal_size=8GB -o maintenance_work_mem=1GB -o work_mem=256MB \
	psql -X -q -v exports="$tmp/exports" -v days="$days" -f "$tmp/flows.sql"
