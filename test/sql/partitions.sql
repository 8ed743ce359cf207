-- Monthly partitions are created on demand, by UTC month, for any date.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
SET TimeZone = 'America/New_York';

SELECT connect_lake.create_partition('connect_lake.contact_flow_log', '2024-01-31 23:30:00-05');  -- Feb in UTC
SELECT connect_lake.create_partition('connect_lake.contact_flow_log', '2024-02-10 00:00:00Z');    -- same month: reused
SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'contact_flow_log_p202402';
-- Each partition gets the table's unique key and indexes.
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'connect_lake.contact_flow_log_p202402'::regclass;
SELECT connect_lake.create_partition('connect_lake.ctr_events', '2024-02-10 00:00:00Z');
SELECT indexrelid::regclass, pg_get_indexdef(indexrelid) FROM pg_index
 WHERE indrelid = 'connect_lake.ctr_events_p202402'::regclass ORDER BY indexrelid;
SELECT * FROM connect_lake.ensure_partitions('connect_lake.case_events', '1999-12-15', '2000-02-01');
SELECT connect_lake.create_partition('connect_lake.ctr_events', '2261-01-01Z');  -- far future is fine

-- Bad input: not a lake table, not partitioned, infinite.
SELECT connect_lake.create_partition('pg_class', now());
SELECT connect_lake.create_partition('connect_lake.load_manifest', now());
SELECT connect_lake.create_partition('connect_lake.ctr_events', 'infinity');
SELECT connect_lake.create_partition(NULL, now()) IS NULL AS strict;

-- Rows land in their month; the key holds through the parent, NULLs included.
INSERT INTO connect_lake.contact_flow_log (contactid, "timestamp", identifier, contactflowmoduletype)
VALUES ('11111111-2222-3333-4444-555555555555', '2024-02-29 12:00:00Z', 'b1', 'SetQueue'),
       ('11111111-2222-3333-4444-555555555555', '2024-02-29 12:00:00Z', NULL, 'SetQueue');
SELECT tableoid::regclass, identifier FROM connect_lake.contact_flow_log;
INSERT INTO connect_lake.contact_flow_log (contactid, "timestamp", identifier, contactflowmoduletype)
VALUES ('11111111-2222-3333-4444-555555555555', '2024-02-29 12:00:00Z', NULL, 'SetQueue');
-- Upserts name the partition.
INSERT INTO connect_lake.contact_flow_log_p202402 (contactid, "timestamp", identifier, contactflowmoduletype)
VALUES ('11111111-2222-3333-4444-555555555555', '2024-02-29 12:00:00Z', 'b1', 'SetQueue')
ON CONFLICT (contactid, "timestamp", identifier, contactflowmoduletype) DO NOTHING;

-- A month with no partition is an error that names the table (hand-written inserts call ensure_partitions first).
INSERT INTO connect_lake.contact_flow_log (contactid, "timestamp") VALUES ('11111111-2222-3333-4444-555555555555', '2030-05-01Z');

-- A loader that does not own the lake may still add a month; PUBLIC may not.
CREATE ROLE cl_test_loader IN ROLE connect_lake_loader;
CREATE ROLE cl_test_nobody;
SET ROLE cl_test_loader;
SELECT connect_lake.create_partition('connect_lake.agent_events', '2024-05-05Z');
RESET ROLE;
SET ROLE cl_test_nobody;
SELECT connect_lake.create_partition('connect_lake.agent_events', '2024-06-05Z');
RESET ROLE;
DROP ROLE cl_test_loader, cl_test_nobody;
