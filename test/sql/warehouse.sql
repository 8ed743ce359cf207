-- Coming from the warehouse: the analysts' five BigQuery queries, ported to
-- the views of schema amazon_connect_enriched, agree with the lake's views on
-- a small set of cases checked by hand.  Days are London days (BST in July:
-- 23:30 UTC is 00:30 the next day).  DATE '2024-07-31' stands for
-- CURRENT_DATE, so that the windows (30 and 90 days) do not move.
SET TimeZone = 'Europe/London';
SET DateStyle = 'ISO, YMD';
SET connect_lake.calendar = 'england_wales';
INSERT INTO connect_lake.case_field_map (field_id, column_name) VALUES
  ('f-level1', 'detail_case_fields_level_1'), ('f-complaint', 'detail_case_fields_is_complaint'),
  ('f-subject', 'detail_case_fields_complaint_subject');

-- The schema: a view per warehouse table, readable by the lake's roles, with
-- every column of the lake table (case_events: the status as its label, the
-- value Cases writes as detail_case_fields_status_value).
SELECT c.relname, c.relkind, has_table_privilege('connect_lake_reader', c.oid, 'SELECT') AS reader_reads,
       has_table_privilege('connect_lake_loader', c.oid, 'SELECT') AS loader_reads,
       has_table_privilege('connect_lake_loader', c.oid, 'INSERT') AS loader_writes
  FROM pg_class c WHERE c.relnamespace = 'amazon_connect_enriched'::regnamespace ORDER BY 1;
SELECT has_schema_privilege('connect_lake_reader', 'amazon_connect_enriched', 'USAGE') AS reader_uses,
       has_schema_privilege('connect_lake_loader', 'amazon_connect_enriched', 'USAGE') AS loader_uses;
WITH col AS (
  SELECT c.relnamespace::regnamespace::text AS nsp, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
   WHERE c.relname IN (SELECT relname FROM pg_class WHERE relnamespace = 'amazon_connect_enriched'::regnamespace)
     AND c.relnamespace IN ('connect_lake'::regnamespace, 'amazon_connect_enriched'::regnamespace))
SELECT relname, attname, l.type AS in_lake, w.type AS in_view
  FROM (SELECT * FROM col WHERE nsp = 'connect_lake') l
  FULL JOIN (SELECT * FROM col WHERE nsp = 'amazon_connect_enriched') w USING (relname, attname)
 WHERE l.type IS DISTINCT FROM w.type ORDER BY 1, 2;
SELECT a.attrelid::regclass AS view, a.attname, col_description(a.attrelid, a.attnum) AS comment
  FROM pg_attribute a
 WHERE a.attrelid = 'amazon_connect_enriched.case_events'::regclass
   AND a.attname IN ('id', 'detail_case_fields_status', 'detail_case_fields_status_value')
 ORDER BY a.attnum;

-- A Cases event: fields given as plain values, sent as tagged values.
CREATE FUNCTION pg_temp.ev(id text, case_id text, type text, at timestamptz, created timestamptz, fields jsonb)
RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', id, 'detail-type', 'Amazon Connect Cases Change', 'source', 'aws.cases',
    'detail', jsonb_build_object('eventType', type, 'approximateChangeTime', at,
      'case', jsonb_strip_nulls(jsonb_build_object('caseId', case_id, 'createdDateTime', created,
        'fields', (SELECT jsonb_object_agg(k, jsonb_build_object('value',
                            CASE jsonb_typeof(v) WHEN 'string' THEN jsonb_build_object('stringValue', v)
                                                 ELSE jsonb_build_object('booleanValue', v) END))
                     FROM jsonb_each(fields) f(k, v))))))
$$;

