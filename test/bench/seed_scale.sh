#!/usr/bin/env bash
# Benchmark at (a fraction of) the seed scale: generates a month of Amazon
# Connect exports with test/gen/connect_gen, loads every kind with
# connect_lake.load(), and reports
#   - load throughput per kind (records/s, MB/s of uncompressed JSON),
#   - the lake's size on disk per table (all partitions and indexes),
#   - for each analysts' view, the warm median latency next to the same
#     answer computed the plain-SQL way from a plain, unindexed,
#     unpartitioned copy of the case events (CREATE TABLE AS), the ratio, and
#     whether both give identical results (a mismatch is printed loudly and
#     the script exits non-zero).  Target: every view at least 10x faster.
#
# The seed scale (60000 contacts a day for 30 days) is 77 GB of JSON; loading
# it takes well over an hour and more disk than a 75 GB machine has.  So the
# script runs a stated fraction of it at two sizes (default 1/20 and 1/10:
# 3000 and 6000 contacts a day over 30 days) to show how the cost grows.
#
#   test/bench/seed_scale.sh [--update-readme] [--sizes "3000 6000"] [--days 30]
#
#   --update-readme   replace the "Benchmark figures" section of README.md
#                     (between the seed-scale-benchmark markers) with this run's
#
# Settings (environment): SIZES (contacts a day, one run each; default
# "3000 6000"), DAYS (30), SEED (42), START (default: DAYS days before today,
# so the "last 30/90 days" views see the whole month), RUNS (timed runs per
# query after one warm-up; default 5), SEED_CPD / SEED_DAYS (the seed scale
# the fraction is stated against: 60000 / 30), PORT (5593), WORK (default
# /tmp/connect_lake_seed_scale: generated files, cluster, private PostgreSQL),
# KEEP=1 keeps WORK afterwards (the server is stopped whatever happens).
#
# Standalone and safe on a shared machine: the cluster runs from a private
# copy of this machine's PostgreSQL 15 under WORK/pg with this work tree's
# connect_lake installed into it (make install DESTDIR=...), so another
# engineer's `make install` cannot change the binaries mid-run, and the
# shared install lock is not needed.  Run as root (the
# cluster runs as postgres) or as a user who may run initdb.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
SIZES=${SIZES:-"3000 6000"}
DAYS=${DAYS:-30}
SEED=${SEED:-42}
RUNS=${RUNS:-5}
SEED_CPD=${SEED_CPD:-60000}
SEED_DAYS=${SEED_DAYS:-30}
PORT=${PORT:-5593}
WORK=${WORK:-/tmp/connect_lake_seed_scale}
update_readme=0
while [ $# -gt 0 ]; do
	case $1 in
	--update-readme) update_readme=1 ;;
	--sizes) SIZES=$2; shift ;;
	--days) DAYS=$2; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "seed_scale.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
START=${START:-$(date -u -d "-$DAYS days" +%F)}

t_begin=$(date +%s)
log() { printf '[%s +%ss] %s\n' "$(date -u +%H:%M:%S)" "$(( $(date +%s) - t_begin ))" "$*"; }
now() { date +%s.%N; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
fraction() {	# contacts/day -> "1/20" (or "0.0333") of the seed scale
	awk -v c="$1" -v d="$DAYS" -v sc="$SEED_CPD" -v sd="$SEED_DAYS" 'BEGIN {
		f = (c * d) / (sc * sd); r = 1 / f;
		if (f < 1 && r == int(r)) printf "1/%d", r; else printf "%.4g", f }'
}

