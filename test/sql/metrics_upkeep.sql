-- The writers keep the contact metrics (connect_lake.metrics_upkeep, on by
-- default): load(), ingest() and ingest_batch() bring contact_metric and every
-- rollup up to date for the contacts a transaction landed, when it commits.
-- After each step the kept tables must equal, row for row, what
-- metrics_refresh() over everything makes (pg_temp.exact()): a late leg in a
-- later load, a newer version moving its contact to another interval, a
-- failed file, a rolled-back savepoint, upkeep switched off.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixtures :abs_srcdir '/fixtures/metrics_upkeep'

CREATE FUNCTION pg_temp.c(n integer) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('abcdef00-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid $$;
CREATE FUNCTION pg_temp.ctr(n integer, method text, init text, disc text, enq text DEFAULT NULL,
                            agent text DEFAULT NULL, prev integer DEFAULT NULL,
                            updated text DEFAULT '2031-05-07T00:00:00Z') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10', 'ContactId', pg_temp.c(n), 'InitiationMethod', method,
    'Channel', 'VOICE', 'InitiationTimestamp', '2031-05-06T' || init || 'Z',
    'DisconnectTimestamp', '2031-05-06T' || disc || 'Z', 'LastUpdateTimestamp', updated,
    'DisconnectReason', 'CUSTOMER_DISCONNECT', 'PreviousContactId', pg_temp.c(prev),
    'Queue', CASE WHEN enq IS NOT NULL THEN jsonb_build_object(
      'ARN', 'arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111/queue/eeeeeeee-0000-4000-8000-00000000000e',
      'Name', 'Queue E', 'EnqueueTimestamp', '2031-05-06T' || enq || 'Z') END,
    'Agent', CASE WHEN agent IS NOT NULL THEN jsonb_build_object(
      'ARN', 'arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111/agent/ffffffff-0000-4000-8000-00000000000f',
      'Username', 'bob', 'ConnectedToAgentTimestamp', '2031-05-06T' || agent || 'Z',
      'AgentInteractionDuration', 60, 'AfterContactWorkDuration', 10) END))
$$;
-- A contact's interval and flags.
CREATE FUNCTION pg_temp.flags(VARIADIC ns integer[]) RETURNS TABLE (n integer, "interval" text, flags text)
LANGUAGE sql AS $$
  SELECT u.n, to_char(m.interval_start, 'HH24:MI'),
         concat_ws(' ', CASE WHEN m.queued THEN 'q' END, CASE WHEN m.handled THEN 'h' END,
                   CASE WHEN m.abandoned THEN 'a' END, CASE WHEN m.callback_requested THEN 'cb' END,
                   CASE WHEN m.xfer_out_queue THEN 'xq' END)
    FROM unnest(ns) u(n) LEFT JOIN connect_lake.contact_metric m ON m.contactid = pg_temp.c(u.n)
   ORDER BY u.n
$$;
-- The rollups of this test's queue, per interval.
CREATE FUNCTION pg_temp.queue_rows() RETURNS TABLE ("interval" text, queue_kind text, contacts integer,
  queued integer, handled integer, abandoned integer, callbacks integer, xfer_queue integer)
LANGUAGE sql AS $$
  SELECT to_char(r.interval_start, 'HH24:MI'), r.queue_kind, r.contacts, r.contacts_queued, r.contacts_handled,
         r.contacts_abandoned, r.callbacks_requested, r.transferred_out_from_queue
    FROM connect_lake.metric_queue_interval r
   WHERE r.queue_id = 'eeeeeeee-0000-4000-8000-00000000000e'
   ORDER BY r.interval_start, r.queue_kind, r.queue_id
