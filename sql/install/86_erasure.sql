-- Forgetting a customer (GDPR erasure): forget_customer(), the erasure list
-- the loader consults, and the audit of what was forgotten.
--
-- forget_customer(key) works in three stages, each a function of its own:
--
--   1. resolve: the key's contacts and cases, through
--      indexed lookups only: account -> contact_account and case_events.account;
--      phone -> ctr_events.customerendpoint_address (in its stored form,
--      pii_stored_value()); contactid -> the contact; profile_id -> case
--      customer_id (profile_arn_id()) and ctr_events.customerid; the
--      customer's profiles (cl_erase_profile): the profile id itself, the
--      profiles whose account is the account key, those with the phone in
--      one of their four phone columns.  Then the closure: every leg of
--      those contacts (initial, previous, next), the profiles merged with
--      those profiles (customer_profile_merge, merged_into, both ways) and
--      the contacts linked to them (contact_profile, their accounts, their
--      phone numbers) or to the contacts,
--      until nothing new is found; then the cases the contacts are linked
--      to (caseId attribute, Contact related items) and those naming one of
--      the profiles.
--   2. values (erasure_collect_values): the personal values those rows hold
--      (account numbers, customer endpoints, profile ids, ...) and, for the
--      values other rows join on, a pseudonym: an account becomes a negative
--      number, an endpoint 'forgotten:N', the same one wherever it stood
--      (the erasure list keeps the digest -> pseudonym pair), so that every
--      link, repeat chain and metric stays what it was.
--   3. steps (erasure_step, one function per table): each table's personal
--      columns overwritten for those contacts, cases and profiles.  The table lists
--      the steps; a new table holding personal values adds a row and a
--      function.
--
-- The erasure list holds keyed digests, never a value: HMAC-SHA256 with the
-- lake's secret (pii_secret, 25_pii.sql; made at the first erasure when the
-- lake has none) of the key kind, ':' and the value, computed by the one
-- keyed hash of the lake, lake_hmac() (src/pii.c), which also gives the
-- stored forms of hashed phone numbers.  The writers' upkeep (upkeep.h,
-- src/erasure.c) hands the rows each transaction landed to erasure_landed()
-- before it commits, which scrubs those carrying a forgotten contact, case,
-- account, phone or profile the same way.

-- The lookups forget_customer() makes are indexed (each new month partition
-- gets these; the upgrade adds them to the months that exist).
UPDATE connect_lake.fact_table
   SET indexes = indexes || ARRAY['(customerendpoint_address) WHERE customerendpoint_address IS NOT NULL',
                                  '(customerid) WHERE customerid IS NOT NULL']
 WHERE relname = 'ctr_events';
UPDATE connect_lake.fact_table
   SET indexes = indexes || ARRAY['(connect_lake.profile_arn_id(detail_case_fields_customer_id)) WHERE detail_case_fields_customer_id IS NOT NULL']
 WHERE relname = 'case_events';
-- the loader finds the rejects of its own transaction
CREATE INDEX load_rejects_rejected_at_idx ON connect_lake.load_rejects (rejected_at);
-- forget_customer() finds the rejects holding one of the customer's values
-- by the tokens of their raw text (runs of letters, digits and @.+_-)
CREATE FUNCTION connect_lake.erasure_tokens(t text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
    SELECT coalesce(array_agg(DISTINCT m[1]) FILTER (WHERE length(m[1]) <= 200), '{}')
      FROM regexp_matches(t, '([[:alnum:]+][[:alnum:]@.+_-]{2,}[[:alnum:]])', 'g') m
  $fn$;
COMMENT ON FUNCTION connect_lake.erasure_tokens(text) IS
  'Internal: the distinct tokens of a text (runs of 4 to 200 letters, digits and @.+_-, beginning with a letter, digit or + and ending with a letter or digit; a longer run is no token): what the index of load_rejects.raw holds, so that forget_customer() finds the rejects holding a value by index.';
CREATE INDEX load_rejects_raw_tokens_idx ON connect_lake.load_rejects
  USING gin (connect_lake.erasure_tokens(raw)) WHERE raw IS NOT NULL;

CREATE TABLE connect_lake.erasure_audit (
  erasure_id    bigserial PRIMARY KEY,
  erased_at     timestamptz NOT NULL DEFAULT now(),
  erased_by     name NOT NULL DEFAULT session_user,
  key_kind      text NOT NULL CHECK (key_kind IN ('account', 'profile_id', 'phone', 'contactid', 'reapplied')),
  key_digest    bytea,
  forget_all    boolean NOT NULL DEFAULT false,
  customers     integer NOT NULL,
  contacts      integer NOT NULL,
  cases         integer NOT NULL,
  rows_changed  jsonb NOT NULL
);
COMMENT ON TABLE connect_lake.erasure_audit IS
  'One row per forget_customer() call that found something or not, and per transaction in which the loader scrubbed re-delivered records of a forgotten customer (reapplied): who, when, which kind of key, its digest (never the value) and what changed.';
COMMENT ON COLUMN connect_lake.erasure_audit.erasure_id IS 'Identifier of the erasure.';
COMMENT ON COLUMN connect_lake.erasure_audit.erased_at IS 'When (transaction start).';
COMMENT ON COLUMN connect_lake.erasure_audit.erased_by IS 'The session user who called forget_customer() (or whose load was scrubbed).';
COMMENT ON COLUMN connect_lake.erasure_audit.key_kind IS 'account, profile_id, phone, contactid; reapplied for the loader''s scrubbing.';
COMMENT ON COLUMN connect_lake.erasure_audit.key_digest IS 'Keyed digest of the key (erasure_digest()); NULL for reapplied.';
COMMENT ON COLUMN connect_lake.erasure_audit.forget_all IS 'Whether forget_all was given (a key matching several customers).';
COMMENT ON COLUMN connect_lake.erasure_audit.customers IS 'Customers the key matched (account and profile groups; 1 for a key naming none).';
COMMENT ON COLUMN connect_lake.erasure_audit.contacts IS 'Contacts (legs) forgotten.';
COMMENT ON COLUMN connect_lake.erasure_audit.cases IS 'Cases forgotten.';
COMMENT ON COLUMN connect_lake.erasure_audit.rows_changed IS 'Rows changed per table, {"ctr_events": 4, ...}.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.erasure_audit', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.erasure_audit_erasure_id_seq', '');

CREATE TABLE connect_lake.erasure_list (
  digest      bytea PRIMARY KEY,
  key_kind    text NOT NULL CHECK (key_kind IN ('account', 'endpoint', 'profile', 'contactid', 'case')),
  matches     boolean NOT NULL,
  pseudonym   text,
  erasure_id  bigint NOT NULL,
  added_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE connect_lake.erasure_list IS
  'Keys forgotten, as keyed digests (erasure_digest(kind, value)), never in clear: the loader scrubs a record carrying one that matches; and the pseudonym that replaced a value other rows join on.';
COMMENT ON COLUMN connect_lake.erasure_list.digest IS 'erasure_digest(key_kind, value).';
COMMENT ON COLUMN connect_lake.erasure_list.key_kind IS 'account, endpoint (a phone or address in its stored form), profile, contactid, case.';
COMMENT ON COLUMN connect_lake.erasure_list.matches IS 'true: a record carrying this key is scrubbed when it lands; false: kept only for its pseudonym.';
COMMENT ON COLUMN connect_lake.erasure_list.pseudonym IS 'What replaced the value where it stood (an account: a negative number; an endpoint: forgotten:N); NULL when the value was removed.';
COMMENT ON COLUMN connect_lake.erasure_list.erasure_id IS 'The erasure (erasure_audit) that added it.';
COMMENT ON COLUMN connect_lake.erasure_list.added_at IS 'When it was added.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.erasure_list', '');

CREATE SEQUENCE connect_lake.erasure_pseudonym_seq;
COMMENT ON SEQUENCE connect_lake.erasure_pseudonym_seq IS 'Numbers the pseudonyms of forgotten accounts (negated) and endpoints.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.erasure_pseudonym_seq', '');