# ---- 0. private PostgreSQL with this tree's connect_lake
pg=$WORK/pg
bin=$pg/usr/lib/postgresql/15/bin
data=$WORK/data
sock=$WORK/sock
res=$WORK/results
server_started=0
cleanup() {
	local rc=$?
	if [ "$server_started" = 1 ] || [ -f "$data/postmaster.pid" ]; then
		as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK"
if [ -f "$data/postmaster.pid" ]; then	# a previous run's server, left behind
	as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
fi
rm -rf "$pg" "$data" "$sock" "$res" "$WORK"/gen-*
mkdir -p "$pg/usr/lib/postgresql" "$pg/usr/share/postgresql" "$sock" "$res"

log "build (make all, make gen) in $here"
make -C "$here" -s -j2 all >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
make -C "$here" -s gen >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
log "private PostgreSQL under $pg"
# PostgreSQL finds share/ and lib/ relative to its binary, so the copy runs
# from where it lies.  No lock is needed: only connect_lake's files could be
# changing under us (someone's make install), and those are removed from the
# copy and installed from this tree.
cp -a /usr/lib/postgresql/15 "$pg/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$pg/usr/share/postgresql/"
rm -f "$pg"/usr/share/postgresql/15/extension/connect_lake* "$pg"/usr/lib/postgresql/15/lib/connect_lake.so
rm -rf "$pg"/usr/lib/postgresql/15/lib/bitcode/connect_lake*
make -C "$here" -s install DESTDIR="$pg" >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }

if [ "$(id -u)" = 0 ]; then chown -R postgres: "$WORK"; fi
cd "$WORK"
log "cluster in $data (port $PORT, socket $sock)"
as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log"
server_started=1
as_pg "$bin/pg_ctl" -D "$data" -l "$WORK/server.log" -w -o "-p $PORT -k $sock -c listen_addresses='' \
 -c shared_buffers=2GB -c work_mem=64MB -c maintenance_work_mem=512MB -c max_wal_size=8GB \
 -c checkpoint_timeout=30min -c jit=off -c max_parallel_workers_per_gather=0" start >/dev/null
