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
-- keeps its inlined functions.  The agent timeline's building blocks
-- (agent_ranges, agent_timeline_segments, agent_offers) join each event to
-- the same agent's events before and after it, which Citus cannot plan over
-- agent_events: their PL/pgSQL form first copies the events of the agents
-- asked for (every agent: NULL) into a temporary table (citus_fact_rows())
-- and runs the same query over the copy.  So do contact_journey() (the
-- legs' flow logs, contact events, case links and case events, the agents'
-- events while they had a leg) and customer_journey() (the CTRs of the
-- account's contacts, its cases and their events).  The PL/pgSQL functions
-- of the writers' upkeep (contact_repeat_refresh, flows_refresh_days,
-- flows_ctrs_landed, agent_activity_upkeep) and contact_legs_ctr make their
-- copy themselves when the lake is distributed; distribute() points the
-- statements that read it at the copy.

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
                 'connect_lake.queue_metrics_daily(date, date)',
                 'connect_lake.agent_metrics(text, timestamptz, timestamptz, text)',
                 'connect_lake.agent_activity_metrics(text, timestamptz, timestamptz, text)']::regprocedure[]
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

-- What a statement of the side tables (or a journey) reads of a fact table:
-- on a distributed lake, where Citus cannot plan the statement over the
-- table (a lateral subquery per row of a local table, a join it does not
-- co-locate), a temporary copy of the rows it needs, taken with one filtered
-- SELECT that Citus sends to the shards (filter: a condition on the table's
-- row f, with $1 the ids, $2 and $3 the times given); on a plain lake the
-- table itself, nothing copied.  The statements read the copy by its name
-- (citus_swap_functions() points them at it).
CREATE FUNCTION connect_lake.citus_fact_rows(fact regclass, copy name, filter text, ids anyarray,
                                             lo timestamptz DEFAULT NULL, hi timestamptz DEFAULT NULL)
RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF NOT connect_lake.is_distributed() THEN
    RETURN fact::text;
  END IF;
  IF to_regclass('pg_temp.' || quote_ident(copy)) IS NULL THEN
    EXECUTE format('CREATE TEMP TABLE %I (LIKE %s) ON COMMIT DROP', copy, fact);
  ELSE
    EXECUTE format('TRUNCATE pg_temp.%I', copy);
  END IF;
  EXECUTE format('INSERT INTO pg_temp.%I SELECT * FROM %s f WHERE %s', copy, fact, filter) USING ids, lo, hi;
  EXECUTE format('ANALYZE pg_temp.%I', copy);
  RETURN 'pg_temp.' || quote_ident(copy);
END
$fn$;
COMMENT ON FUNCTION connect_lake.citus_fact_rows(regclass, name, text, anyarray, timestamptz, timestamptz) IS
  'For the side tables'' upkeep: on a lake distributed on Citus, copies the rows of fact (alias f) that match filter ($1 ids, $2 lo, $3 hi) into the temporary table copy (dropped at commit) and returns its name; on a plain lake returns fact, nothing copied.';

-- Each range function as SQL (to_plpgsql false) or PL/pgSQL (true), the
-- same query either way.
CREATE FUNCTION connect_lake.citus_swap_functions(to_plpgsql boolean) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  head constant text := E'\n#variable_conflict use_column\nBEGIN\nRETURN QUERY\n';
  tail constant text := E';\nEND\n';
  f       regprocedure;
  copies  text[];
  stable  boolean;
  inplace boolean;
  done    boolean;
  i       integer;
  hd      text;
  src     text;
  lang    name;
  vol     "char";
  def     text;
