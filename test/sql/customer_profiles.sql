-- Customer Profiles on hand-built events: a profile created and updated
-- (delivered out of order, and twice), a non-integer AccountNumber, a merge
-- naming a profile the lake has not seen (applied when it arrives), a
-- chain of merges, a CTR object linking a contact, a contact attribute
-- linking another, an unknown object type, a case linked by its
-- customer_id, the customer view and the journeys.
-- All in one transaction, rolled back: later tests see none of it.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.c(n integer) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '00000000-0000-4000-8000-' || lpad(n::text, 12, '0') $$;
CREATE FUNCTION pg_temp.t(hms text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '2030-05-06T' || hms || 'Z' $$;
-- one stream event: id, time, type, object type, profile, object
CREATE FUNCTION pg_temp.pe(id text, at text, type text, otype text, profile text, obj jsonb, more jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('SchemaVersion', 0, 'EventId', id, 'EventTimestamp', pg_temp.t(at), 'EventType', type,
    'DomainName', 'energy', 'ObjectTypeName', otype, 'AssociatedProfileId', profile,
    'ProfileObjectUniqueKey', profile, 'Object', obj, 'IsMessageRealTime', true) || more
$$;
CREATE FUNCTION pg_temp.prof(id text, first text, last text, account text, phone text, more jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('ProfileId', id, 'FirstName', first, 'LastName', last,
    'AccountNumber', account, 'PhoneNumber', phone, 'PartyType', 'INDIVIDUAL',
    'Address', jsonb_build_object('Address1', '1 High St', 'City', 'Leeds', 'PostalCode', 'LS1 1AA', 'Country', 'GB'),
    'Attributes', jsonb_build_object('tariff', 'fixed'))) || more
$$;
CREATE FUNCTION pg_temp.ctr(n integer, init text, more jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('AWSContactTraceRecordFormatVersion', '2017-03-10', 'ContactId', pg_temp.c(n),
    'InitiationMethod', 'INBOUND', 'Channel', 'VOICE', 'InitiationTimestamp', pg_temp.t(init),
    'DisconnectTimestamp', pg_temp.t(init), 'LastUpdateTimestamp', '2030-05-07T00:00:00Z',
    'DisconnectReason', 'CUSTOMER_DISCONNECT') || more
$$;

-- The documented sample parses: an unknown object type keeps its Object whole.
SELECT event_id, eventtimestamp, event_type, object_type, profile_id, domain_name, schema_version,
       profile_object_unique_key, is_message_realtime, account, contactid, object, extra
  FROM connect_lake.customer_profile_event_parse(
    '{"SchemaVersion": 0, "EventId": "eventId", "EventTimestamp": "2020-01-01T00:00:00Z", "EventType": "CREATED",
      "DomainName": "domainName", "ObjectTypeName": "objectTypeName", "AssociatedProfileId": "associatedProfileId",
      "ProfileObjectUniqueKey": "profileObjectUniqueKey", "Object": {"map": {"k1": ["a", "b", "c"]}},
      "IsMessageRealTime": true}'::text);
-- Object.ProfileId names the profile when AssociatedProfileId does not; keys in any case.
SELECT profile_id, account, event_type, extra
  FROM connect_lake.customer_profile_event_parse('{"eventid": "x", "eventTimestamp": "2030-01-01T00:00:00Z",
    "eventType": "updated", "Object": {"ProfileId": "p-x", "AccountNumber": " 42 "}, "Surprise": 1}'::jsonb);
-- A record without EventId is bad: its error names the record.
SELECT connect_lake.customer_profile_event_parse('{"EventTimestamp": "2030-01-01T00:00:00Z", "Object": {}}'::jsonb);

BEGIN;
-- Profile A: its update is delivered before its creation, and then again.
SELECT * FROM connect_lake.ingest_batch('customer_profile_event', ARRAY[
  pg_temp.pe('ev-a2', '10:00:00', 'UPDATED', '_profile', 'p-a',
             pg_temp.prof('p-a', 'Ada', 'Byron', '1001', '+447700900001', '{"MobilePhoneNumber": "+447700900011"}')),
  pg_temp.pe('ev-a1', '09:00:00', 'CREATED', '_profile', 'p-a', pg_temp.prof('p-a', 'Ada', 'Byron', '1001', '+447700900000'))
]::jsonb[]);
SELECT * FROM connect_lake.ingest('customer_profile_event',
  pg_temp.pe('ev-a2', '10:00:00', 'UPDATED', '_profile', 'p-a',
             pg_temp.prof('p-a', 'Ada', 'Byron', '1001', '+447700900001', '{"MobilePhoneNumber": "+447700900011"}')));
-- the latest event wins, whatever order they came in
SELECT profile_id, account_number, account, party_type, first_name, last_name, phone_number, mobile_phone_number,
       address ->> 'City' AS city, attributes, merged_into, first_event, last_event, events, last_profile_event_id
  FROM connect_lake.customer_profile;
SELECT profile_id, eventtimestamp, event_id, event_type, object_type, changed_fields
  FROM connect_lake.customer_profile_history ORDER BY eventtimestamp;

-- Profile B: an AccountNumber that is not an integer lands NULL, counted.
SELECT * FROM connect_lake.ingest_batch('customer_profile_event', ARRAY[
  pg_temp.pe('ev-b1', '09:30:00', 'CREATED', '_profile', 'p-b', pg_temp.prof('p-b', 'Bob', 'Hope', 'ACC-77', '+447700900002'))
]::jsonb[]);
SELECT profile_id, account_number, account FROM connect_lake.customer_profile WHERE profile_id = 'p-b';

-- Profile C exists; A absorbs C and D (D not seen yet): recorded, pending for D.
SELECT * FROM connect_lake.ingest_batch('customer_profile_event', ARRAY[
  pg_temp.pe('ev-c1', '09:10:00', 'CREATED', '_profile', 'p-c', pg_temp.prof('p-c', 'Ada', 'King', NULL, '+447700900003')),
  pg_temp.pe('ev-m1', '11:00:00', 'MERGED', '_profile', 'p-a', pg_temp.prof('p-a', 'Ada', 'Byron', '1001', '+447700900001'),
             '{"MergeId": "m-1", "DuplicateProfiles": ["p-c", {"ProfileId": "p-d"}]}')
]::jsonb[]);
SELECT duplicate_profile_id, survivor_profile_id, merge_id, merged_at, event_id, applied
  FROM connect_lake.customer_profile_merge ORDER BY 1;
SELECT profile_id, merged_into FROM connect_lake.customer_profile ORDER BY 1;
-- D arrives (its creation predates the merge): the merge applies to it.
SELECT * FROM connect_lake.ingest('customer_profile_event',
  pg_temp.pe('ev-d1', '08:00:00', 'CREATED', '_profile', 'p-d', pg_temp.prof('p-d', 'A.', 'Byron', NULL, '+447700900004')));
SELECT profile_id, merged_into FROM connect_lake.customer_profile ORDER BY 1;
SELECT duplicate_profile_id, applied FROM connect_lake.customer_profile_merge ORDER BY 1;
SELECT profile_id, event_id, event_type, merge_id, merged_profiles
  FROM connect_lake.customer_profile_history WHERE event_type = 'MERGED';

-- A CTR object links contact 1 to C (merged into A); an unknown object type lands too.
SELECT * FROM connect_lake.ingest_batch('customer_profile_event', ARRAY[
  pg_temp.pe('ev-c2', '12:00:00', 'CREATED', 'CTR', 'p-c',
             jsonb_build_object('ContactId', pg_temp.c(1), 'Channel', 'VOICE', 'InitiationTimestamp', pg_temp.t('11:58:00'))),
  pg_temp.pe('ev-x1', '12:01:00', 'CREATED', 'MeterReading', 'p-a', '{"MPAN": "1200023305961", "Reading": 40213}'),
  pg_temp.pe('ev-x2', '12:02:00', 'CREATED', 'CTR', 'p-a', '{"ContactId": "not-a-uuid"}')
]::jsonb[]);
SELECT event_id, object_type, profile_id, contactid, object
  FROM connect_lake.customer_profile_events WHERE event_id IN ('ev-c2', 'ev-x1', 'ev-x2') ORDER BY 1;

-- Contact 2 names profile B in its profileId attribute (as an ARN); contact 3 names none.
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1, '11:58:00'),
  pg_temp.ctr(2, '12:30:00', jsonb_build_object('Attributes', jsonb_build_object(
    'profileId', 'arn:aws:profile:eu-west-2:111122223333:domains/energy/profiles/p-b'))),
  pg_temp.ctr(3, '12:40:00', '{"Attributes": {"accountNumbers": "1001"}}')
]::jsonb[]);
SELECT contactid, profile_id, source, initiationtimestamp, event_id FROM connect_lake.contact_profile ORDER BY 1, 2;
-- A newer version of contact 2 without the attribute drops its link; another setting links by another key.
SELECT connect_lake.ingest('ctr', pg_temp.ctr(2, '12:30:00') || '{"LastUpdateTimestamp": "2030-05-08T00:00:00Z"}');
SELECT contactid, profile_id, source FROM connect_lake.contact_profile ORDER BY 1, 2;
SET LOCAL connect_lake.profile_id_attribute = 'customerProfile';
SELECT connect_lake.ingest('ctr', pg_temp.ctr(2, '12:30:00') ||
  '{"LastUpdateTimestamp": "2030-05-09T00:00:00Z", "Attributes": {"customerProfile": "p-b", "profileId": "p-a"}}');
