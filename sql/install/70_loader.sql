-- File loading bookkeeping: which files landed, and the records that did not.

CREATE TABLE connect_lake.load_manifest (
  kind        text NOT NULL,
  path        text NOT NULL,
  size        bigint NOT NULL,
  mtime       timestamptz NOT NULL,
  checksum    text NOT NULL,
  status      text NOT NULL CHECK (status IN ('loaded', 'failed')),
  records     bigint NOT NULL DEFAULT 0,
  inserted    bigint NOT NULL DEFAULT 0,
  updated     bigint NOT NULL DEFAULT 0,
  duplicates  bigint NOT NULL DEFAULT 0,
  rejected    bigint NOT NULL DEFAULT 0,
  error       text,
  loaded_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, path)
);
COMMENT ON TABLE connect_lake.load_manifest IS
  'One row per file load() has read: a file whose size, mtime and checksum are unchanged is not loaded again; one appended to (its first size bytes unchanged) lands only its new records.';
COMMENT ON COLUMN connect_lake.load_manifest.kind IS 'Record kind: contact_flow_log, ctr, contact_event, case_event, agent_event, customer_profile_event.';
COMMENT ON COLUMN connect_lake.load_manifest.path IS 'Absolute path of the file.';
COMMENT ON COLUMN connect_lake.load_manifest.size IS 'Bytes of the file the last load that succeeded read (all it read, also when the file grew while it was read).';
COMMENT ON COLUMN connect_lake.load_manifest.mtime IS 'File modification time when loaded.';
COMMENT ON COLUMN connect_lake.load_manifest.checksum IS 'Checksum of those bytes, as they were read (empty until a load succeeds).';
COMMENT ON COLUMN connect_lake.load_manifest.status IS 'loaded: every good record landed; failed: the last attempt landed nothing (see error), and size, checksum and the counts stay those of the last load that succeeded.';
COMMENT ON COLUMN connect_lake.load_manifest.records IS 'Records read from those bytes (a file appended to: from all of them, over its loads).';
COMMENT ON COLUMN connect_lake.load_manifest.inserted IS 'Rows inserted into the lake (a file appended to: over its loads, as are the counts after this one).';
COMMENT ON COLUMN connect_lake.load_manifest.updated IS 'Rows updated (a newer CTR version replaced an older one).';
COMMENT ON COLUMN connect_lake.load_manifest.duplicates IS 'Records already in the lake (same key, not newer).';
COMMENT ON COLUMN connect_lake.load_manifest.rejected IS 'Bad records sent to load_rejects (on_error skip).';
COMMENT ON COLUMN connect_lake.load_manifest.error IS 'Why the file failed to load.';
COMMENT ON COLUMN connect_lake.load_manifest.loaded_at IS 'When the file was last loaded or attempted.';