$$;
-- Rows of each kept table that metrics_refresh() over everything would not
-- make (extra) or makes and the table lacks (missing): all 0 when exact
-- (test/helpers/kept_vs_rebuilt.sql, shared by the tests that check kept
-- tables).  Leaves the tables as metrics_refresh() made them (the same, when exact).
\set helper :abs_srcdir '/helpers/kept_vs_rebuilt.sql'
\set ECHO none
\i :helper
\set ECHO all
CREATE FUNCTION pg_temp.exact() RETURNS TABLE (tbl text, "rows" bigint, missing bigint, extra bigint)
LANGUAGE sql AS $$
  SELECT * FROM pg_temp.kept_vs_rebuilt(ARRAY['contact_metric', 'metric_queue_interval', 'metric_agent_interval',
                                               'metric_queue_threshold', 'metric_queue_day', 'metric_queue_threshold_day'],
                                        'SELECT connect_lake.metrics_refresh()')
$$;

-- Earlier tests changed ctr_events by hand (TRUNCATE, DELETE), which no
-- writer sees: start from the metrics of what ctr_events holds now.
SELECT count(*) >= 0 AS refreshed FROM pg_temp.exact();

-- ---------- load(): contacts land, then their late legs in a later load
-- 101 queued, not handled: abandoned (for now); 102 handled at 10:00;
-- 103 queued, not handled: abandoned (for now).
SET client_min_messages = warning;  -- load()'s NOTICE names the file's absolute path
SELECT files_loaded, records_read, inserted FROM connect_lake.load('ctr', :'fixtures' || '/1');
RESET client_min_messages;
SHOW connect_lake.metrics_upkeep;
SELECT * FROM pg_temp.flags(101, 102, 103);
SELECT * FROM pg_temp.queue_rows();
SELECT * FROM pg_temp.exact();

-- The later load: b.ndjson carries 104, the CALLBACK leg of 101 (101 becomes
-- callback requested, no longer abandoned), 105, the QUEUE_TRANSFER leg of 103
-- (transferred out from queue), and a newer version of 102 whose disconnect
-- moves it from 10:00 to 11:15 (10:00 loses it).  c.ndjson fails on its
-- second line (on_error 'stop'): its first contact, 106, lands nowhere, in
-- ctr_events or in the metrics.
SET client_min_messages = error;  -- the WARNING names the file's absolute path
SELECT files_loaded, files_failed, records_read, inserted, updated FROM connect_lake.load('ctr', :'fixtures' || '/2');
RESET client_min_messages;
SELECT * FROM pg_temp.flags(101, 102, 103, 104, 105, 106);
SELECT * FROM pg_temp.queue_rows();
SELECT * FROM pg_temp.exact();

-- ---------- ingest_batch() and ingest()
-- 201 queued at 13:00 and not handled, 202 handled; then 203, a CALLBACK
-- leg of 201, arrives alone through ingest().
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(201, 'INBOUND', '13:00:00', '13:02:00', enq => '13:00:05'),
  pg_temp.ctr(202, 'INBOUND', '13:00:00', '13:20:00', enq => '13:00:05', agent => '13:00:30')]);
SELECT * FROM pg_temp.flags(201, 202);
SELECT connect_lake.ingest('ctr', pg_temp.ctr(203, 'CALLBACK', '13:02:00', '13:50:00', enq => '13:02:00',
                                              agent => '13:40:00', prev => 201));
SELECT * FROM pg_temp.flags(201, 202, 203);
-- An older version of 202 changes nothing; a newer one moves it to 23:00
-- UTC, which is the next local day (London, BST): both days' rows change.
SELECT connect_lake.ingest('ctr', pg_temp.ctr(202, 'INBOUND', '13:00:00', '13:59:00', enq => '13:00:05',
                                              agent => '13:00:30', updated => '2031-05-06T23:00:00Z'));
SELECT * FROM pg_temp.flags(202);
SELECT connect_lake.ingest('ctr', pg_temp.ctr(202, 'INBOUND', '13:00:00', '23:10:00', enq => '13:00:05',
                                              agent => '13:00:30', updated => '2031-05-08T00:00:00Z'));
