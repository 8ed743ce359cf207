-- Benchmark: the case views against the same questions asked of a plain,
-- unindexed table holding the same case events (the current state of each
-- case then has to come from DISTINCT ON over the events, as it would
-- without the lake).  Run by test/bench/case_views.sh; psql variable
-- `events` sets the number of events (5.5 per case on average, over two years).
\set ON_ERROR_STOP 1
SET TimeZone = 'Europe/London';
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
SELECT count(*) AS partitions
  FROM connect_lake.ensure_partitions('connect_lake.case_events', now() - interval '731 days', now() + interval '31 days');

\timing on
-- :events events: case c has 2 + c % 8 events 7 hours apart; the last one
-- closes the case (except one in fifty, and the cases of the last five
-- days), or deletes it (one in a hundred); one case in ten is a complaint.
INSERT INTO connect_lake.case_events
  (event_id, id, detail_case_caseid, detail_approximatechangetime, account, detail_event_type,
   detail_case_createddatetime, detail_case_templateid, detail_case_fields_status, detail_case_fields_title,
   detail_case_fields_summary, detail_case_fields_customer_id, detail_case_fields_level_1,
   detail_case_fields_level_2, detail_case_fields_is_complaint, detail_case_fields_complaint_subject,
   detail_case_fields_complaint_goodwill_amount, detail_changedfieldids, detail_type, source,
   aws_account, "time", region, resources, meta_enriched_landed_date)
SELECT 'e-' || c || '-' || k, 'case-' || c, 'case-' || c, created + k * interval '7 hours', 40000000 + c % 50000,
       CASE WHEN k = 0 THEN 'CASE.CREATED' WHEN k = nk - 1 AND c % 100 = 0 THEN 'CASE.DELETED' ELSE 'CASE.UPDATED' END,
       created, 'template-1',
       CASE WHEN k = nk - 1 AND c % 50 <> 1 AND created < now() - interval '5 days' THEN 'closed' ELSE 'open' END,
       'Case ' || c, repeat('Customer reports a problem with their bill. ', 3),
       'arn:aws:profile:eu-west-2:111122223333:domains/d/profiles/p-' || c,
       (ARRAY['Billing', 'Metering', 'Payments', 'Moving home', 'Smart meters', 'Tariffs', 'Complaints', 'Other'])[1 + c % 8],
       'Sub ' || (c % 40), c % 10 = 0,
       CASE WHEN c % 10 = 0 THEN (ARRAY['Overcharge', 'Smart meter', 'Service', 'Estimated bill', 'Refund', 'Other'])[1 + c % 6] END,
       CASE WHEN c % 20 = 0 THEN (c % 100)::numeric END,
       '["status", "last_updated_datetime"]', 'Amazon Connect Cases Change', 'aws.cases', '111122223333',
       created + k * interval '7 hours', 'eu-west-2', '["arn:aws:cases:eu-west-2:111122223333:domain/d"]',
       now()
  FROM generate_series(1, (:events / 5.5)::int) c,
       LATERAL (SELECT now() - (c::float8 / (:events / 5.5)) * interval '730 days' AS created, 2 + c % 8 AS nk) x,
       generate_series(0, x.nk - 1) k;
VACUUM ANALYZE connect_lake.case_events;
SELECT connect_lake.case_state_refresh() AS cases;
VACUUM ANALYZE connect_lake.case_state;
CREATE TABLE bench_plain AS SELECT * FROM connect_lake.case_events;
VACUUM ANALYZE bench_plain;
\timing off
SELECT count(*) AS events, count(DISTINCT detail_case_caseid) AS cases,
       pg_size_pretty(pg_total_relation_size('bench_plain')) AS plain_size FROM bench_plain;

-- The plain way: every case's latest event, then the question (counts of
-- cases created include deleted ones, as the views do).
CREATE VIEW bench_plain_latest AS
  SELECT l.*, l.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
              AND coalesce(lower(l.detail_case_fields_status), 'open') NOT IN ('closed', 'resolved') AS is_open
    FROM (SELECT DISTINCT ON (detail_case_caseid) *
            FROM bench_plain ORDER BY detail_case_caseid, detail_approximatechangetime DESC, event_id DESC) l;
CREATE VIEW bench_plain_current AS
  SELECT * FROM bench_plain_latest WHERE detail_event_type IS DISTINCT FROM 'CASE.DELETED';

