-- Run by test/bench/queue_access.sh: psql variables gen (the generated
-- exports) and runs (timed runs per way).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
SELECT k.kind, l.files_loaded, l.inserted
  FROM (VALUES (1, 'ctr', 'ctr'), (2, 'case_event', 'cases'), (3, 'contact_event', 'contact_events')) AS k(o, kind, dir),
       LATERAL connect_lake.load(k.kind, :'gen' || '/' || k.dir, 'skip') l
 ORDER BY k.o;
VACUUM ANALYZE;
DROP ROLE IF EXISTS bench_reader;
DROP ROLE IF EXISTS bench_one_queue;
CREATE ROLE bench_reader IN ROLE connect_lake_reader;
CREATE ROLE bench_one_queue IN ROLE connect_lake_reader;
-- Another role is restricted, so the policies have something to say.
SELECT connect_lake.restrict_to_queues('bench_one_queue',
  ARRAY[(SELECT queue_id FROM connect_lake.ctr_events WHERE queue_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)]);

-- The questions: metric views and functions, the CTRs, a warehouse view, the case views.
CREATE TABLE pg_temp.q (n int, name text, sql text);
INSERT INTO pg_temp.q VALUES
 (1, 'queue_metrics_daily, the month',
     $$SELECT md5(string_agg(t::text, '' ORDER BY t::text)) FROM connect_lake.queue_metrics_daily('2026-09-01', '2026-09-30') t$$),
 (2, 'queue_metrics_15min, one day',
     $$SELECT md5(string_agg(t::text, '' ORDER BY t::text)) FROM connect_lake.queue_metrics_15min t WHERE interval_start >= '2026-09-10' AND interval_start < '2026-09-11'$$),
 (3, 'ctr_events: a week per queue',
     $$SELECT md5(string_agg(t::text, '' ORDER BY t::text)) FROM (SELECT queue_id, count(*), avg(agent_agentinteractionduration) FROM connect_lake.ctr_events WHERE initiationtimestamp >= '2026-09-07' AND initiationtimestamp < '2026-09-14' GROUP BY 1) t$$),
 (4, 'ctr_events: one contact by id',
     $$SELECT md5(string_agg(t::text, '')) FROM connect_lake.ctr_events t WHERE contactid = (SELECT contactid FROM connect_lake.contact_metric ORDER BY contactid LIMIT 1 OFFSET 500)$$),
 (5, 'metric_queue_interval_live, one day',
     $$SELECT md5(string_agg(t::text, '' ORDER BY t::text)) FROM connect_lake.metric_queue_interval_live t WHERE interval_start >= '2026-09-10' AND interval_start < '2026-09-11'$$),
 (6, 'amazon_connect_enriched.ctr_events, a day',
     $$SELECT count(*) FROM amazon_connect_enriched.ctr_events WHERE initiationtimestamp >= '2026-09-10' AND initiationtimestamp < '2026-09-11'$$),
 (7, 'contact_case, a day',
     $$SELECT count(*) FROM connect_lake.contact_case WHERE initiationtimestamp >= '2026-09-10' AND initiationtimestamp < '2026-09-11'$$),
 (8, 'open_case_backlog (no queue)',
     $$SELECT md5(string_agg(t::text, '')) FROM (SELECT open_cases, overdue_cases FROM connect_lake.open_case_backlog) t$$),
 (9, 'case_volume_daily (no queue)',
     $$SELECT md5(string_agg(t::text, '' ORDER BY t::text)) FROM connect_lake.case_volume_daily t$$);

CREATE TABLE pg_temp.t (n int, who text, ms float8, answer text);
GRANT ALL ON pg_temp.t TO PUBLIC;
GRANT SELECT ON pg_temp.q TO PUBLIC;
CREATE FUNCTION pg_temp.time1(qn int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s text; t0 timestamptz; a text;
BEGIN
  SELECT sql INTO s FROM pg_temp.q WHERE n = qn;
  t0 := clock_timestamp();
  EXECUTE s INTO a;
  INSERT INTO pg_temp.t VALUES (qn, current_user, 1000 * extract(epoch FROM clock_timestamp() - t0), a);
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.time1(int) TO PUBLIC;

-- Warm-up once each way, then :runs rounds, the two ways alternating.
SELECT pg_temp.time1(n) FROM pg_temp.q \g /dev/null
SET ROLE bench_reader; SELECT pg_temp.time1(n) FROM pg_temp.q \g /dev/null
RESET ROLE;
SET ROLE bench_one_queue; SELECT pg_temp.time1(n) FROM pg_temp.q \g /dev/null
RESET ROLE;
TRUNCATE pg_temp.t;
\o /dev/null
SELECT format('SELECT pg_temp.time1(%s); SET ROLE bench_reader; SELECT pg_temp.time1(%s); RESET ROLE;', n, n)
  FROM pg_temp.q, generate_series(1, :runs) r ORDER BY r, n \gexec
\o
SET ROLE bench_one_queue; SELECT pg_temp.time1(n) FROM pg_temp.q \g /dev/null
RESET ROLE;

\pset footer off
SELECT q.n, q.name,
       round(min(t.ms) FILTER (WHERE t.who = 'postgres')::numeric, 2) AS superuser_best_ms,
       round(min(t.ms) FILTER (WHERE t.who = 'bench_reader')::numeric, 2) AS reader_best_ms,
       round((min(t.ms) FILTER (WHERE t.who = 'bench_reader')
            / nullif(min(t.ms) FILTER (WHERE t.who = 'postgres'), 0))::numeric, 2) AS ratio,
       count(DISTINCT t.answer) FILTER (WHERE t.who IN ('postgres', 'bench_reader')) = 1 AS same_answer,
       bool_or(t.who = 'bench_one_queue' AND t.answer IS DISTINCT FROM
               (SELECT u.answer FROM pg_temp.t u WHERE u.n = q.n AND u.who = 'postgres' LIMIT 1)) AS one_queue_differs
  FROM pg_temp.q q JOIN pg_temp.t t ON t.n = q.n
 GROUP BY q.n, q.name ORDER BY q.n;
SELECT round(exp(avg(ln(r)))::numeric, 3) AS geometric_mean_ratio FROM (
  SELECT min(ms) FILTER (WHERE who = 'bench_reader')
       / min(ms) FILTER (WHERE who = 'postgres') AS r
    FROM pg_temp.t GROUP BY n) x;
DROP ROLE IF EXISTS bench_reader;
SELECT connect_lake.lift_queue_restriction('bench_one_queue') \g /dev/null
DROP ROLE IF EXISTS bench_one_queue;
