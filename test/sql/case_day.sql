-- case_day and case_open: what the case views read (98_analyst_speed.sql).  After every
-- kind of change of case_state (inserted, updated, deleted by hand,
-- truncated), of the case rules and of the calendars' time zones, case_day
-- is what case_day_rebuild() makes from case_state, and the views give the
-- rows of their range functions.
SET TimeZone = 'Europe/London';
SET DateStyle = 'ISO, YMD';
SET connect_lake.calendar = 'england_wales';
INSERT INTO connect_lake.case_field_map (field_id, column_name) VALUES
  ('f-level1', 'detail_case_fields_level_1'), ('f-complaint', 'detail_case_fields_is_complaint'),
  ('f-subject', 'detail_case_fields_complaint_subject'),
  ('f-goodwill', 'detail_case_fields_complaint_goodwill_amount'), ('f-resolved', 'detail_case_fields_complaint_resolved');
SELECT count(*) > 0 AS partitions FROM connect_lake.ensure_partitions('connect_lake.case_events', now() - interval '310 days', now());

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
CREATE FUNCTION pg_temp.land(VARIADIC docs jsonb[]) RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO connect_lake.case_events SELECT (connect_lake.case_event_parse(d)).* FROM unnest(docs) d
  ON CONFLICT DO NOTHING;
  SELECT connect_lake.case_state_refresh();
