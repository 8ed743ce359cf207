-- Agent events: agent_event_parse() on LOGIN, LOGOUT, STATE_CHANGE and HEART_BEAT.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE FUNCTION pg_temp.ev(type text, ts text, cur jsonb, prev jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('AWSAccountId', '111122223333',
    'AgentARN', 'arn:aws:connect:eu-west-2:111122223333:instance/9a8b7c6d-1111-2222-3333-444455556666/agent/5e6f7a8b-0000-4000-8000-00000000000a',
    'EventId', 'ae-' || type || '-' || ts, 'EventTimestamp', ts, 'EventType', type,
    'InstanceARN', 'arn:aws:connect:eu-west-2:111122223333:instance/9a8b7c6d-1111-2222-3333-444455556666',
    'Version', '2017-10-01', 'CurrentAgentSnapshot', cur, 'PreviousAgentSnapshot', prev) $$;
CREATE FUNCTION pg_temp.snap(status text, contacts jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object(
    'AgentStatus', jsonb_build_object('ARN', 'arn:status/' || status, 'Name', status, 'StartTimestamp', '2024-03-04T08:00:00.000Z'),
    'NextAgentStatus', NULL,
    'Configuration', jsonb_build_object('FirstName', 'Ada', 'LastName', 'Lovelace', 'Username', 'ada',
      'AgentHierarchyGroups', jsonb_build_object('Level1', jsonb_build_object('ARN', 'arn:g1', 'Name', 'Billing')),
      'RoutingProfile', jsonb_build_object('ARN', 'arn:rp-1', 'Name', 'Billing profile',
        'Concurrency', '[{"AvailableSlots": 1, "Channel": "VOICE", "MaximumSlots": 1}]'::jsonb,
        'DefaultOutboundQueue', '{"ARN": "arn:q-out", "Name": "Outbound"}'::jsonb, 'InboundQueues', '[]'::jsonb)),
    'Contacts', contacts) $$;

SELECT e.eventtype, e.eventtimestamp, e.agent_id, e.agentstatus_name, e.previous_agentstatus_name,
       e.username, e.routingprofile_name, jsonb_array_length(e.contacts) AS contacts,
       e.current_snapshot IS NOT NULL AS has_current, e.previous_snapshot IS NOT NULL AS has_previous, e.extra
  FROM (VALUES
    (pg_temp.ev('LOGIN', '2024-03-04T08:00:00.000Z', NULL, NULL)),
    (pg_temp.ev('STATE_CHANGE', '2024-03-04T08:00:05.000Z', pg_temp.snap('Available', '[]'), pg_temp.snap('Offline', '[]'))),
    (pg_temp.ev('HEART_BEAT', '2024-03-04T08:02:05.000Z', pg_temp.snap('Available',
       '[{"ContactId": "0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d", "InitialContactId": null, "Channel": "VOICE",
          "InitiationMethod": "INBOUND", "State": "CONNECTED", "StateStartTimestamp": "2024-03-04T08:01:00.000Z",
          "ConnectedToAgentTimestamp": "2024-03-04T08:01:00.000Z", "QueueTimestamp": "2024-03-04T08:00:30.000Z",
          "Queue": {"ARN": "arn:q-1", "Name": "Billing"}}]'), NULL)),
    (pg_temp.ev('LOGOUT', '2024-03-04T17:00:00.000Z', NULL, NULL) || '{"Surprise": true}')) v(doc),
       LATERAL connect_lake.agent_event_parse(v.doc) e
 ORDER BY e.eventtimestamp;

-- The contacts column keeps the snapshot's contacts whole.
SELECT jsonb_pretty(e.contacts)
  FROM connect_lake.agent_event_parse(pg_temp.ev('HEART_BEAT', '2024-03-04T08:02:05.000Z', pg_temp.snap('Available',
       '[{"ContactId": "0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d", "Channel": "VOICE", "State": "CONNECTED",
          "Queue": {"ARN": "arn:q-1", "Name": "Billing"}}]'), NULL)) e;

-- Bad records.
SELECT connect_lake.agent_event_parse(pg_temp.ev('LOGIN', '2024-03-04T08:00:00.000Z', NULL, NULL) - 'EventId');  -- ERROR
SELECT connect_lake.agent_event_parse(pg_temp.ev('LOGIN', 'soon', NULL, NULL));  -- ERROR
SELECT connect_lake.agent_event_parse(pg_temp.ev('LOGIN', '2024-03-04T08:00:00.000Z', NULL, NULL) || '{"AgentARN": 42}');  -- ERROR

-- The loader's path (a tape, through the text variant) maps records the same way.
SELECT to_jsonb(connect_lake.agent_event_parse(d)) = to_jsonb(connect_lake.agent_event_parse(d::text)) AS same
  FROM (VALUES (pg_temp.ev('STATE_CHANGE', '2024-03-04T08:00:05.000Z', pg_temp.snap('Available', '[]'),
                           pg_temp.snap('Offline', '[]')) || '{"Extra": {"k": 1.50}}')) v(d);