SELECT contactid, profile_id, source FROM connect_lake.contact_profile ORDER BY 1, 2;

-- A case whose customer_id is D's ARN (D is merged into A).
SELECT connect_lake.ingest('case_event', '{"version": "0", "id": "case-ev-1", "source": "aws.cases",
  "detail-type": "Amazon Connect Cases Change", "time": "2030-05-06T13:00:00Z",
  "detail": {"version": "0", "eventType": "CASE.CREATED", "approximateChangeTime": "2030-05-06T13:00:00Z",
    "case": {"caseId": "case-9", "createdDateTime": "2030-05-06T13:00:00Z",
      "fields": {"status": {"value": {"stringValue": "open"}},
                 "customer_id": {"value": {"stringValue": "arn:aws:profile:eu-west-2:111122223333:domains/energy/profiles/p-d"}}}}}}');
SELECT contactid, case_id, link, account FROM connect_lake.contact_case WHERE case_id = 'case-9' ORDER BY 1, 3;

-- One row per customer: A (with C and D merged in) and B.
SELECT profile_id, account, account_number, name, phone_numbers, email_address, merged_profiles,
       contacts, first_contact, last_contact, cases, open_cases
  FROM connect_lake.customer ORDER BY profile_id;

-- The journeys: contact 1's shows its profile and the case found through it;
-- account 1001's finds contact 1 (through the profile) and contact 3 (its account attribute).
SELECT step_time, leg, source, step, details FROM connect_lake.contact_journey(pg_temp.c(1)::uuid)
 WHERE source IN ('profile', 'case_event');
