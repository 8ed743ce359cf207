-- The writers' upkeep of the contact metric rollups (metric_rollup_delta(),
-- its C pass metric_rollup_delta_rows()) at their edges: after every step the
-- kept tables must equal, row for row, what metrics_refresh() over
-- everything makes (pg_temp.exact(): missing and extra 0).  Local days
-- across DST changes (a 23- and a 25-hour day of America/New_York, intervals
-- whose local day is not their UTC day), groups without a queue, a channel
-- or an agent (keys UNIQUE NULLS NOT DISTINCT), excluded contacts, a contact
-- moving between intervals, days, queues, channels and agents, a contact
-- removed, late legs correcting a predecessor in another day, the longest
-- queue time taken out, groups left empty, queue times exactly at a
-- threshold, thresholds added and removed, sums past the integer range.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.c(n integer) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('abcdef00-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid $$;
-- A CTR: times are full UTC timestamps ('2026-03-08 04:50'); queue q (1, 2:
-- standard queues; 9: a standard queue whose ARN holds no UUID, queue_id
-- NULL; NULL: none), enqueued at enq, queue duration qdur
-- (seconds; NULL: from the timestamps); agent a (1, 2; NULL: none) connected
-- at conn; channel ch (NULL: none).
CREATE FUNCTION pg_temp.ctr(n integer, init text, disc text, q integer DEFAULT NULL, enq text DEFAULT NULL,
                            qdur integer DEFAULT NULL, a integer DEFAULT NULL, conn text DEFAULT NULL,
                            ch text DEFAULT 'VOICE', method text DEFAULT 'INBOUND', prev integer DEFAULT NULL,
                            talk integer DEFAULT 60, updated text DEFAULT '2027-01-01 00:00') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10', 'ContactId', pg_temp.c(n), 'InitiationMethod', method,
    'Channel', ch, 'InitiationTimestamp', replace(init, ' ', 'T') || ':00Z',
    'DisconnectTimestamp', replace(disc, ' ', 'T') || ':00Z',
    'LastUpdateTimestamp', replace(updated, ' ', 'T') || ':00Z',
    'DisconnectReason', 'CUSTOMER_DISCONNECT', 'PreviousContactId', pg_temp.c(prev),
    'Queue', CASE WHEN q IS NOT NULL THEN jsonb_build_object(
      'ARN', 'arn:aws:connect:us-east-1:111122223333:instance/11111111-1111-4111-8111-111111111111/queue/' || CASE WHEN q = 9 THEN 'basic' ELSE 'eeeeeeee-0000-4000-8000-00000000000' || q END,
      'Name', 'Queue ' || q, 'EnqueueTimestamp', replace(enq, ' ', 'T') || ':00Z', 'Duration', qdur) END,
    'Agent', CASE WHEN a IS NOT NULL THEN jsonb_build_object(
      'ARN', 'arn:aws:connect:us-east-1:111122223333:instance/11111111-1111-4111-8111-111111111111/agent/ffffffff-0000-4000-8000-00000000000' || a,
      'Username', 'agent' || a, 'ConnectedToAgentTimestamp', replace(conn, ' ', 'T') || ':00Z',
      'AgentInteractionDuration', talk, 'AfterContactWorkDuration', 10) END))
$$;
-- Rows of each kept table that metrics_refresh() over everything would not
-- make (extra) or makes and the table lacks (missing): all 0 when exact
-- (test/helpers/kept_vs_rebuilt.sql, shared by the tests that check kept
-- tables).  Leaves the tables as metrics_refresh() made them (the same, when exact).
\getenv abs_srcdir PG_ABS_SRCDIR
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
-- exact() in one line: the tables that differ, or 'exact'.
CREATE FUNCTION pg_temp.check() RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(format('%s: %s missing, %s extra', tbl, missing, extra), '; ' ORDER BY tbl)
                  FILTER (WHERE missing + extra > 0), 'exact')
    FROM pg_temp.exact()
$$;
-- The day rows of this test's contacts: queue (1, 2, ?: without id, -: none), channel,
-- counts and the longest queue time.
CREATE FUNCTION pg_temp.days() RETURNS TABLE (day date, q text, ch text, contacts integer, queued integer,
                                              handled integer, abandoned integer, queued_max integer)
LANGUAGE sql AS $$
  SELECT d.day, coalesce(right(d.queue_id::text, 1), CASE WHEN d.queue_kind = 'NONE' THEN '-' ELSE '?' END), d.channel, d.contacts, d.contacts_queued,
         d.contacts_handled, d.contacts_abandoned, d.queued_time_max
    FROM connect_lake.metric_queue_day d
   WHERE d.day BETWEEN '2026-03-06' AND '2026-03-09' OR d.day BETWEEN '2026-10-30' AND '2026-11-02'
   ORDER BY 1, 2, 3
