-- Cases events: case_event_parse() and case_related_item_parse() on
-- hand-written records of every event type, both detail-type names, every
-- tagged value type, mapped and unmapped custom fields, and bad input.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET connect_lake.calendar = 'england_wales';

-- The field map, loaded from a saved ListFields response: names matched
-- after normalisation, one by an explicit name -> column list, one left
-- unmatched, system fields recognised.
SELECT * FROM connect_lake.case_field_map_load($${"fields": [
  {"fieldId": "status", "name": "Status", "type": "SingleSelect", "namespace": "System"},
  {"fieldId": "title", "name": "Title", "type": "Text", "namespace": "System"},
  {"fieldId": "0b5e6a6e-0000-4000-8000-000000000001", "name": "Level 1", "type": "SingleSelect", "namespace": "Custom"},
  {"fieldId": "0b5e6a6e-0000-4000-8000-000000000002", "name": "Is complaint?", "type": "Boolean", "namespace": "Custom"},
  {"fieldId": "0b5e6a6e-0000-4000-8000-000000000003", "name": "Complaint goodwill amount", "type": "Number", "namespace": "Custom"},
  {"fieldId": "0b5e6a6e-0000-4000-8000-000000000004", "name": "Original creation date", "type": "DateTime", "namespace": "Custom"},
  {"fieldId": "0b5e6a6e-0000-4000-8000-000000000005", "name": "Assigned user", "type": "User", "namespace": "Custom"},
  {"fieldId": "0b5e6a6e-0000-4000-8000-000000000006", "name": "Complaint Subject", "type": "Text", "namespace": "Custom"},
  {"fieldId": "0b5e6a6e-0000-4000-8000-000000000007", "name": "Account Number", "type": "Text", "namespace": "Custom"},
  {"fieldId": "0b5e6a6e-0000-4000-8000-000000000008", "name": "Why they called", "type": "Text", "namespace": "Custom"},
  {"fieldId": "0b5e6a6e-0000-4000-8000-000000000009", "name": "Favourite colour", "type": "Text", "namespace": "Custom"}
]}$$, '{"Why they called": "detail_case_fields_complaint_reason"}');
SELECT field_id, column_name, field_name, field_type FROM connect_lake.case_field_map ORDER BY field_id;

-- Loading the map: bad input.
SELECT * FROM connect_lake.case_field_map_load('{"items": []}');  -- ERROR
-- The map only takes fillable columns.
INSERT INTO connect_lake.case_field_map VALUES ('x', 'detail_case_fields_due_date');  -- ERROR
INSERT INTO connect_lake.case_field_map VALUES ('x', 'id');  -- ERROR

-- A record as analysts see it: the non-NULL columns (landed date aside).
CREATE FUNCTION pg_temp.show(r connect_lake.case_event) RETURNS text LANGUAGE sql AS
  $$ SELECT jsonb_pretty(jsonb_strip_nulls(to_jsonb(r) - 'meta_enriched_landed_date')) $$;

