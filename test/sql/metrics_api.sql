-- get_metric_data_v2() and metric_reconcile() on hand-built CTRs and agent
-- activity rows.  Day: Monday 2030-05-06 (UTC).  Queues A and B; agents ada
-- (routing profile P1, hierarchy G1) and bob (routing profile P2, hierarchy
-- G1 > G2).  The contacts (interval = 15 minutes of the disconnect):
--    1 A VOICE INBOUND   queued 10 s, ada, talk 200 ACW 20, ends 09:04      -> 09:00
--    2 A VOICE INBOUND   queued 20 s, bob, talk 300 hold 40 ACW 30, 09:10    -> 09:00
--    3 A VOICE INBOUND   queued 45 s, abandoned (customer), 09:02:45         -> 09:00
--    4 A VOICE INBOUND   queued 15 s, callback requested (leg 5), 09:05:15   -> 09:00
--    5 A VOICE CALLBACK  queued 100 s, ada, talk 100 ACW 10, 09:25           -> 09:15
--    6 B CHAT  API       queued 5 s, bob, talk 600, agent hung up, 09:20     -> 09:15
--    7 B VOICE OUTBOUND  not queued, ada, talk 120, agent hung up, 09:30     -> 09:30
--    8 A VOICE INBOUND   queued 30 s, transferred by the flow to B (leg 9)   -> 09:30
--    9 B VOICE QUEUE_TRANSFER queued 8 s, bob, talk 150 ACW 5, 09:40         -> 09:30
--   10 ada's personal queue, TRANSFER, ada, talk 50, 09:50 (no queue report) -> 09:45
--   11 A VOICE INBOUND   queued 61 s, offered to bob (missed), abandoned     -> 10:00
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.c(n integer) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '00000000-0000-4000-8000-' || lpad((500 + n)::text, 12, '0') $$;
CREATE FUNCTION pg_temp.t(hms text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '2030-05-06T' || hms || 'Z' $$;
CREATE FUNCTION pg_temp.arn(kind text, id text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT 'arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111/' || kind || '/' || id $$;
CREATE FUNCTION pg_temp.qu(q text, enq text, dur integer) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'ARN', pg_temp.arn('queue', CASE q WHEN 'A' THEN 'aaaaaaaa-0000-4000-8000-00000000000a'
                                       WHEN 'B' THEN 'bbbbbbbb-0000-4000-8000-00000000000b'
                                       ELSE 'agent/cccccccc-0000-4000-8000-00000000000c' END),
    'Name', CASE WHEN q IN ('A', 'B') THEN 'Queue ' || q END,
    'EnqueueTimestamp', pg_temp.t(enq), 'Duration', dur))
$$;
-- ada: routing profile P1 (...0001), hierarchy G1 (...00g1 -> ...0011); bob: P2 (...0002), G1 > G2 (...0012).
CREATE FUNCTION pg_temp.ag(name text, connected text, talk integer DEFAULT NULL, hold integer DEFAULT NULL,
                           acw integer DEFAULT NULL, holds integer DEFAULT NULL) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'ARN', pg_temp.arn('agent', CASE name WHEN 'ada' THEN 'cccccccc-0000-4000-8000-00000000000c'
                                          ELSE 'dddddddd-0000-4000-8000-00000000000d' END),
    'Username', name, 'ConnectedToAgentTimestamp', pg_temp.t(connected),
    'AgentInteractionDuration', talk, 'CustomerHoldDuration', hold, 'AfterContactWorkDuration', acw,
    'NumberOfHolds', holds,
    'RoutingProfile', jsonb_build_object('ARN', pg_temp.arn('routing-profile', CASE name WHEN 'ada'
                        THEN 'eeeeeeee-0000-4000-8000-000000000001' ELSE 'eeeeeeee-0000-4000-8000-000000000002' END),
                        'Name', CASE name WHEN 'ada' THEN 'P1' ELSE 'P2' END),
    'HierarchyGroups', CASE name WHEN 'ada'
      THEN jsonb_build_object('Level1', jsonb_build_object('ARN', pg_temp.arn('agent-group', 'ffffffff-0000-4000-8000-000000000011'), 'GroupName', 'G1'))
      ELSE jsonb_build_object('Level1', jsonb_build_object('ARN', pg_temp.arn('agent-group', 'ffffffff-0000-4000-8000-000000000011'), 'GroupName', 'G1'),
                              'Level2', jsonb_build_object('ARN', pg_temp.arn('agent-group', 'ffffffff-0000-4000-8000-000000000012'), 'GroupName', 'G2')) END))
