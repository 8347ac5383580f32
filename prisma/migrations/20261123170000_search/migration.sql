-- Hand-written: trigram matching for the `search` filter operator. pg_trgm ships with PostgreSQL's contrib
-- package and with PGlite; where it is missing, Recordgate still starts and `search` answers 400.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN others THEN
  RAISE NOTICE 'pg_trgm is not available (%): the search operator is disabled', SQLERRM;
END
$$;
