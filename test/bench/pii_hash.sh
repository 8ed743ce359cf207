#!/usr/bin/env bash
# What hashing customers' personal values adds to load() of CTRs (issue 14: at
# most 5%), in one run: the same generated CTR files (test/gen/connect_gen)
# loaded into an emptied lake, ROUNDS times, each round in three settings
# (their order rotating from round to round, so that a shared machine's drift
# falls on each alike):
#
#   raw    pii_config empty: endpoints land as they come (0.1.0's way);
#   hash   storage hash_keep_country, attribute_keys {callerPhone, customerPhone}:
#          CustomerEndpoint and TransferredToEndpoint hashed (HMAC-SHA256),
#          every record's Attributes searched for the keys;
#   keep   the same with keep_raw: each distinct number also kept in pii_value.
#
# Each load() (one call over every file, metrics upkeep off so that the load
# itself is measured) is timed to its commit, in wall-clock seconds and in
# the backend's CPU seconds (/proc/<pid>/stat: what the load itself cost,
# less exposed than the clock to other work on a shared machine).  Prints per
# setting the median and best of the rounds and the ratios hash / raw and
# keep / raw (the median of the per-round ratios too), the load average, and
# checks that the hashed lake holds the same rows with no endpoint left
# unhashed.
#
#   test/bench/pii_hash.sh [DAYS [CONTACTS_PER_DAY [ROUNDS]]]   defaults 2 20000 5
# Data is generated once under $CONNECT_LAKE_BENCH_DIR (default /tmp/connect_lake_bench).
# By default it installs the module (taking the install lock) and runs in a
# throw-away cluster (pg_virtualenv); CONNECT_LAKE_BENCH_PSQL, a psql command
# line to an empty database of a server you run, uses that instead.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
days=${1:-2}
per_day=${2:-20000}
rounds=${3:-5}
work=${CONNECT_LAKE_BENCH_DIR:-/tmp/connect_lake_bench}
data=$work/pii_${days}d_${per_day}

make -s -C "$here" gen >/dev/null
if [ ! -f "$data/done" ]; then
	echo "generating $days days of $per_day contacts in $data"
	rm -rf "$data"
	"$here/test/gen/connect_gen" --out "$data" --start 2026-10-01 --days "$days" \
		--contacts-per-day "$per_day" --seed 14 --ctr-only --quiet && touch "$data/done"
fi
chmod -R a+rX "$work"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

sql=$(mktemp /tmp/pii_hash.XXXXXX.sql)
{
	cat <<'SQL'
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
\pset footer off
INSERT INTO connect_lake.pii_secret (secret) VALUES ('pii_hash bench: a secret of 32 bytes or more');
CREATE TABLE bench_time (mode text, round int, seconds float8, cpu float8, ctrs bigint);
-- the backend's user + system CPU seconds (fields 14 and 15 of /proc/<pid>/stat)
SET bench.clk_tck = :'clk_tck';
CREATE FUNCTION pg_temp.cpu() RETURNS float8 LANGUAGE sql AS $$
  SELECT (f[12]::bigint + f[13]::bigint)::float8 / current_setting('bench.clk_tck')::float8
    FROM (SELECT string_to_array(split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' ') AS f) s $$;
CREATE FUNCTION pg_temp.reset_lake(mode text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE connect_lake.ctr_events, connect_lake.load_manifest, connect_lake.load_rejects,
           connect_lake.agent_dim, connect_lake.queue_dim, connect_lake.queue_name_history,
           connect_lake.contact_account, connect_lake.pii_value, connect_lake.pii_config;
  IF mode <> 'raw' THEN
    INSERT INTO connect_lake.pii_config (storage, keep_raw, attribute_keys)
      VALUES ('hash_keep_country', mode = 'keep', '{callerPhone, customerPhone}');
  END IF;
  CHECKPOINT;
END $$;
SET connect_lake.metrics_upkeep = off;
SET connect_lake.repeats_upkeep = off;
SQL
	echo "SELECT count(*) AS files FROM pg_ls_dir('$data/ctr');"
	echo '\o /dev/null'
	modes=(raw hash keep)
	for r in $(seq "$rounds"); do
		for k in 0 1 2; do
			mode=${modes[$(( (r + k) % 3 ))]}
			echo "SELECT pg_temp.reset_lake('$mode');"
			echo "BEGIN;"
			echo "SELECT clock_timestamp() AS t0, pg_temp.cpu() AS c0 \\gset"
			echo "SELECT inserted + updated AS n FROM connect_lake.load('ctr', '$data/ctr') \\gset"
			echo "COMMIT;"
			echo "INSERT INTO bench_time VALUES ('$mode', $r, extract(epoch FROM clock_timestamp() - :'t0'), pg_temp.cpu() - :c0, :n);"
		done
	done
	echo '\o'
	cat <<'SQL'
\echo '== the hashed lake (the last round''s keep setting is checked below after loading it again)'
SELECT pg_temp.reset_lake('keep');
SELECT count(*) AS loaded FROM connect_lake.load('ctr', :'data_ctr');
SELECT count(*) AS ctrs,
       count(customerendpoint_address) AS with_customer_endpoint,
       count(*) FILTER (WHERE customerendpoint_address !~ '^(\+[0-9]{1,3} )?hmac:[0-9a-f]{32}$') AS customer_unhashed,
       count(*) FILTER (WHERE transferredtoendpoint_address !~ '^(\+[0-9]{1,3} )?hmac:[0-9a-f]{32}$') AS transfer_unhashed,
       count(DISTINCT customerendpoint_address) AS distinct_customers,
       (SELECT count(*) FROM connect_lake.pii_value) AS raw_values_kept
  FROM connect_lake.ctr_events;

\echo '== the hashing alone: pii_stored_value() of every endpoint value the load hashed (ten times over), against reading them, in backend CPU seconds'
SELECT pg_temp.reset_lake('raw');
SELECT count(*) AS loaded FROM connect_lake.load('ctr', :'data_ctr');
CREATE TEMP TABLE endpoints AS
  SELECT v.x FROM connect_lake.ctr_events c,
         LATERAL (VALUES (c.customerendpoint_address), (c.transferredtoendpoint_address)) AS v (x), generate_series(1, 10)
   WHERE v.x IS NOT NULL;
INSERT INTO connect_lake.pii_config (storage) VALUES ('hash_keep_country');
SELECT connect_lake.pii_stored_value('+447700900123') IS NOT NULL AS warm;
SELECT pg_temp.cpu() AS a0 \gset
SELECT sum(length(x)) AS chars FROM endpoints \gset
SELECT pg_temp.cpu() AS a1 \gset
SELECT sum(length(connect_lake.pii_stored_value(x))) AS stored_chars FROM endpoints \gset
SELECT pg_temp.cpu() AS a2 \gset
CREATE TEMP TABLE hashing_alone AS
  SELECT count(*) / 10 AS values_per_load,
         ((:a2 - :a1) - (:a1 - :a0)) / count(*) * 1e6 AS us_per_value,
         ((:a2 - :a1) - (:a1 - :a0)) / 10 AS cpu_per_load
    FROM endpoints;
SELECT values_per_load, round(us_per_value::numeric, 2) AS us_per_value, round(cpu_per_load::numeric, 3) AS hashing_cpu_per_load,
       round((cpu_per_load / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu) FROM bench_time WHERE mode = 'raw'))::numeric, 4)
         AS share_of_raw_load_cpu
  FROM hashing_alone;

