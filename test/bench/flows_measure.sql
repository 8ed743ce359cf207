-- The flow and journey measures of test/bench/flows.sh and seed_month.sh,
-- on a lake already loaded (CTRs and flow logs at least, the flow tables not
-- yet built): flows_refresh() and contact_repeat_refresh() of everything,
-- timed; a month of block funnels for the busiest flow against the plain-SQL
-- way (answers compared); contact_journey() of 200 contacts.
\set ON_ERROR_STOP on
SET client_min_messages = notice;
\echo ==> flows_refresh() and contact_repeat_refresh() of everything
DO $$
DECLARE t timestamptz; n bigint; e bigint;
BEGIN
  SELECT count(*) INTO e FROM connect_lake.contact_flow_log;
  t := clock_timestamp();
  n := connect_lake.flows_refresh();
  RAISE NOTICE 'flows_refresh: % contacts, % flow log events in % s', n, e,
    round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
  t := clock_timestamp();
  n := connect_lake.contact_repeat_refresh();
  RAISE NOTICE 'contact_repeat_refresh: % contacts in % s', n,
    round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
END $$;
ANALYZE;

\echo ==> a month of block funnels for the busiest flow: the lake against plain SQL
SELECT entry_flow_id AS flow FROM connect_lake.flow_entry_day GROUP BY 1 ORDER BY sum(contacts) DESC LIMIT 1 \gset
SELECT min(day) AS from_day, min(day) + 29 AS to_day FROM connect_lake.flow_block_day \gset
CREATE TEMP TABLE lake_funnel AS SELECT * FROM connect_lake.flow_funnel(:'from_day', :'to_day', :'flow');
-- the plain way: every block of every contact, the contact's day from its
-- first block, the next block by a window, counted per block of the flow
CREATE TEMP TABLE plain_funnel AS
  WITH ev AS (
    SELECT f.contactid, f."timestamp" AS ts, f.contactflowid, f.identifier, f.contactflowmoduletype, f.results,
           lead(f."timestamp") OVER w AS next_ts, lead(f.contactflowid) OVER w AS next_flow,
           (min(f."timestamp") OVER (PARTITION BY f.contactid) AT TIME ZONE 'Europe/London')::date AS day
      FROM connect_lake.contact_flow_log f
    WINDOW w AS (PARTITION BY f.contactid ORDER BY f."timestamp", f.identifier, f.contactflowmoduletype))
  SELECT ev.identifier, ev.contactflowmoduletype AS module_type, count(DISTINCT (ev.contactid, ev.day)) AS contacts,
         count(*) AS executions,
         count(*) FILTER (WHERE ev.results ~* '(error|fail|timeout|timed out|exceeded|invalid)') AS errors,
         count(*) FILTER (WHERE ev.next_flow IS NOT NULL AND ev.next_flow <> ev.contactflowid) AS exits_other_flow,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ev.next_ts - ev.ts)) AS median_next_s
    FROM ev
   WHERE ev.contactflowid = :'flow' AND ev.day BETWEEN :'from_day' AND :'to_day'
   GROUP BY 1, 2;
SELECT count(*) AS blocks,
       count(*) FILTER (WHERE l.contacts = p.contacts AND l.executions = p.executions AND l.errors = p.errors
                          AND l.exits_other_flow = p.exits_other_flow) AS same_counts,
       count(*) FILTER (WHERE p.median_next_s IS NULL AND l.median_next_s IS NULL
                           OR abs(l.median_next_s - p.median_next_s) <= 0.1
                           OR (p.median_next_s >= 10 AND abs(l.median_next_s - p.median_next_s) <= 1)
                           OR (p.median_next_s >= 60 AND abs(l.median_next_s - p.median_next_s) <= 10)) AS median_within_bucket
  FROM lake_funnel l FULL JOIN plain_funnel p USING (identifier, module_type);
SELECT set_config('bench.flow', :'flow', false), set_config('bench.from', :'from_day', false),
       set_config('bench.to', :'to_day', false) \g /dev/null
DO $$
DECLARE t timestamptz; lake float8[] := '{}'; plain float8; i integer; x bigint;
        f text := current_setting('bench.flow'); a date := current_setting('bench.from')::date;
        b date := current_setting('bench.to')::date;
BEGIN
  FOR i IN 1..5 LOOP
    t := clock_timestamp();
    PERFORM sum(length(ff::text)) FROM connect_lake.flow_funnel(a, b, f) ff;  -- every column computed
    lake := lake || extract(epoch FROM clock_timestamp() - t) * 1000;
  END LOOP;
  t := clock_timestamp();
  EXECUTE $q$
    WITH ev AS (
      SELECT f.contactid, f."timestamp" AS ts, f.contactflowid, f.identifier, f.contactflowmoduletype, f.results,
             lead(f."timestamp") OVER w AS next_ts, lead(f.contactflowid) OVER w AS next_flow,
             (min(f."timestamp") OVER (PARTITION BY f.contactid) AT TIME ZONE 'Europe/London')::date AS day
        FROM connect_lake.contact_flow_log f
      WINDOW w AS (PARTITION BY f.contactid ORDER BY f."timestamp", f.identifier, f.contactflowmoduletype))
    SELECT count(*) FROM (
      SELECT ev.identifier, ev.contactflowmoduletype, count(DISTINCT (ev.contactid, ev.day)), count(*),
             count(*) FILTER (WHERE ev.results ~* '(error|fail|timeout|timed out|exceeded|invalid)'),
             count(*) FILTER (WHERE ev.next_flow IS NOT NULL AND ev.next_flow <> ev.contactflowid),
             percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ev.next_ts - ev.ts))
        FROM ev WHERE ev.contactflowid = $1 AND ev.day BETWEEN $2 AND $3 GROUP BY 1, 2) s $q$
    INTO x USING f, a, b;
  plain := extract(epoch FROM clock_timestamp() - t) * 1000;
  SELECT array_agg(v ORDER BY v) INTO lake FROM unnest(lake) v;
  RAISE NOTICE 'funnel of one flow over % days: lake % ms (median of 5), plain SQL % ms: %x',
    b - a + 1, round(lake[3]::numeric, 1), round(plain::numeric, 1), round((plain / lake[3])::numeric, 1);
END $$;

\echo ==> contact_journey() of 200 contacts with transfers or flows
DO $$
DECLARE t timestamptz; ms float8[] := '{}'; c uuid; steps bigint; total bigint := 0; e bigint; x bigint;
BEGIN
  SELECT count(*) INTO e FROM connect_lake.contact_flow_log;
  FOR c IN SELECT contactid FROM connect_lake.ctr_events WHERE nextcontactid IS NOT NULL OR random() < 0.01
            ORDER BY contactid LIMIT 200 LOOP
    t := clock_timestamp();
    SELECT count(*), sum(length(j::text)) INTO steps, x FROM connect_lake.contact_journey(c) j;
    ms := ms || extract(epoch FROM clock_timestamp() - t) * 1000;
    total := total + steps;
  END LOOP;
  SELECT array_agg(v ORDER BY v) INTO ms FROM unnest(ms) v;
  RAISE NOTICE 'contact_journey over % flow log events: % journeys, % steps; median % ms, p95 % ms, max % ms',
    e, cardinality(ms), total, round(ms[cardinality(ms) / 2]::numeric, 2),
    round(ms[ceil(cardinality(ms) * 0.95)::integer]::numeric, 2), round(ms[cardinality(ms)]::numeric, 2);
END $$;
