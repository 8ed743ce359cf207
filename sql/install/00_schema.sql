-- Schema-wide objects: roles and on-demand monthly partitions.
--
-- Every fact table of the lake is range-partitioned by month on its event
-- time.  The install script creates no partitions: the code that writes rows
-- (ingest(), load()) creates the month it needs through create_partition(),
-- so any date loads.  A DBA who inserts rows by hand calls
-- ensure_partitions() for the range first.
--
-- Keys and indexes live on the partitions, not on the partitioned parents
-- (pg_partman's template approach): the parents belong to the extension, and
-- a parent index would make pg_restore's ATTACH PARTITION build partition
-- indexes that the dump then creates a second time.  Every unique key
-- includes the partition key, so a key unique in each partition is unique in
-- the table; upserts name the partition (create_partition() returns it).

COMMENT ON SCHEMA connect_lake IS
  'Amazon Connect contact-centre data lake: contact trace records, contact flow logs, contact, case and agent events, dimensions and the working-day calendar.';

-- Roles are cluster-wide: create them once, whichever database installs first.
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'connect_lake_reader') THEN
    CREATE ROLE connect_lake_reader NOLOGIN;
    COMMENT ON ROLE connect_lake_reader IS 'connect_lake: may read every table and view analysts need.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'connect_lake_loader') THEN
    CREATE ROLE connect_lake_loader NOLOGIN;
    COMMENT ON ROLE connect_lake_loader IS 'connect_lake: may write records into the lake (ingest(); load() also needs pg_read_server_files).';
  END IF;
END
$roles$;