$$;
-- case_day and case_open as case_day_rebuild() makes them (compared as text,
-- goodwill's scale included; kept_rows counts both), and each view against
-- its range function.
CREATE FUNCTION pg_temp.check() RETURNS TABLE (kept_rows bigint, kept_right boolean, views_right boolean)
LANGUAGE plpgsql AS $$
DECLARE
  today date := (now() AT TIME ZONE connect_lake.lake_time_zone())::date;
BEGIN
  CREATE TEMP TABLE kept ON COMMIT DROP AS
    SELECT 'day ' || d::text AS r FROM connect_lake.case_day d UNION ALL SELECT 'open ' || o::text FROM connect_lake.case_open o;
  PERFORM connect_lake.case_day_rebuild();
  kept_rows := (SELECT count(*) FROM kept);
  CREATE TEMP TABLE made ON COMMIT DROP AS
    SELECT 'day ' || d::text AS r FROM connect_lake.case_day d UNION ALL SELECT 'open ' || o::text FROM connect_lake.case_open o;
  kept_right := NOT EXISTS (SELECT r FROM kept EXCEPT ALL SELECT r FROM made)
            AND NOT EXISTS (SELECT r FROM made EXCEPT ALL SELECT r FROM kept);
  DROP TABLE made;
  DROP TABLE kept;
  views_right :=
        (SELECT array_agg(v ORDER BY v.day)::text FROM connect_lake.case_volume_daily v)
          IS NOT DISTINCT FROM (SELECT array_agg(f)::text FROM connect_lake.case_volume_daily('-infinity', 'infinity') f)
    AND (SELECT array_agg(v ORDER BY v.day)::text FROM connect_lake.complaints_daily v)
          IS NOT DISTINCT FROM (SELECT array_agg(f)::text FROM connect_lake.complaints_daily('-infinity', 'infinity') f)
    AND (SELECT array_agg(v)::text FROM connect_lake.complaints_by_subject v)
          IS NOT DISTINCT FROM (SELECT array_agg(f)::text FROM connect_lake.complaints_by_subject(today - 89, today) f)
    AND (SELECT array_agg(v)::text FROM connect_lake.cases_by_category v)
          IS NOT DISTINCT FROM (SELECT array_agg(f)::text FROM connect_lake.cases_by_category(today - 29, today) f)
    AND (SELECT (open_cases, overdue_cases, open_complaints)::text FROM connect_lake.open_case_backlog)
          = (SELECT (count(*), count(*) FILTER (WHERE c.is_overdue), count(*) FILTER (WHERE c.is_complaint))::text
               FROM connect_lake.case_current c WHERE c.is_open)
    AND (SELECT array_agg(o.case_id)::text FROM connect_lake.overdue_cases o)
          IS NOT DISTINCT FROM (SELECT array_agg(c.case_id ORDER BY c.created_at, c.case_id)::text
                                  FROM connect_lake.case_current c WHERE c.is_open AND c.is_overdue);
  RETURN NEXT;
END
$$;

-- Nothing yet: no rows, the views empty.
SELECT * FROM pg_temp.check();
SELECT count(*) AS volume_days FROM connect_lake.case_volume_daily;
SELECT * FROM connect_lake.open_case_backlog WHERE open_cases > 0;

-- Cases of the last weeks: categories, complaints with subjects, goodwill,
-- resolved; one old (outside the views' 30 and 90 days).
SELECT pg_temp.land(
  pg_temp.ev('a1', 'c-1', 'CASE.CREATED', now() - interval '20 days', now() - interval '20 days',
    '{"status": "open", "f-level1": "Billing"}'),
  pg_temp.ev('a2', 'c-2', 'CASE.CREATED', now() - interval '20 days 1 hour', now() - interval '20 days 1 hour',
    '{"status": "open", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge", "f-goodwill": 12.5}'),
  pg_temp.ev('a3', 'c-3', 'CASE.CREATED', now() - interval '40 days', now() - interval '40 days',
    '{"status": "open", "f-level1": "Meters", "f-complaint": true, "f-subject": "Smart meter"}'),
  pg_temp.ev('a4', 'c-4', 'CASE.CREATED', now() - interval '2 hours', now() - interval '2 hours',
    '{"status": "open", "f-complaint": false}'),
  pg_temp.ev('a5', 'c-5', 'CASE.CREATED', now() - interval '300 days', now() - interval '300 days',
    '{"status": "open", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge", "f-goodwill": 40}'));
SELECT * FROM pg_temp.check();
SELECT * FROM connect_lake.cases_by_category;
SELECT * FROM connect_lake.complaints_by_subject;
SELECT sum(cases_created) AS cases, sum(complaints) AS complaints, sum(still_open) AS open FROM connect_lake.case_volume_daily;
SELECT open_cases, overdue_cases, open_complaints FROM connect_lake.open_case_backlog;
SELECT case_id, status, level_1, is_complaint, created_at < now() - interval '19 days' AS old FROM connect_lake.overdue_cases;

-- Updates: a case changes category, a complaint is resolved and its
-- goodwill taken back, a case closes; a late older event changes nothing.
SELECT pg_temp.land(
  pg_temp.ev('b1', 'c-1', 'CASE.UPDATED', now() - interval '19 days', now() - interval '20 days',
    '{"status": "closed", "f-level1": "Payments"}'),
  pg_temp.ev('b2', 'c-2', 'CASE.UPDATED', now() - interval '19 days', now() - interval '20 days 1 hour',
    '{"status": "open", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge", "f-resolved": true}'),
  pg_temp.ev('b0', 'c-3', 'CASE.UPDATED', now() - interval '41 days', now() - interval '40 days',
    '{"status": "closed"}'));
SELECT * FROM pg_temp.check();
SELECT * FROM connect_lake.cases_by_category;
SELECT * FROM connect_lake.complaints_by_subject;

-- A deletion without fields keeps the case's fields (counted as deleted);
-- a case deleted before its creation lands.
SELECT pg_temp.land(
  pg_temp.ev('d3', 'c-3', 'CASE.DELETED', now() - interval '1 day', NULL, NULL),
  pg_temp.ev('d6', 'c-6', 'CASE.DELETED', now() - interval '1 hour', NULL, NULL));
SELECT * FROM pg_temp.check();
SELECT pg_temp.land(
  pg_temp.ev('a6', 'c-6', 'CASE.CREATED', now() - interval '3 hours', now() - interval '3 hours',
    '{"status": "open", "f-level1": "Meters", "f-complaint": true}'));
SELECT * FROM pg_temp.check();
SELECT sum(cases_created) AS cases, sum(deleted) AS deleted, sum(still_open) AS open FROM connect_lake.case_volume_daily;

-- The case rules: pending closed, then open again.
SELECT pg_temp.land(pg_temp.ev('p4', 'c-4', 'CASE.UPDATED', now() - interval '1 hour', now() - interval '2 hours',
  '{"status": "pending"}'));
SELECT sum(still_open) AS open FROM connect_lake.case_volume_daily;
INSERT INTO connect_lake.case_status VALUES ('pending', false, 'Pending');
SELECT sum(still_open) AS open FROM connect_lake.case_volume_daily;
SELECT * FROM pg_temp.check();
SELECT open_cases, overdue_cases, open_complaints FROM connect_lake.open_case_backlog;
DELETE FROM connect_lake.case_status;
SELECT sum(still_open) AS open FROM connect_lake.case_volume_daily;
SELECT * FROM pg_temp.check();

-- A calendar in another time zone: its zone is counted, and the views of a
-- session on it read it; gone with the calendar.
INSERT INTO connect_lake.calendar (name, time_zone) VALUES ('tokyo', 'Asia/Tokyo');
SELECT time_zone, sum(cases) AS cases FROM connect_lake.case_day GROUP BY 1 ORDER BY 1;
SET connect_lake.calendar = 'tokyo';
SELECT connect_lake.lake_time_zone();
SELECT * FROM pg_temp.check();
RESET connect_lake.calendar;
DELETE FROM connect_lake.calendar WHERE name = 'tokyo';
SELECT time_zone, sum(cases) AS cases FROM connect_lake.case_day GROUP BY 1 ORDER BY 1;

-- Hand-written changes of case_state: an update, a deletion.
UPDATE connect_lake.case_state SET detail_case_fields_level_1 = 'Other' WHERE detail_case_caseid = 'c-4';
SELECT * FROM pg_temp.check();
DELETE FROM connect_lake.case_state WHERE detail_case_caseid IN ('c-1', 'c-2');
SELECT * FROM pg_temp.check();

-- Off (as on Citus): no triggers, case_day empty; on: made anew.
SELECT connect_lake.case_day_keep(false);
SELECT count(*) AS triggers FROM pg_trigger WHERE tgname IN ('case_day_inserted', 'case_day_updated',
  'case_day_deleted', 'case_day_truncated', 'case_status_rollup', 'calendar_rollup');
SELECT (SELECT count(*) FROM connect_lake.case_day) AS kept_rows, (SELECT count(*) FROM connect_lake.case_open) AS open_rows;
SELECT connect_lake.case_day_keep(true);
SELECT count(*) AS triggers FROM pg_trigger WHERE tgname IN ('case_day_inserted', 'case_day_updated',
  'case_day_deleted', 'case_day_truncated', 'case_status_rollup', 'calendar_rollup');
SELECT * FROM pg_temp.check();

-- The loader writes case_day through the triggers (SECURITY DEFINER), analysts read it.
SELECT has_table_privilege('connect_lake_reader', 'connect_lake.case_day', 'SELECT') AS reader_reads,
       has_table_privilege('connect_lake_loader', 'connect_lake.case_day', 'INSERT') AS loader_writes;

-- Landing cheaper (issue #15).  Every month's index on the landing time is
-- BRIN, and case_state_refresh(since) brings back exactly the cases with
-- events landed since (here: those landed by the next statement).
SELECT DISTINCT m.amname AS landed_index, x.reloptions
  FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_am m ON m.oid = x.relam
  JOIN pg_inherits h ON h.inhrelid = i.indrelid
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
 WHERE h.inhparent = 'connect_lake.case_events'::regclass AND a.attname = 'meta_enriched_landed_date';
-- The related items' months index their key, event id and contact id, not
-- the related item id (contact_case finds a later deletion by the key).
SELECT count(*) > 0 AS made FROM connect_lake.ensure_partitions('connect_lake.case_related_items', now(), now());
SELECT count(DISTINCT i.indrelid) > 0 AS months,
       array_agg(DISTINCT regexp_replace(pg_get_indexdef(i.indexrelid), '.* USING ', '')) AS indexes
  FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indrelid
 WHERE h.inhparent = 'connect_lake.case_related_items'::regclass;
UPDATE connect_lake.case_events SET meta_enriched_landed_date = meta_enriched_landed_date - interval '1 day';
SELECT pg_temp.land(pg_temp.ev('e-since', 'c-since', 'CASE.CREATED', now() - interval '3 days', now() - interval '3 days',
                               '{"status": "open", "summary": "landed last"}')) AS refreshed;
TRUNCATE connect_lake.case_state;
SELECT connect_lake.case_state_refresh(since => now() - interval '1 hour') AS landed_since;
SELECT array_agg(detail_case_caseid) AS cases FROM connect_lake.case_state;
SELECT connect_lake.case_state_refresh() > 1 AS all_again, * FROM pg_temp.check();

-- Truncated with case_state; the lake left empty for the tests that follow.
TRUNCATE connect_lake.case_events, connect_lake.case_state, connect_lake.case_field_map;
SELECT (SELECT count(*) FROM connect_lake.case_day) AS kept_rows, (SELECT count(*) FROM connect_lake.case_open) AS open_rows;