$$;

-- Earlier tests changed ctr_events by hand, which no writer sees: start
-- from the metrics of what ctr_events holds now.  Local days of New York.
SELECT count(*) >= 0 AS refreshed FROM pg_temp.exact();
INSERT INTO connect_lake.metric_config (time_zone) VALUES ('America/New_York');
SELECT connect_lake.metric_time_zone();
SELECT pg_temp.check();

-- ---------- the 23-hour day (2026-03-08: 02:00 EST -> 03:00 EDT, 07:00 UTC)
-- 1001 ends 04:50 UTC = 23:50 EST on the 7th; 1002 05:05 UTC = 00:05 EST on
-- the 8th; 1003 03:55 UTC on the 9th = 23:55 EDT on the 8th (its UTC day the
-- 9th); 1004 without queue, agent or channel; 1005 queued 20 s exactly, 1006
-- 15 s and 1007 19 s (answered by agent 1): below and at the thresholds;
-- 1009 in a standard queue without id (STANDARD, queue_id NULL) and 1010 in
-- queue 1, both at 07:00 VOICE: two groups apart from queue 2's.
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1001, '2026-03-08 04:40', '2026-03-08 04:50', q => 1, enq => '2026-03-08 04:41', qdur => 120),
  pg_temp.ctr(1002, '2026-03-08 04:58', '2026-03-08 05:05', q => 1, enq => '2026-03-08 04:59', qdur => 30,
              a => 1, conn => '2026-03-08 05:00'),
  pg_temp.ctr(1003, '2026-03-09 03:40', '2026-03-09 03:55', q => 1, enq => '2026-03-09 03:41', qdur => 600),
  pg_temp.ctr(1004, '2026-03-08 06:50', '2026-03-08 07:10', ch => NULL),
  pg_temp.ctr(1005, '2026-03-08 07:00', '2026-03-08 07:05', q => 2, enq => '2026-03-08 07:00', qdur => 20),
  pg_temp.ctr(1006, '2026-03-08 07:00', '2026-03-08 07:06', q => 2, enq => '2026-03-08 07:00', qdur => 15,
              a => 1, conn => '2026-03-08 07:01'),
  pg_temp.ctr(1007, '2026-03-08 07:00', '2026-03-08 07:07', q => 2, enq => '2026-03-08 07:00', qdur => 19,
              a => 2, conn => '2026-03-08 07:01', ch => 'CHAT'),
  pg_temp.ctr(1009, '2026-03-08 07:00', '2026-03-08 07:08', q => 9, enq => '2026-03-08 07:00', qdur => 20),
  pg_temp.ctr(1010, '2026-03-08 07:00', '2026-03-08 07:09', q => 1, enq => '2026-03-08 07:00', qdur => 90)]);
SELECT * FROM pg_temp.days();
SELECT threshold_s, coalesce(right(queue_id::text, 1), '?') AS q, answered_lt, answered_eq, abandoned_lt,
       abandoned_eq, removed_lt, removed_eq
  FROM connect_lake.metric_queue_threshold
 WHERE interval_start = '2026-03-08 07:00+00' AND channel = 'VOICE' AND threshold_s IN (15, 20, 25)
 ORDER BY 1, 2;
SELECT pg_temp.check();

-- 1001 moves to the 8th (05:10 UTC), 1003 to the 10th's UTC day but the 9th
-- local (2026-03-10 03:50 UTC = 23:50 EDT): 1001 held the 7th's longest
-- queue time and 1003 the 8th's (both taken out: read again); 1005's queue
-- time becomes 25 s (from "at 20" to "below 25"... at 25).
SELECT inserted, updated FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1001, '2026-03-08 04:40', '2026-03-08 05:10', q => 1, enq => '2026-03-08 04:41', qdur => 120,
              updated => '2027-01-02 00:00'),
  pg_temp.ctr(1003, '2026-03-09 03:40', '2026-03-10 03:50', q => 1, enq => '2026-03-09 03:41', qdur => 600,
              updated => '2027-01-02 00:00'),
  pg_temp.ctr(1005, '2026-03-08 07:00', '2026-03-08 07:05', q => 2, enq => '2026-03-08 07:00', qdur => 25,
              updated => '2027-01-02 00:00')]);
SELECT * FROM pg_temp.days();
SELECT pg_temp.check();