$$;
CREATE FUNCTION pg_temp.ctr(n integer, method text, channel text, init text, disc text, more jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10', 'ContactId', pg_temp.c(n), 'InitiationMethod', method,
    'Channel', channel, 'InitiationTimestamp', pg_temp.t(init), 'DisconnectTimestamp', pg_temp.t(disc),
    'LastUpdateTimestamp', '2030-05-07T00:00:00Z', 'DisconnectReason', 'CUSTOMER_DISCONNECT') || more
$$;
CREATE FUNCTION pg_temp.land(VARIADIC docs jsonb[]) RETURNS text LANGUAGE sql AS $$
  SELECT format('inserted %s; recomputed %s', b.inserted,
                connect_lake.metrics_refresh_contacts(
                  (SELECT array_agg((d->>'ContactId')::uuid) FROM unnest(docs) d),
                  (SELECT array_agg((d->>'InitiationTimestamp')::timestamptz) FROM unnest(docs) d)))
    FROM connect_lake.ingest_batch('ctr', docs) b
$$;
-- A response, one line per result and metric: interval (UTC), dimensions, metric key, Value (- when absent).
CREATE FUNCTION pg_temp.show(resp jsonb) RETURNS TABLE (start_time text, end_time text, dims text, metric text, value text)
LANGUAGE sql AS $$
  SELECT to_char(to_timestamp((r->'MetricInterval'->>'StartTime')::float8), 'MM-DD HH24:MI'),
         to_char(to_timestamp((r->'MetricInterval'->>'EndTime')::float8), 'MM-DD HH24:MI'),
         replace(replace(replace(replace(replace(replace(r->>'Dimensions', 'aaaaaaaa-0000-4000-8000-00000000000a', 'A'),
                 'bbbbbbbb-0000-4000-8000-00000000000b', 'B'), 'cccccccc-0000-4000-8000-00000000000c', 'ada'),
                 'dddddddd-0000-4000-8000-00000000000d', 'bob'), 'eeeeeeee-0000-4000-8000-00000000000', 'P'),
                 'ffffffff-0000-4000-8000-0000000000', 'G'),
         connect_lake.metric_canonical_key(c->'Metric'),
         coalesce(c->>'Value', '-')
    FROM jsonb_array_elements(resp->'MetricResults') WITH ORDINALITY x(r, i),
         jsonb_array_elements(r->'Collections') WITH ORDINALITY y(c, j)
   ORDER BY i, j
$$;
-- A request over the day with the given interval, groupings, filters and metrics.
CREATE FUNCTION pg_temp.req(period text, groupings jsonb, metrics jsonb, filters jsonb DEFAULT NULL, tz text DEFAULT 'UTC',
                            start_time text DEFAULT '2030-05-06 09:00+00', end_time text DEFAULT '2030-05-06 11:00+00')
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'ResourceArn', 'arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111',
    'StartTime', extract(epoch FROM start_time::timestamptz)::bigint, 'EndTime', extract(epoch FROM end_time::timestamptz)::bigint,
    'Interval', jsonb_build_object('IntervalPeriod', period, 'TimeZone', tz),
    'Filters', coalesce(filters, jsonb_build_array(jsonb_build_object('FilterKey', 'QUEUE', 'FilterValues',
                 jsonb_build_array('aaaaaaaa-0000-4000-8000-00000000000a', pg_temp.arn('queue', 'bbbbbbbb-0000-4000-8000-00000000000b'))))),
    'Groupings', groupings, 'Metrics', metrics)
$$;

