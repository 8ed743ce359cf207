-- Amazon Connect Cases events (EventBridge, source aws.cases).

-- Column order: 0.1.0's, with the event id renamed event_id and the two
-- columns 0.2.0 retyped or redefined (id, the Case ID; account, an integer)
-- at the end, where ALTER TYPE puts them in an upgraded lake.
CREATE TYPE connect_lake.case_event AS (
  event_id                                      text,
  detail_case_caseid                            text,
  detail_approximatechangetime                  timestamptz,
  detail_event_type                             text,
  detail_case_createddatetime                   timestamptz,
  detail_case_templateid                        text,
  detail_case_fields_status                     text,
  detail_case_fields_title                      text,
  detail_case_fields_description                text,
  detail_case_fields_summary                    text,
  detail_case_fields_reference_number           text,
  detail_case_fields_customer_id                text,
  detail_case_fields_level_1                    text,
  detail_case_fields_level_2                    text,
  detail_case_fields_level_3                    text,
  detail_case_fields_case_reason                text,
  detail_case_fields_assigned_user              text,
  detail_case_fields_assigned_agent_name        text,
  detail_case_fields_assigned_queue             text,
  detail_case_fields_queue_name                 text,
  detail_case_fields_is_complaint               boolean,
  detail_case_fields_complaint_status           text,
  detail_case_fields_complaint_type             text,
  detail_case_fields_complaint_subject          text,
  detail_case_fields_complaint_subject_2        text,
  detail_case_fields_complaint_reason           text,
  detail_case_fields_complaint_goodwill_amount  numeric(12,2),
  detail_case_fields_complaint_resolved         boolean,
  detail_case_fields_ombudsman_case             boolean,
  detail_case_fields_original_creation_date     timestamptz,
  detail_case_fields_last_updated_datetime      timestamptz,
  detail_case_fields_last_closed_datetime       timestamptz,
  detail_case_fields_last_reopened_datetime     timestamptz,
  detail_case_fields_due_date                   timestamptz,
  detail_case_fields_is_overdue                 boolean,
  detail_case_fields_other                      jsonb,
  detail_changedfieldids                        jsonb,
  detail_performedby_userarn                    text,
  detail_performedby_iamprincipalarn            text,
  detail_version                                text,
  detail_type                                   text,
  source                                        text,
  aws_account                                   text,
  "time"                                        timestamptz,
  region                                        text,
  resources                                     jsonb,
  extra                                         jsonb,
  source_file                                   text,
  source_offset                                 bigint,
  meta_enriched_landed_date                     timestamptz,
  id                                            text,
  account                                       bigint
);
COMMENT ON TYPE connect_lake.case_event IS
  'One Cases CASE.* event as typed columns: the row type of case_events and the result of case_event_parse().';

