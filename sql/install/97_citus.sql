-- Scaling out on Citus: distribute() and undistribute().
--
-- A lake on a Citus coordinator is distributed in place by distribute():
--   - the fact tables by their entity id, in two colocation groups, so that
--     everything about one contact, or one case, lies on one node and the
--     joins the views make run on the workers: ctr_events (contactid),
--     contact_events (detail_contactid) and contact_flow_log (contactid);
--     case_events (detail_case_caseid), case_related_items
--     (detail_relateditem_caseid) and case_state (detail_case_caseid);
--     agent_events by agentarn in a group of its own (an agent's events
--     join nothing else by agent);
--   - the dimensions, the configuration the parsers and working-day
--     functions read on every node, and the loader's bookkeeping as
--     reference tables (a copy on every node): agent_dim, queue_dim,
--     queue_name_history, contact_account, case_field_map, ctr_attribute_map,
--     calendar, holiday, fact_table, load_manifest, load_rejects.
-- The metric tables (contact_metric, the rollups and their configuration)
-- and case_status stay on the coordinator: the metrics are made from the
-- facts there, and case_status is compiled into case_status_is_open(),
-- whose body case_status_compile() gives the workers too.
-- Partitions that create_partition() makes later are distributed by Citus
-- with their parent.
--
-- The case range functions (case_backlog, case_volume_daily ...) and the
-- metrics' queue_metrics() and agent_metrics() (which name the reference
-- tables queue_dim and agent_dim) are plain SQL, which PostgreSQL inlines
-- into the caller's query; Citus cannot plan an inlined function over its
-- tables, so distribute() gives each
-- the same query as PL/pgSQL (RETURN QUERY, planned with its arguments as
-- values); citus_swap_functions(false) gives the SQL back.  A plain lake
-- keeps its inlined functions.

-- The functions distribute() turns into PL/pgSQL, and how: the SQL body as
-- it is, between a fixed head and tail (so that it can be taken out again).
CREATE FUNCTION connect_lake.citus_range_functions() RETURNS regprocedure[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT ARRAY['connect_lake.case_backlog(timestamptz)', 'connect_lake.case_volume_daily(date, date)',
                 'connect_lake.open_case_backlog(date, date)', 'connect_lake.complaints_daily(date, date)',
                 'connect_lake.complaints_by_subject(date, date)', 'connect_lake.cases_by_category(date, date)',
                 'connect_lake.overdue_cases(date, date)',
                 'connect_lake.queue_metrics(text, timestamptz, timestamptz, text, integer, text)',
                 'connect_lake.agent_metrics(text, timestamptz, timestamptz, text)']::regprocedure[]
  $fn$;
COMMENT ON FUNCTION connect_lake.citus_range_functions() IS
  'The SQL functions over distributed or reference tables that distribute() turns into PL/pgSQL with the same query (Citus cannot plan them inlined).';

-- Whether the lake is distributed: ctr_events is in Citus's metadata.
CREATE FUNCTION connect_lake.is_distributed() RETURNS boolean
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
    RETURN false;
  END IF;
  RETURN EXISTS (SELECT FROM pg_catalog.pg_dist_partition p
                  WHERE p.logicalrelid = 'connect_lake.ctr_events'::regclass);
END
$fn$;
COMMENT ON FUNCTION connect_lake.is_distributed() IS
  'Whether the lake''s tables are distributed on Citus (distribute() ran).';

-- Each range function as SQL (to_plpgsql false) or PL/pgSQL (true), the
-- same query either way.
CREATE FUNCTION connect_lake.citus_swap_functions(to_plpgsql boolean) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  head constant text := E'\n#variable_conflict use_column\nBEGIN\nRETURN QUERY\n';
  tail constant text := E';\nEND\n';
  f    regprocedure;
  src  text;
  lang name;
  def  text;
BEGIN
  FOREACH f IN ARRAY connect_lake.citus_range_functions() LOOP
    SELECT p.prosrc, l.lanname INTO src, lang
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = f;
    IF to_plpgsql AND lang = 'sql' THEN
      src := head || src || tail;
    ELSIF NOT to_plpgsql AND lang = 'plpgsql'
          AND left(src, length(head)) = head AND right(src, length(tail)) = tail THEN
      src := substr(src, length(head) + 1, length(src) - length(head) - length(tail));
    ELSE
      CONTINUE;
    END IF;
    -- pg_get_functiondef's head (name, arguments, result, LANGUAGE,
    -- volatility, PARALLEL) with the other language and body
    def := pg_get_functiondef(f);
    def := left(def, strpos(def, E'\nAS $function$') - 1);
    def := replace(def, E'\n LANGUAGE ' || lang || E'\n',
                   E'\n LANGUAGE ' || CASE WHEN to_plpgsql THEN 'plpgsql' ELSE 'sql' END || E'\n');
    EXECUTE def || E'\nAS ' || quote_literal(src);
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION connect_lake.citus_swap_functions(boolean) IS
  'Gives the functions of citus_range_functions() their query as PL/pgSQL (true, for Citus; distribute() does) or back as the inlinable SQL they had (false).';

