#!/usr/bin/env bash
# load() over many small files: memory is bounded by the work, not by the
# directory.  N files (default 100,000: 100 day directories of 1,000 files,
# one contact flow log event each) are loaded once, then loaded again (every
# file skipped), each in a fresh backend, and the script prints for each
#   - the seconds load() took and its files_loaded / files_skipped,
#   - the backend's peak memory (VmHWM from /proc/<pid>/status: private
#     memory plus the shared buffers it touched; shared_buffers is 16MB here
#     so that the figure is mostly the backend's own),
# and, for the re-run, the ratio against the plain-SQL way of telling that
# nothing changed: pg_ls_dir + pg_stat_file over the same tree joined with
# load_manifest on path, size and mtime.  Goals (issue #16): both runs under
# 100 MB, the re-run under 5 s.
#
#   test/bench/many_files.sh [N]
#
# Settings (environment): PER_DIR (files per directory, default 1000;
# PER_DIR=100000 puts them all in one), PORT (54337), WORK (default
# /tmp/connect_lake_many_files: files, cluster, private PostgreSQL), KEEP=1
# keeps WORK afterwards (the server is stopped whatever happens).
# Standalone like seed_scale.sh: the cluster runs from a private copy of this
# machine's PostgreSQL 15 with this tree's connect_lake installed into it, so
# no install lock is needed.  Run as root (the cluster runs as postgres) or
# as a user who may run initdb.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-100000}
PORT=${PORT:-54337}
WORK=${WORK:-/tmp/connect_lake_many_files}
per_dir=${PER_DIR:-1000}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg=$WORK/pg
bin=$pg/usr/lib/postgresql/15/bin
data=$WORK/data
sock=$WORK/sock
files=$WORK/files_${n}_$per_dir
cleanup() {
	local rc=$?
	if [ -f "$data/postmaster.pid" ]; then
		as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK"
if [ -f "$data/postmaster.pid" ]; then
	as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
fi
rm -rf "$pg" "$data" "$sock"
mkdir -p "$pg/usr/lib/postgresql" "$pg/usr/share/postgresql" "$sock"

echo "== build, private PostgreSQL under $pg"
make -C "$here" -s -j2 all >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
cp -a /usr/lib/postgresql/15 "$pg/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$pg/usr/share/postgresql/"
rm -f "$pg"/usr/share/postgresql/15/extension/connect_lake* "$pg"/usr/lib/postgresql/15/lib/connect_lake.so
rm -rf "$pg"/usr/lib/postgresql/15/lib/bitcode/connect_lake*
make -C "$here" -s install DESTDIR="$pg" >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }

if [ ! -f "$files.done" ]; then
	echo "== generating $n files under $files"
	python3 - "$files" "$n" "$per_dir" <<'PY'
import os, sys
root, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(root, "2024-05-%02d" % (i // per % 28 + 1), "h%03d" % (i // per))
    if i % per == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "flow-%06d.json" % i), "w") as f:
        f.write('{"ContactId":"00000000-0000-4000-8000-%012d","ContactFlowId":"arn:aws:connect:eu-west-1:1:instance/i/contact-flow/f",'
                '"ContactFlowName":"Main","ContactFlowModuleType":"SetQueue","Identifier":"block %d",'
                '"Timestamp":"2024-05-01T10:%02d:%02d.%03dZ","Parameters":{"Queue":"q%d"}}\n'
                % (i, i, i // 60 % 60, i % 60, i % 1000, i % 50))
PY
	touch "$files.done"
fi
chmod -R a+rX "$WORK"
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$WORK"; fi

cd "$WORK"
as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log"
as_pg "$bin/pg_ctl" -D "$data" -l "$WORK/server.log" -w -o "-p $PORT -k $sock -c listen_addresses='' \
 -c shared_buffers=16MB -c max_wal_size=4GB -c jit=off -c fsync=off" start >/dev/null
psql=(as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$PORT" -U postgres -d postgres)
"${psql[@]}" <<'SQL'
CREATE EXTENSION connect_lake;
CREATE FUNCTION public.peak_kb() RETURNS bigint LANGUAGE sql AS
$$ SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') from 'VmHWM:\s*(\d+) kB')::bigint $$;
-- the plain-SQL way of telling which files are unchanged: list the tree, stat
-- every file, join with the manifest
CREATE FUNCTION public.plain_unchanged(root text) RETURNS bigint LANGUAGE sql AS $$
  WITH RECURSIVE walk(path, isdir) AS (
    SELECT root, true
    UNION ALL
    SELECT w.path || '/' || e, (pg_stat_file(w.path || '/' || e)).isdir
      FROM walk w, pg_ls_dir(w.path) e
     WHERE w.isdir AND e NOT LIKE '.%')
  SELECT count(*) FROM walk w
    JOIN LATERAL pg_stat_file(w.path) s ON true
    JOIN connect_lake.load_manifest m
      ON m.kind = 'contact_flow_log' AND m.path = w.path AND m.size = s.size
     AND m.mtime = s.modification AND m.status = 'loaded'
   WHERE NOT w.isdir $$;
SQL

run() {	# label: one load() in a fresh backend
	"${psql[@]}" -At -F ' ' -c "SET client_min_messages = warning" \
		-c "SELECT '$1', files_seen, files_loaded, files_skipped, files_failed, round(seconds::numeric, 2), public.peak_kb()
		      FROM connect_lake.load('contact_flow_log', '$files')"
}
echo "== load() of $n files (shared_buffers 16MB): run files_seen files_loaded files_skipped files_failed seconds peak_kB"
first=$(run first); echo "$first"
again=$(run rerun); echo "$again"
plain=$("${psql[@]}" -At -c "SELECT extract(epoch FROM clock_timestamp() - now())::numeric(10,2) FROM (SELECT public.plain_unchanged('$files')) s")
rows=$("${psql[@]}" -At -c "SELECT count(*) FROM connect_lake.contact_flow_log")
read -r _ _ _ _ _ t1 m1 <<<"$first"
read -r _ _ _ skipped _ t2 m2 <<<"$again"
echo
echo "== results"
printf 'files %d, rows landed %d\n' "$n" "$rows"
printf 'first load: %6.2f s, peak %6.1f MB\n' "$t1" "$(echo "$m1 / 1024" | bc -l)"
printf 're-run:     %6.2f s, peak %6.1f MB, %d files skipped\n' "$t2" "$(echo "$m2 / 1024" | bc -l)" "$skipped"
printf 'plain SQL (pg_ls_dir + pg_stat_file joined with the manifest): %.2f s; ratio plain / re-run %.2f\n' \
	"$plain" "$(echo "$plain / $t2" | bc -l)"
ok=1
[ "$rows" = "$n" ] || { echo "FAIL: $rows rows, expected $n"; ok=0; }
[ "$skipped" = "$n" ] || { echo "FAIL: the re-run skipped $skipped of $n files"; ok=0; }
[ "$m1" -lt 102400 ] && [ "$m2" -lt 102400 ] || { echo "over the goal: peak memory 100 MB"; ok=0; }
[ "$(echo "$t2 < 5" | bc)" = 1 ] || { echo "over the goal: re-run 5 s"; ok=0; }
[ $ok = 1 ] && echo "goals met (both runs < 100 MB, re-run < 5 s)"
[ $ok = 1 ]
