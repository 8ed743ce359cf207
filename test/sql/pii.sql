-- Personal data (issue 14): customers' phone numbers and the contact
-- attributes the DBA names, stored as they come or as a keyed hash
-- (pii_config, pii_secret), in every way rows land; the raw values kept for
-- connect_lake_pii_reader only, masked for analysts; refusal to hash
-- without a secret.  Everything runs in one transaction rolled back at the
-- end, so the other tests never meet these rows or settings.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
SET TimeZone = 'UTC';
\set ON_ERROR_ROLLBACK on
BEGIN;

-- A CTR of contact n (initiated n minutes after 10:00 on 2026-10-01).
CREATE FUNCTION pg_temp.ctr(n int, customer text, attrs jsonb DEFAULT '{}', transfer text DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'ContactId', format('5e1f0000-1414-4000-8000-%s', lpad(n::text, 12, '0')),
    'InitiationTimestamp', to_char(timestamptz '2026-10-01 10:00Z' + n * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'Channel', 'VOICE',
    'CustomerEndpoint', jsonb_build_object('Address', customer, 'Type', 'TELEPHONE_NUMBER'),
    'SystemEndpoint', jsonb_build_object('Address', '+443300001234', 'Type', 'TELEPHONE_NUMBER'),
    'TransferredToEndpoint', CASE WHEN transfer IS NOT NULL THEN jsonb_build_object('Address', transfer, 'Type', 'TELEPHONE_NUMBER') END,
    'Attributes', attrs)) $$;
-- The contacts of this test as they landed, read with the reader's own rights.
CREATE VIEW pg_temp.landed WITH (security_invoker = true) AS
  SELECT right(contactid::text, 2)::int AS n, customerendpoint_address AS customer,
         systemendpoint_address AS system, transferredtoendpoint_address AS transfer
    FROM connect_lake.ctr_events WHERE contactid::text LIKE '5e1f0000-1414-%';
GRANT SELECT ON pg_temp.landed TO PUBLIC;
-- an analyst who may see personal values has both roles
CREATE ROLE regress_pii_analyst IN ROLE connect_lake_reader, connect_lake_pii_reader;
-- Files are written where the server may read them (its data directory).
CREATE FUNCTION pg_temp.pii_file(name text, docs jsonb[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  path text := current_setting('data_directory') || '/cl_pii_' || name;
BEGIN
  EXECUTE format('COPY (SELECT d::text FROM unnest(%L::jsonb[]) d) TO %L', docs, path);
  RETURN path;
END $$;

-- ---------- raw: the default, as 0.1.0 stored them ----------
SELECT * FROM connect_lake.pii_settings;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(1, '+447700900123'));
SELECT * FROM pg_temp.landed ORDER BY n;
SELECT connect_lake.pii_stored_value('+447700900123');

-- ---------- hashing without a secret: refused, nothing lands ----------
INSERT INTO connect_lake.pii_config (storage) VALUES ('hash');
SELECT connect_lake.ingest('ctr', pg_temp.ctr(2, '+447700900123'));
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[pg_temp.ctr(2, '+447700900123')], 'skip');
SELECT pg_temp.pii_file('2.ndjson', ARRAY[pg_temp.ctr(2, '+447700900123')]) AS file2 \gset
SELECT files_loaded FROM connect_lake.load('ctr', :'file2');
SELECT connect_lake.pii_stored_value('+447700900123');
-- contact events carry a customer's endpoint too
SELECT connect_lake.ingest('contact_event', '{"id": "pii-e0", "time": "2026-10-01T10:00:00Z", "detail": {"contactId": "5e1f0000-1414-4000-8000-000000000001"}}');
-- an empty secret is no secret
INSERT INTO connect_lake.pii_secret (secret) VALUES ('');
SELECT * FROM connect_lake.pii_settings;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(2, '+447700900123'));
SELECT count(*) AS landed FROM pg_temp.landed;
SELECT count(*) AS files FROM connect_lake.load_manifest WHERE path = :'file2';
-- other kinds carry no personal value: they land
SELECT connect_lake.ingest('agent_event', '{"AgentARN": "arn:aws:connect:eu-west-2:1:instance/i/agent/a", "EventId": "pii-a1", "EventTimestamp": "2026-10-01T10:00:00Z", "EventType": "HEART_BEAT"}');

