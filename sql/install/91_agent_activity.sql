-- ==== Agent activity metrics from the agent event stream (issue 12)
--
-- Amazon Connect's agent activity-driven metrics (online time, non-productive
-- time, on-contact time, idle time, error status time, occupancy, time in
-- each status, answer rate, non-response, connecting time), computed from
-- agent_events (specification: connect-metrics.md section 5; README
-- "Agent activity").  Three layers:
--
--   1. the status timeline (agent_timeline_segments(), the view
--      agent_status_timeline, agent_timeline()): per agent, the events
--      de-duplicated on eventid and ordered by (eventtimestamp, eventid),
--      however they arrived; each event's snapshot is the agent's state from
--      its timestamp until the agent's next event.  LOGIN (no snapshot)
--      keeps the state before it (initially offline), LOGOUT is offline
--      without contacts, HEART_BEAT and STATE_CHANGE carry a snapshot.
--      The status type is AgentStatus.Type; streams without it: Available
--      -> ROUTABLE, Offline -> OFFLINE, any other name -> CUSTOM.  The
--      latest event of an agent has no end: nothing is counted after it.
--      A segment longer than 300 s while online (no heartbeat came) is a gap:
--      its time counts as the snapshot says (the state holds until the next
--      event) and is also reported: agent_activity_gaps, and gap_ms / gaps of
--      agent_activity_interval, so a reader can subtract it.
--   2. rollups per 15-minute UTC interval: agent_activity_interval (per
--      agent, routing profile and hierarchy groups) and agent_status_interval
--      (per agent and status), time split at the interval boundaries, so that
--      any coarser period is an exact sum.  Rebuilt for a range by
--      agent_activity_refresh(from, to).
--   3. offers: each run of events in which a contact is CONNECTING or
--      INCOMING for the agent is one offer, counted in the interval of the
--      event that first shows it; its outcome is the contact's state in the
--      agent's next event (CONNECTED ... connected, MISSED / REJECTED missed,
--      absent or anything else not connected).
--
-- A rebuild of [lo, hi) reads, per agent, from the agent's last settled
-- event before lo (a LOGOUT or a snapshot with no contact ringing) to its
-- first settled event at or after hi: every segment and every offer of the
-- range is then whole.

-- ---- Rules: each defined once
CREATE FUNCTION connect_lake.agent_status_type(status_type text, status_name text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT coalesce(status_type, CASE status_name WHEN 'Available' THEN 'ROUTABLE'
                                                  WHEN 'Offline' THEN 'OFFLINE'
                                                  ELSE 'CUSTOM' END)
  $fn$;
COMMENT ON FUNCTION connect_lake.agent_status_type(text, text) IS
  'The type of an agent status: AgentStatus.Type (ROUTABLE, CUSTOM, OFFLINE) when the stream gives it; for older streams without it, Available -> ROUTABLE, Offline -> OFFLINE, any other name -> CUSTOM.';

CREATE FUNCTION connect_lake.agent_arn_id(arn text) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN substring(arn FROM '[^/]*$')
                     ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                THEN substring(arn FROM '[^/]*$')::uuid END
  $fn$;
COMMENT ON FUNCTION connect_lake.agent_arn_id(text) IS
  'The id an ARN ends with (its last path segment) as a uuid; NULL when the ARN is NULL or does not end in a UUID.';

CREATE FUNCTION connect_lake.agent_hierarchy_id(hierarchygroups jsonb, level integer) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.agent_arn_id(hierarchygroups -> ('Level' || level) ->> 'ARN') $fn$;
COMMENT ON FUNCTION connect_lake.agent_hierarchy_id(jsonb, integer) IS
  'The id of the agent''s hierarchy group of a level (1 to 5) from a snapshot''s AgentHierarchyGroups (the LevelN ARN); NULL when absent.';

CREATE FUNCTION connect_lake.agent_event_ts(ts text) RETURNS timestamptz
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  AS $fn$
BEGIN
  IF ts IS NULL OR ts !~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)$' THEN
    RETURN NULL;
  END IF;
  RETURN ts::timestamptz;
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.agent_event_ts(text) IS
  'An ISO 8601 timestamp with its zone from an agent event''s JSON (e.g. a contact''s StateStartTimestamp); NULL when it is missing or not one.';

