import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";

/** Extensions every PGlite instance loads (PGlite needs them registered per instance; pg_trgm powers `search`). */
export const PGLITE_EXTENSIONS = { pg_trgm };
