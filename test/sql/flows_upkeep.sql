-- The writers keep the flow tables (connect_lake.flows_upkeep, on by
-- default): at the commit of a transaction that wrote flow log events,
-- load(), ingest() and ingest_batch() rebuild the local days those events
-- can change; a CTR landing after its flow logs moves the contact's outcome
-- (containment reads the CTR).  After each step the kept tables must equal,
-- row for row, what flows_refresh() over everything makes (exact(): every
-- missing and extra count 0).  Days: Tuesday 2032-02-03 onwards (London =
-- UTC in February).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixtures :abs_srcdir '/fixtures/flows_upkeep'

CREATE FUNCTION pg_temp.c(n integer) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('f10e0000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid $$;
CREATE FUNCTION pg_temp.block(n integer, at text, flow text, type text, id text, results text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('ContactId', pg_temp.c(n), 'Timestamp', at,
    'ContactFlowId', 'arn:aws:connect:eu-west-2:1:instance/i/contact-flow/up-' || lower(flow), 'ContactFlowName', flow,
    'ContactFlowModuleType', type, 'Identifier', id, 'Results', results))
$$;
CREATE FUNCTION pg_temp.ctr(n integer, init text, disc text, reason text, queued boolean DEFAULT false,
                            updated text DEFAULT '2032-02-06T00:00:00Z') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10', 'ContactId', pg_temp.c(n), 'InitiationMethod', 'INBOUND',
    'Channel', 'VOICE', 'InitiationTimestamp', init, 'DisconnectTimestamp', disc,
    'LastUpdateTimestamp', updated, 'DisconnectReason', reason,
    'Queue', CASE WHEN queued THEN jsonb_build_object('EnqueueTimestamp', init) END))
$$;
-- This test's contacts: their day and how they ended.
CREATE FUNCTION pg_temp.paths() RETURNS TABLE (c integer, day date, entry text, last_identifier text, blocks integer,
  has_ctr boolean, queued boolean, ivr_abandoned boolean, contained boolean)
LANGUAGE sql AS $$
  SELECT right(p.contactid::text, 2)::integer, p.day, right(p.entry_flow_id, 4), p.last_identifier, p.blocks,
         p.has_ctr, p.queued, p.ivr_abandoned, p.contained
    FROM connect_lake.contact_flow_path p
   WHERE p.contactid::text LIKE 'f10e0000-%' ORDER BY 1
$$;
-- This test's days of flow_entry_day.
CREATE FUNCTION pg_temp.entries() RETURNS TABLE (day date, entry text, contacts integer, with_ctr integer,
  contained integer, ivr_abandoned integer, queued integer)
LANGUAGE sql AS $$
  SELECT e.day, right(e.entry_flow_id, 4), e.contacts, e.with_ctr, e.contained, e.ivr_abandoned, e.queued
    FROM connect_lake.flow_entry_day e WHERE e.day >= '2032-02-01' ORDER BY 1, 2
$$;
-- Rows of each kept table that flows_refresh() over everything would not
-- make (extra) or makes and the table lacks (missing): all 0 when exact
-- (test/helpers/kept_vs_rebuilt.sql, shared by the tests that check kept
-- tables).  Leaves the tables as flows_refresh() made them (the same, when exact).
\getenv abs_srcdir PG_ABS_SRCDIR
\set helper :abs_srcdir '/helpers/kept_vs_rebuilt.sql'
\set ECHO none
\i :helper
\set ECHO all
CREATE FUNCTION pg_temp.exact() RETURNS TABLE (tbl text, "rows" bigint, missing bigint, extra bigint)
LANGUAGE sql AS $$
  SELECT * FROM pg_temp.kept_vs_rebuilt(ARRAY['contact_flow_path', 'flow_block_day', 'flow_entry_day', 'flow_names', 'flow_version'],
                                        'SELECT connect_lake.flows_refresh()', 'DELETE FROM', true)
$$;

-- Earlier tests changed the flow tables and logs by hand (TRUNCATE,
-- DELETE), which no writer sees: start from what flows_refresh() makes.
SELECT count(*) >= 0 AS refreshed FROM pg_temp.exact();
SHOW connect_lake.flows_upkeep;

