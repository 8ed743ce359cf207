-- Contact-centre metrics on hand-built CTRs: one contact (or one pair of
-- legs) per trap of the specification's section 7, landed through ingest()
-- / ingest_batch() and brought into the metrics by the writers' hook,
-- metrics_refresh_contacts().  Every figure below can be worked out from the
-- contact it comes from (the comment beside each names it).
-- Day: Monday 2030-03-04, London = UTC (GMT); queues A and B, agents ada and bob.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- Builders: c(n) is contact n's id, t('09:00:00') a time that day.
CREATE FUNCTION pg_temp.c(n integer) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '00000000-0000-4000-8000-' || lpad(n::text, 12, '0') $$;
CREATE FUNCTION pg_temp.t(hms text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE WHEN hms LIKE '____-%' THEN hms ELSE '2030-03-04T' || hms || 'Z' END $$;
-- A queue (A, B, or agent:<name> for an agent's personal queue); enqueue NULL: a queue set but not queued.
CREATE FUNCTION pg_temp.qu(q text, enq text, deq text DEFAULT NULL, dur integer DEFAULT NULL) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'ARN', 'arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111/queue/'
           || CASE q WHEN 'A' THEN 'aaaaaaaa-0000-4000-8000-00000000000a'
                     WHEN 'B' THEN 'bbbbbbbb-0000-4000-8000-00000000000b'
                     ELSE 'agent/dddddddd-0000-4000-8000-00000000000d' END,
    'Name', CASE WHEN q IN ('A', 'B') THEN 'Queue ' || q END,
    'EnqueueTimestamp', pg_temp.t(enq), 'DequeueTimestamp', pg_temp.t(deq), 'Duration', dur))
$$;
-- An agent; connected NULL: offered but never connected (a missed offer).
CREATE FUNCTION pg_temp.ag(name text, connected text, talk integer DEFAULT NULL, hold integer DEFAULT NULL,
                           acw integer DEFAULT NULL, holds integer DEFAULT NULL) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'ARN', 'arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111/agent/'
           || CASE name WHEN 'ada' THEN 'cccccccc-0000-4000-8000-00000000000c' ELSE 'dddddddd-0000-4000-8000-00000000000d' END,
    'Username', name, 'ConnectedToAgentTimestamp', pg_temp.t(connected),
    'AgentInteractionDuration', talk, 'CustomerHoldDuration', hold, 'AfterContactWorkDuration', acw,
    'NumberOfHolds', holds))
$$;
CREATE FUNCTION pg_temp.ctr(n integer, method text, channel text, init text, disc text, more jsonb DEFAULT '{}',
                            updated text DEFAULT '2030-03-05T00:00:00Z') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10', 'ContactId', pg_temp.c(n), 'InitiationMethod', method,
    'Channel', channel, 'InitiationTimestamp', pg_temp.t(init), 'DisconnectTimestamp', pg_temp.t(disc),
    'LastUpdateTimestamp', updated, 'DisconnectReason', 'CUSTOMER_DISCONNECT') || more)
$$;
-- Land CTRs as a writer does, then run the writers' hook for what landed.
CREATE FUNCTION pg_temp.land(VARIADIC docs jsonb[]) RETURNS text LANGUAGE sql AS $$
  SELECT format('inserted %s, updated %s, duplicates %s; recomputed %s', b.inserted, b.updated, b.duplicates,
                connect_lake.metrics_refresh_contacts(
                  (SELECT array_agg((d->>'ContactId')::uuid) FROM unnest(docs) d),
                  (SELECT array_agg((d->>'InitiationTimestamp')::timestamptz) FROM unnest(docs) d)))
    FROM connect_lake.ingest_batch('ctr', docs) b