SELECT * FROM pg_temp.flags(202);
SELECT * FROM pg_temp.queue_rows();
SELECT day, contacts, contacts_queued, contacts_handled, queued_time_max FROM connect_lake.metric_queue_day
 WHERE queue_id = 'eeeeeeee-0000-4000-8000-00000000000e' ORDER BY day;
SELECT * FROM pg_temp.exact();

-- The longest queue time shrinks when the contact that had it changes: 204
-- (100 s in queue) and 205 (5000 s) end at 18:50; then 205's newer version
-- was queued 50 s: the interval's longest becomes 204's 100 s, the day's
-- 203's 2880 s.
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(204, 'INBOUND', '18:40:00', '18:50:00', enq => '18:48:20'),
  pg_temp.ctr(205, 'INBOUND', '17:20:00', '18:50:00', enq => '17:26:40')]);
CREATE FUNCTION pg_temp.longest() RETURNS TABLE (interval_max integer, day_max integer) LANGUAGE sql AS $$
  SELECT (SELECT queued_time_max FROM connect_lake.metric_queue_interval
           WHERE queue_id = 'eeeeeeee-0000-4000-8000-00000000000e' AND interval_start = '2031-05-06 18:45+00'),
         (SELECT queued_time_max FROM connect_lake.metric_queue_day
           WHERE queue_id = 'eeeeeeee-0000-4000-8000-00000000000e' AND day = '2031-05-06')
$$;
SELECT * FROM pg_temp.longest();
SELECT connect_lake.ingest('ctr', pg_temp.ctr(205, 'INBOUND', '17:20:00', '18:50:00', enq => '18:49:10',
                                              updated => '2031-05-08T00:00:00Z'));
SELECT * FROM pg_temp.longest();
SELECT * FROM pg_temp.exact();

-- ---------- transactions: the upkeep runs at commit, for what committed
-- Within the transaction the metrics are those of the last commit ...
BEGIN;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(301, 'INBOUND', '15:00:00', '15:01:00', enq => '15:00:01'));
SELECT * FROM pg_temp.flags(301);
SAVEPOINT s;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(302, 'INBOUND', '15:00:00', '15:01:00', enq => '15:00:01'));
ROLLBACK TO SAVEPOINT s;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(303, 'INBOUND', '15:00:00', '15:31:00', enq => '15:00:01'));
COMMIT;
-- ... and after the commit those of 301 and 303; 302 was rolled back.
SELECT * FROM pg_temp.flags(301, 302, 303);
BEGIN;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(304, 'INBOUND', '15:00:00', '15:01:00', enq => '15:00:01'));
ROLLBACK;
SELECT * FROM pg_temp.flags(304);
SELECT * FROM pg_temp.exact();

-- ---------- upkeep off: the metrics wait for metrics_refresh()
SET connect_lake.metrics_upkeep = off;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(401, 'INBOUND', '16:00:00', '16:01:00', enq => '16:00:01'));
SELECT * FROM pg_temp.flags(401);
SELECT connect_lake.metrics_refresh('2031-05-06 16:00', '2031-05-06 17:00') AS recomputed;
-- (a range without contacts, and a lake without any, are done at once)
SELECT connect_lake.metrics_refresh('1990-01-01', '1990-01-02') AS recomputed;
BEGIN;
TRUNCATE connect_lake.ctr_events, connect_lake.contact_metric;
SELECT connect_lake.metrics_refresh() AS recomputed;
ROLLBACK;
SELECT * FROM pg_temp.flags(401);
RESET connect_lake.metrics_upkeep;
SELECT * FROM pg_temp.exact();

-- ---------- the loader role keeps the metrics with its own privileges
CREATE ROLE regress_cl_upkeep_loader IN ROLE connect_lake_loader;
SET ROLE regress_cl_upkeep_loader;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(501, 'CALLBACK', '16:01:00', '16:20:00', enq => '16:01:00',
                                              agent => '16:10:00', prev => 401));