SELECT step_time, contactid, case_id, source, step FROM connect_lake.customer_journey(1001);

-- A chain: A is later merged into E; C and D follow A.
SELECT connect_lake.ingest('customer_profile_event',
  pg_temp.pe('ev-e1', '14:00:00', 'MERGED', '_profile', 'p-e', pg_temp.prof('p-e', 'Ada', 'Lovelace', '1001', '+447700900005'),
             '{"MergeId": "m-2", "DuplicateProfiles": ["p-a"]}'));
SELECT profile_id, merged_into FROM connect_lake.customer_profile ORDER BY 1;
SELECT connect_lake.customer_profile_survivor('p-d'), connect_lake.customer_profile_survivor('p-unknown');

-- customer_profile_refresh() from nothing makes the same tables.
CREATE TEMP TABLE before_p AS SELECT * FROM connect_lake.customer_profile;
CREATE TEMP TABLE before_h AS SELECT * FROM connect_lake.customer_profile_history;
CREATE TEMP TABLE before_m AS SELECT * FROM connect_lake.customer_profile_merge;
CREATE TEMP TABLE before_c AS SELECT * FROM connect_lake.contact_profile;
SELECT connect_lake.customer_profile_refresh();
SELECT (SELECT count(*) FROM (SELECT * FROM before_p EXCEPT ALL SELECT * FROM connect_lake.customer_profile) d) +
       (SELECT count(*) FROM (SELECT * FROM connect_lake.customer_profile EXCEPT ALL SELECT * FROM before_p) d) AS profile_diff,
       (SELECT count(*) FROM (SELECT * FROM before_h EXCEPT ALL SELECT * FROM connect_lake.customer_profile_history) d) +
       (SELECT count(*) FROM (SELECT * FROM connect_lake.customer_profile_history EXCEPT ALL SELECT * FROM before_h) d) AS history_diff,
       (SELECT count(*) FROM (SELECT * FROM before_m EXCEPT ALL SELECT * FROM connect_lake.customer_profile_merge) d) +
       (SELECT count(*) FROM (SELECT * FROM connect_lake.customer_profile_merge EXCEPT ALL SELECT * FROM before_m) d) AS merge_diff,
       (SELECT count(*) FROM (SELECT * FROM before_c EXCEPT ALL SELECT * FROM connect_lake.contact_profile) d) +
       (SELECT count(*) FROM (SELECT * FROM connect_lake.contact_profile EXCEPT ALL SELECT * FROM before_c) d) AS link_diff;
