-- Flow funnels, containment and IVR hang-ups on hand-built contacts, one
-- per way of leaving a flow.  Day: Tuesday 2030-03-05 (London = UTC).
--   1 contained: menu, a Lambda that answers, a goodbye, the flow hangs up
--   2 IVR hang-up: the caller hangs up at the menu (its result: Timeout)
--   3 queued: the Lambda fails, the contact goes to a queue and an agent
--   4 moves to the Auth module and hangs up there
--   5 no CTR yet: where it left is unknown
--   6 starts at 23:59:58 and runs its next block after midnight: all of it
--     is the 5th's
BEGIN;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.c(n integer) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '00000000-0000-4000-8000-' || lpad(n::text, 12, '0') $$;
CREATE FUNCTION pg_temp.block(n integer, at text, flow text, type text, id text, results text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('ContactId', pg_temp.c(n),
    'Timestamp', CASE WHEN at LIKE '____-%' THEN at ELSE '2030-03-05T' || at || 'Z' END,
    'ContactFlowId', 'arn:aws:connect:eu-west-2:1:instance/i/contact-flow/' || lower(flow), 'ContactFlowName', flow,
    'ContactFlowModuleType', type, 'Identifier', id, 'Results', results))
$$;
CREATE FUNCTION pg_temp.ctr(n integer, init text, disc text, reason text, more jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10', 'ContactId', pg_temp.c(n), 'InitiationMethod', 'INBOUND',
    'Channel', 'VOICE', 'InitiationTimestamp', '2030-03-05T' || init || 'Z', 'DisconnectTimestamp', disc,
    'LastUpdateTimestamp', '2030-03-06T01:00:00Z', 'DisconnectReason', reason) || more
$$;