-- CASE.CREATED, detail-type "Amazon Connect Cases Change": every tagged value
-- type (stringValue, doubleValue, booleanValue, emptyValue, userArnValue),
-- system fields, mapped custom fields, two unmapped ones, an unknown key.
SELECT pg_temp.show(connect_lake.case_event_parse($${
  "version": "0", "id": "e-0001", "detail-type": "Amazon Connect Cases Change", "source": "aws.cases",
  "account": "111122223333", "time": "2024-03-04T09:00:01Z", "region": "eu-west-2",
  "resources": ["arn:aws:cases:eu-west-2:111122223333:domain/d-1"],
  "detail": {
    "version": "0", "eventType": "CASE.CREATED", "approximateChangeTime": "2024-03-04T09:00:00.250Z",
    "changedFieldIds": ["status", "title"],
    "performedBy": {"user": {"userArn": "arn:aws:connect:eu-west-2:111122223333:instance/i-1/agent/a-1"},
                    "iamPrincipalArn": "arn:aws:iam::111122223333:role/connect"},
    "case": {
      "caseId": "c-0001", "templateId": "t-1", "createdDateTime": "2024-03-04T09:00:00.250Z",
      "fields": {
        "status": {"value": {"stringValue": "open"}},
        "title": {"value": {"stringValue": "Bill too high"}},
        "reference_number": {"value": {"stringValue": "12345678"}},
        "customer_id": {"value": {"stringValue": "arn:aws:profile:eu-west-2:111122223333:domains/d/profiles/p-42"}},
        "last_updated_datetime": {"value": {"stringValue": "2024-03-04T09:00:00.250Z"}},
        "case_id": {"value": {"stringValue": "c-0001"}},
        "0b5e6a6e-0000-4000-8000-000000000001": {"value": {"stringValue": "Billing"}},
        "0b5e6a6e-0000-4000-8000-000000000002": {"value": {"booleanValue": true}},
        "0b5e6a6e-0000-4000-8000-000000000003": {"value": {"doubleValue": 25.5}},
        "0b5e6a6e-0000-4000-8000-000000000004": {"value": {"doubleValue": 1704067200000}},
        "0b5e6a6e-0000-4000-8000-000000000005": {"value": {"userArnValue": "arn:aws:connect:eu-west-2:111122223333:instance/i-1/agent/a-2"}},
        "0b5e6a6e-0000-4000-8000-000000000006": {"value": {"emptyValue": {}}},
        "0b5e6a6e-0000-4000-8000-000000000007": {"value": {"stringValue": "1001"}},
        "0b5e6a6e-0000-4000-8000-000000000009": {"value": {"stringValue": "teal"}},
        "0b5e6a6e-0000-4000-8000-0000000000ff": {"value": {"doubleValue": 3}}
      }
    }
  },
  "replayed": true
}$$));

-- The due date is 2 working days after creation (above: Monday 09:00 ->
-- Wednesday 09:00; here Friday 17:00 -> Tuesday 17:00); open and past due
-- when it landed, so overdue.
SELECT c.detail_case_fields_due_date, c.detail_case_fields_is_overdue,
       c.meta_enriched_landed_date = transaction_timestamp() AS landed_now
  FROM connect_lake.case_event_parse('{"id": "e", "detail": {"approximateChangeTime": "2024-03-08T17:00:00Z",
         "case": {"caseId": "c", "createdDateTime": "2024-03-08T17:00:00Z",
                  "fields": {"status": {"value": {"stringValue": "open"}}}}}}') c;
-- Maundy Thursday 17:00 GMT -> Wednesday 17:00 BST (Good Friday, Easter Monday).
SELECT c.detail_case_fields_due_date
  FROM connect_lake.case_event_parse('{"id": "e", "detail": {"approximateChangeTime": "2024-03-28T17:00:00Z",
         "case": {"caseId": "c", "createdDateTime": "2024-03-28T17:00:00Z", "fields": {}}}}') c;
-- A closed case is never overdue.
SELECT c.detail_case_fields_is_overdue
  FROM connect_lake.case_event_parse('{"id": "e", "detail": {"approximateChangeTime": "2024-03-08T17:00:00Z",
         "case": {"caseId": "c", "createdDateTime": "2024-03-08T17:00:00Z",
                  "fields": {"status": {"value": {"stringValue": "Closed"}}}}}}') c;

-- CASE.UPDATED under the older detail-type "Amazon Connect Cases Event";
-- the boolean as a SingleSelect string, the amount and a date as strings;
-- account from the customer_id profile when no account field is mapped
-- (an integer profile id; p-42 above is not one, and leaves account NULL).
SELECT pg_temp.show(connect_lake.case_event_parse($${
  "id": "e-0002", "detail-type": "Amazon Connect Cases Event", "source": "aws.cases",
  "detail": {"eventType": "CASE.UPDATED", "approximateChangeTime": "2024-03-05T10:00:00Z",
    "changedFieldIds": ["status"],
    "case": {"caseId": "c-0002", "createdDateTime": "2024-03-04T10:00:00Z",
      "fields": {
        "status": {"value": {"stringValue": "closed"}},
        "last_closed_datetime": {"value": {"stringValue": "2024-03-05T10:00:00Z"}},
        "customer_id": {"value": {"stringValue": "arn:aws:profile:eu-west-2:111122223333:domains/d/profiles/77"}},
        "0b5e6a6e-0000-4000-8000-000000000002": {"value": {"stringValue": "Yes"}},
        "0b5e6a6e-0000-4000-8000-000000000003": {"value": {"stringValue": "10.50"}},
        "0b5e6a6e-0000-4000-8000-000000000004": {"value": {"stringValue": "2023-12-31"}},
        "0b5e6a6e-0000-4000-8000-000000000008": {"value": {"stringValue": "Estimated reading"}}
      }}}}$$));

