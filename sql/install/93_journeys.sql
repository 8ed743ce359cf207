-- Journeys: one contact's whole story, and one customer's.
--
-- A contact is a chain of legs (Amazon Connect makes a new contact id for
-- every transfer, queue transfer and callback).  contact_legs() finds them all
-- from any one of them; contact_journey() puts every source's steps of every
-- leg in time order; customer_journey() does the same for all the contacts
-- and cases of one account number.

CREATE FUNCTION connect_lake.contact_legs_ctr(contact uuid)
RETURNS TABLE (leg integer, contactid uuid, initiationtimestamp timestamptz,
               initiationmethod text, channel text, previouscontactid uuid, nextcontactid uuid,
               initialcontactid uuid, has_ctr boolean, ctr connect_lake.ctr_events)
LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 4
AS $fn$
DECLARE
  seen     uuid[] := ARRAY[contact];
  frontier uuid[] := ARRAY[contact];
  have     uuid[] := '{}';
  ctrs     connect_lake.ctr_events[] := '{}';
  got      connect_lake.ctr_events[];
  found    uuid[];
BEGIN
  -- Walk the leg graph breadth first: every pointer of a leg's CTR (and of its
  -- contact events, for a leg whose CTR has not landed yet), and every CTR
  -- that points back to it.  Each CTR is read once, kept whole for the
  -- caller.  A contact has a handful of legs; 1,000 bounds a pathological
  -- chain.
  WHILE cardinality(frontier) > 0 AND cardinality(seen) < 1000 LOOP
    SELECT coalesce(array_agg(x.c), '{}') INTO got
      FROM (SELECT c FROM connect_lake.ctr_events c WHERE c.contactid = ANY (frontier) AND c.contactid <> ALL (have)
            UNION ALL
            SELECT c FROM connect_lake.ctr_events c WHERE c.initialcontactid = ANY (frontier) AND c.contactid <> ALL (have)
            UNION ALL
            SELECT c FROM connect_lake.ctr_events c WHERE c.previouscontactid = ANY (frontier) AND c.contactid <> ALL (have)) x;
    -- a CTR both in the frontier and pointing back at it came twice
    got := ARRAY(SELECT DISTINCT ON (g.contactid, g.initiationtimestamp) g FROM unnest(got) g);
    ctrs := ctrs || got;
    have := have || ARRAY(SELECT g.contactid FROM unnest(got) g);
    SELECT coalesce(array_agg(DISTINCT n.id), '{}') INTO found
      FROM (SELECT unnest(ARRAY[g.contactid, g.initialcontactid, g.previouscontactid, g.nextcontactid]) AS id
              FROM unnest(got) g
            UNION ALL
            SELECT unnest(ARRAY[e.detail_initialcontactid, e.detail_previouscontactid])
              FROM connect_lake.contact_events e WHERE e.detail_contactid = ANY (frontier)) n
     WHERE n.id IS NOT NULL AND n.id <> ALL (seen);
    seen := seen || found;
    frontier := found;
  END LOOP;

  -- (on Citus, the statement below reads a copy of the legs' contact
  -- events, which distribute() points it at: citus_swap_functions())
  IF connect_lake.is_distributed() THEN
    PERFORM connect_lake.citus_fact_rows('connect_lake.contact_events', 'connect_lake_legs_events',
                                         'f.detail_contactid = ANY ($1)', seen);
  END IF;
  RETURN QUERY
    SELECT (row_number() OVER (ORDER BY coalesce(c.initiationtimestamp, e.first_time) NULLS LAST, s.id))::integer,
           s.id, coalesce(c.initiationtimestamp, e.first_time),
           coalesce(c.initiationmethod, e.initiationmethod), coalesce(c.channel, e.channel),
           coalesce(c.previouscontactid, e.previouscontactid), c.nextcontactid,
           coalesce(c.initialcontactid, e.initialcontactid), c.contactid IS NOT NULL, c.r
      FROM unnest(seen) AS s(id)
      LEFT JOIN LATERAL (
             SELECT x.*, x AS r FROM unnest(ctrs) x WHERE x.contactid = s.id
              ORDER BY x.lastupdatetimestamp DESC NULLS LAST LIMIT 1) c ON true
      LEFT JOIN LATERAL (
             SELECT min(coalesce(x.detail_initiationtimestamp, x.time)) AS first_time,
                    min(x.detail_initiationmethod) AS initiationmethod, min(x.detail_channel) AS channel,
                    min(x.detail_previouscontactid::text)::uuid AS previouscontactid,
                    min(x.detail_initialcontactid::text)::uuid AS initialcontactid
               FROM connect_lake.contact_events x WHERE x.detail_contactid = s.id) e ON true
     -- the id asked for is always a leg; another id only when the lake holds something of it
     WHERE s.id = contact OR c.contactid IS NOT NULL OR e.first_time IS NOT NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.contact_legs_ctr(uuid) IS
  'contact_legs() with each leg''s CTR row (NULL while it has not landed), every CTR read once: what contact_journey() reads the legs'' CTRs from.';