psql=(as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$PORT" -U postgres)
server_version=$("${psql[@]}" -d postgres -Atc 'SELECT version()')
running=$(readlink "/proc/$(head -1 "$data/postmaster.pid")/exe" || echo '?')
log "server: $running ($server_version)"
case $running in "$bin"/*) ;; *) echo "seed_scale.sh: the server does not run from the private copy" >&2; exit 1 ;; esac

"${psql[@]}" -d postgres <<'SQL'
CREATE SCHEMA bench;
CREATE TABLE bench.load (cpd int, kind text, files bigint, records bigint, inserted bigint, updated bigint,
                         duplicates bigint, rejected bigint, gz_bytes bigint, raw_bytes bigint, secs float8);
CREATE TABLE bench.size (cpd int, tbl text, partitions int, nrows bigint, bytes bigint);
CREATE TABLE bench.view (cpd int, ord int, view text, lake_ms float8, plain_ms float8,
                         lake_rows bigint, plain_rows bigint, match boolean);
CREATE TABLE bench.step (cpd int, step text, secs float8);
CREATE TABLE bench.run (cpd int, frac text);
SQL
step() { "${psql[@]}" -d postgres -c "INSERT INTO bench.step VALUES ($1, '$2', $3)"; }

# The analysts' views, and the same answers the plain-SQL way: each case's
# latest event by approximateChangeTime (then event id) from a plain copy of
# case_events, deleted cases left out, open unless the status is closed or resolved; the
# same days (Europe/London, the default calendar's zone) and the lake's
# working-day functions for due dates (test/bench/working_days.sh measures
# those against plain SQL).
bench_sql=$(cat <<'SQL'
SET client_min_messages = warning;
CREATE FUNCTION public.bench(q text, runs int, OUT median_ms float8, OUT nrows bigint, OUT digest text)
LANGUAGE plpgsql AS $fn$
DECLARE
  t0 timestamptz;
  ms float8[] := '{}';
  -- every output column, in order, as text: nothing is left uncomputed
  w  text := format('SELECT count(*), md5(coalesce(string_agg(t::text, E''\n''), '''')) FROM (%s) t', q);
BEGIN
  EXECUTE w INTO nrows, digest;                       -- warm-up, and the answer
  FOR i IN 1 .. runs LOOP
    t0 := clock_timestamp();
    EXECUTE w;
    ms := ms || 1000 * extract(epoch FROM clock_timestamp() - t0)::float8;
  END LOOP;
  SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) INTO median_ms FROM unnest(ms) x;
END
$fn$;

CREATE TABLE public.bench_q (ord int, view text, lake_sql text, plain_sql text);
WITH p(prefix) AS (SELECT $p$WITH latest AS (
  SELECT DISTINCT ON (e.detail_case_caseid)
         e.detail_case_caseid AS case_id, e.detail_event_type AS event_type, e.account,
         e.detail_case_createddatetime AS created_at, e.detail_case_fields_status AS status,
         e.detail_case_fields_title AS title, e.detail_case_fields_level_1 AS level_1,
         e.detail_case_fields_is_complaint AS is_complaint,
         e.detail_case_fields_complaint_subject AS complaint_subject,
         e.detail_case_fields_complaint_goodwill_amount AS goodwill,
         e.detail_case_fields_complaint_resolved AS complaint_resolved,
         e.detail_case_fields_ombudsman_case AS ombudsman_case,
         e.detail_case_fields_assigned_agent_name AS assigned_agent_name,
         e.detail_case_fields_queue_name AS queue_name
    FROM public.plain_case_events e
   WHERE e.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
   ORDER BY e.detail_case_caseid, e.detail_approximatechangetime DESC, e.event_id DESC),
deleted AS (
  SELECT DISTINCT e.detail_case_caseid AS case_id FROM public.plain_case_events e
   WHERE e.detail_event_type = 'CASE.DELETED'),
made AS (   -- every case created, deleted since or not, with its last known fields
  SELECT l.*, d.case_id IS NOT NULL AS is_deleted,
         d.case_id IS NULL AND coalesce(lower(l.status), 'open') NOT IN ('closed', 'resolved') AS is_open
    FROM latest l LEFT JOIN deleted d USING (case_id)),
cur AS (SELECT * FROM made WHERE NOT is_deleted),
today AS (SELECT (now() AT TIME ZONE 'Europe/London')::date AS d)
$p$)
INSERT INTO public.bench_q
SELECT v.ord, v.view, v.lake, p.prefix || v.plain
  FROM p, (VALUES
  (1, 'case_volume_daily', 'SELECT * FROM connect_lake.case_volume_daily',
   $q$SELECT (created_at AT TIME ZONE 'Europe/London')::date AS day, count(*) AS cases_created,
       count(*) FILTER (WHERE is_deleted) AS deleted, count(*) FILTER (WHERE is_complaint) AS complaints,
       count(*) FILTER (WHERE is_open) AS still_open
  FROM made WHERE created_at >= '-infinity' AND created_at < 'infinity'
 GROUP BY 1 ORDER BY 1$q$),
  (2, 'open_case_backlog', 'SELECT * FROM connect_lake.open_case_backlog',
   $q$SELECT count(*), count(*) FILTER (WHERE connect_lake.working_days_overdue(created_at, now(), 2)),
       count(*) FILTER (WHERE is_complaint), now()
  FROM cur WHERE is_open$q$),
  (3, 'complaints_daily', 'SELECT * FROM connect_lake.complaints_daily',
   $q$SELECT (created_at AT TIME ZONE 'Europe/London')::date, count(*), count(*) FILTER (WHERE is_open),
       count(*) FILTER (WHERE complaint_resolved), count(*) FILTER (WHERE ombudsman_case)
  FROM made WHERE is_complaint AND created_at >= '-infinity' AND created_at < 'infinity'
 GROUP BY 1 ORDER BY 1$q$),
  (4, 'complaints_by_subject', 'SELECT * FROM connect_lake.complaints_by_subject',
   $q$SELECT complaint_subject, count(*), count(*) FILTER (WHERE is_open), coalesce(sum(goodwill), 0)
  FROM made, today
 WHERE is_complaint
   AND created_at >= ((today.d - 89)::timestamp AT TIME ZONE 'Europe/London')
   AND created_at < ((today.d + 1)::timestamp AT TIME ZONE 'Europe/London')
 GROUP BY 1 ORDER BY 2 DESC, 1$q$),
  (5, 'cases_by_category', 'SELECT * FROM connect_lake.cases_by_category',
   $q$SELECT level_1, count(*), count(*) FILTER (WHERE is_open), count(*) FILTER (WHERE is_complaint)
  FROM made, today
 WHERE created_at >= ((today.d - 29)::timestamp AT TIME ZONE 'Europe/London')
   AND created_at < ((today.d + 1)::timestamp AT TIME ZONE 'Europe/London')
 GROUP BY 1 ORDER BY 2 DESC, 1$q$),
  (6, 'overdue_cases', 'SELECT * FROM connect_lake.overdue_cases',
   $q$SELECT case_id, account, status, title, level_1, is_complaint, assigned_agent_name, queue_name, created_at,
       connect_lake.working_days_add(created_at, 2), connect_lake.working_days_between(created_at, now())
  FROM cur
 WHERE is_open AND connect_lake.working_days_overdue(created_at, now(), 2)
   AND created_at >= '-infinity' AND created_at < 'infinity'
 ORDER BY created_at, case_id$q$)
  ) v(ord, view, lake, plain);
SQL
)

kinds="ctr:ctr contact_flow_log:flowlogs contact_event:contact_events case_event:cases agent_event:agent_events"
log "sizes: $SIZES contacts/day over $DAYS days from $START, seed $SEED ($(for c in $SIZES; do printf '%s ' "$(fraction "$c")"; done)of the seed scale, $SEED_CPD contacts/day over $SEED_DAYS days)"
log "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"

mismatch=0
for cpd in $SIZES; do
	gen=$WORK/gen-$cpd
	log "== $cpd contacts/day ($(fraction "$cpd") of seed scale): generate"
	t0=$(now)
	"$here/test/gen/connect_gen" --out "$gen" --start "$START" --days "$DAYS" --contacts-per-day "$cpd" --seed "$SEED" --quiet
	chmod -R a+rX "$gen"
	"${psql[@]}" -d postgres -c "INSERT INTO bench.run VALUES ($cpd, '$(fraction "$cpd")')"
	step "$cpd" generate "$(echo "$(now) - $t0" | bc)"
	log "generated $(du -sh "$gen" | cut -f1) gzip; $(sed -n 's/.*"bytes": {"uncompressed": \([0-9]*\).*/\1/p' "$gen/SUMMARY.json" | awk '{printf "%.0f MB", $1/1e6}') of JSON (SUMMARY.json)"

	"${psql[@]}" -d postgres -c 'CREATE DATABASE lake'
	"${psql[@]}" -d lake -c 'CREATE EXTENSION connect_lake'
	"${psql[@]}" -d lake -Atc "SET client_min_messages = warning;
		SELECT action || ' ' || count(*) FROM connect_lake.case_field_map_load(pg_read_file('$gen/fields.json')::jsonb) GROUP BY action ORDER BY 1" |
		paste -sd, | sed 's/^/    case_field_map_load: /'

	for spec in $kinds; do
		kind=${spec%%:*} sub=${spec#*:}
		# uncompressed bytes of the kind's files (load() reports bytes on disk)
		raw=$(find "$gen/$sub" -type f -exec gzip -dcf {} + | wc -c)
		t0=$(now)
		out=$("${psql[@]}" -d lake -At -F' ' -c 'SET client_min_messages = warning' -c "
			SELECT files_loaded, files_failed, records_read, inserted, updated, duplicates, rejected, bytes,
			       coalesce(replace(error, ' ', '_'), '-')
			  FROM connect_lake.load('$kind', '$gen/$sub')")
		secs=$(echo "$(now) - $t0" | bc)
		read -r files failed records inserted updated duplicates rejected gz err <<<"$out"
		if [ "$failed" != 0 ] || [ "$err" != - ]; then
			echo "!!! load('$kind') failed: $failed files failed: $err" >&2; exit 1
		fi
		"${psql[@]}" -d postgres -c "INSERT INTO bench.load VALUES ($cpd, '$kind', $files, $records, $inserted, $updated,
			$duplicates, $rejected, $gz, $raw, $secs)"
		printf '    %-17s %6d files %10d records %8.1f MB JSON %8.1f s  %8.0f records/s %6.1f MB/s\n' \
			"$kind" "$files" "$records" "$(echo "$raw / 1000000" | bc -l)" "$secs" \
			"$(echo "$records / $secs" | bc -l)" "$(echo "$raw / 1000000 / $secs" | bc -l)"
	done

	log "VACUUM ANALYZE the lake"
	t0=$(now)
	"${psql[@]}" -d lake -c 'VACUUM (ANALYZE)'
	step "$cpd" "vacuum analyze" "$(echo "$(now) - $t0" | bc)"
	log "plain copy of case_events (CREATE TABLE AS: no indexes, not partitioned)"
	t0=$(now)
	"${psql[@]}" -d lake -c 'CREATE TABLE public.plain_case_events AS SELECT * FROM connect_lake.case_events' \
		-c 'VACUUM (ANALYZE) public.plain_case_events'
	step "$cpd" "plain copy" "$(echo "$(now) - $t0" | bc)"

	# pg_partition_tree() has no rows for a plain table: case_state, the dimensions
	"${psql[@]}" -d lake -c "\copy (
		SELECT $cpd, c.relname, count(*) FILTER (WHERE t.isleaf AND c.relkind = 'p'),
		       sum(CASE WHEN t.isleaf THEN greatest(k.reltuples, 0) END)::bigint,
		       sum(pg_total_relation_size(t.relid))
		  FROM pg_class c
		 CROSS JOIN LATERAL (SELECT relid, isleaf FROM pg_partition_tree(c.oid)
		                     UNION ALL SELECT c.oid, true WHERE c.relkind = 'r') t
		  JOIN pg_class k ON k.oid = t.relid
		 WHERE (c.relnamespace = 'connect_lake'::regnamespace OR c.oid = 'public.plain_case_events'::regclass)
		   AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		 GROUP BY c.relname) TO STDOUT" | "${psql[@]}" -d postgres -c '\copy bench.size FROM STDIN'

	log "views: warm median of $RUNS runs after a warm-up, lake view vs plain SQL over plain_case_events"
	"${psql[@]}" -d lake <<<"$bench_sql"
	t0=$(now)
	for ord in $("${psql[@]}" -d lake -Atc 'SELECT ord FROM bench_q ORDER BY ord'); do
		# lake and plain in one statement: the same now() for both
		row=$("${psql[@]}" -d lake -At -F' ' -c "
			SELECT q.view, l.median_ms, p.median_ms, l.nrows, p.nrows, l.digest = p.digest
			  FROM bench_q q, bench(q.lake_sql, $RUNS) l, bench(q.plain_sql, $RUNS) p
			 WHERE q.ord = $ord")
		read -r view lake_ms plain_ms lake_rows plain_rows match <<<"$row"
		"${psql[@]}" -d postgres -c "INSERT INTO bench.view VALUES ($cpd, $ord, '$view', $lake_ms, $plain_ms,
			$lake_rows, $plain_rows, '$match')"
		printf '    %-22s lake %10.2f ms   plain %10.2f ms   %7.1fx   %s rows  %s\n' "$view" "$lake_ms" "$plain_ms" \
			"$(echo "$plain_ms / $lake_ms" | bc -l)" "$lake_rows" \
			"$([ "$match" = t ] && echo 'same answer' || echo "!!! MISMATCH (plain: $plain_rows rows)")"
		if [ "$match" != t ]; then
			mismatch=1
			echo "!!! MISMATCH: $view: the view and the plain SQL disagree; rows only in one of them:" >&2
			"${psql[@]}" -d lake >&2 <<SQL || true
SET client_min_messages = warning;
SELECT format('CREATE TEMP VIEW l AS %s; CREATE TEMP VIEW p AS %s', lake_sql, plain_sql) FROM bench_q WHERE ord = $ord \\gexec
(SELECT 'view only' AS side, * FROM (TABLE l EXCEPT ALL TABLE p) x LIMIT 10)
UNION ALL (SELECT 'plain only', * FROM (TABLE p EXCEPT ALL TABLE l) y LIMIT 10);
SQL
		fi
	done
	step "$cpd" "view benchmark" "$(echo "$(now) - $t0" | bc)"

	"${psql[@]}" -d postgres -c 'DROP DATABASE lake'
	rm -rf "$gen"
done

# ---- the figures
machine="$(nproc) cores ($(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)), $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM, Linux $(uname -r), $(echo "$server_version" | sed 's/ on .*//')"
elapsed=$(( $(date +%s) - t_begin ))
figures=$("${psql[@]}" -d postgres -At -v runs="$RUNS" <<'SQL'
SELECT '**Load** (`connect_lake.load()` per kind; MB = 10^6 bytes of uncompressed JSON):';
SELECT '';
SELECT '| contacts/day | of seed | kind | files | records | JSON MB | gzip MB | seconds | records/s | MB/s | ms/file |';
SELECT '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|';
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |', cpd, (SELECT frac FROM bench.run r WHERE r.cpd = x.cpd), kind, files, records,
              round(raw_bytes / 1e6, 1), round(gz_bytes / 1e6, 1), round(secs::numeric, 1),
              round(records / secs), round((raw_bytes / 1e6 / secs)::numeric, 1), round((1000 * secs / files)::numeric))
  FROM (SELECT cpd, kind, files, records, raw_bytes, gz_bytes, secs, 0 AS o FROM bench.load
        UNION ALL
        SELECT cpd, '**all kinds**', sum(files), sum(records), sum(raw_bytes), sum(gz_bytes), sum(secs), 1
          FROM bench.load GROUP BY cpd) x
 ORDER BY o, array_position(ARRAY['ctr', 'contact_flow_log', 'contact_event', 'case_event', 'agent_event'], kind), cpd;
SELECT '';
SELECT '**Lake size on disk** (`pg_total_relation_size` summed over `pg_partition_tree`: heap, TOAST, indexes; tables over 1 MB):';
SELECT '';
SELECT '| table | contacts/day | partitions | rows | MB | bytes/row |';
SELECT '|---|---:|---:|---:|---:|---:|';
SELECT format('| %s | %s | %s | %s | %s | %s |', tbl, cpd, nullif(partitions, 0), nrows, round(bytes / 1e6, 1),
              round(bytes / nullif(nrows, 0)))
  FROM (SELECT cpd, CASE WHEN tbl = 'plain_case_events' THEN 'plain_case_events (benchmark copy, not the lake)' ELSE tbl END AS tbl,
               partitions, nrows, bytes, CASE WHEN tbl = 'plain_case_events' THEN 2 ELSE 0 END AS o
          FROM bench.size WHERE bytes > 1e6
        UNION ALL
        SELECT cpd, '**the lake, all tables**', sum(partitions), sum(nrows), sum(bytes), 1
          FROM bench.size WHERE tbl <> 'plain_case_events' GROUP BY cpd) x
 ORDER BY o, tbl, cpd;
SELECT '';
SELECT format('**Analysts'' views** (warm median of %s runs after a warm-up, every output column computed; plain = the same answer '
              'computed from `plain_case_events`, a `CREATE TABLE AS` copy of `case_events` without indexes or partitions: '
              'each case''s last known fields by approximateChangeTime, cases deleted since counted where cases created are counted, left out of open counts; target: the view 10x faster):',
              :'runs');
SELECT '';
SELECT '| view | contacts/day | rows | view ms | plain ms | ratio | 10x? | same answer |';
SELECT '|---|---:|---:|---:|---:|---:|---|---|';
SELECT format('| %s | %s | %s | %s | %s | %sx | %s | %s |', view, cpd, lake_rows, round(lake_ms::numeric, 2),
              round(plain_ms::numeric, 2), round((plain_ms / lake_ms)::numeric, 1),
              CASE WHEN plain_ms / lake_ms >= 10 THEN 'yes' ELSE '**missed**' END,
              CASE WHEN match THEN 'yes' ELSE '**MISMATCH**' END)
  FROM bench.view ORDER BY ord, cpd;
SELECT '';
SELECT coalesce('Views that miss 10x: ' || string_agg(format('%s (at %s contacts/day: %s)', view, sizes, ratios), ', ' ORDER BY ord) || '.',
                'Every view is at least 10x faster than the plain SQL at every size.')
  FROM (SELECT ord, view, string_agg(cpd::text, ', ' ORDER BY cpd) AS sizes,
               string_agg(round((plain_ms / lake_ms)::numeric, 1) || 'x', ', ' ORDER BY cpd) AS ratios
          FROM bench.view WHERE plain_ms / lake_ms < 10 GROUP BY ord, view) m;
SELECT 'Views whose answer differs from the plain SQL: ' || string_agg(DISTINCT view, ', ') || '.'
  FROM bench.view WHERE NOT match HAVING count(*) > 0;
SELECT '';
SELECT 'Other steps (seconds): ' || string_agg(format('%s at %s/day %s', step, cpd, round(secs::numeric, 1)), '; ' ORDER BY cpd, step) || '.'
  FROM bench.step;
SQL
)

