-- Forgetting a customer: forget_customer()'s key rules and bad input, what it
-- overwrites, the erasure list (digests only) and the writers' check that
-- scrubs a forgotten customer's record landing again.  Hand-built records,
-- all in one transaction, rolled back: later tests see none of it.
\set ON_ERROR_ROLLBACK on
BEGIN;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.c(n integer) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '00000000-0000-4000-8000-' || lpad(n::text, 12, '0') $$;
CREATE FUNCTION pg_temp.ctr(n integer, phone text, accounts text, more jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'ContactId', pg_temp.c(n), 'InitiationMethod', 'INBOUND', 'Channel', 'VOICE',
    'InitiationTimestamp', '2030-03-04T09:0' || n || ':00Z', 'DisconnectTimestamp', '2030-03-04T09:0' || n || ':50Z',
    'LastUpdateTimestamp', '2030-03-05T00:00:00Z',
    'CustomerEndpoint', jsonb_build_object('Address', phone, 'Type', 'TELEPHONE_NUMBER'),
    'Attributes', jsonb_strip_nulls(jsonb_build_object('accountNumbers', accounts, 'intent', 'billing',
                                                       'notes', 'Prefers mornings', 'vulnerable', 'Yes')))) || more
$$;
-- a case event with fields (strings) and the account field
CREATE FUNCTION pg_temp.ev(id text, case_id text, at text, fields jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', id, 'detail-type', 'Amazon Connect Cases Change', 'source', 'aws.cases',
    'detail', jsonb_build_object('eventType', 'CASE.UPDATED', 'approximateChangeTime', at,
      'case', jsonb_build_object('caseId', case_id, 'createdDateTime', '2030-03-04T09:10:00Z',
        'fields', (SELECT jsonb_object_agg(k, jsonb_build_object('value', jsonb_build_object('stringValue', v)))
                     FROM jsonb_each(fields) f(k, v)))))
$$;
INSERT INTO connect_lake.case_field_map (field_id, column_name) VALUES ('account', 'account');

-- Customer A: account 11111111, phone +447700000001, contact 1 transferred
-- to contact 2, case case-a (profile pa) with a comment.  Customer B:
-- 22222222, contact 3.  Phone +447700000009 is shared by contact 4
-- (33333333) and contact 5 (44444444); contact 6 called from it unnamed.
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(1, '+447700000001', '11111111', jsonb_build_object('NextContactId', pg_temp.c(2),
              'Attributes', jsonb_build_object('accountNumbers', '11111111', 'caseId', 'case-a', 'intent', 'billing',
                                               'notes', 'Prefers mornings'))),
  pg_temp.ctr(2, '+447700000001', NULL, jsonb_build_object('InitiationMethod', 'TRANSFER',
              'InitialContactId', pg_temp.c(1), 'PreviousContactId', pg_temp.c(1), 'Name', 'Call Ms Example back')),
  pg_temp.ctr(3, '+447700000002', '22222222'),
  pg_temp.ctr(4, '+447700000009', '33333333'),
  pg_temp.ctr(5, '+447700000009', '44444444'),
  pg_temp.ctr(6, '+447700000009', NULL)
]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[
  jsonb_build_object('ContactId', pg_temp.c(1), 'Timestamp', '2030-03-04T09:01:05Z', 'ContactFlowId', 'flow-main',
    'ContactFlowModuleType', 'SetAttributes', 'Identifier', 'Set account',
    'Parameters', jsonb_build_object('Key', 'accountNumbers', 'Value', '11111111')),
  jsonb_build_object('ContactId', pg_temp.c(1), 'Timestamp', '2030-03-04T09:01:06Z', 'ContactFlowId', 'flow-main',
    'ContactFlowModuleType', 'InvokeExternalResource', 'Identifier', 'Lookup', 'Results', 'found 11111111',
    'ExternalResults', jsonb_build_object('accountNumber', '11111111')),
  jsonb_build_object('ContactId', pg_temp.c(3), 'Timestamp', '2030-03-04T09:03:05Z', 'ContactFlowId', 'flow-main',
    'ContactFlowModuleType', 'SetAttributes', 'Identifier', 'Set account',
    'Parameters', jsonb_build_object('Key', 'accountNumbers', 'Value', '22222222'))
]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('contact_event', ARRAY[
  jsonb_build_object('id', 'e1', 'time', '2030-03-04T09:01:00Z',
    'detail', jsonb_build_object('eventType', 'INITIATED', 'contactId', pg_temp.c(1), 'channel', 'VOICE',
                                 'tags', jsonb_build_object('customer', '11111111')))
]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('case_event', ARRAY[
  pg_temp.ev('k1', 'case-a', '2030-03-04T09:10:00Z', jsonb_build_object('status', 'open', 'account', '11111111',
    'summary', 'Customer called about a bill. Account 11111111.', 'title', 'Billing - Ms Example',
    'customer_id', 'arn:aws:profile:eu-west-2:1:domains/d/profiles/pa0000000000000000000000000000aa')),
  pg_temp.ev('k2', 'case-b', '2030-03-04T09:11:00Z', jsonb_build_object('status', 'open', 'account', '22222222',
    'summary', 'Account 22222222.', 'customer_id', 'arn:aws:profile:eu-west-2:1:domains/d/profiles/pb0000000000000000000000000000bb')),
  '{"id": "k3", "detail": {"eventType": "RELATED_ITEM.CREATED", "approximateChangeTime": "2030-03-04T09:12:00Z",
    "relatedItem": {"relatedItemType": "Comment", "relatedItemId": "ri-1", "caseId": "case-a",
      "comment": {"body": "Ms Example asked us to call 07700 000001 after 5pm"}}}}'
]::jsonb[]);
SELECT count(*) AS cases FROM connect_lake.case_state;

