-- connect_lake_fdw options, foreign tables over committed
-- fixtures, load() argument checking and privileges.  Files with errors,
-- several sessions and big inputs are in test/t/010_loader.pl.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
RESET client_min_messages;
SET TimeZone = 'UTC';
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixtures :abs_srcdir '/fixtures/flowlog'

SELECT connect_lake.kind_rowtype('contact_flow_log'), connect_lake.kind_rowtype('ctr');
SELECT connect_lake.kind_rowtype('flowlog');

-- ---------- foreign tables: options ----------
CREATE FOREIGN TABLE ft_nokind (x int) SERVER connect_lake_files OPTIONS (path '/tmp');
CREATE FOREIGN TABLE ft_nopath (x int) SERVER connect_lake_files OPTIONS (kind 'ctr');
CREATE FOREIGN TABLE ft_bad (x int) SERVER connect_lake_files OPTIONS (kind 'ctr', path '/tmp', filename '/tmp/x');
CREATE FOREIGN TABLE ft_bad (x int) SERVER connect_lake_files OPTIONS (kind 'flowlog', path '/tmp');
CREATE FOREIGN TABLE ft_bad (x int) SERVER connect_lake_files OPTIONS (kind 'ctr', path '/tmp', format 'csv');
CREATE FOREIGN TABLE ft_bad (x int) SERVER connect_lake_files OPTIONS (kind 'ctr', path '/tmp', compression 'bzip2');
CREATE FOREIGN TABLE ft_bad (x int) SERVER connect_lake_files OPTIONS (kind 'ctr', path '/tmp', on_error 'ignore');
CREATE FOREIGN TABLE ft_bad (x int) SERVER connect_lake_files OPTIONS (kind 'ctr', path '/tmp', format '');
-- path and kind belong to tables; servers may carry defaults of the others
CREATE SERVER cl_bad FOREIGN DATA WRAPPER connect_lake_fdw OPTIONS (path '/tmp');
CREATE SERVER cl_bad FOREIGN DATA WRAPPER connect_lake_fdw OPTIONS (kind 'ctr');
CREATE SERVER cl_bad FOREIGN DATA WRAPPER connect_lake_fdw OPTIONS (on_error 'maybe');
CREATE SERVER cl_skip FOREIGN DATA WRAPPER connect_lake_fdw OPTIONS (on_error 'skip', format 'ndjson');
CREATE USER MAPPING FOR CURRENT_USER SERVER cl_skip OPTIONS (path '/tmp');
ALTER FOREIGN DATA WRAPPER connect_lake_fdw OPTIONS (kind 'ctr');
DROP SERVER cl_skip;

-- ---------- create_foreign_table ----------
SELECT connect_lake.create_foreign_table('flow_files', 'contact_flow_log', :'fixtures');
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'flow_files'::regclass AND attnum > 0 ORDER BY attnum;
SELECT srvname, replace(array_to_string(ftoptions, ', '), :'fixtures', '<fixtures>') AS options
  FROM pg_foreign_table JOIN pg_foreign_server s ON s.oid = ftserver
 WHERE ftrelid = 'flow_files'::regclass;
SELECT connect_lake.create_foreign_table('public."CTR files"', 'ctr', '/nonexistent/ctr', format => 'concatenated', compression => 'gzip');
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'public."CTR files"'::regclass;
SELECT count(*) AS columns FROM pg_attribute WHERE attrelid = 'public."CTR files"'::regclass AND attnum > 0;
SELECT connect_lake.create_foreign_table('nope', 'agent_evnt', '/tmp');
SELECT connect_lake.create_foreign_table('nope', 'ctr', '/tmp', format => 'xml');

-- ---------- reading the fixtures in place: every framing, auto-detected ----------
SELECT replace(source_file, :'fixtures', '') AS file, source_line AS line, source_offset AS "offset",
       contactid, "timestamp", contactflowmoduletype AS module, identifier, log_group, log_stream
  FROM flow_files ORDER BY file, "offset";
SELECT identifier, parameters, externalresults, moduleexecutionstack, extra
  FROM flow_files WHERE replace(source_file, :'fixtures', '') = '/2_pretty_concatenated.json';
-- a subset of the columns, in any order
\set plain :fixtures '/1_plain.ndjson'
CREATE FOREIGN TABLE flow_few (identifier text, source_line bigint, contactid uuid)
  SERVER connect_lake_files OPTIONS (kind 'contact_flow_log', path :'plain', format 'ndjson');
