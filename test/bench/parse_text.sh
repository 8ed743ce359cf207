#!/usr/bin/env bash
# Benchmark: CTRs given as JSON text -> rows, connect_lake.ctr_parse(doc text)
# against the plain-SQL way from the same text (doc::jsonb, then the same
# ->> / #>> casts for the same columns as test/bench/ctr_parse.sh), and the
# parse alone (no row written).  Both ways in one session, interleaved; the
# backend's CPU (utime + stime from /proc, 10 ms ticks) and the wall clock of
# each, best of the rounds.
#
# With BASE (a git revision), the same is measured for the module built
# from BASE in a second private copy on the same data directory, the two
# builds taking turns round after round, and the ratio new/base printed:
# how a change to the parse path moved it (session 8 measured its per-call
# tape kept in fn_extra this way).
#
#   test/bench/parse_text.sh                   N=50000, 3 rounds
#   N=100000 ROUNDS=5 BASE=f7f5f09 test/bench/parse_text.sh
#
# Private PostgreSQL copies (test/bench/lib.sh): no install lock taken.
# Port 54396 unless PORT is set.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/test/bench/lib.sh"
N=${N:-50000}
ROUNDS=${ROUNDS:-3}
BASE=${BASE:-}
PORT=${PORT:-54396}
WORK=$(mktemp -d /tmp/cl_parse_text.XXXXXX)
trap 'bench_stop "$WORK/pg_new" "$WORK/data"; bench_stop "$WORK/pg_base" "$WORK/data"; rm -rf "$WORK"' EXIT
chmod 755 "$WORK"

# The records and the plain way are ctr_parse.sh's own (one definition).
gen=$(awk '/^CREATE FUNCTION pg_temp.ts/{on=1} on{print} /^VACUUM ANALYZE docs;/{exit}' "$here/test/bench/ctr_parse.sh")
plain=$(awk '/^SELECT \$q\$$/{on=1} on{print} /^\$q\$ AS q_sql \\gset$/{exit}' "$here/test/bench/ctr_parse.sh")
[ -n "$gen" ] && [ -n "$plain" ] || { echo "parse_text: cannot find ctr_parse.sh's records or plain query" >&2; exit 1; }
# each text cast to jsonb once (OFFSET 0 keeps the subquery: flattened, the
# cast would be repeated for each of the ~120 column expressions)
plain=${plain//FROM docs
\$q\$/FROM (SELECT doc::jsonb AS doc FROM docs_text OFFSET 0) AS docs
\$q\$}
case $plain in *docs_text*) ;; *) echo "parse_text: cannot adapt ctr_parse.sh's plain query" >&2; exit 1 ;; esac

bench_log "building $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet || echo '+changes') into a private copy"
bench_private_pg "$here" "$WORK/pg_new"
builds=(new)
if [ -n "$BASE" ]; then
	bench_log "building $BASE into a second private copy"
	mkdir "$WORK/base_src"
	git -C "$here" archive "$BASE" | tar -x -C "$WORK/base_src"
	bench_private_pg "$WORK/base_src" "$WORK/pg_base"
	builds=(base new)
fi
mkdir -p "$WORK/data"
bench_initdb "$WORK/pg_new" "$WORK/data/d"
DATA=$WORK/data/d

bench_start "$WORK/pg_new" "$DATA" "$PORT" "$WORK/sock" -c shared_buffers=512MB
bench_log "generating $N records"
"${bench_psql[@]}" -v N="$N" <<EOF
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
SET TimeZone = 'UTC';
$gen
CREATE TABLE docs_text AS SELECT doc::text AS doc FROM docs;
VACUUM ANALYZE docs_text;
CREATE UNLOGGED TABLE out_parse OF connect_lake.ctr;
CREATE UNLOGGED TABLE out_sql OF connect_lake.ctr;
CREATE TABLE timing (build text, way text, round int, cpu_ms numeric, wall_ms numeric);
SELECT count(*) AS records, round(avg(octet_length(doc))) AS avg_bytes FROM docs_text;
EOF
bench_stop "$WORK/pg_new" "$DATA"

