-- Agent activity metrics (specification section 5) on hand-built agent
-- events.  Day: Monday 2030-03-04 (UTC).  Two agents:
--   ada (stream with AgentStatus.Type), routing profile rp-1, hierarchy g-1:
--     05:00:00 LOGIN, 05:00:05 Available (idle), heartbeats every 120 s;
--     05:22:40 contact c1 CONNECTING, 05:23:00 CONNECTED, 06:10 ENDED (ACW),
--       06:15 gone: on contact 05:23-06:15 (the spec's example);
--     06:16 c2 rings, 06:16:10 connected; 06:17 c3 rings, 06:17:05 connected
--       (two chats at once: counted once); 06:20 c2 ENDED; 06:21 c2 gone;
--       06:22 c3 gone (idle);
--     06:23 c4 rings, 06:23:20 MISSED; 06:24 gone;
--     06:25 c5 INCOMING, 06:25:10 REJECTED; 06:25:30 gone;
--     06:26 c6 rings, 06:26:15 gone (the caller hung up);
--     06:27 Break (CUSTOM); 06:28 outbound call c7 CONNECTED in Break;
--       06:31 ENDED; 06:32 gone; heartbeats to 06:41, then none until
--       06:50 (a 540 s gap); 06:50 Available; 06:53 LOGOUT.
--   bob (older stream: no AgentStatus.Type), routing profile ARN without id:
--     07:00 Available, 07:02 heartbeat, 07:04 Lunch, 07:06 Offline, 07:08 LOGOUT.
-- The events land shuffled, in two batches, some twice; a re-delivered copy
-- of one event with a later timestamp must be ignored (de-duplication on
-- EventId).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.arn(kind text, id text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT 'arn:aws:connect:eu-west-2:111122223333:instance/9a8b7c6d-1111-2222-3333-444455556666/' || kind || '/' || id $$;
CREATE FUNCTION pg_temp.agent(name text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT pg_temp.arn('agent', CASE name WHEN 'ada' THEN '5e6f7a8b-0000-4000-8000-00000000000a'
                                              ELSE '5e6f7a8b-0000-4000-8000-00000000000b' END) $$;
CREATE FUNCTION pg_temp.t(hms text) RETURNS timestamptz LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('2030-03-04 ' || hms || '+00')::timestamptz $$;
CREATE FUNCTION pg_temp.iso(ts timestamptz) RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
-- A contact of a snapshot: its state since `since`.
CREATE FUNCTION pg_temp.ct(n integer, state text, since text, method text DEFAULT 'INBOUND',
                           channel text DEFAULT 'VOICE', connected text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('ContactId', 'c' || n, 'InitialContactId', NULL, 'Channel', channel,
    'InitiationMethod', method, 'State', state, 'StateStartTimestamp', pg_temp.iso(pg_temp.t(since)),
    'ConnectedToAgentTimestamp', pg_temp.iso(pg_temp.t(connected)), 'QueueTimestamp', NULL,
    'Queue', jsonb_build_object('ARN', pg_temp.arn('queue', 'aaaaaaaa-0000-4000-8000-00000000000a'), 'Name', 'Billing'))
$$;
-- An event; status NULL: no snapshot (LOGIN, LOGOUT).  Old-stream events (bob) have no Type.
CREATE FUNCTION pg_temp.ev(name text, type text, at text, status text DEFAULT NULL,
                           contacts jsonb DEFAULT '[]', id text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('AWSAccountId', '111122223333', 'AgentARN', pg_temp.agent(name),
    'EventId', coalesce(id, name || '-' || type || '-' || at), 'EventTimestamp', pg_temp.iso(pg_temp.t(at)),
    'EventType', type, 'InstanceARN', pg_temp.arn('', '')::text, 'Version', '2017-10-01',
    'CurrentAgentSnapshot', CASE WHEN status IS NOT NULL THEN jsonb_build_object(
       'AgentStatus', jsonb_strip_nulls(jsonb_build_object(
          'ARN', pg_temp.arn('agent-state', lower(status)), 'Name', status,
          'Type', CASE WHEN name = 'ada' THEN CASE status WHEN 'Available' THEN 'ROUTABLE' ELSE 'CUSTOM' END END,
          'StartTimestamp', pg_temp.iso(pg_temp.t(at)))),
       'Configuration', jsonb_build_object('Username', name, 'FirstName', initcap(name), 'LastName', 'Test',
          'AgentHierarchyGroups', CASE WHEN name = 'ada' THEN jsonb_build_object('Level1', jsonb_build_object(
             'ARN', pg_temp.arn('agent-group', '6a000000-0000-4000-8000-000000000001'), 'Name', 'Billing')) END,
          'RoutingProfile', jsonb_build_object(
             'ARN', CASE WHEN name = 'ada' THEN pg_temp.arn('routing-profile', '7f000000-0000-4000-8000-000000000001')
                         ELSE 'arn:legacy-profile' END, 'Name', 'Profile ' || name)),
       'Contacts', contacts) END,
    'PreviousAgentSnapshot', NULL)
$$;

CREATE TEMP TABLE script (doc jsonb);
INSERT INTO script
  SELECT pg_temp.ev('ada', 'LOGIN', '05:00:00')
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '05:00:05', 'Available')
  UNION ALL SELECT pg_temp.ev('ada', 'HEART_BEAT', to_char(h, 'HH24:MI:SS'), 'Available')
              FROM generate_series(timestamp '2030-03-04 05:02', '2030-03-04 05:22', '2 minutes') h
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '05:22:40', 'Available', jsonb_build_array(pg_temp.ct(1, 'CONNECTING', '05:22:40')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '05:23:00', 'Available', jsonb_build_array(pg_temp.ct(1, 'CONNECTED', '05:23:00', connected => '05:23:00')))
  UNION ALL SELECT pg_temp.ev('ada', 'HEART_BEAT', to_char(h, 'HH24:MI:SS'), 'Available', jsonb_build_array(pg_temp.ct(1, 'CONNECTED', '05:23:00', connected => '05:23:00')))
              FROM generate_series(timestamp '2030-03-04 05:25', '2030-03-04 06:09', '2 minutes') h
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:10:00', 'Available', jsonb_build_array(pg_temp.ct(1, 'ENDED', '06:10:00', connected => '05:23:00')))
  UNION ALL SELECT pg_temp.ev('ada', 'HEART_BEAT', '06:12:00', 'Available', jsonb_build_array(pg_temp.ct(1, 'ENDED', '06:10:00', connected => '05:23:00')))
  UNION ALL SELECT pg_temp.ev('ada', 'HEART_BEAT', '06:14:00', 'Available', jsonb_build_array(pg_temp.ct(1, 'ENDED', '06:10:00', connected => '05:23:00')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:15:00', 'Available')
  -- two chats at once
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:16:00', 'Available', jsonb_build_array(pg_temp.ct(2, 'CONNECTING', '06:16:00', channel => 'CHAT')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:16:10', 'Available', jsonb_build_array(pg_temp.ct(2, 'CONNECTED', '06:16:10', channel => 'CHAT', connected => '06:16:10')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:17:00', 'Available', jsonb_build_array(pg_temp.ct(2, 'CONNECTED', '06:16:10', channel => 'CHAT', connected => '06:16:10'),
                                                                                               pg_temp.ct(3, 'CONNECTING', '06:17:00', channel => 'CHAT')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:17:05', 'Available', jsonb_build_array(pg_temp.ct(2, 'CONNECTED', '06:16:10', channel => 'CHAT', connected => '06:16:10'),
                                                                                               pg_temp.ct(3, 'CONNECTED', '06:17:05', channel => 'CHAT', connected => '06:17:05')))
  UNION ALL SELECT pg_temp.ev('ada', 'HEART_BEAT', '06:19:00', 'Available', jsonb_build_array(pg_temp.ct(2, 'CONNECTED', '06:16:10', channel => 'CHAT', connected => '06:16:10'),
                                                                                             pg_temp.ct(3, 'CONNECTED', '06:17:05', channel => 'CHAT', connected => '06:17:05')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:20:00', 'Available', jsonb_build_array(pg_temp.ct(2, 'ENDED', '06:20:00', channel => 'CHAT', connected => '06:16:10'),
                                                                                               pg_temp.ct(3, 'CONNECTED', '06:17:05', channel => 'CHAT', connected => '06:17:05')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:21:00', 'Available', jsonb_build_array(pg_temp.ct(3, 'CONNECTED', '06:17:05', channel => 'CHAT', connected => '06:17:05')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:22:00', 'Available')
  -- missed, rejected, abandoned while ringing
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:23:00', 'Available', jsonb_build_array(pg_temp.ct(4, 'CONNECTING', '06:23:00')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:23:20', 'Available', jsonb_build_array(pg_temp.ct(4, 'MISSED', '06:23:20')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:24:00', 'Available')
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:25:00', 'Available', jsonb_build_array(pg_temp.ct(5, 'INCOMING', '06:25:00', channel => 'CHAT')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:25:10', 'Available', jsonb_build_array(pg_temp.ct(5, 'REJECTED', '06:25:10', channel => 'CHAT')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:25:30', 'Available')
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:26:00', 'Available', jsonb_build_array(pg_temp.ct(6, 'CONNECTING', '06:26:00')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:26:15', 'Available')
  -- an outbound call in a custom status: non-productive, not on contact
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:27:00', 'Break')
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:28:00', 'Break', jsonb_build_array(pg_temp.ct(7, 'CONNECTED', '06:28:00', 'OUTBOUND', connected => '06:28:00')))
  UNION ALL SELECT pg_temp.ev('ada', 'HEART_BEAT', '06:30:00', 'Break', jsonb_build_array(pg_temp.ct(7, 'CONNECTED', '06:28:00', 'OUTBOUND', connected => '06:28:00')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:31:00', 'Break', jsonb_build_array(pg_temp.ct(7, 'ENDED', '06:31:00', 'OUTBOUND', connected => '06:28:00')))
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:32:00', 'Break')
  UNION ALL SELECT pg_temp.ev('ada', 'HEART_BEAT', to_char(h, 'HH24:MI:SS'), 'Break')
              FROM generate_series(timestamp '2030-03-04 06:33', '2030-03-04 06:41', '2 minutes') h
  -- no heartbeat from 06:41 to 06:50: a gap
  UNION ALL SELECT pg_temp.ev('ada', 'STATE_CHANGE', '06:50:00', 'Available')
  UNION ALL SELECT pg_temp.ev('ada', 'HEART_BEAT', '06:52:00', 'Available')
  UNION ALL SELECT pg_temp.ev('ada', 'LOGOUT', '06:53:00')
  -- bob: an older stream, no AgentStatus.Type
  UNION ALL SELECT pg_temp.ev('bob', 'STATE_CHANGE', '07:00:00', 'Available')
  UNION ALL SELECT pg_temp.ev('bob', 'HEART_BEAT', '07:02:00', 'Available')
  UNION ALL SELECT pg_temp.ev('bob', 'STATE_CHANGE', '07:04:00', 'Lunch')
  UNION ALL SELECT pg_temp.ev('bob', 'STATE_CHANGE', '07:06:00', 'Offline')
  UNION ALL SELECT pg_temp.ev('bob', 'LOGOUT', '07:08:00');
SELECT count(*) AS events FROM script;

-- Land them shuffled (by a hash of the event id), in two batches; the second
-- batch holds the first batch's events whose hash starts with 0-2 again
-- (duplicates, refused by the table's key).
SELECT connect_lake.ingest_batch('agent_event', array_agg(s.doc ORDER BY md5(s.doc ->> 'EventId')))
  FROM script s WHERE md5(s.doc ->> 'EventId') < '8';
SELECT connect_lake.ingest_batch('agent_event', array_agg(s.doc ORDER BY md5(s.doc ->> 'EventId') DESC))
  FROM script s WHERE md5(s.doc ->> 'EventId') >= '8' OR md5(s.doc ->> 'EventId') < '3';
-- A re-delivery of the 06:28 event (same EventId) one second later, with
-- another status: the timeline keeps the first copy only.
SELECT connect_lake.ingest('agent_event',
         jsonb_set(jsonb_set(s.doc, '{EventTimestamp}', '"2030-03-04T06:28:01.000Z"'),
                   '{CurrentAgentSnapshot,AgentStatus}', '{"Name": "Available", "Type": "ROUTABLE"}'))
  FROM script s WHERE s.doc ->> 'EventId' = 'ada-STATE_CHANGE-06:28:00';
SELECT count(*) AS events, count(DISTINCT eventid) AS distinct_ids FROM connect_lake.agent_events;

-- The timeline of ada from 06:14 to 06:33: one segment per event, in event
-- time order; the LOGIN before is offline, the re-delivered 06:28:01 copy is
-- not there.
SELECT to_char(segment_start, 'HH24:MI:SS') AS start, to_char(segment_end, 'HH24:MI:SS') AS "end", duration_ms,
       eventtype, status_name, status_type, jsonb_path_query_array(contacts, '$[*].State') AS states,
       online, non_productive AS npt, on_contact, idle, error, ringing, gap
  FROM connect_lake.agent_timeline(pg_temp.agent('ada'), pg_temp.t('06:14:30'), pg_temp.t('06:33:00'));
SELECT to_char(segment_start, 'HH24:MI:SS') AS start, to_char(segment_end, 'HH24:MI:SS') AS "end",
       eventtype, status_name, status_type, online
  FROM connect_lake.agent_timeline(pg_temp.agent('ada'), '-infinity', pg_temp.t('05:02:00'));
-- bob: Available -> ROUTABLE, Lunch -> CUSTOM, Offline -> OFFLINE without a Type.
SELECT to_char(segment_start, 'HH24:MI:SS') AS start, to_char(segment_end, 'HH24:MI:SS') AS "end",
       eventtype, status_name, status_type, online, idle, routing_profile_id, hierarchy_level1_id
  FROM connect_lake.agent_timeline(pg_temp.agent('bob'));

-- The gap: 06:41 to 06:50 online in Break (540 s).
SELECT agent_id, eventtype, gap_start, gap_end, duration_ms, status_name, status_type
  FROM connect_lake.agent_activity_gaps;

-- The rollups, as the writers kept them (each ingest above rebuilt, at its
-- commit, the intervals around the events it landed; the second batch fell
-- between events of the first).  Figures worked out by hand (seconds):
--  05:00  online 895 (05:00:05-05:15), idle 895
--  05:15  idle 460 (to 05:22:40), ringing 20, on contact 420 (05:23-05:30);
--         offer c1 connected after 20 s
--  05:30, 05:45, 06:00  on contact 900 each (c1 to 06:15, ACW included)
--  06:15  idle 60+60+40+60+20+30+45 = 315, on contact 50+5+295 = 350 (two
--         chats counted once), ringing 10+20+10+15 = 55, Break 180 (NPT, the
--         outbound call is not on contact), error 40 (c4 MISSED) + 20 (c5
--         REJECTED) = 60; offers c2 (10 s), c3 (5 s) connected, c4 missed
--         (20 s), c5 rejected (no connecting time: REJECTED), c6 abandoned
--         (not missed, no connecting time): 5 offers, 2 connected, 2
--         missed, 3 not connected, connecting 35 s over 3
--  06:30  Break 900 (NPT), of which the gap 06:41-06:45 = 240; 1 gap
--  06:45  Break 300 (gap to 06:50), Available 180 (idle): online 480
--  bob 07:00  online 360 (Available 240 idle, Lunch 120 NPT); Offline not online
SELECT to_char(interval_start, 'HH24:MI') AS "interval", right(agentarn, 3) AS agent, agent_id,
       routing_profile_id, hierarchy_level1_id, hierarchy_level2_id,
       online_ms, non_productive_ms AS npt_ms, contact_ms, idle_ms, error_ms, offers, offers_connected AS conn,
       offers_missed AS missed, offers_not_connected AS not_conn, connecting_ms_sum, connecting_count, gap_ms, gaps
  FROM connect_lake.agent_activity_interval
 ORDER BY agentarn, interval_start;
SELECT to_char(interval_start, 'HH24:MI') AS "interval", right(agentarn, 3) AS agent, status_name, status_type, ms
  FROM connect_lake.agent_status_interval
 ORDER BY agentarn, interval_start, status_name;
-- Per interval and agent, the statuses add up to online time.
SELECT count(*) AS rows_not_adding_up
  FROM connect_lake.agent_activity_interval a
  FULL JOIN (SELECT interval_start, agentarn, sum(ms) AS ms FROM connect_lake.agent_status_interval GROUP BY 1, 2) s
    USING (interval_start, agentarn)
 WHERE a.online_ms IS DISTINCT FROM s.ms;
-- The spec's example: c1 from 05:23 to 06:15 gives 7, 30 and 15 minutes of
-- on-contact time to the half hours 05:00, 05:30 and 06:00 (c1 only there).
SELECT to_char(period_start, 'HH24:MI') AS half_hour, contact_time / 60 AS contact_minutes
  FROM connect_lake.agent_activity_metrics('THIRTY_MIN', '-infinity', pg_temp.t('06:15'), 'UTC')
 ORDER BY 1;
-- Totals: ada online 05:00:05 to 06:53 = 6775 s.
SELECT right(agentarn, 3) AS agent, sum(online_ms) AS online_ms, sum(contact_ms) AS contact_ms, sum(idle_ms) AS idle_ms,
       sum(non_productive_ms) AS npt_ms, sum(error_ms) AS error_ms, sum(gap_ms) AS gap_ms, sum(gaps) AS gaps
  FROM connect_lake.agent_activity_interval GROUP BY agentarn ORDER BY agentarn;

-- The analysts' view.  ada 05:15: occupancy 420 / (420 + 460) = 47.727273 %,
-- answer rate 1/1, connecting 20 s; 06:15: occupancy 350 / (350 + 315) =
-- 52.631579 %, answer rate 2/5 = 40 %, non-response 3 (2 without the
-- caller's abandon), connecting (10 + 5 + 20) / 3 = 11.667 s.
SELECT to_char(interval_start, 'HH24:MI') AS "interval", agent_username, online_time, non_productive_time AS npt,
       contact_time, idle_time, error_status_time AS error_time, occupancy, contacts_offered AS offered,
       contacts_answered AS answered, agent_answer_rate AS answer_rate, agent_non_response AS non_resp,
       agent_non_response_without_customer_abandons AS non_resp_wo_ab, avg_agent_connecting_time AS connecting,
       gap_time, gaps, status_time
  FROM connect_lake.agent_activity_15min ORDER BY agentarn, interval_start;
-- Totals of the day (TOTAL and DAY agree): ada occupancy 3470 / (3470 +
-- 1850) = 65.225564 %, 3 of 6 offers answered, connecting 55 / 4 = 13.75 s.
SELECT right(agentarn, 3) AS agent, online_time, contact_time, idle_time, occupancy, contacts_offered AS offered,
       agent_answer_rate AS answer_rate, avg_agent_connecting_time AS connecting, status_time
  FROM connect_lake.agent_activity_metrics('TOTAL', '2030-03-04', '2030-03-05', 'UTC') ORDER BY agentarn;
SELECT day, agent_id, online_time, contact_time, occupancy FROM connect_lake.agent_activity_daily ORDER BY agentarn;
-- Hours of a +05:30 zone start at :30 UTC: ada's 05:00-06:53 UTC falls in the
-- Kolkata hours 10:00 (from 04:30 UTC: online 895 + 900), 11:00 (4 x 900)
-- and 12:00 (900 + 480).
SELECT period_start, right(agentarn, 3) AS agent, online_time, contact_time, status_time
  FROM connect_lake.agent_activity_metrics('HOUR', '-infinity', 'infinity', 'Asia/Kolkata') ORDER BY agentarn, 1;
-- Every period of every zone sums the 15-minute rows exactly.
SELECT z.tz, p.period, count(*) AS rows,
       sum(m.online_time) AS online, sum(m.contact_time) AS contact, sum(m.idle_time) AS idle,
       sum(m.non_productive_time) AS npt, sum(m.error_status_time) AS error, sum(m.contacts_offered) AS offered,
       sum(m.gap_time) AS gap
  FROM (VALUES ('UTC'), ('Asia/Kolkata'), ('America/St_Johns')) z(tz),
       (VALUES (1, 'FIFTEEN_MIN'), (2, 'THIRTY_MIN'), (3, 'HOUR'), (4, 'DAY'), (5, 'WEEK'), (6, 'TOTAL')) p(n, period),
       LATERAL connect_lake.agent_activity_metrics(p.period, '-infinity', 'infinity', z.tz) m
 GROUP BY z.tz, p.n, p.period ORDER BY z.tz, p.n;
SELECT * FROM connect_lake.agent_activity_metrics('MONTH', '-infinity', 'infinity');  -- ERROR

-- A rebuild of all history gives the rows the writers kept; so does a
-- range rebuild: rebuild 06:20 to 06:47 (rounded out to 06:15-07:00) after
-- spoiling the rows, then the rest.
CREATE TEMP TABLE whole AS SELECT * FROM connect_lake.agent_activity_interval;
CREATE TEMP TABLE whole_status AS SELECT * FROM connect_lake.agent_status_interval;
CREATE FUNCTION pg_temp.diff() RETURNS TABLE (activity_diff bigint, status_diff bigint) LANGUAGE sql AS $$
SELECT (SELECT count(*) FROM ((SELECT * FROM whole EXCEPT ALL SELECT * FROM connect_lake.agent_activity_interval)
                              UNION ALL
                              (SELECT * FROM connect_lake.agent_activity_interval EXCEPT ALL SELECT * FROM whole)) d),
       (SELECT count(*) FROM ((SELECT * FROM whole_status EXCEPT ALL SELECT * FROM connect_lake.agent_status_interval)
                              UNION ALL
                              (SELECT * FROM connect_lake.agent_status_interval EXCEPT ALL SELECT * FROM whole_status)) d) $$;
SELECT connect_lake.agent_activity_refresh();
SELECT * FROM pg_temp.diff();
UPDATE connect_lake.agent_activity_interval SET online_ms = -1;
UPDATE connect_lake.agent_status_interval SET ms = -1;
SELECT connect_lake.agent_activity_refresh(pg_temp.t('06:20'), pg_temp.t('06:47'));
SELECT to_char(interval_start, 'HH24:MI') AS "interval", right(agentarn, 3) AS agent, online_ms
  FROM connect_lake.agent_activity_interval ORDER BY agentarn, interval_start;
SELECT connect_lake.agent_activity_refresh('-infinity', pg_temp.t('06:20'));
SELECT connect_lake.agent_activity_refresh(pg_temp.t('06:50'));
SELECT * FROM pg_temp.diff();

-- Upkeep runs once per transaction, at its commit: an event landed inside a
-- transaction shows after it commits.  With connect_lake.metrics_upkeep off
-- the writers leave the rollups alone (agent_activity_refresh() catches up).
BEGIN;
SELECT connect_lake.ingest('agent_event', pg_temp.ev('bob', 'STATE_CHANGE', '07:05:00', 'Available'));
SELECT online_ms, idle_ms, non_productive_ms FROM connect_lake.agent_activity_interval WHERE agentarn = pg_temp.agent('bob');
COMMIT;
-- Lunch 07:04-07:05 (60 s), Available 07:05-07:06 (idle 60 s more).
SELECT online_ms, idle_ms, non_productive_ms FROM connect_lake.agent_activity_interval WHERE agentarn = pg_temp.agent('bob');
SET connect_lake.metrics_upkeep = off;
SELECT connect_lake.ingest('agent_event', pg_temp.ev('bob', 'STATE_CHANGE', '07:03:00', 'Lunch'));
SELECT online_ms, idle_ms, non_productive_ms FROM connect_lake.agent_activity_interval WHERE agentarn = pg_temp.agent('bob');
RESET connect_lake.metrics_upkeep;
SELECT connect_lake.agent_activity_refresh(pg_temp.t('07:00'), pg_temp.t('07:15'));
-- Available 07:00-07:03 (180 s idle), Lunch 07:03-07:05 (120 s), Available 07:05-07:06 (60 s).
SELECT online_ms, idle_ms, non_productive_ms FROM connect_lake.agent_activity_interval WHERE agentarn = pg_temp.agent('bob');

-- Bad arguments.
SELECT connect_lake.agent_activity_refresh(pg_temp.t('07:00'), pg_temp.t('06:00'));  -- ERROR
SELECT connect_lake.agent_activity_refresh(NULL);  -- ERROR

-- agent_activity_rows() (C: what agent_activity_apply() inserts on a plain
-- lake) gives exactly the rows of agent_activity_timeline_rows() (SQL: what
-- it inserts on a lake distributed on Citus), and they hold the time of
-- agent_activity_time() (C) summed as the two tables hold it: for every
-- agent, one agent without offers, and a range that cuts through an offer;
-- each kind in its key's order.
CREATE FUNCTION pg_temp.c_vs_sql(a text[], f timestamptz[], t timestamptz[])
RETURNS TABLE (activity_rows bigint, status_rows bigint, offers numeric, c_only bigint, sql_only bigint,
               time_diff bigint, in_key_order boolean)
LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM connect_lake.agent_activity_rows(a, f, t) x WHERE x.kind = 'activity'),
         (SELECT count(*) FROM connect_lake.agent_activity_rows(a, f, t) x WHERE x.kind = 'status'),
         (SELECT sum(x.offers) FROM connect_lake.agent_activity_rows(a, f, t) x),
         (SELECT count(*) FROM (SELECT * FROM connect_lake.agent_activity_rows(a, f, t)
                                EXCEPT ALL
                                SELECT * FROM connect_lake.agent_activity_timeline_rows(a, f, t)) d),
         (SELECT count(*) FROM (SELECT * FROM connect_lake.agent_activity_timeline_rows(a, f, t)
                                EXCEPT ALL
                                SELECT * FROM connect_lake.agent_activity_rows(a, f, t)) d),
         -- (the activity rows with time, those without are offers alone; the status rows)
         (SELECT count(*) FROM (
            (SELECT x.interval_start, x.agentarn, x.agent_id, x.routing_profile_id, x.hierarchy_level1_id,
                    x.hierarchy_level2_id, x.hierarchy_level3_id, x.hierarchy_level4_id, x.hierarchy_level5_id,
                    x.online_ms, x.non_productive_ms, x.contact_ms, x.idle_ms, x.error_ms, x.gap_ms, x.gaps
               FROM connect_lake.agent_activity_rows(a, f, t) x
              WHERE x.kind = 'activity' AND (x.online_ms > 0 OR x.error_ms > 0)
             EXCEPT ALL
             SELECT x.interval_start, x.agentarn, x.agent_id, x.routing_profile_id, x.hierarchy_level1_id,
                    x.hierarchy_level2_id, x.hierarchy_level3_id, x.hierarchy_level4_id, x.hierarchy_level5_id,
                    sum(x.online_ms)::bigint, sum(x.non_productive_ms)::bigint, sum(x.contact_ms)::bigint,
                    sum(x.idle_ms)::bigint, sum(x.error_ms)::bigint, sum(x.gap_ms)::bigint, sum(x.gaps)::bigint
               FROM connect_lake.agent_activity_time(a, f, t) x GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9)
            UNION ALL
            (SELECT x.interval_start, x.agentarn, x.agent_id, x.routing_profile_id, x.hierarchy_level1_id,
                    x.hierarchy_level2_id, x.hierarchy_level3_id, x.hierarchy_level4_id, x.hierarchy_level5_id,
                    sum(x.online_ms)::bigint, sum(x.non_productive_ms)::bigint, sum(x.contact_ms)::bigint,
                    sum(x.idle_ms)::bigint, sum(x.error_ms)::bigint, sum(x.gap_ms)::bigint, sum(x.gaps)::bigint
               FROM connect_lake.agent_activity_time(a, f, t) x GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
             EXCEPT ALL
             SELECT x.interval_start, x.agentarn, x.agent_id, x.routing_profile_id, x.hierarchy_level1_id,
                    x.hierarchy_level2_id, x.hierarchy_level3_id, x.hierarchy_level4_id, x.hierarchy_level5_id,
                    x.online_ms, x.non_productive_ms, x.contact_ms, x.idle_ms, x.error_ms, x.gap_ms, x.gaps
               FROM connect_lake.agent_activity_rows(a, f, t) x
              WHERE x.kind = 'activity' AND (x.online_ms > 0 OR x.error_ms > 0))) d)
         + (SELECT count(*) FROM (
            (SELECT x.interval_start, x.agentarn, x.agent_id, x.status_name, x.status_type, x.online_ms
               FROM connect_lake.agent_activity_rows(a, f, t) x WHERE x.kind = 'status'
             EXCEPT ALL
             SELECT x.interval_start, x.agentarn, x.agent_id, x.status_name, x.status_type, sum(x.online_ms)::bigint
               FROM connect_lake.agent_activity_time(a, f, t) x WHERE x.online_ms > 0 GROUP BY 1, 2, 3, 4, 5)
            UNION ALL
            (SELECT x.interval_start, x.agentarn, x.agent_id, x.status_name, x.status_type, sum(x.online_ms)::bigint
               FROM connect_lake.agent_activity_time(a, f, t) x WHERE x.online_ms > 0 GROUP BY 1, 2, 3, 4, 5
             EXCEPT ALL
             SELECT x.interval_start, x.agentarn, x.agent_id, x.status_name, x.status_type, x.online_ms
               FROM connect_lake.agent_activity_rows(a, f, t) x WHERE x.kind = 'status')) d),
         (SELECT bool_and(x.n = x.key_ord)
            FROM (SELECT x.n,
                         row_number() OVER (ORDER BY x.kind, x.interval_start, x.agentarn, x.routing_profile_id,
                                            x.hierarchy_level1_id, x.hierarchy_level2_id, x.hierarchy_level3_id,
                                            x.hierarchy_level4_id, x.hierarchy_level5_id, x.status_name,
                                            x.status_type) AS key_ord
                    FROM (SELECT x.*, row_number() OVER () AS n
                            FROM connect_lake.agent_activity_rows(a, f, t) x) x) x)
$$;
SELECT r.n, c.*
  FROM (VALUES (1, NULL::text[], '{-infinity}'::timestamptz[], '{infinity}'::timestamptz[]),
               (2, ARRAY[pg_temp.agent('bob')], '{2030-03-04}'::timestamptz[], '{2030-03-05}'::timestamptz[]),
               (3, ARRAY[pg_temp.agent('ada')], ARRAY['2030-03-04 06:00+00']::timestamptz[],
                   ARRAY['2030-03-04 06:23:10+00']::timestamptz[])) r(n, a, f, t)
 CROSS JOIN LATERAL pg_temp.c_vs_sql(r.a, r.f, r.t) c
 ORDER BY r.n;

-- Leave the lake as it was for the tests after this one: the events gone, a
-- rebuild leaves no rows.
DELETE FROM connect_lake.agent_events WHERE eventtimestamp >= '2030-03-04' AND eventtimestamp < '2030-03-05';
SELECT connect_lake.agent_activity_refresh('2030-03-04', '2030-03-05') AS rows_written;
SELECT (SELECT count(*) FROM connect_lake.agent_activity_interval) AS activity_rows,
       (SELECT count(*) FROM connect_lake.agent_status_interval) AS status_rows;

-- agent_activity_rows() (C) gives exactly the rows of
-- agent_activity_timeline_rows() (SQL), and agent_activity_time() (C) their
-- time, on odd events: no AgentStatus.Type, an
-- unknown Type, ids in capitals, hierarchy ARNs that are numbers, null, not
-- ids, groups that are an array or empty, a profile ARN that is a bare id,
-- contacts that are an object, a State that is a number, an array or
-- absent, no EventType, a LOGIN without snapshot, a LOGOUT, sub-millisecond
-- times across a boundary, a gap, and a re-delivered event.
CREATE FUNCTION pg_temp.cy(at text, type text, snapshot jsonb, id text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('AgentARN', pg_temp.arn('agent', '5e6f7a8b-0000-4000-8000-00000000000c'),
    'EventId', coalesce(id, 'cy-' || at), 'EventTimestamp', '2030-03-05T' || at || 'Z', 'EventType', type,
    'CurrentAgentSnapshot', snapshot))
$$;
CREATE FUNCTION pg_temp.cys(status text, stype text, rp text, groups jsonb, contacts jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('AgentStatus', jsonb_strip_nulls(jsonb_build_object('Name', status, 'Type', stype)),
    'Configuration', jsonb_build_object('Username', 'cy', 'AgentHierarchyGroups', groups,
                                        'RoutingProfile', jsonb_build_object('ARN', rp)),
    'Contacts', contacts)
$$;
SELECT count(*) AS landed FROM (SELECT connect_lake.ingest('agent_event', d) FROM (VALUES
  (pg_temp.cy('09:00:00', 'STATE_CHANGE', pg_temp.cys('Available', NULL, pg_temp.arn('routing-profile', '7F000000-0000-4000-8000-00000000000C'),
     jsonb_build_object('Level1', jsonb_build_object('ARN', pg_temp.arn('agent-group', '6A000000-0000-4000-8000-00000000000C')),
                        'Level2', jsonb_build_object('ARN', 5), 'Level3', jsonb_build_object('ARN', 'arn:no-id'),
                        'Level4', jsonb_build_object('ARN', NULL), 'Level5', jsonb_build_object('ARN', pg_temp.arn('agent-group', ''))),
     '[]'))),
  (pg_temp.cy('09:01:00', 'HEART_BEAT', pg_temp.cys('Available', NULL, pg_temp.arn('routing-profile', '7F000000-0000-4000-8000-00000000000C'),
     NULL, '[{"ContactId": "x", "State": 5}, {"ContactId": "y"}]'), 'cy-dup')),
  (pg_temp.cy('09:03:00', NULL, pg_temp.cys('Available', 'ROUTABLE', '7f000000-0000-4000-8000-00000000000d', NULL,
     '{"State": "CONNECTED"}'))),
  (pg_temp.cy('09:04:00', 'HEART_BEAT', pg_temp.cys('Offline', NULL, 'arn:x/', '[1]', '[{"ContactId": "z", "State": "ERROR"}]'))),
  (pg_temp.cy('09:06:00', 'HEART_BEAT', pg_temp.cys('Odd', 'SOMETHING', 'arn:x/', '{}', '[{"ContactId": "z", "State": ["CONNECTED"]}]'))),
  (pg_temp.cy('09:08:00', 'LOGIN', NULL)),
  (pg_temp.cy('09:09:00.000500', 'STATE_CHANGE', pg_temp.cys('Available', 'ROUTABLE', 'arn:x/', '{}',
     '[{"ContactId": "w", "State": "CONNECTED"}, {"ContactId": "v", "State": "MISSED"}]'))),
  (pg_temp.cy('09:14:59.999900', 'HEART_BEAT', pg_temp.cys('Available', 'ROUTABLE', 'arn:x/', '{}', '[{"ContactId": "v", "State": "REJECTED"}]'))),
  (pg_temp.cy('09:15:00', 'HEART_BEAT', pg_temp.cys('Lunch', NULL, 'arn:x/', '{}', '[]'), 'cy-dup')),
  (pg_temp.cy('09:15:00.000100', 'HEART_BEAT', pg_temp.cys('Lunch', NULL, 'arn:x/', '{}', '[]'))),
  (pg_temp.cy('09:30:00', 'LOGOUT', NULL)),
  (pg_temp.cy('09:31:00', 'HEART_BEAT', pg_temp.cys('Available', 'ROUTABLE', 'arn:x/', 'null', '[]'))),
  (pg_temp.cy('09:40:00', 'HEART_BEAT', pg_temp.cys('Available', 'ROUTABLE', 'arn:x/', 'null', '[]'))),
  (pg_temp.cy('09:41:00', 'LOGOUT', NULL)),
  -- snapshots over 1 kB (stored compressed; C reads the type from their
  -- head): a Type that is a number, AgentStatus behind 3 kB of contacts, a
  -- null Type
  (pg_temp.cy('09:50:00', 'STATE_CHANGE', jsonb_build_object('AgentStatus', jsonb_build_object('Name', 'Available', 'Type', 7),
     'Configuration', jsonb_build_object('Username', repeat('u', 3000)), 'Contacts', '[]'::jsonb))),
  (pg_temp.cy('09:52:00', 'HEART_BEAT', jsonb_build_object('AgentStatus', jsonb_build_object('Name', 'Lunch', 'Type', 'ROUTABLE'),
     'Contacts', jsonb_build_array(jsonb_build_object('ContactId', repeat('c', 3000), 'State', 'CONNECTED'))))),
  (pg_temp.cy('09:54:00', 'HEART_BEAT', jsonb_build_object('AgentStatus', jsonb_build_object('Name', 'Available', 'Type', NULL),
     'Configuration', jsonb_build_object('Username', repeat('v', 3000))))),
  (pg_temp.cy('09:56:00', 'LOGOUT', NULL)),
  -- odd Types the writer keeps in agentstatus_type as ->> gives them: an
  -- object, a boolean, a number with trailing zeros
  (pg_temp.cy('09:57:00', 'STATE_CHANGE', jsonb_build_object('AgentStatus', jsonb_build_object('Name', 'Available', 'Type', jsonb_build_object('Kind', 'ROUTABLE')),
     'Contacts', '[]'::jsonb))),
  (pg_temp.cy('09:58:00', 'HEART_BEAT', jsonb_build_object('AgentStatus', jsonb_build_object('Name', 'Lunch', 'Type', true)))),
  (pg_temp.cy('09:59:00', 'HEART_BEAT', jsonb_build_object('AgentStatus', jsonb_build_object('Name', 'Available', 'Type', 1.50)))),
  (pg_temp.cy('09:59:30', 'LOGOUT', NULL))) v(d)) i;
-- The status type is a column the writer fills from the snapshot (the
-- activity upkeep reads it, not the TOASTed snapshot): exactly
-- current_snapshot -> 'AgentStatus' ->> 'Type', on every event
SELECT to_char(eventtimestamp, 'HH24:MI:SS') AS at, eventtype, agentstatus_type,
       agentstatus_type IS NOT DISTINCT FROM current_snapshot -> 'AgentStatus' ->> 'Type' AS as_snapshot
  FROM connect_lake.agent_events
 WHERE agentarn = pg_temp.arn('agent', '5e6f7a8b-0000-4000-8000-00000000000c')
   AND eventtimestamp >= '2030-03-05 09:50+00'
 ORDER BY eventtimestamp;
SELECT count(*) AS events, count(agentstatus_type) AS typed,
       count(*) FILTER (WHERE agentstatus_type IS DISTINCT FROM current_snapshot -> 'AgentStatus' ->> 'Type') AS differing
  FROM connect_lake.agent_events;
-- the same from raw JSON text (the loader's parser) as from jsonb:
-- a number as jsonb spells it, a container as its JSON text
SELECT r.n, (connect_lake.agent_event_parse(r.doc)).agentstatus_type AS from_text,
       (connect_lake.agent_event_parse(r.doc::jsonb)).agentstatus_type AS from_jsonb,
       (connect_lake.agent_event_parse(r.doc)).current_snapshot -> 'AgentStatus' ->> 'Type' AS snapshot_type
  FROM (VALUES (1, '{"EventId": "p1", "EventTimestamp": "2030-03-05T09:00:00Z", "AgentARN": "arn:a/x", "CurrentAgentSnapshot": {"AgentStatus": {"Type": 1e2}}}'),
               (2, '{"EventId": "p2", "EventTimestamp": "2030-03-05T09:00:00Z", "AgentARN": "arn:a/x", "CurrentAgentSnapshot": {"AgentStatus": {"Type": [ "A", {"b" : 2.50} ]}}}'),
               (3, '{"EventId": "p3", "EventTimestamp": "2030-03-05T09:00:00Z", "AgentARN": "arn:a/x", "CurrentAgentSnapshot": {"AgentStatus": {"Type": null}}}'),
               (4, '{"EventId": "p4", "EventTimestamp": "2030-03-05T09:00:00Z", "AgentARN": "arn:a/x", "CurrentAgentSnapshot": [{"AgentStatus": {"Type": "CUSTOM"}}]}'),
               (5, '{"EventId": "p5", "EventTimestamp": "2030-03-05T09:00:00Z", "AgentARN": "arn:a/x", "CurrentAgentSnapshot": {"AgentStatus": {"Type": "CUSTOM"}}}'),
               (6, '{"EventId": "p6", "EventTimestamp": "2030-03-05T09:00:00Z", "AgentARN": "arn:a/x", "CurrentAgentSnapshot": {"AgentStatus": {"Type": false}}}')) r(n, doc)
 ORDER BY r.n;
SELECT r.n, c.*
  FROM (VALUES (1, NULL::text[], '{-infinity}'::timestamptz[], '{infinity}'::timestamptz[]),
               (2, NULL, ARRAY['2030-03-05 09:00+00']::timestamptz[], ARRAY['2030-03-05 09:15+00']::timestamptz[]),
               (3, ARRAY[pg_temp.agent('ada'), pg_temp.arn('agent', '5e6f7a8b-0000-4000-8000-00000000000c')],
                   ARRAY['2030-03-05 09:15+00', '2030-03-05 09:00+00']::timestamptz[],
                   ARRAY['2030-03-05 09:30+00', '2030-03-05 10:00+00']::timestamptz[]),
               (4, ARRAY[pg_temp.arn('agent', '5e6f7a8b-0000-4000-8000-00000000000c')],
                   ARRAY['2030-03-05 09:30+00']::timestamptz[], ARRAY['2030-03-05 09:45+00']::timestamptz[])) r(n, a, f, t)
 CROSS JOIN LATERAL pg_temp.c_vs_sql(r.a, r.f, r.t) c
 ORDER BY r.n;
-- C reads the column, not the snapshot: a type changed in the column alone
-- changes what it gives (Lunch of 09:52 is ROUTABLE in both)
BEGIN;
UPDATE connect_lake.agent_events SET agentstatus_type = 'CUSTOM'
 WHERE agentarn = pg_temp.arn('agent', '5e6f7a8b-0000-4000-8000-00000000000c') AND eventtimestamp = '2030-03-05 09:52+00';
SELECT status_name, status_type, sum(online_ms) AS online_ms, sum(idle_ms) AS idle_ms
  FROM connect_lake.agent_activity_time(NULL, '{2030-03-05 09:45+00}', '{2030-03-05 10:00+00}')
 WHERE status_name = 'Lunch' GROUP BY 1, 2 ORDER BY 1, 2;
ROLLBACK;
SELECT status_name, status_type, sum(online_ms) AS online_ms, sum(idle_ms) AS idle_ms
  FROM connect_lake.agent_activity_time(NULL, '{2030-03-05 09:45+00}', '{2030-03-05 10:00+00}')
 WHERE status_name = 'Lunch' GROUP BY 1, 2 ORDER BY 1, 2;
-- what cy's events make (ids in lower case; NULL where not an id)
SELECT to_char(interval_start, 'HH24:MI') AS "interval", routing_profile_id, hierarchy_level1_id,
       hierarchy_level2_id IS NULL AND hierarchy_level3_id IS NULL AND hierarchy_level4_id IS NULL
         AND hierarchy_level5_id IS NULL AS levels_2_5_null,
       status_name, status_type, online_ms, non_productive_ms AS npt_ms, contact_ms, idle_ms, error_ms, gap_ms, gaps
  FROM connect_lake.agent_activity_time(NULL, '{2030-03-05}', '{2030-03-06}')
 ORDER BY interval_start, online_ms, error_ms, status_name NULLS FIRST, status_type, routing_profile_id NULLS FIRST;
-- the writers kept the same rows as a rebuild makes
CREATE TEMP TABLE kept_cy AS SELECT * FROM connect_lake.agent_activity_interval;
CREATE TEMP TABLE kept_cy_status AS SELECT * FROM connect_lake.agent_status_interval;
SELECT connect_lake.agent_activity_refresh() > 0 AS rebuilt;
SELECT (SELECT count(*) FROM ((TABLE kept_cy EXCEPT ALL TABLE connect_lake.agent_activity_interval)
                              UNION ALL (TABLE connect_lake.agent_activity_interval EXCEPT ALL TABLE kept_cy)) d) AS activity_diff,
       (SELECT count(*) FROM ((TABLE kept_cy_status EXCEPT ALL TABLE connect_lake.agent_status_interval)
                              UNION ALL (TABLE connect_lake.agent_status_interval EXCEPT ALL TABLE kept_cy_status)) d) AS status_diff;
-- ---------- agent_activity_write(): the rows written directly, as COPY writes
-- The rows of agent_activity_rows() inserted into the two tables from C
-- (READ COMMITTED, no trigger / CHECK / RLS), returning the activity rows
-- written; the apply above went that way.  Emptied tables written again
-- hold exactly the rows agent_activity_rows() returns.
CREATE TEMP TABLE want_rows AS
  SELECT * FROM connect_lake.agent_activity_rows(NULL, '{-infinity}', '{infinity}');
CREATE FUNCTION pg_temp.write_diff() RETURNS TABLE (activity_rows bigint, status_rows bigint, activity_diff bigint, status_diff bigint)
LANGUAGE sql AS $$
  WITH a AS (SELECT interval_start, agentarn, agent_id, routing_profile_id, hierarchy_level1_id, hierarchy_level2_id,
                    hierarchy_level3_id, hierarchy_level4_id, hierarchy_level5_id, online_ms, non_productive_ms,
                    contact_ms, idle_ms, error_ms, offers::int, offers_connected::int, offers_missed::int,
                    offers_not_connected::int, connecting_ms_sum, connecting_count::int, gap_ms, gaps::int
               FROM want_rows WHERE kind = 'activity'),
       s AS (SELECT interval_start, agentarn, agent_id, status_name, status_type, online_ms
               FROM want_rows WHERE kind = 'status')
  SELECT (SELECT count(*) FROM connect_lake.agent_activity_interval),
         (SELECT count(*) FROM connect_lake.agent_status_interval),
         (SELECT count(*) FROM ((TABLE a EXCEPT ALL TABLE connect_lake.agent_activity_interval)
                                UNION ALL (TABLE connect_lake.agent_activity_interval EXCEPT ALL TABLE a)) d),
         (SELECT count(*) FROM ((TABLE s EXCEPT ALL TABLE connect_lake.agent_status_interval)
                                UNION ALL (TABLE connect_lake.agent_status_interval EXCEPT ALL TABLE s)) d)
$$;
SELECT (SELECT count(*) FROM want_rows WHERE kind = 'activity') > 0 AS has_activity,
       (SELECT count(*) FROM want_rows WHERE kind = 'status') > 0 AS has_status;
SELECT * FROM pg_temp.write_diff();
BEGIN;
TRUNCATE connect_lake.agent_activity_interval, connect_lake.agent_status_interval;
SELECT connect_lake.agent_activity_write(NULL, '{-infinity}', '{infinity}')
       = (SELECT count(*) FROM want_rows WHERE kind = 'activity') AS written_counted;
SELECT * FROM pg_temp.write_diff();
-- written again over its own rows: a taken key fails as INSERT fails
SELECT connect_lake.agent_activity_write(NULL, '{-infinity}', '{infinity}');  -- ERROR
ROLLBACK;
-- per agent (the writers' upkeep): apply() deletes the agent's intervals
-- and writes them again directly
BEGIN;
SELECT connect_lake.agent_activity_apply(array_agg(DISTINCT agentarn), array_agg(DISTINCT timestamptz '-infinity'),
                                         array_agg(DISTINCT timestamptz 'infinity'))
       = (SELECT count(*) FROM want_rows WHERE kind = 'activity') AS rewritten
  FROM want_rows;
SELECT * FROM pg_temp.write_diff();
ROLLBACK;
-- a table with a trigger (which a direct write would not fire): nothing is
-- written (-1), and the apply inserts the rows through SQL, firing it
BEGIN;
CREATE TEMP TABLE fired (n int);
CREATE FUNCTION pg_temp.regress_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO fired VALUES (1); RETURN NEW; END $$;
CREATE TRIGGER regress_count BEFORE INSERT ON connect_lake.agent_status_interval
  FOR EACH ROW EXECUTE FUNCTION pg_temp.regress_count();
TRUNCATE connect_lake.agent_activity_interval, connect_lake.agent_status_interval;
SELECT connect_lake.agent_activity_write(NULL, '{-infinity}', '{infinity}') AS written;
SELECT (SELECT count(*) FROM connect_lake.agent_activity_interval) AS activity_rows,
       (SELECT count(*) FROM connect_lake.agent_status_interval) AS status_rows;
SELECT connect_lake.agent_activity_refresh() = (SELECT count(*) FROM want_rows WHERE kind = 'activity') AS refreshed;
SELECT (SELECT count(*) FROM fired) = (SELECT count(*) FROM want_rows WHERE kind = 'status') AS trigger_fired_per_row;
SELECT activity_diff, status_diff FROM pg_temp.write_diff();
ROLLBACK;
-- in REPEATABLE READ nothing is written directly either; the SQL path
-- makes the same rows
BEGIN ISOLATION LEVEL REPEATABLE READ;
TRUNCATE connect_lake.agent_activity_interval, connect_lake.agent_status_interval;
SELECT connect_lake.agent_activity_write(NULL, '{-infinity}', '{infinity}') AS written;
SELECT (SELECT count(*) FROM connect_lake.agent_activity_interval) AS activity_rows;
SELECT connect_lake.agent_activity_refresh() = (SELECT count(*) FROM want_rows WHERE kind = 'activity') AS refreshed;
SELECT activity_diff, status_diff FROM pg_temp.write_diff();
ROLLBACK;
-- the function writes: the loader may call it, PUBLIC may not
SELECT has_function_privilege('connect_lake_loader', 'connect_lake.agent_activity_write(text[], timestamptz[], timestamptz[])', 'EXECUTE') AS loader,
       has_function_privilege('public', 'connect_lake.agent_activity_write(text[], timestamptz[], timestamptz[])', 'EXECUTE') AS public;
DELETE FROM connect_lake.agent_events WHERE eventtimestamp >= '2030-03-05' AND eventtimestamp < '2030-03-06';
SELECT connect_lake.agent_activity_refresh('2030-03-05', '2030-03-06') AS rows_written;
SELECT (SELECT count(*) FROM connect_lake.agent_activity_interval) AS activity_rows,
       (SELECT count(*) FROM connect_lake.agent_status_interval) AS status_rows;
-- A rebuild of any number of agents holds at most 256 locks (one an agent
-- could fill the shared lock table: a day at the seed's volume has 2,400).
BEGIN;
SELECT connect_lake.agent_activity_apply(array_agg('arn:aws:connect:eu-west-2:1:instance/i/agent/a' || g),
                                         array_agg(timestamptz '2030-03-05'), array_agg(timestamptz '2030-03-06'))
  FROM generate_series(1, 10000) g;
SELECT count(*) BETWEEN 1 AND 256 AS bounded
  FROM pg_locks WHERE locktype = 'advisory' AND classid = 1634166130 AND pid = pg_backend_pid();
ROLLBACK;