SELECT pg_temp.land(
  pg_temp.ctr(1, 'INBOUND', 'VOICE', '09:00:00', '09:04:00',
              jsonb_build_object('Queue', pg_temp.qu('A', '09:00:05', 10), 'Agent', pg_temp.ag('ada', '09:00:15', 200, 0, 20))),
  pg_temp.ctr(2, 'INBOUND', 'VOICE', '09:01:00', '09:10:00',
              jsonb_build_object('Queue', pg_temp.qu('A', '09:01:00', 20), 'Agent', pg_temp.ag('bob', '09:01:20', 300, 40, 30, 1))),
  pg_temp.ctr(3, 'INBOUND', 'VOICE', '09:02:00', '09:02:45', jsonb_build_object('Queue', pg_temp.qu('A', '09:02:00', 45))),
  pg_temp.ctr(4, 'INBOUND', 'VOICE', '09:05:00', '09:05:15',
              jsonb_build_object('Queue', pg_temp.qu('A', '09:05:00', 15), 'DisconnectReason', 'CONTACT_FLOW_DISCONNECT')),
  pg_temp.ctr(5, 'CALLBACK', 'VOICE', '09:15:00', '09:25:00',
              jsonb_build_object('PreviousContactId', pg_temp.c(4), 'Queue', pg_temp.qu('A', '09:16:40', 100),
                                 'Agent', pg_temp.ag('ada', '09:18:20', 100, 0, 10))),
  pg_temp.ctr(6, 'API', 'CHAT', '09:03:00', '09:20:00',
              jsonb_build_object('Queue', pg_temp.qu('B', '09:03:00', 5), 'Agent', pg_temp.ag('bob', '09:03:05', 600, 0, 0),
                                 'DisconnectReason', 'AGENT_DISCONNECT')),
  pg_temp.ctr(7, 'OUTBOUND', 'VOICE', '09:27:00', '09:30:00',
              jsonb_build_object('Queue', pg_temp.qu('B', NULL, NULL), 'Agent', pg_temp.ag('ada', '09:27:05', 120, 0, 0),
                                 'DisconnectReason', 'AGENT_DISCONNECT')),
  pg_temp.ctr(8, 'INBOUND', 'VOICE', '09:31:00', '09:31:30',
              jsonb_build_object('Queue', pg_temp.qu('A', '09:31:00', 30), 'NextContactId', pg_temp.c(9),
                                 'DisconnectReason', 'CONTACT_FLOW_DISCONNECT')),
  pg_temp.ctr(9, 'QUEUE_TRANSFER', 'VOICE', '09:31:30', '09:40:00',
              jsonb_build_object('Queue', pg_temp.qu('B', '09:31:30', 8), 'Agent', pg_temp.ag('bob', '09:31:38', 150, 0, 5))),
  pg_temp.ctr(10, 'TRANSFER', 'VOICE', '09:45:00', '09:50:00',
              jsonb_build_object('Queue', pg_temp.qu('agent:ada', '09:45:00', 3), 'Agent', pg_temp.ag('ada', '09:45:03', 50, 0, 0))),
  pg_temp.ctr(11, 'INBOUND', 'VOICE', '10:00:00', '10:01:01',
              jsonb_build_object('Queue', pg_temp.qu('A', '10:00:00', 61), 'Agent', pg_temp.ag('bob', NULL))));

-- Agent activity (the contract tables of the activity helper), by hand: ada
-- 09:00 online 15 min, 10 on contact, 5 idle, 2 offers connected after 3 s
-- each; bob 09:00 online 15 min, 5 in a Break (NPT), 7 on contact, 3 idle,
-- 2 offers, 1 missed; bob 09:15 online 10 min, all idle, in P2 still.
INSERT INTO connect_lake.agent_activity_interval (interval_start, agentarn, agent_id, routing_profile_id,
  hierarchy_level1_id, hierarchy_level2_id, online_ms, non_productive_ms, contact_ms, idle_ms, error_ms,
  offers, offers_connected, offers_missed, offers_not_connected, connecting_ms_sum, connecting_count)
