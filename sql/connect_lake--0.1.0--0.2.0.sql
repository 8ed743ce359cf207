-- connect_lake 0.1.0 -> 0.2.0.  Everything sql/install/*.sql changed since
-- 0.1.0, so that an upgraded lake ends up as a fresh 0.2.0 one
-- (test/t/040_upgrade.pl compares them).
\echo Use "ALTER EXTENSION connect_lake UPDATE TO '0.2.0'" to load this file. \quit

-- Errors name where the bad record starts (load_rejects.line / byte_offset)
COMMENT ON COLUMN connect_lake.load_rejects.byte_offset IS 'Byte offset where the record starts in the decompressed stream (where the problem was noticed, when further on, is in reason).';
COMMENT ON COLUMN connect_lake.load_rejects.line IS 'Line where the record starts (its first line when it spans several), where the framing has lines (where the problem was noticed, when further on, is in reason).';
