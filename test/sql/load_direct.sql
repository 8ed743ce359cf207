-- A load() in the session holds its kind's writer lock exclusively and
-- writes its batches as COPY does (src/writer_direct.c): table_multi_insert,
-- the index entries, the key's checked partially and the rows it flags
-- looked up again (duplicates taken out; a partition fed mostly duplicates
-- is probed before each row: the files loaded again below take both ways);
-- CTRs: the contacts new to the partition so, later versions through the
-- upsert.  It must land the same
-- rows with the same counts as the writer's statement, which
-- ingest_batch() (the lock shared) always sends.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
SET TimeZone = 'UTC';
SET connect_lake.flows_upkeep = off;
SET connect_lake.metrics_upkeep = off;
\getenv abs_builddir PG_ABS_BUILDDIR
\set flow1 :abs_builddir '/load_direct_flow_1.ndjson'
\set flow2 :abs_builddir '/load_direct_flow_2.ndjson'
\set flows :abs_builddir '/load_direct_flow_*.ndjson'
\set ctr1 :abs_builddir '/load_direct_ctr_1.ndjson'
\set ctr2 :abs_builddir '/load_direct_ctr_2.ndjson'
\set ctrs :abs_builddir '/load_direct_ctr_*.ndjson'

-- ---------- flow log events: duplicates in a file, across files, null key parts
CREATE TEMP TABLE fl (file int, doc jsonb);
INSERT INTO fl VALUES
  (1, '{"ContactId": "d1000000-0000-4000-8000-000000000001", "Timestamp": "2031-01-01T10:00:00Z", "ContactFlowModuleType": "SetQueue", "Identifier": "a"}'),
  (1, '{"ContactId": "d1000000-0000-4000-8000-000000000001", "Timestamp": "2031-01-01T10:00:00Z", "ContactFlowModuleType": "SetQueue", "Identifier": "a"}'),
  (1, '{"ContactId": "d1000000-0000-4000-8000-000000000001", "Timestamp": "2031-01-01T10:00:01Z"}'),
  (1, '{"ContactId": "d1000000-0000-4000-8000-000000000001", "Timestamp": "2031-01-01T10:00:01Z"}'),
  (1, '{"ContactId": "d1000000-0000-4000-8000-000000000002", "Timestamp": "2031-02-01T10:00:00Z", "Identifier": "b"}'),
  (2, '{"ContactId": "d1000000-0000-4000-8000-000000000002", "Timestamp": "2031-02-01T10:00:00Z", "Identifier": "b"}'),
  (2, '{"ContactId": "d1000000-0000-4000-8000-000000000003", "Timestamp": "2031-02-01T10:00:00Z", "Identifier": "c"}'),
  (2, '{"ContactId": "d1000000-0000-4000-8000-000000000001", "Timestamp": "2031-01-01T10:00:02Z", "Identifier": "d"}');
COPY (SELECT doc FROM fl WHERE file = 1) TO :'flow1';
COPY (SELECT doc FROM fl WHERE file = 2) TO :'flow2';
SELECT files_loaded, records_read, inserted, duplicates, rejected FROM connect_lake.load('contact_flow_log', :'flows');
CREATE TEMP TABLE fl_load AS
  SELECT contactid, "timestamp", identifier, contactflowmoduletype, parameters, log_group, extra,
         source_file IS NOT NULL AS from_file, landed_at IS NOT NULL AS landed
    FROM connect_lake.contact_flow_log;
SELECT contactid, "timestamp", identifier, contactflowmoduletype, from_file, landed FROM fl_load ORDER BY 1, 2, 3;
-- the statement's way: the same rows and counts
TRUNCATE connect_lake.contact_flow_log;
SELECT inserted, duplicates, rejected FROM connect_lake.ingest_batch('contact_flow_log', ARRAY(SELECT doc FROM fl ORDER BY file));
SELECT count(*) AS differ FROM (
  (SELECT contactid, "timestamp", identifier, contactflowmoduletype, parameters, log_group, extra FROM fl_load
   EXCEPT SELECT contactid, "timestamp", identifier, contactflowmoduletype, parameters, log_group, extra FROM connect_lake.contact_flow_log)
  UNION ALL
  (SELECT contactid, "timestamp", identifier, contactflowmoduletype, parameters, log_group, extra FROM connect_lake.contact_flow_log
   EXCEPT SELECT contactid, "timestamp", identifier, contactflowmoduletype, parameters, log_group, extra FROM fl_load)) d;

