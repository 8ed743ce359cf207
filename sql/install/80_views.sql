-- Case state and the analysts' queries.
--
-- Days are local days of the default working-day calendar's time zone
-- (lake_time_zone(), Europe/London unless the calendar says otherwise): a UK
-- contact centre's "Monday" runs from 00:00 to 24:00 London time, GMT or BST.
-- Every view has a function of the same name taking a range of such days
-- (from_day and to_day both included); the view is the function over a
-- fixed range (all days, or the last 30 / 90 days including today).
--
-- The current state reads case_state (one row per case, kept up to date by
-- case_state_refresh()); the state at a past moment reads the event history.
-- Whether a case is open, its due date and whether it is overdue are the
-- case rules of 50_case_events.sql (case_is_open(), case_due_date(),
-- case_is_overdue()), used here and nowhere restated.  Counts of cases
-- created (volume, categories, complaints) include cases deleted since: the
-- work arrived that day.
--
-- The range functions are plain SQL (inlined into the caller's query, so
-- the planner uses case_state's indexes and prunes case_events' partitions).

CREATE FUNCTION connect_lake.lake_time_zone() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT coalesce((SELECT c.time_zone FROM connect_lake.calendar c
                      WHERE c.name = connect_lake.default_calendar()), 'Europe/London')
  $fn$;
COMMENT ON FUNCTION connect_lake.lake_time_zone() IS
  'The time zone whose midnights bound the days of the case views: the default calendar''s (Europe/London unless configured otherwise).';

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
