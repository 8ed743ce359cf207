-- connect_lake 0.1.0 -> 0.2.0.  Everything sql/install/*.sql changed since
-- 0.1.0, so that an upgraded lake ends up as a fresh 0.2.0 one
-- (test/t/040_upgrade.pl compares them).
\echo Use "ALTER EXTENSION connect_lake UPDATE TO '0.2.0'" to load this file. \quit
