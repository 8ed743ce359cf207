#!/usr/bin/env bash
# Benchmark of access by queue (issue 14): the cost of the queue policies and
# of security_invoker views for a role that is NOT restricted.  The tables
# keyed by queue always carry the row-level security policies (see
# sql/install/88_access.sql); the table owner and superusers bypass them,
# so the same statements run as the superuser are the lake without
# policies, and as an unrestricted reader the lake with them.  One run, both
# ways interleaved; prints per question the best of RUNS times (ms; the best,
# not the median, because the noise of a shared machine only adds), the ratio
# reader / superuser, and that both got the same answer, then what a role
# restricted to one queue gets.  Run as root (the cluster runs as postgres)
# or as a user who may run initdb.
#
#   test/bench/queue_access.sh [days] [contacts-per-day]     (default 30 3000)
#
# Environment: PG_BIN (default: pg_config --bindir; the extension must be
# installed there), PORT (54439), RUNS (timed runs per way, 15), WORK
# (/tmp/connect_lake_queue_access_bench), KEEP=1 keeps WORK.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
days=${1:-30}
cpd=${2:-3000}
bin=${PG_BIN:-$(pg_config --bindir)}
port=${PORT:-54439}
runs=${RUNS:-15}
WORK=${WORK:-/tmp/connect_lake_queue_access_bench}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
data=$WORK/data
stop() { as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true; [ -n "${KEEP:-}" ] || rm -rf "$WORK"; }
rm -rf "$WORK"; mkdir -p "$WORK"
trap stop EXIT
[ -x "$here/test/gen/connect_gen" ] || make -s -C "$here" gen
"$here/test/gen/connect_gen" --out "$WORK/gen" --start 2026-09-01 --days "$days" --contacts-per-day "$cpd" --seed 21 --quiet
cp "$here/test/bench/queue_access.sql" "$WORK/"
chmod -R a+rwX "$WORK"
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK"
as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log"
as_pg "$bin/pg_ctl" -D "$data" -l "$WORK/server.log" -w -o "-p $port -k $WORK -c listen_addresses='' \
  -c shared_buffers=512MB -c work_mem=64MB -c max_wal_size=4GB -c timezone=UTC" start >/dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
as_pg "$bin/psql" -X -q -h "$WORK" -p "$port" -d postgres -v gen="$WORK/gen" -v runs="$runs" -f "$WORK/queue_access.sql"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