-- ---------- load(): a day of flow logs; no CTR yet (exits unknown)
SET client_min_messages = warning;  -- load()'s NOTICE names the file's absolute path
SELECT files_loaded, records_read, inserted FROM connect_lake.load('contact_flow_log', :'fixtures' || '/1');
RESET client_min_messages;
SELECT * FROM pg_temp.paths();
SELECT * FROM pg_temp.entries();
SELECT identifier, contacts, exits, exits_unknown FROM connect_lake.flow_block_day
 WHERE day = '2032-02-03' ORDER BY flow_id, identifier;
SELECT flow_id LIKE '%/up-main' AS main, version, detected_by FROM connect_lake.flow_version
 WHERE flow_id LIKE 'arn:aws:connect:eu-west-2:1:instance/i/contact-flow/up-%' AND first_seen >= '2032-02-01' ORDER BY 1, 2;
SELECT * FROM pg_temp.exact();

-- ---------- a new day: 5 and 6 on the 4th, 7 from 23:59:55 on into the 5th
-- (all of it the 4th's)
SELECT inserted FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[
  pg_temp.block(5, '2032-02-04T09:00:00Z', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(5, '2032-02-04T09:00:04Z', 'Main', 'GetUserInput', 'Menu', '1'),
  pg_temp.block(6, '2032-02-04T10:00:00Z', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(6, '2032-02-04T10:00:05Z', 'Main', 'GetUserInput', 'Menu', '2'),
  pg_temp.block(6, '2032-02-04T10:00:07Z', 'Main', 'PlayPrompt', 'NewPrompt'),
  pg_temp.block(7, '2032-02-04T23:59:55Z', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(7, '2032-02-05T00:00:02Z', 'Main', 'GetUserInput', 'Menu', '1')]);
SELECT * FROM pg_temp.paths();
SELECT * FROM pg_temp.entries();
SELECT version, detected_by, added FROM connect_lake.flow_version
 WHERE flow_id = 'arn:aws:connect:eu-west-2:1:instance/i/contact-flow/up-main' AND first_seen >= '2032-02-01' ORDER BY 1;
SELECT * FROM pg_temp.exact();

-- ---------- late events: 7 runs one more block after midnight (the 4th's
-- path grows); 2 runs one more block on the 3rd; 5 turns out to have
-- started on the 3rd at 23:59:58 (it moves to the 3rd: the 4th loses it)
SELECT inserted FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[
  pg_temp.block(7, '2032-02-05T00:00:09Z', 'Main', 'Disconnect', 'Bye'),
  pg_temp.block(2, '2032-02-03T10:00:09Z', 'Main', 'GetUserInput', 'Menu', 'Timeout'),
  pg_temp.block(5, '2032-02-03T23:59:58Z', 'Main', 'PlayPrompt', 'Welcome')]);
SELECT * FROM pg_temp.paths();
SELECT * FROM pg_temp.entries();
SELECT * FROM pg_temp.exact();

-- ---------- CTRs landing after their flow logs: 1 queued, 2 the caller hung
-- up in the IVR, 3 the flow hung up (contained), 5 hung up; then a newer
-- version of 2: it was queued after all
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1, '2032-02-03T09:00:00Z', '2032-02-03T09:05:00Z', 'CUSTOMER_DISCONNECT', queued => true),
  pg_temp.ctr(2, '2032-02-03T10:00:00Z', '2032-02-03T10:00:10Z', 'CUSTOMER_DISCONNECT'),
  pg_temp.ctr(3, '2032-02-03T11:00:00Z', '2032-02-03T11:00:10Z', 'CONTACT_FLOW_DISCONNECT'),
  pg_temp.ctr(5, '2032-02-03T23:59:58Z', '2032-02-04T09:00:06Z', 'CUSTOMER_DISCONNECT')]);
SELECT * FROM pg_temp.paths();
SELECT * FROM pg_temp.entries();
SELECT identifier, exits, exits_queue, exits_hang_up, exits_ended, exits_unknown FROM connect_lake.flow_block_day
 WHERE day = '2032-02-03' AND exits > 0 ORDER BY flow_id, identifier;
SELECT * FROM pg_temp.exact();
SELECT connect_lake.ingest('ctr', pg_temp.ctr(2, '2032-02-03T10:00:00Z', '2032-02-03T10:00:10Z', 'CUSTOMER_DISCONNECT',
                                              queued => true, updated => '2032-02-07T00:00:00Z'));
SELECT * FROM pg_temp.paths() WHERE c = 2;
SELECT * FROM pg_temp.entries();
SELECT * FROM pg_temp.exact();

