-- connect_lake 0.1.0 -> 0.2.0.  Everything sql/install/*.sql changed since
-- 0.1.0, so that an upgraded lake ends up as a fresh 0.2.0 one
-- (test/t/040_upgrade.pl compares them).
\echo Use "ALTER EXTENSION connect_lake UPDATE TO '0.2.0'" to load this file. \quit

-- Errors name where the bad record starts (load_rejects.line / byte_offset)
COMMENT ON COLUMN connect_lake.load_rejects.byte_offset IS 'Byte offset where the record starts in the decompressed stream (where the problem was noticed, when further on, is in reason).';
COMMENT ON COLUMN connect_lake.load_rejects.line IS 'Line where the record starts (its first line when it spans several), where the framing has lines (where the problem was noticed, when further on, is in reason).';

-- ==== Cases: id is the Case ID, the event id moves to event_id, account is an
-- integer, and each case rule is defined once (issue: seed fidelity)

-- What reads the changed columns is dropped here and created again below,
-- as 80_views.sql has it now.
DROP VIEW connect_lake.open_case_backlog, connect_lake.case_current, connect_lake.case_volume_daily,
          connect_lake.complaints_daily, connect_lake.complaints_by_subject, connect_lake.cases_by_category,
          connect_lake.overdue_cases, connect_lake.contact_case;
DROP FUNCTION connect_lake.case_backlog(timestamptz), connect_lake.case_volume_daily(date, date),
              connect_lake.open_case_backlog(date, date), connect_lake.complaints_daily(date, date),
              connect_lake.complaints_by_subject(date, date), connect_lake.cases_by_category(date, date),
              connect_lake.overdue_cases(date, date);
DROP INDEX connect_lake.case_state_open_idx;
DROP STATISTICS connect_lake.case_state_open_stx;

-- The columns, in the order a fresh install declares them: the event id
-- keeps its place as event_id; id (the Case ID) and account (bigint) go last.
ALTER TYPE connect_lake.case_event RENAME ATTRIBUTE id TO event_id CASCADE;
ALTER TYPE connect_lake.case_event ADD ATTRIBUTE id text CASCADE;
ALTER TYPE connect_lake.case_event ADD ATTRIBUTE account_0_2 bigint CASCADE;
ALTER TYPE connect_lake.case_related_item RENAME ATTRIBUTE id TO event_id CASCADE;

-- An account that is not an integer lands NULL, its value kept in
-- detail_case_fields_other under the field id that filled it (0.1.0 took the
-- profile id of customer_id when no field was mapped: that value stays in
-- detail_case_fields_customer_id and is not copied).
DO $upgrade$
DECLARE
  key   text := coalesce((SELECT min(m.field_id) FROM connect_lake.case_field_map m WHERE m.column_name = 'account'),
                         'account');
  kept  bigint;
BEGIN
  UPDATE connect_lake.case_events
     SET id = detail_case_caseid,
         account_0_2 = CASE WHEN btrim(account, E' \t\n\r\f\v') ~ '^[-+]?[0-9]{1,18}$'
                            THEN btrim(account, E' \t\n\r\f\v')::bigint END;
  -- 19 digits: an integer when within bigint's range
  UPDATE connect_lake.case_events
     SET account_0_2 = btrim(account, E' \t\n\r\f\v')::numeric::bigint
   WHERE account_0_2 IS NULL AND btrim(account, E' \t\n\r\f\v') ~ '^[-+]?[0-9]{19}$'
     AND btrim(account, E' \t\n\r\f\v')::numeric BETWEEN -9223372036854775808 AND 9223372036854775807;
  UPDATE connect_lake.case_events
     SET detail_case_fields_other = coalesce(detail_case_fields_other, '{}') || jsonb_build_object(key, account)
   WHERE account IS NOT NULL AND account_0_2 IS NULL
     AND right(detail_case_fields_customer_id, length(account) + 1) IS DISTINCT FROM '/' || account;
  SELECT count(*) INTO kept FROM connect_lake.case_events WHERE account IS NOT NULL AND account_0_2 IS NULL;
  IF kept > 0 THEN
    RAISE WARNING 'connect_lake 0.2.0: % case events had an account that is not an integer: account is NULL, the value is kept in detail_case_fields_other (or in detail_case_fields_customer_id)', kept;
  END IF;
END
$upgrade$;
ALTER TYPE connect_lake.case_event DROP ATTRIBUTE account CASCADE;
ALTER TYPE connect_lake.case_event RENAME ATTRIBUTE account_0_2 TO account CASCADE;
ALTER TABLE connect_lake.case_events ALTER COLUMN id SET NOT NULL;

UPDATE connect_lake.fact_table
   SET key_columns = '{detail_case_caseid,detail_approximatechangetime,event_id}',
       indexes = ARRAY['(event_id)', '(detail_case_createddatetime)', '(account) WHERE account IS NOT NULL',
                       '(meta_enriched_landed_date)']
 WHERE relname = 'case_events';
UPDATE connect_lake.fact_table
   SET key_columns = '{detail_relateditem_caseid,detail_approximatechangetime,event_id}',
       indexes = ARRAY['(event_id)', '(detail_relateditem_relateditemid)', '(contactid) WHERE contactid IS NOT NULL']
 WHERE relname = 'case_related_items';

-- The partitions' indexes as create_partition() now makes them: the event id
-- index named after event_id, the account index (dropped with the old column).
DO $upgrade$
DECLARE
  p record;
BEGIN
  FOR p IN SELECT c.relname, i.relname AS parent
             FROM pg_inherits h
             JOIN pg_class c ON c.oid = h.inhrelid
             JOIN pg_class i ON i.oid = h.inhparent
            WHERE i.oid IN ('connect_lake.case_events'::regclass, 'connect_lake.case_related_items'::regclass)
            ORDER BY 1 LOOP
    IF to_regclass(format('connect_lake.%I', p.relname || '_id_idx')) IS NOT NULL THEN
      EXECUTE format('ALTER INDEX connect_lake.%I RENAME TO %I', p.relname || '_id_idx', p.relname || '_event_id_idx');
    END IF;
    IF p.parent = 'case_events' THEN
      EXECUTE format('CREATE INDEX ON connect_lake.%I (account) WHERE account IS NOT NULL', p.relname);
    END IF;
  END LOOP;
END
$upgrade$;

-- One definition of the columns a case field may fill (the map's CHECK,
-- case_field_map_load() and the loader).
CREATE FUNCTION connect_lake.case_field_column_fillable(column_name name) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT column_name = 'account'
        OR (column_name LIKE 'detail\_case\_fields\_%'
            AND column_name NOT IN ('detail_case_fields_due_date', 'detail_case_fields_is_overdue',
                                    'detail_case_fields_other'))
  $fn$;
COMMENT ON FUNCTION connect_lake.case_field_column_fillable(name) IS
  'Whether a Cases field may fill this case_events column: account, or a detail_case_fields_* column other than due_date, is_overdue and other (which the lake derives).';

ALTER TABLE connect_lake.case_field_map DROP CONSTRAINT case_field_map_column_name_check;
ALTER TABLE connect_lake.case_field_map ADD CONSTRAINT case_field_map_column_name_check
  CHECK (connect_lake.case_field_column_fillable(column_name));
CREATE OR REPLACE FUNCTION connect_lake.case_field_map_load(list_fields jsonb, names jsonb DEFAULT '{}')
RETURNS TABLE (field_id text, field_name text, field_type text, column_name name, action text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  f     jsonb;
  norm  text;
  col   text;
BEGIN
  IF jsonb_typeof(list_fields -> 'fields') IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'ListFields response has no "fields" array'
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass the JSON of aws connectcases list-fields --domain-id ..., e.g. {"fields": [{"fieldId": "...", "name": "...", "type": "Text"}]}.';
  END IF;
  FOR f IN SELECT * FROM jsonb_array_elements(list_fields -> 'fields') LOOP
    field_id   := f ->> 'fieldId';
    field_name := f ->> 'name';
    field_type := f ->> 'type';
    column_name := NULL;
    IF field_id IS NULL THEN
      CONTINUE;
    END IF;
    col := coalesce(names ->> field_name, names ->> field_id);
    IF col IS NULL THEN
      norm := trim(BOTH '_' FROM regexp_replace(lower(coalesce(field_name, '')), '[^a-z0-9]+', '_', 'g'));
      col := CASE WHEN norm IN ('account', 'account_number', 'account_no', 'account_num') THEN 'account'
                  ELSE 'detail_case_fields_' || norm END;
    END IF;
    IF f ->> 'namespace' = 'System'
       OR EXISTS (SELECT 1 FROM pg_attribute a
                   WHERE a.attrelid = 'connect_lake.case_events'::regclass
                     AND a.attname = 'detail_case_fields_' || field_id AND NOT a.attisdropped) THEN
      action := 'system';          -- fills its column without a map
    ELSIF connect_lake.case_field_column_fillable(col)
       AND EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = 'connect_lake.case_events'::regclass
                      AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped) THEN
      column_name := col;
      INSERT INTO connect_lake.case_field_map AS m (field_id, column_name, field_name, field_type)
      VALUES (case_field_map_load.field_id, col, case_field_map_load.field_name, case_field_map_load.field_type)
      ON CONFLICT ON CONSTRAINT case_field_map_pkey DO UPDATE
        SET column_name = excluded.column_name, field_name = excluded.field_name, field_type = excluded.field_type;
      action := 'mapped';
    ELSE
      action := 'unmatched';       -- lands in detail_case_fields_other
    END IF;
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_field_map_load(jsonb, jsonb) IS
  'Fills case_field_map from a saved ListFields response, matching each field to a column by the names argument ({"field name": "column"}) or by its normalised name; returns every field with its column and action (mapped, system, unmatched).';


COMMENT ON COLUMN connect_lake.case_events.event_id IS 'EventBridge event id (de-duplication key).';
COMMENT ON COLUMN connect_lake.case_events.id IS 'Case ID (detail.case.caseId, as detail_case_caseid): COUNT(DISTINCT id) counts cases, as in the warehouse.';
COMMENT ON COLUMN connect_lake.case_events.account IS 'The customer''s account number, an integer: the case field mapped to account, else an integer profile id at the end of customer_id. A value that is not an integer lands NULL and is kept in detail_case_fields_other.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_status IS 'Case field status as Cases writes it (open, closed or a custom status); whether it is open is case_status_is_open(), its display label case_status_label().';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_due_date IS 'Due date when the row landed: case_due_date(created), N working days after creation (connect_lake.case_due_working_days, default 2).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_is_overdue IS 'case_is_overdue() as of meta_enriched_landed_date: open and past its due date when the row landed (live answer: case_current).';
COMMENT ON COLUMN connect_lake.case_related_items.event_id IS 'EventBridge event id (de-duplication key).';
COMMENT ON COLUMN connect_lake.contact_account.account IS 'A customer account number (or Junifer id) named by the contact, an integer as case_events.account; numbers that are not integers stay in the CTR''s attribute only.';
COMMENT ON FUNCTION connect_lake.case_event_parse(jsonb) IS
  'One Cases CASE.* event (detail-type Amazon Connect Cases Change or Cases Event) as a typed connect_lake.case_event row: fields mapped through case_field_map, due date = case_due_date(created), overdue (case_is_overdue()) and landed date as of now. STABLE: reads case_field_map, case_status and the calendar.';

-- ==== Case rules: each defined once
--
-- Whether a case is open, its display status, its due date and whether it is
-- overdue are decided here and nowhere else: the views, the partial index and
-- statistics on case_state, and the loader (C calls case_is_overdue() and
-- case_due_date() for the landing-time columns) all use these functions.
--
-- Which statuses are open is the DBA's: connect_lake.case_status lists
-- statuses (matched case-insensitively) with whether they are open and their
-- display label.  A status it does not list, or lists with is_open NULL,
-- follows the built-in rule: closed and resolved are closed, every other
-- status (and a case without one) is open.  case_status_compile() turns the
-- table into the IMMUTABLE case_status_is_open(), whose body is a constant
-- list the planner inlines and matches against case_state_open_idx; a
-- trigger recompiles it, and makes that index anew, after every change of
-- the table.
CREATE TABLE connect_lake.case_status (
  status   text PRIMARY KEY CHECK (status = lower(status) AND status <> ''),
  is_open  boolean,
  label    text
);
COMMENT ON TABLE connect_lake.case_status IS
  'Case statuses: whether each is open and its display label (the DBA''s; case_status_load() fills it from a saved ListFieldOptions response). Statuses not listed follow the built-in rule: closed and resolved are closed, every other status is open.';
COMMENT ON COLUMN connect_lake.case_status.status IS 'A status value as Cases writes it, lower case (matched case-insensitively).';
COMMENT ON COLUMN connect_lake.case_status.is_open IS 'Whether a case in this status is open; NULL: the built-in rule (closed and resolved are closed, others open).';
COMMENT ON COLUMN connect_lake.case_status.label IS 'Display label (the option''s name in Cases, e.g. Closed); NULL: the status with its first letters capitalised.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.case_status', '');

-- The status as the rules compare it: lower case, a missing status as open.
CREATE FUNCTION connect_lake.case_status_key(status text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT lower(coalesce(status, 'open')) $fn$;
COMMENT ON FUNCTION connect_lake.case_status_key(text) IS
  'A case status as the open rule compares it: lower case, NULL (a case without a status) as open.';

-- Compiled from case_status by case_status_compile() (below); this first body
-- is replaced at once.
CREATE FUNCTION connect_lake.case_status_is_open(status text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT NULL::boolean $fn$;
COMMENT ON FUNCTION connect_lake.case_status_is_open(text) IS
  'Whether a case in this status is open: false for the closed statuses of case_status (by default closed and resolved), true for any other, NULL included. Compiled from case_status (its body is a constant list), so that it stays IMMUTABLE and indexable.';

CREATE FUNCTION connect_lake.case_is_open(event_type text, status text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT event_type IS DISTINCT FROM 'CASE.DELETED' AND connect_lake.case_status_is_open(status) $fn$;
COMMENT ON FUNCTION connect_lake.case_is_open(text, text) IS
  'Whether a case whose latest event has this type and status is open: not deleted (CASE.DELETED) and case_status_is_open(status). The one definition the views, case_state_open_idx and the loader use.';

CREATE FUNCTION connect_lake.case_status_label(status text) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT coalesce((SELECT c.label FROM connect_lake.case_status c WHERE c.status = lower(case_status_label.status)),
                    initcap(replace(status, '_', ' ')))
  $fn$;
COMMENT ON FUNCTION connect_lake.case_status_label(text) IS
  'The display label of a status: its label in case_status, else the status with words capitalised (closed -> Closed, in_progress -> In Progress); NULL for NULL.';

CREATE FUNCTION connect_lake.case_due_date(created timestamptz) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'cl_case_due_date'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.case_due_date(timestamptz) IS
  'When a case created at created falls due: connect_lake.case_due_working_days (default 2) working days later on the default calendar (working_days_add).';

CREATE FUNCTION connect_lake.case_is_overdue(event_type text, status text, created timestamptz,
                                             as_of timestamptz DEFAULT now()) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.case_is_open(event_type, status) AND as_of > connect_lake.case_due_date(created) $fn$;
COMMENT ON FUNCTION connect_lake.case_is_overdue(text, text, timestamptz, timestamptz) IS
  'Whether a case is overdue at as_of (default now): open (case_is_open) and past case_due_date(created).';

CREATE FUNCTION connect_lake.case_status_compile() RETURNS text[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  closed text[];
  body   text;
  idx    text;
BEGIN
  -- The built-in closed statuses, less those the DBA lists as open, plus
  -- those the DBA lists as closed.
  SELECT coalesce(array_agg(x.s ORDER BY x.s), '{}') INTO closed
    FROM (SELECT d.s FROM unnest(ARRAY['closed', 'resolved']) AS d(s)
           WHERE NOT EXISTS (SELECT FROM connect_lake.case_status c WHERE c.status = d.s AND c.is_open IS NOT NULL)
          UNION
          SELECT c.status FROM connect_lake.case_status c WHERE NOT c.is_open) AS x(s);
  body := format(' SELECT connect_lake.case_status_key(status) <> ALL (%L::text[]) ', closed);
  IF body IS DISTINCT FROM (SELECT p.prosrc FROM pg_proc p
                             WHERE p.oid = 'connect_lake.case_status_is_open(text)'::regprocedure) THEN
    EXECUTE format('CREATE OR REPLACE FUNCTION connect_lake.case_status_is_open(status text) RETURNS boolean'
                   ' LANGUAGE sql IMMUTABLE PARALLEL SAFE AS %L', body);
    -- The partial index holds the rule's results.  It is made anew rather
    -- than reindexed: a backend keeps an index's predicate with the rule
    -- inlined (relcache), and would rebuild and maintain it by the old rule.
    -- (The statistics are on case_status_key(), which does not change.)
    idx := pg_get_indexdef(to_regclass('connect_lake.case_state_open_idx'));
    IF idx IS NOT NULL THEN
      DROP INDEX connect_lake.case_state_open_idx;
      EXECUTE idx;
    END IF;
  END IF;
  RETURN closed;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_status_compile() IS
  'Compiles case_status into case_status_is_open() and, when the closed statuses changed, makes case_state_open_idx anew; returns the closed statuses. Run by a trigger after every change of case_status.';

CREATE FUNCTION connect_lake.case_status_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM connect_lake.case_status_compile();
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_status_changed() IS
  'Trigger of case_status: recompiles the open rule (case_status_compile()).';
CREATE TRIGGER case_status_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.case_status
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_status_changed();

-- Fill case_status from a saved ListFieldOptions response of the status field
-- (aws connectcases list-field-options --domain-id ... --field-id status:
-- {"options": [{"name": "Closed", "value": "closed", "active": true}, ...]},
-- every page's options in one array): the labels, and with `closed` the
-- statuses that are closed (the others then open); without it, is_open is
-- left as it was (NULL, the built-in rule, for a new status).
CREATE FUNCTION connect_lake.case_status_load(list_field_options jsonb, closed text[] DEFAULT NULL)
RETURNS TABLE (status text, label text, is_open boolean, action text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  st  text[];
  lb  text[];
  ins boolean[];
BEGIN
  IF jsonb_typeof(list_field_options -> 'options') IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'ListFieldOptions response has no "options" array'
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass the JSON of aws connectcases list-field-options --domain-id ... --field-id status, e.g. {"options": [{"name": "Closed", "value": "closed", "active": true}]}.';
  END IF;
  -- one statement, so that the open rule is recompiled once
  WITH opt AS (
    SELECT DISTINCT ON (lower(o ->> 'value')) lower(o ->> 'value') AS s, o ->> 'name' AS l
      FROM jsonb_array_elements(list_field_options -> 'options') AS o
     WHERE jsonb_typeof(o) = 'object' AND coalesce(o ->> 'value', '') <> ''
     ORDER BY lower(o ->> 'value')
  ), up AS (
    INSERT INTO connect_lake.case_status AS c (status, is_open, label)
    SELECT opt.s, CASE WHEN closed IS NOT NULL THEN opt.s <> ALL (SELECT lower(x) FROM unnest(closed) AS x) END, opt.l
      FROM opt
    ON CONFLICT ON CONSTRAINT case_status_pkey DO UPDATE
       SET label = excluded.label,
           is_open = CASE WHEN closed IS NOT NULL THEN excluded.is_open ELSE c.is_open END
    RETURNING c.status AS s, c.label AS l, c.xmax = 0 AS ins
  )
  SELECT array_agg(up.s ORDER BY up.s), array_agg(up.l ORDER BY up.s), array_agg(up.ins ORDER BY up.s)
    INTO st, lb, ins FROM up;
  -- the next statement sees the rule recompiled by the trigger
  RETURN QUERY
  SELECT u.s, u.l, connect_lake.case_status_is_open(u.s), CASE WHEN u.i THEN 'inserted' ELSE 'updated' END
    FROM unnest(st, lb, ins) AS u(s, l, i);
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_status_load(jsonb, text[]) IS
  'Fills case_status from a saved ListFieldOptions response of the status field: each option''s value and label, and with closed the statuses that are closed (the others open); returns every status with whether it is now open.';


-- case_state: its open index and statistics by the rule, the account index
-- again, and its rows rebuilt from the events (the new id, account and
-- other columns).
TRUNCATE connect_lake.case_state;
ALTER TABLE connect_lake.case_state ALTER COLUMN id SET NOT NULL;
CREATE INDEX case_state_open_idx ON connect_lake.case_state (detail_case_createddatetime)
  INCLUDE (detail_case_fields_is_complaint)
  WHERE connect_lake.case_is_open(detail_event_type, detail_case_fields_status);
CREATE INDEX case_state_account_idx ON connect_lake.case_state (account) WHERE account IS NOT NULL;
CREATE STATISTICS connect_lake.case_state_open_stx ON (connect_lake.case_status_key(detail_case_fields_status))
  FROM connect_lake.case_state;
DO $comments$
DECLARE r record;
BEGIN
  FOR r IN SELECT a.attname, col_description(a.attrelid, a.attnum) AS d
             FROM pg_attribute a
            WHERE a.attrelid = 'connect_lake.case_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped LOOP
    EXECUTE format('COMMENT ON COLUMN connect_lake.case_state.%I IS %L', r.attname, 'Of the case''s latest event: ' || r.d);
  END LOOP;
END
$comments$;
SELECT connect_lake.case_status_compile();

CREATE OR REPLACE FUNCTION connect_lake.case_state_refresh(since timestamptz DEFAULT '-infinity', case_ids text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  changed bigint;
BEGIN
  -- Planned per call (EXECUTE): the index on meta_enriched_landed_date for a
  -- since, the partitions' keys for a list of cases.
  EXECUTE format($q$
  WITH latest AS (
    SELECT DISTINCT ON (e.detail_case_caseid) e
      FROM connect_lake.case_events e
     WHERE %s
     ORDER BY e.detail_case_caseid, e.detail_approximatechangetime DESC, e.event_id DESC
  ), merged AS (
    -- A CASE.DELETED event that carries no fields keeps the fields of the
    -- case's latest event that has them: only its event columns change.
    SELECT CASE WHEN p.f IS NULL THEN l.e
                ELSE jsonb_populate_record(p.f, jsonb_build_object(
                       'event_id', (l.e).event_id, 'detail_approximatechangetime', (l.e).detail_approximatechangetime,
                       'detail_event_type', (l.e).detail_event_type,
                       'detail_changedfieldids', (l.e).detail_changedfieldids,
                       'detail_performedby_userarn', (l.e).detail_performedby_userarn,
                       'detail_performedby_iamprincipalarn', (l.e).detail_performedby_iamprincipalarn,
                       'detail_type', (l.e).detail_type, 'time', (l.e)."time",
                       'source_file', (l.e).source_file, 'source_offset', (l.e).source_offset,
                       'meta_enriched_landed_date', (l.e).meta_enriched_landed_date)) END AS r
      FROM latest l
      LEFT JOIN LATERAL (
        SELECT f FROM connect_lake.case_events f
         WHERE (l.e).detail_event_type = 'CASE.DELETED' AND (l.e).detail_case_createddatetime IS NULL
           AND f.detail_case_caseid = (l.e).detail_case_caseid AND f.detail_case_createddatetime IS NOT NULL
         ORDER BY f.detail_approximatechangetime DESC, f.event_id DESC LIMIT 1) p ON true
  ), up AS (
    INSERT INTO connect_lake.case_state AS s
    SELECT (m.r).* FROM merged m
    ON CONFLICT (detail_case_caseid) DO UPDATE
       SET (event_id, detail_approximatechangetime, detail_event_type, detail_case_createddatetime,
            detail_case_templateid, detail_case_fields_status, detail_case_fields_title,
            detail_case_fields_description, detail_case_fields_summary, detail_case_fields_reference_number,
            detail_case_fields_customer_id, detail_case_fields_level_1, detail_case_fields_level_2,
            detail_case_fields_level_3, detail_case_fields_case_reason, detail_case_fields_assigned_user,
            detail_case_fields_assigned_agent_name, detail_case_fields_assigned_queue,
            detail_case_fields_queue_name, detail_case_fields_is_complaint, detail_case_fields_complaint_status,
            detail_case_fields_complaint_type, detail_case_fields_complaint_subject,
            detail_case_fields_complaint_subject_2, detail_case_fields_complaint_reason,
            detail_case_fields_complaint_goodwill_amount, detail_case_fields_complaint_resolved,
            detail_case_fields_ombudsman_case, detail_case_fields_original_creation_date,
            detail_case_fields_last_updated_datetime, detail_case_fields_last_closed_datetime,
            detail_case_fields_last_reopened_datetime, detail_case_fields_due_date,
            detail_case_fields_is_overdue, detail_case_fields_other, detail_changedfieldids,
            detail_performedby_userarn, detail_performedby_iamprincipalarn, detail_version, detail_type,
            source, aws_account, "time", region, resources, extra, source_file, source_offset,
            meta_enriched_landed_date, id, account)
         = (excluded.event_id, excluded.detail_approximatechangetime, excluded.detail_event_type,
            excluded.detail_case_createddatetime, excluded.detail_case_templateid, excluded.detail_case_fields_status,
            excluded.detail_case_fields_title, excluded.detail_case_fields_description,
            excluded.detail_case_fields_summary, excluded.detail_case_fields_reference_number,
            excluded.detail_case_fields_customer_id, excluded.detail_case_fields_level_1,
            excluded.detail_case_fields_level_2, excluded.detail_case_fields_level_3,
            excluded.detail_case_fields_case_reason, excluded.detail_case_fields_assigned_user,
            excluded.detail_case_fields_assigned_agent_name, excluded.detail_case_fields_assigned_queue,
            excluded.detail_case_fields_queue_name, excluded.detail_case_fields_is_complaint,
            excluded.detail_case_fields_complaint_status, excluded.detail_case_fields_complaint_type,
            excluded.detail_case_fields_complaint_subject, excluded.detail_case_fields_complaint_subject_2,
            excluded.detail_case_fields_complaint_reason, excluded.detail_case_fields_complaint_goodwill_amount,
            excluded.detail_case_fields_complaint_resolved, excluded.detail_case_fields_ombudsman_case,
            excluded.detail_case_fields_original_creation_date, excluded.detail_case_fields_last_updated_datetime,
            excluded.detail_case_fields_last_closed_datetime, excluded.detail_case_fields_last_reopened_datetime,
            excluded.detail_case_fields_due_date, excluded.detail_case_fields_is_overdue,
            excluded.detail_case_fields_other, excluded.detail_changedfieldids, excluded.detail_performedby_userarn,
            excluded.detail_performedby_iamprincipalarn, excluded.detail_version, excluded.detail_type,
            excluded.source, excluded.aws_account, excluded."time", excluded.region, excluded.resources,
            excluded.extra, excluded.source_file, excluded.source_offset, excluded.meta_enriched_landed_date,
            excluded.id, excluded.account)
     WHERE (s.detail_approximatechangetime, s.event_id) < (excluded.detail_approximatechangetime, excluded.event_id)
    RETURNING 1
  )
  SELECT count(*) FROM up
  $q$, CASE WHEN case_ids IS NULL THEN 'e.meta_enriched_landed_date >= $1'
            ELSE 'e.detail_case_caseid = ANY ($2) AND e.meta_enriched_landed_date >= $1' END)
  INTO changed USING since, case_ids;
  RETURN changed;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_state_refresh(timestamptz, text[]) IS
  'Brings case_state up to date with the case events that landed at or after since (default: all), or with the events of the cases listed; returns the cases whose state changed. ingest() and load() run it (for the cases they wrote) after landing case events; run it after hand-written INSERTs into case_events.';


-- The landing-time due date and overdue flag, by the rules as of when each
-- event landed (what a fresh lake's loader computes).
UPDATE connect_lake.case_events
   SET detail_case_fields_due_date = connect_lake.case_due_date(detail_case_createddatetime),
       detail_case_fields_is_overdue = connect_lake.case_is_overdue(detail_event_type, detail_case_fields_status,
                                                                   detail_case_createddatetime, meta_enriched_landed_date)
 WHERE detail_case_createddatetime IS NOT NULL;
SELECT connect_lake.case_state_refresh();

-- contact_account.account is an integer: links by other numbers go (the
-- number stays in the CTR's attribute).
DO $upgrade$
DECLARE
  gone bigint;
BEGIN
  DELETE FROM connect_lake.contact_account WHERE NOT (btrim(account) ~ '^[-+]?[0-9]{1,18}$');
  GET DIAGNOSTICS gone = ROW_COUNT;
  IF gone > 0 THEN
    RAISE WARNING 'connect_lake 0.2.0: % contact_account links by an account number that is not an integer removed (the number stays in ctr_events)', gone;
  END IF;
END
$upgrade$;
ALTER TABLE connect_lake.contact_account ALTER COLUMN account TYPE bigint USING btrim(account)::bigint;

-- load() and ingest_batch() return values_nulled.
DROP FUNCTION connect_lake.load(text, text, text, text, text);
CREATE FUNCTION connect_lake.load(
    kind        text,
    path        text,
    on_error    text DEFAULT 'stop',
    format      text DEFAULT 'auto',
    compression text DEFAULT 'auto',
    OUT files_seen    bigint,
    OUT files_loaded  bigint,
    OUT files_skipped bigint,
    OUT files_failed  bigint,
    OUT records_read  bigint,
    OUT inserted      bigint,
    OUT updated       bigint,
    OUT duplicates    bigint,
    OUT rejected      bigint,
    OUT values_nulled bigint,
    OUT bytes         bigint,
    OUT seconds       double precision,
    OUT error         text)
RETURNS record
AS 'MODULE_PATHNAME', 'connect_lake_load'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION connect_lake.load(text, text, text, text, text) IS
  'Lands every record of kind in the files under path (file, directory or glob; any framing, gzip or not) in the lake; files already loaded unchanged are skipped (load_manifest), each file lands all or nothing; on_error stop|skip (bad records to load_rejects); values_nulled counts values that landed NULL because their column cannot hold them, kept raw beside (a case account that is not an integer). Needs pg_read_server_files.';

DROP FUNCTION connect_lake.ingest_batch(text, jsonb[]);
CREATE FUNCTION connect_lake.ingest_batch(kind text, docs jsonb[],
                                    OUT inserted bigint, OUT updated bigint, OUT duplicates bigint,
                                    OUT values_nulled bigint)
  AS 'MODULE_PATHNAME', 'cl_ingest_array'
  LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION connect_lake.ingest_batch(text, jsonb[]) IS
  'Lands a micro-batch of records of one kind (e.g. one Kinesis batch) in batched statements; returns how many were inserted, updated (newer CTR versions) and duplicates, and how many values landed NULL because their column cannot hold them, kept raw beside (a case account that is not an integer). A bad record fails the call (loader role).';

REVOKE ALL ON FUNCTION connect_lake.ingest_batch(text, jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.ingest_batch(text, jsonb[]) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.load(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.load(text, text, text, text, text) TO connect_lake_loader;

-- The views and functions of 80_views.sql (lake_time_zone() is unchanged).
CREATE VIEW connect_lake.case_current AS
SELECT s.detail_case_caseid                         AS case_id,
       s.account,
       s.detail_case_fields_status                  AS status,
       connect_lake.case_status_label(s.detail_case_fields_status) AS status_label,
       connect_lake.case_status_is_open(s.detail_case_fields_status) AS is_open,
       s.detail_case_fields_title                   AS title,
       s.detail_case_fields_summary                 AS summary,
       s.detail_case_fields_case_reason             AS case_reason,
       s.detail_case_fields_reference_number        AS reference_number,
       s.detail_case_fields_customer_id             AS customer_id,
       s.detail_case_fields_level_1                 AS level_1,
       s.detail_case_fields_level_2                 AS level_2,
       s.detail_case_fields_level_3                 AS level_3,
       s.detail_case_fields_assigned_user           AS assigned_user,
       s.detail_case_fields_assigned_agent_name     AS assigned_agent_name,
       s.detail_case_fields_assigned_queue          AS assigned_queue,
       s.detail_case_fields_queue_name              AS queue_name,
       s.detail_case_fields_is_complaint            AS is_complaint,
       s.detail_case_fields_complaint_status        AS complaint_status,
       s.detail_case_fields_complaint_type          AS complaint_type,
       s.detail_case_fields_complaint_subject       AS complaint_subject,
       s.detail_case_fields_complaint_subject_2     AS complaint_subject_2,
       s.detail_case_fields_complaint_reason        AS complaint_reason,
       s.detail_case_fields_complaint_goodwill_amount AS complaint_goodwill_amount,
       s.detail_case_fields_complaint_resolved      AS complaint_resolved,
       s.detail_case_fields_ombudsman_case          AS ombudsman_case,
       s.detail_case_createddatetime                AS created_at,
       s.detail_case_fields_last_updated_datetime   AS last_updated_at,
       s.detail_case_fields_last_closed_datetime    AS last_closed_at,
       s.detail_case_fields_last_reopened_datetime  AS last_reopened_at,
       connect_lake.case_due_date(s.detail_case_createddatetime) AS due_date,
       connect_lake.case_is_overdue(s.detail_event_type, s.detail_case_fields_status,
                                    s.detail_case_createddatetime) AS is_overdue,
       s.detail_case_fields_other                   AS other_fields,
       s.detail_approximatechangetime               AS last_change_at,
       s.event_id                                   AS last_event_id,
       s.detail_event_type                          AS last_event_type
  FROM connect_lake.case_state s
 WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED';

COMMENT ON VIEW connect_lake.case_current IS
  'One row per case that is not deleted: its latest state by approximateChangeTime, with its display status, whether it is open (case_status), its due date and whether it is overdue now (case_due_date, case_is_overdue).';
COMMENT ON COLUMN connect_lake.case_current.case_id IS 'Case id (detail.case.caseId).';
COMMENT ON COLUMN connect_lake.case_current.account IS 'The customer''s account number (mapped account field, else the Customer Profiles profile id).';
COMMENT ON COLUMN connect_lake.case_current.status IS 'Case status as Cases writes it: open, closed or a custom status.';
COMMENT ON COLUMN connect_lake.case_current.status_label IS 'The status''s display label (case_status_label(): case_status.label, else the status capitalised).';
COMMENT ON COLUMN connect_lake.case_current.is_open IS 'Whether the status is open (case_status_is_open(): closed and resolved are not, unless case_status says otherwise).';
COMMENT ON COLUMN connect_lake.case_current.title IS 'Case title.';
COMMENT ON COLUMN connect_lake.case_current.summary IS 'Case summary.';
COMMENT ON COLUMN connect_lake.case_current.case_reason IS 'Case reason.';
COMMENT ON COLUMN connect_lake.case_current.reference_number IS 'Case reference number.';
COMMENT ON COLUMN connect_lake.case_current.customer_id IS 'Customer Profiles ARN of the customer.';
COMMENT ON COLUMN connect_lake.case_current.level_1 IS 'Level 1 category.';
COMMENT ON COLUMN connect_lake.case_current.level_2 IS 'Level 2 category.';
COMMENT ON COLUMN connect_lake.case_current.level_3 IS 'Level 3 category.';
COMMENT ON COLUMN connect_lake.case_current.assigned_user IS 'Assigned user ARN.';
COMMENT ON COLUMN connect_lake.case_current.assigned_agent_name IS 'Assigned agent''s name.';
COMMENT ON COLUMN connect_lake.case_current.assigned_queue IS 'Assigned queue.';
COMMENT ON COLUMN connect_lake.case_current.queue_name IS 'Queue name.';
COMMENT ON COLUMN connect_lake.case_current.is_complaint IS 'Whether the case is a complaint (NULL: field not set).';
COMMENT ON COLUMN connect_lake.case_current.complaint_status IS 'Complaint status.';
COMMENT ON COLUMN connect_lake.case_current.complaint_type IS 'Complaint type.';
COMMENT ON COLUMN connect_lake.case_current.complaint_subject IS 'Complaint subject.';
COMMENT ON COLUMN connect_lake.case_current.complaint_subject_2 IS 'Complaint secondary subject.';
COMMENT ON COLUMN connect_lake.case_current.complaint_reason IS 'Complaint reason.';
COMMENT ON COLUMN connect_lake.case_current.complaint_goodwill_amount IS 'Goodwill paid on the complaint.';
COMMENT ON COLUMN connect_lake.case_current.complaint_resolved IS 'Whether the complaint is resolved.';
COMMENT ON COLUMN connect_lake.case_current.ombudsman_case IS 'Whether the complaint went to the ombudsman.';
COMMENT ON COLUMN connect_lake.case_current.created_at IS 'When the case was created.';
COMMENT ON COLUMN connect_lake.case_current.last_updated_at IS 'Case field last_updated_datetime.';
COMMENT ON COLUMN connect_lake.case_current.last_closed_at IS 'Case field last_closed_datetime.';
COMMENT ON COLUMN connect_lake.case_current.last_reopened_at IS 'When the case was last reopened.';
COMMENT ON COLUMN connect_lake.case_current.due_date IS 'case_due_date(created_at): connect_lake.case_due_working_days (default 2) working days after creation on the default calendar (computed live).';
COMMENT ON COLUMN connect_lake.case_current.is_overdue IS 'Open and past its due date now (case_is_overdue(), live).';
COMMENT ON COLUMN connect_lake.case_current.other_fields IS 'Case fields without a column, keyed by field id.';
COMMENT ON COLUMN connect_lake.case_current.last_change_at IS 'approximateChangeTime of the case''s latest event.';
COMMENT ON COLUMN connect_lake.case_current.last_event_id IS 'EventBridge id of the case''s latest event.';
COMMENT ON COLUMN connect_lake.case_current.last_event_type IS 'Type of the case''s latest event: CASE.CREATED or CASE.UPDATED.';

-- ---- Case statuses: every status of the cases and of case_status, so that
-- a status never configured shows up with its count.
CREATE VIEW connect_lake.case_statuses AS
  SELECT coalesce(v.status, c.status) AS status,
         connect_lake.case_status_label(coalesce(v.status, c.status)) AS label,
         connect_lake.case_status_is_open(coalesce(v.status, c.status)) AS is_open,
         c.status IS NOT NULL AS configured,
         coalesce(v.cases, 0) AS cases,
         v.last_change_at
    FROM (SELECT lower(s.detail_case_fields_status) AS status, count(*) AS cases,
                 max(s.detail_approximatechangetime) AS last_change_at
            FROM connect_lake.case_state s
           WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
           GROUP BY 1) v
    FULL JOIN connect_lake.case_status c ON c.status = v.status;
COMMENT ON VIEW connect_lake.case_statuses IS
  'Every case status in use (cases not deleted, by their latest event) or configured in case_status: its label, whether it is open, whether the DBA configured it, and how many cases are in it. A status nobody configured is open unless it is closed or resolved: this view shows it.';
COMMENT ON COLUMN connect_lake.case_statuses.status IS 'The status, lower case (NULL: cases whose events carry no status).';
COMMENT ON COLUMN connect_lake.case_statuses.label IS 'Its display label (case_status_label()).';
COMMENT ON COLUMN connect_lake.case_statuses.is_open IS 'Whether a case in it is open (case_status_is_open()).';
COMMENT ON COLUMN connect_lake.case_statuses.configured IS 'Whether case_status lists it.';
COMMENT ON COLUMN connect_lake.case_statuses.cases IS 'Cases (not deleted) whose latest event has this status.';
COMMENT ON COLUMN connect_lake.case_statuses.last_change_at IS 'The latest change of such a case.';

-- The open cases as they stood at a moment, from the event history.
CREATE FUNCTION connect_lake.case_backlog(as_of timestamptz)
RETURNS TABLE (case_id text, account bigint, status text, title text, level_1 text,
               is_complaint boolean, created_at timestamptz, last_change_at timestamptz,
               due_date timestamptz, was_overdue boolean)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  -- A case whose latest event is at or before as_of stood then as it stands
  -- now (case_state, through its index of open cases); only the cases that
  -- changed since need the history: for each, its latest event at or before
  -- as_of, looked up by the partitions' key from the case's creation month on.
  SELECT l.detail_case_caseid, l.account, l.detail_case_fields_status, l.detail_case_fields_title,
         l.detail_case_fields_level_1, l.detail_case_fields_is_complaint, l.detail_case_createddatetime,
         l.detail_approximatechangetime,
         connect_lake.case_due_date(l.detail_case_createddatetime),
         connect_lake.case_is_overdue(l.detail_event_type, l.detail_case_fields_status,
                                      l.detail_case_createddatetime, as_of)
    FROM (SELECT s.detail_case_caseid, s.detail_approximatechangetime, s.detail_event_type, s.account,
                 s.detail_case_fields_status, s.detail_case_fields_title, s.detail_case_fields_level_1,
                 s.detail_case_fields_is_complaint, s.detail_case_createddatetime
            FROM connect_lake.case_state s
           WHERE s.detail_approximatechangetime <= as_of
             AND connect_lake.case_is_open(s.detail_event_type, s.detail_case_fields_status)
          UNION ALL
          SELECT h.*
            FROM connect_lake.case_state s
           CROSS JOIN LATERAL (
                 SELECT e.detail_case_caseid, e.detail_approximatechangetime, e.detail_event_type, e.account,
                        e.detail_case_fields_status, e.detail_case_fields_title, e.detail_case_fields_level_1,
                        e.detail_case_fields_is_complaint, e.detail_case_createddatetime
                   FROM connect_lake.case_events e
                  WHERE e.detail_case_caseid = s.detail_case_caseid
                    AND e.detail_approximatechangetime <= as_of
                    AND e.detail_approximatechangetime
                        >= coalesce(s.detail_case_createddatetime - interval '1 day', '-infinity')
                  ORDER BY e.detail_approximatechangetime DESC, e.event_id DESC
                  LIMIT 1) h
           WHERE s.detail_approximatechangetime > as_of
             AND coalesce(s.detail_case_createddatetime, '-infinity') <= as_of + interval '1 day') l
   WHERE connect_lake.case_is_open(l.detail_event_type, l.detail_case_fields_status)
   ORDER BY l.detail_case_createddatetime, l.detail_case_caseid
$fn$;
COMMENT ON FUNCTION connect_lake.case_backlog(timestamptz) IS
  'The cases open at as_of, as they stood then (each case''s latest event at or before as_of, not closed, not deleted), with whether each was overdue then. Reads case_state for the cases unchanged since as_of and the history for the others.';

-- ---- Cases created per day
CREATE FUNCTION connect_lake.case_volume_daily(from_day date, to_day date)
RETURNS TABLE (day date, cases_created bigint, deleted bigint, complaints bigint, still_open bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  -- Counted per 15 minutes first (every zone's offset is a multiple of 15
  -- minutes, so each quarter hour lies within one local day), then per day:
  -- a time zone conversion per quarter hour rather than per case.
  SELECT (q.quarter AT TIME ZONE z.tz)::date, sum(q.n)::bigint, sum(q.deleted)::bigint,
         sum(q.complaints)::bigint, sum(q.open)::bigint
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z,
         LATERAL (
           SELECT date_bin('15 minutes', s.detail_case_createddatetime, timestamptz '2000-01-01 00:00+00') AS quarter,
                  count(*) AS n,
                  count(*) FILTER (WHERE s.detail_event_type = 'CASE.DELETED') AS deleted,
                  count(*) FILTER (WHERE s.detail_case_fields_is_complaint) AS complaints,
                  count(*) FILTER (WHERE connect_lake.case_is_open(s.detail_event_type, s.detail_case_fields_status)) AS open
             FROM connect_lake.case_state s
            WHERE s.detail_case_createddatetime >= (from_day::timestamp AT TIME ZONE z.tz)
              AND s.detail_case_createddatetime < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
            GROUP BY 1) q
   GROUP BY 1 ORDER BY 1
$fn$;
COMMENT ON FUNCTION connect_lake.case_volume_daily(date, date) IS
  'Cases created per local day from from_day to to_day (both included; days without cases are absent), deleted ones included (and counted apart), with how many are complaints and how many are still open.';
CREATE VIEW connect_lake.case_volume_daily AS
  SELECT * FROM connect_lake.case_volume_daily('-infinity', 'infinity');
COMMENT ON VIEW connect_lake.case_volume_daily IS 'Cases created per local day, every day (case_volume_daily(from_day, to_day) for a range).';
COMMENT ON COLUMN connect_lake.case_volume_daily.day IS 'Local day (lake_time_zone()) the cases were created.';
COMMENT ON COLUMN connect_lake.case_volume_daily.cases_created IS 'Cases created that day (CASE.CREATED), deleted ones included.';
COMMENT ON COLUMN connect_lake.case_volume_daily.deleted IS 'Of them, deleted since.';
COMMENT ON COLUMN connect_lake.case_volume_daily.complaints IS 'Of them, complaints.';
COMMENT ON COLUMN connect_lake.case_volume_daily.still_open IS 'Of them, still open now.';

-- ---- Open backlog
CREATE VIEW connect_lake.open_case_backlog AS
  SELECT count(*) AS open_cases,
         count(*) FILTER (WHERE c.is_overdue) AS overdue_cases,
         count(*) FILTER (WHERE c.is_complaint) AS open_complaints,
         now() AS as_of
    FROM connect_lake.case_current c
   WHERE c.is_open;
COMMENT ON VIEW connect_lake.open_case_backlog IS 'The open cases now: how many, how many overdue, how many complaints (open_case_backlog(from_day, to_day) for the backlog at the end of each day).';
COMMENT ON COLUMN connect_lake.open_case_backlog.open_cases IS 'Cases open now.';
COMMENT ON COLUMN connect_lake.open_case_backlog.overdue_cases IS 'Of them, overdue (case_is_overdue(): past case_due_date()).';
COMMENT ON COLUMN connect_lake.open_case_backlog.open_complaints IS 'Of them, complaints.';
COMMENT ON COLUMN connect_lake.open_case_backlog.as_of IS 'The moment counted (now()).';

CREATE FUNCTION connect_lake.open_case_backlog(from_day date, to_day date)
RETURNS TABLE (day date, open_cases bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  -- Each event starts a stretch of the case's life that lasts until its next
  -- event.  The backlog at the end of day d (its local midnight) counts the
  -- open stretches that start before that midnight and end at or after it:
  -- the days from the stretch's first local day to the day before its end's.
  WITH z AS MATERIALIZED (SELECT connect_lake.lake_time_zone() AS tz),
  stretch AS (
    SELECT e.detail_approximatechangetime AS t,
           lead(e.detail_approximatechangetime) OVER (PARTITION BY e.detail_case_caseid
                                                      ORDER BY e.detail_approximatechangetime, e.event_id) AS t_next,
           connect_lake.case_is_open(e.detail_event_type, e.detail_case_fields_status) AS open
      FROM connect_lake.case_events e
     WHERE e.detail_approximatechangetime < ((to_day + 1)::timestamp AT TIME ZONE (SELECT tz FROM z))
  ),
  open_day AS (
    SELECT g::date AS day
      FROM stretch s, z,
           generate_series(greatest(from_day, (s.t AT TIME ZONE z.tz)::date)::timestamp,
                           least(to_day, coalesce((s.t_next AT TIME ZONE z.tz)::date - 1, to_day))::timestamp,
                           interval '1 day') g
     WHERE s.open
  )
  SELECT d.day, count(o.day)
    FROM (SELECT g::date FROM generate_series(from_day::timestamp, to_day::timestamp, interval '1 day') g) AS d(day)
    LEFT JOIN open_day o ON o.day = d.day
   GROUP BY d.day ORDER BY d.day
$fn$;
COMMENT ON FUNCTION connect_lake.open_case_backlog(date, date) IS
  'The open backlog at the end of each local day from from_day to to_day (the cases open after their last event before midnight), from the event history.';

-- ---- Complaints per day
CREATE FUNCTION connect_lake.complaints_daily(from_day date, to_day date)
RETURNS TABLE (day date, complaints bigint, open_complaints bigint, resolved bigint, ombudsman bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT (s.detail_case_createddatetime AT TIME ZONE z.tz)::date, count(*),
         count(*) FILTER (WHERE connect_lake.case_is_open(s.detail_event_type, s.detail_case_fields_status)),
         count(*) FILTER (WHERE s.detail_case_fields_complaint_resolved),
         count(*) FILTER (WHERE s.detail_case_fields_ombudsman_case)
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.case_state s
      ON s.detail_case_createddatetime >= (from_day::timestamp AT TIME ZONE z.tz)
     AND s.detail_case_createddatetime < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   WHERE s.detail_case_fields_is_complaint
   GROUP BY 1 ORDER BY 1
$fn$;
COMMENT ON FUNCTION connect_lake.complaints_daily(date, date) IS
  'Complaints (cases whose is_complaint field is true, deleted ones included) per local day they were created, from from_day to to_day, with how many are open, resolved and with the ombudsman.';
CREATE VIEW connect_lake.complaints_daily AS
  SELECT * FROM connect_lake.complaints_daily('-infinity', 'infinity');
COMMENT ON VIEW connect_lake.complaints_daily IS 'Complaints per local day created, every day (complaints_daily(from_day, to_day) for a range).';
COMMENT ON COLUMN connect_lake.complaints_daily.day IS 'Local day the complaint cases were created.';
COMMENT ON COLUMN connect_lake.complaints_daily.complaints IS 'Complaint cases created that day (deleted ones included).';
COMMENT ON COLUMN connect_lake.complaints_daily.open_complaints IS 'Of them, still open.';
COMMENT ON COLUMN connect_lake.complaints_daily.resolved IS 'Of them, marked complaint_resolved.';
COMMENT ON COLUMN connect_lake.complaints_daily.ombudsman IS 'Of them, referred to the ombudsman.';

-- ---- Complaints by subject
CREATE FUNCTION connect_lake.complaints_by_subject(from_day date, to_day date)
RETURNS TABLE (complaint_subject text, complaints bigint, open_complaints bigint, goodwill_total numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT s.detail_case_fields_complaint_subject, count(*),
         count(*) FILTER (WHERE connect_lake.case_is_open(s.detail_event_type, s.detail_case_fields_status)),
         coalesce(sum(s.detail_case_fields_complaint_goodwill_amount), 0)
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.case_state s
      ON s.detail_case_createddatetime >= (from_day::timestamp AT TIME ZONE z.tz)
     AND s.detail_case_createddatetime < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   WHERE s.detail_case_fields_is_complaint
   GROUP BY 1 ORDER BY 2 DESC, 1
$fn$;
COMMENT ON FUNCTION connect_lake.complaints_by_subject(date, date) IS
  'Complaints created from from_day to to_day (local days; deleted ones included) by subject, most first, with how many are open and the goodwill paid; NULL subject = not set.';
CREATE VIEW connect_lake.complaints_by_subject AS
  SELECT * FROM connect_lake.complaints_by_subject(
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date - 89,
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date);
COMMENT ON VIEW connect_lake.complaints_by_subject IS 'Complaints created in the last 90 local days (today included) by subject.';
COMMENT ON COLUMN connect_lake.complaints_by_subject.complaint_subject IS 'Complaint subject (NULL: not set).';
COMMENT ON COLUMN connect_lake.complaints_by_subject.complaints IS 'Complaints with that subject.';
COMMENT ON COLUMN connect_lake.complaints_by_subject.open_complaints IS 'Of them, still open.';
COMMENT ON COLUMN connect_lake.complaints_by_subject.goodwill_total IS 'Goodwill paid on them.';

-- ---- Cases by level-1 category
CREATE FUNCTION connect_lake.cases_by_category(from_day date, to_day date)
RETURNS TABLE (level_1 text, cases bigint, open_cases bigint, complaints bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT s.detail_case_fields_level_1, count(*),
         count(*) FILTER (WHERE connect_lake.case_is_open(s.detail_event_type, s.detail_case_fields_status)),
         count(*) FILTER (WHERE s.detail_case_fields_is_complaint)
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.case_state s
      ON s.detail_case_createddatetime >= (from_day::timestamp AT TIME ZONE z.tz)
     AND s.detail_case_createddatetime < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   GROUP BY 1 ORDER BY 2 DESC, 1
$fn$;
COMMENT ON FUNCTION connect_lake.cases_by_category(date, date) IS
  'Cases created from from_day to to_day (local days; deleted ones included) by level 1 category, most first; NULL category = not set.';
CREATE VIEW connect_lake.cases_by_category AS
  SELECT * FROM connect_lake.cases_by_category(
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date - 29,
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date);
COMMENT ON VIEW connect_lake.cases_by_category IS 'Cases created in the last 30 local days (today included) by level 1 category.';
COMMENT ON COLUMN connect_lake.cases_by_category.level_1 IS 'Level 1 category (NULL: not set).';
COMMENT ON COLUMN connect_lake.cases_by_category.cases IS 'Cases created in the category (deleted ones included).';
COMMENT ON COLUMN connect_lake.cases_by_category.open_cases IS 'Of them, still open.';
COMMENT ON COLUMN connect_lake.cases_by_category.complaints IS 'Of them, complaints.';

-- ---- Overdue cases
CREATE FUNCTION connect_lake.overdue_cases(from_day date, to_day date)
RETURNS TABLE (case_id text, account bigint, status text, title text, level_1 text, is_complaint boolean,
               assigned_agent_name text, queue_name text, created_at timestamptz, due_date timestamptz,
               working_days_open integer)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT c.case_id, c.account, c.status, c.title, c.level_1, c.is_complaint, c.assigned_agent_name,
         c.queue_name, c.created_at, c.due_date, connect_lake.working_days_between(c.created_at, now())
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.case_current c
      ON c.created_at >= (from_day::timestamp AT TIME ZONE z.tz)
     AND c.created_at < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   WHERE c.is_open AND c.is_overdue
   ORDER BY c.created_at, c.case_id
$fn$;
COMMENT ON FUNCTION connect_lake.overdue_cases(date, date) IS
  'Cases created from from_day to to_day (local days) that are open and overdue now, oldest first.';
CREATE VIEW connect_lake.overdue_cases AS
  SELECT * FROM connect_lake.overdue_cases('-infinity', 'infinity');
COMMENT ON VIEW connect_lake.overdue_cases IS 'Open cases past their due date (case_due_date()) now, oldest first.';
COMMENT ON COLUMN connect_lake.overdue_cases.case_id IS 'Case id.';
COMMENT ON COLUMN connect_lake.overdue_cases.account IS 'The customer''s account number.';
COMMENT ON COLUMN connect_lake.overdue_cases.status IS 'Case status.';
COMMENT ON COLUMN connect_lake.overdue_cases.title IS 'Case title.';
COMMENT ON COLUMN connect_lake.overdue_cases.level_1 IS 'Level 1 category.';
COMMENT ON COLUMN connect_lake.overdue_cases.is_complaint IS 'Whether the case is a complaint.';
COMMENT ON COLUMN connect_lake.overdue_cases.assigned_agent_name IS 'Assigned agent''s name.';
COMMENT ON COLUMN connect_lake.overdue_cases.queue_name IS 'Queue name.';
COMMENT ON COLUMN connect_lake.overdue_cases.created_at IS 'When the case was created.';
COMMENT ON COLUMN connect_lake.overdue_cases.due_date IS 'When it fell due: case_due_date(created_at).';
COMMENT ON COLUMN connect_lake.overdue_cases.working_days_open IS 'Whole working days since it was created.';

-- ---- Contacts and cases
CREATE VIEW connect_lake.contact_case AS
  SELECT c.contactid, c.attributes_caseid AS case_id, 'attribute'::text AS link,
         NULL::bigint AS account, c.initiationtimestamp
    FROM connect_lake.ctr_events c
   WHERE c.attributes_caseid IS NOT NULL
  UNION ALL
  SELECT r.contactid, r.detail_relateditem_caseid, 'related_item', NULL, NULL
    FROM connect_lake.case_related_items r
   WHERE r.contactid IS NOT NULL
     AND r.detail_event_type IS DISTINCT FROM 'RELATED_ITEM.DELETED'
     AND NOT EXISTS (SELECT 1 FROM connect_lake.case_related_items d
                      WHERE d.detail_relateditem_relateditemid = r.detail_relateditem_relateditemid
                        AND d.detail_event_type = 'RELATED_ITEM.DELETED')
  UNION ALL
  SELECT a.contactid, s.detail_case_caseid, 'account', a.account, a.initiationtimestamp
    FROM connect_lake.contact_account a
    JOIN connect_lake.case_state s ON s.account = a.account
   WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED';
COMMENT ON VIEW connect_lake.contact_case IS
  'Contacts linked to cases: by the contact''s caseId attribute (ctr_events.attributes_caseid), by a Contact related item of the case, or by a shared account number (contact_account = case account).';
COMMENT ON COLUMN connect_lake.contact_case.contactid IS 'ContactId.';
COMMENT ON COLUMN connect_lake.contact_case.case_id IS 'Case id.';
COMMENT ON COLUMN connect_lake.contact_case.link IS 'How they are linked: attribute, related_item or account.';
COMMENT ON COLUMN connect_lake.contact_case.account IS 'The shared account number (link account only).';
COMMENT ON COLUMN connect_lake.contact_case.initiationtimestamp IS 'When the contact was initiated (from the CTR; NULL for related_item links).';

GRANT SELECT ON connect_lake.case_status, connect_lake.case_current, connect_lake.case_statuses,
  connect_lake.case_volume_daily, connect_lake.open_case_backlog, connect_lake.complaints_daily,
  connect_lake.complaints_by_subject, connect_lake.cases_by_category, connect_lake.overdue_cases,
  connect_lake.contact_case
  TO connect_lake_reader, connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.case_status_compile() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.case_status_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.case_status_load(jsonb, text[]) FROM PUBLIC;

-- ==== Attribute keys flattened as the warehouse flattened them (issue 10):
-- an attributes_* column is filled from its mapped key spelt exactly, else
-- from the first key in byte order that flattens to the same name.
CREATE FUNCTION connect_lake.ctr_attribute_column(key text) RETURNS text
  AS 'MODULE_PATHNAME', 'ctr_attribute_column'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_attribute_column(text) IS
  'The column the warehouse named after a contact attribute key: attributes_ || the key with ASCII letters lower-cased, each run of other characters (non-ASCII letters too) as _, trimmed of _ (csatResults.agentRating -> attributes_csatresults_agentrating); NULL when nothing is left. Keys that give the same column are spellings of one another for ctr_attribute_map.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes IS 'Attributes: every user-defined contact attribute, keys with their case kept (also keys that fill the same attributes_* column).';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_intent IS 'Contact attribute mapped by ctr_attribute_map (default key intent), spelt exactly or any way that flattens to the same name (Intent, INTENT). Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_caseid IS 'Contact attribute mapped by ctr_attribute_map (default key caseId), spelt exactly or any way that flattens to the same name (CaseId, caseid): links the contact to a case. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_accountnumbers IS 'Contact attribute mapped by ctr_attribute_map (default key accountNumbers), spelt exactly or any way that flattens to the same name: comma or space separated account numbers. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_juniferid IS 'Contact attribute mapped by ctr_attribute_map (default key juniferId), spelt exactly or any way that flattens to the same name (JuniferID). Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_csatresults_agentrating IS 'Contact attribute mapped by ctr_attribute_map (default key csatResults.agentRating), spelt exactly or any way that flattens to the same name (csatResults_agentRating, CSATResults.AgentRating): post-contact survey rating of the agent; NULL when not an integer. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_csatresults_resolutionrating IS 'Contact attribute mapped by ctr_attribute_map (default key csatResults.resolutionRating), spelt exactly or any way that flattens to the same name: post-contact survey rating of the resolution; NULL when not an integer. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON TABLE connect_lake.ctr_attribute_map IS
  'Overrides of which contact attribute key fills each attributes_* column of ctr_events (defaults: ctr_attribute_map_default). A key fills its column spelt exactly or any way that flattens to the same name, as the warehouse named columns (ASCII lower case, each run of other characters as _, trimmed: ctr_attribute_column()). Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map.attribute_key IS 'The contact attribute key whose value fills the column, spelt exactly (preferred) or any way that flattens to the same name; NULL leaves the column empty.';
COMMENT ON VIEW connect_lake.ctr_attribute_map_default IS 'Built-in attribute keys of the attributes_* columns: each flattens to its column''s name, so the warehouse''s spellings of it fill the column too.';
-- Rows that 0.1.0 landed were filled from the mapped key spelt exactly only:
-- fill their attributes_* columns by the rule above, as ctr_parse() now
-- does, and bring the account links of the contacts whose account columns
-- change up to date the way the row writer does (numbers split on commas,
-- semicolons and white space; integers only; attributes_accountnumbers
-- before attributes_juniferid).
DO $upgrade$
DECLARE
  refilled bigint;
BEGIN
  WITH now_filled AS (
    SELECT e.contactid, e.initiationtimestamp, p.attributes_intent, p.attributes_caseid,
           p.attributes_accountnumbers, p.attributes_juniferid,
           p.attributes_csatresults_agentrating, p.attributes_csatresults_resolutionrating,
           (e.attributes_accountnumbers, e.attributes_juniferid)
             IS DISTINCT FROM (p.attributes_accountnumbers, p.attributes_juniferid) AS relink
      FROM connect_lake.ctr_events e,
           LATERAL connect_lake.ctr_parse(jsonb_build_object('ContactId', e.contactid,
                                                             'InitiationTimestamp', '2000-01-01T00:00:00Z',
                                                             'Attributes', e.attributes)) p
     WHERE jsonb_typeof(e.attributes) = 'object'
       AND (e.attributes_intent, e.attributes_caseid, e.attributes_accountnumbers, e.attributes_juniferid,
            e.attributes_csatresults_agentrating, e.attributes_csatresults_resolutionrating)
           IS DISTINCT FROM
           (p.attributes_intent, p.attributes_caseid, p.attributes_accountnumbers, p.attributes_juniferid,
            p.attributes_csatresults_agentrating, p.attributes_csatresults_resolutionrating)
  ), refill AS (
    UPDATE connect_lake.ctr_events e
       SET attributes_intent = n.attributes_intent,
           attributes_caseid = n.attributes_caseid,
           attributes_accountnumbers = n.attributes_accountnumbers,
           attributes_juniferid = n.attributes_juniferid,
           attributes_csatresults_agentrating = n.attributes_csatresults_agentrating,
           attributes_csatresults_resolutionrating = n.attributes_csatresults_resolutionrating
      FROM now_filled n
     WHERE e.contactid = n.contactid AND e.initiationtimestamp = n.initiationtimestamp
    RETURNING e.contactid, e.initiationtimestamp, e.attributes_accountnumbers, e.attributes_juniferid, n.relink
  ), link AS (
    SELECT DISTINCT ON (r.contactid, a.account) r.contactid, a.account, s.source, r.initiationtimestamp
      FROM refill r,
           LATERAL (VALUES (1, 'attributes_accountnumbers', r.attributes_accountnumbers),
                           (2, 'attributes_juniferid', r.attributes_juniferid)) AS s(n, source, list),
           LATERAL regexp_split_to_table(s.list, '[,; \t\r\n]+') AS t(number),
           LATERAL (SELECT CASE WHEN t.number ~ '^[-+]?[0-9]+$'
                                 AND t.number::numeric BETWEEN -9223372036854775808 AND 9223372036854775807
                                THEN t.number::numeric::bigint END) AS a(account)
     WHERE r.relink AND a.account IS NOT NULL
     ORDER BY r.contactid, a.account, s.n
  ), unlink AS (
    DELETE FROM connect_lake.contact_account c
     USING refill r
     WHERE r.relink AND c.contactid = r.contactid
       AND NOT EXISTS (SELECT FROM link l WHERE l.contactid = c.contactid AND l.account = c.account)
  ), relinked AS (
    INSERT INTO connect_lake.contact_account AS c (contactid, account, source, initiationtimestamp)
    SELECT contactid, account, source, initiationtimestamp FROM link
    ON CONFLICT (contactid, account) DO UPDATE SET source = excluded.source
     WHERE c.source IS DISTINCT FROM excluded.source
  )
  SELECT count(*) INTO refilled FROM refill;
  IF refilled > 0 THEN
    RAISE WARNING 'connect_lake 0.2.0: attributes_* columns of % contact trace records filled from other spellings of their keys', refilled;
  END IF;
END
$upgrade$;

-- ==== Coming from the warehouse: schema amazon_connect_enriched, views with the
-- warehouse's table names over the lake (as sql/install/85_warehouse.sql).  Keep
-- this section after every change of a lake table's columns or their comments:
-- the views list the columns, and their column comments are copied, as they
-- stand here.

CREATE SCHEMA amazon_connect_enriched;
COMMENT ON SCHEMA amazon_connect_enriched IS
  'The BigQuery warehouse dataset amazon_connect_enriched as views over the connect_lake lake (case_events, ctr_events, contact_events, agent_dim, queue_dim): a warehouse query ports by changing the table prefix and the date syntax.';

CREATE VIEW amazon_connect_enriched.case_events AS
  SELECT e.event_id, e.detail_case_caseid, e.detail_approximatechangetime, e.detail_event_type,
         e.detail_case_createddatetime, e.detail_case_templateid,
         connect_lake.case_status_label(e.detail_case_fields_status) AS detail_case_fields_status,
         e.detail_case_fields_title, e.detail_case_fields_description, e.detail_case_fields_summary,
         e.detail_case_fields_reference_number, e.detail_case_fields_customer_id,
         e.detail_case_fields_level_1, e.detail_case_fields_level_2, e.detail_case_fields_level_3,
         e.detail_case_fields_case_reason, e.detail_case_fields_assigned_user,
         e.detail_case_fields_assigned_agent_name, e.detail_case_fields_assigned_queue,
         e.detail_case_fields_queue_name, e.detail_case_fields_is_complaint,
         e.detail_case_fields_complaint_status, e.detail_case_fields_complaint_type,
         e.detail_case_fields_complaint_subject, e.detail_case_fields_complaint_subject_2,
         e.detail_case_fields_complaint_reason, e.detail_case_fields_complaint_goodwill_amount,
         e.detail_case_fields_complaint_resolved, e.detail_case_fields_ombudsman_case,
         e.detail_case_fields_original_creation_date, e.detail_case_fields_last_updated_datetime,
         e.detail_case_fields_last_closed_datetime, e.detail_case_fields_last_reopened_datetime,
         e.detail_case_fields_due_date, e.detail_case_fields_is_overdue, e.detail_case_fields_other,
         e.detail_changedfieldids, e.detail_performedby_userarn, e.detail_performedby_iamprincipalarn,
         e.detail_version, e.detail_type, e.source, e.aws_account, e."time", e.region, e.resources,
         e.extra, e.source_file, e.source_offset, e.meta_enriched_landed_date, e.id, e.account,
         e.detail_case_fields_status AS detail_case_fields_status_value
    FROM connect_lake.case_events e;
COMMENT ON VIEW amazon_connect_enriched.case_events IS
  'The warehouse''s case_events over connect_lake.case_events: every Cases event, id the Case ID (COUNT(DISTINCT id) counts cases), detail_case_fields_status the display label (Closed, Resolved, Open ...) as in the warehouse. The lake keeps every event and lands no daily snapshot: meta_enriched_landed_date is when an event landed.';

CREATE VIEW amazon_connect_enriched.ctr_events AS
  SELECT * FROM connect_lake.ctr_events;
COMMENT ON VIEW amazon_connect_enriched.ctr_events IS
  'The warehouse''s ctr_events over connect_lake.ctr_events: contact trace records, the latest version of each contact.';

CREATE VIEW amazon_connect_enriched.contact_events AS
  SELECT * FROM connect_lake.contact_events;
COMMENT ON VIEW amazon_connect_enriched.contact_events IS
  'The warehouse''s contact_events over connect_lake.contact_events: EventBridge contact events.';

CREATE VIEW amazon_connect_enriched.agent_dim AS
  SELECT * FROM connect_lake.agent_dim;
COMMENT ON VIEW amazon_connect_enriched.agent_dim IS
  'The warehouse''s agent_dim over connect_lake.agent_dim: agents seen in CTRs.';

CREATE VIEW amazon_connect_enriched.queue_dim AS
  SELECT * FROM connect_lake.queue_dim;
COMMENT ON VIEW amazon_connect_enriched.queue_dim IS
  'The warehouse''s queue_dim over connect_lake.queue_dim: queues seen in CTRs.';

-- Each view column documented as the lake column it shows.
DO $comments$
DECLARE r record;
BEGIN
  FOR r IN SELECT v.relname AS view, a.attname, col_description(t.oid, ta.attnum) AS d
             FROM pg_class v
             JOIN pg_attribute a ON a.attrelid = v.oid AND a.attnum > 0 AND NOT a.attisdropped
             JOIN pg_class t ON t.relname = v.relname AND t.relnamespace = 'connect_lake'::regnamespace
             JOIN pg_attribute ta ON ta.attrelid = t.oid AND ta.attname = a.attname AND NOT ta.attisdropped
            WHERE v.relnamespace = 'amazon_connect_enriched'::regnamespace AND v.relkind = 'v' LOOP
    EXECUTE format('COMMENT ON COLUMN amazon_connect_enriched.%I.%I IS %L', r.view, r.attname, r.d);
  END LOOP;
END
$comments$;
COMMENT ON COLUMN amazon_connect_enriched.case_events.detail_case_fields_status IS
  'Case status as the warehouse holds it, its display label: case_status_label() of the value Cases writes (Closed, Resolved, Open, In Progress ...), so detail_case_fields_status NOT IN (''Closed'', ''Resolved'') reads as in the warehouse. Whether a status is open is the lake''s case_status_is_open(detail_case_fields_status_value).';
COMMENT ON COLUMN amazon_connect_enriched.case_events.meta_enriched_landed_date IS
  'When the event landed in the lake (connect_lake.case_events.meta_enriched_landed_date). Not the warehouse''s snapshot day: the lake lands no daily snapshot of each case, it keeps every event.';
COMMENT ON COLUMN amazon_connect_enriched.case_events.detail_case_fields_status_value IS
  'Case status as Cases writes it (connect_lake.case_events.detail_case_fields_status: open, closed or a custom status).';

GRANT USAGE ON SCHEMA amazon_connect_enriched TO connect_lake_reader, connect_lake_loader;
GRANT SELECT ON amazon_connect_enriched.case_events, amazon_connect_enriched.ctr_events,
  amazon_connect_enriched.contact_events, amazon_connect_enriched.agent_dim, amazon_connect_enriched.queue_dim
  TO connect_lake_reader, connect_lake_loader;

-- ==== One trigger function for the configuration caches
-- calendar_changed() and ctr_attribute_map_changed() did the same job (a
-- relcache invalidation of the table changed); config_changed() does it for
-- the calendar, holiday and ctr_attribute_map triggers.
CREATE FUNCTION connect_lake.config_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'config_changed' LANGUAGE C;
COMMENT ON FUNCTION connect_lake.config_changed() IS
  'Trigger of the configuration tables sessions cache (calendar, holiday, ctr_attribute_map): makes every session re-read the table after a change (at its next statement; this session at its next command).';
CREATE OR REPLACE TRIGGER calendar_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.calendar
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.config_changed();
CREATE OR REPLACE TRIGGER holiday_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.holiday
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.config_changed();
CREATE OR REPLACE TRIGGER ctr_attribute_map_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.ctr_attribute_map
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.config_changed();
DROP FUNCTION connect_lake.calendar_changed();
DROP FUNCTION connect_lake.ctr_attribute_map_changed();

-- ==== One naming scheme for SQL-callable C symbols
-- A C function is named as its SQL function (parse functions add the
-- document's type and _map; see src/connect_lake.h).  The functions whose
-- symbol changed are re-pointed here, as the install script defines them;
-- the old symbols stay in the module as aliases (src/compat.c).
CREATE OR REPLACE FUNCTION connect_lake.calendar_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'calendar_guard' LANGUAGE C;
CREATE OR REPLACE FUNCTION connect_lake.default_calendar() RETURNS text
  AS 'MODULE_PATHNAME', 'default_calendar'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION connect_lake.working_days_add(ts timestamptz, n integer,
                                              calendar text DEFAULT connect_lake.default_calendar())
RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'working_days_add'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION connect_lake.working_days_overdue(ts timestamptz, as_of timestamptz DEFAULT now(),
                                                  n integer DEFAULT 2,
                                                  calendar text DEFAULT connect_lake.default_calendar())
RETURNS boolean
  AS 'MODULE_PATHNAME', 'working_days_overdue'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION connect_lake.working_days_between(a timestamptz, b timestamptz,
                                                  calendar text DEFAULT connect_lake.default_calendar())
RETURNS integer
  AS 'MODULE_PATHNAME', 'working_days_between'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION connect_lake.is_working_day(day date,
                                            calendar text DEFAULT connect_lake.default_calendar())
RETURNS boolean
  AS 'MODULE_PATHNAME', 'is_working_day'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION connect_lake.next_working_day(day date,
                                              calendar text DEFAULT connect_lake.default_calendar())
RETURNS date
  AS 'MODULE_PATHNAME', 'next_working_day'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION connect_lake.ingest(kind text, doc jsonb) RETURNS text
  AS 'MODULE_PATHNAME', 'ingest'
  LANGUAGE C VOLATILE STRICT;
CREATE OR REPLACE FUNCTION connect_lake.ingest_batch(kind text, docs jsonb[],
                                    OUT inserted bigint, OUT updated bigint, OUT duplicates bigint,
                                    OUT values_nulled bigint)
  AS 'MODULE_PATHNAME', 'ingest_batch'
  LANGUAGE C VOLATILE STRICT;
CREATE OR REPLACE FUNCTION connect_lake.case_event_parse(doc jsonb, field_map jsonb) RETURNS connect_lake.case_event
  AS 'MODULE_PATHNAME', 'case_event_parse_jsonb_map'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION connect_lake.case_due_date(created timestamptz) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'case_due_date'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION connect_lake.kind_rowtype(kind text) RETURNS regtype
  AS 'MODULE_PATHNAME', 'kind_rowtype'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION connect_lake.load(
    kind        text,
    path        text,
    on_error    text DEFAULT 'stop',
    format      text DEFAULT 'auto',
    compression text DEFAULT 'auto',
    OUT files_seen    bigint,
    OUT files_loaded  bigint,
    OUT files_skipped bigint,
    OUT files_failed  bigint,
    OUT records_read  bigint,
    OUT inserted      bigint,
    OUT updated       bigint,
    OUT duplicates    bigint,
    OUT rejected      bigint,
    OUT values_nulled bigint,
    OUT bytes         bigint,
    OUT seconds       double precision,
    OUT error         text)
RETURNS record
AS 'MODULE_PATHNAME', 'load'
LANGUAGE C VOLATILE STRICT;


-- ==== Contact-centre metrics, as Amazon Connect defines them (issue 12)
--
-- New in 0.2.0: everything of sql/install/90_metrics.sql, as it stands there.
-- The metrics start empty, as in a fresh lake (the writers do not keep them
-- yet): metrics_refresh() computes them for the CTRs already landed.
--
-- The figures of Amazon Connect's historical metrics reports and of
-- GetMetricDataV2, computed from ctr_events (specification:
-- connect-metrics.md; README "Contact-centre metrics").  Three layers:
--
--   1. contact_metric: one row per contact with its flags (queued, handled,
--      abandoned, callback requested, transferred out ..., queue time, handle
--      time parts) and the 15-minute UTC interval of its disconnect, or the
--      reason it is excluded.  A maintained table, not a view: a contact's
--      flags depend on later legs (a CALLBACK or QUEUE_TRANSFER contact whose
--      previouscontactid points back), and finding those on read needs an
--      index on previouscontactid that the partitions of ctr_events do not
--      have; here the links are indexed, so recomputing the contacts a load
--      touched (and their predecessors) costs a few index probes each.
--      Every flag is one rule function below (metric_abandoned(), ...), used
--      by the table's upkeep and nowhere restated.
--   2. rollups per 15-minute UTC interval: metric_queue_interval (per queue
--      and channel), metric_agent_interval (per handling agent, queue and
--      channel) and metric_queue_threshold (per threshold: "within X"
--      counts).  Only sums, counts and maxima, never averages, so that they
--      re-aggregate exactly to 30 minutes, hours, local days, weeks and
--      totals (queue_metrics(), agent_metrics()).  Each rollup is the
--      aggregate of contact_metric that its _live view defines; the table
--      keeps that view's rows for every interval.
--   3. analysts' views: queue_metrics_15min, queue_metrics_daily,
--      agent_metrics_15min, agent_metrics_daily; every average and rate is a
--      formula function of sums (metric_aht(), metric_service_level(), ...).
--
-- Upkeep: metrics_refresh_contacts(contact_ids, initiation_ts) for the
-- contacts a writer landed (their predecessors follow), and
-- metrics_refresh(from, to) to rebuild a range of disconnect times.  Both
-- recompute the touched intervals' rollups from contact_metric, holding a
-- transaction-level advisory lock per interval (taken in time order).

-- ---- Configuration (the DBA's; defaults live in functions, so the tables start empty)
CREATE TABLE connect_lake.metric_config (
  singleton                boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  time_zone                text CHECK (time_zone IS NULL
                                       OR (timestamptz '2000-01-01 00:00+00' AT TIME ZONE time_zone) IS NOT NULL),
  service_level_threshold  integer CHECK (service_level_threshold BETWEEN 1 AND 604800),
  service_level_comparison text CHECK (service_level_comparison IN ('LT', 'LTE'))
);
COMMENT ON TABLE connect_lake.metric_config IS
  'Metric settings (at most one row; a NULL or missing value takes the default): the time zone of local days and the default service-level threshold of the metric views.';
COMMENT ON COLUMN connect_lake.metric_config.singleton IS 'Always true: the table holds one row at most.';
COMMENT ON COLUMN connect_lake.metric_config.time_zone IS 'Time zone whose midnights bound the metric views'' days and weeks; NULL: lake_time_zone().';
COMMENT ON COLUMN connect_lake.metric_config.service_level_threshold IS 'Seconds X of the views'' service level (1 to 604800); NULL: 20. Always one of the thresholds kept (metric_thresholds()).';
COMMENT ON COLUMN connect_lake.metric_config.service_level_comparison IS 'LT (queue time < X, Amazon''s default) or LTE (<= X) for the views'' service level; NULL: LT.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_config', '');

CREATE TABLE connect_lake.metric_threshold (
  threshold_s integer PRIMARY KEY CHECK (threshold_s BETWEEN 1 AND 604800)
);
COMMENT ON TABLE connect_lake.metric_threshold IS
  'Thresholds (seconds) whose "within X" counts are kept per interval, besides the built-in ones (metric_threshold_default) and the service-level default: adding one computes its counts for all history, removing one drops them.';
COMMENT ON COLUMN connect_lake.metric_threshold.threshold_s IS 'A threshold X in seconds, 1 to 604800 (7 days), as GetMetricDataV2 accepts.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_threshold', '');

CREATE VIEW connect_lake.metric_threshold_default (threshold_s) AS
  VALUES (15), (20), (25), (30), (45), (60), (90), (120), (180), (240), (300), (600);
COMMENT ON VIEW connect_lake.metric_threshold_default IS
  'Built-in thresholds kept per interval: the presets of GetMetricData v1 and of the admin website.';
COMMENT ON COLUMN connect_lake.metric_threshold_default.threshold_s IS 'A threshold X in seconds.';

CREATE FUNCTION connect_lake.metric_time_zone() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce((SELECT c.time_zone FROM connect_lake.metric_config c), connect_lake.lake_time_zone()) $fn$;
COMMENT ON FUNCTION connect_lake.metric_time_zone() IS
  'The time zone of the metric views'' local days: metric_config.time_zone, else lake_time_zone().';

CREATE FUNCTION connect_lake.metric_service_level_threshold() RETURNS integer
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce((SELECT c.service_level_threshold FROM connect_lake.metric_config c), 20) $fn$;
COMMENT ON FUNCTION connect_lake.metric_service_level_threshold() IS
  'Seconds X of the metric views'' service level: metric_config.service_level_threshold, else 20.';

CREATE FUNCTION connect_lake.metric_service_level_comparison() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce((SELECT c.service_level_comparison FROM connect_lake.metric_config c), 'LT') $fn$;
COMMENT ON FUNCTION connect_lake.metric_service_level_comparison() IS
  'LT or LTE: how the metric views'' service level compares queue time with its threshold (metric_config, else LT).';

CREATE FUNCTION connect_lake.metric_thresholds() RETURNS integer[]
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT array_agg(DISTINCT t.x ORDER BY t.x)
      FROM (SELECT d.threshold_s FROM connect_lake.metric_threshold_default d
            UNION ALL SELECT m.threshold_s FROM connect_lake.metric_threshold m
            UNION ALL SELECT connect_lake.metric_service_level_threshold()) t(x)
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_thresholds() IS
  'Every threshold whose "within X" counts are kept per interval (metric_queue_threshold): the built-in ones, metric_threshold''s and the service-level default, ascending.';

-- ---- Rules: each flag and figure of one contact, defined once
--
-- Plain SQL functions, inlined into the queries that use them.
CREATE FUNCTION connect_lake.metric_interval(ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT date_bin('15 minutes', ts, timestamptz '2000-01-01 00:00+00') $fn$;
COMMENT ON FUNCTION connect_lake.metric_interval(timestamptz) IS
  'The 15-minute UTC interval [start, start + 15 min) holding ts, by its start: a time exactly on a boundary belongs to the interval that starts there. A contact counts in the interval of its DisconnectTimestamp.';

CREATE FUNCTION connect_lake.metric_queue_kind(queue_arn text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN queue_arn IS NULL THEN 'NONE'
                WHEN queue_arn LIKE '%/queue/agent/%' THEN 'AGENT'
                ELSE 'STANDARD' END
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_queue_kind(text) IS
  'STANDARD (a queue of the reports), AGENT (an agent''s personal queue: agent-to-agent transfers, outside every queue report) or NONE (no queue on the contact).';

CREATE FUNCTION connect_lake.metric_queued(enqueue timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT enqueue IS NOT NULL $fn$;
COMMENT ON FUNCTION connect_lake.metric_queued(timestamptz) IS
  'Queued: the contact has a Queue.EnqueueTimestamp (a queue name alone, e.g. a working queue or an outbound queue, is not queued).';

CREATE FUNCTION connect_lake.metric_handled(connected_to_agent timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connected_to_agent IS NOT NULL $fn$;
COMMENT ON FUNCTION connect_lake.metric_handled(timestamptz) IS
  'Handled: connected to an agent (Agent.ConnectedToAgentTimestamp), whatever the route; an Agent object without it (a missed offer) is not handled.';

CREATE FUNCTION connect_lake.metric_queue_time(duration integer, enqueue timestamptz, dequeue timestamptz,
                                               disconnect timestamptz) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN enqueue IS NOT NULL
                THEN coalesce(duration, floor(extract(epoch FROM dequeue - enqueue))::integer,
                              floor(extract(epoch FROM disconnect - enqueue))::integer) END
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_queue_time(integer, timestamptz, timestamptz, timestamptz) IS
  'Seconds in queue of a queued contact: Queue.Duration; if absent, Dequeue - Enqueue; if that is absent, Disconnect - Enqueue (whole seconds, rounded down). NULL when not queued. A callback''s Duration includes its initial delay.';

CREATE FUNCTION connect_lake.metric_handle_time(handled boolean, interaction integer, hold integer, acw integer)
  RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT CASE WHEN handled THEN coalesce(interaction, 0) + coalesce(hold, 0) + coalesce(acw, 0) END $fn$;
COMMENT ON FUNCTION connect_lake.metric_handle_time(boolean, integer, integer, integer) IS
  'Handle time of a handled contact: AgentInteractionDuration + CustomerHoldDuration + AfterContactWorkDuration (missing as 0); NULL when not handled.';

CREATE FUNCTION connect_lake.metric_held(handled boolean, number_of_holds integer, hold integer) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT handled AND (coalesce(number_of_holds, 0) > 0 OR coalesce(hold, 0) > 0) $fn$;
COMMENT ON FUNCTION connect_lake.metric_held(boolean, integer, integer) IS
  'Put on hold: handled and held once or more (NumberOfHolds > 0 or CustomerHoldDuration > 0).';

CREATE FUNCTION connect_lake.metric_seconds(from_ts timestamptz, to_ts timestamptz) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT floor(extract(epoch FROM to_ts - from_ts))::integer $fn$;
COMMENT ON FUNCTION connect_lake.metric_seconds(timestamptz, timestamptz) IS
  'Whole seconds from from_ts to to_ts, rounded down (contact duration, resolution time).';

CREATE FUNCTION connect_lake.metric_exclusion(initiation timestamptz, disconnect timestamptz, queue_time integer,
                                              interaction integer, hold integer, acw integer) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN disconnect IS NULL THEN 'no disconnect timestamp'
                WHEN disconnect < initiation THEN 'disconnect before initiation'
                WHEN least(queue_time, interaction, hold, acw) < 0 THEN 'negative duration'
                WHEN greatest(queue_time, interaction, hold, acw) > 604800 THEN 'duration over 7 days'
           END
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_exclusion(timestamptz, timestamptz, integer, integer, integer, integer) IS
  'Why a contact is left out of every metric, or NULL: no DisconnectTimestamp (no interval to count it in), a disconnect before its initiation, a negative queue, talk, hold or ACW duration, or one over 7 days (longer than any contact lives).';

CREATE FUNCTION connect_lake.metric_incoming(initiation_method text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce(initiation_method IN ('INBOUND', 'TRANSFER', 'QUEUE_TRANSFER'), false) $fn$;
COMMENT ON FUNCTION connect_lake.metric_incoming(text) IS
  'Whether a contact counts as incoming (Contacts handled incoming): InitiationMethod INBOUND, TRANSFER or QUEUE_TRANSFER. API (chats), CALLBACK, OUTBOUND and unknown methods are not.';

-- Rules that depend on the contact's later legs: follower_methods is the
-- InitiationMethods of the contacts that continue it (contact_metric_follower).
CREATE FUNCTION connect_lake.metric_callback_requested(queued boolean, handled boolean, follower_methods text[])
  RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT queued AND NOT handled AND coalesce('CALLBACK' = ANY (follower_methods), false) $fn$;
COMMENT ON FUNCTION connect_lake.metric_callback_requested(boolean, boolean, text[]) IS
  'Callback requested: queued, not handled, and continued by a CALLBACK contact (its PreviousContactId, or this contact''s NextContactId). Not an abandon.';

CREATE FUNCTION connect_lake.metric_xfer_out_queue(queued boolean, handled boolean, follower_methods text[])
  RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT queued AND NOT handled AND coalesce('QUEUE_TRANSFER' = ANY (follower_methods), false) $fn$;
COMMENT ON FUNCTION connect_lake.metric_xfer_out_queue(boolean, boolean, text[]) IS
  'Transferred out from queue: queued, not handled, and continued by a QUEUE_TRANSFER contact (a Transfer to queue block). Not an abandon, never "removed" for the service level.';

CREATE FUNCTION connect_lake.metric_abandoned(queued boolean, handled boolean, follower_methods text[])
  RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT queued AND NOT handled
       AND NOT connect_lake.metric_callback_requested(queued, handled, follower_methods)
       AND NOT connect_lake.metric_xfer_out_queue(queued, handled, follower_methods)
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_abandoned(boolean, boolean, text[]) IS
  'Abandoned: queued, never connected to an agent, neither a callback request nor a queue-to-queue transfer (the structural rule; whoever disconnected).';

CREATE FUNCTION connect_lake.metric_xfer_out_internal(handled boolean, follower_methods text[]) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT handled AND coalesce('TRANSFER' = ANY (follower_methods), false) $fn$;
COMMENT ON FUNCTION connect_lake.metric_xfer_out_internal(boolean, text[]) IS
  'Transferred out internal: handled and continued by a TRANSFER contact (an agent''s transfer to a quick connect; consult and conference legs too).';

CREATE FUNCTION connect_lake.metric_xfer_out_external(transfer_completed timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT transfer_completed IS NOT NULL $fn$;
COMMENT ON FUNCTION connect_lake.metric_xfer_out_external(timestamptz) IS
  'Transferred out external: TransferCompletedTimestamp present (transferred out of Amazon Connect), by an agent or by a flow.';

CREATE FUNCTION connect_lake.metric_xfer_out_agent(handled boolean, internal boolean, external boolean)
  RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT handled AND (internal OR external) $fn$;
COMMENT ON FUNCTION connect_lake.metric_xfer_out_agent(boolean, boolean, boolean) IS
  'Transferred out by agent: handled and transferred out internal or external.';

CREATE FUNCTION connect_lake.metric_answered(queued boolean, handled boolean) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT queued AND handled $fn$;
COMMENT ON FUNCTION connect_lake.metric_answered(boolean, boolean) IS
  'Answered from the queue: queued and handled (what queue answer time and "answered in X" count).';

CREATE FUNCTION connect_lake.metric_removed(queued boolean, handled boolean, abandoned boolean,
                                            callback_requested boolean) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT queued AND (handled OR abandoned OR callback_requested) $fn$;
COMMENT ON FUNCTION connect_lake.metric_removed(boolean, boolean, boolean, boolean) IS
  'Removed from queue (the service level''s numerator when within X): queued and answered, abandoned or queued for callback. A queue-to-queue transfer is not removed.';

-- ---- Formulas of the averages and rates, from sums (NULL when the denominator is 0)
CREATE FUNCTION connect_lake.metric_ratio(num numeric, den numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT CASE WHEN den <> 0 THEN round(num / den, 6) END $fn$;
COMMENT ON FUNCTION connect_lake.metric_ratio(numeric, numeric) IS
  'num / den to 6 decimals; NULL when den is 0 or NULL (GetMetricDataV2 gives no value then).';

CREATE FUNCTION connect_lake.metric_percent(num numeric, den numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT CASE WHEN den <> 0 THEN round(100 * num / den, 6) END $fn$;
COMMENT ON FUNCTION connect_lake.metric_percent(numeric, numeric) IS
  '100 * num / den to 6 decimals; NULL when den is 0 or NULL.';

CREATE FUNCTION connect_lake.metric_service_level(removed_in_x numeric, queued numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.metric_percent(removed_in_x, queued) $fn$;
COMMENT ON FUNCTION connect_lake.metric_service_level(numeric, numeric) IS
  'Service level X (SERVICE_LEVEL): 100 * contacts removed from queue within X / contacts queued.';

CREATE FUNCTION connect_lake.metric_abandonment_rate(abandoned numeric, queued numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.metric_percent(abandoned, queued) $fn$;
COMMENT ON FUNCTION connect_lake.metric_abandonment_rate(numeric, numeric) IS
  'Abandonment rate (ABANDONMENT_RATE): 100 * contacts abandoned / contacts queued.';

CREATE FUNCTION connect_lake.metric_aht(handle_time_sum numeric, handled numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.metric_ratio(handle_time_sum, handled) $fn$;
COMMENT ON FUNCTION connect_lake.metric_aht(numeric, numeric) IS
  'Average handle time (AVG_HANDLE_TIME): handle time (talk + hold + ACW) of the handled contacts / contacts handled, seconds.';

CREATE FUNCTION connect_lake.metric_asa(queue_answer_time_sum numeric, answered numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.metric_ratio(queue_answer_time_sum, answered) $fn$;
COMMENT ON FUNCTION connect_lake.metric_asa(numeric, numeric) IS
  'Average queue answer time (AVG_QUEUE_ANSWER_TIME): queue time of the contacts answered from the queue / contacts answered, seconds.';

-- ---- Per-contact flags
CREATE TABLE connect_lake.contact_metric (
  contactid            uuid PRIMARY KEY,
  initiationtimestamp  timestamptz NOT NULL,
  disconnecttimestamp  timestamptz,
  lastupdatetimestamp  timestamptz,
  interval_start       timestamptz,
  excluded_reason      text,
  queue_kind           text NOT NULL,
  queue_id             uuid,
  channel              text,
  agent_id             uuid,
  initiationmethod     text,
  disconnectreason     text,
  previouscontactid    uuid,
  nextcontactid        uuid,
  queued               boolean NOT NULL,
  handled              boolean NOT NULL,
  answered             boolean NOT NULL,
  abandoned            boolean NOT NULL DEFAULT false,
  callback_requested   boolean NOT NULL DEFAULT false,
  xfer_out_queue       boolean NOT NULL DEFAULT false,
  xfer_out_internal    boolean NOT NULL DEFAULT false,
  xfer_out_external    boolean NOT NULL,
  xfer_out_agent       boolean NOT NULL DEFAULT false,
  held                 boolean NOT NULL,
  queue_time           integer,
  handle_time          integer,
  interaction_time     integer,
  hold_time            integer,
  acw_time             integer,
  contact_duration     integer,
  resolution_time      integer
);
CREATE INDEX contact_metric_interval_idx ON connect_lake.contact_metric (interval_start) WHERE interval_start IS NOT NULL;
CREATE INDEX contact_metric_previous_idx ON connect_lake.contact_metric (previouscontactid) WHERE previouscontactid IS NOT NULL;
CREATE INDEX contact_metric_next_idx ON connect_lake.contact_metric (nextcontactid) WHERE nextcontactid IS NOT NULL;
CREATE INDEX contact_metric_excluded_idx ON connect_lake.contact_metric (initiationtimestamp) WHERE excluded_reason IS NOT NULL;
CREATE INDEX contact_metric_anchor_idx ON connect_lake.contact_metric ((coalesce(disconnecttimestamp, initiationtimestamp)));
COMMENT ON TABLE connect_lake.contact_metric IS
  'One row per contact of ctr_events (its latest version): the flags and times every contact metric is a sum of, the 15-minute interval of its disconnect it counts in, or why it is excluded. Kept by metrics_refresh_contacts() and metrics_refresh(); a late leg (CALLBACK, QUEUE_TRANSFER, TRANSFER) corrects its predecessor''s flags.';
COMMENT ON COLUMN connect_lake.contact_metric.contactid IS 'ContactId.';
COMMENT ON COLUMN connect_lake.contact_metric.initiationtimestamp IS 'InitiationTimestamp (the partition key of ctr_events).';
COMMENT ON COLUMN connect_lake.contact_metric.disconnecttimestamp IS 'DisconnectTimestamp: what decides the interval.';
COMMENT ON COLUMN connect_lake.contact_metric.lastupdatetimestamp IS 'LastUpdateTimestamp of the version the flags come from.';
COMMENT ON COLUMN connect_lake.contact_metric.interval_start IS 'Start of the 15-minute UTC interval of the disconnect (metric_interval()); NULL: excluded from metrics.';
COMMENT ON COLUMN connect_lake.contact_metric.excluded_reason IS 'Why the contact counts in no metric (metric_exclusion()); NULL: it counts.';
COMMENT ON COLUMN connect_lake.contact_metric.queue_kind IS 'STANDARD, AGENT (personal queue) or NONE (metric_queue_kind()).';
COMMENT ON COLUMN connect_lake.contact_metric.queue_id IS 'Queue id of the CTR (NULL: no queue).';
COMMENT ON COLUMN connect_lake.contact_metric.channel IS 'Channel: VOICE, CHAT, TASK, EMAIL.';
COMMENT ON COLUMN connect_lake.contact_metric.agent_id IS 'Agent id of the CTR (the agent who handled it, or was offered it).';
COMMENT ON COLUMN connect_lake.contact_metric.initiationmethod IS 'InitiationMethod.';
COMMENT ON COLUMN connect_lake.contact_metric.disconnectreason IS 'DisconnectReason.';
COMMENT ON COLUMN connect_lake.contact_metric.previouscontactid IS 'PreviousContactId: the leg this one continues.';
COMMENT ON COLUMN connect_lake.contact_metric.nextcontactid IS 'NextContactId: the leg that continues this one.';
COMMENT ON COLUMN connect_lake.contact_metric.queued IS 'Queued (metric_queued()): has an EnqueueTimestamp.';
COMMENT ON COLUMN connect_lake.contact_metric.handled IS 'Handled (metric_handled()): connected to an agent.';
COMMENT ON COLUMN connect_lake.contact_metric.answered IS 'Answered from the queue (metric_answered()): queued and handled.';
COMMENT ON COLUMN connect_lake.contact_metric.abandoned IS 'Abandoned (metric_abandoned()): queued, not handled, no callback requested, not transferred to another queue.';
COMMENT ON COLUMN connect_lake.contact_metric.callback_requested IS 'Callback requested (metric_callback_requested()): queued, not handled, continued by a CALLBACK contact.';
COMMENT ON COLUMN connect_lake.contact_metric.xfer_out_queue IS 'Transferred out from queue (metric_xfer_out_queue()): queued, not handled, continued by a QUEUE_TRANSFER contact.';
COMMENT ON COLUMN connect_lake.contact_metric.xfer_out_internal IS 'Transferred out internal (metric_xfer_out_internal()): handled, continued by a TRANSFER contact.';
COMMENT ON COLUMN connect_lake.contact_metric.xfer_out_external IS 'Transferred out external (metric_xfer_out_external()): TransferCompletedTimestamp present.';
COMMENT ON COLUMN connect_lake.contact_metric.xfer_out_agent IS 'Transferred out by agent (metric_xfer_out_agent()): handled and transferred out internal or external.';
COMMENT ON COLUMN connect_lake.contact_metric.held IS 'Put on hold (metric_held()).';
COMMENT ON COLUMN connect_lake.contact_metric.queue_time IS 'Seconds in queue (metric_queue_time()); NULL when not queued.';
COMMENT ON COLUMN connect_lake.contact_metric.handle_time IS 'Handle time, seconds (metric_handle_time()); NULL when not handled.';
COMMENT ON COLUMN connect_lake.contact_metric.interaction_time IS 'Agent interaction (talk) seconds of a handled contact, missing as 0; NULL when not handled.';
COMMENT ON COLUMN connect_lake.contact_metric.hold_time IS 'Customer hold seconds of a handled contact, missing as 0; NULL when not handled.';
COMMENT ON COLUMN connect_lake.contact_metric.acw_time IS 'After-contact work seconds of a handled contact, missing as 0; NULL when not handled.';
COMMENT ON COLUMN connect_lake.contact_metric.contact_duration IS 'Seconds from initiation to disconnect.';
COMMENT ON COLUMN connect_lake.contact_metric.resolution_time IS 'Seconds from initiation to the later of disconnect and AfterContactWorkEndTimestamp.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.contact_metric', '');

-- The flags that need no later leg, computed from ctr_events on read: what
-- the upkeep writes into contact_metric (the follower flags stay false there
-- until contact_metric_follower has been consulted).
CREATE VIEW connect_lake.contact_metric_base AS
  SELECT e.contactid, e.initiationtimestamp, e.disconnecttimestamp, e.lastupdatetimestamp,
         CASE WHEN x.reason IS NULL THEN connect_lake.metric_interval(e.disconnecttimestamp) END AS interval_start,
         x.reason AS excluded_reason,
         connect_lake.metric_queue_kind(e.queue_arn) AS queue_kind, e.queue_id, e.channel, e.agent_id,
         e.initiationmethod, e.disconnectreason, e.previouscontactid, e.nextcontactid,
         f.queued, f.handled, connect_lake.metric_answered(f.queued, f.handled) AS answered,
         connect_lake.metric_xfer_out_external(e.transfercompletedtimestamp) AS xfer_out_external,
         connect_lake.metric_held(f.handled, e.agent_numberofholds, e.agent_customerholdduration) AS held,
         f.queue_time,
         connect_lake.metric_handle_time(f.handled, e.agent_agentinteractionduration, e.agent_customerholdduration,
                                         e.agent_aftercontactworkduration) AS handle_time,
         CASE WHEN f.handled THEN coalesce(e.agent_agentinteractionduration, 0) END AS interaction_time,
         CASE WHEN f.handled THEN coalesce(e.agent_customerholdduration, 0) END AS hold_time,
         CASE WHEN f.handled THEN coalesce(e.agent_aftercontactworkduration, 0) END AS acw_time,
         connect_lake.metric_seconds(e.initiationtimestamp, e.disconnecttimestamp) AS contact_duration,
         connect_lake.metric_seconds(e.initiationtimestamp,
                                     greatest(e.disconnecttimestamp, e.agent_aftercontactworkendtimestamp)) AS resolution_time
    FROM connect_lake.ctr_events e
   CROSS JOIN LATERAL (SELECT connect_lake.metric_queued(e.queue_enqueuetimestamp) AS queued,
                              connect_lake.metric_handled(e.agent_connectedtoagentts) AS handled,
                              connect_lake.metric_queue_time(e.queue_duration, e.queue_enqueuetimestamp,
                                                             e.queue_dequeuetimestamp, e.disconnecttimestamp) AS queue_time) f
   CROSS JOIN LATERAL (SELECT connect_lake.metric_exclusion(e.initiationtimestamp, e.disconnecttimestamp, f.queue_time,
                                                            e.agent_agentinteractionduration, e.agent_customerholdduration,
                                                            e.agent_aftercontactworkduration) AS reason) x;
COMMENT ON VIEW connect_lake.contact_metric_base IS
  'The per-contact flags that need no later leg, computed from ctr_events on read (every version row of ctr_events; the upkeep keeps the latest per contact): what metrics_refresh() writes into contact_metric before the follower flags.';

-- Which later legs continue a contact: the one definition of "follower".
CREATE VIEW connect_lake.contact_metric_follower AS
  SELECT f.previouscontactid AS contactid, f.contactid AS follower_id, f.initiationmethod
    FROM connect_lake.contact_metric f
   WHERE f.previouscontactid IS NOT NULL AND f.previouscontactid <> f.contactid
  UNION
  SELECT m.contactid, f.contactid, f.initiationmethod
    FROM connect_lake.contact_metric m
    JOIN connect_lake.contact_metric f ON f.contactid = m.nextcontactid
   WHERE f.contactid <> m.contactid;
COMMENT ON VIEW connect_lake.contact_metric_follower IS
  'The legs that continue each contact: contacts whose PreviousContactId is it, and the contact its NextContactId names (whichever arrived first). Their InitiationMethods decide callback requested, transferred out from queue and internal.';
COMMENT ON COLUMN connect_lake.contact_metric_follower.contactid IS 'The contact continued.';
COMMENT ON COLUMN connect_lake.contact_metric_follower.follower_id IS 'The leg that continues it.';
COMMENT ON COLUMN connect_lake.contact_metric_follower.initiationmethod IS 'The leg''s InitiationMethod (CALLBACK, QUEUE_TRANSFER, TRANSFER, ...).';

CREATE VIEW connect_lake.metric_excluded_contacts AS
  SELECT m.contactid, m.initiationtimestamp, m.disconnecttimestamp, m.excluded_reason AS reason,
         m.queue_id, m.channel, m.initiationmethod
    FROM connect_lake.contact_metric m
   WHERE m.excluded_reason IS NOT NULL;
COMMENT ON VIEW connect_lake.metric_excluded_contacts IS
  'Contacts left out of every metric, with the reason (metric_exclusion()): no disconnect timestamp, disconnect before initiation, a negative or over-7-day duration.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.contactid IS 'ContactId.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.initiationtimestamp IS 'InitiationTimestamp.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.disconnecttimestamp IS 'DisconnectTimestamp (NULL when missing).';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.reason IS 'Why it is excluded.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.queue_id IS 'Queue id of the CTR.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.channel IS 'Channel.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.initiationmethod IS 'InitiationMethod.';

-- ---- Rollups per 15-minute interval: what each holds is its _live view
CREATE VIEW connect_lake.metric_queue_interval_live AS
  SELECT m.interval_start, m.queue_kind, m.queue_id, m.channel,
         count(*)::integer                                                    AS contacts,
         count(*) FILTER (WHERE m.queued)::integer                            AS contacts_queued,
         count(*) FILTER (WHERE m.handled)::integer                           AS contacts_handled,
         count(*) FILTER (WHERE m.handled AND connect_lake.metric_incoming(m.initiationmethod))::integer AS contacts_handled_incoming,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'OUTBOUND')::integer AS contacts_handled_outbound,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'CALLBACK')::integer AS contacts_handled_callback,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'API')::integer      AS contacts_handled_api,
         count(*) FILTER (WHERE m.handled AND m.disconnectreason = 'AGENT_DISCONNECT')::integer AS contacts_agent_hung_up_first,
         count(*) FILTER (WHERE m.initiationmethod = 'TRANSFER')::integer     AS contacts_transferred_in,
         count(*) FILTER (WHERE m.initiationmethod = 'QUEUE_TRANSFER')::integer AS contacts_transferred_in_from_queue,
         count(*) FILTER (WHERE m.answered)::integer                          AS contacts_answered,
         count(*) FILTER (WHERE m.abandoned)::integer                         AS contacts_abandoned,
         count(*) FILTER (WHERE m.abandoned AND m.disconnectreason = 'CUSTOMER_DISCONNECT')::integer AS contacts_abandoned_customer_disconnect,
         count(*) FILTER (WHERE m.callback_requested)::integer                AS callbacks_requested,
         count(*) FILTER (WHERE m.xfer_out_queue)::integer                    AS transferred_out_from_queue,
         count(*) FILTER (WHERE m.xfer_out_internal)::integer                 AS transferred_out_internal,
         count(*) FILTER (WHERE m.xfer_out_external)::integer                 AS transferred_out_external,
         count(*) FILTER (WHERE m.xfer_out_agent)::integer                    AS transferred_out_by_agent,
         count(*) FILTER (WHERE m.held)::integer                              AS contacts_put_on_hold,
         coalesce(sum(m.queue_time) FILTER (WHERE m.answered), 0)::bigint     AS queue_answer_time_sum,
         coalesce(sum(m.queue_time) FILTER (WHERE m.abandoned), 0)::bigint    AS abandon_time_sum,
         max(m.queue_time) FILTER (WHERE m.queued)                            AS queued_time_max,
         coalesce(sum(m.handle_time), 0)::bigint                              AS handle_time_sum,
         coalesce(sum(m.interaction_time), 0)::bigint                         AS interaction_time_sum,
         coalesce(sum(m.hold_time), 0)::bigint                                AS hold_time_sum,
         coalesce(sum(m.acw_time), 0)::bigint                                 AS acw_time_sum,
         coalesce(sum(m.contact_duration), 0)::bigint                         AS contact_duration_sum,
         coalesce(sum(m.resolution_time), 0)::bigint                          AS resolution_time_sum
    FROM connect_lake.contact_metric m
   WHERE m.interval_start IS NOT NULL
   GROUP BY m.interval_start, m.queue_kind, m.queue_id, m.channel;
COMMENT ON VIEW connect_lake.metric_queue_interval_live IS
  'The per-queue, per-channel, per-15-minute sums of contact_metric computed on read: the definition of metric_queue_interval''s rows.';

CREATE TABLE connect_lake.metric_queue_interval AS
  SELECT * FROM connect_lake.metric_queue_interval_live WITH NO DATA;
ALTER TABLE connect_lake.metric_queue_interval
  ALTER interval_start SET NOT NULL, ALTER queue_kind SET NOT NULL,
  ADD CONSTRAINT metric_queue_interval_key UNIQUE NULLS NOT DISTINCT (interval_start, queue_kind, queue_id, channel);
COMMENT ON TABLE connect_lake.metric_queue_interval IS
  'Contact metrics per 15-minute UTC interval (of the disconnect), queue and channel: counts, sums of seconds and the longest queue time, never averages, so that any range re-aggregates exactly (queue_metrics()). The rows of metric_queue_interval_live, kept by metrics_refresh_contacts() and metrics_refresh().';
COMMENT ON COLUMN connect_lake.metric_queue_interval.interval_start IS 'Start of the 15-minute UTC interval; a contact counts in the interval of its disconnect.';
COMMENT ON COLUMN connect_lake.metric_queue_interval.queue_kind IS 'STANDARD, AGENT (agent''s personal queue, outside Amazon''s queue reports) or NONE (no queue).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.queue_id IS 'Queue id (NULL: no queue).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.channel IS 'Channel.';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts IS 'Contacts carrying the queue, queued or not (CONTACTS_CREATED).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_queued IS 'Contacts queued (CONTACTS_QUEUED).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_handled IS 'Contacts handled: connected to an agent (CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_handled_incoming IS 'Handled, InitiationMethod INBOUND, TRANSFER or QUEUE_TRANSFER (CONTACTS_HANDLED_INCOMING).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_handled_outbound IS 'Handled, InitiationMethod OUTBOUND (CONTACTS_HANDLED_OUTBOUND).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_handled_callback IS 'Handled, InitiationMethod CALLBACK (CALLBACK_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_handled_api IS 'Handled, InitiationMethod API, chats included (API_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_agent_hung_up_first IS 'Handled, DisconnectReason AGENT_DISCONNECT (CONTACTS_AGENT_HUNG_UP_FIRST).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_transferred_in IS 'Contacts with InitiationMethod TRANSFER: transferred in by an agent (CONTACTS_TRANSFERRED_IN).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_transferred_in_from_queue IS 'Contacts with InitiationMethod QUEUE_TRANSFER (CONTACTS_TRANSFERRED_IN_FROM_QUEUE).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_answered IS 'Queued and handled: the denominator of the average queue answer time.';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_abandoned IS 'Contacts abandoned (CONTACTS_ABANDONED): queued, not handled, neither callback nor queue transfer.';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_abandoned_customer_disconnect IS 'Abandoned with DisconnectReason CUSTOMER_DISCONNECT (LAKE_CONTACTS_ABANDONED_CUSTOMER_DISCONNECT, a diagnostic).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.callbacks_requested IS 'Queued contacts that left the queue for a queued callback (LAKE_CALLBACKS_REQUESTED); not abandons.';
COMMENT ON COLUMN connect_lake.metric_queue_interval.transferred_out_from_queue IS 'Contacts transferred out from queue by a flow (CONTACTS_TRANSFERRED_OUT_FROM_QUEUE).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.transferred_out_internal IS 'Contacts an agent transferred to a quick connect (CONTACTS_TRANSFERRED_OUT_INTERNAL).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.transferred_out_external IS 'Contacts transferred out of Amazon Connect (CONTACTS_TRANSFERRED_OUT_EXTERNAL).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.transferred_out_by_agent IS 'Contacts an agent transferred out, internal or external (CONTACTS_TRANSFERRED_OUT_BY_AGENT).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_put_on_hold IS 'Handled contacts put on hold once or more (CONTACTS_PUT_ON_HOLD).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.queue_answer_time_sum IS 'Seconds in queue of the contacts answered (numerator of AVG_QUEUE_ANSWER_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.abandon_time_sum IS 'Seconds in queue of the contacts abandoned (numerator of AVG_ABANDON_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.queued_time_max IS 'Longest queue time of a queued contact, abandoned ones included (MAX_QUEUED_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.handle_time_sum IS 'Handle time (talk + hold + ACW) of the handled contacts, seconds (SUM_HANDLE_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.interaction_time_sum IS 'Agent interaction seconds of the handled contacts (SUM_INTERACTION_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.hold_time_sum IS 'Customer hold seconds of the handled contacts (SUM_HOLD_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.acw_time_sum IS 'After-contact work seconds of the handled contacts (SUM_AFTER_CONTACT_WORK_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contact_duration_sum IS 'Seconds from initiation to disconnect of every contact (numerator of AVG_CONTACT_DURATION).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.resolution_time_sum IS 'Seconds from initiation to the later of disconnect and ACW end of every contact (numerator of AVG_RESOLUTION_TIME).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_queue_interval', '');

CREATE VIEW connect_lake.metric_agent_interval_live AS
  SELECT m.interval_start, m.agent_id, m.channel,
         count(*)::integer                                                    AS contacts,
         count(*) FILTER (WHERE m.handled)::integer                           AS contacts_handled,
         count(*) FILTER (WHERE m.handled AND connect_lake.metric_incoming(m.initiationmethod))::integer AS contacts_handled_incoming,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'OUTBOUND')::integer AS contacts_handled_outbound,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'CALLBACK')::integer AS contacts_handled_callback,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'API')::integer      AS contacts_handled_api,
         count(*) FILTER (WHERE m.handled AND m.disconnectreason = 'AGENT_DISCONNECT')::integer AS contacts_agent_hung_up_first,
         count(*) FILTER (WHERE m.answered)::integer                          AS contacts_answered,
         count(*) FILTER (WHERE m.xfer_out_internal)::integer                 AS transferred_out_internal,
         count(*) FILTER (WHERE m.xfer_out_external)::integer                 AS transferred_out_external,
         count(*) FILTER (WHERE m.xfer_out_agent)::integer                    AS transferred_out_by_agent,
         count(*) FILTER (WHERE m.held)::integer                              AS contacts_put_on_hold,
         coalesce(sum(m.queue_time) FILTER (WHERE m.answered), 0)::bigint     AS queue_answer_time_sum,
         coalesce(sum(m.handle_time), 0)::bigint                              AS handle_time_sum,
         coalesce(sum(m.interaction_time), 0)::bigint                         AS interaction_time_sum,
         coalesce(sum(m.hold_time), 0)::bigint                                AS hold_time_sum,
         coalesce(sum(m.acw_time), 0)::bigint                                 AS acw_time_sum
    FROM connect_lake.contact_metric m
   WHERE m.interval_start IS NOT NULL AND m.agent_id IS NOT NULL
   GROUP BY m.interval_start, m.agent_id, m.channel;
COMMENT ON VIEW connect_lake.metric_agent_interval_live IS
  'The per-agent (the CTR''s agent), per-channel, per-15-minute sums of contact_metric computed on read: the definition of metric_agent_interval''s rows.';

CREATE TABLE connect_lake.metric_agent_interval AS
  SELECT * FROM connect_lake.metric_agent_interval_live WITH NO DATA;
ALTER TABLE connect_lake.metric_agent_interval
  ALTER interval_start SET NOT NULL, ALTER agent_id SET NOT NULL,
  ADD CONSTRAINT metric_agent_interval_key UNIQUE NULLS NOT DISTINCT (interval_start, agent_id, channel);
COMMENT ON TABLE connect_lake.metric_agent_interval IS
  'Contact metrics of the agent on the CTR per 15-minute UTC interval (of the disconnect) and channel, all queues together: counts and sums, never averages (agent_metrics()). The rows of metric_agent_interval_live, kept with metric_queue_interval.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.interval_start IS 'Start of the 15-minute UTC interval of the disconnect.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.agent_id IS 'Agent id of the CTR.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.channel IS 'Channel.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts IS 'Contacts with this agent on the CTR, handled or only offered.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_handled IS 'Contacts the agent handled (CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_handled_incoming IS 'Handled, InitiationMethod INBOUND, TRANSFER or QUEUE_TRANSFER.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_handled_outbound IS 'Handled, InitiationMethod OUTBOUND.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_handled_callback IS 'Handled, InitiationMethod CALLBACK.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_handled_api IS 'Handled, InitiationMethod API.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_agent_hung_up_first IS 'Handled, DisconnectReason AGENT_DISCONNECT.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_answered IS 'Handled contacts that had been queued.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.transferred_out_internal IS 'Transferred by the agent to a quick connect.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.transferred_out_external IS 'Transferred out of Amazon Connect.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.transferred_out_by_agent IS 'Transferred out by the agent, internal or external.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_put_on_hold IS 'Handled contacts put on hold.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.queue_answer_time_sum IS 'Seconds in queue of the queued contacts the agent answered.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.handle_time_sum IS 'Handle time (talk + hold + ACW), seconds.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.interaction_time_sum IS 'Agent interaction seconds.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.hold_time_sum IS 'Customer hold seconds.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.acw_time_sum IS 'After-contact work seconds.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_agent_interval', '');

-- "Within X": per threshold X of metric_thresholds(), the contacts whose
-- queue time is below X and exactly X.  CTR queue times are whole seconds, so
-- LT X = lt and LTE X = lt + eq, exactly; eq is also the boundary count that
-- explains a one-contact difference from Amazon's millisecond figures.  A
-- histogram of every second up to 7 days would be 604,800 buckets: instead a
-- threshold added later is computed for all history when it is added.
CREATE VIEW connect_lake.metric_queue_threshold_live AS
  -- Each queued contact falls in a bucket: how many thresholds are at or
  -- below its queue time (width_bucket), and which threshold it equals, if
  -- any.  Counted per bucket first, then per threshold: below X are the
  -- buckets before X's.
  SELECT g.interval_start, g.queue_kind, g.queue_id, g.channel, g.ths[i.i] AS threshold_s,
         coalesce(sum(g.answered) FILTER (WHERE g.bucket < i.i), 0)::integer  AS answered_lt,
         coalesce(sum(g.answered) FILTER (WHERE g.equal = i.i), 0)::integer   AS answered_eq,
         coalesce(sum(g.abandoned) FILTER (WHERE g.bucket < i.i), 0)::integer AS abandoned_lt,
         coalesce(sum(g.abandoned) FILTER (WHERE g.equal = i.i), 0)::integer  AS abandoned_eq,
         coalesce(sum(g.removed) FILTER (WHERE g.bucket < i.i), 0)::integer   AS removed_lt,
         coalesce(sum(g.removed) FILTER (WHERE g.equal = i.i), 0)::integer    AS removed_eq
    FROM (SELECT m.interval_start, m.queue_kind, m.queue_id, m.channel, t.ths,
                 width_bucket(m.queue_time, t.ths) AS bucket, array_position(t.ths, m.queue_time) AS equal,
                 count(*) FILTER (WHERE m.answered) AS answered,
                 count(*) FILTER (WHERE m.abandoned) AS abandoned,
                 count(*) FILTER (WHERE connect_lake.metric_removed(m.queued, m.handled, m.abandoned,
                                                                    m.callback_requested)) AS removed
            FROM (SELECT connect_lake.metric_thresholds() AS ths OFFSET 0) t,
                 connect_lake.contact_metric m
           WHERE m.interval_start IS NOT NULL AND m.queued
           GROUP BY m.interval_start, m.queue_kind, m.queue_id, m.channel, t.ths, 6, 7) g
   CROSS JOIN LATERAL generate_subscripts(g.ths, 1) i(i)
   GROUP BY g.interval_start, g.queue_kind, g.queue_id, g.channel, g.ths[i.i];
COMMENT ON VIEW connect_lake.metric_queue_threshold_live IS
  'Per 15-minute interval, queue, channel and threshold of metric_thresholds(): the queued contacts answered, abandoned and removed from queue with a queue time below and exactly at the threshold, computed on read from contact_metric: the definition of metric_queue_threshold''s rows.';

CREATE TABLE connect_lake.metric_queue_threshold AS
  SELECT * FROM connect_lake.metric_queue_threshold_live WITH NO DATA;
ALTER TABLE connect_lake.metric_queue_threshold
  ALTER interval_start SET NOT NULL, ALTER queue_kind SET NOT NULL, ALTER threshold_s SET NOT NULL,
  ADD CONSTRAINT metric_queue_threshold_key
      UNIQUE NULLS NOT DISTINCT (threshold_s, interval_start, queue_kind, queue_id, channel);
COMMENT ON TABLE connect_lake.metric_queue_threshold IS
  '"Within X" counts per 15-minute UTC interval (of the disconnect), queue, channel and threshold X (metric_thresholds()): LT X is the _lt count, LTE X the _lt plus the _eq count (queue times are whole seconds). The rows of metric_queue_threshold_live; a row exists where the interval has queued contacts.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.interval_start IS 'Start of the 15-minute UTC interval of the disconnect.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.queue_kind IS 'STANDARD, AGENT or NONE.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.queue_id IS 'Queue id (NULL: no queue).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.channel IS 'Channel.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.threshold_s IS 'The threshold X, seconds.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.answered_lt IS 'Contacts answered with queue time < X (SUM_CONTACTS_ANSWERED_IN_X, LT).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.answered_eq IS 'Contacts answered with queue time = X (LTE adds them).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.abandoned_lt IS 'Contacts abandoned with queue time < X (SUM_CONTACTS_ABANDONED_IN_X, LT).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.abandoned_eq IS 'Contacts abandoned with queue time = X.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.removed_lt IS 'Contacts removed from queue (answered, abandoned, callback requested) with queue time < X (CONTACTS_REMOVED_FROM_QUEUE_IN_X; the numerator of SERVICE_LEVEL, LT).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.removed_eq IS 'Contacts removed from queue with queue time = X: the boundary count.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_queue_threshold', '');

-- ---- Rollups per local day (metric_time_zone()): the 15-minute rows summed
-- per day, so that a dashboard of years reads one row per queue and day.
-- Kept with the interval rows; made again whole when the time zone changes.
CREATE TABLE connect_lake.metric_queue_day (LIKE connect_lake.metric_queue_interval);
ALTER TABLE connect_lake.metric_queue_day RENAME interval_start TO day;
ALTER TABLE connect_lake.metric_queue_day ALTER day TYPE date,
  ADD CONSTRAINT metric_queue_day_key UNIQUE NULLS NOT DISTINCT (day, queue_kind, queue_id, channel);
COMMENT ON TABLE connect_lake.metric_queue_day IS
  'metric_queue_interval summed per local day of metric_time_zone() (metric_queue_day_rows()): what queue_metrics_daily reads. Made again whole when metric_config.time_zone changes.';
COMMENT ON COLUMN connect_lake.metric_queue_day.day IS 'The local day (metric_time_zone()) of the 15-minute intervals summed.';

CREATE TABLE connect_lake.metric_queue_threshold_day (LIKE connect_lake.metric_queue_threshold);
ALTER TABLE connect_lake.metric_queue_threshold_day RENAME interval_start TO day;
ALTER TABLE connect_lake.metric_queue_threshold_day ALTER day TYPE date,
  ADD CONSTRAINT metric_queue_threshold_day_key UNIQUE NULLS NOT DISTINCT (threshold_s, day, queue_kind, queue_id, channel);
COMMENT ON TABLE connect_lake.metric_queue_threshold_day IS
  'metric_queue_threshold summed per local day of metric_time_zone() (metric_queue_threshold_day_rows()).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold_day.day IS 'The local day (metric_time_zone()) of the 15-minute intervals summed.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_queue_day', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_queue_threshold_day', '');

CREATE FUNCTION connect_lake.metric_queue_day_rows(from_day date, to_day date)
RETURNS SETOF connect_lake.metric_queue_day
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT (r.interval_start AT TIME ZONE z.tz)::date, r.queue_kind, r.queue_id, r.channel,
         sum(r.contacts)::integer, sum(r.contacts_queued)::integer, sum(r.contacts_handled)::integer,
         sum(r.contacts_handled_incoming)::integer, sum(r.contacts_handled_outbound)::integer,
         sum(r.contacts_handled_callback)::integer, sum(r.contacts_handled_api)::integer,
         sum(r.contacts_agent_hung_up_first)::integer, sum(r.contacts_transferred_in)::integer,
         sum(r.contacts_transferred_in_from_queue)::integer, sum(r.contacts_answered)::integer,
         sum(r.contacts_abandoned)::integer, sum(r.contacts_abandoned_customer_disconnect)::integer,
         sum(r.callbacks_requested)::integer, sum(r.transferred_out_from_queue)::integer,
         sum(r.transferred_out_internal)::integer, sum(r.transferred_out_external)::integer,
         sum(r.transferred_out_by_agent)::integer, sum(r.contacts_put_on_hold)::integer,
         sum(r.queue_answer_time_sum)::bigint, sum(r.abandon_time_sum)::bigint, max(r.queued_time_max),
         sum(r.handle_time_sum)::bigint, sum(r.interaction_time_sum)::bigint, sum(r.hold_time_sum)::bigint,
         sum(r.acw_time_sum)::bigint, sum(r.contact_duration_sum)::bigint, sum(r.resolution_time_sum)::bigint
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.metric_queue_interval r
      ON r.interval_start >= (from_day::timestamp AT TIME ZONE z.tz)
     AND r.interval_start < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   GROUP BY 1, 2, 3, 4
$fn$;
COMMENT ON FUNCTION connect_lake.metric_queue_day_rows(date, date) IS
  'The rows of metric_queue_day for the local days from from_day to to_day: metric_queue_interval summed per local day of metric_time_zone().';

CREATE FUNCTION connect_lake.metric_queue_threshold_day_rows(from_day date, to_day date, threshold integer DEFAULT NULL)
RETURNS SETOF connect_lake.metric_queue_threshold_day
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT (r.interval_start AT TIME ZONE z.tz)::date, r.queue_kind, r.queue_id, r.channel, r.threshold_s,
         sum(r.answered_lt)::integer, sum(r.answered_eq)::integer, sum(r.abandoned_lt)::integer,
         sum(r.abandoned_eq)::integer, sum(r.removed_lt)::integer, sum(r.removed_eq)::integer
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.metric_queue_threshold r
      ON r.interval_start >= (from_day::timestamp AT TIME ZONE z.tz)
     AND r.interval_start < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   WHERE threshold IS NULL OR r.threshold_s = threshold
   GROUP BY 1, 2, 3, 4, 5
$fn$;
COMMENT ON FUNCTION connect_lake.metric_queue_threshold_day_rows(date, date, integer) IS
  'The rows of metric_queue_threshold_day for the local days from from_day to to_day (of one threshold, or all): metric_queue_threshold summed per local day of metric_time_zone().';


-- ---- Upkeep
--
-- metric_rollup(intervals): the rollup rows of those 15-minute intervals
-- made again from contact_metric.  One advisory lock per interval, taken in
-- time order and held to the end of the transaction, so that two sessions
-- never write one interval from different snapshots.
CREATE FUNCTION connect_lake.metric_rollup(intervals timestamptz[]) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
AS $fn$
DECLARE
  ivs timestamptz[];
  tz  text;
  d   date;
BEGIN
  SELECT coalesce(array_agg(DISTINCT i ORDER BY i), '{}') INTO ivs
    FROM unnest(intervals) i WHERE i IS NOT NULL;
  IF cardinality(ivs) = 0 THEN
    RETURN 0;
  END IF;
  PERFORM pg_advisory_xact_lock(1668048236, (extract(epoch FROM i) / 900)::integer)
     FROM unnest(ivs) WITH ORDINALITY u(i, n) ORDER BY n;
  DELETE FROM connect_lake.metric_queue_interval WHERE interval_start = ANY (ivs);
  INSERT INTO connect_lake.metric_queue_interval
    SELECT * FROM connect_lake.metric_queue_interval_live WHERE interval_start = ANY (ivs);
  DELETE FROM connect_lake.metric_agent_interval WHERE interval_start = ANY (ivs);
  INSERT INTO connect_lake.metric_agent_interval
    SELECT * FROM connect_lake.metric_agent_interval_live WHERE interval_start = ANY (ivs);
  DELETE FROM connect_lake.metric_queue_threshold WHERE interval_start = ANY (ivs);
  INSERT INTO connect_lake.metric_queue_threshold
    SELECT * FROM connect_lake.metric_queue_threshold_live WHERE interval_start = ANY (ivs);
  -- The local days of those intervals, from their interval rows.
  tz := connect_lake.metric_time_zone();
  FOR d IN SELECT DISTINCT (i AT TIME ZONE tz)::date FROM unnest(ivs) i ORDER BY 1 LOOP
    DELETE FROM connect_lake.metric_queue_day WHERE day = d;
    INSERT INTO connect_lake.metric_queue_day SELECT * FROM connect_lake.metric_queue_day_rows(d, d);
    DELETE FROM connect_lake.metric_queue_threshold_day WHERE day = d;
    INSERT INTO connect_lake.metric_queue_threshold_day SELECT * FROM connect_lake.metric_queue_threshold_day_rows(d, d);
  END LOOP;
  RETURN cardinality(ivs);
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_rollup(timestamptz[]) IS
  'Makes the rollup rows (metric_queue_interval, metric_agent_interval, metric_queue_threshold) of the given 15-minute intervals again from contact_metric, then the day rows (metric_queue_day, metric_queue_threshold_day) of their local days; returns how many intervals. Locks each interval (advisory, to the end of the transaction, in time order).';

-- metric_apply: the core of both entry points.  It reads the contacts
-- where source_where holds (a condition on contact_metric_base b, with $1
-- the contact ids given, $2 and $3 a range, $4 initiation times), writes
-- their contact_metric rows, removes the rows of the contacts given (ids)
-- that are no longer in ctr_events, recomputes the follower flags of all
-- of them and of the contacts they continue (now or before), and makes the
-- rollups of every interval any of them counted in, before or after, again.
-- Every step looks rows up by key, from the contacts' side (LATERAL): a load
-- touches a few thousand contacts of tables of millions, and large arrays
-- are joined as sets, never searched element by element.
CREATE FUNCTION connect_lake.metric_apply(ids uuid[], source_where text, from_ts timestamptz DEFAULT NULL,
                                          to_ts timestamptz DEFAULT NULL, initiation_ts timestamptz[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
AS $fn$
DECLARE
  found    uuid[];
  touched  uuid[];
  old_ivs  timestamptz[];
  new_ivs  timestamptz[];
  preds    uuid[];
  settle   uuid[];
BEGIN
  ids := coalesce(ids, '{}');
  -- The contacts' rows from their latest version in ctr_events, and what
  -- they counted in and continued before (the statement's snapshot).
  EXECUTE format($q$
    WITH src AS MATERIALIZED (
      SELECT DISTINCT ON (b.contactid) b.*
        FROM connect_lake.contact_metric_base b
       WHERE %s
       ORDER BY b.contactid, b.lastupdatetimestamp DESC NULLS LAST, b.initiationtimestamp DESC
    ), old AS MATERIALIZED (
      SELECT m.interval_start, m.previouscontactid
        FROM (SELECT src.contactid FROM src UNION SELECT unnest($1)) k
       CROSS JOIN LATERAL (SELECT m.interval_start, m.previouscontactid FROM connect_lake.contact_metric m
                            WHERE m.contactid = k.contactid) m
    ), up AS (
      INSERT INTO connect_lake.contact_metric AS m (contactid, initiationtimestamp, disconnecttimestamp, lastupdatetimestamp, interval_start, excluded_reason,
       queue_kind, queue_id, channel, agent_id, initiationmethod, disconnectreason, previouscontactid,
       nextcontactid, queued, handled, answered, xfer_out_external, held, queue_time, handle_time,
       interaction_time, hold_time, acw_time, contact_duration, resolution_time)
      SELECT contactid, initiationtimestamp, disconnecttimestamp, lastupdatetimestamp, interval_start, excluded_reason,
       queue_kind, queue_id, channel, agent_id, initiationmethod, disconnectreason, previouscontactid,
       nextcontactid, queued, handled, answered, xfer_out_external, held, queue_time, handle_time,
       interaction_time, hold_time, acw_time, contact_duration, resolution_time FROM src
      ON CONFLICT (contactid) DO UPDATE
         SET (initiationtimestamp, disconnecttimestamp, lastupdatetimestamp, interval_start, excluded_reason,
              queue_kind, queue_id, channel, agent_id, initiationmethod, disconnectreason, previouscontactid,
              nextcontactid, queued, handled, answered, xfer_out_external, held, queue_time, handle_time,
              interaction_time, hold_time, acw_time, contact_duration, resolution_time) = (excluded.initiationtimestamp, excluded.disconnecttimestamp, excluded.lastupdatetimestamp,
              excluded.interval_start, excluded.excluded_reason, excluded.queue_kind, excluded.queue_id,
              excluded.channel, excluded.agent_id, excluded.initiationmethod, excluded.disconnectreason,
              excluded.previouscontactid, excluded.nextcontactid, excluded.queued, excluded.handled,
              excluded.answered, excluded.xfer_out_external, excluded.held, excluded.queue_time,
              excluded.handle_time, excluded.interaction_time, excluded.hold_time, excluded.acw_time,
              excluded.contact_duration, excluded.resolution_time)
       WHERE (m.initiationtimestamp, m.disconnecttimestamp, m.lastupdatetimestamp, m.interval_start,
              m.excluded_reason, m.queue_kind, m.queue_id, m.channel, m.agent_id, m.initiationmethod,
              m.disconnectreason, m.previouscontactid, m.nextcontactid, m.queued, m.handled, m.answered,
              m.xfer_out_external, m.held, m.queue_time, m.handle_time, m.interaction_time, m.hold_time,
              m.acw_time, m.contact_duration, m.resolution_time) IS DISTINCT FROM (excluded.initiationtimestamp, excluded.disconnecttimestamp, excluded.lastupdatetimestamp,
              excluded.interval_start, excluded.excluded_reason, excluded.queue_kind, excluded.queue_id,
              excluded.channel, excluded.agent_id, excluded.initiationmethod, excluded.disconnectreason,
              excluded.previouscontactid, excluded.nextcontactid, excluded.queued, excluded.handled,
              excluded.answered, excluded.xfer_out_external, excluded.held, excluded.queue_time,
              excluded.handle_time, excluded.interaction_time, excluded.hold_time, excluded.acw_time,
              excluded.contact_duration, excluded.resolution_time)
    )
    SELECT (SELECT coalesce(array_agg(src.contactid), '{}') FROM src),
           (SELECT coalesce(array_agg(old.interval_start) FILTER (WHERE old.interval_start IS NOT NULL), '{}') FROM old),
           (SELECT coalesce(array_agg(old.previouscontactid) FILTER (WHERE old.previouscontactid IS NOT NULL), '{}') FROM old)
           || (SELECT coalesce(array_agg(src.previouscontactid) FILTER (WHERE src.previouscontactid IS NOT NULL), '{}') FROM src)
  $q$, source_where) INTO found, old_ivs, preds USING ids, from_ts, to_ts, initiation_ts;

  -- Contacts given that are no longer in ctr_events count nowhere.
  DELETE FROM connect_lake.contact_metric m
   WHERE m.contactid = ANY (ARRAY(SELECT unnest(ids) EXCEPT SELECT unnest(found)));
  SELECT coalesce(array_agg(DISTINCT t.c), '{}') INTO touched FROM (SELECT unnest(found || ids)) t(c);

  -- The contacts whose follower flags may have changed: these, those they
  -- continue now or continued before, and those naming one as NextContactId.
  SELECT coalesce(array_agg(DISTINCT s.c), '{}') INTO settle
    FROM (SELECT unnest(touched)
          UNION ALL SELECT unnest(preds)
          UNION ALL SELECT m.contactid FROM unnest(touched) t(c)
                     CROSS JOIN LATERAL (SELECT m.contactid FROM connect_lake.contact_metric m
                                          WHERE m.nextcontactid = t.c) m) s(c);
  SELECT old_ivs || coalesce(array_agg(m.interval_start) FILTER (WHERE m.interval_start IS NOT NULL), '{}')
    INTO old_ivs
    FROM (SELECT unnest(settle) EXCEPT SELECT unnest(touched)) x(c)
   CROSS JOIN LATERAL (SELECT m.interval_start FROM connect_lake.contact_metric m WHERE m.contactid = x.c) m;

  UPDATE connect_lake.contact_metric m
     SET callback_requested = connect_lake.metric_callback_requested(m.queued, m.handled, f.methods),
         xfer_out_queue     = connect_lake.metric_xfer_out_queue(m.queued, m.handled, f.methods),
         abandoned          = connect_lake.metric_abandoned(m.queued, m.handled, f.methods),
         xfer_out_internal  = connect_lake.metric_xfer_out_internal(m.handled, f.methods),
         xfer_out_agent     = connect_lake.metric_xfer_out_agent(m.handled,
                                connect_lake.metric_xfer_out_internal(m.handled, f.methods), m.xfer_out_external)
    FROM (SELECT s.c AS contactid, coalesce(fo.methods, '{}') AS methods
            FROM unnest(settle) s(c)
           CROSS JOIN LATERAL (SELECT array_agg(DISTINCT x.initiationmethod) AS methods
                                 FROM connect_lake.contact_metric_follower x
                                WHERE x.contactid = s.c) fo) f
   WHERE m.contactid = f.contactid
     AND (m.callback_requested, m.xfer_out_queue, m.abandoned, m.xfer_out_internal, m.xfer_out_agent)
         IS DISTINCT FROM
         (connect_lake.metric_callback_requested(m.queued, m.handled, f.methods),
          connect_lake.metric_xfer_out_queue(m.queued, m.handled, f.methods),
          connect_lake.metric_abandoned(m.queued, m.handled, f.methods),
          connect_lake.metric_xfer_out_internal(m.handled, f.methods),
          connect_lake.metric_xfer_out_agent(m.handled, connect_lake.metric_xfer_out_internal(m.handled, f.methods),
                                             m.xfer_out_external));

  SELECT coalesce(array_agg(m.interval_start), '{}') INTO new_ivs
    FROM unnest(settle) s(c)
   CROSS JOIN LATERAL (SELECT m.interval_start FROM connect_lake.contact_metric m
                        WHERE m.contactid = s.c AND m.interval_start IS NOT NULL) m;
  PERFORM connect_lake.metric_rollup(old_ivs || new_ivs);
  RETURN cardinality(settle);
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_apply(uuid[], text, timestamptz, timestamptz, timestamptz[]) IS
  'Internal: the upkeep shared by metrics_refresh_contacts() and metrics_refresh(): the contact_metric rows of the contacts of contact_metric_base where source_where holds ($1 ids, $2 from, $3 to, $4 initiation times) and of the contacts ids (removed when gone from ctr_events), the follower flags of them and of the contacts they continue, then the rollups of every interval they counted in before or after. Returns the contacts whose flags were recomputed.';

CREATE FUNCTION connect_lake.metrics_refresh_contacts(contact_ids uuid[], initiation_ts timestamptz[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF initiation_ts IS NOT NULL AND cardinality(initiation_ts) <> cardinality(contact_ids) THEN
    RAISE EXCEPTION 'contact_ids and initiation_ts differ in length (% and %)',
                    cardinality(contact_ids), cardinality(initiation_ts)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give each contact''s InitiationTimestamp at the same position, or leave initiation_ts NULL.';
  END IF;
  IF initiation_ts IS NULL THEN
    RETURN connect_lake.metric_apply(contact_ids, 'b.contactid = ANY ($1)');
  END IF;
  -- Each contact looked up in the partition of its initiation time.
  RETURN connect_lake.metric_apply(contact_ids,
    '(b.contactid, b.initiationtimestamp) IN (SELECT u.c, u.t FROM unnest($1, $4) u(c, t))',
    NULL, NULL, initiation_ts);
END
$fn$;
COMMENT ON FUNCTION connect_lake.metrics_refresh_contacts(uuid[], timestamptz[]) IS
  'Brings contact_metric and the interval rollups up to date for the contacts given (and the contacts they continue: a late CALLBACK, QUEUE_TRANSFER or TRANSFER leg corrects its predecessor), from their rows in ctr_events; with initiation_ts (each contact''s InitiationTimestamp, same order) each is read from its own partition. The writers'' hook: call it with the contacts a transaction inserted or updated. Returns the contacts recomputed.';

CREATE FUNCTION connect_lake.metrics_refresh(from_ts timestamptz DEFAULT '-infinity', to_ts timestamptz DEFAULT 'infinity')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  lo     timestamptz;
  hi     timestamptz;
  day_lo timestamptz;
  ids    uuid[];
  n      bigint := 0;
BEGIN
  IF from_ts IS NULL OR to_ts IS NULL OR from_ts > to_ts THEN
    RAISE EXCEPTION 'metrics_refresh needs from_ts <= to_ts, got % and %', from_ts, to_ts
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give the range of disconnect times to rebuild, e.g. metrics_refresh(''2026-09-01'', ''2026-10-01''); no arguments rebuild all.';
  END IF;
  -- The contacts anchored in the range (disconnect, else initiation), in
  -- ctr_events or in contact_metric: where they begin and end (by indexes).
  SELECT greatest(from_ts, least((SELECT min(e.disconnecttimestamp) FROM connect_lake.ctr_events e),
                                 (SELECT min(e.initiationtimestamp) FROM connect_lake.ctr_events e
                                   WHERE e.disconnecttimestamp IS NULL),
                                 (SELECT min(coalesce(m.disconnecttimestamp, m.initiationtimestamp))
                                    FROM connect_lake.contact_metric m))),
         least(to_ts, greatest((SELECT max(e.disconnecttimestamp) FROM connect_lake.ctr_events e),
                               (SELECT max(e.initiationtimestamp) FROM connect_lake.ctr_events e
                                 WHERE e.disconnecttimestamp IS NULL),
                               (SELECT max(coalesce(m.disconnecttimestamp, m.initiationtimestamp))
                                  FROM connect_lake.contact_metric m)) + interval '1 microsecond')
    INTO lo, hi;
  IF lo IS NULL OR hi IS NULL THEN
    RETURN 0;
  END IF;
  -- A day at a time, so that each step holds a day of contacts.
  day_lo := lo;
  WHILE day_lo < hi LOOP
    SELECT coalesce(array_agg(m.contactid), '{}') INTO ids
      FROM connect_lake.contact_metric m
     WHERE coalesce(m.disconnecttimestamp, m.initiationtimestamp) >= day_lo
       AND coalesce(m.disconnecttimestamp, m.initiationtimestamp) < least(day_lo + interval '1 day', hi);
    n := n + connect_lake.metric_apply(ids,
      '(b.disconnecttimestamp >= $2 AND b.disconnecttimestamp < $3)
       OR (b.disconnecttimestamp IS NULL AND b.initiationtimestamp >= $2 AND b.initiationtimestamp < $3)',
      day_lo, least(day_lo + interval '1 day', hi));
    day_lo := day_lo + interval '1 day';
  END LOOP;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metrics_refresh(timestamptz, timestamptz) IS
  'Rebuilds contact_metric and the interval rollups for the contacts whose disconnect (initiation, when there is none) lies in [from_ts, to_ts), a day at a time; no arguments: all history. For history loaded before the writers kept the metrics, or after hand-written changes of ctr_events. Returns the contacts recomputed.';

-- A threshold added (to metric_threshold, or as the service-level default) is
-- computed for all history at once; one no longer in use is dropped.
CREATE FUNCTION connect_lake.metric_threshold_sync() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
AS $fn$
DECLARE
  x integer;
BEGIN
  DELETE FROM connect_lake.metric_queue_threshold
   WHERE threshold_s <> ALL (connect_lake.metric_thresholds());
  DELETE FROM connect_lake.metric_queue_threshold_day
   WHERE threshold_s <> ALL (connect_lake.metric_thresholds());
  FOREACH x IN ARRAY connect_lake.metric_thresholds() LOOP
    IF NOT EXISTS (SELECT 1 FROM connect_lake.metric_queue_threshold t WHERE t.threshold_s = x) THEN
      INSERT INTO connect_lake.metric_queue_threshold
        SELECT * FROM connect_lake.metric_queue_threshold_live l WHERE l.threshold_s = x;
      INSERT INTO connect_lake.metric_queue_threshold_day
        SELECT * FROM connect_lake.metric_queue_threshold_day_rows('-infinity', 'infinity', x);
    END IF;
  END LOOP;
  -- Days are those of the time zone in force.
  IF TG_TABLE_NAME = 'metric_config' THEN
    TRUNCATE connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day;
    INSERT INTO connect_lake.metric_queue_day
      SELECT * FROM connect_lake.metric_queue_day_rows('-infinity', 'infinity');
    INSERT INTO connect_lake.metric_queue_threshold_day
      SELECT * FROM connect_lake.metric_queue_threshold_day_rows('-infinity', 'infinity');
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_threshold_sync() IS
  'Trigger of metric_threshold and metric_config: computes the "within X" counts of a threshold newly in use for all history and drops those of a threshold no longer in use; after a change of metric_config, makes the day rollups again in the time zone now in force.';
CREATE TRIGGER metric_threshold_sync
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.metric_threshold
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.metric_threshold_sync();
CREATE TRIGGER metric_config_sync
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.metric_config
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.metric_threshold_sync();

-- ---- Re-aggregation: any period from the 15-minute rows
--
-- A 15-minute UTC interval lies within one local half hour, hour, day and
-- week of any time zone (every zone's offset is a multiple of 15 minutes), so
-- summing interval rows gives the period's figures exactly.  Half hours and
-- hours are those of the local clock (a +05:30 zone's hours start at :30
-- UTC); at a DST change the repeated local hour stays two periods.
CREATE FUNCTION connect_lake.metric_period_start(period text, interval_start timestamptz, time_zone text,
                                                 total_start timestamptz DEFAULT NULL) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE period
             WHEN 'FIFTEEN_MIN' THEN interval_start
             WHEN 'THIRTY_MIN' THEN interval_start - ((interval_start AT TIME ZONE time_zone)
                                     - date_bin('30 minutes', interval_start AT TIME ZONE time_zone, timestamp '2000-01-01'))
             WHEN 'HOUR' THEN interval_start - ((interval_start AT TIME ZONE time_zone)
                                     - date_trunc('hour', interval_start AT TIME ZONE time_zone))
             WHEN 'DAY' THEN date_trunc('day', interval_start AT TIME ZONE time_zone) AT TIME ZONE time_zone
             WHEN 'WEEK' THEN date_trunc('week', interval_start AT TIME ZONE time_zone) AT TIME ZONE time_zone
             WHEN 'TOTAL' THEN total_start
           END
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_period_start(text, timestamptz, text, timestamptz) IS
  'The start of the period (FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK from Monday, TOTAL = total_start) in time_zone that holds the 15-minute interval starting at interval_start; NULL for another period name.';

CREATE FUNCTION connect_lake.metric_check_period(period text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  AS $fn$
BEGIN
  IF period IS NULL OR period NOT IN ('FIFTEEN_MIN', 'THIRTY_MIN', 'HOUR', 'DAY', 'WEEK', 'TOTAL') THEN
    RAISE EXCEPTION 'unknown metric period %', coalesce(quote_literal(period), 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A period is one of FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL.';
  END IF;
  RETURN period;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_check_period(text) IS
  'The period name if it is one of FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL; an error naming them otherwise.';

CREATE FUNCTION connect_lake.metric_check_threshold(threshold integer, comparison text DEFAULT 'LT')
  RETURNS integer
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF comparison IS NULL OR comparison NOT IN ('LT', 'LTE') THEN
    RAISE EXCEPTION 'unknown threshold comparison %', coalesce(quote_literal(comparison), 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'A comparison is LT (less than) or LTE (less than or equal).';
  END IF;
  IF threshold IS NULL OR threshold NOT BETWEEN 1 AND 604800 THEN
    RAISE EXCEPTION 'threshold % is outside 1..604800 seconds', coalesce(threshold::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'A threshold is a whole number of seconds from 1 to 604800 (7 days).';
  END IF;
  IF threshold <> ALL (connect_lake.metric_thresholds()) THEN
    RAISE EXCEPTION 'threshold % seconds is not kept per interval', threshold
      USING ERRCODE = 'invalid_parameter_value',
            HINT = format('Kept: %s. Add it with INSERT INTO connect_lake.metric_threshold VALUES (%s); its counts are computed for all history.',
                          array_to_string(connect_lake.metric_thresholds(), ', '), threshold);
  END IF;
  RETURN threshold;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_check_threshold(integer, text) IS
  'The threshold if it is kept per interval (metric_thresholds()) and the comparison is LT or LTE; an error naming the thresholds kept otherwise.';

CREATE FUNCTION connect_lake.metric_use_days(period text, from_ts timestamptz, to_ts timestamptz, time_zone text)
  RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT period = 'DAY' AND time_zone = connect_lake.metric_time_zone()
       AND (from_ts = '-infinity' OR from_ts = (from_ts AT TIME ZONE time_zone)::date::timestamp AT TIME ZONE time_zone)
       AND (to_ts = 'infinity' OR to_ts = (to_ts AT TIME ZONE time_zone)::date::timestamp AT TIME ZONE time_zone)
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_use_days(text, timestamptz, timestamptz, text) IS
  'Whether queue_metrics() may read the day rollups: days of the metrics time zone, from local midnight to local midnight.';

CREATE FUNCTION connect_lake.queue_metrics(period text, from_ts timestamptz, to_ts timestamptz,
                                           time_zone text DEFAULT connect_lake.metric_time_zone(),
                                           threshold integer DEFAULT connect_lake.metric_service_level_threshold(),
                                           comparison text DEFAULT connect_lake.metric_service_level_comparison())
RETURNS TABLE (period_start timestamptz, queue_id uuid, queue_name text, queue_kind text, channel text,
               contacts_created bigint, contacts_queued bigint, contacts_handled bigint,
               contacts_handled_incoming bigint, contacts_handled_outbound bigint,
               callback_contacts_handled bigint, api_contacts_handled bigint,
               contacts_agent_hung_up_first bigint, contacts_transferred_in bigint,
               contacts_transferred_in_from_queue bigint, contacts_abandoned bigint,
               callbacks_requested bigint, contacts_transferred_out bigint,
               contacts_transferred_out_by_agent bigint, contacts_transferred_out_from_queue bigint,
               contacts_transferred_out_internal bigint, contacts_transferred_out_external bigint,
               contacts_put_on_hold bigint,
               service_level_threshold integer, service_level_comparison text,
               contacts_answered_in_x bigint, contacts_abandoned_in_x bigint, contacts_removed_in_x bigint,
               contacts_removed_at_x bigint,
               service_level numeric, abandonment_rate numeric,
               avg_queue_answer_time numeric, avg_abandon_time numeric, max_queued_time integer,
               avg_handle_time numeric, sum_handle_time bigint, avg_interaction_time numeric,
               avg_hold_time numeric, avg_after_contact_work_time numeric, avg_contact_duration numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT q.p, q.queue_id, d.queue_name, q.queue_kind, q.channel,
         q.contacts, q.contacts_queued, q.contacts_handled, q.contacts_handled_incoming,
         q.contacts_handled_outbound, q.contacts_handled_callback, q.contacts_handled_api,
         q.contacts_agent_hung_up_first, q.contacts_transferred_in, q.contacts_transferred_in_from_queue,
         q.contacts_abandoned, q.callbacks_requested,
         q.transferred_out_by_agent + q.transferred_out_from_queue, q.transferred_out_by_agent,
         q.transferred_out_from_queue, q.transferred_out_internal, q.transferred_out_external,
         q.contacts_put_on_hold,
         threshold, comparison,
         coalesce(t.answered_lt + CASE WHEN comparison = 'LTE' THEN t.answered_eq ELSE 0 END, 0),
         coalesce(t.abandoned_lt + CASE WHEN comparison = 'LTE' THEN t.abandoned_eq ELSE 0 END, 0),
         coalesce(t.removed_lt + CASE WHEN comparison = 'LTE' THEN t.removed_eq ELSE 0 END, 0),
         coalesce(t.removed_eq, 0),
         connect_lake.metric_service_level(
           coalesce(t.removed_lt + CASE WHEN comparison = 'LTE' THEN t.removed_eq ELSE 0 END, 0), q.contacts_queued),
         connect_lake.metric_abandonment_rate(q.contacts_abandoned, q.contacts_queued),
         connect_lake.metric_asa(q.queue_answer_time_sum, q.contacts_answered),
         connect_lake.metric_ratio(q.abandon_time_sum, q.contacts_abandoned),
         q.queued_time_max,
         connect_lake.metric_aht(q.handle_time_sum, q.contacts_handled), q.handle_time_sum,
         connect_lake.metric_ratio(q.interaction_time_sum, q.contacts_handled),
         connect_lake.metric_ratio(q.hold_time_sum, q.contacts_put_on_hold),
         connect_lake.metric_ratio(q.acw_time_sum, q.contacts_handled),
         connect_lake.metric_ratio(q.contact_duration_sum, q.contacts)
    FROM (-- Whole days of the metrics time zone: the day rollups ...
          SELECT r.day::timestamp AT TIME ZONE time_zone AS p, r.queue_kind, r.queue_id, r.channel,
                 r.contacts, r.contacts_queued, r.contacts_handled, r.contacts_handled_incoming,
                 r.contacts_handled_outbound, r.contacts_handled_callback, r.contacts_handled_api,
                 r.contacts_agent_hung_up_first, r.contacts_transferred_in, r.contacts_transferred_in_from_queue,
                 r.contacts_answered, r.contacts_abandoned, r.callbacks_requested, r.transferred_out_from_queue,
                 r.transferred_out_internal, r.transferred_out_external, r.transferred_out_by_agent,
                 r.contacts_put_on_hold, r.queue_answer_time_sum, r.abandon_time_sum, r.queued_time_max,
                 r.handle_time_sum, r.interaction_time_sum, r.hold_time_sum, r.acw_time_sum, r.contact_duration_sum
            FROM connect_lake.metric_queue_day r
           WHERE connect_lake.metric_use_days(period, from_ts, to_ts, time_zone)
             AND r.day >= (from_ts AT TIME ZONE time_zone)::date AND r.day < (to_ts AT TIME ZONE time_zone)::date
          UNION ALL
          -- ... any other period: the 15-minute rows.
          SELECT connect_lake.metric_period_start(connect_lake.metric_check_period(period),
                                                  r.interval_start, time_zone, from_ts) AS p,
                 r.queue_kind, r.queue_id, r.channel,
                 sum(r.contacts)::bigint AS contacts, sum(r.contacts_queued)::bigint AS contacts_queued,
                 sum(r.contacts_handled)::bigint AS contacts_handled,
                 sum(r.contacts_handled_incoming)::bigint AS contacts_handled_incoming,
                 sum(r.contacts_handled_outbound)::bigint AS contacts_handled_outbound,
                 sum(r.contacts_handled_callback)::bigint AS contacts_handled_callback,
                 sum(r.contacts_handled_api)::bigint AS contacts_handled_api,
                 sum(r.contacts_agent_hung_up_first)::bigint AS contacts_agent_hung_up_first,
                 sum(r.contacts_transferred_in)::bigint AS contacts_transferred_in,
                 sum(r.contacts_transferred_in_from_queue)::bigint AS contacts_transferred_in_from_queue,
                 sum(r.contacts_answered)::bigint AS contacts_answered,
                 sum(r.contacts_abandoned)::bigint AS contacts_abandoned,
                 sum(r.callbacks_requested)::bigint AS callbacks_requested,
                 sum(r.transferred_out_from_queue)::bigint AS transferred_out_from_queue,
                 sum(r.transferred_out_internal)::bigint AS transferred_out_internal,
                 sum(r.transferred_out_external)::bigint AS transferred_out_external,
                 sum(r.transferred_out_by_agent)::bigint AS transferred_out_by_agent,
                 sum(r.contacts_put_on_hold)::bigint AS contacts_put_on_hold,
                 sum(r.queue_answer_time_sum)::bigint AS queue_answer_time_sum,
                 sum(r.abandon_time_sum)::bigint AS abandon_time_sum,
                 max(r.queued_time_max) AS queued_time_max,
                 sum(r.handle_time_sum)::bigint AS handle_time_sum,
                 sum(r.interaction_time_sum)::bigint AS interaction_time_sum,
                 sum(r.hold_time_sum)::bigint AS hold_time_sum,
                 sum(r.acw_time_sum)::bigint AS acw_time_sum,
                 sum(r.contact_duration_sum)::bigint AS contact_duration_sum
            FROM connect_lake.metric_queue_interval r
           WHERE NOT connect_lake.metric_use_days(period, from_ts, to_ts, time_zone)
             AND r.interval_start >= from_ts AND r.interval_start < to_ts
           GROUP BY 1, 2, 3, 4) q
    LEFT JOIN (SELECT r.day::timestamp AT TIME ZONE time_zone AS p, r.queue_kind, r.queue_id, r.channel,
                      r.answered_lt::bigint, r.answered_eq::bigint, r.abandoned_lt::bigint, r.abandoned_eq::bigint,
                      r.removed_lt::bigint, r.removed_eq::bigint
                 FROM connect_lake.metric_queue_threshold_day r
                WHERE connect_lake.metric_use_days(period, from_ts, to_ts, time_zone)
                  AND r.threshold_s = (SELECT connect_lake.metric_check_threshold(threshold, comparison))
                  AND r.day >= (from_ts AT TIME ZONE time_zone)::date AND r.day < (to_ts AT TIME ZONE time_zone)::date
               UNION ALL
               SELECT connect_lake.metric_period_start(period, r.interval_start, time_zone, from_ts) AS p,
                      r.queue_kind, r.queue_id, r.channel,
                      sum(r.answered_lt)::bigint AS answered_lt, sum(r.answered_eq)::bigint AS answered_eq,
                      sum(r.abandoned_lt)::bigint AS abandoned_lt, sum(r.abandoned_eq)::bigint AS abandoned_eq,
                      sum(r.removed_lt)::bigint AS removed_lt, sum(r.removed_eq)::bigint AS removed_eq
                 FROM connect_lake.metric_queue_threshold r
                WHERE NOT connect_lake.metric_use_days(period, from_ts, to_ts, time_zone)
                  AND r.threshold_s = (SELECT connect_lake.metric_check_threshold(threshold, comparison))
                  AND r.interval_start >= from_ts AND r.interval_start < to_ts
                GROUP BY 1, 2, 3, 4) t
      -- NULL keys (no queue, no channel) match each other; the join stays hashable.
      ON t.p = q.p AND t.queue_kind = q.queue_kind
     AND coalesce(t.queue_id, '00000000-0000-0000-0000-000000000000') = coalesce(q.queue_id, '00000000-0000-0000-0000-000000000000')
     AND coalesce(t.channel, '') = coalesce(q.channel, '')
    LEFT JOIN connect_lake.queue_dim d ON d.queue_id = q.queue_id AND q.queue_kind = 'STANDARD'
$fn$;
COMMENT ON FUNCTION connect_lake.queue_metrics(text, timestamptz, timestamptz, text, integer, text) IS
  'Queue metrics per period (FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL) in time_zone, queue and channel, for the 15-minute intervals starting in [from_ts, to_ts), re-aggregated exactly from metric_queue_interval and metric_queue_threshold (whole days of metric_time_zone(): from their day rollups) (threshold must be one of metric_thresholds(): others count no contact within X). Columns as the view queue_metrics_15min.';

CREATE FUNCTION connect_lake.agent_metrics(period text, from_ts timestamptz, to_ts timestamptz,
                                           time_zone text DEFAULT connect_lake.metric_time_zone())
RETURNS TABLE (period_start timestamptz, agent_id uuid, agent_username text, channel text,
               contacts_handled bigint, contacts_handled_incoming bigint, contacts_handled_outbound bigint,
               callback_contacts_handled bigint, api_contacts_handled bigint, contacts_agent_hung_up_first bigint,
               contacts_transferred_out_by_agent bigint, contacts_transferred_out_internal bigint,
               contacts_transferred_out_external bigint, contacts_put_on_hold bigint,
               avg_handle_time numeric, sum_handle_time bigint, avg_interaction_time numeric,
               sum_interaction_time bigint, avg_hold_time numeric, sum_hold_time bigint,
               avg_after_contact_work_time numeric, sum_after_contact_work_time bigint,
               avg_queue_answer_time numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT a.p, a.agent_id, d.username, a.channel,
         a.contacts_handled, a.contacts_handled_incoming, a.contacts_handled_outbound, a.contacts_handled_callback,
         a.contacts_handled_api, a.contacts_agent_hung_up_first, a.transferred_out_by_agent,
         a.transferred_out_internal, a.transferred_out_external, a.contacts_put_on_hold,
         connect_lake.metric_aht(a.handle_time_sum, a.contacts_handled), a.handle_time_sum,
         connect_lake.metric_ratio(a.interaction_time_sum, a.contacts_handled), a.interaction_time_sum,
         connect_lake.metric_ratio(a.hold_time_sum, a.contacts_put_on_hold), a.hold_time_sum,
         connect_lake.metric_ratio(a.acw_time_sum, a.contacts_handled), a.acw_time_sum,
         connect_lake.metric_asa(a.queue_answer_time_sum, a.contacts_answered)
    FROM (SELECT connect_lake.metric_period_start(connect_lake.metric_check_period(period),
                                                  r.interval_start, time_zone, from_ts) AS p,
                 r.agent_id, r.channel,
                 sum(r.contacts_handled)::bigint AS contacts_handled,
                 sum(r.contacts_handled_incoming)::bigint AS contacts_handled_incoming,
                 sum(r.contacts_handled_outbound)::bigint AS contacts_handled_outbound,
                 sum(r.contacts_handled_callback)::bigint AS contacts_handled_callback,
                 sum(r.contacts_handled_api)::bigint AS contacts_handled_api,
                 sum(r.contacts_agent_hung_up_first)::bigint AS contacts_agent_hung_up_first,
                 sum(r.contacts_answered)::bigint AS contacts_answered,
                 sum(r.transferred_out_internal)::bigint AS transferred_out_internal,
                 sum(r.transferred_out_external)::bigint AS transferred_out_external,
                 sum(r.transferred_out_by_agent)::bigint AS transferred_out_by_agent,
                 sum(r.contacts_put_on_hold)::bigint AS contacts_put_on_hold,
                 sum(r.queue_answer_time_sum)::bigint AS queue_answer_time_sum,
                 sum(r.handle_time_sum)::bigint AS handle_time_sum,
                 sum(r.interaction_time_sum)::bigint AS interaction_time_sum,
                 sum(r.hold_time_sum)::bigint AS hold_time_sum,
                 sum(r.acw_time_sum)::bigint AS acw_time_sum
            FROM connect_lake.metric_agent_interval r
           WHERE r.interval_start >= from_ts AND r.interval_start < to_ts
           GROUP BY 1, 2, 3) a
    LEFT JOIN connect_lake.agent_dim d ON d.agent_id = a.agent_id
$fn$;
COMMENT ON FUNCTION connect_lake.agent_metrics(text, timestamptz, timestamptz, text) IS
  'Contact metrics of the agents (the agent on each CTR) per period (FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL) in time_zone and channel, all queues together, for the 15-minute intervals starting in [from_ts, to_ts), re-aggregated exactly from metric_agent_interval. Columns as the view agent_metrics_15min.';

-- ---- The analysts' views
CREATE VIEW connect_lake.queue_metrics_15min AS
  SELECT m.period_start AS interval_start, m.queue_id, m.queue_name, m.queue_kind, m.channel,
         m.contacts_created, m.contacts_queued, m.contacts_handled, m.contacts_handled_incoming,
         m.contacts_handled_outbound, m.callback_contacts_handled, m.api_contacts_handled,
         m.contacts_agent_hung_up_first, m.contacts_transferred_in, m.contacts_transferred_in_from_queue,
         m.contacts_abandoned, m.callbacks_requested, m.contacts_transferred_out,
         m.contacts_transferred_out_by_agent, m.contacts_transferred_out_from_queue,
         m.contacts_transferred_out_internal, m.contacts_transferred_out_external, m.contacts_put_on_hold,
         m.service_level_threshold, m.service_level_comparison, m.contacts_answered_in_x,
         m.contacts_abandoned_in_x, m.contacts_removed_in_x, m.contacts_removed_at_x, m.service_level,
         m.abandonment_rate, m.avg_queue_answer_time, m.avg_abandon_time, m.max_queued_time,
         m.avg_handle_time, m.sum_handle_time, m.avg_interaction_time, m.avg_hold_time,
         m.avg_after_contact_work_time, m.avg_contact_duration
    FROM connect_lake.queue_metrics('FIFTEEN_MIN', '-infinity', 'infinity') m;
COMMENT ON VIEW connect_lake.queue_metrics_15min IS
  'Queue metrics per 15-minute UTC interval (of the disconnect), queue and channel, as Amazon Connect''s historical metrics define them; service level at the configured default threshold (metric_config). Rows of the AGENT and NONE queue kinds are kept; Amazon''s queue reports leave them out.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.interval_start IS 'Start of the 15-minute UTC interval; a contact counts in the interval of its disconnect.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.queue_id IS 'Queue id (the QUEUE dimension of GetMetricDataV2); NULL: contacts without a queue.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.queue_name IS 'The queue''s latest name (queue_dim); NULL for agent queues and no queue.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.queue_kind IS 'STANDARD, AGENT (agent''s personal queue, outside Amazon''s queue reports) or NONE (no queue).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.channel IS 'Channel: VOICE, CHAT, TASK, EMAIL.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_created IS 'Contacts carrying the queue, queued or not (CONTACTS_CREATED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_queued IS 'Contacts queued: with an EnqueueTimestamp (CONTACTS_QUEUED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_handled IS 'Contacts connected to an agent, any route (CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_handled_incoming IS 'Handled, InitiationMethod INBOUND, TRANSFER or QUEUE_TRANSFER (CONTACTS_HANDLED_INCOMING).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_handled_outbound IS 'Handled, InitiationMethod OUTBOUND (CONTACTS_HANDLED_OUTBOUND).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.callback_contacts_handled IS 'Handled, InitiationMethod CALLBACK (CALLBACK_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.api_contacts_handled IS 'Handled, InitiationMethod API: chats and API-started calls (API_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_agent_hung_up_first IS 'Handled, DisconnectReason AGENT_DISCONNECT (CONTACTS_AGENT_HUNG_UP_FIRST).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_in IS 'Contacts transferred in by an agent: InitiationMethod TRANSFER (CONTACTS_TRANSFERRED_IN).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_in_from_queue IS 'Contacts transferred in from another queue: InitiationMethod QUEUE_TRANSFER (CONTACTS_TRANSFERRED_IN_FROM_QUEUE).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_abandoned IS 'Queued, never connected to an agent, neither a callback request nor a queue transfer (CONTACTS_ABANDONED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.callbacks_requested IS 'Queued contacts that left the queue for a queued callback; not abandons (LAKE_CALLBACKS_REQUESTED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_out IS 'Transferred out by agent plus from queue (CONTACTS_TRANSFERRED_OUT).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_out_by_agent IS 'Handled and transferred out internal or external (CONTACTS_TRANSFERRED_OUT_BY_AGENT).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_out_from_queue IS 'Transferred to another queue by the queue''s flow (CONTACTS_TRANSFERRED_OUT_FROM_QUEUE).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_out_internal IS 'Handled and continued by a TRANSFER leg (CONTACTS_TRANSFERRED_OUT_INTERNAL).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_out_external IS 'Transferred out of Amazon Connect: TransferCompletedTimestamp (CONTACTS_TRANSFERRED_OUT_EXTERNAL).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_put_on_hold IS 'Handled contacts held once or more (CONTACTS_PUT_ON_HOLD).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.service_level_threshold IS 'The threshold X of the service-level columns, seconds (metric_service_level_threshold()).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.service_level_comparison IS 'LT (queue time < X) or LTE (<= X) (metric_service_level_comparison()).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_answered_in_x IS 'Contacts answered within X (SUM_CONTACTS_ANSWERED_IN_X).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_abandoned_in_x IS 'Contacts abandoned within X (SUM_CONTACTS_ABANDONED_IN_X).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_removed_in_x IS 'Contacts removed from queue (answered, abandoned, callback requested) within X (CONTACTS_REMOVED_FROM_QUEUE_IN_X).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_removed_at_x IS 'Contacts removed from queue with a queue time of exactly X seconds: where a whole-second CTR and Amazon''s milliseconds may disagree.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.service_level IS 'Service level X, percent: 100 * removed within X / queued (SERVICE_LEVEL); NULL without queued contacts.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.abandonment_rate IS 'Abandonment rate, percent: 100 * abandoned / queued (ABANDONMENT_RATE); NULL without queued contacts.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_queue_answer_time IS 'Average queue answer time (ASA), seconds, of the contacts answered from the queue (AVG_QUEUE_ANSWER_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_abandon_time IS 'Average queue time of the abandoned contacts, seconds (AVG_ABANDON_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.max_queued_time IS 'Longest queue time of a queued contact, abandoned ones included, seconds (MAX_QUEUED_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_handle_time IS 'Average handle time (AHT): (talk + hold + ACW) / contacts handled, seconds (AVG_HANDLE_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.sum_handle_time IS 'Handle time of the handled contacts, seconds (SUM_HANDLE_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_interaction_time IS 'Average agent interaction (talk) time per handled contact, seconds (AVG_INTERACTION_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_hold_time IS 'Average customer hold time of the contacts put on hold, seconds (AVG_HOLD_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_after_contact_work_time IS 'Average after-contact work time per handled contact, seconds (AVG_AFTER_CONTACT_WORK_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_contact_duration IS 'Average seconds from initiation to disconnect, every contact of the row (AVG_CONTACT_DURATION).';

CREATE FUNCTION connect_lake.queue_metrics_daily(from_day date, to_day date)
RETURNS SETOF connect_lake.queue_metrics_15min
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT m.period_start, m.queue_id, m.queue_name, m.queue_kind, m.channel,
         m.contacts_created, m.contacts_queued, m.contacts_handled, m.contacts_handled_incoming,
         m.contacts_handled_outbound, m.callback_contacts_handled, m.api_contacts_handled,
         m.contacts_agent_hung_up_first, m.contacts_transferred_in, m.contacts_transferred_in_from_queue,
         m.contacts_abandoned, m.callbacks_requested, m.contacts_transferred_out,
         m.contacts_transferred_out_by_agent, m.contacts_transferred_out_from_queue,
         m.contacts_transferred_out_internal, m.contacts_transferred_out_external, m.contacts_put_on_hold,
         m.service_level_threshold, m.service_level_comparison, m.contacts_answered_in_x,
         m.contacts_abandoned_in_x, m.contacts_removed_in_x, m.contacts_removed_at_x, m.service_level,
         m.abandonment_rate, m.avg_queue_answer_time, m.avg_abandon_time, m.max_queued_time,
         m.avg_handle_time, m.sum_handle_time, m.avg_interaction_time, m.avg_hold_time,
         m.avg_after_contact_work_time, m.avg_contact_duration
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         LATERAL connect_lake.queue_metrics('DAY', from_day::timestamp AT TIME ZONE z.tz,
                                            (to_day + 1)::timestamp AT TIME ZONE z.tz, z.tz) m
   ORDER BY 1, 4, 2, 5
$fn$;
COMMENT ON FUNCTION connect_lake.queue_metrics_daily(date, date) IS
  'Queue metrics per local day (metric_time_zone()) from from_day to to_day, both included, per queue and channel; columns as queue_metrics_15min, interval_start being the local midnight that starts the day.';

CREATE VIEW connect_lake.queue_metrics_daily AS
  SELECT (d.interval_start AT TIME ZONE connect_lake.metric_time_zone())::date AS day, d.*
    FROM connect_lake.queue_metrics_daily('-infinity', 'infinity') d;
COMMENT ON VIEW connect_lake.queue_metrics_daily IS
  'Queue metrics per local day (metric_time_zone(): metric_config.time_zone, else lake_time_zone()), queue and channel, every day: the 15-minute rows re-aggregated exactly (queue_metrics_daily(from_day, to_day) for a range).';
COMMENT ON COLUMN connect_lake.queue_metrics_daily.day IS 'The local day.';

CREATE VIEW connect_lake.agent_metrics_15min AS
  SELECT m.period_start AS interval_start, m.agent_id, m.agent_username, m.channel,
         m.contacts_handled, m.contacts_handled_incoming, m.contacts_handled_outbound,
         m.callback_contacts_handled, m.api_contacts_handled, m.contacts_agent_hung_up_first,
         m.contacts_transferred_out_by_agent, m.contacts_transferred_out_internal,
         m.contacts_transferred_out_external, m.contacts_put_on_hold, m.avg_handle_time, m.sum_handle_time,
         m.avg_interaction_time, m.sum_interaction_time, m.avg_hold_time, m.sum_hold_time,
         m.avg_after_contact_work_time, m.sum_after_contact_work_time, m.avg_queue_answer_time
    FROM connect_lake.agent_metrics('FIFTEEN_MIN', '-infinity', 'infinity') m;
COMMENT ON VIEW connect_lake.agent_metrics_15min IS
  'Contact metrics of each agent (the agent on the CTR) per 15-minute UTC interval (of the disconnect) and channel, all queues together. Agent activity (online, idle, occupancy) comes from agent events and is not here yet.';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.interval_start IS 'Start of the 15-minute UTC interval; a contact counts in the interval of its disconnect.';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.agent_id IS 'Agent id (the AGENT dimension of GetMetricDataV2).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.agent_username IS 'The agent''s latest username (agent_dim).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.channel IS 'Channel: VOICE, CHAT, TASK, EMAIL.';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_handled IS 'Contacts the agent was connected to (CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_handled_incoming IS 'Handled, InitiationMethod INBOUND, TRANSFER or QUEUE_TRANSFER (CONTACTS_HANDLED_INCOMING).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_handled_outbound IS 'Handled, InitiationMethod OUTBOUND (CONTACTS_HANDLED_OUTBOUND).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.callback_contacts_handled IS 'Handled, InitiationMethod CALLBACK (CALLBACK_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.api_contacts_handled IS 'Handled, InitiationMethod API (API_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_agent_hung_up_first IS 'Handled, DisconnectReason AGENT_DISCONNECT (CONTACTS_AGENT_HUNG_UP_FIRST).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_transferred_out_by_agent IS 'Transferred out by the agent, internal or external (CONTACTS_TRANSFERRED_OUT_BY_AGENT).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_transferred_out_internal IS 'Transferred by the agent to a quick connect (CONTACTS_TRANSFERRED_OUT_INTERNAL).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_transferred_out_external IS 'Transferred out of Amazon Connect (CONTACTS_TRANSFERRED_OUT_EXTERNAL).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_put_on_hold IS 'Handled contacts held once or more (CONTACTS_PUT_ON_HOLD).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.avg_handle_time IS 'Average handle time (talk + hold + ACW) per handled contact, seconds (AVG_HANDLE_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.sum_handle_time IS 'Handle time, seconds (SUM_HANDLE_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.avg_interaction_time IS 'Average talk time per handled contact, seconds (AVG_INTERACTION_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.sum_interaction_time IS 'Talk time, seconds (SUM_INTERACTION_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.avg_hold_time IS 'Average customer hold time of the contacts put on hold, seconds (AVG_HOLD_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.sum_hold_time IS 'Customer hold time, seconds (SUM_HOLD_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.avg_after_contact_work_time IS 'Average ACW per handled contact, seconds (AVG_AFTER_CONTACT_WORK_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.sum_after_contact_work_time IS 'After-contact work, seconds (SUM_AFTER_CONTACT_WORK_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.avg_queue_answer_time IS 'Average queue time of the queued contacts the agent answered, seconds (AVG_QUEUE_ANSWER_TIME).';

CREATE FUNCTION connect_lake.agent_metrics_daily(from_day date, to_day date)
RETURNS SETOF connect_lake.agent_metrics_15min
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT m.period_start, m.agent_id, m.agent_username, m.channel,
         m.contacts_handled, m.contacts_handled_incoming, m.contacts_handled_outbound,
         m.callback_contacts_handled, m.api_contacts_handled, m.contacts_agent_hung_up_first,
         m.contacts_transferred_out_by_agent, m.contacts_transferred_out_internal,
         m.contacts_transferred_out_external, m.contacts_put_on_hold, m.avg_handle_time, m.sum_handle_time,
         m.avg_interaction_time, m.sum_interaction_time, m.avg_hold_time, m.sum_hold_time,
         m.avg_after_contact_work_time, m.sum_after_contact_work_time, m.avg_queue_answer_time
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         LATERAL connect_lake.agent_metrics('DAY', from_day::timestamp AT TIME ZONE z.tz,
                                            (to_day + 1)::timestamp AT TIME ZONE z.tz, z.tz) m
   ORDER BY 1, 3, 2, 4
$fn$;
COMMENT ON FUNCTION connect_lake.agent_metrics_daily(date, date) IS
  'Agent contact metrics per local day (metric_time_zone()) from from_day to to_day, both included, per agent and channel; columns as agent_metrics_15min, interval_start being the local midnight that starts the day.';

CREATE VIEW connect_lake.agent_metrics_daily AS
  SELECT (d.interval_start AT TIME ZONE connect_lake.metric_time_zone())::date AS day, d.*
    FROM connect_lake.agent_metrics_daily('-infinity', 'infinity') d;
COMMENT ON VIEW connect_lake.agent_metrics_daily IS
  'Agent contact metrics per local day (metric_time_zone()), agent and channel, every day (agent_metrics_daily(from_day, to_day) for a range).';
COMMENT ON COLUMN connect_lake.agent_metrics_daily.day IS 'The local day.';

-- Columns of the same name mean the same: the daily views' what the
-- 15-minute views' do (per day), the _live views' and contact_metric_base's
-- what their tables' do.
DO $comments$
DECLARE r record;
BEGIN
  FOR r IN SELECT v.dst, a.attname, v.prefix, col_description(a.attrelid, a.attnum) AS d
             FROM (VALUES ('connect_lake.queue_metrics_15min'::regclass, 'queue_metrics_daily', 'Of the local day: '),
                          ('connect_lake.agent_metrics_15min'::regclass, 'agent_metrics_daily', 'Of the local day: '),
                          ('connect_lake.contact_metric'::regclass, 'contact_metric_base', ''),
                          ('connect_lake.metric_queue_interval'::regclass, 'metric_queue_day', 'Of the local day: '),
                          ('connect_lake.metric_queue_threshold'::regclass, 'metric_queue_threshold_day', 'Of the local day: '),
                          ('connect_lake.metric_queue_interval'::regclass, 'metric_queue_interval_live', ''),
                          ('connect_lake.metric_agent_interval'::regclass, 'metric_agent_interval_live', ''),
                          ('connect_lake.metric_queue_threshold'::regclass, 'metric_queue_threshold_live', ''))
                  v(src, dst, prefix)
             JOIN pg_attribute a ON a.attrelid = v.src AND a.attnum > 0 AND NOT a.attisdropped
             JOIN pg_attribute b ON b.attrelid = ('connect_lake.' || v.dst)::regclass AND b.attname = a.attname
            ORDER BY 1, 2 LOOP
    EXECUTE format('COMMENT ON COLUMN connect_lake.%I.%I IS %L', r.dst, r.attname,
                   CASE WHEN r.dst LIKE '%daily' AND r.attname = 'interval_start'
                        THEN 'The local midnight that starts the day.' ELSE r.prefix || r.d END);
  END LOOP;
END
$comments$;

-- ---- Privileges: the loader keeps the metrics as it lands CTRs.
GRANT INSERT, UPDATE, DELETE ON connect_lake.contact_metric, connect_lake.metric_queue_interval,
  connect_lake.metric_agent_interval, connect_lake.metric_queue_threshold, connect_lake.metric_queue_day,
  connect_lake.metric_queue_threshold_day TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.metric_rollup(timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.metric_apply(uuid[], text, timestamptz, timestamptz, timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.metrics_refresh_contacts(uuid[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.metrics_refresh(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.metric_rollup(timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.metric_apply(uuid[], text, timestamptz, timestamptz, timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.metrics_refresh_contacts(uuid[], timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.metrics_refresh(timestamptz, timestamptz) TO connect_lake_loader;

-- What 99_grants.sql gives every table and view of a fresh lake.
GRANT SELECT ON connect_lake.metric_config, connect_lake.metric_threshold, connect_lake.metric_threshold_default,
  connect_lake.contact_metric, connect_lake.contact_metric_base, connect_lake.contact_metric_follower,
  connect_lake.metric_excluded_contacts, connect_lake.metric_queue_interval_live, connect_lake.metric_queue_interval,
  connect_lake.metric_agent_interval_live, connect_lake.metric_agent_interval,
  connect_lake.metric_queue_threshold_live, connect_lake.metric_queue_threshold,
  connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day,
  connect_lake.queue_metrics_15min, connect_lake.queue_metrics_daily,
  connect_lake.agent_metrics_15min, connect_lake.agent_metrics_daily
  TO connect_lake_reader, connect_lake_loader;

-- ==== load_rejects.raw is the loader's to read (issue 16): a reject's raw text
-- is a copy of the file's bytes; analysts see where a record was and why.
REVOKE SELECT ON connect_lake.load_rejects FROM connect_lake_reader;
GRANT SELECT (reject_id, kind, path, byte_offset, line, reason, rejected_at) ON connect_lake.load_rejects
  TO connect_lake_reader;

-- ==== Partitions without blocking readers, and a name per month (issue 16, locks):
-- create_partition() creates a new month as a table of its own and attaches
-- it (SHARE UPDATE EXCLUSIVE on the parent, which SELECTs pass) instead of
-- CREATE TABLE ... PARTITION OF (ACCESS EXCLUSIVE to the end of the load);
-- months before the common era get "bc" in their name.
CREATE OR REPLACE FUNCTION connect_lake.create_partition(parent regclass, ts timestamptz)
RETURNS regclass
LANGUAGE plpgsql
VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  relname  name;
  month    timestamp;
  part     text;
  existing regclass;
  fact     connect_lake.fact_table;
  idx      text;
BEGIN
  SELECT f.* INTO fact
    FROM pg_class c
    JOIN connect_lake.fact_table f ON f.relname = c.relname
   WHERE c.oid = parent AND c.relkind = 'p'
     AND c.relnamespace = 'connect_lake'::regnamespace;
  relname := fact.relname;
  IF relname IS NULL THEN
    RAISE EXCEPTION 'relation "%" is not a partitioned table of the lake', parent
      USING ERRCODE = 'wrong_object_type',
            HINT = 'Partitions are created only for connect_lake''s own fact tables.';
  END IF;
  IF NOT isfinite(ts) THEN
    RAISE EXCEPTION 'cannot create a partition of "%" for timestamp %', relname, ts
      USING ERRCODE = 'datetime_field_overflow';
  END IF;

  month := date_trunc('month', ts AT TIME ZONE 'UTC');
  part  := format('%s_p%s%s', relname, to_char(month, 'YYYYMM'),
                  CASE WHEN month < '0001-01-01'::timestamp THEN 'bc' ELSE '' END);
  existing := to_regclass(format('connect_lake.%I', part));
  IF existing IS NOT NULL THEN
    RETURN existing;
  END IF;

  -- Serialise concurrent writers that need a month of this table, then
  -- look again: in the catalog itself (to_regclass may answer from this
  -- session's cache, which has not seen a partition committed while we
  -- waited).  SHARE UPDATE EXCLUSIVE is the lock ATTACH PARTITION takes
  -- anyway: readers and writers of the table are not stopped by it.
  EXECUTE format('LOCK TABLE connect_lake.%I IN SHARE UPDATE EXCLUSIVE MODE', relname);
  SELECT c.oid::regclass INTO existing FROM pg_class c
   WHERE c.relname = part AND c.relnamespace = 'connect_lake'::regnamespace;
  IF existing IS NOT NULL THEN
    RETURN existing;
  END IF;

  EXECUTE format(
    'CREATE TABLE connect_lake.%I (LIKE connect_lake.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)',
    part, relname);
  EXECUTE format('ALTER TABLE connect_lake.%I ADD CONSTRAINT %I %s (%s)',
                 part, part || '_key', fact.key_kind,
                 (SELECT string_agg(quote_ident(k), ', ') FROM unnest(fact.key_columns) k));
  FOREACH idx IN ARRAY fact.indexes LOOP
    EXECUTE format('CREATE INDEX ON connect_lake.%I %s', part, idx);
  END LOOP;
  EXECUTE format(
    'ALTER TABLE connect_lake.%I ATTACH PARTITION connect_lake.%I FOR VALUES FROM (%L) TO (%L)',
    relname, part,
    (month AT TIME ZONE 'UTC')::text,
    ((month + interval '1 month') AT TIME ZONE 'UTC')::text);
  -- Writers (ingest(), load()) insert into the partition itself, which
  -- checks the partition's privileges: give it the parent's grants.
  FOR idx IN
    SELECT format('GRANT %s ON connect_lake.%I TO %s', a.privilege_type, part,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END)
      FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.oid = parent AND a.grantee <> c.relowner
  LOOP
    EXECUTE idx;
  END LOOP;
  RETURN format('connect_lake.%I', part)::regclass;
END
$fn$;

COMMENT ON FUNCTION connect_lake.create_partition(regclass, timestamptz) IS
  'Returns the monthly partition (UTC months, named <table>_pYYYYMM, "bc" appended before the common era) of a lake fact table that holds ts, creating it when missing; attaches a new month with a lock that lets readers and writers of the table go on.';
-- ==== Journeys (issue 13): contact_legs(), contact_journey(), customer_journey().
-- The legs of a contact are found through initialcontactid and
-- previouscontactid as well, and flow log days are read by time: indexed on
-- every partition, as create_partition() now makes them.
UPDATE connect_lake.fact_table
   SET indexes = indexes || ARRAY['(initialcontactid) WHERE initialcontactid IS NOT NULL',
                                  '(previouscontactid) WHERE previouscontactid IS NOT NULL']
 WHERE relname = 'ctr_events';
UPDATE connect_lake.fact_table SET indexes = ARRAY['USING brin ("timestamp")'] WHERE relname = 'contact_flow_log';
DO $upgrade$
DECLARE
  p name;
BEGIN
  FOR p IN SELECT c.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
            WHERE h.inhparent = 'connect_lake.ctr_events'::regclass ORDER BY 1 LOOP
    EXECUTE format('CREATE INDEX ON connect_lake.%I (initialcontactid) WHERE initialcontactid IS NOT NULL', p);
    EXECUTE format('CREATE INDEX ON connect_lake.%I (previouscontactid) WHERE previouscontactid IS NOT NULL', p);
  END LOOP;
  FOR p IN SELECT c.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
            WHERE h.inhparent = 'connect_lake.contact_flow_log'::regclass ORDER BY 1 LOOP
    EXECUTE format('CREATE INDEX ON connect_lake.%I USING brin ("timestamp")', p);
  END LOOP;
END
$upgrade$;
CREATE FUNCTION connect_lake.contact_legs(contact uuid)
RETURNS TABLE (leg integer, contactid uuid, initiationtimestamp timestamptz,
               initiationmethod text, channel text, previouscontactid uuid, nextcontactid uuid,
               initialcontactid uuid, has_ctr boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 4
AS $fn$
DECLARE
  seen     uuid[] := ARRAY[contact];
  frontier uuid[] := ARRAY[contact];
  found    uuid[];
BEGIN
  -- Walk the leg graph breadth first: every pointer of a leg's CTR (and of its
  -- contact events, for a leg whose CTR has not landed yet), and every CTR
  -- that points back to it.  A contact has a handful of legs; 1,000 bounds a
  -- pathological chain.
  WHILE cardinality(frontier) > 0 AND cardinality(seen) < 1000 LOOP
    SELECT coalesce(array_agg(DISTINCT n.id), '{}') INTO found
      FROM (SELECT unnest(ARRAY[c.initialcontactid, c.previouscontactid, c.nextcontactid]) AS id
              FROM connect_lake.ctr_events c WHERE c.contactid = ANY (frontier)
            UNION ALL
            SELECT unnest(ARRAY[e.detail_initialcontactid, e.detail_previouscontactid])
              FROM connect_lake.contact_events e WHERE e.detail_contactid = ANY (frontier)
            UNION ALL
            SELECT c.contactid FROM connect_lake.ctr_events c WHERE c.initialcontactid = ANY (frontier)
            UNION ALL
            SELECT c.contactid FROM connect_lake.ctr_events c WHERE c.previouscontactid = ANY (frontier)) n
     WHERE n.id IS NOT NULL AND n.id <> ALL (seen);
    seen := seen || found;
    frontier := found;
  END LOOP;

  RETURN QUERY
    SELECT (row_number() OVER (ORDER BY coalesce(c.initiationtimestamp, e.first_time) NULLS LAST, s.id))::integer,
           s.id, coalesce(c.initiationtimestamp, e.first_time),
           coalesce(c.initiationmethod, e.initiationmethod), coalesce(c.channel, e.channel),
           coalesce(c.previouscontactid, e.previouscontactid), c.nextcontactid,
           coalesce(c.initialcontactid, e.initialcontactid), c.contactid IS NOT NULL
      FROM unnest(seen) AS s(id)
      LEFT JOIN LATERAL (
             SELECT * FROM connect_lake.ctr_events x WHERE x.contactid = s.id
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
COMMENT ON FUNCTION connect_lake.contact_legs(uuid) IS
  'Every leg of the contact that contact is a leg of (transfers, queue transfers, callbacks), numbered in initiation order: found through the CTRs'' initialcontactid, previouscontactid and nextcontactid (both ways) and the contact events of legs whose CTR has not landed. has_ctr says whether the leg''s CTR is in the lake.';

CREATE FUNCTION connect_lake.contact_journey(contact uuid)
RETURNS TABLE (step_time timestamptz, leg integer, contactid uuid, source text, step text, details jsonb)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 100
AS $fn$
  WITH legs AS MATERIALIZED (
    SELECT * FROM connect_lake.contact_legs(contact)
  ), ctr AS MATERIALIZED (
    SELECT l.leg, c.*
      FROM legs l
      JOIN LATERAL (SELECT * FROM connect_lake.ctr_events x WHERE x.contactid = l.contactid
                     ORDER BY x.lastupdatetimestamp DESC NULLS LAST LIMIT 1) c ON true
  ), cases AS MATERIALIZED (
    SELECT DISTINCT l.leg, l.contactid, k.case_id, k.link
      FROM legs l
      JOIN LATERAL (SELECT c.attributes_caseid::text AS case_id, 'attribute'::text AS link
                      FROM ctr c WHERE c.contactid = l.contactid AND c.attributes_caseid IS NOT NULL
                    UNION ALL
                    SELECT r.detail_relateditem_caseid, 'related_item'
                      FROM connect_lake.case_related_items r WHERE r.contactid = l.contactid) k ON true
  )
  SELECT s.step_time, s.leg, s.contactid, s.source, s.step, s.details
    FROM (
      -- the CTR's milestones of each leg
      SELECT m.t AS step_time, c.leg, c.contactid, 'ctr'::text AS source, m.step, m.details, m.o
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
  'One contact''s whole story in time order, across every leg (contact_legs()) and every source: the CTR''s milestones (initiated, queued, left the queue, connected to agent, transferred, disconnected, after-contact work), each flow block with its results, each contact event, the agent''s state changes while the leg was with them, and every event of the cases linked to a leg (caseId attribute or Contact related item). One row per step; details as jsonb. Shows what exists: a leg without CTR, flow logs or events has only the steps the lake holds.';

CREATE FUNCTION connect_lake.customer_journey(account bigint, from_ts timestamptz DEFAULT '-infinity',
                                              to_ts timestamptz DEFAULT 'infinity')
RETURNS TABLE (step_time timestamptz, contactid uuid, case_id text, source text, step text, details jsonb)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 50
AS $fn$
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
                FROM (SELECT DISTINCT a.contactid FROM connect_lake.contact_account a
                       WHERE a.account = customer_journey.account) a
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
               WHERE s.account = customer_journey.account) k
        JOIN connect_lake.case_events e ON e.detail_case_caseid = k.detail_case_caseid
       WHERE e.detail_approximatechangetime >= from_ts AND e.detail_approximatechangetime < to_ts
    ) s
   ORDER BY s.step_time, s.o, s.contactid, s.case_id
$fn$;
COMMENT ON FUNCTION connect_lake.customer_journey(bigint, timestamptz, timestamptz) IS
  'Every contact (one row per leg, from its CTR) and every case event of one customer account number between from_ts and to_ts, in time order. Contacts are the account''s through contact_account (the account attributes of the CTRs) with all their legs (contact_legs()), cases through their account (case_state.account). contact_journey() tells one contact''s story in full.';

-- ==== Flows (issue 13): block funnels, containment, IVR hang-ups, flow versions, flow_compare().
-- ---- The rules, each defined once.

CREATE FUNCTION connect_lake.flow_result_is_error(results text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT results ~* '(error|fail|timeout|timed out|exceeded|invalid)' $fn$;
COMMENT ON FUNCTION connect_lake.flow_result_is_error(text) IS
  'Whether a flow block''s Results text is an error result: it names an error, a failure, a timeout, a limit exceeded or an invalid input (e.g. "The Lambda Function Returned An Error.", "Timeout"). NULL when there is no result.';

CREATE FUNCTION connect_lake.flow_ivr_abandoned(queued boolean, agent boolean, disconnectreason text,
                                                last_module_type text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT NOT queued AND NOT agent AND coalesce(disconnectreason, 'CUSTOMER_DISCONNECT') = 'CUSTOMER_DISCONNECT'
       AND last_module_type IS DISTINCT FROM 'Disconnect'
  $fn$;
COMMENT ON FUNCTION connect_lake.flow_ivr_abandoned(boolean, boolean, text, text) IS
  'Abandoned in the IVR: the contact never reached a queue or an agent, the customer hung up (DisconnectReason CUSTOMER_DISCONNECT, or none: older CTRs lack it), and the flow had not reached a Disconnect block (a customer hanging up during the goodbye is not abandoning).';

CREATE FUNCTION connect_lake.flow_contained(queued boolean, agent boolean, ivr_abandoned boolean,
                                            transferred boolean) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT NOT queued AND NOT agent AND NOT ivr_abandoned AND NOT transferred $fn$;
COMMENT ON FUNCTION connect_lake.flow_contained(boolean, boolean, boolean, boolean) IS
  'Contained (served in self-service): never queued, never with an agent, not abandoned in the IVR, not transferred to another contact or an external number.';

-- Time to the next block: a histogram of 255 buckets, 100 ms wide below
-- 10 s, 1 s below 1 minute, 10 s below 10 minutes, 1 minute below an hour,
-- and one bucket for an hour and more.  Buckets add up across days, so a
-- percentile over any range is read from the summed histogram (flow_funnel()),
-- to within the width of its bucket.
CREATE FUNCTION connect_lake.flow_time_bucket(ms bigint) RETURNS integer
  AS 'MODULE_PATHNAME', 'flow_time_bucket'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.flow_time_bucket(bigint) IS
  'The histogram bucket (0..254) of a time to the next block in milliseconds: 100 ms wide below 10 s, 1 s below 1 min, 10 s below 10 min, 1 min below 1 h, then one bucket. NULL for a negative time.';

CREATE FUNCTION connect_lake.flow_bucket_bounds(bucket integer, OUT lo_ms bigint, OUT hi_ms bigint)
  AS 'MODULE_PATHNAME', 'flow_bucket_bounds'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.flow_bucket_bounds(integer) IS
  'The range [lo_ms, hi_ms) of a flow_time_bucket() bucket; the last bucket (an hour and more) is [3600000, 3600000].';

CREATE FUNCTION connect_lake.flow_histogram_add(a integer[], b integer[]) RETURNS integer[]
  AS 'MODULE_PATHNAME', 'flow_histogram_add'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.flow_histogram_add(integer[], integer[]) IS
  'Two time histograms added bucket by bucket (the state function of flow_histogram_sum).';

CREATE AGGREGATE connect_lake.flow_histogram_sum(integer[]) (
  SFUNC = connect_lake.flow_histogram_add, STYPE = integer[], COMBINEFUNC = connect_lake.flow_histogram_add,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE connect_lake.flow_histogram_sum(integer[]) IS
  'Sum of time histograms (flow_block_day.next_ms_histogram), bucket by bucket.';

CREATE FUNCTION connect_lake.flow_histogram_count(state integer[], ms bigint) RETURNS integer[]
  AS 'MODULE_PATHNAME', 'flow_histogram_count'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.flow_histogram_count(integer[], bigint) IS
  'A time histogram with one more time (milliseconds) in its bucket; NULL or negative times are not counted (the state function of flow_histogram).';

CREATE AGGREGATE connect_lake.flow_histogram(bigint) (
  SFUNC = connect_lake.flow_histogram_count, STYPE = integer[], PARALLEL = SAFE);
COMMENT ON AGGREGATE connect_lake.flow_histogram(bigint) IS
  'The time histogram (flow_time_bucket()) of a set of times in milliseconds.';

CREATE FUNCTION connect_lake.flow_histogram_percentile(histogram integer[], fraction double precision)
RETURNS numeric
  AS 'MODULE_PATHNAME', 'flow_histogram_percentile'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.flow_histogram_percentile(integer[], double precision) IS
  'The fraction-th percentile (0.5: the median) of a time histogram, in seconds to 1 decimal: the bucket holding percentile_disc(fraction) of the times, interpolated linearly inside it, so within the bucket''s width (100 ms below 10 s) of the exact percentile_disc. NULL for an empty histogram.';

-- ---- What flows_refresh() keeps.

CREATE TABLE connect_lake.contact_flow_path (
  contactid          uuid PRIMARY KEY,
  day                date NOT NULL,
  first_block_at     timestamptz NOT NULL,
  last_block_at      timestamptz NOT NULL,
  entry_flow_id      text,
  last_flow_id       text,
  last_identifier    text,
  last_module_type   text,
  flows              integer NOT NULL,
  blocks             integer NOT NULL,
  errors             integer NOT NULL,
  has_ctr            boolean NOT NULL,
  queued             boolean,
  agent              boolean,
  transferred        boolean,
  ivr_abandoned      boolean,
  contained          boolean
);
CREATE INDEX contact_flow_path_day_idx ON connect_lake.contact_flow_path (day, entry_flow_id);
COMMENT ON TABLE connect_lake.contact_flow_path IS
  'One row per contact (leg) that ran a flow: its flow path summarised (entry flow, last block, blocks, errors) and how it ended by its CTR (queued, agent, transferred, abandoned in the IVR, contained). Kept by flows_refresh(); the outcome columns are NULL while the CTR has not landed.';
COMMENT ON COLUMN connect_lake.contact_flow_path.contactid IS 'ContactId of the leg.';
COMMENT ON COLUMN connect_lake.contact_flow_path.day IS 'Local day (lake_time_zone()) of the contact''s first block.';
COMMENT ON COLUMN connect_lake.contact_flow_path.first_block_at IS 'When the first block ran.';
COMMENT ON COLUMN connect_lake.contact_flow_path.last_block_at IS 'When the last block ran.';
COMMENT ON COLUMN connect_lake.contact_flow_path.entry_flow_id IS 'The flow of the first block: the contact''s entry point.';
COMMENT ON COLUMN connect_lake.contact_flow_path.last_flow_id IS 'The flow of the last block.';
COMMENT ON COLUMN connect_lake.contact_flow_path.last_identifier IS 'Identifier of the last block the contact ran.';
COMMENT ON COLUMN connect_lake.contact_flow_path.last_module_type IS 'Module type of the last block.';
COMMENT ON COLUMN connect_lake.contact_flow_path.flows IS 'Distinct flows (and flow modules) the contact ran.';
COMMENT ON COLUMN connect_lake.contact_flow_path.blocks IS 'Blocks run (flow log events).';
COMMENT ON COLUMN connect_lake.contact_flow_path.errors IS 'Blocks whose result is an error (flow_result_is_error()).';
COMMENT ON COLUMN connect_lake.contact_flow_path.has_ctr IS 'Whether the contact''s CTR is in the lake.';
COMMENT ON COLUMN connect_lake.contact_flow_path.queued IS 'The CTR was put in a queue (metric_queued()).';
COMMENT ON COLUMN connect_lake.contact_flow_path.agent IS 'The CTR reached an agent (metric_handled()).';
COMMENT ON COLUMN connect_lake.contact_flow_path.transferred IS 'The contact went on as another leg (NextContactId) or to an external number (TransferCompletedTimestamp).';
COMMENT ON COLUMN connect_lake.contact_flow_path.ivr_abandoned IS 'Abandoned in the IVR (flow_ivr_abandoned()).';
COMMENT ON COLUMN connect_lake.contact_flow_path.contained IS 'Served in self-service (flow_contained()).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.contact_flow_path', '');

CREATE TABLE connect_lake.flow_block_day (
  day                 date NOT NULL,
  flow_id             text,
  identifier          text,
  module_type         text,
  contacts            integer NOT NULL,
  executions          integer NOT NULL,
  errors              integer NOT NULL,
  results             jsonb NOT NULL,
  exits               integer NOT NULL,
  exits_other_flow    integer NOT NULL,
  exits_queue         integer NOT NULL,
  exits_hang_up       integer NOT NULL,
  exits_ended         integer NOT NULL,
  exits_unknown       integer NOT NULL,
  next_ms_histogram   integer[] NOT NULL,
  first_run_at        timestamptz NOT NULL,
  last_run_at         timestamptz NOT NULL,
  CONSTRAINT flow_block_day_key UNIQUE NULLS NOT DISTINCT (flow_id, day, identifier, module_type)
);
COMMENT ON TABLE connect_lake.flow_block_day IS
  'Per local day (of the contacts'' first block), flow and block: how many contacts ran the block and how often, its results, errors, where contacts left the flow, and a histogram of the time to the next block. Counts and histograms, so any range of days adds up (flow_funnel()). Kept by flows_refresh().';
COMMENT ON COLUMN connect_lake.flow_block_day.day IS 'Local day of the contacts'' first block.';
COMMENT ON COLUMN connect_lake.flow_block_day.flow_id IS 'ContactFlowId: the flow (or flow module) ARN.';
COMMENT ON COLUMN connect_lake.flow_block_day.identifier IS 'Identifier of the block.';
COMMENT ON COLUMN connect_lake.flow_block_day.module_type IS 'ContactFlowModuleType of the block.';
COMMENT ON COLUMN connect_lake.flow_block_day.contacts IS 'Contacts that ran the block.';
COMMENT ON COLUMN connect_lake.flow_block_day.executions IS 'Times the block ran.';
COMMENT ON COLUMN connect_lake.flow_block_day.errors IS 'Runs whose result is an error (flow_result_is_error()).';
COMMENT ON COLUMN connect_lake.flow_block_day.results IS 'Runs per Results text, as {"result": count}; runs without a result are not listed.';
COMMENT ON COLUMN connect_lake.flow_block_day.exits IS 'Contacts whose run of this flow ended at this block (the last block before another flow, the queue, a hang-up or the end).';
COMMENT ON COLUMN connect_lake.flow_block_day.exits_other_flow IS 'Exits to another flow or flow module.';
COMMENT ON COLUMN connect_lake.flow_block_day.exits_queue IS 'Exits as the contact''s last block, the contact then queued or with an agent.';
COMMENT ON COLUMN connect_lake.flow_block_day.exits_hang_up IS 'Exits as the contact''s last block, abandoned in the IVR (flow_ivr_abandoned()): "where callers hang up".';
COMMENT ON COLUMN connect_lake.flow_block_day.exits_ended IS 'Exits as the contact''s last block, the flow ending the contact otherwise (a Disconnect block, a transfer out, the system).';
COMMENT ON COLUMN connect_lake.flow_block_day.exits_unknown IS 'Exits as the contact''s last block, its CTR not (yet) in the lake.';
COMMENT ON COLUMN connect_lake.flow_block_day.next_ms_histogram IS 'Histogram (flow_time_bucket()) of the time from a run of this block to the contact''s next block; runs that were the contact''s last are not counted.';
COMMENT ON COLUMN connect_lake.flow_block_day.first_run_at IS 'The day''s first run of the block (flow versions start there).';
COMMENT ON COLUMN connect_lake.flow_block_day.last_run_at IS 'The day''s last run of the block.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.flow_block_day', '');

CREATE TABLE connect_lake.flow_entry_day (
  day                 date NOT NULL,
  entry_flow_id       text,
  contacts            integer NOT NULL,
  with_ctr            integer NOT NULL,
  contained           integer NOT NULL,
  ivr_abandoned       integer NOT NULL,
  queued              integer NOT NULL,
  agent               integer NOT NULL,
  transferred         integer NOT NULL,
  blocks              bigint NOT NULL,
  errors              bigint NOT NULL,
  CONSTRAINT flow_entry_day_key UNIQUE NULLS NOT DISTINCT (entry_flow_id, day)
);
COMMENT ON TABLE connect_lake.flow_entry_day IS
  'Per local day and entry flow (the first flow of the contact): contacts, containment, IVR hang-ups, queued, with an agent. The sums of contact_flow_path; kept by flows_refresh().';
COMMENT ON COLUMN connect_lake.flow_entry_day.day IS 'Local day of the contacts'' first block.';
COMMENT ON COLUMN connect_lake.flow_entry_day.entry_flow_id IS 'The contacts'' entry flow.';
COMMENT ON COLUMN connect_lake.flow_entry_day.contacts IS 'Contacts that entered here.';
COMMENT ON COLUMN connect_lake.flow_entry_day.with_ctr IS 'Of them, those whose CTR is in the lake: the base of the rates.';
COMMENT ON COLUMN connect_lake.flow_entry_day.contained IS 'Contained (flow_contained()).';
COMMENT ON COLUMN connect_lake.flow_entry_day.ivr_abandoned IS 'Abandoned in the IVR (flow_ivr_abandoned()).';
COMMENT ON COLUMN connect_lake.flow_entry_day.queued IS 'Queued.';
COMMENT ON COLUMN connect_lake.flow_entry_day.agent IS 'Reached an agent.';
COMMENT ON COLUMN connect_lake.flow_entry_day.transferred IS 'Went on as another leg or to an external number.';
COMMENT ON COLUMN connect_lake.flow_entry_day.blocks IS 'Blocks run.';
COMMENT ON COLUMN connect_lake.flow_entry_day.errors IS 'Blocks run with an error result.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.flow_entry_day', '');

-- The latest name of each flow, kept by flows_refresh().
CREATE TABLE connect_lake.flow_names (
  flow_id    text PRIMARY KEY,
  flow_name  text,
  seen_at    timestamptz NOT NULL
);
COMMENT ON TABLE connect_lake.flow_names IS 'Each flow (ContactFlowId) with the latest name its log events carry; kept by flows_refresh().';
COMMENT ON COLUMN connect_lake.flow_names.flow_id IS 'ContactFlowId.';
COMMENT ON COLUMN connect_lake.flow_names.flow_name IS 'The latest ContactFlowName.';
COMMENT ON COLUMN connect_lake.flow_names.seen_at IS 'When that name was last seen.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.flow_names', '');

-- ---- Refresh.

CREATE FUNCTION connect_lake.flows_refresh_days(days date[]) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  tz     text := connect_lake.lake_time_zone();
  lo     timestamptz;
  hi     timestamptz;
  n      integer;
BEGIN
  days := ARRAY(SELECT DISTINCT d FROM unnest(days) d WHERE d IS NOT NULL ORDER BY 1);
  IF cardinality(days) = 0 THEN
    RETURN 0;
  END IF;
  -- the contacts of these days start inside [lo, hi); their blocks lie within a day after
  lo := (days[1]::timestamp) AT TIME ZONE tz;
  hi := ((days[cardinality(days)] + 1)::timestamp) AT TIME ZONE tz;

  DELETE FROM connect_lake.contact_flow_path p WHERE p.day = ANY (days);
  DELETE FROM connect_lake.flow_block_day b WHERE b.day = ANY (days);
  DELETE FROM connect_lake.flow_entry_day e WHERE e.day = ANY (days);

  IF to_regclass('pg_temp.connect_lake_flow_run') IS NULL THEN
    CREATE TEMP TABLE connect_lake_flow_run (
      contactid uuid, ts timestamptz, flow_id text, flow_name text, identifier text, module_type text, results text,
      next_ts timestamptz, next_flow text, is_last boolean, day date) ON COMMIT DROP;
  END IF;
  TRUNCATE connect_lake_flow_run;

  -- every block of every contact whose first block lies on one of the days
  INSERT INTO connect_lake_flow_run
  SELECT r.contactid, r.ts, r.flow_id, r.flow_name, r.identifier, r.module_type, r.results, r.next_ts,
         r.next_flow, r.next_ts IS NULL, (min(r.ts) OVER (PARTITION BY r.contactid) AT TIME ZONE tz)::date
    FROM (SELECT f.contactid, f."timestamp" AS ts, f.contactflowid AS flow_id, f.contactflowname AS flow_name,
                 f.identifier,
                 f.contactflowmoduletype AS module_type, f.results,
                 lead(f."timestamp") OVER w AS next_ts, lead(f.contactflowid) OVER w AS next_flow
            FROM connect_lake.contact_flow_log f
           WHERE f."timestamp" >= lo AND f."timestamp" < hi + interval '1 day'
             -- the contacts that ran a block in the range and none the day before
             AND f.contactid IN (SELECT c.contactid FROM connect_lake.contact_flow_log c
                                  WHERE c."timestamp" >= lo AND c."timestamp" < hi
                                 EXCEPT
                                 SELECT c.contactid FROM connect_lake.contact_flow_log c
                                  WHERE c."timestamp" >= lo - interval '1 day' AND c."timestamp" < lo)
          WINDOW w AS (PARTITION BY f.contactid ORDER BY f."timestamp", f.identifier, f.contactflowmoduletype)) r;
  DELETE FROM connect_lake_flow_run r WHERE NOT (r.day = ANY (days));
  ANALYZE connect_lake_flow_run;

  INSERT INTO connect_lake.flow_names AS n
  SELECT DISTINCT ON (r.flow_id) r.flow_id, r.flow_name, r.ts
    FROM connect_lake_flow_run r WHERE r.flow_id IS NOT NULL
   ORDER BY r.flow_id, r.ts DESC
  ON CONFLICT (flow_id) DO UPDATE SET flow_name = excluded.flow_name, seen_at = excluded.seen_at
   WHERE excluded.seen_at >= n.seen_at;

  INSERT INTO connect_lake.contact_flow_path
  SELECT s.contactid, s.day, s.first_at, s.last_at, s.entry_flow_id, s.last_flow_id, s.last_identifier,
         s.last_module_type, s.flows, s.blocks, s.errors, c.contactid IS NOT NULL,
         o.queued, o.agent, o.transferred,
         connect_lake.flow_ivr_abandoned(o.queued, o.agent, c.disconnectreason, s.last_module_type),
         connect_lake.flow_contained(o.queued, o.agent,
           connect_lake.flow_ivr_abandoned(o.queued, o.agent, c.disconnectreason, s.last_module_type), o.transferred)
    FROM (SELECT r.contactid, min(r.day) AS day, min(r.ts) AS first_at, max(r.ts) AS last_at,
                 (array_agg(r.flow_id ORDER BY r.ts, r.identifier))[1] AS entry_flow_id,
                 (array_agg(r.flow_id) FILTER (WHERE r.is_last))[1] AS last_flow_id,
                 (array_agg(r.identifier) FILTER (WHERE r.is_last))[1] AS last_identifier,
                 (array_agg(r.module_type) FILTER (WHERE r.is_last))[1] AS last_module_type,
                 count(DISTINCT r.flow_id)::integer AS flows, count(*)::integer AS blocks,
                 count(*) FILTER (WHERE connect_lake.flow_result_is_error(r.results))::integer AS errors
            FROM connect_lake_flow_run r GROUP BY r.contactid) s
    LEFT JOIN LATERAL (SELECT * FROM connect_lake.ctr_events x WHERE x.contactid = s.contactid
                        ORDER BY x.lastupdatetimestamp DESC NULLS LAST LIMIT 1) c ON true
    LEFT JOIN LATERAL (SELECT connect_lake.metric_queued(c.queue_enqueuetimestamp) AS queued,
                              connect_lake.metric_handled(c.agent_connectedtoagentts) AS agent,
                              (c.nextcontactid IS NOT NULL OR c.transfercompletedtimestamp IS NOT NULL) AS transferred
                        WHERE c.contactid IS NOT NULL) o ON true;
  GET DIAGNOSTICS n = ROW_COUNT;

  INSERT INTO connect_lake.flow_block_day
  SELECT r.day, r.flow_id, r.identifier, r.module_type,
         count(DISTINCT r.contactid), count(*),
         count(*) FILTER (WHERE connect_lake.flow_result_is_error(r.results)),
         coalesce((SELECT jsonb_object_agg(x.results, x.n)
                     FROM (SELECT u.results, count(*) AS n FROM unnest(array_agg(r.results)) AS u(results)
                            WHERE u.results <> '' GROUP BY u.results) x), '{}'),
         count(*) FILTER (WHERE r.exit_kind IS NOT NULL),
         count(*) FILTER (WHERE r.exit_kind = 'other_flow'),
         count(*) FILTER (WHERE r.exit_kind = 'queue'),
         count(*) FILTER (WHERE r.exit_kind = 'hang_up'),
         count(*) FILTER (WHERE r.exit_kind = 'ended'),
         count(*) FILTER (WHERE r.exit_kind = 'unknown'),
         connect_lake.flow_histogram((extract(epoch FROM r.next_ts - r.ts) * 1000)::bigint),
         min(r.ts), max(r.ts)
    FROM (SELECT r.*,
                 CASE WHEN r.next_flow IS NOT NULL AND r.next_flow IS DISTINCT FROM r.flow_id THEN 'other_flow'
                      WHEN NOT r.is_last THEN NULL
                      WHEN NOT p.has_ctr THEN 'unknown'
                      WHEN p.queued OR p.agent THEN 'queue'
                      WHEN p.ivr_abandoned THEN 'hang_up'
                      ELSE 'ended' END AS exit_kind
            FROM connect_lake_flow_run r
            JOIN connect_lake.contact_flow_path p ON p.contactid = r.contactid) r
   GROUP BY r.day, r.flow_id, r.identifier, r.module_type;

  INSERT INTO connect_lake.flow_entry_day
  SELECT p.day, p.entry_flow_id, count(*), count(*) FILTER (WHERE p.has_ctr),
         count(*) FILTER (WHERE p.contained), count(*) FILTER (WHERE p.ivr_abandoned),
         count(*) FILTER (WHERE p.queued), count(*) FILTER (WHERE p.agent),
         count(*) FILTER (WHERE p.transferred), sum(p.blocks), sum(p.errors)
    FROM connect_lake.contact_flow_path p
   WHERE p.day = ANY (days)
   GROUP BY p.day, p.entry_flow_id;

  -- the versions of the flows these days ran
  PERFORM connect_lake.flow_versions_detect(x.flow_id)
     FROM (SELECT DISTINCT r.flow_id FROM connect_lake_flow_run r WHERE r.flow_id IS NOT NULL) x;
  TRUNCATE connect_lake_flow_run;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.flows_refresh_days(date[]) IS
  'Rebuilds contact_flow_path, flow_block_day and flow_entry_day for these local days from contact_flow_log and ctr_events, and the versions of the flows they ran (flow_versions_detect()); returns the contacts summarised (loader role).';

CREATE FUNCTION connect_lake.flows_refresh(from_day date DEFAULT NULL, to_day date DEFAULT NULL) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  tz    text := connect_lake.lake_time_zone();
  first date;
  last  date;
  d     date;
  n     integer := 0;
BEGIN
  SELECT coalesce(from_day, (min(f."timestamp") AT TIME ZONE tz)::date),
         coalesce(to_day, (max(f."timestamp") AT TIME ZONE tz)::date)
    INTO first, last
    FROM connect_lake.contact_flow_log f;
  IF first IS NULL THEN
    RETURN 0;
  END IF;
  -- a week at a time: bounded memory, one window sort per week
  d := first;
  WHILE d <= last LOOP
    n := n + connect_lake.flows_refresh_days(ARRAY(SELECT g::date FROM generate_series(d, least(d + 6, last), '1 day') g));
    d := d + 7;
  END LOOP;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.flows_refresh(date, date) IS
  'Rebuilds the flow funnels and containment (contact_flow_path, flow_block_day, flow_entry_day) for the local days from_day to to_day, both included (default: every day the flow logs cover), a week at a time; returns the contacts summarised (loader role).';

-- ---- Reading.

CREATE FUNCTION connect_lake.flow_funnel(from_day date, to_day date, flow text DEFAULT NULL)
RETURNS TABLE (flow_id text, flow_name text, identifier text, module_type text, contacts bigint,
               executions bigint, errors bigint, error_rate numeric, results jsonb, exits bigint,
               exits_other_flow bigint, exits_queue bigint, exits_hang_up bigint, exits_ended bigint,
               exits_unknown bigint, median_next_s numeric, p90_next_s numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  WITH d AS MATERIALIZED (
    SELECT * FROM connect_lake.flow_block_day d
     WHERE d.day BETWEEN from_day AND to_day AND (flow IS NULL OR d.flow_id = flow)
  ), b AS (
    SELECT d.flow_id, d.identifier, d.module_type, sum(d.contacts)::bigint AS contacts,
           sum(d.executions)::bigint AS executions, sum(d.errors)::bigint AS errors,
           sum(d.exits)::bigint AS exits, sum(d.exits_other_flow)::bigint AS exits_other_flow,
           sum(d.exits_queue)::bigint AS exits_queue, sum(d.exits_hang_up)::bigint AS exits_hang_up,
           sum(d.exits_ended)::bigint AS exits_ended, sum(d.exits_unknown)::bigint AS exits_unknown
      FROM d GROUP BY 1, 2, 3
  ), r AS (
    SELECT x.flow_id, x.identifier, x.module_type, jsonb_object_agg(x.result, x.n) AS results
      FROM (SELECT d.flow_id, d.identifier, d.module_type, e.key AS result, sum(e.value::bigint) AS n
              FROM d, jsonb_each_text(d.results) e GROUP BY 1, 2, 3, 4) x
     GROUP BY 1, 2, 3
  ), h AS (
    SELECT d.flow_id, d.identifier, d.module_type, connect_lake.flow_histogram_sum(d.next_ms_histogram) AS hist
      FROM d GROUP BY 1, 2, 3
  )
  SELECT b.flow_id, n.flow_name, b.identifier, b.module_type, b.contacts, b.executions, b.errors,
         round(100.0 * b.errors / nullif(b.executions, 0), 2), coalesce(r.results, '{}'), b.exits,
         b.exits_other_flow, b.exits_queue, b.exits_hang_up, b.exits_ended, b.exits_unknown,
         connect_lake.flow_histogram_percentile(h.hist, 0.5),
         connect_lake.flow_histogram_percentile(h.hist, 0.9)
    FROM b
    LEFT JOIN r ON (r.flow_id, r.identifier, r.module_type) IS NOT DISTINCT FROM (b.flow_id, b.identifier, b.module_type)
    LEFT JOIN h ON (h.flow_id, h.identifier, h.module_type) IS NOT DISTINCT FROM (b.flow_id, b.identifier, b.module_type)
    LEFT JOIN connect_lake.flow_names n ON n.flow_id = b.flow_id
   ORDER BY b.flow_id, b.contacts DESC, b.identifier
$fn$;
COMMENT ON FUNCTION connect_lake.flow_funnel(date, date, text) IS
  'Block funnel of every flow (or one flow: its ContactFlowId) over the local days from_day to to_day, both included: per block the contacts that ran it, runs, errors and error rate, results, where contacts left the flow (another flow, the queue, a hang-up, the end, CTR unknown) and the median and 90th percentile of the time to the next block (from the summed histograms, within a bucket width). From flow_block_day.';

CREATE VIEW connect_lake.flow_block_daily AS
  SELECT d.day, d.flow_id, n.flow_name, d.identifier, d.module_type, d.contacts, d.executions, d.errors,
         round(100.0 * d.errors / nullif(d.executions, 0), 2) AS error_rate, d.results, d.exits,
         d.exits_other_flow, d.exits_queue, d.exits_hang_up, d.exits_ended, d.exits_unknown,
         connect_lake.flow_histogram_percentile(d.next_ms_histogram, 0.5) AS median_next_s,
         connect_lake.flow_histogram_percentile(d.next_ms_histogram, 0.9) AS p90_next_s
    FROM connect_lake.flow_block_day d
    LEFT JOIN connect_lake.flow_names n ON n.flow_id = d.flow_id;
COMMENT ON VIEW connect_lake.flow_block_daily IS
  'The block funnel per local day: flow_block_day with the flow''s latest name, the error rate and the median and 90th-percentile time to the next block (seconds).';
COMMENT ON COLUMN connect_lake.flow_block_daily.day IS 'Local day of the contacts'' first block.';
COMMENT ON COLUMN connect_lake.flow_block_daily.flow_id IS 'ContactFlowId: the flow (or flow module) ARN.';
COMMENT ON COLUMN connect_lake.flow_block_daily.flow_name IS 'The flow''s latest name (flow_names).';
COMMENT ON COLUMN connect_lake.flow_block_daily.identifier IS 'Identifier of the block.';
COMMENT ON COLUMN connect_lake.flow_block_daily.module_type IS 'ContactFlowModuleType of the block.';
COMMENT ON COLUMN connect_lake.flow_block_daily.contacts IS 'Contacts that ran the block.';
COMMENT ON COLUMN connect_lake.flow_block_daily.executions IS 'Times the block ran.';
COMMENT ON COLUMN connect_lake.flow_block_daily.errors IS 'Runs whose result is an error (flow_result_is_error()).';
COMMENT ON COLUMN connect_lake.flow_block_daily.error_rate IS 'Errors per 100 runs.';
COMMENT ON COLUMN connect_lake.flow_block_daily.results IS 'Runs per Results text, as {"result": count}; runs without a result are not listed.';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits IS 'Contacts whose run of this flow ended at this block (the last block before another flow, the queue, a hang-up or the end).';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits_other_flow IS 'Exits to another flow or flow module.';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits_queue IS 'Exits as the contact''s last block, the contact then queued or with an agent.';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits_hang_up IS 'Exits as the contact''s last block, abandoned in the IVR (flow_ivr_abandoned()): "where callers hang up".';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits_ended IS 'Exits as the contact''s last block, the flow ending the contact otherwise (a Disconnect block, a transfer out, the system).';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits_unknown IS 'Exits as the contact''s last block, its CTR not (yet) in the lake.';
COMMENT ON COLUMN connect_lake.flow_block_daily.median_next_s IS 'Median time to the next block, seconds (flow_histogram_percentile()).';
COMMENT ON COLUMN connect_lake.flow_block_daily.p90_next_s IS '90th-percentile time to the next block, seconds.';

CREATE FUNCTION connect_lake.flow_hang_ups(from_day date, to_day date)
RETURNS TABLE (rank bigint, flow_id text, flow_name text, identifier text, module_type text,
               hang_ups bigint, contacts bigint, hang_up_rate numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT rank() OVER (ORDER BY f.exits_hang_up DESC), f.flow_id, f.flow_name, f.identifier, f.module_type,
         f.exits_hang_up, f.contacts, round(100.0 * f.exits_hang_up / nullif(f.contacts, 0), 2)
    FROM connect_lake.flow_funnel(from_day, to_day) f
   WHERE f.exits_hang_up > 0
   ORDER BY 1, f.flow_id, f.identifier
$fn$;
COMMENT ON FUNCTION connect_lake.flow_hang_ups(date, date) IS
  'Where callers hang up: the blocks after which contacts were abandoned in the IVR (flow_ivr_abandoned()) over the local days from_day to to_day, ranked, with the share of the block''s contacts.';

CREATE FUNCTION connect_lake.flow_containment(from_day date, to_day date)
RETURNS TABLE (day date, entry_flow_id text, entry_flow_name text, contacts bigint, with_ctr bigint,
               contained bigint, containment_rate numeric, ivr_abandoned bigint, ivr_abandonment_rate numeric,
               queued bigint, agent bigint, transferred bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT e.day, e.entry_flow_id, n.flow_name, e.contacts, e.with_ctr, e.contained,
         round(100.0 * e.contained / nullif(e.with_ctr, 0), 2), e.ivr_abandoned,
         round(100.0 * e.ivr_abandoned / nullif(e.with_ctr, 0), 2), e.queued, e.agent, e.transferred
    FROM (SELECT d.day, d.entry_flow_id, sum(d.contacts)::bigint AS contacts, sum(d.with_ctr)::bigint AS with_ctr,
                 sum(d.contained)::bigint AS contained, sum(d.ivr_abandoned)::bigint AS ivr_abandoned,
                 sum(d.queued)::bigint AS queued, sum(d.agent)::bigint AS agent,
                 sum(d.transferred)::bigint AS transferred
            FROM connect_lake.flow_entry_day d
           WHERE d.day BETWEEN from_day AND to_day
           GROUP BY GROUPING SETS ((d.day, d.entry_flow_id), (d.entry_flow_id))) e
    LEFT JOIN connect_lake.flow_names n ON n.flow_id = e.entry_flow_id
   ORDER BY e.entry_flow_id, e.day NULLS LAST
$fn$;
COMMENT ON FUNCTION connect_lake.flow_containment(date, date) IS
  'Containment and IVR abandonment per entry flow (the contact''s first flow) and local day from from_day to to_day, plus one row per entry flow with day NULL for the whole range. Rates are of the contacts whose CTR is in the lake (with_ctr).';

CREATE VIEW connect_lake.flow_containment_daily AS
  SELECT * FROM connect_lake.flow_containment('-infinity', 'infinity') c WHERE c.day IS NOT NULL;
COMMENT ON VIEW connect_lake.flow_containment_daily IS
  'Containment and IVR abandonment per entry flow and local day, every day (flow_containment()).';
COMMENT ON COLUMN connect_lake.flow_containment_daily.day IS 'Local day of the contacts'' first block.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.entry_flow_id IS 'The contacts'' entry flow.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.entry_flow_name IS 'The entry flow''s latest name.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.contacts IS 'Contacts that entered here.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.with_ctr IS 'Of them, those whose CTR is in the lake: the base of the rates.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.contained IS 'Contained (flow_contained()).';
COMMENT ON COLUMN connect_lake.flow_containment_daily.containment_rate IS 'Contained per 100 contacts with a CTR.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.ivr_abandoned IS 'Abandoned in the IVR (flow_ivr_abandoned()).';
COMMENT ON COLUMN connect_lake.flow_containment_daily.ivr_abandonment_rate IS 'Abandoned in the IVR per 100 contacts with a CTR.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.queued IS 'Queued.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.agent IS 'Reached an agent.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.transferred IS 'Went on as another leg or to an external number.';

-- ---- Flow versions.
--
-- Flow logs carry no version number.  A new version of a flow is detected
-- when it runs a block identifier it has never run before (Amazon Connect
-- gives every new block a new identifier); it starts at that block's first
-- run.  The blocks of the previous version that never run again are its
-- removed blocks.  A version that only edits blocks in place keeps every
-- identifier and cannot be seen in the logs: the DBA records its publish
-- time in flow_publish, which starts a version too.

CREATE TABLE connect_lake.flow_publish (
  flow_id       text NOT NULL,
  published_at  timestamptz NOT NULL,
  note          text,
  PRIMARY KEY (flow_id, published_at)
);
COMMENT ON TABLE connect_lake.flow_publish IS
  'Publish times of flow versions recorded by hand (a version that changes no block identifier cannot be detected from the logs); flow_versions_detect() starts a version at each. Edited by the DBA.';
COMMENT ON COLUMN connect_lake.flow_publish.flow_id IS 'ContactFlowId of the flow.';
COMMENT ON COLUMN connect_lake.flow_publish.published_at IS 'When the version was published.';
COMMENT ON COLUMN connect_lake.flow_publish.note IS 'What changed, in the DBA''s words.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.flow_publish', '');

CREATE TABLE connect_lake.flow_version (
  flow_id      text NOT NULL,
  version      integer NOT NULL,
  first_seen   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  blocks       text[] NOT NULL,
  added        text[] NOT NULL,
  removed      text[] NOT NULL,
  detected_by  text NOT NULL CHECK (detected_by IN ('first', 'blocks', 'published')),
  PRIMARY KEY (flow_id, version)
);
COMMENT ON TABLE connect_lake.flow_version IS
  'The versions of each flow as the logs show them: a new version when the flow runs a block identifier never run before, or at a publish time of flow_publish. Rebuilt by flow_versions_detect() (flows_refresh() calls it).';
COMMENT ON COLUMN connect_lake.flow_version.flow_id IS 'ContactFlowId.';
COMMENT ON COLUMN connect_lake.flow_version.version IS 'Version number, 1 for the first seen.';
COMMENT ON COLUMN connect_lake.flow_version.first_seen IS 'When the version first ran (its first new block''s first run, or its publish time).';
COMMENT ON COLUMN connect_lake.flow_version.last_seen IS 'When a block of the flow last ran before the next version.';
COMMENT ON COLUMN connect_lake.flow_version.blocks IS 'Block identifiers the version ran.';
COMMENT ON COLUMN connect_lake.flow_version.added IS 'Identifiers new in this version.';
COMMENT ON COLUMN connect_lake.flow_version.removed IS 'Identifiers of the previous version this one never ran.';
COMMENT ON COLUMN connect_lake.flow_version.detected_by IS 'first (the first version seen), blocks (new identifiers) or published (flow_publish).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.flow_version', '');

CREATE FUNCTION connect_lake.flow_versions_detect(flow text DEFAULT NULL) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  f       text;
  starts  timestamptz[];
  kinds   text[];
  seen    text[];
  d       record;
  p       record;
  i       integer;
  n       integer := 0;
BEGIN
  DELETE FROM connect_lake.flow_version v WHERE flow IS NULL OR v.flow_id = flow;
  FOR f IN SELECT DISTINCT b.flow_id FROM connect_lake.flow_block_day b
            WHERE b.flow_id IS NOT NULL AND (flow IS NULL OR b.flow_id = flow) ORDER BY 1 LOOP
    -- where versions start: the first run of each never-seen identifier, day by day
    starts := '{}'; kinds := '{}'; seen := '{}';
    FOR d IN SELECT b.day, array_agg(b.identifier) FILTER (WHERE b.identifier IS NOT NULL) AS ids,
                    min(b.first_run_at) AS day_first
               FROM connect_lake.flow_block_day b WHERE b.flow_id = f
              GROUP BY b.day ORDER BY b.day LOOP
      IF cardinality(seen) = 0 THEN
        starts := starts || d.day_first; kinds := kinds || 'first'::text;
      ELSIF EXISTS (SELECT 1 FROM unnest(d.ids) x WHERE x <> ALL (seen)) THEN
        starts := starts || (SELECT min(b.first_run_at) FROM connect_lake.flow_block_day b
                              WHERE b.flow_id = f AND b.day = d.day AND b.identifier <> ALL (seen));
        kinds := kinds || 'blocks'::text;
      END IF;
      seen := ARRAY(SELECT DISTINCT x FROM unnest(seen || coalesce(d.ids, '{}')) x);
    END LOOP;
    -- publish times start versions too; a detected start within a day after
    -- a publish time is that publish
    FOR p IN SELECT pb.published_at FROM connect_lake.flow_publish pb WHERE pb.flow_id = f ORDER BY 1 LOOP
      SELECT k INTO i FROM generate_subscripts(starts, 1) k
       WHERE kinds[k] = 'blocks' AND starts[k] >= p.published_at AND starts[k] < p.published_at + interval '1 day'
       ORDER BY k LIMIT 1;
      IF i IS NOT NULL THEN
        starts[i] := p.published_at; kinds[i] := 'published';
      ELSIF p.published_at > starts[1] THEN
        starts := starts || p.published_at; kinds := kinds || 'published'::text;
      END IF;
    END LOOP;

    INSERT INTO connect_lake.flow_version
    SELECT f, w.version, w.first_seen,
           coalesce((SELECT max(b.last_run_at) FROM connect_lake.flow_block_day b
                      WHERE b.flow_id = f AND b.last_run_at >= w.first_seen AND b.last_run_at < w.until),
                    w.first_seen),
           w.blocks,
           ARRAY(SELECT x FROM unnest(w.blocks) x WHERE x <> ALL (coalesce(w.prev_blocks, '{}')) ORDER BY 1),
           ARRAY(SELECT x FROM unnest(coalesce(w.prev_blocks, '{}')) x WHERE x <> ALL (w.blocks) ORDER BY 1),
           w.kind
      FROM (SELECT v.*, lag(v.blocks) OVER (ORDER BY v.version) AS prev_blocks
              FROM (SELECT t.version, t.first_seen, t.until, t.kind,
                           ARRAY(SELECT DISTINCT b.identifier FROM connect_lake.flow_block_day b
                                  WHERE b.flow_id = f AND b.identifier IS NOT NULL
                                    AND b.last_run_at >= t.first_seen AND b.first_run_at < t.until
                                  ORDER BY 1) AS blocks
                      FROM (SELECT row_number() OVER (ORDER BY u.start)::integer AS version, u.start AS first_seen,
                                   coalesce(lead(u.start) OVER (ORDER BY u.start), 'infinity') AS until, u.kind
                              FROM unnest(starts, kinds) AS u(start, kind)) t) v) w;
    n := n + 1;
  END LOOP;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.flow_versions_detect(text) IS
  'Rebuilds flow_version for one flow (or every flow) from flow_block_day and flow_publish: a version starts at the first run of a block identifier the flow never ran before, or at a recorded publish time (a detected start within a day after a publish time is that publish). Returns the flows done (loader role). A block that runs on a day inside a version belongs to it: days are the unit, so versions published twice a day merge.';

-- ---- Two periods, or two versions, of one flow side by side.

CREATE FUNCTION connect_lake.flow_compare(flow text, before tstzrange, after tstzrange)
RETURNS TABLE (metric text, identifier text, module_type text, before numeric, after numeric, difference numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  WITH periods(period, r) AS (VALUES (1, before), (2, after)),
  -- contacts that entered the flow in each period (exact times)
  entered AS (
    SELECT p.period, c.*
      FROM periods p
      JOIN connect_lake.contact_flow_path c
        ON c.entry_flow_id = flow AND c.first_block_at <@ p.r
       AND c.day BETWEEN (lower(p.r) AT TIME ZONE connect_lake.lake_time_zone())::date - 1
                     AND (upper(p.r) AT TIME ZONE connect_lake.lake_time_zone())::date + 1
  ),
  flow_level AS (
    SELECT e.period,
           count(*)::numeric AS contacts,
           round(100.0 * count(*) FILTER (WHERE e.contained) / nullif(count(*) FILTER (WHERE e.has_ctr), 0), 2) AS containment_rate,
           round(100.0 * count(*) FILTER (WHERE e.ivr_abandoned) / nullif(count(*) FILTER (WHERE e.has_ctr), 0), 2) AS ivr_abandonment_rate,
           round(sum(e.errors)::numeric / nullif(count(*), 0), 4) AS errors_per_contact,
           round(100.0 * count(*) FILTER (WHERE m.abandoned) / nullif(count(*) FILTER (WHERE m.queued), 0), 2) AS queue_abandonment_rate,
           round(avg(m.handle_time) FILTER (WHERE m.handled), 2) AS avg_handle_time
      FROM entered e
      LEFT JOIN connect_lake.contact_metric m ON m.contactid = e.contactid
     GROUP BY e.period
  ),
  -- per block: the block's days whose runs all lie inside each period
  blocks AS (
    SELECT p.period, b.identifier, b.module_type, sum(b.contacts)::numeric AS contacts,
           sum(b.executions)::numeric AS executions, sum(b.errors)::numeric AS errors
      FROM periods p
      JOIN connect_lake.flow_block_day b
        ON b.flow_id = flow AND b.first_run_at <@ p.r AND b.last_run_at <@ p.r
     GROUP BY p.period, b.identifier, b.module_type
  ),
  rows AS (
    SELECT m.metric, NULL::text AS identifier, NULL::text AS module_type, m.o,
           max(m.v) FILTER (WHERE f.period = 1) AS before, max(m.v) FILTER (WHERE f.period = 2) AS after
      FROM flow_level f
      CROSS JOIN LATERAL (VALUES (1, 'contacts', f.contacts), (2, 'containment_rate', f.containment_rate),
                                 (3, 'ivr_abandonment_rate', f.ivr_abandonment_rate),
                                 (4, 'errors_per_contact', f.errors_per_contact),
                                 (5, 'queue_abandonment_rate', f.queue_abandonment_rate),
                                 (6, 'avg_handle_time', f.avg_handle_time)) AS m(o, metric, v)
     GROUP BY m.metric, m.o
    UNION ALL
    SELECT k.metric, b.identifier, b.module_type, 10 + k.o,
           max(k.v) FILTER (WHERE b.period = 1), max(k.v) FILTER (WHERE b.period = 2)
      FROM blocks b
      CROSS JOIN LATERAL (VALUES (1, 'block_contacts', b.contacts),
                                 (2, 'block_error_rate', round(100.0 * b.errors / nullif(b.executions, 0), 2))) AS k(o, metric, v)
     GROUP BY k.metric, k.o, b.identifier, b.module_type
  )
  SELECT r.metric, r.identifier, r.module_type, r.before, r.after, r.after - r.before
    FROM rows r
   ORDER BY r.o, r.identifier NULLS FIRST, r.module_type
$fn$;
COMMENT ON FUNCTION connect_lake.flow_compare(text, tstzrange, tstzrange) IS
  'One flow (its ContactFlowId) in two periods side by side: per period the contacts that entered it, containment and IVR abandonment rates, errors per contact, abandonment of those queued and average handle time of those an agent handled (from contact_metric), and per block its contacts and error rate (over the days whose runs of the block all lie inside the period: a day on which a version changed counts in neither); with the difference after - before.';

CREATE FUNCTION connect_lake.flow_compare(flow text, before_version integer, after_version integer)
RETURNS TABLE (metric text, identifier text, module_type text, before numeric, after numeric, difference numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT c.*
    FROM (SELECT tstzrange(v.first_seen, lead(v.first_seen, 1, 'infinity') OVER (ORDER BY v.version)) AS r, v.version
            FROM connect_lake.flow_version v WHERE v.flow_id = flow) b
    JOIN (SELECT tstzrange(v.first_seen, lead(v.first_seen, 1, 'infinity') OVER (ORDER BY v.version)) AS r, v.version
            FROM connect_lake.flow_version v WHERE v.flow_id = flow) a ON a.version = after_version
    CROSS JOIN LATERAL connect_lake.flow_compare(flow, b.r, a.r) c
   WHERE b.version = before_version
$fn$;
COMMENT ON FUNCTION connect_lake.flow_compare(text, integer, integer) IS
  'One flow in two of its versions (flow_version) side by side: flow_compare() over each version''s lifetime, from its first run to the next version''s.';

-- What 99_grants.sql gives the flow objects of a fresh lake.
GRANT SELECT ON connect_lake.contact_flow_path, connect_lake.flow_block_day, connect_lake.flow_entry_day,
  connect_lake.flow_names, connect_lake.flow_block_daily, connect_lake.flow_containment_daily,
  connect_lake.flow_publish, connect_lake.flow_version
  TO connect_lake_reader, connect_lake_loader;
GRANT INSERT, UPDATE, DELETE ON connect_lake.contact_flow_path, connect_lake.flow_block_day,
  connect_lake.flow_entry_day, connect_lake.flow_names, connect_lake.flow_version TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.flows_refresh_days(date[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.flows_refresh(date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.flow_versions_detect(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.flows_refresh_days(date[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.flows_refresh(date, date) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.flow_versions_detect(text) TO connect_lake_loader;

-- ==== Repeat contacts and first-contact resolution (issue 13).
CREATE TABLE connect_lake.repeat_config (
  singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  working_days  integer CHECK (working_days BETWEEN 0 AND 365),
  calendar      text REFERENCES connect_lake.calendar (name)
);
COMMENT ON TABLE connect_lake.repeat_config IS
  'Repeat contact settings (at most one row; a NULL or missing value takes the default): N working days and the calendar they are counted on. A change recomputes contact_repeat.';
COMMENT ON COLUMN connect_lake.repeat_config.singleton IS 'Always true: the table holds one row at most.';
COMMENT ON COLUMN connect_lake.repeat_config.working_days IS 'A contact within this many working days of the customer''s previous one is a repeat; NULL: 7.';
COMMENT ON COLUMN connect_lake.repeat_config.calendar IS 'Calendar of the working days; NULL: default_calendar().';
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
  AS $fn$
DECLARE
  n_days  integer := connect_lake.repeat_working_days();
  cal     text := connect_lake.repeat_calendar();
  tz      text := connect_lake.lake_time_zone();
  roots   uuid[];
  keys    text[];
  n       bigint;
BEGIN
  IF to_regclass('pg_temp.connect_lake_repeat_src') IS NULL THEN
    CREATE TEMP TABLE connect_lake_repeat_src (
      contactid uuid, initiationtimestamp timestamptz, channel text, customer_key text, key_kind text,
      queue_id uuid, agent_id uuid, intent text) ON COMMIT DROP;
  END IF;
  TRUNCATE connect_lake_repeat_src;

  IF contact_ids IS NULL THEN
    -- everyone: each root with what its legs add, in one pass over the CTRs
    INSERT INTO connect_lake_repeat_src
    SELECT l.root, l.initiationtimestamp, l.channel,
           coalesce(a.account::text, l.endpoint), CASE WHEN a.account IS NOT NULL THEN 'account' ELSE 'endpoint' END,
           l.queue_id, l.agent_id, l.intent
      FROM (SELECT connect_lake.contact_root(g.contactid, g.initialcontactid, g.previouscontactid, g.initiationmethod) AS root,
                   min(g.initiationtimestamp) FILTER (WHERE g.contactid = connect_lake.contact_root(g.contactid, g.initialcontactid, g.previouscontactid, g.initiationmethod)) AS initiationtimestamp,
                   min(g.channel) FILTER (WHERE g.contactid = connect_lake.contact_root(g.contactid, g.initialcontactid, g.previouscontactid, g.initiationmethod)) AS channel,
                   min(g.customerendpoint_address) FILTER (WHERE g.contactid = connect_lake.contact_root(g.contactid, g.initialcontactid, g.previouscontactid, g.initiationmethod)) AS endpoint,
                   (array_agg(g.queue_id ORDER BY g.initiationtimestamp) FILTER (WHERE g.queue_id IS NOT NULL))[1] AS queue_id,
                   (array_agg(g.agent_id ORDER BY g.initiationtimestamp) FILTER (WHERE g.agent_connectedtoagentts IS NOT NULL))[1] AS agent_id,
                   (array_agg(g.attributes_intent ORDER BY g.initiationtimestamp) FILTER (WHERE g.attributes_intent IS NOT NULL))[1] AS intent
              FROM connect_lake.ctr_events g
             GROUP BY 1) l
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
    INSERT INTO connect_lake_repeat_src
    SELECT f.contactid, f.initiationtimestamp, f.channel,
           coalesce(a.account::text, f.customerendpoint_address), CASE WHEN a.account IS NOT NULL THEN 'account' ELSE 'endpoint' END,
           l.queue_id, l.agent_id, l.intent
      FROM connect_lake.ctr_events f
      LEFT JOIN LATERAL (SELECT min(x.account) AS account FROM connect_lake.contact_account x
                          WHERE x.contactid = f.contactid) a ON true
      LEFT JOIN LATERAL (
             SELECT (array_agg(g.queue_id ORDER BY g.initiationtimestamp) FILTER (WHERE g.queue_id IS NOT NULL))[1] AS queue_id,
                    (array_agg(g.agent_id ORDER BY g.initiationtimestamp) FILTER (WHERE g.agent_connectedtoagentts IS NOT NULL))[1] AS agent_id,
                    (array_agg(g.attributes_intent ORDER BY g.initiationtimestamp) FILTER (WHERE g.attributes_intent IS NOT NULL))[1] AS intent
               FROM connect_lake.ctr_events g
              WHERE g.contactid = f.contactid OR g.initialcontactid = f.contactid OR g.previouscontactid = f.contactid) l ON true
     WHERE f.contactid = ANY (roots)
       AND f.contactid = connect_lake.contact_root(f.contactid, f.initialcontactid, f.previouscontactid, f.initiationmethod);
    SELECT array_agg(DISTINCT k) INTO keys
      FROM (SELECT s.customer_key AS k FROM connect_lake_repeat_src s
            UNION ALL
            SELECT r.customer_key FROM connect_lake.contact_repeat r WHERE r.contactid = ANY (roots)) x
     WHERE k IS NOT NULL;
    keys := coalesce(keys, '{}');
    INSERT INTO connect_lake_repeat_src
    SELECT r.contactid, r.initiationtimestamp, r.channel, r.customer_key, r.key_kind, r.queue_id, r.agent_id, r.intent
      FROM connect_lake.contact_repeat r
     WHERE r.customer_key = ANY (keys) AND r.contactid <> ALL (roots);
    DELETE FROM connect_lake.contact_repeat r WHERE r.customer_key = ANY (keys) OR r.contactid = ANY (roots);
  END IF;

  INSERT INTO connect_lake.contact_repeat
  SELECT k.contactid, k.customer_key, k.key_kind, k.initiationtimestamp,
         (k.initiationtimestamp AT TIME ZONE tz)::date, k.channel, k.queue_id, k.agent_id, k.intent,
         k.previous_contactid, k.is_repeat,
         first_value(k.contactid) OVER ch, (row_number() OVER ch)::integer, k.repeated
    FROM (SELECT c.*,
                 -- chains are numbered by the customer's contacts that are not repeats so far
                 count(*) FILTER (WHERE NOT c.is_repeat)
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
  WINDOW ch AS (PARTITION BY k.customer_key, k.chain_no ORDER BY k.initiationtimestamp, k.contactid);
  GET DIAGNOSTICS n = ROW_COUNT;
  TRUNCATE connect_lake_repeat_src;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.contact_repeat_refresh(uuid[]) IS
  'Rebuilds contact_repeat for the customers of these contacts (any leg of them), or for everyone (NULL): each contact''s root leg (contact_root()), ordered per customer, with the repeat rule (contact_is_repeat(), repeat_working_days() on repeat_calendar()) and the chains. Returns the contacts written (loader role).';

CREATE FUNCTION connect_lake.repeat_config_changed() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
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

-- What 99_grants.sql gives the repeat objects of a fresh lake.
GRANT SELECT ON connect_lake.repeat_config, connect_lake.contact_repeat, connect_lake.first_contact_resolution_daily,
  connect_lake.repeat_chains TO connect_lake_reader, connect_lake_loader;
GRANT INSERT, UPDATE, DELETE, TRUNCATE ON connect_lake.contact_repeat TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.contact_repeat_refresh(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.contact_repeat_refresh(uuid[]) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.repeat_config_changed() FROM PUBLIC;
-- ==== Metrics dashboard (issue 12, mgen): the daily metric views read the
-- time zone once and make every day's rows before a filter on day applies
-- (as sql/install/90_metrics.sql defines them).
CREATE OR REPLACE VIEW connect_lake.queue_metrics_daily AS
  SELECT (d.interval_start AT TIME ZONE z.tz)::date AS day, d.*
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         (SELECT * FROM connect_lake.queue_metrics_daily('-infinity', 'infinity') OFFSET 0) d;
CREATE OR REPLACE VIEW connect_lake.agent_metrics_daily AS
  SELECT (d.interval_start AT TIME ZONE z.tz)::date AS day, d.*
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         (SELECT * FROM connect_lake.agent_metrics_daily('-infinity', 'infinity') OFFSET 0) d;
