-- Repeat contacts and first-contact resolution.
--
-- A customer is their account number (contact_account; the lowest when a
-- contact names several), else their phone or address (the CTR's customer
-- endpoint).  A contact is a repeat when the same customer contacted before
-- and this contact starts within N working days (default 7, on the default
-- calendar) of the previous one, on any channel.  A chain is a first contact
-- and the repeats that follow it, each within N working days of the one
-- before; its first contact was resolved at first contact when the chain has
-- no repeat.  Only a contact's first leg counts: transfers, queue transfers
-- and callbacks continue a contact, they do not repeat it.

CREATE TABLE connect_lake.repeat_config (
  singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  working_days  integer CHECK (working_days BETWEEN 0 AND 365),
  calendar      text
);
COMMENT ON TABLE connect_lake.repeat_config IS
  'Repeat contact settings (at most one row; a NULL or missing value takes the default): N working days and the calendar they are counted on. A change recomputes contact_repeat.';
COMMENT ON COLUMN connect_lake.repeat_config.singleton IS 'Always true: the table holds one row at most.';
COMMENT ON COLUMN connect_lake.repeat_config.working_days IS 'A contact within this many working days of the customer''s previous one is a repeat; NULL: 7.';
COMMENT ON COLUMN connect_lake.repeat_config.calendar IS 'Calendar of the working days; NULL: default_calendar(). A calendar that does not exist is refused.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.repeat_config', '');

CREATE FUNCTION connect_lake.repeat_working_days() RETURNS integer
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce((SELECT c.working_days FROM connect_lake.repeat_config c), 7) $fn$;
COMMENT ON FUNCTION connect_lake.repeat_working_days() IS 'N of the repeat rule: repeat_config.working_days, default 7.';

CREATE FUNCTION connect_lake.repeat_calendar() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce((SELECT c.calendar FROM connect_lake.repeat_config c), connect_lake.default_calendar()) $fn$;
COMMENT ON FUNCTION connect_lake.repeat_calendar() IS 'Calendar of the repeat rule: repeat_config.calendar, default default_calendar().';

CREATE FUNCTION connect_lake.contact_is_repeat(previous_at timestamptz, initiated_at timestamptz,
                                               working_days integer, calendar text) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT previous_at IS NOT NULL
       AND initiated_at <= connect_lake.working_days_add(previous_at, working_days, calendar)
  $fn$;
COMMENT ON FUNCTION connect_lake.contact_is_repeat(timestamptz, timestamptz, integer, text) IS
  'The repeat rule: a contact initiated at initiated_at repeats the customer''s contact initiated at previous_at when it starts no later than working_days working days after it (working_days_add(), same local clock time) on calendar.';

CREATE TABLE connect_lake.contact_repeat (
  contactid            uuid PRIMARY KEY,
  customer_key         text NOT NULL,
  key_kind             text NOT NULL CHECK (key_kind IN ('account', 'endpoint')),
  initiationtimestamp  timestamptz NOT NULL,
  day                  date NOT NULL,
  channel              text,
  queue_id             uuid,
  agent_id             uuid,
  intent               text,
  previous_contactid   uuid,
  is_repeat            boolean NOT NULL,
  chain_id             uuid NOT NULL,
  chain_seq            integer NOT NULL,
  repeated             boolean NOT NULL
);
CREATE INDEX contact_repeat_customer_idx ON connect_lake.contact_repeat (customer_key, initiationtimestamp);
CREATE INDEX contact_repeat_day_idx ON connect_lake.contact_repeat (day);
COMMENT ON TABLE connect_lake.contact_repeat IS
  'One row per contact (its first leg) of a known customer: the customer, whether it repeats the customer''s previous contact (contact_is_repeat()), its chain, and whether a repeat followed it. Kept by contact_repeat_refresh().';