-- ---------- a re-delivered file: every event a duplicate, nothing changes
SET client_min_messages = warning;
SELECT files_loaded, records_read, inserted, duplicates FROM connect_lake.load('contact_flow_log', :'fixtures' || '/2');
RESET client_min_messages;
SELECT * FROM pg_temp.exact();

-- ---------- transactions: the upkeep runs at commit, for what committed; a
-- rolled-back savepoint takes its events (and their days) with it
BEGIN;
SELECT connect_lake.ingest('contact_flow_log', pg_temp.block(8, '2032-02-06T09:00:00Z', 'Main', 'PlayPrompt', 'Welcome'));
SELECT count(*) AS before_commit FROM connect_lake.contact_flow_path WHERE contactid = pg_temp.c(8);
SAVEPOINT s;
SELECT connect_lake.ingest('contact_flow_log', pg_temp.block(9, '2032-02-07T09:00:00Z', 'Main', 'PlayPrompt', 'Welcome'));
SELECT connect_lake.ingest('contact_flow_log', pg_temp.block(4, '2032-02-03T12:00:30Z', 'Auth', 'Disconnect', 'Bye'));
ROLLBACK TO SAVEPOINT s;
SELECT connect_lake.ingest('contact_flow_log', pg_temp.block(8, '2032-02-06T09:00:04Z', 'Main', 'GetUserInput', 'Menu', '1'));
COMMIT;
SELECT * FROM pg_temp.paths() WHERE c IN (4, 8, 9);
SELECT count(*) AS days_7th FROM connect_lake.flow_block_day WHERE day = '2032-02-07';
BEGIN;
SELECT connect_lake.ingest('contact_flow_log', pg_temp.block(10, '2032-02-06T09:00:00Z', 'Main', 'PlayPrompt', 'Welcome'));
ROLLBACK;
SELECT * FROM pg_temp.paths() WHERE c = 10;
SELECT * FROM pg_temp.exact();

-- ---------- upkeep off (a bulk load of history): the tables wait for flows_refresh()
SET connect_lake.flows_upkeep = off;
SELECT connect_lake.ingest('contact_flow_log', pg_temp.block(11, '2032-02-06T11:00:00Z', 'Main', 'PlayPrompt', 'Welcome'));
SELECT connect_lake.ingest('ctr', pg_temp.ctr(6, '2032-02-04T10:00:00Z', '2032-02-04T10:00:09Z', 'CONTACT_FLOW_DISCONNECT'));
SELECT * FROM pg_temp.paths() WHERE c IN (6, 11);
RESET connect_lake.flows_upkeep;
SELECT connect_lake.flows_refresh('2032-02-04', '2032-02-06') AS contacts;
SELECT * FROM pg_temp.paths() WHERE c IN (6, 11);
SELECT * FROM pg_temp.exact();

-- ---------- the loader role keeps the flow tables with its own privileges
CREATE ROLE regress_cl_flows_loader IN ROLE connect_lake_loader;
SET ROLE regress_cl_flows_loader;
SELECT connect_lake.ingest('contact_flow_log', pg_temp.block(12, '2032-02-06T12:00:00Z', 'Main', 'PlayPrompt', 'Welcome'));
SELECT connect_lake.ingest('ctr', pg_temp.ctr(12, '2032-02-06T12:00:00Z', '2032-02-06T12:00:05Z', 'CUSTOMER_DISCONNECT'));
RESET ROLE;
SELECT * FROM pg_temp.paths() WHERE c = 12;
SELECT * FROM pg_temp.exact();
DROP ROLE regress_cl_flows_loader;

-- Leave the lake as it was for the tests after this one.
DELETE FROM connect_lake.contact_flow_log WHERE contactid::text LIKE 'f10e0000-%';
DELETE FROM connect_lake.ctr_events WHERE contactid::text LIKE 'f10e0000-%';
DELETE FROM connect_lake.contact_repeat WHERE contactid::text LIKE 'f10e0000-%';
SELECT connect_lake.flows_refresh('2032-02-01', '2032-02-29') AS contacts;
DELETE FROM connect_lake.flow_version WHERE flow_id LIKE '%/contact-flow/up-%';
DELETE FROM connect_lake.flow_names WHERE flow_id LIKE '%/contact-flow/up-%';
SELECT connect_lake.metrics_refresh('2032-02-01', '2032-03-01') >= 0 AS metrics;
