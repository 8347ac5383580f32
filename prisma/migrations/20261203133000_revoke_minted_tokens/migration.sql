-- Revocation walks down `created_by` (src/resolvers/tokens.ts): index the walk.
CREATE INDEX "api_tokens_created_by" ON "api_tokens"("created_by");

-- Revoking a token now revokes every token minted under it. Tokens minted by a token revoked before this release
-- still work: revoke them too, as of their minter's revocation.
WITH RECURSIVE tree(id, revoked_at) AS (
    SELECT id, revoked_at FROM "api_tokens" WHERE revoked_at IS NOT NULL
    UNION
    SELECT t.id, tree.revoked_at FROM "api_tokens" t JOIN tree ON t.created_by = tree.id
)
UPDATE "api_tokens" t SET revoked_at = first.revoked_at
FROM (SELECT id, min(revoked_at) AS revoked_at FROM tree GROUP BY id) first
WHERE t.id = first.id AND t.revoked_at IS NULL;