-- The keyed digest, defined once: the lake's keyed hash (lake_hmac(), the
-- secret read in C as its owner) of the kind, ':' and the value.  A plain
-- SQL function, inlined into the loader's check (owner only).
CREATE FUNCTION connect_lake.erasure_digest(kind text, value text) RETURNS bytea
  LANGUAGE sql STABLE STRICT PARALLEL RESTRICTED
  AS $fn$ SELECT connect_lake.lake_hmac(pg_catalog.concat(kind, ':', value)) $fn$;
COMMENT ON FUNCTION connect_lake.erasure_digest(text, text) IS
  'Keyed digest of a key of the erasure list: HMAC-SHA256 with the lake''s secret (lake_hmac(), pii_secret) of the kind, '':'' and the value; NULL while the lake has no secret (owner only).';

-- The lake's secret keys the list: changing or removing it while the list
-- holds digests would let every forgotten key back in unnoticed.
CREATE FUNCTION connect_lake.erasure_secret_guard() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF (TG_OP = 'TRUNCATE' OR TG_OP = 'DELETE' OR OLD.secret IS DISTINCT FROM NEW.secret)
     AND (TG_OP = 'TRUNCATE' OR OLD.secret <> '')
     AND EXISTS (SELECT 1 FROM connect_lake.erasure_list) THEN
    RAISE EXCEPTION 'cannot change the lake''s secret: the erasure list holds digests keyed with it'
      USING ERRCODE = 'object_in_use',
            DETAIL = 'connect_lake.erasure_list recognises forgotten customers by HMAC digests made with connect_lake.pii_secret; another secret would let their records land unscrubbed.',
            HINT = 'Keep the secret (it also keys hashed phone numbers).';
  END IF;
  RETURN CASE WHEN TG_OP = 'TRUNCATE' THEN NULL WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_secret_guard() IS
  'Trigger of pii_secret: refuses to change, delete or truncate a non-empty secret while erasure_list has rows (its digests are keyed with it).';
CREATE TRIGGER pii_secret_erasure_guard
  BEFORE UPDATE OR DELETE ON connect_lake.pii_secret
  FOR EACH ROW EXECUTE FUNCTION connect_lake.erasure_secret_guard();
CREATE TRIGGER pii_secret_erasure_guard_truncate
  BEFORE TRUNCATE ON connect_lake.pii_secret
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.erasure_secret_guard();