RESET ROLE;
SELECT * FROM pg_temp.flags(401, 501);
SELECT * FROM pg_temp.exact();
DROP ROLE regress_cl_upkeep_loader;

-- ---------- the repeat contacts have their own setting
-- connect_lake.repeats_upkeep switches the writers' upkeep of contact_repeat
-- alone, connect_lake.metrics_upkeep that of the contact metrics: 601 lands
-- with the repeat upkeep off (its metrics kept, no repeat row), 602 (the same
-- caller) with the metric upkeep off (its repeat row kept, no metrics).
SHOW connect_lake.repeats_upkeep;
CREATE FUNCTION pg_temp.caller(n integer, init text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT pg_temp.ctr(n, 'INBOUND', init, init, enq => init)
         || '{"CustomerEndpoint": {"Address": "+447700900601", "Type": "TELEPHONE_NUMBER"}}'
$$;
CREATE FUNCTION pg_temp.kept(VARIADIC ns integer[]) RETURNS TABLE (n integer, metric boolean, repeat boolean)
LANGUAGE sql AS $$
  SELECT u.n, EXISTS (SELECT FROM connect_lake.contact_metric m WHERE m.contactid = pg_temp.c(u.n)),
         EXISTS (SELECT FROM connect_lake.contact_repeat r WHERE r.contactid = pg_temp.c(u.n))
    FROM unnest(ns) u(n) ORDER BY u.n
$$;
SET connect_lake.repeats_upkeep = off;
SELECT connect_lake.ingest('ctr', pg_temp.caller(601, '17:00:00')) AS landed;
RESET connect_lake.repeats_upkeep;
SET connect_lake.metrics_upkeep = off;
SELECT connect_lake.ingest('ctr', pg_temp.caller(602, '17:30:00')) AS landed;
RESET connect_lake.metrics_upkeep;
SELECT * FROM pg_temp.kept(601, 602);
-- the refreshes bring both up to date; then both settings on: 603 is kept
-- in both, and its repeat row is the one a rebuild makes (602 repeated)
SELECT connect_lake.contact_repeat_refresh(ARRAY[pg_temp.c(601), pg_temp.c(602)]) AS repeat_contacts;
SELECT count(*) >= 0 AS refreshed FROM pg_temp.exact();
SELECT connect_lake.ingest('ctr', pg_temp.caller(603, '18:00:00')) AS landed;
SELECT * FROM pg_temp.kept(601, 602, 603);
CREATE TEMP TABLE kept_repeat AS
  SELECT * FROM connect_lake.contact_repeat WHERE contactid IN (pg_temp.c(601), pg_temp.c(602), pg_temp.c(603));
SELECT connect_lake.contact_repeat_refresh(ARRAY[pg_temp.c(601)]) AS repeat_contacts;
SELECT right(contactid::text, 3) AS c, is_repeat, repeated, chain_seq
  FROM connect_lake.contact_repeat WHERE contactid IN (pg_temp.c(601), pg_temp.c(602), pg_temp.c(603))
 ORDER BY 1;
SELECT count(*) AS differences
  FROM ((TABLE kept_repeat EXCEPT SELECT * FROM connect_lake.contact_repeat)
        UNION ALL
        (SELECT * FROM connect_lake.contact_repeat WHERE contactid IN (pg_temp.c(601), pg_temp.c(602), pg_temp.c(603))
         EXCEPT TABLE kept_repeat)) d;
SELECT * FROM pg_temp.exact();
-- leave the lake as before this section
DELETE FROM connect_lake.ctr_events WHERE contactid IN (pg_temp.c(601), pg_temp.c(602), pg_temp.c(603));
DELETE FROM connect_lake.contact_account WHERE contactid IN (pg_temp.c(601), pg_temp.c(602), pg_temp.c(603));
SELECT connect_lake.contact_repeat_refresh(ARRAY[pg_temp.c(601), pg_temp.c(602), pg_temp.c(603)]) AS repeat_contacts;
SELECT count(*) >= 0 AS refreshed FROM pg_temp.exact();
SELECT * FROM pg_temp.kept(601, 602, 603);

-- ---------- statistics that make a table look empty
-- An ANALYZE that ran while a load's rows were uncommitted (autovacuum's,
-- just after a TRUNCATE) leaves pg_class with the table's pages and no rows;
-- planned with that, the upkeep scanned the table once per contact.  The
-- upkeep functions then plan without nested loops and sequential scans
-- (upkeep_stats_stale()), and keep the same rows.
CREATE TEMP TABLE stale_probe (g integer);
INSERT INTO stale_probe SELECT generate_series(1, 5000);
DELETE FROM stale_probe;
ANALYZE stale_probe;
SELECT connect_lake.upkeep_stats_stale(ARRAY['stale_probe']::regclass[]) AS looks_empty;
INSERT INTO stale_probe SELECT generate_series(1, 5000);
ANALYZE stale_probe;
SELECT connect_lake.upkeep_stats_stale(ARRAY['stale_probe']::regclass[]) AS looks_empty;
-- contact_metric's pages full of rows rolled back, analyzed: its few rows
-- on many pages
BEGIN;
INSERT INTO connect_lake.contact_metric (contactid, initiationtimestamp, queue_kind, queued, handled, answered,
                                         xfer_out_external, held)
  SELECT gen_random_uuid(), '2026-03-02 08:00+00', 'NONE', false, false, false, false, false
    FROM generate_series(1, 20000);