-- ---- Bad input: exactly one key; nothing matched is not an error.
SELECT * FROM connect_lake.forget_customer();
SELECT * FROM connect_lake.forget_customer(account => 1, phone => '+447700000001');
SELECT * FROM connect_lake.forget_customer(phone => '   ');
SELECT * FROM connect_lake.forget_customer(account => 1, forget_all => NULL);
SELECT * FROM connect_lake.forget_customer(account => 99999999);
SELECT * FROM connect_lake.forget_customer(contactid => '00000000-0000-4000-8000-000000000099');
SELECT key_kind, customers, contacts, cases, rows_changed = '{}' OR NOT EXISTS (
         SELECT 1 FROM jsonb_each_text(rows_changed) WHERE value <> '0') AS nothing_changed,
       erased_by = session_user AS by_me, length(key_digest) AS digest_bytes
  FROM connect_lake.erasure_audit ORDER BY erasure_id;

-- ---- A phone of several customers: refused, listing them by account.
SELECT * FROM connect_lake.forget_customer(phone => '+447700000009');

-- ---- Not for analysts, nor for the loader.
SET LOCAL ROLE connect_lake_reader;
SELECT * FROM connect_lake.forget_customer(account => 11111111);
SELECT count(*) FROM connect_lake.erasure_list;
SELECT count(*) FROM connect_lake.pii_secret;
SELECT connect_lake.lake_hmac('account:11111111');
RESET ROLE;
SET LOCAL ROLE connect_lake_loader;
SELECT * FROM connect_lake.forget_customer(account => 11111111);
SELECT connect_lake.erasure_digest('account', '11111111');
RESET ROLE;

-- ---- Customer A by account: contacts 1 and its transfer leg 2, case-a.
-- rejects holding A's values: found by the index of their tokens, each checked
-- for the whole value (a value inside a longer token is not a token of the text)
INSERT INTO connect_lake.load_rejects (kind, path, line, reason, raw) VALUES
  ('ctr', '/r/1.json', 1, 'test', '{"ContactId": 1, "CustomerEndpoint": {"Address": "+447700000001"}}'),
  ('ctr', '/r/2.json', 1, 'test', '{"ContactId": 2, "Attributes": {"accountNumbers": "11111111"}}'),
  ('ctr', '/r/3.json', 1, 'test', '{"ContactId": 3, "CustomerEndpoint": {"Address": "+447700000003"}}'),
  ('ctr', '/r/4.json', 1, 'test', '{"ContactId": 4, "Attributes": {"ref": "ACC11111111"}}');