-- ---------- hash: HMAC-SHA256 with the lake's secret ----------
-- RFC 4231 test case 2 (key "Jefe"): HMAC-SHA256 = 5bdcc146bf60754e6a042426089575c7 5a003f08...
UPDATE connect_lake.pii_secret SET secret = 'Jefe';
SELECT connect_lake.pii_stored_value('what do ya want for nothing?');
UPDATE connect_lake.pii_secret SET secret = 'regress: a lake secret of 32 bytes or more';
-- the file refused before loads now, and every way of landing hashes alike
SELECT files_loaded, inserted FROM connect_lake.load('ctr', :'file2');
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[pg_temp.ctr(3, '+447700900123'), pg_temp.ctr(4, '+447700900456', transfer => '+12125550100')]);
SELECT connect_lake.ingest('ctr', pg_temp.ctr(5, '+447700900123'));
-- contact 1 landed raw before and keeps its form; SystemEndpoint is the centre's, not personal
SELECT * FROM pg_temp.landed ORDER BY n;
-- equal numbers still join, and a number is looked up exactly
SELECT a.n, array_agg(b.n ORDER BY b.n) AS same_caller
  FROM pg_temp.landed a JOIN pg_temp.landed b ON b.customer = a.customer AND b.n <> a.n
 GROUP BY a.n ORDER BY a.n;
SELECT n FROM pg_temp.landed WHERE customer = connect_lake.pii_stored_value('+447700900123') ORDER BY n;
SELECT connect_lake.pii_stored_value(''), connect_lake.pii_stored_value(NULL);
-- a newer version of a contact lands in the form in force, as every version
SELECT connect_lake.ingest('ctr', pg_temp.ctr(4, '+447700900456', transfer => '+12125550100')
                                  || '{"LastUpdateTimestamp": "2026-10-02T10:00:00Z"}');
SELECT n, customer, transfer FROM pg_temp.landed WHERE n = 4;

-- ---------- hash_keep_country: the country code kept, the same digest ----------
UPDATE connect_lake.pii_config SET storage = 'hash_keep_country';
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[pg_temp.ctr(6, '+447700900123'), pg_temp.ctr(7, 'anonymous'),
                                                     pg_temp.ctr(8, '+353861234567'), pg_temp.ctr(9, '+12125550100')]);
SELECT n, customer FROM pg_temp.landed WHERE n >= 6 ORDER BY n;
SELECT a.customer = 'hmac:' || split_part(b.customer, 'hmac:', 2) AS same_digest
  FROM pg_temp.landed a, pg_temp.landed b WHERE a.n = 2 AND b.n = 6;
SELECT n FROM pg_temp.landed WHERE customer = connect_lake.pii_stored_value('+447700900123') ORDER BY n;
-- every form a number may have landed in, whatever the setting was then
SELECT connect_lake.pii_stored_forms('+447700900123'), connect_lake.pii_stored_forms('anonymous');
SELECT n FROM pg_temp.landed WHERE customer = ANY (connect_lake.pii_stored_forms('+447700900123')) ORDER BY n;

-- ---------- attribute keys ----------
-- named keys are personal in every spelling that flattens alike, and the
-- attributes_* columns they fill with them (an integer one left NULL)
UPDATE connect_lake.pii_config SET attribute_keys = '{callerPhone, juniferId, csatResults.agentRating}';
SELECT connect_lake.ingest('ctr', pg_temp.ctr(10, '+447700900999',
  '{"CallerPhone": "+447700900999", "caller_phone": "07700 900999", "juniferId": "12345", "intent": "billing", "csatResults.agentRating": "5"}'));
