#!/bin/sh
# Benchmark of the case views against a plain unindexed table of the same
# events, in a throw-away cluster.  Usage: test/bench/case_views.sh [events]
# (default 1000000).  Needs the extension installed (make install), run as
# root or postgres.  Prints each view's time, the plain way's, and the ratio.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
events=${1:-1000000}
tmp=$(mktemp -d); cp "$here/case_views.sql" "$tmp/"; chmod -R a+rX "$tmp"
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
run pg_virtualenv -v 15 -o shared_buffers=2GB -o max_wal_size=8GB -o maintenance_work_mem=1GB \
    psql -X -v events="$events" -f "$tmp/case_views.sql"
rm -rf "$tmp"
