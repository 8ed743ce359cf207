-- Scaling out on Citus, on a server without it (test/t/060_citus.pl runs
-- a real coordinator and workers when Citus is installed): distribute()
-- refuses with a clear error and changes nothing, undistribute() says there
-- is nothing to do, and the PL/pgSQL form the case range functions take on
-- Citus gives the same answers as their inlined SQL form and turns back
-- into exactly that SQL.
SET TimeZone = 'Europe/London';
SET DateStyle = 'ISO, YMD';
SELECT connect_lake.is_distributed();
-- on a plain lake citus_fact_rows() copies nothing: the statement reads the
-- table itself
SELECT connect_lake.citus_fact_rows('connect_lake.ctr_events', 'connect_lake_test_copy', 'f.contactid = ANY ($1)',
                                    ARRAY['00000000-0000-0000-0000-000000000001'::uuid]) AS reads,
       to_regclass('pg_temp.connect_lake_test_copy') AS copy;

-- The catalog as it stands, to show nothing changed.
CREATE TEMP TABLE before AS
  SELECT p.oid::regprocedure::text AS f, l.lanname, md5(p.prosrc) AS src
    FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
   WHERE p.pronamespace = 'connect_lake'::regnamespace;
CREATE TEMP TABLE before_def AS
  SELECT p.oid::regprocedure::text AS f, md5(pg_get_functiondef(p.oid)) AS def
    FROM pg_proc p WHERE p.pronamespace = 'connect_lake'::regnamespace AND p.prokind = 'f';
CREATE TEMP TABLE before_con AS
  SELECT conrelid::regclass::text AS t, conname FROM pg_constraint
   WHERE connamespace = 'connect_lake'::regnamespace;

-- Without Citus: an error naming what is missing (SQLSTATE 0A000).
\set SHOW_CONTEXT never
SELECT * FROM connect_lake.distribute();
\set SHOW_CONTEXT errors
DO $$
BEGIN
  PERFORM connect_lake.distribute();
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'distribute() failed with feature_not_supported (%)', SQLSTATE;
END
$$;
SELECT * FROM connect_lake.undistribute();
SELECT count(*) AS functions_changed FROM before b
  JOIN pg_proc p ON p.oid = b.f::regprocedure JOIN pg_language l ON l.oid = p.prolang
 WHERE l.lanname <> b.lanname OR md5(p.prosrc) <> b.src;
SELECT (SELECT count(*) FROM before_con) = (SELECT count(*) FROM pg_constraint
        WHERE connamespace = 'connect_lake'::regnamespace) AS same_constraints,
       (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = 'connect_lake'::regnamespace AND t.tgenabled <> 'O') AS triggers_disabled;

-- Only the DBA distributes.
SELECT has_function_privilege('connect_lake_loader', 'connect_lake.distribute()', 'EXECUTE') AS loader_may_distribute,
       has_function_privilege('connect_lake_reader', 'connect_lake.undistribute()', 'EXECUTE') AS reader_may_undistribute;

-- The functions that become PL/pgSQL on Citus: all SQL here.
SELECT f AS function, l.lanname AS language
  FROM unnest(connect_lake.citus_range_functions()) AS f
  JOIN pg_proc p ON p.oid = f JOIN pg_language l ON l.oid = p.prolang
 ORDER BY 1::text;

-- In a transaction rolled back at the end, so that the tests after this
-- one see none of it.
BEGIN;
-- Cases to answer about: 120 cases over four weeks, most closed by their
-- last event, some deleted; some deleted by an event without fields (their
-- state keeps the fields of their last event that had them).
SELECT count(*) AS partitions FROM connect_lake.ensure_partitions('connect_lake.case_events', '2024-03-01', '2024-06-30');
INSERT INTO connect_lake.case_events
  (event_id, id, detail_case_caseid, detail_approximatechangetime, detail_event_type, detail_case_createddatetime,
   detail_case_fields_status, detail_case_fields_level_1, detail_case_fields_is_complaint,
   detail_case_fields_complaint_subject, detail_case_fields_complaint_goodwill_amount, meta_enriched_landed_date)
SELECT 'e-' || c || '-' || k, 'case-' || c, 'case-' || c, created + k * interval '19 hours',
       CASE WHEN k = 0 THEN 'CASE.CREATED' WHEN k = nk - 1 AND c % 17 = 0 THEN 'CASE.DELETED' ELSE 'CASE.UPDATED' END,
       created, CASE WHEN k = nk - 1 AND c % 3 <> 0 THEN 'closed' ELSE 'open' END,
       (ARRAY['Billing', 'Metering', 'Payments'])[1 + c % 3], c % 5 = 0,
       CASE WHEN c % 5 = 0 THEN (ARRAY['Refund', 'Service'])[1 + c % 2] END, CASE WHEN c % 10 = 0 THEN c END, now()
  FROM generate_series(1, 120) c,
       LATERAL (SELECT timestamptz '2024-03-25 08:00+00' + c * interval '5 hours 7 minutes' AS created, 1 + c % 4 AS nk) x,
       generate_series(0, x.nk - 1) k;
