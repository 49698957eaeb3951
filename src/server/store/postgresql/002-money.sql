-- 002-money.sql (PostgreSQL): being written
SELECT 1;
