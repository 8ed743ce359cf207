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
COMMENT ON TABLE connect_lake.load_manifest IS 'One row per file load() has read: a file whose size, mtime and checksum are unchanged is not loaded again.';
COMMENT ON COLUMN connect_lake.load_manifest.kind IS 'Record kind: contact_flow_log, ctr, contact_event, case_event, agent_event.';
COMMENT ON COLUMN connect_lake.load_manifest.path IS 'Absolute path of the file.';
COMMENT ON COLUMN connect_lake.load_manifest.size IS 'File size in bytes when loaded.';
COMMENT ON COLUMN connect_lake.load_manifest.mtime IS 'File modification time when loaded.';
COMMENT ON COLUMN connect_lake.load_manifest.checksum IS 'Checksum of the file''s bytes.';
COMMENT ON COLUMN connect_lake.load_manifest.status IS 'loaded: every good record landed; failed: nothing of the file landed (see error).';
COMMENT ON COLUMN connect_lake.load_manifest.records IS 'Records read from the file.';
COMMENT ON COLUMN connect_lake.load_manifest.inserted IS 'Rows inserted into the lake.';
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
COMMENT ON TABLE connect_lake.load_rejects IS 'Records load() could not land (on_error skip), with where they were and why, to fix and replay.';
COMMENT ON COLUMN connect_lake.load_rejects.reject_id IS 'Identifier of the reject.';
COMMENT ON COLUMN connect_lake.load_rejects.kind IS 'Record kind the file was loaded as.';
COMMENT ON COLUMN connect_lake.load_rejects.path IS 'File the record came from.';
COMMENT ON COLUMN connect_lake.load_rejects.byte_offset IS 'Byte offset of the record in the decompressed stream.';
COMMENT ON COLUMN connect_lake.load_rejects.line IS 'Line number of the record, where the framing has lines.';
COMMENT ON COLUMN connect_lake.load_rejects.reason IS 'Why the record was rejected.';
COMMENT ON COLUMN connect_lake.load_rejects.raw IS 'The record''s raw text (invalid bytes escaped).';
COMMENT ON COLUMN connect_lake.load_rejects.rejected_at IS 'When the record was rejected.';

SELECT pg_catalog.pg_extension_config_dump('connect_lake.load_manifest', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.load_rejects', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.load_rejects_reject_id_seq', '');