VALUES ('2030-05-06 09:00+00', pg_temp.arn('agent', 'cccccccc-0000-4000-8000-00000000000c'), 'cccccccc-0000-4000-8000-00000000000c',
        'eeeeeeee-0000-4000-8000-000000000001', 'ffffffff-0000-4000-8000-000000000011', NULL,
        900000, 0, 600000, 300000, 0, 2, 2, 0, 0, 6000, 2),
       ('2030-05-06 09:00+00', pg_temp.arn('agent', 'dddddddd-0000-4000-8000-00000000000d'), 'dddddddd-0000-4000-8000-00000000000d',
        'eeeeeeee-0000-4000-8000-000000000002', 'ffffffff-0000-4000-8000-000000000011', 'ffffffff-0000-4000-8000-000000000012',
        900000, 300000, 420000, 180000, 20000, 2, 1, 1, 1, 9000, 2),
       ('2030-05-06 09:15+00', pg_temp.arn('agent', 'dddddddd-0000-4000-8000-00000000000d'), 'dddddddd-0000-4000-8000-00000000000d',
        'eeeeeeee-0000-4000-8000-000000000002', 'ffffffff-0000-4000-8000-000000000011', 'ffffffff-0000-4000-8000-000000000012',
        600000, 0, 0, 600000, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO connect_lake.agent_status_interval (interval_start, agentarn, agent_id, status_name, status_type, ms)
VALUES ('2030-05-06 09:00+00', pg_temp.arn('agent', 'cccccccc-0000-4000-8000-00000000000c'), 'cccccccc-0000-4000-8000-00000000000c', 'Available', 'ROUTABLE', 900000),
       ('2030-05-06 09:00+00', pg_temp.arn('agent', 'dddddddd-0000-4000-8000-00000000000d'), 'dddddddd-0000-4000-8000-00000000000d', 'Available', 'ROUTABLE', 600000),
       ('2030-05-06 09:00+00', pg_temp.arn('agent', 'dddddddd-0000-4000-8000-00000000000d'), 'dddddddd-0000-4000-8000-00000000000d', 'Break', 'CUSTOM', 300000),
       ('2030-05-06 09:15+00', pg_temp.arn('agent', 'dddddddd-0000-4000-8000-00000000000d'), 'dddddddd-0000-4000-8000-00000000000d', 'Available', 'ROUTABLE', 600000);

-- ---- Per queue and 15 minutes, from the queue rollups.  Queue A 09:00: 1-4
-- queued (4), handled 1, 2 (2), abandoned 3, callback 4; service level LT 20:
-- removed within 20 s = 1 (10 s), 4 (15 s): 50 %; LTE 20 adds 2: 75 %;
-- ASA (10 + 20) / 2 = 15; AHT (220 + 370) / 2 = 295; abandon time 45.
-- 09:15: 5 (callback, 100 s).  09:30: 8 (transferred from queue, not
-- removed: SL 0 %).  B 09:15: the chat 6 (API, agent hung up); B 09:30: 7
-- (outbound, not queued: no queue figures) and 9 (QUEUE_TRANSFER).  10:00:
-- 11 abandoned after 61 s.  Ada's personal-queue leg 10 is in no queue row.
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(pg_temp.req('FIFTEEN_MIN', '["QUEUE"]', '[
  {"Name": "CONTACTS_QUEUED"}, {"Name": "CONTACTS_HANDLED"}, {"Name": "CONTACTS_ABANDONED"},
  {"Name": "LAKE_CALLBACKS_REQUESTED"}, {"Name": "CONTACTS_TRANSFERRED_OUT_FROM_QUEUE"},
  {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]},
  {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LTE", "ThresholdValue": 20}]},
  {"Name": "AVG_QUEUE_ANSWER_TIME"}, {"Name": "AVG_HANDLE_TIME"}, {"Name": "AVG_ABANDON_TIME"}, {"Name": "MAX_QUEUED_TIME"},
  {"Name": "CONTACTS_HANDLED_INCOMING"}, {"Name": "CONTACTS_AGENT_HUNG_UP_FIRST"}]')));

-- The response itself: epoch seconds, Dimensions by grouping, the Metric
-- objects as requested, no Value for an average without contacts (A 10:00:
-- no contact answered from the queue).
SELECT jsonb_pretty(connect_lake.get_metric_data_v2(pg_temp.req('HOUR', '["QUEUE", "CHANNEL"]', '[
  {"Name": "CONTACTS_QUEUED"}, {"Name": "AVG_QUEUE_ANSWER_TIME"},
  {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 60}]}]',
  '[{"FilterKey": "QUEUE", "FilterValues": ["aaaaaaaa-0000-4000-8000-00000000000a"]}]')));