COMMENT ON COLUMN connect_lake.contact_repeat.contactid IS 'ContactId of the contact''s first leg.';
COMMENT ON COLUMN connect_lake.contact_repeat.customer_key IS 'The customer: the account number, else the customer endpoint (phone or address: personal data).';
COMMENT ON COLUMN connect_lake.contact_repeat.key_kind IS 'account or endpoint.';
COMMENT ON COLUMN connect_lake.contact_repeat.initiationtimestamp IS 'When the contact was initiated.';
COMMENT ON COLUMN connect_lake.contact_repeat.day IS 'Local day (lake_time_zone()) of the initiation.';
COMMENT ON COLUMN connect_lake.contact_repeat.channel IS 'Channel.';
COMMENT ON COLUMN connect_lake.contact_repeat.queue_id IS 'Queue of the leg that reached one (the first such leg).';
COMMENT ON COLUMN connect_lake.contact_repeat.agent_id IS 'Agent of the leg an agent handled (the first such leg).';
COMMENT ON COLUMN connect_lake.contact_repeat.intent IS 'The contact''s intent attribute (attributes_intent of the first leg that has one).';
COMMENT ON COLUMN connect_lake.contact_repeat.previous_contactid IS 'The customer''s previous contact, if any.';
COMMENT ON COLUMN connect_lake.contact_repeat.is_repeat IS 'Within N working days of the previous contact (contact_is_repeat()).';
COMMENT ON COLUMN connect_lake.contact_repeat.chain_id IS 'The first contact of the chain this contact belongs to.';
COMMENT ON COLUMN connect_lake.contact_repeat.chain_seq IS 'Position in the chain, 1 for its first contact.';
COMMENT ON COLUMN connect_lake.contact_repeat.repeated IS 'The customer contacted again within N working days after it.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.contact_repeat', '');