-- the metrics of this test's contacts (1 to 6; earlier tests may leave rows
-- of their own contacts, whose CTRs they removed)
SELECT connect_lake.metrics_refresh('2030-03-04', '2030-03-05') > 0 AS metrics_kept;
CREATE FUNCTION pg_temp.own_metric() RETURNS SETOF connect_lake.contact_metric LANGUAGE sql STABLE AS $$
  SELECT m.* FROM connect_lake.contact_metric m
   WHERE m.contactid IN (SELECT pg_temp.c(n)::uuid FROM generate_series(1, 6) n)
$$;
CREATE TEMP TABLE metric_before AS SELECT * FROM pg_temp.own_metric();
SELECT count(*) AS contacts_measured FROM metric_before;
SELECT * FROM connect_lake.forget_customer(account => 11111111);
SELECT key_kind, customers, contacts, cases, rows_changed->>'ctr_events' AS ctrs
  FROM connect_lake.erasure_audit ORDER BY erasure_id DESC LIMIT 1;
-- none of A's values is left anywhere in their rows
SELECT 'ctr_events' AS t, count(*) FILTER (WHERE row_to_json(c)::text ~ '11111111|447700000001|Example|mornings|vulnerable') AS holding
  FROM connect_lake.ctr_events c WHERE c.contactid::text ~ '0000000[12]$'
UNION ALL SELECT 'contact_flow_log', count(*) FILTER (WHERE row_to_json(f)::text ~ '11111111') FROM connect_lake.contact_flow_log f
UNION ALL SELECT 'contact_events', count(*) FILTER (WHERE row_to_json(e)::text ~ '11111111') FROM connect_lake.contact_events e
-- (the case's customer_id, a profile ARN, stays: an id, the case's link to the profile)
UNION ALL SELECT 'case_events', count(*) FILTER (WHERE row_to_json(e)::text ~ '11111111|Example') FROM connect_lake.case_events e
UNION ALL SELECT 'case_state', count(*) FILTER (WHERE row_to_json(e)::text ~ '11111111|Example') FROM connect_lake.case_state e
UNION ALL SELECT 'case_related_items', count(*) FILTER (WHERE row_to_json(e)::text ~ 'Example|07700') FROM connect_lake.case_related_items e
UNION ALL SELECT 'contact_account', count(*) FILTER (WHERE account = 11111111) FROM connect_lake.contact_account
UNION ALL SELECT 'contact_repeat', count(*) FILTER (WHERE customer_key IN ('11111111', '+447700000001')) FROM connect_lake.contact_repeat
ORDER BY 1;
-- what stays: times, queues, intent and caseId; the endpoint is one pseudonym for both legs
SELECT substr(c.contactid::text, 25) AS contact, c.initiationtimestamp, c.disconnecttimestamp, c.attributes,
       c.customerendpoint_address LIKE 'forgotten:%' AS endpoint_pseudonym, c.name, c.attributes_intent, c.attributes_caseid
  FROM connect_lake.ctr_events c ORDER BY 1;
SELECT count(DISTINCT customerendpoint_address) AS pseudonyms FROM connect_lake.ctr_events WHERE contactid::text ~ '0000000[12]$';
SELECT substr(contactid::text, 25) AS contact, account < 0 AS pseudonym FROM connect_lake.contact_account ORDER BY 1, 2;
SELECT path, raw IS NULL AS removed FROM connect_lake.load_rejects WHERE path LIKE '/r/%' ORDER BY 1;
SELECT detail_case_caseid, account < 0 AS account_pseudonym, detail_case_fields_summary, detail_case_fields_title,
       detail_case_fields_customer_id, detail_case_fields_status FROM connect_lake.case_state ORDER BY 1;
SELECT detail_relateditem_caseid, comment_body FROM connect_lake.case_related_items;
SELECT identifier, parameters, results, externalresults FROM connect_lake.contact_flow_log ORDER BY "timestamp";
-- the contact metrics computed again from the scrubbed rows are those of before
SELECT connect_lake.metrics_refresh('2030-03-04', '2030-03-05') > 0 AS metrics_kept;
SELECT count(*) AS metric_rows_changed FROM (
  (SELECT * FROM pg_temp.own_metric() EXCEPT SELECT * FROM metric_before)
  UNION ALL
  (SELECT * FROM metric_before EXCEPT SELECT * FROM pg_temp.own_metric())) d;
