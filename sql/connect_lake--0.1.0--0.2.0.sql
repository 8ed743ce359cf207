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
  bare text[];
  -- Every column but the key, from the row proposed (both statements below).
  sets CONSTANT text := $s$
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
            excluded.id, excluded.account)$s$;
BEGIN
  -- Planned per call (EXECUTE): the index on meta_enriched_landed_date for a
  -- since, the partitions' keys for a list of cases (a semi-join on the
  -- unnested list, which the planner sizes from the list and probes the keys
  -- with: = ANY (list) on a month not yet analyzed scanned the whole month
  -- for every file load() landed, issue #15).  Each case's latest event is
  -- found by the keys alone (the partitions' key index: no wide rows sorted)
  -- and then read once, column by column (a whole-row value of every event,
  -- sorted and expanded again, cost more than the upsert, issue #15); an
  -- older or repeated event never replaces a newer one.
  EXECUTE format($q$
  WITH up AS (
    INSERT INTO connect_lake.case_state AS s
    SELECT e.*
      FROM (SELECT DISTINCT ON (k.detail_case_caseid)
                   k.detail_case_caseid AS cid, k.detail_approximatechangetime AS t, k.event_id AS eid
              FROM connect_lake.case_events k
             WHERE %s
             ORDER BY k.detail_case_caseid, k.detail_approximatechangetime DESC, k.event_id DESC) l
      JOIN connect_lake.case_events e
        ON e.detail_case_caseid = l.cid AND e.detail_approximatechangetime = l.t AND e.event_id = l.eid
    ON CONFLICT (detail_case_caseid) DO UPDATE %s
     WHERE (s.detail_approximatechangetime, s.event_id) < (excluded.detail_approximatechangetime, excluded.event_id)
    RETURNING s.detail_case_caseid AS cid,
              s.detail_event_type = 'CASE.DELETED' AND s.detail_case_createddatetime IS NULL AS bare
  )
  SELECT count(*), array_agg(up.cid) FILTER (WHERE up.bare) FROM up
  $q$, CASE WHEN case_ids IS NULL THEN 'k.meta_enriched_landed_date >= $1'
            WHEN since = '-infinity' THEN 'k.detail_case_caseid IN (SELECT pg_catalog.unnest($2))'
            ELSE 'k.detail_case_caseid IN (SELECT pg_catalog.unnest($2)) AND k.meta_enriched_landed_date >= $1' END,
       sets)
  INTO changed, bare USING since, case_ids;
  IF bare IS NULL THEN
    RETURN changed;
  END IF;
  -- A case whose latest event just written is a CASE.DELETED that carries
  -- no fields keeps the fields of its latest event that has them: only the
  -- event columns are the deletion's.  A join on the case id rather than a
  -- LATERAL subquery, which Citus cannot run on distributed tables.
  EXECUTE format($q$
  INSERT INTO connect_lake.case_state AS s
  SELECT (jsonb_populate_record(p.f, jsonb_build_object(
            'event_id', d.event_id, 'detail_approximatechangetime', d.detail_approximatechangetime,
            'detail_event_type', d.detail_event_type,
            'detail_changedfieldids', d.detail_changedfieldids,
            'detail_performedby_userarn', d.detail_performedby_userarn,
            'detail_performedby_iamprincipalarn', d.detail_performedby_iamprincipalarn,
            'detail_type', d.detail_type, 'time', d."time",
            'source_file', d.source_file, 'source_offset', d.source_offset,
            'meta_enriched_landed_date', d.meta_enriched_landed_date))).*
    FROM (SELECT DISTINCT ON (f.detail_case_caseid) f.detail_case_caseid AS cid, f
            FROM connect_lake.case_events f
           WHERE f.detail_case_createddatetime IS NOT NULL
             AND f.detail_case_caseid IN (SELECT pg_catalog.unnest($1))
           ORDER BY f.detail_case_caseid, f.detail_approximatechangetime DESC, f.event_id DESC) p
    JOIN connect_lake.case_state d ON d.detail_case_caseid = p.cid
  ON CONFLICT (detail_case_caseid) DO UPDATE %s
  $q$, sets) USING bare;
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
CREATE INDEX contact_metric_anchor_idx ON connect_lake.contact_metric ((coalesce(disconnecttimestamp, initiationtimestamp))) WHERE interval_start IS NULL;
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
-- made again from contact_metric, under the intervals' locks
-- (metric_lock_intervals()), so that two sessions never write one interval
-- from different snapshots.
-- metric_lock_intervals(intervals): the advisory locks of those 15-minute
-- intervals, in lock order, to the end of the transaction, so that two
-- sessions never write one interval from different snapshots.  Every taker
-- first shares the rollups' lock (writers from before their first
-- contact_metric row: metric_apply()); metrics_refresh() and a change of
-- the thresholds take it alone for the whole transaction instead.
CREATE FUNCTION connect_lake.metric_lock_intervals(intervals timestamptz[]) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF current_setting('connect_lake_metrics.all_locked', true) = 'on' THEN
    RETURN;                     -- this transaction holds every interval (metrics_refresh)
  END IF;
  -- The rollups' shared lock (metric_apply() holds it exclusively already,
  -- from before its rows), then the intervals' locks: 256, each interval under the one of
  -- its number modulo 256 (intervals 2 days 16 hours apart share one), taken
  -- in that order.  A backfill of months takes at most 256 locks, never
  -- every interval's exclusive one: that would be an upgrade from the shared
  -- lock, which two such upkeeps, or one and a writer waiting for its rows,
  -- would deadlock on.
  PERFORM pg_advisory_xact_lock_shared(1668048237, 0);
  PERFORM pg_advisory_xact_lock(1668048236, s.b)
     FROM (SELECT DISTINCT (floor(extract(epoch FROM u.i) / 900)::bigint & 255)::integer AS b
             FROM unnest(intervals) u(i) WHERE u.i IS NOT NULL) s
    ORDER BY s.b;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_lock_intervals(timestamptz[]) IS
  'Locks the rollups of those 15-minute intervals for the upkeep that rewrites them, to the end of the transaction: the rollups'' shared lock, then one of 256 advisory locks per interval (its number modulo 256), in lock order; nothing when the transaction already holds every interval (metrics_refresh()).';

-- Statistics that make a table look empty, or nearly, while it holds rows:
-- an ANALYZE (autovacuum's) that ran while a load's rows were not yet
-- committed (it counts them as not there: relpages of the rows, reltuples 0),
-- typically just after a TRUNCATE or on a new month's partition.  Planned
-- with them, the upkeep joins the contacts landed by scanning a table once
-- per contact (a commit of minutes: 118 s for a day of 20,000 contacts).
-- The upkeep functions ask this first and, when it holds, analyze such
-- tables again (upkeep_stats_analyze(), those the caller owns); if one
-- remains, they plan their statements without nested loops and sequential
-- scans (hash joins over index scans: the cost of the rows, whatever the
-- estimates).  They plan every call (plan_cache_mode), so that a plan made
-- while a table was empty is not kept once it fills.
CREATE FUNCTION connect_lake.upkeep_stats_stale(tables regclass[]) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   WHERE c.oid IN (SELECT t.r FROM pg_catalog.unnest(tables) t(r)
                                   UNION ALL
                                   SELECT p.relid FROM pg_catalog.unnest(tables) t(r),
                                                       pg_catalog.pg_partition_tree(t.r) p)
                     AND c.relkind = 'r' AND c.relpages > 0 AND c.reltuples >= 0 AND c.reltuples * 4 < c.relpages)
  $fn$;
COMMENT ON FUNCTION connect_lake.upkeep_stats_stale(regclass[]) IS
  'Internal, the writers'' upkeep: whether a table given (or a partition of one) has statistics of fewer than one row in four pages (pg_class: an ANALYZE that ran while a load''s rows were uncommitted, e.g. after a TRUNCATE), with which the planner would join the rows landed by scanning it once per row; the upkeep then plans without nested loops and sequential scans.';

-- upkeep_stats_analyze(tables): the tables (or partitions) that
-- upkeep_stats_stale() finds analyzed again, within the transaction (its own
-- uncommitted rows count), those the caller owns and that no other session
-- is analyzing (SKIP_LOCKED): the planner then sees their rows.
CREATE FUNCTION connect_lake.upkeep_stats_analyze(tables regclass[]) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r regclass;
  n integer := 0;
BEGIN
  FOR r IN SELECT c.oid::regclass
             FROM pg_catalog.pg_class c
            WHERE c.oid IN (SELECT t.r FROM pg_catalog.unnest(tables) t(r)
                            UNION ALL
                            SELECT p.relid FROM pg_catalog.unnest(tables) t(r), pg_catalog.pg_partition_tree(t.r) p)
              AND c.relkind = 'r' AND c.relpages > 0 AND c.reltuples >= 0 AND c.reltuples * 4 < c.relpages
              AND pg_catalog.pg_has_role(c.relowner, 'USAGE')
            ORDER BY c.oid LOOP
    EXECUTE format('ANALYZE (SKIP_LOCKED) %s', r);
    n := n + 1;
  END LOOP;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.upkeep_stats_analyze(regclass[]) IS
  'Internal, the writers'' upkeep: analyzes again, within the transaction, the tables given (or their partitions) whose statistics make them look empty (upkeep_stats_stale()), those the caller owns and no other session is analyzing (SKIP_LOCKED); returns how many. The upkeep calls it before planning, then plans without nested loops and sequential scans if any such table remains.';

-- upkeep_plan_guard(tables): what each upkeep function asks before it plans.
-- Tables given (or their partitions) whose statistics make them look empty
-- (upkeep_stats_stale()) are analyzed again where the caller may
-- (upkeep_stats_analyze()); if one still looks empty, nested loops and
-- sequential scans are turned off to the end of the transaction and the
-- values they had are returned, for upkeep_plan_restore() at the calling
-- function's end (NULL: nothing was changed).  set_config(..., true) outlives
-- this function: its SET clause names search_path only.
CREATE FUNCTION connect_lake.upkeep_plan_guard(tables regclass[]) RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  saved text[];
BEGIN
  IF NOT connect_lake.upkeep_stats_stale(tables)
     OR (connect_lake.upkeep_stats_analyze(tables) > 0 AND NOT connect_lake.upkeep_stats_stale(tables)) THEN
    RETURN NULL;
  END IF;
  saved := ARRAY[current_setting('enable_nestloop'), current_setting('enable_seqscan')];
  PERFORM set_config('enable_nestloop', 'off', true), set_config('enable_seqscan', 'off', true);
  RETURN saved;
END
$fn$;
COMMENT ON FUNCTION connect_lake.upkeep_plan_guard(regclass[]) IS
  'Internal, the writers'' upkeep: before an upkeep function plans, analyzes again the tables given that look empty (upkeep_stats_stale(), upkeep_stats_analyze()) and, if one still does, turns nested loops and sequential scans off to the end of the transaction; returns the settings they had (NULL: nothing changed) for upkeep_plan_restore().';

-- upkeep_plan_restore(saved): the settings upkeep_plan_guard() changed, back.
CREATE FUNCTION connect_lake.upkeep_plan_restore(saved text[]) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF saved IS NOT NULL THEN
    PERFORM set_config('enable_nestloop', saved[1], true), set_config('enable_seqscan', saved[2], true);
  END IF;
END
$fn$;
COMMENT ON FUNCTION connect_lake.upkeep_plan_restore(text[]) IS
  'Internal, the writers'' upkeep: puts back the planner settings upkeep_plan_guard() changed (its result; NULL: nothing).';

CREATE FUNCTION connect_lake.metric_rollup(intervals timestamptz[]) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
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
  PERFORM connect_lake.metric_lock_intervals(ivs);
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
  'Makes the rollup rows (metric_queue_interval, metric_agent_interval, metric_queue_threshold) of the given 15-minute intervals again from contact_metric, then the day rows (metric_queue_day, metric_queue_threshold_day) of their local days; returns how many intervals. Locks the intervals (metric_lock_intervals()).';

-- metric_apply: the core of both entry points.  It reads the contacts
-- where source_where holds (a condition on contact_metric_base b, with $1
-- the contact ids given, $2 and $3 a range, $4 initiation times) and writes
-- their contact_metric rows, follower flags included (the legs that
-- continue each, contact_metric_follower's rule, read with the versions
-- being written in place of the rows they replace); removes the rows of the
-- contacts given (ids) that are no longer in ctr_events; recomputes the
-- follower flags of the contacts they continue (now or before); then
-- brings the rollups up to date.  A range (from_ts, metrics_refresh()) makes
-- every interval any of them counted in, before or after, again from
-- contact_metric (metric_rollup(): it also repairs rollups); contacts given
-- by id (metrics_refresh_contacts(), the writers' upkeep) correct the
-- rollups by the rows that changed, before and after (metric_rollup_delta()),
-- so that a load pays for what it changed, not for what its intervals hold.
-- Every step looks rows up by key, from the contacts' side (LATERAL, with
-- OFFSET 0 where the planner would otherwise flatten the lookup into a join
-- that reads all of contact_metric, a cost growing with the lake): a load
-- touches a few thousand contacts of tables of millions, and large arrays
-- are joined as sets, never searched element by element.
CREATE FUNCTION connect_lake.metric_apply(ids uuid[], source_where text, from_ts timestamptz DEFAULT NULL,
                                          to_ts timestamptz DEFAULT NULL, initiation_ts timestamptz[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
AS $fn$
DECLARE
  planner text[];
  r1      record;
  r2      record;
  nw      record;
  direct  connect_lake.contact_metric[] := '{}';
BEGIN
  -- statistics that make a table look empty (upkeep_stats_stale()): planned
  -- without nested loops and sequential scans, not a scan per contact
  planner := connect_lake.upkeep_plan_guard(ARRAY['connect_lake.ctr_events', 'connect_lake.contact_metric']::regclass[]);
  -- The rollups' lock, exclusively, before any contact_metric row is read
  -- or written, to the end of the transaction: one upkeep at a time.  Two
  -- writers' upkeeps side by side could not see each other's rows: one
  -- landing a queued contact and the other its callback (a later leg naming
  -- it as PreviousContactId) each found no row of the other, and the
  -- contact stayed abandoned (test/specs/metric_upkeep_linked_legs.spec).
  -- Waiting here, an upkeep holds no contact_metric row, so it never
  -- deadlocks with the one it waits for (or with metrics_refresh(), which
  -- holds the same lock while it writes rows); it then reads, statement by
  -- statement, what that one committed.  (load() in a session holds its
  -- kind's writer lock exclusively and workers drain their upkeep one at a
  -- time already: this orders the rest, ingest() and ingest_batch().)
  IF current_setting('connect_lake_metrics.all_locked', true) IS DISTINCT FROM 'on' THEN
    PERFORM pg_advisory_xact_lock(1668048237, 0);
  END IF;
  -- The writers' contacts (with their InitiationTimestamps) that need
  -- nothing but their own row, new and linked to no other: written directly
  -- (metric_apply_new(), C); the others as before.
  IF from_ts IS NULL AND initiation_ts IS NOT NULL THEN
    SELECT * INTO nw FROM connect_lake.metric_apply_new(ids, initiation_ts);
    IF nw.after IS NOT NULL THEN
      direct := nw.after;
      ids := nw.rest_ids;
      initiation_ts := nw.rest_ts;
    END IF;
  END IF;
  -- (which way the contacts went, for the tests: written directly, by the statement)
  PERFORM set_config('connect_lake_metrics.last_upkeep',
                     format('direct %s, statement %s', cardinality(direct), cardinality(ids)), false);
  IF cardinality(direct) > 0 AND cardinality(ids) = 0 THEN
    PERFORM connect_lake.metric_rollup_delta('{}', direct);
    PERFORM connect_lake.upkeep_plan_restore(planner);
    RETURN cardinality(direct);
  END IF;
  SELECT * INTO r1 FROM connect_lake.metric_apply_rows(ids, source_where, from_ts, to_ts, initiation_ts);
  -- The contacts contact_metric holds under another InitiationTimestamp,
  -- and those another writer changed meanwhile: every version of them read
  -- by a second call (rare).  Both calls' rows (and those written directly)
  -- are written before any interval is locked, and the rollups corrected
  -- once for all, locking the intervals in lock order: no row lock is
  -- ever asked for while an interval's lock is held, as in every writer's
  -- upkeep, so that two upkeeps never wait for each other crosswise.
  -- (Again while another writer changed some of them meanwhile: each round
  -- waited for that writer's commit.)
  WHILE cardinality(r1.others) > 0 LOOP
    SELECT * INTO r2 FROM connect_lake.metric_apply_rows(r1.others, 'b.contactid = ANY ($1)', from_ts, to_ts, NULL);
    r1.total := r1.total + r2.total;
    r1.ivs := r1.ivs || r2.ivs;
    r1.before := r1.before || r2.before;
    r1.after := r1.after || r2.after;
    r1.others := r2.others;
  END LOOP;
  IF from_ts IS NULL THEN
    PERFORM connect_lake.metric_rollup_delta(r1.before, r1.after || direct);
  ELSE
    PERFORM connect_lake.metric_rollup(r1.ivs);
  END IF;
  PERFORM connect_lake.upkeep_plan_restore(planner);
  RETURN r1.total + cardinality(direct);
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_apply(uuid[], text, timestamptz, timestamptz, timestamptz[]) IS
  'Internal: the upkeep shared by metrics_refresh_contacts() and metrics_refresh(): the contact_metric rows (follower flags included) of the contacts of contact_metric_base where source_where holds ($1 ids, $2 from, $3 to, $4 initiation times) and of the contacts ids (removed when gone from ctr_events), the follower flags of the contacts they continue (metric_apply_rows(), a second time for the contacts held under another InitiationTimestamp), then the rollups once: over a range (from_ts given) every interval they counted in before or after made again (metric_rollup()), else corrected by the rows that changed (metric_rollup_delta()). Returns the contacts whose flags were recomputed.';

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
  -- (No contact at all: nothing to do; greatest() and least() would skip
  -- the NULLs and step through all time from -infinity.)
  SELECT least((SELECT min(e.disconnecttimestamp) FROM connect_lake.ctr_events e),
               (SELECT min(e.initiationtimestamp) FROM connect_lake.ctr_events e
                 WHERE e.disconnecttimestamp IS NULL),
               (SELECT min(m.interval_start) FROM connect_lake.contact_metric m WHERE m.interval_start IS NOT NULL),
               (SELECT min(coalesce(m.disconnecttimestamp, m.initiationtimestamp))
                  FROM connect_lake.contact_metric m WHERE m.interval_start IS NULL)),
         greatest((SELECT max(e.disconnecttimestamp) FROM connect_lake.ctr_events e),
                  (SELECT max(e.initiationtimestamp) FROM connect_lake.ctr_events e
                    WHERE e.disconnecttimestamp IS NULL),
                  (SELECT max(m.interval_start) + interval '15 minutes' FROM connect_lake.contact_metric m
                    WHERE m.interval_start IS NOT NULL),
                  (SELECT max(coalesce(m.disconnecttimestamp, m.initiationtimestamp))
                     FROM connect_lake.contact_metric m WHERE m.interval_start IS NULL)) + interval '1 microsecond'
    INTO lo, hi;
  IF lo IS NULL OR hi IS NULL THEN
    RETURN 0;
  END IF;
  lo := greatest(from_ts, lo);
  hi := least(to_ts, hi);
  -- every interval's lock at once, for the rest of the transaction (one
  -- lock per interval would fill the shared lock table over months)
  PERFORM pg_advisory_xact_lock(1668048237, 0);
  PERFORM set_config('connect_lake_metrics.all_locked', 'on', true);
  -- A day at a time, so that each step holds a day of contacts.
  day_lo := lo;
  WHILE day_lo < hi LOOP
    -- (a contact that counts is anchored at its disconnect, in the 15-minute
    -- interval it counts in: read by that index; an excluded one by the
    -- anchor's, which holds only them)
    SELECT coalesce(array_agg(x.contactid), '{}') INTO ids
      FROM (SELECT m.contactid FROM connect_lake.contact_metric m
             WHERE m.interval_start >= connect_lake.metric_interval(day_lo)
               AND m.interval_start < least(day_lo + interval '1 day', hi)
               AND m.disconnecttimestamp >= day_lo AND m.disconnecttimestamp < least(day_lo + interval '1 day', hi)
            UNION ALL
            SELECT m.contactid FROM connect_lake.contact_metric m
             WHERE m.interval_start IS NULL
               AND coalesce(m.disconnecttimestamp, m.initiationtimestamp) >= day_lo
               AND coalesce(m.disconnecttimestamp, m.initiationtimestamp) < least(day_lo + interval '1 day', hi)) x;
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
  -- Every interval's lock, as metrics_refresh() takes it, to the end of the
  -- transaction: a writer's upkeep committing meanwhile would otherwise add
  -- its contacts with the thresholds and time zone it read before this
  -- change commits (a new threshold's rows without them; day rows of the
  -- old time zone in tables made again in the new one).  It waits, then
  -- reads what is in force.
  PERFORM pg_advisory_xact_lock(1668048237, 0);
  PERFORM set_config('connect_lake_metrics.all_locked', 'on', true);
  DELETE FROM connect_lake.metric_queue_threshold
   WHERE threshold_s <> ALL (connect_lake.metric_thresholds());
  DELETE FROM connect_lake.metric_queue_threshold_day
   WHERE threshold_s <> ALL (connect_lake.metric_thresholds());
  FOREACH x IN ARRAY connect_lake.metric_thresholds() LOOP
    IF NOT EXISTS (SELECT 1 FROM connect_lake.metric_queue_threshold t WHERE t.threshold_s = x) THEN
      -- the intervals metric_queue_interval holds (all, but while pg_restore
      -- fills the tables one by one: those it restores later bring theirs)
      INSERT INTO connect_lake.metric_queue_threshold
        SELECT l.* FROM connect_lake.metric_queue_threshold_live l
         WHERE l.threshold_s = x
           AND EXISTS (SELECT 1 FROM connect_lake.metric_queue_interval q
                        WHERE q.interval_start = l.interval_start AND q.queue_kind = l.queue_kind
                          AND q.queue_id IS NOT DISTINCT FROM l.queue_id AND q.channel IS NOT DISTINCT FROM l.channel);
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
  'Trigger of metric_threshold and metric_config: computes the "within X" counts of a threshold newly in use for all history and drops those of a threshold no longer in use; after a change of metric_config, makes the day rollups again in the time zone now in force. Holds every interval''s lock to the end of the transaction, as metrics_refresh() does (the writers'' upkeep waits).';
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
-- STABLE, as the timestamptz arithmetic it does (an IMMUTABLE SQL function
-- with a STABLE body is not inlined: called per row, issue #15).
CREATE FUNCTION connect_lake.metric_period_start(period text, interval_start timestamptz, time_zone text,
                                                 total_start timestamptz DEFAULT NULL) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE
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
  SELECT s.interval_start AS interval_start, m.queue_id, m.queue_name, m.queue_kind, m.channel,
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
    FROM (SELECT connect_lake.metric_time_zone() AS tz, connect_lake.metric_service_level_threshold() AS threshold,
                 connect_lake.metric_service_level_comparison() AS comparison OFFSET 0) z,
         (SELECT DISTINCT r.interval_start FROM connect_lake.metric_queue_interval r) s,
         LATERAL connect_lake.queue_metrics('FIFTEEN_MIN', s.interval_start, s.interval_start + interval '15 minutes',
                                            z.tz, z.threshold, z.comparison) m;
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
  -- The day rollups read directly (what queue_metrics('DAY', ...) computes
  -- for whole local days, without its per-period machinery): each day row
  -- once, its "within X" row of the configured threshold from a hash of
  -- that threshold's day rows, the settings read once (initplans), the
  -- period start converted once per row.  The threshold's rows are joined on
  -- the plain key (hashable, no expression per row); a row whose queue or
  -- channel is NULL (no queue, a CTR without a channel) finds its threshold
  -- row by a lookup made for it alone.
  SELECT r.day::timestamp AT TIME ZONE (SELECT connect_lake.metric_time_zone()), r.queue_id,
         (SELECT d.queue_name FROM connect_lake.queue_dim d WHERE d.queue_id = r.queue_id AND r.queue_kind = 'STANDARD'),
         r.queue_kind, r.channel,
         r.contacts::bigint, r.contacts_queued::bigint, r.contacts_handled::bigint, r.contacts_handled_incoming::bigint,
         r.contacts_handled_outbound::bigint, r.contacts_handled_callback::bigint, r.contacts_handled_api::bigint,
         r.contacts_agent_hung_up_first::bigint, r.contacts_transferred_in::bigint,
         r.contacts_transferred_in_from_queue::bigint, r.contacts_abandoned::bigint, r.callbacks_requested::bigint,
         r.transferred_out_by_agent::bigint + r.transferred_out_from_queue::bigint, r.transferred_out_by_agent::bigint,
         r.transferred_out_from_queue::bigint, r.transferred_out_internal::bigint, r.transferred_out_external::bigint,
         r.contacts_put_on_hold::bigint,
         (SELECT connect_lake.metric_service_level_threshold()), (SELECT connect_lake.metric_service_level_comparison()),
         coalesce(t.answered_in_x, (r.n).answered_lt + CASE WHEN (SELECT connect_lake.metric_service_level_comparison()) = 'LTE'
                                                             THEN (r.n).answered_eq ELSE 0 END, 0),
         coalesce(t.abandoned_in_x, (r.n).abandoned_lt + CASE WHEN (SELECT connect_lake.metric_service_level_comparison()) = 'LTE'
                                                               THEN (r.n).abandoned_eq ELSE 0 END, 0),
         coalesce(t.removed_in_x, (r.n).removed_lt + CASE WHEN (SELECT connect_lake.metric_service_level_comparison()) = 'LTE'
                                                           THEN (r.n).removed_eq ELSE 0 END, 0),
         coalesce(t.removed_at_x, (r.n).removed_eq, 0),
         connect_lake.metric_service_level(
           coalesce(t.removed_in_x, (r.n).removed_lt + CASE WHEN (SELECT connect_lake.metric_service_level_comparison()) = 'LTE'
                                                             THEN (r.n).removed_eq ELSE 0 END, 0), r.contacts_queued),
         connect_lake.metric_abandonment_rate(r.contacts_abandoned, r.contacts_queued),
         connect_lake.metric_asa(r.queue_answer_time_sum, r.contacts_answered),
         connect_lake.metric_ratio(r.abandon_time_sum, r.contacts_abandoned),
         r.queued_time_max,
         connect_lake.metric_aht(r.handle_time_sum, r.contacts_handled), r.handle_time_sum,
         connect_lake.metric_ratio(r.interaction_time_sum, r.contacts_handled),
         connect_lake.metric_ratio(r.hold_time_sum, r.contacts_put_on_hold),
         connect_lake.metric_ratio(r.acw_time_sum, r.contacts_handled),
         connect_lake.metric_ratio(r.contact_duration_sum, r.contacts)
    FROM (SELECT r.*,
                 CASE WHEN r.queue_id IS NULL OR r.channel IS NULL
                      THEN (SELECT n FROM connect_lake.metric_queue_threshold_day n
                             WHERE n.threshold_s = connect_lake.metric_check_threshold(
                                                     connect_lake.metric_service_level_threshold(),
                                                     connect_lake.metric_service_level_comparison())
                               AND n.day = r.day AND n.queue_kind = r.queue_kind
                               AND n.queue_id IS NOT DISTINCT FROM r.queue_id AND n.channel IS NOT DISTINCT FROM r.channel)
                 END AS n
            FROM connect_lake.metric_queue_day r
           WHERE r.day >= from_day AND r.day <= to_day) r
    LEFT JOIN (-- (a subquery, so that the planner hashes the threshold's rows
               -- rather than probing its index once per day row)
               SELECT t.day, t.queue_kind, t.queue_id, t.channel,
                      t.answered_lt::bigint + CASE WHEN x.lte THEN t.answered_eq ELSE 0 END AS answered_in_x,
                      t.abandoned_lt::bigint + CASE WHEN x.lte THEN t.abandoned_eq ELSE 0 END AS abandoned_in_x,
                      t.removed_lt::bigint + CASE WHEN x.lte THEN t.removed_eq ELSE 0 END AS removed_in_x,
                      t.removed_eq::bigint AS removed_at_x
                 FROM (SELECT connect_lake.metric_check_threshold(connect_lake.metric_service_level_threshold(),
                                                                  connect_lake.metric_service_level_comparison()) AS threshold_s,
                              connect_lake.metric_service_level_comparison() = 'LTE' AS lte OFFSET 0) x
                 JOIN connect_lake.metric_queue_threshold_day t
                   ON t.threshold_s = x.threshold_s AND t.day >= from_day AND t.day <= to_day
               OFFSET 0) t
      ON t.day = r.day AND t.queue_kind = r.queue_kind AND t.queue_id = r.queue_id AND t.channel = r.channel
   ORDER BY r.day, r.queue_kind, r.queue_id, r.channel
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
  SELECT s.interval_start AS interval_start, m.agent_id, m.agent_username, m.channel,
         m.contacts_handled, m.contacts_handled_incoming, m.contacts_handled_outbound,
         m.callback_contacts_handled, m.api_contacts_handled, m.contacts_agent_hung_up_first,
         m.contacts_transferred_out_by_agent, m.contacts_transferred_out_internal,
         m.contacts_transferred_out_external, m.contacts_put_on_hold, m.avg_handle_time, m.sum_handle_time,
         m.avg_interaction_time, m.sum_interaction_time, m.avg_hold_time, m.sum_hold_time,
         m.avg_after_contact_work_time, m.sum_after_contact_work_time, m.avg_queue_answer_time
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         (SELECT DISTINCT r.interval_start FROM connect_lake.metric_agent_interval r) s,
         LATERAL connect_lake.agent_metrics('FIFTEEN_MIN', s.interval_start, s.interval_start + interval '15 minutes', z.tz) m;
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
REVOKE ALL ON FUNCTION connect_lake.metric_lock_intervals(timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.metric_lock_intervals(timestamptz[]) TO connect_lake_loader;
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
  -- A replica identity on every partition (logical replication, Citus's
  -- online shard moves): its primary key, or the whole row when the key is
  -- only unique (a key column may be NULL).
  IF fact.key_kind <> 'PRIMARY KEY' THEN
    EXECUTE format('ALTER TABLE connect_lake.%I REPLICA IDENTITY FULL', part);
  END IF;
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
  -- Access by queue: under row-level security, the parent's queue policies
  -- go on the new month too (a partition can be read directly).
  IF (SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = parent) THEN
    PERFORM connect_lake.queue_access_secure(format('connect_lake.%I', part)::regclass, q.queue_expr)
       FROM connect_lake.queue_access_tables q WHERE q.table_name = relname;
  END IF;
  RETURN format('connect_lake.%I', part)::regclass;
END
$fn$;

COMMENT ON FUNCTION connect_lake.create_partition(regclass, timestamptz) IS
  'Returns the monthly partition (UTC months, named <table>_pYYYYMM, "bc" appended before the common era) of a lake fact table that holds ts, creating it when missing; attaches a new month with a lock that lets readers and writers of the table go on.';
-- The months that exist get the replica identity create_partition() gives
-- new ones: the whole row where the key is only unique.
DO $upgrade$
DECLARE
  p regclass;
BEGIN
  FOR p IN SELECT i.inhrelid::regclass
             FROM connect_lake.fact_table f
             JOIN pg_inherits i ON i.inhparent = format('connect_lake.%I', f.relname)::regclass
            WHERE f.key_kind <> 'PRIMARY KEY'
  LOOP
    EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', p);
  END LOOP;
END
$upgrade$;

-- ==== Journeys (issue 13): contact_legs(); contact_journey() and
-- customer_journey() read the Customer Profiles links too, so they are
-- created with those (issue 14, below).
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
  'One row per contact (leg) that ran a flow: its flow path summarised (entry flow, last block, blocks, errors) and how it ended by its CTR (queued, agent, transferred, abandoned in the IVR, contained). The outcome columns are NULL while the CTR has not landed. Kept as flow logs and CTRs land (connect_lake.flows_upkeep) and by flows_refresh().';
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
-- by day: every rebuild of a day deletes its rows, and the erasure reads a
-- customer's days (the key leads with the flow: without this, a scan of the
-- whole history at each)
CREATE INDEX flow_block_day_day_idx ON connect_lake.flow_block_day (day);
COMMENT ON TABLE connect_lake.flow_block_day IS
  'Per local day (of the contacts'' first block), flow and block: how many contacts ran the block and how often, its results, errors, where contacts left the flow, and a histogram of the time to the next block. Counts and histograms, so any range of days adds up (flow_funnel()). Kept as flow logs and CTRs land (connect_lake.flows_upkeep) and by flows_refresh().';
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
CREATE INDEX flow_entry_day_day_idx ON connect_lake.flow_entry_day (day);
COMMENT ON TABLE connect_lake.flow_entry_day IS
  'Per local day and entry flow (the first flow of the contact): contacts, containment, IVR hang-ups, queued, with an agent. The sums of contact_flow_path; kept as flow logs and CTRs land (connect_lake.flows_upkeep) and by flows_refresh().';
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
COMMENT ON TABLE connect_lake.flow_names IS 'Each flow (ContactFlowId) with the latest name its log events carry; kept as flow logs land (connect_lake.flows_upkeep) and by flows_refresh().';
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
  dy     date;
  n      integer;
BEGIN
  days := ARRAY(SELECT DISTINCT d FROM unnest(days) d WHERE d IS NOT NULL ORDER BY 1);
  IF cardinality(days) = 0 THEN
    RETURN 0;
  END IF;
  -- The flows' lock, shared, to the end of the transaction: a CTR writer's
  -- upkeep (flows_ctrs_landed()) takes it alone, so that it reads the paths
  -- this rebuild writes after it commits, never while the rebuild reads
  -- CTRs without its contacts' (test/specs/flows_upkeep_ctr_race.spec).
  PERFORM pg_advisory_xact_lock_shared(1131169349, 0);
  -- one rebuilder of a day at a time (the writers' upkeep at commit, a refresh by hand)
  FOREACH dy IN ARRAY days LOOP
    PERFORM pg_advisory_xact_lock(1131169348, dy - date '2000-01-01');
  END LOOP;
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

  -- (on Citus, the statement below reads a copy of the contacts' CTRs, which
  -- distribute() points it at: citus_swap_functions())
  IF connect_lake.is_distributed() THEN
    PERFORM connect_lake.citus_fact_rows('connect_lake.ctr_events', 'connect_lake_flow_ctrs', 'f.contactid = ANY ($1)',
                                         ARRAY(SELECT DISTINCT r.contactid FROM connect_lake_flow_run r));
  END IF;
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
                        WHERE c.contactid IS NOT NULL) o ON true
  -- a contact already summarised on a day not rebuilt here (flow logs with a
  -- whole day's gap) stays there, counted once
  ON CONFLICT (contactid) DO NOTHING;
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
            JOIN connect_lake.contact_flow_path p ON p.contactid = r.contactid AND p.day = r.day) r
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
  -- dropped, not left to ON COMMIT: run by ALTER EXTENSION UPDATE, the
  -- table would be the extension's and could not be dropped at commit
  DROP TABLE connect_lake_flow_run;
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
  -- The writers' upkeep locks before the flows' lock (flows_refresh_days()
  -- shares it), in their order: the metrics' (the rollups' lock), the
  -- repeats', alone, to the end of the transaction.  A DBA who then calls
  -- contact_repeat_refresh() or metrics_refresh() in the same transaction
  -- holds them already: holding the flows' lock first, that call waited
  -- for a CTR writer's commit that held them and waited for the flows'
  -- lock, a deadlock (test/specs/refresh_lock_order.spec).  The CTR writers
  -- with connect_lake.flows_upkeep on waited for this refresh anyway (their
  -- upkeep takes the flows' lock alone); they now wait before their metrics.
  -- Alone, not shared: two refreshes that each shared them and then asked
  -- for them alone would deadlock.  Flow log writers take none of them.
  PERFORM pg_advisory_xact_lock(1668048237, 0);
  PERFORM pg_advisory_xact_lock(1131164272, 0);
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
  'Rebuilds the flow funnels and containment (contact_flow_path, flow_block_day, flow_entry_day) for the local days from_day to to_day, both included (default: every day the flow logs cover), a week at a time; returns the contacts summarised (loader role). Takes the writers'' upkeep locks in their order, the metrics'' and the repeats'' (alone) before the flows'', to the end of the transaction.';

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

-- What 99_grants.sql gives the repeat objects of a fresh lake.
GRANT SELECT ON connect_lake.repeat_config, connect_lake.contact_repeat, connect_lake.first_contact_resolution_daily,
  connect_lake.repeat_chains TO connect_lake_reader, connect_lake_loader;
GRANT INSERT, UPDATE, DELETE, TRUNCATE ON connect_lake.contact_repeat TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.contact_repeat_refresh(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.contact_repeat_refresh(uuid[]) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.repeat_config_changed() FROM PUBLIC;

-- ==== poison (issue #16): ingest_batch(on_error), load_rejects' comments ====
-- ingest_batch() takes on_error (stop | skip, as load()) and returns rejected;
-- a rejected record of a batch goes to load_rejects like a file's.
DROP FUNCTION connect_lake.ingest_batch(text, jsonb[]);
CREATE FUNCTION connect_lake.ingest_batch(kind text, docs jsonb[], on_error text DEFAULT 'stop',
                                    OUT inserted bigint, OUT updated bigint, OUT duplicates bigint,
                                    OUT values_nulled bigint, OUT rejected bigint)
  AS 'MODULE_PATHNAME', 'ingest_batch'
  LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION connect_lake.ingest_batch(text, jsonb[], text) IS
  'Lands a micro-batch of records of one kind (e.g. one Kinesis batch) in batched statements; returns how many were inserted, updated (newer CTR versions) and duplicates, how many values landed NULL because their column cannot hold them, kept raw beside (a case account that is not an integer), and how many records were rejected. on_error stop: a bad record fails the call; skip: bad records go to load_rejects (path ingest_batch(), line = element number) and the others land (loader role).';
REVOKE ALL ON FUNCTION connect_lake.ingest_batch(text, jsonb[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.ingest_batch(text, jsonb[], text) TO connect_lake_loader;
COMMENT ON TABLE connect_lake.load_rejects IS 'Records load() and ingest_batch() could not land (on_error skip), with where they were and why, to fix and replay.';
COMMENT ON COLUMN connect_lake.load_rejects.path IS 'File the record came from; ingest_batch() for a record of a batch given to ingest_batch(on_error => skip).';
COMMENT ON COLUMN connect_lake.load_rejects.line IS 'Line where the record starts (its first line when it spans several), where the framing has lines (where the problem was noticed, when further on, is in reason); for ingest_batch(), the element''s number in the batch.';
COMMENT ON COLUMN connect_lake.load_rejects.reason IS 'Why the record was rejected: what and where (field, position), never the record''s content, which only raw holds.';

-- ==== Scaling out on Citus (issue 15): distribute() and undistribute();
-- case_state_refresh(), case_volume_daily() and contact_case in forms Citus
-- can run on distributed tables (the same answers on a plain lake);
-- case_status_compile() gives a distributed lake's workers the open rule.
CREATE OR REPLACE FUNCTION connect_lake.case_status_compile() RETURNS text[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  closed text[];
  body   text;
  idx    text;
  distributed boolean;
  worker record;
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
  -- On a lake distributed on Citus (97_citus.sql) the workers evaluate the
  -- rules in the queries they run (and keep their shards' index by the open
  -- rule): they get the same case_status rows (their labels) and the same
  -- compiled rule; Citus propagates neither an extension's functions nor a
  -- table it does not manage.  Their triggers stand aside (replica role),
  -- and Citus lets a worker change the extension's function (no DDL
  -- propagation).
  IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
    EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1)'
      INTO distributed USING to_regclass('connect_lake.case_state');
    IF distributed THEN
      FOR worker IN EXECUTE 'SELECT nodename, nodeport, success, result FROM run_command_on_workers($1)'
        USING format(
          'SET LOCAL session_replication_role = replica; SET LOCAL citus.enable_ddl_propagation = off; '
          'DELETE FROM connect_lake.case_status; '
          'INSERT INTO connect_lake.case_status SELECT * FROM jsonb_populate_recordset(NULL::connect_lake.case_status, %L); '
          'CREATE OR REPLACE FUNCTION connect_lake.case_status_is_open(status text) RETURNS boolean'
          ' LANGUAGE sql IMMUTABLE PARALLEL SAFE AS %L',
          (SELECT coalesce(jsonb_agg(c), '[]') FROM connect_lake.case_status c), body)
      LOOP
        IF NOT worker.success THEN
          RAISE EXCEPTION 'connect_lake: the case rules could not be given to Citus worker %:%: %',
            worker.nodename, worker.nodeport, worker.result
            USING ERRCODE = 'connection_failure';
        END IF;
      END LOOP;
    END IF;
  END IF;
  RETURN closed;
END
$fn$;

CREATE OR REPLACE FUNCTION connect_lake.case_volume_daily(from_day date, to_day date)
RETURNS TABLE (day date, cases_created bigint, deleted bigint, complaints bigint, still_open bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  -- Counted per 15 minutes first (every zone's offset is a multiple of 15
  -- minutes, so each quarter hour lies within one local day), then per day:
  -- a time zone conversion per quarter hour rather than per case.
  -- The cases are taken by UTC bounds a day wider than the local days (no
  -- zone is more than a day from UTC), the quarters by the local midnights:
  -- no LATERAL subquery, which Citus cannot run on distributed tables.
  SELECT (q.quarter AT TIME ZONE z.tz)::date, sum(q.n)::bigint, sum(q.deleted)::bigint,
         sum(q.complaints)::bigint, sum(q.open)::bigint
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
   CROSS JOIN (
           SELECT date_bin('15 minutes', s.detail_case_createddatetime, timestamptz '2000-01-01 00:00+00') AS quarter,
                  count(*) AS n,
                  count(*) FILTER (WHERE s.detail_event_type = 'CASE.DELETED') AS deleted,
                  count(*) FILTER (WHERE s.detail_case_fields_is_complaint) AS complaints,
                  count(*) FILTER (WHERE connect_lake.case_is_open(s.detail_event_type, s.detail_case_fields_status)) AS open
             FROM connect_lake.case_state s
            WHERE s.detail_case_createddatetime >= ((from_day - 1)::timestamp AT TIME ZONE 'UTC')
              AND s.detail_case_createddatetime < ((to_day + 2)::timestamp AT TIME ZONE 'UTC')
            GROUP BY 1) q
   WHERE q.quarter >= (from_day::timestamp AT TIME ZONE z.tz)
     AND q.quarter < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   GROUP BY 1 ORDER BY 1
$fn$;

CREATE OR REPLACE VIEW connect_lake.contact_case AS
  SELECT c.contactid, c.attributes_caseid AS case_id, 'attribute'::text AS link,
         NULL::bigint AS account, c.initiationtimestamp
    FROM connect_lake.ctr_events c
   WHERE c.attributes_caseid IS NOT NULL
  UNION ALL
  -- (a related item belongs to one case: matching the case id too lets
  -- Citus run the anti-join on the node that holds the case)
  SELECT r.contactid, r.detail_relateditem_caseid, 'related_item', NULL, NULL
    FROM connect_lake.case_related_items r
   WHERE r.contactid IS NOT NULL
     AND r.detail_event_type IS DISTINCT FROM 'RELATED_ITEM.DELETED'
     AND NOT EXISTS (SELECT 1 FROM connect_lake.case_related_items d
                      WHERE d.detail_relateditem_caseid = r.detail_relateditem_caseid
                        AND d.detail_relateditem_relateditemid = r.detail_relateditem_relateditemid
                        AND d.detail_event_type = 'RELATED_ITEM.DELETED')
  UNION ALL
  SELECT a.contactid, s.detail_case_caseid, 'account', a.account, a.initiationtimestamp
    FROM connect_lake.contact_account a
    JOIN connect_lake.case_state s ON s.account = a.account
   WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED';

-- Scaling out on Citus: distribute() and undistribute().
--
-- A lake on a Citus coordinator is distributed in place by distribute():
--   - the fact tables by their entity id, in two colocation groups, so that
--     everything about one contact, or one case, lies on one node and the
--     joins the views make run on the workers: ctr_events (contactid),
--     contact_events (detail_contactid) and contact_flow_log (contactid);
--     case_events (detail_case_caseid), case_related_items
--     (detail_relateditem_caseid) and case_state (detail_case_caseid);
--     agent_events by agentarn in a group of its own (an agent's events
--     join nothing else by agent);
--   - the dimensions, the configuration the parsers and working-day
--     functions read on every node, and the loader's bookkeeping as
--     reference tables (a copy on every node): agent_dim, queue_dim,
--     queue_name_history, contact_account, case_field_map, ctr_attribute_map,
--     calendar, holiday, fact_table, load_manifest, load_rejects.
-- The metric tables (contact_metric, the rollups and their configuration)
-- and case_status stay on the coordinator: the metrics are made from the
-- facts there, and case_status is compiled into case_status_is_open(),
-- whose body case_status_compile() gives the workers too.
-- Partitions that create_partition() makes later are distributed by Citus
-- with their parent.
--
-- The case range functions (case_backlog, case_volume_daily ...) and the
-- metrics' queue_metrics() and agent_metrics() (which name the reference
-- tables queue_dim and agent_dim) are plain SQL, which PostgreSQL inlines
-- into the caller's query; Citus cannot plan an inlined function over its
-- tables, so distribute() gives each
-- the same query as PL/pgSQL (RETURN QUERY, planned with its arguments as
-- values); citus_swap_functions(false) gives the SQL back.  A plain lake
-- keeps its inlined functions.  The agent timeline's building blocks
-- (agent_ranges, agent_timeline_segments, agent_offers) join each event to
-- the same agent's events before and after it, which Citus cannot plan over
-- agent_events: their PL/pgSQL form first copies the events of the agents
-- asked for (every agent: NULL) into a temporary table (citus_fact_rows())
-- and runs the same query over the copy.  So do contact_journey() (the
-- legs' flow logs, contact events, case links and case events, the agents'
-- events while they had a leg) and customer_journey() (the CTRs of the
-- account's contacts, its cases and their events).  The PL/pgSQL functions
-- of the writers' upkeep (contact_repeat_refresh, flows_refresh_days,
-- flows_ctrs_landed, agent_activity_upkeep) and contact_legs_ctr make their
-- copy themselves when the lake is distributed; distribute() points the
-- statements that read it at the copy.

-- The functions distribute() turns into PL/pgSQL, and how: the SQL body as
-- it is, between a fixed head and tail (so that it can be taken out again).
CREATE FUNCTION connect_lake.citus_range_functions() RETURNS regprocedure[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT ARRAY['connect_lake.case_backlog(timestamptz)', 'connect_lake.case_volume_daily(date, date)',
                 'connect_lake.open_case_backlog(date, date)', 'connect_lake.complaints_daily(date, date)',
                 'connect_lake.complaints_by_subject(date, date)', 'connect_lake.cases_by_category(date, date)',
                 'connect_lake.overdue_cases(date, date)',
                 'connect_lake.queue_metrics(text, timestamptz, timestamptz, text, integer, text)',
                 'connect_lake.queue_metrics_daily(date, date)',
                 'connect_lake.agent_metrics(text, timestamptz, timestamptz, text)',
                 'connect_lake.agent_activity_metrics(text, timestamptz, timestamptz, text)']::regprocedure[]
  $fn$;
COMMENT ON FUNCTION connect_lake.citus_range_functions() IS
  'The SQL functions over distributed or reference tables that distribute() turns into PL/pgSQL with the same query (Citus cannot plan them inlined).';

-- Whether the lake is distributed: ctr_events is in Citus's metadata.
CREATE FUNCTION connect_lake.is_distributed() RETURNS boolean
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
    RETURN false;
  END IF;
  RETURN EXISTS (SELECT FROM pg_catalog.pg_dist_partition p
                  WHERE p.logicalrelid = 'connect_lake.ctr_events'::regclass);
END
$fn$;
COMMENT ON FUNCTION connect_lake.is_distributed() IS
  'Whether the lake''s tables are distributed on Citus (distribute() ran).';

-- What a statement of the side tables (or a journey) reads of a fact table:
-- on a distributed lake, where Citus cannot plan the statement over the
-- table (a lateral subquery per row of a local table, a join it does not
-- co-locate), a temporary copy of the rows it needs, taken with one filtered
-- SELECT that Citus sends to the shards (filter: a condition on the table's
-- row f, with $1 the ids, $2 and $3 the times given); on a plain lake the
-- table itself, nothing copied.  The statements read the copy by its name
-- (citus_swap_functions() points them at it).
CREATE FUNCTION connect_lake.citus_fact_rows(fact regclass, copy name, filter text, ids anyarray,
                                             lo timestamptz DEFAULT NULL, hi timestamptz DEFAULT NULL)
RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF NOT connect_lake.is_distributed() THEN
    RETURN fact::text;
  END IF;
  IF to_regclass('pg_temp.' || quote_ident(copy)) IS NULL THEN
    EXECUTE format('CREATE TEMP TABLE %I (LIKE %s) ON COMMIT DROP', copy, fact);
  ELSE
    EXECUTE format('TRUNCATE pg_temp.%I', copy);
  END IF;
  EXECUTE format('INSERT INTO pg_temp.%I SELECT * FROM %s f WHERE %s', copy, fact, filter) USING ids, lo, hi;
  EXECUTE format('ANALYZE pg_temp.%I', copy);
  RETURN 'pg_temp.' || quote_ident(copy);
END
$fn$;
COMMENT ON FUNCTION connect_lake.citus_fact_rows(regclass, name, text, anyarray, timestamptz, timestamptz) IS
  'For the side tables'' upkeep: on a lake distributed on Citus, copies the rows of fact (alias f) that match filter ($1 ids, $2 lo, $3 hi) into the temporary table copy (dropped at commit) and returns its name; on a plain lake returns fact, nothing copied.';

-- Each range function as SQL (to_plpgsql false) or PL/pgSQL (true), the
-- same query either way.
CREATE FUNCTION connect_lake.citus_swap_functions(to_plpgsql boolean) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  head constant text := E'\n#variable_conflict use_column\nBEGIN\nRETURN QUERY\n';
  tail constant text := E';\nEND\n';
  f       regprocedure;
  copies  text[];
  stable  boolean;
  inplace boolean;
  done    boolean;
  i       integer;
  hd      text;
  src     text;
  lang    name;
  vol     "char";
  def     text;
BEGIN
  -- The range functions, then those that read copies on Citus, each with
  -- what it reads: the text that names the table in its body (replaced by
  -- the copy's name), the copy, and for an SQL function the filter and the
  -- arguments of the citus_fact_rows() call its PL/pgSQL form makes first
  -- (a PL/pgSQL function makes its copy itself when the lake is
  -- distributed); stable: STABLE PARALLEL SAFE on a plain lake, VOLATILE
  -- PARALLEL UNSAFE on Citus (it writes the copy, and must see it).
  FOR f, copies, stable IN
    SELECT u.f, NULL, false FROM unnest(connect_lake.citus_range_functions()) u(f)
    UNION ALL
    SELECT v.f::regprocedure, array_agg(ARRAY[v.target, v.cp, v.filter, v.args] ORDER BY v.o), bool_and(v.stable)
      FROM (VALUES
        (1, 'connect_lake.agent_ranges(text[], timestamptz[], timestamptz[])', true, 'connect_lake.agent_events',
         'connect_lake_agent_ranges_events', 'f.agentarn = ANY ($1) OR $1 IS NULL', 'agentarns'),
        (2, 'connect_lake.agent_timeline_segments(text[], timestamptz[], timestamptz[])', true, 'connect_lake.agent_events',
         'connect_lake_agent_segments_events', 'f.agentarn = ANY ($1) OR $1 IS NULL', 'agentarns'),
        (3, 'connect_lake.agent_offers(text[], timestamptz[], timestamptz[])', true, 'connect_lake.agent_events',
         'connect_lake_agent_offers_events', 'f.agentarn = ANY ($1) OR $1 IS NULL', 'agentarns'),
        (4, 'connect_lake.contact_journey(uuid)', true, 'connect_lake.contact_flow_log', 'connect_lake_journey_flow_log',
         'f.contactid = ANY ($1)', 'ARRAY(SELECT l.contactid FROM connect_lake.contact_legs(contact) l)'),
        (5, 'connect_lake.contact_journey(uuid)', true, 'connect_lake.contact_events', 'connect_lake_journey_events',
         'f.detail_contactid = ANY ($1)', 'ARRAY(SELECT l.contactid FROM connect_lake.contact_legs(contact) l)'),
        (6, 'connect_lake.contact_journey(uuid)', true, 'connect_lake.agent_events', 'connect_lake_journey_agent_events',
         'f.agentarn = ANY ($1) AND f.eventtimestamp >= $2 AND f.eventtimestamp <= $3',
         'ARRAY(SELECT DISTINCT (l.ctr).agent_arn FROM connect_lake.contact_legs_ctr(contact) l WHERE l.has_ctr), '
         '(SELECT min((l.ctr).agent_connectedtoagentts) FROM connect_lake.contact_legs_ctr(contact) l), '
         '(SELECT max(coalesce((l.ctr).agent_aftercontactworkendtimestamp, (l.ctr).disconnecttimestamp)) '
         'FROM connect_lake.contact_legs_ctr(contact) l)'),
        (7, 'connect_lake.contact_journey(uuid)', true, 'connect_lake.case_related_items', 'connect_lake_journey_items',
         'f.contactid = ANY ($1)', 'ARRAY(SELECT l.contactid FROM connect_lake.contact_legs(contact) l)'),
        (8, 'connect_lake.contact_journey(uuid)', true, 'connect_lake.case_events', 'connect_lake_journey_case_events',
         'f.detail_case_caseid = ANY ($1)',
         'ARRAY(SELECT (l.ctr).attributes_caseid::text FROM connect_lake.contact_legs_ctr(contact) l '
         'UNION SELECT r.detail_relateditem_caseid FROM pg_temp.connect_lake_journey_items r)'),
        (9, 'connect_lake.customer_journey(bigint, timestamptz, timestamptz)', true, 'connect_lake.ctr_events',
         'connect_lake_customer_ctrs', 'f.contactid = ANY ($1)',
         'ARRAY(SELECT l.contactid FROM (SELECT DISTINCT a.contactid FROM connect_lake.contact_account a '
         'WHERE a.account = customer_journey.account) a CROSS JOIN LATERAL connect_lake.contact_legs(a.contactid) l)'),
        (10, 'connect_lake.customer_journey(bigint, timestamptz, timestamptz)', true, 'connect_lake.case_state',
         'connect_lake_customer_cases', 'f.account = ANY ($1)', 'ARRAY[customer_journey.account]'),
        (11, 'connect_lake.customer_journey(bigint, timestamptz, timestamptz)', true, 'connect_lake.case_events',
         'connect_lake_customer_case_events', 'f.detail_case_caseid = ANY ($1)',
         'ARRAY(SELECT s.detail_case_caseid FROM pg_temp.connect_lake_customer_cases s)'),
        (12, 'connect_lake.contact_repeat_refresh(uuid[])', false, E'connect_lake.ctr_events f\n',
         'connect_lake_repeat_ctrs', NULL, NULL),
        (13, 'connect_lake.contact_repeat_refresh(uuid[])', false, E'connect_lake.ctr_events g\n',
         'connect_lake_repeat_ctrs', NULL, NULL),
        (14, 'connect_lake.flows_refresh_days(date[])', false, 'connect_lake.ctr_events x WHERE x.contactid = s.contactid',
         'connect_lake_flow_ctrs', NULL, NULL),
        (15, 'connect_lake.flows_ctrs_landed(uuid[])', false, 'connect_lake.ctr_events e WHERE e.contactid = p.contactid',
         'connect_lake_flow_ctrs', NULL, NULL),
        (16, 'connect_lake.agent_activity_upkeep(text[], timestamptz[], timestamptz[])', false,
         E'connect_lake.agent_events e\n', 'connect_lake_agent_upkeep_events', NULL, NULL),
        (17, 'connect_lake.contact_legs_ctr(uuid)', true,
         'connect_lake.contact_events x WHERE x.detail_contactid = s.id', 'connect_lake_legs_events', NULL, NULL),
        (18, 'connect_lake.contact_legs(uuid)', true, NULL, NULL, NULL, NULL),
        (19, 'connect_lake.agent_activity_timeline_rows(text[], timestamptz[], timestamptz[])', true, NULL, NULL, NULL,
         NULL)
      ) v(o, f, stable, target, cp, filter, args)
     GROUP BY v.f
  LOOP
    SELECT p.prosrc, l.lanname, p.provolatile INTO src, lang, vol
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = f;
    inplace := copies IS NOT NULL AND copies[1][3] IS NULL;
    IF inplace THEN
      -- a PL/pgSQL function: only the tables its statements read change
      -- (and its volatility)
      done := CASE WHEN copies[1][1] IS NULL THEN vol = 'v'
                   ELSE position('pg_temp.' || copies[1][2] IN src) > 0 END;
      IF done = to_plpgsql THEN
        CONTINUE;
      END IF;
      FOR i IN 1 .. array_length(copies, 1) LOOP
        CONTINUE WHEN copies[i][1] IS NULL;
        IF to_plpgsql THEN
          IF position(copies[i][1] IN src) = 0 THEN
            RAISE EXCEPTION 'connect_lake.citus_swap_functions(): % does not read "%" any more', f, copies[i][1]
              USING ERRCODE = 'internal_error';
          END IF;
          src := replace(src, copies[i][1],
                         'pg_temp.' || copies[i][2] || substr(copies[i][1], length(split_part(copies[i][1], ' ', 1)) + 1));
        ELSE
          src := replace(src, 'pg_temp.' || copies[i][2] || substr(copies[i][1], length(split_part(copies[i][1], ' ', 1)) + 1),
                         copies[i][1]);
        END IF;
      END LOOP;
    ELSE
      -- an SQL function: its query between a head (the copies made first)
      -- and a tail
      hd := head;
      FOR i IN 1 .. coalesce(array_length(copies, 1), 0) LOOP
        hd := replace(hd, E'\nRETURN QUERY\n',
                      format(E'\nPERFORM connect_lake.citus_fact_rows(%L, %L, %L, %s);\nRETURN QUERY\n',
                             copies[i][1], copies[i][2], copies[i][3], copies[i][4]));
      END LOOP;
      IF to_plpgsql AND lang = 'sql' THEN
        FOR i IN 1 .. coalesce(array_length(copies, 1), 0) LOOP
          src := replace(src, copies[i][1], 'pg_temp.' || copies[i][2]);
        END LOOP;
        src := hd || src || tail;
      ELSIF NOT to_plpgsql AND lang = 'plpgsql'
            AND left(src, length(hd)) = hd AND right(src, length(tail)) = tail THEN
        src := substr(src, length(hd) + 1, length(src) - length(hd) - length(tail));
        FOR i IN 1 .. coalesce(array_length(copies, 1), 0) LOOP
          src := replace(src, 'pg_temp.' || copies[i][2], copies[i][1]);
        END LOOP;
      ELSE
        CONTINUE;
      END IF;
    END IF;
    -- pg_get_functiondef's head (name, arguments, result, LANGUAGE,
    -- volatility, PARALLEL) with the other language, volatility and body
    def := pg_get_functiondef(f);
    def := left(def, strpos(def, E'\nAS $function$'));
    IF NOT inplace THEN
      def := replace(def, E'\n LANGUAGE ' || lang || E'\n',
                     E'\n LANGUAGE ' || CASE WHEN to_plpgsql THEN 'plpgsql' ELSE 'sql' END || E'\n');
    END IF;
    IF stable AND to_plpgsql THEN
      def := replace(def, E'\n STABLE PARALLEL SAFE', E'\n VOLATILE PARALLEL UNSAFE');
    ELSIF stable THEN
      def := regexp_replace(def, E'\n LANGUAGE (\\w+)\n', E'\n LANGUAGE \\1\n STABLE PARALLEL SAFE\n');
    END IF;
    EXECUTE def || 'AS ' || quote_literal(src);
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION connect_lake.citus_swap_functions(boolean) IS
  'Gives the functions of citus_range_functions() their query as PL/pgSQL (true, for Citus; distribute() does) or back as the inlinable SQL they had (false); likewise agent_ranges, agent_timeline_segments, agent_offers, contact_journey and customer_journey, whose PL/pgSQL form (VOLATILE) runs the query over copies of the rows it needs (citus_fact_rows()); and points the statements of contact_repeat_refresh, flows_refresh_days, flows_ctrs_landed, agent_activity_upkeep and contact_legs_ctr (VOLATILE on Citus) at the copies they make on a distributed lake; contact_legs and agent_activity_timeline_rows, which call such functions, are VOLATILE PARALLEL UNSAFE on Citus too.';

CREATE FUNCTION connect_lake.distribute()
RETURNS TABLE (table_name regclass, method text, distribution_column name, colocated_with regclass)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r   record;
  idx text;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
    RAISE EXCEPTION 'connect_lake.distribute() needs Citus: the citus extension is not installed in this database'
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Add citus to shared_preload_libraries, CREATE EXTENSION citus, add the worker nodes, then call distribute() on the coordinator.';
  END IF;
  IF NOT (SELECT c FROM pg_catalog.citus_is_coordinator() c) THEN
    RAISE EXCEPTION 'connect_lake.distribute() must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Call it on the coordinator: SELECT nodename, nodeport FROM pg_dist_node WHERE groupid = 0.';
  END IF;
  -- The coordinator keeps a copy of the reference tables, which its
  -- calendar and attribute-map caches read: it must be in the metadata.
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_node WHERE groupid = 0) THEN
    RAISE EXCEPTION 'the Citus coordinator is not in its own metadata'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run SELECT citus_set_coordinator_host(''<its host>'', <its port>); first.';
  END IF;
  IF connect_lake.is_distributed() THEN
    RAISE EXCEPTION 'the lake is already distributed'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'SELECT logicalrelid, partmethod FROM pg_dist_partition lists the distributed tables.';
  END IF;
  -- Access by queue is not kept on a distributed lake (Citus takes no
  -- sub-select in a policy of a distributed table): a lake with
  -- restrictions is not distributed, and the policies go.
  IF EXISTS (SELECT FROM connect_lake.queue_access) THEN
    RAISE EXCEPTION 'the lake has queue restrictions, which a distributed lake cannot keep'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'SELECT * FROM connect_lake.queue_restrictions lists them; lift them (lift_queue_restriction()) first.';
  END IF;
  FOR r IN
    SELECT c.oid::regclass AS t
      FROM connect_lake.queue_access_tables q
      JOIN pg_class p ON p.relname = q.table_name AND p.relnamespace = 'connect_lake'::regnamespace
      JOIN pg_class c ON c.oid = p.oid
                      OR c.oid IN (SELECT i.relid FROM pg_partition_tree(p.oid) i WHERE i.relid <> p.oid)
     ORDER BY c.oid
  LOOP
    EXECUTE format('DROP POLICY IF EXISTS queue_access_restrict ON %s', r.t);
    EXECUTE format('DROP POLICY IF EXISTS queue_access_all ON %s', r.t);
    EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', r.t);
  END LOOP;

  -- The workers' copies of the extension link holiday to calendar too,
  -- which would stop the key being made again below.  First, before this
  -- transaction locks anything on them (the command commits there at once).
  FOR r IN SELECT * FROM run_command_on_workers(
      'ALTER TABLE connect_lake.holiday DROP CONSTRAINT IF EXISTS holiday_calendar_fkey') WHERE NOT success
  LOOP
    RAISE EXCEPTION 'connect_lake.distribute(): Citus worker %:% failed: %', r.nodename, r.nodeport, r.result
      USING ERRCODE = 'connection_failure';
  END LOOP;

  -- One transaction: DDL on reference tables after the distributed ones
  -- must not run in parallel, and the configuration tables keep their
  -- triggers (their caches are invalidated on each node).
  PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
  PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);

  -- The bundled calendars are read-only to everyone but the extension's
  -- scripts: the guards stand aside while Citus copies the rows.  The
  -- foreign key from holiday to calendar is made again between the
  -- reference tables (Citus will not distribute either while it links them).
  ALTER TABLE connect_lake.calendar DISABLE TRIGGER calendar_guard;
  ALTER TABLE connect_lake.calendar DISABLE TRIGGER calendar_guard_truncate;
  ALTER TABLE connect_lake.holiday DISABLE TRIGGER holiday_guard;
  ALTER TABLE connect_lake.holiday DISABLE TRIGGER holiday_guard_truncate;
  ALTER TABLE connect_lake.holiday DROP CONSTRAINT holiday_calendar_fkey;
  -- case_day is kept by triggers on case_state, which Citus moves to the
  -- workers: the views count live on a distributed lake.
  PERFORM connect_lake.case_day_keep(false);

  FOR r IN SELECT * FROM (VALUES
      (1, 'connect_lake.ctr_events'::regclass, 'contactid'::name, NULL::regclass),
      (2, 'connect_lake.contact_events', 'detail_contactid', 'connect_lake.ctr_events'),
      (3, 'connect_lake.contact_flow_log', 'contactid', 'connect_lake.ctr_events'),
      (4, 'connect_lake.case_events', 'detail_case_caseid', NULL),
      (5, 'connect_lake.case_related_items', 'detail_relateditem_caseid', 'connect_lake.case_events'),
      (6, 'connect_lake.case_state', 'detail_case_caseid', 'connect_lake.case_events'),
      (7, 'connect_lake.agent_events', 'agentarn', NULL)) AS d(o, t, c, w) ORDER BY o
  LOOP
    PERFORM create_distributed_table(r.t, r.c, colocate_with => coalesce(r.w::text, 'none'));
    table_name := r.t; method := 'distributed'; distribution_column := r.c; colocated_with := r.w;
    RETURN NEXT;
  END LOOP;
  FOR r IN SELECT * FROM unnest(ARRAY['connect_lake.calendar', 'connect_lake.holiday', 'connect_lake.fact_table',
                                      'connect_lake.ctr_attribute_map', 'connect_lake.case_field_map',
                                      'connect_lake.agent_dim', 'connect_lake.queue_dim',
                                      'connect_lake.queue_name_history', 'connect_lake.contact_account',
                                      'connect_lake.load_manifest', 'connect_lake.load_rejects']::regclass[])
                        WITH ORDINALITY AS u(t, o) ORDER BY o
  LOOP
    PERFORM create_reference_table(r.t);
    table_name := r.t; method := 'reference'; distribution_column := NULL; colocated_with := NULL;
    RETURN NEXT;
  END LOOP;

  -- The key is made once more, between the reference tables, on every node.
  ALTER TABLE connect_lake.holiday ADD CONSTRAINT holiday_calendar_fkey
    FOREIGN KEY (calendar) REFERENCES connect_lake.calendar (name) ON UPDATE CASCADE ON DELETE CASCADE;
  ALTER TABLE connect_lake.calendar ENABLE TRIGGER calendar_guard;
  ALTER TABLE connect_lake.calendar ENABLE TRIGGER calendar_guard_truncate;
  ALTER TABLE connect_lake.holiday ENABLE TRIGGER holiday_guard;
  ALTER TABLE connect_lake.holiday ENABLE TRIGGER holiday_guard_truncate;

  PERFORM connect_lake.citus_swap_functions(true);
  -- The case rules as the coordinator has them (case_status_compile()
  -- keeps them so after each change of case_status); the workers built
  -- case_state's index by their own rule: made anew when the DBA has one.
  PERFORM connect_lake.case_status_compile();
  IF EXISTS (SELECT FROM connect_lake.case_status) THEN
    idx := pg_get_indexdef('connect_lake.case_state_open_idx'::regclass);
    DROP INDEX connect_lake.case_state_open_idx;
    EXECUTE idx;
  END IF;
END
$fn$;
COMMENT ON FUNCTION connect_lake.distribute() IS
  'On a Citus coordinator: distributes the lake in place (fact tables by contact id or case id, colocated; agent_events by agent; dimensions, configuration and the load manifest as reference tables) and gives the case range functions their PL/pgSQL form; returns each table and how it is distributed.';

-- Taking a lake off Citus, before DROP EXTENSION or to go back to one
-- server.  Citus's undistribute_table() cannot be used: it refuses tables
-- that belong to an extension, and made anew (as it makes them) a table
-- would lose its comments, grants, indexes and membership of the extension.
-- So each table stays the table it is: its rows are read through Citus
-- into a temporary table, Citus forgets the table as its own drop trigger
-- does (metadata on the workers, the shards, pg_dist_partition; partitions
-- first, their shards going with their parent's), its TRUNCATE trigger is
-- dropped, and at the end every table takes back its rows (what it held
-- when it was distributed is still on disk: emptied first).  The case range
-- functions get their inlinable SQL back.  The side tables (agent activity,
-- the flow funnels, the repeat contacts, the metrics) stayed on the
-- coordinator, kept as the rows landed: nothing to make again.
CREATE FUNCTION connect_lake.undistribute()
RETURNS TABLE (table_name regclass, method text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r     record;
  p     record;
  done  regclass[] := '{}';
  tbl   regclass;
BEGIN
  IF NOT connect_lake.is_distributed() THEN
    RAISE NOTICE 'the lake is not distributed: nothing to do';
    RETURN;
  END IF;
  IF NOT (SELECT c FROM pg_catalog.citus_is_coordinator() c) THEN
    RAISE EXCEPTION 'connect_lake.undistribute() must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Call it on the coordinator: SELECT nodename, nodeport FROM pg_dist_node WHERE groupid = 0.';
  END IF;
  PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);

  FOR r IN
    SELECT d.logicalrelid AS t, d.partmethod, c.relname
      FROM pg_dist_partition d JOIN pg_class c ON c.oid = d.logicalrelid
     WHERE c.relnamespace = 'connect_lake'::regnamespace AND NOT c.relispartition
     ORDER BY d.partmethod, c.relname
  LOOP
    EXECUTE format('CREATE TEMP TABLE %I ON COMMIT DROP AS SELECT * FROM %s', 'undistribute_' || r.relname, r.t);
    FOR p IN SELECT i.inhrelid AS t, c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = r.t AND EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = i.inhrelid)
    LOOP
      PERFORM master_remove_distributed_table_metadata_from_workers(p.t, 'connect_lake', p.relname);
      PERFORM citus_drop_all_shards(p.t, 'connect_lake', p.relname, true);
      PERFORM master_remove_partition_metadata(p.t, 'connect_lake', p.relname);
    END LOOP;
    PERFORM master_remove_distributed_table_metadata_from_workers(r.t, 'connect_lake', r.relname);
    PERFORM citus_drop_all_shards(r.t, 'connect_lake', r.relname, false);
    PERFORM master_remove_partition_metadata(r.t, 'connect_lake', r.relname);
    FOR p IN SELECT g.tgname, g.tgrelid FROM pg_trigger g
              WHERE g.tgfoid = 'citus_truncate_trigger'::regproc
                AND (g.tgrelid = r.t OR g.tgrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = r.t))
    LOOP
      EXECUTE format('DROP TRIGGER %I ON %s', p.tgname, p.tgrelid::regclass);
    END LOOP;
    done := done || r.t;
    table_name := r.t; method := CASE r.partmethod WHEN 'h' THEN 'distributed' ELSE 'reference' END;
    RETURN NEXT;
  END LOOP;

  -- The rows back, the triggers and keys standing aside as for a restore
  -- (the bundled calendars' guards among them).
  PERFORM set_config('session_replication_role', 'replica', true);
  EXECUTE (SELECT 'TRUNCATE ' || string_agg(t::text, ', ') FROM unnest(done) t);
  FOREACH tbl IN ARRAY done LOOP
    EXECUTE format('INSERT INTO %s SELECT * FROM %I', tbl, 'undistribute_' || (SELECT relname FROM pg_class WHERE oid = tbl));
  END LOOP;
  PERFORM set_config('session_replication_role', 'origin', true);
  PERFORM connect_lake.citus_swap_functions(false);
  PERFORM connect_lake.case_day_keep(true);
END
$fn$;
COMMENT ON FUNCTION connect_lake.undistribute() IS
  'The reverse of distribute(), on the Citus coordinator: every table of the lake back on this server with its rows, its indexes, comments, grants and extension membership unchanged, the case range functions inlinable SQL again; returns each table and how it was distributed. On a lake that is not distributed: a notice, nothing changed.';

REVOKE ALL ON FUNCTION connect_lake.distribute() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.undistribute() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.citus_swap_functions(boolean) FROM PUBLIC;

-- ==== Metric upkeep by the writers (issue 12)
-- load(), ingest() and ingest_batch() keep contact_metric and the metric
-- rollups as CTRs land (once per transaction, at commit; the setting
-- connect_lake.metrics_upkeep, on by default).  A fresh lake that loaded the
-- same files holds their metrics, so the update computes them for the CTRs
-- landed before it (supersedes "the metrics start empty" above).
COMMENT ON TABLE connect_lake.contact_metric IS
  'One row per contact of ctr_events (its latest version): the flags and times every contact metric is a sum of, the 15-minute interval of its disconnect it counts in, or why it is excluded. Kept by the writers as CTRs land (load(), ingest(), ingest_batch(): metrics_refresh_contacts() at commit, unless connect_lake.metrics_upkeep is off) and by metrics_refresh(); a late leg (CALLBACK, QUEUE_TRANSFER, TRANSFER) corrects its predecessor''s flags.';
COMMENT ON FUNCTION connect_lake.metrics_refresh_contacts(uuid[], timestamptz[]) IS
  'Brings contact_metric and the interval rollups up to date for the contacts given (and the contacts they continue: a late CALLBACK, QUEUE_TRANSFER or TRANSFER leg corrects its predecessor), from their rows in ctr_events; with initiation_ts (each contact''s InitiationTimestamp, same order) each is read from its own partition. The writers call it once per transaction, at commit, with the contacts it inserted or updated (setting connect_lake.metrics_upkeep). Returns the contacts recomputed.';

-- metric_rollup_delta(before, after): the rollups corrected by what changed
-- in contact_metric, for the writers' upkeep: each changed contact's row
-- before the change (before; none for a new contact) is taken out of its
-- interval's sums and its row after (after; none for a contact removed) is
-- added, per 15-minute interval (metric_queue_interval,
-- metric_agent_interval, metric_queue_threshold) and per local day
-- (metric_queue_day, metric_queue_threshold_day), by upserts that add, in
-- one statement.  The sums are those of the _live views, each contact
-- weighed +1 or -1, made in one pass (metric_rollup_delta_rows(), C); a
-- longest queue time that may have shrunk (a contact taken out had it) is
-- read again from contact_metric (intervals) or from the intervals (days),
-- and a row left with no contact goes, so that every table keeps exactly
-- the rows metric_rollup() would make.  It costs what changed, not what the
-- intervals hold.  Locks the intervals as metric_rollup() does.
CREATE FUNCTION connect_lake.metric_rollup_delta(before connect_lake.contact_metric[],
                                                 after connect_lake.contact_metric[]) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
  ivs  timestamptz[];
  dys  date[];
  nestloop text;
  tz   text;
  ths  integer[];
  rc   boolean;
  grp  record;
  planner text[];
BEGIN
  before := coalesce(before, '{}');
  after := coalesce(after, '{}');
  SELECT coalesce(array_agg(DISTINCT c.i ORDER BY c.i), '{}') INTO ivs
    FROM (SELECT b.interval_start FROM unnest(before) b UNION ALL SELECT a.interval_start FROM unnest(after) a) c(i)
   WHERE c.i IS NOT NULL;
  IF cardinality(ivs) = 0 THEN
    RETURN 0;
  END IF;
  PERFORM connect_lake.metric_lock_intervals(ivs);
  tz := connect_lake.metric_time_zone();
  ths := connect_lake.metric_thresholds();
  -- the interval rows a later snapshot may hold (another writer's, committed
  -- while this transaction's snapshot was older: REPEATABLE READ or
  -- SERIALIZABLE) all go through the upserts, which then fail as a
  -- serialization failure (40001, retried), not as a duplicate key
  rc := current_setting('transaction_isolation') = 'read committed';
  -- statistics that make a table look empty (upkeep_stats_stale()): planned
  -- without nested loops and sequential scans, not a scan per contact
  planner := connect_lake.upkeep_plan_guard(ARRAY['connect_lake.contact_metric', 'connect_lake.metric_queue_interval',
                                            'connect_lake.metric_agent_interval', 'connect_lake.metric_queue_threshold',
                                            'connect_lake.metric_queue_day', 'connect_lake.metric_queue_threshold_day']::regclass[]);

  -- The signed sums of every rollup, made in one pass over the rows
  -- (metric_rollup_delta_rows(), C: what the _live views sum, per interval
  -- and per local day), written in one statement, each table's rows in its
  -- key's order (so that concurrent upkeeps lock them in one order).  The
  -- intervals are locked: an interval row the table does not have yet
  -- (kind ..._new: the function reads which it has) is inserted plainly (in
  -- READ COMMITTED: its snapshot is newer than the lock; by the function
  -- itself, directly, where it can: metric_rollup_delta_write()), one
  -- it has is added to by an upsert; the day rows, which other sessions'
  -- intervals share, all by upserts.  "Within X": a group (interval, queue,
  -- channel) has a row for every threshold or none: a new group's rows come
  -- for every threshold (threshold_new, zeros too), a kept group's only
  -- where they change.
  WITH r AS MATERIALIZED (
    SELECT * FROM connect_lake.metric_rollup_delta_write(before, after, ths, tz)
  ), q AS (
  SELECT r.kind, ROW(r.interval_start, r.queue_kind, r.queue_id, r.channel, r.v[1]::integer, r.v[2]::integer,
         r.v[3]::integer, r.v[4]::integer, r.v[5]::integer, r.v[6]::integer, r.v[7]::integer, r.v[8]::integer,
         r.v[9]::integer, r.v[10]::integer, r.v[11]::integer, r.v[12]::integer, r.v[13]::integer, r.v[14]::integer,
         r.v[15]::integer, r.v[16]::integer, r.v[17]::integer, r.v[18]::integer, r.v[19]::integer, r.v[20], r.v[21],
         r.queued_time_max, r.v[22], r.v[23], r.v[24], r.v[25], r.v[26], r.v[27])::connect_lake.metric_queue_interval AS x
    FROM r WHERE r.kind IN ('queue', 'queue_new')
  ), ivn AS (
  INSERT INTO connect_lake.metric_queue_interval SELECT (q.x).* FROM q WHERE q.kind = 'queue_new' AND rc
  ), iv AS (
  INSERT INTO connect_lake.metric_queue_interval AS t SELECT (q.x).* FROM q WHERE q.kind = 'queue' OR (q.kind = 'queue_new' AND NOT rc)
  ON CONFLICT ON CONSTRAINT metric_queue_interval_key DO UPDATE SET
    contacts = t.contacts + excluded.contacts,
    contacts_queued = t.contacts_queued + excluded.contacts_queued,
    contacts_handled = t.contacts_handled + excluded.contacts_handled,
    contacts_handled_incoming = t.contacts_handled_incoming + excluded.contacts_handled_incoming,
    contacts_handled_outbound = t.contacts_handled_outbound + excluded.contacts_handled_outbound,
    contacts_handled_callback = t.contacts_handled_callback + excluded.contacts_handled_callback,
    contacts_handled_api = t.contacts_handled_api + excluded.contacts_handled_api,
    contacts_agent_hung_up_first = t.contacts_agent_hung_up_first + excluded.contacts_agent_hung_up_first,
    contacts_transferred_in = t.contacts_transferred_in + excluded.contacts_transferred_in,
    contacts_transferred_in_from_queue = t.contacts_transferred_in_from_queue + excluded.contacts_transferred_in_from_queue,
    contacts_answered = t.contacts_answered + excluded.contacts_answered,
    contacts_abandoned = t.contacts_abandoned + excluded.contacts_abandoned,
    contacts_abandoned_customer_disconnect = t.contacts_abandoned_customer_disconnect + excluded.contacts_abandoned_customer_disconnect,
    callbacks_requested = t.callbacks_requested + excluded.callbacks_requested,
    transferred_out_from_queue = t.transferred_out_from_queue + excluded.transferred_out_from_queue,
    transferred_out_internal = t.transferred_out_internal + excluded.transferred_out_internal,
    transferred_out_external = t.transferred_out_external + excluded.transferred_out_external,
    transferred_out_by_agent = t.transferred_out_by_agent + excluded.transferred_out_by_agent,
    contacts_put_on_hold = t.contacts_put_on_hold + excluded.contacts_put_on_hold,
    queue_answer_time_sum = t.queue_answer_time_sum + excluded.queue_answer_time_sum,
    abandon_time_sum = t.abandon_time_sum + excluded.abandon_time_sum,
    queued_time_max = greatest(t.queued_time_max, excluded.queued_time_max),
    handle_time_sum = t.handle_time_sum + excluded.handle_time_sum,
    interaction_time_sum = t.interaction_time_sum + excluded.interaction_time_sum,
    hold_time_sum = t.hold_time_sum + excluded.hold_time_sum,
    acw_time_sum = t.acw_time_sum + excluded.acw_time_sum,
    contact_duration_sum = t.contact_duration_sum + excluded.contact_duration_sum,
    resolution_time_sum = t.resolution_time_sum + excluded.resolution_time_sum
  ), qd AS (
  INSERT INTO connect_lake.metric_queue_day AS t
  SELECT r.day, r.queue_kind, r.queue_id, r.channel, r.v[1]::integer, r.v[2]::integer, r.v[3]::integer,
         r.v[4]::integer, r.v[5]::integer, r.v[6]::integer, r.v[7]::integer, r.v[8]::integer, r.v[9]::integer,
         r.v[10]::integer, r.v[11]::integer, r.v[12]::integer, r.v[13]::integer, r.v[14]::integer, r.v[15]::integer,
         r.v[16]::integer, r.v[17]::integer, r.v[18]::integer, r.v[19]::integer, r.v[20], r.v[21], r.queued_time_max,
         r.v[22], r.v[23], r.v[24], r.v[25], r.v[26], r.v[27]
    FROM r WHERE r.kind = 'queue_day'
  ON CONFLICT ON CONSTRAINT metric_queue_day_key DO UPDATE SET
    contacts = t.contacts + excluded.contacts,
    contacts_queued = t.contacts_queued + excluded.contacts_queued,
    contacts_handled = t.contacts_handled + excluded.contacts_handled,
    contacts_handled_incoming = t.contacts_handled_incoming + excluded.contacts_handled_incoming,
    contacts_handled_outbound = t.contacts_handled_outbound + excluded.contacts_handled_outbound,
    contacts_handled_callback = t.contacts_handled_callback + excluded.contacts_handled_callback,
    contacts_handled_api = t.contacts_handled_api + excluded.contacts_handled_api,
    contacts_agent_hung_up_first = t.contacts_agent_hung_up_first + excluded.contacts_agent_hung_up_first,
    contacts_transferred_in = t.contacts_transferred_in + excluded.contacts_transferred_in,
    contacts_transferred_in_from_queue = t.contacts_transferred_in_from_queue + excluded.contacts_transferred_in_from_queue,
    contacts_answered = t.contacts_answered + excluded.contacts_answered,
    contacts_abandoned = t.contacts_abandoned + excluded.contacts_abandoned,
    contacts_abandoned_customer_disconnect = t.contacts_abandoned_customer_disconnect + excluded.contacts_abandoned_customer_disconnect,
    callbacks_requested = t.callbacks_requested + excluded.callbacks_requested,
    transferred_out_from_queue = t.transferred_out_from_queue + excluded.transferred_out_from_queue,
    transferred_out_internal = t.transferred_out_internal + excluded.transferred_out_internal,
    transferred_out_external = t.transferred_out_external + excluded.transferred_out_external,
    transferred_out_by_agent = t.transferred_out_by_agent + excluded.transferred_out_by_agent,
    contacts_put_on_hold = t.contacts_put_on_hold + excluded.contacts_put_on_hold,
    queue_answer_time_sum = t.queue_answer_time_sum + excluded.queue_answer_time_sum,
    abandon_time_sum = t.abandon_time_sum + excluded.abandon_time_sum,
    queued_time_max = greatest(t.queued_time_max, excluded.queued_time_max),
    handle_time_sum = t.handle_time_sum + excluded.handle_time_sum,
    interaction_time_sum = t.interaction_time_sum + excluded.interaction_time_sum,
    hold_time_sum = t.hold_time_sum + excluded.hold_time_sum,
    acw_time_sum = t.acw_time_sum + excluded.acw_time_sum,
    contact_duration_sum = t.contact_duration_sum + excluded.contact_duration_sum,
    resolution_time_sum = t.resolution_time_sum + excluded.resolution_time_sum
  ), a AS (
  SELECT r.kind, ROW(r.interval_start, r.agent_id, r.channel, r.v[1]::integer, r.v[2]::integer, r.v[3]::integer,
         r.v[4]::integer, r.v[5]::integer, r.v[6]::integer, r.v[7]::integer, r.v[8]::integer, r.v[9]::integer,
         r.v[10]::integer, r.v[11]::integer, r.v[12]::integer, r.v[13], r.v[14], r.v[15], r.v[16],
         r.v[17])::connect_lake.metric_agent_interval AS x
    FROM r WHERE r.kind IN ('agent', 'agent_new')
  ), agn AS (
  INSERT INTO connect_lake.metric_agent_interval SELECT (a.x).* FROM a WHERE a.kind = 'agent_new' AND rc
  ), ag AS (
  INSERT INTO connect_lake.metric_agent_interval AS t SELECT (a.x).* FROM a WHERE a.kind = 'agent' OR (a.kind = 'agent_new' AND NOT rc)
  ON CONFLICT ON CONSTRAINT metric_agent_interval_key DO UPDATE SET
    contacts = t.contacts + excluded.contacts,
    contacts_handled = t.contacts_handled + excluded.contacts_handled,
    contacts_handled_incoming = t.contacts_handled_incoming + excluded.contacts_handled_incoming,
    contacts_handled_outbound = t.contacts_handled_outbound + excluded.contacts_handled_outbound,
    contacts_handled_callback = t.contacts_handled_callback + excluded.contacts_handled_callback,
    contacts_handled_api = t.contacts_handled_api + excluded.contacts_handled_api,
    contacts_agent_hung_up_first = t.contacts_agent_hung_up_first + excluded.contacts_agent_hung_up_first,
    contacts_answered = t.contacts_answered + excluded.contacts_answered,
    transferred_out_internal = t.transferred_out_internal + excluded.transferred_out_internal,
    transferred_out_external = t.transferred_out_external + excluded.transferred_out_external,
    transferred_out_by_agent = t.transferred_out_by_agent + excluded.transferred_out_by_agent,
    contacts_put_on_hold = t.contacts_put_on_hold + excluded.contacts_put_on_hold,
    queue_answer_time_sum = t.queue_answer_time_sum + excluded.queue_answer_time_sum,
    handle_time_sum = t.handle_time_sum + excluded.handle_time_sum,
    interaction_time_sum = t.interaction_time_sum + excluded.interaction_time_sum,
    hold_time_sum = t.hold_time_sum + excluded.hold_time_sum,
    acw_time_sum = t.acw_time_sum + excluded.acw_time_sum
  ), thn AS (
  INSERT INTO connect_lake.metric_queue_threshold (interval_start, queue_kind, queue_id, channel, threshold_s,
         answered_lt, answered_eq, abandoned_lt, abandoned_eq, removed_lt, removed_eq)
  SELECT r.interval_start, r.queue_kind, r.queue_id, r.channel, r.threshold_s, r.v[1]::integer, r.v[2]::integer,
         r.v[3]::integer, r.v[4]::integer, r.v[5]::integer, r.v[6]::integer
    FROM r WHERE r.kind = 'threshold_new' AND rc
  ), th AS (
  INSERT INTO connect_lake.metric_queue_threshold AS t (interval_start, queue_kind, queue_id, channel, threshold_s,
         answered_lt, answered_eq, abandoned_lt, abandoned_eq, removed_lt, removed_eq)
  SELECT r.interval_start, r.queue_kind, r.queue_id, r.channel, r.threshold_s, r.v[1]::integer, r.v[2]::integer,
         r.v[3]::integer, r.v[4]::integer, r.v[5]::integer, r.v[6]::integer
    FROM r WHERE r.kind = 'threshold' OR (r.kind = 'threshold_new' AND NOT rc)
  ON CONFLICT ON CONSTRAINT metric_queue_threshold_key DO UPDATE SET
    answered_lt = t.answered_lt + excluded.answered_lt, answered_eq = t.answered_eq + excluded.answered_eq,
    abandoned_lt = t.abandoned_lt + excluded.abandoned_lt, abandoned_eq = t.abandoned_eq + excluded.abandoned_eq,
    removed_lt = t.removed_lt + excluded.removed_lt, removed_eq = t.removed_eq + excluded.removed_eq)
  INSERT INTO connect_lake.metric_queue_threshold_day AS t (day, queue_kind, queue_id, channel, threshold_s,
         answered_lt, answered_eq, abandoned_lt, abandoned_eq, removed_lt, removed_eq)
  SELECT r.day, r.queue_kind, r.queue_id, r.channel, r.threshold_s, r.v[1]::integer, r.v[2]::integer,
         r.v[3]::integer, r.v[4]::integer, r.v[5]::integer, r.v[6]::integer
    FROM r WHERE r.kind = 'threshold_day'
  ON CONFLICT ON CONSTRAINT metric_queue_threshold_day_key DO UPDATE SET
    answered_lt = t.answered_lt + excluded.answered_lt, answered_eq = t.answered_eq + excluded.answered_eq,
    abandoned_lt = t.abandoned_lt + excluded.abandoned_lt, abandoned_eq = t.abandoned_eq + excluded.abandoned_eq,
    removed_lt = t.removed_lt + excluded.removed_lt, removed_eq = t.removed_eq + excluded.removed_eq
    WHERE (excluded.answered_lt, excluded.answered_eq, excluded.abandoned_lt, excluded.abandoned_eq,
           excluded.removed_lt, excluded.removed_eq) <> (0, 0, 0, 0, 0, 0);

  -- What taking contacts out may have left: only where a contact was taken
  -- out (before), so a load of new contacts skips all of it.  Each statement
  -- reads the rollups of the intervals (days) touched only (= ANY (ivs)):
  -- joined to the whole table, they were read whole at every commit, a cost
  -- growing with the history kept.  Joined by hashing, never by a nested
  -- loop: the intervals a load touches are mostly the newest, past the
  -- statistics' histogram, so estimated at a row or none, and a nested loop
  -- read the changed groups again for every row of those intervals.
  IF cardinality(before) > 0 THEN
    dys := ARRAY(SELECT DISTINCT (i AT TIME ZONE tz)::date FROM unnest(ivs) i ORDER BY 1);
    nestloop := current_setting('enable_nestloop');
    PERFORM set_config('enable_nestloop', 'off', true);
    -- a longest queue time a contact taken out had, read again
    UPDATE connect_lake.metric_queue_interval r
       SET queued_time_max = (SELECT max(m.queue_time) FROM connect_lake.contact_metric m
                               WHERE m.interval_start = r.interval_start AND m.queue_kind = r.queue_kind
                                 AND m.queue_id IS NOT DISTINCT FROM r.queue_id
                                 AND m.channel IS NOT DISTINCT FROM r.channel AND m.queued)
      FROM (SELECT b.interval_start, b.queue_kind, b.queue_id, b.channel, max(b.queue_time) AS out_max
              FROM unnest(before) b WHERE b.interval_start IS NOT NULL AND b.queued
             GROUP BY 1, 2, 3, 4) g
     WHERE r.interval_start = g.interval_start AND r.queue_kind = g.queue_kind
       AND r.queue_id IS NOT DISTINCT FROM g.queue_id AND r.channel IS NOT DISTINCT FROM g.channel
       AND g.out_max >= r.queued_time_max AND r.interval_start = ANY (ivs);
    UPDATE connect_lake.metric_queue_day r
       SET queued_time_max = (SELECT max(q.queued_time_max) FROM connect_lake.metric_queue_interval q
                               WHERE q.interval_start >= (r.day::timestamp AT TIME ZONE tz)
                                 AND q.interval_start < ((r.day + 1)::timestamp AT TIME ZONE tz)
                                 AND q.queue_kind = r.queue_kind AND q.queue_id IS NOT DISTINCT FROM r.queue_id
                                 AND q.channel IS NOT DISTINCT FROM r.channel)
      FROM (SELECT (b.interval_start AT TIME ZONE tz)::date AS day, b.queue_kind, b.queue_id, b.channel,
                   max(b.queue_time) AS out_max
              FROM unnest(before) b WHERE b.interval_start IS NOT NULL AND b.queued
             GROUP BY 1, 2, 3, 4) g
     WHERE r.day = g.day AND r.queue_kind = g.queue_kind
       AND r.queue_id IS NOT DISTINCT FROM g.queue_id AND r.channel IS NOT DISTINCT FROM g.channel
       AND g.out_max >= r.queued_time_max AND r.day = ANY (dys);
    -- rows left without contacts (without queued contacts: the "within X" rows)
    DELETE FROM connect_lake.metric_queue_interval r
     USING (SELECT DISTINCT b.interval_start, b.queue_kind, b.queue_id, b.channel
              FROM unnest(before) b WHERE b.interval_start IS NOT NULL) g
     WHERE r.interval_start = g.interval_start AND r.queue_kind = g.queue_kind
       AND r.queue_id IS NOT DISTINCT FROM g.queue_id AND r.channel IS NOT DISTINCT FROM g.channel
       AND r.contacts = 0 AND r.interval_start = ANY (ivs);
    DELETE FROM connect_lake.metric_agent_interval r
     USING (SELECT DISTINCT b.interval_start, b.agent_id, b.channel
              FROM unnest(before) b WHERE b.interval_start IS NOT NULL AND b.agent_id IS NOT NULL) g
     WHERE r.interval_start = g.interval_start AND r.agent_id = g.agent_id
       AND r.channel IS NOT DISTINCT FROM g.channel AND r.contacts = 0 AND r.interval_start = ANY (ivs);
    DELETE FROM connect_lake.metric_queue_day r
     USING (SELECT DISTINCT (b.interval_start AT TIME ZONE tz)::date AS day, b.queue_kind, b.queue_id, b.channel
              FROM unnest(before) b WHERE b.interval_start IS NOT NULL) g
     WHERE r.day = g.day AND r.queue_kind = g.queue_kind
       AND r.queue_id IS NOT DISTINCT FROM g.queue_id AND r.channel IS NOT DISTINCT FROM g.channel
       AND r.contacts = 0 AND r.day = ANY (dys);
    -- "within X" rows of groups left without queued contacts: few, each
    -- deleted by the table's key (which leads with the threshold)
    FOR grp IN SELECT DISTINCT b.interval_start, b.queue_kind, b.queue_id, b.channel
               FROM unnest(before) b
              WHERE b.interval_start IS NOT NULL AND b.queued
                AND NOT EXISTS (SELECT 1 FROM connect_lake.metric_queue_interval q
                                 WHERE q.interval_start = b.interval_start AND q.queue_kind = b.queue_kind
                                   AND q.queue_id IS NOT DISTINCT FROM b.queue_id
                                   AND q.channel IS NOT DISTINCT FROM b.channel AND q.contacts_queued > 0
                                   AND q.interval_start = ANY (ivs)) LOOP
      DELETE FROM connect_lake.metric_queue_threshold r
       WHERE r.threshold_s = ANY (ths) AND r.interval_start = grp.interval_start AND r.queue_kind = grp.queue_kind
         AND r.queue_id IS NOT DISTINCT FROM grp.queue_id AND r.channel IS NOT DISTINCT FROM grp.channel;
    END LOOP;
    FOR grp IN SELECT DISTINCT (b.interval_start AT TIME ZONE tz)::date AS day, b.queue_kind, b.queue_id, b.channel
               FROM unnest(before) b
              WHERE b.interval_start IS NOT NULL AND b.queued
                AND NOT EXISTS (SELECT 1 FROM connect_lake.metric_queue_day q
                                 WHERE q.day = (b.interval_start AT TIME ZONE tz)::date
                                   AND q.queue_kind = b.queue_kind AND q.queue_id IS NOT DISTINCT FROM b.queue_id
                                   AND q.channel IS NOT DISTINCT FROM b.channel AND q.contacts_queued > 0
                                   AND q.day = ANY (dys)) LOOP
      DELETE FROM connect_lake.metric_queue_threshold_day r
       WHERE r.threshold_s = ANY (ths) AND r.day = grp.day AND r.queue_kind = grp.queue_kind
         AND r.queue_id IS NOT DISTINCT FROM grp.queue_id AND r.channel IS NOT DISTINCT FROM grp.channel;
    END LOOP;
    PERFORM set_config('enable_nestloop', nestloop, true);
  END IF;
  PERFORM connect_lake.upkeep_plan_restore(planner);
  RETURN cardinality(ivs);
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_rollup_delta(connect_lake.contact_metric[], connect_lake.contact_metric[]) IS
  'Internal, the writers'' upkeep: corrects the rollups (metric_queue_interval, metric_agent_interval, metric_queue_threshold, metric_queue_day, metric_queue_threshold_day) by what changed in contact_metric: the rows before (taken out of their intervals'' and days'' sums) and after (added) of the contacts changed. The tables end as metric_rollup() would make them, at the cost of the contacts changed. Returns how many intervals it touched.';

REVOKE ALL ON FUNCTION connect_lake.metric_rollup_delta(connect_lake.contact_metric[], connect_lake.contact_metric[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.metric_rollup_delta(connect_lake.contact_metric[], connect_lake.contact_metric[]) TO connect_lake_loader;
-- The metrics of the CTRs landed before the update.
-- (the metrics are computed at the end of the update, once every function is as installed)

-- ==== The manifest records what was read (issue 16): the size and checksum of
-- the bytes a load read, so a file appended to lands only its new records.
COMMENT ON TABLE connect_lake.load_manifest IS
  'One row per file load() has read: a file whose size, mtime and checksum are unchanged is not loaded again; one appended to (its first size bytes unchanged) lands only its new records.';
COMMENT ON COLUMN connect_lake.load_manifest.size IS 'Bytes of the file the last load that succeeded read (all it read, also when the file grew while it was read).';
COMMENT ON COLUMN connect_lake.load_manifest.checksum IS 'Checksum of those bytes, as they were read (empty until a load succeeds).';
COMMENT ON COLUMN connect_lake.load_manifest.status IS 'loaded: every good record landed; failed: the last attempt landed nothing (see error), and size, checksum and the counts stay those of the last load that succeeded.';
COMMENT ON COLUMN connect_lake.load_manifest.records IS 'Records read from those bytes (a file appended to: from all of them, over its loads).';
COMMENT ON COLUMN connect_lake.load_manifest.inserted IS 'Rows inserted into the lake (a file appended to: over its loads, as are the counts after this one).';

-- ==== Agent activity metrics from the agent event stream (issue 12)
--
-- New in 0.2.0: everything of sql/install/91_agent_activity.sql, as it stands there.
-- The writers keep the rollups from now on; the agent events already landed
-- are brought in by agent_activity_refresh() at the end of this section.
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

-- What 99_grants.sql gives every table and view of a fresh lake.
GRANT SELECT ON connect_lake.agent_status_timeline, connect_lake.agent_activity_gaps,
  connect_lake.agent_activity_interval, connect_lake.agent_status_interval,
  connect_lake.agent_activity_15min, connect_lake.agent_activity_daily
  TO connect_lake_reader, connect_lake_loader;

-- ---- The status type as a column of agent_events (issue 12: the activity
-- upkeep reads it instead of decompressing each event's snapshot).  Here,
-- before the refresh below, because agent_activity_rows() reads it.  Added
-- at the end of the type (and so of agent_events and its partitions), where
-- a fresh lake has it; the events already landed get what the writer gives
-- a new one: current_snapshot -> 'AgentStatus' ->> 'Type'.
ALTER TYPE connect_lake.agent_event ADD ATTRIBUTE agentstatus_type text CASCADE;
COMMENT ON COLUMN connect_lake.agent_events.agentstatus_type IS 'CurrentAgentSnapshot.AgentStatus.Type (ROUTABLE, CUSTOM, OFFLINE), as current_snapshot -> ''AgentStatus'' ->> ''Type'' gives it; NULL when the stream does not give it. Last of the columns (added in 0.2.0).';
UPDATE connect_lake.agent_events
   SET agentstatus_type = current_snapshot -> 'AgentStatus' ->> 'Type'
 WHERE current_snapshot -> 'AgentStatus' ->> 'Type' IS NOT NULL;

-- The agent events landed before the update, as a fresh lake that loaded
-- them would hold them.
SELECT connect_lake.agent_activity_refresh();



-- ==== GetMetricDataV2 answered from the lake, and reconciliation (issue 12)
--
-- get_metric_data_v2(request): a GetMetricDataV2 request body in, the API's
-- response out (MetricResults[{Dimensions, MetricInterval, Collections}]),
-- computed from the metric rollups (specification connect-metrics.md,
-- sections 2, 3, 5 and 6; README "GetMetricDataV2 from the lake").
-- metric_reconcile(response): a saved response in, per dimension, interval
-- and metric Amazon's value next to the lake's, the difference and the
-- contact ids behind the lake's figure.
--
-- How a request is answered: metric_api_plan() checks the request against
-- the API's shape and turns it into one SQL statement.  Each requested
-- metric is read from the cheapest source that can answer it exactly
-- (metric_api_metric names the expression of each):
--   queue    metric_queue_interval (+ metric_queue_threshold for "within X"):
--            dimensions QUEUE and CHANNEL only, thresholds kept per interval,
--            no metric filter other than those the rollup has a column for;
--   agent    metric_agent_interval: dimensions AGENT and CHANNEL only;
--   contact  contact_metric row by row (with the CTR's routing profile and
--            hierarchy from ctr_events when grouped or filtered by them):
--            any metric filter, any threshold, any dimension, and the
--            metrics binned by enqueue or connect time;
--   activity agent_activity_interval / agent_status_interval (agent events).
-- Every source yields rows (period, dimensions, one value per metric it
-- answers); the rows of one period and dimension combination make one
-- MetricResult, with every requested metric in its Collections (no Value
-- where the figure is NULL: a zero denominator, or no source row).

-- ---- The metrics the API answers: names, units, and each source's formula
--
-- Placeholders in the expressions: {CMP} the threshold comparison (< or <=),
-- {X} the threshold in seconds, {IN:col} / {AT:col} the metric_queue_threshold
-- counts below (and, with LTE, at) the threshold / exactly at it.  In the
-- contact expressions c is a contact_metric row (plus c_enqueue and
-- c_connected, the CTR's EnqueueTimestamp and ConnectedToAgentTimestamp);
-- r the queue or agent rollup row, a an agent_activity_interval row, s an
-- agent_status_interval row.  A count or sum is 0 for a row with no
-- contact counted; an average or rate is NULL when its denominator is 0.
CREATE VIEW connect_lake.metric_api_metric
  (metric_name, same_as, implied_filter, source, unit, value_kind, threshold, anchor,
   contact_num, contact_den, rollup_num, rollup_den, agent_num, agent_den, spec) AS
  VALUES
  -- Volumes (spec 2.1)
  ('CONTACTS_CREATED', NULL, NULL::jsonb, 'contact', 'COUNT', 'count', false, 'disconnect',
   '1', NULL, 'sum(r.contacts)', NULL, 'sum(r.contacts)', NULL, '2.1'),
  ('CONTACTS_QUEUED', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.queued THEN 1 END', NULL, 'sum(r.contacts_queued)', NULL, NULL, NULL, '2.1'),
  ('CONTACTS_QUEUED_BY_ENQUEUE', NULL, NULL, 'contact', 'COUNT', 'count', false, 'enqueue',
   'CASE WHEN c.queued THEN 1 END', NULL, NULL, NULL, NULL, NULL, '1.2, 2.1'),
  ('CONTACTS_HANDLED', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.handled THEN 1 END', NULL, 'sum(r.contacts_handled)', NULL, 'sum(r.contacts_handled)', NULL, '2.1'),
  ('CONTACTS_HANDLED_BY_CONNECTED_TO_AGENT', NULL, NULL, 'contact', 'COUNT', 'count', false, 'connected',
   'CASE WHEN c.handled THEN 1 END', NULL, NULL, NULL, NULL, NULL, '1.2, 2.1'),
  ('CONTACTS_ABANDONED', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.abandoned THEN 1 END', NULL, 'sum(r.contacts_abandoned)', NULL, NULL, NULL, '2.1'),
  ('LAKE_CONTACTS_ABANDONED_CUSTOMER_DISCONNECT', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.abandoned AND c.disconnectreason = ''CUSTOMER_DISCONNECT'' THEN 1 END', NULL,
   'sum(r.contacts_abandoned_customer_disconnect)', NULL, NULL, NULL, '2.1, 8'),
  ('SUM_CONTACTS_ANSWERED_IN_X', NULL, NULL, 'contact', 'COUNT', 'count', true, 'disconnect',
   'CASE WHEN c.answered AND c.queue_time {CMP} {X} THEN 1 END', NULL, '{IN:answered}', NULL, NULL, NULL, '2.1, 3'),
  ('SUM_CONTACTS_ABANDONED_IN_X', NULL, NULL, 'contact', 'COUNT', 'count', true, 'disconnect',
   'CASE WHEN c.abandoned AND c.queue_time {CMP} {X} THEN 1 END', NULL, '{IN:abandoned}', NULL, NULL, NULL, '2.1, 3'),
  ('CONTACTS_REMOVED_FROM_QUEUE_IN_X', NULL, NULL, 'contact', 'COUNT', 'count', true, 'disconnect',
   'CASE WHEN connect_lake.metric_removed(c.queued, c.handled, c.abandoned, c.callback_requested) AND c.queue_time {CMP} {X} THEN 1 END',
   NULL, '{IN:removed}', NULL, NULL, NULL, '2.1, 3'),
  ('LAKE_CONTACTS_REMOVED_AT_X', NULL, NULL, 'contact', 'COUNT', 'count', true, 'disconnect',
   'CASE WHEN connect_lake.metric_removed(c.queued, c.handled, c.abandoned, c.callback_requested) AND c.queue_time = {X} THEN 1 END',
   NULL, '{AT:removed}', NULL, NULL, NULL, '3'),
  ('LAKE_CALLBACKS_REQUESTED', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.callback_requested THEN 1 END', NULL, 'sum(r.callbacks_requested)', NULL, NULL, NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_OUT', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.xfer_out_agent OR c.xfer_out_queue THEN 1 END', NULL,
   'sum(r.transferred_out_by_agent + r.transferred_out_from_queue)', NULL, NULL, NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_OUT_BY_AGENT', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.xfer_out_agent THEN 1 END', NULL, 'sum(r.transferred_out_by_agent)', NULL,
   'sum(r.transferred_out_by_agent)', NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_OUT_FROM_QUEUE', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.xfer_out_queue THEN 1 END', NULL, 'sum(r.transferred_out_from_queue)', NULL, NULL, NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_OUT_INTERNAL', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.xfer_out_internal THEN 1 END', NULL, 'sum(r.transferred_out_internal)', NULL,
   'sum(r.transferred_out_internal)', NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_OUT_EXTERNAL', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.xfer_out_external THEN 1 END', NULL, 'sum(r.transferred_out_external)', NULL,
   'sum(r.transferred_out_external)', NULL, '2.1'),
  ('CONTACTS_PUT_ON_HOLD', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.held THEN 1 END', NULL, 'sum(r.contacts_put_on_hold)', NULL, 'sum(r.contacts_put_on_hold)', NULL, '2.1'),
  ('SUM_CONTACTS_DISCONNECTED', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   '1', NULL, 'sum(r.contacts)', NULL, 'sum(r.contacts)', NULL, '2.1'),
  -- Times (spec 2.2), seconds
  ('AVG_QUEUE_ANSWER_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'CASE WHEN c.answered THEN c.queue_time END', 'CASE WHEN c.answered THEN 1 END',
   'sum(r.queue_answer_time_sum::float8)', 'sum(r.contacts_answered)', 'sum(r.queue_answer_time_sum::float8)', 'sum(r.contacts_answered)', '2.2'),
  ('AVG_ABANDON_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'CASE WHEN c.abandoned THEN c.queue_time END', 'CASE WHEN c.abandoned THEN 1 END',
   'sum(r.abandon_time_sum::float8)', 'sum(r.contacts_abandoned)', NULL, NULL, '2.2'),
  ('MAX_QUEUED_TIME', NULL, NULL, 'contact', 'SECONDS', 'max', false, 'disconnect',
   'CASE WHEN c.queued THEN c.queue_time END', NULL, 'max(r.queued_time_max)', NULL, NULL, NULL, '2.2'),
  ('AVG_HANDLE_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.handle_time', 'CASE WHEN c.handled THEN 1 END',
   'sum(r.handle_time_sum::float8)', 'sum(r.contacts_handled)', 'sum(r.handle_time_sum::float8)', 'sum(r.contacts_handled)', '2.2'),
  ('SUM_HANDLE_TIME', NULL, NULL, 'contact', 'SECONDS', 'sum', false, 'disconnect',
   'c.handle_time', NULL, 'sum(r.handle_time_sum::float8)', NULL, 'sum(r.handle_time_sum::float8)', NULL, '2.2'),
  ('AVG_INTERACTION_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.interaction_time', 'CASE WHEN c.handled THEN 1 END',
   'sum(r.interaction_time_sum::float8)', 'sum(r.contacts_handled)', 'sum(r.interaction_time_sum::float8)', 'sum(r.contacts_handled)', '2.2'),
  ('SUM_INTERACTION_TIME', NULL, NULL, 'contact', 'SECONDS', 'sum', false, 'disconnect',
   'c.interaction_time', NULL, 'sum(r.interaction_time_sum::float8)', NULL, 'sum(r.interaction_time_sum::float8)', NULL, '2.2'),
  ('AVG_INTERACTION_AND_HOLD_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.interaction_time + c.hold_time', 'CASE WHEN c.handled THEN 1 END',
   'sum(r.interaction_time_sum::float8 + r.hold_time_sum::float8)', 'sum(r.contacts_handled)',
   'sum(r.interaction_time_sum::float8 + r.hold_time_sum::float8)', 'sum(r.contacts_handled)', '2.2'),
  ('SUM_INTERACTION_AND_HOLD_TIME', NULL, NULL, 'contact', 'SECONDS', 'sum', false, 'disconnect',
   'c.interaction_time + c.hold_time', NULL, 'sum(r.interaction_time_sum::float8 + r.hold_time_sum::float8)', NULL,
   'sum(r.interaction_time_sum::float8 + r.hold_time_sum::float8)', NULL, '2.2'),
  ('AVG_HOLD_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'CASE WHEN c.held THEN c.hold_time END', 'CASE WHEN c.held THEN 1 END',
   'sum(r.hold_time_sum::float8)', 'sum(r.contacts_put_on_hold)', 'sum(r.hold_time_sum::float8)', 'sum(r.contacts_put_on_hold)', '2.2'),
  ('AVG_HOLD_TIME_ALL_CONTACTS', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.hold_time', 'CASE WHEN c.handled THEN 1 END',
   'sum(r.hold_time_sum::float8)', 'sum(r.contacts_handled)', 'sum(r.hold_time_sum::float8)', 'sum(r.contacts_handled)', '2.2'),
  ('SUM_HOLD_TIME', NULL, NULL, 'contact', 'SECONDS', 'sum', false, 'disconnect',
   'c.hold_time', NULL, 'sum(r.hold_time_sum::float8)', NULL, 'sum(r.hold_time_sum::float8)', NULL, '2.2'),
  ('AVG_AFTER_CONTACT_WORK_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.acw_time', 'CASE WHEN c.handled THEN 1 END',
   'sum(r.acw_time_sum::float8)', 'sum(r.contacts_handled)', 'sum(r.acw_time_sum::float8)', 'sum(r.contacts_handled)', '2.2'),
  ('SUM_AFTER_CONTACT_WORK_TIME', NULL, NULL, 'contact', 'SECONDS', 'sum', false, 'disconnect',
   'c.acw_time', NULL, 'sum(r.acw_time_sum::float8)', NULL, 'sum(r.acw_time_sum::float8)', NULL, '2.2'),
  ('AVG_CONTACT_DURATION', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.contact_duration', '1', 'sum(r.contact_duration_sum::float8)', 'sum(r.contacts)', NULL, NULL, '2.2'),
  ('AVG_RESOLUTION_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.resolution_time', '1', 'sum(r.resolution_time_sum::float8)', 'sum(r.contacts)', NULL, NULL, '2.2'),
  -- Rates (spec 2.3, 3), percent
  ('ABANDONMENT_RATE', NULL, NULL, 'contact', 'PERCENT', 'percent', false, 'disconnect',
   'CASE WHEN c.abandoned THEN 1 WHEN c.queued THEN 0 END', 'CASE WHEN c.queued THEN 1 END',
   'sum(r.contacts_abandoned)', 'sum(r.contacts_queued)', NULL, NULL, '2.3'),
  ('SERVICE_LEVEL', NULL, NULL, 'contact', 'PERCENT', 'percent', true, 'disconnect',
   'CASE WHEN connect_lake.metric_removed(c.queued, c.handled, c.abandoned, c.callback_requested) AND c.queue_time {CMP} {X} THEN 1 WHEN c.queued THEN 0 END',
   'CASE WHEN c.queued THEN 1 END', '{IN:removed}', 'sum(r.contacts_queued)', NULL, NULL, '3 (A)'),
  ('LAKE_SERVICE_LEVEL_ANSWERED', NULL, NULL, 'contact', 'PERCENT', 'percent', true, 'disconnect',
   'CASE WHEN c.answered AND c.queue_time {CMP} {X} THEN 1 WHEN c.queued THEN 0 END',
   'CASE WHEN c.queued THEN 1 END', '{IN:answered}', 'sum(r.contacts_queued)', NULL, NULL, '3 (B)'),
  ('LAKE_SERVICE_LEVEL_ANSWERED_EXCL_ABANDONED', NULL, NULL, 'contact', 'PERCENT', 'percent', true, 'disconnect',
   'CASE WHEN c.answered AND c.queue_time {CMP} {X} THEN 1 WHEN c.queued THEN 0 END',
   'CASE WHEN c.queued AND NOT (c.abandoned AND c.queue_time {CMP} {X}) THEN 1 END',
   '{IN:answered}', 'sum(r.contacts_queued) - {IN:abandoned}', NULL, NULL, '3 (C)'),
  -- Agent activity (spec 5), from agent events
  ('SUM_ONLINE_TIME_AGENT', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.online_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('SUM_NON_PRODUCTIVE_TIME_AGENT', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.non_productive_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('SUM_CONTACT_TIME_AGENT', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.contact_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('SUM_IDLE_TIME_AGENT', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.idle_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('SUM_ERROR_STATUS_TIME_AGENT', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.error_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('AGENT_OCCUPANCY', NULL, NULL, 'activity', 'PERCENT', 'percent', false, NULL,
   NULL, NULL, 'sum(a.contact_ms::float8)', 'sum(a.contact_ms::float8 + a.idle_ms::float8)', NULL, NULL, '5'),
  ('AGENT_NON_RESPONSE', NULL, NULL, 'activity', 'COUNT', 'count', false, NULL,
   NULL, NULL, 'sum(a.offers_not_connected)', NULL, NULL, NULL, '5'),
  ('AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS', NULL, NULL, 'activity', 'COUNT', 'count', false, NULL,
   NULL, NULL, 'sum(a.offers_missed)', NULL, NULL, NULL, '5'),
  ('AGENT_ANSWER_RATE', NULL, NULL, 'activity', 'PERCENT', 'percent', false, NULL,
   NULL, NULL, 'sum(a.offers_connected)', 'sum(a.offers)', NULL, NULL, '5'),
  ('AVG_AGENT_CONNECTING_TIME', NULL, NULL, 'activity', 'SECONDS', 'ratio', false, NULL,
   NULL, NULL, 'sum(a.connecting_ms_sum::float8) / 1000', 'sum(a.connecting_count)', NULL, NULL, '5'),
  ('LAKE_HEARTBEAT_GAP_TIME', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.gap_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('LAKE_HEARTBEAT_GAPS', NULL, NULL, 'activity', 'COUNT', 'count', false, NULL,
   NULL, NULL, 'sum(a.gaps)', NULL, NULL, NULL, '5'),
  ('LAKE_STATUS_TIME', NULL, NULL, 'status', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(s.ms::float8) FILTER (WHERE {MF}) / 1000', NULL, NULL, NULL, '5'),
  -- Not derivable from CTRs and agent events (spec 9): accepted, never a Value
  ('CONTACTS_HOLD_ABANDONS', NULL, NULL, 'none', 'COUNT', 'count', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9'),
  ('CONTACTS_ON_HOLD_CUSTOMER_DISCONNECT', NULL, NULL, 'none', 'COUNT', 'count', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9'),
  ('CONTACTS_ON_HOLD_AGENT_DISCONNECT', NULL, NULL, 'none', 'COUNT', 'count', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9'),
  ('SUM_RETRY_CALLBACK_ATTEMPTS', NULL, NULL, 'none', 'COUNT', 'count', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9'),
  ('SUM_CONTACT_FLOW_TIME', NULL, NULL, 'none', 'SECONDS', 'sum', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9'),
  -- Other names of the same metrics: older SDKs and GetMetricData v1 (spec 2.1, 6.3)
  ('SUM_CONTACTS_ABANDONED', 'CONTACTS_ABANDONED', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('QUEUE_ANSWER_TIME', 'AVG_QUEUE_ANSWER_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('ABANDON_TIME', 'AVG_ABANDON_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('QUEUED_TIME', 'MAX_QUEUED_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('HANDLE_TIME', 'AVG_HANDLE_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('HOLD_TIME', 'AVG_HOLD_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('INTERACTION_TIME', 'AVG_INTERACTION_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('INTERACTION_AND_HOLD_TIME', 'AVG_INTERACTION_AND_HOLD_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('AFTER_CONTACT_WORK_TIME', 'AVG_AFTER_CONTACT_WORK_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('OCCUPANCY', 'AGENT_OCCUPANCY', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('CONTACTS_MISSED', 'AGENT_NON_RESPONSE', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('CONTACTS_HANDLED_INCOMING', 'CONTACTS_HANDLED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["INBOUND", "QUEUE_TRANSFER", "TRANSFER"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('CONTACTS_HANDLED_OUTBOUND', 'CONTACTS_HANDLED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["OUTBOUND"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('CALLBACK_CONTACTS_HANDLED', 'CONTACTS_HANDLED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["CALLBACK"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('API_CONTACTS_HANDLED', 'CONTACTS_HANDLED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["API"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('CONTACTS_AGENT_HUNG_UP_FIRST', 'CONTACTS_HANDLED',
   '[{"MetricFilterKey": "DISCONNECT_REASON", "MetricFilterValues": ["AGENT_DISCONNECT"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_IN', 'CONTACTS_CREATED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["TRANSFER"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_IN_FROM_QUEUE', 'CONTACTS_CREATED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["QUEUE_TRANSFER"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1');
COMMENT ON VIEW connect_lake.metric_api_metric IS
  'The metric names get_metric_data_v2() and metric_reconcile() accept (Amazon''s GetMetricDataV2 names, their v1 and older-SDK names, the lake''s LAKE_* ones) and the formula each source computes them with. A row with same_as is another name of that metric (with implied_filter: that metric with those MetricFilters).';
COMMENT ON COLUMN connect_lake.metric_api_metric.metric_name IS 'The name as a request gives it (Metrics[].Name).';
COMMENT ON COLUMN connect_lake.metric_api_metric.same_as IS 'For another name of a metric: the metric it is (the other columns are then those of that row).';
COMMENT ON COLUMN connect_lake.metric_api_metric.implied_filter IS 'For a v1 name: the MetricFilters it stands for (GetMetricDataV2 spelling).';
COMMENT ON COLUMN connect_lake.metric_api_metric.source IS 'contact (contact record-driven: rollups or contact_metric), activity (agent_activity_interval), status (agent_status_interval), none (not derivable from the lake''s records: never a Value).';
COMMENT ON COLUMN connect_lake.metric_api_metric.unit IS 'COUNT, SECONDS or PERCENT (0-100).';
COMMENT ON COLUMN connect_lake.metric_api_metric.value_kind IS 'count or sum (0 when nothing counted), ratio (num / den), percent (100 * num / den), max: how the value follows from the expressions.';
COMMENT ON COLUMN connect_lake.metric_api_metric.threshold IS 'Whether the metric takes (and needs) a Threshold: [{Comparison LT|LTE, ThresholdValue 1..604800}].';
COMMENT ON COLUMN connect_lake.metric_api_metric.anchor IS 'The CTR timestamp whose 15-minute interval a contact counts in: disconnect (the rule), enqueue, connected (to agent).';
COMMENT ON COLUMN connect_lake.metric_api_metric.contact_num IS 'Per contact c (contact_metric): the numerator''s term (NULL: the contact is not counted).';
COMMENT ON COLUMN connect_lake.metric_api_metric.contact_den IS 'Per contact c: the denominator''s term of an average or rate.';
COMMENT ON COLUMN connect_lake.metric_api_metric.rollup_num IS 'From the queue rollups (r: metric_queue_interval; {IN:x} / {AT:x}: metric_queue_threshold) or, for activity and status metrics, from a: agent_activity_interval / s: agent_status_interval: the numerator. NULL: not from the rollups.';
COMMENT ON COLUMN connect_lake.metric_api_metric.rollup_den IS 'The denominator matching rollup_num.';
COMMENT ON COLUMN connect_lake.metric_api_metric.agent_num IS 'From metric_agent_interval (r): the numerator; NULL: not from that rollup.';
COMMENT ON COLUMN connect_lake.metric_api_metric.agent_den IS 'The denominator matching agent_num.';
COMMENT ON COLUMN connect_lake.metric_api_metric.spec IS 'Section of the specification (connect-metrics.md) that defines the metric.';

-- ---- Small rules of the API's request
--
-- Labels: the functions with an EXCEPTION block (metric_api_time(), and
-- those calling it) are PARALLEL UNSAFE, as subtransactions require;
-- metric_api_execute() runs a statement through SPI (PARALLEL RESTRICTED).
CREATE FUNCTION connect_lake.metric_api_arn_id(value text) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN s ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN s::uuid END
      FROM (SELECT substring(value FROM '[^/]*$') AS s) x
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_api_arn_id(text) IS
  'The id of a resource from its id or its ARN (the last path segment, e.g. a queue, agent, routing profile or agent hierarchy group id); NULL when that is not a UUID.';

CREATE FUNCTION connect_lake.metric_api_error(field text, message text, hint text DEFAULT NULL,
                                              caller text DEFAULT 'get_metric_data_v2') RETURNS void
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  AS $fn$
BEGIN
  RAISE EXCEPTION '%: %: %', caller, field, message
    USING ERRCODE = 'invalid_parameter_value', COLUMN = field, HINT = coalesce(hint, '');
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_api_error(text, text, text, text) IS
  'Internal: raises the error of a bad request (SQLSTATE 22023 invalid_parameter_value): the message names the field (its JSON path, also in the error''s column field) and the hint lists what is accepted.';

CREATE FUNCTION connect_lake.metric_api_time(value jsonb, field text, caller text DEFAULT 'get_metric_data_v2')
  RETURNS timestamptz
  LANGUAGE plpgsql STABLE PARALLEL UNSAFE
  AS $fn$
BEGIN
  IF value IS NULL OR jsonb_typeof(value) = 'null' THEN
    PERFORM connect_lake.metric_api_error(field, 'missing', 'A time is epoch seconds (1717405200) or an ISO-8601 string (2024-06-03T09:00:00Z).', caller);
  ELSIF jsonb_typeof(value) = 'number' THEN
    RETURN to_timestamp((value #>> '{}')::float8);
  ELSIF jsonb_typeof(value) = 'string' THEN
    BEGIN
      IF (value #>> '{}') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN
        RETURN to_timestamp((value #>> '{}')::float8);
      END IF;
      IF (value #>> '{}') !~ '[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN
        RAISE invalid_datetime_format;
      END IF;
      RETURN (value #>> '{}')::timestamptz;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_text_representation THEN
      PERFORM connect_lake.metric_api_error(field, format('%s is not a time', value),
        'A time is epoch seconds (1717405200) or an ISO-8601 string (2024-06-03T09:00:00Z).', caller);
    END;
  END IF;
  PERFORM connect_lake.metric_api_error(field, format('%s is not a time', value),
    'A time is epoch seconds (1717405200) or an ISO-8601 string (2024-06-03T09:00:00Z).', caller);
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_api_time(jsonb, text, text) IS
  'Internal: a time of a request or response (epoch seconds as a number or numeric string, or ISO-8601 as the AWS CLI prints it) as timestamptz; otherwise an error of caller naming field.';

-- The start (or, given to_ts, the end) of the period holding a 15-minute
-- interval, as an SQL expression over it: metric_period_start()'s rules
-- written into the statement (a function call per row costs more than the
-- rest of the row's work), the first period clipped to from_ts, the last
-- to to_ts.
CREATE FUNCTION connect_lake.metric_api_period_sql(period text, expr text, time_zone text, from_ts timestamptz,
                                                   to_ts timestamptz DEFAULT NULL) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN to_ts IS NULL THEN
             CASE period
               WHEN 'FIFTEEN_MIN' THEN format('greatest(%L::timestamptz, %s)', from_ts, expr)
               WHEN 'THIRTY_MIN' THEN format('greatest(%1$L::timestamptz, %2$s - ((%2$s AT TIME ZONE %3$L) - date_bin(''30 minutes'', %2$s AT TIME ZONE %3$L, timestamp ''2000-01-01'')))', from_ts, expr, time_zone)
               WHEN 'HOUR' THEN format('greatest(%1$L::timestamptz, %2$s - ((%2$s AT TIME ZONE %3$L) - date_trunc(''hour'', %2$s AT TIME ZONE %3$L)))', from_ts, expr, time_zone)
               WHEN 'DAY' THEN format('greatest(%1$L::timestamptz, date_trunc(''day'', %2$s AT TIME ZONE %3$L) AT TIME ZONE %3$L)', from_ts, expr, time_zone)
               WHEN 'WEEK' THEN format('greatest(%1$L::timestamptz, date_trunc(''week'', %2$s AT TIME ZONE %3$L) AT TIME ZONE %3$L)', from_ts, expr, time_zone)
               ELSE format('%L::timestamptz', from_ts) END
           ELSE
             CASE period
               WHEN 'FIFTEEN_MIN' THEN format('least(%L::timestamptz, %s + interval ''15 minutes'')', to_ts, expr)
               WHEN 'THIRTY_MIN' THEN format('least(%1$L::timestamptz, %2$s - ((%2$s AT TIME ZONE %3$L) - date_bin(''30 minutes'', %2$s AT TIME ZONE %3$L, timestamp ''2000-01-01'')) + interval ''30 minutes'')', to_ts, expr, time_zone)
               WHEN 'HOUR' THEN format('least(%1$L::timestamptz, %2$s - ((%2$s AT TIME ZONE %3$L) - date_trunc(''hour'', %2$s AT TIME ZONE %3$L)) + interval ''1 hour'')', to_ts, expr, time_zone)
               WHEN 'DAY' THEN format('least(%1$L::timestamptz, (date_trunc(''day'', %2$s AT TIME ZONE %3$L) + interval ''1 day'') AT TIME ZONE %3$L)', to_ts, expr, time_zone)
               WHEN 'WEEK' THEN format('least(%1$L::timestamptz, (date_trunc(''week'', %2$s AT TIME ZONE %3$L) + interval ''7 days'') AT TIME ZONE %3$L)', to_ts, expr, time_zone)
               ELSE format('%L::timestamptz', to_ts) END
           END
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_api_period_sql(text, text, text, timestamptz, timestamptz) IS
  'Internal: the SQL expression of the start of the period (FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK from Monday in time_zone, TOTAL) holding the 15-minute interval expr, at least from_ts (metric_period_start()''s rules, written into the statement); given to_ts, of its end, at most to_ts: a MetricInterval''s StartTime and EndTime.';

-- Which column or expression a dimension is in each source (alias r: the
-- queue or agent rollup, c/e: contact_metric and its CTR, a: activity, s:
-- status); no row: the source cannot group or filter by it.
CREATE VIEW connect_lake.metric_api_dimension (source, dimension, expression, value_type) AS
  VALUES ('queue', 'QUEUE', 'r.queue_id', 'uuid'), ('queue', 'CHANNEL', 'r.channel', 'text'),
         ('agent', 'AGENT', 'r.agent_id', 'uuid'), ('agent', 'CHANNEL', 'r.channel', 'text'),
         ('contact', 'QUEUE', 'c.queue_id', 'uuid'), ('contact', 'CHANNEL', 'c.channel', 'text'),
         ('contact', 'AGENT', 'c.agent_id', 'uuid'),
         ('contact', 'ROUTING_PROFILE', 'connect_lake.metric_api_arn_id(e.agent_routingprofile_arn)', 'uuid'),
         ('contact', 'AGENT_HIERARCHY_LEVEL_ONE', 'connect_lake.metric_api_arn_id(e.agent_hierarchygroups_level1_arn)', 'uuid'),
         ('contact', 'AGENT_HIERARCHY_LEVEL_TWO', 'connect_lake.metric_api_arn_id(e.agent_hierarchygroups_level2_arn)', 'uuid'),
         ('contact', 'AGENT_HIERARCHY_LEVEL_THREE', 'connect_lake.metric_api_arn_id(e.agent_hierarchygroups_level3_arn)', 'uuid'),
         ('contact', 'AGENT_HIERARCHY_LEVEL_FOUR', 'connect_lake.metric_api_arn_id(e.agent_hierarchygroups_level4_arn)', 'uuid'),
         ('contact', 'AGENT_HIERARCHY_LEVEL_FIVE', 'connect_lake.metric_api_arn_id(e.agent_hierarchygroups_level5_arn)', 'uuid'),
         ('activity', 'AGENT', 'a.agent_id', 'uuid'), ('activity', 'ROUTING_PROFILE', 'a.routing_profile_id', 'uuid'),
         ('activity', 'AGENT_HIERARCHY_LEVEL_ONE', 'a.hierarchy_level1_id', 'uuid'),
         ('activity', 'AGENT_HIERARCHY_LEVEL_TWO', 'a.hierarchy_level2_id', 'uuid'),
         ('activity', 'AGENT_HIERARCHY_LEVEL_THREE', 'a.hierarchy_level3_id', 'uuid'),
         ('activity', 'AGENT_HIERARCHY_LEVEL_FOUR', 'a.hierarchy_level4_id', 'uuid'),
         ('activity', 'AGENT_HIERARCHY_LEVEL_FIVE', 'a.hierarchy_level5_id', 'uuid'),
         ('status', 'AGENT', 's.agent_id', 'uuid');
COMMENT ON VIEW connect_lake.metric_api_dimension IS
  'The groupings and filter keys of get_metric_data_v2() per source of its figures (queue and agent rollups, contact_metric, agent activity and status tables): the expression that holds the dimension. QUEUE and AGENT are ids; ROUTING_PROFILE and AGENT_HIERARCHY_LEVEL_* are the ids ending the ARNs on the CTR (Agent.RoutingProfile, Agent.HierarchyGroups) or in the agent event snapshot.';
COMMENT ON COLUMN connect_lake.metric_api_dimension.source IS 'queue (metric_queue_interval), agent (metric_agent_interval), contact (contact_metric with its CTR), activity (agent_activity_interval), status (agent_status_interval).';
COMMENT ON COLUMN connect_lake.metric_api_dimension.dimension IS 'The grouping / filter key: QUEUE, CHANNEL, AGENT, ROUTING_PROFILE, AGENT_HIERARCHY_LEVEL_ONE ... FIVE.';
COMMENT ON COLUMN connect_lake.metric_api_dimension.expression IS 'Its SQL expression in that source.';
COMMENT ON COLUMN connect_lake.metric_api_dimension.value_type IS 'uuid (an id; filters take the id or the ARN) or text (CHANNEL).';

-- The metric filters the rollups have a column for: with one of these a
-- metric is still read from the rollups, with any other from contact_metric.
CREATE VIEW connect_lake.metric_api_rollup_filter (metric_name, metric_filter, rollup_num, agent_num) AS
  VALUES ('CONTACTS_HANDLED', 'INITIATION_METHOD=INBOUND,QUEUE_TRANSFER,TRANSFER',
          'sum(r.contacts_handled_incoming)', 'sum(r.contacts_handled_incoming)'),
         ('CONTACTS_HANDLED', 'INITIATION_METHOD=OUTBOUND', 'sum(r.contacts_handled_outbound)', 'sum(r.contacts_handled_outbound)'),
         ('CONTACTS_HANDLED', 'INITIATION_METHOD=CALLBACK', 'sum(r.contacts_handled_callback)', 'sum(r.contacts_handled_callback)'),
         ('CONTACTS_HANDLED', 'INITIATION_METHOD=API', 'sum(r.contacts_handled_api)', 'sum(r.contacts_handled_api)'),
         ('CONTACTS_HANDLED', 'DISCONNECT_REASON=AGENT_DISCONNECT', 'sum(r.contacts_agent_hung_up_first)',
          'sum(r.contacts_agent_hung_up_first)'),
         ('CONTACTS_CREATED', 'INITIATION_METHOD=TRANSFER', 'sum(r.contacts_transferred_in)', NULL),
         ('CONTACTS_CREATED', 'INITIATION_METHOD=QUEUE_TRANSFER', 'sum(r.contacts_transferred_in_from_queue)', NULL),
         ('CONTACTS_CREATED', 'INITIATION_METHOD=QUEUE_TRANSFER,TRANSFER',
          'sum(r.contacts_transferred_in + r.contacts_transferred_in_from_queue)', NULL),
         ('CONTACTS_ABANDONED', 'DISCONNECT_REASON=CUSTOMER_DISCONNECT', 'sum(r.contacts_abandoned_customer_disconnect)', NULL);
COMMENT ON VIEW connect_lake.metric_api_rollup_filter IS
  'Metric and MetricFilters combinations the rollups keep a column for (metric_queue_interval: rollup_num, metric_agent_interval: agent_num): get_metric_data_v2() reads them from the rollups; other filters are applied contact by contact to contact_metric.';
COMMENT ON COLUMN connect_lake.metric_api_rollup_filter.metric_name IS 'The metric (metric_api_metric).';
COMMENT ON COLUMN connect_lake.metric_api_rollup_filter.metric_filter IS 'The one MetricFilter, not negated: KEY=VALUE1,VALUE2 (values sorted).';
COMMENT ON COLUMN connect_lake.metric_api_rollup_filter.rollup_num IS 'The figure from metric_queue_interval r.';
COMMENT ON COLUMN connect_lake.metric_api_rollup_filter.agent_num IS 'The figure from metric_agent_interval r; NULL: that rollup has no column for it.';

-- ---- The request, checked and turned into one statement
--
-- The statement returns one row per period and dimension combination, in
-- order of period and dimension values:
-- p (period start), pe (period end), dims (the Dimensions object), vals
-- (float8[], one per requested metric, NULL: no Value) and, with
-- with_contacts, ids (jsonb array: per metric the contact ids behind it,
-- every metric then read contact by contact).
CREATE FUNCTION connect_lake.metric_api_plan(request jsonb, with_contacts boolean DEFAULT false,
                                             OUT query text, OUT period text, OUT from_ts timestamptz,
                                             OUT to_ts timestamptz, OUT time_zone text, OUT groupings text[],
                                             OUT metrics jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  dim_keys   constant text[] := ARRAY['QUEUE', 'CHANNEL', 'AGENT', 'ROUTING_PROFILE', 'AGENT_HIERARCHY_LEVEL_ONE',
                                      'AGENT_HIERARCHY_LEVEL_TWO', 'AGENT_HIERARCHY_LEVEL_THREE',
                                      'AGENT_HIERARCHY_LEVEL_FOUR', 'AGENT_HIERARCHY_LEVEL_FIVE'];
  agent_keys constant text[] := ARRAY['AGENT', 'ROUTING_PROFILE', 'AGENT_HIERARCHY_LEVEL_ONE',
                                      'AGENT_HIERARCHY_LEVEL_TWO', 'AGENT_HIERARCHY_LEVEL_THREE',
                                      'AGENT_HIERARCHY_LEVEL_FOUR', 'AGENT_HIERARCHY_LEVEL_FIVE'];
  channels   constant text[] := ARRAY['VOICE', 'CHAT', 'TASK', 'EMAIL'];
  periods    constant text[] := ARRAY['FIFTEEN_MIN', 'THIRTY_MIN', 'HOUR', 'DAY', 'WEEK', 'TOTAL'];
  top_keys   constant text[] := ARRAY['ResourceArn', 'StartTime', 'EndTime', 'Interval', 'Filters', 'Groupings',
                                      'Metrics', 'NextToken', 'MaxResults'];
  kept       integer[] := connect_lake.metric_thresholds();
  k          text;
  v          jsonb;
  f          jsonb;
  fv         text;
  n          integer;
  i          integer;
  filters    jsonb := '{}';
  used       text[] := '{}';
  agent_side boolean;
  m          jsonb;
  fld        text;
  def        record;
  mname      text;
  th         jsonb;
  cmp        text;
  x          integer;
  mfs        jsonb;
  mf_sql     text;
  mf_canon   text;
  mf_keys    text[];
  src        text;
  num        text;
  den        text;
  val        text;
  ids        text;
  rf         record;
  -- per source: its value columns (v1..vn) and id columns, the thresholds it joins, whether it needs the CTR
  src_vals   jsonb := '{}';
  src_ids    jsonb := '{}';
  q_ths      integer[] := '{}';
  need_e     boolean := false;
  outer_vals text[] := '{}';
  outer_ids  text[] := '{}';
  parts      text[] := '{}';
  sel        text;
  whr        text;
  tbl        text;
  iv         text;
  lo         text;
  hi         text;
  dimsel     text;
  dimwhere   text;
  grp        text;
  dm         record;
BEGIN
  -- The request's shape
  IF request IS NULL OR jsonb_typeof(request) <> 'object' THEN
    PERFORM connect_lake.metric_api_error('request', 'not a JSON object',
      'A GetMetricDataV2 request body: {"ResourceArn", "StartTime", "EndTime", "Interval", "Filters", "Groupings", "Metrics"}.');
  END IF;
  FOR k IN SELECT jsonb_object_keys(request) LOOP
    IF k <> ALL (top_keys) THEN
      PERFORM connect_lake.metric_api_error(k, 'unknown field', 'Accepted: ' || array_to_string(top_keys, ', ') || '.');
    END IF;
  END LOOP;
  IF jsonb_typeof(request->'ResourceArn') IS DISTINCT FROM 'string' THEN
    PERFORM connect_lake.metric_api_error('ResourceArn', CASE WHEN request ? 'ResourceArn' THEN 'not a string' ELSE 'missing' END,
      'The instance ARN, arn:aws:connect:REGION:ACCOUNT:instance/INSTANCE_ID (the lake answers for every instance it holds).');
  END IF;
  IF coalesce(jsonb_typeof(request->'NextToken'), 'null') <> 'null' THEN
    PERFORM connect_lake.metric_api_error('NextToken', 'the lake returns every result in one response and gives no NextToken',
      'Leave NextToken out.');
  END IF;
  IF coalesce(jsonb_typeof(request->'MaxResults'), 'number') <> 'number' THEN
    PERFORM connect_lake.metric_api_error('MaxResults', 'not a number', 'A number (ignored: the lake returns every result).');
  END IF;
  from_ts := connect_lake.metric_api_time(request->'StartTime', 'StartTime');
  to_ts := connect_lake.metric_api_time(request->'EndTime', 'EndTime');
  IF from_ts >= to_ts THEN
    PERFORM connect_lake.metric_api_error('StartTime', format('StartTime %s is not before EndTime %s', from_ts, to_ts),
      'StartTime must be before EndTime.');
  END IF;

  -- Interval
  period := 'TOTAL';
  time_zone := 'UTC';
  v := request->'Interval';
  IF v IS NOT NULL AND jsonb_typeof(v) <> 'null' THEN
    IF jsonb_typeof(v) <> 'object' THEN
      PERFORM connect_lake.metric_api_error('Interval', 'not an object', '{"IntervalPeriod": ..., "TimeZone": ...}.');
    END IF;
    FOR k IN SELECT jsonb_object_keys(v) LOOP
      IF k NOT IN ('IntervalPeriod', 'TimeZone') THEN
        PERFORM connect_lake.metric_api_error('Interval.' || k, 'unknown field', 'Accepted: IntervalPeriod, TimeZone.');
      END IF;
    END LOOP;
    IF v ? 'IntervalPeriod' THEN
      period := v->>'IntervalPeriod';
      IF jsonb_typeof(v->'IntervalPeriod') <> 'string' OR period <> ALL (periods) THEN
        PERFORM connect_lake.metric_api_error('Interval.IntervalPeriod', format('%s is not an interval period', v->'IntervalPeriod'),
          'Accepted: ' || array_to_string(periods, ', ') || ' (default TOTAL).');
      END IF;
    END IF;
    IF v ? 'TimeZone' THEN
      time_zone := v->>'TimeZone';
      BEGIN
        IF jsonb_typeof(v->'TimeZone') <> 'string' OR (now() AT TIME ZONE time_zone) IS NULL THEN
          RAISE invalid_parameter_value;
        END IF;
      EXCEPTION WHEN invalid_parameter_value THEN
        PERFORM connect_lake.metric_api_error('Interval.TimeZone', format('%s is not a time zone', v->'TimeZone'),
          'A time zone name of pg_timezone_names, e.g. UTC, Europe/London, Asia/Kolkata (default UTC).');
      END;
    END IF;
  END IF;

  -- Filters: {key: [values]}
  v := request->'Filters';
  IF v IS NULL OR jsonb_typeof(v) <> 'array' THEN
    PERFORM connect_lake.metric_api_error('Filters', CASE WHEN v IS NULL THEN 'missing' ELSE 'not an array' END,
      'An array of {"FilterKey": KEY, "FilterValues": [...]}, KEY one of ' || array_to_string(dim_keys, ', ') || '; may be empty.');
  END IF;
  n := 0;
  FOR f IN SELECT jsonb_array_elements(v) LOOP
    fld := format('Filters[%s]', n);
    IF jsonb_typeof(f) <> 'object' THEN
      PERFORM connect_lake.metric_api_error(fld, 'not an object', '{"FilterKey": KEY, "FilterValues": [...]}.');
    END IF;
    FOR k IN SELECT jsonb_object_keys(f) LOOP
      IF k NOT IN ('FilterKey', 'FilterValues') THEN
        PERFORM connect_lake.metric_api_error(fld || '.' || k, 'unknown field', 'Accepted: FilterKey, FilterValues.');
      END IF;
    END LOOP;
    k := f->>'FilterKey';
    IF jsonb_typeof(f->'FilterKey') IS DISTINCT FROM 'string' OR k <> ALL (dim_keys) THEN
      PERFORM connect_lake.metric_api_error(fld || '.FilterKey',
        CASE WHEN f ? 'FilterKey' THEN format('%s is not a supported filter key', f->'FilterKey') ELSE 'missing' END,
        'Accepted: ' || array_to_string(dim_keys, ', ') || '.');
    END IF;
    IF filters ? k THEN
      PERFORM connect_lake.metric_api_error(fld || '.FilterKey', format('%s given twice', k), 'Give each FilterKey once, with all its values.');
    END IF;
    IF jsonb_typeof(f->'FilterValues') IS DISTINCT FROM 'array' OR jsonb_array_length(f->'FilterValues') = 0 THEN
      PERFORM connect_lake.metric_api_error(fld || '.FilterValues', 'missing or not a non-empty array',
        CASE WHEN k = 'CHANNEL' THEN 'Channels: ' || array_to_string(channels, ', ') || '.'
             ELSE 'Ids or ARNs of the ' || lower(replace(k, '_', ' ')) || ' resources.' END);
    END IF;
    filters := filters || jsonb_build_object(k, '[]'::jsonb);
    i := 0;
    FOR fv IN SELECT jsonb_array_elements(f->'FilterValues') #>> '{}' LOOP
      IF jsonb_typeof(f->'FilterValues'->i) <> 'string'
         OR (k = 'CHANNEL' AND fv <> ALL (channels))
         OR (k <> 'CHANNEL' AND connect_lake.metric_api_arn_id(fv) IS NULL) THEN
        PERFORM connect_lake.metric_api_error(format('%s.FilterValues[%s]', fld, i), format('%s is not a %s', f->'FilterValues'->i,
                                              CASE WHEN k = 'CHANNEL' THEN 'channel' ELSE 'resource id or ARN' END),
          CASE WHEN k = 'CHANNEL' THEN 'Channels: ' || array_to_string(channels, ', ') || '.'
               ELSE 'An id (UUID) or an ARN ending in one.' END);
      END IF;
      filters := jsonb_set(filters, ARRAY[k], (filters->k) || to_jsonb(CASE WHEN k = 'CHANNEL' THEN fv
                                                                             ELSE connect_lake.metric_api_arn_id(fv)::text END));
      i := i + 1;
    END LOOP;
    used := used || k;
    n := n + 1;
  END LOOP;

  -- Groupings
  groupings := '{}';
  v := request->'Groupings';
  IF v IS NOT NULL AND jsonb_typeof(v) <> 'null' THEN
    IF jsonb_typeof(v) <> 'array' THEN
      PERFORM connect_lake.metric_api_error('Groupings', 'not an array', 'An array of ' || array_to_string(dim_keys, ', ') || '.');
    END IF;
    FOR i IN 0 .. jsonb_array_length(v) - 1 LOOP
      k := v->>i;
      IF jsonb_typeof(v->i) <> 'string' OR k <> ALL (dim_keys) THEN
        PERFORM connect_lake.metric_api_error(format('Groupings[%s]', i), format('%s is not a supported grouping', v->i),
          'Accepted: ' || array_to_string(dim_keys, ', ') || '.');
      END IF;
      IF k = ANY (groupings) THEN
        PERFORM connect_lake.metric_api_error(format('Groupings[%s]', i), format('%s given twice', k), 'Give each grouping once.');
      END IF;
      groupings := groupings || k;
    END LOOP;
  END IF;
  used := ARRAY(SELECT DISTINCT u FROM unnest(used || groupings) u ORDER BY 1);
  agent_side := used && agent_keys;

  -- Metrics
  v := request->'Metrics';
  IF v IS NULL OR jsonb_typeof(v) <> 'array' OR jsonb_array_length(v) = 0 THEN
    PERFORM connect_lake.metric_api_error('Metrics', CASE WHEN v IS NULL THEN 'missing' ELSE 'not a non-empty array' END,
      'An array of {"Name": ..., "Threshold": [...], "MetricFilters": [...]}; names: SELECT metric_name FROM connect_lake.metric_api_metric.');
  END IF;
  metrics := '[]';
  FOR i IN 1 .. jsonb_array_length(v) LOOP
    m := v->(i - 1);
    fld := format('Metrics[%s]', i - 1);
    IF jsonb_typeof(m) <> 'object' THEN
      PERFORM connect_lake.metric_api_error(fld, 'not an object', '{"Name": ..., "Threshold": [...], "MetricFilters": [...]}.');
    END IF;
    FOR k IN SELECT jsonb_object_keys(m) LOOP
      IF k NOT IN ('Name', 'Threshold', 'MetricFilters') THEN
        PERFORM connect_lake.metric_api_error(fld || '.' || k, 'unknown field', 'Accepted: Name, Threshold, MetricFilters.');
      END IF;
    END LOOP;
    mname := m->>'Name';
    SELECT a.metric_name AS requested, coalesce(b.metric_name, a.metric_name) AS metric_name, a.implied_filter,
           coalesce(b.source, a.source) AS source, coalesce(b.value_kind, a.value_kind) AS value_kind,
           coalesce(b.threshold, a.threshold) AS threshold, coalesce(b.anchor, a.anchor) AS anchor,
           coalesce(b.contact_num, a.contact_num) AS contact_num, coalesce(b.contact_den, a.contact_den) AS contact_den,
           coalesce(b.rollup_num, a.rollup_num) AS rollup_num, coalesce(b.rollup_den, a.rollup_den) AS rollup_den,
           coalesce(b.agent_num, a.agent_num) AS agent_num, coalesce(b.agent_den, a.agent_den) AS agent_den
      INTO def
      FROM connect_lake.metric_api_metric a
      LEFT JOIN connect_lake.metric_api_metric b ON b.metric_name = a.same_as
     WHERE a.metric_name = mname;
    IF jsonb_typeof(m->'Name') IS DISTINCT FROM 'string' OR def.metric_name IS NULL THEN
      PERFORM connect_lake.metric_api_error(fld || '.Name',
        CASE WHEN m ? 'Name' THEN format('%s is not a metric the lake knows', m->'Name') ELSE 'missing' END,
        'Accepted: ' || (SELECT string_agg(metric_name, ', ' ORDER BY metric_name) FROM connect_lake.metric_api_metric) || '.');
    END IF;
    metrics := metrics || jsonb_build_array(m);

    -- Threshold
    cmp := NULL; x := NULL;
    th := m->'Threshold';
    IF th IS NOT NULL AND jsonb_typeof(th) <> 'null' THEN
      IF NOT def.threshold THEN
        PERFORM connect_lake.metric_api_error(fld || '.Threshold', format('%s takes no threshold', mname),
          'Thresholds are for ' || (SELECT string_agg(metric_name, ', ' ORDER BY metric_name) FROM connect_lake.metric_api_metric
                                     WHERE threshold) || '.');
      END IF;
      IF jsonb_typeof(th) <> 'array' OR jsonb_array_length(th) <> 1 OR jsonb_typeof(th->0) <> 'object' THEN
        PERFORM connect_lake.metric_api_error(fld || '.Threshold', 'not an array of one threshold',
          '[{"Comparison": "LT" or "LTE", "ThresholdValue": 1 to 604800}].');
      END IF;
      FOR k IN SELECT jsonb_object_keys(th->0) LOOP
        IF k NOT IN ('Comparison', 'ThresholdValue') THEN
          PERFORM connect_lake.metric_api_error(fld || '.Threshold[0].' || k, 'unknown field', 'Accepted: Comparison, ThresholdValue.');
        END IF;
      END LOOP;
      cmp := th->0->>'Comparison';
      IF jsonb_typeof(th->0->'Comparison') IS DISTINCT FROM 'string' OR cmp NOT IN ('LT', 'LTE') THEN
        PERFORM connect_lake.metric_api_error(fld || '.Threshold[0].Comparison',
          CASE WHEN th->0 ? 'Comparison' THEN format('%s is not a comparison', th->0->'Comparison') ELSE 'missing' END,
          'Accepted: LT (less than), LTE (less than or equal).');
      END IF;
      IF jsonb_typeof(th->0->'ThresholdValue') IS DISTINCT FROM 'number'
         OR (th->0->>'ThresholdValue')::numeric <> trunc((th->0->>'ThresholdValue')::numeric)
         OR (th->0->>'ThresholdValue')::numeric NOT BETWEEN 1 AND 604800 THEN
        PERFORM connect_lake.metric_api_error(fld || '.Threshold[0].ThresholdValue',
          CASE WHEN th->0 ? 'ThresholdValue' THEN format('%s is outside 1..604800', th->0->'ThresholdValue') ELSE 'missing' END,
          'A whole number of seconds from 1 to 604800 (7 days).');
      END IF;
      x := (th->0->>'ThresholdValue')::numeric::integer;
    ELSIF def.threshold THEN
      PERFORM connect_lake.metric_api_error(fld || '.Threshold', format('missing: %s needs a threshold', mname),
        '[{"Comparison": "LT" or "LTE", "ThresholdValue": 1 to 604800}].');
    END IF;

    -- MetricFilters (a v1 name's implied ones first)
    mfs := coalesce(def.implied_filter, '[]');
    IF m ? 'MetricFilters' AND jsonb_typeof(m->'MetricFilters') <> 'null' THEN
      IF jsonb_typeof(m->'MetricFilters') <> 'array' THEN
        PERFORM connect_lake.metric_api_error(fld || '.MetricFilters', 'not an array',
          '[{"MetricFilterKey": ..., "MetricFilterValues": [...], "Negate": false}].');
      END IF;
      mfs := mfs || (m->'MetricFilters');
    END IF;
    mf_keys := CASE def.source WHEN 'contact' THEN ARRAY['INITIATION_METHOD', 'DISCONNECT_REASON']
                               WHEN 'status' THEN ARRAY['AGENT_STATUS'] ELSE '{}' END;
    mf_sql := 'true';
    mf_canon := NULL;
    FOR n IN 0 .. jsonb_array_length(mfs) - 1 LOOP
      f := mfs->n;
      k := format('%s.MetricFilters[%s]', fld, n - coalesce(jsonb_array_length(def.implied_filter), 0));
      IF jsonb_typeof(f) <> 'object' THEN
        PERFORM connect_lake.metric_api_error(k, 'not an object', '{"MetricFilterKey": ..., "MetricFilterValues": [...], "Negate": false}.');
      END IF;
      IF EXISTS (SELECT 1 FROM jsonb_object_keys(f) o WHERE o NOT IN ('MetricFilterKey', 'MetricFilterValues', 'Negate')) THEN
        PERFORM connect_lake.metric_api_error(k, 'unknown field', 'Accepted: MetricFilterKey, MetricFilterValues, Negate.');
      END IF;
      IF jsonb_typeof(f->'MetricFilterKey') IS DISTINCT FROM 'string' OR (f->>'MetricFilterKey') <> ALL (mf_keys) THEN
        PERFORM connect_lake.metric_api_error(k || '.MetricFilterKey',
          format('%s is not a metric filter of %s', coalesce((f->'MetricFilterKey')::text, 'missing'), mname),
          CASE WHEN cardinality(mf_keys) = 0 THEN mname || ' takes no MetricFilters.'
               ELSE 'Accepted for ' || mname || ': ' || array_to_string(mf_keys, ', ') || '.' END);
      END IF;
      IF jsonb_typeof(f->'MetricFilterValues') IS DISTINCT FROM 'array' OR jsonb_array_length(f->'MetricFilterValues') = 0
         OR EXISTS (SELECT 1 FROM jsonb_array_elements(f->'MetricFilterValues') e WHERE jsonb_typeof(e) <> 'string') THEN
        PERFORM connect_lake.metric_api_error(k || '.MetricFilterValues', 'missing or not a non-empty array of strings',
          'Values as in the CTR, e.g. INBOUND, TRANSFER (INITIATION_METHOD), AGENT_DISCONNECT (DISCONNECT_REASON).');
      END IF;
      IF coalesce(jsonb_typeof(f->'Negate'), 'boolean') <> 'boolean' THEN
        PERFORM connect_lake.metric_api_error(k || '.Negate', 'not a boolean', 'true or false (default false).');
      END IF;
      mf_sql := mf_sql || format(' AND %scoalesce(%s = ANY (%L::text[]), false)',
                                 CASE WHEN (f->>'Negate')::boolean THEN 'NOT ' ELSE '' END,
                                 CASE f->>'MetricFilterKey' WHEN 'INITIATION_METHOD' THEN 'c.initiationmethod'
                                      WHEN 'DISCONNECT_REASON' THEN 'c.disconnectreason' ELSE 's.status_name' END,
                                 ARRAY(SELECT jsonb_array_elements_text(f->'MetricFilterValues')));
      mf_canon := CASE WHEN n = 0 AND NOT coalesce((f->>'Negate')::boolean, false)
                       THEN (f->>'MetricFilterKey') || '=' ||
                            (SELECT string_agg(DISTINCT e, ',' ORDER BY e) FROM jsonb_array_elements_text(f->'MetricFilterValues') e)
                  END;
    END LOOP;

    -- Where the metric comes from
    IF def.source IN ('activity', 'status') THEN
      FOREACH k IN ARRAY used LOOP
        IF NOT EXISTS (SELECT 1 FROM connect_lake.metric_api_dimension d WHERE d.source = def.source AND d.dimension = k) THEN
          PERFORM connect_lake.metric_api_error(CASE WHEN k = ANY (groupings) THEN 'Groupings' ELSE 'Filters' END,
            format('%s, an agent activity metric, cannot be grouped or filtered by %s', mname, k),
            'Accepted for ' || mname || ': ' || (SELECT string_agg(d.dimension, ', ') FROM connect_lake.metric_api_dimension d
                                                 WHERE d.source = def.source) || '.');
        END IF;
      END LOOP;
      src := def.source;
    ELSIF def.source = 'none' THEN
      src := NULL;
    ELSIF with_contacts OR def.anchor <> 'disconnect' THEN
      src := 'contact';
    ELSE
      SELECT r.rollup_num, r.agent_num INTO rf FROM connect_lake.metric_api_rollup_filter r
       WHERE r.metric_name = def.metric_name AND r.metric_filter = mf_canon AND jsonb_array_length(mfs) = 1;
      src := 'contact';
      IF used <@ ARRAY['QUEUE', 'CHANNEL'] AND (x IS NULL OR x = ANY (kept))
         AND (CASE WHEN jsonb_array_length(mfs) = 0 THEN def.rollup_num ELSE rf.rollup_num END) IS NOT NULL THEN
        src := 'queue';
        num := CASE WHEN jsonb_array_length(mfs) = 0 THEN def.rollup_num ELSE rf.rollup_num END;
        den := def.rollup_den;
      ELSIF used <@ ARRAY['AGENT', 'CHANNEL'] AND x IS NULL
            AND (CASE WHEN jsonb_array_length(mfs) = 0 THEN def.agent_num ELSE rf.agent_num END) IS NOT NULL THEN
        src := 'agent';
        num := CASE WHEN jsonb_array_length(mfs) = 0 THEN def.agent_num ELSE rf.agent_num END;
        den := def.agent_den;
      END IF;
    END IF;

    IF src = 'contact' THEN
      num := format('%s(%s) FILTER (WHERE %s)', CASE WHEN def.value_kind = 'max' THEN 'max' ELSE 'sum' END,
                    def.contact_num, mf_sql);
      den := CASE WHEN def.contact_den IS NOT NULL THEN format('sum(%s) FILTER (WHERE %s)', def.contact_den, mf_sql) END;
      ids := format('array_agg(c.contactid ORDER BY c.contactid) FILTER (WHERE %s AND (%s IS NOT NULL%s))',
                    mf_sql, def.contact_num, CASE WHEN def.contact_den IS NOT NULL
                                                  THEN ' OR ' || def.contact_den || ' IS NOT NULL' ELSE '' END);
      src := src || ':' || def.anchor;
      need_e := need_e OR def.anchor <> 'disconnect';
    ELSIF src IN ('activity', 'status') THEN
      num := def.rollup_num;
      den := def.rollup_den;
      num := replace(num, '{MF}', CASE WHEN mf_sql = 'true' THEN 's.status_type IS DISTINCT FROM ''OFFLINE''' ELSE mf_sql END);
      ids := NULL;
    ELSIF src = 'queue' AND x IS NOT NULL THEN
      q_ths := ARRAY(SELECT DISTINCT u FROM unnest(q_ths || x) u ORDER BY 1);
      ids := NULL;
    ELSE
      ids := NULL;
    END IF;
    IF src IS NOT NULL THEN
      -- thresholds: {IN:col} = below (LT) or at most (LTE) X, {AT:col} = exactly X
      num := regexp_replace(num, '\{IN:(\w+)\}',
                            CASE WHEN cmp = 'LTE' THEN format('coalesce(sum((t.\1_lt_%s + t.\1_eq_%s)::float8), 0)', x, x)
                                 ELSE format('coalesce(sum(t.\1_lt_%s::float8), 0)', x) END, 'g');
      num := regexp_replace(num, '\{AT:(\w+)\}', format('coalesce(sum(t.\1_eq_%s::float8), 0)', x), 'g');
      den := regexp_replace(den, '\{IN:(\w+)\}',
                            CASE WHEN cmp = 'LTE' THEN format('coalesce(sum((t.\1_lt_%s + t.\1_eq_%s)::float8), 0)', x, x)
                                 ELSE format('coalesce(sum(t.\1_lt_%s::float8), 0)', x) END, 'g');
      num := replace(replace(num, '{CMP}', CASE WHEN cmp = 'LTE' THEN '<=' ELSE '<' END), '{X}', coalesce(x::text, 'NULL'));
      den := replace(replace(den, '{CMP}', CASE WHEN cmp = 'LTE' THEN '<=' ELSE '<' END), '{X}', coalesce(x::text, 'NULL'));
      ids := replace(replace(ids, '{CMP}', CASE WHEN cmp = 'LTE' THEN '<=' ELSE '<' END), '{X}', coalesce(x::text, 'NULL'));
      val := CASE def.value_kind
               WHEN 'ratio' THEN format('(%s)::float8 / nullif((%s)::float8, 0)', num, den)
               WHEN 'percent' THEN format('100 * (%s)::float8 / nullif((%s)::float8, 0)', num, den)
               ELSE format('(%s)::float8', num) END;
      src_vals := jsonb_set(src_vals, ARRAY[src], coalesce(src_vals->src, '{}') || jsonb_build_object(i::text, val));
      IF ids IS NOT NULL THEN
        src_ids := jsonb_set(src_ids, ARRAY[src], coalesce(src_ids->src, '{}') || jsonb_build_object(i::text, ids));
      END IF;
    END IF;
    outer_vals := outer_vals || CASE WHEN src IS NULL THEN 'NULL::float8'
                                     WHEN def.value_kind IN ('count', 'sum') THEN format('coalesce(max(u.v%s), 0)', i)
                                     ELSE format('max(u.v%s)', i) END;
    outer_ids := outer_ids || format('coalesce(to_jsonb(max(u.i%s)), ''[]'')', i);
  END LOOP;

  -- One SELECT per source
  n := jsonb_array_length(metrics);
  FOR src IN SELECT jsonb_object_keys(src_vals) ORDER BY 1 LOOP
    tbl := CASE split_part(src, ':', 1)
             WHEN 'queue' THEN 'connect_lake.metric_queue_interval r'
             WHEN 'agent' THEN 'connect_lake.metric_agent_interval r'
             WHEN 'contact' THEN 'connect_lake.contact_metric c'
             WHEN 'activity' THEN 'connect_lake.agent_activity_interval a'
             WHEN 'status' THEN 'connect_lake.agent_status_interval s' END;
    iv := CASE split_part(src, ':', 1) WHEN 'contact' THEN 'c.interval_start' WHEN 'activity' THEN 'a.interval_start'
                                       WHEN 'status' THEN 's.interval_start' ELSE 'r.interval_start' END;
    lo := quote_literal(from_ts);
    hi := quote_literal(to_ts);
    whr := '';
    IF src = 'contact:enqueue' OR src = 'contact:connected' THEN
      -- binned by another timestamp: the contacts that disconnect up to 7 days later
      hi := quote_literal(to_ts + interval '7 days 15 minutes');
      whr := format(' AND connect_lake.metric_interval(e.%s) >= %L AND connect_lake.metric_interval(e.%s) < %L',
                    CASE src WHEN 'contact:enqueue' THEN 'queue_enqueuetimestamp' ELSE 'agent_connectedtoagentts' END, from_ts,
                    CASE src WHEN 'contact:enqueue' THEN 'queue_enqueuetimestamp' ELSE 'agent_connectedtoagentts' END, to_ts);
      iv := CASE src WHEN 'contact:enqueue' THEN 'connect_lake.metric_interval(e.queue_enqueuetimestamp)'
                     ELSE 'connect_lake.metric_interval(e.agent_connectedtoagentts)' END;
    END IF;
    whr := format('%s >= %s AND %s < %s', CASE WHEN src LIKE 'contact%' THEN 'c.interval_start' ELSE iv END, lo,
                  CASE WHEN src LIKE 'contact%' THEN 'c.interval_start' ELSE iv END, hi) || whr;
    IF src = 'queue' OR (src LIKE 'contact%' AND NOT agent_side) THEN
      whr := whr || format(' AND %s.queue_kind = ''STANDARD''', CASE WHEN src = 'queue' THEN 'r' ELSE 'c' END);
    END IF;
    dimsel := '';
    dimwhere := '';
    FOREACH k IN ARRAY used LOOP
      SELECT * INTO dm FROM connect_lake.metric_api_dimension x
       WHERE x.source = split_part(src, ':', 1) AND x.dimension = k;
      IF dm.expression LIKE '%e.%' THEN
        need_e := true;
      END IF;
      IF filters ? k THEN
        dimwhere := dimwhere || format(' AND %s = ANY (%L::%s[])', dm.expression,
                                       ARRAY(SELECT jsonb_array_elements_text(filters->k)), dm.value_type);
      END IF;
    END LOOP;
    i := 0;
    FOREACH k IN ARRAY groupings LOOP
      i := i + 1;
      SELECT * INTO dm FROM connect_lake.metric_api_dimension x
       WHERE x.source = split_part(src, ':', 1) AND x.dimension = k;
      dimsel := dimsel || format(', (%s)::text AS d%s', dm.expression, i);
      dimwhere := dimwhere || format(' AND %s IS NOT NULL', dm.expression);
    END LOOP;
    sel := format('SELECT %s AS p%s', connect_lake.metric_api_period_sql(period, iv, time_zone, from_ts), dimsel);
    FOR i IN 1 .. n LOOP
      sel := sel || format(', %s AS v%s', coalesce(src_vals->src->>i::text, 'NULL::float8'), i);
      IF with_contacts THEN
        sel := sel || format(', %s AS i%s', coalesce(src_ids->src->>i::text, 'NULL::uuid[]'), i);
      END IF;
    END LOOP;
    sel := sel || ' FROM ' || tbl;
    IF src LIKE 'contact%' AND (need_e OR src <> 'contact:disconnect') THEN
      sel := sel || ' CROSS JOIN LATERAL (SELECT e.queue_enqueuetimestamp, e.agent_connectedtoagentts,'
                 || ' e.agent_routingprofile_arn, e.agent_hierarchygroups_level1_arn, e.agent_hierarchygroups_level2_arn,'
                 || ' e.agent_hierarchygroups_level3_arn, e.agent_hierarchygroups_level4_arn, e.agent_hierarchygroups_level5_arn'
                 || ' FROM connect_lake.ctr_events e WHERE e.contactid = c.contactid'
                 || ' AND e.initiationtimestamp = c.initiationtimestamp LIMIT 1) e';
    END IF;
    IF src = 'queue' AND cardinality(q_ths) > 0 THEN
      sel := sel || ' LEFT JOIN (SELECT t.interval_start, t.queue_id, coalesce(t.channel, '''') AS channel';
      FOREACH x IN ARRAY q_ths LOOP
        sel := sel || format(', sum(t.answered_lt) FILTER (WHERE t.threshold_s = %1$s) AS answered_lt_%1$s'
                             ', sum(t.answered_eq) FILTER (WHERE t.threshold_s = %1$s) AS answered_eq_%1$s'
                             ', sum(t.abandoned_lt) FILTER (WHERE t.threshold_s = %1$s) AS abandoned_lt_%1$s'
                             ', sum(t.abandoned_eq) FILTER (WHERE t.threshold_s = %1$s) AS abandoned_eq_%1$s'
                             ', sum(t.removed_lt) FILTER (WHERE t.threshold_s = %1$s) AS removed_lt_%1$s'
                             ', sum(t.removed_eq) FILTER (WHERE t.threshold_s = %1$s) AS removed_eq_%1$s', x);
      END LOOP;
      sel := sel || format(' FROM connect_lake.metric_queue_threshold t WHERE t.threshold_s = ANY (%L::integer[])'
                           ' AND t.interval_start >= %s AND t.interval_start < %s AND t.queue_kind = ''STANDARD''%s'
                           ' GROUP BY 1, 2, 3) t ON t.interval_start = r.interval_start AND t.queue_id = r.queue_id'
                           ' AND t.channel = coalesce(r.channel, '''')',
                           q_ths, lo, hi, replace(replace(dimwhere, 'r.', 't.'), ' AND t.queue_id IS NOT NULL', ''));
    END IF;
    grp := '1';
    FOR i IN 1 .. cardinality(groupings) LOOP
      grp := grp || ', ' || (i + 1);
    END LOOP;
    parts := parts || (sel || ' WHERE ' || whr || dimwhere || ' GROUP BY ' || grp);
  END LOOP;

  IF cardinality(parts) = 0 THEN
    parts := ARRAY['SELECT NULL::timestamptz AS p' ||
                   (SELECT coalesce(string_agg(format(', NULL::text AS d%s', g), ''), '') FROM generate_series(1, cardinality(groupings)) g) ||
                   (SELECT string_agg(format(', NULL::float8 AS v%1$s', g) || CASE WHEN with_contacts THEN format(', NULL::uuid[] AS i%s', g) ELSE '' END, '')
                      FROM generate_series(1, n) g) || ' WHERE false'];
  END IF;
  -- One source: its rows are the results; several: merged per period and dimensions.
  IF cardinality(parts) = 1 THEN
    outer_vals := ARRAY(SELECT regexp_replace(o, 'max\((u\.[vi][0-9]+)\)', '\1') FROM unnest(outer_vals) o);
    outer_ids := ARRAY(SELECT regexp_replace(o, 'max\((u\.[vi][0-9]+)\)', '\1') FROM unnest(outer_ids) o);
  END IF;
  query := format('SELECT u.p, %s AS pe, %s AS dims, ARRAY[%s]::float8[] AS vals%s'
                  ' FROM (%s) u %s ORDER BY u.p%s',
                  connect_lake.metric_api_period_sql(period, 'u.p', time_zone, from_ts, to_ts),
                  CASE WHEN cardinality(groupings) = 0 THEN '''{}''::jsonb'
                       ELSE 'jsonb_build_object(' || (SELECT string_agg(format('%L, u.d%s', g, o), ', ' ORDER BY o)
                                                        FROM unnest(groupings) WITH ORDINALITY x(g, o)) || ')' END,
                  array_to_string(outer_vals, ', '),
                  CASE WHEN with_contacts THEN ', jsonb_build_array(' || array_to_string(outer_ids, ', ') || ') AS ids' ELSE '' END,
                  array_to_string(parts, ' UNION ALL '),
                  CASE WHEN cardinality(parts) > 1 THEN 'GROUP BY u.p' || (SELECT coalesce(string_agg(format(', u.d%s', g), ''), '')
                                                                         FROM generate_series(1, cardinality(groupings)) g) ELSE '' END,
                  (SELECT coalesce(string_agg(format(', u.d%s', g), ''), '') FROM generate_series(1, cardinality(groupings)) g));
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_api_plan(jsonb, boolean) IS
  'Internal: checks a GetMetricDataV2 request (errors name the field and list what is accepted) and returns the statement that computes it (one row per period and dimension combination: p, pe, dims, vals[, ids]), with the request''s period, range, time zone, groupings and Metric objects. with_contacts: every contact metric read contact by contact, with the contact ids behind each figure.';

-- ---- The API
CREATE FUNCTION connect_lake.metric_api_execute(query text, interval_name text, metrics jsonb)
  RETURNS jsonb
  LANGUAGE c STABLE PARALLEL RESTRICTED
  AS 'MODULE_PATHNAME', 'metric_api_execute';
COMMENT ON FUNCTION connect_lake.metric_api_execute(text, text, jsonb) IS
  'Internal: runs metric_api_plan()''s statement (read-only, as the caller; rows p, pe, dims, vals) and writes the GetMetricDataV2 response: {"MetricResults": [{"Dimensions": dims, "MetricInterval": {"Interval": interval_name, "StartTime": p, "EndTime": pe} (epoch seconds), "Collections": [{"Metric": metrics[j], "Value": vals[j]}]}]} in the rows'' order, no Value where vals[j] is NULL. In C: some 100,000 Collections in milliseconds.';

CREATE FUNCTION connect_lake.get_metric_data_v2(request jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL UNSAFE
AS $fn$
  SELECT connect_lake.metric_api_execute(p.query, p.period, p.metrics) FROM connect_lake.metric_api_plan(request) p
$fn$;
COMMENT ON FUNCTION connect_lake.get_metric_data_v2(jsonb) IS
  'Answers an Amazon Connect GetMetricDataV2 request body from the lake with the API''s response: {"MetricResults": [{"Dimensions", "MetricInterval": {"Interval", "StartTime", "EndTime"} (epoch seconds), "Collections": [{"Metric", "Value"}]}]}, no Value where Amazon''s would be null, no result without data. Groupings and Filters QUEUE, CHANNEL, AGENT, ROUTING_PROFILE, AGENT_HIERARCHY_LEVEL_ONE..FIVE (ids; filters also take ARNs); IntervalPeriod FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL in Interval.TimeZone; Threshold LT/LTE 1..604800; MetricFilters INITIATION_METHOD, DISCONNECT_REASON (Negate). Metric names: metric_api_metric. Any range (Amazon''s limits do not apply); every result in one response. A bad request is an error naming the field.';

-- ---- Reconciliation: a saved response against the lake (spec 6.4)
CREATE FUNCTION connect_lake.metric_canonical_key(metric jsonb) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT coalesce(a.same_as, a.metric_name, metric->>'Name')
           || coalesce((SELECT string_agg('|' || (t->>'Comparison') || '|' || ((t->>'ThresholdValue')::float8)::text, '')
                          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(metric->'Threshold') = 'array'
                                                         THEN metric->'Threshold' ELSE '[]' END) t), '')
           || coalesce((SELECT string_agg('|' || (f->>'MetricFilterKey') || '='
                                          || (SELECT string_agg(DISTINCT v, ',' ORDER BY v)
                                                FROM jsonb_array_elements_text(f->'MetricFilterValues') v)
                                          || CASE WHEN (f->>'Negate')::boolean THEN '|NOT' ELSE '' END, '' ORDER BY o)
                          FROM jsonb_array_elements(coalesce(a.implied_filter, '[]')
                                                    || CASE WHEN jsonb_typeof(metric->'MetricFilters') = 'array'
                                                            THEN metric->'MetricFilters' ELSE '[]' END)
                               WITH ORDINALITY x(f, o)), '')
      FROM (SELECT 1) one
      LEFT JOIN connect_lake.metric_api_metric a ON a.metric_name = metric->>'Name'
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_canonical_key(jsonb) IS
  'The canonical key of a Metric object (spec section 2): NAME (another name resolved to the metric it is), |CMP|X per threshold, |KEY=V1,V2 per metric filter (values sorted; a v1 name''s implied filter first), |NOT when negated. E.g. CONTACTS_HANDLED|INITIATION_METHOD=INBOUND,QUEUE_TRANSFER,TRANSFER.';

CREATE FUNCTION connect_lake.metric_reconcile(response jsonb, time_zone text DEFAULT 'UTC')
RETURNS TABLE (dimensions jsonb, interval_start timestamptz, interval_end timestamptz, metric text, threshold jsonb,
               amazon_value double precision, lake_value double precision, difference double precision,
               within_tolerance boolean, contact_ids uuid[])
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  dim_keys constant text[] := ARRAY['QUEUE', 'CHANNEL', 'AGENT', 'ROUTING_PROFILE', 'AGENT_HIERARCHY_LEVEL_ONE',
                                    'AGENT_HIERARCHY_LEVEL_TWO', 'AGENT_HIERARCHY_LEVEL_THREE',
                                    'AGENT_HIERARCHY_LEVEL_FOUR', 'AGENT_HIERARCHY_LEVEL_FIVE'];
  r        jsonb;
  i        integer;
  periods  text[];
  lo       timestamptz;
  hi       timestamptz;
  grp      text[];
  filters  jsonb;
  mets     jsonb;
  amazon   jsonb;
  pl       record;
BEGIN
  IF response IS NULL OR jsonb_typeof(response) <> 'object' OR jsonb_typeof(response->'MetricResults') IS DISTINCT FROM 'array' THEN
    PERFORM connect_lake.metric_api_error('MetricResults', 'missing or not an array',
      'A saved GetMetricDataV2 response: {"MetricResults": [{"Dimensions", "MetricInterval", "Collections"}]}.', 'metric_reconcile');
  END IF;
  IF jsonb_array_length(response->'MetricResults') = 0 THEN
    RETURN;
  END IF;
  FOR i IN 0 .. jsonb_array_length(response->'MetricResults') - 1 LOOP
    r := response->'MetricResults'->i;
    IF jsonb_typeof(r) <> 'object' OR jsonb_typeof(r->'MetricInterval') IS DISTINCT FROM 'object'
       OR jsonb_typeof(r->'Collections') IS DISTINCT FROM 'array' THEN
      PERFORM connect_lake.metric_api_error(format('MetricResults[%s]', i), 'not a result with MetricInterval and Collections',
        '{"Dimensions": {...}, "MetricInterval": {"Interval", "StartTime", "EndTime"}, "Collections": [{"Metric", "Value"}]}.', 'metric_reconcile');
    END IF;
  END LOOP;
  -- Amazon's side: one row per result and collection (times as epoch or ISO-8601; ids from ARNs)
  SELECT jsonb_agg(jsonb_build_object(
           'dims', (SELECT coalesce(jsonb_object_agg(d.key, CASE WHEN d.key = 'CHANNEL' THEN d.value #>> '{}'
                                                                ELSE connect_lake.metric_api_arn_id(d.value #>> '{}')::text END), '{}')
                      FROM jsonb_each(CASE WHEN jsonb_typeof(x.r->'Dimensions') = 'object' THEN x.r->'Dimensions' ELSE '{}' END) d
                     WHERE d.key = ANY (dim_keys)),
           'p', connect_lake.metric_api_time(x.r->'MetricInterval'->'StartTime', format('MetricResults[%s].MetricInterval.StartTime', x.i - 1), 'metric_reconcile'),
           'pe', connect_lake.metric_api_time(x.r->'MetricInterval'->'EndTime', format('MetricResults[%s].MetricInterval.EndTime', x.i - 1), 'metric_reconcile'),
           'period', coalesce(x.r->'MetricInterval'->>'Interval', 'TOTAL'),
           'metric', jsonb_strip_nulls(jsonb_build_object('Name', c.c->'Metric'->'Name', 'Threshold', c.c->'Metric'->'Threshold',
                                                          'MetricFilters', c.c->'Metric'->'MetricFilters')),
           'value', c.c->'Value') ORDER BY x.i, c.o)
    INTO amazon
    FROM jsonb_array_elements(response->'MetricResults') WITH ORDINALITY x(r, i)
   CROSS JOIN jsonb_array_elements(x.r->'Collections') WITH ORDINALITY c(c, o);
  IF amazon IS NULL THEN
    RETURN;
  END IF;

  -- The request it answered, as far as the response tells: its range, period, groupings, metrics, and
  -- filters on the dimension values it shows.
  SELECT array_agg(DISTINCT a.period), min(a.p), max(a.pe) INTO periods, lo, hi
    FROM jsonb_to_recordset(amazon) a(period text, p timestamptz, pe timestamptz);
  IF cardinality(periods) <> 1 THEN
    PERFORM connect_lake.metric_api_error('MetricResults[].MetricInterval.Interval',
      format('one interval period expected, found %s', array_to_string(periods, ', ')), 'Reconcile one response (one request) at a time.',
      'metric_reconcile');
  END IF;
  SELECT coalesce(array_agg(k ORDER BY o), '{}') INTO grp
    FROM unnest(dim_keys) WITH ORDINALITY u(k, o)
   WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(amazon) a WHERE a->'dims' ? u.k);
  SELECT coalesce(jsonb_agg(jsonb_build_object('FilterKey', k, 'FilterValues',
                                               (SELECT jsonb_agg(DISTINCT a->'dims'->k) FROM jsonb_array_elements(amazon) a
                                                 WHERE a->'dims'->k IS NOT NULL))), '[]')
    INTO filters FROM unnest(grp) k;
  SELECT jsonb_agg(x.m ORDER BY x.o) INTO mets
    FROM (SELECT a->'metric' AS m, min(o) AS o FROM jsonb_array_elements(amazon) WITH ORDINALITY y(a, o) GROUP BY 1) x;
  pl := connect_lake.metric_api_plan(jsonb_build_object(
          'ResourceArn', 'metric_reconcile', 'StartTime', extract(epoch FROM lo), 'EndTime', extract(epoch FROM hi),
          'Interval', jsonb_build_object('IntervalPeriod', periods[1], 'TimeZone', time_zone),
          'Filters', filters, 'Groupings', to_jsonb(grp), 'Metrics', mets), true);

  RETURN QUERY EXECUTE format($q$
    WITH lake AS (
      SELECT x.dims, x.p, x.pe, m.metric, x.vals[m.o] AS value,
             ARRAY(SELECT jsonb_array_elements_text(x.ids->(m.o::int - 1)))::uuid[] AS ids
        FROM (%s) x
       CROSS JOIN jsonb_array_elements($1) WITH ORDINALITY m(metric, o)
    ), def AS (
      SELECT m.metric, coalesce(b.unit, a.unit) AS unit, coalesce(b.value_kind, a.value_kind) AS value_kind,
             coalesce(b.source, a.source) AS source
        FROM jsonb_array_elements($1) m(metric)
        LEFT JOIN connect_lake.metric_api_metric a ON a.metric_name = m.metric->>'Name'
        LEFT JOIN connect_lake.metric_api_metric b ON b.metric_name = a.same_as
    ), amazon AS (
      SELECT a.dims, a.p, a.pe, a.metric, a.value
        FROM jsonb_to_recordset($2) a(dims jsonb, p timestamptz, pe timestamptz, metric jsonb, value float8)
    ), joined AS (
      SELECT coalesce(z.dims, l.dims) AS dims, coalesce(z.p, l.p) AS p, coalesce(z.pe, l.pe) AS pe,
             coalesce(z.metric, l.metric) AS metric, z.value AS amazon_value,
             coalesce(l.value, CASE WHEN d.value_kind IN ('count', 'sum') AND d.source <> 'none' THEN 0 END) AS lake_value,
             coalesce(l.ids, '{}') AS ids, d.unit
        FROM amazon z
        FULL JOIN lake l ON l.dims = z.dims AND l.p = z.p AND l.metric = z.metric
        LEFT JOIN def d ON d.metric = coalesce(z.metric, l.metric)
    )
    SELECT j.dims, j.p, j.pe, connect_lake.metric_canonical_key(j.metric), j.metric->'Threshold',
           j.amazon_value, j.lake_value, j.lake_value - j.amazon_value,
           CASE WHEN j.amazon_value IS NULL OR j.lake_value IS NULL THEN j.amazon_value IS NULL AND j.lake_value IS NULL
                WHEN j.unit = 'SECONDS' THEN abs(j.lake_value - j.amazon_value) <= 1
                WHEN j.unit = 'PERCENT' THEN round(j.lake_value::numeric, 2) = round(j.amazon_value::numeric, 2)
                ELSE j.lake_value = j.amazon_value END,
           j.ids
      FROM joined j
     ORDER BY j.p, j.dims::text, connect_lake.metric_canonical_key(j.metric)$q$, pl.query)
    USING mets, amazon;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_reconcile(jsonb, text) IS
  'Reconciles a saved GetMetricDataV2 response (aws connect get-metric-data-v2 output: epoch or ISO-8601 times) with the lake (spec 6.4): per dimension combination, interval and metric (canonical key), Amazon''s value, the lake''s recomputed the same way (range and period from the MetricIntervals, groupings from the Dimensions keys, filtered to the dimension values shown; days and weeks in time_zone, default UTC), the difference (lake - Amazon), whether it is within tolerance (counts exact, seconds within 1 s, percentages equal to 2 decimals) and the contact ids behind the lake''s figure. A row Amazon has and the lake not (or the reverse) is shown with the other side NULL (0 for the lake''s counts and sums).';

-- What 99_grants.sql gives every table and view of a fresh lake.
GRANT SELECT ON connect_lake.metric_api_metric, connect_lake.metric_api_dimension, connect_lake.metric_api_rollup_filter
  TO connect_lake_reader, connect_lake_loader;

-- ==== Metrics dashboard (issue 12, mgen): the daily metric views read the
-- time zone once and make every day's rows before a filter on day applies
-- (as sql/install/90_metrics.sql defines them).
CREATE OR REPLACE VIEW connect_lake.queue_metrics_daily AS
  SELECT s.day, d.*
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         LATERAL (SELECT generate_series((min(r.interval_start) AT TIME ZONE z.tz)::date,
                                         (max(r.interval_start) AT TIME ZONE z.tz)::date, interval '1 day')::date AS day
                    FROM connect_lake.metric_queue_interval r) s,
         LATERAL connect_lake.queue_metrics_daily(s.day, s.day) d;
CREATE OR REPLACE VIEW connect_lake.agent_metrics_daily AS
  SELECT s.day, d.*
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         LATERAL (SELECT generate_series((min(r.interval_start) AT TIME ZONE z.tz)::date,
                                         (max(r.interval_start) AT TIME ZONE z.tz)::date, interval '1 day')::date AS day
                    FROM connect_lake.metric_agent_interval r) s,
         LATERAL connect_lake.agent_metrics_daily(s.day, s.day) d;


-- ==== Flow tables kept as logs and CTRs land (issue 13, upkeep2): the writers' upkeep
-- at commit calls flows_logs_landed() and flows_ctrs_landed() (sql/install/94_flows.sql);
-- ctr_landed() is gone (the upkeep calls metrics_refresh_contacts() and
-- contact_repeat_refresh() itself).

-- flows_refresh_days() over runs of consecutive days, a week at most each (as
-- flows_refresh()): a list with gaps read as one range would read every log
-- in between (the days of one contact's legs, or of a customer's contacts
-- over years).
CREATE FUNCTION connect_lake.flows_refresh_day_runs(days date[]) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  run  date[] := '{}';
  n    integer := 0;
  d    date;
BEGIN
  FOR d IN SELECT DISTINCT x FROM unnest(days) x WHERE x IS NOT NULL ORDER BY 1 LOOP
    IF cardinality(run) > 0 AND (d <> run[cardinality(run)] + 1 OR cardinality(run) = 7) THEN
      n := n + connect_lake.flows_refresh_days(run);
      run := '{}';
    END IF;
    run := run || d;
  END LOOP;
  IF cardinality(run) > 0 THEN
    n := n + connect_lake.flows_refresh_days(run);
  END IF;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.flows_refresh_day_runs(date[]) IS
  'Internal: flows_refresh_days() over the local days given, a run of consecutive days (a week at most) at a time, so that days far apart never read the logs in between; returns the contacts summarised (the writers'' upkeep, the erasure).';

CREATE FUNCTION connect_lake.flows_logs_landed(contact_ids uuid[], first_ts timestamptz[], last_ts timestamptz[])
RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  tz     text := connect_lake.lake_time_zone();
  days   date[];
BEGIN
  -- The days whose contacts these events can change: the day each contact
  -- was summarised on, and each day around its events it now starts on (a
  -- block that day and none the day before: flows_refresh_days()'s rule).
  WITH t AS (
    SELECT u.id, (u.f AT TIME ZONE tz)::date AS df, (u.l AT TIME ZONE tz)::date AS dl
      FROM unnest(contact_ids, first_ts, last_ts) AS u(id, f, l)
  ), b AS (
    SELECT DISTINCT t.id, t.df, (f."timestamp" AT TIME ZONE tz)::date AS d
      FROM t
      JOIN connect_lake.contact_flow_log f
        ON f.contactid = t.id
       AND f."timestamp" >= ((t.df - 2)::timestamp AT TIME ZONE tz)
       AND f."timestamp" < ((t.dl + 1)::timestamp AT TIME ZONE tz)
  )
  SELECT ARRAY(SELECT x.day FROM (SELECT b.d AS day FROM b
                                   WHERE b.d >= b.df - 1
                                     AND NOT EXISTS (SELECT FROM b p WHERE p.id = b.id AND p.d = b.d - 1)
                                  UNION
                                  SELECT p.day FROM connect_lake.contact_flow_path p
                                   WHERE p.contactid = ANY (contact_ids)) x
                ORDER BY 1)
    INTO days;
  RETURN connect_lake.flows_refresh_day_runs(days);
END
$fn$;
COMMENT ON FUNCTION connect_lake.flows_logs_landed(uuid[], timestamptz[], timestamptz[]) IS
  'The writers'' upkeep at the commit of a transaction that wrote flow log events (load(), ingest(), ingest_batch(); off with connect_lake.flows_upkeep): given each contact with its first and last event written, rebuilds (flows_refresh_days()) exactly the local days whose contacts those events can change: the day each contact was summarised on and the day it now starts on. Returns the contacts summarised (loader role).';

CREATE FUNCTION connect_lake.flows_ctrs_landed(contact_ids uuid[]) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  dy  date;
  n   integer;
BEGIN
  -- The flows' lock, alone, to the end of the transaction, before any path
  -- is read: a flow log writer's rebuild of a day (flows_refresh_days(),
  -- which shares it) may be writing these contacts' paths from CTRs read
  -- before this transaction's committed; its rows, once committed, are
  -- corrected here.  (Side by side, the rebuild read no CTR and this found
  -- no path: has_ctr stayed false; test/specs/flows_upkeep_ctr_race.spec.)
  -- The repeats' lock first (contact_repeat_refresh(), which a CTR writer's
  -- upkeep took already unless connect_lake.repeats_upkeep is off): the
  -- erasure check after this may rebuild repeat chains, and the writers'
  -- locks are always taken in one order, the metrics', the repeats', the
  -- flows'.
  PERFORM pg_advisory_xact_lock(1131164272, 0);
  PERFORM pg_advisory_xact_lock(1131169349, 0);
  FOREACH dy IN ARRAY ARRAY(SELECT DISTINCT p.day FROM connect_lake.contact_flow_path p
                             WHERE p.contactid = ANY (contact_ids) ORDER BY 1) LOOP
    PERFORM pg_advisory_xact_lock(1131169348, dy - date '2000-01-01');
  END LOOP;
  -- each contact's outcome as flows_refresh_days() computes it, against the
  -- one kept (on Citus, over a copy of the CTRs, which distribute() points
  -- the statement at: citus_swap_functions())
  IF connect_lake.is_distributed() THEN
    PERFORM connect_lake.citus_fact_rows('connect_lake.ctr_events', 'connect_lake_flow_ctrs', 'f.contactid = ANY ($1)',
                                         contact_ids);
  END IF;
  WITH o AS (
    SELECT p.contactid, p.day, p.entry_flow_id, p.last_flow_id, p.last_identifier, p.last_module_type,
           p.has_ctr AS old_has_ctr, p.queued AS old_queued, p.agent AS old_agent,
           p.transferred AS old_transferred, p.ivr_abandoned AS old_ivr_abandoned, p.contained AS old_contained,
           c.contactid IS NOT NULL AS has_ctr, x.queued, x.agent, x.transferred,
           connect_lake.flow_ivr_abandoned(x.queued, x.agent, c.disconnectreason, p.last_module_type) AS ivr_abandoned
      FROM connect_lake.contact_flow_path p
      LEFT JOIN LATERAL (SELECT * FROM connect_lake.ctr_events e WHERE e.contactid = p.contactid
                          ORDER BY e.lastupdatetimestamp DESC NULLS LAST LIMIT 1) c ON true
      LEFT JOIN LATERAL (SELECT connect_lake.metric_queued(c.queue_enqueuetimestamp) AS queued,
                                connect_lake.metric_handled(c.agent_connectedtoagentts) AS agent,
                                (c.nextcontactid IS NOT NULL OR c.transfercompletedtimestamp IS NOT NULL) AS transferred
                          WHERE c.contactid IS NOT NULL) x ON true
     WHERE p.contactid = ANY (contact_ids)
  ), ch AS (
    SELECT o.*, connect_lake.flow_contained(o.queued, o.agent, o.ivr_abandoned, o.transferred) AS contained,
           CASE WHEN NOT o.old_has_ctr THEN 'unknown' WHEN o.old_queued OR o.old_agent THEN 'queue'
                WHEN o.old_ivr_abandoned THEN 'hang_up' ELSE 'ended' END AS old_exit,
           CASE WHEN NOT o.has_ctr THEN 'unknown' WHEN o.queued OR o.agent THEN 'queue'
                WHEN o.ivr_abandoned THEN 'hang_up' ELSE 'ended' END AS new_exit
      FROM o
     WHERE (o.old_has_ctr, o.old_queued, o.old_agent, o.old_transferred, o.old_ivr_abandoned, o.old_contained)
           IS DISTINCT FROM
           (o.has_ctr, o.queued, o.agent, o.transferred, o.ivr_abandoned,
            connect_lake.flow_contained(o.queued, o.agent, o.ivr_abandoned, o.transferred))
  ), path AS (
    UPDATE connect_lake.contact_flow_path p
       SET has_ctr = ch.has_ctr, queued = ch.queued, agent = ch.agent, transferred = ch.transferred,
           ivr_abandoned = ch.ivr_abandoned, contained = ch.contained
      FROM ch WHERE p.contactid = ch.contactid
    RETURNING 1
  ), entry AS (
    UPDATE connect_lake.flow_entry_day e
       SET with_ctr = e.with_ctr + s.with_ctr, contained = e.contained + s.contained,
           ivr_abandoned = e.ivr_abandoned + s.ivr_abandoned, queued = e.queued + s.queued,
           agent = e.agent + s.agent, transferred = e.transferred + s.transferred
      FROM (SELECT ch.day, ch.entry_flow_id,
                   sum(ch.has_ctr::integer - ch.old_has_ctr::integer) AS with_ctr,
                   sum((ch.contained IS TRUE)::integer - (ch.old_contained IS TRUE)::integer) AS contained,
                   sum((ch.ivr_abandoned IS TRUE)::integer - (ch.old_ivr_abandoned IS TRUE)::integer) AS ivr_abandoned,
                   sum((ch.queued IS TRUE)::integer - (ch.old_queued IS TRUE)::integer) AS queued,
                   sum((ch.agent IS TRUE)::integer - (ch.old_agent IS TRUE)::integer) AS agent,
                   sum((ch.transferred IS TRUE)::integer - (ch.old_transferred IS TRUE)::integer) AS transferred
              FROM ch GROUP BY ch.day, ch.entry_flow_id) s
     WHERE e.day = s.day AND e.entry_flow_id IS NOT DISTINCT FROM s.entry_flow_id
    RETURNING 1
  ), block AS (
    -- the contact's last block: where it left the flow, by its CTR
    UPDATE connect_lake.flow_block_day b
       SET exits_queue = b.exits_queue + s.exits_queue, exits_hang_up = b.exits_hang_up + s.exits_hang_up,
           exits_ended = b.exits_ended + s.exits_ended, exits_unknown = b.exits_unknown + s.exits_unknown
      FROM (SELECT ch.day, ch.last_flow_id, ch.last_identifier, ch.last_module_type,
                   sum((ch.new_exit = 'queue')::integer - (ch.old_exit = 'queue')::integer) AS exits_queue,
                   sum((ch.new_exit = 'hang_up')::integer - (ch.old_exit = 'hang_up')::integer) AS exits_hang_up,
                   sum((ch.new_exit = 'ended')::integer - (ch.old_exit = 'ended')::integer) AS exits_ended,
                   sum((ch.new_exit = 'unknown')::integer - (ch.old_exit = 'unknown')::integer) AS exits_unknown
              FROM ch GROUP BY ch.day, ch.last_flow_id, ch.last_identifier, ch.last_module_type) s
     WHERE b.day = s.day AND b.flow_id IS NOT DISTINCT FROM s.last_flow_id
       AND b.identifier IS NOT DISTINCT FROM s.last_identifier
       AND b.module_type IS NOT DISTINCT FROM s.last_module_type
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM path) INTO n;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.flows_ctrs_landed(uuid[]) IS
  'The writers'' upkeep at the commit of a transaction that landed CTRs (off with connect_lake.flows_upkeep): the outcome of those contacts in contact_flow_path (queued, agent, transferred, abandoned in the IVR, contained: they read the CTR) as flows_refresh_days() computes it, and the counts of flow_entry_day and the exits of flow_block_day moved with it, for the contacts whose outcome changed (a CTR landing after its flow logs). Returns the contacts changed (loader role).';
REVOKE ALL ON FUNCTION connect_lake.flows_logs_landed(uuid[], timestamptz[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.flows_refresh_day_runs(date[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.flows_ctrs_landed(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.flows_logs_landed(uuid[], timestamptz[], timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.flows_refresh_day_runs(date[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.flows_ctrs_landed(uuid[]) TO connect_lake_loader;


-- ==== Personal data (issue 14, pii): how customers' phone numbers and the
-- contact attributes the DBA names are stored (as sql/install/25_pii.sql
-- defines them, with their privileges as 99_grants.sql gives them).  0.1.0
-- stored them as they came, which the default (no pii_config row: raw) keeps.
-- Raw values, when the DBA keeps them (pii_config.keep_raw), are readable
-- by this role only.
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'connect_lake_pii_reader') THEN
    CREATE ROLE connect_lake_pii_reader NOLOGIN;
    COMMENT ON ROLE connect_lake_pii_reader IS 'connect_lake: may read customers'' raw personal values kept beside their digests (pii_value.raw) and look numbers up (pii_stored_value()).';
  END IF;
END
$roles$;

-- The setting: at most one row, none meaning raw (the DBA's: dumped).
CREATE TABLE connect_lake.pii_config (
  id             boolean PRIMARY KEY DEFAULT true CHECK (id),
  storage        text NOT NULL DEFAULT 'raw' CHECK (storage IN ('raw', 'hash', 'hash_keep_country')),
  keep_raw       boolean NOT NULL DEFAULT false,
  attribute_keys text[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE connect_lake.pii_config IS
  'How customers'' personal values are stored as they land (at most one row; none: raw): CTR CustomerEndpoint.Address and TransferredToEndpoint.Address, a contact event''s detail.customerEndpoint.address, and the contact attributes named in attribute_keys (with the attributes_* columns they fill). Applies to rows landed from then on; rows already in the lake keep their form.';
COMMENT ON COLUMN connect_lake.pii_config.id IS 'Always true: the table holds one row at most.';
COMMENT ON COLUMN connect_lake.pii_config.storage IS 'raw: as they come; hash: ''hmac:'' and the first 128 bits of HMAC-SHA256(pii_secret, value) in hex; hash_keep_country: the same after an E.164 number''s country code and a space (''+44 hmac:...''). Hashing needs a secret in pii_secret: without one the writers refuse to land.';
COMMENT ON COLUMN connect_lake.pii_config.keep_raw IS 'With a hashing storage: also keep each raw value in pii_value, readable only by connect_lake_pii_reader (analysts read its masked display).';
COMMENT ON COLUMN connect_lake.pii_config.attribute_keys IS 'Contact attribute keys whose values are personal (e.g. {callerPhone}): matched spelt exactly or any way that flattens to the same name (ctr_attribute_column()); an attributes_* column filled from one is stored alike (an integer one is left NULL).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.pii_config', '');

-- The secret: no grant to anyone; the writers read it as its owner (C).
CREATE TABLE connect_lake.pii_secret (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  secret  text NOT NULL,
  set_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE connect_lake.pii_secret IS
  'The lake''s HMAC secret (one row): readable by its owner (a superuser) only, not by connect_lake_reader, connect_lake_loader or connect_lake_pii_reader; the writers read it in C. Keep it once set: another secret gives every value another digest. pg_dump by a superuser includes it, so that a restored lake matches its digests.';
COMMENT ON COLUMN connect_lake.pii_secret.id IS 'Always true: the table holds one row at most.';
COMMENT ON COLUMN connect_lake.pii_secret.secret IS 'The HMAC-SHA256 key (its UTF-8 bytes); at least 32 random bytes, e.g. encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea), ''hex''). Empty counts as missing.';
COMMENT ON COLUMN connect_lake.pii_secret.set_at IS 'When the secret was stored.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.pii_secret', '');

-- Writers cache the setting and the secret per session; editing them tells
-- every session (config_changed(), 00_schema.sql).
CREATE TRIGGER pii_config_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.pii_config
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.config_changed();
CREATE TRIGGER pii_secret_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.pii_secret
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.config_changed();

-- Raw values kept beside their digests (keep_raw), written by the writers.
CREATE TABLE connect_lake.pii_value (
  stored        text PRIMARY KEY,
  raw           text NOT NULL,
  masked        text NOT NULL,
  first_landed  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE connect_lake.pii_value IS
  'Raw personal values kept with pii_config.keep_raw, one row per stored form (digest): raw readable only by connect_lake_pii_reader; analysts read stored and masked (pii_display() shows each role its form).';
COMMENT ON COLUMN connect_lake.pii_value.stored IS 'The value as the lake''s tables hold it (pii_stored_value() of raw).';
COMMENT ON COLUMN connect_lake.pii_value.raw IS 'The value as it came (connect_lake_pii_reader only).';
COMMENT ON COLUMN connect_lake.pii_value.masked IS 'The masked display (pii_mask(raw)): ''+44*******123''.';
COMMENT ON COLUMN connect_lake.pii_value.first_landed IS 'When the value first landed hashed.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.pii_value', '');

CREATE VIEW connect_lake.pii_settings AS
  SELECT coalesce(c.storage, 'raw') AS storage,
         coalesce(c.keep_raw, false) AS keep_raw,
         coalesce(c.attribute_keys, '{}') AS attribute_keys,
         EXISTS (SELECT 1 FROM connect_lake.pii_secret s WHERE s.secret <> '') AS secret_set
    FROM (VALUES (true)) AS one (id)
    LEFT JOIN connect_lake.pii_config c ON c.id;
COMMENT ON VIEW connect_lake.pii_settings IS
  'The personal data setting in force (pii_config, or its defaults) and whether the lake has a secret (never the secret itself).';
COMMENT ON COLUMN connect_lake.pii_settings.storage IS 'raw, hash or hash_keep_country.';
COMMENT ON COLUMN connect_lake.pii_settings.keep_raw IS 'Whether raw values are kept in pii_value.';
COMMENT ON COLUMN connect_lake.pii_settings.attribute_keys IS 'The contact attribute keys stored alike.';
COMMENT ON COLUMN connect_lake.pii_settings.secret_set IS 'Whether pii_secret holds a non-empty secret (hashing refuses to land without one).';

CREATE FUNCTION connect_lake.pii_stored_value(value text) RETURNS text
  AS 'MODULE_PATHNAME', 'pii_stored_value'
  LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION connect_lake.pii_stored_value(text) IS
  'The form in which the lake stores a personal value under the setting in force (pii_config): the value itself when raw, else its keyed digest; to look a number up exactly: WHERE customerendpoint_address = connect_lake.pii_stored_value(''+447700900123''). Refuses when hashing without a secret. connect_lake_pii_reader only: whoever can compute digests can test guessed numbers.';

CREATE FUNCTION connect_lake.pii_stored_forms(value text) RETURNS text[]
  AS 'MODULE_PATHNAME', 'pii_stored_forms'
  LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION connect_lake.pii_stored_forms(text) IS
  'Every form the lake may hold a personal value in, whatever the setting was when a row landed: the value as it came and, when the lake has a secret, its digest under hash and under hash_keep_country; for erasure and look-ups across a change of setting: WHERE customerendpoint_address = ANY (connect_lake.pii_stored_forms(''+447700900123'')). connect_lake_pii_reader only.';

-- The lake's one keyed hash: the stored forms above and the erasure list's
-- digests (86_erasure.sql) are HMAC-SHA256 with this one secret.
CREATE FUNCTION connect_lake.lake_hmac(value text) RETURNS bytea
  AS 'MODULE_PATHNAME', 'lake_hmac'
  LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION connect_lake.lake_hmac(text) IS
  'HMAC-SHA256 of a text''s UTF-8 bytes keyed with the lake''s secret (pii_secret), all 32 bytes; NULL while the lake has no secret. The one keyed hash of the lake: pii_stored_value() is ''hmac:'' and its first 16 bytes in hex, erasure_digest() is that of kind:value. Owner only: whoever can compute digests can test guessed values.';

CREATE FUNCTION connect_lake.pii_mask(value text) RETURNS text
  AS 'MODULE_PATHNAME', 'pii_mask'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.pii_mask(text) IS
  'The masked display of a personal value: an E.164 number''s country code and, of a value longer than 6 characters, its last 3 characters kept, every other character *: pii_mask(''+447700900123'') = ''+44*******123''.';

CREATE FUNCTION connect_lake.pii_display(stored text) RETURNS text
  LANGUAGE plpgsql STABLE STRICT
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  shown text;
BEGIN
  IF pg_catalog.has_column_privilege('connect_lake.pii_value', 'raw', 'SELECT') THEN
    SELECT v.raw INTO shown FROM connect_lake.pii_value v WHERE v.stored = pii_display.stored;
    RETURN coalesce(shown, stored);
  END IF;
  SELECT v.masked INTO shown FROM connect_lake.pii_value v WHERE v.stored = pii_display.stored;
  -- a digest with no raw value kept stays the digest; a raw value (storage raw) is masked
  RETURN coalesce(shown, CASE WHEN stored ~ '^(\+[0-9]{1,3} )?hmac:[0-9a-f]{32}$' THEN stored
                              ELSE connect_lake.pii_mask(stored) END);
END
$fn$;
COMMENT ON FUNCTION connect_lake.pii_display(text) IS
  'A stored personal value as the caller may see it: the raw value kept in pii_value for connect_lake_pii_reader, the masked display for everyone else (a value landed raw is masked; a digest with nothing kept stays the digest): SELECT connect_lake.pii_display(customerendpoint_address) FROM connect_lake.ctr_events.';

-- What 99_grants.sql gives these tables and functions on a fresh lake.
GRANT SELECT ON connect_lake.pii_config, connect_lake.pii_secret, connect_lake.pii_value, connect_lake.pii_settings
  TO connect_lake_reader, connect_lake_loader;
REVOKE ALL ON connect_lake.pii_secret FROM connect_lake_reader, connect_lake_loader;
REVOKE ALL ON connect_lake.pii_value FROM connect_lake_reader, connect_lake_loader;
GRANT SELECT (stored, masked, first_landed) ON connect_lake.pii_value TO connect_lake_reader, connect_lake_loader;
GRANT INSERT ON connect_lake.pii_value TO connect_lake_loader;
GRANT SELECT ON connect_lake.pii_value, connect_lake.pii_config, connect_lake.pii_settings TO connect_lake_pii_reader;
REVOKE ALL ON FUNCTION connect_lake.pii_stored_value(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.pii_stored_value(text) TO connect_lake_pii_reader;
REVOKE ALL ON FUNCTION connect_lake.pii_stored_forms(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.pii_stored_forms(text) TO connect_lake_pii_reader;
REVOKE ALL ON FUNCTION connect_lake.lake_hmac(text) FROM PUBLIC;


-- ==== Customer Profiles (issue 14, profiles): the record kind
-- customer_profile_event, customer_profile, customer_profile_history,
-- customer_profile_merge, contact_profile, the view customer
-- (sql/install/65_customer_profiles.sql); contact_case and the journeys use
-- the profile links (80_views.sql, 93_journeys.sql).
CREATE TYPE connect_lake.customer_profile_event AS (
  event_id                   text,
  eventtimestamp             timestamptz,
  event_type                 text,
  object_type                text,
  profile_id                 text,
  domain_name                text,
  schema_version             text,
  profile_object_unique_key  text,
  is_message_realtime        boolean,
  merge_id                   text,
  duplicate_profiles         jsonb,
  account                    bigint,
  contactid                  uuid,
  object                     jsonb,
  extra                      jsonb,
  source_file                text,
  source_offset              bigint,
  landed_at                  timestamptz
);
COMMENT ON TYPE connect_lake.customer_profile_event IS
  'One Customer Profiles stream event as typed columns: the row type of customer_profile_events and the result of customer_profile_event_parse().';

CREATE TABLE connect_lake.customer_profile_events OF connect_lake.customer_profile_event (
  event_id        WITH OPTIONS NOT NULL,
  eventtimestamp  WITH OPTIONS NOT NULL,
  landed_at       WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE (eventtimestamp);

INSERT INTO connect_lake.fact_table VALUES
  ('customer_profile_events', '{event_id,eventtimestamp}', 'PRIMARY KEY',
   ARRAY['(profile_id, eventtimestamp)', '(contactid) WHERE contactid IS NOT NULL',
         '(account) WHERE account IS NOT NULL']::text[]);

COMMENT ON TABLE connect_lake.customer_profile_events IS
  'Customer Profiles event stream: one row per change of a profile or of an object (_profile, CTR, custom types), de-duplicated by event id; an object type the lake does not know lands too, its Object kept as JSON. Monthly partitions on eventtimestamp (UTC).';
COMMENT ON COLUMN connect_lake.customer_profile_events.event_id IS 'EventId.';
COMMENT ON COLUMN connect_lake.customer_profile_events.eventtimestamp IS 'EventTimestamp (partition key).';
COMMENT ON COLUMN connect_lake.customer_profile_events.event_type IS 'EventType: CREATED, UPDATED, MERGED (upper case).';
COMMENT ON COLUMN connect_lake.customer_profile_events.object_type IS 'ObjectTypeName: _profile (Object is the profile), CTR (a contact associated with the profile) or a custom object type.';
COMMENT ON COLUMN connect_lake.customer_profile_events.profile_id IS 'AssociatedProfileId, else Object.ProfileId: the profile the event belongs to (for MERGED, the surviving profile).';
COMMENT ON COLUMN connect_lake.customer_profile_events.domain_name IS 'DomainName: the Customer Profiles domain.';
COMMENT ON COLUMN connect_lake.customer_profile_events.schema_version IS 'SchemaVersion.';
COMMENT ON COLUMN connect_lake.customer_profile_events.profile_object_unique_key IS 'ProfileObjectUniqueKey: the object''s key within its object type.';
COMMENT ON COLUMN connect_lake.customer_profile_events.is_message_realtime IS 'IsMessageRealTime: false for back-fill and re-sync deliveries.';
COMMENT ON COLUMN connect_lake.customer_profile_events.merge_id IS 'MergeId of a MERGED event.';
COMMENT ON COLUMN connect_lake.customer_profile_events.duplicate_profiles IS 'DuplicateProfiles of a MERGED event as JSON: the profiles merged into profile_id (ids, or profiles with ProfileId).';
COMMENT ON COLUMN connect_lake.customer_profile_events.account IS 'Object.AccountNumber as an integer; NULL when it is not one (Object keeps it, and load() and ingest_batch() count it in values_nulled).';
COMMENT ON COLUMN connect_lake.customer_profile_events.contactid IS 'Object.ContactId (or _ctrContactId) of a CTR object: the contact associated with the profile; NULL when not a UUID.';
COMMENT ON COLUMN connect_lake.customer_profile_events.object IS 'Object as JSON, whole: the profile, the CTR or the custom object after the change.';
COMMENT ON COLUMN connect_lake.customer_profile_events.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile_events.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.customer_profile_events.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.customer_profile_events.landed_at IS 'When the row landed in the lake.';

CREATE FUNCTION connect_lake.customer_profile_event_parse(doc jsonb) RETURNS connect_lake.customer_profile_event
  AS 'MODULE_PATHNAME', 'customer_profile_event_parse_jsonb'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.customer_profile_event_parse(jsonb) IS
  'One Customer Profiles stream event (jsonb) as a typed connect_lake.customer_profile_event row: profile id, account, a CTR object''s contact id as columns, Object whole as JSON; landed_at left NULL (the writer fills it).';

CREATE FUNCTION connect_lake.customer_profile_event_parse(doc text) RETURNS connect_lake.customer_profile_event
  AS 'MODULE_PATHNAME', 'customer_profile_event_parse_text'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.customer_profile_event_parse(text) IS
  'One Customer Profiles stream event as raw JSON text (as it lies in a file, read the way load() reads it) as a typed connect_lake.customer_profile_event row.';

-- The profile id of a profile ARN (arn:aws:profile:<region>:<account>:
-- domains/<domain>/profiles/<id>) or of a bare id: its last segment, trimmed
-- (in C, issue #15; see 65_customer_profiles.sql).
CREATE FUNCTION connect_lake.profile_arn_id(arn text) RETURNS text
  AS 'MODULE_PATHNAME', 'profile_arn_id'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.profile_arn_id(text) IS
  'The profile id of a Customer Profiles ARN (its last segment, e.g. of a case''s customer_id) or of a bare profile id; NULL when empty.';

-- ---- What customer_profile_refresh() keeps

CREATE TABLE connect_lake.customer_profile (
  profile_id               text PRIMARY KEY,
  domain_name              text,
  account_number           text,
  account                  bigint,
  party_type               text,
  business_name            text,
  first_name               text,
  middle_name              text,
  last_name                text,
  birth_date               text,
  gender                   text,
  phone_number             text,
  mobile_phone_number      text,
  home_phone_number        text,
  business_phone_number    text,
  email_address            text,
  personal_email_address   text,
  business_email_address   text,
  additional_information   text,
  address                  jsonb,
  shipping_address         jsonb,
  mailing_address          jsonb,
  billing_address          jsonb,
  attributes               jsonb,
  merged_into              text,
  first_event              timestamptz NOT NULL,
  last_event               timestamptz NOT NULL,
  events                   integer NOT NULL,
  last_profile_event_id    text
);
CREATE INDEX customer_profile_account_idx ON connect_lake.customer_profile (account) WHERE account IS NOT NULL;
CREATE INDEX customer_profile_merged_into_idx ON connect_lake.customer_profile (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX customer_profile_phone_idx ON connect_lake.customer_profile (phone_number) WHERE phone_number IS NOT NULL;
CREATE INDEX customer_profile_mobile_phone_idx ON connect_lake.customer_profile (mobile_phone_number) WHERE mobile_phone_number IS NOT NULL;
CREATE INDEX customer_profile_home_phone_idx ON connect_lake.customer_profile (home_phone_number) WHERE home_phone_number IS NOT NULL;
CREATE INDEX customer_profile_business_phone_idx ON connect_lake.customer_profile (business_phone_number) WHERE business_phone_number IS NOT NULL;
COMMENT ON TABLE connect_lake.customer_profile IS
  'The latest state of every profile the event stream named: the standard fields of its latest _profile event (by EventTimestamp, whatever order events came in), typed; merged_into names the survivor of a merged profile. Kept by customer_profile_refresh(), which the writers call as profile events land.';
COMMENT ON COLUMN connect_lake.customer_profile.profile_id IS 'ProfileId.';
COMMENT ON COLUMN connect_lake.customer_profile.domain_name IS 'The Customer Profiles domain of its latest _profile event.';
COMMENT ON COLUMN connect_lake.customer_profile.account_number IS 'AccountNumber as the profile holds it.';
COMMENT ON COLUMN connect_lake.customer_profile.account IS 'AccountNumber as an integer, as case_events.account and contact_account.account; NULL when it is not one.';
COMMENT ON COLUMN connect_lake.customer_profile.party_type IS 'PartyType (else PartyTypeString): INDIVIDUAL, BUSINESS, OTHER.';
COMMENT ON COLUMN connect_lake.customer_profile.business_name IS 'BusinessName.';
COMMENT ON COLUMN connect_lake.customer_profile.first_name IS 'FirstName.';
COMMENT ON COLUMN connect_lake.customer_profile.middle_name IS 'MiddleName.';
COMMENT ON COLUMN connect_lake.customer_profile.last_name IS 'LastName.';
COMMENT ON COLUMN connect_lake.customer_profile.birth_date IS 'BirthDate as the profile holds it.';
COMMENT ON COLUMN connect_lake.customer_profile.gender IS 'Gender (else GenderString).';
COMMENT ON COLUMN connect_lake.customer_profile.phone_number IS 'PhoneNumber.';
COMMENT ON COLUMN connect_lake.customer_profile.mobile_phone_number IS 'MobilePhoneNumber.';
COMMENT ON COLUMN connect_lake.customer_profile.home_phone_number IS 'HomePhoneNumber.';
COMMENT ON COLUMN connect_lake.customer_profile.business_phone_number IS 'BusinessPhoneNumber.';
COMMENT ON COLUMN connect_lake.customer_profile.email_address IS 'EmailAddress.';
COMMENT ON COLUMN connect_lake.customer_profile.personal_email_address IS 'PersonalEmailAddress.';
COMMENT ON COLUMN connect_lake.customer_profile.business_email_address IS 'BusinessEmailAddress.';
COMMENT ON COLUMN connect_lake.customer_profile.additional_information IS 'AdditionalInformation.';
COMMENT ON COLUMN connect_lake.customer_profile.address IS 'Address {Address1..4, City, County, State, Province, Country, PostalCode} as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile.shipping_address IS 'ShippingAddress as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile.mailing_address IS 'MailingAddress as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile.billing_address IS 'BillingAddress as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile.attributes IS 'Attributes: the profile''s custom string map, as JSON.';
COMMENT ON COLUMN connect_lake.customer_profile.merged_into IS 'For a profile merged into another: the surviving profile, at the end of a chain of merges (customer_profile_survivor()); NULL for a profile that survives.';
COMMENT ON COLUMN connect_lake.customer_profile.first_event IS 'EventTimestamp of its first event.';
COMMENT ON COLUMN connect_lake.customer_profile.last_event IS 'EventTimestamp of its latest event.';
COMMENT ON COLUMN connect_lake.customer_profile.events IS 'Events of the profile in the lake (every object type).';
COMMENT ON COLUMN connect_lake.customer_profile.last_profile_event_id IS 'EventId of the _profile event the standard fields come from; NULL when the profile has only objects (e.g. CTR objects) so far.';

CREATE TABLE connect_lake.customer_profile_history (
  profile_id       text NOT NULL,
  eventtimestamp   timestamptz NOT NULL,
  event_id         text NOT NULL,
  event_type       text,
  object_type      text,
  changed_fields   text[],
  merge_id         text,
  merged_profiles  text[],
  PRIMARY KEY (profile_id, eventtimestamp, event_id)
);
COMMENT ON TABLE connect_lake.customer_profile_history IS
  'Every change of a profile in time order: one row per event of the profile, with the Object keys it changed (against the previous event of the same object) and, for a merge, the profiles merged in. The values are in customer_profile_events (by event_id). Kept by customer_profile_refresh().';
COMMENT ON COLUMN connect_lake.customer_profile_history.profile_id IS 'The profile.';
COMMENT ON COLUMN connect_lake.customer_profile_history.eventtimestamp IS 'EventTimestamp of the change.';
COMMENT ON COLUMN connect_lake.customer_profile_history.event_id IS 'EventId: the event in customer_profile_events.';
COMMENT ON COLUMN connect_lake.customer_profile_history.event_type IS 'CREATED, UPDATED or MERGED.';
COMMENT ON COLUMN connect_lake.customer_profile_history.object_type IS 'ObjectTypeName: _profile, CTR or a custom object type.';
COMMENT ON COLUMN connect_lake.customer_profile_history.changed_fields IS 'The keys of Object whose value differs from the previous event of the same object (same type and unique key); every key for its first event.';
COMMENT ON COLUMN connect_lake.customer_profile_history.merge_id IS 'MergeId of a merge.';
COMMENT ON COLUMN connect_lake.customer_profile_history.merged_profiles IS 'For a merge: the profiles merged into this one.';

CREATE TABLE connect_lake.customer_profile_merge (
  duplicate_profile_id  text NOT NULL,
  survivor_profile_id   text NOT NULL,
  merge_id              text,
  merged_at             timestamptz NOT NULL,
  event_id              text NOT NULL,
  applied               boolean NOT NULL DEFAULT false,
  PRIMARY KEY (duplicate_profile_id, survivor_profile_id)
);
CREATE INDEX customer_profile_merge_survivor_idx ON connect_lake.customer_profile_merge (survivor_profile_id);
COMMENT ON TABLE connect_lake.customer_profile_merge IS
  'Who was merged into whom: one row per profile a MERGED event names as a duplicate of its surviving profile. A duplicate the lake has not seen yet is recorded (applied false) and merged when its events arrive.';
COMMENT ON COLUMN connect_lake.customer_profile_merge.duplicate_profile_id IS 'The profile merged away.';
COMMENT ON COLUMN connect_lake.customer_profile_merge.survivor_profile_id IS 'The profile it was merged into (the MERGED event''s profile).';
COMMENT ON COLUMN connect_lake.customer_profile_merge.merge_id IS 'MergeId.';
COMMENT ON COLUMN connect_lake.customer_profile_merge.merged_at IS 'EventTimestamp of the merge (the latest one, when a merge came more than once).';
COMMENT ON COLUMN connect_lake.customer_profile_merge.event_id IS 'EventId of the MERGED event.';
COMMENT ON COLUMN connect_lake.customer_profile_merge.applied IS 'Whether the duplicate is in customer_profile (its merged_into set); false while the lake has not seen it.';

CREATE TABLE connect_lake.contact_profile (
  contactid            uuid NOT NULL,
  profile_id           text NOT NULL,
  source               text NOT NULL CHECK (source IN ('ctr_object', 'attribute')),
  initiationtimestamp  timestamptz,
  event_id             text,
  PRIMARY KEY (contactid, profile_id, source)
);
CREATE INDEX contact_profile_profile_idx ON connect_lake.contact_profile (profile_id);
COMMENT ON TABLE connect_lake.contact_profile IS
  'Contacts linked to Customer Profiles profiles: by a CTR object of the profile event stream (source ctr_object, kept by customer_profile_refresh()) or by the contact attribute the setting connect_lake.profile_id_attribute names (source attribute, kept as CTRs land). profile_id is the profile named; customer_profile.merged_into gives its survivor.';
COMMENT ON COLUMN connect_lake.contact_profile.contactid IS 'ContactId.';
COMMENT ON COLUMN connect_lake.contact_profile.profile_id IS 'The profile the link names (the last segment of an ARN).';
COMMENT ON COLUMN connect_lake.contact_profile.source IS 'ctr_object (a CTR object of the profile) or attribute (the contact attribute connect_lake.profile_id_attribute).';
COMMENT ON COLUMN connect_lake.contact_profile.initiationtimestamp IS 'InitiationTimestamp of the contact, from its CTR (attribute links) or the CTR object; NULL when neither has it.';
COMMENT ON COLUMN connect_lake.contact_profile.event_id IS 'EventId of the CTR object event (ctr_object links).';

SELECT pg_catalog.pg_extension_config_dump('connect_lake.customer_profile', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.customer_profile_history', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.customer_profile_merge', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.contact_profile', '');

-- Cases find their profile by the customer_id field's last segment.
CREATE INDEX case_state_profile_idx ON connect_lake.case_state (connect_lake.profile_arn_id(detail_case_fields_customer_id))
  WHERE detail_case_fields_customer_id IS NOT NULL;

-- ---- Merges

-- The profile a profile ends up in: its latest merge's survivor, followed
-- to the end of the chain (a cycle, which Customer Profiles does not make,
-- stops where it closes).
CREATE FUNCTION connect_lake.customer_profile_survivor(profile_id text) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  AS $fn$
  WITH RECURSIVE chain(id, depth, path) AS (
    SELECT customer_profile_survivor.profile_id, 0, ARRAY[customer_profile_survivor.profile_id]
    UNION ALL
    SELECT n.survivor_profile_id, c.depth + 1, c.path || n.survivor_profile_id
      FROM chain c
      CROSS JOIN LATERAL (SELECT m.survivor_profile_id FROM connect_lake.customer_profile_merge m
                           WHERE m.duplicate_profile_id = c.id
                           ORDER BY m.merged_at DESC, m.event_id DESC LIMIT 1) n
     WHERE n.survivor_profile_id <> ALL (c.path) AND c.depth < 100
  )
  SELECT id FROM chain ORDER BY depth DESC LIMIT 1
$fn$;
COMMENT ON FUNCTION connect_lake.customer_profile_survivor(text) IS
  'The surviving profile of a profile: itself when never merged, else the survivor of its latest merge, followed to the end of a chain of merges (customer_profile_merge).';

-- ---- Refresh

-- The 'attribute' links of some contacts (or, with NULL, of every CTR),
-- from the contact attribute connect_lake.profile_id_attribute names (its
-- default when the library has not defined the setting in this session).
CREATE FUNCTION connect_lake.contact_profile_attribute_upkeep(contact_ids uuid[], initiation_ts timestamptz[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- planned for each call, with the planner guard of the upkeep (statistics
-- that make ctr_events look empty): it runs after every CTR batch, and a plan
-- kept from the first batches of an emptied month scanned the month for each
-- batch (a day's load() 2x as long; see README, Metric upkeep)
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
  attr    text := nullif(coalesce(current_setting('connect_lake.profile_id_attribute', true), 'profileId'), '');
  n       bigint := 0;
  lo      timestamptz;
  hi      timestamptz;
  reads   boolean;
  planner text[];
BEGIN
  IF contact_ids IS NULL THEN
    DELETE FROM connect_lake.contact_profile WHERE source = 'attribute';
    IF attr IS NOT NULL THEN
      INSERT INTO connect_lake.contact_profile (contactid, profile_id, source, initiationtimestamp)
      SELECT DISTINCT ON (c.contactid, p.id) c.contactid, p.id, 'attribute', c.initiationtimestamp
        FROM connect_lake.ctr_events c
        CROSS JOIN LATERAL (SELECT connect_lake.profile_arn_id(c.attributes ->> attr) AS id) p
       WHERE c.attributes ? attr AND p.id IS NOT NULL
       ORDER BY c.contactid, p.id, c.initiationtimestamp;
      GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    RETURN n;
  END IF;

  -- links are read only from rows carrying the attribute (a time given):
  -- when no contact's does (the contacts' new versions lack it, and only
  -- their old links go), the statement, planned over every partition of
  -- ctr_events for each call (several ms), would find nothing, and the
  -- DELETE alone, by the key's index, needs no guard
  SELECT min(t), max(t) INTO lo, hi FROM unnest(initiation_ts) t;
  reads := attr IS NOT NULL AND (initiation_ts IS NULL OR lo IS NOT NULL);
  IF reads THEN
    planner := connect_lake.upkeep_plan_guard(ARRAY['connect_lake.ctr_events', 'connect_lake.contact_profile']::regclass[]);
  END IF;
  DELETE FROM connect_lake.contact_profile p
   WHERE p.contactid = ANY (contact_ids) AND p.source = 'attribute';
  IF reads THEN
    -- the rows by the contacts' ids (= ANY: probes of the key's index, never
    -- a scan of the month that reads every row's attributes) within the
    -- span of their partition keys, then each matched to its key
    INSERT INTO connect_lake.contact_profile (contactid, profile_id, source, initiationtimestamp)
    SELECT DISTINCT ON (c.contactid, p.id) c.contactid, p.id, 'attribute', c.initiationtimestamp
      FROM connect_lake.ctr_events c
      CROSS JOIN LATERAL (SELECT connect_lake.profile_arn_id(c.attributes ->> attr) AS id) p
     WHERE c.contactid = ANY (contact_ids)
       AND (initiation_ts IS NULL OR c.initiationtimestamp BETWEEN lo AND hi)
       AND EXISTS (SELECT FROM ROWS FROM (unnest(contact_ids), unnest(initiation_ts)) AS k(id, ts)
                    WHERE k.id = c.contactid
                      AND (initiation_ts IS NULL OR c.initiationtimestamp = k.ts))
       AND c.attributes ? attr AND p.id IS NOT NULL
     ORDER BY c.contactid, p.id, c.initiationtimestamp;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM connect_lake.upkeep_plan_restore(planner);
  END IF;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.contact_profile_attribute_upkeep(uuid[], timestamptz[]) IS
  'Internal: the attribute links of contact_profile for these contacts (NULL: every CTR) from the contact attribute connect_lake.profile_id_attribute names, read from their CTR rows (initiation_ts: each row''s partition key, NULL for a contact whose new version carries no such attribute: its link goes; the array NULL: every row of the contacts); the ctr writers call it as CTRs carrying the attribute, or replacing a version, land. Returns the links made (loader role).';

CREATE FUNCTION connect_lake.customer_profile_refresh(profile_ids text[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- planned for each call's profiles: PL/pgSQL's generic plan, kept from the
-- sixth call on, joined unnest(ids) by a nested loop comparing every event
-- with every id (a day's file of 90,000 profiles at the seed's volume ran
-- for over ten minutes instead of 20 s)
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
  ids       text[];
  affected  text[];
  n         bigint;
BEGIN
  IF profile_ids IS NULL THEN
    -- everything, from the events: nothing else may change these meanwhile
    LOCK TABLE connect_lake.customer_profile, connect_lake.customer_profile_history,
               connect_lake.customer_profile_merge, connect_lake.contact_profile IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM connect_lake.customer_profile_history;
    DELETE FROM connect_lake.customer_profile_merge;
    DELETE FROM connect_lake.contact_profile WHERE source = 'ctr_object';
    DELETE FROM connect_lake.customer_profile;
    PERFORM connect_lake.contact_profile_attribute_upkeep(NULL);
    SELECT coalesce(array_agg(DISTINCT e.profile_id), '{}') INTO ids
      FROM connect_lake.customer_profile_events e WHERE e.profile_id IS NOT NULL;
  ELSE
    SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') INTO ids
      FROM unnest(profile_ids) AS x WHERE x IS NOT NULL;
  END IF;
  -- Two writers refreshing one profile take turns (in one order: no
  -- deadlock), and the second reads the first's events once it committed.
  -- The profiles share 256 locks by hash, so a file of any number of
  -- profiles holds at most 256 (one each overflowed the lock table).
  PERFORM pg_catalog.pg_advisory_xact_lock(1131375696, h)
     FROM (SELECT DISTINCT hashtext(x) & 255 AS h FROM unnest(ids) AS x ORDER BY 1) s;

  -- the merges these profiles made
  DELETE FROM connect_lake.customer_profile_merge m
   USING unnest(ids) AS k(profile_id) WHERE m.survivor_profile_id = k.profile_id;
  INSERT INTO connect_lake.customer_profile_merge (duplicate_profile_id, survivor_profile_id, merge_id, merged_at, event_id)
  SELECT DISTINCT ON (d.id, e.profile_id) d.id, e.profile_id, e.merge_id, e.eventtimestamp, e.event_id
    FROM unnest(ids) AS k(profile_id)
    JOIN connect_lake.customer_profile_events e ON e.profile_id = k.profile_id
    CROSS JOIN LATERAL (
      SELECT CASE jsonb_typeof(x) WHEN 'string' THEN x #>> '{}'
                                  WHEN 'object' THEN coalesce(x ->> 'ProfileId', x ->> 'profileId') END AS id
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.duplicate_profiles) = 'array' THEN e.duplicate_profiles
                                       WHEN jsonb_typeof(e.object -> 'DuplicateProfiles') = 'array' THEN e.object -> 'DuplicateProfiles'
                                       ELSE '[]'::jsonb END) AS x) d
   WHERE e.event_type = 'MERGED' AND d.id IS NOT NULL AND d.id <> e.profile_id
   ORDER BY d.id, e.profile_id, e.eventtimestamp DESC, e.event_id DESC;

  -- each profile's state: its latest _profile event
  DELETE FROM connect_lake.customer_profile p
   USING unnest(ids) AS k(profile_id)
   WHERE p.profile_id = k.profile_id
     AND NOT EXISTS (SELECT FROM connect_lake.customer_profile_events e WHERE e.profile_id = k.profile_id);
  INSERT INTO connect_lake.customer_profile AS t
  SELECT a.profile_id, s.domain_name, s.object ->> 'AccountNumber', s.account,
         coalesce(s.object ->> 'PartyType', s.object ->> 'PartyTypeString'), s.object ->> 'BusinessName',
         s.object ->> 'FirstName', s.object ->> 'MiddleName', s.object ->> 'LastName', s.object ->> 'BirthDate',
         coalesce(s.object ->> 'Gender', s.object ->> 'GenderString'),
         s.object ->> 'PhoneNumber', s.object ->> 'MobilePhoneNumber', s.object ->> 'HomePhoneNumber',
         s.object ->> 'BusinessPhoneNumber', s.object ->> 'EmailAddress', s.object ->> 'PersonalEmailAddress',
         s.object ->> 'BusinessEmailAddress', s.object ->> 'AdditionalInformation',
         s.object -> 'Address', s.object -> 'ShippingAddress', s.object -> 'MailingAddress', s.object -> 'BillingAddress',
         s.object -> 'Attributes', NULL, a.first_event, a.last_event, a.events, s.event_id
    FROM (SELECT e.profile_id, min(e.eventtimestamp) AS first_event, max(e.eventtimestamp) AS last_event,
                 count(*)::integer AS events
            FROM unnest(ids) AS k(profile_id)
            JOIN connect_lake.customer_profile_events e ON e.profile_id = k.profile_id
           GROUP BY e.profile_id) a
    LEFT JOIN LATERAL (
           SELECT x.* FROM connect_lake.customer_profile_events x
            WHERE x.profile_id = a.profile_id AND lower(x.object_type) = '_profile'
              AND jsonb_typeof(x.object) = 'object'
            ORDER BY x.eventtimestamp DESC, x.event_id DESC LIMIT 1) s ON true
  ON CONFLICT (profile_id) DO UPDATE SET
    domain_name = excluded.domain_name, account_number = excluded.account_number, account = excluded.account,
    party_type = excluded.party_type, business_name = excluded.business_name, first_name = excluded.first_name,
    middle_name = excluded.middle_name, last_name = excluded.last_name, birth_date = excluded.birth_date,
    gender = excluded.gender, phone_number = excluded.phone_number,
    mobile_phone_number = excluded.mobile_phone_number, home_phone_number = excluded.home_phone_number,
    business_phone_number = excluded.business_phone_number, email_address = excluded.email_address,
    personal_email_address = excluded.personal_email_address,
    business_email_address = excluded.business_email_address,
    additional_information = excluded.additional_information, address = excluded.address,
    shipping_address = excluded.shipping_address, mailing_address = excluded.mailing_address,
    billing_address = excluded.billing_address, attributes = excluded.attributes,
    first_event = excluded.first_event, last_event = excluded.last_event, events = excluded.events,
    last_profile_event_id = excluded.last_profile_event_id;
  GET DIAGNOSTICS n = ROW_COUNT;

  -- each profile's history
  DELETE FROM connect_lake.customer_profile_history h
   USING unnest(ids) AS k(profile_id) WHERE h.profile_id = k.profile_id;
  INSERT INTO connect_lake.customer_profile_history
         (profile_id, eventtimestamp, event_id, event_type, object_type, changed_fields, merge_id, merged_profiles)
  SELECT e.profile_id, e.eventtimestamp, e.event_id, e.event_type, e.object_type,
         (SELECT array_agg(f.key ORDER BY f.key)
            FROM (SELECT j.key FROM jsonb_each(CASE WHEN jsonb_typeof(e.object) = 'object' THEN e.object ELSE '{}' END) j
                  UNION
                  SELECT j.key FROM jsonb_each(CASE WHEN jsonb_typeof(e.prev) = 'object' THEN e.prev ELSE '{}' END) j) f
           WHERE e.prev IS NULL OR (e.object -> f.key) IS DISTINCT FROM (e.prev -> f.key)),
         e.merge_id,
         (SELECT array_agg(m.duplicate_profile_id ORDER BY m.duplicate_profile_id)
            FROM connect_lake.customer_profile_merge m
           WHERE e.event_type = 'MERGED' AND m.survivor_profile_id = e.profile_id AND m.event_id = e.event_id)
    FROM (SELECT x.*, lag(x.object) OVER (PARTITION BY x.profile_id, x.object_type, x.profile_object_unique_key
                                          ORDER BY x.eventtimestamp, x.event_id) AS prev
            FROM unnest(ids) AS k(profile_id)
            JOIN connect_lake.customer_profile_events x ON x.profile_id = k.profile_id) e
  ON CONFLICT DO NOTHING;

  -- the contacts their CTR objects name
  DELETE FROM connect_lake.contact_profile c
   USING unnest(ids) AS k(profile_id) WHERE c.profile_id = k.profile_id AND c.source = 'ctr_object';
  INSERT INTO connect_lake.contact_profile (contactid, profile_id, source, initiationtimestamp, event_id)
  SELECT DISTINCT ON (e.contactid, e.profile_id) e.contactid, e.profile_id, 'ctr_object',
         CASE WHEN (e.object ->> 'InitiationTimestamp') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$'
              THEN (e.object ->> 'InitiationTimestamp')::timestamptz END,
         e.event_id
    FROM unnest(ids) AS k(profile_id)
    JOIN connect_lake.customer_profile_events e ON e.profile_id = k.profile_id
   WHERE e.contactid IS NOT NULL AND upper(e.object_type) = 'CTR'
   ORDER BY e.contactid, e.profile_id, e.eventtimestamp, e.event_id;

  -- merges applied: to these profiles, to those they merged, and to
  -- whatever had been merged into any of them (a chain of merges)
  SELECT coalesce(array_agg(DISTINCT a.id), '{}') INTO affected
    FROM (SELECT k.profile_id AS id FROM unnest(ids) AS k(profile_id)
          UNION ALL
          SELECT m.duplicate_profile_id FROM connect_lake.customer_profile_merge m
            JOIN unnest(ids) AS k(profile_id) ON m.survivor_profile_id = k.profile_id) a;
  affected := affected || coalesce((SELECT array_agg(p.profile_id) FROM connect_lake.customer_profile p
                                     WHERE p.merged_into = ANY (affected)), '{}');
  UPDATE connect_lake.customer_profile p
     SET merged_into = s.survivor
    FROM (SELECT DISTINCT x AS id, nullif(connect_lake.customer_profile_survivor(x), x) AS survivor
            FROM unnest(affected) AS x) s
   WHERE p.profile_id = s.id AND p.merged_into IS DISTINCT FROM s.survivor;
  UPDATE connect_lake.customer_profile_merge m
     SET applied = EXISTS (SELECT FROM connect_lake.customer_profile p WHERE p.profile_id = m.duplicate_profile_id)
   WHERE m.duplicate_profile_id = ANY (affected)
     AND applied IS DISTINCT FROM EXISTS (SELECT FROM connect_lake.customer_profile p
                                          WHERE p.profile_id = m.duplicate_profile_id);
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.customer_profile_refresh(text[]) IS
  'Rebuilds, from customer_profile_events, the state (customer_profile), history (customer_profile_history), merges (customer_profile_merge, applied to duplicates seen now) and CTR-object contact links (contact_profile) of these profiles; NULL: of every profile, and the attribute links of every CTR too (after changing connect_lake.profile_id_attribute). The writers call it with the profiles of the events they land. Returns the profiles kept.';

-- ---- One row per customer

CREATE VIEW connect_lake.customer AS
  SELECT p.profile_id, p.account, p.account_number,
         coalesce(nullif(concat_ws(' ', p.first_name, p.middle_name, p.last_name), ''), p.business_name) AS name,
         ph.phone_numbers, p.email_address, g.merged_profiles,
         coalesce(ct.contacts, 0) AS contacts, ct.first_contact, ct.last_contact,
         coalesce(cs.cases, 0) AS cases, coalesce(cs.open_cases, 0) AS open_cases,
         p.first_event, p.last_event
    FROM connect_lake.customer_profile p
    -- (each lateral reads the customer's profiles, the survivor and those
    -- merged into it, through the indexes on profile_id and merged_into)
    CROSS JOIN LATERAL (
           SELECT array_agg(x.profile_id ORDER BY x.profile_id) AS merged_profiles
             FROM connect_lake.customer_profile x WHERE x.merged_into = p.profile_id) g
    CROSS JOIN LATERAL (
           SELECT array_agg(DISTINCT n.phone ORDER BY n.phone) AS phone_numbers
             FROM (SELECT p.profile_id
                   UNION ALL
                   SELECT x.profile_id FROM connect_lake.customer_profile x WHERE x.merged_into = p.profile_id) q
             JOIN connect_lake.customer_profile x ON x.profile_id = q.profile_id
             CROSS JOIN LATERAL unnest(ARRAY[x.phone_number, x.mobile_phone_number, x.home_phone_number,
                                             x.business_phone_number]) AS n(phone)
            WHERE n.phone IS NOT NULL) ph
    CROSS JOIN LATERAL (
           SELECT count(DISTINCT c.contactid) AS contacts, min(c.initiationtimestamp) AS first_contact,
                  max(c.initiationtimestamp) AS last_contact
             FROM (SELECT l.contactid, l.initiationtimestamp
                     FROM (SELECT p.profile_id
                           UNION ALL
                           SELECT x.profile_id FROM connect_lake.customer_profile x WHERE x.merged_into = p.profile_id) q
                     JOIN connect_lake.contact_profile l ON l.profile_id = q.profile_id
                   UNION ALL
                   SELECT a.contactid, a.initiationtimestamp FROM connect_lake.contact_account a
                    WHERE a.account = p.account) c) ct
    CROSS JOIN LATERAL (
           SELECT count(*) AS cases, count(*) FILTER (WHERE connect_lake.case_status_is_open(s.detail_case_fields_status)) AS open_cases
             FROM (SELECT s.detail_case_caseid
                     FROM (SELECT p.profile_id
                           UNION ALL
                           SELECT x.profile_id FROM connect_lake.customer_profile x WHERE x.merged_into = p.profile_id) q
                     JOIN connect_lake.case_state s
                       ON connect_lake.profile_arn_id(s.detail_case_fields_customer_id) = q.profile_id
                      AND s.detail_case_fields_customer_id IS NOT NULL
                   UNION
                   SELECT s.detail_case_caseid FROM connect_lake.case_state s WHERE s.account = p.account) k
             JOIN connect_lake.case_state s ON s.detail_case_caseid = k.detail_case_caseid
            WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED') cs
   WHERE p.merged_into IS NULL;
COMMENT ON VIEW connect_lake.customer IS
  'One row per customer: each surviving profile (not merged into another) with the profiles merged into it, its account number, name and phone numbers, and the contacts (through contact_profile, or contact_account by its account number) and cases (through the case''s customer_id profile, or its account) of the customer.';
COMMENT ON COLUMN connect_lake.customer.profile_id IS 'The surviving profile.';
COMMENT ON COLUMN connect_lake.customer.account IS 'Its AccountNumber as an integer.';
COMMENT ON COLUMN connect_lake.customer.account_number IS 'Its AccountNumber as the profile holds it.';
COMMENT ON COLUMN connect_lake.customer.name IS 'First, middle and last name, else the business name.';
COMMENT ON COLUMN connect_lake.customer.phone_numbers IS 'Every phone number of the profile and of the profiles merged into it.';
COMMENT ON COLUMN connect_lake.customer.email_address IS 'EmailAddress.';
COMMENT ON COLUMN connect_lake.customer.merged_profiles IS 'The profiles merged into it (NULL when none).';
COMMENT ON COLUMN connect_lake.customer.contacts IS 'Distinct contacts linked to the customer: to any of its profiles (contact_profile) or to its account number (contact_account).';
COMMENT ON COLUMN connect_lake.customer.first_contact IS 'Initiation of its first linked contact (where known).';
COMMENT ON COLUMN connect_lake.customer.last_contact IS 'Initiation of its latest linked contact (where known).';
COMMENT ON COLUMN connect_lake.customer.cases IS 'Cases of the customer: the case''s customer_id is one of its profiles, or the case''s account is its account number.';
COMMENT ON COLUMN connect_lake.customer.open_cases IS 'Of those, the cases open now (case_status_is_open()).';
COMMENT ON COLUMN connect_lake.customer.first_event IS 'First event of the surviving profile.';
COMMENT ON COLUMN connect_lake.customer.last_event IS 'Latest event of the surviving profile.';

REVOKE ALL ON FUNCTION connect_lake.customer_profile_refresh(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.customer_profile_refresh(text[]) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.contact_profile_attribute_upkeep(uuid[], timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.contact_profile_attribute_upkeep(uuid[], timestamptz[]) TO connect_lake_loader;
GRANT INSERT, UPDATE ON connect_lake.customer_profile_events TO connect_lake_loader;
GRANT INSERT, UPDATE, DELETE ON connect_lake.customer_profile, connect_lake.customer_profile_history,
  connect_lake.customer_profile_merge, connect_lake.contact_profile TO connect_lake_loader;

GRANT SELECT ON connect_lake.customer_profile_events, connect_lake.customer_profile,
  connect_lake.customer_profile_history, connect_lake.customer_profile_merge, connect_lake.contact_profile,
  connect_lake.customer
  TO connect_lake_reader, connect_lake_loader;

-- ---- Contacts and cases: linked by a shared customer profile too.
CREATE OR REPLACE VIEW connect_lake.contact_case AS
  SELECT c.contactid, c.attributes_caseid AS case_id, 'attribute'::text AS link,
         NULL::bigint AS account, c.initiationtimestamp
    FROM connect_lake.ctr_events c
   WHERE c.attributes_caseid IS NOT NULL
  UNION ALL
  -- (a related item belongs to one case: matching the case id too lets
  -- Citus run the anti-join on the node that holds the case)
  SELECT r.contactid, r.detail_relateditem_caseid, 'related_item', NULL, NULL
    FROM connect_lake.case_related_items r
   WHERE r.contactid IS NOT NULL
     AND r.detail_event_type IS DISTINCT FROM 'RELATED_ITEM.DELETED'
     AND NOT EXISTS (SELECT 1 FROM connect_lake.case_related_items d
                      WHERE d.detail_relateditem_caseid = r.detail_relateditem_caseid
                        AND d.detail_relateditem_relateditemid = r.detail_relateditem_relateditemid
                        AND d.detail_event_type = 'RELATED_ITEM.DELETED')
  UNION ALL
  SELECT a.contactid, s.detail_case_caseid, 'account', a.account, a.initiationtimestamp
    FROM connect_lake.contact_account a
    JOIN connect_lake.case_state s ON s.account = a.account
   WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
  UNION ALL
  -- the contact's profile and the case's customer_id profile end in the
  -- same surviving profile (customer_profile.merged_into)
  SELECT l.contactid, s.detail_case_caseid, 'profile', NULL::bigint, min(l.initiationtimestamp)
    FROM connect_lake.contact_profile l
    LEFT JOIN connect_lake.customer_profile p ON p.profile_id = l.profile_id
    JOIN (SELECT s.detail_case_caseid, coalesce(q.merged_into, k.profile_id) AS survivor
            FROM connect_lake.case_state s
            CROSS JOIN LATERAL (SELECT connect_lake.profile_arn_id(s.detail_case_fields_customer_id) AS profile_id) k
            LEFT JOIN connect_lake.customer_profile q ON q.profile_id = k.profile_id
           WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED' AND k.profile_id IS NOT NULL) s
      ON s.survivor = coalesce(p.merged_into, l.profile_id)
   GROUP BY l.contactid, s.detail_case_caseid;
COMMENT ON VIEW connect_lake.contact_case IS
  'Contacts linked to cases: by the contact''s caseId attribute (ctr_events.attributes_caseid), by a Contact related item of the case, by a shared account number (contact_account = case account), or by a shared customer profile (the contact''s contact_profile and the case''s customer_id end in the same surviving profile).';
COMMENT ON COLUMN connect_lake.contact_case.contactid IS 'ContactId.';
COMMENT ON COLUMN connect_lake.contact_case.case_id IS 'Case id.';
COMMENT ON COLUMN connect_lake.contact_case.link IS 'How they are linked: attribute, related_item, account or profile.';
COMMENT ON COLUMN connect_lake.contact_case.account IS 'The shared account number (link account only).';
COMMENT ON COLUMN connect_lake.contact_case.initiationtimestamp IS 'When the contact was initiated (from the CTR; NULL for related_item links, and for profile links where the link does not say).';

-- ---- Journeys: the contact's profiles; the account's contacts and cases through its profiles.
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

COMMENT ON COLUMN connect_lake.load_manifest.kind IS 'Record kind: contact_flow_log, ctr, contact_event, case_event, agent_event, customer_profile_event.';

-- ---- Backfill: the attribute links of the CTRs the lake already holds.
SELECT connect_lake.customer_profile_refresh();

-- ==== Forgetting a customer (issue 14, erasure): forget_customer(), the erasure list the
-- loader consults, the audit; as sql/install/86_erasure.sql, then the indexes
-- of the months that exist and the privileges of sql/install/99_grants.sql.
-- Forgetting a customer (GDPR erasure): forget_customer(), the erasure list
-- the loader consults, and the audit of what was forgotten.
--
-- forget_customer(key) works in three stages, each a function of its own:
--
--   1. resolve: the key's contacts and cases, through
--      indexed lookups only: account -> contact_account and case_events.account;
--      phone -> ctr_events.customerendpoint_address (in its stored form,
--      pii_stored_value()); contactid -> the contact; profile_id -> case
--      customer_id (profile_arn_id()) and ctr_events.customerid; the
--      customer's profiles (cl_erase_profile): the profile id itself, the
--      profiles whose account is the account key, those with the phone in
--      one of their four phone columns.  Then the closure: every leg of
--      those contacts (initial, previous, next), the profiles merged with
--      those profiles (customer_profile_merge, merged_into, both ways) and
--      the contacts linked to them (contact_profile, their accounts, their
--      phone numbers) or to the contacts,
--      until nothing new is found; then the cases the contacts are linked
--      to (caseId attribute, Contact related items) and those naming one of
--      the profiles.
--   2. values (erasure_collect_values): the personal values those rows hold
--      (account numbers, customer endpoints, profile ids, ...) and, for the
--      values other rows join on, a pseudonym: an account becomes a negative
--      number, an endpoint 'forgotten:N', the same one wherever it stood
--      (the erasure list keeps the digest -> pseudonym pair), so that every
--      link, repeat chain and metric stays what it was.
--   3. steps (erasure_step, one function per table): each table's personal
--      columns overwritten for those contacts, cases and profiles.  The table lists
--      the steps; a new table holding personal values adds a row and a
--      function.
--
-- The erasure list holds keyed digests, never a value: HMAC-SHA256 with the
-- lake's secret (pii_secret, 25_pii.sql; made at the first erasure when the
-- lake has none) of the key kind, ':' and the value, computed by the one
-- keyed hash of the lake, lake_hmac() (src/pii.c), which also gives the
-- stored forms of hashed phone numbers.  The writers' upkeep (upkeep.h,
-- src/erasure.c) hands the rows each transaction landed to erasure_landed()
-- before it commits, which scrubs those carrying a forgotten contact, case,
-- account, phone or profile the same way.

-- The lookups forget_customer() makes are indexed (each new month partition
-- gets these; the upgrade adds them to the months that exist).
UPDATE connect_lake.fact_table
   SET indexes = indexes || ARRAY['(customerendpoint_address) WHERE customerendpoint_address IS NOT NULL',
                                  '(customerid) WHERE customerid IS NOT NULL']
 WHERE relname = 'ctr_events';
UPDATE connect_lake.fact_table
   SET indexes = indexes || ARRAY['(connect_lake.profile_arn_id(detail_case_fields_customer_id)) WHERE detail_case_fields_customer_id IS NOT NULL']
 WHERE relname = 'case_events';
-- the loader finds the rejects of its own transaction
CREATE INDEX load_rejects_rejected_at_idx ON connect_lake.load_rejects (rejected_at);
-- forget_customer() finds the rejects holding one of the customer's values
-- by the tokens of their raw text (runs of letters, digits and @.+_-)
CREATE FUNCTION connect_lake.erasure_tokens(t text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
    SELECT coalesce(array_agg(DISTINCT m[1]) FILTER (WHERE length(m[1]) <= 200), '{}')
      FROM regexp_matches(t, '([[:alnum:]+][[:alnum:]@.+_-]{2,}[[:alnum:]])', 'g') m
  $fn$;
COMMENT ON FUNCTION connect_lake.erasure_tokens(text) IS
  'Internal: the distinct tokens of a text (runs of 4 to 200 letters, digits and @.+_-, beginning with a letter, digit or + and ending with a letter or digit; a longer run is no token): what the index of load_rejects.raw holds, so that forget_customer() finds the rejects holding a value by index.';
CREATE INDEX load_rejects_raw_tokens_idx ON connect_lake.load_rejects
  USING gin (connect_lake.erasure_tokens(raw)) WHERE raw IS NOT NULL;

CREATE TABLE connect_lake.erasure_audit (
  erasure_id    bigserial PRIMARY KEY,
  erased_at     timestamptz NOT NULL DEFAULT now(),
  erased_by     name NOT NULL DEFAULT session_user,
  key_kind      text NOT NULL CHECK (key_kind IN ('account', 'profile_id', 'phone', 'contactid', 'reapplied')),
  key_digest    bytea,
  forget_all    boolean NOT NULL DEFAULT false,
  customers     integer NOT NULL,
  contacts      integer NOT NULL,
  cases         integer NOT NULL,
  rows_changed  jsonb NOT NULL
);
COMMENT ON TABLE connect_lake.erasure_audit IS
  'One row per forget_customer() call that found something or not, and per transaction in which the loader scrubbed re-delivered records of a forgotten customer (reapplied): who, when, which kind of key, its digest (never the value) and what changed.';
COMMENT ON COLUMN connect_lake.erasure_audit.erasure_id IS 'Identifier of the erasure.';
COMMENT ON COLUMN connect_lake.erasure_audit.erased_at IS 'When (transaction start).';
COMMENT ON COLUMN connect_lake.erasure_audit.erased_by IS 'The session user who called forget_customer() (or whose load was scrubbed).';
COMMENT ON COLUMN connect_lake.erasure_audit.key_kind IS 'account, profile_id, phone, contactid; reapplied for the loader''s scrubbing.';
COMMENT ON COLUMN connect_lake.erasure_audit.key_digest IS 'Keyed digest of the key (erasure_digest()); NULL for reapplied.';
COMMENT ON COLUMN connect_lake.erasure_audit.forget_all IS 'Whether forget_all was given (a key matching several customers).';
COMMENT ON COLUMN connect_lake.erasure_audit.customers IS 'Customers the key matched (account and profile groups; 1 for a key naming none).';
COMMENT ON COLUMN connect_lake.erasure_audit.contacts IS 'Contacts (legs) forgotten.';
COMMENT ON COLUMN connect_lake.erasure_audit.cases IS 'Cases forgotten.';
COMMENT ON COLUMN connect_lake.erasure_audit.rows_changed IS 'Rows changed per table, {"ctr_events": 4, ...}.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.erasure_audit', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.erasure_audit_erasure_id_seq', '');

CREATE TABLE connect_lake.erasure_list (
  digest      bytea PRIMARY KEY,
  key_kind    text NOT NULL CHECK (key_kind IN ('account', 'endpoint', 'profile', 'contactid', 'case')),
  matches     boolean NOT NULL,
  pseudonym   text,
  erasure_id  bigint NOT NULL,
  added_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE connect_lake.erasure_list IS
  'Keys forgotten, as keyed digests (erasure_digest(kind, value)), never in clear: the loader scrubs a record carrying one that matches; and the pseudonym that replaced a value other rows join on.';
COMMENT ON COLUMN connect_lake.erasure_list.digest IS 'erasure_digest(key_kind, value).';
COMMENT ON COLUMN connect_lake.erasure_list.key_kind IS 'account, endpoint (a phone or address in its stored form), profile, contactid, case.';
COMMENT ON COLUMN connect_lake.erasure_list.matches IS 'true: a record carrying this key is scrubbed when it lands; false: kept only for its pseudonym.';
COMMENT ON COLUMN connect_lake.erasure_list.pseudonym IS 'What replaced the value where it stood (an account: a negative number; an endpoint: forgotten:N); NULL when the value was removed.';
COMMENT ON COLUMN connect_lake.erasure_list.erasure_id IS 'The erasure (erasure_audit) that added it.';
COMMENT ON COLUMN connect_lake.erasure_list.added_at IS 'When it was added.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.erasure_list', '');

CREATE SEQUENCE connect_lake.erasure_pseudonym_seq;
COMMENT ON SEQUENCE connect_lake.erasure_pseudonym_seq IS 'Numbers the pseudonyms of forgotten accounts (negated) and endpoints.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.erasure_pseudonym_seq', '');

-- The keyed digest, defined once: the lake's keyed hash (lake_hmac(), the
-- secret read in C as its owner) of the kind, ':' and the value.  A plain
-- SQL function, inlined into the loader's check (owner only).
CREATE FUNCTION connect_lake.erasure_digest(kind text, value text) RETURNS bytea
  LANGUAGE sql STABLE STRICT PARALLEL RESTRICTED
  AS $fn$ SELECT connect_lake.lake_hmac(pg_catalog.concat(kind, ':', value)) $fn$;
COMMENT ON FUNCTION connect_lake.erasure_digest(text, text) IS
  'Keyed digest of a key of the erasure list: HMAC-SHA256 with the lake''s secret (lake_hmac(), pii_secret) of the kind, '':'' and the value; NULL while the lake has no secret (owner only).';

-- The lake's secret keys the list: changing or removing it while the list
-- holds digests would let every forgotten key back in unnoticed.
CREATE FUNCTION connect_lake.erasure_secret_guard() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF (TG_OP = 'TRUNCATE' OR TG_OP = 'DELETE' OR OLD.secret IS DISTINCT FROM NEW.secret)
     AND (TG_OP = 'TRUNCATE' OR OLD.secret <> '')
     AND EXISTS (SELECT 1 FROM connect_lake.erasure_list) THEN
    RAISE EXCEPTION 'cannot change the lake''s secret: the erasure list holds digests keyed with it'
      USING ERRCODE = 'object_in_use',
            DETAIL = 'connect_lake.erasure_list recognises forgotten customers by HMAC digests made with connect_lake.pii_secret; another secret would let their records land unscrubbed.',
            HINT = 'Keep the secret (it also keys hashed phone numbers).';
  END IF;
  RETURN CASE WHEN TG_OP = 'TRUNCATE' THEN NULL WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_secret_guard() IS
  'Trigger of pii_secret: refuses to change, delete or truncate a non-empty secret while erasure_list has rows (its digests are keyed with it).';
CREATE TRIGGER pii_secret_erasure_guard
  BEFORE UPDATE OR DELETE ON connect_lake.pii_secret
  FOR EACH ROW EXECUTE FUNCTION connect_lake.erasure_secret_guard();
CREATE TRIGGER pii_secret_erasure_guard_truncate
  BEFORE TRUNCATE ON connect_lake.pii_secret
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.erasure_secret_guard();

-- Which attributes stay: not personal, and what metrics and links read.
CREATE FUNCTION connect_lake.erasure_attribute_kept(column_name text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT column_name IN ('attributes_intent', 'attributes_caseid',
                           'attributes_csatresults_agentrating', 'attributes_csatresults_resolutionrating')
  $fn$;
COMMENT ON FUNCTION connect_lake.erasure_attribute_kept(text) IS
  'Whether forget_customer() keeps a contact attribute (by its attributes_* column, ctr_attribute_column() of its key): intent, caseId and the CSAT ratings are kept (what the metrics, repeat chains and case links read); every other attribute is personal data and goes.';

CREATE FUNCTION connect_lake.erasure_attributes_scrub(attributes jsonb) RETURNS jsonb
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
    SELECT CASE WHEN jsonb_typeof(attributes) <> 'object' THEN NULL
           ELSE coalesce((SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(attributes) e
                           WHERE connect_lake.erasure_attribute_kept(connect_lake.ctr_attribute_column(e.key))
                              OR e.key IN (SELECT m.attribute_key FROM connect_lake.ctr_attribute_map_effective m
                                            WHERE connect_lake.erasure_attribute_kept(m.column_name))), '{}') END
  $fn$;
COMMENT ON FUNCTION connect_lake.erasure_attributes_scrub(jsonb) IS
  'A CTR''s Attributes with only the kept keys (erasure_attribute_kept()).';

-- ---- The working set of one erasure (temporary tables of the transaction).
CREATE FUNCTION connect_lake.erasure_work_begin() RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF to_regclass('pg_temp.cl_erase_contact') IS NULL THEN
    CREATE TEMP TABLE cl_erase_contact (contactid uuid PRIMARY KEY, initiationtimestamp timestamptz) ON COMMIT DROP;
    CREATE TEMP TABLE cl_erase_case (caseid text PRIMARY KEY) ON COMMIT DROP;
    CREATE TEMP TABLE cl_erase_value (kind text, value text, pseudonym text, PRIMARY KEY (kind, value)) ON COMMIT DROP;
    CREATE TEMP TABLE cl_erase_profile (profile_id text PRIMARY KEY) ON COMMIT DROP;
  END IF;
  TRUNCATE cl_erase_contact, cl_erase_case, cl_erase_value, cl_erase_profile;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_work_begin() IS
  'Internal: the temporary tables of one erasure (cl_erase_contact, cl_erase_case, cl_erase_value, cl_erase_profile), empty.';

-- The working set as arrays: the lake's lookups take them as index keys
-- (= ANY ((SELECT ...)::uuid[]): computed once, an init plan), whatever the planner
-- thinks of the temporary tables.
CREATE FUNCTION connect_lake.erasure_contacts() RETURNS uuid[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN ARRAY(SELECT e.contactid FROM cl_erase_contact e);
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_contacts() IS 'Internal: the contacts of the current erasure.';

CREATE FUNCTION connect_lake.erasure_cases() RETURNS text[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN ARRAY(SELECT k.caseid FROM cl_erase_case k);
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_cases() IS 'Internal: the cases of the current erasure.';

CREATE FUNCTION connect_lake.erasure_profiles() RETURNS text[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN ARRAY(SELECT p.profile_id FROM cl_erase_profile p);
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_profiles() IS 'Internal: the Customer Profiles profiles of the current erasure.';

CREATE FUNCTION connect_lake.erasure_profile_accounts() RETURNS bigint[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN ARRAY(SELECT DISTINCT p.account FROM connect_lake.customer_profile p
                WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]) AND p.account >= 0);
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_profile_accounts() IS 'Internal: the account numbers of the current erasure''s profiles.';

CREATE FUNCTION connect_lake.erasure_profile_phones() RETURNS text[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN ARRAY(SELECT DISTINCT connect_lake.pii_stored_value(n.phone)
                 FROM connect_lake.customer_profile p
                CROSS JOIN LATERAL unnest(ARRAY[p.phone_number, p.mobile_phone_number, p.home_phone_number,
                                                p.business_phone_number]) n(phone)
                WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
                  AND n.phone IS NOT NULL AND n.phone NOT LIKE 'forgotten:%');
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_profile_phones() IS 'Internal: the phone numbers of the current erasure''s profiles, in the form the lake stores a customer endpoint (pii_stored_value()).';

-- Legs and linked cases of the working set, until nothing new is found.
CREATE FUNCTION connect_lake.erasure_close() RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  added bigint;
  more  bigint;
  i     integer;
BEGIN
  FOR i IN 1..50 LOOP
    -- statistics of the working set, for the plans of what follows
    ANALYZE cl_erase_contact;
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT n.id FROM (
      SELECT unnest(ARRAY[c.initialcontactid, c.previouscontactid, c.nextcontactid]) AS id
        FROM connect_lake.ctr_events c WHERE c.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
      UNION ALL
      SELECT unnest(ARRAY[v.detail_initialcontactid, v.detail_previouscontactid])
        FROM connect_lake.contact_events v WHERE v.detail_contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
      UNION ALL
      SELECT c.contactid FROM connect_lake.ctr_events c WHERE c.initialcontactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
      UNION ALL
      SELECT c.contactid FROM connect_lake.ctr_events c WHERE c.previouscontactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])) n
     WHERE n.id IS NOT NULL
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    -- the profiles of the contacts, and those merged with the profiles
    -- (both ways: the survivor and what was merged into it)
    ANALYZE cl_erase_profile;
    INSERT INTO cl_erase_profile (profile_id)
    SELECT DISTINCT n.id FROM (
      SELECT l.profile_id AS id
        FROM connect_lake.contact_profile l WHERE l.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
      UNION ALL
      SELECT m.survivor_profile_id
        FROM connect_lake.customer_profile_merge m WHERE m.duplicate_profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
      UNION ALL
      SELECT m.duplicate_profile_id
        FROM connect_lake.customer_profile_merge m WHERE m.survivor_profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
      UNION ALL
      SELECT p.merged_into
        FROM connect_lake.customer_profile p WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
      UNION ALL
      SELECT p.profile_id
        FROM connect_lake.customer_profile p WHERE p.merged_into = ANY ((SELECT connect_lake.erasure_profiles())::text[])) n
     WHERE n.id IS NOT NULL
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS more = ROW_COUNT;
    added := added + more;
    -- the contacts linked to the profiles, to their accounts, or calling
    -- from their phone numbers
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT n.id FROM (
      SELECT l.contactid AS id
        FROM connect_lake.contact_profile l WHERE l.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
      UNION ALL
      SELECT a.contactid
        FROM connect_lake.contact_account a
       WHERE a.account = ANY ((SELECT connect_lake.erasure_profile_accounts())::bigint[])
      UNION ALL
      SELECT c.contactid
        FROM connect_lake.ctr_events c
       WHERE c.customerendpoint_address = ANY ((SELECT connect_lake.erasure_profile_phones())::text[])
         -- but another customer's (naming an account that is not theirs)
         AND NOT EXISTS (SELECT 1 FROM connect_lake.contact_account a
                          WHERE a.contactid = c.contactid AND a.account >= 0
                            AND a.account <> ALL ((SELECT connect_lake.erasure_profile_accounts())::bigint[])
                            AND a.account::text NOT IN (SELECT v.value FROM cl_erase_value v WHERE v.kind = 'account'))) n
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS more = ROW_COUNT;
    added := added + more;
    EXIT WHEN added = 0;
  END LOOP;
  -- the cases the contacts are linked to, but another customer's (a case
  -- whose account is none of the accounts the contacts name, nor the key)
  INSERT INTO cl_erase_case (caseid)
  SELECT DISTINCT k.id FROM (
    SELECT c.attributes_caseid AS id
      FROM connect_lake.ctr_events c WHERE c.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
    UNION ALL
    SELECT r.detail_relateditem_caseid
      FROM connect_lake.case_related_items r WHERE r.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])) k
   WHERE k.id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM connect_lake.case_state s
                      WHERE s.detail_case_caseid = k.id AND s.account >= 0
                        AND s.account::text NOT IN (SELECT a.account::text FROM connect_lake.contact_account a
                                                     WHERE a.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
                                                    UNION ALL
                                                    SELECT v.value FROM cl_erase_value v WHERE v.kind = 'account'))
  ON CONFLICT DO NOTHING;
  -- the cases naming one of the profiles (customer_id) or their accounts
  INSERT INTO cl_erase_case (caseid)
  SELECT DISTINCT n.id FROM (
    SELECT c.detail_case_caseid AS id FROM connect_lake.case_events c
     WHERE connect_lake.profile_arn_id(c.detail_case_fields_customer_id) = ANY ((SELECT connect_lake.erasure_profiles())::text[])
       AND c.detail_case_fields_customer_id IS NOT NULL
    UNION ALL
    SELECT c.detail_case_caseid FROM connect_lake.case_events c
     WHERE c.account = ANY ((SELECT connect_lake.erasure_profile_accounts())::bigint[])) n
  ON CONFLICT DO NOTHING;
  ANALYZE cl_erase_contact, cl_erase_case, cl_erase_profile;
  UPDATE cl_erase_contact e SET initiationtimestamp = c.initiationtimestamp
    FROM connect_lake.ctr_events c WHERE c.contactid = e.contactid AND c.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]);
END
$fn$;

COMMENT ON FUNCTION connect_lake.erasure_close() IS
  'Internal: adds to the erasure''s contacts every leg (initial, previous, next contact, both ways) and the contacts linked to its profiles (contact_profile), to their accounts or calling from their phone numbers (unless naming another account), to its profiles those of its contacts and those merged with them (customer_profile_merge, merged_into, both ways), until nothing new is found; then to its cases those the contacts are linked to (caseId attribute, Contact related item) unless the case names an account that neither the contacts nor the key name (another customer''s case), and those naming one of its profiles or their accounts.';

-- The pseudonym of a value: the one the list holds for it, else a new one.
CREATE FUNCTION connect_lake.erasure_pseudonym(kind text, value text, erasure_id bigint) RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  d bytea := connect_lake.erasure_digest(kind, value);
  p text;
BEGIN
  SELECT l.pseudonym INTO p FROM connect_lake.erasure_list l WHERE l.digest = d;
  IF p IS NULL THEN
    p := CASE kind WHEN 'account' THEN (-nextval('connect_lake.erasure_pseudonym_seq'))::text
                   ELSE 'forgotten:' || nextval('connect_lake.erasure_pseudonym_seq') END;
    INSERT INTO connect_lake.erasure_list (digest, key_kind, matches, pseudonym, erasure_id)
    VALUES (d, kind, false, p, erasure_pseudonym.erasure_id)
    ON CONFLICT (digest) DO UPDATE SET pseudonym = excluded.pseudonym;
  END IF;
  RETURN p;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_pseudonym(text, text, bigint) IS
  'Internal: the pseudonym replacing a forgotten account (a negative number) or endpoint (forgotten:N): the one already given to the same value, else a new one kept in erasure_list by digest.';

-- The personal values of the working set, with pseudonyms where rows join on them.
CREATE FUNCTION connect_lake.erasure_collect_values(erasure_id bigint) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  INSERT INTO cl_erase_value (kind, value)
  SELECT DISTINCT x.kind, x.value FROM (
    SELECT 'account' AS kind, a.account::text AS value
      FROM connect_lake.contact_account a 
     WHERE a.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]) AND a.account >= 0
    UNION ALL
    SELECT 'account', c.account::text
      FROM connect_lake.case_events c 
     WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]) AND c.account >= 0
    UNION ALL
    SELECT u.kind, u.value
      FROM connect_lake.ctr_events c
     CROSS JOIN LATERAL (VALUES ('endpoint', c.customerendpoint_address), ('text', c.transferredtoendpoint_address),
                                ('profile', c.customerid), ('text', c.attributes_accountnumbers),
                                ('text', c.attributes_juniferid), ('text', c.name), ('text', c.description)) u(kind, value)
     WHERE c.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]) AND u.value IS NOT NULL AND u.value NOT LIKE 'forgotten:%'
    UNION ALL
    SELECT 'profile', connect_lake.profile_arn_id(c.detail_case_fields_customer_id)
      FROM connect_lake.case_events c 
     WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]) AND c.detail_case_fields_customer_id IS NOT NULL
    UNION ALL
    SELECT 'contactid', e.contactid::text FROM cl_erase_contact e
    UNION ALL
    SELECT 'case', k.caseid FROM cl_erase_case k
    UNION ALL
    SELECT 'profile', p.profile_id FROM cl_erase_profile p
    UNION ALL
    -- the profiles' values: accounts and phones take the pseudonyms they
    -- have elsewhere, e-mail addresses one too (a reject holding one is
    -- found by its digest), names and addresses are found in free text
    SELECT u.kind, u.value
      FROM connect_lake.customer_profile p
     CROSS JOIN LATERAL (VALUES ('account', CASE WHEN p.account >= 0 THEN p.account::text END),
                                ('endpoint', p.phone_number), ('endpoint', p.mobile_phone_number),
                                ('endpoint', p.home_phone_number), ('endpoint', p.business_phone_number),
                                ('endpoint', connect_lake.pii_stored_value(p.phone_number)),
                                ('endpoint', connect_lake.pii_stored_value(p.mobile_phone_number)),
                                ('endpoint', connect_lake.pii_stored_value(p.home_phone_number)),
                                ('endpoint', connect_lake.pii_stored_value(p.business_phone_number)),
                                ('endpoint', p.email_address), ('endpoint', p.personal_email_address),
                                ('endpoint', p.business_email_address), ('text', p.account_number),
                                ('text', p.business_name), ('text', p.first_name), ('text', p.last_name)) u(kind, value)
     WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]) AND u.value IS NOT NULL
       AND u.value NOT LIKE 'forgotten:%'
    UNION ALL
    SELECT 'account', e.account::text
      FROM connect_lake.customer_profile_events e
     WHERE e.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]) AND e.account >= 0) x
  ON CONFLICT DO NOTHING;
  ANALYZE cl_erase_contact, cl_erase_case, cl_erase_value;
  UPDATE cl_erase_value v SET pseudonym = connect_lake.erasure_pseudonym(v.kind, v.value, erasure_id)
   WHERE v.kind IN ('account', 'endpoint');
  -- contacts and cases forgotten: a record of them landing later is scrubbed
  INSERT INTO connect_lake.erasure_list (digest, key_kind, matches, erasure_id)
  SELECT connect_lake.erasure_digest(v.kind, v.value), v.kind, true, erasure_id
    FROM cl_erase_value v
   WHERE v.kind IN ('contactid', 'case')
      OR (v.kind = 'profile' AND v.value IN (SELECT p.profile_id FROM cl_erase_profile p))
  ON CONFLICT (digest) DO UPDATE SET matches = true;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_collect_values(bigint) IS
  'Internal: the personal values of the erasure''s contacts, cases and profiles (accounts, endpoints, profile ids, attribute values, the profiles'' phones, e-mail addresses and names) and the pseudonyms of those rows join on; the contacts, cases and profiles join the erasure list.';

-- Whether a text holds one of the erasure's values (free text: results, rejects).
CREATE FUNCTION connect_lake.erasure_text_holds(t text) RETURNS boolean
  LANGUAGE plpgsql STABLE COST 10000
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN t IS NOT NULL AND EXISTS (SELECT 1 FROM cl_erase_value v
                                    WHERE length(v.value) >= 4 AND strpos(t, v.value) > 0);
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_text_holds(text) IS
  'Internal: whether a text holds one of the current erasure''s values (4 characters or more).';

-- ---- The steps: one per table holding a personal value.
CREATE TABLE connect_lake.erasure_step (
  step        integer PRIMARY KEY,
  table_name  name NOT NULL,
  scrub       text NOT NULL,
  what        text NOT NULL
);
COMMENT ON TABLE connect_lake.erasure_step IS
  'What forget_customer() does to each table holding personal values, in order: the function (connect_lake.<scrub>() returning the rows changed) and, in words, what it removes or overwrites. Tables not listed hold no customer value (agent activity, rollups, dimensions) or ids only (customer_profile_merge, contact_profile).';
COMMENT ON COLUMN connect_lake.erasure_step.step IS 'Order of the step.';
COMMENT ON COLUMN connect_lake.erasure_step.table_name IS 'The table scrubbed.';
COMMENT ON COLUMN connect_lake.erasure_step.scrub IS 'Function connect_lake.<scrub>() RETURNS bigint, reading the erasure''s working set.';
COMMENT ON COLUMN connect_lake.erasure_step.what IS 'What the step removes or overwrites.';

CREATE FUNCTION connect_lake.erasure_scrub_ctr_events() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  cols text;
  n    bigint;
BEGIN
  -- every attributes_* column but the kept ones, whatever the attribute map
  SELECT string_agg(format('%I = NULL', a.attname), ', ' ORDER BY a.attnum) INTO cols
    FROM pg_attribute a
   WHERE a.attrelid = 'connect_lake.ctr_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attname LIKE 'attributes\_%' AND NOT connect_lake.erasure_attribute_kept(a.attname);
  EXECUTE format($q$
    UPDATE connect_lake.ctr_events c
       SET customerendpoint_address = coalesce((SELECT v.pseudonym FROM cl_erase_value v
                                                 WHERE v.kind = 'endpoint' AND v.value = c.customerendpoint_address),
                                               CASE WHEN c.customerendpoint_address LIKE 'forgotten:%%'
                                                    THEN c.customerendpoint_address END),
           transferredtoendpoint_address = NULL, customerid = NULL, name = NULL, description = NULL,
           attributes = connect_lake.erasure_attributes_scrub(c.attributes),
           contact_references = NULL, contactlens = NULL, segmentattributes = NULL, voiceidresult = NULL,
           contactdetails = NULL, additionalemailrecipients = NULL, externalthirdparty = NULL, tags = NULL,
           routingcriteria = NULL, extra = NULL %s
     WHERE c.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])$q$,
    CASE WHEN cols IS NULL THEN '' ELSE ', ' || cols END);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_contact_account() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.contact_account a SET account = v.pseudonym::bigint
    FROM cl_erase_value v
   WHERE a.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]) AND v.kind = 'account' AND v.value = a.account::text;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_contact_flow_log() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.contact_flow_log f
     SET parameters = NULL, externalresults = NULL, extra = NULL,
         results = CASE WHEN connect_lake.erasure_text_holds(f.results) THEN '[forgotten]' ELSE f.results END
   WHERE f.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
     AND (f.parameters IS NOT NULL OR f.externalresults IS NOT NULL OR f.extra IS NOT NULL
          OR connect_lake.erasure_text_holds(f.results));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_contact_events() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.contact_events v
     SET detail_updatedproperties = NULL, detail_tags = NULL, detail_segmentattributes = NULL,
         detail_contactlens = NULL, detail_routingcriteria = NULL, extra = NULL
   WHERE v.detail_contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
     AND (v.detail_updatedproperties IS NOT NULL OR v.detail_tags IS NOT NULL OR v.detail_segmentattributes IS NOT NULL
          OR v.detail_contactlens IS NOT NULL OR v.detail_routingcriteria IS NOT NULL OR v.extra IS NOT NULL);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_case_events() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.case_events c
     SET detail_case_fields_title = NULL, detail_case_fields_description = NULL, detail_case_fields_summary = NULL,
         detail_case_fields_reference_number = NULL, detail_case_fields_other = NULL, extra = NULL,
         account = coalesce((SELECT v.pseudonym::bigint FROM cl_erase_value v
                              WHERE v.kind = 'account' AND v.value = c.account::text),
                            CASE WHEN c.account < 0 THEN c.account END)
   WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_case_state() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.case_state c
     SET detail_case_fields_title = NULL, detail_case_fields_description = NULL, detail_case_fields_summary = NULL,
         detail_case_fields_reference_number = NULL, detail_case_fields_other = NULL, extra = NULL,
         account = coalesce((SELECT v.pseudonym::bigint FROM cl_erase_value v
                              WHERE v.kind = 'account' AND v.value = c.account::text),
                            CASE WHEN c.account < 0 THEN c.account END)
   WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_case_related_items() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.case_related_items r
     SET comment_body = NULL, extra = NULL
   WHERE r.detail_relateditem_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]) AND (r.comment_body IS NOT NULL OR r.extra IS NOT NULL);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

-- The profile tables: the events' objects go, the state is what
-- customer_profile_refresh() makes of the scrubbed events (the same
-- result whether the lake refreshes the profile later or not).
CREATE FUNCTION connect_lake.erasure_profile_object(object jsonb, object_type text) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN jsonb_typeof(object) <> 'object' THEN NULL
                WHEN upper(object_type) = 'CTR'
                THEN jsonb_strip_nulls(jsonb_build_object('InitiationTimestamp', object -> 'InitiationTimestamp'))
                ELSE '{}' END
  $fn$;
COMMENT ON FUNCTION connect_lake.erasure_profile_object(jsonb, text) IS
  'Internal: what forget_customer() leaves of a profile event''s Object: an empty object (a CTR object: its InitiationTimestamp only), so that customer_profile_refresh() still finds the profile''s latest _profile event and the contact''s time; NULL when it was not an object.';

CREATE FUNCTION connect_lake.erasure_scrub_customer_profile_events() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.customer_profile_events e
     SET object = connect_lake.erasure_profile_object(e.object, e.object_type), extra = NULL,
         profile_object_unique_key = NULL,
         account = coalesce((SELECT v.pseudonym::bigint FROM cl_erase_value v
                              WHERE v.kind = 'account' AND v.value = e.account::text),
                            CASE WHEN e.account < 0 THEN e.account END)
   WHERE (e.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[])
          OR e.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])
          OR e.account = ANY ((SELECT array_agg(v.value::bigint) FROM cl_erase_value v WHERE v.kind = 'account')::bigint[]))
     AND (e.object IS DISTINCT FROM connect_lake.erasure_profile_object(e.object, e.object_type)
          OR e.extra IS NOT NULL OR e.profile_object_unique_key IS NOT NULL OR e.account >= 0);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_customer_profile() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.customer_profile p
     SET account_number = NULL, party_type = NULL, business_name = NULL, first_name = NULL, middle_name = NULL,
         last_name = NULL, birth_date = NULL, gender = NULL, phone_number = NULL, mobile_phone_number = NULL,
         home_phone_number = NULL, business_phone_number = NULL, email_address = NULL,
         personal_email_address = NULL, business_email_address = NULL, additional_information = NULL,
         address = NULL, shipping_address = NULL, mailing_address = NULL, billing_address = NULL, attributes = NULL,
         account = coalesce((SELECT v.pseudonym::bigint FROM cl_erase_value v
                              WHERE v.kind = 'account' AND v.value = p.account::text),
                            CASE WHEN p.account < 0 THEN p.account END)
   WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_customer_profile_history() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.customer_profile_history h SET changed_fields = NULL
   WHERE h.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]) AND h.changed_fields IS NOT NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_contact_repeat() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  UPDATE connect_lake.contact_repeat r SET customer_key = v.pseudonym
    FROM cl_erase_value v
   WHERE r.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]) AND v.value = r.customer_key
     AND v.kind = CASE r.key_kind WHEN 'account' THEN 'account' ELSE 'endpoint' END;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

CREATE FUNCTION connect_lake.erasure_scrub_load_rejects() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  -- per value, the rejects holding all its tokens (an index lookup), each
  -- checked for the whole value; a value of no token (short words only) is
  -- searched for in every reject
  IF EXISTS (SELECT 1 FROM cl_erase_value v
              WHERE length(v.value) >= 4 AND cardinality(connect_lake.erasure_tokens(v.value)) = 0) THEN
    UPDATE connect_lake.load_rejects r SET raw = NULL
     WHERE r.raw IS NOT NULL AND connect_lake.erasure_text_holds(r.raw);
  ELSE
    UPDATE connect_lake.load_rejects r SET raw = NULL
     WHERE r.reject_id IN (
       SELECT j.reject_id
         FROM (SELECT DISTINCT v.value, connect_lake.erasure_tokens(v.value) AS tokens
                 FROM cl_erase_value v WHERE length(v.value) >= 4) v
         JOIN connect_lake.load_rejects j
           ON connect_lake.erasure_tokens(j.raw) @> v.tokens AND j.raw IS NOT NULL
        WHERE strpos(j.raw, v.value) > 0);
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

-- The flow funnels' result counts: flow_block_day.results counts every
-- result text of a day's block runs under the text itself, so a result that
-- held a forgotten value (scrubbed to [forgotten] in contact_flow_log by its
-- step) stayed a key of the day's counts.  The days of the erasure's
-- contacts whose counts hold one are made again from the scrubbed logs
-- (flows_refresh_day_runs()), exactly as flows_refresh() would make them;
-- the rows changed are the block rows that held one.  The last step: every
-- other table's rows are scrubbed (and their writers waited for) before the
-- flows' lock is taken, which a CTR writer's commit takes alone after its
-- metrics' and repeats' locks; the repeats' lock before it, in the writers'
-- order (the erasure check of CTRs rebuilds repeat chains after the steps).
CREATE FUNCTION connect_lake.erasure_scrub_flow_block_day() RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  days date[];
  n    bigint;
BEGIN
  SELECT coalesce(array_agg(DISTINCT b.day), '{}'), count(*) INTO days, n
    FROM connect_lake.flow_block_day b
   WHERE b.day = ANY (ARRAY(SELECT DISTINCT p.day FROM connect_lake.contact_flow_path p
                             WHERE p.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])))
     AND EXISTS (SELECT 1 FROM jsonb_object_keys(b.results) k WHERE connect_lake.erasure_text_holds(k));
  IF n > 0 THEN
    PERFORM pg_advisory_xact_lock(1131164272, 0);
    PERFORM connect_lake.flows_refresh_day_runs(days);
  END IF;
  RETURN n;
END
$fn$;

INSERT INTO connect_lake.erasure_step VALUES
  (10, 'ctr_events', 'erasure_scrub_ctr_events',
   'customer endpoint -> pseudonym; transfer endpoint, customerid, name, description, contact references, Contact Lens, segment attributes, Voice ID, contact details, e-mail recipients, third party, tags, routing criteria, extra -> NULL; attributes but intent, caseId and CSAT ratings removed (jsonb and attributes_* columns)'),
  (20, 'contact_account', 'erasure_scrub_contact_account', 'account -> pseudonym (negative)'),
  (30, 'contact_flow_log', 'erasure_scrub_contact_flow_log', 'parameters, external results, extra -> NULL; results holding one of the values -> [forgotten]'),
  (40, 'contact_events', 'erasure_scrub_contact_events', 'updated properties, tags, segment attributes, Contact Lens, routing criteria, extra -> NULL'),
  (50, 'case_events', 'erasure_scrub_case_events', 'title, description, summary, reference number, other fields, extra -> NULL; account -> pseudonym (the customer id, a profile ARN, kept: the profile''s links stay)'),
  (60, 'case_state', 'erasure_scrub_case_state', 'as case_events'),
  (70, 'case_related_items', 'erasure_scrub_case_related_items', 'comment body, extra -> NULL'),
  (72, 'customer_profile_events', 'erasure_scrub_customer_profile_events', 'of the profiles, the contacts and the accounts: object -> {} (a CTR object: its InitiationTimestamp only), extra, object unique key -> NULL; account -> pseudonym (event id, times, event and object type, profile, contact, merge kept)'),
  (74, 'customer_profile', 'erasure_scrub_customer_profile', 'account number, party type, names, birth date, gender, phones, e-mail addresses, additional information, addresses, attributes -> NULL; account -> pseudonym (merged_into, times kept)'),
  (76, 'customer_profile_history', 'erasure_scrub_customer_profile_history', 'changed fields -> NULL (as customer_profile_refresh() makes them from the scrubbed events); customer_profile_merge and contact_profile hold ids only: kept'),
  (80, 'contact_repeat', 'erasure_scrub_contact_repeat', 'customer key -> the pseudonym of the account or endpoint'),
  (90, 'load_rejects', 'erasure_scrub_load_rejects', 'raw -> NULL where it holds one of the values (found by the index of its tokens, erasure_tokens())'),
  (95, 'flow_block_day', 'erasure_scrub_flow_block_day', 'the days'' result counts holding one of the values made again from the scrubbed flow logs (flows_refresh_days()), as flows_refresh() makes them');

-- Runs every step; returns (table, rows changed).
CREATE FUNCTION connect_lake.erasure_run_steps() RETURNS TABLE (table_name text, rows_changed bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  s record;
BEGIN
  FOR s IN SELECT st.table_name, st.scrub FROM connect_lake.erasure_step st ORDER BY st.step LOOP
    table_name := s.table_name;
    EXECUTE format('SELECT connect_lake.%I()', s.scrub) INTO rows_changed;
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_run_steps() IS
  'Internal: every erasure_step in order over the erasure''s working set; the rows each changed.';

-- Customers among the working set (phone keys): groups of accounts and
-- profile ids linked by a contact or a case naming them together.
CREATE FUNCTION connect_lake.erasure_customers() RETURNS TABLE (customer integer, ids text)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  RETURN QUERY
    WITH RECURSIVE ident(item, ident) AS (
      SELECT a.contactid::text, 'account ' || a.account
        FROM connect_lake.contact_account a  WHERE a.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[]) AND a.account >= 0
      UNION
      SELECT 'case:' || c.detail_case_caseid, 'account ' || c.account
        FROM connect_lake.case_events c  WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]) AND c.account >= 0
      UNION
      SELECT 'case:' || c.detail_case_caseid,
             'profile ' || connect_lake.customer_profile_survivor(connect_lake.profile_arn_id(c.detail_case_fields_customer_id))
        FROM connect_lake.case_events c 
       WHERE c.detail_case_caseid = ANY ((SELECT connect_lake.erasure_cases())::text[]) AND c.detail_case_fields_customer_id IS NOT NULL
      UNION
      -- a profile is its survivor's customer; its account and its contacts too
      SELECT 'profile:' || p.profile_id, 'profile ' || connect_lake.customer_profile_survivor(p.profile_id)
        FROM cl_erase_profile p
      UNION
      SELECT 'profile:' || p.profile_id, 'account ' || p.account
        FROM connect_lake.customer_profile p
       WHERE p.profile_id = ANY ((SELECT connect_lake.erasure_profiles())::text[]) AND p.account >= 0
      UNION
      SELECT l.contactid::text, 'profile ' || connect_lake.customer_profile_survivor(l.profile_id)
        FROM connect_lake.contact_profile l WHERE l.contactid = ANY ((SELECT connect_lake.erasure_contacts())::uuid[])),
    edge(x, y) AS (SELECT a.ident, b.ident FROM ident a JOIN ident b USING (item)),
    reach(x, y) AS (SELECT x, y FROM edge UNION SELECT r.x, e.y FROM reach r JOIN edge e ON e.x = r.y),
    grp AS (SELECT x, min(y) AS g FROM reach GROUP BY x)
    SELECT (dense_rank() OVER (ORDER BY grp.g))::integer, string_agg(grp.x, ', ' ORDER BY grp.x)
      FROM grp GROUP BY grp.g ORDER BY grp.g;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_customers() IS
  'Internal: the customers among the erasure''s contacts, cases and profiles: account numbers and profile ids (a merged profile counts as its survivor, customer_profile_survivor()) named together by one contact, case or profile are one customer.';

CREATE FUNCTION connect_lake.forget_customer(account bigint DEFAULT NULL, profile_id text DEFAULT NULL,
                                             phone text DEFAULT NULL, contactid uuid DEFAULT NULL,
                                             forget_all boolean DEFAULT false)
  RETURNS TABLE (table_name text, rows_changed bigint)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  kind       text;
  dkind      text;
  val        text;
  eid        bigint;
  n_cust     integer;
  listing    text;
  counts     jsonb := '{}';
  r          record;
BEGIN
  IF num_nonnulls(account, profile_id, phone, contactid) <> 1 THEN
    RAISE EXCEPTION 'forget_customer() takes exactly one key, % given', num_nonnulls(account, profile_id, phone, contactid)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Name one of account, profile_id, phone, contactid, e.g. connect_lake.forget_customer(account => 40000123).';
  END IF;
  IF forget_all IS NULL THEN
    RAISE EXCEPTION 'forget_all must be true or false' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF account IS NOT NULL THEN
    kind := 'account'; val := account::text;
  ELSIF profile_id IS NOT NULL THEN
    kind := 'profile_id'; val := connect_lake.profile_arn_id(profile_id);
  ELSIF phone IS NOT NULL THEN
    kind := 'phone'; val := connect_lake.pii_stored_value(btrim(phone));
  ELSE
    kind := 'contactid'; val := contactid::text;
  END IF;
  IF val IS NULL OR val = '' THEN
    RAISE EXCEPTION 'forget_customer(): the % is empty', kind USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- the kind of the key in the erasure list
  dkind := CASE kind WHEN 'phone' THEN 'endpoint' WHEN 'profile_id' THEN 'profile' ELSE kind END;

  -- the digests' key: the lake's secret, made at the first erasure when
  -- there is none (an empty one counts as none: nothing was hashed with it)
  IF NOT EXISTS (SELECT 1 FROM connect_lake.pii_secret s WHERE s.secret <> '') THEN
    INSERT INTO connect_lake.pii_secret AS s (secret)
    SELECT encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')), 'hex')
    ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, set_at = excluded.set_at WHERE s.secret = '';
  END IF;

  PERFORM connect_lake.erasure_work_begin();
  -- 1. resolve: the key's own contacts and cases (indexed lookups)
  IF kind = 'account' THEN
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT a.contactid FROM connect_lake.contact_account a WHERE a.account = forget_customer.account;
    INSERT INTO cl_erase_case (caseid)
    SELECT DISTINCT c.detail_case_caseid FROM connect_lake.case_events c WHERE c.account = forget_customer.account;
    INSERT INTO cl_erase_profile (profile_id)
    SELECT p.profile_id FROM connect_lake.customer_profile p WHERE p.account = forget_customer.account;
  ELSIF kind = 'phone' THEN
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT c.contactid FROM connect_lake.ctr_events c WHERE c.customerendpoint_address = val;
    -- the profiles' phones, in the stored form or as given (each column indexed)
    INSERT INTO cl_erase_profile (profile_id)
    SELECT p.profile_id FROM connect_lake.customer_profile p WHERE p.phone_number = ANY (ARRAY[val, btrim(phone)])
    UNION
    SELECT p.profile_id FROM connect_lake.customer_profile p WHERE p.mobile_phone_number = ANY (ARRAY[val, btrim(phone)])
    UNION
    SELECT p.profile_id FROM connect_lake.customer_profile p WHERE p.home_phone_number = ANY (ARRAY[val, btrim(phone)])
    UNION
    SELECT p.profile_id FROM connect_lake.customer_profile p WHERE p.business_phone_number = ANY (ARRAY[val, btrim(phone)]);
  ELSIF kind = 'contactid' THEN
    INSERT INTO cl_erase_contact (contactid) VALUES (forget_customer.contactid);
  ELSE
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT c.contactid FROM connect_lake.ctr_events c WHERE c.customerid = val;
    INSERT INTO cl_erase_case (caseid)
    SELECT DISTINCT c.detail_case_caseid FROM connect_lake.case_events c
     WHERE connect_lake.profile_arn_id(c.detail_case_fields_customer_id) = val
       AND c.detail_case_fields_customer_id IS NOT NULL;
    INSERT INTO cl_erase_profile (profile_id) VALUES (val);
  END IF;
  IF kind <> 'contactid' THEN
    INSERT INTO cl_erase_value (kind, value) VALUES (dkind, val);
  END IF;
  PERFORM connect_lake.erasure_close();

  SELECT count(*)::integer, string_agg(format('customer %s: %s', c.customer, c.ids), '; ' ORDER BY c.customer)
    INTO n_cust, listing FROM connect_lake.erasure_customers() c;
  IF kind = 'phone' AND n_cust > 1 AND NOT forget_all THEN
    RAISE EXCEPTION 'the phone number matches % customers', n_cust
      USING ERRCODE = 'cardinality_violation',
            DETAIL = listing || '.',
            HINT = 'Forget one of them by account or profile_id, or all of them with forget_all => true.';
  END IF;
  IF n_cust = 0 THEN
    n_cust := CASE WHEN EXISTS (SELECT 1 FROM cl_erase_contact) OR EXISTS (SELECT 1 FROM cl_erase_case)
                     OR EXISTS (SELECT 1 FROM cl_erase_profile)
                     OR kind IN ('account', 'profile_id') THEN 1 ELSE 0 END;
  END IF;

  INSERT INTO connect_lake.erasure_audit (key_kind, key_digest, forget_all, customers, contacts, cases, rows_changed)
  VALUES (kind, connect_lake.erasure_digest(dkind, val),
          forget_all, n_cust, (SELECT count(*) FROM cl_erase_contact), (SELECT count(*) FROM cl_erase_case), '{}')
  RETURNING erasure_id INTO eid;
  -- the key itself: a record carrying it is scrubbed when it lands
  INSERT INTO connect_lake.erasure_list (digest, key_kind, matches, erasure_id)
  VALUES (connect_lake.erasure_digest(dkind, val), dkind, true, eid)
  ON CONFLICT (digest) DO UPDATE SET matches = true;

  -- 2. the values, 3. the steps
  PERFORM connect_lake.erasure_collect_values(eid);
  FOR r IN SELECT * FROM connect_lake.erasure_run_steps() LOOP
    counts := counts || jsonb_build_object(r.table_name, r.rows_changed);
    table_name := r.table_name;
    rows_changed := r.rows_changed;
    RETURN NEXT;
  END LOOP;
  UPDATE connect_lake.erasure_audit a SET rows_changed = counts WHERE a.erasure_id = eid;
END
$fn$;
COMMENT ON FUNCTION connect_lake.forget_customer(bigint, text, text, uuid, boolean) IS
  'Forgets one customer (GDPR erasure) named by exactly one key: account, profile_id, phone or contactid. Overwrites or removes every personal value of their contacts (every leg) and cases in every table of the lake (erasure_step), keeping what the metrics count (times, durations, queues, agents) and replacing account numbers and endpoints by pseudonyms so that links and metrics answer as before; adds the keys'' digests to erasure_list so that the loader scrubs a record of theirs landing again; writes an erasure_audit row. Returns the rows changed per table. A key matching nothing changes nothing; a phone shared by several customers is refused (listed) unless forget_all (owner only).';

-- The loader's check (an upkeep action of every kind, src/erasure.c): the
-- rows of one kind a transaction landed, by their upkeep key and time; those carrying a forgotten key are
-- scrubbed the way forget_customer() scrubs.  Case events and related items
-- come by their case id and change time (the lead of their key: the months
-- have no index on the event id); every event of the case at that time is
-- checked, which can only check one more than landed, never one less.
CREATE FUNCTION connect_lake.erasure_landed(kind text, ids text[], keys timestamptz[]) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  eid    bigint;
  counts jsonb := '{}';
  total  bigint := 0;
  st     record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM connect_lake.erasure_list) OR cardinality(ids) IS NULL
     OR connect_lake.lake_hmac('') IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM connect_lake.erasure_work_begin();
  IF to_regclass('pg_temp.cl_erase_landed') IS NULL THEN
    CREATE TEMP TABLE cl_erase_landed (id text, ts timestamptz) ON COMMIT DROP;
    CREATE TEMP TABLE cl_erase_candidate (item text, digest bytea) ON COMMIT DROP;
  END IF;
  TRUNCATE cl_erase_landed, cl_erase_candidate;
  INSERT INTO cl_erase_landed SELECT DISTINCT u.id, u.ts FROM unnest(ids, keys) u(id, ts);
  ANALYZE cl_erase_landed;

  -- each landed record's keys, digested (the digest inlined, the secret
  -- cached by the session), then matched against the list in one join
  IF kind = 'ctr' THEN
    INSERT INTO cl_erase_candidate
    SELECT c.contactid::text, connect_lake.erasure_digest(k.kind, k.value)
      FROM cl_erase_landed l
      JOIN connect_lake.ctr_events c ON c.contactid = l.id::uuid AND c.initiationtimestamp = l.ts
     CROSS JOIN LATERAL (VALUES ('contactid', c.contactid::text), ('contactid', c.initialcontactid::text),
                                ('contactid', c.previouscontactid::text), ('contactid', c.nextcontactid::text),
                                ('endpoint', c.customerendpoint_address), ('profile', c.customerid),
                                ('case', c.attributes_caseid)) k(kind, value)
     WHERE k.value IS NOT NULL
    UNION ALL
    SELECT a.contactid::text, connect_lake.erasure_digest('account', a.account::text)
      FROM connect_lake.contact_account a
     WHERE a.contactid = ANY (ARRAY(SELECT l.id::uuid FROM cl_erase_landed l));
  ELSIF kind = 'contact_flow_log' THEN
    INSERT INTO cl_erase_candidate
    SELECT DISTINCT l.id, connect_lake.erasure_digest('contactid', l.id) FROM cl_erase_landed l;
  ELSIF kind = 'contact_event' THEN
    INSERT INTO cl_erase_candidate
    SELECT v.detail_contactid::text, connect_lake.erasure_digest('contactid', k.value)
      FROM cl_erase_landed l JOIN connect_lake.contact_events v ON v.id = l.id AND v."time" = l.ts
     CROSS JOIN LATERAL (VALUES (v.detail_contactid::text), (v.detail_initialcontactid::text),
                                (v.detail_previouscontactid::text)) k(value)
     WHERE k.value IS NOT NULL;
  ELSIF kind = 'case_event' THEN
    INSERT INTO cl_erase_candidate
    SELECT c.detail_case_caseid, connect_lake.erasure_digest(k.kind, k.value)
      FROM cl_erase_landed l JOIN connect_lake.case_events c
        ON c.detail_case_caseid = l.id AND c.detail_approximatechangetime = l.ts
     CROSS JOIN LATERAL (VALUES ('case', c.detail_case_caseid), ('account', c.account::text),
                                ('profile', connect_lake.profile_arn_id(c.detail_case_fields_customer_id))) k(kind, value)
     WHERE k.value IS NOT NULL;
  ELSIF kind = 'case_related_item' THEN
    INSERT INTO cl_erase_candidate
    SELECT r.detail_relateditem_caseid, connect_lake.erasure_digest(k.kind, k.value)
      FROM cl_erase_landed l JOIN connect_lake.case_related_items r
        ON r.detail_relateditem_caseid = l.id AND r.detail_approximatechangetime = l.ts
     CROSS JOIN LATERAL (VALUES ('case', r.detail_relateditem_caseid), ('contactid', r.contactid::text)) k(kind, value)
     WHERE k.value IS NOT NULL;
  ELSIF kind = 'customer_profile_event' THEN
    -- item: the event's profile, contact and account, each a kind:value
    INSERT INTO cl_erase_candidate
    SELECT i.item, connect_lake.erasure_digest(k.kind, k.value)
      FROM cl_erase_landed l JOIN connect_lake.customer_profile_events e
        ON e.event_id = l.id AND e.eventtimestamp = l.ts
     CROSS JOIN LATERAL (VALUES ('profile', e.profile_id), ('contactid', e.contactid::text),
                                ('account', e.account::text)) k(kind, value)
     CROSS JOIN LATERAL (SELECT concat_ws(':', 'profile', e.profile_id, 'contactid', e.contactid, 'account',
                                          CASE WHEN e.account >= 0 THEN e.account END) AS item) i
     WHERE k.value IS NOT NULL;
  END IF;
  IF kind = 'customer_profile_event' THEN
    -- the matched events' profile, contact and account join the working set
    INSERT INTO cl_erase_profile (profile_id)
    SELECT DISTINCT substring(m.item FROM '^profile:([^:]*)') FROM cl_erase_candidate m
      JOIN connect_lake.erasure_list e ON e.digest = m.digest
     WHERE e.matches AND m.item ~ '^profile:[^:]'
    ON CONFLICT DO NOTHING;
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT substring(m.item FROM 'contactid:([0-9a-f-]{36})')::uuid FROM cl_erase_candidate m
      JOIN connect_lake.erasure_list e ON e.digest = m.digest
     WHERE e.matches AND m.item ~ 'contactid:[0-9a-f-]{36}'
    ON CONFLICT DO NOTHING;
    INSERT INTO cl_erase_value (kind, value)
    SELECT DISTINCT 'account', substring(m.item FROM 'account:([0-9]+)$') FROM cl_erase_candidate m
      JOIN connect_lake.erasure_list e ON e.digest = m.digest
     WHERE e.matches AND m.item ~ 'account:[0-9]+$'
    ON CONFLICT DO NOTHING;
  ELSIF kind IN ('ctr', 'contact_flow_log', 'contact_event') THEN
    INSERT INTO cl_erase_contact (contactid)
    SELECT DISTINCT m.item::uuid FROM cl_erase_candidate m JOIN connect_lake.erasure_list e ON e.digest = m.digest
     WHERE e.matches;
  ELSE
    INSERT INTO cl_erase_case (caseid)
    SELECT DISTINCT m.item FROM cl_erase_candidate m JOIN connect_lake.erasure_list e ON e.digest = m.digest
     WHERE e.matches;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM cl_erase_contact) AND NOT EXISTS (SELECT 1 FROM cl_erase_case)
     AND NOT EXISTS (SELECT 1 FROM cl_erase_profile) AND NOT EXISTS (SELECT 1 FROM cl_erase_value) THEN
    RETURN 0;
  END IF;

  PERFORM connect_lake.erasure_close();
  INSERT INTO connect_lake.erasure_audit (key_kind, customers, contacts, cases, rows_changed)
  VALUES ('reapplied', 0, (SELECT count(*) FROM cl_erase_contact), (SELECT count(*) FROM cl_erase_case), '{}')
  RETURNING erasure_id INTO eid;
  PERFORM connect_lake.erasure_collect_values(eid);
  FOR st IN SELECT * FROM connect_lake.erasure_run_steps() LOOP
    counts := counts || jsonb_build_object(st.table_name, st.rows_changed);
    total := total + st.rows_changed;
  END LOOP;
  UPDATE connect_lake.erasure_audit a SET rows_changed = counts WHERE a.erasure_id = eid;
  -- the repeat chains of the contacts scrubbed, on their pseudonyms
  IF kind = 'ctr' AND NOT connect_lake.is_distributed() THEN
    PERFORM connect_lake.contact_repeat_refresh(ARRAY(SELECT e.contactid FROM cl_erase_contact e));
  END IF;
  RETURN total;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_landed(text, text[], timestamptz[]) IS
  'The loader''s erasure check, called before a transaction that landed records commits (src/erasure.c), with the upkeep keys (ids; for case events and related items their case ids) and partition keys of the records of one kind: those of a forgotten contact, case, account, phone or profile (a profile event: its profile id, contact id or account) are scrubbed as forget_customer() scrubs (audited as reapplied). Returns the rows changed (loader role).';

-- The rejects of this transaction: a reject's raw text holding a forgotten
-- contact id, case id, account, phone or profile id (found by the shape of
-- its tokens, digested) is removed.
CREATE FUNCTION connect_lake.erasure_rejects_landed() RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n   bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM connect_lake.erasure_list) OR connect_lake.lake_hmac('') IS NULL THEN
    RETURN 0;
  END IF;
  UPDATE connect_lake.load_rejects r SET raw = NULL
   WHERE r.rejected_at = now() AND r.raw IS NOT NULL
     AND EXISTS (SELECT 1
                   FROM (SELECT m[1] AS token FROM regexp_matches(r.raw,
                           '([+0-9A-Za-z][0-9A-Za-z@.+_-]{3,}[0-9A-Za-z])', 'g') m) t
                   CROSS JOIN LATERAL (VALUES ('contactid', lower(t.token)), ('case', t.token), ('account', ltrim(t.token, '0')),
                                              ('account', t.token), ('endpoint', t.token), ('profile', t.token)) k(kind, value)
                   JOIN connect_lake.erasure_list e ON e.digest = connect_lake.erasure_digest(k.kind, k.value));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.erasure_rejects_landed() IS
  'The loader''s erasure check of the rejects of this transaction: a raw text holding a token (contact or case id, account, phone, address, profile id) of the erasure list, a key or a value overwritten, loses its raw text (loader role).';

COMMENT ON FUNCTION connect_lake.erasure_scrub_ctr_events() IS 'Erasure step of ctr_events (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_contact_account() IS 'Erasure step of contact_account (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_contact_flow_log() IS 'Erasure step of contact_flow_log (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_contact_events() IS 'Erasure step of contact_events (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_case_events() IS 'Erasure step of case_events (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_case_state() IS 'Erasure step of case_state (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_case_related_items() IS 'Erasure step of case_related_items (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_customer_profile_events() IS 'Erasure step of customer_profile_events (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_customer_profile() IS 'Erasure step of customer_profile (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_customer_profile_history() IS 'Erasure step of customer_profile_history (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_contact_repeat() IS 'Erasure step of contact_repeat (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_load_rejects() IS 'Erasure step of load_rejects (see erasure_step).';
COMMENT ON FUNCTION connect_lake.erasure_scrub_flow_block_day() IS 'Erasure step of flow_block_day (see erasure_step).';
-- The months that exist get the indexes forget_customer() looks up with.
DO $upgrade$
DECLARE
  p record;
BEGIN
  FOR p IN SELECT c.relname, i.relname AS parent
             FROM pg_inherits h
             JOIN pg_class c ON c.oid = h.inhrelid
             JOIN pg_class i ON i.oid = h.inhparent
            WHERE i.oid IN ('connect_lake.ctr_events'::regclass, 'connect_lake.case_events'::regclass)
            ORDER BY 1 LOOP
    IF p.parent = 'ctr_events' THEN
      EXECUTE format('CREATE INDEX ON connect_lake.%I (customerendpoint_address) WHERE customerendpoint_address IS NOT NULL', p.relname);
      EXECUTE format('CREATE INDEX ON connect_lake.%I (customerid) WHERE customerid IS NOT NULL', p.relname);
    ELSE
      EXECUTE format('CREATE INDEX ON connect_lake.%I (connect_lake.profile_arn_id(detail_case_fields_customer_id)) WHERE detail_case_fields_customer_id IS NOT NULL', p.relname);
    END IF;
  END LOOP;
END
$upgrade$;

-- Privileges, as a new install has them (99_grants.sql grants every table
-- to both roles, then takes the erasure's back).
GRANT SELECT ON connect_lake.erasure_list, connect_lake.erasure_audit,
  connect_lake.erasure_step TO connect_lake_reader, connect_lake_loader;
GRANT USAGE ON SEQUENCE connect_lake.erasure_audit_erasure_id_seq, connect_lake.erasure_pseudonym_seq TO connect_lake_loader;
-- ---- Privileges: forgetting a customer (86_erasure.sql) is the owner's
-- (or a role the owner grants forget_customer() to); the erasure list and
-- the audit are the owner's alone (their key, the lake's secret, too); the
-- loader's check runs as the owner through two functions granted to the loader.
REVOKE ALL ON connect_lake.erasure_list, connect_lake.erasure_audit
  FROM connect_lake_reader, connect_lake_loader;
REVOKE ALL ON SEQUENCE connect_lake.erasure_audit_erasure_id_seq, connect_lake.erasure_pseudonym_seq
  FROM connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.forget_customer(bigint, text, text, uuid, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_digest(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_secret_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_work_begin() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_close() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_pseudonym(text, text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_collect_values(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_text_holds(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_run_steps() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_customers() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_ctr_events() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_contact_account() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_contact_flow_log() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_contact_events() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_case_events() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_case_state() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_case_related_items() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_contact_repeat() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_load_rejects() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_flow_block_day() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_landed(text, text[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_rejects_landed() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.erasure_landed(text, text[], timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.erasure_rejects_landed() TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.erasure_contacts() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_cases() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_profiles() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_profile_accounts() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_profile_phones() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_customer_profile_events() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_customer_profile() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_customer_profile_history() FROM PUBLIC;


-- ==== Retention, scheduled loads and access by queue (issue 14, retention):
-- connect_lake.retention (the DBA's, dumped) and apply_retention(); the
-- pg_cron scheduling functions and the scheduled_jobs view; queue_access,
-- restrict_to_queues(), lift_queue_restriction(), queue_restrictions, the
-- queue policies on the tables keyed by queue and their partitions (those of
-- 0.1.0 included: queue_access_enforce() below), and the views reading them
-- made security_invoker.  As sql/install/87_retention.sql, 88_access.sql and
-- the three last sections of 99_grants.sql.  (create_partition() above gives
-- new months the policies.)

-- Retention: how long the lake keeps each table's rows, and apply_retention()
-- which drops what is past that.
--
-- The DBA says per table how long to keep (connect_lake.retention; no row:
-- keep everything, the default).  apply_retention() drops the fact tables'
-- monthly partitions that lie wholly before the horizon (now() - keep): never
-- a partial month, never a row newer than the horizon.  Tables that describe
-- one contact or case (contact_metric, contact_repeat, contact_account,
-- contact_flow_path, case_state) follow their fact table: their rows before
-- the first month kept go with it.  Rollups (sums and counts per interval or
-- day) are kept unless given a retention of their own, so that a lake keeping
-- Connect's 24 months of contacts still answers its metrics for older months.
-- The load manifest and the rejects of a kind are pruned once every table of
-- the kind has a retention: see apply_retention().

-- The tables retention applies to, and how.  Profiles (customer_profile_events
-- and customer_profile) add their rows to the two lists below.
CREATE VIEW connect_lake.retention_tables AS
  SELECT t.table_name, t.method, t.time_column, t.follows, t.kind
    FROM (VALUES
      ('ctr_events'::name,              'partitions'::text, 'initiationtimestamp'::name,          NULL::name,                 'ctr'::text),
      ('contact_flow_log',              'partitions',       'timestamp',                          NULL,                       'contact_flow_log'),
      ('contact_events',                'partitions',       'time',                               NULL,                       'contact_event'),
      ('case_events',                   'partitions',       'detail_approximatechangetime',       NULL,                       'case_event'),
      ('case_related_items',            'partitions',       'detail_approximatechangetime',       NULL,                       'case_event'),
      ('agent_events',                  'partitions',       'eventtimestamp',                     NULL,                       'agent_event'),
      ('customer_profile_events',       'partitions',       'eventtimestamp',                     NULL,                       'customer_profile_event'),
      -- one row per contact or case: goes with its fact table
      ('contact_metric',                'follows',          'initiationtimestamp',                'ctr_events',               NULL),
      ('contact_repeat',                'follows',          'initiationtimestamp',                'ctr_events',               NULL),
      ('contact_account',               'follows',          'initiationtimestamp',                'ctr_events',               NULL),
      ('contact_flow_path',             'follows',          'last_block_at',                      'contact_flow_log',         NULL),
      ('case_state',                    'follows',          'detail_approximatechangetime',       'case_events',              NULL),
      ('customer_profile',              'follows',          'last_event',                         'customer_profile_events',  NULL),
      ('customer_profile_history',      'follows',          'eventtimestamp',                     'customer_profile_events',  NULL),
      -- rollups: sums and counts, kept unless given a retention of their own
      ('metric_queue_interval',         'rows',             'interval_start',                     NULL,                       NULL),
      ('metric_agent_interval',         'rows',             'interval_start',                     NULL,                       NULL),
      ('metric_queue_threshold',        'rows',             'interval_start',                     NULL,                       NULL),
      ('metric_queue_day',              'rows',             'day',                                NULL,                       NULL),
      ('metric_queue_threshold_day',    'rows',             'day',                                NULL,                       NULL),
      ('agent_activity_interval',       'rows',             'interval_start',                     NULL,                       NULL),
      ('agent_status_interval',         'rows',             'interval_start',                     NULL,                       NULL),
      ('flow_block_day',                'rows',             'day',                                NULL,                       NULL),
      ('flow_entry_day',                'rows',             'day',                                NULL,                       NULL)
    ) AS t(table_name, method, time_column, follows, kind);
COMMENT ON VIEW connect_lake.retention_tables IS
  'The tables apply_retention() applies to and how: partitions (a fact table: its monthly partitions past the horizon are dropped), follows (one row per contact or case: rows before the first month its fact table keeps are deleted with it), rows (a rollup: rows of whole months past its own horizon are deleted; kept for ever without a retention row).';
COMMENT ON COLUMN connect_lake.retention_tables.table_name IS 'A table of schema connect_lake.';
COMMENT ON COLUMN connect_lake.retention_tables.method IS 'partitions, follows or rows (see the view''s comment).';
COMMENT ON COLUMN connect_lake.retention_tables.time_column IS 'The time the horizon is compared with (the partition key of a fact table).';
COMMENT ON COLUMN connect_lake.retention_tables.follows IS 'For method follows: the fact table whose retention applies.';
COMMENT ON COLUMN connect_lake.retention_tables.kind IS 'For a fact table: the record kind that lands in it (load_manifest.kind, load_rejects.kind).';

CREATE TABLE connect_lake.retention (
  table_name  name PRIMARY KEY,
  keep        interval NOT NULL CHECK (keep >= interval '1 day'),
  note        text
);
COMMENT ON TABLE connect_lake.retention IS
  'How long the lake keeps each table''s rows (the DBA''s; no row: keep everything, the default). Connect keeps contact records 24 months: INSERT INTO connect_lake.retention (table_name, keep) SELECT table_name, ''24 months'' FROM connect_lake.retention_tables WHERE method = ''partitions''. Applied by apply_retention().';
COMMENT ON COLUMN connect_lake.retention.table_name IS 'A fact table or rollup of retention_tables (method partitions or rows; the tables that follow a fact table take its retention).';
COMMENT ON COLUMN connect_lake.retention.keep IS 'How long to keep: rows older than now() - keep (the horizon) go, by whole UTC months, never a month holding a row newer than the horizon; at least 1 day.';
COMMENT ON COLUMN connect_lake.retention.note IS 'Why (free text).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.retention', '');

CREATE FUNCTION connect_lake.retention_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM connect_lake.retention_tables t
                  WHERE t.table_name = NEW.table_name AND t.method IN ('partitions', 'rows')) THEN
    RAISE EXCEPTION 'table "%" has no retention of its own', NEW.table_name
      USING ERRCODE = 'invalid_parameter_value',
            HINT = (SELECT 'Give a retention to one of: ' || string_agg(table_name, ', ' ORDER BY table_name)
                           || coalesce('; ' || NEW.table_name || ' follows '
                                       || (SELECT follows FROM connect_lake.retention_tables
                                            WHERE table_name = NEW.table_name), '') || '.'
                      FROM connect_lake.retention_tables WHERE method IN ('partitions', 'rows'));
  END IF;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION connect_lake.retention_check() IS
  'Trigger of connect_lake.retention: refuses a table that has no retention of its own (not a fact table or rollup of retention_tables), so that a typo never makes apply_retention() fail later.';
CREATE TRIGGER retention_check BEFORE INSERT OR UPDATE ON connect_lake.retention
  FOR EACH ROW EXECUTE FUNCTION connect_lake.retention_check();

-- The bounds of a partition, from its FOR VALUES clause (NULL for a DEFAULT
-- partition or anything that is not FROM (ts) TO (ts)).
CREATE FUNCTION connect_lake.retention_partitions(parent regclass)
RETURNS TABLE (partition regclass, range_from timestamptz, range_to timestamptz)
LANGUAGE sql
STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT c.oid::regclass, b.m[1]::timestamptz, b.m[2]::timestamptz
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    CROSS JOIN LATERAL (SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                            '^FOR VALUES FROM \(''([^'']*)''\) TO \(''([^'']*)''\)$') AS m) b
   WHERE i.inhparent = parent AND b.m IS NOT NULL
$fn$;
COMMENT ON FUNCTION connect_lake.retention_partitions(regclass) IS
  'The partitions of a lake fact table with their time range (partitions bounded FROM a timestamp TO a timestamp; a DEFAULT partition is never listed, so never dropped).';

CREATE FUNCTION connect_lake.apply_retention(
    dry_run boolean DEFAULT false,
    as_of   timestamptz DEFAULT now())
RETURNS TABLE (table_name name, action text, object text,
               range_from timestamptz, range_to timestamptz, rows bigint)
LANGUAGE plpgsql
VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t        record;
  p        record;
  horizon  timestamptz;
  cutoff   timestamptz;       -- first instant kept: the horizon's UTC month
  n        bigint;
  khorizon timestamptz;
  paths    text[];
  tables   name[];
  cond     text;
  dropped  oid[] := '{}';     -- the partitions dropped (or, in a dry run, that would be)
BEGIN
  IF NOT isfinite(as_of) THEN
    RAISE EXCEPTION 'apply_retention: as_of must be a finite time, not %', as_of
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- one at a time (a second call waits, then finds nothing left to do)
  PERFORM pg_advisory_xact_lock(hashtext('connect_lake.apply_retention'));

  -- 1. Fact tables: drop the partitions wholly before the horizon.
  FOR t IN
    SELECT r.table_name AS rel, r.keep, rt.time_column
      FROM connect_lake.retention r
      JOIN connect_lake.retention_tables rt ON rt.table_name = r.table_name AND rt.method = 'partitions'
     WHERE to_regclass(format('connect_lake.%I', r.table_name)) IS NOT NULL
     ORDER BY r.table_name
  LOOP
    horizon := as_of - t.keep;
    FOR p IN
      SELECT rp.partition, rp.range_from, rp.range_to
        FROM connect_lake.retention_partitions(format('connect_lake.%I', t.rel)::regclass) rp
       WHERE rp.range_to <= horizon
       ORDER BY rp.range_from
    LOOP
      EXECUTE format('SELECT count(*) FROM %s', p.partition) INTO n;
      object := p.partition::text;
      dropped := dropped || p.partition::oid;
      IF NOT dry_run THEN
        EXECUTE format('DROP TABLE %s', p.partition);
      END IF;
      table_name := t.rel; action := 'drop partition';
      range_from := p.range_from; range_to := p.range_to; rows := n;
      RETURN NEXT;
    END LOOP;
  END LOOP;

  -- 2. Tables that follow a fact table, and rollups with a retention of their
  --    own: delete the rows before the horizon's month.
  FOR t IN
    SELECT rt.table_name AS rel, rt.time_column, rt.method, r.keep
      FROM connect_lake.retention_tables rt
      JOIN connect_lake.retention r ON r.table_name = coalesce(rt.follows, rt.table_name)
     WHERE rt.method IN ('follows', 'rows')
       AND to_regclass(format('connect_lake.%I', rt.table_name)) IS NOT NULL
     ORDER BY rt.method, rt.table_name
  LOOP
    horizon := as_of - t.keep;
    cutoff := date_trunc('month', horizon AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    IF (SELECT atttypid FROM pg_attribute
         WHERE attrelid = format('connect_lake.%I', t.rel)::regclass AND attname = t.time_column) = 'date'::regtype THEN
      cond := format('%I < %L::date', t.time_column, (cutoff AT TIME ZONE 'UTC')::date);
    ELSE
      cond := format('%I < %L::timestamptz', t.time_column, cutoff);
    END IF;
    IF dry_run THEN
      EXECUTE format('SELECT count(*) FROM connect_lake.%I WHERE %s', t.rel, cond) INTO n;
    ELSE
      EXECUTE format('DELETE FROM connect_lake.%I WHERE %s', t.rel, cond);
      GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    IF n > 0 THEN
      table_name := t.rel; action := 'delete rows'; object := format('connect_lake.%I', t.rel);
      range_from := NULL; range_to := cutoff; rows := n;
      RETURN NEXT;
    END IF;
  END LOOP;

  -- 3. The manifest and the rejects of a kind whose every table has a
  --    retention; khorizon is the earliest of their horizons.  A file's
  --    manifest row goes once it was last loaded before that horizon, no row
  --    of the kind's tables comes from it any more, and the file is gone from
  --    disk: while it is still there its row stays, so that load() does not
  --    land it again.  A reject goes once it is older than that horizon.
  FOR t IN
    SELECT rt.kind, array_agg(rt.table_name ORDER BY rt.table_name) AS tabs,
           max(r.keep) AS keep, bool_and(r.keep IS NOT NULL) AS every
      FROM connect_lake.retention_tables rt
      LEFT JOIN connect_lake.retention r ON r.table_name = rt.table_name
     WHERE rt.method = 'partitions'
     GROUP BY rt.kind
     ORDER BY rt.kind
  LOOP
    CONTINUE WHEN NOT t.every;
    khorizon := as_of - t.keep;
    tables := t.tabs;
    SELECT array_agg(m.path ORDER BY m.path) INTO paths
      FROM connect_lake.load_manifest m
     WHERE m.kind = t.kind AND m.loaded_at < khorizon
       AND pg_stat_file(m.path, true) IS NULL;
    IF paths IS NOT NULL THEN
      -- drop from the candidates every file a row still comes from (one scan
      -- of each of the kind's tables, over the months kept)
      FOR n IN 1 .. array_length(tables, 1) LOOP
        CONTINUE WHEN to_regclass(format('connect_lake.%I', tables[n])) IS NULL;
        EXECUTE format('SELECT array_agg(p) FROM unnest($1) p
                         WHERE NOT EXISTS (SELECT 1 FROM connect_lake.%I x
                                            WHERE x.source_file = p AND x.tableoid <> ALL ($2))',
                       tables[n])
          INTO paths USING paths, dropped;
        EXIT WHEN paths IS NULL;
      END LOOP;
    END IF;
    n := coalesce(array_length(paths, 1), 0);
    IF n > 0 AND NOT dry_run THEN
      DELETE FROM connect_lake.load_manifest m WHERE m.kind = t.kind AND m.path = ANY (paths);
    END IF;
    IF n > 0 THEN
      table_name := 'load_manifest'; action := 'prune manifest'; object := t.kind;
      range_from := NULL; range_to := khorizon; rows := n;
      RETURN NEXT;
    END IF;
    IF dry_run THEN
      SELECT count(*) INTO n FROM connect_lake.load_rejects j
       WHERE j.kind = t.kind AND j.rejected_at < khorizon;
    ELSE
      DELETE FROM connect_lake.load_rejects j WHERE j.kind = t.kind AND j.rejected_at < khorizon;
      GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    IF n > 0 THEN
      table_name := 'load_rejects'; action := 'prune rejects'; object := t.kind;
      range_from := NULL; range_to := khorizon; rows := n;
      RETURN NEXT;
    END IF;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION connect_lake.apply_retention(boolean, timestamptz) IS
  'Applies connect_lake.retention as of as_of (default now()): drops the monthly partitions of each fact table that lie wholly before its horizon (as_of - keep; never a partial month, never a row newer than the horizon), deletes the rows of the tables that follow it (contact_metric, contact_repeat, contact_account from ctr_events; contact_flow_path from contact_flow_log; case_state from case_events) before the horizon''s UTC month, and of each rollup with a retention of its own; prunes the load manifest (files last loaded before the horizon, gone from disk, no row left from them) and the rejects older than the horizon of a kind whose every table has a retention. Returns one row per partition dropped and per table pruned, with the rows; dry_run reports without changing anything. DBA only (SECURITY DEFINER, not granted).';

-- Scheduled loads and retention with pg_cron.  The lake does not need
-- pg_cron: these functions reach it through dynamic SQL, and say how to set
-- it up when it is missing (shared_preload_libraries = 'pg_cron',
-- cron.database_name naming the lake's database, CREATE EXTENSION pg_cron).
-- A job runs as the role that scheduled it, in the lake's database.

CREATE FUNCTION connect_lake.cron_check(caller text) RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
    RAISE EXCEPTION '%: pg_cron is not installed in database "%"', caller, current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = format('Install pg_cron (Debian: postgresql-15-cron), set shared_preload_libraries = ''pg_cron'' and cron.database_name = %L in postgresql.conf, restart, then CREATE EXTENSION pg_cron in this database.',
                          current_database());
  END IF;
  IF NOT has_schema_privilege('cron', 'USAGE') THEN
    RAISE EXCEPTION '%: role "%" may not use pg_cron', caller, current_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('A superuser grants it: GRANT USAGE ON SCHEMA cron TO %I.', current_user);
  END IF;
END
$fn$;
COMMENT ON FUNCTION connect_lake.cron_check(text) IS
  'Raises an error with the set-up as hint when pg_cron is not installed in this database or the caller may not use it (used by the scheduling functions).';

CREATE FUNCTION connect_lake.schedule_load(
    kind     text,
    path     text,
    schedule text DEFAULT '*/5 * * * *',
    job_name text DEFAULT NULL,
    on_error text DEFAULT 'skip')
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  job bigint;
BEGIN
  PERFORM connect_lake.cron_check('schedule_load');
  IF kind IS NULL OR path IS NULL OR schedule IS NULL OR on_error IS NULL THEN
    RAISE EXCEPTION 'schedule_load: kind, path, schedule and on_error must not be NULL'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM connect_lake.kind_rowtype(kind);          -- an unknown kind: its error names the kinds
  IF left(path, 1) <> '/' THEN
    RAISE EXCEPTION 'schedule_load: path must be absolute: "%"', path
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF on_error NOT IN ('stop', 'skip') THEN
    RAISE EXCEPTION 'schedule_load: on_error must be stop or skip, not "%"', on_error
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT has_function_privilege('connect_lake.load(text, text, text, text, text, integer)', 'EXECUTE')
     OR NOT (pg_has_role('pg_read_server_files', 'USAGE')
             OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) THEN
    RAISE EXCEPTION 'schedule_load: role "%" may not load files, so its job would fail at every run', current_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'The job runs as the role that schedules it: schedule as a member of connect_lake_loader and pg_read_server_files.';
  END IF;
  EXECUTE 'SELECT cron.schedule($1, $2, $3)'
     INTO job
    USING coalesce(job_name, 'connect_lake load ' || kind), schedule,
          format('SELECT * FROM connect_lake.load(%L, %L, on_error => %L)', kind, path, on_error);
  RETURN job;
END
$fn$;
COMMENT ON FUNCTION connect_lake.schedule_load(text, text, text, text, text) IS
  'Schedules load(kind, path, on_error) as a pg_cron job (cron schedule text, default every 5 minutes; job name default "connect_lake load <kind>"; the same name again replaces the job) running as the caller in this database; each run lands only the files not loaded yet. Returns the job id. Needs pg_cron in this database and a caller who may load (connect_lake_loader and pg_read_server_files).';

CREATE FUNCTION connect_lake.schedule_retention(
    schedule text DEFAULT '30 3 * * *',
    job_name text DEFAULT 'connect_lake retention')
RETURNS bigint
LANGUAGE plpgsql
VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  job bigint;
BEGIN
  PERFORM connect_lake.cron_check('schedule_retention');
  IF NOT has_function_privilege('connect_lake.apply_retention(boolean, timestamptz)', 'EXECUTE') THEN
    RAISE EXCEPTION 'schedule_retention: role "%" may not run apply_retention(), so its job would fail at every run', current_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'The job runs as the role that schedules it: schedule as the DBA.';
  END IF;
  EXECUTE 'SELECT cron.schedule($1, $2, $3)'
     INTO job
    USING job_name, schedule, 'SELECT * FROM connect_lake.apply_retention()';
  RETURN job;
END
$fn$;
COMMENT ON FUNCTION connect_lake.schedule_retention(text, text) IS
  'Schedules apply_retention() as a pg_cron job (default daily at 03:30 in pg_cron''s time zone, GMT) running as the caller; returns the job id. Needs pg_cron in this database.';

CREATE FUNCTION connect_lake.unschedule(job_name text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  found boolean;
BEGIN
  PERFORM connect_lake.cron_check('unschedule');
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job j WHERE j.jobname = $1 AND j.username = current_user
                            AND j.command LIKE ''SELECT * FROM connect_lake.%'')'
     INTO found USING job_name;
  IF found THEN
    EXECUTE 'SELECT cron.unschedule($1)' USING job_name;
  END IF;
  RETURN found;
END
$fn$;
COMMENT ON FUNCTION connect_lake.unschedule(text) IS
  'Removes one of the caller''s lake jobs (made by schedule_load() or schedule_retention()) by name; false when there is none of that name.';

CREATE FUNCTION connect_lake.scheduled_jobs()
RETURNS TABLE (jobid bigint, job_name text, schedule text, command text, database text, username text,
               active boolean, last_start timestamptz, last_end timestamptz, last_status text,
               last_message text, runs bigint, failures bigint)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN;
  END IF;
  RETURN QUERY EXECUTE
    'SELECT j.jobid, j.jobname::text, j.schedule::text, j.command::text, j.database::text, j.username::text,
            j.active, l.start_time, l.end_time, l.status::text, l.return_message::text, s.runs, s.failures
       FROM cron.job j
       LEFT JOIN LATERAL (SELECT d.start_time, d.end_time, d.status, d.return_message
                            FROM cron.job_run_details d WHERE d.jobid = j.jobid
                           ORDER BY d.runid DESC LIMIT 1) l ON true
       LEFT JOIN LATERAL (SELECT count(*) AS runs, count(*) FILTER (WHERE d.status = ''failed'') AS failures
                            FROM cron.job_run_details d WHERE d.jobid = j.jobid) s ON true
      WHERE j.command LIKE ''SELECT * FROM connect_lake.%''
      ORDER BY j.jobname, j.jobid';
END
$fn$;
COMMENT ON FUNCTION connect_lake.scheduled_jobs() IS
  'The lake''s pg_cron jobs the caller may see (pg_cron shows each role its own) with their last run; no rows when pg_cron is not installed in this database.';

CREATE VIEW connect_lake.scheduled_jobs AS
  SELECT * FROM connect_lake.scheduled_jobs();
COMMENT ON VIEW connect_lake.scheduled_jobs IS
  'The lake''s schedule: its pg_cron jobs (scheduled loads, retention) the caller may see, with the last run''s start, end, status and message, and the runs and failures pg_cron keeps (cron.job_run_details); empty without pg_cron.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.jobid IS 'pg_cron''s job id.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.job_name IS 'The job''s name (unschedule() takes it).';
COMMENT ON COLUMN connect_lake.scheduled_jobs.schedule IS 'Cron schedule text, e.g. */5 * * * * (pg_cron''s time zone is GMT).';
COMMENT ON COLUMN connect_lake.scheduled_jobs.command IS 'The statement the job runs.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.database IS 'The database it runs in.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.username IS 'The role it runs as (who scheduled it).';
COMMENT ON COLUMN connect_lake.scheduled_jobs.active IS 'Whether pg_cron runs it.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.last_start IS 'When the last run started.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.last_end IS 'When the last run ended.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.last_status IS 'The last run''s status: starting, running, succeeded, failed.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.last_message IS 'The last run''s message: the command tag, or the error.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.runs IS 'Runs pg_cron keeps a record of.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.failures IS 'Of those, the failed ones.';

-- Access by queue: a DBA restricts a role to the rows of some queues.
--
-- restrict_to_queues(role, queues) records the role's queues in
-- connect_lake.queue_access, whose trigger makes the role a member of
-- connect_lake_restricted.  The tables keyed by queue (queue_access_tables)
-- carry row-level security from the install on, their monthly partitions
-- too (create_partition() gives each new month the policies): a permissive
-- policy letting every role see and write every row, and a restrictive one
-- for SELECT that applies to members of connect_lake_restricted only, keeping
-- the rows of their queues.  A role that is not restricted gets no condition
-- at all (the permissive policy is "true"), so its plans are those of a lake
-- without policies; a restricted role sees its queues' rows (rows without a
-- queue not at all).  The views that read these tables are security_invoker
-- (99_grants.sql), so that a view applies its caller's policies, not its
-- owner's.  The tables' owner and superusers are never restricted.  The
-- policies are the extension's (CREATE EXTENSION makes them); queue_access
-- is dumped, and restoring its rows makes the memberships again.

DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'connect_lake_restricted') THEN
    CREATE ROLE connect_lake_restricted NOLOGIN;
    COMMENT ON ROLE connect_lake_restricted IS 'connect_lake: its members read only the rows of their queues (connect_lake.queue_access; membership kept by restrict_to_queues()).';
  END IF;
END
$roles$;

-- The tables restricted, and the expression giving a row's queue id.
CREATE VIEW connect_lake.queue_access_tables AS
  SELECT t.table_name, t.queue_expr
    FROM (VALUES
      ('ctr_events'::name,            'queue_id'::text),
      ('contact_events',              'connect_lake.queue_access_arn_id(detail_queueinfo_queuearn)'),
      ('contact_metric',              'queue_id'),
      ('contact_repeat',              'queue_id'),
      ('metric_queue_interval',       'queue_id'),
      ('metric_queue_day',            'queue_id'),
      ('metric_queue_threshold',      'queue_id'),
      ('metric_queue_threshold_day',  'queue_id'),
      ('queue_dim',                   'queue_id'),
      ('queue_name_history',          'queue_id')
    ) AS t(table_name, queue_expr);
COMMENT ON VIEW connect_lake.queue_access_tables IS
  'The tables restrict_to_queues() puts row-level security on (their partitions too), with the expression giving a row''s queue id. Agent activity and the agent rollups are per agent, not per queue: they are not restricted (revoke SELECT on them from a restricted role if it must not see them).';
COMMENT ON COLUMN connect_lake.queue_access_tables.table_name IS 'A table of schema connect_lake.';
COMMENT ON COLUMN connect_lake.queue_access_tables.queue_expr IS 'The SQL expression, over the table''s columns, giving the row''s queue id (uuid).';

CREATE TABLE connect_lake.queue_access (
  role_name   name NOT NULL,
  queue_id    uuid NOT NULL,
  granted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (role_name, queue_id)
);
COMMENT ON TABLE connect_lake.queue_access IS
  'Roles restricted to some queues, one row per role and queue (written by restrict_to_queues() and lift_queue_restriction(); see queue_restrictions). A role, and every member of it, sees only these queues'' rows of the tables of queue_access_tables.';
COMMENT ON COLUMN connect_lake.queue_access.role_name IS 'The role restricted (by name, so that a dump restores it; a role dropped leaves its rows harmless).';
COMMENT ON COLUMN connect_lake.queue_access.queue_id IS 'A queue whose rows the role may read.';
COMMENT ON COLUMN connect_lake.queue_access.granted_at IS 'When the queue was given to the role.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.queue_access', '');

-- The queue id ending a queue ARN (NULL for an agent's queue or no ARN).
CREATE FUNCTION connect_lake.queue_access_arn_id(arn text) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
  SELECT CASE WHEN s ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN s::uuid END
    FROM (SELECT substring(arn FROM '/queue/([^/]*)$') AS s) x
$fn$;
COMMENT ON FUNCTION connect_lake.queue_access_arn_id(text) IS
  'The queue id of a queue ARN (…/queue/<id>); NULL for an agent''s queue (…/queue/agent/<id>) or anything else (IMMUTABLE).';

-- The queues a role may read: NULL when it is not restricted.  SECURITY
-- DEFINER: restricted roles do not read queue_access themselves.
CREATE FUNCTION connect_lake.queue_access_queues(who name) RETURNS uuid[]
LANGUAGE sql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT array_agg(DISTINCT a.queue_id ORDER BY a.queue_id)
    FROM connect_lake.queue_access a
    JOIN pg_roles r ON r.rolname = a.role_name
   WHERE pg_has_role(who, r.oid, 'MEMBER')
$fn$;
COMMENT ON FUNCTION connect_lake.queue_access_queues(name) IS
  'The queues a role may read (those given to it and to every role it is a member of), NULL when none of them is restricted: what the row-level security policies of queue_access_tables compare with.';

-- Puts the policies on one table (a parent or a partition).
CREATE FUNCTION connect_lake.queue_access_secure(rel regclass, queue_expr text)
RETURNS void
LANGUAGE plpgsql
VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = rel AND polname = 'queue_access_all') THEN
    EXECUTE format('CREATE POLICY queue_access_all ON %s AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true)', rel);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = rel AND polname = 'queue_access_restrict') THEN
    -- the sub-select runs once per statement
    EXECUTE format('CREATE POLICY queue_access_restrict ON %s AS RESTRICTIVE FOR SELECT TO connect_lake_restricted '
                   'USING ((%s) = ANY ((SELECT connect_lake.queue_access_queues(current_user))::uuid[]))',
                   rel, queue_expr);
  END IF;
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', rel);
END
$fn$;
COMMENT ON FUNCTION connect_lake.queue_access_secure(regclass, text) IS
  'Puts the queue access policies on one table and enables row-level security: queue_access_all (permissive, every command, every role: true) and queue_access_restrict (restrictive, SELECT, members of connect_lake_restricted: the row''s queue is one of theirs); used by queue_access_enforce() and create_partition().';

-- Makes the memberships of connect_lake_restricted those queue_access says.
CREATE FUNCTION connect_lake.queue_access_sync() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r name;
BEGIN
  FOR r IN
    SELECT DISTINCT a.role_name FROM connect_lake.queue_access a
      JOIN pg_roles o ON o.rolname = a.role_name
     WHERE NOT EXISTS (SELECT 1 FROM pg_auth_members m
                        WHERE m.roleid = 'connect_lake_restricted'::regrole AND m.member = o.oid)
     ORDER BY 1
  LOOP
    EXECUTE format('GRANT connect_lake_restricted TO %I', r);
  END LOOP;
  FOR r IN
    SELECT o.rolname FROM pg_auth_members m JOIN pg_roles o ON o.oid = m.member
     WHERE m.roleid = 'connect_lake_restricted'::regrole
       AND NOT EXISTS (SELECT 1 FROM connect_lake.queue_access a WHERE a.role_name = o.rolname)
     ORDER BY 1
  LOOP
    EXECUTE format('REVOKE connect_lake_restricted FROM %I', r);
  END LOOP;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.queue_access_sync() IS
  'Trigger of queue_access: makes every role with a row a member of connect_lake_restricted and no other (also when a dump''s rows are restored).';
CREATE TRIGGER queue_access_sync AFTER INSERT OR UPDATE OR DELETE ON connect_lake.queue_access
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.queue_access_sync();

-- Every table of queue_access_tables and its partitions under the policies
-- (idempotent); returns the tables changed.  Run by the install script; a DBA
-- who attached a partition of their own runs it again.
CREATE FUNCTION connect_lake.queue_access_enforce() RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t      record;
  n      integer := 0;
BEGIN
  FOR t IN
    SELECT c.oid::regclass AS rel, q.queue_expr
      FROM connect_lake.queue_access_tables q
      JOIN pg_class p ON p.relname = q.table_name AND p.relnamespace = 'connect_lake'::regnamespace
      JOIN pg_class c ON c.oid = p.oid
                      OR c.oid IN (SELECT i.relid FROM pg_partition_tree(p.oid) i WHERE i.relid <> p.oid)
     WHERE c.relkind IN ('r', 'p')
       AND (NOT c.relrowsecurity
            OR (SELECT count(*) FROM pg_policy y
                 WHERE y.polrelid = c.oid AND y.polname IN ('queue_access_all', 'queue_access_restrict')) < 2)
     ORDER BY c.oid
  LOOP
    PERFORM connect_lake.queue_access_secure(t.rel, t.queue_expr);
    n := n + 1;
  END LOOP;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.queue_access_enforce() IS
  'Puts the queue access policies, with row-level security, on every table of queue_access_tables and its partitions that lacks them (the install does; create_partition() does for each new month; run it after attaching a partition of your own); returns the tables changed.';

CREATE FUNCTION connect_lake.restrict_to_queues(role_name name, queue_ids uuid[])
RETURNS integer
LANGUAGE plpgsql
VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r  pg_roles;
  n  integer;
BEGIN
  SELECT * INTO r FROM pg_roles WHERE rolname = role_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'role "%" does not exist', role_name USING ERRCODE = 'undefined_object';
  END IF;
  IF r.rolsuper OR r.rolbypassrls THEN
    RAISE EXCEPTION 'role "%" cannot be restricted to queues: it bypasses row-level security', role_name
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Superusers and BYPASSRLS roles see every row; restrict a role without these attributes.';
  END IF;
  IF pg_has_role(r.oid, (SELECT relowner FROM pg_class WHERE oid = 'connect_lake.ctr_events'::regclass), 'MEMBER') THEN
    RAISE EXCEPTION 'role "%" cannot be restricted to queues: it owns the lake''s tables', role_name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF r.rolname IN ('connect_lake_restricted', 'connect_lake_reader') THEN
    RAISE EXCEPTION 'role "%" cannot be restricted to queues: restrict the roles of people or teams', role_name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF pg_has_role(r.oid, 'connect_lake_loader', 'MEMBER') THEN
    RAISE EXCEPTION 'role "%" cannot be restricted to queues: it is a loader', role_name
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'The writers keep the metrics from every queue''s rows; restrict the analysts'' roles, not connect_lake_loader or its members.';
  END IF;
  IF connect_lake.is_distributed() THEN
    RAISE EXCEPTION 'restrict_to_queues is not supported on a lake distributed on Citus'
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Citus takes no sub-select in a policy of a distributed table; restrict what the role may read with GRANT and REVOKE.';
  END IF;
  IF cardinality(queue_ids) = 0 OR array_position(queue_ids, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'restrict_to_queues needs at least one queue id and no NULL'
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'To take a restriction away: SELECT connect_lake.lift_queue_restriction(role).';
  END IF;
  -- one change of the restrictions at a time
  LOCK TABLE connect_lake.queue_access IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM connect_lake.queue_access a WHERE a.role_name = r.rolname AND a.queue_id <> ALL (queue_ids);
  INSERT INTO connect_lake.queue_access (role_name, queue_id)
  SELECT DISTINCT r.rolname, q FROM unnest(queue_ids) q
  ON CONFLICT DO NOTHING;                        -- the trigger makes it a member of connect_lake_restricted
  PERFORM connect_lake.queue_access_enforce();   -- a partition attached by hand since
  SELECT count(*) INTO n FROM connect_lake.queue_access a WHERE a.role_name = r.rolname;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.restrict_to_queues(name, uuid[]) IS
  'Restricts a role (and its members) to the rows of these queues in the tables of queue_access_tables and every view reading them (it becomes a member of connect_lake_restricted); replaces the role''s earlier queues; returns how many it has. Refuses superusers, BYPASSRLS roles, the tables'' owner, loaders, connect_lake_reader and connect_lake_restricted. DBA only.';

CREATE FUNCTION connect_lake.lift_queue_restriction(role_name name)
RETURNS integer
LANGUAGE plpgsql
VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n integer;
BEGIN
  LOCK TABLE connect_lake.queue_access IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM connect_lake.queue_access a WHERE a.role_name = lift_queue_restriction.role_name;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.lift_queue_restriction(name) IS
  'Takes a role''s queue restriction away (it sees every row again, no longer a member of connect_lake_restricted); returns the queues it had (0 when it had none). DBA only.';

CREATE VIEW connect_lake.queue_restrictions AS
  SELECT a.role_name, a.queue_id, q.queue_name, a.granted_at,
         EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = a.role_name) AS role_exists,
         EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = a.role_name
                    AND pg_has_role(r.oid, 'connect_lake_restricted', 'USAGE')) AS enforced
    FROM connect_lake.queue_access a
    LEFT JOIN connect_lake.queue_dim q ON q.queue_id = a.queue_id;
COMMENT ON VIEW connect_lake.queue_restrictions IS
  'The roles restricted to some queues, one row per role and queue, with the queue''s name (as the viewer may see it) and whether the role still exists.';
COMMENT ON COLUMN connect_lake.queue_restrictions.role_name IS 'The role restricted.';
COMMENT ON COLUMN connect_lake.queue_restrictions.queue_id IS 'A queue it may read.';
COMMENT ON COLUMN connect_lake.queue_restrictions.queue_name IS 'The queue''s latest name (queue_dim).';
COMMENT ON COLUMN connect_lake.queue_restrictions.granted_at IS 'When the queue was given to it.';
COMMENT ON COLUMN connect_lake.queue_restrictions.role_exists IS 'false when the role was dropped (its rows are harmless; lift_queue_restriction() removes them).';
COMMENT ON COLUMN connect_lake.queue_restrictions.enforced IS 'Whether the policies apply to the role: it has the privileges of connect_lake_restricted (false for a role dropped, or one made NOINHERIT that has not SET ROLE).';

-- The new tables and views are readable as every table of the lake is (a
-- fresh install grants SELECT ON ALL TABLES).
GRANT SELECT ON connect_lake.retention, connect_lake.retention_tables, connect_lake.scheduled_jobs,
  connect_lake.queue_access, connect_lake.queue_access_tables, connect_lake.queue_restrictions
  TO connect_lake_reader, connect_lake_loader;

-- ---- Privileges: retention is the DBA's (it drops partitions and prunes the manifest).
REVOKE ALL ON FUNCTION connect_lake.apply_retention(boolean, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.retention_check() FROM PUBLIC;

-- ---- Privileges: access by queue.  Restricting is the DBA's; the tables
-- keyed by queue get their policies (88_access.sql), and the views that read
-- one of them (directly or through another view) run as their caller, so
-- that the caller's policies apply.
REVOKE ALL ON FUNCTION connect_lake.restrict_to_queues(name, uuid[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.lift_queue_restriction(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.queue_access_enforce() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.queue_access_secure(regclass, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.queue_access_sync() FROM PUBLIC;
SELECT connect_lake.queue_access_enforce();
DO $invoker$
DECLARE
  v regclass;
BEGIN
  FOR v IN
    WITH RECURSIVE reads(oid) AS (
      SELECT c.oid FROM connect_lake.queue_access_tables q
        JOIN pg_class c ON c.relname = q.table_name AND c.relnamespace = 'connect_lake'::regnamespace
      UNION
      SELECT r.ev_class
        FROM reads
        JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = reads.oid
                        AND d.classid = 'pg_rewrite'::regclass
        JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> reads.oid)
    SELECT c.oid::regclass
      FROM reads JOIN pg_class c ON c.oid = reads.oid
     WHERE c.relkind = 'v'
       AND EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'
                      AND e.refobjid = (SELECT x.oid FROM pg_extension x WHERE x.extname = 'connect_lake'))
     ORDER BY 1::text
  LOOP
    EXECUTE format('ALTER VIEW %s SET (security_invoker = true)', v);
  END LOOP;
END
$invoker$;

-- ---- Privileges: scheduled loads (pg_cron).  A job runs as the role that
-- schedules it: loaders schedule loads, the DBA the retention.
REVOKE ALL ON FUNCTION connect_lake.schedule_load(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.schedule_load(text, text, text, text, text) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.schedule_retention(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.unschedule(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.unschedule(text) TO connect_lake_loader;


-- ==== Loads on every core (issue 15): load(..., workers => n)
--
-- upkeep_queue (new): the writers' commit upkeep queued by load()'s workers (see upkeep.c).
CREATE TABLE connect_lake.upkeep_queue (
  kind       text NOT NULL,
  settings   text[] NOT NULL,
  keys       text[] NOT NULL,
  firsts     timestamptz[] NOT NULL,
  lasts      timestamptz[] NOT NULL,
  queued_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE connect_lake.upkeep_queue IS
  'The commit upkeep (the kinds'' SQL actions: contact metrics, repeat contacts, flow tables, agent activity) of the files load()''s workers committed: what each file collected, queued with it and run by the workers every 32 files and at their end (a row is deleted as it runs); rows left by a worker that was killed are run by the next load() with workers. Empty when no load() with workers runs.';
COMMENT ON COLUMN connect_lake.upkeep_queue.kind IS 'Record kind whose upkeep actions run (ctr, contact_flow_log, agent_event).';
COMMENT ON COLUMN connect_lake.upkeep_queue.settings IS 'The upkeep settings that were on when the rows were written (metrics_upkeep, flows_upkeep, repeats_upkeep): the actions of a setting that was off are not run for them.';
COMMENT ON COLUMN connect_lake.upkeep_queue.keys IS 'The keys of the rows written, as text (CTRs and flow logs: contact ids; agent events: agent ARNs).';
COMMENT ON COLUMN connect_lake.upkeep_queue.firsts IS 'Per key, its (first) time (CTRs: initiation; flow logs, agent events: the first event time), same positions.';
COMMENT ON COLUMN connect_lake.upkeep_queue.lasts IS 'Per key, its last time (same as firsts for CTRs), same positions.';
COMMENT ON COLUMN connect_lake.upkeep_queue.queued_at IS 'When the file that wrote them committed.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.upkeep_queue', '');
GRANT SELECT ON connect_lake.upkeep_queue TO connect_lake_reader, connect_lake_loader;
GRANT INSERT, DELETE, UPDATE ON connect_lake.upkeep_queue TO connect_lake_loader;

--
-- load() takes a sixth argument, workers (NULL: in the calling session, as
-- before), so it is made again: nothing in the lake depends on it; its
-- grants are those of sql/install/99_grants.sql.  No longer STRICT (workers
-- may be NULL); another NULL argument still returns NULL.
DROP FUNCTION connect_lake.load(text, text, text, text, text);
CREATE FUNCTION connect_lake.load(
    kind        text,
    path        text,
    on_error    text DEFAULT 'stop',
    format      text DEFAULT 'auto',
    compression text DEFAULT 'auto',
    workers     integer DEFAULT NULL,
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
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION connect_lake.load(text, text, text, text, text, integer) IS
  'Lands every record of kind in the files under path (file, directory or glob; any framing, gzip or not) in the lake; files already loaded unchanged are skipped (load_manifest), each file lands all or nothing; on_error stop|skip (bad records to load_rejects); values_nulled counts values that landed NULL because their column cannot hold them, kept raw beside (a case account that is not an integer). workers => n: n background workers share the files (with those of other calls on the path), each file committed on its own; the result sums theirs. NULL arguments other than workers return NULL. Needs pg_read_server_files.';
REVOKE ALL ON FUNCTION connect_lake.load(text, text, text, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.load(text, text, text, text, text, integer) TO connect_lake_loader;


-- ==== Case events at the speed limit (issue 15, session 4 "caseload"):
-- profile_arn_id() not STRICT (case_state_refresh() is replaced in place
-- above; profile_arn_id() is now C, created so above: this is a no-op).
ALTER FUNCTION connect_lake.profile_arn_id(text) CALLED ON NULL INPUT;


-- ==== Analysts at the same time as a load (issue #15): case_day, kept per local day
-- by triggers on case_state, and the case views that read it (98_analyst_speed.sql;
-- case_day_keep(true) fills case_day from the lake's case_state).
-- The case views at analysts' speed (issue #15): kept per-day counts of
-- case_state, so that the views that count cases per day, category or
-- complaint subject read a few hundred kept rows instead of every case.
--
-- case_day holds, per local day of creation in each time zone a view may
-- count in (every calendar's time zone, and Europe/London, lake_time_zone()'s
-- fallback), level 1 category, complaint flag and complaint subject, how many
-- cases of case_state fall there and how many of them are deleted, open,
-- resolved complaints, with the ombudsman, and their goodwill: sums only, so
-- any range of days adds up.  Triggers on case_state keep it (from the rows
-- each statement inserted, updated or deleted, whoever wrote them: load(),
-- ingest(), case_state_refresh(), erasure, retention, a restore); a change of
-- the case rules (case_status) or of the calendars' time zones makes it
-- anew.  It is not dumped: a restore fills it as case_state's rows come back.
-- On a lake distributed on Citus the triggers are dropped (Citus keeps
-- case_state on the workers), case_day and case_open are emptied and the
-- views count live.
--
-- case_open holds the open cases, narrow (id, creation, complaint flag):
-- open_case_backlog and overdue_cases read it, the due date (which depends
-- on now()) computed on read.
--
-- The views answer the same rows as the range functions they were (which
-- stay the live way, for any range and on Citus).

CREATE TABLE connect_lake.case_day (
  time_zone          text NOT NULL,
  day                date NOT NULL,
  level_1            text,
  is_complaint       boolean,
  complaint_subject  text,
  cases              bigint NOT NULL,
  deleted            bigint NOT NULL,
  open               bigint NOT NULL,
  resolved           bigint NOT NULL,
  ombudsman          bigint NOT NULL,
  goodwill_cases     bigint NOT NULL,
  goodwill           numeric NOT NULL,
  CONSTRAINT case_day_key UNIQUE NULLS NOT DISTINCT (time_zone, day, level_1, is_complaint, complaint_subject)
);
-- The groups whose cases all moved away, for the triggers to delete (none
-- between statements).
CREATE INDEX case_day_gone_idx ON connect_lake.case_day (time_zone) WHERE cases = 0;
COMMENT ON TABLE connect_lake.case_day IS
  'case_state counted per local day of creation (in every calendar''s time zone and Europe/London), level 1 category, complaint flag and subject: sums only, what the case views read. Kept by triggers on case_state; made anew when case_status or a calendar''s time zone changes (case_day_rebuild()). A group whose cases all moved away goes.';
COMMENT ON COLUMN connect_lake.case_day.time_zone IS 'The time zone of the local days (a calendar''s, or Europe/London).';
COMMENT ON COLUMN connect_lake.case_day.day IS 'Local day the cases were created (detail_case_createddatetime in time_zone).';
COMMENT ON COLUMN connect_lake.case_day.level_1 IS 'Level 1 category (NULL: not set).';
COMMENT ON COLUMN connect_lake.case_day.is_complaint IS 'Whether the cases are complaints (NULL: field not set).';
COMMENT ON COLUMN connect_lake.case_day.complaint_subject IS 'Complaint subject (NULL: not set).';
COMMENT ON COLUMN connect_lake.case_day.cases IS 'Cases of case_state (deleted ones included).';
COMMENT ON COLUMN connect_lake.case_day.deleted IS 'Of them, deleted (latest event CASE.DELETED).';
COMMENT ON COLUMN connect_lake.case_day.open IS 'Of them, open now (case_is_open()).';
COMMENT ON COLUMN connect_lake.case_day.resolved IS 'Of them, marked complaint_resolved.';
COMMENT ON COLUMN connect_lake.case_day.ombudsman IS 'Of them, referred to the ombudsman.';
COMMENT ON COLUMN connect_lake.case_day.goodwill_cases IS 'Of them, with a goodwill amount.';
COMMENT ON COLUMN connect_lake.case_day.goodwill IS 'Their goodwill amounts added up (0 without any).';

-- The open cases (case_is_open() of their latest event) with the columns
-- overdue_cases shows: what open_case_backlog and overdue_cases read (the
-- due date, which depends on now(), computed on read).  Kept by the same
-- triggers.
CREATE TABLE connect_lake.case_open (
  case_id              text PRIMARY KEY,
  account              bigint,
  status               text,
  title                text,
  level_1              text,
  is_complaint         boolean,
  assigned_agent_name  text,
  queue_name           text,
  created_at           timestamptz
);
COMMENT ON TABLE connect_lake.case_open IS
  'The open cases of case_state (case_is_open()), one row each with the columns overdue_cases shows: what open_case_backlog and overdue_cases read. Kept by triggers on case_state; made anew when case_status changes (case_day_rebuild()).';
COMMENT ON COLUMN connect_lake.case_open.case_id IS 'Case id (case_state.detail_case_caseid).';
COMMENT ON COLUMN connect_lake.case_open.account IS 'The customer''s account number.';
COMMENT ON COLUMN connect_lake.case_open.status IS 'Case status.';
COMMENT ON COLUMN connect_lake.case_open.title IS 'Case title.';
COMMENT ON COLUMN connect_lake.case_open.level_1 IS 'Level 1 category.';
COMMENT ON COLUMN connect_lake.case_open.is_complaint IS 'Whether the case is a complaint (NULL: field not set).';
COMMENT ON COLUMN connect_lake.case_open.assigned_agent_name IS 'Assigned agent''s name.';
COMMENT ON COLUMN connect_lake.case_open.queue_name IS 'Queue name.';
COMMENT ON COLUMN connect_lake.case_open.created_at IS 'When the case was created.';

-- The time zones case_day counts in: those a view may use (lake_time_zone()).
CREATE FUNCTION connect_lake.case_day_zones() RETURNS SETOF text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT c.time_zone FROM connect_lake.calendar c UNION SELECT 'Europe/London'
  $fn$;
COMMENT ON FUNCTION connect_lake.case_day_zones() IS
  'The time zones connect_lake.case_day counts local days in: every calendar''s, and Europe/London (lake_time_zone() without a default calendar).';

-- The two statements that count cases into case_day and case_open, each
-- written once, over a source of case_state rows: the rebuild's (case_state
-- itself) and the triggers' (the rows a statement changed, which only the
-- trigger function's own statements can read).  case_day_sql()'s source has
-- a column sign (1: count in, -1: count out) before case_state's columns;
-- its statement takes the zones to count in as $1 (NULL: every zone) and
-- adds to the groups there (the triggers lock them in one order).
CREATE FUNCTION connect_lake.case_day_sql(source text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
  SELECT format($q$
  INSERT INTO connect_lake.case_day AS d
  SELECT z.tz, (r.detail_case_createddatetime AT TIME ZONE z.tz)::date, r.detail_case_fields_level_1,
         r.detail_case_fields_is_complaint, r.detail_case_fields_complaint_subject,
         sum(r.sign),
         coalesce(sum(r.sign) FILTER (WHERE r.detail_event_type = 'CASE.DELETED'), 0),
         coalesce(sum(r.sign) FILTER (WHERE connect_lake.case_is_open(r.detail_event_type, r.detail_case_fields_status)), 0),
         coalesce(sum(r.sign) FILTER (WHERE r.detail_case_fields_complaint_resolved), 0),
         coalesce(sum(r.sign) FILTER (WHERE r.detail_case_fields_ombudsman_case), 0),
         coalesce(sum(r.sign) FILTER (WHERE r.detail_case_fields_complaint_goodwill_amount IS NOT NULL), 0),
         coalesce(sum(r.sign * r.detail_case_fields_complaint_goodwill_amount), 0)
    FROM (%s) r
   CROSS JOIN (SELECT z AS tz FROM connect_lake.case_day_zones() z WHERE $1 IS NULL OR z = ANY ($1)) z
   WHERE r.detail_case_createddatetime IS NOT NULL
   GROUP BY 1, 2, 3, 4, 5
   ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT ON CONSTRAINT case_day_key DO UPDATE
     SET cases = d.cases + excluded.cases, deleted = d.deleted + excluded.deleted, open = d.open + excluded.open,
         resolved = d.resolved + excluded.resolved, ombudsman = d.ombudsman + excluded.ombudsman,
         goodwill_cases = d.goodwill_cases + excluded.goodwill_cases,
         -- (without any amount left: 0, as a group counted anew has it, not 0.00)
         goodwill = CASE WHEN d.goodwill_cases + excluded.goodwill_cases = 0 THEN 0
                         ELSE d.goodwill + excluded.goodwill END$q$, source)
$fn$;
COMMENT ON FUNCTION connect_lake.case_day_sql(text) IS
  'Internal: the statement that counts the case_state rows of source (a query with a column sign, 1 or -1, before case_state''s columns) into connect_lake.case_day, for the zones given as $1 (NULL: case_day_zones()); run by case_day_rebuild() and the triggers of case_state.';

CREATE FUNCTION connect_lake.case_open_sql(source text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
  SELECT format($q$
  INSERT INTO connect_lake.case_open AS o
  SELECT n.detail_case_caseid, n.account, n.detail_case_fields_status, n.detail_case_fields_title,
         n.detail_case_fields_level_1, n.detail_case_fields_is_complaint, n.detail_case_fields_assigned_agent_name,
         n.detail_case_fields_queue_name, n.detail_case_createddatetime
    FROM (%s) n
   WHERE connect_lake.case_is_open(n.detail_event_type, n.detail_case_fields_status)
  ON CONFLICT (case_id) DO UPDATE
     SET (account, status, title, level_1, is_complaint, assigned_agent_name, queue_name, created_at)
       = (excluded.account, excluded.status, excluded.title, excluded.level_1, excluded.is_complaint,
          excluded.assigned_agent_name, excluded.queue_name, excluded.created_at)$q$, source)
$fn$;
COMMENT ON FUNCTION connect_lake.case_open_sql(text) IS
  'Internal: the statement that puts the open ones of the case_state rows of source into connect_lake.case_open; run by case_day_rebuild() and the triggers of case_state.';

-- Makes case_day anew from case_state (every zone, or the zones listed).
CREATE FUNCTION connect_lake.case_day_rebuild(zones text[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('connect_lake.case_day'));
  IF zones IS NULL THEN
    DELETE FROM connect_lake.case_open;
    EXECUTE connect_lake.case_open_sql('SELECT * FROM connect_lake.case_state');
    DELETE FROM connect_lake.case_day;
  ELSE
    DELETE FROM connect_lake.case_day WHERE time_zone = ANY (zones);
  END IF;
  EXECUTE connect_lake.case_day_sql('SELECT 1 AS sign, s.* FROM connect_lake.case_state s') USING zones;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_day_rebuild(text[]) IS
  'Makes connect_lake.case_day anew from case_state, for every time zone (zones NULL: and case_open too) or the zones listed; returns the case_day rows written. Run by the triggers when the case rules or the calendars'' time zones change.';

-- The trigger of case_state (statement level, with the statement's rows as
-- transition tables): counts the rows a statement inserted into their
-- groups, moves those it updated from their old groups to their new ones,
-- takes those it deleted out, in every zone; a truncation empties both
-- tables.  Writers of case_day take one advisory lock first (to the end of
-- the transaction): an INSERT ... ON CONFLICT fires an insert and an update
-- trigger, each locking its groups, so that two loads of case events would
-- otherwise lock the same groups in different orders and deadlock.
-- Without JIT: its statements read one statement's rows, but the planner
-- sizes the zones from calendar, which is small and seldom analyzed (520
-- rows guessed for 3), so that a load() of 5,000 cases was costed at
-- 800,000 and spent 0.2 s of CPU compiling them (issue #15).
CREATE FUNCTION connect_lake.case_day_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('connect_lake.case_day'));
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM connect_lake.case_open;
    DELETE FROM connect_lake.case_day;
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM connect_lake.case_open o
     WHERE o.case_id = ANY (ARRAY(SELECT r.detail_case_caseid FROM old_rows r));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    EXECUTE connect_lake.case_open_sql('SELECT * FROM new_rows');
  END IF;
  EXECUTE connect_lake.case_day_sql(CASE TG_OP
            WHEN 'INSERT' THEN 'SELECT 1 AS sign, n.* FROM new_rows n'
            WHEN 'DELETE' THEN 'SELECT -1 AS sign, o.* FROM old_rows o'
            ELSE 'SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1 AS sign, o.* FROM old_rows o' END)
    USING NULL::text[];
  -- a group whose cases all moved away goes (as case_day_rebuild() has it;
  -- found through case_day_gone_idx, whatever the table's size)
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM connect_lake.case_day d WHERE d.cases = 0;
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_day_changed() IS
  'Trigger of case_state (case_day_inserted, _updated, _deleted, _truncated): counts the rows a statement inserted, updated or deleted in and out of connect_lake.case_day and case_open; a truncation empties them.';

-- The case rules changed (after case_status_changed recompiled them):
-- which cases are open, anew.
-- A calendar's time zone changed: the zones no longer used go, new ones
-- are counted.
CREATE FUNCTION connect_lake.case_day_config_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('connect_lake.case_day'));
  IF TG_TABLE_NAME = 'case_status' THEN
    PERFORM connect_lake.case_day_rebuild();
  ELSE
    DELETE FROM connect_lake.case_day
     WHERE time_zone NOT IN (SELECT z FROM connect_lake.case_day_zones() z);
    PERFORM connect_lake.case_day_rebuild(ARRAY(
      SELECT z FROM connect_lake.case_day_zones() z
       WHERE NOT EXISTS (SELECT FROM connect_lake.case_day d WHERE d.time_zone = z)));
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_day_config_changed() IS
  'Trigger of case_status and calendar: makes connect_lake.case_day anew when the case rules change, counts a calendar''s new time zone and drops the zones no longer used.';

-- The triggers that keep case_day, on (made) or off (dropped: on a lake
-- distributed on Citus, where case_state lives on the workers; distribute()
-- and undistribute() turn them off and on).  Turning them on makes case_day
-- anew.
CREATE FUNCTION connect_lake.case_day_keep(keep boolean) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('connect_lake.case_day'));
  FOR t IN SELECT g.tgname, g.tgrelid::regclass AS rel FROM pg_trigger g
             WHERE (g.tgrelid = 'connect_lake.case_state'::regclass
                    AND g.tgname IN ('case_day_inserted', 'case_day_updated', 'case_day_deleted', 'case_day_truncated'))
                OR (g.tgrelid = 'connect_lake.case_status'::regclass AND g.tgname = 'case_status_rollup')
                OR (g.tgrelid = 'connect_lake.calendar'::regclass AND g.tgname = 'calendar_rollup')
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
  END LOOP;
  IF keep THEN
    CREATE TRIGGER case_day_inserted AFTER INSERT ON connect_lake.case_state
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_changed();
    CREATE TRIGGER case_day_updated AFTER UPDATE ON connect_lake.case_state
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_changed();
    CREATE TRIGGER case_day_deleted AFTER DELETE ON connect_lake.case_state
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_changed();
    CREATE TRIGGER case_day_truncated AFTER TRUNCATE ON connect_lake.case_state
      FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_changed();
    -- (after case_status_changed, which recompiles the rule: a table's
    -- triggers fire in name order)
    CREATE TRIGGER case_status_rollup AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.case_status
      FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_config_changed();
    CREATE TRIGGER calendar_rollup AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.calendar
      FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_config_changed();
    PERFORM connect_lake.case_day_rebuild();
  ELSE
    DELETE FROM connect_lake.case_open;
    DELETE FROM connect_lake.case_day;
  END IF;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_day_keep(boolean) IS
  'Turns the upkeep of connect_lake.case_day on (makes its triggers on case_state, case_status and calendar, and the table anew) or off (drops them, empties it): off on a lake distributed on Citus (distribute() and undistribute() call it).';
SELECT connect_lake.case_day_keep(true);

-- ---- The views, from case_day (on Citus: the range functions, live).
-- Same columns, rows and order as the range functions over the views'
-- ranges; a day filter on the view reaches case_day's key.
CREATE OR REPLACE VIEW connect_lake.case_volume_daily AS
  SELECT * FROM (
    SELECT d.day, sum(d.cases)::bigint AS cases_created, sum(d.deleted)::bigint AS deleted,
           coalesce(sum(d.cases) FILTER (WHERE d.is_complaint), 0)::bigint AS complaints,
           sum(d.open)::bigint AS still_open
      FROM connect_lake.case_day d
     WHERE d.time_zone = connect_lake.lake_time_zone() AND NOT connect_lake.is_distributed()
     GROUP BY d.day HAVING sum(d.cases) > 0
     ORDER BY d.day) k
  UNION ALL
  SELECT * FROM connect_lake.case_volume_daily('-infinity', 'infinity') WHERE connect_lake.is_distributed();

CREATE OR REPLACE VIEW connect_lake.complaints_daily AS
  SELECT * FROM (
    SELECT d.day, sum(d.cases)::bigint AS complaints, sum(d.open)::bigint AS open_complaints,
           sum(d.resolved)::bigint AS resolved, sum(d.ombudsman)::bigint AS ombudsman
      FROM connect_lake.case_day d
     WHERE d.time_zone = connect_lake.lake_time_zone() AND d.is_complaint AND NOT connect_lake.is_distributed()
     GROUP BY d.day HAVING sum(d.cases) > 0
     ORDER BY d.day) k
  UNION ALL
  SELECT * FROM connect_lake.complaints_daily('-infinity', 'infinity') WHERE connect_lake.is_distributed();

CREATE OR REPLACE VIEW connect_lake.complaints_by_subject AS
  SELECT * FROM (
    SELECT d.complaint_subject, sum(d.cases)::bigint AS complaints, sum(d.open)::bigint AS open_complaints,
           CASE WHEN sum(d.goodwill_cases) > 0 THEN sum(d.goodwill) ELSE 0 END AS goodwill_total
      FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
      JOIN connect_lake.case_day d
        ON d.time_zone = z.tz
       AND d.day BETWEEN (now() AT TIME ZONE z.tz)::date - 89 AND (now() AT TIME ZONE z.tz)::date
     WHERE d.is_complaint AND NOT connect_lake.is_distributed()
     GROUP BY d.complaint_subject HAVING sum(d.cases) > 0
     ORDER BY 2 DESC, 1) k
  UNION ALL
  SELECT * FROM connect_lake.complaints_by_subject(
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date - 89,
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date)
   WHERE connect_lake.is_distributed();

CREATE OR REPLACE VIEW connect_lake.cases_by_category AS
  SELECT * FROM (
    SELECT d.level_1, sum(d.cases)::bigint AS cases, sum(d.open)::bigint AS open_cases,
           coalesce(sum(d.cases) FILTER (WHERE d.is_complaint), 0)::bigint AS complaints
      FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
      JOIN connect_lake.case_day d
        ON d.time_zone = z.tz
       AND d.day BETWEEN (now() AT TIME ZONE z.tz)::date - 29 AND (now() AT TIME ZONE z.tz)::date
     WHERE NOT connect_lake.is_distributed()
     GROUP BY d.level_1 HAVING sum(d.cases) > 0
     ORDER BY 2 DESC, 1) k
  UNION ALL
  SELECT * FROM connect_lake.cases_by_category(
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date - 29,
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date)
   WHERE connect_lake.is_distributed();

-- The open cases from case_open (on Citus: case_state's open-case index);
-- within the open cases, overdue is past the due date (case_is_overdue()
-- less its open test).  Each branch is gated inside (its scan skipped) and
-- outside (its one aggregate row dropped).
CREATE OR REPLACE VIEW connect_lake.open_case_backlog AS
  SELECT * FROM (
    SELECT count(*) AS open_cases,
           count(*) FILTER (WHERE now() > connect_lake.case_due_date(o.created_at)) AS overdue_cases,
           count(*) FILTER (WHERE o.is_complaint) AS open_complaints,
           now() AS as_of
      FROM connect_lake.case_open o
     WHERE NOT connect_lake.is_distributed()) k
   WHERE NOT connect_lake.is_distributed()
  UNION ALL
  SELECT * FROM (
    SELECT count(*), count(*) FILTER (WHERE now() > connect_lake.case_due_date(s.detail_case_createddatetime)),
           count(*) FILTER (WHERE s.detail_case_fields_is_complaint), now()
      FROM connect_lake.case_state s
     WHERE connect_lake.case_is_open(s.detail_event_type, s.detail_case_fields_status)
       AND connect_lake.is_distributed()) l
   WHERE connect_lake.is_distributed();

-- The overdue cases from case_open.
CREATE OR REPLACE VIEW connect_lake.overdue_cases AS
  SELECT * FROM (
    SELECT o.case_id, o.account, o.status, o.title, o.level_1, o.is_complaint, o.assigned_agent_name,
           o.queue_name, o.created_at, connect_lake.case_due_date(o.created_at) AS due_date,
           connect_lake.working_days_between(o.created_at, now()) AS working_days_open
      FROM connect_lake.case_open o
     WHERE now() > connect_lake.case_due_date(o.created_at) AND NOT connect_lake.is_distributed()
     ORDER BY o.created_at, o.case_id) k
  UNION ALL
  SELECT * FROM connect_lake.overdue_cases('-infinity', 'infinity') WHERE connect_lake.is_distributed();

GRANT SELECT ON connect_lake.case_day, connect_lake.case_open TO connect_lake_reader, connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.case_day_rebuild(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.case_day_sql(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.case_open_sql(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.case_day_keep(boolean) FROM PUBLIC;


-- ==== CTR metric upkeep in one pass (issue 12, session 6 "ctrup"): the
-- rollups' signed sums made in C (metric_rollup_delta_rows(), read by
-- metric_rollup_delta(), edited in place above), and metric_apply()'s
-- lookups of followers and predecessors by index whatever the lake's size.
CREATE FUNCTION connect_lake.metric_rollup_delta_rows(before connect_lake.contact_metric[],
                                                      after connect_lake.contact_metric[],
                                                      thresholds integer[], time_zone text)
RETURNS TABLE (kind text, interval_start timestamptz, day date, queue_kind text, queue_id uuid, channel text,
               agent_id uuid, threshold_s integer, queued_time_max integer, v bigint[])
AS 'MODULE_PATHNAME', 'metric_rollup_delta_rows'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.metric_rollup_delta_rows(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text) IS
  'Internal, the writers'' upkeep: the signed sums metric_rollup_delta() adds to the rollups for contact_metric rows taken out (before, -1) and added (after, +1), summed as the _live views sum them, in one pass (C): kind queue and queue_day (per 15-minute interval, or local day of time_zone, queue kind, queue and channel; v the measures of metric_queue_interval in column order, queued_time_max the longest queue time added), agent (per interval, agent and channel; v the measures of metric_agent_interval), threshold and threshold_day (per threshold of thresholds, ascending, interval or day, queue kind, queue and channel with queued contacts in the rows; v answered, abandoned and removed below and at the threshold). Each kind comes in its table''s key order.';

-- ==== Case events landing cheaper (issue #15, session 6): the events'
-- landing time indexed by BRIN rather than a B-tree in every month, and no
-- index on the related items' id (50_case_events.sql).
UPDATE connect_lake.fact_table
   SET indexes = array_replace(indexes, '(meta_enriched_landed_date)',
                               'USING brin (meta_enriched_landed_date) WITH (pages_per_range = 16)')
 WHERE relname = 'case_events';
UPDATE connect_lake.fact_table
   SET indexes = array_remove(indexes, '(detail_relateditem_relateditemid)')
 WHERE relname = 'case_related_items';
DO $upgrade$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT i.indexrelid::regclass AS idx, i.indrelid::regclass AS part
             FROM pg_catalog.pg_inherits h
             JOIN pg_catalog.pg_index i ON i.indrelid = h.inhrelid
             JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid
             JOIN pg_catalog.pg_am m ON m.oid = x.relam
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE h.inhparent = 'connect_lake.case_events'::regclass
              AND i.indnatts = 1 AND a.attname = 'meta_enriched_landed_date' AND m.amname = 'btree'
              AND i.indexprs IS NULL AND i.indpred IS NULL
            ORDER BY 2 LOOP
    EXECUTE format('DROP INDEX %s', r.idx);
    EXECUTE format('CREATE INDEX ON %s USING brin (meta_enriched_landed_date) WITH (pages_per_range = 16)', r.part);
  END LOOP;
END
$upgrade$;
-- (the months' indexes on the related items' id: dropped with those on the
-- event id, session 9's, below)


-- ---- s8-ctr (session 8): the rollups' new interval rows written from C
-- metric_rollup_delta_write(before, after, thresholds, time_zone): the rows
-- of metric_rollup_delta_rows(), but the interval rows the tables do not have
-- yet written into them directly from C, as COPY writes (READ COMMITTED,
-- the intervals locked by the caller; else returned like the others).
CREATE FUNCTION connect_lake.metric_rollup_delta_write(before connect_lake.contact_metric[],
                                                       after connect_lake.contact_metric[],
                                                       thresholds integer[], time_zone text)
RETURNS TABLE (kind text, interval_start timestamptz, day date, queue_kind text, queue_id uuid, channel text,
               agent_id uuid, threshold_s integer, queued_time_max integer, v bigint[])
AS 'MODULE_PATHNAME', 'metric_rollup_delta_write'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION connect_lake.metric_rollup_delta_write(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text) IS
  'Internal, the writers'' upkeep (metric_rollup_delta()): the rows of metric_rollup_delta_rows(), except that the interval rows metric_queue_interval, metric_agent_interval and metric_queue_threshold do not have yet (queue_new, agent_new, threshold_new) are inserted into those tables directly, as COPY writes, instead of returned: in READ COMMITTED and not read-only, with the intervals locked by the caller, and where the table has no triggers, rules or CHECK constraints, no row-level security but policies that let any row in, its columns as the statement writes them (key types, no domain, generated or identity-always column), the caller may insert into it and the lake is not on Citus; otherwise they are returned like the others.';
REVOKE ALL ON FUNCTION connect_lake.metric_rollup_delta_write(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.metric_rollup_delta_write(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text) TO connect_lake_loader;


-- ==== Session 8 (s8-debts): metric_apply() writes every contact_metric row
-- before it locks any interval (the contacts contact_metric holds under
-- another InitiationTimestamp no longer take every interval's lock between
-- its two calls: a writer holding one of their rows while it waited for that
-- lock deadlocked), and a row another writer changed since the upkeep's
-- snapshot is done again from a new one; its contact_metric part is
-- metric_apply_rows().
CREATE FUNCTION connect_lake.metric_apply_rows(ids uuid[], source_where text, from_ts timestamptz,
                                               to_ts timestamptz, initiation_ts timestamptz[],
                                               OUT total bigint, OUT ivs timestamptz[],
                                               OUT before connect_lake.contact_metric[],
                                               OUT after connect_lake.contact_metric[], OUT others uuid[])
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
  found    uuid[];
  touched  uuid[];
  preds    uuid[];
  settle   uuid[];
  b2       connect_lake.contact_metric[];
  a2       connect_lake.contact_metric[];
  gone     boolean;
  notup    uuid[];
  notup_x  xid[];
  stale    uuid[];
BEGIN
  ids := coalesce(ids, '{}');
  -- The contacts' rows from their latest version in ctr_events, with their
  -- follower flags; what they were before (the statement's snapshot), and
  -- the rows that changed, before and after.
  -- A contact's versions are rows of ctr_events under each InitiationTimestamp
  -- it was delivered with (the partition key is part of the key); its latest
  -- is the first by LastUpdateTimestamp (NULL last), then InitiationTimestamp,
  -- across all of them.  The rows found (src0) are read alone, except for
  -- the contacts contact_metric holds under another InitiationTimestamp (or
  -- holds, and src0 lacks): only those can have a later version elsewhere.
  -- They are left out here (other) and done by a second call that reads
  -- every version of them (rare: a probe per partition each; in a separate
  -- statement, so that the usual one plans no scan of every partition).
  -- $5: look for them (not when source_where reads every version already).
  EXECUTE format($q$
    WITH src0 AS MATERIALIZED (
      SELECT DISTINCT ON (b.contactid) b.*
        FROM connect_lake.contact_metric_base b
       WHERE %s
       ORDER BY b.contactid, b.lastupdatetimestamp DESC NULLS LAST, b.initiationtimestamp DESC
    ), old AS MATERIALIZED (
      -- (x: the row version read, for the guard of the upsert below)
      SELECT o.r, o.x
        FROM (SELECT src0.contactid FROM src0 UNION SELECT unnest($1)) k
       CROSS JOIN LATERAL (SELECT m AS r, m.xmin AS x FROM connect_lake.contact_metric m
                            WHERE m.contactid = k.contactid OFFSET 0) o
    ), other AS MATERIALIZED (
      -- (an anti join: estimated at most the rows of old; as an outer join
      -- filtered it was estimated at millions, and the hash tables built
      -- on it were sized and zeroed for them at every call)
      SELECT (old.r).contactid
        FROM old
       WHERE $5 AND NOT EXISTS (SELECT 1 FROM src0 WHERE src0.contactid = (old.r).contactid
                                   AND src0.initiationtimestamp = (old.r).initiationtimestamp)
    ), src AS MATERIALIZED (
      SELECT src0.* FROM src0 WHERE NOT EXISTS (SELECT 1 FROM other WHERE other.contactid = src0.contactid)
    ), fol AS MATERIALIZED (
      -- contact_metric_follower's legs of each contact of src, src's
      -- versions in place of the rows they replace: by PreviousContactId,
      -- then the contact its NextContactId names
      SELECT x.contactid, array_agg(DISTINCT x.initiationmethod) AS methods
        FROM (SELECT f.previouscontactid, f.initiationmethod
                FROM src f
               WHERE f.previouscontactid IS NOT NULL AND f.previouscontactid <> f.contactid
              UNION ALL
              SELECT s.contactid, f.initiationmethod
                FROM src s
               CROSS JOIN LATERAL (SELECT f.contactid, f.initiationmethod FROM connect_lake.contact_metric f
                                    WHERE f.previouscontactid = s.contactid AND f.contactid <> s.contactid
                                    OFFSET 0) f
               WHERE NOT EXISTS (SELECT 1 FROM src z WHERE z.contactid = f.contactid)
              UNION ALL
              SELECT s.contactid, n.initiationmethod
                FROM src s JOIN src n ON n.contactid = s.nextcontactid AND n.contactid <> s.contactid
              UNION ALL
              SELECT s.contactid, n.initiationmethod
                FROM src s
               CROSS JOIN LATERAL (SELECT n.contactid, n.initiationmethod FROM connect_lake.contact_metric n
                                    WHERE n.contactid = s.nextcontactid AND n.contactid <> s.contactid
                                    OFFSET 0) n
               WHERE NOT EXISTS (SELECT 1 FROM src z WHERE z.contactid = n.contactid)) x(contactid, initiationmethod)
       GROUP BY x.contactid
    ), up AS (
      INSERT INTO connect_lake.contact_metric AS m (contactid, initiationtimestamp, disconnecttimestamp,
       lastupdatetimestamp, interval_start, excluded_reason, queue_kind, queue_id, channel, agent_id,
       initiationmethod, disconnectreason, previouscontactid, nextcontactid, queued, handled, answered, abandoned,
       callback_requested, xfer_out_queue, xfer_out_internal, xfer_out_external, xfer_out_agent, held, queue_time,
       handle_time, interaction_time, hold_time, acw_time, contact_duration, resolution_time)
      SELECT s.contactid, s.initiationtimestamp, s.disconnecttimestamp, s.lastupdatetimestamp, s.interval_start,
             s.excluded_reason, s.queue_kind, s.queue_id, s.channel, s.agent_id, s.initiationmethod,
             s.disconnectreason, s.previouscontactid, s.nextcontactid, s.queued, s.handled, s.answered,
             connect_lake.metric_abandoned(s.queued, s.handled, s.methods),
             connect_lake.metric_callback_requested(s.queued, s.handled, s.methods),
             connect_lake.metric_xfer_out_queue(s.queued, s.handled, s.methods),
             connect_lake.metric_xfer_out_internal(s.handled, s.methods),
             s.xfer_out_external,
             connect_lake.metric_xfer_out_agent(s.handled, connect_lake.metric_xfer_out_internal(s.handled, s.methods),
                                                s.xfer_out_external),
             s.held, s.queue_time, s.handle_time, s.interaction_time, s.hold_time, s.acw_time, s.contact_duration,
             s.resolution_time
        FROM (SELECT src.*, coalesce(fol.methods, '{}') AS methods
                FROM src LEFT JOIN fol ON fol.contactid = src.contactid) s
      ON CONFLICT (contactid) DO UPDATE
         SET (initiationtimestamp, disconnecttimestamp, lastupdatetimestamp, interval_start, excluded_reason,
              queue_kind, queue_id, channel, agent_id, initiationmethod, disconnectreason, previouscontactid,
              nextcontactid, queued, handled, answered, abandoned, callback_requested, xfer_out_queue,
              xfer_out_internal, xfer_out_external, xfer_out_agent, held, queue_time, handle_time,
              interaction_time, hold_time, acw_time, contact_duration, resolution_time)
           = (excluded.initiationtimestamp, excluded.disconnecttimestamp, excluded.lastupdatetimestamp,
              excluded.interval_start, excluded.excluded_reason, excluded.queue_kind, excluded.queue_id,
              excluded.channel, excluded.agent_id, excluded.initiationmethod, excluded.disconnectreason,
              excluded.previouscontactid, excluded.nextcontactid, excluded.queued, excluded.handled,
              excluded.answered, excluded.abandoned, excluded.callback_requested, excluded.xfer_out_queue,
              excluded.xfer_out_internal, excluded.xfer_out_external, excluded.xfer_out_agent, excluded.held,
              excluded.queue_time, excluded.handle_time, excluded.interaction_time, excluded.hold_time,
              excluded.acw_time, excluded.contact_duration, excluded.resolution_time)
       -- only the row version this statement read: one another writer
       -- changed or inserted since (READ COMMITTED: it waited for that
       -- writer's commit) is left as it is and redone below from a new
       -- snapshot, which sees that writer's versions too (a hashed IN, not
       -- a search of old per row: xid has no btree order, its text has)
       WHERE (m.contactid, m.xmin::text) IN (SELECT (old.r).contactid, old.x::text FROM old)
         AND (m.initiationtimestamp, m.disconnecttimestamp, m.lastupdatetimestamp, m.interval_start,
              m.excluded_reason, m.queue_kind, m.queue_id, m.channel, m.agent_id, m.initiationmethod,
              m.disconnectreason, m.previouscontactid, m.nextcontactid, m.queued, m.handled, m.answered,
              m.abandoned, m.callback_requested, m.xfer_out_queue, m.xfer_out_internal, m.xfer_out_external,
              m.xfer_out_agent, m.held, m.queue_time, m.handle_time, m.interaction_time, m.hold_time,
              m.acw_time, m.contact_duration, m.resolution_time)
             IS DISTINCT FROM
             (excluded.initiationtimestamp, excluded.disconnecttimestamp, excluded.lastupdatetimestamp,
              excluded.interval_start, excluded.excluded_reason, excluded.queue_kind, excluded.queue_id,
              excluded.channel, excluded.agent_id, excluded.initiationmethod, excluded.disconnectreason,
              excluded.previouscontactid, excluded.nextcontactid, excluded.queued, excluded.handled,
              excluded.answered, excluded.abandoned, excluded.callback_requested, excluded.xfer_out_queue,
              excluded.xfer_out_internal, excluded.xfer_out_external, excluded.xfer_out_agent, excluded.held,
              excluded.queue_time, excluded.handle_time, excluded.interaction_time, excluded.hold_time,
              excluded.acw_time, excluded.contact_duration, excluded.resolution_time)
      RETURNING m.*
    )
    SELECT (SELECT coalesce(array_agg(src.contactid), '{}') FROM src),
           (SELECT coalesce(array_agg(other.contactid), '{}') FROM other),
           (SELECT coalesce(array_agg((old.r).interval_start) FILTER (WHERE (old.r).interval_start IS NOT NULL), '{}')
              FROM old WHERE NOT EXISTS (SELECT 1 FROM other WHERE other.contactid = (old.r).contactid))
           || (SELECT coalesce(array_agg(src.interval_start) FILTER (WHERE src.interval_start IS NOT NULL), '{}') FROM src),
           (SELECT coalesce(array_agg((old.r).previouscontactid) FILTER (WHERE (old.r).previouscontactid IS NOT NULL), '{}')
              FROM old WHERE NOT EXISTS (SELECT 1 FROM other WHERE other.contactid = (old.r).contactid))
           || (SELECT coalesce(array_agg(src.previouscontactid) FILTER (WHERE src.previouscontactid IS NOT NULL), '{}') FROM src),
           (SELECT coalesce(array_agg(old.r), '{}') FROM old WHERE (old.r).contactid IN (SELECT up.contactid FROM up)),
           (SELECT coalesce(array_agg(up::connect_lake.contact_metric), '{}') FROM up),
           (SELECT coalesce(array_agg(src.contactid ORDER BY src.contactid), '{}') FROM src
             WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.contactid = src.contactid)),
           (SELECT coalesce(array_agg(o.x ORDER BY src.contactid), '{}') FROM src
              LEFT JOIN old o ON (o.r).contactid = src.contactid
             WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.contactid = src.contactid))
  $q$, source_where) INTO found, others, ivs, preds, before, after, notup, notup_x
  USING ids, from_ts, to_ts, initiation_ts, source_where <> 'b.contactid = ANY ($1)';
  -- (the contacts left out are the second call's, gone or not, with what
  -- they counted in and continued before)
  IF cardinality(others) > 0 THEN
    ids := ARRAY(SELECT unnest(ids) EXCEPT SELECT unnest(others));
  END IF;
  -- The contacts whose row the upsert left because another writer had
  -- changed or inserted it since this statement's snapshot (its row now is
  -- not the version read): that writer's versions of them were not seen, so
  -- they are done again, with the others, by a call that reads every
  -- version anew.  (Read by key, a new statement: it sees what committed.)
  IF cardinality(notup) > 0 THEN
    SELECT coalesce(array_agg(k.c), '{}') INTO stale
      FROM unnest(notup, notup_x) k(c, x)
      LEFT JOIN LATERAL (SELECT m.xmin FROM connect_lake.contact_metric m WHERE m.contactid = k.c OFFSET 0) m ON true
     WHERE m.xmin IS DISTINCT FROM k.x;
    others := others || stale;
  END IF;

  -- Contacts given that are no longer in ctr_events count nowhere.
  WITH d AS (DELETE FROM connect_lake.contact_metric m
              WHERE m.contactid = ANY (ARRAY(SELECT unnest(ids) EXCEPT SELECT unnest(found)))
             RETURNING m)
  SELECT coalesce(array_agg(d.m), '{}') INTO b2 FROM d;
  gone := cardinality(b2) > 0;
  before := before || b2;
  SELECT coalesce(array_agg(DISTINCT t.c), '{}') INTO touched FROM (SELECT unnest(found || ids)) t(c);

  -- The other contacts whose follower flags may have changed: those they
  -- continue now or continued before, and those naming one as
  -- NextContactId (with a contact gone, the contacts given too: it may
  -- have been a leg of one of them).
  -- (Made distinct by a sort, and the contacts given taken away by an anti
  -- join hashing them: a UNION or EXCEPT hashes the lookup's side, whose
  -- estimate, the contacts given times a guess per contact, sized a hash
  -- table of millions of entries, zeroed at every commit.)
  IF gone THEN
    SELECT coalesce(array_agg(DISTINCT s.c), '{}') INTO settle
      FROM (SELECT unnest(preds)
            UNION ALL
            SELECT m.contactid FROM unnest(touched) t(c)
             CROSS JOIN LATERAL (SELECT m.contactid FROM connect_lake.contact_metric m WHERE m.nextcontactid = t.c
                                  OFFSET 0) m
            UNION ALL
            SELECT unnest(touched)) s(c);
  ELSE
    SELECT coalesce(array_agg(DISTINCT s.c), '{}') INTO settle
      FROM (SELECT unnest(preds)
            UNION ALL
            SELECT m.contactid FROM unnest(touched) t(c)
             CROSS JOIN LATERAL (SELECT m.contactid FROM connect_lake.contact_metric m WHERE m.nextcontactid = t.c
                                  OFFSET 0) m) s(c)
     WHERE NOT EXISTS (SELECT 1 FROM unnest(touched) x(c) WHERE x.c = s.c);
  END IF;

  IF cardinality(settle) > 0 THEN
    -- their rows before (o: the statement's snapshot) and after
    WITH u AS (
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
                                    WHERE x.contactid = s.c) fo) f,
             connect_lake.contact_metric o
       WHERE m.contactid = f.contactid AND o.contactid = m.contactid
         AND (m.callback_requested, m.xfer_out_queue, m.abandoned, m.xfer_out_internal, m.xfer_out_agent)
             IS DISTINCT FROM
             (connect_lake.metric_callback_requested(m.queued, m.handled, f.methods),
              connect_lake.metric_xfer_out_queue(m.queued, m.handled, f.methods),
              connect_lake.metric_abandoned(m.queued, m.handled, f.methods),
              connect_lake.metric_xfer_out_internal(m.handled, f.methods),
              connect_lake.metric_xfer_out_agent(m.handled, connect_lake.metric_xfer_out_internal(m.handled, f.methods),
                                                 m.xfer_out_external))
      RETURNING o AS old_row, m AS new_row)
    SELECT coalesce(array_agg(u.old_row), '{}'), coalesce(array_agg(u.new_row), '{}') INTO b2, a2 FROM u;
    IF cardinality(a2) > 0 THEN
      -- a contact already changed above is taken out again as written there
      -- (b2) and added as it is now (a2): its row in between cancels in the
      -- signed sums (only follower flags change here, never its interval,
      -- queue, channel, agent or queue time), with no search of the arrays
      before := before || b2;
      after := after || a2;
      ivs := ivs || ARRAY(SELECT b.interval_start FROM unnest(b2) b WHERE b.interval_start IS NOT NULL)
                 || ARRAY(SELECT a.interval_start FROM unnest(a2) a WHERE a.interval_start IS NOT NULL);
    END IF;
  END IF;

  total := cardinality(settle) + CASE WHEN gone THEN 0 ELSE cardinality(touched) END;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_apply_rows(uuid[], text, timestamptz, timestamptz, timestamptz[]) IS
  'Internal: metric_apply()''s contact_metric part: the rows (follower flags included) of the contacts of contact_metric_base where source_where holds ($1 ids, $2 from, $3 to, $4 initiation times) and of the contacts ids (removed when gone from ctr_events), and the follower flags of the contacts they continue; the rollups untouched. Returns the contacts whose flags were recomputed (total), the intervals counted in before or after (ivs), the rows changed before and after, and the contacts left out because contact_metric holds them under another InitiationTimestamp (others, for a call that reads every version of them).';

REVOKE ALL ON FUNCTION connect_lake.metric_apply_rows(uuid[], text, timestamptz, timestamptz, timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.metric_apply_rows(uuid[], text, timestamptz, timestamptz, timestamptz[]) TO connect_lake_loader;



-- ---- s9-case (session 9): case events landing cheaper, issue #15.
-- The months of case_events and case_related_items keep no index on the
-- event id: its one reader, the loader's erasure check (erasure_landed()),
-- finds the rows landed by their case id and change time, the lead of the
-- key (50_case_events.sql, 86_erasure.sql).
UPDATE connect_lake.fact_table
   SET indexes = array_remove(indexes, '(event_id)')
 WHERE relname IN ('case_events', 'case_related_items');
-- The months' single-column indexes the fact tables no longer name: on the
-- event id of case events and related items (session 9), and on the related
-- items' id (session 6, above).
DO $upgrade$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT i.indexrelid::regclass AS idx
             FROM (VALUES ('connect_lake.case_events'::regclass, 'event_id'),
                          ('connect_lake.case_related_items'::regclass, 'event_id'),
                          ('connect_lake.case_related_items'::regclass, 'detail_relateditem_relateditemid')) d(parent, col)
             JOIN pg_catalog.pg_inherits h ON h.inhparent = d.parent
             JOIN pg_catalog.pg_index i ON i.indrelid = h.inhrelid
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indnatts = 1 AND a.attname = d.col
              AND i.indexprs IS NULL AND i.indpred IS NULL
            ORDER BY 1 LOOP
    EXECUTE format('DROP INDEX %s', r.idx);
  END LOOP;
END
$upgrade$;


-- ==== Session 9, s9-cmw: the contact_metric rows of new contacts written from C
-- (metric_apply_new(); metric_apply() above calls it).
-- metric_apply_new(ids, initiation_ts): the contact_metric rows of the new
-- contacts given that need nothing but their own row (contact_metric holds
-- no row of them, they have no PreviousContactId or NextContactId, and no
-- row of contact_metric or other contact given names them), read from
-- contact_metric_base as metric_apply_rows() reads them, with the follower
-- flags of no leg, and written directly from C as COPY writes; the rows
-- written (after) and the contacts left for metric_apply_rows() (rest_ids,
-- rest_ts, in their order).  after NULL, every contact left: the statement
-- must write them (see src/metric_contact.c).
CREATE FUNCTION connect_lake.metric_apply_new(ids uuid[], initiation_ts timestamptz[],
                                              OUT after connect_lake.contact_metric[], OUT rest_ids uuid[],
                                              OUT rest_ts timestamptz[])
AS 'MODULE_PATHNAME', 'metric_apply_new'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION connect_lake.metric_apply_new(uuid[], timestamptz[]) IS
  'Internal, the writers'' upkeep (metric_apply()): of the contacts given with their InitiationTimestamps, those contact_metric does not hold yet that have no PreviousContactId or NextContactId and that no row of contact_metric nor other contact given names get their rows (contact_metric_base''s, follower flags of no leg) written into contact_metric directly, as COPY writes, in a subtransaction (a duplicate key or a deadlock: none written). Returns the rows written (after) and the contacts left for metric_apply_rows() (rest_ids, rest_ts); after is NULL and every contact left where the statement must write them: not READ COMMITTED, or contact_metric with triggers, rules, CHECK constraints, row-level security that does not let any row in, other columns (or a column of another type or typmod), no INSERT privilege, a read-only transaction, Citus.';
REVOKE ALL ON FUNCTION connect_lake.metric_apply_new(uuid[], timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.metric_apply_new(uuid[], timestamptz[]) TO connect_lake_loader;

-- ==== The update's last step: what 0.2.0 keeps, computed for what the lake
-- already holds (the contact metrics, the flow funnels and containment, the
-- repeat contacts; agent activity was computed above).
SELECT connect_lake.metrics_refresh();
SELECT connect_lake.flows_refresh();
SELECT connect_lake.contact_repeat_refresh();
