-- Repeat contacts and first-contact resolution on hand-built contacts,
-- with N = 2 working days across Easter 2030 (Good Friday 19 April and
-- Easter Monday 22 April are bank holidays in England and Wales):
--   customer 111 (account): 21 Thu 18 Apr 10:00; 22 Wed 24 Apr 09:59, a
--     repeat (two working days after 21 end Wed 24 10:00); 23 Mon 29 Apr, not
--     a repeat (22 + 2 working days = Fri 26 09:59); 24 a transfer and 25 a
--     callback of 23: legs, not contacts
--   customer +447700900001 (no account, by phone): 26 Thu 18 Apr 11:00 and
--     27 Thu 25 Apr 11:00, not a repeat
BEGIN;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';
CREATE FUNCTION pg_temp.c(n integer) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '00000000-0000-4000-8000-' || lpad(n::text, 12, '0') $$;
CREATE FUNCTION pg_temp.ctr(n integer, method text, init text, more jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10', 'ContactId', pg_temp.c(n), 'InitiationMethod', method,
    'Channel', 'VOICE', 'InitiationTimestamp', init, 'DisconnectTimestamp', init,
    'LastUpdateTimestamp', '2030-05-01T00:00:00Z', 'DisconnectReason', 'CUSTOMER_DISCONNECT') || more
$$;
INSERT INTO connect_lake.repeat_config (working_days) VALUES (2);

SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(21, 'INBOUND', '2030-04-18T09:00:00Z', '{"Attributes": {"accountNumbers": "111"}, "Queue": {"ARN": "arn:aws:connect:eu-west-2:1:instance/i/queue/aaaaaaaa-0000-4000-8000-00000000000a", "EnqueueTimestamp": "2030-04-18T09:01:00Z"}}'),
  pg_temp.ctr(23, 'INBOUND', '2030-04-29T09:00:00Z', '{"Attributes": {"accountNumbers": "111", "intent": "billing"}}'),
  pg_temp.ctr(24, 'TRANSFER', '2030-04-29T09:10:00Z', jsonb_build_object('InitialContactId', pg_temp.c(23), 'PreviousContactId', pg_temp.c(23),
    'Agent', jsonb_build_object('ARN', 'arn:aws:connect:eu-west-2:1:instance/i/agent/cccccccc-0000-4000-8000-000000000001',
      'ConnectedToAgentTimestamp', '2030-04-29T09:11:00Z'))),
  pg_temp.ctr(25, 'CALLBACK', '2030-04-29T15:00:00Z', jsonb_build_object('PreviousContactId', pg_temp.c(23))),
  pg_temp.ctr(26, 'INBOUND', '2030-04-18T10:00:00Z', '{"CustomerEndpoint": {"Address": "+447700900001", "Type": "TELEPHONE_NUMBER"}}'),
  pg_temp.ctr(27, 'INBOUND', '2030-04-25T10:00:00Z', '{"CustomerEndpoint": {"Address": "+447700900001", "Type": "TELEPHONE_NUMBER"}}')
]::jsonb[]);
SELECT connect_lake.contact_repeat_refresh() AS contacts;
-- contact 22 lands later: refreshing it alone brings its customer's chain up to date
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(22, 'INBOUND', '2030-04-24T08:59:00Z', '{"Attributes": {"accountNumbers": "111", "intent": "billing"}}')]);
SELECT connect_lake.contact_repeat_refresh(ARRAY[pg_temp.c(22)::uuid]) AS contacts;
SELECT right(contactid::text, 2) AS c, customer_key, key_kind, initiationtimestamp, day,
       right(previous_contactid::text, 2) AS previous, is_repeat, right(chain_id::text, 2) AS chain, chain_seq,
       repeated, intent, queue_id IS NOT NULL AS queue, agent_id IS NOT NULL AS agent
  FROM connect_lake.contact_repeat ORDER BY customer_key, initiationtimestamp;
-- the same as a full rebuild
CREATE TEMP TABLE incremental AS SELECT * FROM connect_lake.contact_repeat;
SELECT connect_lake.contact_repeat_refresh() AS contacts;
SELECT count(*) AS differences
  FROM ((SELECT * FROM incremental EXCEPT SELECT * FROM connect_lake.contact_repeat)
        UNION ALL (SELECT * FROM connect_lake.contact_repeat EXCEPT SELECT * FROM incremental)) d;

-- Without the bank holidays, 22 would not be a repeat: the rule is the
-- working-day engine's.
SELECT connect_lake.contact_is_repeat('2030-04-18T09:00:00Z', '2030-04-24T08:59:00Z', 2, 'england_wales') AS with_easter,
       connect_lake.working_days_add('2030-04-18T09:00:00Z', 2, 'england_wales') AS due;

-- First-contact resolution: a chain's first contact counts once; 21 was
-- repeated, 23, 26 and 27 were not.
SELECT day, dimension, contacts, repeats, repeat_rate, first_contacts, resolved_first, fcr_rate
  FROM connect_lake.first_contact_resolution('2030-04-01', '2030-04-30', 'all');
SELECT day, dimension, contacts, repeats FROM connect_lake.first_contact_resolution('2030-04-24', '2030-04-24', 'intent');
SELECT count(*) FROM connect_lake.first_contact_resolution('2030-04-01', '2030-04-30', 'queue');
SELECT chain_id = pg_temp.c(21)::uuid AS chain_21, customer_key, contacts, first_at, last_at, intents
  FROM connect_lake.repeat_chains;

-- N = 7 (the default): 23 repeats 22 and the chain grows to three; the
-- phone customer's 27 repeats 26.  A change of repeat_config recomputes.
DELETE FROM connect_lake.repeat_config;
SELECT right(contactid::text, 2) AS c, is_repeat, right(chain_id::text, 2) AS chain, chain_seq, repeated
  FROM connect_lake.contact_repeat ORDER BY customer_key, initiationtimestamp;

-- bad input
SAVEPOINT bad;
SELECT * FROM connect_lake.first_contact_resolution('2030-04-01', '2030-04-30', 'colour');
ROLLBACK TO bad;
INSERT INTO connect_lake.repeat_config (working_days) VALUES (-1);
ROLLBACK TO bad;
INSERT INTO connect_lake.repeat_config (singleton, working_days) VALUES (false, 3);
ROLLBACK TO bad;
INSERT INTO connect_lake.repeat_config (calendar) VALUES ('nowhere');
ROLLBACK TO bad;
ROLLBACK;