-- ---- Round trip: every contact metric of a response computed from the
-- rollups, fed to metric_reconcile() (which recomputes each contact by
-- contact from contact_metric), shows no difference.
SELECT count(*) AS compared, count(*) FILTER (WHERE NOT within_tolerance) AS outside_tolerance,
       count(*) FILTER (WHERE difference <> 0) AS different,
       count(*) FILTER (WHERE amazon_value IS NULL AND lake_value IS NULL) AS both_without_value
  FROM connect_lake.metric_reconcile(connect_lake.get_metric_data_v2(pg_temp.req('FIFTEEN_MIN', '["QUEUE", "CHANNEL"]',
    (SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object('Name', metric_name,
              'Threshold', CASE WHEN threshold THEN '[{"Comparison": "LTE", "ThresholdValue": 20}]'::jsonb END)) ORDER BY metric_name)
       FROM connect_lake.metric_api_metric m
      WHERE coalesce((SELECT b.source FROM connect_lake.metric_api_metric b WHERE b.metric_name = m.same_as), m.source) = 'contact'))));
-- And the same by agent, by routing profile and hierarchy, by day in New York
-- and by week, total.
SELECT g.grouping, g.period, count(*) AS compared, count(*) FILTER (WHERE NOT r.within_tolerance) AS outside_tolerance
  FROM (VALUES ('["AGENT"]', 'FIFTEEN_MIN'), ('["AGENT", "CHANNEL"]', 'HOUR'), ('["ROUTING_PROFILE"]', 'THIRTY_MIN'),
               ('["AGENT_HIERARCHY_LEVEL_ONE", "AGENT_HIERARCHY_LEVEL_TWO"]', 'DAY'), ('["QUEUE"]', 'WEEK'),
               ('["CHANNEL"]', 'TOTAL')) g(grouping, period)
 CROSS JOIN LATERAL connect_lake.metric_reconcile(connect_lake.get_metric_data_v2(pg_temp.req(g.period, g.grouping::jsonb, '[
  {"Name": "CONTACTS_HANDLED"}, {"Name": "AVG_HANDLE_TIME"}, {"Name": "CONTACTS_PUT_ON_HOLD"}, {"Name": "SUM_HOLD_TIME"},
  {"Name": "CONTACTS_TRANSFERRED_OUT_BY_AGENT"}, {"Name": "CONTACTS_HANDLED_OUTBOUND"}, {"Name": "API_CONTACTS_HANDLED"},
  {"Name": "ABANDONMENT_RATE"}]', '[]', CASE WHEN g.period = 'DAY' THEN 'America/New_York' ELSE 'UTC' END)),
  CASE WHEN g.period = 'DAY' THEN 'America/New_York' ELSE 'UTC' END) r
 GROUP BY 1, 2 ORDER BY 1, 2;

-- ---- Agents: contact metrics by the agent on the CTR (every queue kind:
-- ada's personal-queue leg 10 counts), activity metrics from agent events.
-- ada: 1, 5, 7, 10 handled (AHT (220 + 110 + 120 + 50) / 4 = 125); occupancy
-- 600 / 900 = 66.67 %; answer rate 2/2; connecting 3 s.  bob: 2, 6, 9 handled
-- (AHT (370 + 600 + 155) / 3 = 375), 11 only offered; online 900 + 600 s,
-- occupancy 420 / (420 + 180 + 600) = 35 %; non-response 1; error time 20 s;
-- NPT 300 s; Break 300 s of status time.  CONTACTS_HOLD_ABANDONS is not
-- derivable from the lake's records: no Value.
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(pg_temp.req('TOTAL', '["AGENT"]', '[
  {"Name": "CONTACTS_HANDLED"}, {"Name": "AVG_HANDLE_TIME"}, {"Name": "CONTACTS_CREATED"},
  {"Name": "SUM_ONLINE_TIME_AGENT"}, {"Name": "SUM_CONTACT_TIME_AGENT"}, {"Name": "SUM_IDLE_TIME_AGENT"},
  {"Name": "SUM_NON_PRODUCTIVE_TIME_AGENT"}, {"Name": "SUM_ERROR_STATUS_TIME_AGENT"}, {"Name": "AGENT_OCCUPANCY"},
  {"Name": "OCCUPANCY"}, {"Name": "AGENT_NON_RESPONSE"}, {"Name": "AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS"},
  {"Name": "AGENT_ANSWER_RATE"}, {"Name": "AVG_AGENT_CONNECTING_TIME"},
  {"Name": "LAKE_STATUS_TIME", "MetricFilters": [{"MetricFilterKey": "AGENT_STATUS", "MetricFilterValues": ["Break"]}]},
  {"Name": "LAKE_STATUS_TIME"}, {"Name": "CONTACTS_HOLD_ABANDONS"}]', '[]')));
-- By routing profile and hierarchy: contact metrics take the CTR's, activity
-- the snapshot's; G1 holds both agents, G2 only bob (ada, without a level 2,
-- is in no level-2 row).
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(pg_temp.req('TOTAL', '["AGENT_HIERARCHY_LEVEL_ONE"]', '[
  {"Name": "CONTACTS_HANDLED"}, {"Name": "SUM_ONLINE_TIME_AGENT"}]', '[]')));
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(pg_temp.req('TOTAL', '["AGENT_HIERARCHY_LEVEL_TWO"]', '[
  {"Name": "CONTACTS_HANDLED"}, {"Name": "SUM_ONLINE_TIME_AGENT"}]', '[]')));
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(pg_temp.req('THIRTY_MIN', '["ROUTING_PROFILE"]', '[
  {"Name": "CONTACTS_HANDLED"}, {"Name": "AGENT_OCCUPANCY"}]',
  jsonb_build_array(jsonb_build_object('FilterKey', 'ROUTING_PROFILE', 'FilterValues',
                                       jsonb_build_array(pg_temp.arn('routing-profile', 'eeeeeeee-0000-4000-8000-000000000002')))))));

-- ---- Metric filters, v1 names, a threshold not kept per interval (from
-- contact_metric), CONTACTS_QUEUED_BY_ENQUEUE (11 enqueued 10:00; 5 enqueued
-- 09:16:40 but disconnected 09:25, both binned by enqueue), Negate.
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(pg_temp.req('FIFTEEN_MIN', '["QUEUE"]', '[
  {"Name": "CONTACTS_HANDLED", "MetricFilters": [{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["INBOUND"], "Negate": true}]},
  {"Name": "SUM_CONTACTS_DISCONNECTED", "MetricFilters": [{"MetricFilterKey": "DISCONNECT_REASON", "MetricFilterValues": ["CUSTOMER_DISCONNECT"]}]},
  {"Name": "CALLBACK_CONTACTS_HANDLED"}, {"Name": "SUM_CONTACTS_ABANDONED"}, {"Name": "QUEUE_ANSWER_TIME"},
  {"Name": "SUM_CONTACTS_ANSWERED_IN_X", "Threshold": [{"Comparison": "LTE", "ThresholdValue": 10}]},
  {"Name": "CONTACTS_REMOVED_FROM_QUEUE_IN_X", "Threshold": [{"Comparison": "LT", "ThresholdValue": 16}]},
  {"Name": "LAKE_CONTACTS_REMOVED_AT_X", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]},
  {"Name": "LAKE_SERVICE_LEVEL_ANSWERED_EXCL_ABANDONED", "Threshold": [{"Comparison": "LT", "ThresholdValue": 50}]},
  {"Name": "CONTACTS_QUEUED_BY_ENQUEUE"}]',
  '[{"FilterKey": "QUEUE", "FilterValues": ["aaaaaaaa-0000-4000-8000-00000000000a"]}, {"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}]')));