-- CASE.DELETED: only the case id.
SELECT pg_temp.show(connect_lake.case_event_parse(
  '{"id": "e-0003", "detail-type": "Amazon Connect Cases Change",
    "detail": {"eventType": "CASE.DELETED", "approximateChangeTime": "2024-03-07T09:00:00Z",
               "case": {"caseId": "c-0002"}}}'));

-- The IMMUTABLE variant takes the map as an argument and derives nothing.
SELECT c.detail_case_fields_level_1, c.account, c.detail_case_fields_other,
       c.detail_case_fields_due_date, c.meta_enriched_landed_date
  FROM connect_lake.case_event_parse(
    '{"id": "e", "detail": {"approximateChangeTime": "2024-03-04T09:00:00Z",
      "case": {"caseId": "c", "createdDateTime": "2024-03-04T09:00:00Z",
               "fields": {"f-l1": {"value": {"stringValue": "Metering"}},
                          "f-acc": {"value": {"stringValue": "ACC-9"}},
                          "0b5e6a6e-0000-4000-8000-000000000001": {"value": {"stringValue": "not mapped here"}}}}}}',
    '{"f-l1": "detail_case_fields_level_1", "f-acc": "account"}') c;
-- The map is read once per call site and again when it changes from row to row.
SELECT m.n, c.detail_case_fields_level_1, c.detail_case_fields_level_2
  FROM (VALUES (1, '{"f": "detail_case_fields_level_1"}'), (2, '{"f": "detail_case_fields_level_1"}'),
               (3, '{"f": "detail_case_fields_level_2"}'), (4, '{"f": "detail_case_fields_level_1"}')) m(n, map),
       connect_lake.case_event_parse('{"id": "e", "detail": {"approximateChangeTime": "2024-03-04T09:00:00Z",
         "case": {"caseId": "c", "fields": {"f": {"value": {"stringValue": "x"}}}}}}', m.map::jsonb) c
 ORDER BY m.n;
SELECT connect_lake.case_event_parse('{"id": "e"}', '[]');  -- ERROR
SELECT provolatile, proname, pg_get_function_identity_arguments(oid)
  FROM pg_proc WHERE pronamespace = 'connect_lake'::regnamespace AND proname LIKE 'case%parse' ORDER BY 2, 3;

-- RELATED_ITEM.* events are related items: a comment, and a linked contact
-- (the documented CASE.RELATED_ITEM.DELETED spelling routes the same way).
SELECT jsonb_pretty(jsonb_strip_nulls(to_jsonb(r))) FROM connect_lake.case_related_item_parse($${
  "id": "e-0100", "detail-type": "Amazon Connect Cases Change", "source": "aws.cases", "time": "2024-03-04T11:00:00Z",
  "detail": {"version": "0", "eventType": "RELATED_ITEM.CREATED", "approximateChangeTime": "2024-03-04T11:00:00Z",
    "changedAttributes": ["comment.commentText"],
    "relatedItem": {"relatedItemType": "Comment", "relatedItemId": "ri-1", "caseId": "c-0001",
                    "createdDateTime": "2024-03-04T11:00:00Z", "comment": {"body": "Gave a $5 refund"}}}}$$) r;
SELECT r.detail_event_type, r.detail_relateditem_relateditemtype, r.contact_arn, r.contactid
  FROM connect_lake.case_related_item_parse($${
  "id": "e-0101", "detail": {"eventType": "CASE.RELATED_ITEM.DELETED", "approximateChangeTime": "2024-03-04T11:00:00Z",
    "relatedItem": {"relatedItemType": "Contact", "relatedItemId": "ri-2", "caseId": "c-0001",
      "contact": {"contactArn": "arn:aws:connect:eu-west-2:111122223333:instance/i-1/contact/5f1c2b1e-1111-4222-8333-944444444444"}}}}$$) r;
