-- Case state over time and the analysts' queries, on a small data set
-- checked by hand.  Days are London days (BST from 2024-03-31 01:00 UTC).
SET TimeZone = 'Europe/London';
SET DateStyle = 'ISO, YMD';
SET connect_lake.calendar = 'england_wales';
INSERT INTO connect_lake.case_field_map (field_id, column_name) VALUES
  ('f-level1', 'detail_case_fields_level_1'), ('f-complaint', 'detail_case_fields_is_complaint'),
  ('f-subject', 'detail_case_fields_complaint_subject'),
  ('f-goodwill', 'detail_case_fields_complaint_goodwill_amount'), ('f-account', 'account');
SELECT count(*) AS partitions FROM connect_lake.ensure_partitions('connect_lake.case_events', '2024-03-01', '2024-04-30');
SELECT count(*) AS partitions FROM connect_lake.ensure_partitions('connect_lake.case_events', now() - interval '1 day', now());
SELECT count(*) AS partitions FROM connect_lake.ensure_partitions('connect_lake.case_related_items', '2024-04-01', '2024-04-30');
SELECT count(*) AS partitions FROM connect_lake.ensure_partitions('connect_lake.ctr_events', '2024-04-01', '2024-04-30');

-- A Cases event: fields given as plain values, sent as tagged values.
CREATE FUNCTION pg_temp.ev(id text, case_id text, type text, at timestamptz, created timestamptz, fields jsonb)
RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', id, 'detail-type', 'Amazon Connect Cases Change', 'source', 'aws.cases',
    'detail', jsonb_build_object('eventType', type, 'approximateChangeTime', at,
      'case', jsonb_strip_nulls(jsonb_build_object('caseId', case_id, 'createdDateTime', created,
        'fields', (SELECT jsonb_object_agg(k, jsonb_build_object('value',
                            CASE jsonb_typeof(v) WHEN 'string' THEN jsonb_build_object('stringValue', v)
                                                 WHEN 'number' THEN jsonb_build_object('doubleValue', v)
                                                 ELSE jsonb_build_object('booleanValue', v) END))
                     FROM jsonb_each(fields) f(k, v))))))
$$;
-- Land events (duplicates are skipped by the partition key), then bring case_state up to date.
CREATE FUNCTION pg_temp.land(VARIADIC docs jsonb[]) RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO connect_lake.case_events SELECT (connect_lake.case_event_parse(d)).* FROM unnest(docs) d
  ON CONFLICT DO NOTHING;
  SELECT connect_lake.case_state_refresh();
$$;
CREATE VIEW pg_temp.state AS
  SELECT case_id, status, is_open, level_1, account, is_complaint, created_at, due_date, is_overdue, last_event_id
    FROM connect_lake.case_current ORDER BY case_id;

-- c-1 through its life: created, closed, reopened.
SELECT pg_temp.land(pg_temp.ev('e1-1', 'c-1', 'CASE.CREATED', '2024-03-04 09:00Z', '2024-03-04 09:00Z',
  '{"status": "open", "f-level1": "Billing", "f-account": "1001"}'));
SELECT * FROM pg_temp.state;
SELECT pg_temp.land(pg_temp.ev('e1-2', 'c-1', 'CASE.UPDATED', '2024-03-05 10:00Z', '2024-03-04 09:00Z',
  '{"status": "closed", "f-level1": "Billing", "f-account": "1001"}'));
SELECT * FROM pg_temp.state;
SELECT pg_temp.land(pg_temp.ev('e1-3', 'c-1', 'CASE.UPDATED', '2024-03-08 11:00Z', '2024-03-04 09:00Z',
  '{"status": "open", "f-level1": "Billing", "f-account": "1001"}'));
SELECT * FROM pg_temp.state;
-- A late, older event and a repeated one change nothing.
SELECT pg_temp.land(pg_temp.ev('e1-0', 'c-1', 'CASE.UPDATED', '2024-03-04 09:30Z', '2024-03-04 09:00Z',
  '{"status": "closed"}'), pg_temp.ev('e1-2', 'c-1', 'CASE.UPDATED', '2024-03-05 10:00Z', '2024-03-04 09:00Z', '{}'));
SELECT * FROM pg_temp.state;
SELECT count(*) AS c1_events FROM connect_lake.case_events WHERE detail_case_caseid = 'c-1';