ROLLBACK;
ANALYZE connect_lake.contact_metric;
SELECT connect_lake.upkeep_stats_stale(ARRAY['connect_lake.contact_metric']::regclass[]) AS looks_empty;
-- what each upkeep function asks first: still looking empty after its
-- ANALYZE, so nested loops and sequential scans off to the end of the
-- transaction (past the guard's own return), and back as they were
BEGIN;
SELECT connect_lake.upkeep_plan_guard(ARRAY['connect_lake.contact_metric']::regclass[]) AS saved \gset
SELECT :'saved' AS saved, current_setting('enable_nestloop') AS nestloop, current_setting('enable_seqscan') AS seqscan;
SELECT connect_lake.upkeep_plan_restore(:'saved');
SELECT current_setting('enable_nestloop') AS nestloop, current_setting('enable_seqscan') AS seqscan;
SELECT connect_lake.upkeep_plan_guard(ARRAY['stale_probe']::regclass[]) IS NULL AS nothing_changed;
ROLLBACK;
-- 701 by the loader role, which may not analyze contact_metric (it plans
-- without nested loops and sequential scans); 702 by its owner, which
-- analyzes it again first (its few rows still lie on many pages: then the same)
CREATE ROLE regress_cl_stale_loader IN ROLE connect_lake_loader;
SET ROLE regress_cl_stale_loader;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(701, 'INBOUND', '19:00:00', '19:10:00', enq => '19:00:00'));
RESET ROLE;
DROP ROLE regress_cl_stale_loader;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(702, 'CALLBACK', '19:20:00', '19:30:00', enq => '19:20:00',
                                              agent => '19:25:00', prev => 701));
SELECT * FROM pg_temp.flags(701, 702);
SHOW enable_nestloop;
SHOW enable_seqscan;
SELECT * FROM pg_temp.exact();
DELETE FROM connect_lake.ctr_events WHERE contactid IN (pg_temp.c(701), pg_temp.c(702));
SELECT count(*) >= 0 AS refreshed FROM pg_temp.exact();
VACUUM ANALYZE connect_lake.contact_metric;
SELECT connect_lake.upkeep_stats_stale(ARRAY['connect_lake.contact_metric']::regclass[]) AS looks_empty;