CREATE FUNCTION connect_lake.contact_legs(contact uuid)
RETURNS TABLE (leg integer, contactid uuid, initiationtimestamp timestamptz,
               initiationmethod text, channel text, previouscontactid uuid, nextcontactid uuid,
               initialcontactid uuid, has_ctr boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 4
AS $fn$
BEGIN
  RETURN QUERY
    SELECT l.leg, l.contactid, l.initiationtimestamp, l.initiationmethod, l.channel, l.previouscontactid,
           l.nextcontactid, l.initialcontactid, l.has_ctr
      FROM connect_lake.contact_legs_ctr(contact) l;
END
$fn$;
COMMENT ON FUNCTION connect_lake.contact_legs(uuid) IS
  'Every leg of the contact that contact is a leg of (transfers, queue transfers, callbacks), numbered in initiation order: found through the CTRs'' initialcontactid, previouscontactid and nextcontactid (both ways) and the contact events of legs whose CTR has not landed. has_ctr says whether the leg''s CTR is in the lake.';

CREATE FUNCTION connect_lake.contact_journey(contact uuid)
RETURNS TABLE (step_time timestamptz, leg integer, contactid uuid, source text, step text, details jsonb)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 100
AS $fn$
  WITH legs AS MATERIALIZED (
    SELECT * FROM connect_lake.contact_legs_ctr(contact)
  ), ctr AS MATERIALIZED (
    -- each leg's CTR as contact_legs_ctr() read it (once)
    SELECT l.leg, (l.ctr).*
      FROM legs l WHERE l.has_ctr
  ), cases AS MATERIALIZED (
    SELECT DISTINCT l.leg, l.contactid, k.case_id, k.link
      FROM legs l
      JOIN LATERAL (SELECT c.attributes_caseid::text AS case_id, 'attribute'::text AS link
                      FROM ctr c WHERE c.contactid = l.contactid AND c.attributes_caseid IS NOT NULL
                    UNION ALL
                    SELECT r.detail_relateditem_caseid, 'related_item'
                      FROM connect_lake.case_related_items r WHERE r.contactid = l.contactid
                    UNION ALL
                    SELECT cc.case_id, 'profile'
                      FROM connect_lake.contact_case cc WHERE cc.contactid = l.contactid AND cc.link = 'profile') k ON true
  )
  SELECT s.step_time, s.leg, s.contactid, s.source, s.step, s.details
    FROM (
      -- the customer profiles each leg is linked to (contact_profile), at the leg's start
      SELECT l.initiationtimestamp AS step_time, l.leg, l.contactid, 'profile'::text AS source,
             'customer profile ' || coalesce(p.merged_into, cp.profile_id)
               || CASE WHEN p.merged_into IS NOT NULL THEN ' (merged from ' || cp.profile_id || ')' ELSE '' END
               || ' by ' || cp.source AS step,
             jsonb_strip_nulls(jsonb_build_object('profile_id', cp.profile_id,
               'customer', coalesce(p.merged_into, cp.profile_id), 'link', cp.source, 'account', v.account,
               'seen', p.profile_id IS NOT NULL)) AS details,
             0 AS o
        FROM legs l
        JOIN connect_lake.contact_profile cp ON cp.contactid = l.contactid
        LEFT JOIN connect_lake.customer_profile p ON p.profile_id = cp.profile_id
        LEFT JOIN connect_lake.customer_profile v ON v.profile_id = coalesce(p.merged_into, cp.profile_id)
      UNION ALL
      -- the CTR's milestones of each leg
      SELECT m.t, c.leg, c.contactid, 'ctr', m.step, m.details, m.o
        FROM ctr c
        CROSS JOIN LATERAL (VALUES
          (c.initiationtimestamp, 1, 'initiated: ' || coalesce(c.initiationmethod, '?') || ' ' || coalesce(c.channel, '?'),
           jsonb_strip_nulls(jsonb_build_object('initiationmethod', c.initiationmethod, 'channel', c.channel,
             'previouscontactid', c.previouscontactid, 'initialcontactid', c.initialcontactid,
             'customer_endpoint', c.customerendpoint_address, 'system_endpoint', c.systemendpoint_address))),
          (c.queue_enqueuetimestamp, 2, 'queued: ' || coalesce(c.queue_name, c.queue_id::text, '?'),
           jsonb_strip_nulls(jsonb_build_object('queue_id', c.queue_id, 'queue_name', c.queue_name,
             'queue_arn', c.queue_arn))),
          (c.queue_dequeuetimestamp, 3, 'left the queue after ' || coalesce(c.queue_duration::text, '?') || ' s',
           jsonb_strip_nulls(jsonb_build_object('queue_id', c.queue_id, 'duration_s', c.queue_duration))),
          (c.agent_connectedtoagentts, 4, 'connected to agent ' || coalesce(c.agent_username, c.agent_id::text, '?'),
           jsonb_strip_nulls(jsonb_build_object('agent_id', c.agent_id, 'agent_username', c.agent_username,
             'routing_profile', c.agent_routingprofile_name, 'interaction_s', c.agent_agentinteractionduration,
             'hold_s', c.agent_customerholdduration, 'holds', c.agent_numberofholds))),
          (c.transfercompletedtimestamp, 5, 'transferred to ' || coalesce(c.transferredtoendpoint_address, 'another leg'),
           jsonb_strip_nulls(jsonb_build_object('endpoint', c.transferredtoendpoint_address,
             'nextcontactid', c.nextcontactid))),
          (c.disconnecttimestamp, 6, 'disconnected: ' || coalesce(c.disconnectreason, '?'),
           jsonb_strip_nulls(jsonb_build_object('disconnectreason', c.disconnectreason,
             'nextcontactid', c.nextcontactid))),
          (c.agent_aftercontactworkstarttimestamp, 7, 'after-contact work started', NULL::jsonb),
          (c.agent_aftercontactworkendtimestamp, 8, 'after-contact work ended',
           jsonb_strip_nulls(jsonb_build_object('acw_s', c.agent_aftercontactworkduration)))
        ) AS m(t, o, step, details)
       WHERE m.t IS NOT NULL
      UNION ALL
      -- every flow block each leg ran
      SELECT f."timestamp", l.leg, l.contactid, 'flow',
             coalesce(f.contactflowname, f.contactflowid, '?') || ' / ' || coalesce(f.contactflowmoduletype, '?')
               || coalesce(' ' || f.identifier, '') || coalesce(': ' || nullif(f.results, ''), ''),
             jsonb_strip_nulls(jsonb_build_object('flow_id', f.contactflowid, 'flow_name', f.contactflowname,
               'module_type', f.contactflowmoduletype, 'identifier', f.identifier, 'results', f.results,
               'parameters', f.parameters, 'external_results', f.externalresults)),
             10
        FROM legs l JOIN connect_lake.contact_flow_log f ON f.contactid = l.contactid
      UNION ALL
      -- every contact event of each leg
      SELECT e.time, l.leg, l.contactid, 'contact_event', coalesce(e.detail_eventtype, '?'),
             jsonb_strip_nulls(jsonb_build_object('event_id', e.id, 'queue_arn', e.detail_queueinfo_queuearn,
               'agent_arn', e.detail_agentinfo_agentarn, 'updated', e.detail_updatedproperties)),
             20
        FROM legs l JOIN connect_lake.contact_events e ON e.detail_contactid = l.contactid
      UNION ALL
      -- the agent's state changes while the leg was with them (connected to
      -- the end of after-contact work, or the disconnect)
      SELECT a.eventtimestamp, c.leg, c.contactid, 'agent_event',
             a.eventtype || coalesce(': ' || a.agentstatus_name, ''),
             jsonb_strip_nulls(jsonb_build_object('agent_arn', a.agentarn, 'username', a.username,
               'status', a.agentstatus_name, 'contacts', a.contacts)),
             30
        FROM ctr c
        CROSS JOIN LATERAL (
               SELECT * FROM connect_lake.agent_events x
                WHERE x.agentarn = c.agent_arn
                  AND x.eventtimestamp >= c.agent_connectedtoagentts
                  AND x.eventtimestamp <= coalesce(c.agent_aftercontactworkendtimestamp, c.disconnecttimestamp)
                  AND x.eventtype <> 'HEART_BEAT') a
      UNION ALL
      -- the cases linked to a leg, with every event of each
      SELECT ce.detail_approximatechangetime, k.leg, k.contactid, 'case_event',
             coalesce(ce.detail_event_type, '?') || ' ' || ce.detail_case_caseid
               || coalesce(': ' || ce.detail_case_fields_status, ''),
             jsonb_strip_nulls(jsonb_build_object('case_id', ce.detail_case_caseid, 'link', k.link,
               'status', ce.detail_case_fields_status, 'title', ce.detail_case_fields_title,
               'reference_number', ce.detail_case_fields_reference_number,
               'is_complaint', ce.detail_case_fields_is_complaint)),
             40
        FROM cases k JOIN connect_lake.case_events ce ON ce.detail_case_caseid = k.case_id
    ) s
   ORDER BY s.step_time, s.leg, s.o, s.step