$$;
-- One line per contact: its interval and flags (q queued, h handled, a abandoned, cb callback requested,
-- xq transferred out from queue, xi internal, xe external, xa by agent, hd held).
CREATE FUNCTION pg_temp.flags(VARIADIC ns integer[]) RETURNS TABLE (n integer, "interval" text, queue text, flags text,
  queue_time integer, handle_time integer, excluded text) LANGUAGE sql AS $$
  SELECT u.n, to_char(m.interval_start, 'MM-DD HH24:MI'),
         m.queue_kind || coalesce(':' || left(m.queue_id::text, 1), ''),
         concat_ws(' ', CASE WHEN m.queued THEN 'q' END, CASE WHEN m.handled THEN 'h' END,
                   CASE WHEN m.abandoned THEN 'a' END, CASE WHEN m.callback_requested THEN 'cb' END,
                   CASE WHEN m.xfer_out_queue THEN 'xq' END, CASE WHEN m.xfer_out_internal THEN 'xi' END,
                   CASE WHEN m.xfer_out_external THEN 'xe' END, CASE WHEN m.xfer_out_agent THEN 'xa' END,
                   CASE WHEN m.held THEN 'hd' END),
         m.queue_time, m.handle_time, m.excluded_reason
    FROM unnest(ns) u(n) LEFT JOIN connect_lake.contact_metric m ON m.contactid = pg_temp.c(u.n)::uuid
   ORDER BY u.n
$$;

-- Trap 1: the interval is the disconnect's.  1: a 57-minute chat (API, trap 7)
-- from 08:48:30 counts only at 09:45.  2: a task of Queue A initiated in
-- February (another partition) counts on 4 March at 09:00, its
-- AGENT_DISCONNECT meaning "completed" (trap 9).  3, 4: boundary seconds:
-- 09:14:59 is in 09:00, 09:15:00 starts 09:15.
SELECT pg_temp.land(
  pg_temp.ctr(1, 'API', 'CHAT', '08:48:30', '09:45:30',
              jsonb_build_object('Queue', pg_temp.qu('A', '08:48:40', '08:49:00', 20),
                                 'Agent', pg_temp.ag('ada', '08:49:00', 3000, 0, 60))),
  pg_temp.ctr(2, 'API', 'TASK', '2030-02-27T16:00:00Z', '09:05:00',
              jsonb_build_object('Queue', pg_temp.qu('A', '2030-02-27T16:00:05Z', '08:30:00'),
                                 'Agent', pg_temp.ag('bob', '08:30:00', 2000, NULL, 100),
                                 'DisconnectReason', 'AGENT_DISCONNECT')),
  pg_temp.ctr(3, 'INBOUND', 'VOICE', '09:10:00', '09:14:59',
              jsonb_build_object('Queue', pg_temp.qu('A', '09:10:10', '09:10:29', 19),
                                 'Agent', pg_temp.ag('ada', '09:10:29', 200, 30, 40, 1))),
  pg_temp.ctr(4, 'INBOUND', 'VOICE', '09:10:00', '09:15:00',
              jsonb_build_object('Queue', pg_temp.qu('A', '09:10:10', '09:10:30', 20),
                                 'Agent', pg_temp.ag('bob', '09:10:30', 240, NULL, 30))));
-- 2: queue time from the timestamps (no Duration): 4 days 16:29:55 = 404995 s.
-- 3 was held (hd): handle 200 + 30 + 40 = 270.  4: queued exactly 20 s (trap 6, below).
SELECT * FROM pg_temp.flags(1, 2, 3, 4);

-- Trap 2: a queue on the CTR is not "queued".  5: a working queue set in
-- the flow, no EnqueueTimestamp, ended in the IVR.  6: an agent's outbound
-- call in its outbound queue: handled outbound, not queued.
SELECT pg_temp.land(
  pg_temp.ctr(5, 'INBOUND', 'VOICE', '09:20:00', '09:21:00', jsonb_build_object('Queue', pg_temp.qu('A', NULL))),
  pg_temp.ctr(6, 'OUTBOUND', 'VOICE', '09:20:00', '09:25:00',
              jsonb_build_object('Queue', pg_temp.qu('B', NULL), 'Agent', pg_temp.ag('ada', '09:20:05', 250, 0, 20),
                                 'DisconnectReason', 'AGENT_DISCONNECT')));