-- ---------- metric_rollup_delta_rows(): the C pass against the _live views
-- Every contact_metric row added (after) into emptied rollups: each kind's
-- rows are those of its table's _live view (day rows: metric_queue_day_rows()
-- and metric_queue_threshold_day_rows() of the refreshed intervals), all of
-- them new; the same rows taken out as well as added (before = after): every
-- sum 0.  (The contacts of the earlier tests: metrics.sql's traps among them.)
SELECT count(*) >= 0 AS refreshed FROM pg_temp.exact();
SELECT count(*) > 0 AS has_contacts, count(*) FILTER (WHERE m.queued) > 0 AS has_queued
  FROM connect_lake.contact_metric m WHERE m.interval_start IS NOT NULL;
BEGIN;
CREATE TEMP TABLE want_qd AS SELECT * FROM connect_lake.metric_queue_day_rows('-infinity', 'infinity');
CREATE TEMP TABLE want_qtd AS SELECT * FROM connect_lake.metric_queue_threshold_day_rows('-infinity', 'infinity');
TRUNCATE connect_lake.metric_queue_interval, connect_lake.metric_agent_interval, connect_lake.metric_queue_threshold;
CREATE TEMP TABLE got AS
  SELECT * FROM connect_lake.metric_rollup_delta_rows('{}', (SELECT array_agg(m) FROM connect_lake.contact_metric m),
                                                      connect_lake.metric_thresholds(), connect_lake.metric_time_zone());
SELECT kind, count(*) > 0 AS has_rows FROM got GROUP BY kind ORDER BY kind;
CREATE TEMP VIEW got_qi AS
  SELECT (ROW(r.interval_start, r.queue_kind, r.queue_id, r.channel, r.v[1]::integer, r.v[2]::integer, r.v[3]::integer,
             r.v[4]::integer, r.v[5]::integer, r.v[6]::integer, r.v[7]::integer, r.v[8]::integer, r.v[9]::integer,
             r.v[10]::integer, r.v[11]::integer, r.v[12]::integer, r.v[13]::integer, r.v[14]::integer, r.v[15]::integer,
             r.v[16]::integer, r.v[17]::integer, r.v[18]::integer, r.v[19]::integer, r.v[20], r.v[21], r.queued_time_max,
             r.v[22], r.v[23], r.v[24], r.v[25], r.v[26], r.v[27])::connect_lake.metric_queue_interval).*
    FROM got r WHERE r.kind = 'queue_new';
CREATE TEMP VIEW got_qd AS
  SELECT (ROW(r.day, r.queue_kind, r.queue_id, r.channel, r.v[1]::integer, r.v[2]::integer, r.v[3]::integer,
             r.v[4]::integer, r.v[5]::integer, r.v[6]::integer, r.v[7]::integer, r.v[8]::integer, r.v[9]::integer,
             r.v[10]::integer, r.v[11]::integer, r.v[12]::integer, r.v[13]::integer, r.v[14]::integer, r.v[15]::integer,
             r.v[16]::integer, r.v[17]::integer, r.v[18]::integer, r.v[19]::integer, r.v[20], r.v[21], r.queued_time_max,
             r.v[22], r.v[23], r.v[24], r.v[25], r.v[26], r.v[27])::connect_lake.metric_queue_day).*
    FROM got r WHERE r.kind = 'queue_day';
CREATE TEMP VIEW got_ai AS
  SELECT (ROW(r.interval_start, r.agent_id, r.channel, r.v[1]::integer, r.v[2]::integer, r.v[3]::integer, r.v[4]::integer,
             r.v[5]::integer, r.v[6]::integer, r.v[7]::integer, r.v[8]::integer, r.v[9]::integer, r.v[10]::integer,
             r.v[11]::integer, r.v[12]::integer, r.v[13], r.v[14], r.v[15], r.v[16], r.v[17])::connect_lake.metric_agent_interval).*
    FROM got r WHERE r.kind = 'agent_new';
CREATE TEMP VIEW got_qt AS
  SELECT (ROW(r.interval_start, r.queue_kind, r.queue_id, r.channel, r.threshold_s, r.v[1]::integer, r.v[2]::integer,
             r.v[3]::integer, r.v[4]::integer, r.v[5]::integer, r.v[6]::integer)::connect_lake.metric_queue_threshold).*
    FROM got r WHERE r.kind = 'threshold_new';
CREATE TEMP VIEW got_qtd AS
  SELECT (ROW(r.day, r.queue_kind, r.queue_id, r.channel, r.threshold_s, r.v[1]::integer, r.v[2]::integer,
             r.v[3]::integer, r.v[4]::integer, r.v[5]::integer, r.v[6]::integer)::connect_lake.metric_queue_threshold_day).*
    FROM got r WHERE r.kind = 'threshold_day';
SELECT t AS rollup, n AS "rows", missing, extra FROM (
  SELECT 'queue interval' t, (SELECT count(*) FROM got_qi) n,
         (SELECT count(*) FROM (TABLE connect_lake.metric_queue_interval_live EXCEPT ALL TABLE got_qi) x) missing,
         (SELECT count(*) FROM (TABLE got_qi EXCEPT ALL TABLE connect_lake.metric_queue_interval_live) x) extra
  UNION ALL SELECT 'queue day', (SELECT count(*) FROM got_qd),
         (SELECT count(*) FROM (TABLE want_qd EXCEPT ALL TABLE got_qd) x),
         (SELECT count(*) FROM (TABLE got_qd EXCEPT ALL TABLE want_qd) x)
  UNION ALL SELECT 'agent interval', (SELECT count(*) FROM got_ai),
         (SELECT count(*) FROM (TABLE connect_lake.metric_agent_interval_live EXCEPT ALL TABLE got_ai) x),
         (SELECT count(*) FROM (TABLE got_ai EXCEPT ALL TABLE connect_lake.metric_agent_interval_live) x)
  UNION ALL SELECT 'threshold interval', (SELECT count(*) FROM got_qt),
         (SELECT count(*) FROM (TABLE connect_lake.metric_queue_threshold_live EXCEPT ALL TABLE got_qt) x),
         (SELECT count(*) FROM (TABLE got_qt EXCEPT ALL TABLE connect_lake.metric_queue_threshold_live) x)
  UNION ALL SELECT 'threshold day', (SELECT count(*) FROM got_qtd),
         (SELECT count(*) FROM (TABLE want_qtd EXCEPT ALL TABLE got_qtd) x),
         (SELECT count(*) FROM (TABLE got_qtd EXCEPT ALL TABLE want_qtd) x)) c
 ORDER BY 1;
-- kept rows: with the rollups there, interval rows come as kind queue and
-- agent (upserts), and a kept "within X" group's rows only where they
-- change: taking every row out and adding it again changes nothing
ROLLBACK;
SELECT r.kind, count(*) > 0 AS has_rows, bool_and(0 = ALL (r.v)) AS all_zero
  FROM connect_lake.metric_rollup_delta_rows((SELECT array_agg(m) FROM connect_lake.contact_metric m),
                                             (SELECT array_agg(m) FROM connect_lake.contact_metric m),
                                             connect_lake.metric_thresholds(), connect_lake.metric_time_zone()) r
 GROUP BY r.kind ORDER BY r.kind;
-- thresholds out of order are refused
SELECT count(*) FROM connect_lake.metric_rollup_delta_rows('{}', (SELECT array_agg(m) FROM connect_lake.contact_metric m),
                                                           '{20,15}', 'UTC');

-- ---------- metric_rollup_delta_write(): the new interval rows written directly
-- The same pass, but the interval rows the tables do not have (queue_new,
-- agent_new, threshold_new) inserted into their tables from C, as COPY
-- writes, instead of returned (READ COMMITTED, as metric_rollup_delta()
-- calls it): every contact added into emptied rollups, only the day kinds
-- come back and each interval table holds its _live view's rows.
CREATE FUNCTION pg_temp.interval_tables() RETURNS TABLE (rollup text, "rows" bigint, missing bigint, extra bigint)
LANGUAGE sql AS $$
  SELECT 'queue interval', (SELECT count(*) FROM connect_lake.metric_queue_interval),
         (SELECT count(*) FROM (TABLE connect_lake.metric_queue_interval_live EXCEPT ALL TABLE connect_lake.metric_queue_interval) x),
         (SELECT count(*) FROM (TABLE connect_lake.metric_queue_interval EXCEPT ALL TABLE connect_lake.metric_queue_interval_live) x)
  UNION ALL SELECT 'agent interval', (SELECT count(*) FROM connect_lake.metric_agent_interval),
         (SELECT count(*) FROM (TABLE connect_lake.metric_agent_interval_live EXCEPT ALL TABLE connect_lake.metric_agent_interval) x),
         (SELECT count(*) FROM (TABLE connect_lake.metric_agent_interval EXCEPT ALL TABLE connect_lake.metric_agent_interval_live) x)
  UNION ALL SELECT 'threshold interval', (SELECT count(*) FROM connect_lake.metric_queue_threshold),
         (SELECT count(*) FROM (TABLE connect_lake.metric_queue_threshold_live EXCEPT ALL TABLE connect_lake.metric_queue_threshold) x),
         (SELECT count(*) FROM (TABLE connect_lake.metric_queue_threshold EXCEPT ALL TABLE connect_lake.metric_queue_threshold_live) x)
$$;
CREATE FUNCTION pg_temp.write_all() RETURNS TABLE (kind text, "rows" bigint)
LANGUAGE sql AS $$
  SELECT r.kind, count(*)
    FROM connect_lake.metric_rollup_delta_write('{}', (SELECT array_agg(m) FROM connect_lake.contact_metric m),
                                                connect_lake.metric_thresholds(), connect_lake.metric_time_zone()) r
   GROUP BY r.kind ORDER BY r.kind
$$;
BEGIN;
TRUNCATE connect_lake.metric_queue_interval, connect_lake.metric_agent_interval, connect_lake.metric_queue_threshold;
SELECT kind, "rows" > 0 AS has_rows FROM pg_temp.write_all();
SELECT rollup, "rows" > 0 AS has_rows, missing, extra FROM pg_temp.interval_tables();
-- called again with the same rows: now kept, they come back as upserts' rows
SELECT kind, "rows" > 0 AS has_rows FROM pg_temp.write_all();
ROLLBACK;
-- a table with a trigger (which a direct write would not fire) gets its new
-- rows back, for the statement's INSERT; the others are written
BEGIN;
TRUNCATE connect_lake.metric_queue_interval, connect_lake.metric_agent_interval, connect_lake.metric_queue_threshold;
CREATE FUNCTION pg_temp.regress_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER regress_noop BEFORE INSERT ON connect_lake.metric_agent_interval
  FOR EACH ROW EXECUTE FUNCTION pg_temp.regress_noop();
SELECT kind, "rows" > 0 AS has_rows FROM pg_temp.write_all();
SELECT rollup, "rows" > 0 AS has_rows FROM pg_temp.interval_tables();
ROLLBACK;
-- in REPEATABLE READ every new row comes back (metric_rollup_delta()
-- upserts them there), none is written
BEGIN ISOLATION LEVEL REPEATABLE READ;
TRUNCATE connect_lake.metric_queue_interval, connect_lake.metric_agent_interval, connect_lake.metric_queue_threshold;
SELECT kind, "rows" > 0 AS has_rows FROM pg_temp.write_all();
SELECT rollup, "rows" > 0 AS has_rows FROM pg_temp.interval_tables();
ROLLBACK;
-- the function writes: the loader may call it, PUBLIC may not
SELECT has_function_privilege('connect_lake_loader', 'connect_lake.metric_rollup_delta_write(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text)', 'EXECUTE') AS loader,
       has_function_privilege('public', 'connect_lake.metric_rollup_delta_write(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text)', 'EXECUTE') AS public;
