import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

// A collection's `sources` are validated when it is saved, and their secrets go to the vault, never to a response.

const SECRET = "sk_test_51HxSecretValueThatMustNeverLeak";

function stripeSource(overrides: Record<string, unknown> = {}) {
  return {
    name: "stripe",
    auth: { header: "Authorization", value_template: "Bearer {{secret}}", secret: SECRET },
    field_mapping: {
      to_external: {
        amount: { path: "amount_due", transform: "to_number" },
        status: { path: "status", values: { open: "open", paid: "paid" } },
        customer_name: { path: "customer.name" },
      },
    },
    get: { url: "https://api.stripe.test/v1/invoices/{{external_id}}", method: "GET" },
    list: {
      url: "https://api.stripe.test/v1/invoices?limit={{query.limit}}",
      response_path: "data",
      total_path: "total_count",
    },
    create: { url: "https://api.stripe.test/v1/invoices", method: "POST", body: "form" },
    update: { url: "https://api.stripe.test/v1/invoices/{{external_id}}", method: "POST", body: "form" },
    ...overrides,
  };
}

describe.each(backends())("collection sources on %s", (backend) => {
  let t: TestServer;
  const put = (workspace: string, sources: unknown) =>
    t.rest("PUT", `/v1/${workspace}/collections/invoices`, {
      body: { json_schema: { type: "object" }, sources },
    });

  beforeAll(async () => {
    t = await startTestServer(backend, { config: { outboundAllow: "127.0.0.1" } });
    await t.rest("POST", "/v1/workspaces", { body: { id: "books", name: "Books" } });
  });
  afterAll(() => t?.close());

  it("stores an inline secret in the vault and shows only its reference, everywhere", async () => {
    const created = await put("books", [stripeSource()]);
    expect(created.status, created.text).toBe(201);
    const reference = "vault:source.books.invoices.stripe";
    expect(created.body.sources[0]).toMatchObject({ name: "stripe", mode: "proxy", auth: { secret: reference } });
    const reads = [
      created.text,
      (await t.rest("GET", "/v1/books/collections/invoices")).text,
      (await t.rest("GET", "/v1/books/collections")).text,
      (await t.rest("GET", "/v1/vault/secrets")).text,
      (await t.gql('{ collection(workspace: "books", id: "invoices") { sources } }')).text,
      JSON.stringify(await t.db.query("SELECT * FROM collections")),
      JSON.stringify(await t.db.query("SELECT * FROM vault_secrets")),
      t.logs.join("\n"),
    ];
    for (const text of reads) expect(text).not.toContain(SECRET.slice(8));
    const secrets = await t.rest("GET", "/v1/vault/secrets");
    expect(secrets.body.data.map((s: { name: string }) => s.name)).toContain("source.books.invoices.stripe");
    expect((await t.server.services.vault.reveal("source.books.invoices.stripe")) === SECRET).toBe(true);

    // Saving again with a new inline secret rotates it; sending the reference back keeps it.
    await put("books", [
      stripeSource({ auth: { header: "Authorization", value_template: "Bearer {{secret}}", secret: "sk_new" } }),
    ]);
    expect(await t.server.services.vault.reveal("source.books.invoices.stripe")).toBe("sk_new");
    const kept = await put("books", [stripeSource({ auth: { ...created.body.sources[0].auth } })]);
    expect(kept.status).toBe(200);
    expect(await t.server.services.vault.reveal("source.books.invoices.stripe")).toBe("sk_new");
  });

  it("refuses a broken source config with the exact location of each problem, and saves nothing", async () => {
    await t.rest("POST", "/v1/workspaces", { body: { id: "broken", name: "Broken" } });
    const cases: Array<[unknown, string[]]> = [
      [[stripeSource({ get: undefined })], ["sources[0].get"]],
      [[stripeSource({ mode: "sync" })], ["sources[0].mode"]],
      [[stripeSource({ extra: 1 })], ["sources[0].extra"]],
      [[stripeSource(), stripeSource()], ["sources[1].name"]],
      [[stripeSource({ name: "Stripe!" })], ["sources[0].name"]],
      [
        [stripeSource({ get: { url: "https://{{external_id}}.evil.test/x" } })],
        ["sources[0].get.url", "sources[0].get.url"],
      ],
      [[stripeSource({ get: { url: "https://api.stripe.test/v1/invoices" } })], ["sources[0].get.url"]],
      [
        [stripeSource({ get: { url: "https://api.stripe.test/{{external_id}}?k={{data.x}}" } })],
        ["sources[0].get.url"],
      ],
      [[stripeSource({ get: { url: "http://api.stripe.test/v1/{{external_id}}" } })], ["sources[0].get.url"]],
      [[stripeSource({ get: { url: "https://u:p@api.stripe.test/{{external_id}}" } })], ["sources[0].get.url"]],
      [
        [stripeSource({ get: { url: "https://api.stripe.test/{{external_id}}", method: "TRACE" } })],
        ["sources[0].get.method"],
      ],
      [[stripeSource({ create: { url: "https://api.stripe.test/v1", body: "xml" } })], ["sources[0].create.body"]],
      [
        [stripeSource({ auth: { header: "Authorization", value_template: "Bearer", secret: "x" } })],
        ["sources[0].auth.value_template"],
      ],
      [
        [stripeSource({ field_mapping: { to_external: { amount: { path: "total", transform: "to_money" } } } })],
        ["sources[0].field_mapping.to_external.amount.transform"],
      ],
      [
        [stripeSource({ field_mapping: { to_external: { status: { path: "s", values: { a: "x", b: "x" } } } } })],
        ["sources[0].field_mapping.to_external.status.values.b"],
      ],
      [[stripeSource({ get_many: { url: "https://api.stripe.test/v1/invoices" } })], ["sources[0].get_many.url"]],
      [
        [stripeSource({ get_many: { url: "https://api.stripe.test/v1/x?ids={{external_ids}}", max_ids: 0 } })],
        ["sources[0].get_many.max_ids"],
      ],
      [
        [stripeSource({ get: { url: "https://api.stripe.test/{{external_id}}", max_ids: 10 } })],
        ["sources[0].get.max_ids"],
      ],
      [[stripeSource({ concurrency: 0 })], ["sources[0].concurrency"]],
      [[stripeSource({ concurrency: 1.5 })], ["sources[0].concurrency"]],
      ["stripe", ["body.sources"]],
    ];
    for (const [sources, paths] of cases) {
      const res = await put("broken", sources);
      expect(res.status, JSON.stringify(sources)).toBe(400);
      const got = res.body.error.details.map((d: { path: string }) => d.path);
      for (const path of paths) expect(got, res.text).toContain(path);
    }
    expect((await t.rest("GET", "/v1/broken/collections/invoices")).status).toBe(404);
    const [row] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM vault_secrets WHERE name LIKE 'source.broken.%'",
    );
    expect(row?.n).toBe(0);
  });

  it("allows plain http only to hosts RECORDGATE_OUTBOUND_ALLOW lists", async () => {
    await t.rest("POST", "/v1/workspaces", { body: { id: "local", name: "Local" } });
    const allowed = await put("local", [stripeSource({ get: { url: "http://127.0.0.1:9/v1/{{external_id}}" } })]);
    expect(allowed.status, allowed.text).toBe(201);
    const other = await put("local", [stripeSource({ get: { url: "http://10.0.0.1/v1/{{external_id}}" } })]);
    expect(other.status).toBe(400);
  });

  it("promotion copies sources (with their vault references) like the rest of a collection's configuration", async () => {
    await t.rest("POST", "/v1/workspaces", { body: { id: "shop", name: "Shop" } });
    await put("shop", []);
    await t.rest("POST", "/v1/workspaces/shop/previews", { body: { name: "next" } });
    const inPreview = await t.rest("PUT", "/v1/shop--next/collections/invoices", {
      body: { json_schema: { type: "object" }, sources: [stripeSource()] },
    });
    expect(inPreview.status).toBe(200);
    const dry = await t.rest("POST", "/v1/workspaces/shop/promote", { body: { from: "shop--next", dry_run: true } });
    expect(dry.body.diff.collections.changed).toEqual([{ id: "invoices", fields: ["sources"] }]);
    expect((await t.rest("POST", "/v1/workspaces/shop/promote", { body: { from: "shop--next" } })).status).toBe(201);
    const promoted = await t.rest("GET", "/v1/shop/collections/invoices");
    expect(promoted.body.sources).toEqual(inPreview.body.sources);
  });
});