BEGIN
  -- The range functions, then those that read copies on Citus, each with
  -- what it reads: the text that names the table in its body (replaced by
  -- the copy's name), the copy, and for an SQL function the filter and the
  -- arguments of the citus_fact_rows() call its PL/pgSQL form makes first
  -- (a PL/pgSQL function makes its copy itself when the lake is
  -- distributed); stable: STABLE PARALLEL SAFE on a plain lake, VOLATILE
  -- PARALLEL UNSAFE on Citus (it writes the copy, and must see it).
  FOR f, copies, stable IN
    SELECT u.f, NULL, false FROM unnest(connect_lake.citus_range_functions()) u(f)
    UNION ALL
    SELECT v.f::regprocedure, array_agg(ARRAY[v.target, v.cp, v.filter, v.args] ORDER BY v.o), bool_and(v.stable)
      FROM (VALUES
        (1, 'connect_lake.agent_ranges(text[], timestamptz[], timestamptz[])', true, 'connect_lake.agent_events',
         'connect_lake_agent_ranges_events', 'f.agentarn = ANY ($1) OR $1 IS NULL', 'agentarns'),
        (2, 'connect_lake.agent_timeline_segments(text[], timestamptz[], timestamptz[])', true, 'connect_lake.agent_events',
         'connect_lake_agent_segments_events', 'f.agentarn = ANY ($1) OR $1 IS NULL', 'agentarns'),
        (3, 'connect_lake.agent_offers(text[], timestamptz[], timestamptz[])', true, 'connect_lake.agent_events',
         'connect_lake_agent_offers_events', 'f.agentarn = ANY ($1) OR $1 IS NULL', 'agentarns'),
        (4, 'connect_lake.contact_journey(uuid)', true, 'connect_lake.contact_flow_log', 'connect_lake_journey_flow_log',
         'f.contactid = ANY ($1)', 'ARRAY(SELECT l.contactid FROM connect_lake.contact_legs(contact) l)'),
        (5, 'connect_lake.contact_journey(uuid)', true, 'connect_lake.contact_events', 'connect_lake_journey_events',
         'f.detail_contactid = ANY ($1)', 'ARRAY(SELECT l.contactid FROM connect_lake.contact_legs(contact) l)'),
        (6, 'connect_lake.contact_journey(uuid)', true, 'connect_lake.agent_events', 'connect_lake_journey_agent_events',
         'f.agentarn = ANY ($1) AND f.eventtimestamp >= $2 AND f.eventtimestamp <= $3',
         'ARRAY(SELECT DISTINCT (l.ctr).agent_arn FROM connect_lake.contact_legs_ctr(contact) l WHERE l.has_ctr), '
         '(SELECT min((l.ctr).agent_connectedtoagentts) FROM connect_lake.contact_legs_ctr(contact) l), '
         '(SELECT max(coalesce((l.ctr).agent_aftercontactworkendtimestamp, (l.ctr).disconnecttimestamp)) '
         'FROM connect_lake.contact_legs_ctr(contact) l)'),
        (7, 'connect_lake.contact_journey(uuid)', true, 'connect_lake.case_related_items', 'connect_lake_journey_items',
         'f.contactid = ANY ($1)', 'ARRAY(SELECT l.contactid FROM connect_lake.contact_legs(contact) l)'),
        (8, 'connect_lake.contact_journey(uuid)', true, 'connect_lake.case_events', 'connect_lake_journey_case_events',
         'f.detail_case_caseid = ANY ($1)',
         'ARRAY(SELECT (l.ctr).attributes_caseid::text FROM connect_lake.contact_legs_ctr(contact) l '
         'UNION SELECT r.detail_relateditem_caseid FROM pg_temp.connect_lake_journey_items r)'),
        (9, 'connect_lake.customer_journey(bigint, timestamptz, timestamptz)', true, 'connect_lake.ctr_events',
         'connect_lake_customer_ctrs', 'f.contactid = ANY ($1)',
         'ARRAY(SELECT l.contactid FROM (SELECT DISTINCT a.contactid FROM connect_lake.contact_account a '
         'WHERE a.account = customer_journey.account) a CROSS JOIN LATERAL connect_lake.contact_legs(a.contactid) l)'),
        (10, 'connect_lake.customer_journey(bigint, timestamptz, timestamptz)', true, 'connect_lake.case_state',
         'connect_lake_customer_cases', 'f.account = ANY ($1)', 'ARRAY[customer_journey.account]'),
        (11, 'connect_lake.customer_journey(bigint, timestamptz, timestamptz)', true, 'connect_lake.case_events',
         'connect_lake_customer_case_events', 'f.detail_case_caseid = ANY ($1)',
         'ARRAY(SELECT s.detail_case_caseid FROM pg_temp.connect_lake_customer_cases s)'),
        (12, 'connect_lake.contact_repeat_refresh(uuid[])', false, E'connect_lake.ctr_events f\n',
         'connect_lake_repeat_ctrs', NULL, NULL),
        (13, 'connect_lake.contact_repeat_refresh(uuid[])', false, E'connect_lake.ctr_events g\n',
         'connect_lake_repeat_ctrs', NULL, NULL),
        (14, 'connect_lake.flows_refresh_days(date[])', false, 'connect_lake.ctr_events x WHERE x.contactid = s.contactid',
         'connect_lake_flow_ctrs', NULL, NULL),
        (15, 'connect_lake.flows_ctrs_landed(uuid[])', false, 'connect_lake.ctr_events e WHERE e.contactid = p.contactid',
         'connect_lake_flow_ctrs', NULL, NULL),
        (16, 'connect_lake.agent_activity_upkeep(text[], timestamptz[], timestamptz[])', false,
         E'connect_lake.agent_events e\n', 'connect_lake_agent_upkeep_events', NULL, NULL),
        (17, 'connect_lake.contact_legs_ctr(uuid)', true,
         'connect_lake.contact_events x WHERE x.detail_contactid = s.id', 'connect_lake_legs_events', NULL, NULL),
        (18, 'connect_lake.contact_legs(uuid)', true, NULL, NULL, NULL, NULL),
        (19, 'connect_lake.agent_activity_timeline_rows(text[], timestamptz[], timestamptz[])', true, NULL, NULL, NULL,
         NULL)
      ) v(o, f, stable, target, cp, filter, args)
     GROUP BY v.f
  LOOP
    SELECT p.prosrc, l.lanname, p.provolatile INTO src, lang, vol
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = f;
    inplace := copies IS NOT NULL AND copies[1][3] IS NULL;
    IF inplace THEN
      -- a PL/pgSQL function: only the tables its statements read change
      -- (and its volatility)
      done := CASE WHEN copies[1][1] IS NULL THEN vol = 'v'
                   ELSE position('pg_temp.' || copies[1][2] IN src) > 0 END;
      IF done = to_plpgsql THEN
        CONTINUE;
      END IF;
      FOR i IN 1 .. array_length(copies, 1) LOOP
        CONTINUE WHEN copies[i][1] IS NULL;
        IF to_plpgsql THEN
          IF position(copies[i][1] IN src) = 0 THEN
            RAISE EXCEPTION 'connect_lake.citus_swap_functions(): % does not read "%" any more', f, copies[i][1]
              USING ERRCODE = 'internal_error';
          END IF;
          src := replace(src, copies[i][1],
                         'pg_temp.' || copies[i][2] || substr(copies[i][1], length(split_part(copies[i][1], ' ', 1)) + 1));
        ELSE
          src := replace(src, 'pg_temp.' || copies[i][2] || substr(copies[i][1], length(split_part(copies[i][1], ' ', 1)) + 1),
                         copies[i][1]);
        END IF;
      END LOOP;
    ELSE
      -- an SQL function: its query between a head (the copies made first)
      -- and a tail
      hd := head;
      FOR i IN 1 .. coalesce(array_length(copies, 1), 0) LOOP
        hd := replace(hd, E'\nRETURN QUERY\n',
                      format(E'\nPERFORM connect_lake.citus_fact_rows(%L, %L, %L, %s);\nRETURN QUERY\n',
                             copies[i][1], copies[i][2], copies[i][3], copies[i][4]));
      END LOOP;
      IF to_plpgsql AND lang = 'sql' THEN
        FOR i IN 1 .. coalesce(array_length(copies, 1), 0) LOOP
          src := replace(src, copies[i][1], 'pg_temp.' || copies[i][2]);
        END LOOP;
        src := hd || src || tail;
      ELSIF NOT to_plpgsql AND lang = 'plpgsql'
            AND left(src, length(hd)) = hd AND right(src, length(tail)) = tail THEN
        src := substr(src, length(hd) + 1, length(src) - length(hd) - length(tail));
        FOR i IN 1 .. coalesce(array_length(copies, 1), 0) LOOP
          src := replace(src, 'pg_temp.' || copies[i][2], copies[i][1]);
        END LOOP;
      ELSE
        CONTINUE;
      END IF;
    END IF;
    -- pg_get_functiondef's head (name, arguments, result, LANGUAGE,
    -- volatility, PARALLEL) with the other language, volatility and body
    def := pg_get_functiondef(f);
    def := left(def, strpos(def, E'\nAS $function$'));
    IF NOT inplace THEN
      def := replace(def, E'\n LANGUAGE ' || lang || E'\n',
                     E'\n LANGUAGE ' || CASE WHEN to_plpgsql THEN 'plpgsql' ELSE 'sql' END || E'\n');
    END IF;
    IF stable AND to_plpgsql THEN
      def := replace(def, E'\n STABLE PARALLEL SAFE', E'\n VOLATILE PARALLEL UNSAFE');
    ELSIF stable THEN
      def := regexp_replace(def, E'\n LANGUAGE (\\w+)\n', E'\n LANGUAGE \\1\n STABLE PARALLEL SAFE\n');
    END IF;
    EXECUTE def || 'AS ' || quote_literal(src);
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION connect_lake.citus_swap_functions(boolean) IS
  'Gives the functions of citus_range_functions() their query as PL/pgSQL (true, for Citus; distribute() does) or back as the inlinable SQL they had (false); likewise agent_ranges, agent_timeline_segments, agent_offers, contact_journey and customer_journey, whose PL/pgSQL form (VOLATILE) runs the query over copies of the rows it needs (citus_fact_rows()); and points the statements of contact_repeat_refresh, flows_refresh_days, flows_ctrs_landed, agent_activity_upkeep and contact_legs_ctr (VOLATILE on Citus) at the copies they make on a distributed lake; contact_legs and agent_activity_timeline_rows, which call such functions, are VOLATILE PARALLEL UNSAFE on Citus too.';

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
  -- case_day is kept by triggers on case_state, which Citus moves to the
  -- workers: the views count live on a distributed lake.
  PERFORM connect_lake.case_day_keep(false);

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
-- functions get their inlinable SQL back.  The side tables (agent activity,
-- the flow funnels, the repeat contacts, the metrics) stayed on the
-- coordinator, kept as the rows landed: nothing to make again.
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
  PERFORM connect_lake.case_day_keep(true);
END
$fn$;
COMMENT ON FUNCTION connect_lake.undistribute() IS
  'The reverse of distribute(), on the Citus coordinator: every table of the lake back on this server with its rows, its indexes, comments, grants and extension membership unchanged, the case range functions inlinable SQL again; returns each table and how it was distributed. On a lake that is not distributed: a notice, nothing changed.';

REVOKE ALL ON FUNCTION connect_lake.distribute() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.undistribute() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.citus_swap_functions(boolean) FROM PUBLIC;