CREATE TABLE connect_lake.case_events OF connect_lake.case_event (
  event_id                      WITH OPTIONS NOT NULL,
  id                            WITH OPTIONS NOT NULL,
  detail_case_caseid            WITH OPTIONS NOT NULL,
  detail_approximatechangetime  WITH OPTIONS NOT NULL,
  meta_enriched_landed_date     WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE (detail_approximatechangetime);


INSERT INTO connect_lake.fact_table VALUES
  ('case_events', '{detail_case_caseid,detail_approximatechangetime,event_id}', 'PRIMARY KEY', ARRAY['(detail_case_createddatetime)', '(account) WHERE account IS NOT NULL', 'USING brin (meta_enriched_landed_date) WITH (pages_per_range = 16)']::text[]);
-- The landing time (what case_state_refresh(since) finds the events landed
-- since by) grows as rows are appended, so that a BRIN index serves it: a
-- B-tree cost every case event landed an entry (1.1% of a load()'s
-- instructions, issue #15).  Small ranges: VACUUM leaves a month's last,
-- partial range unsummarised, and a query reads such a range whole.
-- No index on the event id: its one reader was the loader's erasure check
-- (erasure_landed()), which finds the events landed by their case id and
-- change time, the lead of the key (an entry per event landed, 4-5% of a
-- case load()'s CPU, issue #15, session 9).  The same for related items.

COMMENT ON TABLE connect_lake.case_events IS
  'Amazon Connect Cases events (CASE.CREATED, CASE.UPDATED, CASE.DELETED): every event kept, the case as it stood after the change. Monthly partitions on detail_approximatechangetime (UTC).';
COMMENT ON COLUMN connect_lake.case_events.event_id IS 'EventBridge event id (de-duplication key).';
COMMENT ON COLUMN connect_lake.case_events.id IS 'Case ID (detail.case.caseId, as detail_case_caseid): COUNT(DISTINCT id) counts cases, as in the warehouse.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_caseid IS 'detail.case.caseId.';
COMMENT ON COLUMN connect_lake.case_events.detail_approximatechangetime IS 'detail.approximateChangeTime: orders the events of a case (partition key).';
COMMENT ON COLUMN connect_lake.case_events.account IS 'The customer''s account number, an integer: the case field mapped to account, else an integer profile id at the end of customer_id. A value that is not an integer lands NULL and is kept in detail_case_fields_other.';
COMMENT ON COLUMN connect_lake.case_events.detail_event_type IS 'detail.eventType: CASE.CREATED, CASE.UPDATED, CASE.DELETED.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_createddatetime IS 'detail.case.createdDateTime: when the case was created.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_templateid IS 'detail.case.templateId.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_status IS 'Case field status as Cases writes it (open, closed or a custom status); whether it is open is case_status_is_open(), its display label case_status_label().';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_title IS 'Case field title.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_description IS 'Case field description (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_summary IS 'Case field summary.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_reference_number IS 'Case field reference_number.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_customer_id IS 'Case field customer_id: a Customer Profiles ARN.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_level_1 IS 'Level 1 category (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_level_2 IS 'Level 2 category (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_level_3 IS 'Level 3 category (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_case_reason IS 'Case field case_reason.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_assigned_user IS 'Assigned user ARN (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_assigned_agent_name IS 'Assigned agent''s name (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_assigned_queue IS 'Assigned queue (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_queue_name IS 'Queue name (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_is_complaint IS 'Whether the case is a complaint (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_status IS 'Complaint status (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_type IS 'Complaint type (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_subject IS 'Complaint subject (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_subject_2 IS 'Complaint secondary subject (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_reason IS 'Complaint reason (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_goodwill_amount IS 'Goodwill paid on the complaint, in the account''s currency (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_resolved IS 'Whether the complaint is resolved (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_ombudsman_case IS 'Whether the complaint went to the ombudsman (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_original_creation_date IS 'Original creation date of a migrated case (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_last_updated_datetime IS 'Case field last_updated_datetime.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_last_closed_datetime IS 'Case field last_closed_datetime.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_last_reopened_datetime IS 'When the case was last reopened (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_due_date IS 'Due date when the row landed: case_due_date(created), N working days after creation (connect_lake.case_due_working_days, default 2).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_is_overdue IS 'case_is_overdue() as of meta_enriched_landed_date: open and past its due date when the row landed (live answer: case_current).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_other IS 'Case fields no column is mapped to, keyed by field id, as JSON.';
COMMENT ON COLUMN connect_lake.case_events.detail_changedfieldids IS 'detail.changedFieldIds array as JSON.';
COMMENT ON COLUMN connect_lake.case_events.detail_performedby_userarn IS 'detail.performedBy.user.userArn.';
COMMENT ON COLUMN connect_lake.case_events.detail_performedby_iamprincipalarn IS 'detail.performedBy.iamPrincipalArn.';
COMMENT ON COLUMN connect_lake.case_events.detail_version IS 'detail.version.';
COMMENT ON COLUMN connect_lake.case_events.detail_type IS 'EventBridge detail-type: Amazon Connect Cases Change (older: Amazon Connect Cases Event).';
COMMENT ON COLUMN connect_lake.case_events.source IS 'EventBridge source (aws.cases).';
COMMENT ON COLUMN connect_lake.case_events.aws_account IS 'EventBridge account: the AWS account id.';
COMMENT ON COLUMN connect_lake.case_events."time" IS 'EventBridge event time.';
COMMENT ON COLUMN connect_lake.case_events.region IS 'EventBridge region.';
COMMENT ON COLUMN connect_lake.case_events.resources IS 'EventBridge resources array as JSON.';
COMMENT ON COLUMN connect_lake.case_events.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.case_events.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.case_events.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.case_events.meta_enriched_landed_date IS 'When the row landed in the lake.';

CREATE TYPE connect_lake.case_related_item AS (
  event_id                            text,
  detail_relateditem_caseid           text,
  detail_approximatechangetime        timestamptz,
  detail_event_type                   text,
  detail_relateditem_relateditemid    text,
  detail_relateditem_relateditemtype  text,
  detail_relateditem_createddatetime  timestamptz,
  comment_body                        text,
  contact_arn                         text,
  contactid                           uuid,
  detail_changedattributes            jsonb,
  detail_performedby_userarn          text,
  detail_performedby_iamprincipalarn  text,
  "time"                              timestamptz,
  extra                               jsonb,
  source_file                         text,
  source_offset                       bigint,
  landed_at                           timestamptz
);
COMMENT ON TYPE connect_lake.case_related_item IS
  'One Cases RELATED_ITEM.* event as typed columns: the row type of case_related_items and the result of case_related_item_parse().';

CREATE TABLE connect_lake.case_related_items OF connect_lake.case_related_item (
  event_id                      WITH OPTIONS NOT NULL,
  detail_relateditem_caseid     WITH OPTIONS NOT NULL,
  detail_approximatechangetime  WITH OPTIONS NOT NULL,
  landed_at                     WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE (detail_approximatechangetime);

INSERT INTO connect_lake.fact_table VALUES
  ('case_related_items', '{detail_relateditem_caseid,detail_approximatechangetime,event_id}', 'PRIMARY KEY', ARRAY['(contactid) WHERE contactid IS NOT NULL']::text[]);
-- (No index on the related item id: its one reader, contact_case's test
-- for a later RELATED_ITEM.DELETED, matches the case id too, which the key
-- leads with; 0.1.0 had one, an entry per related item landed, issue #15.)
-- (Nor on the event id: erasure_landed() finds a related item by its case
-- id and change time, the key's lead; session 9.)

COMMENT ON TABLE connect_lake.case_related_items IS
  'Cases RELATED_ITEM.* events: comments and contacts linked to a case. Monthly partitions on detail_approximatechangetime (UTC).';
COMMENT ON COLUMN connect_lake.case_related_items.event_id IS 'EventBridge event id (de-duplication key).';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_caseid IS 'detail.relatedItem.caseId.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_approximatechangetime IS 'detail.approximateChangeTime (partition key).';
COMMENT ON COLUMN connect_lake.case_related_items.detail_event_type IS 'detail.eventType: RELATED_ITEM.CREATED, RELATED_ITEM.UPDATED, RELATED_ITEM.DELETED.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_relateditemid IS 'detail.relatedItem.relatedItemId.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_relateditemtype IS 'detail.relatedItem.relatedItemType: Comment or Contact.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_createddatetime IS 'detail.relatedItem.createdDateTime.';
COMMENT ON COLUMN connect_lake.case_related_items.comment_body IS 'detail.relatedItem.comment.body.';
COMMENT ON COLUMN connect_lake.case_related_items.contact_arn IS 'detail.relatedItem.contact.contactArn.';
COMMENT ON COLUMN connect_lake.case_related_items.contactid IS 'Contact id taken from contact_arn.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_changedattributes IS 'detail.changedAttributes array as JSON.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_performedby_userarn IS 'detail.performedBy.user.userArn.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_performedby_iamprincipalarn IS 'detail.performedBy.iamPrincipalArn.';
COMMENT ON COLUMN connect_lake.case_related_items."time" IS 'EventBridge event time.';
COMMENT ON COLUMN connect_lake.case_related_items.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.case_related_items.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.case_related_items.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.case_related_items.landed_at IS 'When the row landed in the lake.';

-- Which columns a case field may fill: account and the detail_case_fields_*
-- columns but the derived ones.  The one definition: the map's CHECK,
-- case_field_map_load() and the loader (C reads the list through it) use it.
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

-- Custom case fields are keyed by UUID in Connect: this map names them.
CREATE TABLE connect_lake.case_field_map (
  field_id     text PRIMARY KEY,
  column_name  name NOT NULL CHECK (connect_lake.case_field_column_fillable(column_name)),
  field_name   text,
  field_type   text
);
COMMENT ON TABLE connect_lake.case_field_map IS
  'Maps Cases field ids (custom fields are UUIDs) onto detail_case_fields_* columns of case_events; unmapped fields land in detail_case_fields_other.';
COMMENT ON COLUMN connect_lake.case_field_map.field_id IS 'The Cases field id (system name such as status, or a UUID).';
COMMENT ON COLUMN connect_lake.case_field_map.column_name IS 'The case_events column the field fills: account or a detail_case_fields_* column (not due_date, is_overdue, other).';
COMMENT ON COLUMN connect_lake.case_field_map.field_name IS 'The field''s display name (from ListFields).';
COMMENT ON COLUMN connect_lake.case_field_map.field_type IS 'The field''s type (from ListFields): Text, Number, Boolean, DateTime, SingleSelect, Url, User.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.case_field_map', '');

-- ==== Parsing
--
-- A field of detail.case.fields lands in the column case_field_map names for
-- its id, else in detail_case_fields_<id> when there is one (the system
-- fields), else in detail_case_fields_other.  Tagged values are converted to
-- the column's type: text takes any value; boolean a booleanValue or a string
-- true/false/yes/no; numeric a doubleValue or a decimal string; timestamptz an
-- ISO-8601 stringValue (YYYY-MM-DD alone is midnight UTC) or a doubleValue of
-- epoch milliseconds; emptyValue is NULL.  account (bigint) is the field
-- mapped to account, else an integer profile id at the end of the customer_id
-- ARN; an account value that is not an integer lands NULL and is kept in
-- detail_case_fields_other.
CREATE FUNCTION connect_lake.case_event_parse(doc jsonb) RETURNS connect_lake.case_event
  AS 'MODULE_PATHNAME', 'case_event_parse_jsonb'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.case_event_parse(jsonb) IS
  'One Cases CASE.* event (detail-type Amazon Connect Cases Change or Cases Event) as a typed connect_lake.case_event row: fields mapped through case_field_map, due date = case_due_date(created), overdue (case_is_overdue()) and landed date as of now. STABLE: reads case_field_map, case_status and the calendar.';

CREATE FUNCTION connect_lake.case_event_parse(doc text) RETURNS connect_lake.case_event
  AS 'MODULE_PATHNAME', 'case_event_parse_text'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.case_event_parse(text) IS
  'One Cases CASE.* event as raw JSON text (as it lies in a file, read the way load() reads it) as a typed connect_lake.case_event row; as case_event_parse(jsonb) otherwise.';

CREATE FUNCTION connect_lake.case_event_parse(doc jsonb, field_map jsonb) RETURNS connect_lake.case_event
  AS 'MODULE_PATHNAME', 'case_event_parse_jsonb_map'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.case_event_parse(jsonb, jsonb) IS
  'case_event_parse() with the field map given as {"field id": "column", ...} (e.g. case_field_map_json()): IMMUTABLE, for distributed INSERT ... SELECT; leaves due date, overdue and landed date NULL.';

CREATE FUNCTION connect_lake.case_related_item_parse(doc jsonb) RETURNS connect_lake.case_related_item
  AS 'MODULE_PATHNAME', 'case_related_item_parse_jsonb'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.case_related_item_parse(jsonb) IS
  'One Cases RELATED_ITEM.* event (a comment or a linked contact) as a typed connect_lake.case_related_item row.';

CREATE FUNCTION connect_lake.case_field_map_json() RETURNS jsonb
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$ SELECT coalesce(jsonb_object_agg(field_id, column_name::text), '{}') FROM connect_lake.case_field_map $fn$;
COMMENT ON FUNCTION connect_lake.case_field_map_json() IS
  'case_field_map as a JSON object {"field id": "column"}: the second argument of the IMMUTABLE case_event_parse(doc, field_map).';

-- Fill case_field_map from a saved ListFields response
-- ({"fields": [{"fieldId", "name", "type", "namespace"}, ...]}, every page's
-- fields in one array).  A field is matched to a column by `names`
-- ({"field name": "column"}: an explicit list, exact names) or else by its
-- normalised name: lower case, runs of anything but letters and digits as
-- '_', so "Level 1" -> detail_case_fields_level_1 and "Is complaint?" ->
-- detail_case_fields_is_complaint; names "account", "account number",
-- "account no" fill account.  System fields (status, title ...) need no map.
CREATE FUNCTION connect_lake.case_field_map_load(list_fields jsonb, names jsonb DEFAULT '{}')
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
  AS 'MODULE_PATHNAME', 'case_due_date'
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

-- ==== Case state: the latest event of every case
--
-- One row per case: its latest CASE.* event by (approximateChangeTime, event id),
-- deleted cases included (detail_event_type CASE.DELETED; case_current leaves
-- them out).  Maintained set-wise by case_state_refresh(), which ingest() and
-- load() run after writing case events; run it after hand-written INSERTs.
-- Order-independent and idempotent: an older or repeated event never
-- replaces a newer one.  A CASE.DELETED event that carries no fields keeps
-- the case's last known fields (only the event columns change), so that
-- counts of cases created still see the deleted ones.
CREATE TABLE connect_lake.case_state OF connect_lake.case_event (
  detail_case_caseid           WITH OPTIONS PRIMARY KEY,
  detail_approximatechangetime WITH OPTIONS NOT NULL,
  event_id                     WITH OPTIONS NOT NULL,
  id                           WITH OPTIONS NOT NULL
);
-- Partial, covering indexes: the case views answer from them alone (index-only scans).
CREATE INDEX case_state_created_idx ON connect_lake.case_state (detail_case_createddatetime)
  INCLUDE (detail_event_type, detail_case_fields_status, detail_case_fields_is_complaint, detail_case_fields_level_1);
CREATE INDEX case_state_open_idx ON connect_lake.case_state (detail_case_createddatetime)
  INCLUDE (detail_case_fields_is_complaint)
  WHERE connect_lake.case_is_open(detail_event_type, detail_case_fields_status);
CREATE INDEX case_state_complaint_idx ON connect_lake.case_state (detail_case_createddatetime)
  INCLUDE (detail_event_type, detail_case_fields_status, detail_case_fields_complaint_subject,
           detail_case_fields_complaint_goodwill_amount, detail_case_fields_complaint_resolved,
           detail_case_fields_ombudsman_case)
  WHERE detail_case_fields_is_complaint;
CREATE INDEX case_state_account_idx ON connect_lake.case_state (account) WHERE account IS NOT NULL;
CREATE INDEX case_state_changed_idx ON connect_lake.case_state (detail_approximatechangetime)
  INCLUDE (detail_case_createddatetime);
-- How many cases are open: without this the planner guesses the views' open
-- filter keeps almost every case and scans instead of using case_state_open_idx
-- (case_status_is_open() inlines to a test of case_status_key(status)).
CREATE STATISTICS connect_lake.case_state_open_stx ON (connect_lake.case_status_key(detail_case_fields_status))
  FROM connect_lake.case_state;
COMMENT ON TABLE connect_lake.case_state IS
  'The latest event of every case (by approximateChangeTime, then event id), deleted cases included: what case_current and the case views read. Maintained by case_state_refresh().';
SELECT connect_lake.case_status_compile();
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
SELECT pg_catalog.pg_extension_config_dump('connect_lake.case_state', '');

CREATE FUNCTION connect_lake.case_state_refresh(since timestamptz DEFAULT '-infinity', case_ids text[] DEFAULT NULL)
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

GRANT INSERT, UPDATE ON connect_lake.case_state TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.case_state_refresh(timestamptz, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.case_state_refresh(timestamptz, text[]) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.case_field_map_load(jsonb, jsonb) FROM PUBLIC;