-- The other cases, out of order: c-4 is deleted before its creation lands.
SELECT pg_temp.land(
  pg_temp.ev('e4-2', 'c-4', 'CASE.DELETED', '2024-03-07 09:00Z', NULL, NULL),
  pg_temp.ev('e2-2', 'c-2', 'CASE.UPDATED', '2024-03-06 15:00Z', '2024-03-04 10:00Z',
    '{"status": "closed", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge", "f-goodwill": 25, "f-account": "1002"}'),
  pg_temp.ev('e2-1', 'c-2', 'CASE.CREATED', '2024-03-04 10:00Z', '2024-03-04 10:00Z',
    '{"status": "open", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge", "f-account": "1002"}'),
  pg_temp.ev('e4-1', 'c-4', 'CASE.CREATED', '2024-03-05 12:00Z', '2024-03-05 12:00Z',
    '{"status": "open", "f-level1": "Metering"}'),
  -- 23:30 UTC on 31 March is 00:30 on 1 April in London
  pg_temp.ev('e3-1', 'c-3', 'CASE.CREATED', '2024-03-31 23:30Z', '2024-03-31 23:30Z',
    '{"status": "open", "f-level1": "Metering", "f-complaint": true, "f-subject": "Smart meter", "f-account": "1001"}'),
  pg_temp.ev('e5-2', 'c-5', 'CASE.UPDATED', '2024-04-03 08:00Z', '2024-04-02 08:00Z',
    '{"status": "closed", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge", "f-goodwill": 10.5, "f-account": "1003"}'),
  pg_temp.ev('e5-1', 'c-5', 'CASE.CREATED', '2024-04-02 08:00Z', '2024-04-02 08:00Z',
    '{"status": "open", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge", "f-account": "1003"}'),
  pg_temp.ev('e7-1', 'c-7', 'CASE.CREATED', '2024-04-02 09:00Z', '2024-04-02 09:00Z',
    '{"status": "pending", "f-level1": "Billing", "f-complaint": false}'));
-- c-6 was created an hour ago: open, not yet overdue.
SELECT pg_temp.land(pg_temp.ev('e6-1', 'c-6', 'CASE.CREATED', now() - interval '1 hour', now() - interval '1 hour',
  '{"status": "open", "f-level1": "Payments"}'));
SELECT case_id, status, is_open, level_1, account, is_complaint, is_overdue, last_event_id
  FROM connect_lake.case_current ORDER BY case_id;
-- case_state keeps the deleted case with its fields (its CASE.DELETED event
-- carried none); refreshing again changes nothing.
SELECT detail_case_caseid, detail_event_type, event_id, detail_case_fields_level_1, detail_case_createddatetime
  FROM connect_lake.case_state WHERE detail_case_caseid = 'c-4';
SELECT connect_lake.case_state_refresh() AS changed;

-- Backlog at past moments, from the history.
SELECT * FROM connect_lake.case_backlog('2024-03-05 18:00Z');
SELECT case_id, status FROM connect_lake.case_backlog('2024-03-09 00:00Z');
SELECT case_id, status, created_at, was_overdue FROM connect_lake.case_backlog('2024-04-02 12:00Z');
SELECT count(*) AS before_anything FROM connect_lake.case_backlog('2024-01-01');
-- case_backlog() reads case_state for the cases unchanged since as_of: every
-- 3 hours over the data set, it agrees with the history alone.
SELECT count(*) AS moments, bool_and(b.ids IS NOT DISTINCT FROM h.ids) AS agree,
       count(*) FILTER (WHERE h.ids IS NOT NULL) AS with_open_cases
  FROM generate_series(timestamptz '2024-03-04 00:00Z', '2024-04-05 00:00Z', interval '3 hours') t,
       LATERAL (SELECT array_agg(case_id ORDER BY case_id) AS ids FROM connect_lake.case_backlog(t)) b,
       LATERAL (SELECT array_agg(detail_case_caseid ORDER BY detail_case_caseid) AS ids
                  FROM (SELECT DISTINCT ON (detail_case_caseid) *
                          FROM connect_lake.case_events WHERE detail_approximatechangetime <= t
                         ORDER BY detail_case_caseid, detail_approximatechangetime DESC, event_id DESC) l
                 WHERE detail_event_type IS DISTINCT FROM 'CASE.DELETED'
                   AND coalesce(lower(detail_case_fields_status), 'open') <> 'closed') h;

-- Open backlog at the end of each London day.  The late event e1-0 closed
-- c-1 at 09:30 on 4 March; it was open again from 8 March.
SELECT * FROM connect_lake.open_case_backlog('2024-03-04', '2024-03-09');
-- Across the change to BST: c-3 (created 00:30 BST 1 April) is in 1 April's backlog.
SELECT * FROM connect_lake.open_case_backlog('2024-03-30', '2024-04-03');
-- Now: c-1, c-3, c-6, and c-7 (pending counts as open); all but c-6 overdue.
SELECT open_cases, overdue_cases, open_complaints, as_of = now() AS now FROM connect_lake.open_case_backlog;

-- Cases created per London day: c-3 on 1 April; c-4, deleted since, on 5 March.
SELECT * FROM connect_lake.case_volume_daily('2024-03-01', '2024-04-30');
SELECT * FROM connect_lake.case_volume_daily('2024-04-01', '2024-04-01');
SELECT * FROM connect_lake.case_volume_daily WHERE day < '2025-01-01';
SELECT count(*) AS today FROM connect_lake.case_volume_daily WHERE day >= (now() - interval '1 hour')::date;

