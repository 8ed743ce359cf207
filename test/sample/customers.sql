-- Customer Profiles of a directory of sample exports (test/gen/connect_gen's
-- customer_profiles/): loads the profile event stream, then shows one
-- customer's view: the customer row (profiles merged into it, phone numbers,
-- contacts and cases) and the start of their journey.
--   psql -v exports=/path/to/exports -f test/sample/customers.sql
\set ON_ERROR_STOP on
SET client_min_messages = warning;

SELECT (pg_stat_file(:'exports' || '/customer_profiles', true)).isdir IS TRUE AS has_profiles \gset
\if :has_profiles
\echo '==> loading the Customer Profiles event stream'
SELECT files_loaded, records_read, inserted, duplicates, values_nulled, rejected
  FROM connect_lake.load('customer_profile_event', :'exports' || '/customer_profiles', 'skip');

\echo '==> profiles, merges and customers'
SELECT (SELECT count(*) FROM connect_lake.customer_profile) AS profiles,
       (SELECT count(*) FROM connect_lake.customer_profile WHERE merged_into IS NOT NULL) AS merged,
       (SELECT count(*) FROM connect_lake.customer) AS customers,
       (SELECT count(*) FROM connect_lake.customer WHERE contacts >= 2) AS called_again,
       (SELECT count(*) FROM connect_lake.contact_profile) AS contact_links;

-- one customer: a survivor of a merge with the most contacts
SELECT profile_id AS demo_profile, account AS demo_account
  FROM connect_lake.customer
 WHERE merged_profiles IS NOT NULL AND account IS NOT NULL
 ORDER BY contacts DESC, cases DESC, profile_id LIMIT 1 \gset
\echo '==> one customer''s view:' :demo_profile
\x on
SELECT * FROM connect_lake.customer WHERE profile_id = :'demo_profile';
\x off
\echo '==> their journey (first 15 steps): contacts through the account and the profiles, cases through customer_id'
SELECT step_time, contactid, case_id, source, step
  FROM connect_lake.customer_journey(:demo_account) LIMIT 15;
\else
\echo '==> no customer_profiles/ in these exports (generated before the generator wrote them): no customer view'
\endif