-- Eight cases, created in one batch and changed in a second (two landings):
--   w-1  created 30 June 23:30 UTC = 1 July 00:30 London; open
--   w-2  complaint (Overcharge), closed with the status spelt Closed
--   w-3  complaint (Smart meter), resolved
--   w-4  created 2 July 23:15 UTC = 3 July London; complaint; custom status pending
--   w-5  complaint (Smart meter), deleted since (the event carries no fields)
--   w-6  custom status in_progress (label In Progress)
--   w-7  complaint created 2 May: 90 days before 31 July; closed
--   w-8  complaint created in April, out of every window; closed
SELECT * FROM connect_lake.ingest_batch('case_event', ARRAY[
  pg_temp.ev('e1-1', 'w-1', 'CASE.CREATED', '2024-06-30 23:30Z', '2024-06-30 23:30Z',
    '{"status": "open", "f-level1": "Billing", "f-complaint": false}'),
  pg_temp.ev('e2-1', 'w-2', 'CASE.CREATED', '2024-07-01 09:00Z', '2024-07-01 09:00Z',
    '{"status": "open", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge"}'),
  pg_temp.ev('e3-1', 'w-3', 'CASE.CREATED', '2024-07-02 10:00Z', '2024-07-02 10:00Z',
    '{"status": "open", "f-level1": "Metering", "f-complaint": true, "f-subject": "Smart meter"}'),
  pg_temp.ev('e4-1', 'w-4', 'CASE.CREATED', '2024-07-02 23:15Z', '2024-07-02 23:15Z',
    '{"status": "pending", "f-level1": "Payments", "f-complaint": true, "f-subject": "Customer service"}'),
  pg_temp.ev('e5-1', 'w-5', 'CASE.CREATED', '2024-07-03 12:00Z', '2024-07-03 12:00Z',
    '{"status": "open", "f-level1": "Metering", "f-complaint": true, "f-subject": "Smart meter"}'),
  pg_temp.ev('e6-1', 'w-6', 'CASE.CREATED', '2024-07-03 13:00Z', '2024-07-03 13:00Z',
    '{"status": "in_progress", "f-level1": "Billing", "f-complaint": false}'),
  pg_temp.ev('e7-1', 'w-7', 'CASE.CREATED', '2024-05-02 10:00Z', '2024-05-02 10:00Z',
    '{"status": "open", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge"}'),
  pg_temp.ev('e8-1', 'w-8', 'CASE.CREATED', '2024-04-15 10:00Z', '2024-04-15 10:00Z',
    '{"status": "open", "f-level1": "Metering", "f-complaint": true, "f-subject": "Overcharge"}')]);
SELECT * FROM connect_lake.ingest_batch('case_event', ARRAY[
  pg_temp.ev('e2-2', 'w-2', 'CASE.UPDATED', '2024-07-03 10:00Z', '2024-07-01 09:00Z',
    '{"status": "Closed", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge"}'),
  pg_temp.ev('e3-2', 'w-3', 'CASE.UPDATED', '2024-07-04 10:00Z', '2024-07-02 10:00Z',
    '{"status": "resolved", "f-level1": "Metering", "f-complaint": true, "f-subject": "Smart meter"}'),
  pg_temp.ev('e5-2', 'w-5', 'CASE.DELETED', '2024-07-05 09:00Z', NULL, NULL),
  pg_temp.ev('e7-2', 'w-7', 'CASE.UPDATED', '2024-05-06 10:00Z', '2024-05-02 10:00Z',
    '{"status": "closed", "f-level1": "Billing", "f-complaint": true, "f-subject": "Overcharge"}'),
  pg_temp.ev('e8-2', 'w-8', 'CASE.UPDATED', '2024-04-16 10:00Z', '2024-04-15 10:00Z',
    '{"status": "closed", "f-level1": "Metering", "f-complaint": true, "f-subject": "Overcharge"}')]);

-- The events as the warehouse's case_events shows them: id is the Case ID,
-- the status its display label.
SELECT id, event_id, detail_event_type, detail_case_fields_status, detail_case_fields_status_value
  FROM amazon_connect_enriched.case_events ORDER BY id, detail_approximatechangetime;