-- Which attributes stay: not personal, and what metrics and links read.
CREATE FUNCTION connect_lake.erasure_attribute_kept(column_name text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT column_name IN ('attributes_intent', 'attributes_caseid',
                           'attributes_csatresults_agentrating', 'attributes_csatresults_resolutionrating')
  $fn$;
COMMENT ON FUNCTION connect_lake.erasure_attribute_kept(text) IS
  'Whether forget_customer() keeps a contact attribute (by its attributes_* column, ctr_attribute_column() of its key): intent, caseId and the CSAT ratings are kept (what the metrics, repeat chains and case links read); every other attribute is personal data and goes.';

CREATE FUNCTION connect_lake.erasure_attributes_scrub(attributes jsonb) RETURNS jsonb
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
    SELECT CASE WHEN jsonb_typeof(attributes) <> 'object' THEN NULL
           ELSE coalesce((SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(attributes) e
                           WHERE connect_lake.erasure_attribute_kept(connect_lake.ctr_attribute_column(e.key))
                              OR e.key IN (SELECT m.attribute_key FROM connect_lake.ctr_attribute_map_effective m
                                            WHERE connect_lake.erasure_attribute_kept(m.column_name))), '{}') END
  $fn$;
COMMENT ON FUNCTION connect_lake.erasure_attributes_scrub(jsonb) IS
  'A CTR''s Attributes with only the kept keys (erasure_attribute_kept()).';

-- ---- The working set of one erasure (temporary tables of the transaction).
CREATE FUNCTION connect_lake.erasure_work_begin() RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF to_regclass('pg_temp.cl_erase_contact') IS NULL THEN
    CREATE TEMP TABLE cl_erase_contact (contactid uuid PRIMARY KEY, initiationtimestamp timestamptz) ON COMMIT DROP;
    CREATE TEMP TABLE cl_erase_case (caseid text PRIMARY KEY) ON COMMIT DROP;
    CREATE TEMP TABLE cl_erase_value (kind text, value text, pseudonym text, PRIMARY KEY (kind, value)) ON COMMIT DROP;
    CREATE TEMP TABLE cl_erase_profile (profile_id text PRIMARY KEY) ON COMMIT DROP;
  END IF;
  TRUNCATE cl_erase_contact, cl_erase_case, cl_erase_value, cl_erase_profile;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_work_begin() IS
  'Internal: the temporary tables of one erasure (cl_erase_contact, cl_erase_case, cl_erase_value, cl_erase_profile), empty.';

-- The working set as arrays: the lake's lookups take them as index keys
-- (= ANY ((SELECT ...)::uuid[]): computed once, an init plan), whatever the planner
-- thinks of the temporary tables.
CREATE FUNCTION connect_lake.erasure_contacts() RETURNS uuid[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN ARRAY(SELECT e.contactid FROM cl_erase_contact e);
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_contacts() IS 'Internal: the contacts of the current erasure.';

CREATE FUNCTION connect_lake.erasure_cases() RETURNS text[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN ARRAY(SELECT k.caseid FROM cl_erase_case k);
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_cases() IS 'Internal: the cases of the current erasure.';

CREATE FUNCTION connect_lake.erasure_profiles() RETURNS text[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN ARRAY(SELECT p.profile_id FROM cl_erase_profile p);
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_profiles() IS 'Internal: the Customer Profiles profiles of the current erasure.';

CREATE FUNCTION connect_lake.erasure_profile_accounts() RETURNS bigint[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN ARRAY(SELECT DISTINCT p.account FROM connect_lake.customer_profile p
                WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]) AND p.account >= 0);
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_profile_accounts() IS 'Internal: the account numbers of the current erasure''s profiles.';

CREATE FUNCTION connect_lake.erasure_profile_phones() RETURNS text[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN ARRAY(SELECT DISTINCT connect_lake.pii_stored_value(n.phone)
                 FROM connect_lake.customer_profile p
                CROSS JOIN LATERAL unnest(ARRAY[p.phone_number, p.mobile_phone_number, p.home_phone_number,
                                                p.business_phone_number]) n(phone)
                WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
                  AND n.phone IS NOT NULL AND n.phone NOT LIKE 'forgotten:%');
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_profile_phones() IS 'Internal: the phone numbers of the current erasure''s profiles, in the form the lake stores a customer endpoint (pii_stored_value()).';

-- Legs and linked cases of the working set, until nothing new is found.
CREATE FUNCTION connect_lake.erasure_close() RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  added bigint;
  more  bigint;
  i     integer;
BEGIN
  FOR i IN 1..50 LOOP
    -- statistics of the working set, for the plans of what follows
    ANALYZE cl_erase_contact;
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT n.id FROM (
      SELECT unnest(ARRAY[c.initialcontactid, c.previouscontactid, c.nextcontactid]) AS id
        FROM connect_lake.ctr_events c WHERE c.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
      UNION ALL
      SELECT unnest(ARRAY[v.detail_initialcontactid, v.detail_previouscontactid])
        FROM connect_lake.contact_events v WHERE v.detail_contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
      UNION ALL
      SELECT c.contactid FROM connect_lake.ctr_events c WHERE c.initialcontactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
      UNION ALL
      SELECT c.contactid FROM connect_lake.ctr_events c WHERE c.previouscontactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])) n
     WHERE n.id IS NOT NULL
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    -- the profiles of the contacts, and those merged with the profiles
    -- (both ways: the survivor and what was merged into it)
    ANALYZE cl_erase_profile;
    INSERT INTO cl_erase_profile (profile_id)
    SELECT DISTINCT n.id FROM (
      SELECT l.profile_id AS id
        FROM connect_lake.contact_profile l WHERE l.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
      UNION ALL
      SELECT m.survivor_profile_id
        FROM connect_lake.customer_profile_merge m WHERE m.duplicate_profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
      UNION ALL
      SELECT m.duplicate_profile_id
        FROM connect_lake.customer_profile_merge m WHERE m.survivor_profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
      UNION ALL
      SELECT p.merged_into
        FROM connect_lake.customer_profile p WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
      UNION ALL
      SELECT p.profile_id
        FROM connect_lake.customer_profile p WHERE p.merged_into = ANY ((SELECT connect_lake.erasure_profiles())::text[])) n
     WHERE n.id IS NOT NULL
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS more = ROW_COUNT;
    added := added + more;
    -- the contacts linked to the profiles, to their accounts, or calling
    -- from their phone numbers
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT n.id FROM (
      SELECT l.contactid AS id
        FROM connect_lake.contact_profile l WHERE l.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
      UNION ALL
      SELECT a.contactid
        FROM connect_lake.contact_account a
       WHERE a.account = ANY ((SELECT connect_lake.erasure_profile_accounts())::bigint[])
      UNION ALL
      SELECT c.contactid
        FROM connect_lake.ctr_events c
       WHERE c.customerendpoint_address = ANY ((SELECT connect_lake.erasure_profile_phones())::text[])
         -- but another customer's (naming an account that is not theirs)
         AND NOT EXISTS (SELECT 1 FROM connect_lake.contact_account a
                          WHERE a.contactid = c.contactid AND a.account >= 0
                            AND a.account <> ALL ((SELECT connect_lake.erasure_profile_accounts())::bigint[])
                            AND a.account::text NOT IN (SELECT v.value FROM cl_erase_value v WHERE v.kind = 'account'))) n
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS more = ROW_COUNT;
    added := added + more;
    EXIT WHEN added = 0;
  END LOOP;
  -- the cases the contacts are linked to, but another customer's (a case
  -- whose account is none of the accounts the contacts name, nor the key)
  INSERT INTO cl_erase_case (caseid)
  SELECT DISTINCT k.id FROM (
    SELECT c.attributes_caseid AS id
      FROM connect_lake.ctr_events c WHERE c.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
    UNION ALL
    SELECT r.detail_relateditem_caseid
      FROM connect_lake.case_related_items r WHERE r.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])) k
   WHERE k.id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM connect_lake.case_state s
                      WHERE s.detail_case_caseid = k.id AND s.account >= 0
                        AND s.account::text NOT IN (SELECT a.account::text FROM connect_lake.contact_account a
                                                     WHERE a.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
                                                    UNION ALL
                                                    SELECT v.value FROM cl_erase_value v WHERE v.kind = 'account'))
  ON CONFLICT DO NOTHING;
  -- the cases naming one of the profiles (customer_id) or their accounts
  INSERT INTO cl_erase_case (caseid)
  SELECT DISTINCT n.id FROM (
    SELECT c.detail_case_caseid AS id FROM connect_lake.case_events c
     WHERE connect_lake.profile_arn_id(c.detail_case_fields_customer_id) = ANY ((SELECT connect_lake.erasure_profiles())::text[])
       AND c.detail_case_fields_customer_id IS NOT NULL
    UNION ALL
    SELECT c.detail_case_caseid FROM connect_lake.case_events c
     WHERE c.account = ANY ((SELECT connect_lake.erasure_profile_accounts())::bigint[])) n
  ON CONFLICT DO NOTHING;
  ANALYZE cl_erase_contact, cl_erase_case, cl_erase_profile;
  UPDATE cl_erase_contact e SET initiationtimestamp = c.initiationtimestamp
    FROM connect_lake.ctr_events c WHERE c.contactid = e.contactid AND c.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]);
END
$fn$;

COMMENT ON FUNCTION connect_lake.erasure_close() IS
  'Internal: adds to the erasure''s contacts every leg (initial, previous, next contact, both ways) and the contacts linked to its profiles (contact_profile), to their accounts or calling from their phone numbers (unless naming another account), to its profiles those of its contacts and those merged with them (customer_profile_merge, merged_into, both ways), until nothing new is found; then to its cases those the contacts are linked to (caseId attribute, Contact related item) unless the case names an account that neither the contacts nor the key name (another customer''s case), and those naming one of its profiles or their accounts.';

-- The pseudonym of a value: the one the list holds for it, else a new one.
CREATE FUNCTION connect_lake.erasure_pseudonym(kind text, value text, erasure_id bigint) RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  d bytea := connect_lake.erasure_digest(kind, value);
  p text;
BEGIN
  SELECT l.pseudonym INTO p FROM connect_lake.erasure_list l WHERE l.digest = d;
  IF p IS NULL THEN
    p := CASE kind WHEN 'account' THEN (-nextval('connect_lake.erasure_pseudonym_seq'))::text
                   ELSE 'forgotten:' || nextval('connect_lake.erasure_pseudonym_seq') END;
    INSERT INTO connect_lake.erasure_list (digest, key_kind, matches, pseudonym, erasure_id)
    VALUES (d, kind, false, p, erasure_pseudonym.erasure_id)
    ON CONFLICT (digest) DO UPDATE SET pseudonym = excluded.pseudonym;
  END IF;
  RETURN p;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_pseudonym(text, text, bigint) IS
  'Internal: the pseudonym replacing a forgotten account (a negative number) or endpoint (forgotten:N): the one already given to the same value, else a new one kept in erasure_list by digest.';