-- Best of three runs, in ms.
CREATE FUNCTION pg_temp.ms(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE best numeric; t timestamptz; r record;
BEGIN
  FOR i IN 1..3 LOOP
    t := clock_timestamp();
    FOR r IN EXECUTE q LOOP END LOOP;
    best := least(best, extract(epoch FROM clock_timestamp() - t) * 1000);
  END LOOP;
  RETURN round(best, 1);
END $$;

SET work_mem = '64MB';
WITH q(name, lake, plain) AS (VALUES
  ('case_volume_daily', 'SELECT * FROM connect_lake.case_volume_daily',
   $$SELECT (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date, count(*), count(*) FILTER (WHERE detail_event_type = 'CASE.DELETED'), count(*) FILTER (WHERE detail_case_fields_is_complaint), count(*) FILTER (WHERE is_open) FROM bench_plain_latest GROUP BY 1 ORDER BY 1$$),
  ('open_case_backlog', 'SELECT * FROM connect_lake.open_case_backlog',
   $$SELECT count(*), count(*) FILTER (WHERE connect_lake.working_days_overdue(detail_case_createddatetime, now(), 2)), count(*) FILTER (WHERE detail_case_fields_is_complaint) FROM bench_plain_current WHERE is_open$$),
  ('complaints_daily', 'SELECT * FROM connect_lake.complaints_daily',
   $$SELECT (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date, count(*), count(*) FILTER (WHERE is_open), count(*) FILTER (WHERE detail_case_fields_complaint_resolved), count(*) FILTER (WHERE detail_case_fields_ombudsman_case) FROM bench_plain_latest WHERE detail_case_fields_is_complaint GROUP BY 1 ORDER BY 1$$),
  ('complaints_by_subject', 'SELECT * FROM connect_lake.complaints_by_subject',
   $$SELECT detail_case_fields_complaint_subject, count(*), count(*) FILTER (WHERE is_open), coalesce(sum(detail_case_fields_complaint_goodwill_amount), 0) FROM bench_plain_latest WHERE detail_case_fields_is_complaint AND detail_case_createddatetime >= ((now() AT TIME ZONE 'Europe/London')::date - 89)::timestamp AT TIME ZONE 'Europe/London' GROUP BY 1 ORDER BY 2 DESC, 1$$),
  ('cases_by_category', 'SELECT * FROM connect_lake.cases_by_category',
   $$SELECT detail_case_fields_level_1, count(*), count(*) FILTER (WHERE is_open), count(*) FILTER (WHERE detail_case_fields_is_complaint) FROM bench_plain_latest WHERE detail_case_createddatetime >= ((now() AT TIME ZONE 'Europe/London')::date - 29)::timestamp AT TIME ZONE 'Europe/London' GROUP BY 1 ORDER BY 2 DESC, 1$$),
  ('overdue_cases', 'SELECT * FROM connect_lake.overdue_cases',
   $$SELECT detail_case_caseid, account, detail_case_fields_status, detail_case_createddatetime, connect_lake.working_days_between(detail_case_createddatetime, now()) FROM bench_plain_current WHERE is_open AND connect_lake.working_days_overdue(detail_case_createddatetime, now(), 2) ORDER BY detail_case_createddatetime, detail_case_caseid$$),
  ('case_backlog(90 days ago)', $$SELECT * FROM connect_lake.case_backlog(now() - interval '90 days')$$,
   $$SELECT * FROM (SELECT DISTINCT ON (detail_case_caseid) * FROM bench_plain WHERE detail_approximatechangetime <= now() - interval '90 days' ORDER BY detail_case_caseid, detail_approximatechangetime DESC, event_id DESC) l WHERE detail_event_type IS DISTINCT FROM 'CASE.DELETED' AND coalesce(lower(detail_case_fields_status), 'open') NOT IN ('closed', 'resolved')$$)
)
SELECT name, l AS lake_ms, p AS plain_ms, round(p / greatest(l, 0.1), 1) AS ratio
  FROM q, LATERAL (SELECT pg_temp.ms(q.lake) AS l, pg_temp.ms(q.plain) AS p) m;

-- The rows agree.
SELECT (SELECT sum(cases_created) FROM connect_lake.case_volume_daily) AS lake_created,
       (SELECT count(*) FROM bench_plain_latest) AS plain_created,
       (SELECT count(*) FROM connect_lake.case_current) AS lake_cases,
       (SELECT count(*) FROM bench_plain_current) AS plain_cases,
       (SELECT open_cases FROM connect_lake.open_case_backlog) AS lake_open,
       (SELECT count(*) FROM bench_plain_current WHERE is_open) AS plain_open;
