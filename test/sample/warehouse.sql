-- The analysts' five warehouse queries, ported to the views of schema
-- amazon_connect_enriched, each next to the lake's own view (README,
-- "Coming from the warehouse").  Run against the demo lake:
--   psql -h /tmp/connect_lake_demo -p 5499 -U postgres lake -f test/sample/warehouse.sql
-- CURRENT_DATE is the session's date: run it on the day the demo loaded
-- (its month ends yesterday).
\set ON_ERROR_STOP on
\pset footer off
SELECT CURRENT_DATE AS today, current_setting('TimeZone') AS session_time_zone,
       connect_lake.lake_time_zone() AS views_time_zone;

\echo '==> 1. Case volume by day: the port (London days) next to case_volume_daily, over the port''s window'
WITH port AS (
  SELECT (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date AS day, COUNT(DISTINCT id) AS cases_created
    FROM amazon_connect_enriched.case_events
   WHERE (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date >= CURRENT_DATE - 30
   GROUP BY day
), utc AS (   -- BigQuery's DATE(): UTC days
  SELECT (detail_case_createddatetime AT TIME ZONE 'UTC')::date AS day, COUNT(DISTINCT id) AS cases_created
    FROM amazon_connect_enriched.case_events
   WHERE (detail_case_createddatetime AT TIME ZONE 'UTC')::date >= CURRENT_DATE - 30
   GROUP BY day
), lake AS (
  SELECT day, cases_created FROM connect_lake.case_volume_daily WHERE day >= CURRENT_DATE - 30
)
SELECT min(day) AS first_day, max(day) AS last_day, count(*) AS days,
       sum(p.cases_created) AS port, sum(l.cases_created) AS lake_view, sum(u.cases_created) AS port_utc_days,
       count(*) FILTER (WHERE p.cases_created IS DISTINCT FROM l.cases_created) AS days_port_differs,
       count(*) FILTER (WHERE u.cases_created IS DISTINCT FROM l.cases_created) AS days_utc_differs
  FROM port p FULL JOIN lake l USING (day) FULL JOIN utc u USING (day);

\echo '==> 2. Open cases: the warehouse query taken literally, the port (each case''s latest event), open_case_backlog'
SELECT (SELECT COUNT(DISTINCT id)
          FROM amazon_connect_enriched.case_events
         WHERE meta_enriched_landed_date = (SELECT MAX(meta_enriched_landed_date) FROM amazon_connect_enriched.case_events)
           AND detail_case_fields_status NOT IN ('Closed', 'Resolved')) AS literal,
       (SELECT COUNT(DISTINCT id)
          FROM (SELECT DISTINCT ON (id) *
                  FROM amazon_connect_enriched.case_events
                 ORDER BY id, detail_approximatechangetime DESC, event_id DESC) latest
         WHERE detail_case_fields_status NOT IN ('Closed', 'Resolved')
           AND detail_event_type <> 'CASE.DELETED') AS port,
       (SELECT open_cases FROM connect_lake.open_case_backlog) AS lake_view;

\echo '==> 3. Complaints per day: the port next to complaints_daily, over the port''s window'
WITH port AS (
  SELECT (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date AS day, COUNT(DISTINCT id) AS complaints
    FROM amazon_connect_enriched.case_events
   WHERE detail_case_fields_is_complaint = TRUE
     AND (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date >= CURRENT_DATE - 30
   GROUP BY day
), lake AS (
  SELECT day, complaints FROM connect_lake.complaints_daily WHERE day >= CURRENT_DATE - 30
)
SELECT min(day) AS first_day, max(day) AS last_day, count(*) AS days,
       sum(p.complaints) AS port, sum(l.complaints) AS lake_view,
       count(*) FILTER (WHERE p.complaints IS DISTINCT FROM l.complaints) AS days_port_differs
  FROM port p FULL JOIN lake l USING (day);

\echo '==> 4. Complaints by subject, 90 days: the port next to the view complaints_by_subject'
WITH port AS (
  SELECT detail_case_fields_complaint_subject AS complaint_subject, COUNT(DISTINCT id) AS complaints
    FROM amazon_connect_enriched.case_events
   WHERE detail_case_fields_is_complaint = TRUE
     AND (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date >= CURRENT_DATE - 90
   GROUP BY complaint_subject
)
SELECT complaint_subject, p.complaints AS port, v.complaints AS lake_view
  FROM port p FULL JOIN connect_lake.complaints_by_subject v USING (complaint_subject)
 ORDER BY coalesce(p.complaints, v.complaints) DESC, complaint_subject;

\echo '==> 5. Cases by level 1 category, 30 days: the port next to the view cases_by_category'
WITH port AS (
  SELECT detail_case_fields_level_1 AS level_1, COUNT(DISTINCT id) AS cases
    FROM amazon_connect_enriched.case_events
   WHERE (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date >= CURRENT_DATE - 30
   GROUP BY level_1
)
SELECT level_1, p.cases AS port, v.cases AS lake_view,
       (SELECT cases FROM connect_lake.cases_by_category(CURRENT_DATE - 30, CURRENT_DATE) f
         WHERE f.level_1 IS NOT DISTINCT FROM p.level_1) AS lake_same_window
  FROM port p FULL JOIN connect_lake.cases_by_category v USING (level_1)
 ORDER BY coalesce(p.cases, v.cases) DESC, level_1;