# one round of one build: every way once, in one session
round() {
	local build=$1 r=$2
	bench_start "$WORK/pg_$build" "$DATA" "$PORT" "$WORK/sock" -c shared_buffers=512MB
	"${bench_psql[@]}" -v build="$build" -v r="$r" <<EOF
SET TimeZone = 'UTC';
CREATE FUNCTION pg_temp.cpu() RETURNS numeric LANGUAGE sql AS \$\$
  SELECT (split_part(s, ' ', 12)::numeric + split_part(s, ' ', 13)::numeric) * 10
    FROM (SELECT regexp_replace(pg_read_file('/proc/self/stat'), '^.*\) ', '') AS s) x \$\$;
CREATE FUNCTION pg_temp.timed(build text, way text, r int, q text) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE c0 numeric; t0 timestamptz;
BEGIN
  IF way <> 'parse only' THEN
    EXECUTE format('TRUNCATE %s', CASE way WHEN 'ctr_parse' THEN 'out_parse' ELSE 'out_sql' END);
  END IF;
  c0 := pg_temp.cpu(); t0 := clock_timestamp();
  EXECUTE q;
  INSERT INTO timing VALUES (build, way, r, pg_temp.cpu() - c0, extract(epoch FROM clock_timestamp() - t0) * 1000);
END \$\$;
$plain
SELECT count(*) FROM docs_text;  -- warm the table
SELECT pg_temp.timed(:'build', 'parse only', :r,
  'SELECT count(c.contactid) FROM docs_text, LATERAL connect_lake.ctr_parse(doc) AS c');
SELECT pg_temp.timed(:'build', 'ctr_parse', :r,
  'INSERT INTO out_parse SELECT c.* FROM docs_text, LATERAL connect_lake.ctr_parse(doc) AS c');
SELECT pg_temp.timed(:'build', 'plain SQL', :r, :'q_sql');
SELECT pg_temp.timed(:'build', 'parse only', :r,
  'SELECT count(c.contactid) FROM docs_text, LATERAL connect_lake.ctr_parse(doc) AS c');
EOF
	bench_stop "$WORK/pg_$build" "$DATA"
}

for ((r = 1; r <= ROUNDS; r++)); do
	for b in "${builds[@]}"; do
		bench_log "round $r, build $b (load average $(bench_loadavg))"
		round "$b" "$r"
	done
done

bench_start "$WORK/pg_new" "$DATA" "$PORT" "$WORK/sock"
"${bench_psql[@]}" -P footer=off <<'EOF'
SELECT count(*) AS rows_differing
  FROM out_parse p JOIN out_sql s USING (contactid)
 WHERE to_jsonb(p) - 'extra' - 'versions_seen' IS DISTINCT FROM to_jsonb(s) - 'extra' - 'versions_seen';
SELECT build, way, count(*) AS runs, min(cpu_ms) AS best_cpu_ms, round(avg(cpu_ms)) AS avg_cpu_ms,
       round(min(wall_ms)) AS best_wall_ms,
       round(min(cpu_ms) * 1000 / (SELECT count(*) FROM docs_text), 2) AS best_cpu_us_per_record
  FROM timing GROUP BY build, way ORDER BY way, build;
SELECT build, round((SELECT min(cpu_ms) FROM timing t WHERE t.build = b.build AND way = 'plain SQL')
             / nullif((SELECT min(cpu_ms) FROM timing t WHERE t.build = b.build AND way = 'ctr_parse'), 0), 2)
         AS "plain SQL / ctr_parse (CPU)"
  FROM (SELECT DISTINCT build FROM timing) b ORDER BY build;
SELECT way, round(min(cpu_ms) FILTER (WHERE build = 'new') / nullif(min(cpu_ms) FILTER (WHERE build = 'base'), 0), 3)
         AS "new / base (best CPU)",
       round(avg(cpu_ms) FILTER (WHERE build = 'new') / nullif(avg(cpu_ms) FILTER (WHERE build = 'base'), 0), 3)
         AS "new / base (mean CPU)"
  FROM timing GROUP BY way HAVING count(DISTINCT build) = 2 ORDER BY way;
EOF
bench_log "done (load average $(bench_loadavg))"