-- Complaints per day, by subject, and cases by level 1 category.
SELECT * FROM connect_lake.complaints_daily('2024-03-01', '2024-04-30');
SELECT * FROM connect_lake.complaints_daily;
SELECT * FROM connect_lake.complaints_by_subject('2024-03-01', '2024-04-30');
SELECT * FROM connect_lake.complaints_by_subject;  -- last 90 days: none
SELECT * FROM connect_lake.cases_by_category('2024-03-01', '2024-04-30');
SELECT * FROM connect_lake.cases_by_category;      -- last 30 days: c-6

-- Overdue cases (working_days_open grows with time: checked, not shown).
SELECT case_id, status, level_1, created_at, due_date, working_days_open >= 400 AS over_400
  FROM connect_lake.overdue_cases('2024-03-01', '2024-04-30');
SELECT case_id FROM connect_lake.overdue_cases;
SELECT case_id, due_date FROM connect_lake.overdue_cases('2024-04-02', '2024-04-02');

-- Which statuses are open is the DBA's (case_status), decided in one place:
-- pending closed, in one transaction, changes the backlog at once, through
-- the index of open cases (made anew with the rule) and without it alike,
-- and case_statuses shows every status with its count.
SELECT status, label, is_open, configured, cases FROM connect_lake.case_statuses ORDER BY status;
BEGIN;
SELECT open_cases, overdue_cases FROM connect_lake.open_case_backlog;
INSERT INTO connect_lake.case_status VALUES ('pending', false, 'Pending (waiting on us)');
SELECT open_cases, overdue_cases FROM connect_lake.open_case_backlog;
SELECT case_id, status, status_label, is_open FROM connect_lake.case_current ORDER BY case_id;
SELECT status, label, is_open, configured, cases FROM connect_lake.case_statuses ORDER BY status;
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_indexonlyscan = off;
SELECT open_cases, overdue_cases FROM connect_lake.open_case_backlog;
ROLLBACK;
SELECT open_cases FROM connect_lake.open_case_backlog;
-- The views keep the index of open cases (the rule inlines into its predicate).
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM connect_lake.case_current WHERE is_open;
RESET enable_seqscan;

-- Contacts and cases: by the caseId attribute, by a Contact related item
-- (one link later deleted), by shared account number.
INSERT INTO connect_lake.ctr_events (contactid, initiationtimestamp, attributes_caseid)
  VALUES ('aaaaaaaa-0000-4000-8000-000000000001', '2024-04-02 08:30Z', 'c-5');
INSERT INTO connect_lake.contact_account (contactid, account, source, initiationtimestamp)
  VALUES ('aaaaaaaa-0000-4000-8000-000000000002', '1001', 'attributes_accountnumbers', '2024-04-01 10:00Z');
INSERT INTO connect_lake.case_related_items
SELECT (jsonb_populate_record(r, jsonb_build_object('landed_at', now()))).*
  FROM unnest(ARRAY[
    '{"id": "r-1", "detail": {"eventType": "RELATED_ITEM.CREATED", "approximateChangeTime": "2024-04-02T08:40:00Z",
      "relatedItem": {"relatedItemType": "Contact", "relatedItemId": "ri-1", "caseId": "c-5",
        "contact": {"contactArn": "arn:aws:connect:eu-west-2:1:instance/i/contact/aaaaaaaa-0000-4000-8000-000000000003"}}}}',
    '{"id": "r-2", "detail": {"eventType": "RELATED_ITEM.CREATED", "approximateChangeTime": "2024-04-02T08:41:00Z",
      "relatedItem": {"relatedItemType": "Contact", "relatedItemId": "ri-2", "caseId": "c-5",
        "contact": {"contactArn": "arn:aws:connect:eu-west-2:1:instance/i/contact/aaaaaaaa-0000-4000-8000-000000000004"}}}}',
    '{"id": "r-3", "detail": {"eventType": "RELATED_ITEM.DELETED", "approximateChangeTime": "2024-04-02T08:45:00Z",
      "relatedItem": {"relatedItemType": "Contact", "relatedItemId": "ri-2", "caseId": "c-5",
        "contact": {"contactArn": "arn:aws:connect:eu-west-2:1:instance/i/contact/aaaaaaaa-0000-4000-8000-000000000004"}}}}',
    '{"id": "r-4", "detail": {"eventType": "RELATED_ITEM.CREATED", "approximateChangeTime": "2024-04-02T08:50:00Z",
      "relatedItem": {"relatedItemType": "Comment", "relatedItemId": "ri-3", "caseId": "c-5",
        "comment": {"body": "Called back"}}}}']::jsonb[]) d,
       LATERAL connect_lake.case_related_item_parse(d) r;
SELECT * FROM connect_lake.contact_case ORDER BY link, contactid, case_id;

-- Analysts read every view.
SELECT c.relname, has_table_privilege('connect_lake_reader', c.oid, 'SELECT') AS reader_reads
  FROM pg_class c WHERE c.relnamespace = 'connect_lake'::regnamespace AND c.relkind = 'v' ORDER BY 1;

-- Leave the lake empty for the tests that follow.
TRUNCATE connect_lake.case_events, connect_lake.case_related_items, connect_lake.case_state,
         connect_lake.ctr_events, connect_lake.contact_account, connect_lake.case_field_map;