-- Binned by the time of connection to the agent: ada's 7 was connected at
-- 09:27:05 (interval 09:15) and disconnected at 09:30 (interval 09:30); the
-- AGENT filter given as an ARN.
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(pg_temp.req('FIFTEEN_MIN', '["AGENT"]', '[
  {"Name": "CONTACTS_HANDLED"}, {"Name": "CONTACTS_HANDLED_BY_CONNECTED_TO_AGENT"}]',
  jsonb_build_array(jsonb_build_object('FilterKey', 'AGENT', 'FilterValues',
                                       jsonb_build_array(pg_temp.arn('agent', 'cccccccc-0000-4000-8000-00000000000c')))))));

-- ---- Periods in a time zone: HOUR in Kathmandu (+05:45) starts at :15 UTC;
-- the range starts mid-hour, so the first interval starts at StartTime.
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(pg_temp.req('HOUR', '[]', '[{"Name": "CONTACTS_CREATED"}]', NULL,
  'Asia/Kathmandu')));
-- DAY and WEEK in New York: one day (4 May 05:00 UTC .. ) and one week (from Monday), clipped to the range.
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(pg_temp.req('DAY', '[]', '[{"Name": "CONTACTS_CREATED"}]', NULL,
  'America/New_York', '2030-05-05 00:00+00', '2030-05-08 00:00+00')));
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(pg_temp.req('WEEK', '[]', '[{"Name": "CONTACTS_CREATED"}]', NULL,
  'America/New_York', '2030-05-01 00:00+00', '2030-05-31 00:00+00')));