-- ---------- moves between queues, channels and agents; groups left empty
-- 1006 goes from queue 2 to no queue, VOICE to CHAT, agent 1 to agent 2:
-- queue 2 VOICE at 07:00 keeps only 1005; 1007 loses its queue and agent
-- (queue 2 CHAT at 07:00 is left empty: its rows, "within X" rows too, go);
-- 1009 moves to queue 2 and 1010 to the queue without id.
SELECT inserted, updated FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1009, '2026-03-08 07:00', '2026-03-08 07:08', q => 2, enq => '2026-03-08 07:00', qdur => 20,
              updated => '2027-01-03 00:00'),
  pg_temp.ctr(1010, '2026-03-08 07:00', '2026-03-08 07:09', q => 9, enq => '2026-03-08 07:00', qdur => 90,
              updated => '2027-01-03 00:00'),
  pg_temp.ctr(1006, '2026-03-08 07:00', '2026-03-08 07:06', a => 2, conn => '2026-03-08 07:01', ch => 'CHAT',
              updated => '2027-01-03 00:00'),
  pg_temp.ctr(1007, '2026-03-08 07:00', '2026-03-08 07:07', ch => 'CHAT', updated => '2027-01-03 00:00')]);
SELECT count(*) AS queue2_chat_rows
  FROM connect_lake.metric_queue_threshold
 WHERE queue_id = 'eeeeeeee-0000-4000-8000-000000000002' AND channel = 'CHAT';
SELECT queue_kind, coalesce(right(queue_id::text, 1), CASE WHEN queue_kind = 'NONE' THEN '-' ELSE '?' END) AS q, channel, contacts, contacts_queued, queued_time_max
  FROM connect_lake.metric_queue_interval WHERE interval_start = '2026-03-08 07:00+00' ORDER BY 1, 2, 3;
SELECT right(agent_id::text, 1) AS agent, channel, contacts, contacts_handled
  FROM connect_lake.metric_agent_interval WHERE interval_start = '2026-03-08 07:00+00' ORDER BY 1, 2;
SELECT pg_temp.check();

-- ---------- excluded contacts: in and out of every metric
-- 1008 has no disconnect (excluded), then a version with one (counted),
-- then one with an ACW of 8 days (excluded again).
SELECT connect_lake.ingest('ctr', pg_temp.ctr(1008, '2026-03-08 08:00', '2026-03-08 08:10', q => 1,
                                              enq => '2026-03-08 08:01', qdur => 45) - 'DisconnectTimestamp');
SELECT interval_start, excluded_reason FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(1008);
SELECT pg_temp.check();
SELECT connect_lake.ingest('ctr', pg_temp.ctr(1008, '2026-03-08 08:00', '2026-03-08 08:10', q => 1,
                                              enq => '2026-03-08 08:01', qdur => 45, updated => '2027-01-02 00:00'));
SELECT interval_start, excluded_reason FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(1008);
SELECT pg_temp.check();
SELECT connect_lake.ingest('ctr', pg_temp.ctr(1008, '2026-03-08 08:00', '2026-03-08 08:10', q => 1,
                                              enq => '2026-03-08 08:01', qdur => 691200, updated => '2027-01-03 00:00'));
SELECT interval_start, excluded_reason FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(1008);
SELECT pg_temp.check();

-- ---------- the 25-hour day (2026-11-01: 02:00 EDT -> 01:00 EST, 06:00 UTC)
-- 1101 ends 05:30 UTC (01:30 EDT), 1102 06:30 UTC (01:30 EST): one local
-- day, two UTC intervals an hour apart; 1103 03:59 UTC on the 2nd = 22:59
-- EST on the 1st.  Queue times of 600 and 5000 s: 1102 holds the day's
-- longest.  Agent 1's talk times near the integer maximum: the sums pass it.
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1101, '2026-11-01 05:00', '2026-11-01 05:30', q => 1, enq => '2026-11-01 05:01', qdur => 600,
              a => 1, conn => '2026-11-01 05:11', talk => 604000),
  pg_temp.ctr(1102, '2026-11-01 04:00', '2026-11-01 06:30', q => 1, enq => '2026-11-01 04:01', qdur => 5000),
  pg_temp.ctr(1103, '2026-11-02 03:50', '2026-11-02 03:59', q => 1, enq => '2026-11-02 03:51', qdur => 60,
              a => 1, conn => '2026-11-02 03:52')]);
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY(
  SELECT pg_temp.ctr(5000 + g, '2026-11-01 05:00', '2026-11-01 05:30', q => 1, enq => '2026-11-01 05:01',
                     qdur => 60, a => 1, conn => '2026-11-01 05:02', talk => 604800)
    FROM generate_series(1, 3600) g));