-- the list: digests only; contacts, cases and the key match, pseudonyms do not
SELECT key_kind, matches, count(*), bool_and(length(digest) = 32) AS digests
  FROM connect_lake.erasure_list GROUP BY 1, 2 ORDER BY 1, 2;
-- again: the same rows, nothing new to overwrite, the same pseudonyms
SELECT * FROM connect_lake.forget_customer(account => 11111111);
SELECT count(DISTINCT customerendpoint_address) AS pseudonyms FROM connect_lake.ctr_events WHERE contactid::text ~ '0000000[12]$';

-- ---- A's records landing again are scrubbed the same way: a newer CTR
-- version of contact 1, a new contact naming the account, a flow log of
-- contact 2, the case updated, a comment, a reject holding the phone.  The
-- writers hand what they landed to erasure_landed() when the transaction
-- commits (this one does not: it is called here as they call it; the
-- commit itself is tested by test/t/080_forget_customer.pl).
SELECT connect_lake.ingest('ctr', pg_temp.ctr(1, '+447700000001', '11111111',
  jsonb_build_object('LastUpdateTimestamp', '2030-03-06T00:00:00Z')));
SELECT connect_lake.ingest('ctr', pg_temp.ctr(7, '+447700000077', '11111111'));
SELECT * FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[
  jsonb_build_object('ContactId', pg_temp.c(2), 'Timestamp', '2030-03-04T09:02:05Z', 'ContactFlowId', 'flow-main',
    'ContactFlowModuleType', 'SetAttributes', 'Identifier', 'Set name',
    'Parameters', jsonb_build_object('Key', 'name', 'Value', 'Ms Example'))]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('case_event', ARRAY[
  pg_temp.ev('k4', 'case-a', '2030-03-04T10:00:00Z', jsonb_build_object('status', 'closed', 'account', '11111111',
    'summary', 'Resolved for Ms Example.')),
  '{"id": "k5", "detail": {"eventType": "RELATED_ITEM.CREATED", "approximateChangeTime": "2030-03-04T10:01:00Z",
    "relatedItem": {"relatedItemType": "Comment", "relatedItemId": "ri-2", "caseId": "case-a",
      "comment": {"body": "Ms Example thanked us"}}}}'
]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY['{"ContactId": 42, "CustomerEndpoint": {"Address": "+447700000001"}}'::jsonb], 'skip');
SELECT connect_lake.erasure_landed('ctr', ARRAY[pg_temp.c(3)], ARRAY['2030-03-04T09:03:00Z']::timestamptz[]) AS not_forgotten;
SELECT connect_lake.erasure_rejects_landed() AS rejects;
SELECT connect_lake.erasure_landed('ctr', ARRAY[pg_temp.c(1), pg_temp.c(7)],
                                   ARRAY['2030-03-04T09:01:00Z', '2030-03-04T09:07:00Z']::timestamptz[]) > 0 AS ctrs,
       connect_lake.erasure_landed('contact_flow_log', ARRAY[pg_temp.c(2)], ARRAY['2030-03-04T09:02:05Z']::timestamptz[]) > 0 AS flow_log,
       -- (case events and related items by their case id and change time)
       connect_lake.erasure_landed('case_event', ARRAY['case-a'], ARRAY['2030-03-04T10:00:00Z']::timestamptz[]) > 0 AS case_event,
       connect_lake.erasure_landed('case_related_item', ARRAY['case-a'], ARRAY['2030-03-04T10:01:00Z']::timestamptz[]) > 0 AS comment;
SELECT 'ctr_events' AS t, count(*) FILTER (WHERE row_to_json(c)::text ~ '11111111|447700000001|447700000077|Example|mornings') AS holding
  FROM connect_lake.ctr_events c WHERE c.contactid::text ~ '0000000[127]$'