SELECT * FROM pg_temp.flags(5, 6);

-- Trap 3: an Agent object is not "handled".  7: offered to bob, missed,
-- then the caller hung up after 45 s in queue: abandoned.
SELECT pg_temp.land(
  pg_temp.ctr(7, 'INBOUND', 'VOICE', '09:30:00', '09:31:00',
              jsonb_build_object('Queue', pg_temp.qu('A', '09:30:15', NULL, 45), 'Agent', pg_temp.ag('bob', NULL))));
SELECT * FROM pg_temp.flags(7);

-- Trap 4: callbacks and queue transfers are not abandons; they need the
-- next leg, which may land later and corrects its predecessor.  8 asks for a
-- queued callback after 30 s; the flow disconnects it.  Alone it looks abandoned:
SELECT pg_temp.land(
  pg_temp.ctr(8, 'INBOUND', 'VOICE', '09:32:00', '09:33:00',
              jsonb_build_object('Queue', pg_temp.qu('A', '09:32:10', '09:32:40', 30),
                                 'DisconnectReason', 'CONTACT_FLOW_DISCONNECT')));
SELECT * FROM pg_temp.flags(8);
SELECT interval_start, contacts_queued, contacts_abandoned, callbacks_requested
  FROM connect_lake.metric_queue_interval WHERE interval_start = '2030-03-04 09:30+00' AND queue_kind = 'STANDARD';
-- 9, its CALLBACK leg (PreviousContactId 8), lands: 8 becomes a callback request and
-- its 09:30 interval loses the abandon.  Trap 5: 9's Queue.Duration (150) includes the
-- initial delay; Dequeue - Enqueue is 51: queue time is 150.
SELECT pg_temp.land(
  pg_temp.ctr(9, 'CALLBACK', 'VOICE', '09:40:00', '09:50:00',
              jsonb_build_object('PreviousContactId', pg_temp.c(8),
                                 'Queue', pg_temp.qu('A', '09:42:09', '09:43:00', 150),
                                 'Agent', pg_temp.ag('ada', '09:43:00', 300, 0, 0))));
SELECT * FROM pg_temp.flags(8, 9);
SELECT interval_start, contacts_queued, contacts_abandoned, callbacks_requested
  FROM connect_lake.metric_queue_interval WHERE interval_start = '2030-03-04 09:30+00' AND queue_kind = 'STANDARD';
-- 10: transferred by Queue A's flow to Queue B after 25 s; only 10 names its
-- next leg 11 (NextContactId), 11 carries no PreviousContactId.  10 lands after 11.
SELECT pg_temp.land(
  pg_temp.ctr(11, 'QUEUE_TRANSFER', 'VOICE', '09:35:25', '09:40:00',
              jsonb_build_object('Queue', pg_temp.qu('B', '09:35:25', '09:35:35', 10),
                                 'Agent', pg_temp.ag('bob', '09:35:35', 200, 0, 10))));
SELECT pg_temp.land(
  pg_temp.ctr(10, 'INBOUND', 'VOICE', '09:35:00', '09:35:25',
              jsonb_build_object('Queue', pg_temp.qu('A', '09:35:00', '09:35:25', 25),
                                 'NextContactId', pg_temp.c(11), 'DisconnectReason', 'CONTACT_FLOW_DISCONNECT')));
SELECT * FROM pg_temp.flags(10, 11);