-- loading the files again lands nothing new
DELETE FROM connect_lake.load_manifest WHERE kind = 'contact_flow_log';
SELECT files_loaded, records_read, inserted, duplicates FROM connect_lake.load('contact_flow_log', :'flows');

-- a partition with a trigger is written by the statement (the trigger fires per row)
TRUNCATE connect_lake.contact_flow_log;
DELETE FROM connect_lake.load_manifest WHERE kind = 'contact_flow_log';
CREATE TABLE fired (n int);
CREATE FUNCTION fire() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO fired VALUES (1); RETURN NEW; END$$;
CREATE TRIGGER fire BEFORE INSERT ON connect_lake.contact_flow_log_p203102 FOR EACH ROW EXECUTE FUNCTION fire();
SELECT files_loaded, records_read, inserted, duplicates FROM connect_lake.load('contact_flow_log', :'flows');
SELECT count(*) AS fired FROM fired;
SELECT count(*) AS rows_in_february FROM connect_lake.contact_flow_log_p203102;
DROP TRIGGER fire ON connect_lake.contact_flow_log_p203102;
DROP TABLE fired;
DROP FUNCTION fire();

-- ---------- CTRs: versions folded in a batch, later versions in a later file
CREATE TEMP TABLE ct (file int, doc jsonb);
INSERT INTO ct
  SELECT f, jsonb_build_object('ContactId', 'd2000000-0000-4000-8000-00000000000' || c, 'Channel', 'VOICE',
                               'InitiationTimestamp', '2031-03-01T10:00:0' || c || 'Z',
                               'LastUpdateTimestamp', '2031-03-01T11:00:0' || v || 'Z',
                               'Agent', jsonb_build_object('Username', 'agent' || v))
    FROM (VALUES (1, 1, 1), (1, 2, 1), (1, 2, 3), (1, 2, 2),   -- contact 2: three versions in the file
                 (2, 1, 2), (2, 1, 0), (2, 3, 1), (2, 2, 3),   -- 1 newer, 1 older, 3 new, 2 identical
                 (2, 4, 1)) AS v(f, c, v);
COPY (SELECT doc FROM ct WHERE file = 1) TO :'ctr1';
COPY (SELECT doc FROM ct WHERE file = 2) TO :'ctr2';
SELECT files_loaded, records_read, inserted, updated, duplicates, rejected FROM connect_lake.load('ctr', :'ctrs');
CREATE TEMP TABLE ct_load AS
  SELECT contactid, initiationtimestamp, lastupdatetimestamp, agent_username, versions_seen FROM connect_lake.ctr_events;
SELECT * FROM ct_load ORDER BY 1;
TRUNCATE connect_lake.ctr_events;
SELECT inserted, updated, duplicates FROM connect_lake.ingest_batch('ctr', ARRAY(SELECT doc FROM ct WHERE file = 1));
SELECT inserted, updated, duplicates FROM connect_lake.ingest_batch('ctr', ARRAY(SELECT doc FROM ct WHERE file = 2));
SELECT count(*) AS differ FROM (
  (SELECT * FROM ct_load EXCEPT SELECT contactid, initiationtimestamp, lastupdatetimestamp, agent_username, versions_seen FROM connect_lake.ctr_events)
  UNION ALL
  (SELECT contactid, initiationtimestamp, lastupdatetimestamp, agent_username, versions_seen FROM connect_lake.ctr_events EXCEPT SELECT * FROM ct_load)) d;

DROP TABLE connect_lake.contact_flow_log_p203101, connect_lake.contact_flow_log_p203102, connect_lake.ctr_events_p203103;

