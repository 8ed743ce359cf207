-- Customer Profiles (issue 14): the profile event stream as a record kind,
-- each profile's latest state and history, merges, and the links from
-- contacts, cases and accounts to profiles (src/customer_profile.c).
--
-- The events are the facts; everything else here is made from them by
-- customer_profile_refresh(profile_ids), which the writers call with the
-- profiles of the events they landed (once per file or ingest call), so
-- that what it keeps does not depend on the order events came in or on
-- how often they came: a profile's state is its latest _profile event, its
-- history every event in time order, a merge is applied to the duplicates
-- whenever they arrive.

CREATE TYPE connect_lake.customer_profile_event AS (
  event_id                   text,
  eventtimestamp             timestamptz,
  event_type                 text,
  object_type                text,
  profile_id                 text,
  domain_name                text,
  schema_version             text,
  profile_object_unique_key  text,
  is_message_realtime        boolean,
  merge_id                   text,
  duplicate_profiles         jsonb,
  account                    bigint,
  contactid                  uuid,
  object                     jsonb,
  extra                      jsonb,
  source_file                text,
  source_offset              bigint,
  landed_at                  timestamptz
);
COMMENT ON TYPE connect_lake.customer_profile_event IS
  'One Customer Profiles stream event as typed columns: the row type of customer_profile_events and the result of customer_profile_event_parse().';

