-- A variant for test/bench/agent_upkeep_replay.sh: agent_activity_apply() as installed
-- (writing the rows with agent_activity_write() on a plain lake), redefined in
-- the transaction as agent_upkeep_sql_insert.sql is, so that both pay the same:
--   test/bench/agent_upkeep_replay.sh test/bench/agent_upkeep_sql_insert.sql test/bench/agent_upkeep_direct.sql
CREATE OR REPLACE FUNCTION connect_lake.agent_activity_apply(agentarns text[], from_ts timestamptz[], to_ts timestamptz[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '256MB'
SET jit = off
SET enable_mergejoin = off
SET enable_nestloop = off
AS $fn$
DECLARE
  agents text[];
  los    timestamptz[];
  his    timestamptz[];
  bad    record;
  n      integer;
  lo_min timestamptz;
  hi_max timestamptz;
BEGIN
  IF from_ts IS NULL OR to_ts IS NULL OR cardinality(from_ts) < 1
     OR cardinality(from_ts) <> cardinality(to_ts)
     OR (agentarns IS NOT NULL AND cardinality(agentarns) <> cardinality(from_ts)) THEN
    RAISE EXCEPTION 'agent activity ranges must be one from_ts and one to_ts per agent, got % agents, % and % times',
                    cardinality(agentarns), cardinality(from_ts), cardinality(to_ts)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT u.f, u.t INTO bad FROM unnest(from_ts, to_ts) u(f, t) WHERE u.f IS NULL OR u.t IS NULL OR u.f > u.t LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'agent activity needs from_ts <= to_ts, got % and %', coalesce(bad.f::text, 'NULL'), coalesce(bad.t::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give the range of event times to rebuild, e.g. agent_activity_refresh(''2026-09-01'', ''2026-10-01''); no arguments rebuild all.';
  END IF;
  -- Whole 15-minute intervals; one range per agent (in name order).
  IF agentarns IS NULL THEN
    los := ARRAY[connect_lake.agent_interval_floor(from_ts[1])];
    his := ARRAY[connect_lake.agent_interval_ceil(to_ts[1])];
  ELSE
    SELECT array_agg(g.a ORDER BY g.a), array_agg(g.lo ORDER BY g.a), array_agg(g.hi ORDER BY g.a)
      INTO agents, los, his
      FROM (SELECT u.a, connect_lake.agent_interval_floor(min(u.f)) AS lo,
                   connect_lake.agent_interval_ceil(max(u.t)) AS hi
              FROM unnest(agentarns, from_ts, to_ts) u(a, f, t)
             WHERE u.a IS NOT NULL GROUP BY u.a) g;
    IF agents IS NULL THEN
      RETURN 0;
    END IF;
  END IF;
  -- One rebuild of an agent's intervals at a time: each agent given, or
  -- the whole tables.
  IF agentarns IS NULL THEN
    LOCK TABLE connect_lake.agent_activity_interval, connect_lake.agent_status_interval IN EXCLUSIVE MODE;
    DELETE FROM connect_lake.agent_activity_interval r
     WHERE r.interval_start >= los[1] AND r.interval_start < his[1];
    DELETE FROM connect_lake.agent_status_interval r
     WHERE r.interval_start >= los[1] AND r.interval_start < his[1];
  ELSE
    -- the agents share 256 locks by hash, taken in one order: a day at the
    -- seed's volume has 2,400 agents, and a lock each could fill the shared
    -- lock table beside other sessions
    PERFORM pg_advisory_xact_lock(1634166130, h)
       FROM (SELECT DISTINCT hashtext(u.a) & 255 AS h FROM unnest(agents) AS u(a) ORDER BY 1) s;
    -- (the bounds of all the ranges let the key's index find the intervals;
    -- a semi-join hashes the agents' ranges, not the rows in the bounds.
    -- Hashed whatever the estimates: enable_nestloop is off for this
    -- function.  A nested loop over unnest() reads the agents again for
    -- every interval row in the bounds, rows times agents; the planner chose
    -- it when the index scan was estimated at 1 row, as in a generic plan
    -- cached while the table was nearly empty (a truncated lake's first
    -- load), then reused on a full one: 2.4 s for 735 agents and 26,434
    -- rows, against 0.01 s hashed; test/t/051_agent_upkeep_plan.pl)
    SELECT min(u.lo), max(u.hi) INTO lo_min, hi_max FROM unnest(los, his) u(lo, hi);
    DELETE FROM connect_lake.agent_activity_interval r
     WHERE r.interval_start >= lo_min AND r.interval_start < hi_max
       AND EXISTS (SELECT FROM unnest(agents, los, his) u(a, lo, hi)
                    WHERE u.a = r.agentarn AND r.interval_start >= u.lo AND r.interval_start < u.hi);
    DELETE FROM connect_lake.agent_status_interval r
     WHERE r.interval_start >= lo_min AND r.interval_start < hi_max
       AND EXISTS (SELECT FROM unnest(agents, los, his) u(a, lo, hi)
                    WHERE u.a = r.agentarn AND r.interval_start >= u.lo AND r.interval_start < u.hi);
  END IF;

  -- The rows as the two tables hold them: on a plain lake from one pass per
  -- agent with the offers summed in (agent_activity_rows(), C), each kind in
  -- the order of its table's key, inserted as they come; on a lake
  -- distributed on Citus the same rows in SQL (agent_activity_timeline_rows(),
  -- whose timeline and offers read copies of the agents' events there).  Two
  -- statements, the same but for the rows they read: one statement choosing
  -- its source by a condition would plan the SQL function on every call of a
  -- plain lake (0.1 to 0.3 ms more a call, measured), where the plan of this
  -- one is cached.  (The count is the top statement's, the activity rows:
  -- no RETURNING to count.)
  -- (On a plain lake, agent_activity_write() writes the rows itself, as
  -- COPY writes, where it can: READ COMMITTED, the tables without triggers,
  -- CHECK constraints or row-level security; else it returns -1 and writes
  -- nothing, and the statement inserts them.)
  IF NOT connect_lake.is_distributed() THEN
    n := connect_lake.agent_activity_write(agents, los, his);
  END IF;
  IF n >= 0 THEN
    NULL;
  ELSIF NOT connect_lake.is_distributed() THEN
    WITH t AS MATERIALIZED (
      SELECT * FROM connect_lake.agent_activity_rows(agents, los, his)
    ),
    status_rows AS (
      INSERT INTO connect_lake.agent_status_interval
        SELECT t.interval_start, t.agentarn, t.agent_id, t.status_name, t.status_type, t.online_ms
          FROM t
         WHERE t.kind = 'status'
    )
    INSERT INTO connect_lake.agent_activity_interval
      SELECT t.interval_start, t.agentarn, t.agent_id, t.routing_profile_id, t.hierarchy_level1_id,
             t.hierarchy_level2_id, t.hierarchy_level3_id, t.hierarchy_level4_id, t.hierarchy_level5_id,
             t.online_ms, t.non_productive_ms, t.contact_ms, t.idle_ms, t.error_ms,
             t.offers, t.offers_connected, t.offers_missed, t.offers_not_connected,
             t.connecting_ms_sum, t.connecting_count, t.gap_ms, t.gaps
        FROM t
       WHERE t.kind = 'activity';
    GET DIAGNOSTICS n = ROW_COUNT;
  ELSE
    WITH t AS MATERIALIZED (
      SELECT * FROM connect_lake.agent_activity_timeline_rows(agents, los, his)
    ),
    status_rows AS (
      INSERT INTO connect_lake.agent_status_interval
        SELECT t.interval_start, t.agentarn, t.agent_id, t.status_name, t.status_type, t.online_ms
          FROM t
         WHERE t.kind = 'status'
    )
    INSERT INTO connect_lake.agent_activity_interval
      SELECT t.interval_start, t.agentarn, t.agent_id, t.routing_profile_id, t.hierarchy_level1_id,
             t.hierarchy_level2_id, t.hierarchy_level3_id, t.hierarchy_level4_id, t.hierarchy_level5_id,
             t.online_ms, t.non_productive_ms, t.contact_ms, t.idle_ms, t.error_ms,
             t.offers, t.offers_connected, t.offers_missed, t.offers_not_connected,
             t.connecting_ms_sum, t.connecting_count, t.gap_ms, t.gaps
        FROM t
       WHERE t.kind = 'activity';
    GET DIAGNOSTICS n = ROW_COUNT;
  END IF;
  RETURN n;
END
$fn$;