SELECT * FROM flow_few WHERE source_line = 2;
-- columns must be the kind's, with its types
CREATE FOREIGN TABLE flow_wrong (identifier int) SERVER connect_lake_files OPTIONS (kind 'contact_flow_log', path :'fixtures');
SELECT * FROM flow_wrong;
ALTER FOREIGN TABLE flow_wrong ALTER identifier TYPE text, ADD nosuch text;
SELECT * FROM flow_wrong;
ALTER FOREIGN TABLE flow_wrong DROP nosuch, ADD source_line int;
SELECT * FROM flow_wrong;
DROP FOREIGN TABLE flow_wrong;
-- EXPLAIN shows the path; file count and size only with costs on
CREATE FOREIGN TABLE flow_missing (identifier text) SERVER connect_lake_files
  OPTIONS (kind 'contact_flow_log', path '/nonexistent/flow/*.gz');
EXPLAIN (COSTS OFF) SELECT * FROM flow_missing;
SELECT count(*) FROM flow_missing;      -- a glob matching nothing is empty
ALTER FOREIGN TABLE flow_missing OPTIONS (SET path '/tmp/no-such-connect-lake-dir-*/[0-9]*.gz');
SELECT count(*) FROM flow_missing;
ALTER FOREIGN TABLE flow_missing OPTIONS (SET path '/nonexistent/flow');
SELECT count(*) FROM flow_missing;
ALTER FOREIGN TABLE flow_missing OPTIONS (SET path 'relative/flow');
SELECT count(*) FROM flow_missing;
ANALYZE flow_files;
SELECT reltuples FROM pg_class WHERE oid = 'flow_files'::regclass;

-- ---------- load(): arguments ----------
SELECT * FROM connect_lake.load('flowlog', '/nonexistent');
SELECT * FROM connect_lake.load('contact_flow_log', '/nonexistent', on_error => 'continue');
SELECT * FROM connect_lake.load('contact_flow_log', '/nonexistent', format => 'jsonl');
SELECT * FROM connect_lake.load('contact_flow_log', '/nonexistent', compression => 'zstd');
SELECT * FROM connect_lake.load('contact_flow_log', '/nonexistent/dir');
SELECT * FROM connect_lake.load('contact_flow_log', 'relative/dir');
SELECT files_seen, files_loaded FROM connect_lake.load('contact_flow_log', '/nonexistent/*.ndjson');
SELECT connect_lake.load(NULL, '/tmp') IS NULL AS strict;

-- ---------- privileges ----------
CREATE ROLE regress_cl_analyst;
CREATE ROLE regress_cl_pipeline IN ROLE connect_lake_loader;
GRANT USAGE ON FOREIGN SERVER connect_lake_files TO regress_cl_analyst;
GRANT CREATE ON SCHEMA public TO regress_cl_analyst, regress_cl_pipeline;
SET ROLE regress_cl_analyst;
SELECT * FROM connect_lake.load('contact_flow_log', '/tmp');                  -- not granted
SELECT connect_lake.create_foreign_table('mine', 'contact_flow_log', '/tmp');  -- not granted
CREATE FOREIGN TABLE mine (identifier text) SERVER connect_lake_files
  OPTIONS (kind 'contact_flow_log', path '/etc');                              -- needs pg_read_server_files
SELECT * FROM flow_files;                                                      -- no SELECT on the table
RESET ROLE;
SET ROLE regress_cl_pipeline;
SELECT * FROM connect_lake.load('contact_flow_log', '/tmp');                  -- loader, but no pg_read_server_files
SELECT connect_lake.create_foreign_table('mine', 'contact_flow_log', '/tmp');
RESET ROLE;
GRANT pg_read_server_files TO regress_cl_pipeline;
SET ROLE regress_cl_pipeline;
SELECT files_seen FROM connect_lake.load('contact_flow_log', '/nonexistent/*.json');
SELECT connect_lake.create_foreign_table('mine', 'contact_flow_log', :'fixtures');
SELECT count(*) FROM mine;
DROP FOREIGN TABLE mine;
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM regress_cl_analyst, regress_cl_pipeline;
REVOKE USAGE ON FOREIGN SERVER connect_lake_files FROM regress_cl_analyst;
-- load_rejects.raw (a copy of the file's bytes) is the loader's to read; an
-- analyst sees where a record was and why it was refused.
SELECT r AS role, c AS column_name, has_column_privilege(r, 'connect_lake.load_rejects', c, 'SELECT') AS may_read
  FROM unnest(ARRAY['connect_lake_reader', 'connect_lake_loader']) r,
       unnest(ARRAY['path', 'line', 'reason', 'raw']) c ORDER BY 1, 2;
GRANT connect_lake_reader TO regress_cl_analyst;
SET ROLE regress_cl_analyst;
SELECT count(raw) FROM connect_lake.load_rejects;                              -- ERROR
SELECT count(*) FROM (SELECT path, line, reason FROM connect_lake.load_rejects) r;
RESET ROLE;
DROP ROLE regress_cl_analyst;
DROP ROLE regress_cl_pipeline;
DROP FOREIGN TABLE flow_files, flow_few, flow_missing, "CTR files";
