-- Access by queue: a DBA restricts a role to the rows of some queues.
--
-- restrict_to_queues(role, queues) records the role's queues in
-- connect_lake.queue_access.  The tables keyed by queue (queue_access_tables)
-- carry row-level security from the start, their monthly partitions too
-- (create_partition() gives each new month the policies), and the views that
-- read them are security_invoker (99_grants.sql), so that a view applies its
-- caller's policies, not its owner's.  A role restricted sees the rows of its
-- queues only (rows without a queue not at all); a role that is not (and is
-- not a member of one that is) sees every row.  The tables' owner and
-- superusers are never restricted (row-level security does not apply to
-- them).  The policies are the extension's (CREATE EXTENSION makes them, a
-- dump carries only the partitions' and queue_access's rows), so a restored
-- lake enforces the restrictions it had.

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

-- Puts the policies on one table (a parent or a partition), or takes them away.
CREATE FUNCTION connect_lake.queue_access_secure(rel regclass, queue_expr text, secure boolean)
RETURNS void
LANGUAGE plpgsql
VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF secure THEN
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = rel AND polname = 'queue_access_read') THEN
      -- readers: the rows of their queues, or every row when not restricted
      -- (the two sub-selects run once per statement)
      EXECUTE format('CREATE POLICY queue_access_read ON %s FOR SELECT USING '
                     '((SELECT connect_lake.queue_access_queues(current_user)) IS NULL '
                     'OR (%s) = ANY ((SELECT connect_lake.queue_access_queues(current_user))::uuid[]))',
                     rel, queue_expr);
      -- writers are not restricted (restrict_to_queues() refuses a loader)
      EXECUTE format('CREATE POLICY queue_access_insert ON %s FOR INSERT WITH CHECK (true)', rel);
      EXECUTE format('CREATE POLICY queue_access_update ON %s FOR UPDATE USING (true) WITH CHECK (true)', rel);
      EXECUTE format('CREATE POLICY queue_access_delete ON %s FOR DELETE USING (true)', rel);
    END IF;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', rel);
  ELSE
    EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', rel);
    EXECUTE format('DROP POLICY IF EXISTS queue_access_read ON %s', rel);
    EXECUTE format('DROP POLICY IF EXISTS queue_access_insert ON %s', rel);
    EXECUTE format('DROP POLICY IF EXISTS queue_access_update ON %s', rel);
    EXECUTE format('DROP POLICY IF EXISTS queue_access_delete ON %s', rel);
  END IF;
END
$fn$;
COMMENT ON FUNCTION connect_lake.queue_access_secure(regclass, text, boolean) IS
  'Puts the queue access policies (queue_access_read for SELECT; INSERT, UPDATE and DELETE unrestricted) on one table and enables row-level security, or (secure false) takes them away; used by queue_access_enforce() and create_partition().';

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
            OR NOT EXISTS (SELECT 1 FROM pg_policy y WHERE y.polrelid = c.oid AND y.polname = 'queue_access_read'))
     ORDER BY c.oid
  LOOP
    PERFORM connect_lake.queue_access_secure(t.rel, t.queue_expr, true);
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
  IF pg_has_role(r.oid, 'connect_lake_loader', 'MEMBER') THEN
    RAISE EXCEPTION 'role "%" cannot be restricted to queues: it is a loader', role_name
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'The writers keep the metrics from every queue''s rows; restrict the analysts'' roles, not connect_lake_loader or its members.';
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
  ON CONFLICT DO NOTHING;
  PERFORM connect_lake.queue_access_enforce();   -- a partition attached by hand since
  SELECT count(*) INTO n FROM connect_lake.queue_access a WHERE a.role_name = r.rolname;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.restrict_to_queues(name, uuid[]) IS
  'Restricts a role (and its members) to the rows of these queues in the tables of queue_access_tables and every view reading them; replaces the role''s earlier queues; returns how many it has. Refuses superusers, BYPASSRLS roles, the tables'' owner and loaders. DBA only.';

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
  'Takes a role''s queue restriction away (it sees every row again); returns the queues it had (0 when it had none). DBA only.';

CREATE VIEW connect_lake.queue_restrictions AS
  SELECT a.role_name, a.queue_id, q.queue_name, a.granted_at,
         EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = a.role_name) AS role_exists
    FROM connect_lake.queue_access a
    LEFT JOIN connect_lake.queue_dim q ON q.queue_id = a.queue_id;
COMMENT ON VIEW connect_lake.queue_restrictions IS
  'The roles restricted to some queues, one row per role and queue, with the queue''s name (as the viewer may see it) and whether the role still exists.';
COMMENT ON COLUMN connect_lake.queue_restrictions.role_name IS 'The role restricted.';
COMMENT ON COLUMN connect_lake.queue_restrictions.queue_id IS 'A queue it may read.';
COMMENT ON COLUMN connect_lake.queue_restrictions.queue_name IS 'The queue''s latest name (queue_dim).';
COMMENT ON COLUMN connect_lake.queue_restrictions.granted_at IS 'When the queue was given to it.';
COMMENT ON COLUMN connect_lake.queue_restrictions.role_exists IS 'false when the role was dropped (its rows are harmless; lift_queue_restriction() removes them).';
