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