CREATE FUNCTION connect_lake.agent_ms(ts timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT floor(extract(epoch FROM ts) * 1000)::bigint $fn$;
COMMENT ON FUNCTION connect_lake.agent_ms(timestamptz) IS
  'Milliseconds since the Unix epoch, rounded down: durations are differences of these, so the pieces of a segment split at interval boundaries add up to the segment exactly.';

CREATE FUNCTION connect_lake.agent_event_settled(eventtype text, current_snapshot jsonb, contacts jsonb)
  RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT eventtype = 'LOGOUT'
        OR (current_snapshot IS NOT NULL
            AND NOT coalesce(jsonb_path_exists(contacts, '$[*] ? (@.State == "CONNECTING" || @.State == "INCOMING")'),
                             false))
  $fn$;
COMMENT ON FUNCTION connect_lake.agent_event_settled(text, jsonb, jsonb) IS
  'Whether an agent event fixes the agent''s state with no offer pending: a LOGOUT, or a snapshot in which no contact is CONNECTING or INCOMING. A rebuild reads an agent''s events from a settled one on.';

-- ---- The status timeline
--
-- Which events a rebuild of [range_from, range_to) reads, per agent: from
-- its last settled event before range_from to its first settled event at or
-- after range_to (agent_event_settled()), so that every segment and every
-- offer that meets the range is whole.
CREATE FUNCTION connect_lake.agent_ranges(agentarns text[], from_ts timestamptz[], to_ts timestamptz[])
RETURNS TABLE (agentarn text, range_from timestamptz, range_to timestamptz, read_from timestamptz,
               read_to timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  WITH RECURSIVE every_agent(a) AS (
    (SELECT min(e.agentarn) FROM connect_lake.agent_events e WHERE agentarns IS NULL)
    UNION ALL
    SELECT (SELECT min(e.agentarn) FROM connect_lake.agent_events e WHERE e.agentarn > g.a)
      FROM every_agent g WHERE g.a IS NOT NULL
  ),
  agent(a, f, t) AS (
    SELECT u.a, min(u.f), max(u.t) FROM unnest(agentarns, from_ts, to_ts) u(a, f, t)
     WHERE u.a IS NOT NULL GROUP BY u.a
    UNION ALL
    SELECT g.a, from_ts[1], to_ts[1] FROM every_agent g WHERE g.a IS NOT NULL
  )
  SELECT g.a, g.f, g.t,
         coalesce((SELECT e.eventtimestamp FROM connect_lake.agent_events e
                    WHERE e.agentarn = g.a AND e.eventtimestamp < g.f
                      AND connect_lake.agent_event_settled(e.eventtype, e.current_snapshot, e.contacts)
                    ORDER BY e.eventtimestamp DESC LIMIT 1), '-infinity'),
         coalesce((SELECT e.eventtimestamp FROM connect_lake.agent_events e
                    WHERE e.agentarn = g.a AND e.eventtimestamp >= g.t
                      AND connect_lake.agent_event_settled(e.eventtype, e.current_snapshot, e.contacts)
                    ORDER BY e.eventtimestamp LIMIT 1), 'infinity')
    FROM agent g
$fn$;
COMMENT ON FUNCTION connect_lake.agent_ranges(text[], timestamptz[], timestamptz[]) IS
  'For each agent given with its range [from_ts[i], to_ts[i]) (agentarns NULL: every agent with [from_ts[1], to_ts[1])), the events a rebuild reads: from read_from, its last settled event before the range (agent_event_settled(); -infinity if none), to read_to, its first settled event at or after it (infinity if none).';

CREATE FUNCTION connect_lake.agent_timeline_segments(agentarns text[], from_ts timestamptz[], to_ts timestamptz[])
RETURNS TABLE (range_from timestamptz, range_to timestamptz,
               agentarn text, agent_id uuid, eventid text, eventtype text, state_seq bigint,
               segment_start timestamptz, segment_end timestamptz, status_name text, status_type text,
               routing_profile_id uuid, hierarchy_level1_id uuid, hierarchy_level2_id uuid,
               hierarchy_level3_id uuid, hierarchy_level4_id uuid, hierarchy_level5_id uuid, contacts jsonb)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  WITH win AS (
    SELECT r.agentarn AS a, r.range_from AS f, r.range_to AS t, r.read_from AS lo, r.read_to AS hi
      FROM connect_lake.agent_ranges(agentarns, from_ts, to_ts) r
  ),
  raw AS MATERIALIZED (
    SELECT w.f, w.t, e.agentarn, e.agent_id, e.eventid, e.eventtype, e.eventtimestamp,
           (e.eventtype = 'LOGOUT' OR e.current_snapshot IS NOT NULL) AS is_state,
           CASE WHEN e.eventtype <> 'LOGOUT' THEN e.agentstatus_name END AS s_name,
           CASE WHEN e.eventtype = 'LOGOUT' THEN 'OFFLINE'
                ELSE connect_lake.agent_status_type(e.current_snapshot -> 'AgentStatus' ->> 'Type',
                                                    e.agentstatus_name) END AS s_type,
           CASE WHEN e.eventtype <> 'LOGOUT' THEN coalesce(e.routingprofile_arn, '') ELSE '' END AS rp,
           CASE WHEN e.eventtype <> 'LOGOUT' THEN coalesce(e.hierarchygroups, 'null') ELSE 'null' END AS hg,
           CASE WHEN e.eventtype <> 'LOGOUT' AND jsonb_typeof(e.contacts) = 'array' THEN e.contacts
                ELSE '[]'::jsonb END AS s_contacts
      FROM win w
      -- each agent's events by the key (agentarn, eventtimestamp): a
      -- writer's upkeep reads the hours it landed, not the partition
     CROSS JOIN LATERAL (SELECT e.* FROM connect_lake.agent_events e
                          WHERE e.agentarn = w.a AND e.eventtimestamp >= w.lo AND e.eventtimestamp <= w.hi
                         OFFSET 0) e
  ),
  -- The ids of the snapshots' routing profiles and hierarchy groups, worked
  -- out once per distinct value (an agent keeps them for long).
  dim AS MATERIALIZED (
    SELECT d.rp, d.hg, connect_lake.agent_arn_id(d.rp) AS rp_id,
           connect_lake.agent_hierarchy_id(d.hg, 1) AS h1, connect_lake.agent_hierarchy_id(d.hg, 2) AS h2,
           connect_lake.agent_hierarchy_id(d.hg, 3) AS h3, connect_lake.agent_hierarchy_id(d.hg, 4) AS h4,
           connect_lake.agent_hierarchy_id(d.hg, 5) AS h5
      FROM (SELECT DISTINCT r.rp, r.hg FROM raw r) d
  ),
  ev AS (
    SELECT DISTINCT ON (r.agentarn, r.eventid)
           r.f, r.t, r.agentarn, r.agent_id, r.eventid, r.eventtype, r.eventtimestamp, r.is_state, r.s_name,
           r.s_type, d.rp_id AS s_rp, d.h1 AS s_h1, d.h2 AS s_h2, d.h3 AS s_h3, d.h4 AS s_h4, d.h5 AS s_h5,
           r.s_contacts
      FROM raw r JOIN dim d ON d.rp = r.rp AND d.hg = r.hg
     ORDER BY r.agentarn, r.eventid, r.eventtimestamp
  ),
  st AS (
    SELECT ev.*,
           count(*) FILTER (WHERE ev.is_state) OVER w AS grp,
           lead(ev.eventtimestamp) OVER w AS next_ts
      FROM ev
    WINDOW w AS (PARTITION BY ev.agentarn ORDER BY ev.eventtimestamp, ev.eventid
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  )
  SELECT st.f, st.t, st.agentarn, st.agent_id, st.eventid, st.eventtype,
         CASE WHEN st.is_state THEN st.grp END,
         st.eventtimestamp, st.next_ts,
         CASE WHEN st.grp > 0 THEN first_value(st.s_name) OVER g END,
         CASE WHEN st.grp > 0 THEN first_value(st.s_type) OVER g ELSE 'OFFLINE' END,
         CASE WHEN st.grp > 0 THEN first_value(st.s_rp) OVER g END,
         CASE WHEN st.grp > 0 THEN first_value(st.s_h1) OVER g END,
         CASE WHEN st.grp > 0 THEN first_value(st.s_h2) OVER g END,
         CASE WHEN st.grp > 0 THEN first_value(st.s_h3) OVER g END,
         CASE WHEN st.grp > 0 THEN first_value(st.s_h4) OVER g END,
         CASE WHEN st.grp > 0 THEN first_value(st.s_h5) OVER g END,
         CASE WHEN st.grp > 0 THEN first_value(st.s_contacts) OVER g ELSE '[]'::jsonb END
    FROM st
  WINDOW g AS (PARTITION BY st.agentarn, st.grp ORDER BY st.eventtimestamp, st.eventid)
$fn$;
COMMENT ON FUNCTION connect_lake.agent_timeline_segments(text[], timestamptz[], timestamptz[]) IS
  'The status timeline of the agents given around each one''s range [from_ts[i], to_ts[i]) (agentarns NULL: every agent around [from_ts[1], to_ts[1])), the range in range_from, range_to: one segment per event (de-duplicated on eventid, ordered by eventtimestamp, eventid), from the agent''s last settled event before from_ts (agent_event_settled()) to its first settled event at or after to_ts. Each segment runs from its event to the agent''s next event (segment_end NULL for the latest) in the state of the event''s snapshot (status, routing profile and hierarchy group ids, contacts); a LOGIN keeps the state before it (offline at first), a LOGOUT is offline without contacts. state_seq numbers the events that carry a state (snapshot or LOGOUT). The building block of agent_status_timeline and of the rollups.';

CREATE FUNCTION connect_lake.agent_segment_flags(status_type text, contacts jsonb)
  RETURNS TABLE (online boolean, non_productive boolean, on_contact boolean, idle boolean, error boolean,
                 ringing boolean)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 1
  AS $fn$
    SELECT status_type <> 'OFFLINE',
           status_type = 'CUSTOM',
           status_type = 'ROUTABLE' AND c.any AND coalesce(jsonb_path_exists(contacts,
             '$[*] ? (@.State == "CONNECTED" || @.State == "CONNECTED_ONHOLD" || @.State == "ENDED" || @.State == "PAUSED")'), false),
           status_type = 'ROUTABLE' AND NOT (c.any AND coalesce(jsonb_path_exists(contacts,
             '$[*] ? (!(@.State == "ERROR" || @.State == "MISSED" || @.State == "REJECTED"))'), false)),
           c.any AND coalesce(jsonb_path_exists(contacts, '$[*] ? (@.State == "ERROR" || @.State == "MISSED" || @.State == "REJECTED")'), false),
           c.any AND coalesce(jsonb_path_exists(contacts, '$[*] ? (@.State == "CONNECTING" || @.State == "INCOMING" || @.State == "PENDING")'), false)
      FROM (SELECT coalesce(contacts <> '[]'::jsonb, false) AS any) c
  $fn$;
COMMENT ON FUNCTION connect_lake.agent_segment_flags(text, jsonb) IS
  'What a segment of the timeline counts as, from its status type and contacts (one row; a set-returning function so that it is inlined into LATERAL): online (status not OFFLINE), non_productive (CUSTOM status, even with contacts), on_contact (ROUTABLE and a contact CONNECTED, CONNECTED_ONHOLD, ENDED or PAUSED), idle (ROUTABLE and every contact, if any, in ERROR, MISSED or REJECTED), error (a contact in ERROR, MISSED or REJECTED), ringing (a contact CONNECTING, INCOMING or PENDING: neither idle nor on contact).';

CREATE VIEW connect_lake.agent_status_timeline AS
  SELECT s.agentarn, s.agent_id, s.eventid, s.eventtype, s.segment_start, s.segment_end,
         connect_lake.agent_ms(s.segment_end) - connect_lake.agent_ms(s.segment_start) AS duration_ms,
         s.status_name, s.status_type, s.routing_profile_id, s.hierarchy_level1_id, s.hierarchy_level2_id,
         s.hierarchy_level3_id, s.hierarchy_level4_id, s.hierarchy_level5_id, s.contacts,
         f.online, f.non_productive, f.on_contact, f.idle, f.error, f.ringing,
         f.online AND connect_lake.agent_ms(s.segment_end) - connect_lake.agent_ms(s.segment_start) > 300000 AS gap
    FROM connect_lake.agent_timeline_segments(NULL, '{-infinity}', '{infinity}') s
   CROSS JOIN LATERAL connect_lake.agent_segment_flags(s.status_type, s.contacts) f;
COMMENT ON VIEW connect_lake.agent_status_timeline IS
  'Every agent''s status timeline: one segment per agent event (de-duplicated on eventid, in (eventtimestamp, eventid) order whatever the arrival order), in the state of the event''s snapshot until the agent''s next event. agent_timeline(agentarn, from, to) reads one agent''s range.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.agentarn IS 'AgentARN.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.agent_id IS 'Agent id from the ARN.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.eventid IS 'EventId of the event that starts the segment.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.eventtype IS 'Its EventType: LOGIN (keeps the state before), LOGOUT (offline), STATE_CHANGE, HEART_BEAT.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.segment_start IS 'The event''s EventTimestamp.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.segment_end IS 'The agent''s next event''s EventTimestamp; NULL for the agent''s latest event (nothing is counted after it).';
COMMENT ON COLUMN connect_lake.agent_status_timeline.duration_ms IS 'Milliseconds from segment_start to segment_end; NULL when open.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.status_name IS 'AgentStatus.Name in force (NULL: offline after a LOGOUT or before any snapshot).';
COMMENT ON COLUMN connect_lake.agent_status_timeline.status_type IS 'ROUTABLE, CUSTOM or OFFLINE (agent_status_type()).';
COMMENT ON COLUMN connect_lake.agent_status_timeline.routing_profile_id IS 'Routing profile id (last segment of the snapshot''s RoutingProfile ARN); NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.hierarchy_level1_id IS 'Agent hierarchy group of level 1 (id from the snapshot''s AgentHierarchyGroups.Level1 ARN); NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.hierarchy_level2_id IS 'Agent hierarchy group of level 2; NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.hierarchy_level3_id IS 'Agent hierarchy group of level 3; NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.hierarchy_level4_id IS 'Agent hierarchy group of level 4; NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.hierarchy_level5_id IS 'Agent hierarchy group of level 5; NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.contacts IS 'The snapshot''s Contacts in force (an empty array when offline).';
COMMENT ON COLUMN connect_lake.agent_status_timeline.online IS 'Counts as online time: status not OFFLINE.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.non_productive IS 'Counts as non-productive time: CUSTOM status.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.on_contact IS 'Counts as agent on contact time: ROUTABLE and a contact CONNECTED, CONNECTED_ONHOLD, ENDED (ACW) or PAUSED.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.idle IS 'Counts as idle time: ROUTABLE and every contact, if any, in ERROR, MISSED or REJECTED.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.error IS 'Counts as error status time: a contact in ERROR, MISSED or REJECTED.';
COMMENT ON COLUMN connect_lake.agent_status_timeline.ringing IS 'A contact CONNECTING, INCOMING or PENDING (not idle).';
COMMENT ON COLUMN connect_lake.agent_status_timeline.gap IS 'Online for more than 300 s without another event (heartbeats come every 120 s): counted as the snapshot says and reported in agent_activity_gaps and gap_ms.';

CREATE FUNCTION connect_lake.agent_timeline(agentarn text, from_ts timestamptz DEFAULT '-infinity',
                                            to_ts timestamptz DEFAULT 'infinity')
RETURNS SETOF connect_lake.agent_status_timeline
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT s.agentarn, s.agent_id, s.eventid, s.eventtype, s.segment_start, s.segment_end,
         connect_lake.agent_ms(s.segment_end) - connect_lake.agent_ms(s.segment_start),
         s.status_name, s.status_type, s.routing_profile_id, s.hierarchy_level1_id, s.hierarchy_level2_id,
         s.hierarchy_level3_id, s.hierarchy_level4_id, s.hierarchy_level5_id, s.contacts,
         f.online, f.non_productive, f.on_contact, f.idle, f.error, f.ringing,
         f.online AND connect_lake.agent_ms(s.segment_end) - connect_lake.agent_ms(s.segment_start) > 300000
    FROM connect_lake.agent_timeline_segments(ARRAY[agentarn], ARRAY[from_ts], ARRAY[to_ts]) s
   CROSS JOIN LATERAL connect_lake.agent_segment_flags(s.status_type, s.contacts) f
   WHERE (s.segment_end > from_ts OR s.segment_end IS NULL) AND s.segment_start < to_ts
   ORDER BY s.segment_start, s.eventid
$fn$;
COMMENT ON FUNCTION connect_lake.agent_timeline(text, timestamptz, timestamptz) IS
  'One agent''s status timeline (as agent_status_timeline): the segments that overlap [from_ts, to_ts), whole, in time order.';

CREATE VIEW connect_lake.agent_activity_gaps AS
  SELECT t.agentarn, t.agent_id, t.eventid, t.eventtype, t.segment_start AS gap_start,
         t.segment_end AS gap_end, t.duration_ms, t.status_name, t.status_type
    FROM connect_lake.agent_status_timeline t
   WHERE t.gap;
COMMENT ON VIEW connect_lake.agent_activity_gaps IS
  'Gaps in the agent event stream: an agent online for more than 300 s with no event (a heartbeat comes every 120 s). The time is counted as the last snapshot says (its state holds until the next event) and is also reported here and in agent_activity_interval.gap_ms / gaps, so that it is never counted silently.';
COMMENT ON COLUMN connect_lake.agent_activity_gaps.agentarn IS 'AgentARN.';
COMMENT ON COLUMN connect_lake.agent_activity_gaps.agent_id IS 'Agent id from the ARN.';
COMMENT ON COLUMN connect_lake.agent_activity_gaps.eventid IS 'EventId of the last event before the gap.';
COMMENT ON COLUMN connect_lake.agent_activity_gaps.eventtype IS 'Its EventType.';
COMMENT ON COLUMN connect_lake.agent_activity_gaps.gap_start IS 'The last event before the gap.';
COMMENT ON COLUMN connect_lake.agent_activity_gaps.gap_end IS 'The next event.';
COMMENT ON COLUMN connect_lake.agent_activity_gaps.duration_ms IS 'Milliseconds without an event.';
COMMENT ON COLUMN connect_lake.agent_activity_gaps.status_name IS 'The status in force during the gap.';
COMMENT ON COLUMN connect_lake.agent_activity_gaps.status_type IS 'Its type (ROUTABLE or CUSTOM).';

-- ---- Offers: each run of events in which a contact rings for the agent
CREATE FUNCTION connect_lake.agent_offers(agentarns text[], from_ts timestamptz[], to_ts timestamptz[])
RETURNS TABLE (agentarn text, agent_id uuid, contactid text, offered_at timestamptz, first_state text,
               routing_profile_id uuid, hierarchy_level1_id uuid, hierarchy_level2_id uuid,
               hierarchy_level3_id uuid, hierarchy_level4_id uuid, hierarchy_level5_id uuid,
               resolved_at timestamptz, resolved_state text,
               connected boolean, missed boolean, connecting_ms bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  -- Every snapshot entry of a ringing contact from the range on, with the
  -- contact's state in the agent's state events just before and just after.
  WITH ent AS MATERIALIZED (
    SELECT r.agentarn, r.range_from, r.range_to, e.agent_id, e.eventid, e.eventtimestamp, x AS c,
           x ->> 'ContactId' AS cid, x ->> 'State' AS state, e.routingprofile_arn, e.hierarchygroups
      FROM connect_lake.agent_ranges(agentarns, from_ts, to_ts) r
      -- each agent's events by the key (agentarn, eventtimestamp), never a
      -- scan of the partition testing every event's contacts
     CROSS JOIN LATERAL (SELECT e.* FROM connect_lake.agent_events e
                          WHERE e.agentarn = r.agentarn AND e.eventtimestamp >= r.range_from
                            AND e.eventtimestamp <= r.read_to AND e.current_snapshot IS NOT NULL
                            AND jsonb_path_exists(e.contacts, '$[*] ? (@.State == "CONNECTING" || @.State == "INCOMING")')
                         OFFSET 0) e
     CROSS JOIN LATERAL jsonb_array_elements(e.contacts) x
     WHERE x ->> 'State' IN ('CONNECTING', 'INCOMING') AND x ->> 'ContactId' IS NOT NULL
  ),
  nb AS (
    SELECT ent.*,
           (SELECT y ->> 'State'
              FROM (SELECT p.contacts FROM connect_lake.agent_events p
                     WHERE p.agentarn = ent.agentarn AND (p.eventtimestamp, p.eventid) < (ent.eventtimestamp, ent.eventid)
                       AND (p.eventtype = 'LOGOUT' OR p.current_snapshot IS NOT NULL)
                     ORDER BY p.eventtimestamp DESC, p.eventid DESC LIMIT 1) pe
             CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(pe.contacts) = 'array' THEN pe.contacts END) y
             WHERE y ->> 'ContactId' = ent.cid LIMIT 1) AS prev_state,
           n.eventtimestamp AS next_ts,
           (SELECT y FROM jsonb_array_elements(CASE WHEN jsonb_typeof(n.contacts) = 'array' THEN n.contacts END) y
             WHERE y ->> 'ContactId' = ent.cid LIMIT 1) AS next_c
      FROM ent
      LEFT JOIN LATERAL (SELECT p.eventtimestamp, CASE WHEN p.eventtype <> 'LOGOUT' THEN p.contacts END AS contacts
                           FROM connect_lake.agent_events p
                          WHERE p.agentarn = ent.agentarn AND (p.eventtimestamp, p.eventid) > (ent.eventtimestamp, ent.eventid)
                            AND (p.eventtype = 'LOGOUT' OR p.current_snapshot IS NOT NULL)
                          ORDER BY p.eventtimestamp, p.eventid LIMIT 1) n ON true
  ),
  -- A run starts where the state event before did not show the contact
  -- ringing; it ends where the one after does not.
  run AS (
    SELECT nb.*, count(*) FILTER (WHERE nb.prev_state IS NULL OR nb.prev_state NOT IN ('CONNECTING', 'INCOMING'))
                   OVER (PARTITION BY nb.agentarn, nb.cid ORDER BY nb.eventtimestamp, nb.eventid) AS run
      FROM nb
  ),
  offer AS (
    SELECT DISTINCT ON (u.agentarn, u.cid, u.run)
           u.agentarn, u.agent_id, u.cid, u.range_from, u.range_to, u.eventtimestamp AS offered_at,
           u.state AS first_state, u.routingprofile_arn, u.hierarchygroups, u.c AS first_c,
           last_value(u.next_ts) OVER w AS resolved_at, last_value(u.next_c) OVER w AS resolved_c
      FROM run u
     WHERE u.run > 0
    WINDOW w AS (PARTITION BY u.agentarn, u.cid, u.run ORDER BY u.eventtimestamp, u.eventid
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
     ORDER BY u.agentarn, u.cid, u.run, u.eventtimestamp, u.eventid
  )
  SELECT o.agentarn, o.agent_id, o.cid, o.offered_at, o.first_state, connect_lake.agent_arn_id(o.routingprofile_arn),
         connect_lake.agent_hierarchy_id(o.hierarchygroups, 1), connect_lake.agent_hierarchy_id(o.hierarchygroups, 2),
         connect_lake.agent_hierarchy_id(o.hierarchygroups, 3), connect_lake.agent_hierarchy_id(o.hierarchygroups, 4),
         connect_lake.agent_hierarchy_id(o.hierarchygroups, 5), o.resolved_at, o.resolved_c ->> 'State',
         coalesce(o.resolved_c ->> 'State' IN ('CONNECTED', 'CONNECTED_ONHOLD', 'PAUSED')
                  OR (o.resolved_c ->> 'State' = 'ENDED' AND o.resolved_c ->> 'ConnectedToAgentTimestamp' IS NOT NULL),
                  false),
         coalesce(o.resolved_c ->> 'State' IN ('MISSED', 'REJECTED'), false),
         CASE WHEN o.resolved_c ->> 'State' IN ('CONNECTED', 'MISSED', 'ERROR') THEN
           greatest(0, connect_lake.agent_ms(coalesce(connect_lake.agent_event_ts(o.resolved_c ->> 'StateStartTimestamp'),
                                                      o.resolved_at))
                     - connect_lake.agent_ms(coalesce(connect_lake.agent_event_ts(o.first_c ->> 'StateStartTimestamp'),
                                                      o.offered_at)))
         END
    FROM offer o
   WHERE o.offered_at >= o.range_from AND o.offered_at < o.range_to
$fn$;
COMMENT ON FUNCTION connect_lake.agent_offers(text[], timestamptz[], timestamptz[]) IS
  'The contacts offered to the agents given first shown in each one''s range [from_ts[i], to_ts[i]) (agentarns NULL: every agent, [from_ts[1], to_ts[1])): one offer per run of consecutive state events (snapshots, LOGOUT) in which the contact is CONNECTING or INCOMING for the agent, with the routing profile and hierarchy of its first snapshot. Its outcome is the contact''s state in the agent''s next state event (resolved_state; NULL when the contact is gone, resolved_at NULL while still ringing): connected (CONNECTED, CONNECTED_ONHOLD, PAUSED, or ENDED after a ConnectedToAgentTimestamp), missed (MISSED or REJECTED). connecting_ms: StateStartTimestamp of the first ringing state to that of CONNECTED, MISSED or ERROR (event times where a timestamp is missing).';

-- ---- Rollups per 15-minute UTC interval (the contract with get_metric_data_v2)
CREATE TABLE connect_lake.agent_activity_interval (
  interval_start       timestamptz NOT NULL,
  agentarn             text NOT NULL,
  agent_id             uuid,
  routing_profile_id   uuid,
  hierarchy_level1_id  uuid,
  hierarchy_level2_id  uuid,
  hierarchy_level3_id  uuid,
  hierarchy_level4_id  uuid,
  hierarchy_level5_id  uuid,
  online_ms            bigint NOT NULL DEFAULT 0,
  non_productive_ms    bigint NOT NULL DEFAULT 0,
  contact_ms           bigint NOT NULL DEFAULT 0,
  idle_ms              bigint NOT NULL DEFAULT 0,
  error_ms             bigint NOT NULL DEFAULT 0,
  offers               integer NOT NULL DEFAULT 0,
  offers_connected     integer NOT NULL DEFAULT 0,
  offers_missed        integer NOT NULL DEFAULT 0,
  offers_not_connected integer NOT NULL DEFAULT 0,
  connecting_ms_sum    bigint NOT NULL DEFAULT 0,
  connecting_count     integer NOT NULL DEFAULT 0,
  gap_ms               bigint NOT NULL DEFAULT 0,
  gaps                 integer NOT NULL DEFAULT 0,
  CONSTRAINT agent_activity_interval_key
    UNIQUE NULLS NOT DISTINCT (interval_start, agentarn, routing_profile_id, hierarchy_level1_id,
                               hierarchy_level2_id, hierarchy_level3_id, hierarchy_level4_id, hierarchy_level5_id)
);
COMMENT ON TABLE connect_lake.agent_activity_interval IS
  'Agent activity per 15-minute UTC interval, agent, routing profile and hierarchy groups (those of the snapshot in force), from the status timeline split at the interval boundaries: only sums and counts, so 30 minutes, hours, local days, weeks and totals are exact sums. A row exists where the agent was online, in error or offered a contact. Rebuilt by agent_activity_refresh(from, to).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.interval_start IS 'Start of the 15-minute UTC interval.';
COMMENT ON COLUMN connect_lake.agent_activity_interval.agentarn IS 'AgentARN.';
COMMENT ON COLUMN connect_lake.agent_activity_interval.agent_id IS 'Agent id from the ARN (the AGENT dimension of GetMetricDataV2).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.routing_profile_id IS 'Routing profile id of the snapshot in force (last segment of its ARN); NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_activity_interval.hierarchy_level1_id IS 'Hierarchy group of level 1 of the snapshot in force (id from its ARN); NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_activity_interval.hierarchy_level2_id IS 'Hierarchy group of level 2; NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_activity_interval.hierarchy_level3_id IS 'Hierarchy group of level 3; NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_activity_interval.hierarchy_level4_id IS 'Hierarchy group of level 4; NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_activity_interval.hierarchy_level5_id IS 'Hierarchy group of level 5; NULL unknown.';
COMMENT ON COLUMN connect_lake.agent_activity_interval.online_ms IS 'Online time, ms: status not OFFLINE (SUM_ONLINE_TIME_AGENT).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.non_productive_ms IS 'Non-productive time, ms: CUSTOM status, even while handling contacts (SUM_NON_PRODUCTIVE_TIME_AGENT).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.contact_ms IS 'Agent on contact time, ms: ROUTABLE with a contact CONNECTED, CONNECTED_ONHOLD, ENDED or PAUSED, wall clock (concurrent contacts once) (SUM_CONTACT_TIME_AGENT).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.idle_ms IS 'Agent idle time, ms: ROUTABLE with every contact, if any, in ERROR, MISSED or REJECTED; ringing is not idle (SUM_IDLE_TIME_AGENT).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.error_ms IS 'Error status time, ms: a contact in ERROR, MISSED or REJECTED (SUM_ERROR_STATUS_TIME_AGENT).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.offers IS 'Contacts offered to the agent (runs of CONNECTING / INCOMING), counted in the interval the offer starts.';
COMMENT ON COLUMN connect_lake.agent_activity_interval.offers_connected IS 'Offers the agent connected (numerator of AGENT_ANSWER_RATE).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.offers_missed IS 'Offers that ended MISSED or REJECTED (AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.offers_not_connected IS 'Every offer not followed by CONNECTED, customer abandons included (AGENT_NON_RESPONSE).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.connecting_ms_sum IS 'Connecting time of the offers that ended CONNECTED, MISSED or ERROR, ms (numerator of AVG_AGENT_CONNECTING_TIME).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.connecting_count IS 'Those offers (denominator of AVG_AGENT_CONNECTING_TIME).';
COMMENT ON COLUMN connect_lake.agent_activity_interval.gap_ms IS 'Part of online_ms that lies in a gap (online over 300 s with no event, agent_activity_gaps): counted as the snapshot says, reported here.';
COMMENT ON COLUMN connect_lake.agent_activity_interval.gaps IS 'Gaps that start in the interval.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.agent_activity_interval', '');

CREATE TABLE connect_lake.agent_status_interval (
  interval_start timestamptz NOT NULL,
  agentarn       text NOT NULL,
  agent_id       uuid,
  status_name    text,
  status_type    text NOT NULL,
  ms             bigint NOT NULL DEFAULT 0,
  CONSTRAINT agent_status_interval_key UNIQUE NULLS NOT DISTINCT (interval_start, agentarn, status_name, status_type)
);
COMMENT ON TABLE connect_lake.agent_status_interval IS
  'Online time per 15-minute UTC interval, agent and agent status (time in each status, LAKE_STATUS_TIME): per interval and agent the rows add up to agent_activity_interval.online_ms. Offline time is not kept. Rebuilt by agent_activity_refresh(from, to).';
COMMENT ON COLUMN connect_lake.agent_status_interval.interval_start IS 'Start of the 15-minute UTC interval.';
COMMENT ON COLUMN connect_lake.agent_status_interval.agentarn IS 'AgentARN.';
COMMENT ON COLUMN connect_lake.agent_status_interval.agent_id IS 'Agent id from the ARN.';
COMMENT ON COLUMN connect_lake.agent_status_interval.status_name IS 'AgentStatus.Name, e.g. Available, Lunch.';
COMMENT ON COLUMN connect_lake.agent_status_interval.status_type IS 'ROUTABLE or CUSTOM (agent_status_type()).';
COMMENT ON COLUMN connect_lake.agent_status_interval.ms IS 'Milliseconds in the status within the interval.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.agent_status_interval', '');

-- Whole 15-minute intervals around [from_ts, to_ts).
CREATE FUNCTION connect_lake.agent_interval_floor(ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT CASE WHEN isfinite(ts) THEN connect_lake.metric_interval(ts) ELSE ts END $fn$;
COMMENT ON FUNCTION connect_lake.agent_interval_floor(timestamptz) IS
  'The start of the 15-minute UTC interval holding ts (metric_interval()); an infinite ts as it is.';

CREATE FUNCTION connect_lake.agent_interval_ceil(ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN NOT isfinite(ts) OR connect_lake.metric_interval(ts) = ts THEN ts
                ELSE connect_lake.metric_interval(ts) + interval '15 minutes' END
  $fn$;
COMMENT ON FUNCTION connect_lake.agent_interval_ceil(timestamptz) IS
  'The first 15-minute UTC interval boundary at or after ts; an infinite ts as it is.';

-- The time of the rollups in one pass over each agent's events (C,
-- src/agent_activity.c): what agent_activity_rows() sums per interval,
-- the same rules as agent_timeline_segments() and agent_segment_flags().
CREATE FUNCTION connect_lake.agent_activity_time(agentarns text[], from_ts timestamptz[], to_ts timestamptz[])
RETURNS TABLE (interval_start timestamptz, agentarn text, agent_id uuid, routing_profile_id uuid,
               hierarchy_level1_id uuid, hierarchy_level2_id uuid, hierarchy_level3_id uuid,
               hierarchy_level4_id uuid, hierarchy_level5_id uuid, status_name text, status_type text,
               online_ms bigint, non_productive_ms bigint, contact_ms bigint, idle_ms bigint, error_ms bigint,
               gap_ms bigint, gaps bigint)
AS 'MODULE_PATHNAME', 'agent_activity_time'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION connect_lake.agent_activity_time(text[], timestamptz[], timestamptz[]) IS
  'The time of the agents given in each one''s range [from_ts[i], to_ts[i]) (agentarns NULL: every agent, [from_ts[1], to_ts[1])), read from agent_events in one pass per agent: per 15-minute UTC interval, agent id, routing profile and hierarchy groups, status name and type, the milliseconds online, non-productive, on contact, idle, in error and in gaps, and the gaps starting there, of the segments of agent_timeline_segments() that are online or in error, split at the interval boundaries (pieces of 0 ms left out). What agent_activity_rows() sums into the rows agent_activity_apply() inserts into agent_activity_interval and agent_status_interval (on a lake distributed on Citus the apply inserts those of agent_activity_timeline_rows(), the same rows in SQL).';

-- The same pass with its sums as the two tables hold them, the offers
-- summed in: what agent_activity_apply() inserts.
CREATE FUNCTION connect_lake.agent_activity_rows(agentarns text[], from_ts timestamptz[], to_ts timestamptz[])
RETURNS TABLE (kind text, interval_start timestamptz, agentarn text, agent_id uuid, routing_profile_id uuid,
               hierarchy_level1_id uuid, hierarchy_level2_id uuid, hierarchy_level3_id uuid,
               hierarchy_level4_id uuid, hierarchy_level5_id uuid, status_name text, status_type text,
               online_ms bigint, non_productive_ms bigint, contact_ms bigint, idle_ms bigint, error_ms bigint,
               gap_ms bigint, gaps bigint, offers bigint, offers_connected bigint, offers_missed bigint,
               offers_not_connected bigint, connecting_ms_sum bigint, connecting_count bigint)
AS 'MODULE_PATHNAME', 'agent_activity_rows'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION connect_lake.agent_activity_rows(text[], timestamptz[], timestamptz[]) IS
  'The rows of the rollups for the agents given in each one''s range [from_ts[i], to_ts[i]) (agentarns NULL: every agent, [from_ts[1], to_ts[1])), as agent_activity_apply() inserts them on a plain lake: kind activity, per 15-minute UTC interval, agent, agent id, routing profile and hierarchy groups, the time of agent_activity_time() summed over the statuses with the offers of agent_offers() (agent_activity_interval); kind status, per interval, agent, agent id and status, the online milliseconds where there are some (agent_status_interval). Each kind comes in the order of its table''s key; one pass per agent (C). agent_activity_timeline_rows() makes the same rows in SQL.';

-- The same rows in SQL, from the timeline (agent_timeline_segments(),
-- agent_segment_flags()) and the offers (agent_offers()): what
-- agent_activity_apply() inserts on a lake distributed on Citus, where the
-- C pass cannot read the events (they lie on the workers) and the timeline's
-- functions read copies of the agents' events; the regression test holds
-- agent_activity_rows() to it, row for row.
CREATE FUNCTION connect_lake.agent_activity_timeline_rows(agentarns text[], from_ts timestamptz[], to_ts timestamptz[])
RETURNS TABLE (kind text, interval_start timestamptz, agentarn text, agent_id uuid, routing_profile_id uuid,
               hierarchy_level1_id uuid, hierarchy_level2_id uuid, hierarchy_level3_id uuid,
               hierarchy_level4_id uuid, hierarchy_level5_id uuid, status_name text, status_type text,
               online_ms bigint, non_productive_ms bigint, contact_ms bigint, idle_ms bigint, error_ms bigint,
               gap_ms bigint, gaps bigint, offers bigint, offers_connected bigint, offers_missed bigint,
               offers_not_connected bigint, connecting_ms_sum bigint, connecting_count bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  -- the segments online or in error that meet each agent's range
  WITH seg AS MATERIALIZED (
    SELECT s.*, f.*,
           f.online AND connect_lake.agent_ms(s.segment_end) - connect_lake.agent_ms(s.segment_start) > 300000 AS gap
      FROM connect_lake.agent_timeline_segments(agentarns, from_ts, to_ts) s
     CROSS JOIN LATERAL connect_lake.agent_segment_flags(s.status_type, s.contacts) f
     WHERE s.segment_end > s.range_from AND s.segment_start < s.range_to AND (f.online OR f.error)
  ),
  -- split at the 15-minute UTC boundaries within the range
  piece AS MATERIALIZED (
    SELECT s.*, b.b AS interval_start,
           connect_lake.agent_ms(least(s.segment_end, b.b + interval '15 minutes'))
             - connect_lake.agent_ms(greatest(s.segment_start, b.b)) AS ms,
           s.segment_start >= b.b AS starts_here
      FROM seg s
     CROSS JOIN LATERAL generate_series(connect_lake.metric_interval(greatest(s.segment_start, s.range_from)),
                                        least(s.segment_end, s.range_to) - interval '1 microsecond',
                                        interval '15 minutes') b(b)
  ),
  -- the pieces (of more than 0 ms) and the offers, each in its interval
  unioned AS (
    SELECT p.interval_start, p.agentarn, p.agent_id, p.routing_profile_id, p.hierarchy_level1_id,
           p.hierarchy_level2_id, p.hierarchy_level3_id, p.hierarchy_level4_id, p.hierarchy_level5_id,
           CASE WHEN p.online THEN p.ms ELSE 0 END AS online_ms,
           CASE WHEN p.non_productive THEN p.ms ELSE 0 END AS non_productive_ms,
           CASE WHEN p.on_contact THEN p.ms ELSE 0 END AS contact_ms,
           CASE WHEN p.idle THEN p.ms ELSE 0 END AS idle_ms,
           CASE WHEN p.error THEN p.ms ELSE 0 END AS error_ms,
           CASE WHEN p.gap THEN p.ms ELSE 0 END AS gap_ms,
           CASE WHEN p.gap AND p.starts_here THEN 1 ELSE 0 END AS gaps,
           0 AS offers, 0 AS offers_connected, 0 AS offers_missed, 0 AS offers_not_connected,
           0::bigint AS connecting_ms_sum, 0 AS connecting_count
      FROM piece p
     WHERE p.ms > 0
    UNION ALL
    SELECT connect_lake.metric_interval(o.offered_at), o.agentarn, o.agent_id, o.routing_profile_id,
           o.hierarchy_level1_id, o.hierarchy_level2_id, o.hierarchy_level3_id, o.hierarchy_level4_id,
           o.hierarchy_level5_id, 0, 0, 0, 0, 0, 0, 0,
           1, o.connected::integer, o.missed::integer, (NOT o.connected)::integer,
           coalesce(o.connecting_ms, 0), (o.connecting_ms IS NOT NULL)::integer
      FROM connect_lake.agent_offers(agentarns, from_ts, to_ts) o
  )
  SELECT 'activity', u.interval_start, u.agentarn, u.agent_id, u.routing_profile_id, u.hierarchy_level1_id,
         u.hierarchy_level2_id, u.hierarchy_level3_id, u.hierarchy_level4_id, u.hierarchy_level5_id,
         NULL::text, NULL::text,
         sum(u.online_ms)::bigint, sum(u.non_productive_ms)::bigint, sum(u.contact_ms)::bigint,
         sum(u.idle_ms)::bigint, sum(u.error_ms)::bigint, sum(u.gap_ms)::bigint, sum(u.gaps)::bigint,
         sum(u.offers)::bigint, sum(u.offers_connected)::bigint, sum(u.offers_missed)::bigint,
         sum(u.offers_not_connected)::bigint, sum(u.connecting_ms_sum)::bigint, sum(u.connecting_count)::bigint
    FROM unioned u
   GROUP BY u.interval_start, u.agentarn, u.agent_id, u.routing_profile_id, u.hierarchy_level1_id,
            u.hierarchy_level2_id, u.hierarchy_level3_id, u.hierarchy_level4_id, u.hierarchy_level5_id
  UNION ALL
  -- the online time per status
  SELECT 'status', p.interval_start, p.agentarn, p.agent_id, NULL::uuid, NULL::uuid, NULL::uuid, NULL::uuid,
         NULL::uuid, NULL::uuid, p.status_name, p.status_type, sum(p.ms)::bigint,
         0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
         0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint
    FROM piece p
   WHERE p.online AND p.ms > 0
   GROUP BY p.interval_start, p.agentarn, p.agent_id, p.status_name, p.status_type
$fn$;
COMMENT ON FUNCTION connect_lake.agent_activity_timeline_rows(text[], timestamptz[], timestamptz[]) IS
  'The rows of agent_activity_rows() (kind activity: agent_activity_interval; kind status: agent_status_interval), in no particular order, made in SQL from the segments of agent_timeline_segments() online or in error (agent_segment_flags()), split at the 15-minute UTC boundaries, and the offers of agent_offers(): what agent_activity_apply() inserts on a lake distributed on Citus, where the timeline and the offers read copies of the agents'' events.';

-- The same pass with its rows written into the two tables directly, as COPY
-- writes them (src/agent_activity.c, cl_direct_table_begin()): what
-- agent_activity_apply() does on a plain lake where it can; -1 (nothing
-- written) where it cannot, and the apply inserts agent_activity_rows().
-- Here, before the apply and the refresh that calls it.
CREATE FUNCTION connect_lake.agent_activity_write(agentarns text[], from_ts timestamptz[], to_ts timestamptz[])
RETURNS integer
AS 'MODULE_PATHNAME', 'agent_activity_write'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION connect_lake.agent_activity_write(text[], timestamptz[], timestamptz[]) IS
  'The rows of agent_activity_rows() for the same agents and ranges, written into agent_activity_interval and agent_status_interval directly, as COPY writes them (runs of heap inserts and their index entries, each unique index checked as INSERT checks it), instead of returned; returns the agent_activity_interval rows written. Only in READ COMMITTED and where both tables can be written so (no triggers, CHECK constraints or row-level security, INSERT privilege, the columns as created, not distributed on Citus); else writes nothing and returns -1. For agent_activity_apply(), which holds the agents'' locks (or both tables'') and has deleted their intervals first: a row whose key is taken fails as INSERT fails.';

CREATE FUNCTION connect_lake.agent_activity_apply(agentarns text[], from_ts timestamptz[], to_ts timestamptz[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '256MB'
SET jit = off
SET enable_mergejoin = off
SET enable_nestloop = off
AS $fn$
DECLARE
  agents text[];
  los    timestamptz[];
  his    timestamptz[];
  bad    record;
  n      integer;
  lo_min timestamptz;
  hi_max timestamptz;
BEGIN
  IF from_ts IS NULL OR to_ts IS NULL OR cardinality(from_ts) < 1
     OR cardinality(from_ts) <> cardinality(to_ts)
     OR (agentarns IS NOT NULL AND cardinality(agentarns) <> cardinality(from_ts)) THEN
    RAISE EXCEPTION 'agent activity ranges must be one from_ts and one to_ts per agent, got % agents, % and % times',
                    cardinality(agentarns), cardinality(from_ts), cardinality(to_ts)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT u.f, u.t INTO bad FROM unnest(from_ts, to_ts) u(f, t) WHERE u.f IS NULL OR u.t IS NULL OR u.f > u.t LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'agent activity needs from_ts <= to_ts, got % and %', coalesce(bad.f::text, 'NULL'), coalesce(bad.t::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give the range of event times to rebuild, e.g. agent_activity_refresh(''2026-09-01'', ''2026-10-01''); no arguments rebuild all.';
  END IF;
  -- Whole 15-minute intervals; one range per agent (in name order).
  IF agentarns IS NULL THEN
    los := ARRAY[connect_lake.agent_interval_floor(from_ts[1])];
    his := ARRAY[connect_lake.agent_interval_ceil(to_ts[1])];
  ELSE
    SELECT array_agg(g.a ORDER BY g.a), array_agg(g.lo ORDER BY g.a), array_agg(g.hi ORDER BY g.a)
      INTO agents, los, his
      FROM (SELECT u.a, connect_lake.agent_interval_floor(min(u.f)) AS lo,
                   connect_lake.agent_interval_ceil(max(u.t)) AS hi
              FROM unnest(agentarns, from_ts, to_ts) u(a, f, t)
             WHERE u.a IS NOT NULL GROUP BY u.a) g;
    IF agents IS NULL THEN
      RETURN 0;
    END IF;
  END IF;
  -- One rebuild of an agent's intervals at a time: each agent given, or
  -- the whole tables.
  IF agentarns IS NULL THEN
    LOCK TABLE connect_lake.agent_activity_interval, connect_lake.agent_status_interval IN EXCLUSIVE MODE;
    DELETE FROM connect_lake.agent_activity_interval r
     WHERE r.interval_start >= los[1] AND r.interval_start < his[1];
    DELETE FROM connect_lake.agent_status_interval r
     WHERE r.interval_start >= los[1] AND r.interval_start < his[1];
  ELSE
    -- the agents share 256 locks by hash, taken in one order: a day at the
    -- seed's volume has 2,400 agents, and a lock each could fill the shared
    -- lock table beside other sessions
    PERFORM pg_advisory_xact_lock(1634166130, h)
       FROM (SELECT DISTINCT hashtext(u.a) & 255 AS h FROM unnest(agents) AS u(a) ORDER BY 1) s;
    -- (the bounds of all the ranges let the key's index find the intervals;
    -- a semi-join hashes the agents' ranges, not the rows in the bounds.
    -- Hashed whatever the estimates: enable_nestloop is off for this
    -- function.  A nested loop over unnest() reads the agents again for
    -- every interval row in the bounds, rows times agents; the planner chose
    -- it when the index scan was estimated at 1 row, as in a generic plan
    -- cached while the table was nearly empty (a truncated lake's first
    -- load), then reused on a full one: 2.4 s for 735 agents and 26,434
    -- rows, against 0.01 s hashed; test/t/051_agent_upkeep_plan.pl)
    SELECT min(u.lo), max(u.hi) INTO lo_min, hi_max FROM unnest(los, his) u(lo, hi);
    DELETE FROM connect_lake.agent_activity_interval r
     WHERE r.interval_start >= lo_min AND r.interval_start < hi_max
       AND EXISTS (SELECT FROM unnest(agents, los, his) u(a, lo, hi)
                    WHERE u.a = r.agentarn AND r.interval_start >= u.lo AND r.interval_start < u.hi);
    DELETE FROM connect_lake.agent_status_interval r
     WHERE r.interval_start >= lo_min AND r.interval_start < hi_max
       AND EXISTS (SELECT FROM unnest(agents, los, his) u(a, lo, hi)
                    WHERE u.a = r.agentarn AND r.interval_start >= u.lo AND r.interval_start < u.hi);
  END IF;

  -- The rows as the two tables hold them: on a plain lake from one pass per
  -- agent with the offers summed in (agent_activity_rows(), C), each kind in
  -- the order of its table's key, inserted as they come; on a lake
  -- distributed on Citus the same rows in SQL (agent_activity_timeline_rows(),
  -- whose timeline and offers read copies of the agents' events there).  Two
  -- statements, the same but for the rows they read: one statement choosing
  -- its source by a condition would plan the SQL function on every call of a
  -- plain lake (0.1 to 0.3 ms more a call, measured), where the plan of this
  -- one is cached.  (The count is the top statement's, the activity rows:
  -- no RETURNING to count.)
  -- (On a plain lake, agent_activity_write() writes the rows itself, as
  -- COPY writes, where it can: READ COMMITTED, the tables without triggers,
  -- CHECK constraints or row-level security; else it returns -1 and writes
  -- nothing, and the statement inserts them.)
  IF NOT connect_lake.is_distributed() THEN
    n := connect_lake.agent_activity_write(agents, los, his);
  END IF;
  IF n >= 0 THEN
    NULL;
  ELSIF NOT connect_lake.is_distributed() THEN
    WITH t AS MATERIALIZED (
      SELECT * FROM connect_lake.agent_activity_rows(agents, los, his)
    ),
    status_rows AS (
      INSERT INTO connect_lake.agent_status_interval
        SELECT t.interval_start, t.agentarn, t.agent_id, t.status_name, t.status_type, t.online_ms
          FROM t
         WHERE t.kind = 'status'
    )
    INSERT INTO connect_lake.agent_activity_interval
      SELECT t.interval_start, t.agentarn, t.agent_id, t.routing_profile_id, t.hierarchy_level1_id,
             t.hierarchy_level2_id, t.hierarchy_level3_id, t.hierarchy_level4_id, t.hierarchy_level5_id,
             t.online_ms, t.non_productive_ms, t.contact_ms, t.idle_ms, t.error_ms,
             t.offers, t.offers_connected, t.offers_missed, t.offers_not_connected,
             t.connecting_ms_sum, t.connecting_count, t.gap_ms, t.gaps
        FROM t
       WHERE t.kind = 'activity';
    GET DIAGNOSTICS n = ROW_COUNT;
  ELSE
    WITH t AS MATERIALIZED (
      SELECT * FROM connect_lake.agent_activity_timeline_rows(agents, los, his)
    ),
    status_rows AS (
      INSERT INTO connect_lake.agent_status_interval
        SELECT t.interval_start, t.agentarn, t.agent_id, t.status_name, t.status_type, t.online_ms
          FROM t
         WHERE t.kind = 'status'
    )
    INSERT INTO connect_lake.agent_activity_interval
      SELECT t.interval_start, t.agentarn, t.agent_id, t.routing_profile_id, t.hierarchy_level1_id,
             t.hierarchy_level2_id, t.hierarchy_level3_id, t.hierarchy_level4_id, t.hierarchy_level5_id,
             t.online_ms, t.non_productive_ms, t.contact_ms, t.idle_ms, t.error_ms,
             t.offers, t.offers_connected, t.offers_missed, t.offers_not_connected,
             t.connecting_ms_sum, t.connecting_count, t.gap_ms, t.gaps
        FROM t
       WHERE t.kind = 'activity';
    GET DIAGNOSTICS n = ROW_COUNT;
  END IF;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.agent_activity_apply(text[], timestamptz[], timestamptz[]) IS
  'Makes the rows of agent_activity_interval and agent_status_interval again from agent_events, for each agent given the 15-minute intervals that meet its range [from_ts[i], to_ts[i]) (agentarns NULL: every agent, [from_ts[1], to_ts[1])), the rows from agent_activity_rows() (the time of agent_activity_time() and the offers of agent_offers()), on a lake distributed on Citus from agent_activity_timeline_rows() (the same rows in SQL); returns the agent_activity_interval rows written. Locks each agent given (advisory, to the end of the transaction, in name order), or both tables when rebuilding every agent.';

CREATE FUNCTION connect_lake.agent_activity_refresh(from_ts timestamptz DEFAULT '-infinity',
                                                    to_ts timestamptz DEFAULT 'infinity')
RETURNS integer
LANGUAGE sql VOLATILE
AS $fn$ SELECT connect_lake.agent_activity_apply(NULL, ARRAY[from_ts], ARRAY[to_ts]) $fn$;
COMMENT ON FUNCTION connect_lake.agent_activity_refresh(timestamptz, timestamptz) IS
  'Rebuilds agent_activity_interval and agent_status_interval for the 15-minute UTC intervals that meet [from_ts, to_ts), every agent, from agent_events; no arguments: all history. For history loaded before the writers kept the agent activity, or after hand-written changes of agent_events. Returns the agent_activity_interval rows written.';

-- The writers' hook: the agents whose events a transaction landed, with the
-- first and last event time it landed for each (src/agent_event.c calls it
-- once, at commit).  What changes is the timeline from the agent's last
-- settled event before the first new one to its next event after the last.
CREATE FUNCTION connect_lake.agent_activity_upkeep(agentarns text[], first_ts timestamptz[], last_ts timestamptz[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n integer;
BEGIN
  -- (on Citus, the statement below reads a copy of these agents' events,
  -- which distribute() points it at: citus_swap_functions())
  IF connect_lake.is_distributed() THEN
    PERFORM connect_lake.citus_fact_rows('connect_lake.agent_events', 'connect_lake_agent_upkeep_events',
                                         'f.agentarn = ANY ($1)', agentarns);
  END IF;
  SELECT coalesce(connect_lake.agent_activity_apply(array_agg(r.a), array_agg(r.f), array_agg(r.t)), 0)
    INTO n
    FROM (SELECT u.a,
                 coalesce((SELECT e.eventtimestamp FROM connect_lake.agent_events e
                            WHERE e.agentarn = u.a AND e.eventtimestamp < u.f
                              AND connect_lake.agent_event_settled(e.eventtype, e.current_snapshot, e.contacts)
                            ORDER BY e.eventtimestamp DESC LIMIT 1), u.f) AS f,
                 coalesce((SELECT e.eventtimestamp FROM connect_lake.agent_events e
                            WHERE e.agentarn = u.a AND e.eventtimestamp > u.l
                            ORDER BY e.eventtimestamp LIMIT 1), u.l) + interval '1 microsecond' AS t
            FROM (SELECT v.a, min(v.f) AS f, max(v.l) AS l
                    FROM unnest(agentarns, first_ts, last_ts) v(a, f, l)
                   WHERE v.a IS NOT NULL AND v.f IS NOT NULL AND v.l IS NOT NULL
                   GROUP BY v.a) u) r
   HAVING count(*) > 0;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.agent_activity_upkeep(text[], timestamptz[], timestamptz[]) IS
  'The writers'' hook: brings agent_activity_interval and agent_status_interval up to date after agent events landed, given each agent touched with the first and last EventTimestamp landed (same positions): rebuilds its intervals from its last settled event before the first to its next event after the last. load(), ingest() and ingest_batch() call it once per transaction, at commit, unless connect_lake.metrics_upkeep is off. Returns the agent_activity_interval rows written.';

-- ---- Agent activity metrics: any period from the 15-minute rows
--
-- Sums of the interval rows (exact for 30 minutes, hours, local days, weeks
-- and totals: metric_period_start()); every average and rate is a formula of
-- the sums.  Times in seconds, as GetMetricDataV2 gives them.
CREATE FUNCTION connect_lake.agent_seconds(ms numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT round(ms / 1000, 3) $fn$;
COMMENT ON FUNCTION connect_lake.agent_seconds(numeric) IS
  'Milliseconds as seconds (3 decimals): the unit of the agent activity metrics.';

CREATE FUNCTION connect_lake.agent_occupancy(contact_ms numeric, idle_ms numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.metric_percent(contact_ms, contact_ms + idle_ms) $fn$;
COMMENT ON FUNCTION connect_lake.agent_occupancy(numeric, numeric) IS
  'Occupancy (AGENT_OCCUPANCY), percent: 100 * on-contact time / (on-contact time + idle time), no weighting by concurrency; NULL when both are 0.';

CREATE FUNCTION connect_lake.agent_activity_metrics(period text, from_ts timestamptz, to_ts timestamptz,
                                                    time_zone text DEFAULT connect_lake.metric_time_zone())
RETURNS TABLE (period_start timestamptz, agentarn text, agent_id uuid, agent_username text,
               online_time numeric, non_productive_time numeric, contact_time numeric, idle_time numeric,
               error_status_time numeric, occupancy numeric, contacts_offered bigint, contacts_answered bigint,
               agent_answer_rate numeric, agent_non_response bigint,
               agent_non_response_without_customer_abandons bigint, avg_agent_connecting_time numeric,
               gap_time numeric, gaps bigint, status_time jsonb)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT a.p, a.agentarn, a.agent_id, d.username,
         connect_lake.agent_seconds(a.online_ms), connect_lake.agent_seconds(a.non_productive_ms),
         connect_lake.agent_seconds(a.contact_ms), connect_lake.agent_seconds(a.idle_ms),
         connect_lake.agent_seconds(a.error_ms), connect_lake.agent_occupancy(a.contact_ms, a.idle_ms),
         a.offers, a.offers_connected, connect_lake.metric_percent(a.offers_connected, a.offers),
         a.offers_not_connected, a.offers_missed,
         connect_lake.agent_seconds(connect_lake.metric_ratio(a.connecting_ms_sum, a.connecting_count)),
         connect_lake.agent_seconds(a.gap_ms), a.gaps, coalesce(s.status_time, '{}')
    FROM (SELECT connect_lake.metric_period_start(connect_lake.metric_check_period(period),
                                                  r.interval_start, time_zone, from_ts) AS p,
                 r.agentarn, r.agent_id,
                 sum(r.online_ms) AS online_ms, sum(r.non_productive_ms) AS non_productive_ms,
                 sum(r.contact_ms) AS contact_ms, sum(r.idle_ms) AS idle_ms, sum(r.error_ms) AS error_ms,
                 sum(r.offers)::bigint AS offers, sum(r.offers_connected)::bigint AS offers_connected,
                 sum(r.offers_missed)::bigint AS offers_missed,
                 sum(r.offers_not_connected)::bigint AS offers_not_connected,
                 sum(r.connecting_ms_sum) AS connecting_ms_sum, sum(r.connecting_count) AS connecting_count,
                 sum(r.gap_ms) AS gap_ms, sum(r.gaps)::bigint AS gaps
            FROM connect_lake.agent_activity_interval r
           WHERE r.interval_start >= from_ts AND r.interval_start < to_ts
           GROUP BY 1, 2, 3) a
    LEFT JOIN (SELECT t.p, t.agentarn,
                      jsonb_object_agg(coalesce(t.status_name, ''), connect_lake.agent_seconds(t.ms)
                                       ORDER BY t.status_name) AS status_time
                 FROM (SELECT connect_lake.metric_period_start(period, r.interval_start, time_zone, from_ts) AS p,
                              r.agentarn, r.status_name, sum(r.ms) AS ms
                         FROM connect_lake.agent_status_interval r
                        WHERE r.interval_start >= from_ts AND r.interval_start < to_ts
                        GROUP BY 1, 2, 3) t
                GROUP BY t.p, t.agentarn) s
      ON s.p = a.p AND s.agentarn = a.agentarn
    LEFT JOIN connect_lake.agent_dim d ON d.agent_id = a.agent_id
$fn$;
COMMENT ON FUNCTION connect_lake.agent_activity_metrics(text, timestamptz, timestamptz, text) IS
  'Agent activity metrics per period (FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL) in time_zone and agent, every routing profile and hierarchy group together, for the 15-minute intervals starting in [from_ts, to_ts), re-aggregated exactly from agent_activity_interval and agent_status_interval. Columns as the view agent_activity_15min.';

CREATE VIEW connect_lake.agent_activity_15min AS
  SELECT m.period_start AS interval_start, m.agentarn, m.agent_id, m.agent_username, m.online_time,
         m.non_productive_time, m.contact_time, m.idle_time, m.error_status_time, m.occupancy,
         m.contacts_offered, m.contacts_answered, m.agent_answer_rate, m.agent_non_response,
         m.agent_non_response_without_customer_abandons, m.avg_agent_connecting_time, m.gap_time, m.gaps,
         m.status_time
    FROM connect_lake.agent_activity_metrics('FIFTEEN_MIN', '-infinity', 'infinity') m;
COMMENT ON VIEW connect_lake.agent_activity_15min IS
  'Agent activity per 15-minute UTC interval and agent, from the agent event stream, time split at the interval boundaries (Amazon Connect''s agent activity-driven metrics). The agents'' contact metrics (from CTRs) are in agent_metrics_15min.';
COMMENT ON COLUMN connect_lake.agent_activity_15min.interval_start IS 'Start of the 15-minute UTC interval.';
COMMENT ON COLUMN connect_lake.agent_activity_15min.agentarn IS 'AgentARN.';
COMMENT ON COLUMN connect_lake.agent_activity_15min.agent_id IS 'Agent id (the AGENT dimension of GetMetricDataV2).';
COMMENT ON COLUMN connect_lake.agent_activity_15min.agent_username IS 'The agent''s latest username (agent_dim).';
COMMENT ON COLUMN connect_lake.agent_activity_15min.online_time IS 'Online time, seconds: status not Offline (SUM_ONLINE_TIME_AGENT).';
COMMENT ON COLUMN connect_lake.agent_activity_15min.non_productive_time IS 'Non-productive time (NPT), seconds: in a custom status, even while handling contacts (SUM_NON_PRODUCTIVE_TIME_AGENT).';
COMMENT ON COLUMN connect_lake.agent_activity_15min.contact_time IS 'Agent on contact time, seconds: routable status with a contact connected, on hold, in ACW or paused; concurrent contacts counted once (SUM_CONTACT_TIME_AGENT).';
COMMENT ON COLUMN connect_lake.agent_activity_15min.idle_time IS 'Agent idle time, seconds: routable status with no contact but missed, rejected or in error; ringing is not idle (SUM_IDLE_TIME_AGENT).';
COMMENT ON COLUMN connect_lake.agent_activity_15min.error_status_time IS 'Error status time, seconds: a contact in ERROR, MISSED or REJECTED (SUM_ERROR_STATUS_TIME_AGENT).';
COMMENT ON COLUMN connect_lake.agent_activity_15min.occupancy IS 'Occupancy, percent: 100 * on-contact time / (on-contact + idle time) (AGENT_OCCUPANCY); NULL when both are 0.';
COMMENT ON COLUMN connect_lake.agent_activity_15min.contacts_offered IS 'Contacts offered to the agent (rang: CONNECTING or INCOMING), in the interval the offer started.';
COMMENT ON COLUMN connect_lake.agent_activity_15min.contacts_answered IS 'Offers the agent connected.';
COMMENT ON COLUMN connect_lake.agent_activity_15min.agent_answer_rate IS 'Agent answer rate, percent: 100 * offers connected / offers (AGENT_ANSWER_RATE); NULL without offers.';
COMMENT ON COLUMN connect_lake.agent_activity_15min.agent_non_response IS 'Agent non-response: offers not connected, customer abandons included (AGENT_NON_RESPONSE).';
COMMENT ON COLUMN connect_lake.agent_activity_15min.agent_non_response_without_customer_abandons IS 'Offers missed or rejected by the agent (AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS).';
COMMENT ON COLUMN connect_lake.agent_activity_15min.avg_agent_connecting_time IS 'Average agent connecting time, seconds: from ringing to connected, missed or error (AVG_AGENT_CONNECTING_TIME); NULL without such offers.';
COMMENT ON COLUMN connect_lake.agent_activity_15min.gap_time IS 'Seconds of online time in gaps of the event stream (over 300 s without an event: agent_activity_gaps), counted in online_time as the last snapshot says.';
COMMENT ON COLUMN connect_lake.agent_activity_15min.gaps IS 'Gaps that start in the interval.';
COMMENT ON COLUMN connect_lake.agent_activity_15min.status_time IS 'Time in each status: online seconds per AgentStatus.Name, as a JSON object (LAKE_STATUS_TIME); they add up to online_time.';

CREATE FUNCTION connect_lake.agent_activity_daily(from_day date, to_day date)
RETURNS SETOF connect_lake.agent_activity_15min
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT m.period_start, m.agentarn, m.agent_id, m.agent_username, m.online_time,
         m.non_productive_time, m.contact_time, m.idle_time, m.error_status_time, m.occupancy,
         m.contacts_offered, m.contacts_answered, m.agent_answer_rate, m.agent_non_response,
         m.agent_non_response_without_customer_abandons, m.avg_agent_connecting_time, m.gap_time, m.gaps,
         m.status_time
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         LATERAL connect_lake.agent_activity_metrics('DAY', from_day::timestamp AT TIME ZONE z.tz,
                                                     (to_day + 1)::timestamp AT TIME ZONE z.tz, z.tz) m
   ORDER BY 1, 4, 2
$fn$;
COMMENT ON FUNCTION connect_lake.agent_activity_daily(date, date) IS
  'Agent activity per local day (metric_time_zone()) from from_day to to_day, both included, per agent; columns as agent_activity_15min, interval_start being the local midnight that starts the day.';

CREATE VIEW connect_lake.agent_activity_daily AS
  SELECT (d.interval_start AT TIME ZONE connect_lake.metric_time_zone())::date AS day, d.*
    FROM connect_lake.agent_activity_daily('-infinity', 'infinity') d;
COMMENT ON VIEW connect_lake.agent_activity_daily IS
  'Agent activity per local day (metric_time_zone()) and agent, every day (agent_activity_daily(from_day, to_day) for a range): the 15-minute rows re-aggregated exactly.';
COMMENT ON COLUMN connect_lake.agent_activity_daily.day IS 'The local day.';
DO $comments$
DECLARE r record;
BEGIN
  FOR r IN SELECT a.attname, col_description(a.attrelid, a.attnum) AS d
             FROM pg_attribute a
            WHERE a.attrelid = 'connect_lake.agent_activity_15min'::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum LOOP
    EXECUTE format('COMMENT ON COLUMN connect_lake.agent_activity_daily.%I IS %L', r.attname,
                   CASE WHEN r.attname = 'interval_start' THEN 'The local midnight that starts the day.'
                        ELSE 'Of the local day: ' || r.d END);
  END LOOP;
END
$comments$;

-- ---- Privileges: the loader keeps the agent activity as it lands agent events.
GRANT INSERT, UPDATE, DELETE ON connect_lake.agent_activity_interval, connect_lake.agent_status_interval
  TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.agent_activity_apply(text[], timestamptz[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.agent_activity_refresh(timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.agent_activity_upkeep(text[], timestamptz[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.agent_activity_write(text[], timestamptz[], timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.agent_activity_apply(text[], timestamptz[], timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.agent_activity_refresh(timestamptz, timestamptz) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.agent_activity_upkeep(text[], timestamptz[], timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.agent_activity_write(text[], timestamptz[], timestamptz[]) TO connect_lake_loader;