SELECT * FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[
  pg_temp.block(1, '09:00:00', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(1, '09:00:05', 'Main', 'GetUserInput', 'Menu', '1'),
  pg_temp.block(1, '09:00:15', 'Main', 'InvokeExternalResource', 'Lookup', 'Success'),
  pg_temp.block(1, '09:00:17', 'Main', 'PlayPrompt', 'Balance'),
  pg_temp.block(1, '09:00:40', 'Main', 'Disconnect', 'Bye'),
  pg_temp.block(2, '10:00:00', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(2, '10:00:03', 'Main', 'GetUserInput', 'Menu', 'Timeout'),
  pg_temp.block(3, '11:00:00', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(3, '11:00:04', 'Main', 'GetUserInput', 'Menu', '1'),
  pg_temp.block(3, '11:00:10', 'Main', 'InvokeExternalResource', 'Lookup', 'The Lambda Function Returned An Error.'),
  pg_temp.block(3, '11:00:11', 'Main', 'TransferToQueue', 'To queue'),
  pg_temp.block(4, '12:00:00', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(4, '12:00:06', 'Main', 'GetUserInput', 'Menu', '3'),
  pg_temp.block(4, '12:00:09', 'Auth', 'CheckAttribute', 'Check', 'false'),
  pg_temp.block(5, '13:00:00', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(5, '13:00:05', 'Main', 'GetUserInput', 'Menu', '2'),
  pg_temp.block(6, '23:59:58', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(6, '2030-03-06T00:00:03Z', 'Main', 'GetUserInput', 'Menu', '1'),
  pg_temp.block(6, '2030-03-06T00:00:13Z', 'Main', 'Disconnect', 'Bye')
]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1, '09:00:00', '2030-03-05T09:00:41Z', 'CONTACT_FLOW_DISCONNECT'),
  pg_temp.ctr(2, '10:00:00', '2030-03-05T10:00:09Z', 'CUSTOMER_DISCONNECT'),
  pg_temp.ctr(3, '11:00:00', '2030-03-05T11:09:00Z', 'AGENT_DISCONNECT', jsonb_build_object(
    'Queue', jsonb_build_object('ARN', 'arn:aws:connect:eu-west-2:1:instance/i/queue/aaaaaaaa-0000-4000-8000-00000000000a',
      'EnqueueTimestamp', '2030-03-05T11:00:12Z', 'DequeueTimestamp', '2030-03-05T11:01:00Z', 'Duration', 48),
    'Agent', jsonb_build_object('ARN', 'arn:aws:connect:eu-west-2:1:instance/i/agent/cccccccc-0000-4000-8000-000000000001',
      'ConnectedToAgentTimestamp', '2030-03-05T11:01:00Z'))),
  pg_temp.ctr(4, '12:00:00', '2030-03-05T12:00:30Z', 'CUSTOMER_DISCONNECT'),
  pg_temp.ctr(6, '23:59:58', '2030-03-06T00:00:14Z', 'CONTACT_FLOW_DISCONNECT')
]::jsonb[]);

SELECT connect_lake.flows_refresh('2030-03-05', '2030-03-06') AS contacts;

-- Each contact's path and how it ended.
SELECT right(contactid::text, 1) AS c, day, right(entry_flow_id, 4) AS entry, last_identifier, blocks, errors,
       has_ctr, queued, agent, transferred, ivr_abandoned, contained
  FROM connect_lake.contact_flow_path ORDER BY contactid;

-- The funnel of the day: Welcome ran for all six; the menu's results; the
-- Lambda failed once of two; exits where each contact left its flow; the
-- time to the next block, read from the histogram: the percentile_disc
-- value lies in the bucket, interpolated inside it (Welcome: 5, 3, 4, 6, 5,
-- 5 s: median 5.0, p90 6.0; Menu: 10, 6, 3, 10 s: median 6.1, in 6 s's
-- bucket, p90 10.8 in 10 s's).
SELECT right(flow_id, 4) AS flow, flow_name, identifier, module_type, contacts, executions, errors, error_rate,
       results, exits, exits_other_flow AS other, exits_queue AS queue, exits_hang_up AS hang_up,
       exits_ended AS ended, exits_unknown AS unknown, median_next_s, p90_next_s
  FROM connect_lake.flow_funnel('2030-03-05', '2030-03-05');
-- one flow only, and the same over a range that adds an empty day
SELECT count(*) FROM connect_lake.flow_funnel('2030-03-05', '2030-03-05',
  'arn:aws:connect:eu-west-2:1:instance/i/contact-flow/auth');
SELECT (SELECT array_agg(f ORDER BY f::text) FROM connect_lake.flow_funnel('2030-03-05', '2030-03-05') f)
     = (SELECT array_agg(f ORDER BY f::text) FROM connect_lake.flow_funnel('2030-03-04', '2030-03-06') f) AS same;
-- the day view agrees
SELECT day, identifier, contacts, median_next_s FROM connect_lake.flow_block_daily
 WHERE identifier = 'Welcome' ORDER BY day;

-- Where callers hang up.
SELECT rank, flow_name, identifier, module_type, hang_ups, contacts, hang_up_rate
  FROM connect_lake.flow_hang_ups('2030-03-05', '2030-03-05');

-- Containment per entry flow and day, and over the range (day NULL): six
-- contacts entered Main, five with a CTR (the 5th's has not landed): 1 and
-- 6 contained, 2 and 4 hung up in the IVR (4 in the module it moved to).
SELECT day, entry_flow_name, contacts, with_ctr, contained, containment_rate, ivr_abandoned,
       ivr_abandonment_rate, queued, agent, transferred
  FROM connect_lake.flow_containment('2030-03-05', '2030-03-06');

-- The CTR of contact 5 lands later: a refresh of its day settles it.
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[pg_temp.ctr(5, '13:00:00', '2030-03-05T13:00:20Z', 'CUSTOMER_DISCONNECT')]);
SELECT connect_lake.flows_refresh('2030-03-05', '2030-03-05') AS contacts;
SELECT identifier, exits_hang_up, exits_unknown FROM connect_lake.flow_funnel('2030-03-05', '2030-03-05')
 WHERE identifier = 'Menu';

-- The rules, each defined once.
SELECT r, connect_lake.flow_result_is_error(r)
  FROM unnest(ARRAY['The Lambda Function Returned An Error.', 'Timeout', 'Success', '1', NULL]) r;
SELECT b, connect_lake.flow_time_bucket(b), (connect_lake.flow_bucket_bounds(connect_lake.flow_time_bucket(b))).*
  FROM unnest(ARRAY[0, 99, 100, 9999, 10000, 59999, 60000, 599999, 600000, 3599999, 3600000, 86400000]::bigint[]) b;
SELECT connect_lake.flow_time_bucket(-1) AS negative, connect_lake.flow_histogram_percentile('{}', 0.5) AS empty;
-- histograms of several days add up bucket by bucket, the shorter padded
SELECT connect_lake.flow_histogram_add('{1,2}', '{10,20,30}') AS added,
       (SELECT connect_lake.flow_histogram_sum(h) FROM (VALUES ('{1,0,2}'::integer[]), ('{0,5,1}'), (NULL)) v(h)) AS summed,
       connect_lake.flow_histogram_percentile(
         (SELECT connect_lake.flow_histogram(ms) FROM unnest(ARRAY[50, 150, 150, 250, NULL, -1]::bigint[]) ms), 0.5) AS median_s;
-- bad input: an error naming what is wrong
SAVEPOINT bad;
SELECT connect_lake.flow_bucket_bounds(255);
ROLLBACK TO bad;
SELECT connect_lake.flow_histogram_percentile('{1,2}', 1.5);
ROLLBACK TO bad;
SELECT connect_lake.flow_histogram_percentile('{1,NULL}', 0.5);
ROLLBACK TO bad;
SELECT connect_lake.flow_histogram_add('{{1},{2}}', '{1}');
ROLLBACK TO bad;

-- Flow versions.  On the 6th the Main flow gains a Survey block and stops
-- running Menu (a new version detected from the logs); on the 7th the DBA
-- records a publish at 12:00 that changed no identifier (a third version).
SELECT * FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[
  pg_temp.block(11, '2030-03-06T09:00:00Z', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(11, '2030-03-06T09:00:04Z', 'Main', 'GetUserInput', 'Survey', 'Timeout'),
  pg_temp.block(12, '2030-03-06T10:00:00Z', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(12, '2030-03-06T10:00:05Z', 'Main', 'GetUserInput', 'Survey', '5'),
  pg_temp.block(13, '2030-03-07T09:00:00Z', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(13, '2030-03-07T09:00:05Z', 'Main', 'GetUserInput', 'Survey', '4'),
  pg_temp.block(14, '2030-03-07T13:00:00Z', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(14, '2030-03-07T13:00:05Z', 'Main', 'GetUserInput', 'Survey', 'Timeout')
]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(11, '09:00:00', '2030-03-06T09:00:09Z', 'CUSTOMER_DISCONNECT')
           || '{"InitiationTimestamp": "2030-03-06T09:00:00Z"}',
  pg_temp.ctr(12, '10:00:00', '2030-03-06T10:00:09Z', 'CONTACT_FLOW_DISCONNECT')
           || '{"InitiationTimestamp": "2030-03-06T10:00:00Z"}',
  pg_temp.ctr(13, '09:00:00', '2030-03-07T09:00:09Z', 'CONTACT_FLOW_DISCONNECT')
           || '{"InitiationTimestamp": "2030-03-07T09:00:00Z"}',
  pg_temp.ctr(14, '13:00:00', '2030-03-07T13:00:09Z', 'CUSTOMER_DISCONNECT')
           || '{"InitiationTimestamp": "2030-03-07T13:00:00Z"}'
]::jsonb[]);
INSERT INTO connect_lake.flow_publish VALUES
  ('arn:aws:connect:eu-west-2:1:instance/i/contact-flow/main', '2030-03-07T12:00:00Z', 'new survey prompt');
SELECT connect_lake.flows_refresh('2030-03-05', '2030-03-07') AS contacts;
SELECT right(flow_id, 4) AS flow, version, first_seen, last_seen, blocks, added, removed, detected_by
  FROM connect_lake.flow_version ORDER BY flow_id, version;
-- a publish within a day before a detected change is that change
UPDATE connect_lake.flow_publish SET published_at = '2030-03-06T08:00:00Z';
SELECT connect_lake.flow_versions_detect('arn:aws:connect:eu-west-2:1:instance/i/contact-flow/main') AS flows;
SELECT version, first_seen, added, removed, detected_by FROM connect_lake.flow_version
 WHERE flow_id LIKE '%/main' ORDER BY version;

-- Versions 1 and 2 of Main side by side: six contacts before (each with a
-- CTR now: the 5th's came late), four after; contained 1 and 6 of six, 12
-- and 13 of four; hung up in the IVR 2, 4 and 5, then 11 and 14; errors per
-- contact 2/6 and 2/4; per block, the days whose runs lie wholly in each.
-- Queue abandonment and handle time come from the contacts' metrics: contact
-- 3 was queued and handled (0 s of handle time recorded), none abandoned.
SELECT connect_lake.metrics_refresh('2030-03-05', '2030-03-08') >= 0 AS metrics;
SELECT metric, identifier, module_type, before, after, difference
  FROM connect_lake.flow_compare('arn:aws:connect:eu-west-2:1:instance/i/contact-flow/main', 1, 2);
-- the same by periods
SELECT count(*) FROM connect_lake.flow_compare('arn:aws:connect:eu-west-2:1:instance/i/contact-flow/main',
  tstzrange('2030-03-05', '2030-03-06'), tstzrange('2030-03-06', '2030-03-08'));
-- a version that does not exist: no rows
SELECT count(*) FROM connect_lake.flow_compare('arn:aws:connect:eu-west-2:1:instance/i/contact-flow/main', 1, 9);
ROLLBACK;