SELECT handle_time_sum, interaction_time_sum > 2147483647 AS past_integer
  FROM connect_lake.metric_agent_interval
 WHERE interval_start = '2026-11-01 05:30+00' AND agent_id = 'ffffffff-0000-4000-8000-000000000001';
SELECT * FROM pg_temp.days();
SELECT pg_temp.check();

-- ---------- late legs: a CALLBACK leg on the 2nd turns 1102 (1st) from
-- abandoned into callback requested; a QUEUE_TRANSFER leg of 1101 changes
-- nothing (handled)
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1104, '2026-11-02 15:00', '2026-11-02 15:20', q => 1, enq => '2026-11-02 15:00', qdur => 300,
              a => 2, conn => '2026-11-02 15:05', method => 'CALLBACK', prev => 1102),
  pg_temp.ctr(1105, '2026-11-01 05:30', '2026-11-01 05:40', q => 2, enq => '2026-11-01 05:30', qdur => 20,
              method => 'QUEUE_TRANSFER', prev => 1101)]);
SELECT abandoned, callback_requested FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(1102);
SELECT pg_temp.check();

-- ---------- a contact removed, the one with the day's longest queue time
-- (read again), then its CALLBACK leg (kept on the 2nd, a predecessor gone)
DELETE FROM connect_lake.ctr_events WHERE contactid = pg_temp.c(1102);
SELECT connect_lake.metrics_refresh_contacts(ARRAY[pg_temp.c(1102)]) > 0 AS recomputed;
SELECT * FROM pg_temp.days() WHERE day = '2026-11-01';
SELECT pg_temp.check();
DELETE FROM connect_lake.ctr_events WHERE contactid = pg_temp.c(1104);
SELECT connect_lake.metrics_refresh_contacts(ARRAY[pg_temp.c(1104)]) >= 0 AS recomputed;
SELECT pg_temp.check();

-- ---------- thresholds added and removed, queue times exactly at them
-- 33 s added: 1301 (33 s) lands at it, 1302 (32 s) below; then 33 s goes
-- (its rows too) and 1303 lands without it.
INSERT INTO connect_lake.metric_threshold VALUES (33);
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1301, '2026-11-01 12:00', '2026-11-01 12:05', q => 2, enq => '2026-11-01 12:00', qdur => 33,
              a => 1, conn => '2026-11-01 12:01'),
  pg_temp.ctr(1302, '2026-11-01 12:00', '2026-11-01 12:06', q => 2, enq => '2026-11-01 12:00', qdur => 32)]);
SELECT threshold_s, answered_lt, answered_eq, abandoned_lt, abandoned_eq, removed_lt, removed_eq
  FROM connect_lake.metric_queue_threshold_day
 WHERE day = '2026-11-01' AND queue_id = 'eeeeeeee-0000-4000-8000-000000000002' AND threshold_s IN (30, 33, 45)
 ORDER BY 1;
SELECT pg_temp.check();
DELETE FROM connect_lake.metric_threshold WHERE threshold_s = 33;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(1303, '2026-11-01 12:00', '2026-11-01 12:07', q => 2,
                                              enq => '2026-11-01 12:00', qdur => 33));
SELECT count(*) AS rows_of_33 FROM connect_lake.metric_queue_threshold WHERE threshold_s = 33;
SELECT pg_temp.check();

-- ---------- a predecessor and its legs landing together
-- 4901 lands abandoned on the 1st (local); then its newer version, moving it
-- an interval on, and its CALLBACK leg 4902 in one batch (callback
-- requested); 4902's newer version names no predecessor (4901 abandoned
-- again); then in one transaction a QUEUE_TRANSFER leg 4903 and 4901's
-- version ending on the 2nd (transferred out from queue, on its new day);
-- then both removed.
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(4901, '2026-11-01 03:00', '2026-11-01 03:50', q => 1, enq => '2026-11-01 03:01', qdur => 200)]);
SELECT pg_temp.check();
SELECT inserted, updated FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(4901, '2026-11-01 03:00', '2026-11-01 04:10', q => 1, enq => '2026-11-01 03:01', qdur => 300,
              updated => '2027-01-02 00:00'),
  pg_temp.ctr(4902, '2026-11-01 04:10', '2026-11-01 04:30', q => 2, enq => '2026-11-01 04:10', qdur => 20,
              a => 1, conn => '2026-11-01 04:11', method => 'CALLBACK', prev => 4901)]);
SELECT abandoned, callback_requested, interval_start FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(4901);
SELECT pg_temp.check();
SELECT connect_lake.ingest('ctr', pg_temp.ctr(4902, '2026-11-01 04:10', '2026-11-01 04:30', q => 2,
                                              enq => '2026-11-01 04:10', qdur => 20, a => 1, conn => '2026-11-01 04:11',
                                              method => 'CALLBACK', updated => '2027-01-02 00:00'));
