-- Contact events: contact_event_parse() on hand-written records.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE FUNCTION pg_temp.show(r connect_lake.contact_event) RETURNS text LANGUAGE sql AS
  $$ SELECT jsonb_pretty(jsonb_strip_nulls(to_jsonb(r))) $$;

-- A full camelCase event as EventBridge sends it today.
SELECT pg_temp.show(connect_lake.contact_event_parse($${
  "version": "0", "id": "7f9c0b52-3d5e-4f6a-9b1c-2d3e4f5a6b7c", "detail-type": "Amazon Connect Contact Event",
  "source": "aws.connect", "account": "111122223333", "time": "2024-03-04T09:15:02Z", "region": "eu-west-2",
  "resources": ["arn:aws:connect:eu-west-2:111122223333:instance/9a8b7c6d-1111-2222-3333-444455556666/contact/0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d"],
  "detail": {
    "eventType": "DISCONNECTED", "contactId": "0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d",
    "initialContactId": "0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d", "channel": "VOICE",
    "instanceArn": "arn:aws:connect:eu-west-2:111122223333:instance/9a8b7c6d-1111-2222-3333-444455556666",
    "initiationMethod": "INBOUND", "initiationTimestamp": "2024-03-04T09:10:00.123Z",
    "connectedToSystemTimestamp": "2024-03-04T09:10:00.456Z", "disconnectTimestamp": "2024-03-04T09:15:01.000Z",
    "queueInfo": {"queueArn": "arn:aws:connect:eu-west-2:111122223333:instance/i/queue/q-1", "queueType": "STANDARD",
                  "enqueueTimestamp": "2024-03-04T09:10:30Z"},
    "agentInfo": {"agentArn": "arn:aws:connect:eu-west-2:111122223333:instance/i/agent/a-1",
                  "connectedToAgentTimestamp": "2024-03-04T09:11:00Z",
                  "hierarchyGroups": {"level1": {"arn": "arn:aws:connect:eu-west-2:111122223333:instance/i/agent-group/g-1"}}},
    "tags": {"team": "billing"}, "segmentAttributes": {"connect:Subtype": {"ValueString": "connect:Telephony"}},
    "routingCriteria": {"steps": []}, "newThing": 1
  }
}$$));

-- An older PascalCase event: instanceARN, AgentInfo.AgentArn, Channel Voice,
-- queueType in lower case; placeholders read as NULL.
SELECT pg_temp.show(connect_lake.contact_event_parse($${
  "id": "ev-2", "time": "2021-05-01T18:43:48Z", "detail-type": "Amazon Connect Contact Event",
  "detail": {"EventType": "connected_to_agent", "ContactId": "11111111-1111-1111-1111-111111111111",
    "Channel": "Voice", "instanceARN": "arn:aws:connect:us-west-2:123456789012:instance/12345678-1234-1234-1234-123456789012",
    "InitiationMethod": "Inbound", "InitiationTimestamp": "1970-01-01T00:00:00.001Z",
    "queueInfo": {"QueueArn": "arn:q", "queueType": "standard"},
    "AgentInfo": {"AgentArn": "arn:a", "RoutingProfileArn": "arn:rp",
                  "ConnectedToAgentTimestamp": "1970-01-01T00:00:00.001Z"}}}$$));

-- Every event type lands; the type is upper-cased.
SELECT t AS given, (connect_lake.contact_event_parse(jsonb_build_object(
         'id', 'e', 'time', '2024-03-04T09:00:00Z',
         'detail', jsonb_build_object('eventType', t, 'contactId', '0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d')))).detail_eventtype
  FROM unnest(ARRAY['INITIATED', 'CONNECTED_TO_SYSTEM', 'CONTACT_DATA_UPDATED', 'QUEUED', 'CONNECTED_TO_AGENT',
                    'DISCONNECTED', 'COMPLETED', 'PAUSED', 'RESUMED', 'amd_disabled']) t;

-- IMMUTABLE: landed_at is the writer's.
SELECT provolatile, (connect_lake.contact_event_parse('{"id": "e", "time": "2024-03-04T09:00:00Z",
         "detail": {"contactId": "0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d"}}')).landed_at
  FROM pg_proc WHERE oid = 'connect_lake.contact_event_parse(jsonb)'::regprocedure;

-- Bad records.
SELECT connect_lake.contact_event_parse('{"id": "e", "time": "2024-03-04T09:00:00Z", "detail": {}}');  -- ERROR
SELECT connect_lake.contact_event_parse('{"id": "e", "time": "2024-03-04T09:00:00Z", "detail": {"contactId": "the contact ID"}}');  -- ERROR
SELECT connect_lake.contact_event_parse('{"id": "e", "detail": {"contactId": "0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d"}}');  -- ERROR
SELECT connect_lake.contact_event_parse('{"id": "e", "time": "2024-03-04T09:00:00Z",
  "detail": {"contactId": "0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d", "queueInfo": "STANDARD"}}');  -- ERROR

-- The loader's path (a tape, through the text variant) maps records the same way.
SELECT to_jsonb(connect_lake.contact_event_parse(d::jsonb)) = to_jsonb(connect_lake.contact_event_parse(d)) AS same
  FROM (VALUES ($${"id": "ev-2", "time": "2021-05-01T18:43:48Z", "New": [1, {"x": null}],
  "detail": {"EventType": "connected_to_agent", "ContactId": "11111111-1111-1111-1111-111111111111",
    "Channel": "Voice", "instanceARN": "arn:i", "InitiationTimestamp": "1970-01-01T00:00:00.001Z",
    "AgentInfo": {"AgentArn": "arn:a", "RoutingProfileArn": "arn:rp", "hierarchyGroups": {"level1": {"arn": "g"}}}}}$$)) v(d);
