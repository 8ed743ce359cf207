-- Access by queue: two roles restricted to different queues see different
-- numbers from the same tables and views; an unrestricted reader and the
-- loader see (and write) every row.  In a database of its own.
SET client_min_messages = warning;
SELECT current_database() AS regdb \gset
CREATE DATABASE connect_lake_queue_access;
\c connect_lake_queue_access
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
DROP ROLE IF EXISTS regress_qa_north;
DROP ROLE IF EXISTS regress_qa_south;
DROP ROLE IF EXISTS regress_qa_all;
DROP ROLE IF EXISTS regress_qa_loader;
CREATE ROLE regress_qa_north IN ROLE connect_lake_reader;
CREATE ROLE regress_qa_south IN ROLE connect_lake_reader;
CREATE ROLE regress_qa_all IN ROLE connect_lake_reader;
CREATE ROLE regress_qa_loader IN ROLE connect_lake_loader;

-- Queue A (north) and B (south); contact n: queue A when odd, B when even.
CREATE FUNCTION pg_temp.qarn(q text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 'arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111/queue/'
         || CASE q WHEN 'A' THEN 'aaaaaaaa-0000-4000-8000-00000000000a' ELSE 'bbbbbbbb-0000-4000-8000-00000000000b' END $$;
CREATE FUNCTION pg_temp.ctr(n integer, ts timestamptz) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10',
    'ContactId', '00000000-0000-4000-8000-' || lpad(n::text, 12, '0'),
    'InitiationMethod', 'INBOUND', 'Channel', 'VOICE',
    'InitiationTimestamp', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'DisconnectTimestamp', to_char((ts + interval '2 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'LastUpdateTimestamp', to_char((ts + interval '3 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'Attributes', jsonb_build_object('caseId', 'case-' || n),
    'Queue', jsonb_build_object(
      'ARN', pg_temp.qarn(CASE WHEN n % 2 = 1 THEN 'A' ELSE 'B' END),
      'Name', CASE WHEN n % 2 = 1 THEN 'North' ELSE 'South' END,
      'EnqueueTimestamp', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'DequeueTimestamp', to_char((ts + interval '30 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'Duration', 30))
$$;
-- Seven contacts on 2030-05-06 (four in A, three in B), one contact event each.
SELECT inserted FROM connect_lake.ingest_batch('ctr',
  (SELECT array_agg(pg_temp.ctr(n, '2030-05-06 09:00Z'::timestamptz + n * interval '20 minutes')) FROM generate_series(1, 7) n));
SELECT inserted FROM connect_lake.ingest_batch('contact_event',
  (SELECT array_agg(jsonb_build_object(
     'version', '0', 'id', 'ev-' || n, 'detail-type', 'Amazon Connect Contact Event', 'source', 'aws.connect',
     'account', '111122223333', 'time', '2030-05-06T10:00:00Z', 'region', 'eu-west-2', 'resources', '[]'::jsonb,
     'detail', jsonb_build_object('eventType', 'QUEUED', 'contactId', '00000000-0000-4000-8000-' || lpad(n::text, 12, '0'),
                                  'channel', 'VOICE', 'initiationMethod', 'INBOUND',
                                  'queueInfo', jsonb_build_object('queueArn', pg_temp.qarn(CASE WHEN n % 2 = 1 THEN 'A' ELSE 'B' END)))))
     FROM generate_series(1, 7) n));

-- What each role sees: the same statements for all.
CREATE FUNCTION pg_temp.sees() RETURNS TABLE (who name, ctrs bigint, partition bigint, contact_events bigint,
    metric bigint, created bigint, queues text, warehouse bigint, contact_case bigint, live bigint)
LANGUAGE sql AS $$
  SELECT current_user,
         (SELECT count(*) FROM connect_lake.ctr_events),
         (SELECT count(*) FROM connect_lake.ctr_events_p203005),
         (SELECT count(*) FROM connect_lake.contact_events),
         (SELECT count(*) FROM connect_lake.contact_metric),
         (SELECT sum(contacts_created) FROM connect_lake.queue_metrics_daily('2030-05-06', '2030-05-06')),
         (SELECT string_agg(queue_name, ',' ORDER BY queue_name) FROM connect_lake.queue_dim),
         (SELECT count(*) FROM amazon_connect_enriched.ctr_events),
         (SELECT count(*) FROM connect_lake.contact_case),
         (SELECT sum(contacts) FROM connect_lake.metric_queue_interval_live)
$$;
GRANT EXECUTE ON FUNCTION pg_temp.sees() TO PUBLIC;

-- The tables keyed by queue, and their partitions, carry the policies from
-- the start; nobody is restricted yet, so every role sees every row.
SELECT c.relname, (SELECT string_agg(p.polname || ':' || p.polcmd::text, ' ' ORDER BY p.polname) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
  FROM pg_class c WHERE relnamespace = 'connect_lake'::regnamespace AND relrowsecurity ORDER BY 1;
SELECT polname, polpermissive, polroles::regrole[], pg_get_expr(polqual, polrelid) AS using, pg_get_expr(polwithcheck, polrelid) AS check
  FROM pg_policy WHERE polrelid = 'connect_lake.contact_events'::regclass ORDER BY polname;
SET ROLE regress_qa_north; SELECT * FROM pg_temp.sees(); RESET ROLE;

-- North reads queue A, south queue B.
SELECT connect_lake.restrict_to_queues('regress_qa_north', '{aaaaaaaa-0000-4000-8000-00000000000a}');
SELECT connect_lake.restrict_to_queues('regress_qa_south', '{bbbbbbbb-0000-4000-8000-00000000000b,bbbbbbbb-0000-4000-8000-00000000000b}');
SELECT role_name, queue_id, queue_name, role_exists, enforced FROM connect_lake.queue_restrictions ORDER BY 1, 2;
SELECT member::regrole FROM pg_auth_members WHERE roleid = 'connect_lake_restricted'::regrole ORDER BY 1::text;
-- An unrestricted role gets no condition: the plan of a lake without policies.
SET ROLE regress_qa_all;
EXPLAIN (COSTS OFF) SELECT count(*) FROM connect_lake.ctr_events WHERE initiationtimestamp >= '2030-05-06';
RESET ROLE;
SET ROLE regress_qa_north;
EXPLAIN (COSTS OFF) SELECT count(*) FROM connect_lake.ctr_events WHERE initiationtimestamp >= '2030-05-06';
RESET ROLE;
SET ROLE regress_qa_north; SELECT * FROM pg_temp.sees(); RESET ROLE;
SET ROLE regress_qa_south; SELECT * FROM pg_temp.sees(); RESET ROLE;
SET ROLE regress_qa_all; SELECT * FROM pg_temp.sees(); RESET ROLE;
-- A member of a restricted role is restricted with it.
GRANT regress_qa_north TO regress_qa_all;
SET ROLE regress_qa_all; SELECT who, ctrs FROM pg_temp.sees(); RESET ROLE;
REVOKE regress_qa_north FROM regress_qa_all;

-- The loader still lands every queue's rows, and keeps the metrics from all
-- of them, also in a month that did not exist (its partition gets the policies).
SET ROLE regress_qa_loader;
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[pg_temp.ctr(8, '2030-05-06 12:00Z'), pg_temp.ctr(9, '2030-06-03 12:00Z')]);
RESET ROLE;
SELECT c.relname, c.relrowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
  FROM pg_class c WHERE c.relname IN ('ctr_events_p203005', 'ctr_events_p203006') ORDER BY 1;
SET ROLE regress_qa_north; SELECT who, ctrs, created FROM pg_temp.sees(); SELECT count(*) FROM connect_lake.ctr_events_p203006; RESET ROLE;
SET ROLE regress_qa_south; SELECT who, ctrs, created FROM pg_temp.sees(); SELECT count(*) FROM connect_lake.ctr_events_p203006; RESET ROLE;
SET ROLE regress_qa_all; SELECT who, ctrs, created FROM pg_temp.sees(); RESET ROLE;

-- Refused: superusers, loaders, no queue, an unknown role; a restricted role
-- cannot restrict or lift.
SELECT connect_lake.restrict_to_queues(current_user, '{aaaaaaaa-0000-4000-8000-00000000000a}');
SELECT connect_lake.restrict_to_queues('regress_qa_loader', '{aaaaaaaa-0000-4000-8000-00000000000a}');
SELECT connect_lake.restrict_to_queues('connect_lake_reader', '{aaaaaaaa-0000-4000-8000-00000000000a}');
SELECT connect_lake.restrict_to_queues('regress_qa_all', '{}');
SELECT connect_lake.restrict_to_queues('regress_qa_all', '{NULL}');
SELECT connect_lake.restrict_to_queues('regress_qa_nobody', '{aaaaaaaa-0000-4000-8000-00000000000a}');
SET ROLE regress_qa_north;
SELECT connect_lake.lift_queue_restriction('regress_qa_north');
RESET ROLE;

-- Lifted: north sees everything again.
SELECT connect_lake.lift_queue_restriction('regress_qa_north');
SELECT connect_lake.lift_queue_restriction('regress_qa_north');
SET ROLE regress_qa_north; SELECT who, ctrs, created FROM pg_temp.sees(); RESET ROLE;
SET ROLE regress_qa_south; SELECT who, ctrs, created FROM pg_temp.sees(); RESET ROLE;
SELECT connect_lake.lift_queue_restriction('regress_qa_south');
SELECT * FROM connect_lake.queue_restrictions;
SELECT count(*) AS members FROM pg_auth_members WHERE roleid = 'connect_lake_restricted'::regrole;
-- Restoring queue_access's rows (as pg_restore does) makes the memberships again.
INSERT INTO connect_lake.queue_access (role_name, queue_id) VALUES ('regress_qa_south', 'bbbbbbbb-0000-4000-8000-00000000000b');
SELECT role_name, enforced FROM connect_lake.queue_restrictions;
SET ROLE regress_qa_south; SELECT who, ctrs FROM pg_temp.sees(); RESET ROLE;
DELETE FROM connect_lake.queue_access;
SET ROLE regress_qa_south; SELECT who, ctrs FROM pg_temp.sees(); RESET ROLE;
-- A partition attached by hand gets the policies from queue_access_enforce().
CREATE TABLE connect_lake.ctr_events_hand (LIKE connect_lake.ctr_events);
ALTER TABLE connect_lake.ctr_events ATTACH PARTITION connect_lake.ctr_events_hand FOR VALUES FROM ('2031-01-01Z') TO ('2031-02-01Z');
SELECT connect_lake.queue_access_enforce();
SELECT connect_lake.queue_access_enforce();
SELECT count(*) AS policies FROM pg_policy WHERE polrelid = 'connect_lake.ctr_events_hand'::regclass;
SELECT connect_lake.queue_access_arn_id(a) FROM (VALUES (pg_temp.qarn('A')), ('arn:aws:connect:x:1:instance/i/queue/agent/aaaaaaaa-0000-4000-8000-00000000000a'), ('queue/nope'), (NULL)) v(a);

\c :regdb
DROP DATABASE connect_lake_queue_access;
DROP ROLE regress_qa_north;
DROP ROLE regress_qa_south;
DROP ROLE regress_qa_all;
DROP ROLE regress_qa_loader;
