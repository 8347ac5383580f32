-- Hand-written: typed views of JSON values for the query engine (src/sources/native-query.ts).
-- Each returns NULL when the value is missing or of another JSON type, so a comparison never fails on a record
-- written before its collection's schema changed. All are IMMUTABLE so declared indexes can be built on them, and
-- the SQL ones are simple enough for the planner to inline.

CREATE FUNCTION rg_num(value jsonb) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(value) = 'number' THEN value::numeric END $$;

CREATE FUNCTION rg_text(value jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(value) = 'string' THEN value #>> '{}' END $$;

CREATE FUNCTION rg_bool(value jsonb) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(value) = 'boolean' THEN value::boolean END $$;

-- ISO-8601 date or date-time strings as instants. A value without an offset is taken as UTC, never as the
-- session's time zone, which is what makes the function truly immutable.
CREATE FUNCTION rg_instant(value jsonb) RETURNS timestamptz
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  AS $$
DECLARE
  t text;
BEGIN
  IF jsonb_typeof(value) IS DISTINCT FROM 'string' THEN
    RETURN NULL;
  END IF;
  t := value #>> '{}';
  IF t !~ '^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$' THEN
    RETURN NULL;
  END IF;
  IF t ~ '^\d{4}-\d{2}-\d{2}$' THEN
    t := t || 'T00:00:00+00';
  ELSIF t !~ '([Zz]|[+-]\d{2}(:?\d{2})?)$' OR t ~ '^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}$' THEN
    t := t || '+00';
  END IF;
  RETURN t::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;