-- Trap 8: each transfer leg is a contact of its own queue, nothing is
-- deduplicated.  12 (Queue A, ada) transfers to Queue B: leg 13 (TRANSFER,
-- bob) waits 12 s.  14 (Queue B, bob) transfers to ada directly: leg 15 lands
-- in ada's personal queue (AGENT).  16: ada transfers to an outside number.
SELECT pg_temp.land(
  pg_temp.ctr(12, 'INBOUND', 'VOICE', '10:00:00', '10:05:00',
              jsonb_build_object('Queue', pg_temp.qu('A', '10:00:05', '10:00:10', 5), 'NextContactId', pg_temp.c(13),
                                 'Agent', pg_temp.ag('ada', '10:00:10', 280, 0, 15))),
  pg_temp.ctr(13, 'TRANSFER', 'VOICE', '10:05:00', '10:20:00',
              jsonb_build_object('PreviousContactId', pg_temp.c(12), 'InitialContactId', pg_temp.c(12),
                                 'Queue', pg_temp.qu('B', '10:05:00', '10:05:12', 12),
                                 'Agent', pg_temp.ag('bob', '10:05:12', 800, 60, 40, 2))),
  pg_temp.ctr(14, 'INBOUND', 'VOICE', '10:01:00', '10:06:00',
              jsonb_build_object('Queue', pg_temp.qu('B', '10:01:00', '10:01:08', 8), 'NextContactId', pg_temp.c(15),
                                 'Agent', pg_temp.ag('bob', '10:01:08', 290, 0, 2))),
  pg_temp.ctr(15, 'TRANSFER', 'VOICE', '10:06:00', '10:10:00',
              jsonb_build_object('PreviousContactId', pg_temp.c(14), 'Queue', pg_temp.qu('agent:ada', '10:06:00', '10:06:03', 3),
                                 'Agent', pg_temp.ag('ada', '10:06:03', 230, 0, 7))),
  pg_temp.ctr(16, 'INBOUND', 'VOICE', '10:02:00', '10:07:00',
              jsonb_build_object('Queue', pg_temp.qu('A', '10:02:00', '10:02:19', 19),
                                 'Agent', pg_temp.ag('ada', '10:02:19', 200, 0, 0),
                                 'TransferCompletedTimestamp', pg_temp.t('10:06:59'),
                                 'TransferredToEndpoint', jsonb_build_object('Type', 'TELEPHONE_NUMBER', 'Address', '+441234567890'))));
SELECT * FROM pg_temp.flags(12, 13, 14, 15, 16);

-- Trap 10: an unknown InitiationMethod (AGENT_REPLY, an email reply) is
-- handled, neither incoming nor outbound.  Trap 9: 17 has no DisconnectReason key.
SELECT pg_temp.land(
  pg_temp.ctr(17, 'AGENT_REPLY', 'EMAIL', '10:20:00', '10:40:00',
              jsonb_build_object('Queue', pg_temp.qu('B', NULL), 'Agent', pg_temp.ag('bob', '10:20:00', 600, 0, 0)))
  - 'DisconnectReason');
SELECT * FROM pg_temp.flags(17);

-- Trap 11: versions.  18's later version (handled, updated 12:00) arrives
-- first; the older one (abandoned, 11:00) and an exact duplicate later:
-- the later one stays.
SELECT pg_temp.land(pg_temp.ctr(18, 'INBOUND', 'VOICE', '10:30:00', '10:36:00',
  jsonb_build_object('Queue', pg_temp.qu('B', '10:30:00', '10:30:21', 21), 'Agent', pg_temp.ag('ada', '10:30:21', 300, 0, 39)),
  '2030-03-04T12:00:00Z'));
SELECT pg_temp.land(
  pg_temp.ctr(18, 'INBOUND', 'VOICE', '10:30:00', '10:31:00',
              jsonb_build_object('Queue', pg_temp.qu('B', '10:30:00', NULL, 60)), '2030-03-04T11:00:00Z'),
  pg_temp.ctr(18, 'INBOUND', 'VOICE', '10:30:00', '10:36:00',
              jsonb_build_object('Queue', pg_temp.qu('B', '10:30:00', '10:30:21', 21), 'Agent', pg_temp.ag('ada', '10:30:21', 300, 0, 39)),
              '2030-03-04T12:00:00Z'));