CREATE TABLE connect_lake.load_rejects (
  reject_id    bigserial PRIMARY KEY,
  kind         text NOT NULL,
  path         text NOT NULL,
  byte_offset  bigint,
  line         bigint,
  reason       text NOT NULL,
  raw          text,
  rejected_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX load_rejects_path_idx ON connect_lake.load_rejects (kind, path);
COMMENT ON TABLE connect_lake.load_rejects IS 'Records load() and ingest_batch() could not land (on_error skip), with where they were and why, to fix and replay.';
COMMENT ON COLUMN connect_lake.load_rejects.reject_id IS 'Identifier of the reject.';
COMMENT ON COLUMN connect_lake.load_rejects.kind IS 'Record kind the file was loaded as.';
COMMENT ON COLUMN connect_lake.load_rejects.path IS 'File the record came from; ingest_batch() for a record of a batch given to ingest_batch(on_error => skip).';
COMMENT ON COLUMN connect_lake.load_rejects.byte_offset IS 'Byte offset where the record starts in the decompressed stream (where the problem was noticed, when further on, is in reason).';
COMMENT ON COLUMN connect_lake.load_rejects.line IS 'Line where the record starts (its first line when it spans several), where the framing has lines (where the problem was noticed, when further on, is in reason); for ingest_batch(), the element''s number in the batch.';
COMMENT ON COLUMN connect_lake.load_rejects.reason IS 'Why the record was rejected: what and where (field, position), never the record''s content, which only raw holds.';
COMMENT ON COLUMN connect_lake.load_rejects.raw IS 'The record''s raw text (invalid bytes escaped).';
COMMENT ON COLUMN connect_lake.load_rejects.rejected_at IS 'When the record was rejected.';

SELECT pg_catalog.pg_extension_config_dump('connect_lake.load_manifest', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.load_rejects', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.load_rejects_reject_id_seq', '');

-- The writers' commit upkeep queued by load()'s workers (see upkeep.c).
CREATE TABLE connect_lake.upkeep_queue (
  kind       text NOT NULL,
  settings   text[] NOT NULL,
  keys       text[] NOT NULL,
  firsts     timestamptz[] NOT NULL,
  lasts      timestamptz[] NOT NULL,
  queued_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE connect_lake.upkeep_queue IS
  'The commit upkeep (the kinds'' SQL actions: contact metrics, repeat contacts, flow tables, agent activity) of the files load()''s workers committed: what each file collected, queued with it and run by the workers every 32 files and at their end (a row is deleted as it runs); rows left by a worker that was killed are run by the next load() with workers. Empty when no load() with workers runs.';
COMMENT ON COLUMN connect_lake.upkeep_queue.kind IS 'Record kind whose upkeep actions run (ctr, contact_flow_log, agent_event).';
COMMENT ON COLUMN connect_lake.upkeep_queue.settings IS 'The upkeep settings that were on when the rows were written (metrics_upkeep, flows_upkeep, repeats_upkeep): the actions of a setting that was off are not run for them.';
COMMENT ON COLUMN connect_lake.upkeep_queue.keys IS 'The keys of the rows written, as text (CTRs and flow logs: contact ids; agent events: agent ARNs).';
COMMENT ON COLUMN connect_lake.upkeep_queue.firsts IS 'Per key, its (first) time (CTRs: initiation; flow logs, agent events: the first event time), same positions.';
COMMENT ON COLUMN connect_lake.upkeep_queue.lasts IS 'Per key, its last time (same as firsts for CTRs), same positions.';
COMMENT ON COLUMN connect_lake.upkeep_queue.queued_at IS 'When the file that wrote them committed.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.upkeep_queue', '');

-- Files in place: the foreign data wrapper.
CREATE FUNCTION connect_lake.connect_lake_fdw_handler() RETURNS fdw_handler
  AS 'MODULE_PATHNAME' LANGUAGE C STRICT;
COMMENT ON FUNCTION connect_lake.connect_lake_fdw_handler() IS
  'Handler of the connect_lake_fdw foreign data wrapper (reads Amazon Connect export files).';

CREATE FUNCTION connect_lake.connect_lake_fdw_validator(text[], oid) RETURNS void
  AS 'MODULE_PATHNAME' LANGUAGE C STRICT;
COMMENT ON FUNCTION connect_lake.connect_lake_fdw_validator(text[], oid) IS
  'Validator of connect_lake_fdw options: kind, path, format, compression, on_error.';

CREATE FOREIGN DATA WRAPPER connect_lake_fdw
  HANDLER connect_lake.connect_lake_fdw_handler
  VALIDATOR connect_lake.connect_lake_fdw_validator;
COMMENT ON FOREIGN DATA WRAPPER connect_lake_fdw IS
  'Amazon Connect export files (CTRs, flow logs, contact, case and agent events) as foreign tables, however framed or compressed.';

CREATE SERVER connect_lake_files FOREIGN DATA WRAPPER connect_lake_fdw;
COMMENT ON SERVER connect_lake_files IS
  'Files on the database server; foreign tables name a kind and a path (file, directory or glob).';

CREATE FUNCTION connect_lake.kind_rowtype(kind text) RETURNS regtype
  AS 'MODULE_PATHNAME', 'kind_rowtype'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.kind_rowtype(text) IS
  'The row type records of a kind are mapped onto (e.g. ctr -> connect_lake.ctr); errors name the known kinds.';

-- A foreign table shaped like the kind's lake table: its columns (without
-- landed_at and versions_seen, which only the lake keeps), where source_file
-- and source_offset say where each record lies, plus source_line.
CREATE FUNCTION connect_lake.create_foreign_table(
    table_name  text,
    kind        text,
    path        text,
    format      text DEFAULT 'auto',
    compression text DEFAULT 'auto',
    on_error    text DEFAULT 'stop',
    server      name DEFAULT 'connect_lake_files')