-- ... and not case events, nor the other way round.
SELECT connect_lake.case_event_parse('{"id": "e-0100", "detail": {"eventType": "RELATED_ITEM.CREATED",
  "approximateChangeTime": "2024-03-04T11:00:00Z", "relatedItem": {"caseId": "c-0001"}}}');  -- ERROR
SELECT connect_lake.case_related_item_parse('{"id": "e-0001", "detail": {"eventType": "CASE.CREATED",
  "approximateChangeTime": "2024-03-04T11:00:00Z", "case": {"caseId": "c-0001"}}}');  -- ERROR

-- Bad records: errors name the field and the event.
SELECT connect_lake.case_event_parse('{"id": "e-9", "detail": {"approximateChangeTime": "2024-03-04T09:00:00Z", "case": {}}}');  -- ERROR
SELECT connect_lake.case_event_parse('{"id": "e-9", "detail": {"approximateChangeTime": "yesterday", "case": {"caseId": "c"}}}');  -- ERROR
SELECT connect_lake.case_event_parse('{"id": "e-9", "detail": {"approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c",
  "fields": {"0b5e6a6e-0000-4000-8000-000000000002": {"value": {"stringValue": "perhaps"}}}}}}');  -- ERROR
SELECT connect_lake.case_event_parse('{"id": "e-9", "detail": {"approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c",
  "fields": {"0b5e6a6e-0000-4000-8000-000000000003": {"value": {"stringValue": "£12"}}}}}}');  -- ERROR
SELECT connect_lake.case_event_parse('{"id": "e-9", "detail": {"approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c",
  "fields": {"0b5e6a6e-0000-4000-8000-000000000004": {"value": {"booleanValue": true}}}}}}');  -- ERROR
SELECT connect_lake.case_event_parse('[1, 2]');  -- ERROR
-- A map entry naming a column the table lacks is a configuration error.
INSERT INTO connect_lake.case_field_map VALUES ('f-typo', 'detail_case_fields_levle_1');
SELECT connect_lake.case_event_parse('{"id": "e-9", "detail": {"approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c",
  "fields": {"f-typo": {"value": {"stringValue": "x"}}}}}}');  -- ERROR
DELETE FROM connect_lake.case_field_map WHERE field_id = 'f-typo';

-- STRICT.
SELECT connect_lake.case_event_parse(NULL) IS NULL AS strict;

-- The loader's path (a tape, through the text variant) maps records the same way.
SELECT to_jsonb(connect_lake.case_event_parse(d::jsonb)) = to_jsonb(connect_lake.case_event_parse(d)) AS same,
       (connect_lake.case_event_parse(d)).detail_case_fields_other
  FROM (VALUES ($${"id": "e-7", "detail-type": "Amazon Connect Cases Change", "unknown": {"a": [1, "b"]},
    "detail": {"eventType": "CASE.UPDATED", "approximateChangeTime": "2024-03-04T09:00:00Z",
      "case": {"caseId": "c-7", "createdDateTime": "2024-03-04T09:00:00Z", "fields": {
        "status": {"value": {"stringValue": "open"}},
        "customer_id": {"value": {"stringValue": "arn:aws:profile:eu-west-2:1:domains/d/profiles/p-1"}},
        "0b5e6a6e-0000-4000-8000-000000000002": {"value": {"booleanValue": false}},
        "0b5e6a6e-0000-4000-8000-000000000003": {"value": {"doubleValue": 12.345}},
        "0b5e6a6e-0000-4000-8000-000000000004": {"value": {"doubleValue": 1709542800000}},
        "0b5e6a6e-0000-4000-8000-000000000005": {"value": {"userArnValue": "arn:aws:connect:::agent/a-9"}},
        "0b5e6a6e-0000-4000-8000-000000000006": {"value": {"emptyValue": {}}},
        "0b5e6a6e-0000-4000-8000-000000000009": {"value": {"stringValue": "teal"}},
        "0b5e6a6e-0000-4000-8000-0000000000ff": {"value": {"doubleValue": 3.5}},
        "0b5e6a6e-0000-4000-8000-0000000000fe": {"value": {"emptyValue": {}}}}}}}$$)) v(d);
SELECT connect_lake.case_event_parse('{"id": "e-8", "detail": {"eventType": "RELATED_ITEM.CREATED",
  "approximateChangeTime": "2024-03-04T11:00:00Z", "relatedItem": {"caseId": "c-0001"}}}'::text);  -- ERROR
