-- The direct writer's two ways with the key index (src/writer_direct.c),
-- checked where they meet: a row goes in with the key's entry checked
-- partially and is taken out again when the index flags it and another row
-- holds its key ("partial"), or is probed before it goes in ("probe", while
-- a partition is fed mostly duplicates: a run of 1000 rows mostly taken out
-- switches the rest of the batch, and a batch mostly of duplicates the
-- partition's next batch, dup_partition).  Whatever the way, every key lands
-- once, kept by the row that came first, and load()'s inserted and
-- duplicates are the rows landed and not.  The partition's n_tup_del in the
-- load's own transaction tells which way a batch took: partial takes each
-- duplicate out again, probe never inserts it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
SET TimeZone = 'UTC';
SET connect_lake.flows_upkeep = off;
SET connect_lake.metrics_upkeep = off;
\getenv abs_builddir PG_ABS_BUILDDIR
\set dir :abs_builddir '/load_direct_modes_'

-- flow log event i of month m (key: contactid from i, the month's first second, identifier)
CREATE FUNCTION pg_temp.ev(i int, m int, ident text DEFAULT 'x', results text DEFAULT 'r', params jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'ContactId', 'e1000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
    'Timestamp', format('2033-%s-01T10:00:00Z', lpad(m::text, 2, '0')),
    'ContactFlowModuleType', 'SetQueue', 'Identifier', ident, 'Results', results, 'Parameters', params))
$$;
CREATE FUNCTION pg_temp.write(name text, docs jsonb[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT unnest(%L::jsonb[])) TO %L', docs, current_setting('cl.dir') || name);
END $$;
SELECT set_config('cl.dir', :'dir', false) IS NOT NULL AS dir_set;
CREATE FUNCTION pg_temp.load(glob text, on_error text DEFAULT 'stop')
RETURNS TABLE (files_loaded bigint, files_failed bigint, inserted bigint, duplicates bigint) LANGUAGE sql AS $$
  SELECT files_loaded, files_failed, inserted, duplicates
    FROM connect_lake.load('contact_flow_log', current_setting('cl.dir') || glob, on_error)
$$;
-- rows inserted and deleted in the partition of month m since mark(m), in
-- one transaction (the backend's pending counts, flushed only when idle
-- outside a transaction)
CREATE TEMP TABLE marks (m int PRIMARY KEY, ins bigint, del bigint);
CREATE FUNCTION pg_temp.counts(m int, OUT ins bigint, OUT del bigint) LANGUAGE sql AS $$
  SELECT n_tup_ins, n_tup_del FROM pg_stat_xact_user_tables
   WHERE relid = format('connect_lake.contact_flow_log_p2033%s', lpad(m::text, 2, '0'))::regclass
$$;
CREATE FUNCTION pg_temp.mark(m int) RETURNS void LANGUAGE sql AS $$
  INSERT INTO marks SELECT m, c.ins, c.del FROM pg_temp.counts(m) c
    ON CONFLICT (m) DO UPDATE SET ins = excluded.ins, del = excluded.del
$$;
CREATE FUNCTION pg_temp.tups(m int, OUT inserted_in_heap bigint, OUT taken_out bigint) LANGUAGE sql AS $$
  SELECT c.ins - k.ins, c.del - k.del FROM pg_temp.counts(m) c, marks k WHERE k.m = $1
$$;
-- every key once, and which file each row came from
CREATE FUNCTION pg_temp.landed(m int) RETURNS TABLE (source text, rows bigint, keys bigint) LANGUAGE sql AS $$
  SELECT regexp_replace(source_file, '^.*load_direct_modes_', ''), count(*),
         count(DISTINCT (contactid, "timestamp", identifier, contactflowmoduletype))
    FROM connect_lake.contact_flow_log
   WHERE "timestamp" >= make_timestamptz(2033, m, 1, 0, 0, 0) AND "timestamp" < make_timestamptz(2033, m + 1, 1, 0, 0, 0)
   GROUP BY 1 ORDER BY 1
$$;

-- ---------- January: the ways switched within a batch and between loads
-- a1: keys 1..3000 (batches of 2000 and 1000), all new
SELECT pg_temp.write('a1.ndjson', ARRAY(SELECT pg_temp.ev(i, 1) FROM generate_series(1, 3000) i));
SELECT * FROM pg_temp.load('a1.ndjson');
-- a2: keys 1..1500 again and 3001..3500 new, one batch: its first run of
-- 1000 (in key order) all duplicates, taken out again; the rest probed first
-- (500 duplicates never inserted)
SELECT pg_temp.write('a2.ndjson', ARRAY(SELECT pg_temp.ev(i, 1) FROM generate_series(1, 1500) i
                                        UNION ALL SELECT pg_temp.ev(i, 1) FROM generate_series(3001, 3500) i));
BEGIN;
SELECT pg_temp.mark(1);
SELECT * FROM pg_temp.load('a2.ndjson');
SELECT * FROM pg_temp.tups(1);
COMMIT;
-- a3: keys 4001..5800 new and 1..200 again: the partition's last batch was
-- mostly duplicates, so this one is probed first (nothing taken out)
SELECT pg_temp.write('a3.ndjson', ARRAY(SELECT pg_temp.ev(i, 1) FROM generate_series(4001, 5800) i
                                        UNION ALL SELECT pg_temp.ev(i, 1) FROM generate_series(1, 200) i));
BEGIN;
SELECT pg_temp.mark(1);
SELECT * FROM pg_temp.load('a3.ndjson');
SELECT * FROM pg_temp.tups(1);
COMMIT;
-- a4: keys 5801..7700 new and 201..300 again: partial again (a3 was mostly
-- new), the 100 duplicates of the first run taken out, too few to switch
SELECT pg_temp.write('a4.ndjson', ARRAY(SELECT pg_temp.ev(i, 1) FROM generate_series(5801, 7700) i
                                        UNION ALL SELECT pg_temp.ev(i, 1) FROM generate_series(201, 300) i));
BEGIN;
SELECT pg_temp.mark(1);
SELECT * FROM pg_temp.load('a4.ndjson');
SELECT * FROM pg_temp.tups(1);
COMMIT;
-- a5, a6: the same rows in two files of one load, overlapping a1, a2 and
-- a4: keys 2901..3100 and 7601..7800
SELECT pg_temp.write('a5.ndjson', ARRAY(SELECT pg_temp.ev(i, 1) FROM generate_series(2901, 3100) i
                                        UNION ALL SELECT pg_temp.ev(i, 1) FROM generate_series(7601, 7800) i));
SELECT pg_temp.write('a6.ndjson', ARRAY(SELECT pg_temp.ev(i, 1) FROM generate_series(2901, 3100) i
                                        UNION ALL SELECT pg_temp.ev(i, 1) FROM generate_series(7601, 7800) i));
SELECT * FROM pg_temp.load('a[56].ndjson');
SELECT * FROM pg_temp.landed(1);
SELECT count(*) AS rows, count(DISTINCT contactid) AS keys FROM connect_lake.contact_flow_log_p203301;

-- ---------- February: NULL key parts (the key is UNIQUE NULLS NOT DISTINCT),
-- across loads and across files of one load, both ways
SELECT pg_temp.write('b1.ndjson', ARRAY(SELECT pg_temp.ev(i, 2, NULL) FROM generate_series(1, 10) i));
SELECT pg_temp.write('b2.ndjson', ARRAY(SELECT pg_temp.ev(i, 2, NULL) FROM generate_series(1, 15) i));
SELECT * FROM pg_temp.load('b1.ndjson');
-- b2 partial: its 10 duplicates flagged by the index and taken out
BEGIN;
SELECT pg_temp.mark(2);
SELECT * FROM pg_temp.load('b2.ndjson');
SELECT * FROM pg_temp.tups(2);
COMMIT;
-- both again in one load: probed first (the partition fed duplicates)
DELETE FROM connect_lake.load_manifest WHERE path LIKE '%/load_direct_modes_b%';
BEGIN;
SELECT pg_temp.mark(2);
SELECT * FROM pg_temp.load('b?.ndjson');
SELECT * FROM pg_temp.tups(2);
COMMIT;
SELECT * FROM pg_temp.landed(2);
SELECT count(*) AS null_identifiers FROM connect_lake.contact_flow_log_p203302 WHERE identifier IS NULL;

-- ---------- March: TOASTed rows delivered again are taken out with their TOAST
SELECT pg_temp.write('c1.ndjson', ARRAY(
  SELECT pg_temp.ev(i, 3, params => jsonb_build_object('blob',
           (SELECT string_agg(md5(i::text || ':' || j::text), '') FROM generate_series(1, 400) j)))
    FROM generate_series(1, 5) i));
SELECT * FROM pg_temp.load('c1.ndjson');
SELECT reltoastrelid::regclass AS toast FROM pg_class WHERE oid = 'connect_lake.contact_flow_log_p203303'::regclass \gset
SELECT count(*) AS toast_chunks_before FROM :toast \gset
DELETE FROM connect_lake.load_manifest WHERE path LIKE '%/load_direct_modes_c%';
BEGIN;
SELECT pg_temp.mark(3);
SELECT * FROM pg_temp.load('c1.ndjson');
SELECT * FROM pg_temp.tups(3);
COMMIT;
SELECT :toast_chunks_before > 0 AS toasted, count(*) - :toast_chunks_before AS toast_chunks_added FROM :toast;
SELECT count(*) AS rows, sum(length(parameters->>'blob')) AS blob_chars FROM connect_lake.contact_flow_log_p203303;

-- ---------- April: an error in the middle of a batch (after a run's duplicates
-- were taken out) fails the file with on_error 'skip'; the next file of the load
-- lands what the failed one left out, its duplicates counted as such
SELECT connect_lake.create_partition('connect_lake.contact_flow_log', '2033-04-01Z') IS NOT NULL AS created;
ALTER TABLE connect_lake.contact_flow_log_p203304 ALTER COLUMN results SET NOT NULL;
SELECT pg_temp.write('d0.ndjson', ARRAY(SELECT pg_temp.ev(i, 4) FROM generate_series(1, 300) i));
SELECT * FROM pg_temp.load('d0.ndjson');
-- d1: keys 1..1500, 1..300 duplicates; key 1200 (the second run) without Results
SELECT pg_temp.write('d1.ndjson', ARRAY(SELECT pg_temp.ev(i, 4, results => CASE WHEN i = 1200 THEN NULL ELSE 'r' END)
                                          FROM generate_series(1, 1500) i));
-- d2: keys 1..300 (duplicates) and 1001..1100, which d1 would have landed
SELECT pg_temp.write('d2.ndjson', ARRAY(SELECT pg_temp.ev(i, 4) FROM generate_series(1, 300) i
                                        UNION ALL SELECT pg_temp.ev(i, 4) FROM generate_series(1001, 1100) i));
SET client_min_messages = error;	-- the WARNING names the file by its path
SELECT * FROM pg_temp.load('d?.ndjson', 'skip');
SET client_min_messages = warning;
SELECT regexp_replace(path, '^.*load_direct_modes_', '') AS file, status, split_part(error, ' CONTEXT:', 1) AS error FROM connect_lake.load_manifest
 WHERE path LIKE '%/load_direct_modes_d%' ORDER BY 1;
SELECT * FROM pg_temp.landed(4);

-- ---------- contact_account, the CTRs' side table the direct writer takes
-- too (ctr_dims.c, no sort key): a newer version keeps, drops and adds
-- links, one with the same links makes them all duplicates, an older one
-- changes nothing; loaded again, nothing changes.  The links must be the
-- winning versions' and the same as ingest_batch() (the statement) makes.
CREATE FUNCTION pg_temp.ctr(c int, v int, accounts text, junifer text DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('ContactId', 'e2000000-0000-4000-8000-00000000000' || c, 'Channel', 'VOICE',
                            'InitiationTimestamp', '2033-05-01T10:00:0' || c || 'Z',
                            'LastUpdateTimestamp', '2033-05-01T11:00:0' || v || 'Z',
                            'Attributes', jsonb_strip_nulls(jsonb_build_object('accountNumbers', accounts, 'juniferId', junifer)))
$$;
CREATE TEMP TABLE ctrs (file int, doc jsonb);
INSERT INTO ctrs VALUES
  (1, pg_temp.ctr(1, 1, '101,102')), (1, pg_temp.ctr(2, 1, '201 202', '203')), (1, pg_temp.ctr(3, 2, '301')),
  (2, pg_temp.ctr(1, 2, '102;104')), (2, pg_temp.ctr(2, 2, '202,201', '203')), (2, pg_temp.ctr(3, 1, '399')),
  (2, pg_temp.ctr(4, 1, '401,401,0401'));
SELECT pg_temp.write('e1.ndjson', ARRAY(SELECT doc FROM ctrs WHERE file = 1));
SELECT pg_temp.write('e2.ndjson', ARRAY(SELECT doc FROM ctrs WHERE file = 2));
-- in one transaction, contact_account's rows inserted and deleted: e2's
-- four duplicate links inserted and taken out again (the statement would
-- insert none of them), and the replaced link 101 deleted
BEGIN;
SELECT n_tup_ins AS ins0, n_tup_del AS del0 FROM pg_stat_xact_user_tables
 WHERE relid = 'connect_lake.contact_account'::regclass \gset
SELECT files_loaded, inserted, updated, duplicates
  FROM connect_lake.load('ctr', current_setting('cl.dir') || 'e?.ndjson');
SELECT n_tup_ins - :ins0 AS inserted_in_heap, n_tup_del - :del0 AS deleted FROM pg_stat_xact_user_tables
 WHERE relid = 'connect_lake.contact_account'::regclass;
COMMIT;
CREATE TEMP TABLE links AS
  SELECT right(contactid::text, 1) AS contact, account, source FROM connect_lake.contact_account
   WHERE contactid::text LIKE 'e2000000-%';
SELECT * FROM links ORDER BY 1, 2;
DELETE FROM connect_lake.load_manifest WHERE path LIKE '%/load_direct_modes_e%';
SELECT files_loaded, inserted, updated, duplicates
  FROM connect_lake.load('ctr', current_setting('cl.dir') || 'e?.ndjson');
-- the statement's way, from scratch
DELETE FROM connect_lake.contact_account WHERE contactid::text LIKE 'e2000000-%';
DROP TABLE connect_lake.ctr_events_p203305;
SELECT inserted, updated, duplicates FROM connect_lake.ingest_batch('ctr', ARRAY(SELECT doc FROM ctrs WHERE file = 1));
SELECT inserted, updated, duplicates FROM connect_lake.ingest_batch('ctr', ARRAY(SELECT doc FROM ctrs WHERE file = 2));
SELECT count(*) AS differ FROM (
  (SELECT * FROM links EXCEPT SELECT right(contactid::text, 1), account, source FROM connect_lake.contact_account
                               WHERE contactid::text LIKE 'e2000000-%')
  UNION ALL
  (SELECT right(contactid::text, 1), account, source FROM connect_lake.contact_account
    WHERE contactid::text LIKE 'e2000000-%' EXCEPT SELECT * FROM links)) d;
DELETE FROM connect_lake.contact_account WHERE contactid::text LIKE 'e2000000-%';

DROP TABLE connect_lake.contact_flow_log_p203301, connect_lake.contact_flow_log_p203302,
           connect_lake.contact_flow_log_p203303, connect_lake.contact_flow_log_p203304,
           connect_lake.ctr_events_p203305;
DELETE FROM connect_lake.load_manifest WHERE path LIKE '%/load_direct_modes_%';
