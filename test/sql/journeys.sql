-- Journeys on hand-built records: a contact transferred twice (three legs),
-- a callback pointing back at the first leg, a leg whose CTR has not landed
-- (only its flow log and contact events), a case linked by a Contact related
-- item, the agent's state changes while a leg was with them, and one
-- customer's contacts and cases by account number.
-- All in one transaction, rolled back: later tests see none of it.
BEGIN;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.c(n integer) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '00000000-0000-4000-8000-' || lpad(n::text, 12, '0') $$;
CREATE FUNCTION pg_temp.t(hms text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '2030-03-04T' || hms || 'Z' $$;
CREATE FUNCTION pg_temp.ctr(n integer, method text, init text, disc text, more jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10', 'ContactId', pg_temp.c(n), 'InitiationMethod', method,
    'Channel', 'VOICE', 'InitiationTimestamp', pg_temp.t(init), 'DisconnectTimestamp', pg_temp.t(disc),
    'LastUpdateTimestamp', '2030-03-05T00:00:00Z', 'DisconnectReason', 'CUSTOMER_DISCONNECT') || more)
$$;
CREATE FUNCTION pg_temp.block(n integer, at text, flow text, type text, id text, results text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('ContactId', pg_temp.c(n), 'Timestamp', pg_temp.t(at),
    'ContactFlowId', 'arn:aws:connect:eu-west-2:1:instance/i/contact-flow/' || lower(flow), 'ContactFlowName', flow,
    'ContactFlowModuleType', type, 'Identifier', id, 'Results', results))
$$;
CREATE FUNCTION pg_temp.cev(id text, n integer, at text, type text, more jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', id, 'time', pg_temp.t(at),
    'detail', jsonb_build_object('eventType', type, 'contactId', pg_temp.c(n), 'channel', 'VOICE') || more)
$$;
CREATE FUNCTION pg_temp.agent(name text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT 'arn:aws:connect:eu-west-2:1:instance/i/agent/' || CASE name WHEN 'ada' THEN 'cccccccc' ELSE 'dddddddd' END || '-0000-4000-8000-000000000001' $$;
CREATE FUNCTION pg_temp.aev(id text, name text, at text, type text, status text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('EventId', id, 'EventTimestamp', pg_temp.t(at), 'EventType', type,
    'AgentARN', pg_temp.agent(name),
    'CurrentAgentSnapshot', jsonb_build_object('AgentStatus', jsonb_build_object('Name', status),
      'Configuration', jsonb_build_object('Username', name)))
$$;

-- Leg 1 (contact 1): inbound, IVR, queue A, agent ada, transferred to leg 2.
-- Leg 2 (contact 2): queue transfer to queue B, agent bob, transferred to leg 3.
-- Leg 3 (contact 3): its CTR has not landed; its flow log and contact events have.
-- Contact 4: a callback of contact 1 (PreviousContactId), not yet answered.
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1, 'INBOUND', '09:00:00', '09:05:00', jsonb_build_object(
    'NextContactId', pg_temp.c(2), 'DisconnectReason', 'AGENT_DISCONNECT',
    'TransferCompletedTimestamp', pg_temp.t('09:05:00'),
    'Queue', jsonb_build_object('ARN', 'arn:aws:connect:eu-west-2:1:instance/i/queue/aaaaaaaa-0000-4000-8000-00000000000a',
      'Name', 'Queue A', 'EnqueueTimestamp', pg_temp.t('09:01:00'), 'DequeueTimestamp', pg_temp.t('09:02:00'), 'Duration', 60),
    'Agent', jsonb_build_object('ARN', pg_temp.agent('ada'), 'Username', 'ada',
      'ConnectedToAgentTimestamp', pg_temp.t('09:02:00'), 'AgentInteractionDuration', 180,
      'AfterContactWorkStartTimestamp', pg_temp.t('09:05:00'), 'AfterContactWorkEndTimestamp', pg_temp.t('09:06:00')),
    'Attributes', jsonb_build_object('accountNumbers', '12345678'))),
  pg_temp.ctr(2, 'TRANSFER', '09:05:00', '09:20:00', jsonb_build_object(
    'InitialContactId', pg_temp.c(1), 'PreviousContactId', pg_temp.c(1), 'NextContactId', pg_temp.c(3),
    'Agent', jsonb_build_object('ARN', pg_temp.agent('bob'), 'Username', 'bob',
      'ConnectedToAgentTimestamp', pg_temp.t('09:07:00')))),
  pg_temp.ctr(4, 'CALLBACK', '10:00:00', NULL, jsonb_build_object('PreviousContactId', pg_temp.c(1)))
]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[
  pg_temp.block(1, '09:00:01', 'Main', 'PlayPrompt', 'Welcome'),
  pg_temp.block(1, '09:00:10', 'Main', 'GetUserInput', 'Menu', '2'),
  pg_temp.block(1, '09:00:20', 'Main', 'TransferToQueue', 'To queue A'),
  pg_temp.block(3, '09:20:01', 'Transfer', 'SetQueue', 'Queue C'),
  pg_temp.block(3, '09:20:02', 'Transfer', 'InvokeExternalResource', 'Lookup', 'The Lambda Function Returned An Error.')
]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('contact_event', ARRAY[
  pg_temp.cev('e1', 1, '09:00:00', 'INITIATED'),
  pg_temp.cev('e2', 1, '09:01:00', 'QUEUED'),
  pg_temp.cev('e3', 3, '09:20:00', 'INITIATED',
              jsonb_build_object('initialContactId', pg_temp.c(1), 'previousContactId', pg_temp.c(2),
                                 'initiationMethod', 'TRANSFER')),
  pg_temp.cev('e4', 3, '09:20:30', 'QUEUED')
]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('agent_event', ARRAY[
  pg_temp.aev('a1', 'ada', '09:01:30', 'HEART_BEAT', 'Available'),
  pg_temp.aev('a2', 'ada', '09:03:00', 'STATE_CHANGE', 'Available'),
  pg_temp.aev('a3', 'ada', '09:30:00', 'STATE_CHANGE', 'Lunch'),
  pg_temp.aev('a4', 'bob', '09:10:00', 'STATE_CHANGE', 'Available')
]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('case_event', ARRAY[
  '{"id": "k1", "detail": {"eventType": "CASE.CREATED", "approximateChangeTime": "2030-03-04T09:04:00Z",
    "case": {"caseId": "case-1", "createdDateTime": "2030-03-04T09:04:00Z", "fields": {"status": {"value": {"stringValue": "open"}}, "customer_id": {"value": {"stringValue": "12345678"}}}}}}',
  '{"id": "k2", "detail": {"eventType": "RELATED_ITEM.CREATED", "approximateChangeTime": "2030-03-04T09:04:10Z",
    "relatedItem": {"relatedItemType": "Contact", "relatedItemId": "ri-1", "caseId": "case-1",
      "contact": {"contactArn": "arn:aws:connect:eu-west-2:1:instance/i/contact/00000000-0000-4000-8000-000000000002"}}}}',
  '{"id": "k3", "detail": {"eventType": "CASE.UPDATED", "approximateChangeTime": "2030-03-05T10:00:00Z",
    "case": {"caseId": "case-1", "createdDateTime": "2030-03-04T09:04:00Z", "fields": {"status": {"value": {"stringValue": "closed"}}, "customer_id": {"value": {"stringValue": "12345678"}}}}}}'
]::jsonb[]);