SELECT attributes, attributes_intent, attributes_juniferid, attributes_csatresults_agentrating
  FROM connect_lake.ctr_events WHERE contactid = '5e1f0000-1414-4000-8000-000000000010';
SELECT n FROM pg_temp.landed l JOIN connect_lake.ctr_events c ON right(c.contactid::text, 2)::int = l.n
 WHERE c.attributes->>'CallerPhone' = connect_lake.pii_stored_value('+447700900999') AND l.n >= 1;

-- ---------- contact events: the customer's endpoint kept in extra ----------
SELECT connect_lake.ingest('contact_event', '{"id": "pii-e1", "time": "2026-10-01T10:00:00Z",
  "detail": {"contactId": "5e1f0000-1414-4000-8000-000000000001", "eventType": "INITIATED",
             "customerEndpoint": {"address": "+447700900123", "type": "TELEPHONE_NUMBER"},
             "systemEndpoint": {"address": "+443300001234", "type": "TELEPHONE_NUMBER"}}}');
SELECT extra FROM connect_lake.contact_events WHERE id = 'pii-e1';

-- ---------- raw values kept, for connect_lake_pii_reader only ----------
UPDATE connect_lake.pii_config SET keep_raw = true, attribute_keys = '{}';
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[pg_temp.ctr(11, '+447700900123'), pg_temp.ctr(12, '+447700900777')]);
SELECT stored, raw, masked FROM connect_lake.pii_value ORDER BY raw;

SET ROLE connect_lake_reader;
-- analysts read the same tables and views: digests, and masked values
SELECT n, connect_lake.pii_display(customer) AS customer FROM pg_temp.landed WHERE n IN (1, 2, 4, 6, 7, 11, 12) ORDER BY n;
SELECT step, details->>'customer_endpoint' AS customer_endpoint
  FROM connect_lake.contact_journey('5e1f0000-1414-4000-8000-000000000012') WHERE details ? 'customer_endpoint';
SELECT stored, masked FROM connect_lake.pii_value ORDER BY masked;
SELECT raw FROM connect_lake.pii_value;
SELECT * FROM connect_lake.pii_secret;
SELECT connect_lake.pii_stored_value('+447700900123');
SELECT connect_lake.pii_stored_forms('+447700900123');
SELECT storage, keep_raw, secret_set FROM connect_lake.pii_settings;
RESET ROLE;

SET ROLE regress_pii_analyst;
SELECT n, connect_lake.pii_display(customer) AS customer FROM pg_temp.landed WHERE n IN (1, 2, 4, 11, 12) ORDER BY n;
SELECT raw FROM connect_lake.pii_value WHERE stored = connect_lake.pii_stored_value('+447700900777');
SELECT * FROM connect_lake.pii_secret;
RESET ROLE;
-- the role alone reads no fact table
SET ROLE connect_lake_pii_reader;
SELECT count(*) FROM connect_lake.ctr_events;
RESET ROLE;

-- the loader lands (and keeps raw values) but reads neither the secret nor the raw values
SET ROLE connect_lake_loader;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(13, '+447700900888'));
SELECT n, customer FROM pg_temp.landed WHERE n = 13;
SELECT stored, masked FROM connect_lake.pii_value WHERE masked = '+44*******888';
SELECT raw FROM connect_lake.pii_value;
SELECT * FROM connect_lake.pii_secret;
RESET ROLE;

-- ---------- the masked display ----------
SELECT v, connect_lake.pii_mask(v)
  FROM (VALUES ('+447700900123'), ('+12125550100'), ('+353861234567'), ('+79161234567'),
               ('jane@example.com'), ('012345'), ('Zoë Ångström'), ('')) AS t (v);

-- the setting accepts its three storages only, one row
INSERT INTO connect_lake.pii_config (storage) VALUES ('hash');
UPDATE connect_lake.pii_config SET storage = 'encrypted';

ROLLBACK;
\set ON_ERROR_ROLLBACK off
-- the rolled-back settings are gone for the next tests
SELECT * FROM connect_lake.pii_settings;