$fn$;
COMMENT ON FUNCTION connect_lake.contact_journey(uuid) IS
  'One contact''s whole story in time order, across every leg (contact_legs()) and every source: the customer profiles each leg is linked to (contact_profile, with the surviving profile of a merge), the CTR''s milestones (initiated, queued, left the queue, connected to agent, transferred, disconnected, after-contact work), each flow block with its results, each contact event, the agent''s state changes while the leg was with them, and every event of the cases linked to a leg (caseId attribute, Contact related item, or the leg''s customer profile: contact_case link profile). One row per step; details as jsonb. Shows what exists: a leg without CTR, flow logs or events has only the steps the lake holds.';

CREATE FUNCTION connect_lake.customer_journey(account bigint, from_ts timestamptz DEFAULT '-infinity',
                                              to_ts timestamptz DEFAULT 'infinity')
RETURNS TABLE (step_time timestamptz, contactid uuid, case_id text, source text, step text, details jsonb)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 50
AS $fn$
  WITH profiles AS MATERIALIZED (
    -- the account's customer profiles: those holding the account number,
    -- their survivors and every profile merged into a survivor
    SELECT q.profile_id
      FROM (SELECT coalesce(p.merged_into, p.profile_id) AS survivor FROM connect_lake.customer_profile p
             WHERE p.account = customer_journey.account) s
      JOIN connect_lake.customer_profile q ON q.profile_id = s.survivor
    UNION
    SELECT q.profile_id
      FROM (SELECT coalesce(p.merged_into, p.profile_id) AS survivor FROM connect_lake.customer_profile p
             WHERE p.account = customer_journey.account) s
      JOIN connect_lake.customer_profile q ON q.merged_into = s.survivor
  )
  SELECT s.step_time, s.contactid, s.case_id, s.source, s.step, s.details
    FROM (
      -- each contact of the account, every leg of it (the account attribute
      -- is often set on one leg only), summarised from its CTR
      SELECT c.initiationtimestamp AS step_time, c.contactid, c.attributes_caseid::text AS case_id,
             'contact'::text AS source,
             coalesce(c.initiationmethod, '?') || ' ' || coalesce(c.channel, '?')
               || coalesce(' to ' || c.queue_name, '') || coalesce(', agent ' || c.agent_username, '')
               || coalesce(', ' || c.disconnectreason, '') AS step,
             jsonb_strip_nulls(jsonb_build_object('initialcontactid', c.initialcontactid,
               'previouscontactid', c.previouscontactid, 'queue_id', c.queue_id, 'agent_id', c.agent_id,
               'queue_s', c.queue_duration, 'interaction_s', c.agent_agentinteractionduration,
               'disconnecttimestamp', c.disconnecttimestamp, 'intent', c.attributes_intent)) AS details,
             1 AS o
        FROM (SELECT DISTINCT l.contactid
                FROM (SELECT a.contactid FROM connect_lake.contact_account a
                       WHERE a.account = customer_journey.account
                      UNION
                      SELECT l.contactid FROM profiles f JOIN connect_lake.contact_profile l ON l.profile_id = f.profile_id) a
                CROSS JOIN LATERAL connect_lake.contact_legs(a.contactid) l
               WHERE l.has_ctr) a
        JOIN LATERAL (SELECT * FROM connect_lake.ctr_events x WHERE x.contactid = a.contactid
                       ORDER BY x.lastupdatetimestamp DESC NULLS LAST LIMIT 1) c ON true
       WHERE c.initiationtimestamp >= from_ts AND c.initiationtimestamp < to_ts
      UNION ALL
      -- every event of each case of the account, in the range
      SELECT e.detail_approximatechangetime, NULL, e.detail_case_caseid, 'case_event',
             coalesce(e.detail_event_type, '?') || ' ' || e.detail_case_caseid
               || coalesce(': ' || e.detail_case_fields_status, ''),
             jsonb_strip_nulls(jsonb_build_object('status', e.detail_case_fields_status,
               'title', e.detail_case_fields_title, 'reference_number', e.detail_case_fields_reference_number,
               'is_complaint', e.detail_case_fields_is_complaint, 'level_1', e.detail_case_fields_level_1)),
             2
        FROM (SELECT s.detail_case_caseid FROM connect_lake.case_state s
               WHERE s.account = customer_journey.account
              UNION
              SELECT s.detail_case_caseid FROM profiles f
                JOIN connect_lake.case_state s
                  ON connect_lake.profile_arn_id(s.detail_case_fields_customer_id) = f.profile_id
               WHERE s.detail_case_fields_customer_id IS NOT NULL) k
        JOIN connect_lake.case_events e ON e.detail_case_caseid = k.detail_case_caseid
       WHERE e.detail_approximatechangetime >= from_ts AND e.detail_approximatechangetime < to_ts
    ) s
   ORDER BY s.step_time, s.o, s.contactid, s.case_id
$fn$;
COMMENT ON FUNCTION connect_lake.customer_journey(bigint, timestamptz, timestamptz) IS
  'Every contact (one row per leg, from its CTR) and every case event of one customer account number between from_ts and to_ts, in time order. Contacts are the account''s through contact_account (the account attributes of the CTRs) or through its customer profiles (contact_profile: the profiles holding the account number, with the profiles merged into their survivors), with all their legs (contact_legs()); cases through their account (case_state.account) or their customer_id profile. contact_journey() tells one contact''s story in full.';