echo
echo "==== connect_lake seed-scale benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(( elapsed / 60 )) min $(( elapsed % 60 )) s"
echo "machine: $machine"
echo "sizes: $(for c in $SIZES; do printf '%s contacts/day (%s of seed), ' "$c" "$(fraction "$c")"; done)$DAYS days from $START, seed $SEED"
echo
echo "$figures"

if [ "$update_readme" = 1 ]; then
	section=$WORK/section.md
	{
		echo '<!-- seed-scale-benchmark:begin -->'
		echo '## Benchmark figures'
		echo
		echo "\`test/bench/seed_scale.sh --update-readme\` ($(date -u '+%Y-%m-%d %H:%M UTC'); whole run $(( elapsed / 60 )) min $(( elapsed % 60 )) s)."
		echo "Machine: $machine; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (the machine is shared: figures are indicative)."
		echo "Data: \`test/gen/connect_gen\` over $DAYS days from $START, seed $SEED, at $(for c in $SIZES; do printf '%s, ' "$c contacts/day ($(fraction "$c") of the seed scale of $SEED_CPD/day over $SEED_DAYS days)"; done | sed 's/, $//'):"
		echo "the seed scale itself (77 GB of JSON) does not fit this machine's disk and hour. One cluster, server settings"
		echo "shared_buffers 2GB, work_mem 64MB, max_wal_size 8GB, jit off, no parallel workers."
		echo
		echo "$figures"
		echo '<!-- seed-scale-benchmark:end -->'
	} >"$section"
	readme=$here/README.md
	if grep -q '<!-- seed-scale-benchmark:begin -->' "$readme"; then
		awk -v f="$section" '
			/<!-- seed-scale-benchmark:begin -->/ { while ((getline l < f) > 0) print l; skip = 1; next }
			/<!-- seed-scale-benchmark:end -->/ { skip = 0; next }
			!skip' "$readme" >"$readme.new"
	else	# a new section before "## Upgrading" (or at the end)
		awk -v f="$section" '
			/^## Upgrading/ && !done { while ((getline l < f) > 0) print l; print ""; done = 1 }
			{ print }
			END { if (!done) { print ""; while ((getline l < f) > 0) print l } }' "$readme" >"$readme.new"
	fi
	mv "$readme.new" "$readme"
	log "README.md: Benchmark figures section written"
fi

[ "$mismatch" = 0 ] || { echo "!!! FAIL: at least one view disagrees with the plain SQL (see MISMATCH above)" >&2; exit 3; }
