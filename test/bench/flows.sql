-- test/bench/flows.sh's SQL: see there.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION connect_lake CASCADE;
\echo ==> loading CTRs and flow logs
-- (the flow tables are rebuilt below, timed: not at the load's commit)
SET connect_lake.flows_upkeep = off;
SELECT k.kind, l.files_loaded, l.inserted, round(l.seconds::numeric, 1) AS seconds
  FROM (VALUES ('ctr', 'ctr'), ('contact_flow_log', 'flowlogs')) k(kind, dir),
       LATERAL connect_lake.load(k.kind, :'exports' || '/' || k.dir, 'skip') l;
RESET connect_lake.flows_upkeep;
VACUUM ANALYZE;
SET client_min_messages = notice;

\ir flows_measure.sql