CREATE TABLE connect_lake.fact_table (
  relname      name PRIMARY KEY,
  key_columns  name[] NOT NULL,
  key_kind     text NOT NULL DEFAULT 'PRIMARY KEY'
               CHECK (key_kind IN ('PRIMARY KEY', 'UNIQUE NULLS NOT DISTINCT')),
  indexes      text[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE connect_lake.fact_table IS
  'The lake''s partitioned fact tables: the unique key and indexes create_partition() gives each monthly partition.';
COMMENT ON COLUMN connect_lake.fact_table.relname IS 'A partitioned table in schema connect_lake.';
COMMENT ON COLUMN connect_lake.fact_table.key_columns IS 'Columns of the unique key: the entity id first, the partition key included.';
COMMENT ON COLUMN connect_lake.fact_table.key_kind IS 'PRIMARY KEY, or UNIQUE NULLS NOT DISTINCT when a key column may be NULL.';
COMMENT ON COLUMN connect_lake.fact_table.indexes IS 'Further indexes of each partition, as the text after CREATE INDEX ON <partition>, e.g. (agent_id, initiationtimestamp).';

-- The month partition of a lake table holding ts; created when missing.
-- SECURITY DEFINER so that a loader who does not own the lake's tables can
-- still add a month; restricted to the lake's own partitioned tables.
--
-- A new month is created as a table of its own and then attached (ALTER
-- TABLE ... ATTACH PARTITION), not with CREATE TABLE ... PARTITION OF: both
-- keep their lock on the parent to the end of the transaction, which for a
-- load() is the end of the whole call, but PARTITION OF takes ACCESS
-- EXCLUSIVE (every SELECT on the table waits for the load) where ATTACH
-- takes SHARE UPDATE EXCLUSIVE, which lets SELECT, INSERT, UPDATE and
-- DELETE go on.  The new table is empty, so attaching it scans nothing.
-- Names are <table>_pYYYYMM, with "bc" appended before the common era, so
-- that 4713 BC and AD 4713 are two months.
CREATE FUNCTION connect_lake.create_partition(parent regclass, ts timestamptz)
RETURNS regclass
LANGUAGE plpgsql
VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  relname  name;
  month    timestamp;
  part     text;
  existing regclass;
  fact     connect_lake.fact_table;
  idx      text;
BEGIN
  SELECT f.* INTO fact
    FROM pg_class c
    JOIN connect_lake.fact_table f ON f.relname = c.relname
   WHERE c.oid = parent AND c.relkind = 'p'
     AND c.relnamespace = 'connect_lake'::regnamespace;
  relname := fact.relname;
  IF relname IS NULL THEN
    RAISE EXCEPTION 'relation "%" is not a partitioned table of the lake', parent
      USING ERRCODE = 'wrong_object_type',
            HINT = 'Partitions are created only for connect_lake''s own fact tables.';
  END IF;
  IF NOT isfinite(ts) THEN
    RAISE EXCEPTION 'cannot create a partition of "%" for timestamp %', relname, ts
      USING ERRCODE = 'datetime_field_overflow';
  END IF;

  month := date_trunc('month', ts AT TIME ZONE 'UTC');
  part  := format('%s_p%s%s', relname, to_char(month, 'YYYYMM'),
                  CASE WHEN month < '0001-01-01'::timestamp THEN 'bc' ELSE '' END);
  existing := to_regclass(format('connect_lake.%I', part));
  IF existing IS NOT NULL THEN
    RETURN existing;
  END IF;

  -- Serialise concurrent writers that need a month of this table, then
  -- look again: in the catalog itself (to_regclass may answer from this
  -- session's cache, which has not seen a partition committed while we
  -- waited).  SHARE UPDATE EXCLUSIVE is the lock ATTACH PARTITION takes
  -- anyway: readers and writers of the table are not stopped by it.
  EXECUTE format('LOCK TABLE connect_lake.%I IN SHARE UPDATE EXCLUSIVE MODE', relname);
  SELECT c.oid::regclass INTO existing FROM pg_class c
   WHERE c.relname = part AND c.relnamespace = 'connect_lake'::regnamespace;
  IF existing IS NOT NULL THEN
    RETURN existing;
  END IF;

  EXECUTE format(
    'CREATE TABLE connect_lake.%I (LIKE connect_lake.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)',
    part, relname);
  EXECUTE format('ALTER TABLE connect_lake.%I ADD CONSTRAINT %I %s (%s)',
                 part, part || '_key', fact.key_kind,
                 (SELECT string_agg(quote_ident(k), ', ') FROM unnest(fact.key_columns) k));
  -- A replica identity on every partition (logical replication, Citus's
  -- online shard moves): its primary key, or the whole row when the key is
  -- only unique (a key column may be NULL).
  IF fact.key_kind <> 'PRIMARY KEY' THEN
    EXECUTE format('ALTER TABLE connect_lake.%I REPLICA IDENTITY FULL', part);
  END IF;
  FOREACH idx IN ARRAY fact.indexes LOOP
    EXECUTE format('CREATE INDEX ON connect_lake.%I %s', part, idx);
  END LOOP;
  EXECUTE format(
    'ALTER TABLE connect_lake.%I ATTACH PARTITION connect_lake.%I FOR VALUES FROM (%L) TO (%L)',
    relname, part,
    (month AT TIME ZONE 'UTC')::text,
    ((month + interval '1 month') AT TIME ZONE 'UTC')::text);
  -- Writers (ingest(), load()) insert into the partition itself, which
  -- checks the partition's privileges: give it the parent's grants.
  FOR idx IN
    SELECT format('GRANT %s ON connect_lake.%I TO %s', a.privilege_type, part,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END)
      FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.oid = parent AND a.grantee <> c.relowner
  LOOP
    EXECUTE idx;
  END LOOP;
  -- Access by queue: under row-level security, the parent's queue policies
  -- go on the new month too (a partition can be read directly).
  IF (SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = parent) THEN
    PERFORM connect_lake.queue_access_secure(format('connect_lake.%I', part)::regclass, q.queue_expr)
       FROM connect_lake.queue_access_tables q WHERE q.table_name = relname;
  END IF;
  RETURN format('connect_lake.%I', part)::regclass;
END
$fn$;

COMMENT ON FUNCTION connect_lake.create_partition(regclass, timestamptz) IS
  'Returns the monthly partition (UTC months, named <table>_pYYYYMM, "bc" appended before the common era) of a lake fact table that holds ts, creating it when missing; attaches a new month with a lock that lets readers and writers of the table go on.';

CREATE FUNCTION connect_lake.ensure_partitions(parent regclass, from_ts timestamptz, to_ts timestamptz)
RETURNS SETOF regclass
LANGUAGE sql
VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT connect_lake.create_partition(parent, m)
    FROM generate_series(date_trunc('month', from_ts AT TIME ZONE 'UTC'),
                         date_trunc('month', to_ts AT TIME ZONE 'UTC'),
                         interval '1 month') AS g(mu),
         LATERAL (SELECT mu AT TIME ZONE 'UTC') AS l(m)
$fn$;

COMMENT ON FUNCTION connect_lake.ensure_partitions(regclass, timestamptz, timestamptz) IS
  'Creates the monthly partitions of a lake fact table covering from_ts to to_ts; for hand-written INSERTs (ingest() and load() create partitions themselves).';

-- Sessions cache the configuration tables a DBA edits (calendar, holiday,
-- ctr_attribute_map); each has a statement trigger running this function,
-- which tells every session to re-read the table (src/config_cache.h).
CREATE FUNCTION connect_lake.config_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'config_changed' LANGUAGE C;
COMMENT ON FUNCTION connect_lake.config_changed() IS
  'Trigger of the configuration tables sessions cache (calendar, holiday, ctr_attribute_map): makes every session re-read the table after a change (at its next statement; this session at its next command).';