UNION ALL SELECT 'contact_flow_log', count(*) FILTER (WHERE row_to_json(f)::text ~ 'Example') FROM connect_lake.contact_flow_log f
UNION ALL SELECT 'case_events', count(*) FILTER (WHERE row_to_json(e)::text ~ '11111111|Example') FROM connect_lake.case_events e
UNION ALL SELECT 'case_state', count(*) FILTER (WHERE row_to_json(e)::text ~ '11111111|Example') FROM connect_lake.case_state e
UNION ALL SELECT 'case_related_items', count(*) FILTER (WHERE row_to_json(e)::text ~ 'Example') FROM connect_lake.case_related_items e
UNION ALL SELECT 'contact_account', count(*) FILTER (WHERE account = 11111111) FROM connect_lake.contact_account
UNION ALL SELECT 'load_rejects', count(*) FILTER (WHERE raw ~ '447700000001') FROM connect_lake.load_rejects
ORDER BY 1;
SELECT substr(contactid::text, 25) AS contact, versions_seen, attributes FROM connect_lake.ctr_events
 WHERE contactid::text ~ '0000000[17]$' ORDER BY 1;
-- one pseudonym per account wherever it stood (the new contact links to case-a as before)
SELECT count(DISTINCT account) AS account_pseudonyms FROM connect_lake.contact_account WHERE account < 0;
SELECT count(*) AS reapplied FROM connect_lake.erasure_audit WHERE key_kind = 'reapplied';
-- customer B is as it was
SELECT substr(contactid::text, 25) AS contact, customerendpoint_address, attributes_accountnumbers
  FROM connect_lake.ctr_events WHERE contactid::text ~ '0000000[3]$';

-- ---- The shared phone with forget_all; B by contact id.
SELECT * FROM connect_lake.forget_customer(phone => ' +447700000009 ', forget_all => true);
SELECT * FROM connect_lake.forget_customer(contactid => '00000000-0000-4000-8000-000000000003');
SELECT key_kind, forget_all, customers, contacts, cases FROM connect_lake.erasure_audit
 WHERE key_kind <> 'reapplied' ORDER BY erasure_id DESC LIMIT 2;
SELECT count(*) FILTER (WHERE customerendpoint_address LIKE '+44%') AS clear_phones,
       count(*) FILTER (WHERE attributes_accountnumbers IS NOT NULL) AS clear_accounts
  FROM connect_lake.ctr_events;
-- case-b is linked to no forgotten contact by id: B's case stays (forget B by account to remove it)
SELECT detail_case_caseid, account < 0 AS pseudonym FROM connect_lake.case_state ORDER BY 1;
-- by profile id (as an id or the ARN): B's case
SELECT table_name, rows_changed FROM connect_lake.forget_customer(profile_id => 'nobody') WHERE rows_changed > 0;
SELECT table_name, rows_changed FROM connect_lake.forget_customer(
       profile_id => 'arn:aws:profile:eu-west-2:1:domains/d/profiles/pb0000000000000000000000000000bb')
 WHERE rows_changed > 0;
SELECT detail_case_caseid, account < 0 AS pseudonym, detail_case_fields_summary, detail_case_fields_customer_id
  FROM connect_lake.case_state ORDER BY 1;
SELECT key_kind, customers, contacts, cases FROM connect_lake.erasure_audit ORDER BY erasure_id DESC LIMIT 1;