SELECT connect_lake.case_event_parse('{"id": "e-8",}'::text);  -- ERROR

-- account is an integer (bigint): an integer string (spaces around allowed)
-- or an integral doubleValue lands; anything else lands NULL, the event
-- lands, and the raw value is kept in detail_case_fields_other under its
-- field id.
SELECT v.raw, c.account, c.detail_case_fields_other
  FROM (VALUES ('{"stringValue": " 0042 "}'), ('{"doubleValue": 1001}'), ('{"stringValue": "-7"}'),
               ('{"stringValue": "ACC-9"}'), ('{"doubleValue": 12.5}'), ('{"stringValue": "99999999999999999999"}'),
               ('{"emptyValue": {}}')) v(raw),
       connect_lake.case_event_parse(('{"id": "e", "detail": {"approximateChangeTime": "2024-03-04T09:00:00Z",
         "case": {"caseId": "c", "fields": {"0b5e6a6e-0000-4000-8000-000000000007": {"value": ' || v.raw || '}}}}}')::jsonb) c;

-- Which statuses are open: closed and resolved are not (any case), others
-- are; the DBA's case_status decides otherwise.
SELECT s, connect_lake.case_status_is_open(s) AS is_open, connect_lake.case_status_label(s) AS label
  FROM unnest(ARRAY['open', 'Closed', 'RESOLVED', 'pending', 'in_progress', NULL]) s;
SELECT c.detail_case_fields_is_overdue
  FROM connect_lake.case_event_parse('{"id": "e", "detail": {"approximateChangeTime": "2024-03-08T17:00:00Z",
         "case": {"caseId": "c", "createdDateTime": "2024-03-08T17:00:00Z",
                  "fields": {"status": {"value": {"stringValue": "Resolved"}}}}}}') c;
INSERT INTO connect_lake.case_status VALUES ('resolved', true, 'Resolved (reopenable)'), ('pending', false, NULL);
SELECT s, connect_lake.case_status_is_open(s) AS is_open, connect_lake.case_status_label(s) AS label
  FROM unnest(ARRAY['open', 'Closed', 'RESOLVED', 'pending', 'in_progress', NULL]) s;
-- The landing-time overdue flag follows the DBA's rule at once.
SELECT c.detail_case_fields_is_overdue
  FROM connect_lake.case_event_parse('{"id": "e", "detail": {"approximateChangeTime": "2024-03-08T17:00:00Z",
         "case": {"caseId": "c", "createdDateTime": "2024-03-08T17:00:00Z",
                  "fields": {"status": {"value": {"stringValue": "Resolved"}}}}}}') c;
SELECT * FROM connect_lake.case_status ORDER BY status;
INSERT INTO connect_lake.case_status VALUES ('Open', true, NULL);  -- ERROR
-- A saved ListFieldOptions response fills the labels; closed names the closed ones.
SELECT * FROM connect_lake.case_status_load($${"options": [
  {"name": "Open", "value": "open", "active": true},
  {"name": "Awaiting customer", "value": "awaiting_customer", "active": true},
  {"name": "Closed", "value": "closed", "active": true}]}$$);
SELECT * FROM connect_lake.case_status_load($${"options": [
  {"name": "Pending", "value": "Pending", "active": true}]}$$, ARRAY['closed', 'Pending']);
SELECT * FROM connect_lake.case_status_load('{"fields": []}');  -- ERROR
TRUNCATE connect_lake.case_status;
SELECT connect_lake.case_status_is_open('resolved') AS resolved_open_again;

-- The due date: connect_lake.case_due_working_days working days (default 2).
SELECT connect_lake.case_due_date('2024-03-08 17:00Z') AS due_2;
SET connect_lake.case_due_working_days = 5;
SELECT connect_lake.case_due_date('2024-03-08 17:00Z') AS due_5,
       (connect_lake.case_event_parse('{"id": "e", "detail": {"approximateChangeTime": "2024-03-08T17:00:00Z",
         "case": {"caseId": "c", "createdDateTime": "2024-03-08T17:00:00Z", "fields": {}}}}')).detail_case_fields_due_date;