SELECT count(*) AS profiles, count(*) FILTER (WHERE merged_into IS NOT NULL) AS merged FROM connect_lake.customer_profile;

-- A refresh of any number of profiles holds at most 256 locks (one a profile
-- overflowed the shared lock table on a day's file at the seed's volume).
SELECT connect_lake.customer_profile_refresh(ARRAY(SELECT 'unknown-' || g FROM generate_series(1, 20000) g)) AS kept;
SELECT count(*) BETWEEN 1 AND 256 AS bounded
  FROM pg_locks WHERE locktype = 'advisory' AND classid = 1131375696 AND pid = pg_backend_pid();

-- profile_arn_id() (C) gives what its SQL rule gave: the last segment after
-- a slash, spaces trimmed, NULL when empty; on edge cases and on 20,000
-- strings of slashes, spaces, letters, a multibyte letter and newlines.
SELECT quote_nullable(x) AS arn, quote_nullable(connect_lake.profile_arn_id(x)) AS id
  FROM unnest(ARRAY[NULL, '', ' ', '/', 'a/', ' p1 ', 'd/ p 2 ', E'a/\tb\t', 'é/ü',
                    'arn:aws:profile:eu-west-2:1:domains/d/profiles/p1']) AS x;
SELECT count(*) AS strings,
       count(*) FILTER (WHERE connect_lake.profile_arn_id(x)
                              IS DISTINCT FROM nullif(btrim(regexp_replace(x, '^.*/', '')), '')) AS differ
  FROM (SELECT string_agg(substr(E' /ab\u00e9\n', 1 + (hashtext(g || ':' || k) & 7) % 6, 1), '' ORDER BY k) AS x
          FROM generate_series(1, 20000) g, generate_series(1, 6) k GROUP BY g) s;

ROLLBACK;