CREATE TABLE connect_lake.customer_profile_events OF connect_lake.customer_profile_event (
  event_id        WITH OPTIONS NOT NULL,
  eventtimestamp  WITH OPTIONS NOT NULL,
  landed_at       WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE (eventtimestamp);

INSERT INTO connect_lake.fact_table VALUES
  ('customer_profile_events', '{event_id,eventtimestamp}', 'PRIMARY KEY',
   ARRAY['(profile_id, eventtimestamp)', '(contactid) WHERE contactid IS NOT NULL',
         '(account) WHERE account IS NOT NULL']::text[]);

COMMENT ON TABLE connect_lake.customer_profile_events IS
  'Customer Profiles event stream: one row per change of a profile or of an object (_profile, CTR, custom types), de-duplicated by event id; an object type the lake does not know lands too, its Object kept as JSON. Monthly partitions on eventtimestamp (UTC).';
COMMENT ON COLUMN connect_lake.customer_profile_events.event_id IS 'EventId.';
COMMENT ON COLUMN connect_lake.customer_profile_events.eventtimestamp IS 'EventTimestamp (partition key).';
COMMENT ON COLUMN connect_lake.customer_profile_events.event_type IS 'EventType: CREATED, UPDATED, MERGED (upper case).';
COMMENT ON COLUMN connect_lake.customer_profile_events.object_type IS 'ObjectTypeName: _profile (Object is the profile), CTR (a contact associated with the profile) or a custom object type.';
COMMENT ON COLUMN connect_lake.customer_profile_events.profile_id IS 'AssociatedProfileId, else Object.ProfileId: the profile the event belongs to (for MERGED, the surviving profile).';
COMMENT ON COLUMN connect_lake.customer_profile_events.domain_name IS 'DomainName: the Customer Profiles domain.';
COMMENT ON COLUMN connect_lake.customer_profile_events.schema_version IS 'SchemaVersion.';
COMMENT ON COLUMN connect_lake.customer_profile_events.profile_object_unique_key IS 'ProfileObjectUniqueKey: the object''s key within its object type.';
COMMENT ON COLUMN connect_lake.customer_profile_events.is_message_realtime IS 'IsMessageRealTime: false for back-fill and re-sync deliveries.';
COMMENT ON COLUMN connect_lake.customer_profile_events.merge_id IS 'MergeId of a MERGED event.';
COMMENT ON COLUMN connect_lake.customer_profile_events.duplicate_profiles IS 'DuplicateProfiles of a MERGED event as JSON: the profiles merged into profile_id (ids, or profiles with ProfileId).';
COMMENT ON COLUMN connect_lake.customer_profile_events.account IS 'Object.AccountNumber as an integer; NULL when it is not one (Object keeps it, and load() and ingest_batch() count it in values_nulled).';
COMMENT ON COLUMN connect_lake.customer_profile_events.contactid IS 'Object.ContactId (or _ctrContactId) of a CTR object: the contact associated with the profile; NULL when not a UUID.';
COMMENT ON COLUMN connect_lake.customer_profile_events.object IS 'Object as JSON, whole: the profile, the CTR or the custom object after the change.';
COMMENT ON COLUMN connect_lake.customer_profile_events.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile_events.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.customer_profile_events.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.customer_profile_events.landed_at IS 'When the row landed in the lake.';

CREATE FUNCTION connect_lake.customer_profile_event_parse(doc jsonb) RETURNS connect_lake.customer_profile_event
  AS 'MODULE_PATHNAME', 'customer_profile_event_parse_jsonb'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.customer_profile_event_parse(jsonb) IS
  'One Customer Profiles stream event (jsonb) as a typed connect_lake.customer_profile_event row: profile id, account, a CTR object''s contact id as columns, Object whole as JSON; landed_at left NULL (the writer fills it).';

CREATE FUNCTION connect_lake.customer_profile_event_parse(doc text) RETURNS connect_lake.customer_profile_event
  AS 'MODULE_PATHNAME', 'customer_profile_event_parse_text'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.customer_profile_event_parse(text) IS
  'One Customer Profiles stream event as raw JSON text (as it lies in a file, read the way load() reads it) as a typed connect_lake.customer_profile_event row.';

-- The profile id of a profile ARN (arn:aws:profile:<region>:<account>:
-- domains/<domain>/profiles/<id>) or of a bare id: its last segment, trimmed
-- (nullif(btrim(regexp_replace(arn, '^.*/', '')), '') as SQL).  In C: the
-- indexes of case_events and case_state evaluate it for every case event and
-- case written, where the SQL rule ran a regular expression (issue #15).
-- Not STRICT (a NULL arn gives NULL all the same): 0.2.0's upgrade made the
-- SQL rule so, to inline it.
CREATE FUNCTION connect_lake.profile_arn_id(arn text) RETURNS text
  AS 'MODULE_PATHNAME', 'profile_arn_id'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.profile_arn_id(text) IS
  'The profile id of a Customer Profiles ARN (its last segment, e.g. of a case''s customer_id) or of a bare profile id; NULL when empty.';

-- ---- What customer_profile_refresh() keeps

CREATE TABLE connect_lake.customer_profile (
  profile_id               text PRIMARY KEY,
  domain_name              text,
  account_number           text,
  account                  bigint,
  party_type               text,
  business_name            text,
  first_name               text,
  middle_name              text,
  last_name                text,
  birth_date               text,
  gender                   text,
  phone_number             text,
  mobile_phone_number      text,
  home_phone_number        text,
  business_phone_number    text,
  email_address            text,
  personal_email_address   text,
  business_email_address   text,
  additional_information   text,
  address                  jsonb,
  shipping_address         jsonb,
  mailing_address          jsonb,
  billing_address          jsonb,
  attributes               jsonb,
  merged_into              text,
  first_event              timestamptz NOT NULL,
  last_event               timestamptz NOT NULL,
  events                   integer NOT NULL,
  last_profile_event_id    text
);
CREATE INDEX customer_profile_account_idx ON connect_lake.customer_profile (account) WHERE account IS NOT NULL;
CREATE INDEX customer_profile_merged_into_idx ON connect_lake.customer_profile (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX customer_profile_phone_idx ON connect_lake.customer_profile (phone_number) WHERE phone_number IS NOT NULL;
CREATE INDEX customer_profile_mobile_phone_idx ON connect_lake.customer_profile (mobile_phone_number) WHERE mobile_phone_number IS NOT NULL;
CREATE INDEX customer_profile_home_phone_idx ON connect_lake.customer_profile (home_phone_number) WHERE home_phone_number IS NOT NULL;
CREATE INDEX customer_profile_business_phone_idx ON connect_lake.customer_profile (business_phone_number) WHERE business_phone_number IS NOT NULL;
COMMENT ON TABLE connect_lake.customer_profile IS
  'The latest state of every profile the event stream named: the standard fields of its latest _profile event (by EventTimestamp, whatever order events came in), typed; merged_into names the survivor of a merged profile. Kept by customer_profile_refresh(), which the writers call as profile events land.';
COMMENT ON COLUMN connect_lake.customer_profile.profile_id IS 'ProfileId.';
COMMENT ON COLUMN connect_lake.customer_profile.domain_name IS 'The Customer Profiles domain of its latest _profile event.';
COMMENT ON COLUMN connect_lake.customer_profile.account_number IS 'AccountNumber as the profile holds it.';
COMMENT ON COLUMN connect_lake.customer_profile.account IS 'AccountNumber as an integer, as case_events.account and contact_account.account; NULL when it is not one.';
COMMENT ON COLUMN connect_lake.customer_profile.party_type IS 'PartyType (else PartyTypeString): INDIVIDUAL, BUSINESS, OTHER.';
COMMENT ON COLUMN connect_lake.customer_profile.business_name IS 'BusinessName.';
COMMENT ON COLUMN connect_lake.customer_profile.first_name IS 'FirstName.';
COMMENT ON COLUMN connect_lake.customer_profile.middle_name IS 'MiddleName.';
COMMENT ON COLUMN connect_lake.customer_profile.last_name IS 'LastName.';
COMMENT ON COLUMN connect_lake.customer_profile.birth_date IS 'BirthDate as the profile holds it.';
COMMENT ON COLUMN connect_lake.customer_profile.gender IS 'Gender (else GenderString).';
COMMENT ON COLUMN connect_lake.customer_profile.phone_number IS 'PhoneNumber.';
COMMENT ON COLUMN connect_lake.customer_profile.mobile_phone_number IS 'MobilePhoneNumber.';
COMMENT ON COLUMN connect_lake.customer_profile.home_phone_number IS 'HomePhoneNumber.';
COMMENT ON COLUMN connect_lake.customer_profile.business_phone_number IS 'BusinessPhoneNumber.';
COMMENT ON COLUMN connect_lake.customer_profile.email_address IS 'EmailAddress.';
COMMENT ON COLUMN connect_lake.customer_profile.personal_email_address IS 'PersonalEmailAddress.';
COMMENT ON COLUMN connect_lake.customer_profile.business_email_address IS 'BusinessEmailAddress.';
COMMENT ON COLUMN connect_lake.customer_profile.additional_information IS 'AdditionalInformation.';
COMMENT ON COLUMN connect_lake.customer_profile.address IS 'Address {Address1..4, City, County, State, Province, Country, PostalCode} as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile.shipping_address IS 'ShippingAddress as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile.mailing_address IS 'MailingAddress as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile.billing_address IS 'BillingAddress as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile.attributes IS 'Attributes: the profile''s custom string map, as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile.merged_into IS 'For a profile merged into another: the surviving profile, at the end of a chain of merges (customer_profile_survivor()); NULL for a profile that survives.';
COMMENT ON COLUMN connect_lake.customer_profile.first_event IS 'EventTimestamp of its first event.';
COMMENT ON COLUMN connect_lake.customer_profile.last_event IS 'EventTimestamp of its latest event.';
COMMENT ON COLUMN connect_lake.customer_profile.events IS 'Events of the profile in the lake (every object type).';
COMMENT ON COLUMN connect_lake.customer_profile.last_profile_event_id IS 'EventId of the _profile event the standard fields come from; NULL when the profile has only objects (e.g. CTR objects) so far.';

CREATE TABLE connect_lake.customer_profile_history (
  profile_id       text NOT NULL,
  eventtimestamp   timestamptz NOT NULL,
  event_id         text NOT NULL,
  event_type       text,
  object_type      text,
  changed_fields   text[],
  merge_id         text,
  merged_profiles  text[],
  PRIMARY KEY (profile_id, eventtimestamp, event_id)
);
COMMENT ON TABLE connect_lake.customer_profile_history IS
  'Every change of a profile in time order: one row per event of the profile, with the Object keys it changed (against the previous event of the same object) and, for a merge, the profiles merged in. The values are in customer_profile_events (by event_id). Kept by customer_profile_refresh().';
COMMENT ON COLUMN connect_lake.customer_profile_history.profile_id IS 'The profile.';
COMMENT ON COLUMN connect_lake.customer_profile_history.eventtimestamp IS 'EventTimestamp of the change.';
COMMENT ON COLUMN connect_lake.customer_profile_history.event_id IS 'EventId: the event in customer_profile_events.';
COMMENT ON COLUMN connect_lake.customer_profile_history.event_type IS 'CREATED, UPDATED or MERGED.';
COMMENT ON COLUMN connect_lake.customer_profile_history.object_type IS 'ObjectTypeName: _profile, CTR or a custom object type.';
COMMENT ON COLUMN connect_lake.customer_profile_history.changed_fields IS 'The keys of Object whose value differs from the previous event of the same object (same type and unique key); every key for its first event.';
COMMENT ON COLUMN connect_lake.customer_profile_history.merge_id IS 'MergeId of a merge.';
COMMENT ON COLUMN connect_lake.customer_profile_history.merged_profiles IS 'For a merge: the profiles merged into this one.';

CREATE TABLE connect_lake.customer_profile_merge (
  duplicate_profile_id  text NOT NULL,
  survivor_profile_id   text NOT NULL,
  merge_id              text,
  merged_at             timestamptz NOT NULL,
  event_id              text NOT NULL,
  applied               boolean NOT NULL DEFAULT false,
  PRIMARY KEY (duplicate_profile_id, survivor_profile_id)
);
CREATE INDEX customer_profile_merge_survivor_idx ON connect_lake.customer_profile_merge (survivor_profile_id);
COMMENT ON TABLE connect_lake.customer_profile_merge IS
  'Who was merged into whom: one row per profile a MERGED event names as a duplicate of its surviving profile. A duplicate the lake has not seen yet is recorded (applied false) and merged when its events arrive.';
COMMENT ON COLUMN connect_lake.customer_profile_merge.duplicate_profile_id IS 'The profile merged away.';
COMMENT ON COLUMN connect_lake.customer_profile_merge.survivor_profile_id IS 'The profile it was merged into (the MERGED event''s profile).';
COMMENT ON COLUMN connect_lake.customer_profile_merge.merge_id IS 'MergeId.';
COMMENT ON COLUMN connect_lake.customer_profile_merge.merged_at IS 'EventTimestamp of the merge (the latest one, when a merge came more than once).';
COMMENT ON COLUMN connect_lake.customer_profile_merge.event_id IS 'EventId of the MERGED event.';
COMMENT ON COLUMN connect_lake.customer_profile_merge.applied IS 'Whether the duplicate is in customer_profile (its merged_into set); false while the lake has not seen it.';

CREATE TABLE connect_lake.contact_profile (
  contactid            uuid NOT NULL,
  profile_id           text NOT NULL,
  source               text NOT NULL CHECK (source IN ('ctr_object', 'attribute')),
  initiationtimestamp  timestamptz,
  event_id             text,
  PRIMARY KEY (contactid, profile_id, source)
);
CREATE INDEX contact_profile_profile_idx ON connect_lake.contact_profile (profile_id);
COMMENT ON TABLE connect_lake.contact_profile IS
  'Contacts linked to Customer Profiles profiles: by a CTR object of the profile event stream (source ctr_object, kept by customer_profile_refresh()) or by the contact attribute the setting connect_lake.profile_id_attribute names (source attribute, kept as CTRs land). profile_id is the profile named; customer_profile.merged_into gives its survivor.';
COMMENT ON COLUMN connect_lake.contact_profile.contactid IS 'ContactId.';
COMMENT ON COLUMN connect_lake.contact_profile.profile_id IS 'The profile the link names (the last segment of an ARN).';
COMMENT ON COLUMN connect_lake.contact_profile.source IS 'ctr_object (a CTR object of the profile) or attribute (the contact attribute connect_lake.profile_id_attribute).';
COMMENT ON COLUMN connect_lake.contact_profile.initiationtimestamp IS 'InitiationTimestamp of the contact, from its CTR (attribute links) or the CTR object; NULL when neither has it.';
COMMENT ON COLUMN connect_lake.contact_profile.event_id IS 'EventId of the CTR object event (ctr_object links).';

SELECT pg_catalog.pg_extension_config_dump('connect_lake.customer_profile', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.customer_profile_history', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.customer_profile_merge', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.contact_profile', '');

-- Cases find their profile by the customer_id field's last segment.
CREATE INDEX case_state_profile_idx ON connect_lake.case_state (connect_lake.profile_arn_id(detail_case_fields_customer_id))
  WHERE detail_case_fields_customer_id IS NOT NULL;

-- ---- Merges

-- The profile a profile ends up in: its latest merge's survivor, followed
-- to the end of the chain (a cycle, which Customer Profiles does not make,
-- stops where it closes).
CREATE FUNCTION connect_lake.customer_profile_survivor(profile_id text) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  AS $fn$
  WITH RECURSIVE chain(id, depth, path) AS (
    SELECT customer_profile_survivor.profile_id, 0, ARRAY[customer_profile_survivor.profile_id]
    UNION ALL
    SELECT n.survivor_profile_id, c.depth + 1, c.path || n.survivor_profile_id
      FROM chain c
      CROSS JOIN LATERAL (SELECT m.survivor_profile_id FROM connect_lake.customer_profile_merge m
                           WHERE m.duplicate_profile_id = c.id
                           ORDER BY m.merged_at DESC, m.event_id DESC LIMIT 1) n
     WHERE n.survivor_profile_id <> ALL (c.path) AND c.depth < 100
  )
  SELECT id FROM chain ORDER BY depth DESC LIMIT 1
$fn$;
COMMENT ON FUNCTION connect_lake.customer_profile_survivor(text) IS
  'The surviving profile of a profile: itself when never merged, else the survivor of its latest merge, followed to the end of a chain of merges (customer_profile_merge).';

-- ---- Refresh

-- The 'attribute' links of some contacts (or, with NULL, of every CTR),
-- from the contact attribute connect_lake.profile_id_attribute names (its
-- default when the library has not defined the setting in this session).
CREATE FUNCTION connect_lake.contact_profile_attribute_upkeep(contact_ids uuid[], initiation_ts timestamptz[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- planned for each call, with the planner guard of the upkeep (statistics
-- that make ctr_events look empty): it runs after every CTR batch, and a plan
-- kept from the first batches of an emptied month scanned the month for each
-- batch (a day's load() 2x as long; see README, Metric upkeep)
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
  attr    text := nullif(coalesce(current_setting('connect_lake.profile_id_attribute', true), 'profileId'), '');
  n       bigint := 0;
  lo      timestamptz;
  hi      timestamptz;
  reads   boolean;
  planner text[];
BEGIN
  IF contact_ids IS NULL THEN
    DELETE FROM connect_lake.contact_profile WHERE source = 'attribute';
    IF attr IS NOT NULL THEN
      INSERT INTO connect_lake.contact_profile (contactid, profile_id, source, initiationtimestamp)
      SELECT DISTINCT ON (c.contactid, p.id) c.contactid, p.id, 'attribute', c.initiationtimestamp
        FROM connect_lake.ctr_events c
        CROSS JOIN LATERAL (SELECT connect_lake.profile_arn_id(c.attributes ->> attr) AS id) p
       WHERE c.attributes ? attr AND p.id IS NOT NULL
       ORDER BY c.contactid, p.id, c.initiationtimestamp;
      GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    RETURN n;
  END IF;

  -- links are read only from rows carrying the attribute (a time given):
  -- when no contact's does (the contacts' new versions lack it, and only
  -- their old links go), the statement, planned over every partition of
  -- ctr_events for each call (several ms), would find nothing, and the
  -- DELETE alone, by the key's index, needs no guard
  SELECT min(t), max(t) INTO lo, hi FROM unnest(initiation_ts) t;
  reads := attr IS NOT NULL AND (initiation_ts IS NULL OR lo IS NOT NULL);
  IF reads THEN
    planner := connect_lake.upkeep_plan_guard(ARRAY['connect_lake.ctr_events', 'connect_lake.contact_profile']::regclass[]);
  END IF;
  DELETE FROM connect_lake.contact_profile p
   WHERE p.contactid = ANY (contact_ids) AND p.source = 'attribute';
  IF reads THEN
    -- the rows by the contacts' ids (= ANY: probes of the key's index, never
    -- a scan of the month that reads every row's attributes) within the
    -- span of their partition keys, then each matched to its key
    INSERT INTO connect_lake.contact_profile (contactid, profile_id, source, initiationtimestamp)
    SELECT DISTINCT ON (c.contactid, p.id) c.contactid, p.id, 'attribute', c.initiationtimestamp
      FROM connect_lake.ctr_events c
      CROSS JOIN LATERAL (SELECT connect_lake.profile_arn_id(c.attributes ->> attr) AS id) p
     WHERE c.contactid = ANY (contact_ids)
       AND (initiation_ts IS NULL OR c.initiationtimestamp BETWEEN lo AND hi)
       AND EXISTS (SELECT FROM ROWS FROM (unnest(contact_ids), unnest(initiation_ts)) AS k(id, ts)
                    WHERE k.id = c.contactid
                      AND (initiation_ts IS NULL OR c.initiationtimestamp = k.ts))
       AND c.attributes ? attr AND p.id IS NOT NULL
     ORDER BY c.contactid, p.id, c.initiationtimestamp;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM connect_lake.upkeep_plan_restore(planner);
  END IF;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.contact_profile_attribute_upkeep(uuid[], timestamptz[]) IS
  'Internal: the attribute links of contact_profile for these contacts (NULL: every CTR) from the contact attribute connect_lake.profile_id_attribute names, read from their CTR rows (initiation_ts: each row''s partition key, NULL for a contact whose new version carries no such attribute: its link goes; the array NULL: every row of the contacts); the ctr writers call it as CTRs carrying the attribute, or replacing a version, land. Returns the links made (loader role).';

CREATE FUNCTION connect_lake.customer_profile_refresh(profile_ids text[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- planned for each call's profiles: PL/pgSQL's generic plan, kept from the
-- sixth call on, joined unnest(ids) by a nested loop comparing every event
-- with every id (a day's file of 90,000 profiles at the seed's volume ran
-- for over ten minutes instead of 20 s)
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
  ids       text[];
  affected  text[];
  n         bigint;
BEGIN
  IF profile_ids IS NULL THEN
    -- everything, from the events: nothing else may change these meanwhile
    LOCK TABLE connect_lake.customer_profile, connect_lake.customer_profile_history,
               connect_lake.customer_profile_merge, connect_lake.contact_profile IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM connect_lake.customer_profile_history;
    DELETE FROM connect_lake.customer_profile_merge;
    DELETE FROM connect_lake.contact_profile WHERE source = 'ctr_object';
    DELETE FROM connect_lake.customer_profile;
    PERFORM connect_lake.contact_profile_attribute_upkeep(NULL);
    SELECT coalesce(array_agg(DISTINCT e.profile_id), '{}') INTO ids
      FROM connect_lake.customer_profile_events e WHERE e.profile_id IS NOT NULL;
  ELSE
    SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') INTO ids
      FROM unnest(profile_ids) AS x WHERE x IS NOT NULL;
  END IF;
  -- Two writers refreshing one profile take turns (in one order: no
  -- deadlock), and the second reads the first's events once it committed.
  -- The profiles share 256 locks by hash, so a file of any number of
  -- profiles holds at most 256 (one each overflowed the lock table).
  PERFORM pg_catalog.pg_advisory_xact_lock(1131375696, h)
     FROM (SELECT DISTINCT hashtext(x) & 255 AS h FROM unnest(ids) AS x ORDER BY 1) s;

  -- the merges these profiles made
  DELETE FROM connect_lake.customer_profile_merge m
   USING unnest(ids) AS k(profile_id) WHERE m.survivor_profile_id = k.profile_id;
  INSERT INTO connect_lake.customer_profile_merge (duplicate_profile_id, survivor_profile_id, merge_id, merged_at, event_id)
  SELECT DISTINCT ON (d.id, e.profile_id) d.id, e.profile_id, e.merge_id, e.eventtimestamp, e.event_id
    FROM unnest(ids) AS k(profile_id)
    JOIN connect_lake.customer_profile_events e ON e.profile_id = k.profile_id
    CROSS JOIN LATERAL (
      SELECT CASE jsonb_typeof(x) WHEN 'string' THEN x #>> '{}'
                                  WHEN 'object' THEN coalesce(x ->> 'ProfileId', x ->> 'profileId') END AS id
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.duplicate_profiles) = 'array' THEN e.duplicate_profiles
                                       WHEN jsonb_typeof(e.object -> 'DuplicateProfiles') = 'array' THEN e.object -> 'DuplicateProfiles'
                                       ELSE '[]'::jsonb END) AS x) d
   WHERE e.event_type = 'MERGED' AND d.id IS NOT NULL AND d.id <> e.profile_id
   ORDER BY d.id, e.profile_id, e.eventtimestamp DESC, e.event_id DESC;

  -- each profile's state: its latest _profile event
  DELETE FROM connect_lake.customer_profile p
   USING unnest(ids) AS k(profile_id)
   WHERE p.profile_id = k.profile_id
     AND NOT EXISTS (SELECT FROM connect_lake.customer_profile_events e WHERE e.profile_id = k.profile_id);
  INSERT INTO connect_lake.customer_profile AS t
  SELECT a.profile_id, s.domain_name, s.object ->> 'AccountNumber', s.account,
         coalesce(s.object ->> 'PartyType', s.object ->> 'PartyTypeString'), s.object ->> 'BusinessName',
         s.object ->> 'FirstName', s.object ->> 'MiddleName', s.object ->> 'LastName', s.object ->> 'BirthDate',
         coalesce(s.object ->> 'Gender', s.object ->> 'GenderString'),
         s.object ->> 'PhoneNumber', s.object ->> 'MobilePhoneNumber', s.object ->> 'HomePhoneNumber',
         s.object ->> 'BusinessPhoneNumber', s.object ->> 'EmailAddress', s.object ->> 'PersonalEmailAddress',
         s.object ->> 'BusinessEmailAddress', s.object ->> 'AdditionalInformation',
         s.object -> 'Address', s.object -> 'ShippingAddress', s.object -> 'MailingAddress', s.object -> 'BillingAddress',
         s.object -> 'Attributes', NULL, a.first_event, a.last_event, a.events, s.event_id
    FROM (SELECT e.profile_id, min(e.eventtimestamp) AS first_event, max(e.eventtimestamp) AS last_event,
                 count(*)::integer AS events
            FROM unnest(ids) AS k(profile_id)
            JOIN connect_lake.customer_profile_events e ON e.profile_id = k.profile_id
           GROUP BY e.profile_id) a
    LEFT JOIN LATERAL (
           SELECT x.* FROM connect_lake.customer_profile_events x
            WHERE x.profile_id = a.profile_id AND lower(x.object_type) = '_profile'
              AND jsonb_typeof(x.object) = 'object'
            ORDER BY x.eventtimestamp DESC, x.event_id DESC LIMIT 1) s ON true
  ON CONFLICT (profile_id) DO UPDATE SET
    domain_name = excluded.domain_name, account_number = excluded.account_number, account = excluded.account,
    party_type = excluded.party_type, business_name = excluded.business_name, first_name = excluded.first_name,
    middle_name = excluded.middle_name, last_name = excluded.last_name, birth_date = excluded.birth_date,
    gender = excluded.gender, phone_number = excluded.phone_number,
    mobile_phone_number = excluded.mobile_phone_number, home_phone_number = excluded.home_phone_number,
    business_phone_number = excluded.business_phone_number, email_address = excluded.email_address,
    personal_email_address = excluded.personal_email_address,
    business_email_address = excluded.business_email_address,
    additional_information = excluded.additional_information, address = excluded.address,
    shipping_address = excluded.shipping_address, mailing_address = excluded.mailing_address,
    billing_address = excluded.billing_address, attributes = excluded.attributes,
    first_event = excluded.first_event, last_event = excluded.last_event, events = excluded.events,
    last_profile_event_id = excluded.last_profile_event_id;
  GET DIAGNOSTICS n = ROW_COUNT;

  -- each profile's history
  DELETE FROM connect_lake.customer_profile_history h
   USING unnest(ids) AS k(profile_id) WHERE h.profile_id = k.profile_id;
  INSERT INTO connect_lake.customer_profile_history
         (profile_id, eventtimestamp, event_id, event_type, object_type, changed_fields, merge_id, merged_profiles)
  SELECT e.profile_id, e.eventtimestamp, e.event_id, e.event_type, e.object_type,
         (SELECT array_agg(f.key ORDER BY f.key)
            FROM (SELECT j.key FROM jsonb_each(CASE WHEN jsonb_typeof(e.object) = 'object' THEN e.object ELSE '{}' END) j
                  UNION
                  SELECT j.key FROM jsonb_each(CASE WHEN jsonb_typeof(e.prev) = 'object' THEN e.prev ELSE '{}' END) j) f
           WHERE e.prev IS NULL OR (e.object -> f.key) IS DISTINCT FROM (e.prev -> f.key)),
         e.merge_id,
         (SELECT array_agg(m.duplicate_profile_id ORDER BY m.duplicate_profile_id)
            FROM connect_lake.customer_profile_merge m
           WHERE e.event_type = 'MERGED' AND m.survivor_profile_id = e.profile_id AND m.event_id = e.event_id)
    FROM (SELECT x.*, lag(x.object) OVER (PARTITION BY x.profile_id, x.object_type, x.profile_object_unique_key
                                          ORDER BY x.eventtimestamp, x.event_id) AS prev
            FROM unnest(ids) AS k(profile_id)
            JOIN connect_lake.customer_profile_events x ON x.profile_id = k.profile_id) e
  ON CONFLICT DO NOTHING;

  -- the contacts their CTR objects name
  DELETE FROM connect_lake.contact_profile c
   USING unnest(ids) AS k(profile_id) WHERE c.profile_id = k.profile_id AND c.source = 'ctr_object';
  INSERT INTO connect_lake.contact_profile (contactid, profile_id, source, initiationtimestamp, event_id)
  SELECT DISTINCT ON (e.contactid, e.profile_id) e.contactid, e.profile_id, 'ctr_object',
         CASE WHEN (e.object ->> 'InitiationTimestamp') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$'
              THEN (e.object ->> 'InitiationTimestamp')::timestamptz END,
         e.event_id
    FROM unnest(ids) AS k(profile_id)
    JOIN connect_lake.customer_profile_events e ON e.profile_id = k.profile_id
   WHERE e.contactid IS NOT NULL AND upper(e.object_type) = 'CTR'
   ORDER BY e.contactid, e.profile_id, e.eventtimestamp, e.event_id;

  -- merges applied: to these profiles, to those they merged, and to
  -- whatever had been merged into any of them (a chain of merges)
  SELECT coalesce(array_agg(DISTINCT a.id), '{}') INTO affected
    FROM (SELECT k.profile_id AS id FROM unnest(ids) AS k(profile_id)
          UNION ALL
          SELECT m.duplicate_profile_id FROM connect_lake.customer_profile_merge m
            JOIN unnest(ids) AS k(profile_id) ON m.survivor_profile_id = k.profile_id) a;
  affected := affected || coalesce((SELECT array_agg(p.profile_id) FROM connect_lake.customer_profile p
                                     WHERE p.merged_into = ANY (affected)), '{}');
  UPDATE connect_lake.customer_profile p
     SET merged_into = s.survivor
    FROM (SELECT DISTINCT x AS id, nullif(connect_lake.customer_profile_survivor(x), x) AS survivor
            FROM unnest(affected) AS x) s
   WHERE p.profile_id = s.id AND p.merged_into IS DISTINCT FROM s.survivor;
  UPDATE connect_lake.customer_profile_merge m
     SET applied = EXISTS (SELECT FROM connect_lake.customer_profile p WHERE p.profile_id = m.duplicate_profile_id)
   WHERE m.duplicate_profile_id = ANY (affected)
     AND applied IS DISTINCT FROM EXISTS (SELECT FROM connect_lake.customer_profile p
                                          WHERE p.profile_id = m.duplicate_profile_id);
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.customer_profile_refresh(text[]) IS
  'Rebuilds, from customer_profile_events, the state (customer_profile), history (customer_profile_history), merges (customer_profile_merge, applied to duplicates seen now) and CTR-object contact links (contact_profile) of these profiles; NULL: of every profile, and the attribute links of every CTR too (after changing connect_lake.profile_id_attribute). The writers call it with the profiles of the events they land. Returns the profiles kept.';

-- ---- One row per customer

CREATE VIEW connect_lake.customer AS
  SELECT p.profile_id, p.account, p.account_number,
         coalesce(nullif(concat_ws(' ', p.first_name, p.middle_name, p.last_name), ''), p.business_name) AS name,
         ph.phone_numbers, p.email_address, g.merged_profiles,
         coalesce(ct.contacts, 0) AS contacts, ct.first_contact, ct.last_contact,
         coalesce(cs.cases, 0) AS cases, coalesce(cs.open_cases, 0) AS open_cases,
         p.first_event, p.last_event
    FROM connect_lake.customer_profile p
    -- (each lateral reads the customer's profiles, the survivor and those
    -- merged into it, through the indexes on profile_id and merged_into)
    CROSS JOIN LATERAL (
           SELECT array_agg(x.profile_id ORDER BY x.profile_id) AS merged_profiles
             FROM connect_lake.customer_profile x WHERE x.merged_into = p.profile_id) g
    CROSS JOIN LATERAL (
           SELECT array_agg(DISTINCT n.phone ORDER BY n.phone) AS phone_numbers
             FROM (SELECT p.profile_id
                   UNION ALL
                   SELECT x.profile_id FROM connect_lake.customer_profile x WHERE x.merged_into = p.profile_id) q
             JOIN connect_lake.customer_profile x ON x.profile_id = q.profile_id
             CROSS JOIN LATERAL unnest(ARRAY[x.phone_number, x.mobile_phone_number, x.home_phone_number,
                                             x.business_phone_number]) AS n(phone)
            WHERE n.phone IS NOT NULL) ph
    CROSS JOIN LATERAL (
           SELECT count(DISTINCT c.contactid) AS contacts, min(c.initiationtimestamp) AS first_contact,
                  max(c.initiationtimestamp) AS last_contact
             FROM (SELECT l.contactid, l.initiationtimestamp
                     FROM (SELECT p.profile_id
                           UNION ALL
                           SELECT x.profile_id FROM connect_lake.customer_profile x WHERE x.merged_into = p.profile_id) q
                     JOIN connect_lake.contact_profile l ON l.profile_id = q.profile_id
                   UNION ALL
                   SELECT a.contactid, a.initiationtimestamp FROM connect_lake.contact_account a
                    WHERE a.account = p.account) c) ct
    CROSS JOIN LATERAL (
           SELECT count(*) AS cases, count(*) FILTER (WHERE connect_lake.case_status_is_open(s.detail_case_fields_status)) AS open_cases
             FROM (SELECT s.detail_case_caseid
                     FROM (SELECT p.profile_id
                           UNION ALL
                           SELECT x.profile_id FROM connect_lake.customer_profile x WHERE x.merged_into = p.profile_id) q
                     JOIN connect_lake.case_state s
                       ON connect_lake.profile_arn_id(s.detail_case_fields_customer_id) = q.profile_id
                      AND s.detail_case_fields_customer_id IS NOT NULL
                   UNION
                   SELECT s.detail_case_caseid FROM connect_lake.case_state s WHERE s.account = p.account) k
             JOIN connect_lake.case_state s ON s.detail_case_caseid = k.detail_case_caseid
            WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED') cs
   WHERE p.merged_into IS NULL;
COMMENT ON VIEW connect_lake.customer IS
  'One row per customer: each surviving profile (not merged into another) with the profiles merged into it, its account number, name and phone numbers, and the contacts (through contact_profile, or contact_account by its account number) and cases (through the case''s customer_id profile, or its account) of the customer.';
COMMENT ON COLUMN connect_lake.customer.profile_id IS 'The surviving profile.';
COMMENT ON COLUMN connect_lake.customer.account IS 'Its AccountNumber as an integer.';
COMMENT ON COLUMN connect_lake.customer.account_number IS 'Its AccountNumber as the profile holds it.';
COMMENT ON COLUMN connect_lake.customer.name IS 'First, middle and last name, else the business name.';
COMMENT ON COLUMN connect_lake.customer.phone_numbers IS 'Every phone number of the profile and of the profiles merged into it.';
COMMENT ON COLUMN connect_lake.customer.email_address IS 'EmailAddress.';
COMMENT ON COLUMN connect_lake.customer.merged_profiles IS 'The profiles merged into it (NULL when none).';
COMMENT ON COLUMN connect_lake.customer.contacts IS 'Distinct contacts linked to the customer: to any of its profiles (contact_profile) or to its account number (contact_account).';
COMMENT ON COLUMN connect_lake.customer.first_contact IS 'Initiation of its first linked contact (where known).';
COMMENT ON COLUMN connect_lake.customer.last_contact IS 'Initiation of its latest linked contact (where known).';
COMMENT ON COLUMN connect_lake.customer.cases IS 'Cases of the customer: the case''s customer_id is one of its profiles, or the case''s account is its account number.';
COMMENT ON COLUMN connect_lake.customer.open_cases IS 'Of those, the cases open now (case_status_is_open()).';
COMMENT ON COLUMN connect_lake.customer.first_event IS 'First event of the surviving profile.';
COMMENT ON COLUMN connect_lake.customer.last_event IS 'Latest event of the surviving profile.';

REVOKE ALL ON FUNCTION connect_lake.customer_profile_refresh(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.customer_profile_refresh(text[]) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.contact_profile_attribute_upkeep(uuid[], timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.contact_profile_attribute_upkeep(uuid[], timestamptz[]) TO connect_lake_loader;
GRANT INSERT, UPDATE ON connect_lake.customer_profile_events TO connect_lake_loader;
GRANT INSERT, UPDATE, DELETE ON connect_lake.customer_profile, connect_lake.customer_profile_history,
  connect_lake.customer_profile_merge, connect_lake.contact_profile TO connect_lake_loader;