SELECT * FROM pg_temp.flags(18);
-- A newer version that moves the disconnect moves the contact: 19 first
-- disconnects at 10:44 (interval 10:30), then its update says 10:46 (10:45).
SELECT pg_temp.land(pg_temp.ctr(19, 'INBOUND', 'VOICE', '10:40:00', '10:44:00',
  jsonb_build_object('Queue', pg_temp.qu('B', '10:40:00', NULL, 240)), '2030-03-04T11:00:00Z'));
SELECT pg_temp.land(pg_temp.ctr(19, 'INBOUND', 'VOICE', '10:40:00', '10:46:00',
  jsonb_build_object('Queue', pg_temp.qu('B', '10:40:00', NULL, 360)), '2030-03-04T11:30:00Z'));
SELECT * FROM pg_temp.flags(19);

-- Bad records: counted nowhere, listed with the reason.  20 has no
-- disconnect; 21 disconnects before it starts; 22 has a negative hold.
SELECT pg_temp.land(
  pg_temp.ctr(20, 'INBOUND', 'VOICE', '11:00:00', NULL, jsonb_build_object('Queue', pg_temp.qu('A', '11:00:05'))),
  pg_temp.ctr(21, 'INBOUND', 'VOICE', '11:00:00', '10:59:00', jsonb_build_object('Queue', pg_temp.qu('A', '11:00:05', NULL, 5))),
  pg_temp.ctr(22, 'INBOUND', 'VOICE', '11:00:00', '11:05:00',
              jsonb_build_object('Queue', pg_temp.qu('A', '11:00:05', '11:00:10', 5), 'Agent', pg_temp.ag('ada', '11:00:10', 100, -5, 0))));
SELECT right(contactid::text, 2) AS n, initiationtimestamp, disconnecttimestamp, reason
  FROM connect_lake.metric_excluded_contacts
 WHERE initiationtimestamp >= '2030-03-04' AND initiationtimestamp < '2030-03-05' ORDER BY contactid;

-- ---- The rollups
-- Queue A, VOICE, per 15 minutes (the 09:45 chat and the task are other channels):
--  09:00  3 (09:14:59): answered in 19 s, handle 270, held.
--  09:15  4 (09:15:00): answered in exactly 20 s, handle 270.
--  09:30  7 abandoned (45 s), 8 callback request (30 s), 10 transferred to B (25 s):
--         queued 3, abandoned 1, callback 1, out from queue 1; removed within 20: none.
--  09:45  9 the callback (150 s in queue), handle 300.
--  10:00  12 (5 s, transferred internal) and 16 (19 s, transferred external): both by agent.
SELECT to_char(interval_start, 'HH24:MI') AS "interval", contacts_created AS created, contacts_queued AS queued,
       contacts_handled AS handled, contacts_abandoned AS aband, callbacks_requested AS cb,
       contacts_transferred_out AS xout, contacts_transferred_out_from_queue AS xq,
       contacts_transferred_out_by_agent AS xa, contacts_removed_in_x AS removed_lt20,
       service_level, abandonment_rate, avg_queue_answer_time AS asa, avg_handle_time AS aht, max_queued_time AS maxq
  FROM connect_lake.queue_metrics_15min
 WHERE interval_start >= '2030-03-04' AND interval_start < '2030-03-05' AND queue_id = 'aaaaaaaa-0000-4000-8000-00000000000a'
   AND channel = 'VOICE'
 ORDER BY 1;