-- ---- Customer Profiles.  C: profile pc1 (account 55555555) with pc2
-- merged into it; contact 8 is linked to pc2 by a CTR object.  D: profile
-- pd, account 66666666, and contact 9 naming the account.  pe and pf share
-- +447700000088 (two customers); pg alone has +447700000099 at home.
CREATE FUNCTION pg_temp.pe(id text, at text, type text, otype text, profile text, obj jsonb, more jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('SchemaVersion', 0, 'EventId', id, 'EventTimestamp', '2030-03-04T' || at || 'Z',
    'EventType', type, 'DomainName', 'energy', 'ObjectTypeName', otype, 'AssociatedProfileId', profile,
    'ProfileObjectUniqueKey', profile, 'Object', obj, 'IsMessageRealTime', true) || more
$$;
CREATE FUNCTION pg_temp.prof(id text, first text, account text, phones jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('ProfileId', id, 'FirstName', first, 'LastName', 'Hopper',
    'AccountNumber', account, 'EmailAddress', lower(first) || '@example.com', 'BirthDate', '1906-12-09',
    'Address', jsonb_build_object('Address1', '7 Navy Row', 'City', 'Leeds', 'PostalCode', 'LS2 7NR'),
    'Attributes', jsonb_build_object('tariff', 'fixed', 'pet', 'Rex'))) || phones
$$;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(8, '+447700000057', NULL));
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9, '+447700000066', '66666666'));
SELECT * FROM connect_lake.ingest_batch('customer_profile_event', ARRAY[
  pg_temp.pe('pe-1', '08:00:00', 'CREATED', '_profile', 'pc1', pg_temp.prof('pc1', 'Grace', '55555555', '{"PhoneNumber": "+447700000055"}')),
  pg_temp.pe('pe-2', '08:01:00', 'CREATED', '_profile', 'pc2', pg_temp.prof('pc2', 'Gracie', NULL, '{"MobilePhoneNumber": "+447700000056"}')),
  pg_temp.pe('pe-3', '09:08:00', 'CREATED', 'CTR', 'pc2', jsonb_build_object('ContactId', pg_temp.c(8),
             'InitiationTimestamp', '2030-03-04T09:08:00Z', 'CustomerEndpoint', '+447700000057')),
  pg_temp.pe('pe-4', '10:00:00', 'MERGED', '_profile', 'pc1', pg_temp.prof('pc1', 'Grace', '55555555', '{"PhoneNumber": "+447700000055"}'),
             '{"MergeId": "m1", "DuplicateProfiles": ["pc2"]}'),
  pg_temp.pe('pe-5', '08:05:00', 'CREATED', '_profile', 'pd', pg_temp.prof('pd', 'Dora', '66666666', '{"BusinessPhoneNumber": "+447700000066"}')),
  pg_temp.pe('pe-6', '08:06:00', 'CREATED', '_profile', 'pe', pg_temp.prof('pe', 'Edith', '77777777', '{"PhoneNumber": "+447700000088"}')),
  pg_temp.pe('pe-7', '08:07:00', 'CREATED', '_profile', 'pf', pg_temp.prof('pf', 'Flora', '88888888', '{"MobilePhoneNumber": "+447700000088"}')),
  pg_temp.pe('pe-8', '08:08:00', 'CREATED', '_profile', 'pg', pg_temp.prof('pg', 'Greta', NULL, '{"HomePhoneNumber": "+447700000099"}'))
]::jsonb[]);
SELECT profile_id, merged_into, account, first_name, phone_number, mobile_phone_number FROM connect_lake.customer_profile ORDER BY 1;
SELECT substr(contactid::text, 25) AS contact, profile_id, source FROM connect_lake.contact_profile ORDER BY 1, 2;

-- by the duplicate's id: the survivor and contact 8 too
SELECT table_name, rows_changed FROM connect_lake.forget_customer(profile_id => 'pc2') WHERE rows_changed > 0;
SELECT key_kind, customers, contacts, cases FROM connect_lake.erasure_audit ORDER BY erasure_id DESC LIMIT 1;
-- D by account: the profile's account takes the pseudonym of the contact's
SELECT table_name, rows_changed FROM connect_lake.forget_customer(account => 66666666) WHERE rows_changed > 0;
SELECT (SELECT account FROM connect_lake.customer_profile WHERE profile_id = 'pd')
     = (SELECT account FROM connect_lake.contact_account WHERE contactid = pg_temp.c(9)::uuid) AS same_pseudonym,
       (SELECT account FROM connect_lake.customer_profile WHERE profile_id = 'pd') < 0 AS negative,
       (SELECT bool_and(account < 0) FROM connect_lake.customer_profile_events WHERE profile_id = 'pd') AS events_pseudonym;
-- a phone in two customers' profiles is refused; in one profile's home phone it is forgotten
SELECT * FROM connect_lake.forget_customer(phone => '+447700000088');
SELECT table_name, rows_changed FROM connect_lake.forget_customer(phone => '+447700000099') WHERE rows_changed > 0;
-- nothing personal left in the forgotten profiles, their events, their contacts
SELECT profile_id, merged_into, account < 0 AS pseudonym, events, last_profile_event_id,
       row_to_json(p)::text ~ 'Grac|Dora|Greta|Hopper|example\.com|1906|Navy|Rex|4477000000(5|6|9)|55555555|66666666' AS holding
  FROM connect_lake.customer_profile p ORDER BY 1;
