-- A variant for test/bench/agent_upkeep_replay.sh: agent_activity_apply() as installed
-- (writing the rows with agent_activity_write() on a plain lake), redefined in
-- the transaction from its own definition (psql's \gexec of pg_get_functiondef()),
-- as agent_upkeep_sql_insert.sql redefines the code before, so that both pay the same:
--   test/bench/agent_upkeep_replay.sh test/bench/agent_upkeep_sql_insert.sql test/bench/agent_upkeep_direct.sql
SELECT pg_catalog.pg_get_functiondef('connect_lake.agent_activity_apply(text[], timestamptz[], timestamptz[])'::pg_catalog.regprocedure)
\gexec
