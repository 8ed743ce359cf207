-- Contact, case and agent events through ingest() and ingest_batch(): the
-- kinds are registered, land through the writer, are de-duplicated by
-- event id, and Cases RELATED_ITEM.* events are routed to case_related_items.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

SELECT connect_lake.ingest('contact_event', $${"id": "ce-1", "time": "2024-03-04T09:15:02Z",
  "detail": {"eventType": "QUEUED", "contactId": "0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d", "Channel": "Voice"}}$$);
SELECT connect_lake.ingest('contact_event', $${"id": "ce-1", "time": "2024-03-04T09:15:02Z",
  "detail": {"eventType": "QUEUED", "contactId": "0d7e3c1a-5b6f-4a8e-9c2d-1e0f9a8b7c6d", "Channel": "Voice"}}$$);
SELECT id, detail_eventtype, detail_channel, landed_at IS NOT NULL AS landed FROM connect_lake.contact_events;

SELECT connect_lake.ingest('agent_event', $${"EventId": "ae-1", "EventTimestamp": "2024-03-04T08:00:00Z",
  "EventType": "LOGIN", "AgentARN": "arn:aws:connect:eu-west-2:1:instance/i/agent/5e6f7a8b-0000-4000-8000-00000000000a"}$$);
SELECT eventid, eventtype, agent_id, landed_at IS NOT NULL AS landed FROM connect_lake.agent_events;

-- Cases: a mixed micro-batch of CASE.* and RELATED_ITEM.* events, one repeated.
SELECT * FROM connect_lake.ingest_batch('case_event', ARRAY[
  '{"id": "k-1", "detail": {"eventType": "CASE.CREATED", "approximateChangeTime": "2024-03-04T09:00:00Z",
    "case": {"caseId": "c-1", "createdDateTime": "2024-03-04T09:00:00Z", "fields": {"status": {"value": {"stringValue": "open"}}}}}}',
  '{"id": "k-2", "detail": {"eventType": "RELATED_ITEM.CREATED", "approximateChangeTime": "2024-03-04T09:01:00Z",
    "relatedItem": {"relatedItemType": "Comment", "relatedItemId": "ri-1", "caseId": "c-1", "comment": {"body": "first"}}}}',
  '{"id": "k-3", "detail": {"eventType": "RELATED_ITEM.CREATED", "approximateChangeTime": "2024-03-04T09:02:00Z",
    "relatedItem": {"relatedItemType": "Comment", "relatedItemId": "ri-2", "caseId": "c-1", "comment": {"body": "second"}}}}',
  '{"id": "k-4", "detail": {"eventType": "CASE.UPDATED", "approximateChangeTime": "2024-03-05T09:00:00Z",
    "case": {"caseId": "c-1", "createdDateTime": "2024-03-04T09:00:00Z", "fields": {"status": {"value": {"stringValue": "closed"}}}}}}',
  '{"id": "k-1", "detail": {"eventType": "CASE.CREATED", "approximateChangeTime": "2024-03-04T09:00:00Z",
    "case": {"caseId": "c-1", "createdDateTime": "2024-03-04T09:00:00Z", "fields": {"status": {"value": {"stringValue": "open"}}}}}}'
]::jsonb[]);
SELECT connect_lake.ingest('case_event', '{"id": "k-5", "detail": {"eventType": "RELATED_ITEM.CREATED",
  "approximateChangeTime": "2024-03-06T09:00:00Z", "relatedItem": {"relatedItemType": "Comment", "relatedItemId": "ri-3",
  "caseId": "c-1", "comment": {"body": "third"}}}}');
SELECT event_id, id, detail_event_type, detail_case_fields_status, meta_enriched_landed_date IS NOT NULL AS landed
  FROM connect_lake.case_events ORDER BY detail_approximatechangetime;
SELECT event_id, detail_event_type, comment_body, landed_at IS NOT NULL AS landed
  FROM connect_lake.case_related_items ORDER BY detail_approximatechangetime;

-- case_state follows: the writer brings it up to date after landing case
-- events (cl_kind_after_write), so refreshing again changes nothing.
SELECT case_id, status, is_open, last_event_id FROM connect_lake.case_current;
SELECT connect_lake.case_state_refresh() AS changed;

-- An account that is not an integer costs nothing but its column: the event
-- lands with account NULL, the value is kept in detail_case_fields_other,
-- and ingest_batch() counts it.
INSERT INTO connect_lake.case_field_map (field_id, column_name) VALUES ('f-acc', 'account');
SELECT * FROM connect_lake.ingest_batch('case_event', ARRAY[
  '{"id": "k-6", "detail": {"eventType": "CASE.CREATED", "approximateChangeTime": "2024-03-07T09:00:00Z",
    "case": {"caseId": "c-2", "createdDateTime": "2024-03-07T09:00:00Z", "fields": {"f-acc": {"value": {"stringValue": "ACC-2"}}}}}}',
  '{"id": "k-7", "detail": {"eventType": "CASE.UPDATED", "approximateChangeTime": "2024-03-07T10:00:00Z",
    "case": {"caseId": "c-2", "createdDateTime": "2024-03-07T09:00:00Z", "fields": {"f-acc": {"value": {"stringValue": "40000002"}}}}}}'
]::jsonb[]);
SELECT event_id, account, detail_case_fields_other FROM connect_lake.case_events WHERE id = 'c-2' ORDER BY 1;
TRUNCATE connect_lake.case_field_map;

-- Unknown kinds name the known ones.
SELECT connect_lake.ingest('case', '{}');  -- ERROR

TRUNCATE connect_lake.case_events, connect_lake.case_related_items, connect_lake.case_state,
         connect_lake.contact_events, connect_lake.agent_events;