CREATE FUNCTION connect_lake.distribute()
RETURNS TABLE (table_name regclass, method text, distribution_column name, colocated_with regclass)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r   record;
  idx text;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
    RAISE EXCEPTION 'connect_lake.distribute() needs Citus: the citus extension is not installed in this database'
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Add citus to shared_preload_libraries, CREATE EXTENSION citus, add the worker nodes, then call distribute() on the coordinator.';
  END IF;
  IF NOT (SELECT c FROM pg_catalog.citus_is_coordinator() c) THEN
    RAISE EXCEPTION 'connect_lake.distribute() must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Call it on the coordinator: SELECT nodename, nodeport FROM pg_dist_node WHERE groupid = 0.';
  END IF;
  -- The coordinator keeps a copy of the reference tables, which its
  -- calendar and attribute-map caches read: it must be in the metadata.
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_node WHERE groupid = 0) THEN
    RAISE EXCEPTION 'the Citus coordinator is not in its own metadata'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run SELECT citus_set_coordinator_host(''<its host>'', <its port>); first.';
  END IF;
  IF connect_lake.is_distributed() THEN
    RAISE EXCEPTION 'the lake is already distributed'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'SELECT logicalrelid, partmethod FROM pg_dist_partition lists the distributed tables.';
  END IF;
  -- Access by queue is not kept on a distributed lake (Citus takes no
  -- sub-select in a policy of a distributed table): a lake with
  -- restrictions is not distributed, and the policies go.
  IF EXISTS (SELECT FROM connect_lake.queue_access) THEN
    RAISE EXCEPTION 'the lake has queue restrictions, which a distributed lake cannot keep'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'SELECT * FROM connect_lake.queue_restrictions lists them; lift them (lift_queue_restriction()) first.';
  END IF;
  FOR r IN
    SELECT c.oid::regclass AS t
      FROM connect_lake.queue_access_tables q
      JOIN pg_class p ON p.relname = q.table_name AND p.relnamespace = 'connect_lake'::regnamespace
      JOIN pg_class c ON c.oid = p.oid
                      OR c.oid IN (SELECT i.relid FROM pg_partition_tree(p.oid) i WHERE i.relid <> p.oid)
     ORDER BY c.oid
  LOOP
    EXECUTE format('DROP POLICY IF EXISTS queue_access_restrict ON %s', r.t);
    EXECUTE format('DROP POLICY IF EXISTS queue_access_all ON %s', r.t);
    EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', r.t);
  END LOOP;

  -- The workers' copies of the extension link holiday to calendar too,
  -- which would stop the key being made again below.  First, before this
  -- transaction locks anything on them (the command commits there at once).
  FOR r IN SELECT * FROM run_command_on_workers(
      'ALTER TABLE connect_lake.holiday DROP CONSTRAINT IF EXISTS holiday_calendar_fkey') WHERE NOT success
  LOOP
    RAISE EXCEPTION 'connect_lake.distribute(): Citus worker %:% failed: %', r.nodename, r.nodeport, r.result
      USING ERRCODE = 'connection_failure';
  END LOOP;

  -- One transaction: DDL on reference tables after the distributed ones
  -- must not run in parallel, and the configuration tables keep their
  -- triggers (their caches are invalidated on each node).
  PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
  PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);

  -- The bundled calendars are read-only to everyone but the extension's
  -- scripts: the guards stand aside while Citus copies the rows.  The
  -- foreign key from holiday to calendar is made again between the
  -- reference tables (Citus will not distribute either while it links them).
  ALTER TABLE connect_lake.calendar DISABLE TRIGGER calendar_guard;
  ALTER TABLE connect_lake.calendar DISABLE TRIGGER calendar_guard_truncate;
  ALTER TABLE connect_lake.holiday DISABLE TRIGGER holiday_guard;
  ALTER TABLE connect_lake.holiday DISABLE TRIGGER holiday_guard_truncate;
  ALTER TABLE connect_lake.holiday DROP CONSTRAINT holiday_calendar_fkey;

  FOR r IN SELECT * FROM (VALUES
      (1, 'connect_lake.ctr_events'::regclass, 'contactid'::name, NULL::regclass),
      (2, 'connect_lake.contact_events', 'detail_contactid', 'connect_lake.ctr_events'),
      (3, 'connect_lake.contact_flow_log', 'contactid', 'connect_lake.ctr_events'),
      (4, 'connect_lake.case_events', 'detail_case_caseid', NULL),
      (5, 'connect_lake.case_related_items', 'detail_relateditem_caseid', 'connect_lake.case_events'),
      (6, 'connect_lake.case_state', 'detail_case_caseid', 'connect_lake.case_events'),
      (7, 'connect_lake.agent_events', 'agentarn', NULL)) AS d(o, t, c, w) ORDER BY o
  LOOP
    PERFORM create_distributed_table(r.t, r.c, colocate_with => coalesce(r.w::text, 'none'));
    table_name := r.t; method := 'distributed'; distribution_column := r.c; colocated_with := r.w;
    RETURN NEXT;
  END LOOP;
  FOR r IN SELECT * FROM unnest(ARRAY['connect_lake.calendar', 'connect_lake.holiday', 'connect_lake.fact_table',
                                      'connect_lake.ctr_attribute_map', 'connect_lake.case_field_map',
                                      'connect_lake.agent_dim', 'connect_lake.queue_dim',
                                      'connect_lake.queue_name_history', 'connect_lake.contact_account',
                                      'connect_lake.load_manifest', 'connect_lake.load_rejects']::regclass[])
                        WITH ORDINALITY AS u(t, o) ORDER BY o
  LOOP
    PERFORM create_reference_table(r.t);
    table_name := r.t; method := 'reference'; distribution_column := NULL; colocated_with := NULL;
    RETURN NEXT;
  END LOOP;

  -- The key is made once more, between the reference tables, on every node.
  ALTER TABLE connect_lake.holiday ADD CONSTRAINT holiday_calendar_fkey
    FOREIGN KEY (calendar) REFERENCES connect_lake.calendar (name) ON UPDATE CASCADE ON DELETE CASCADE;
  ALTER TABLE connect_lake.calendar ENABLE TRIGGER calendar_guard;
  ALTER TABLE connect_lake.calendar ENABLE TRIGGER calendar_guard_truncate;
  ALTER TABLE connect_lake.holiday ENABLE TRIGGER holiday_guard;
  ALTER TABLE connect_lake.holiday ENABLE TRIGGER holiday_guard_truncate;

  PERFORM connect_lake.citus_swap_functions(true);
  -- The case rules as the coordinator has them (case_status_compile()
  -- keeps them so after each change of case_status); the workers built
  -- case_state's index by their own rule: made anew when the DBA has one.
  PERFORM connect_lake.case_status_compile();
  IF EXISTS (SELECT FROM connect_lake.case_status) THEN
    idx := pg_get_indexdef('connect_lake.case_state_open_idx'::regclass);
    DROP INDEX connect_lake.case_state_open_idx;
    EXECUTE idx;
  END IF;
