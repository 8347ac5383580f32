-- CreateTable
CREATE TABLE "promotions" (
    "id" UUID NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "from_workspace" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'applied',
    "diff" JSONB NOT NULL,
    "before" JSONB NOT NULL,
    "after" JSONB NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rolled_back_at" TIMESTAMPTZ(3),

    CONSTRAINT "promotions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "promotions_workspace_id_created_at_idx" ON "promotions"("workspace_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "workspaces_parent_id_idx" ON "workspaces"("parent_id");

-- AddForeignKey
ALTER TABLE "workspaces" ADD CONSTRAINT "workspaces_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotions" ADD CONSTRAINT "promotions_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: the shape of workspace ids per environment, which grant matching relies on (src/auth/grants.ts). A
-- production id has no '--' and does not end in '-', so the first '--' of a preview id ends its parent's id. A trigger
-- rather than a CHECK constraint: Prisma's schema engine (migrate:check) fails on introspecting this CHECK.
CREATE FUNCTION rg_check_workspace_shape() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (
    (NEW.environment = 'production' AND NEW.parent_id IS NULL AND strpos(NEW.id, '--') = 0 AND right(NEW.id, 1) <> '-')
    OR (NEW.environment = 'preview' AND NEW.parent_id IS NOT NULL AND left(NEW.id, length(NEW.parent_id)) = NEW.parent_id
        AND strpos(NEW.id, '--') = length(NEW.parent_id) + 1
        AND strpos(substr(NEW.id, length(NEW.parent_id) + 3), '--') = 0)
  ) THEN
    RAISE EXCEPTION 'workspace id % does not fit environment % (parent %)', NEW.id, NEW.environment, NEW.parent_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER workspaces_environment_shape BEFORE INSERT OR UPDATE OF id, environment, parent_id ON "workspaces"
  FOR EACH ROW EXECUTE FUNCTION rg_check_workspace_shape();

-- Existing rows are held to the same rule once (a no-op write that fires the trigger on each).
UPDATE "workspaces" SET id = id;
