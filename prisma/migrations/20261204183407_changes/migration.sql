-- CreateTable
CREATE TABLE "changes" (
    "seq" BIGSERIAL NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "entity" TEXT NOT NULL,
    "entity_id" UUID NOT NULL,
    "collection_id" TEXT,
    "operation" TEXT NOT NULL,
    "after" JSONB,
    "before" JSONB,
    "actor" TEXT,
    "request_id" TEXT,
    "origin" TEXT NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "changes_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE INDEX "changes_entity" ON "changes"("entity_id", "seq");

-- CreateIndex
CREATE INDEX "changes_workspace" ON "changes"("workspace_id", "seq");

-- Hand-written from here: change capture (docs/events.md, "The change stream").
--
-- Every insert, update and delete of a record or relationship writes one `changes` row in the same transaction,
-- whatever statement caused it: the writers in src/sources, a foreign-key cascade from a deleted workspace or
-- collection, or SQL someone adds later. Who asked for the write travels in a transaction-local setting that each
-- write statement sets through rg_change_context() (src/sources/change-capture.ts); a direct write without it is
-- refused, so a new write path cannot skip attribution silently. Cascades need none.

CREATE FUNCTION rg_change_context(context text) RETURNS boolean
  LANGUAGE sql VOLATILE
  AS $$ SELECT set_config('recordgate.change', context, true) IS NOT NULL $$;

CREATE FUNCTION rg_capture_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  context jsonb;
  origin text := 'cascade';
  before_row jsonb;
  after_row jsonb;
  subject jsonb;
  operation text;
BEGIN
  IF TG_OP <> 'INSERT' THEN before_row := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN after_row := to_jsonb(NEW); END IF;
  subject := COALESCE(after_row, before_row);

  context := NULLIF(current_setting('recordgate.change', true), '')::jsonb;
  IF context IS NOT NULL THEN
    origin := context->>'origin';
  -- Foreign-key cascades run their deletes without firing triggers until the outer statement ends, so they are
  -- told apart by what they leave: the row's collection (either end's, for a link) is gone.
  ELSIF NOT (TG_OP = 'DELETE' AND (
      NOT EXISTS (SELECT 1 FROM collections c WHERE c.workspace_id = subject->>'workspace_id'
                    AND c.id = COALESCE(subject->>'collection_id', subject->>'source_collection'))
      OR NOT EXISTS (SELECT 1 FROM collections c WHERE c.workspace_id = subject->>'workspace_id'
                    AND c.id = COALESCE(subject->>'collection_id', subject->>'target_collection')))) THEN
    RAISE EXCEPTION 'write to % without a change context', TG_TABLE_NAME
      USING ERRCODE = 'RG001',
            HINT = 'pass rg_change_context(...) in the statement (src/sources/change-capture.ts)';
  END IF;

  operation := CASE
    WHEN TG_OP = 'INSERT' THEN 'create'
    WHEN TG_OP = 'DELETE' THEN 'delete'
    -- A soft delete is an update of the row and a delete of the record.
    -- (Read through the JSON: relationships have no deleted_at, and OLD.deleted_at would not compile for them.)
    WHEN before_row->>'deleted_at' IS NULL AND after_row->>'deleted_at' IS NOT NULL THEN 'delete'
    ELSE 'update'
  END;
  -- A record already soft-deleted and now removed by a cascade was deleted once already.
  IF TG_OP = 'DELETE' AND before_row->>'deleted_at' IS NOT NULL THEN RETURN NULL; END IF;

  INSERT INTO changes (workspace_id, entity, entity_id, collection_id, operation, after, before, actor, request_id, origin)
  VALUES (
    subject->>'workspace_id',
    CASE TG_TABLE_NAME WHEN 'records' THEN 'record' ELSE 'relationship' END,
    (subject->>'id')::uuid,
    COALESCE(subject->>'collection_id', subject->>'source_collection'),
    operation,
    after_row,
    before_row,
    context->>'actor',
    context->>'request_id',
    origin
  );
  RETURN NULL;
END
$$;

CREATE TRIGGER records_capture_change AFTER INSERT OR UPDATE OR DELETE ON records
  FOR EACH ROW EXECUTE FUNCTION rg_capture_change();
CREATE TRIGGER relationships_capture_change AFTER INSERT OR UPDATE OR DELETE ON relationships
  FOR EACH ROW EXECUTE FUNCTION rg_capture_change();