-- The personal values of the working set, with pseudonyms where rows join on them.
CREATE FUNCTION connect_lake.erasure_collect_values(erasure_id bigint) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  INSERT INTO cl_erase_value (kind, value)
  SELECT DISTINCT x.kind, x.value FROM (
    SELECT 'account' AS kind, a.account::text AS value
      FROM connect_lake.contact_account a 
     WHERE a.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]) AND a.account >= 0
    UNION ALL
    SELECT 'account', c.account::text
      FROM connect_lake.case_events c 
     WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]) AND c.account >= 0
    UNION ALL
    SELECT u.kind, u.value
      FROM connect_lake.ctr_events c
     CROSS JOIN LATERAL (VALUES ('endpoint', c.customerendpoint_address), ('text', c.transferredtoendpoint_address),
                                ('profile', c.customerid), ('text', c.attributes_accountnumbers),
                                ('text', c.attributes_juniferid), ('text', c.name), ('text', c.description)) u(kind, value)
     WHERE c.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]) AND u.value IS NOT NULL AND u.value NOT LIKE 'forgotten:%'
    UNION ALL
    SELECT 'profile', connect_lake.profile_arn_id(c.detail_case_fields_customer_id)
      FROM connect_lake.case_events c 
     WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]) AND c.detail_case_fields_customer_id IS NOT NULL
    UNION ALL
    SELECT 'contactid', e.contactid::text FROM cl_erase_contact e
    UNION ALL
    SELECT 'case', k.caseid FROM cl_erase_case k
    UNION ALL
    SELECT 'profile', p.profile_id FROM cl_erase_profile p
    UNION ALL
    -- the profiles' values: accounts and phones take the pseudonyms they
    -- have elsewhere, e-mail addresses one too (a reject holding one is
    -- found by its digest), names and addresses are found in free text
    SELECT u.kind, u.value
      FROM connect_lake.customer_profile p
     CROSS JOIN LATERAL (VALUES ('account', CASE WHEN p.account >= 0 THEN p.account::text END),
                                ('endpoint', p.phone_number), ('endpoint', p.mobile_phone_number),
                                ('endpoint', p.home_phone_number), ('endpoint', p.business_phone_number),
                                ('endpoint', connect_lake.pii_stored_value(p.phone_number)),
                                ('endpoint', connect_lake.pii_stored_value(p.mobile_phone_number)),
                                ('endpoint', connect_lake.pii_stored_value(p.home_phone_number)),
                                ('endpoint', connect_lake.pii_stored_value(p.business_phone_number)),
                                ('endpoint', p.email_address), ('endpoint', p.personal_email_address),
                                ('endpoint', p.business_email_address), ('text', p.account_number),
                                ('text', p.business_name), ('text', p.first_name), ('text', p.last_name)) u(kind, value)
     WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]) AND u.value IS NOT NULL
       AND u.value NOT LIKE 'forgotten:%'
    UNION ALL
    SELECT 'account', e.account::text
      FROM connect_lake.customer_profile_events e
     WHERE e.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]) AND e.account >= 0) x
  ON CONFLICT DO NOTHING;
  ANALYZE cl_erase_contact, cl_erase_case, cl_erase_value;
  UPDATE cl_erase_value v SET pseudonym = connect_lake.erasure_pseudonym(v.kind, v.value, erasure_id)
   WHERE v.kind IN ('account', 'endpoint');
  -- contacts and cases forgotten: a record of them landing later is scrubbed
  INSERT INTO connect_lake.erasure_list (digest, key_kind, matches, erasure_id)
  SELECT connect_lake.erasure_digest(v.kind, v.value), v.kind, true, erasure_id
    FROM cl_erase_value v
   WHERE v.kind IN ('contactid', 'case')
      OR (v.kind = 'profile' AND v.value IN (SELECT p.profile_id FROM cl_erase_profile p))
  ON CONFLICT (digest) DO UPDATE SET matches = true;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_collect_values(bigint) IS
  'Internal: the personal values of the erasure''s contacts, cases and profiles (accounts, endpoints, profile ids, attribute values, the profiles'' phones, e-mail addresses and names) and the pseudonyms of those rows join on; the contacts, cases and profiles join the erasure list.';

-- Whether a text holds one of the erasure's values (free text: results, rejects).
CREATE FUNCTION connect_lake.erasure_text_holds(t text) RETURNS boolean
  LANGUAGE plpgsql STABLE COST 10000
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN t IS NOT NULL AND EXISTS (SELECT 1 FROM cl_erase_value v
                                    WHERE length(v.value) >= 4 AND strpos(t, v.value) > 0);
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_text_holds(text) IS
  'Internal: whether a text holds one of the current erasure''s values (4 characters or more).';

-- ---- The steps: one per table holding a personal value.
CREATE TABLE connect_lake.erasure_step (
  step        integer PRIMARY KEY,
  table_name  name NOT NULL,
  scrub       text NOT NULL,
  what        text NOT NULL
);
COMMENT ON TABLE connect_lake.erasure_step IS
  'What forget_customer() does to each table holding personal values, in order: the function (connect_lake.<scrub>() returning the rows changed) and, in words, what it removes or overwrites. Tables not listed hold no customer value (agent activity, rollups, dimensions) or ids only (customer_profile_merge, contact_profile).';
COMMENT ON COLUMN connect_lake.erasure_step.step IS 'Order of the step.';
COMMENT ON COLUMN connect_lake.erasure_step.table_name IS 'The table scrubbed.';
COMMENT ON COLUMN connect_lake.erasure_step.scrub IS 'Function connect_lake.<scrub>() RETURNS bigint, reading the erasure''s working set.';
COMMENT ON COLUMN connect_lake.erasure_step.what IS 'What the step removes or overwrites.';

CREATE FUNCTION connect_lake.erasure_scrub_ctr_events() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  cols text;
  n    bigint;
BEGIN
  -- every attributes_* column but the kept ones, whatever the attribute map
  SELECT string_agg(format('%I = NULL', a.attname), ', ' ORDER BY a.attnum) INTO cols
    FROM pg_attribute a
   WHERE a.attrelid = 'connect_lake.ctr_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attname LIKE 'attributes\_%' AND NOT connect_lake.erasure_attribute_kept(a.attname);
  EXECUTE format($q$
    UPDATE connect_lake.ctr_events c
       SET customerendpoint_address = coalesce((SELECT v.pseudonym FROM cl_erase_value v
                                                 WHERE v.kind = 'endpoint' AND v.value = c.customerendpoint_address),
                                               CASE WHEN c.customerendpoint_address LIKE 'forgotten:%%'
                                                    THEN c.customerendpoint_address END),
           transferredtoendpoint_address = NULL, customerid = NULL, name = NULL, description = NULL,
           attributes = connect_lake.erasure_attributes_scrub(c.attributes),
           contact_references = NULL, contactlens = NULL, segmentattributes = NULL, voiceidresult = NULL,
           contactdetails = NULL, additionalemailrecipients = NULL, externalthirdparty = NULL, tags = NULL,
           routingcriteria = NULL, extra = NULL %s
     WHERE c.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])$q$,
    CASE WHEN cols IS NULL THEN '' ELSE ', ' || cols END);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_contact_account() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.contact_account a SET account = v.pseudonym::bigint
    FROM cl_erase_value v
   WHERE a.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]) AND v.kind = 'account' AND v.value = a.account::text;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_contact_flow_log() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.contact_flow_log f
     SET parameters = NULL, externalresults = NULL, extra = NULL,
         results = CASE WHEN connect_lake.erasure_text_holds(f.results) THEN '[forgotten]' ELSE f.results END
   WHERE f.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
     AND (f.parameters IS NOT NULL OR f.externalresults IS NOT NULL OR f.extra IS NOT NULL
          OR connect_lake.erasure_text_holds(f.results));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_contact_events() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.contact_events v
     SET detail_updatedproperties = NULL, detail_tags = NULL, detail_segmentattributes = NULL,
         detail_contactlens = NULL, detail_routingcriteria = NULL, extra = NULL
   WHERE v.detail_contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
     AND (v.detail_updatedproperties IS NOT NULL OR v.detail_tags IS NOT NULL OR v.detail_segmentattributes IS NOT NULL
          OR v.detail_contactlens IS NOT NULL OR v.detail_routingcriteria IS NOT NULL OR v.extra IS NOT NULL);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_case_events() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.case_events c
     SET detail_case_fields_title = NULL, detail_case_fields_description = NULL, detail_case_fields_summary = NULL,
         detail_case_fields_reference_number = NULL, detail_case_fields_other = NULL, extra = NULL,
         account = coalesce((SELECT v.pseudonym::bigint FROM cl_erase_value v
                              WHERE v.kind = 'account' AND v.value = c.account::text),
                            CASE WHEN c.account < 0 THEN c.account END)
   WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_case_state() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.case_state c
     SET detail_case_fields_title = NULL, detail_case_fields_description = NULL, detail_case_fields_summary = NULL,
         detail_case_fields_reference_number = NULL, detail_case_fields_other = NULL, extra = NULL,
         account = coalesce((SELECT v.pseudonym::bigint FROM cl_erase_value v
                              WHERE v.kind = 'account' AND v.value = c.account::text),
                            CASE WHEN c.account < 0 THEN c.account END)
   WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_case_related_items() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.case_related_items r
     SET comment_body = NULL, extra = NULL
   WHERE r.detail_relateditem_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]) AND (r.comment_body IS NOT NULL OR r.extra IS NOT NULL);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