SELECT event_id, event_type, object_type, profile_id, object, extra, profile_object_unique_key
  FROM connect_lake.customer_profile_events WHERE profile_id IN ('pc1', 'pc2', 'pd', 'pg') ORDER BY 1;
SELECT profile_id, event_id, changed_fields, merged_profiles FROM connect_lake.customer_profile_history
 WHERE profile_id IN ('pc1', 'pc2') ORDER BY 1, 2;
SELECT substr(contactid::text, 25) AS contact, customerendpoint_address LIKE 'forgotten:%' AS pseudonym
  FROM connect_lake.ctr_events WHERE contactid::text ~ '0000000[89]$' ORDER BY 1;
-- the state is what a refresh makes of the scrubbed events
CREATE TEMP TABLE profile_before AS SELECT * FROM connect_lake.customer_profile;
SELECT connect_lake.customer_profile_refresh(ARRAY['pc1', 'pc2', 'pd', 'pg']) AS refreshed;
SELECT count(*) AS differences FROM (
  (SELECT * FROM connect_lake.customer_profile EXCEPT SELECT * FROM profile_before)
  UNION ALL
  (SELECT * FROM profile_before EXCEPT SELECT * FROM connect_lake.customer_profile)) d;
SELECT profile_id, contacts, cases, name, phone_numbers, email_address FROM connect_lake.customer ORDER BY 1;

-- a profile event landing again: by its profile (pc1's update), by its
-- account (a new profile naming 66666666); pe's own event is kept
SELECT * FROM connect_lake.ingest_batch('customer_profile_event', ARRAY[
  pg_temp.pe('pe-9', '11:00:00', 'UPDATED', '_profile', 'pc1', pg_temp.prof('pc1', 'Grace', '55555555', '{"PhoneNumber": "+447700000055"}')),
  pg_temp.pe('pe-10', '11:01:00', 'CREATED', '_profile', 'px', pg_temp.prof('px', 'Dot', '66666666', '{}')),
  pg_temp.pe('pe-11', '11:02:00', 'UPDATED', '_profile', 'pe', pg_temp.prof('pe', 'Edith', '77777777', '{"PhoneNumber": "+447700000088"}'))
]::jsonb[]);
SELECT connect_lake.erasure_landed('customer_profile_event', ARRAY['pe-9', 'pe-10', 'pe-11'],
         ARRAY['2030-03-04T11:00:00Z', '2030-03-04T11:01:00Z', '2030-03-04T11:02:00Z']::timestamptz[]) > 0 AS scrubbed;
SELECT event_id, profile_id, account < 0 AS pseudonym, object ->> 'FirstName' AS first_name, object = '{}' AS emptied
  FROM connect_lake.customer_profile_events WHERE event_id IN ('pe-9', 'pe-10', 'pe-11') ORDER BY 1;
SELECT profile_id, first_name, account < 0 AS pseudonym FROM connect_lake.customer_profile
 WHERE profile_id IN ('pc1', 'px', 'pe') ORDER BY 1;


-- ---- The flow funnels' result counts (session 10): flow_block_day counts
-- each block result under its text, so a result a forgotten value stood in
-- stayed a key of the day's counts after forget_customer() (seen).  Customer
-- D: phone +447700000077, contact 71, a result holding the phone; contact 72
-- (another customer) ran the same block that day.
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(0, '+447700000077', '77777777', jsonb_build_object('ContactId', pg_temp.c(71))),
  pg_temp.ctr(0, '+447700000078', '78787878', jsonb_build_object('ContactId', pg_temp.c(72)))]::jsonb[]);
SELECT inserted FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[
  jsonb_build_object('ContactId', pg_temp.c(71), 'Timestamp', '2030-03-04T09:07:05Z', 'ContactFlowId', 'flow-d',
    'ContactFlowModuleType', 'CheckAttribute', 'Identifier', 'Caller', 'Results', 'caller +447700000077'),
  jsonb_build_object('ContactId', pg_temp.c(72), 'Timestamp', '2030-03-04T09:08:05Z', 'ContactFlowId', 'flow-d',
    'ContactFlowModuleType', 'CheckAttribute', 'Identifier', 'Caller', 'Results', 'known')]::jsonb[]);
