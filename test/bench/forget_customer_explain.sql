-- test/bench/forget_customer.sh: the plans of one forget_customer() (the
-- account with the most contacts that has cases), every statement it runs
-- (auto_explain, analyzed, nested statements), rolled back; the script reads
-- them (forget_customer_plans.py).  Superuser: LOAD 'auto_explain'.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT a.account AS bench_account
  FROM connect_lake.contact_account a
 WHERE a.account > 0 AND EXISTS (SELECT 1 FROM connect_lake.case_events c WHERE c.account = a.account)
 GROUP BY a.account ORDER BY count(DISTINCT a.contactid) DESC, 1 LIMIT 1 \gset
\echo '==> the plans of forget_customer(account =>' :bench_account ') (auto_explain, rolled back)'
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_timing = off;
SET auto_explain.log_format = 'text';
BEGIN;
SET LOCAL client_min_messages = log;
SELECT count(*) FROM connect_lake.forget_customer(account => :bench_account);
ROLLBACK;