-- The profile tables: the events' objects go, the state is what
-- customer_profile_refresh() makes of the scrubbed events (the same
-- result whether the lake refreshes the profile later or not).
CREATE FUNCTION connect_lake.erasure_profile_object(object jsonb, object_type text) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN jsonb_typeof(object) <> 'object' THEN NULL
                WHEN upper(object_type) = 'CTR'
                THEN jsonb_strip_nulls(jsonb_build_object('InitiationTimestamp', object -> 'InitiationTimestamp'))
                ELSE '{}' END
  $fn$;
COMMENT ON FUNCTION connect_lake.erasure_profile_object(jsonb, text) IS
  'Internal: what forget_customer() leaves of a profile event''s Object: an empty object (a CTR object: its InitiationTimestamp only), so that customer_profile_refresh() still finds the profile''s latest _profile event and the contact''s time; NULL when it was not an object.';

CREATE FUNCTION connect_lake.erasure_scrub_customer_profile_events() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.customer_profile_events e
     SET object = connect_lake.erasure_profile_object(e.object, e.object_type), extra = NULL,
         profile_object_unique_key = NULL,
         account = coalesce((SELECT v.pseudonym::bigint FROM cl_erase_value v
                              WHERE v.kind = 'account' AND v.value = e.account::text),
                            CASE WHEN e.account < 0 THEN e.account END)
   WHERE (e.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
          OR e.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
          OR e.account = ANY ((SELECT array_agg(v.value::bigint) FROM cl_erase_value v WHERE v.kind = 'account')::bigint[]))
     AND (e.object IS DISTINCT FROM connect_lake.erasure_profile_object(e.object, e.object_type)
          OR e.extra IS NOT NULL OR e.profile_object_unique_key IS NOT NULL OR e.account >= 0);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_customer_profile() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.customer_profile p
     SET account_number = NULL, party_type = NULL, business_name = NULL, first_name = NULL, middle_name = NULL,
         last_name = NULL, birth_date = NULL, gender = NULL, phone_number = NULL, mobile_phone_number = NULL,
         home_phone_number = NULL, business_phone_number = NULL, email_address = NULL,
         personal_email_address = NULL, business_email_address = NULL, additional_information = NULL,
         address = NULL, shipping_address = NULL, mailing_address = NULL, billing_address = NULL, attributes = NULL,
         account = coalesce((SELECT v.pseudonym::bigint FROM cl_erase_value v
                              WHERE v.kind = 'account' AND v.value = p.account::text),
                            CASE WHEN p.account < 0 THEN p.account END)
   WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_customer_profile_history() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.customer_profile_history h SET changed_fields = NULL
   WHERE h.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]) AND h.changed_fields IS NOT NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_contact_repeat() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.contact_repeat r SET customer_key = v.pseudonym
    FROM cl_erase_value v
   WHERE r.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]) AND v.value = r.customer_key
     AND v.kind = CASE r.key_kind WHEN 'account' THEN 'account' ELSE 'endpoint' END;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_load_rejects() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  -- per value, the rejects holding all its tokens (an index lookup), each
  -- checked for the whole value; a value of no token (short words only) is
  -- searched for in every reject
  IF EXISTS (SELECT 1 FROM cl_erase_value v
              WHERE length(v.value) >= 4 AND cardinality(connect_lake.erasure_tokens(v.value)) = 0) THEN
    UPDATE connect_lake.load_rejects r SET raw = NULL
     WHERE r.raw IS NOT NULL AND connect_lake.erasure_text_holds(r.raw);
  ELSE
    UPDATE connect_lake.load_rejects r SET raw = NULL
     WHERE r.reject_id IN (
       SELECT j.reject_id
         FROM (SELECT DISTINCT v.value, connect_lake.erasure_tokens(v.value) AS tokens
                 FROM cl_erase_value v WHERE length(v.value) >= 4) v
         JOIN connect_lake.load_rejects j
           ON connect_lake.erasure_tokens(j.raw) @> v.tokens AND j.raw IS NOT NULL
        WHERE strpos(j.raw, v.value) > 0);
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

-- The flow funnels' result counts: flow_block_day.results counts every
-- result text of a day's block runs under the text itself, so a result that
-- held a forgotten value (scrubbed to [forgotten] in contact_flow_log by its
-- step) stayed a key of the day's counts.  The days of the erasure's
-- contacts whose counts hold one are made again from the scrubbed logs
-- (flows_refresh_day_runs()), exactly as flows_refresh() would make them;
-- the rows changed are the block rows that held one.  The last step: every
-- other table's rows are scrubbed (and their writers waited for) before the
-- flows' lock is taken, which a CTR writer's commit takes alone after its
-- metrics' and repeats' locks; the repeats' lock before it, in the writers'
-- order (the erasure check of CTRs rebuilds repeat chains after the steps).
CREATE FUNCTION connect_lake.erasure_scrub_flow_block_day() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  days date[];
  n    bigint;
BEGIN
  SELECT coalesce(array_agg(DISTINCT b.day), '{}'), count(*) INTO days, n
    FROM connect_lake.flow_block_day b
   WHERE b.day = ANY (ARRAY(SELECT DISTINCT p.day FROM connect_lake.contact_flow_path p
                             WHERE p.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])))
     AND EXISTS (SELECT 1 FROM jsonb_object_keys(b.results) k WHERE connect_lake.erasure_text_holds(k));
  IF n > 0 THEN
    PERFORM pg_advisory_xact_lock(1131164272, 0);
    PERFORM connect_lake.flows_refresh_day_runs(days);
  END IF;
  RETURN n;
END
$fn$;