-- ---------- a loader role, not the owner: the lake's queue access (row-level
-- security on contact_events and ctr_events: true for everyone, a restrictive
-- SELECT policy for connect_lake_restricted only) lets every row through for
-- it, so its load() writes directly too.  Seen by an event already in the
-- partition, in a batch of new ones: the direct write inserts it and takes it
-- out again (a deletion in the partition's statistics, counted within the
-- transaction: pending statistics are not flushed inside a transaction
-- block), the statement's ON CONFLICT skips it (none).  Before session 8 any row-level security sent
-- every role but the owner to the statement.
\set ce1 :abs_builddir '/load_direct_ce_1.ndjson'
\set ce2 :abs_builddir '/load_direct_ce_2.ndjson'
CREATE TEMP TABLE ce (file int, doc jsonb);
INSERT INTO ce
  SELECT f, jsonb_build_object('version', '0', 'id', 'ld-ev-' || n, 'detail-type', 'Amazon Connect Contact Event',
              'source', 'aws.connect', 'account', '111122223333', 'time', '2031-04-01T10:00:0' || n || 'Z',
              'region', 'eu-west-2', 'resources', '[]'::jsonb,
              'detail', jsonb_build_object('eventType', 'INITIATED', 'channel', 'VOICE', 'initiationMethod', 'INBOUND',
                                           'contactId', 'd3000000-0000-4000-8000-00000000000' || n))
    FROM (VALUES (1, 1), (2, 1), (2, 2), (2, 3), (2, 4)) AS v(f, n);
COPY (SELECT doc FROM ce WHERE file = 1) TO :'ce1';
COPY (SELECT doc FROM ce WHERE file = 2) TO :'ce2';
-- a load() of contact events, and the rows it inserted into and deleted from
-- the partition of April 2031 in the transaction (the caller rolls it back)
CREATE FUNCTION pg_temp.load_counted(path text, OUT files_loaded bigint, OUT inserted bigint,
                                     OUT duplicates bigint, OUT inserted_here bigint, OUT deleted_here bigint)
LANGUAGE plpgsql AS $$
DECLARE
  ins0 bigint;
  del0 bigint;
BEGIN
  SELECT s.n_tup_ins, s.n_tup_del INTO ins0, del0
    FROM pg_stat_xact_user_tables s WHERE s.relid = 'connect_lake.contact_events_p203104'::regclass;
  SELECT l.files_loaded, l.inserted, l.duplicates INTO files_loaded, inserted, duplicates
    FROM connect_lake.load('contact_event', path) l;
  SELECT s.n_tup_ins - ins0, s.n_tup_del - del0 INTO inserted_here, deleted_here
    FROM pg_stat_xact_user_tables s WHERE s.relid = 'connect_lake.contact_events_p203104'::regclass;
END $$;
CREATE ROLE regress_cl_direct IN ROLE connect_lake_loader;
GRANT pg_read_server_files TO regress_cl_direct;
SET ROLE regress_cl_direct;
SELECT files_loaded, inserted, duplicates FROM connect_lake.load('contact_event', :'ce1');
BEGIN;
SELECT * FROM pg_temp.load_counted(:'ce2');
ROLLBACK;
-- a DBA's restrictive INSERT policy with a real check: the statement's way
RESET ROLE;
CREATE POLICY regress_only_voice ON connect_lake.contact_events_p203104 AS RESTRICTIVE FOR INSERT
  TO connect_lake_loader WITH CHECK (detail_channel = 'VOICE');
SET ROLE regress_cl_direct;
BEGIN;
SELECT * FROM pg_temp.load_counted(:'ce2');
ROLLBACK;
RESET ROLE;
DROP POLICY regress_only_voice ON connect_lake.contact_events_p203104;
DROP TABLE connect_lake.contact_events_p203104;
DELETE FROM connect_lake.load_manifest WHERE path LIKE '%/load_direct_%';
DROP ROLE regress_cl_direct;
DELETE FROM connect_lake.load_manifest WHERE path LIKE '%/load_direct_%';
