-- 003-trust.sql (PostgreSQL): being written
SELECT 1;
