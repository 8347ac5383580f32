import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, parseKey } from "../src/vault/crypto.ts";
import { backends, createTestDatabase, type TestDatabase } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const VALUE = "sk_live_51ExampleSecretValue_do_not_leak";

describe.each(backends())("the vault on %s", (backend) => {
  let t: TestServer;
  const responses: string[] = [];
  const call = async (method: string, url: string, options: Parameters<TestServer["rest"]>[2] = {}) => {
    const res = await t.rest(method, url, options);
    responses.push(res.text);
    return res;
  };

  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t?.close());

  it("stores a secret encrypted, returns it masked everywhere, and logs nothing of it", async () => {
    const created = await call("POST", "/v1/vault/secrets", {
      body: { name: "stripe_key", value: VALUE, tags: ["billing"], content_type: "text/plain" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "stripe_key", masked: "********", tags: ["billing"], version: 1 });
    expect(Object.keys(created.body)).not.toContain("value");

    await call("GET", "/v1/vault/secrets");
    await call("GET", `/v1/vault/secrets/${created.body.id}`);
    await t.gql("{ vaultSecrets { id name masked } }").then((r) => responses.push(r.text));

    const [row] = await t.db.query<{ ciphertext: string }>("SELECT ciphertext FROM vault_secrets WHERE id = $1", [
      created.body.id,
    ]);
    expect(row?.ciphertext).toMatch(/^v1:/);
    expect(row?.ciphertext).not.toContain(VALUE);
    expect(Buffer.from(row?.ciphertext.slice(3) ?? "", "base64").toString("latin1")).not.toContain(VALUE);
    // Only the server itself can read it back (for vault:<name> references).
    expect(await t.server.services.vault.reveal("stripe_key")).toBe(VALUE);

    for (const text of [...responses, ...t.logs]) expect(text).not.toContain(VALUE);
  });

  it("rotates a value: new ciphertext, version + 1, still never returned", async () => {
    const created = await call("POST", "/v1/vault/secrets", { body: { name: "hubspot", value: "first-value" } });
    const before = await t.db.query<{ ciphertext: string }>(
      "SELECT ciphertext FROM vault_secrets WHERE name = 'hubspot'",
    );
    const rotated = await call("POST", `/v1/vault/secrets/${created.body.id}/rotate`, {
      body: { value: "second-value", expires_at: "2030-01-01T00:00:00Z" },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ version: 2, expires_at: "2030-01-01T00:00:00.000Z", masked: "********" });
    const after = await t.db.query<{ ciphertext: string }>(
      "SELECT ciphertext FROM vault_secrets WHERE name = 'hubspot'",
    );
    expect(after).not.toEqual(before);
    expect(await t.server.services.vault.reveal("hubspot")).toBe("second-value");
    expect(rotated.text).not.toContain("second-value");

    const expiring = await call("GET", "/v1/vault/secrets?expiring=true&days=3650");
    expect(expiring.body.data.map((s: { name: string }) => s.name)).toEqual(["hubspot"]);
    expect((await call("DELETE", `/v1/vault/secrets/${created.body.id}`)).status).toBe(204);
    expect((await call("GET", `/v1/vault/secrets/${created.body.id}`)).status).toBe(404);
  });

  it.each([
    ["a taken name", { name: "stripe_key", value: "x" }, 409, "name"],
    ["a name with a space", { name: "has space", value: "x" }, 400, "name"],
    ["no value", { name: "empty" }, 400, "value"],
    ["a 70 kB value", { name: "big", value: "x".repeat(70_000) }, 400, "value"],
    ["a content type without a slash", { name: "typed", value: "x", content_type: "plain" }, 400, "content_type"],
    ["an expiry that is not a date", { name: "dated", value: "x", expires_at: "soon" }, 400, "expires_at"],
  ])("rejects %s with %i at %s", async (_label, body, status, path) => {
    const res = await call("POST", "/v1/vault/secrets", { body });
    expect(res.status).toBe(status);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it("is only for the admin and tokens granted everything", async () => {
    const mint = async (grants: unknown[]) =>
      (await t.rest("POST", "/v1/tokens", { body: { name: "v", grants } })).body.token as string;
    const scoped = await mint([{ scope: { workspaces: ["crm"] }, permissions: ["*"] }]);
    const full = await mint([{ scope: { workspaces: ["*"] }, permissions: ["*"] }]);
    const headers = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    expect((await t.rest("GET", "/v1/vault/secrets", headers(scoped))).status).toBe(403);
    expect(
      (await t.rest("POST", "/v1/vault/secrets", { body: { name: "n", value: "v" }, ...headers(scoped) })).status,
    ).toBe(403);
    expect((await t.rest("GET", "/v1/vault/secrets", headers(full))).status).toBe(200);
  });
});

describe.each(backends())("vault keys on %s", (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
  });
  afterAll(() => db?.drop());

  it("generates a key file (0600) when none is configured, and re-encrypts under a new key after a rotation", async () => {
    const first = await startTestServer(backend, { db });
    const generated = first.logs.find((line) => line.includes("generated the vault key"));
    expect(generated).toBeDefined();
    const file = JSON.parse(generated as string).path as string;
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(path.basename(file)).toBe("secret-key");
    await first.rest("POST", "/v1/vault/secrets", { body: { name: "api", value: "kept-across-keys" } });
    const previous = (await readFile(file, "utf8")).trim();
    await first.close();

    const next = generateKey();
    const second = await startTestServer(backend, { db, config: { secretKey: next, previousSecretKey: previous } });
    try {
      const [row] = await db.query<{ key_id: string }>("SELECT key_id FROM vault_secrets WHERE name = 'api'");
      expect(row?.key_id).toBe(parseKey(next).id);
      expect(await second.server.services.vault.reveal("api")).toBe("kept-across-keys");
      expect(second.logs.some((line) => line.includes("re-encrypted vault secrets"))).toBe(true);
    } finally {
      await second.close();
    }
  });
});