SELECT abandoned, callback_requested FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(4901);
SELECT pg_temp.check();
BEGIN;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(4903, '2026-11-01 04:10', '2026-11-01 04:40', q => 2,
                                              enq => '2026-11-01 04:10', qdur => 20, method => 'QUEUE_TRANSFER',
                                              prev => 4901));
SELECT connect_lake.ingest('ctr', pg_temp.ctr(4901, '2026-11-01 03:00', '2026-11-02 06:10', q => 1,
                                              enq => '2026-11-01 03:01', qdur => 30, updated => '2027-01-03 00:00'));
COMMIT;
SELECT abandoned, xfer_out_queue, interval_start FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(4901);
SELECT pg_temp.check();
DELETE FROM connect_lake.ctr_events WHERE contactid IN (pg_temp.c(4901), pg_temp.c(4903));
SELECT connect_lake.metrics_refresh_contacts(ARRAY[pg_temp.c(4901), pg_temp.c(4903)]) >= 0 AS recomputed;
SELECT pg_temp.check();

-- ---------- one contact under several InitiationTimestamps
-- The lake's CTR key holds the partition time, so a version delivered with
-- another InitiationTimestamp is a second row of ctr_events.  Its latest is
-- the first by LastUpdateTimestamp, then InitiationTimestamp, across every
-- row, wherever they fall (metrics_refresh()'s order).  5101 lands at 10:00
-- on 2026-11-03; a version at 09:58 with the same LastUpdateTimestamp is not
-- the latest (earlier InitiationTimestamp); one of October (another
-- partition and day, a later LastUpdateTimestamp) is; a stale one at 11:00
-- (an earlier LastUpdateTimestamp) is not; with October's row deleted the
-- 10:00 row is the latest again.  5102's two versions land in one batch.
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(5101, '2026-11-03 10:00', '2026-11-03 10:10', q => 1, enq => '2026-11-03 10:01', qdur => 100)]);
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(5101, '2026-11-03 09:58', '2026-11-03 10:20', q => 2, enq => '2026-11-03 09:59', qdur => 10)]);
SELECT initiationtimestamp, interval_start, queue_time FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(5101);
SELECT pg_temp.check();
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(5101, '2026-10-25 09:00', '2026-10-25 09:30', q => 1, enq => '2026-10-25 09:01', qdur => 40,
              a => 1, conn => '2026-10-25 09:02', updated => '2027-01-05 00:00')]);
SELECT initiationtimestamp, interval_start, handled FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(5101);
SELECT pg_temp.check();
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(5101, '2026-11-03 11:00', '2026-11-03 11:05', q => 2, enq => '2026-11-03 11:01', qdur => 5,
              updated => '2026-12-31 00:00')]);
SELECT initiationtimestamp, interval_start, handled FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(5101);
SELECT pg_temp.check();
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(5102, '2026-11-03 08:05', '2026-11-03 08:10', q => 1, enq => '2026-11-03 08:06', qdur => 30),
  pg_temp.ctr(5102, '2026-11-03 08:00', '2026-11-03 08:40', q => 2, enq => '2026-11-03 08:01', qdur => 60,
              updated => '2027-01-02 00:00')]);
SELECT initiationtimestamp, interval_start, queue_time FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(5102);
SELECT pg_temp.check();
-- a refresh of part of the range makes the same rows as one of everything
SELECT connect_lake.metrics_refresh('2026-11-03', '2026-11-04') > 0 AS refreshed;
SELECT initiationtimestamp FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(5101);
SELECT pg_temp.check();
DELETE FROM connect_lake.ctr_events WHERE contactid = pg_temp.c(5101) AND initiationtimestamp = '2026-10-25 09:00+00';
SELECT connect_lake.metrics_refresh_contacts(ARRAY[pg_temp.c(5101)]) > 0 AS recomputed;
SELECT initiationtimestamp, interval_start, queue_time FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(5101);
SELECT pg_temp.check();

-- ---------- leave the lake as before
DELETE FROM connect_lake.ctr_events WHERE contactid IN (SELECT pg_temp.c(g) FROM generate_series(1000, 9999) g);
DELETE FROM connect_lake.metric_config;
SELECT count(*) >= 0 AS refreshed FROM pg_temp.exact();
SELECT count(*) AS left_over FROM connect_lake.contact_metric
 WHERE contactid IN (SELECT pg_temp.c(g) FROM generate_series(1000, 9999) g);
