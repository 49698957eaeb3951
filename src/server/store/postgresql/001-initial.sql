-- 001-initial.sql (PostgreSQL): being written
SELECT 1;