-- The root of a leg: the contact it continues (a transfer's initial
-- contact, a callback's previous one), or itself.
CREATE FUNCTION connect_lake.contact_root(contactid uuid, initialcontactid uuid, previouscontactid uuid,
                                          initiationmethod text) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN initialcontactid IS NOT NULL AND initialcontactid <> contactid THEN initialcontactid
                WHEN previouscontactid IS NOT NULL
                 AND initiationmethod IN ('CALLBACK', 'TRANSFER', 'QUEUE_TRANSFER') THEN previouscontactid
                ELSE contactid END
  $fn$;
COMMENT ON FUNCTION connect_lake.contact_root(uuid, uuid, uuid, text) IS
  'The contact a leg belongs to: its InitialContactId (transfers), else the PreviousContactId of a CALLBACK, TRANSFER or QUEUE_TRANSFER leg, else the leg itself. Only roots count as contacts of a customer in contact_repeat.';

-- Rebuild for contacts (any of their legs) or for everyone.
CREATE FUNCTION connect_lake.contact_repeat_refresh(contact_ids uuid[] DEFAULT NULL) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  SET jit = off
  SET plan_cache_mode = force_custom_plan
  AS $fn$
DECLARE
  n_days  integer := connect_lake.repeat_working_days();
  cal     text := connect_lake.repeat_calendar();
  tz      text := connect_lake.lake_time_zone();
  roots   uuid[];
  keys    text[];
  froms   timestamptz[];
  from_ids uuid[];
  n       bigint;
  planner text[];
BEGIN
  -- The repeats' lock, to the end of the transaction, before the customers'
  -- contacts are read: one upkeep at a time, each reading the rows the one
  -- before it committed.  Two writers' upkeeps side by side each missed the
  -- other's contact of the same customer, and a repeat was kept as none
  -- (test/specs/repeat_upkeep_race.spec; with the metric upkeep on, its own
  -- lock, taken first at the same commit, ordered them already).
  -- Everyone's (a DBA's rebuild, a change of repeat_config): the metrics'
  -- lock (the rollups') first, as the writers take them, the metrics' before
  -- the repeats': a metrics_refresh() after it in the same transaction
  -- waited for a CTR writer's commit that held the metrics' lock and waited
  -- for this one, a deadlock (test/specs/refresh_lock_order.spec).  The
  -- writers' upkeep (contacts given) takes it at the metric upkeep, when on.
  IF contact_ids IS NULL THEN
    PERFORM pg_advisory_xact_lock(1668048237, 0);
  END IF;
  PERFORM pg_advisory_xact_lock(1131164272, 0);
  IF to_regclass('pg_temp.connect_lake_repeat_src') IS NULL THEN
    CREATE TEMP TABLE connect_lake_repeat_src (
      contactid uuid, initiationtimestamp timestamptz, channel text, customer_key text, key_kind text,
      queue_id uuid, agent_id uuid, intent text,
      stored boolean NOT NULL DEFAULT false,    -- a row of contact_repeat, rewritten
      anchor boolean NOT NULL DEFAULT false,    -- the row of contact_repeat before the first change
      a_chain_id uuid, a_chain_seq integer) ON COMMIT DROP;
  END IF;
  TRUNCATE connect_lake_repeat_src;
  -- statistics that make a table look empty (upkeep_stats_stale()): planned
  -- without nested loops and sequential scans, not a scan per contact
  planner := connect_lake.upkeep_plan_guard(ARRAY['connect_lake.ctr_events', 'connect_lake.contact_repeat',
                                            'connect_lake.contact_account']::regclass[]);

  IF contact_ids IS NULL THEN
    -- everyone: each root with what its legs add, in one pass over the CTRs
    INSERT INTO connect_lake_repeat_src
    SELECT l.root, l.initiationtimestamp, l.channel,
           coalesce(a.account::text, l.endpoint), CASE WHEN a.account IS NOT NULL THEN 'account' ELSE 'endpoint' END,
           l.queue_id, l.agent_id, l.intent
      FROM (SELECT g.root,
                   min(g.initiationtimestamp) FILTER (WHERE g.contactid = g.root) AS initiationtimestamp,
                   min(g.channel) FILTER (WHERE g.contactid = g.root) AS channel,
                   min(g.customerendpoint_address) FILTER (WHERE g.contactid = g.root) AS endpoint,
                   (array_agg(g.queue_id ORDER BY g.initiationtimestamp) FILTER (WHERE g.queue_id IS NOT NULL))[1] AS queue_id,
                   (array_agg(g.agent_id ORDER BY g.initiationtimestamp) FILTER (WHERE g.agent_connectedtoagentts IS NOT NULL))[1] AS agent_id,
                   (array_agg(g.attributes_intent ORDER BY g.initiationtimestamp) FILTER (WHERE g.attributes_intent IS NOT NULL))[1] AS intent
              FROM (SELECT c.*, connect_lake.contact_root(c.contactid, c.initialcontactid, c.previouscontactid,
                                                          c.initiationmethod) AS root
                      FROM connect_lake.ctr_events c) g
             GROUP BY g.root) l
      LEFT JOIN (SELECT x.contactid, min(x.account) AS account FROM connect_lake.contact_account x GROUP BY 1) a
        ON a.contactid = l.root
     WHERE l.initiationtimestamp IS NOT NULL;
    TRUNCATE connect_lake.contact_repeat;
  ELSE
    -- the roots of these contacts, their customers (now and as stored), and
    -- every stored contact of those customers
    SELECT array_agg(DISTINCT connect_lake.contact_root(g.contactid, g.initialcontactid, g.previouscontactid, g.initiationmethod))
      INTO roots
      FROM connect_lake.ctr_events g WHERE g.contactid = ANY (contact_ids);
    roots := coalesce(roots, '{}') || contact_ids;
    -- (on Citus, the statement below reads a copy of the roots' legs, which
    -- distribute() points it at: citus_swap_functions())
    IF connect_lake.is_distributed() THEN
      PERFORM connect_lake.citus_fact_rows('connect_lake.ctr_events', 'connect_lake_repeat_ctrs',
                'f.contactid = ANY ($1) OR f.initialcontactid = ANY ($1) OR f.previouscontactid = ANY ($1)', roots);
    END IF;
    INSERT INTO connect_lake_repeat_src
    SELECT f.contactid, f.initiationtimestamp, f.channel,
           coalesce(a.account::text, f.customerendpoint_address), CASE WHEN a.account IS NOT NULL THEN 'account' ELSE 'endpoint' END,
           l.queue_id, l.agent_id, l.intent
      FROM connect_lake.ctr_events f
      -- the lowest account by the primary key's order (min() was planned as a
      -- scan of the account index in order, filtered, once per root: 682 s
      -- when the statistics made contact_account look empty)
      LEFT JOIN LATERAL (SELECT x.account FROM connect_lake.contact_account x
                          WHERE x.contactid = f.contactid ORDER BY x.contactid, x.account LIMIT 1) a ON true
      LEFT JOIN LATERAL (
             SELECT (array_agg(g.queue_id ORDER BY g.initiationtimestamp) FILTER (WHERE g.queue_id IS NOT NULL))[1] AS queue_id,
                    (array_agg(g.agent_id ORDER BY g.initiationtimestamp) FILTER (WHERE g.agent_connectedtoagentts IS NOT NULL))[1] AS agent_id,
                    (array_agg(g.attributes_intent ORDER BY g.initiationtimestamp) FILTER (WHERE g.attributes_intent IS NOT NULL))[1] AS intent
               FROM connect_lake.ctr_events g
              WHERE g.contactid = f.contactid OR g.initialcontactid = f.contactid OR g.previouscontactid = f.contactid) l ON true
     WHERE f.contactid = ANY (roots)
       AND f.contactid = connect_lake.contact_root(f.contactid, f.initialcontactid, f.previouscontactid, f.initiationmethod);
    -- Incremental: per customer, the earliest of these contacts (as landed
    -- or as stored) is where the customer's sequence changes.  Before it
    -- nothing changes but the last contact's "repeated" (its next contact
    -- may be another): that contact is the anchor, read with its chain so
    -- that the contacts after it continue the chain; from there on the
    -- customer's stored contacts are made again with the landed ones.  A
    -- daily load appends: it rewrites the new contacts and one anchor per
    -- customer, not each customer's history.
    SELECT coalesce(array_agg(x.k ORDER BY x.k), '{}'), coalesce(array_agg(x.t ORDER BY x.k), '{}'),
           coalesce(array_agg(x.c ORDER BY x.k), '{}')
      INTO keys, froms, from_ids
      FROM (SELECT DISTINCT ON (y.k) y.k, y.t, y.c
              FROM (SELECT s.customer_key, s.initiationtimestamp, s.contactid FROM connect_lake_repeat_src s
                    UNION ALL
                    SELECT r.customer_key, r.initiationtimestamp, r.contactid FROM connect_lake.contact_repeat r
                     WHERE r.contactid = ANY (roots)) y(k, t, c)
             WHERE y.k IS NOT NULL
             ORDER BY y.k, y.t, y.c) x;
    INSERT INTO connect_lake_repeat_src
    SELECT r.contactid, r.initiationtimestamp, r.channel, r.customer_key, r.key_kind, r.queue_id, r.agent_id, r.intent,
           true, r.anchor, CASE WHEN r.anchor THEN r.chain_id END, CASE WHEN r.anchor THEN r.chain_seq END
      FROM unnest(keys, froms, from_ids) f(k, t, c)
     CROSS JOIN LATERAL (
            (SELECT a.*, true AS anchor FROM connect_lake.contact_repeat a
              WHERE a.customer_key = f.k AND a.initiationtimestamp <= f.t
                AND (a.initiationtimestamp, a.contactid) < (f.t, f.c)
              ORDER BY a.initiationtimestamp DESC, a.contactid DESC LIMIT 1)
            UNION ALL
            (SELECT a.*, false FROM connect_lake.contact_repeat a
              WHERE a.customer_key = f.k AND a.initiationtimestamp >= f.t
                AND (a.initiationtimestamp, a.contactid) >= (f.t, f.c)
                AND a.contactid NOT IN (SELECT unnest(roots)))) r;
    -- their rows locked in one order, so that two writers' upkeeps never
    -- deadlock on them (ingest_batch() sessions commit side by side).  (The
    -- roots joined as a set: "= ANY (roots)" as a filter searched the array
    -- once per row of contact_repeat once plpgsql kept a generic plan, 10 s
    -- a statement for a day of 24,000 contacts.)
    PERFORM 1 FROM connect_lake.contact_repeat r
      WHERE r.contactid IN (SELECT unnest(roots)
                            UNION SELECT s.contactid FROM connect_lake_repeat_src s WHERE s.stored)
      ORDER BY r.customer_key, r.contactid FOR UPDATE;
    DELETE FROM connect_lake.contact_repeat r
     WHERE r.contactid IN (SELECT unnest(roots)
                           UNION SELECT s.contactid FROM connect_lake_repeat_src s WHERE s.stored AND NOT s.anchor);
  END IF;

  -- The sequence of each customer (from its anchor, if any): the anchor's
  -- "repeated" updated, every other contact written.
  WITH k AS MATERIALIZED (
    SELECT k.contactid, k.customer_key, k.key_kind, k.initiationtimestamp,
           (k.initiationtimestamp AT TIME ZONE tz)::date AS day, k.channel, k.queue_id, k.agent_id, k.intent,
           k.previous_contactid, k.is_repeat,
           -- chain 0: the anchor's, continued
           CASE WHEN k.chain_no = 0 THEN first_value(k.a_chain_id) OVER ch ELSE first_value(k.contactid) OVER ch END AS chain_id,
           (CASE WHEN k.chain_no = 0 THEN first_value(k.a_chain_seq) OVER ch - 1 ELSE 0 END
            + row_number() OVER ch)::integer AS chain_seq,
           k.repeated, k.anchor
      FROM (SELECT c.*,
                   -- chains are numbered by the customer's contacts that are not repeats so far
                   count(*) FILTER (WHERE NOT c.is_repeat AND NOT c.anchor)
                     OVER (PARTITION BY c.customer_key ORDER BY c.initiationtimestamp, c.contactid) AS chain_no
              FROM (SELECT p.*,
                           connect_lake.contact_is_repeat(p.previous_at, p.initiationtimestamp, n_days, cal) AS is_repeat,
                           coalesce(connect_lake.contact_is_repeat(p.initiationtimestamp, p.next_at, n_days, cal), false) AS repeated
                      FROM (SELECT s.*,
                                   lag(s.contactid) OVER w AS previous_contactid,
                                   lag(s.initiationtimestamp) OVER w AS previous_at,
                                   lead(s.initiationtimestamp) OVER w AS next_at
                              FROM connect_lake_repeat_src s
                             WHERE s.customer_key IS NOT NULL
                            WINDOW w AS (PARTITION BY s.customer_key ORDER BY s.initiationtimestamp, s.contactid)) p) c) k
    WINDOW ch AS (PARTITION BY k.customer_key, k.chain_no ORDER BY k.initiationtimestamp, k.contactid)),
  upd AS (
    UPDATE connect_lake.contact_repeat r SET repeated = k.repeated
      FROM k
     WHERE k.anchor AND r.contactid = k.contactid AND r.repeated IS DISTINCT FROM k.repeated)
  INSERT INTO connect_lake.contact_repeat
  SELECT k.contactid, k.customer_key, k.key_kind, k.initiationtimestamp, k.day, k.channel, k.queue_id, k.agent_id,
         k.intent, k.previous_contactid, k.is_repeat, k.chain_id, k.chain_seq, k.repeated
    FROM k
   WHERE NOT k.anchor;
  GET DIAGNOSTICS n = ROW_COUNT;
  n := n + (SELECT count(*) FROM connect_lake_repeat_src s WHERE s.anchor);
  -- dropped, not left to ON COMMIT: run by ALTER EXTENSION UPDATE, the
  -- table would be the extension's and could not be dropped at commit
  DROP TABLE connect_lake_repeat_src;
  PERFORM connect_lake.upkeep_plan_restore(planner);
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.contact_repeat_refresh(uuid[]) IS
  'Rebuilds contact_repeat for the customers of these contacts (any leg of them), or for everyone (NULL): each contact''s root leg (contact_root()), ordered per customer, with the repeat rule (contact_is_repeat(), repeat_working_days() on repeat_calendar()) and the chains. Given contacts, only each customer''s contacts from the earliest of them on are made again, and the one before has its repeated flag recomputed. Returns the contacts written or recomputed (loader role). Takes the repeats'' lock to the end of the transaction; for everyone, the metrics'' lock before it (the writers'' order).';