SET connect_lake.case_due_working_days = -1;  -- ERROR
RESET connect_lake.case_due_working_days;
SELECT connect_lake.case_is_overdue('CASE.UPDATED', 'open', '2024-03-08 17:00Z', '2024-03-12 17:00Z') AS at_due,
       connect_lake.case_is_overdue('CASE.UPDATED', 'open', '2024-03-08 17:00Z', '2024-03-12 17:00:01Z') AS after_due,
       connect_lake.case_is_overdue('CASE.DELETED', 'open', '2024-03-08 17:00Z', '2024-04-01') AS deleted,
       connect_lake.case_is_overdue('CASE.UPDATED', 'closed', '2024-03-08 17:00Z', '2024-04-01') AS closed;

TRUNCATE connect_lake.case_field_map;

-- A record as the loader reads it (a tape: load(), case_event_parse(text))
-- routes by the same rule as a jsonb one: RELATED_ITEM anywhere in
-- detail.eventType (any case), or a relatedItem object in detail.
CREATE FUNCTION pg_temp.route(doc text, as_jsonb boolean) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
  IF as_jsonb THEN
    PERFORM connect_lake.case_event_parse(doc::jsonb);
  ELSE
    PERFORM connect_lake.case_event_parse(doc);
  END IF;
  RETURN 'CASE.*';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLERRM;
END
$fn$;
SELECT r.n, pg_temp.route(r.doc, false) AS routed, pg_temp.route(r.doc, false) = pg_temp.route(r.doc, true) AS as_jsonb
  FROM (VALUES
    (1, '{"id": "r1", "detail": {"eventType": "RELATED_ITEM.CREATED", "approximateChangeTime": "2024-03-04T09:00:00Z", "relatedItem": {"caseId": "c"}}}'),
    (2, '{"id": "r2", "detail": {"eventType": "case.related_item.deleted", "approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c"}}}'),
    (3, '{"id": "r3", "detail": {"eventType": "CASE.UPDATED", "approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c"}, "relatedItem": {"caseId": "c"}}}'),
    (4, '{"id": "r4", "detail": {"eventType": "CASE.UPDATED", "approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c"}, "relatedItem": "c"}}'),
    (5, '{"id": "r5", "detail": {"eventType": 7, "approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c"}}}'),
    (6, '{"id": "r6", "detail": "RELATED_ITEM"}'),
    (7, '{"id": "r7", "detail": {"eventType": "RELATED_ITEM", "approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c"}}}'),
    (8, '{"id": "r8", "detail": {"eventType": "RELATED_ITE", "approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c"}}}'),
    (9, '{"id": "r9", "relatedItem": {"caseId": "c"}, "detail": {"approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c"}}}')
  ) r(n, doc)
 ORDER BY r.n;

-- Each field lands in its own column when the fields come in another order
-- than in the record before and one field id is the start of another (the
-- columns of the field ids are remembered by their place in the record).
INSERT INTO connect_lake.case_field_map (field_id, column_name) VALUES
  ('f-1', 'detail_case_fields_level_1'), ('f-12', 'detail_case_fields_level_2'), ('f', 'detail_case_fields_level_3');
SELECT d.n, c.detail_case_fields_level_1 AS l1, c.detail_case_fields_level_2 AS l2, c.detail_case_fields_level_3 AS l3,
       c.detail_case_fields_title AS title, c.detail_case_fields_other AS other
  FROM (VALUES (1, '{"f-1": "a1", "f-12": "a2", "f": "a3", "title": "t1"}'),
               (2, '{"f-12": "b2", "f-1": "b1", "title": "t2", "f": "b3"}'),
               (3, '{"f": "c3", "f-1x": "c?", "f-1": "c1"}'),
               (4, '{"f-1": "d1", "f-12": "d2", "f": "d3", "title": "t4"}')) d(n, f),
       LATERAL (SELECT json_object_agg(j.k, json_build_object('value', json_build_object('stringValue', j.v)) ORDER BY j.o) AS fields
                  FROM json_each_text(d.f::json) WITH ORDINALITY AS j(k, v, o)) x,
       connect_lake.case_event_parse(format('{"id": "e", "detail": {"approximateChangeTime": "2024-03-04T09:00:00Z", "case": {"caseId": "c", "fields": %s}}}', x.fields)) c
 ORDER BY d.n;
TRUNCATE connect_lake.case_field_map;
