#!/usr/bin/env bash
# What reading copies on Citus costs a plain lake (issue 15), in one run: the
# functions that on a distributed lake read temporary copies of the rows they
# need (citus_fact_rows()) as they are now, against their definitions before
# that change (git BASE, default d8c9193, made as pg_temp functions), called
# alternately ROUNDS times with what one commit's upkeep hands them:
# flows_ctrs_landed() and contact_repeat_refresh() with 20 contacts,
# agent_activity_upkeep() with 3 agents' last hour, contact_legs_ctr() of 20
# contacts, flows_refresh_days() of one day.  On a plain lake their
# statements are unchanged (each only asks is_distributed() first;
# agent_activity_upkeep() is PL/pgSQL instead of SQL).  Prints per function
# the median and best milliseconds of each and the ratio of the medians
# (now / before), and the load average.
#
#   test/bench/citus_copies_plain.sh [DAYS [CONTACTS_PER_DAY [ROUNDS]]]   defaults 3 2000 30
# Data is generated once under $CONNECT_LAKE_BENCH_DIR (default /tmp/connect_lake_bench).
# By default it installs the module (taking the install lock) and runs in a
# throw-away cluster (pg_virtualenv); CONNECT_LAKE_BENCH_PSQL, a psql command
# line to an empty database of a server you run, uses that instead.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/test/bench/lib.sh"
days=${1:-3}
per_day=${2:-2000}
rounds=${3:-30}
base=${BASE:-d8c9193}
work=${CONNECT_LAKE_BENCH_DIR:-/tmp/connect_lake_bench}
data=$work/copies_${days}d_${per_day}

bench_gen_data "$here" "$data" "$days" "$per_day" 15 --agents 40

# the definitions before, as pg_temp functions of the same bodies
before() {	# file function
	git -C "$here" show "$base:sql/install/$1" |
		sed -n "/^CREATE FUNCTION connect_lake\.$2(/,/^\\\$fn\\\$;/p" |
		sed "s/^CREATE FUNCTION connect_lake\.$2(/CREATE FUNCTION pg_temp.$2(/"
}
sql=$(mktemp /tmp/citus_copies_plain.XXXXXX.sql)
trap 'rm -f "$sql"' EXIT
{
	cat <<SQL
\\set ON_ERROR_STOP 1
\\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
\\pset footer off
\\o /dev/null
SELECT * FROM connect_lake.load('ctr', '$data/ctr');
SELECT * FROM connect_lake.load('contact_flow_log', '$data/flowlogs');
SELECT * FROM connect_lake.load('contact_event', '$data/contact_events');
SELECT * FROM connect_lake.load('agent_event', '$data/agent_events');
SELECT connect_lake.flows_refresh(), connect_lake.contact_repeat_refresh();
VACUUM ANALYZE;
\\o
SQL
	before 94_flows.sql flows_ctrs_landed
	before 94_flows.sql flows_refresh_days
	before 95_repeats.sql contact_repeat_refresh
	before 91_agent_activity.sql agent_activity_upkeep
	before 93_journeys.sql contact_legs_ctr
	cat <<SQL
CREATE TABLE bench_time (f text, mode text, ms float8);
DO \$\$
DECLARE
  ids  uuid[];
  ags  text[];
  af   timestamptz[];
  al   timestamptz[];
  dy   date[];
  t0   timestamptz;
  mode text;
  r    integer;
  c    uuid;
BEGIN
  FOR r IN 1 .. $rounds LOOP
    ids := ARRAY(SELECT contactid FROM connect_lake.ctr_events ORDER BY md5(contactid::text || r) LIMIT 20);
    SELECT array_agg(a), array_agg(l - interval '1 hour'), array_agg(l) INTO ags, af, al
      FROM (SELECT agentarn a, max(eventtimestamp) l FROM connect_lake.agent_events GROUP BY 1
             ORDER BY md5(agentarn || r) LIMIT 3) s;
    dy := ARRAY(SELECT DISTINCT day FROM connect_lake.contact_flow_path ORDER BY 1 OFFSET r % 2 LIMIT 1);
    FOREACH mode IN ARRAY CASE WHEN r % 2 = 0 THEN ARRAY['now', 'before'] ELSE ARRAY['before', 'now'] END LOOP
      t0 := clock_timestamp();
      IF mode = 'now' THEN PERFORM connect_lake.flows_ctrs_landed(ids); ELSE PERFORM pg_temp.flows_ctrs_landed(ids); END IF;
      INSERT INTO bench_time VALUES ('flows_ctrs_landed(20)', mode, extract(epoch FROM clock_timestamp() - t0) * 1000);
      t0 := clock_timestamp();
      IF mode = 'now' THEN PERFORM connect_lake.contact_repeat_refresh(ids); ELSE PERFORM pg_temp.contact_repeat_refresh(ids); END IF;
      INSERT INTO bench_time VALUES ('contact_repeat_refresh(20)', mode, extract(epoch FROM clock_timestamp() - t0) * 1000);
      t0 := clock_timestamp();
      IF mode = 'now' THEN PERFORM connect_lake.agent_activity_upkeep(ags, af, al); ELSE PERFORM pg_temp.agent_activity_upkeep(ags, af, al); END IF;
      INSERT INTO bench_time VALUES ('agent_activity_upkeep(3)', mode, extract(epoch FROM clock_timestamp() - t0) * 1000);
      t0 := clock_timestamp();
      FOREACH c IN ARRAY ids LOOP
        IF mode = 'now' THEN PERFORM count(*) FROM connect_lake.contact_legs_ctr(c); ELSE PERFORM count(*) FROM pg_temp.contact_legs_ctr(c); END IF;
      END LOOP;
      INSERT INTO bench_time VALUES ('contact_legs_ctr x 20', mode, extract(epoch FROM clock_timestamp() - t0) * 1000);
      t0 := clock_timestamp();
      IF mode = 'now' THEN PERFORM connect_lake.flows_refresh_days(dy); ELSE PERFORM pg_temp.flows_refresh_days(dy); END IF;
      INSERT INTO bench_time VALUES ('flows_refresh_days(1 day)', mode, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
  END LOOP;
END
\$\$;
\\echo '== milliseconds per call, now against before (same data, alternating); ratio = median now / median before'
SELECT f AS function,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE mode = 'before'))::numeric, 2) AS before_median,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE mode = 'now'))::numeric, 2) AS now_median,
       round((min(ms) FILTER (WHERE mode = 'before'))::numeric, 2) AS before_best,
       round((min(ms) FILTER (WHERE mode = 'now'))::numeric, 2) AS now_best,
       round(((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE mode = 'now'))
              / (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE mode = 'before')))::numeric, 3) AS ratio,
       count(*) / 2 AS rounds
  FROM bench_time GROUP BY f ORDER BY f;
SELECT pg_catalog.string_agg(pg_catalog.round(l::numeric, 2)::text, ' ') AS load_average
  FROM pg_catalog.regexp_split_to_table(pg_catalog.split_part(pg_catalog.pg_read_file('/proc/loadavg'), ' ', 1) || ' '
       || pg_catalog.split_part(pg_catalog.pg_read_file('/proc/loadavg'), ' ', 2), ' ') AS l;
SQL
} > "$sql"
chmod a+r "$sql"

bench_run_psql "$here" -- -f "$sql"