-- No data: no result.  No Interval: TOTAL in UTC; ISO-8601 times.
SELECT connect_lake.get_metric_data_v2(pg_temp.req('FIFTEEN_MIN', '["QUEUE"]', '[{"Name": "CONTACTS_QUEUED"}]', NULL, 'UTC',
  '2030-05-07 09:00+00', '2030-05-07 10:00+00'));
SELECT * FROM pg_temp.show(connect_lake.get_metric_data_v2(
  '{"ResourceArn": "arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111",
    "StartTime": "2030-05-06T09:00:00Z", "EndTime": "2030-05-06T10:00:00+00:00", "Filters": [],
    "Metrics": [{"Name": "CONTACTS_QUEUED"}, {"Name": "CONTACTS_TRANSFERRED_OUT"}]}'));

-- ---- Bad requests: an error naming the field and what is accepted.
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT connect_lake.get_metric_data_v2('[]');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "CONTACTS_QUEUED"}], "Foo": 1}');
SELECT connect_lake.get_metric_data_v2('{"StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "EndTime": 2, "Filters": [], "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": "yesterday", "EndTime": 2, "Filters": [], "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 2, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [{"FilterKey": "PHONE_NUMBER", "FilterValues": ["x"]}], "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [{"FilterKey": "QUEUE", "FilterValues": ["Billing"]}], "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [{"FilterKey": "CHANNEL", "FilterValues": ["FAX"]}], "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Groupings": ["QUEUE", "CAMPAIGN"], "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Interval": {"IntervalPeriod": "MONTH"}, "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Interval": {"TimeZone": "Mars/Olympus_Mons"}, "Metrics": [{"Name": "CONTACTS_QUEUED"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": []}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "CONTACTS_QUEUEDD"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "SERVICE_LEVEL"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 604801}]}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 0}]}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "GT", "ThresholdValue": 20}]}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "CONTACTS_QUEUED", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "CONTACTS_HANDLED", "MetricFilters": [{"MetricFilterKey": "Q_CONNECT_ENABLED", "MetricFilterValues": ["TRUE"]}]}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "AGENT_OCCUPANCY", "MetricFilters": [{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["INBOUND"]}]}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Groupings": ["QUEUE"], "Metrics": [{"Name": "AGENT_OCCUPANCY"}]}');
SELECT connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "CONTACTS_QUEUED"}], "NextToken": "abc"}');
SELECT connect_lake.metric_reconcile('{"Results": []}');
-- The field is also in the error's column field, for programs.
DO $$
DECLARE f text; s text;
BEGIN
  PERFORM connect_lake.get_metric_data_v2('{"ResourceArn": "x", "StartTime": 1, "EndTime": 2, "Filters": [], "Metrics": [{"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 0.5}]}]}');
