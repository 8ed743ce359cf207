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
# itself is measured) is timed to its commit.  Prints per setting the median
# and best of the rounds and the ratios hash / raw and keep / raw (the median
# of the per-round ratios too), the load average, and checks that the hashed
# lake holds the same rows with no endpoint left unhashed.
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
CREATE TABLE bench_time (mode text, round int, seconds float8, ctrs bigint);
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
SQL
	echo "SELECT count(*) AS files FROM pg_ls_dir('$data/ctr');"
	echo '\o /dev/null'
	modes=(raw hash keep)
	for r in $(seq "$rounds"); do
		for k in 0 1 2; do
			mode=${modes[$(( (r + k) % 3 ))]}
			echo "SELECT pg_temp.reset_lake('$mode');"
			echo "BEGIN;"
			echo "SELECT clock_timestamp() AS t0 \\gset"
			echo "SELECT inserted + updated AS n FROM connect_lake.load('ctr', '$data/ctr') \\gset"
			echo "COMMIT;"
			echo "INSERT INTO bench_time VALUES ('$mode', $r, extract(epoch FROM clock_timestamp() - :'t0'), :n);"
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

\echo
\echo '== results: seconds of load() to commit per setting over the rounds; ratios against raw'
WITH per_round AS (
  SELECT round, max(seconds) FILTER (WHERE mode = 'raw') AS raw,
         max(seconds) FILTER (WHERE mode = 'hash') AS hash, max(seconds) FILTER (WHERE mode = 'keep') AS keep
    FROM bench_time GROUP BY round)
SELECT (SELECT max(ctrs) FROM bench_time) AS ctrs, count(*) AS rounds,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY raw)::numeric, 2) AS raw_median,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY hash)::numeric, 2) AS hash_median,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY keep)::numeric, 2) AS keep_median,
       round(min(raw)::numeric, 2) AS raw_best, round(min(hash)::numeric, 2) AS hash_best, round(min(keep)::numeric, 2) AS keep_best,
       round((min(hash) / min(raw))::numeric, 3) AS hash_ratio_best,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY hash / raw)::numeric, 3) AS hash_ratio_median,
       round((min(keep) / min(raw))::numeric, 3) AS keep_ratio_best,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY keep / raw)::numeric, 3) AS keep_ratio_median
  FROM per_round;
\echo '== per round'
SELECT round, mode, round(seconds::numeric, 2) AS seconds FROM bench_time ORDER BY round, mode;
SQL
} > "$sql"
chmod a+r "$sql"

cd "$here"
if [ -n "${CONNECT_LAKE_BENCH_PSQL:-}" ]; then
	# an installed module and a server of your own: a psql command line to an
	# empty database (e.g. "runuser -u postgres -- psql -h /tmp/sock -p 5433 -d bench")
	$CONNECT_LAKE_BENCH_PSQL -X -v data_ctr="$data/ctr" -f "$sql"
	rm -f "$sql"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	exit
fi
flock /tmp/connect_lake.install.lock sh -c "
  make -s install >/dev/null &&
  cd /tmp && runuser -u postgres -- pg_virtualenv -v 15 -o shared_buffers=256MB -o max_wal_size=4GB \
    psql -X -v data_ctr='$data/ctr' -f '$sql'"
rm -f "$sql"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
