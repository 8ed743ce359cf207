-- The hand-written way in: INSERT ... SELECT (c).* from ctr_parse() lands
-- rows column for column once the months exist.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
SET TimeZone = 'UTC';
CREATE TEMP TABLE docs (doc jsonb);
INSERT INTO docs VALUES
  ('{"ContactId": "aaaaaaaa-0000-4000-8000-000000000001", "InitiationTimestamp": "2025-02-03T10:00:00Z",
     "Channel": "VOICE", "Agent": {"Username": "ada", "AgentInteractionDuration": 120}}'),
  ('{"ContactId": "aaaaaaaa-0000-4000-8000-000000000002", "InitiationTimestamp": "2025-03-04T11:00:00Z",
     "Channel": "CHAT", "Agent": null, "Queue": {"Name": "Sales", "Duration": 30}}');
SELECT count(*) AS months FROM connect_lake.ensure_partitions('connect_lake.ctr_events', '2025-02-01', '2025-03-31');
INSERT INTO connect_lake.ctr_events SELECT (c).* FROM docs, LATERAL connect_lake.ctr_parse(doc) c;
SELECT contactid, initiationtimestamp, channel, agent_username, agent_agentinteractionduration,
       queue_name, queue_duration, versions_seen, landed_at IS NULL AS landed_by_hand, tableoid::regclass
  FROM connect_lake.ctr_events ORDER BY contactid;
-- the primary key holds: the same contact again is a duplicate
INSERT INTO connect_lake.ctr_events SELECT (c).* FROM docs, LATERAL connect_lake.ctr_parse(doc) c LIMIT 1;
-- leave the lake empty for the tests after this one
TRUNCATE connect_lake.ctr_events;