END
$fn$;
COMMENT ON FUNCTION connect_lake.distribute() IS
  'On a Citus coordinator: distributes the lake in place (fact tables by contact id or case id, colocated; agent_events by agent; dimensions, configuration and the load manifest as reference tables) and gives the case range functions their PL/pgSQL form; returns each table and how it is distributed.';

-- Taking a lake off Citus, before DROP EXTENSION or to go back to one
-- server.  Citus's undistribute_table() cannot be used: it refuses tables
-- that belong to an extension, and made anew (as it makes them) a table
-- would lose its comments, grants, indexes and membership of the extension.
-- So each table stays the table it is: its rows are read through Citus
-- into a temporary table, Citus forgets the table as its own drop trigger
-- does (metadata on the workers, the shards, pg_dist_partition; partitions
-- first, their shards going with their parent's), its TRUNCATE trigger is
-- dropped, and at the end every table takes back its rows (what it held
-- when it was distributed is still on disk: emptied first).  The case range
-- functions get their inlinable SQL back, and what a distributed lake does
-- not keep (agent activity, the flow funnels, the repeat contacts) is made
-- for what the lake holds.
CREATE FUNCTION connect_lake.undistribute()
RETURNS TABLE (table_name regclass, method text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r     record;
  p     record;
  done  regclass[] := '{}';
  tbl   regclass;
BEGIN
  IF NOT connect_lake.is_distributed() THEN
    RAISE NOTICE 'the lake is not distributed: nothing to do';
    RETURN;
  END IF;
  IF NOT (SELECT c FROM pg_catalog.citus_is_coordinator() c) THEN
    RAISE EXCEPTION 'connect_lake.undistribute() must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Call it on the coordinator: SELECT nodename, nodeport FROM pg_dist_node WHERE groupid = 0.';
  END IF;
  PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);

  FOR r IN
    SELECT d.logicalrelid AS t, d.partmethod, c.relname
      FROM pg_dist_partition d JOIN pg_class c ON c.oid = d.logicalrelid
     WHERE c.relnamespace = 'connect_lake'::regnamespace AND NOT c.relispartition
     ORDER BY d.partmethod, c.relname
  LOOP
    EXECUTE format('CREATE TEMP TABLE %I ON COMMIT DROP AS SELECT * FROM %s', 'undistribute_' || r.relname, r.t);
    FOR p IN SELECT i.inhrelid AS t, c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = r.t AND EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = i.inhrelid)
    LOOP
      PERFORM master_remove_distributed_table_metadata_from_workers(p.t, 'connect_lake', p.relname);
      PERFORM citus_drop_all_shards(p.t, 'connect_lake', p.relname, true);
      PERFORM master_remove_partition_metadata(p.t, 'connect_lake', p.relname);
    END LOOP;
    PERFORM master_remove_distributed_table_metadata_from_workers(r.t, 'connect_lake', r.relname);
    PERFORM citus_drop_all_shards(r.t, 'connect_lake', r.relname, false);
    PERFORM master_remove_partition_metadata(r.t, 'connect_lake', r.relname);
    FOR p IN SELECT g.tgname, g.tgrelid FROM pg_trigger g
              WHERE g.tgfoid = 'citus_truncate_trigger'::regproc
                AND (g.tgrelid = r.t OR g.tgrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = r.t))
    LOOP
      EXECUTE format('DROP TRIGGER %I ON %s', p.tgname, p.tgrelid::regclass);
    END LOOP;
    done := done || r.t;
    table_name := r.t; method := CASE r.partmethod WHEN 'h' THEN 'distributed' ELSE 'reference' END;
    RETURN NEXT;
  END LOOP;

  -- The rows back, the triggers and keys standing aside as for a restore
  -- (the bundled calendars' guards among them).
  PERFORM set_config('session_replication_role', 'replica', true);
  EXECUTE (SELECT 'TRUNCATE ' || string_agg(t::text, ', ') FROM unnest(done) t);
  FOREACH tbl IN ARRAY done LOOP
    EXECUTE format('INSERT INTO %s SELECT * FROM %I', tbl, 'undistribute_' || (SELECT relname FROM pg_class WHERE oid = tbl));
  END LOOP;
  PERFORM set_config('session_replication_role', 'origin', true);
  PERFORM connect_lake.citus_swap_functions(false);
  -- What a distributed lake does not keep, made for what it holds.
  PERFORM connect_lake.agent_activity_refresh();
  PERFORM connect_lake.flows_refresh();
  PERFORM connect_lake.contact_repeat_refresh();
END
$fn$;
COMMENT ON FUNCTION connect_lake.undistribute() IS
  'The reverse of distribute(), on the Citus coordinator: every table of the lake back on this server with its rows, its indexes, comments, grants and extension membership unchanged, the case range functions inlinable SQL again, agent activity, flows and repeat contacts made for what the lake holds; returns each table and how it was distributed. On a lake that is not distributed: a notice, nothing changed.';

REVOKE ALL ON FUNCTION connect_lake.distribute() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.undistribute() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.citus_swap_functions(boolean) FROM PUBLIC;
