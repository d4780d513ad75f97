-- Nothing changes on PostgreSQL: `intake_alerts.open_key` keeps its unique
-- index, which with row locks keeps one open alert per key while several
-- servers write. On SQLite this migration drops that index (the intake
-- writer keeps the open keys in memory there); it is here so that both
-- trees have the same migrations.
SELECT 1;