SELECT connect_lake.flows_refresh('2030-03-04', '2030-03-04') > 0 AS summarised;
SELECT day, results FROM connect_lake.flow_block_day WHERE flow_id = 'flow-d';
SELECT table_name, rows_changed FROM connect_lake.forget_customer(phone => '+447700000077')
 WHERE table_name IN ('contact_flow_log', 'flow_block_day');
SELECT day, results FROM connect_lake.flow_block_day WHERE flow_id = 'flow-d';
-- exactly what a rebuild from the scrubbed logs makes
CREATE TEMP TABLE block_day_kept AS SELECT * FROM connect_lake.flow_block_day;
SELECT connect_lake.flows_refresh('2030-03-04', '2030-03-04') > 0 AS summarised;
SELECT count(*) AS differences FROM (
  (TABLE connect_lake.flow_block_day EXCEPT ALL TABLE block_day_kept)
  UNION ALL
  (TABLE block_day_kept EXCEPT ALL TABLE connect_lake.flow_block_day)) d;
-- contact 71's CTR delivered again (its number in clear) with a new log of
-- it: the writers' check (erasure_landed()) of the CTR scrubs the log's
-- result and makes the day again, here after the day's rebuild counted it
-- (a flow log writer runs its check first since session 10, src/flowlog.c)
SELECT inserted, updated FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(0, '+447700000077', '77777777', jsonb_build_object('ContactId', pg_temp.c(71),
              'LastUpdateTimestamp', '2030-03-06T00:00:00Z'))]::jsonb[]);
SELECT inserted FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[
  jsonb_build_object('ContactId', pg_temp.c(71), 'Timestamp', '2030-03-04T09:07:30Z', 'ContactFlowId', 'flow-d',
    'ContactFlowModuleType', 'CheckAttribute', 'Identifier', 'Caller', 'Results', 'again +447700000077')]::jsonb[]);
SELECT connect_lake.flows_logs_landed(ARRAY[pg_temp.c(71)]::uuid[], ARRAY['2030-03-04T09:07:30Z']::timestamptz[],
                                      ARRAY['2030-03-04T09:07:30Z']::timestamptz[]) > 0 AS rebuilt;
SELECT day, results FROM connect_lake.flow_block_day WHERE flow_id = 'flow-d';
SELECT connect_lake.erasure_landed('ctr', ARRAY[pg_temp.c(71)], ARRAY['2030-03-04T09:00:00Z']::timestamptz[]) > 0 AS scrubbed;
SELECT day, results FROM connect_lake.flow_block_day WHERE flow_id = 'flow-d';
SELECT rows_changed->>'flow_block_day' AS block_rows_made_again FROM connect_lake.erasure_audit
 ORDER BY erasure_id DESC LIMIT 1;
-- a rebuild of days far apart reads a run of days at a time
SELECT connect_lake.flows_refresh_day_runs(ARRAY['2030-03-04', NULL, '2030-03-04', '2031-07-01']::date[]) AS summarised;

-- ---- One secret, one keyed hash: the list's digests are HMAC-SHA256 with
-- the lake's secret (made at the first erasure), the stored forms of hashed
-- numbers its first 16 bytes; the secret is kept while the list holds digests.
SELECT length(secret) AS secret_hex_digits FROM connect_lake.pii_secret;
SELECT count(*) AS digests_of_the_key FROM connect_lake.erasure_list
 WHERE digest = connect_lake.lake_hmac('account:11111111')
   AND digest = connect_lake.erasure_digest('account', '11111111');
SAVEPOINT hashing;
INSERT INTO connect_lake.pii_config (storage) VALUES ('hash');
SELECT connect_lake.pii_stored_value('+447700000001')
       = 'hmac:' || encode(substr(connect_lake.lake_hmac('+447700000001'), 1, 16), 'hex') AS same_keyed_hash;
ROLLBACK TO SAVEPOINT hashing;
UPDATE connect_lake.pii_secret SET secret = 'another secret of 32 bytes or more, no';
DELETE FROM connect_lake.pii_secret;
TRUNCATE connect_lake.pii_secret;
SELECT count(*) AS secrets FROM connect_lake.pii_secret;

ROLLBACK;
