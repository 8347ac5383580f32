import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type StripeLike, startStripeLike } from "../examples/stripe-like-upstream.ts";
import { externalRecordId } from "../src/sources/external/record-id.ts";
import { backends } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

// Relationships whose ends live in external sources, and the batching that keeps reading them cheap: a collection
// of customers with two sources (one with a list-by-ids endpoint, one without) beside native orders.

const STRIPE_SECRET = "sk_test_relationshipsSecret456";
const LEGACY_SECRET = "sk_test_legacyBillingSecret789";

const customerSchema = {
  type: "object",
  properties: { name: { type: "string" }, email: { type: "string" }, tier: { type: "string" } },
  additionalProperties: false,
};

const customerSource = (name: string, upstream: StripeLike, secret: string, extra: object) => ({
  name,
  auth: { header: "Authorization", value_template: "Bearer {{secret}}", secret },
  field_mapping: { to_external: { name: "name", email: "email", tier: { path: "metadata.tier" } } },
  get: { url: `${upstream.url}/v1/customers/{{external_id}}` },
  ...extra,
});

describe.each(backends())("relationships with external records on %s", (backend) => {
  let t: TestServer;
  let stripe: StripeLike;
  let legacy: StripeLike;
  const rel = (body: object) => t.rest("PUT", "/v1/shop/relationships", { body });
  /** A `belongs_to` link from a record of `from` (orders by default) to a customer. */
  const belongsTo = (sourceId: string, customerId: string, extra: object = {}, from = "orders") =>
    rel({
      rel_type: "belongs_to",
      source_collection: from,
      source_id: sourceId,
      target_collection: "customers",
      target_id: customerId,
      ...extra,
    });
  const order = async (total: number) =>
    (await t.rest("PUT", "/v1/shop/records/orders", { body: { data: { total } } })).body.id as string;

  /** Adds a customer upstream and returns its Recordgate id, learnt from a read through Recordgate. */
  async function customer(upstream: StripeLike, source: string, id: string, name: string): Promise<string> {
    upstream.customers.set(id, {
      id,
      object: "customer",
      name,
      email: `${id}@example.com`,
      metadata: { tier: "gold" },
    });
    const recordId = externalRecordId("shop", "customers", source, id);
    // A record is known once seen: a write through Recordgate or a read by external identity shows it.
    const seen = await t.rest("PUT", "/v1/shop/records/customers", {
      body: { external_source: source, external_id: id, data: { name, email: `${id}@example.com`, tier: "gold" } },
    });
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body.id).toBe(recordId);
    return recordId;
  }

  beforeAll(async () => {
    stripe = await startStripeLike(STRIPE_SECRET);
    legacy = await startStripeLike(LEGACY_SECRET);
    t = await startTestServer(backend, { config: { outboundAllow: "127.0.0.1", outboundTimeoutMs: 1000 } });
    await t.rest("POST", "/v1/workspaces", { body: { id: "shop", name: "Shop" } });
    const orders = await t.rest("PUT", "/v1/shop/collections/orders", {
      body: { json_schema: { type: "object", properties: { total: { type: "number" } } } },
    });
    expect(orders.status, orders.text).toBe(201);
    const update = (upstream: StripeLike) => ({ url: `${upstream.url}/v1/customers/{{external_id}}`, body: "form" });
    const customers = await t.rest("PUT", "/v1/shop/collections/customers", {
      body: {
        json_schema: customerSchema,
        sources: [
          customerSource("stripe", stripe, STRIPE_SECRET, {
            get_many: { url: `${stripe.url}/v1/customers?ids={{external_ids}}`, response_path: "data", max_ids: 20 },
            update: update(stripe),
          }),
          customerSource("legacy", legacy, LEGACY_SECRET, {
            concurrency: 2,
            update: update(legacy),
            list: {
              url: `${legacy.url}/v1/customers?limit={{query.limit}}&offset={{query.offset}}`,
              response_path: "data",
              total_path: "total_count",
            },
          }),
        ],
      },
    });
    expect(customers.status, customers.text).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await stripe?.close();
    await legacy?.close();
  });
  beforeEach(() => {
    stripe.setDelay(0);
    legacy.setDelay(0);
  });

  it("links a native record to a proxied one and reads the link from both ends, through REST", async () => {
    const orderId = await order(120);
    const customerId = await customer(stripe, "stripe", "cus_rest", "Globex");
    const link = await belongsTo(orderId, customerId, { data: { role: "buyer" } });
    expect(link.status, link.text).toBe(201);

    // The upstream is the truth: the linked record shows what it holds now.
    (stripe.customers.get("cus_rest") as { name: string }).name = "Globex Corp";
    const out = await t.rest(
      "GET",
      `/v1/shop/records/orders/${orderId}/relationships?direction=outgoing&include=record`,
    );
    expect(out.status, out.text).toBe(200);
    expect(out.body.data).toHaveLength(1);
    expect(out.body.data[0]).toMatchObject({
      target_id: customerId,
      record: { id: customerId, external_source: "stripe", external_id: "cus_rest", data: { name: "Globex Corp" } },
    });
    const back = await t.rest("GET", `/v1/shop/records/customers/${customerId}/relationships?include=record`);
    expect(back.status, back.text).toBe(200);
    expect(back.body.data.map((e: { record: { id: string } }) => e.record.id)).toEqual([orderId]);
  });

  it("refuses a link to an external record never seen here or gone upstream, and hides links to one that went", async () => {
    const orderId = await order(7);
    const unseen = externalRecordId("shop", "customers", "stripe", "cus_never_seen");
    const refused = await belongsTo(orderId, unseen);
    expect(refused.status).toBe(404);
    expect(refused.body.error.details).toEqual([{ path: "target_id", message: expect.stringContaining(unseen) }]);

    const customerId = await customer(stripe, "stripe", "cus_leaving", "Initech");
    expect((await belongsTo(orderId, customerId)).status).toBe(201);
    stripe.customers.delete("cus_leaving");
    const traversal = await t.rest("GET", `/v1/shop/records/orders/${orderId}/relationships?include=record`);
    expect(traversal.status).toBe(200);
    expect(traversal.body.data).toEqual([]);
    const again = await belongsTo(orderId, customerId, { rel_type: "billed_to" });
    expect(again.status).toBe(404);
    expect(again.body.error.details[0].path).toBe("target_id");
  });

  it("reads the customers of 50 orders with one request per distinct record, or one per batch endpoint", async () => {
    const stripeIds = await Promise.all([1, 2, 3, 4, 5].map((n) => customer(stripe, "stripe", `cus_b${n}`, `S${n}`)));
    const legacyIds = await Promise.all([1, 2, 3, 4, 5].map((n) => customer(legacy, "legacy", `cus_l${n}`, `L${n}`)));
    await t.rest("PUT", "/v1/shop/collections/batch_orders", {
      body: { json_schema: { type: "object", properties: { n: { type: "integer" } } } },
    });
    const expected = new Map<string, string>();
    for (let n = 0; n < 50; n++) {
      const created = await t.rest("PUT", "/v1/shop/records/batch_orders", { body: { data: { n } } });
      const target = n % 2 === 0 ? stripeIds[(n / 2) % 5] : legacyIds[((n - 1) / 2) % 5];
      expected.set(created.body.id, target as string);
      const linked = await belongsTo(created.body.id, target as string, {}, "batch_orders");
      expect(linked.status, linked.text).toBe(201);
    }
    const [stripeBefore, legacyBefore] = [stripe.requests.length, legacy.requests.length];
    legacy.setDelay(40);
    legacy.resetMaxInFlight();
    const page = await t.gql(
      `{ records(workspace: "shop", collection: "batch_orders", limit: 50) {
          nodes { id related(type: "belongs_to", direction: outgoing) { id externalSource data } } } }`,
    );
    expect(page.body.errors).toBeUndefined();
    const nodes = page.body.data.records.nodes as Array<{ id: string; related: Array<{ id: string; data: object }> }>;
    expect(nodes).toHaveLength(50);
    for (const node of nodes) expect(node.related.map((r) => r.id)).toEqual([expected.get(node.id)]);
    const first = nodes.find((node) => node.related[0]?.id === stripeIds[0]);
    expect(first?.related[0]?.data).toMatchObject({ name: "S1", email: "cus_b1@example.com", tier: "gold" });

    // The source with a list-by-ids endpoint: one request for its five customers.
    const stripeCalls = stripe.requests.slice(stripeBefore).map((r) => r.path);
    expect(stripeCalls).toHaveLength(1);
    expect(stripeCalls[0]?.split("ids=")[1]?.split(",").sort()).toEqual([1, 2, 3, 4, 5].map((n) => `cus_b${n}`));
    // Without one: one get per distinct customer (not per order), never more than `concurrency` at once.
    const legacyCalls = legacy.requests.slice(legacyBefore).map((r) => r.path);
    expect(legacyCalls.sort()).toEqual([1, 2, 3, 4, 5].map((n) => `/v1/customers/cus_l${n}`));
    expect(legacy.maxInFlight).toBe(2);
  });

  it("serves a relationship's external end through GraphQL, and fails whole rather than partial", async () => {
    const orderId = await order(55);
    const customerId = await customer(legacy, "legacy", "cus_gql", "Umbrella");
    const link = await belongsTo(orderId, customerId);
    const query = `query($id: ID!) { relationship(workspace: "shop", id: $id) {
      source { id data } target { id externalSource externalId data } } }`;
    const read = await t.gql(query, { id: link.body.id });
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data.relationship).toMatchObject({
      source: { id: orderId, data: { total: 55 } },
      target: { id: customerId, externalSource: "legacy", externalId: "cus_gql", data: { name: "Umbrella" } },
    });

    legacy.failNext("500");
    const failed = await t.rest("GET", `/v1/shop/records/orders/${orderId}/relationships?include=record`);
    expect(failed.status).toBe(502);
    expect(failed.body.error.code).toBe("UPSTREAM_ERROR");
  });

  it("writes, patches, lists and reads records of both sources through GraphQL, beside native ones", async () => {
    await customer(stripe, "stripe", "cus_gql_s", "Stark");
    await customer(legacy, "legacy", "cus_gql_l", "Wayne");
    const upsert = `mutation($source: String!, $id: String!, $data: JSON!) {
      upsertRecord(workspace: "shop", collection: "customers",
                   input: { externalSource: $source, externalId: $id, data: $data }) {
        created record { id externalSource externalId data } } }`;
    for (const [source, id, upstream] of [
      ["stripe", "cus_gql_s", stripe],
      ["legacy", "cus_gql_l", legacy],
    ] as const) {
      const written = await t.gql(upsert, { source, id, data: { name: `${id} renamed`, tier: "silver" } });
      expect(written.body.errors).toBeUndefined();
      const { record } = written.body.data.upsertRecord;
      expect(record).toMatchObject({ id: externalRecordId("shop", "customers", source, id), externalSource: source });
      expect(upstream.customers.get(id)).toMatchObject({ name: `${id} renamed`, metadata: { tier: "silver" } });

      const patched = await t.gql(
        `mutation($id: ID!) { patchRecord(workspace: "shop", collection: "customers", id: $id, data: { tier: "gold" }) {
          data } }`,
        { id: record.id },
      );
      expect(patched.body.errors).toBeUndefined();
      expect(patched.body.data.patchRecord.data).toMatchObject({ name: `${id} renamed`, tier: "gold" });
      expect(upstream.customers.get(id)?.metadata.tier).toBe("gold");
    }

    const listed = await t.gql(
      `{ legacy: records(workspace: "shop", collection: "customers", externalSource: "legacy", limit: 100) {
           total nodes { externalId data } }
         stored: records(workspace: "shop", collection: "customers") { total } }`,
    );
    expect(listed.body.errors).toBeUndefined();
    expect(listed.body.data.legacy.total).toBe(legacy.customers.size);
    expect(listed.body.data.legacy.nodes.map((n: { externalId: string }) => n.externalId)).toContain("cus_gql_l");
    // None of them is stored here.
    expect(listed.body.data.stored.total).toBe(0);
    // REST pages a source the same way, and refuses what it cannot push down.
    const page = await t.rest("POST", "/v1/shop/records/customers/query", {
      body: { external_source: "legacy", limit: 2, offset: 1 },
    });
    expect(page.status, page.text).toBe(200);
    expect(page.body.data).toHaveLength(2);
    expect(page.body.meta).toMatchObject({ total: legacy.customers.size, limit: 2, offset: 1 });
    expect(legacy.requests.at(-1)?.path).toBe("/v1/customers?limit=2&offset=1");
    const sorted = await t.rest("POST", "/v1/shop/records/customers/query", {
      body: { external_source: "legacy", sort: [{ field: "data.name", direction: "asc" }] },
    });
    expect(sorted.status).toBe(400);
    expect(sorted.body.error.details).toEqual([{ path: "sort", message: "is not supported for source 'legacy'" }]);
  });

  it("uses a rotated source secret from the next request on", async () => {
    const customerId = await customer(stripe, "stripe", "cus_rotate", "Hooli");
    expect((await t.rest("GET", `/v1/shop/records/customers/${customerId}`)).status).toBe(200);
    const rotated = "sk_test_rotatedSecret000111";
    stripe.setSecret(rotated);
    expect((await t.rest("GET", `/v1/shop/records/customers/${customerId}`)).status).toBe(400);
    const current = (await t.rest("GET", "/v1/shop/collections/customers")).body;
    current.sources[0].auth.secret = rotated;
    const saved = await t.rest("PUT", "/v1/shop/collections/customers", {
      body: { json_schema: current.json_schema, sources: current.sources },
    });
    expect(saved.status, saved.text).toBe(200);
    const read = await t.rest("GET", `/v1/shop/records/customers/${customerId}`);
    expect(read.status, read.text).toBe(200);
    expect(stripe.requests.at(-1)?.authorization).toBe(`Bearer ${rotated}`);
    stripe.setSecret(STRIPE_SECRET);
    current.sources[0].auth.secret = STRIPE_SECRET;
    await t.rest("PUT", "/v1/shop/collections/customers", {
      body: { json_schema: current.json_schema, sources: current.sources },
    });
  });
});