-- The legs, found from any one of them (the middle leg here): leg 3 has
-- no CTR yet, its contact event points back; the callback points back too.
SELECT leg, right(contactid::text, 2) AS contact, initiationtimestamp, initiationmethod,
       right(previouscontactid::text, 2) AS previous, right(nextcontactid::text, 2) AS next, has_ctr
  FROM connect_lake.contact_legs(pg_temp.c(2)::uuid);
-- the same legs from the last leg and from the callback
SELECT array_agg(right(contactid::text, 1) ORDER BY leg) FROM connect_lake.contact_legs(pg_temp.c(3)::uuid);
SELECT array_agg(right(contactid::text, 1) ORDER BY leg) FROM connect_lake.contact_legs(pg_temp.c(4)::uuid);

-- The whole story in time order: heartbeats are left out; ada's Lunch comes
-- after her after-contact work ended and is not part of the story.
SELECT step_time, leg, right(contactid::text, 1) AS c, source, step
  FROM connect_lake.contact_journey(pg_temp.c(2)::uuid);
-- details carry what the step says
SELECT details FROM connect_lake.contact_journey(pg_temp.c(1)::uuid)
 WHERE source = 'flow' AND step LIKE '%Lookup%';

-- A contact id the lake has never seen: the journey is empty, no error.
SELECT count(*) AS steps FROM connect_lake.contact_journey('99999999-0000-4000-8000-000000000000');
SELECT leg, has_ctr FROM connect_lake.contact_legs('99999999-0000-4000-8000-000000000000');

-- One customer's contacts and cases.  Contact 1 carries the account
-- number; the case is the account's through its customer id (no account field mapped).
SELECT step_time, right(contactid::text, 1) AS c, case_id, source, step
  FROM connect_lake.customer_journey(12345678);
-- a range leaves out what lies outside it
SELECT count(*) FROM connect_lake.customer_journey(12345678, '2030-03-05', '2030-03-06');

-- labels
SELECT p.oid::regprocedure, p.provolatile, p.proparallel
  FROM pg_proc p WHERE p.proname IN ('contact_legs', 'contact_journey', 'customer_journey')
   AND p.pronamespace = 'connect_lake'::regnamespace ORDER BY 1::regprocedure::text;
ROLLBACK;