\echo
\echo '== results: seconds of load() to commit per setting over the rounds (wall clock, then the backend''s CPU); ratios against raw'
WITH per_round AS (
  SELECT 'wall' AS measure, round, max(seconds) FILTER (WHERE mode = 'raw') AS raw,
         max(seconds) FILTER (WHERE mode = 'hash') AS hash, max(seconds) FILTER (WHERE mode = 'keep') AS keep
    FROM bench_time GROUP BY round
  UNION ALL
  SELECT 'cpu', round, max(cpu) FILTER (WHERE mode = 'raw'),
         max(cpu) FILTER (WHERE mode = 'hash'), max(cpu) FILTER (WHERE mode = 'keep')
    FROM bench_time GROUP BY round)
SELECT measure, (SELECT max(ctrs) FROM bench_time) AS ctrs, count(*) AS rounds,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY raw)::numeric, 2) AS raw_median,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY hash)::numeric, 2) AS hash_median,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY keep)::numeric, 2) AS keep_median,
       round(min(raw)::numeric, 2) AS raw_best, round(min(hash)::numeric, 2) AS hash_best, round(min(keep)::numeric, 2) AS keep_best,
       round((min(hash) / min(raw))::numeric, 3) AS hash_ratio_best,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY hash / raw)::numeric, 3) AS hash_ratio_median,
       round((min(keep) / min(raw))::numeric, 3) AS keep_ratio_best,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY keep / raw)::numeric, 3) AS keep_ratio_median
  FROM per_round GROUP BY measure ORDER BY measure DESC;
\echo '== the target: hashing adds at most 5% to load() (the median of the per-round ratios hash / raw)'
WITH per_round AS (
  SELECT round, max(seconds) FILTER (WHERE mode = 'hash') / max(seconds) FILTER (WHERE mode = 'raw') AS wall,
         max(cpu) FILTER (WHERE mode = 'hash') / max(cpu) FILTER (WHERE mode = 'raw') AS cpu
    FROM bench_time GROUP BY round)
SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu)::numeric, 3) AS cpu_ratio,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY wall)::numeric, 3) AS wall_ratio,
       CASE WHEN percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu) <= 1.05 THEN 'met' ELSE 'NOT met' END AS target_by_cpu,
       CASE WHEN percentile_cont(0.5) WITHIN GROUP (ORDER BY wall) <= 1.05 THEN 'met' ELSE 'NOT met' END AS target_by_wall
  FROM per_round;
\echo '== per round'
SELECT round, mode, round(seconds::numeric, 2) AS seconds, round(cpu::numeric, 2) AS cpu_seconds FROM bench_time ORDER BY round, mode;
SQL
} > "$sql"
chmod a+r "$sql"

cd "$here"
if [ -n "${CONNECT_LAKE_BENCH_PSQL:-}" ]; then
	# an installed module and a server of your own: a psql command line to an
	# empty database (e.g. "runuser -u postgres -- psql -h /tmp/sock -p 5433 -d bench")
	$CONNECT_LAKE_BENCH_PSQL -X -v data_ctr="$data/ctr" -v clk_tck="$(getconf CLK_TCK)" -f "$sql"
	rm -f "$sql"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	exit
fi
flock /tmp/connect_lake.install.lock sh -c "
  make -s install >/dev/null &&
  cd /tmp && runuser -u postgres -- pg_virtualenv -v 15 -o shared_buffers=256MB -o max_wal_size=4GB \
    psql -X -v data_ctr='$data/ctr' -v clk_tck=$(getconf CLK_TCK) -f '$sql'"
rm -f "$sql"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
