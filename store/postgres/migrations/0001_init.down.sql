DROP FUNCTION runbook_expect_rows(bigint, bigint);
DROP TABLE inbox;
DROP TABLE waits;
DROP TABLE tasks;
DROP TABLE history;
DROP TABLE steps;
DROP TABLE executions;
DROP TABLE runbooks;