-- Per local day, every queue and channel.  Queue A VOICE: 3, 4, 5 (not
-- queued), 7, 8, 9, 10, 12, 16 = 9 created, 8 queued (all but 5); handled 3,
-- 4, 9, 12, 16 = 5; removed within 20 s (LT): 3 (19), 12 (5), 16 (19) answered
-- and none of the abandoned/callback (45, 30) = 3 of 8 = 37.5 %; abandoned 1
-- of 8 = 12.5 %.  ASA (19+20+150+5+19)/5 = 42.6.  AHT (270+270+300+295+200)/5 = 267.
-- Queue B VOICE: 6 (outbound, not queued), 11, 13, 14, 18, 19: queued 5,
-- handled 6, 11, 13, 14, 18; abandoned 19 (360 s).  Removed within 20: 11 (10),
-- 13 (12), 14 (8) = 3 of 5; 18 (21 s) is not.  The AGENT row is leg 15,
-- the NONE-kind rows are absent (every contact here carries a queue).
SELECT day, queue_name, queue_kind, channel, contacts_created AS created, contacts_queued AS queued,
       contacts_handled AS handled, contacts_handled_incoming AS incoming, contacts_handled_outbound AS outbound,
       api_contacts_handled AS api, callback_contacts_handled AS callback, contacts_agent_hung_up_first AS agent_first,
       contacts_transferred_in AS xin, contacts_transferred_in_from_queue AS xin_q, contacts_abandoned AS aband,
       service_level, abandonment_rate, avg_queue_answer_time AS asa, avg_handle_time AS aht, avg_hold_time AS hold
  FROM connect_lake.queue_metrics_daily
 WHERE day = '2030-03-04'
 ORDER BY queue_kind DESC, queue_name, channel;