CREATE FUNCTION connect_lake.repeat_config_changed() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF TG_OP <> 'DELETE' AND NEW.calendar IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM connect_lake.calendar c WHERE c.name = NEW.calendar) THEN
    RAISE EXCEPTION 'calendar "%" does not exist', NEW.calendar
      USING ERRCODE = 'foreign_key_violation',
            HINT = 'Name a row of connect_lake.calendar, or leave calendar NULL for default_calendar().';
  END IF;
  PERFORM connect_lake.contact_repeat_refresh();
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.repeat_config_changed() IS 'Trigger function: a change of repeat_config recomputes contact_repeat.';
-- per row: the table holds one row at most, and a restore's COPY of none
-- must not recompute anything
CREATE TRIGGER repeat_config_changed AFTER INSERT OR UPDATE OR DELETE ON connect_lake.repeat_config
  FOR EACH ROW EXECUTE FUNCTION connect_lake.repeat_config_changed();

-- ---- Reading.

CREATE FUNCTION connect_lake.first_contact_resolution(from_day date, to_day date,
                                                      by text DEFAULT 'queue')
RETURNS TABLE (day date, dimension text, contacts bigint, repeats bigint, repeat_rate numeric,
               first_contacts bigint, resolved_first bigint, fcr_rate numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
BEGIN
  IF by IS NULL OR by NOT IN ('queue', 'agent', 'intent', 'channel', 'all') THEN
    RAISE EXCEPTION 'first_contact_resolution: unknown grouping "%"', by
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Group by queue, agent, intent, channel or all.';
  END IF;
  RETURN QUERY
    SELECT r.day,
           CASE by WHEN 'queue' THEN r.queue_id::text WHEN 'agent' THEN r.agent_id::text
                   WHEN 'intent' THEN r.intent WHEN 'channel' THEN r.channel END,
           count(*), count(*) FILTER (WHERE r.is_repeat),
           round(100.0 * count(*) FILTER (WHERE r.is_repeat) / count(*), 2),
           count(*) FILTER (WHERE NOT r.is_repeat),
           count(*) FILTER (WHERE NOT r.is_repeat AND NOT r.repeated),
           round(100.0 * count(*) FILTER (WHERE NOT r.is_repeat AND NOT r.repeated)
                 / nullif(count(*) FILTER (WHERE NOT r.is_repeat), 0), 2)
      FROM connect_lake.contact_repeat r
     WHERE r.day BETWEEN from_day AND to_day
     GROUP BY 1, 2
     ORDER BY 1, 2;
END
$fn$;
COMMENT ON FUNCTION connect_lake.first_contact_resolution(date, date, text) IS
  'Repeat rate and first-contact resolution per local day and queue, agent, intent or channel (by) or all together: contacts, repeats and their rate; first contacts (the first of each chain, counted once) and those resolved at first contact (no repeat within N working days) and their rate. A first contact near the end of the range is resolved only when N working days have passed without a repeat in the lake.';

CREATE VIEW connect_lake.first_contact_resolution_daily AS
  SELECT * FROM connect_lake.first_contact_resolution('-infinity', 'infinity', 'queue');
COMMENT ON VIEW connect_lake.first_contact_resolution_daily IS
  'Repeat rate and first-contact resolution per local day and queue (first_contact_resolution()).';
COMMENT ON COLUMN connect_lake.first_contact_resolution_daily.day IS 'Local day of the contacts'' initiation.';
COMMENT ON COLUMN connect_lake.first_contact_resolution_daily.dimension IS 'The queue id.';
COMMENT ON COLUMN connect_lake.first_contact_resolution_daily.contacts IS 'Contacts (first legs) of known customers.';
COMMENT ON COLUMN connect_lake.first_contact_resolution_daily.repeats IS 'Of them, repeats.';
COMMENT ON COLUMN connect_lake.first_contact_resolution_daily.repeat_rate IS 'Repeats per 100 contacts.';
COMMENT ON COLUMN connect_lake.first_contact_resolution_daily.first_contacts IS 'First contacts of chains.';
COMMENT ON COLUMN connect_lake.first_contact_resolution_daily.resolved_first IS 'First contacts with no repeat within N working days.';
COMMENT ON COLUMN connect_lake.first_contact_resolution_daily.fcr_rate IS 'Resolved at first contact per 100 first contacts.';

CREATE VIEW connect_lake.repeat_chains AS
  SELECT r.chain_id, r.customer_key, r.key_kind, count(*) AS contacts,
         min(r.initiationtimestamp) AS first_at, max(r.initiationtimestamp) AS last_at,
         array_agg(r.contactid ORDER BY r.chain_seq) AS contact_ids,
         array_agg(r.channel ORDER BY r.chain_seq) AS channels,
         array_agg(r.intent ORDER BY r.chain_seq) AS intents
    FROM connect_lake.contact_repeat r
   GROUP BY r.chain_id, r.customer_key, r.key_kind
  HAVING count(*) > 1;
COMMENT ON VIEW connect_lake.repeat_chains IS
  'Chains of repeat contacts: a first contact and the repeats that followed it, each within N working days of the one before, with their contacts in order.';
COMMENT ON COLUMN connect_lake.repeat_chains.chain_id IS 'The first contact of the chain.';
COMMENT ON COLUMN connect_lake.repeat_chains.customer_key IS 'The customer (account number, or customer endpoint).';
COMMENT ON COLUMN connect_lake.repeat_chains.key_kind IS 'account or endpoint.';
COMMENT ON COLUMN connect_lake.repeat_chains.contacts IS 'Contacts in the chain (2 or more).';
COMMENT ON COLUMN connect_lake.repeat_chains.first_at IS 'When the first contact was initiated.';
COMMENT ON COLUMN connect_lake.repeat_chains.last_at IS 'When the last repeat was initiated.';
COMMENT ON COLUMN connect_lake.repeat_chains.contact_ids IS 'The contacts in order.';
COMMENT ON COLUMN connect_lake.repeat_chains.channels IS 'Their channels in order.';
COMMENT ON COLUMN connect_lake.repeat_chains.intents IS 'Their intents in order.';
