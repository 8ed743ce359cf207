-- The lake's schema: every table and view, its columns and types, all documented.
CREATE EXTENSION connect_lake;

-- Not relocatable, installed in its own schema.
SELECT extname, extrelocatable, extnamespace::regnamespace AS schema
  FROM pg_extension WHERE extname = 'connect_lake';

-- Tables and views, with how they are partitioned.
SELECT c.relname, c.relkind,
       CASE WHEN p.partrelid IS NOT NULL THEN pg_get_partkeydef(c.oid) END AS partition_key
  FROM pg_class c
  LEFT JOIN pg_partitioned_table p ON p.partrelid = c.oid
 WHERE c.relnamespace = 'connect_lake'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'f')
 ORDER BY c.relname;

-- The warehouse's table names: views over the lake in a second schema of
-- the extension, amazon_connect_enriched (test warehouse).
SELECT pg_describe_object(d.classid, d.objid, 0) AS extension_schema
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'connect_lake'
 WHERE d.deptype = 'e' AND d.classid = 'pg_namespace'::regclass;
SELECT c.relname, c.relkind
  FROM pg_class c
 WHERE c.relnamespace = 'amazon_connect_enriched'::regnamespace
 ORDER BY c.relname;

-- The install script creates no partitions.
SELECT count(*) AS partitions
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE c.relnamespace = 'connect_lake'::regnamespace;

-- Every column of every table, with its type.
SELECT table_name, column_name, data_type
  FROM information_schema.columns
 WHERE table_schema = 'connect_lake'
   AND table_name IN (SELECT relname FROM pg_class
                       WHERE relnamespace = 'connect_lake'::regnamespace AND relkind IN ('r', 'p'))
 ORDER BY table_name, ordinal_position;

-- Unique keys of fact tables include the entity id and the partition key;
-- create_partition() puts them, and the indexes, on each partition.
SELECT f.relname, f.key_kind, f.key_columns,
       pg_get_partkeydef(format('connect_lake.%I', f.relname)::regclass) AS partition_key,
       f.indexes
  FROM connect_lake.fact_table f ORDER BY 1;
SELECT relname AS fact_table_missing_from_description
  FROM pg_class c JOIN pg_partitioned_table p ON p.partrelid = c.oid
 WHERE c.relnamespace = 'connect_lake'::regnamespace
   AND c.relname NOT IN (SELECT relname FROM connect_lake.fact_table);

-- No foreign keys between fact tables, no triggers on them.
SELECT conrelid::regclass, confrelid::regclass
  FROM pg_constraint
 WHERE contype = 'f'
   AND (conrelid IN (SELECT partrelid FROM pg_partitioned_table)
        OR confrelid IN (SELECT partrelid FROM pg_partitioned_table));
SELECT tgrelid::regclass, tgname FROM pg_trigger
 WHERE tgrelid IN (SELECT partrelid FROM pg_partitioned_table);

-- Documentation: tables, views, columns and functions without a comment (none expected).
SELECT c.relname AS undocumented_relation
  FROM pg_class c
 WHERE c.relnamespace IN ('connect_lake'::regnamespace, 'amazon_connect_enriched'::regnamespace)
   AND c.relkind IN ('r', 'p', 'v', 'f')
   AND obj_description(c.oid, 'pg_class') IS NULL;
SELECT c.oid::regclass AS relation, a.attname AS undocumented_column
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace IN ('connect_lake'::regnamespace, 'amazon_connect_enriched'::regnamespace)
   AND c.relkind IN ('r', 'p', 'v', 'f')
   AND col_description(c.oid, a.attnum) IS NULL
 ORDER BY 1, 2;
SELECT p.oid::regprocedure AS undocumented_function
  FROM pg_proc p
 WHERE p.pronamespace = 'connect_lake'::regnamespace
   AND obj_description(p.oid, 'pg_proc') IS NULL
 ORDER BY 1;

-- Configuration and user-data tables kept by pg_dump.
SELECT u.rel::regclass AS dumped, u.filter
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(rel, filter)
 WHERE e.extname = 'connect_lake' ORDER BY u.rel::regclass::text;

-- Roles exist; PUBLIC may not run anything that writes the lake or reads files.
SELECT rolname FROM pg_roles WHERE rolname LIKE 'connect_lake_%' ORDER BY 1;
SELECT p.oid::regprocedure AS public_may_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'connect_lake'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE')
   AND p.proname IN ('create_partition', 'ensure_partitions', 'ingest', 'ingest_batch', 'load', 'create_foreign_table')
 ORDER BY 1;
SELECT has_table_privilege('connect_lake_reader', 'connect_lake.ctr_events', 'SELECT') AS reader_reads,
       has_table_privilege('connect_lake_reader', 'connect_lake.ctr_events', 'INSERT') AS reader_writes,
       has_table_privilege('connect_lake_loader', 'connect_lake.ctr_events', 'INSERT') AS loader_writes;