-- Trap 6: LT against LTE at the boundary.  Queue A VOICE, X = 20: 4 waited
-- exactly 20 s.  LT: 3 (19), 12 (5), 16 (19) = 3 removed; LTE adds 4 = 4.
-- At X = 30 (LT): also 4 (20), 10 is a queue transfer (never removed), 8's
-- 30 s is the boundary: LT 4, LTE 5 (8's callback request counts as removed).
SELECT x.threshold, x.cmp, m.contacts_answered_in_x AS answered, m.contacts_abandoned_in_x AS abandoned,
       m.contacts_removed_in_x AS removed, m.contacts_removed_at_x AS at_x, m.service_level
  FROM (VALUES (20, 'LT'), (20, 'LTE'), (30, 'LT'), (30, 'LTE'), (45, 'LT'), (45, 'LTE')) x(threshold, cmp),
       LATERAL connect_lake.queue_metrics('TOTAL', '2030-03-04', '2030-03-05', 'UTC', x.threshold, x.cmp) m
 WHERE m.queue_id = 'aaaaaaaa-0000-4000-8000-00000000000a' AND m.channel = 'VOICE';

-- Agents (the agent on the CTR), per local day.  ada: 1 (chat), 3, 6, 9, 12,
-- 15, 16, 18 handled; bob: 2, 4, 11, 13, 14, 17; 7 was only offered to bob.
-- Transferred out by agent: ada 12 (internal) and 16 (external); bob 14 (internal).
SELECT agent_username, channel, contacts_handled AS handled, contacts_handled_incoming AS incoming,
       contacts_handled_outbound AS outbound, api_contacts_handled AS api,
       contacts_transferred_out_by_agent AS xa, contacts_transferred_out_internal AS xi,
       contacts_transferred_out_external AS xe, contacts_put_on_hold AS held,
       avg_handle_time AS aht, sum_handle_time, avg_after_contact_work_time AS acw
  FROM connect_lake.agent_metrics_daily('2030-03-04', '2030-03-04')
 ORDER BY 1, 2;

-- ---- Re-aggregation is exact: the same figures from any grouping of the
-- 15-minute rows.  Sums per 30 minutes, hours, days, weeks and the total
-- agree with each other; in a +05:30 zone the hours start at :30 UTC.
SELECT p.period, count(*) AS periods, sum(m.contacts_queued) AS queued, sum(m.contacts_handled) AS handled,
       sum(m.sum_handle_time) AS handle_time, max(m.max_queued_time) AS max_queued
  FROM (VALUES ('FIFTEEN_MIN'), ('THIRTY_MIN'), ('HOUR'), ('DAY'), ('WEEK'), ('TOTAL')) p(period),
       LATERAL connect_lake.queue_metrics(p.period, '2030-02-25', '2030-03-11', 'Asia/Kolkata') m
 WHERE m.queue_kind = 'STANDARD'
 GROUP BY p.period ORDER BY periods DESC, p.period;
SELECT DISTINCT to_char(period_start AT TIME ZONE 'UTC', 'HH24:MI') AS hour_starts_utc
  FROM connect_lake.queue_metrics('HOUR', '2030-03-04 09:00+00', '2030-03-04 10:00+00', 'Asia/Kolkata') ORDER BY 1;

-- ---- Rebuilding gives what the hook kept: a range rebuild, then the rollups
-- (15-minute and per local day) against their definition computed on read
-- (no row may differ).
SELECT connect_lake.metrics_refresh('2030-02-01', '2030-04-01') AS recomputed;
SELECT 'queue' AS rollup, count(*) AS differing FROM (
  (SELECT * FROM connect_lake.metric_queue_interval EXCEPT ALL SELECT * FROM connect_lake.metric_queue_interval_live)
  UNION ALL
  (SELECT * FROM connect_lake.metric_queue_interval_live EXCEPT ALL SELECT * FROM connect_lake.metric_queue_interval)) d
UNION ALL
SELECT 'agent', count(*) FROM (
  (SELECT * FROM connect_lake.metric_agent_interval EXCEPT ALL SELECT * FROM connect_lake.metric_agent_interval_live)
  UNION ALL
  (SELECT * FROM connect_lake.metric_agent_interval_live EXCEPT ALL SELECT * FROM connect_lake.metric_agent_interval)) d
UNION ALL
SELECT 'threshold', count(*) FROM (
  (SELECT * FROM connect_lake.metric_queue_threshold EXCEPT ALL SELECT * FROM connect_lake.metric_queue_threshold_live)
  UNION ALL
  (SELECT * FROM connect_lake.metric_queue_threshold_live EXCEPT ALL SELECT * FROM connect_lake.metric_queue_threshold)) d
UNION ALL
SELECT 'queue day', count(*) FROM (
  (SELECT * FROM connect_lake.metric_queue_day EXCEPT ALL SELECT * FROM connect_lake.metric_queue_day_rows('-infinity', 'infinity'))
  UNION ALL
  (SELECT * FROM connect_lake.metric_queue_day_rows('-infinity', 'infinity') EXCEPT ALL SELECT * FROM connect_lake.metric_queue_day)) d
UNION ALL
SELECT 'threshold day', count(*) FROM (
  (SELECT * FROM connect_lake.metric_queue_threshold_day
   EXCEPT ALL SELECT * FROM connect_lake.metric_queue_threshold_day_rows('-infinity', 'infinity'))
  UNION ALL
  (SELECT * FROM connect_lake.metric_queue_threshold_day_rows('-infinity', 'infinity')
   EXCEPT ALL SELECT * FROM connect_lake.metric_queue_threshold_day)) d;

-- ---- Configuration: a threshold of the DBA's is computed for all history
-- when added (Queue A VOICE within 21 s: 3, 4, 12, 16 answered); the
-- service-level default and the local day's time zone follow metric_config.
INSERT INTO connect_lake.metric_threshold VALUES (21);
SELECT contacts_removed_in_x, service_level
  FROM connect_lake.queue_metrics('TOTAL', '2030-03-04', '2030-03-05', 'UTC', 21, 'LT')
 WHERE queue_id = 'aaaaaaaa-0000-4000-8000-00000000000a' AND channel = 'VOICE';
INSERT INTO connect_lake.metric_config (service_level_threshold, service_level_comparison, time_zone)
  VALUES (21, 'LTE', 'America/New_York');
-- New York's 4 March ends at 05:00 UTC on the 5th: every contact is on the 4th still.
SELECT day, service_level_threshold, service_level_comparison, contacts_removed_in_x, service_level
  FROM connect_lake.queue_metrics_daily
 WHERE queue_id = 'aaaaaaaa-0000-4000-8000-00000000000a' AND channel = 'VOICE';
DELETE FROM connect_lake.metric_config;
DELETE FROM connect_lake.metric_threshold;
SELECT count(*) AS rows_of_21 FROM connect_lake.metric_queue_threshold WHERE threshold_s = 21;

-- queue_metrics_daily() reads the day rollups by itself: the same rows as
-- queue_metrics('DAY', ...) over the same local days, also for a row whose
-- queue and channel are NULL (no queue, a CTR without a channel: its
-- "within X" row found by its own lookup; put in by hand and rolled back).
BEGIN;
INSERT INTO connect_lake.metric_queue_day (day, queue_kind, queue_id, channel, contacts, contacts_queued,
                                           contacts_abandoned, abandon_time_sum, queued_time_max)
  VALUES ('2030-03-04', 'NONE', NULL, NULL, 3, 2, 2, 50, 40);
INSERT INTO connect_lake.metric_queue_threshold_day (day, queue_kind, queue_id, channel, threshold_s, answered_lt, answered_eq,
                                                     abandoned_lt, abandoned_eq, removed_lt, removed_eq)
  VALUES ('2030-03-04', 'NONE', NULL, NULL, 20, 0, 0, 1, 1, 1, 1);
SELECT count(*) AS day_rows, count(*) FILTER (WHERE queue_id IS NULL) AS without_queue,
       sum(contacts_removed_in_x) FILTER (WHERE queue_id IS NULL) AS removed_in_x_without_queue,
       (SELECT count(*) FROM (SELECT * FROM connect_lake.queue_metrics_daily('2030-03-01', '2030-03-31')
                              EXCEPT ALL
                              SELECT * FROM connect_lake.queue_metrics('DAY', '2030-03-01'::timestamp AT TIME ZONE connect_lake.metric_time_zone(),
                                                                       '2030-04-01'::timestamp AT TIME ZONE connect_lake.metric_time_zone())) x)
       + (SELECT count(*) FROM (SELECT * FROM connect_lake.queue_metrics('DAY', '2030-03-01'::timestamp AT TIME ZONE connect_lake.metric_time_zone(),
                                                                        '2030-04-01'::timestamp AT TIME ZONE connect_lake.metric_time_zone())
                                EXCEPT ALL
                                SELECT * FROM connect_lake.queue_metrics_daily('2030-03-01', '2030-03-31')) y) AS rows_differing
  FROM connect_lake.queue_metrics_daily('2030-03-01', '2030-03-31');
ROLLBACK;

-- ---- Bad arguments: errors that name what is accepted.
SELECT * FROM connect_lake.queue_metrics('MONTH', '2030-03-04', '2030-03-05');
SELECT * FROM connect_lake.queue_metrics('DAY', '2030-03-04', '2030-03-05', 'UTC', 22);
SELECT * FROM connect_lake.queue_metrics('DAY', '2030-03-04', '2030-03-05', 'UTC', 20, 'GT');
SELECT * FROM connect_lake.queue_metrics('DAY', '2030-03-04', '2030-03-05', 'UTC', 0);
SELECT connect_lake.metrics_refresh('2030-03-05', '2030-03-04');
SELECT connect_lake.metrics_refresh_contacts(ARRAY[pg_temp.c(1)::uuid], ARRAY[]::timestamptz[]);
INSERT INTO connect_lake.metric_threshold VALUES (604801);
INSERT INTO connect_lake.metric_config (time_zone) VALUES ('Mars/Olympus_Mons');

-- Leave the lake as it was for the tests after this one.
DELETE FROM connect_lake.ctr_events WHERE initiationtimestamp >= '2030-02-01' AND initiationtimestamp < '2030-04-01';
SELECT connect_lake.metrics_refresh('2030-02-01', '2030-04-01') AS recomputed;
SELECT count(*) AS left_in_rollups FROM connect_lake.metric_queue_interval WHERE interval_start >= '2030-02-01';