-- 1. Case volume by day.  BigQuery:
--      SELECT DATE(detail_case_createddatetime) AS day, COUNT(DISTINCT id) AS cases_created
--        FROM `proj.amazon_connect_enriched.case_events`
--       WHERE DATE(detail_case_createddatetime) >= DATE_SUB(CURRENT_DATE(), INTERVAL 30 DAY)
--       GROUP BY day ORDER BY day;
CREATE TEMP VIEW q1_port AS
SELECT (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date AS day, COUNT(DISTINCT id) AS cases_created
  FROM amazon_connect_enriched.case_events
 WHERE (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date >= DATE '2024-07-31' - 30
 GROUP BY day ORDER BY day;
CREATE TEMP VIEW q1_lake AS
SELECT day, cases_created FROM connect_lake.case_volume_daily(DATE '2024-07-31' - 30, '2024-07-31');
TABLE q1_port;
SELECT 'port only' AS side, * FROM (TABLE q1_port EXCEPT ALL TABLE q1_lake) d
UNION ALL SELECT 'lake only', * FROM (TABLE q1_lake EXCEPT ALL TABLE q1_port) d;
-- BigQuery's DATE() is the UTC date: w-1 falls on 30 June (out of the
-- window), w-4 on 2 July.
SELECT (detail_case_createddatetime AT TIME ZONE 'UTC')::date AS utc_day, COUNT(DISTINCT id) AS cases_created
  FROM amazon_connect_enriched.case_events
 WHERE (detail_case_createddatetime AT TIME ZONE 'UTC')::date >= DATE '2024-07-31' - 30
 GROUP BY utc_day ORDER BY utc_day;

-- 2. Open cases.  BigQuery, over the daily snapshot the warehouse lands:
--      SELECT COUNT(DISTINCT id) AS open_cases
--        FROM `proj.amazon_connect_enriched.case_events`
--       WHERE meta_enriched_landed_date = (SELECT MAX(meta_enriched_landed_date)
--                                            FROM `proj.amazon_connect_enriched.case_events`)
--         AND detail_case_fields_status NOT IN ('Closed', 'Resolved');
-- The lake lands no snapshot: taken literally, the query counts the cases of
-- the last landing (here the second batch: closings and a deletion) that
-- are open.
SELECT COUNT(DISTINCT id) AS open_cases
  FROM amazon_connect_enriched.case_events
 WHERE meta_enriched_landed_date = (SELECT MAX(meta_enriched_landed_date) FROM amazon_connect_enriched.case_events)
   AND detail_case_fields_status NOT IN ('Closed', 'Resolved');
-- The port takes each case's latest event instead (deleted cases left out).
CREATE TEMP VIEW q2_port AS
SELECT COUNT(DISTINCT id) AS open_cases
  FROM (SELECT DISTINCT ON (id) *
          FROM amazon_connect_enriched.case_events
         ORDER BY id, detail_approximatechangetime DESC, event_id DESC) latest
 WHERE detail_case_fields_status NOT IN ('Closed', 'Resolved')
   AND detail_event_type <> 'CASE.DELETED';
SELECT (TABLE q2_port) AS port, (SELECT open_cases FROM connect_lake.open_case_backlog) AS lake;
-- The list NOT IN ('Closed', 'Resolved') is the warehouse's rule; the lake's
-- is case_status.  With pending made a closed status, the list no longer
-- agrees; case_is_open() on the status value does.
BEGIN;
INSERT INTO connect_lake.case_status VALUES ('pending', false, NULL);
SELECT (TABLE q2_port) AS port, (SELECT open_cases FROM connect_lake.open_case_backlog) AS lake,
       (SELECT COUNT(DISTINCT id)
          FROM (SELECT DISTINCT ON (id) *
                  FROM amazon_connect_enriched.case_events
                 ORDER BY id, detail_approximatechangetime DESC, event_id DESC) latest
         WHERE connect_lake.case_is_open(detail_event_type, detail_case_fields_status_value)) AS port_lake_rule;
ROLLBACK;

-- 3. Complaints per day.  BigQuery:
--      SELECT DATE(detail_case_createddatetime) AS day, COUNT(DISTINCT id) AS complaints
--        FROM `proj.amazon_connect_enriched.case_events`
--       WHERE detail_case_fields_is_complaint = TRUE
--         AND DATE(detail_case_createddatetime) >= DATE_SUB(CURRENT_DATE(), INTERVAL 30 DAY)
--       GROUP BY day ORDER BY day;
CREATE TEMP VIEW q3_port AS
SELECT (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date AS day, COUNT(DISTINCT id) AS complaints
  FROM amazon_connect_enriched.case_events
 WHERE detail_case_fields_is_complaint = TRUE
   AND (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date >= DATE '2024-07-31' - 30
 GROUP BY day ORDER BY day;
CREATE TEMP VIEW q3_lake AS
SELECT day, complaints FROM connect_lake.complaints_daily(DATE '2024-07-31' - 30, '2024-07-31');
TABLE q3_port;
SELECT 'port only' AS side, * FROM (TABLE q3_port EXCEPT ALL TABLE q3_lake) d
UNION ALL SELECT 'lake only', * FROM (TABLE q3_lake EXCEPT ALL TABLE q3_port) d;

-- 4. Complaints by subject, 90 days.  BigQuery:
--      SELECT detail_case_fields_complaint_subject AS complaint_subject, COUNT(DISTINCT id) AS complaints
--        FROM `proj.amazon_connect_enriched.case_events`
--       WHERE detail_case_fields_is_complaint = TRUE
--         AND DATE(detail_case_createddatetime) >= DATE_SUB(CURRENT_DATE(), INTERVAL 90 DAY)
--       GROUP BY complaint_subject ORDER BY complaints DESC;
CREATE TEMP VIEW q4_port AS
SELECT detail_case_fields_complaint_subject AS complaint_subject, COUNT(DISTINCT id) AS complaints
  FROM amazon_connect_enriched.case_events
 WHERE detail_case_fields_is_complaint = TRUE
   AND (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date >= DATE '2024-07-31' - 90
 GROUP BY complaint_subject ORDER BY complaints DESC, complaint_subject;
CREATE TEMP VIEW q4_lake AS
SELECT complaint_subject, complaints FROM connect_lake.complaints_by_subject(DATE '2024-07-31' - 90, '2024-07-31');
TABLE q4_port;
SELECT 'port only' AS side, * FROM (TABLE q4_port EXCEPT ALL TABLE q4_lake) d
UNION ALL SELECT 'lake only', * FROM (TABLE q4_lake EXCEPT ALL TABLE q4_port) d;
-- ">= CURRENT_DATE - 90" spans 91 days, today included; the view
-- complaints_by_subject spans 90 (from CURRENT_DATE - 89): w-7, created on
-- the first of the 91 days, is in the port only.
SELECT complaint_subject, complaints FROM connect_lake.complaints_by_subject(DATE '2024-07-31' - 89, '2024-07-31');

-- 5. Cases by level 1 category, 30 days.  BigQuery:
--      SELECT detail_case_fields_level_1 AS level_1, COUNT(DISTINCT id) AS cases
--        FROM `proj.amazon_connect_enriched.case_events`
--       WHERE DATE(detail_case_createddatetime) >= DATE_SUB(CURRENT_DATE(), INTERVAL 30 DAY)
--       GROUP BY level_1 ORDER BY cases DESC;
CREATE TEMP VIEW q5_port AS
SELECT detail_case_fields_level_1 AS level_1, COUNT(DISTINCT id) AS cases
  FROM amazon_connect_enriched.case_events
 WHERE (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date >= DATE '2024-07-31' - 30
 GROUP BY level_1 ORDER BY cases DESC, level_1;
CREATE TEMP VIEW q5_lake AS
SELECT level_1, cases FROM connect_lake.cases_by_category(DATE '2024-07-31' - 30, '2024-07-31');
TABLE q5_port;
SELECT 'port only' AS side, * FROM (TABLE q5_port EXCEPT ALL TABLE q5_lake) d
UNION ALL SELECT 'lake only', * FROM (TABLE q5_lake EXCEPT ALL TABLE q5_port) d;

-- The views are flattened into the query: a bound on the partition key
-- prunes partitions (July's only), and the status label is a filter
-- evaluated per row, as in the warehouse.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT COUNT(DISTINCT id) FROM amazon_connect_enriched.case_events
 WHERE detail_approximatechangetime >= '2024-07-01 00:00Z' AND detail_approximatechangetime < '2024-08-01 00:00Z'
   AND detail_case_fields_status NOT IN ('Closed', 'Resolved');
-- A bound on the creation time, written as a timestamp (not as a date of
-- it), uses each partition's index on detail_case_createddatetime (the
-- partitions scanned are those earlier tests left too: named pYYYYMM here).
CREATE FUNCTION pg_temp.scans(query text) RETURNS TABLE (node text, relation text, index text)
LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (COSTS OFF, FORMAT JSON) ' || query INTO plan;
  RETURN QUERY
  SELECT DISTINCT n ->> 'Node Type', regexp_replace(n ->> 'Relation Name', '_p[0-9]{6}', '_pYYYYMM'),
         regexp_replace(n ->> 'Index Name', '_p[0-9]{6}', '_pYYYYMM')
    FROM jsonb_path_query(plan, 'strict $.**') n
   WHERE jsonb_typeof(n) = 'object' AND (n ? 'Relation Name' OR n ? 'Index Name')
   ORDER BY 1, 2, 3;
END
$$;
SELECT * FROM pg_temp.scans($$
  SELECT COUNT(DISTINCT id) FROM amazon_connect_enriched.case_events
   WHERE detail_case_createddatetime >= (DATE '2024-07-31' - 30)::timestamp AT TIME ZONE 'Europe/London'$$);
RESET enable_seqscan;

-- Leave the lake empty for the tests that follow.
TRUNCATE connect_lake.case_events, connect_lake.case_state, connect_lake.case_field_map;
