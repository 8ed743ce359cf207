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
