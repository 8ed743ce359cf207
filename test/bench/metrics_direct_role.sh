#!/usr/bin/env bash
# The rollups' upkeep (metric_rollup_delta()) of CONTACTS new contacts
# (default 100,000 synthetic contact_metric rows over 7 days, 20 queues, 50
# agents: every interval row new) as a connect_lake_loader role and as the
# superuser, interleaved, ROUNDS times (default 7), each call in a
# transaction rolled back: README "Metric upkeep", session 8's review.  The
# new interval rows are written from C (metric_rollup_delta_write()) where
# the tables allow it; the lake's queue access (row-level security, in force
# for every role but the owner) kept the loader off that path for
# metric_queue_interval and metric_queue_threshold before the review, so the
# loader paid the INSERT statements the superuser did not.  Prints backend
# CPU and wall per role (min, median), the loader / superuser CPU ratio and
# which kinds came back as rows for each role (..._new: not written from C),
# and the load average.
#
#   test/bench/metrics_direct_role.sh
#
# Installation and CONNECT_LAKE_BENCH_PSQL (a psql command line for an
# existing database, run as a superuser) as for metrics_upkeep_single.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/test/bench/lib.sh"
rounds=${ROUNDS:-7}
contacts=${CONTACTS:-100000}
sql=$(mktemp /tmp/metrics_direct_role.XXXXXX.sql)
trap 'rm -f "$sql"' EXIT
{
	cat <<SQL
\\set ON_ERROR_STOP 1
\\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
CREATE FUNCTION pg_temp.cpu() RETURNS float8 LANGUAGE sql AS \$\$
  SELECT (split_part(split_part(s, ') ', 2), ' ', 12)::float8 + split_part(split_part(s, ') ', 2), ' ', 13)::float8) / 100
    FROM pg_catalog.pg_read_file('/proc/self/stat') s
\$\$;
DO \$\$ BEGIN CREATE ROLE bench_direct_loader IN ROLE connect_lake_loader; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
DROP TABLE IF EXISTS public.bench_direct_cm, public.bench_direct_run;
-- $contacts contacts of 2034-05-02 to 08, every 15-minute interval, 20 queues, 50 agents
CREATE TABLE public.bench_direct_cm AS
SELECT array_agg(m) AS a FROM (
  SELECT ROW(('abcdef00-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
         t0, t0 + interval '5 min', t0 + interval '1 day', t0, NULL, 'STANDARD',
         ('eeeeeeee-0000-4000-8000-' || lpad((i % 20)::text, 12, '0'))::uuid, 'VOICE',
         ('ffffffff-0000-4000-8000-' || lpad((i % 50)::text, 12, '0'))::uuid, 'INBOUND', 'CUSTOMER_DISCONNECT', NULL, NULL,
         true, true, true, false, false, false, false, false, false, false, 10 + i % 50, 60, 60, 0, 0, 300, 300
         )::connect_lake.contact_metric AS m
    FROM generate_series(1, $contacts) i,
         LATERAL (SELECT timestamptz '2034-05-02 00:00Z' + (i % 672) * interval '15 min' AS t0) x) s;
GRANT SELECT ON public.bench_direct_cm TO connect_lake_loader;
CREATE TABLE public.bench_direct_run (role text, round int, cpu float8, ms float8);
\\echo '== kinds returned as rows (..._new: not written from C), per role'
BEGIN;
SET LOCAL ROLE bench_direct_loader;
SELECT 'loader' AS role, string_agg(kind || ' ' || n, ', ' ORDER BY kind) AS kinds FROM (
  SELECT kind, count(*) AS n FROM connect_lake.metric_rollup_delta_write('{}', (SELECT a FROM public.bench_direct_cm),
         connect_lake.metric_thresholds(), connect_lake.metric_time_zone()) GROUP BY kind) k;
ROLLBACK;
BEGIN;
SELECT 'superuser' AS role, string_agg(kind || ' ' || n, ', ' ORDER BY kind) AS kinds FROM (
  SELECT kind, count(*) AS n FROM connect_lake.metric_rollup_delta_write('{}', (SELECT a FROM public.bench_direct_cm),
         connect_lake.metric_thresholds(), connect_lake.metric_time_zone()) GROUP BY kind) k;
ROLLBACK;
\\o /dev/null
SQL
	for r in $(seq "$rounds"); do
		# the order alternated, the tables vacuumed after each call (the rolled-back rows)
		order="loader superuser"; [ $((r % 2)) = 0 ] && order="superuser loader"
		for role in $order; do
			echo "BEGIN;"
			echo "SELECT pg_temp.cpu() AS c0, clock_timestamp() AS t0 \\gset"
			[ $role = loader ] && echo "SET LOCAL ROLE bench_direct_loader;"
			echo "SELECT connect_lake.metric_rollup_delta(NULL, (SELECT a FROM public.bench_direct_cm));"
			echo "RESET ROLE;"
			echo "SELECT pg_temp.cpu() - :c0 AS cc, extract(epoch FROM clock_timestamp() - :'t0') * 1000 AS tt \\gset"
			echo "ROLLBACK;"
			echo "INSERT INTO public.bench_direct_run VALUES ('$role', $r, :cc, :tt);"
			echo "VACUUM connect_lake.metric_queue_interval, connect_lake.metric_agent_interval, connect_lake.metric_queue_threshold, connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day;"
		done
	done
	cat <<'SQL'
\o
\echo '== metric_rollup_delta() of the contacts, per role (backend CPU ms, wall ms; min and median of the rounds)'
SELECT role, count(*) AS rounds, round(min(cpu)::numeric * 1000) AS min_cpu_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu))::numeric * 1000) AS median_cpu_ms,
       round(min(ms)::numeric) AS min_ms, round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric) AS median_ms
  FROM public.bench_direct_run GROUP BY role ORDER BY role;
SELECT round(((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu) FROM public.bench_direct_run WHERE role = 'loader')
            / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu) FROM public.bench_direct_run WHERE role = 'superuser'))::numeric, 3)
       AS loader_to_superuser_cpu;
SELECT pg_catalog.pg_read_file('/proc/loadavg') AS load_average;
DROP TABLE public.bench_direct_cm, public.bench_direct_run;
SQL
} > "$sql"
chmod a+r "$sql"

bench_run_psql "$here" -- -f "$sql"