INSERT INTO connect_lake.erasure_step VALUES
  (10, 'ctr_events', 'erasure_scrub_ctr_events',
   'customer endpoint -> pseudonym; transfer endpoint, customerid, name, description, contact references, Contact Lens, segment attributes, Voice ID, contact details, e-mail recipients, third party, tags, routing criteria, extra -> NULL; attributes but intent, caseId and CSAT ratings removed (jsonb and attributes_* columns)'),
  (20, 'contact_account', 'erasure_scrub_contact_account', 'account -> pseudonym (negative)'),
  (30, 'contact_flow_log', 'erasure_scrub_contact_flow_log', 'parameters, external results, extra -> NULL; results holding one of the values -> [forgotten]'),
  (40, 'contact_events', 'erasure_scrub_contact_events', 'updated properties, tags, segment attributes, Contact Lens, routing criteria, extra -> NULL'),
  (50, 'case_events', 'erasure_scrub_case_events', 'title, description, summary, reference number, other fields, extra -> NULL; account -> pseudonym (the customer id, a profile ARN, kept: the profile''s links stay)'),
  (60, 'case_state', 'erasure_scrub_case_state', 'as case_events'),
  (70, 'case_related_items', 'erasure_scrub_case_related_items', 'comment body, extra -> NULL'),
  (72, 'customer_profile_events', 'erasure_scrub_customer_profile_events', 'of the profiles, the contacts and the accounts: object -> {} (a CTR object: its InitiationTimestamp only), extra, object unique key -> NULL; account -> pseudonym (event id, times, event and object type, profile, contact, merge kept)'),
  (74, 'customer_profile', 'erasure_scrub_customer_profile', 'account number, party type, names, birth date, gender, phones, e-mail addresses, additional information, addresses, attributes -> NULL; account -> pseudonym (merged_into, times kept)'),
  (76, 'customer_profile_history', 'erasure_scrub_customer_profile_history', 'changed fields -> NULL (as customer_profile_refresh() makes them from the scrubbed events); customer_profile_merge and contact_profile hold ids only: kept'),
  (80, 'contact_repeat', 'erasure_scrub_contact_repeat', 'customer key -> the pseudonym of the account or endpoint'),
  (90, 'load_rejects', 'erasure_scrub_load_rejects', 'raw -> NULL where it holds one of the values (found by the index of its tokens, erasure_tokens())'),
  (95, 'flow_block_day', 'erasure_scrub_flow_block_day', 'the days'' result counts holding one of the values made again from the scrubbed flow logs (flows_refresh_days()), as flows_refresh() makes them');

-- Runs every step; returns (table, rows changed).
CREATE FUNCTION connect_lake.erasure_run_steps() RETURNS TABLE (table_name text, rows_changed bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  s record;
BEGIN
  FOR s IN SELECT st.table_name, st.scrub FROM connect_lake.erasure_step st ORDER BY st.step LOOP
    table_name := s.table_name;
    EXECUTE format('SELECT connect_lake.%I()', s.scrub) INTO rows_changed;
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_run_steps() IS
  'Internal: every erasure_step in order over the erasure''s working set; the rows each changed.';

-- Customers among the working set (phone keys): groups of accounts and
-- profile ids linked by a contact or a case naming them together.
CREATE FUNCTION connect_lake.erasure_customers() RETURNS TABLE (customer integer, ids text)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN QUERY
    WITH RECURSIVE ident(item, ident) AS (
      SELECT a.contactid::text, 'account ' || a.account
        FROM connect_lake.contact_account a  WHERE a.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]) AND a.account >= 0
      UNION
      SELECT 'case:' || c.detail_case_caseid, 'account ' || c.account
        FROM connect_lake.case_events c  WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]) AND c.account >= 0
      UNION
      SELECT 'case:' || c.detail_case_caseid,
             'profile ' || connect_lake.customer_profile_survivor(connect_lake.profile_arn_id(c.detail_case_fields_customer_id))
        FROM connect_lake.case_events c 
       WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]) AND c.detail_case_fields_customer_id IS NOT NULL
      UNION
      -- a profile is its survivor's customer; its account and its contacts too
      SELECT 'profile:' || p.profile_id, 'profile ' || connect_lake.customer_profile_survivor(p.profile_id)
        FROM cl_erase_profile p
      UNION
      SELECT 'profile:' || p.profile_id, 'account ' || p.account
        FROM connect_lake.customer_profile p
       WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]) AND p.account >= 0
      UNION
      SELECT l.contactid::text, 'profile ' || connect_lake.customer_profile_survivor(l.profile_id)
        FROM connect_lake.contact_profile l WHERE l.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])),
    edge(x, y) AS (SELECT a.ident, b.ident FROM ident a JOIN ident b USING (item)),
    reach(x, y) AS (SELECT x, y FROM edge UNION SELECT r.x, e.y FROM reach r JOIN edge e ON e.x = r.y),
    grp AS (SELECT x, min(y) AS g FROM reach GROUP BY x)
    SELECT (dense_rank() OVER (ORDER BY grp.g))::integer, string_agg(grp.x, ', ' ORDER BY grp.x)
      FROM grp GROUP BY grp.g ORDER BY grp.g;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_customers() IS
  'Internal: the customers among the erasure''s contacts, cases and profiles: account numbers and profile ids (a merged profile counts as its survivor, customer_profile_survivor()) named together by one contact, case or profile are one customer.';

CREATE FUNCTION connect_lake.forget_customer(account bigint DEFAULT NULL, profile_id text DEFAULT NULL,
                                             phone text DEFAULT NULL, contactid uuid DEFAULT NULL,
                                             forget_all boolean DEFAULT false)
  RETURNS TABLE (table_name text, rows_changed bigint)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  kind       text;
  dkind      text;
  val        text;
  eid        bigint;
  n_cust     integer;
  listing    text;
  counts     jsonb := '{}';
  r          record;