EXCEPTION WHEN invalid_parameter_value THEN
  GET STACKED DIAGNOSTICS f = COLUMN_NAME, s = RETURNED_SQLSTATE;
  RAISE NOTICE 'sqlstate %, field %', s, f;
END
$$;

-- ---- Reconciliation of a saved response as the AWS CLI prints it (ISO-8601
-- times, queue ARNs, float values), results of Queue A at 09:00 and 09:30:
-- Amazon's service level 66.67 at 09:00 (the lake's 50: outside), ASA 15.4
-- (the lake's 15: within 1 s), 09:30 equal (ASA without a value on both
-- sides); the lake's 09:15 (contact 5), absent from the response, is shown
-- with Amazon's side empty.
SELECT replace(dimensions::text, 'aaaaaaaa-0000-4000-8000-00000000000a', 'A') AS dims, interval_start, metric,
       amazon_value, lake_value, difference, within_tolerance, contact_ids
  FROM connect_lake.metric_reconcile('{"MetricResults": [
  {"Dimensions": {"QUEUE": "arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111/queue/aaaaaaaa-0000-4000-8000-00000000000a"},
   "MetricInterval": {"Interval": "FIFTEEN_MIN", "StartTime": "2030-05-06T09:00:00+00:00", "EndTime": "2030-05-06T09:15:00+00:00"},
   "Collections": [{"Metric": {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20.0}]}, "Value": 66.66666666666667},
                   {"Metric": {"Name": "AVG_QUEUE_ANSWER_TIME"}, "Value": 15.4}]},
  {"Dimensions": {"QUEUE": "aaaaaaaa-0000-4000-8000-00000000000a"},
   "MetricInterval": {"Interval": "FIFTEEN_MIN", "StartTime": "2030-05-06T09:30:00+00:00", "EndTime": "2030-05-06T09:45:00+00:00"},
   "Collections": [{"Metric": {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20.0}]}, "Value": 0.0},
                   {"Metric": {"Name": "AVG_QUEUE_ANSWER_TIME"}}]}]}');

-- A CTR that lands after the response was saved: contact 12 (Queue A,
-- answered after 12 s, 09:12) moves the lake's 09:00 figures away from the
-- saved response, and is named.
CREATE TEMP TABLE saved AS
  SELECT connect_lake.get_metric_data_v2(pg_temp.req('FIFTEEN_MIN', '["QUEUE", "CHANNEL"]', '[
    {"Name": "CONTACTS_QUEUED"}, {"Name": "CONTACTS_HANDLED"}, {"Name": "AVG_QUEUE_ANSWER_TIME"},
    {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]}]')) AS response;
SELECT count(*) FILTER (WHERE within_tolerance) AS within, count(*) FILTER (WHERE NOT within_tolerance) AS outside
  FROM connect_lake.metric_reconcile((SELECT response FROM saved));
SELECT pg_temp.land(pg_temp.ctr(12, 'INBOUND', 'VOICE', '09:06:00', '09:12:00',
  jsonb_build_object('Queue', pg_temp.qu('A', '09:06:00', 12), 'Agent', pg_temp.ag('ada', '09:06:12', 300, 0, 0))));
SELECT replace(replace(dimensions::text, 'aaaaaaaa-0000-4000-8000-00000000000a', 'A'), 'bbbbbbbb-0000-4000-8000-00000000000b', 'B') AS dims,
       interval_start, metric, amazon_value, lake_value, difference,
       ARRAY(SELECT right(u::text, 3) FROM unnest(contact_ids) u) AS contacts
  FROM connect_lake.metric_reconcile((SELECT response FROM saved))
 WHERE NOT within_tolerance;

-- Leave the lake as it was.
DELETE FROM connect_lake.agent_activity_interval WHERE interval_start >= '2030-05-06' AND interval_start < '2030-05-07';
DELETE FROM connect_lake.agent_status_interval WHERE interval_start >= '2030-05-06' AND interval_start < '2030-05-07';
DELETE FROM connect_lake.ctr_events WHERE initiationtimestamp >= '2030-05-06' AND initiationtimestamp < '2030-05-07';
SELECT connect_lake.metrics_refresh('2030-05-06', '2030-05-07') AS recomputed;
