-- Personal data: how a customer's phone numbers (CTR CustomerEndpoint and
-- TransferredToEndpoint, a contact event's customerEndpoint) and the
-- contact attributes the DBA names are stored (src/pii.c, README "Personal
-- data").  The writer (load(), ingest(), ingest_batch()) stores them as
-- pii_config says, one place for every kind: as they come, or as a keyed
-- hash (HMAC-SHA256 with the lake's secret, pii_secret), optionally keeping
-- an E.164 number's country code.  Equal values keep equal stored forms, so
-- they still join, and pii_stored_value() finds a number exactly.  A
-- setting that hashes without a secret makes the writers refuse to land.

-- Raw values, when the DBA keeps them (pii_config.keep_raw), are readable
-- by this role only.
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'connect_lake_pii_reader') THEN
    CREATE ROLE connect_lake_pii_reader NOLOGIN;
    COMMENT ON ROLE connect_lake_pii_reader IS 'connect_lake: may read customers'' raw personal values kept beside their digests (pii_value.raw) and look numbers up (pii_stored_value()).';
  END IF;
END
$roles$;

-- The setting: at most one row, none meaning raw (the DBA's: dumped).
CREATE TABLE connect_lake.pii_config (
  id             boolean PRIMARY KEY DEFAULT true CHECK (id),
  storage        text NOT NULL DEFAULT 'raw' CHECK (storage IN ('raw', 'hash', 'hash_keep_country')),
  keep_raw       boolean NOT NULL DEFAULT false,
  attribute_keys text[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE connect_lake.pii_config IS
  'How customers'' personal values are stored as they land (at most one row; none: raw): CTR CustomerEndpoint.Address and TransferredToEndpoint.Address, a contact event''s detail.customerEndpoint.address, and the contact attributes named in attribute_keys (with the attributes_* columns they fill). Applies to rows landed from then on; rows already in the lake keep their form.';
COMMENT ON COLUMN connect_lake.pii_config.id IS 'Always true: the table holds one row at most.';
COMMENT ON COLUMN connect_lake.pii_config.storage IS 'raw: as they come; hash: ''hmac:'' and the first 128 bits of HMAC-SHA256(pii_secret, value) in hex; hash_keep_country: the same after an E.164 number''s country code and a space (''+44 hmac:...''). Hashing needs a secret in pii_secret: without one the writers refuse to land.';
COMMENT ON COLUMN connect_lake.pii_config.keep_raw IS 'With a hashing storage: also keep each raw value in pii_value, readable only by connect_lake_pii_reader (analysts read its masked display).';
COMMENT ON COLUMN connect_lake.pii_config.attribute_keys IS 'Contact attribute keys whose values are personal (e.g. {callerPhone}): matched spelt exactly or any way that flattens to the same name (ctr_attribute_column()); an attributes_* column filled from one is stored alike (an integer one is left NULL).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.pii_config', '');

-- The secret: no grant to anyone; the writers read it as its owner (C).
CREATE TABLE connect_lake.pii_secret (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  secret  text NOT NULL,
  set_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE connect_lake.pii_secret IS
  'The lake''s HMAC secret (one row): readable by its owner (a superuser) only, not by connect_lake_reader, connect_lake_loader or connect_lake_pii_reader; the writers read it in C. Keep it once set: another secret gives every value another digest. pg_dump by a superuser includes it, so that a restored lake matches its digests.';
COMMENT ON COLUMN connect_lake.pii_secret.id IS 'Always true: the table holds one row at most.';
COMMENT ON COLUMN connect_lake.pii_secret.secret IS 'The HMAC-SHA256 key (its UTF-8 bytes); at least 32 random bytes, e.g. encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea), ''hex''). Empty counts as missing.';
COMMENT ON COLUMN connect_lake.pii_secret.set_at IS 'When the secret was stored.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.pii_secret', '');

-- Writers cache the setting and the secret per session; editing them tells
-- every session (config_changed(), 00_schema.sql).
CREATE TRIGGER pii_config_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.pii_config
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.config_changed();
CREATE TRIGGER pii_secret_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.pii_secret
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.config_changed();

-- Raw values kept beside their digests (keep_raw), written by the writers.
CREATE TABLE connect_lake.pii_value (
  stored        text PRIMARY KEY,
  raw           text NOT NULL,
  masked        text NOT NULL,
  first_landed  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE connect_lake.pii_value IS
  'Raw personal values kept with pii_config.keep_raw, one row per stored form (digest): raw readable only by connect_lake_pii_reader; analysts read stored and masked (pii_display() shows each role its form).';
COMMENT ON COLUMN connect_lake.pii_value.stored IS 'The value as the lake''s tables hold it (pii_stored_value() of raw).';
COMMENT ON COLUMN connect_lake.pii_value.raw IS 'The value as it came (connect_lake_pii_reader only).';
COMMENT ON COLUMN connect_lake.pii_value.masked IS 'The masked display (pii_mask(raw)): ''+44*******123''.';
COMMENT ON COLUMN connect_lake.pii_value.first_landed IS 'When the value first landed hashed.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.pii_value', '');

CREATE VIEW connect_lake.pii_settings AS
  SELECT coalesce(c.storage, 'raw') AS storage,
         coalesce(c.keep_raw, false) AS keep_raw,
         coalesce(c.attribute_keys, '{}') AS attribute_keys,
         EXISTS (SELECT 1 FROM connect_lake.pii_secret s WHERE s.secret <> '') AS secret_set
    FROM (VALUES (true)) AS one (id)
    LEFT JOIN connect_lake.pii_config c ON c.id;
COMMENT ON VIEW connect_lake.pii_settings IS
  'The personal data setting in force (pii_config, or its defaults) and whether the lake has a secret (never the secret itself).';
COMMENT ON COLUMN connect_lake.pii_settings.storage IS 'raw, hash or hash_keep_country.';
COMMENT ON COLUMN connect_lake.pii_settings.keep_raw IS 'Whether raw values are kept in pii_value.';
COMMENT ON COLUMN connect_lake.pii_settings.attribute_keys IS 'The contact attribute keys stored alike.';
COMMENT ON COLUMN connect_lake.pii_settings.secret_set IS 'Whether pii_secret holds a non-empty secret (hashing refuses to land without one).';

CREATE FUNCTION connect_lake.pii_stored_value(value text) RETURNS text
  AS 'MODULE_PATHNAME', 'pii_stored_value'
  LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION connect_lake.pii_stored_value(text) IS
  'The form in which the lake stores a personal value under the setting in force (pii_config): the value itself when raw, else its keyed digest; to look a number up exactly: WHERE customerendpoint_address = connect_lake.pii_stored_value(''+447700900123''). Refuses when hashing without a secret. connect_lake_pii_reader only: whoever can compute digests can test guessed numbers.';

CREATE FUNCTION connect_lake.pii_stored_forms(value text) RETURNS text[]
  AS 'MODULE_PATHNAME', 'pii_stored_forms'
  LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION connect_lake.pii_stored_forms(text) IS
  'Every form the lake may hold a personal value in, whatever the setting was when a row landed: the value as it came and, when the lake has a secret, its digest under hash and under hash_keep_country; for erasure and look-ups across a change of setting: WHERE customerendpoint_address = ANY (connect_lake.pii_stored_forms(''+447700900123'')). connect_lake_pii_reader only.';

-- The lake's one keyed hash: the stored forms above and the erasure list's
-- digests (86_erasure.sql) are HMAC-SHA256 with this one secret.
CREATE FUNCTION connect_lake.lake_hmac(value text) RETURNS bytea
  AS 'MODULE_PATHNAME', 'lake_hmac'
  LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION connect_lake.lake_hmac(text) IS
  'HMAC-SHA256 of a text''s UTF-8 bytes keyed with the lake''s secret (pii_secret), all 32 bytes; NULL while the lake has no secret. The one keyed hash of the lake: pii_stored_value() is ''hmac:'' and its first 16 bytes in hex, erasure_digest() is that of kind:value. Owner only: whoever can compute digests can test guessed values.';

CREATE FUNCTION connect_lake.pii_mask(value text) RETURNS text
  AS 'MODULE_PATHNAME', 'pii_mask'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.pii_mask(text) IS
  'The masked display of a personal value: an E.164 number''s country code and, of a value longer than 6 characters, its last 3 characters kept, every other character *: pii_mask(''+447700900123'') = ''+44*******123''.';

CREATE FUNCTION connect_lake.pii_display(stored text) RETURNS text
  LANGUAGE plpgsql STABLE STRICT
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  shown text;
BEGIN
  IF pg_catalog.has_column_privilege('connect_lake.pii_value', 'raw', 'SELECT') THEN
    SELECT v.raw INTO shown FROM connect_lake.pii_value v WHERE v.stored = pii_display.stored;
    RETURN coalesce(shown, stored);
  END IF;
  SELECT v.masked INTO shown FROM connect_lake.pii_value v WHERE v.stored = pii_display.stored;
  -- a digest with no raw value kept stays the digest; a raw value (storage raw) is masked
  RETURN coalesce(shown, CASE WHEN stored ~ '^(\+[0-9]{1,3} )?hmac:[0-9a-f]{32}$' THEN stored
                              ELSE connect_lake.pii_mask(stored) END);
END
$fn$;
COMMENT ON FUNCTION connect_lake.pii_display(text) IS
  'A stored personal value as the caller may see it: the raw value kept in pii_value for connect_lake_pii_reader, the masked display for everyone else (a value landed raw is masked; a digest with nothing kept stays the digest): SELECT connect_lake.pii_display(customerendpoint_address) FROM connect_lake.ctr_events.';