BEGIN
  IF num_nonnulls(account, profile_id, phone, contactid) <> 1 THEN
    RAISE EXCEPTION 'forget_customer() takes exactly one key, % given', num_nonnulls(account, profile_id, phone, contactid)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Name one of account, profile_id, phone, contactid, e.g. connect_lake.forget_customer(account => 40000123).';
  END IF;
  IF forget_all IS NULL THEN
    RAISE EXCEPTION 'forget_all must be true or false' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF account IS NOT NULL THEN
    kind := 'account'; val := account::text;
  ELSIF profile_id IS NOT NULL THEN
    kind := 'profile_id'; val := connect_lake.profile_arn_id(profile_id);
  ELSIF phone IS NOT NULL THEN
    kind := 'phone'; val := connect_lake.pii_stored_value(btrim(phone));
  ELSE
    kind := 'contactid'; val := contactid::text;
  END IF;
  IF val IS NULL OR val = '' THEN
    RAISE EXCEPTION 'forget_customer(): the % is empty', kind USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- the kind of the key in the erasure list
  dkind := CASE kind WHEN 'phone' THEN 'endpoint' WHEN 'profile_id' THEN 'profile' ELSE kind END;

  -- the digests' key: the lake's secret, made at the first erasure when
  -- there is none (an empty one counts as none: nothing was hashed with it)
  IF NOT EXISTS (SELECT 1 FROM connect_lake.pii_secret s WHERE s.secret <> '') THEN
    INSERT INTO connect_lake.pii_secret AS s (secret)
    SELECT encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')), 'hex')
    ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, set_at = excluded.set_at WHERE s.secret = '';
  END IF;

  PERFORM connect_lake.erasure_work_begin();
  -- 1. resolve: the key's own contacts and cases (indexed lookups)
  IF kind = 'account' THEN
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT a.contactid FROM connect_lake.contact_account a WHERE a.account = forget_customer.account;
    INSERT INTO cl_erase_case (caseid)
    SELECT DISTINCT c.detail_case_caseid FROM connect_lake.case_events c WHERE c.account = forget_customer.account;
    INSERT INTO cl_erase_profile (profile_id)
    SELECT p.profile_id FROM connect_lake.customer_profile p WHERE p.account = forget_customer.account;
  ELSIF kind = 'phone' THEN
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT c.contactid FROM connect_lake.ctr_events c WHERE c.customerendpoint_address = val;
    -- the profiles' phones, in the stored form or as given (each column indexed)
    INSERT INTO cl_erase_profile (profile_id)
    SELECT p.profile_id FROM connect_lake.customer_profile p WHERE p.phone_number = ANY (ARRAY[val, btrim(phone)])
    UNION
    SELECT p.profile_id FROM connect_lake.customer_profile p WHERE p.mobile_phone_number = ANY (ARRAY[val, btrim(phone)])
    UNION
    SELECT p.profile_id FROM connect_lake.customer_profile p WHERE p.home_phone_number = ANY (ARRAY[val, btrim(phone)])
    UNION
    SELECT p.profile_id FROM connect_lake.customer_profile p WHERE p.business_phone_number = ANY (ARRAY[val, btrim(phone)]);
  ELSIF kind = 'contactid' THEN
    INSERT INTO cl_erase_contact (contactid) VALUES (forget_customer.contactid);
  ELSE
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT c.contactid FROM connect_lake.ctr_events c WHERE c.customerid = val;
    INSERT INTO cl_erase_case (caseid)
    SELECT DISTINCT c.detail_case_caseid FROM connect_lake.case_events c
     WHERE connect_lake.profile_arn_id(c.detail_case_fields_customer_id) = val
       AND c.detail_case_fields_customer_id IS NOT NULL;
    INSERT INTO cl_erase_profile (profile_id) VALUES (val);
  END IF;
  IF kind <> 'contactid' THEN
    INSERT INTO cl_erase_value (kind, value) VALUES (dkind, val);
  END IF;
  PERFORM connect_lake.erasure_close();

  SELECT count(*)::integer, string_agg(format('customer %s: %s', c.customer, c.ids), '; ' ORDER BY c.customer)
    INTO n_cust, listing FROM connect_lake.erasure_customers() c;
  IF kind = 'phone' AND n_cust > 1 AND NOT forget_all THEN
    RAISE EXCEPTION 'the phone number matches % customers', n_cust
      USING ERRCODE = 'cardinality_violation',
            DETAIL = listing || '.',
            HINT = 'Forget one of them by account or profile_id, or all of them with forget_all => true.';
  END IF;
  IF n_cust = 0 THEN
    n_cust := CASE WHEN EXISTS (SELECT 1 FROM cl_erase_contact) OR EXISTS (SELECT 1 FROM cl_erase_case)
                     OR EXISTS (SELECT 1 FROM cl_erase_profile)
                     OR kind IN ('account', 'profile_id') THEN 1 ELSE 0 END;
  END IF;

  INSERT INTO connect_lake.erasure_audit (key_kind, key_digest, forget_all, customers, contacts, cases, rows_changed)
  VALUES (kind, connect_lake.erasure_digest(dkind, val),
          forget_all, n_cust, (SELECT count(*) FROM cl_erase_contact), (SELECT count(*) FROM cl_erase_case), '{}')
  RETURNING erasure_id INTO eid;
  -- the key itself: a record carrying it is scrubbed when it lands
  INSERT INTO connect_lake.erasure_list (digest, key_kind, matches, erasure_id)
  VALUES (connect_lake.erasure_digest(dkind, val), dkind, true, eid)
  ON CONFLICT (digest) DO UPDATE SET matches = true;

  -- 2. the values, 3. the steps
  PERFORM connect_lake.erasure_collect_values(eid);
  FOR r IN SELECT * FROM connect_lake.erasure_run_steps() LOOP
    counts := counts || jsonb_build_object(r.table_name, r.rows_changed);
    table_name := r.table_name;
    rows_changed := r.rows_changed;
    RETURN NEXT;
  END LOOP;
  UPDATE connect_lake.erasure_audit a SET rows_changed = counts WHERE a.erasure_id = eid;
END
$fn$;
COMMENT ON FUNCTION connect_lake.forget_customer(bigint, text, text, uuid, boolean) IS
  'Forgets one customer (GDPR erasure) named by exactly one key: account, profile_id, phone or contactid. Overwrites or removes every personal value of their contacts (every leg) and cases in every table of the lake (erasure_step), keeping what the metrics count (times, durations, queues, agents) and replacing account numbers and endpoints by pseudonyms so that links and metrics answer as before; adds the keys'' digests to erasure_list so that the loader scrubs a record of theirs landing again; writes an erasure_audit row. Returns the rows changed per table. A key matching nothing changes nothing; a phone shared by several customers is refused (listed) unless forget_all (owner only).';