INSERT INTO connect_lake.case_events (event_id, id, detail_case_caseid, detail_approximatechangetime, detail_event_type)
SELECT 'd-' || c, 'case-' || c, 'case-' || c, timestamptz '2024-05-20 10:00+00' + c * interval '1 minute', 'CASE.DELETED'
  FROM generate_series(23, 120, 23) c;
SELECT connect_lake.case_state_refresh() AS cases;
SELECT count(*) AS deleted, count(*) FILTER (WHERE detail_case_createddatetime IS NOT NULL) AS with_fields
  FROM connect_lake.case_state WHERE detail_event_type = 'CASE.DELETED';

-- The answers of every range function, as SQL ...
CREATE TEMP TABLE answers AS
SELECT 'case_volume_daily' AS f, to_jsonb(r) AS row FROM connect_lake.case_volume_daily('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'open_case_backlog', to_jsonb(r) FROM connect_lake.open_case_backlog('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'complaints_daily', to_jsonb(r) FROM connect_lake.complaints_daily('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'complaints_by_subject', to_jsonb(r) FROM connect_lake.complaints_by_subject('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'cases_by_category', to_jsonb(r) FROM connect_lake.cases_by_category('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'overdue_cases', to_jsonb(r) - 'working_days_open' FROM connect_lake.overdue_cases('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'case_backlog', to_jsonb(r) FROM connect_lake.case_backlog('2024-04-10 12:00+01') r;
SELECT f, count(*) AS rows FROM answers GROUP BY f ORDER BY f;

-- ... then as PL/pgSQL, the form distribute() gives them: the same rows.
SELECT connect_lake.citus_swap_functions(true);
SELECT f AS function, l.lanname AS language
  FROM unnest(connect_lake.citus_range_functions()) AS f
  JOIN pg_proc p ON p.oid = f JOIN pg_language l ON l.oid = p.prolang
 ORDER BY 1::text;
-- the functions that read copies of the rows they need on Citus
-- (citus_fact_rows()): PL/pgSQL, VOLATILE and PARALLEL UNSAFE (they write a
-- temporary table); agent_activity_timeline_rows(), SQL calling them, is
-- VOLATILE and PARALLEL UNSAFE too
SELECT p.oid::regprocedure AS function, l.lanname AS language, p.provolatile, p.proparallel
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'connect_lake'::regnamespace
   AND p.proname IN ('agent_ranges', 'agent_timeline_segments', 'agent_offers', 'agent_activity_timeline_rows',
                     'contact_journey', 'customer_journey')
 ORDER BY 1::text;
SELECT position('PERFORM connect_lake.citus_fact_rows(''connect_lake.agent_events'', ''connect_lake_agent_offers_events''' IN p.prosrc) > 0 AS copies_first,
       position('pg_temp.connect_lake_agent_offers_events p' IN p.prosrc) > 0 AS reads_the_copy,
       position('connect_lake.agent_events p' IN p.prosrc) = 0 AS not_the_table
  FROM pg_proc p WHERE p.oid = 'connect_lake.agent_offers(text[], timestamptz[], timestamptz[])'::regprocedure;
CREATE TEMP TABLE answers_plpgsql AS
SELECT 'case_volume_daily' AS f, to_jsonb(r) AS row FROM connect_lake.case_volume_daily('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'open_case_backlog', to_jsonb(r) FROM connect_lake.open_case_backlog('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'complaints_daily', to_jsonb(r) FROM connect_lake.complaints_daily('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'complaints_by_subject', to_jsonb(r) FROM connect_lake.complaints_by_subject('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'cases_by_category', to_jsonb(r) FROM connect_lake.cases_by_category('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'overdue_cases', to_jsonb(r) - 'working_days_open' FROM connect_lake.overdue_cases('2024-03-20', '2024-05-31') r
UNION ALL SELECT 'case_backlog', to_jsonb(r) FROM connect_lake.case_backlog('2024-04-10 12:00+01') r;
SELECT (SELECT count(*) FROM (SELECT f, row::text FROM answers EXCEPT ALL SELECT f, row::text FROM answers_plpgsql) x) AS only_sql,
       (SELECT count(*) FROM (SELECT f, row::text FROM answers_plpgsql EXCEPT ALL SELECT f, row::text FROM answers) x) AS only_plpgsql;
-- the views over them too
SELECT count(*) AS view_rows FROM connect_lake.case_volume_daily;

-- ... and back: exactly the SQL they had.
SELECT connect_lake.citus_swap_functions(false);
SELECT count(*) AS functions_changed FROM before b
  JOIN pg_proc p ON p.oid = b.f::regprocedure JOIN pg_language l ON l.oid = p.prolang
 WHERE l.lanname <> b.lanname OR md5(p.prosrc) <> b.src;
-- (language, volatility, parallel safety, rows: the whole definition)
SELECT count(*) AS definitions_changed FROM before_def b
 WHERE md5(pg_get_functiondef(b.f::regprocedure)) <> b.def;
-- twice is harmless
SELECT connect_lake.citus_swap_functions(false);
SELECT count(*) AS functions_changed FROM before b
  JOIN pg_proc p ON p.oid = b.f::regprocedure JOIN pg_language l ON l.oid = p.prolang
 WHERE l.lanname <> b.lanname OR md5(p.prosrc) <> b.src;
ROLLBACK;
SELECT count(*) AS cases_left FROM connect_lake.case_events WHERE id LIKE 'case-%';
