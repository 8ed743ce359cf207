-- Loads a directory of sample Connect exports (as test/gen/connect_gen writes
-- them) into the lake with connect_lake.load(), one kind at a time.
--   psql -v exports=/path/to/exports -f test/sample/load.sql
-- Re-running loads only files the manifest has not seen.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

\echo '==> Cases field map, from the saved ListFields response (fields.json)'
SELECT action, count(*) AS fields
  FROM connect_lake.case_field_map_load(pg_read_file(:'exports' || '/fields.json')::jsonb)
 GROUP BY action ORDER BY action;

-- a bulk load of history: the flow tables are rebuilt once, below, not at
-- the commit of the flow logs' load (connect_lake.flows_upkeep)
SET connect_lake.flows_upkeep = off;
\echo '==> loading (one row per kind: files, records, rows written, MB, seconds)'
SELECT k.kind, l.files_seen, l.files_loaded, l.files_skipped, l.records_read,
       l.inserted, l.updated, l.duplicates, l.rejected,
       round(l.bytes / 1e6, 1) AS mb, round(l.seconds::numeric, 1) AS seconds
  FROM (VALUES (1, 'ctr', 'ctr'),
               (2, 'contact_flow_log', 'flowlogs'),
               (3, 'contact_event', 'contact_events'),
               (4, 'case_event', 'cases'),
               (5, 'agent_event', 'agent_events')) AS k(n, kind, dir),
       LATERAL connect_lake.load(k.kind, :'exports' || '/' || k.dir, 'skip') AS l
 ORDER BY k.n;
RESET connect_lake.flows_upkeep;

-- (a lake still on 0.1.0, before its upgrade, has none of these)
SELECT to_regprocedure('connect_lake.flows_refresh(date, date)') IS NOT NULL AS has_flows \gset
\if :has_flows
\echo '==> flow funnels, containment and repeat contacts of what landed (seconds)'
SELECT round(extract(epoch FROM clock_timestamp() - now())::numeric, 1) AS started \gset
SELECT connect_lake.flows_refresh() AS flow_contacts, connect_lake.contact_repeat_refresh() AS repeat_contacts,
       round(extract(epoch FROM clock_timestamp() - now())::numeric - :started, 1) AS seconds;
\endif