-- The loader's check (an upkeep action of every kind, src/erasure.c): the
-- rows of one kind a transaction landed, by their upkeep key and time; those carrying a forgotten key are
-- scrubbed the way forget_customer() scrubs.  Case events and related items
-- come by their case id and change time (the lead of their key: the months
-- have no index on the event id); every event of the case at that time is
-- checked, which can only check one more than landed, never one less.
CREATE FUNCTION connect_lake.erasure_landed(kind text, ids text[], keys timestamptz[]) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  eid    bigint;
  counts jsonb := '{}';
  total  bigint := 0;
  st     record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM connect_lake.erasure_list) OR cardinality(ids) IS NULL
     OR connect_lake.lake_hmac('') IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM connect_lake.erasure_work_begin();
  IF to_regclass('pg_temp.cl_erase_landed') IS NULL THEN
    CREATE TEMP TABLE cl_erase_landed (id text, ts timestamptz) ON COMMIT DROP;
    CREATE TEMP TABLE cl_erase_candidate (item text, digest bytea) ON COMMIT DROP;
  END IF;
  TRUNCATE cl_erase_landed, cl_erase_candidate;
  INSERT INTO cl_erase_landed SELECT DISTINCT u.id, u.ts FROM unnest(ids, keys) u(id, ts);
  ANALYZE cl_erase_landed;

  -- each landed record's keys, digested (the digest inlined, the secret
  -- cached by the session), then matched against the list in one join
  IF kind = 'ctr' THEN
    INSERT INTO cl_erase_candidate
    SELECT c.contactid::text, connect_lake.erasure_digest(k.kind, k.value)
      FROM cl_erase_landed l
      JOIN connect_lake.ctr_events c ON c.contactid = l.id::uuid AND c.initiationtimestamp = l.ts
     CROSS JOIN LATERAL (VALUES ('contactid', c.contactid::text), ('contactid', c.initialcontactid::text),
                                ('contactid', c.previouscontactid::text), ('contactid', c.nextcontactid::text),
                                ('endpoint', c.customerendpoint_address), ('profile', c.customerid),
                                ('case', c.attributes_caseid)) k(kind, value)
     WHERE k.value IS NOT NULL
    UNION ALL
    SELECT a.contactid::text, connect_lake.erasure_digest('account', a.account::text)
      FROM connect_lake.contact_account a
     WHERE a.contactid = ANY (ARRAY(SELECT l.id::uuid FROM cl_erase_landed l));
  ELSIF kind = 'contact_flow_log' THEN
    INSERT INTO cl_erase_candidate
    SELECT DISTINCT l.id, connect_lake.erasure_digest('contactid', l.id) FROM cl_erase_landed l;
  ELSIF kind = 'contact_event' THEN
    INSERT INTO cl_erase_candidate
    SELECT v.detail_contactid::text, connect_lake.erasure_digest('contactid', k.value)
      FROM cl_erase_landed l JOIN connect_lake.contact_events v ON v.id = l.id AND v."time" = l.ts
     CROSS JOIN LATERAL (VALUES (v.detail_contactid::text), (v.detail_initialcontactid::text),
                                (v.detail_previouscontactid::text)) k(value)
     WHERE k.value IS NOT NULL;
  ELSIF kind = 'case_event' THEN
    INSERT INTO cl_erase_candidate
    SELECT c.detail_case_caseid, connect_lake.erasure_digest(k.kind, k.value)
      FROM cl_erase_landed l JOIN connect_lake.case_events c
        ON c.detail_case_caseid = l.id AND c.detail_approximatechangetime = l.ts
     CROSS JOIN LATERAL (VALUES ('case', c.detail_case_caseid), ('account', c.account::text),
                                ('profile', connect_lake.profile_arn_id(c.detail_case_fields_customer_id))) k(kind, value)
     WHERE k.value IS NOT NULL;
  ELSIF kind = 'case_related_item' THEN
    INSERT INTO cl_erase_candidate
    SELECT r.detail_relateditem_caseid, connect_lake.erasure_digest(k.kind, k.value)
      FROM cl_erase_landed l JOIN connect_lake.case_related_items r
        ON r.detail_relateditem_caseid = l.id AND r.detail_approximatechangetime = l.ts
     CROSS JOIN LATERAL (VALUES ('case', r.detail_relateditem_caseid), ('contactid', r.contactid::text)) k(kind, value)
     WHERE k.value IS NOT NULL;
  ELSIF kind = 'customer_profile_event' THEN
    -- item: the event's profile, contact and account, each a kind:value
    INSERT INTO cl_erase_candidate
    SELECT i.item, connect_lake.erasure_digest(k.kind, k.value)
      FROM cl_erase_landed l JOIN connect_lake.customer_profile_events e
        ON e.event_id = l.id AND e.eventtimestamp = l.ts
     CROSS JOIN LATERAL (VALUES ('profile', e.profile_id), ('contactid', e.contactid::text),
                                ('account', e.account::text)) k(kind, value)
     CROSS JOIN LATERAL (SELECT concat_ws(':', 'profile', e.profile_id, 'contactid', e.contactid, 'account',
                                          CASE WHEN e.account >= 0 THEN e.account END) AS item) i
     WHERE k.value IS NOT NULL;
  END IF;
  IF kind = 'customer_profile_event' THEN
    -- the matched events' profile, contact and account join the working set
    INSERT INTO cl_erase_profile (profile_id)
    SELECT DISTINCT substring(m.item FROM '^profile:([^:]*)') FROM cl_erase_candidate m
      JOIN connect_lake.erasure_list e ON e.digest = m.digest
     WHERE e.matches AND m.item ~ '^profile:[^:]'
    ON CONFLICT DO NOTHING;
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT substring(m.item FROM 'contactid:([0-9a-f-]{36})')::uuid FROM cl_erase_candidate m
      JOIN connect_lake.erasure_list e ON e.digest = m.digest
     WHERE e.matches AND m.item ~ 'contactid:[0-9a-f-]{36}'
    ON CONFLICT DO NOTHING;
    INSERT INTO cl_erase_value (kind, value)
    SELECT DISTINCT 'account', substring(m.item FROM 'account:([0-9]+)$') FROM cl_erase_candidate m
      JOIN connect_lake.erasure_list e ON e.digest = m.digest
     WHERE e.matches AND m.item ~ 'account:[0-9]+$'
    ON CONFLICT DO NOTHING;
  ELSIF kind IN ('ctr', 'contact_flow_log', 'contact_event') THEN
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT m.item::uuid FROM cl_erase_candidate m JOIN connect_lake.erasure_list e ON e.digest = m.digest
     WHERE e.matches;
  ELSE
    INSERT INTO cl_erase_case (caseid)
    SELECT DISTINCT m.item FROM cl_erase_candidate m JOIN connect_lake.erasure_list e ON e.digest = m.digest
     WHERE e.matches;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM cl_erase_contact) AND NOT EXISTS (SELECT 1 FROM cl_erase_case)
     AND NOT EXISTS (SELECT 1 FROM cl_erase_profile) AND NOT EXISTS (SELECT 1 FROM cl_erase_value) THEN
    RETURN 0;
  END IF;

  PERFORM connect_lake.erasure_close();
  INSERT INTO connect_lake.erasure_audit (key_kind, customers, contacts, cases, rows_changed)
  VALUES ('reapplied', 0, (SELECT count(*) FROM cl_erase_contact), (SELECT count(*) FROM cl_erase_case), '{}')
  RETURNING erasure_id INTO eid;
  PERFORM connect_lake.erasure_collect_values(eid);
  FOR st IN SELECT * FROM connect_lake.erasure_run_steps() LOOP
    counts := counts || jsonb_build_object(st.table_name, st.rows_changed);
    total := total + st.rows_changed;
  END LOOP;
  UPDATE connect_lake.erasure_audit a SET rows_changed = counts WHERE a.erasure_id = eid;
  -- the repeat chains of the contacts scrubbed, on their pseudonyms
  IF kind = 'ctr' AND NOT connect_lake.is_distributed() THEN
    PERFORM connect_lake.contact_repeat_refresh(ARRAY(SELECT e.contactid FROM cl_erase_contact e));
  END IF;
  RETURN total;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_landed(text, text[], timestamptz[]) IS
  'The loader''s erasure check, called before a transaction that landed records commits (src/erasure.c), with the upkeep keys (ids; for case events and related items their case ids) and partition keys of the records of one kind: those of a forgotten contact, case, account, phone or profile (a profile event: its profile id, contact id or account) are scrubbed as forget_customer() scrubs (audited as reapplied). Returns the rows changed (loader role).';

-- The rejects of this transaction: a reject's raw text holding a forgotten
-- contact id, case id, account, phone or profile id (found by the shape of
-- its tokens, digested) is removed.
CREATE FUNCTION connect_lake.erasure_rejects_landed() RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n   bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM connect_lake.erasure_list) OR connect_lake.lake_hmac('') IS NULL THEN
    RETURN 0;
  END IF;
  UPDATE connect_lake.load_rejects r SET raw = NULL
   WHERE r.rejected_at = now() AND r.raw IS NOT NULL
     AND EXISTS (SELECT 1
                   FROM (SELECT m[1] AS token FROM regexp_matches(r.raw,
                           '([+0-9A-Za-z][0-9A-Za-z@.+_-]{3,}[0-9A-Za-z])', 'g') m) t
                   CROSS JOIN LATERAL (VALUES ('contactid', lower(t.token)), ('case', t.token), ('account', ltrim(t.token, '0')),
                                              ('account', t.token), ('endpoint', t.token), ('profile', t.token)) k(kind, value)
                   JOIN connect_lake.erasure_list e ON e.digest = connect_lake.erasure_digest(k.kind, k.value));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_rejects_landed() IS
  'The loader''s erasure check of the rejects of this transaction: a raw text holding a token (contact or case id, account, phone, address, profile id) of the erasure list, a key or a value overwritten, loses its raw text (loader role).';

COMMENT ON FUNCTION connect_lake.erasure_scrub_ctr_events() IS 'Erasure step of ctr_events (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_contact_account() IS 'Erasure step of contact_account (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_contact_flow_log() IS 'Erasure step of contact_flow_log (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_contact_events() IS 'Erasure step of contact_events (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_case_events() IS 'Erasure step of case_events (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_case_state() IS 'Erasure step of case_state (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_case_related_items() IS 'Erasure step of case_related_items (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_customer_profile_events() IS 'Erasure step of customer_profile_events (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_customer_profile() IS 'Erasure step of customer_profile (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_customer_profile_history() IS 'Erasure step of customer_profile_history (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_contact_repeat() IS 'Erasure step of contact_repeat (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_load_rejects() IS 'Erasure step of load_rejects (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_flow_block_day() IS 'Erasure step of flow_block_day (see erasure_step).';
