-- A batch lands in its table's key order, whatever order its records came
-- in: concurrent writers then lock the rows they share in one order and
-- cannot deadlock on each other (issue 16).  The physical order of a fresh
-- partition shows the order the rows were inserted in.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
SET TimeZone = 'UTC';

-- Agent events (key: agentarn, eventtimestamp, eventid), given newest first.
SELECT inserted, duplicates FROM connect_lake.ingest_batch('agent_event', ARRAY(
  SELECT jsonb_build_object('EventId', 'bo-' || g, 'EventTimestamp', '2032-01-0' || (1 + g % 3) || 'T00:00:00Z',
                            'EventType', 'HEART_BEAT',
                            'AgentARN', 'arn:aws:connect:eu-west-2:1:instance/i/agent/' || (ARRAY['b', 'a'])[1 + g % 2])
    FROM generate_series(6, 1, -1) g));
SELECT right(agentarn, 1) AS agent, eventtimestamp, eventid FROM connect_lake.agent_events_p203201 ORDER BY ctid;

-- CTRs (key: contactid, initiationtimestamp) were already sent in key order by their versioned landing.
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY(
  SELECT jsonb_build_object('ContactId', format('a1b2c3d4-1618-4000-8000-%s', lpad(g::text, 12, '0')),
                            'InitiationTimestamp', '2032-01-05T00:00:00Z')
    FROM generate_series(3, 1, -1) g));
SELECT contactid FROM connect_lake.ctr_events_p203201 ORDER BY ctid;

DROP TABLE connect_lake.agent_events_p203201, connect_lake.ctr_events_p203201;