RETURNS regclass
LANGUAGE plpgsql
VOLATILE STRICT
AS $fn$
DECLARE
  rowtype regtype := connect_lake.kind_rowtype(kind);
  qname   text;
  cols    text;
BEGIN
  SELECT pg_catalog.string_agg(pg_catalog.quote_ident(x), '.')
    INTO qname
    FROM pg_catalog.unnest(pg_catalog.parse_ident(table_name)) AS x;
  SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', a.attname,
                                 pg_catalog.format_type(a.atttypid, a.atttypmod)),
                               E',\n  ' ORDER BY a.attnum)
    INTO cols
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_type t ON t.typrelid = a.attrelid
   WHERE t.oid = rowtype AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attname NOT IN ('landed_at', 'versions_seen');
  -- check the options first: their errors without the whole statement as context
  PERFORM connect_lake.connect_lake_fdw_validator(
    ARRAY['kind=' || kind, 'path=' || path, 'format=' || format,
          'compression=' || compression, 'on_error=' || on_error],
    'pg_catalog.pg_foreign_table'::pg_catalog.regclass);
  EXECUTE pg_catalog.format(
    E'CREATE FOREIGN TABLE %s (\n  %s,\n  source_line bigint\n) SERVER %I\n'
    'OPTIONS (kind %L, path %L, format %L, compression %L, on_error %L)',
    qname, cols, server, kind, path, format, compression, on_error);
  EXECUTE pg_catalog.format('COMMENT ON FOREIGN TABLE %s IS %L', qname,
    pg_catalog.format('%s records read in place from %s (connect_lake_fdw).', kind, path));
  RETURN qname::regclass;
END
$fn$;
COMMENT ON FUNCTION connect_lake.create_foreign_table(text, text, text, text, text, text, name) IS
  'Creates a connect_lake_fdw foreign table reading kind records in place from path (file, directory or glob), with the kind''s lake columns plus source_line; needs pg_read_server_files.';

-- Loading files into the lake.
CREATE FUNCTION connect_lake.load(
    kind        text,
    path        text,
    on_error    text DEFAULT 'stop',
    format      text DEFAULT 'auto',
    compression text DEFAULT 'auto',
    workers     integer DEFAULT NULL,
    OUT files_seen    bigint,
    OUT files_loaded  bigint,
    OUT files_skipped bigint,
    OUT files_failed  bigint,
    OUT records_read  bigint,
    OUT inserted      bigint,
    OUT updated       bigint,
    OUT duplicates    bigint,
    OUT rejected      bigint,
    OUT values_nulled bigint,
    OUT bytes         bigint,
    OUT seconds       double precision,
    OUT error         text)
RETURNS record
AS 'MODULE_PATHNAME', 'load'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION connect_lake.load(text, text, text, text, text, integer) IS
  'Lands every record of kind in the files under path (file, directory or glob; any framing, gzip or not) in the lake; files already loaded unchanged are skipped (load_manifest), each file lands all or nothing; on_error stop|skip (bad records to load_rejects); values_nulled counts values that landed NULL because their column cannot hold them, kept raw beside (a case account that is not an integer). workers => n: n background workers share the files (with those of other calls on the path), each file committed on its own; the result sums theirs. NULL arguments other than workers return NULL. Needs pg_read_server_files.';
