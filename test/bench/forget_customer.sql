-- test/bench/forget_customer.sh's statements: see that script.  Without
-- :exports, on an existing lake: nothing is left changed (every erasure and
-- every ingest() rolled back).  :full_scan_customers (default 5): for how
-- many of the 5 customers the full-scan way is run too.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
\if :{?full_scan_customers}
\else
\set full_scan_customers 5
\endif
\if :{?exports}
\echo '==> loading the generated exports'
SELECT count(*) AS fields FROM connect_lake.case_field_map_load(pg_read_file(:'exports' || '/fields.json')::jsonb);
SELECT k.kind, l.files_loaded, l.inserted, round(l.seconds::numeric, 1) AS seconds
  FROM (VALUES (1, 'ctr', 'ctr'), (2, 'contact_flow_log', 'flowlogs'), (3, 'contact_event', 'contact_events'),
               (4, 'case_event', 'cases'), (5, 'agent_event', 'agent_events'),
               (6, 'customer_profile_event', 'customer_profiles')) AS k(n, kind, dir),
       LATERAL connect_lake.load(k.kind, :'exports' || '/' || k.dir, 'skip') AS l
 ORDER BY k.n;
SELECT connect_lake.flows_refresh() AS flow_contacts, connect_lake.contact_repeat_refresh() AS repeat_contacts;
VACUUM ANALYZE;
\endif
SELECT count(*) AS contacts, (SELECT count(*) FROM connect_lake.case_events) AS case_events,
       (SELECT count(*) FROM connect_lake.contact_flow_log) AS flow_log_rows,
       (SELECT count(*) FROM connect_lake.contact_events) AS contact_events,
       (SELECT count(*) FROM connect_lake.customer_profile_events) AS profile_events,
       (SELECT count(*) FROM connect_lake.load_rejects) AS rejects,
       (SELECT count(*) FROM pg_inherits WHERE inhparent = 'connect_lake.ctr_events'::regclass) AS ctr_months
  FROM connect_lake.ctr_events;

-- Customers to forget: the 5 accounts with the most contacts that have cases.
CREATE TEMP TABLE bench_customer AS
  SELECT a.account, count(DISTINCT a.contactid) AS contacts,
         row_number() OVER (ORDER BY count(DISTINCT a.contactid) DESC, a.account) AS n
    FROM connect_lake.contact_account a
   WHERE a.account > 0 AND EXISTS (SELECT 1 FROM connect_lake.case_events c WHERE c.account = a.account)
   GROUP BY a.account ORDER BY 2 DESC, 1 LIMIT 5;

-- One run: forget one customer, in a transaction rolled back; indexed, or
-- the same statements with the planner kept off every index (the full scans
-- a lake without them, or a hand-written search of every table, makes).
CREATE TEMP TABLE bench_run (run integer, way text, account bigint, ms float8, rows_changed bigint);
CREATE TEMP TABLE bench_opts AS SELECT :full_scan_customers::integer AS full_scan_customers;
CREATE FUNCTION pg_temp.once(acct bigint, full_scan boolean) RETURNS TABLE (ms float8, rows_changed bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  t0 timestamptz;
BEGIN
  IF full_scan THEN
    SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_indexonlyscan = off;
  END IF;
  t0 := clock_timestamp();
  SELECT sum(f.rows_changed) INTO rows_changed FROM connect_lake.forget_customer(account => acct) f;
  ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
  RAISE EXCEPTION USING ERRCODE = 'P0099', MESSAGE = ms || ' ' || rows_changed;
END
$fn$;
CREATE FUNCTION pg_temp.timed(acct bigint, full_scan boolean) RETURNS TABLE (ms float8, rows_changed bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  m text;
BEGIN
  BEGIN
    PERFORM pg_temp.once(acct, full_scan);
  EXCEPTION WHEN SQLSTATE 'P0099' THEN
    m := SQLERRM;   -- rolled back: the lake is as it was
  END;
  ms := split_part(m, ' ', 1)::float8;
  rows_changed := split_part(m, ' ', 2)::bigint;
  RETURN NEXT;
END
$fn$;
DO $$
DECLARE
  c record;
  r record;
BEGIN
  FOR run IN 1..3 LOOP
    FOR c IN SELECT * FROM bench_customer ORDER BY account LOOP
      SELECT * INTO r FROM pg_temp.timed(c.account, false);
      INSERT INTO bench_run VALUES (run, 'forget_customer', c.account, r.ms, r.rows_changed);
      CONTINUE WHEN c.n > (SELECT o.full_scan_customers FROM bench_opts o);
      SELECT * INTO r FROM pg_temp.timed(c.account, true);
      INSERT INTO bench_run VALUES (run, 'full scans', c.account, r.ms, r.rows_changed);
    END LOOP;
  END LOOP;
END $$;
\echo '==> forget_customer(account) of 5 customers, 3 runs each, both ways interleaved for the first' :full_scan_customers '(rolled back)'
SELECT b.account, c.contacts, max(b.rows_changed) AS rows_changed,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY b.ms) FILTER (WHERE way = 'forget_customer')::numeric, 1) AS indexed_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY b.ms) FILTER (WHERE way = 'full scans')::numeric, 1) AS full_scan_ms
  FROM bench_run b JOIN bench_customer c USING (account) GROUP BY 1, 2 ORDER BY 1;
SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE way = 'forget_customer')::numeric, 1) AS median_indexed_ms,
       round(max(ms) FILTER (WHERE way = 'forget_customer')::numeric, 1) AS max_indexed_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE way = 'full scans')::numeric, 1) AS median_full_scan_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE way = 'full scans')
            / percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE way = 'forget_customer'
                                                                   AND account IN (SELECT account FROM bench_run WHERE way = 'full scans')))::numeric, 1) AS ratio,
       CASE WHEN max(ms) FILTER (WHERE way = 'forget_customer') < 5000 THEN 'met' ELSE 'NOT met' END AS under_5_s
  FROM bench_run;

-- The writers' check: up to 3000 ingest() calls of records already in the lake
-- (duplicates: the writer's fixed cost per call is what shows), with the
-- erasure list empty, and with the list table renamed away (the check finds
-- no list and stops at once: what a lake without the check does), interleaved;
-- rolled back.
\echo '==> ingest() per call: erasure list empty against no list at all (3 rounds of up to 3000 calls, interleaved)'
CREATE TEMP TABLE bench_docs AS
  SELECT jsonb_build_object('ContactId', contactid, 'InitiationTimestamp', initiationtimestamp,
                            'LastUpdateTimestamp', lastupdatetimestamp, 'Channel', channel) AS doc
    FROM connect_lake.ctr_events ORDER BY contactid LIMIT 3000;
CREATE TEMP TABLE bench_ingest (round integer, way text, ms float8);
BEGIN;
LOCK connect_lake.erasure_list;   -- nobody forgets anyone meanwhile
SELECT count(*) = 0 AS list_empty FROM connect_lake.erasure_list \gset
\if :list_empty
DO $$
DECLARE
  t0 timestamptz;
  d  jsonb;
BEGIN
  FOR r IN 1..3 LOOP
    t0 := clock_timestamp();
    FOR d IN SELECT doc FROM bench_docs LOOP PERFORM connect_lake.ingest('ctr', d); END LOOP;
    INSERT INTO bench_ingest VALUES (r, 'list empty', extract(epoch FROM clock_timestamp() - t0) * 1000);
    ALTER TABLE connect_lake.erasure_list RENAME TO erasure_list_away;
    t0 := clock_timestamp();
    FOR d IN SELECT doc FROM bench_docs LOOP PERFORM connect_lake.ingest('ctr', d); END LOOP;
    INSERT INTO bench_ingest VALUES (r, 'no list', extract(epoch FROM clock_timestamp() - t0) * 1000);
    ALTER TABLE connect_lake.erasure_list_away RENAME TO erasure_list;
  END LOOP;
END $$;
SELECT round(sum(ms) FILTER (WHERE way = 'list empty')::numeric, 0) AS list_empty_ms,
       round(sum(ms) FILTER (WHERE way = 'no list')::numeric, 0) AS no_list_ms,
       round((sum(ms) FILTER (WHERE way = 'list empty') / sum(ms) FILTER (WHERE way = 'no list'))::numeric, 3) AS ratio
  FROM bench_ingest;
\else
\echo '(skipped: the erasure list of this lake is not empty)'
\endif
ROLLBACK;
