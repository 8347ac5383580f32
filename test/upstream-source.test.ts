import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AddressPolicy } from "../src/outbound/address-policy.ts";
import { OutboundClient } from "../src/outbound/http-client.ts";
import type { SourceConfig } from "../src/sources/external/config.ts";
import { encodeForm } from "../src/sources/external/form-body.ts";
import { stripSecret, UpstreamError, upstreamMessageOf } from "../src/sources/external/upstream-error.ts";
import { UpstreamSource } from "../src/sources/external/upstream-source.ts";
import { MappingError } from "../src/sources/mapping/index.ts";

// An external source goes through real HTTP to a Stripe-like upstream started here: requests built from the config,
// answers mapped back, and every failure an UpstreamError whose text never holds the secret.

const SECRET = "sk_test_51HxUpstreamSecretValue$&42";
const TIMEOUT_MS = 300;

interface Invoice {
  id: string;
  object: "invoice";
  amount_due: number | string;
  status: string;
  customer: { name: string };
  lines: { object: "list"; data: Array<{ amount: number }> };
  created: number;
  description: string | null;
  metadata: Record<string, string>;
}

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body as the upstream read it (form or JSON). */
  parsed: unknown;
}

/** Stripe's reading of a form body: `a[b][0][c]=x` into nested objects, numeric segments into arrays. */
function parseForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const head = /^[^[]*/.exec(key)?.[0] ?? "";
    const segments = [head, ...[...key.slice(head.length).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? "")];
    let node = root;
    segments.forEach((segment, i) => {
      const next = segments[i + 1];
      if (next === undefined) node[segment] = value;
      else {
        if (!Object.hasOwn(node, segment)) node[segment] = /^\d+$/.test(next) ? [] : {};
        node = node[segment] as Record<string, unknown>;
      }
    });
  }
  return root;
}

interface Upstream {
  url: string;
  invoices: Map<string, Invoice>;
  requests: Received[];
  /** Forgets every invoice and request, and numbers ids from in_000001 again. */
  reset(): void;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const invoices = new Map<string, Invoice>();
  const requests: Received[] = [];
  let next = 1;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const json = req.headers["content-type"] === "application/json";
    const parsed = body === "" ? undefined : json ? JSON.parse(body) : parseForm(body);
    const url = new URL(req.url ?? "/", "http://upstream");
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, parsed });
    const send = (status: number, value: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    const authorization = req.headers.authorization ?? "";

    // Failure endpoints, answered before authentication so every source reaches them.
    const failure = /^\/fail\/([a-z0-9-]+)/.exec(url.pathname)?.[1];
    switch (failure) {
      case undefined:
        break;
      case "500":
        // Echoes the credentials it got, as a careless upstream might: they must be stripped.
        return send(500, { error: { message: `internal failure while serving ${authorization}` } });
      case "hang":
        return; // never answers; the client's timeout ends the request
      case "bad-json":
        return res.writeHead(200, { "content-type": "application/json" }).end('{"id": "in_1", ');
      case "400":
        return send(400, { error: { message: "amount must be positive", param: "amount" } });
      case "echo-400":
        return send(400, { message: `key ${authorization} is not allowed for ${decodeURIComponent(url.search)}` });
      case "redirect":
        return res.writeHead(302, { location: "http://169.254.169.254/" }).end();
      case "huge":
        return send(200, { id: "in_1", padding: "x".repeat(100_000) });
      default:
        return send(404, { error: { message: "Unrecognized request URL" } });
    }

    if (authorization !== `Bearer ${SECRET}`) {
      return send(401, { error: { message: `Invalid API Key provided: ${authorization.slice(7, 15)}****` } });
    }
    const wrapped = url.pathname.startsWith("/wrapped/");
    const match = /^\/(?:v1|wrapped)\/invoices(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) return send(404, { error: { message: "Unrecognized request URL" } });
    const id = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
    const missing = () => send(404, { error: { message: `No such invoice: '${id}'`, type: "invalid_request_error" } });

    if (req.method === "GET" && id === undefined && url.searchParams.has("ids")) {
      const ids = (url.searchParams.get("ids") ?? "").split(",");
      // Answers one invoice more than asked for, as an upstream ignoring part of the filter might.
      const data = [...invoices.values()].filter((invoice, i) => ids.includes(invoice.id) || i === 0);
      return data.length ? send(200, { object: "list", data }) : send(404, { error: { message: "none" } });
    }
    if (req.method === "GET" && id === undefined) {
      const all = [...invoices.values()];
      const limit = Number(url.searchParams.get("limit") ?? 10);
      const offset = Number(url.searchParams.get("offset") ?? 0);
      const data = all.slice(offset, offset + limit);
      return send(200, { object: "list", data, has_more: offset + limit < all.length, total_count: all.length });
    }
    const current = id === undefined ? undefined : invoices.get(id);
    if (req.method === "GET") {
      if (!current) return missing();
      return wrapped ? send(200, { data: { ...current, ref: { number: 17 } } }) : send(200, current);
    }
    if (req.method === "DELETE") {
      if (!current) return missing();
      invoices.delete(current.id);
      return send(200, { id: current.id, object: "invoice", deleted: true });
    }
    if (req.method !== "POST") return send(405, { error: { message: "Method not allowed" } });
    if (id !== undefined && !current) return missing();
    const form = (parsed ?? {}) as Record<string, unknown>;
    const amount = form.amount_due === undefined ? undefined : Number(form.amount_due);
    if (amount !== undefined && !(amount >= 0)) {
      return send(400, { error: { message: "amount must be positive", param: "amount_due" } });
    }
    const invoice: Invoice = current ?? {
      id: `in_${String(next++).padStart(6, "0")}`,
      object: "invoice",
      amount_due: 0,
      status: "draft",
      customer: { name: "" },
      lines: { object: "list", data: [] },
      created: 1_767_225_600,
      description: null,
      metadata: {},
    };
    if (amount !== undefined) {
      invoice.amount_due = amount;
      invoice.lines.data = [{ amount }];
    }
    if (typeof form.status === "string") invoice.status = form.status;
    const customer = form.customer as { name?: string } | undefined;
    if (typeof customer?.name === "string") invoice.customer.name = customer.name;
    if (form.created !== undefined) invoice.created = Number(form.created);
    // Stripe's convention: an empty value unsets.
    if (typeof form.description === "string") invoice.description = form.description || null;
    if (form.description === null) invoice.description = null;
    Object.assign(invoice.metadata, form.metadata ?? {});
    invoices.set(invoice.id, invoice);
    return send(200, invoice);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invoices,
    requests,
    reset: () => {
      invoices.clear();
      requests.length = 0;
      next = 1;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const clientWith = (policy: AddressPolicy) =>
  new OutboundClient({
    policy,
    connectTimeoutMs: 1000,
    responseTimeoutMs: TIMEOUT_MS,
    maxResponseBytes: 64 * 1024,
    retries: 0,
  });

const fieldMapping = {
  to_external: {
    amount: { path: "amount_due", transform: "to_number" },
    state: { path: "status", values: { draft: "draft", open: "open", paid: "paid", cancelled: "void" } },
    customer_name: { path: "customer.name" },
    issued_at: { path: "created", transform: "iso_date", external_format: "unix" },
    line_amounts: { path: "lines.data[].amount" },
    memo: "description",
  },
};

const auth = {
  header: "Authorization",
  value_template: "Bearer {{secret}}",
  secret: "vault:source.books.invoices.stripe",
};

function stripeConfig(base: string, overrides: Partial<SourceConfig> = {}): SourceConfig {
  return {
    name: "stripe",
    mode: "proxy",
    auth,
    field_mapping: fieldMapping,
    get: { url: `${base}/v1/invoices/{{external_id}}`, method: "GET" },
    list: {
      url: `${base}/v1/invoices?limit={{query.limit}}&offset={{query.offset}}`,
      method: "GET",
      response_path: "data",
      total_path: "total_count",
    },
    create: { url: `${base}/v1/invoices`, method: "POST", body: "form" },
    update: { url: `${base}/v1/invoices/{{external_id}}`, method: "POST", body: "form" },
    delete: { url: `${base}/v1/invoices/{{external_id}}`, method: "DELETE" },
    ...overrides,
  };
}

/** Every failure in this file passes through here: it must be an UpstreamError and hold the secret nowhere. */
async function failureOf(run: Promise<unknown>): Promise<UpstreamError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  const upstream = error as UpstreamError;
  for (const text of [
    upstream.message,
    upstream.upstreamMessage ?? "",
    String(upstream.stack),
    JSON.stringify(upstream),
  ]) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(encodeURIComponent(SECRET));
  }
  return upstream;
}

describe("an upstream source against a Stripe-like API", () => {
  let upstream: Upstream;
  let client: OutboundClient;
  let stripe: UpstreamSource;
  let secretReads = 0;
  const source = (config: SourceConfig, secret: () => Promise<string | undefined> = async () => SECRET) =>
    new UpstreamSource(config, { client, secret });

  beforeAll(async () => {
    upstream = await startUpstream();
    client = clientWith(new AddressPolicy("127.0.0.1"));
    stripe = source(stripeConfig(upstream.url), async () => {
      secretReads++;
      return SECRET;
    });
  });
  afterAll(async () => {
    await client?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  const lastRequest = () => upstream.requests.at(-1) as Received;
  const globex = {
    amount: 1200,
    state: "open",
    customer_name: "Globex",
    issued_at: "2026-01-01T00:00:00.000Z",
    memo: "Q1 services",
    metadata: { order: "A-1", "note & more": "x=1" },
  };

  it("creates through the mapping with a form body the upstream decodes to what was sent", async () => {
    const created = await stripe.create(globex);
    expect(created).toEqual({
      externalId: "in_000001",
      data: {
        amount: 1200,
        state: "open",
        customer_name: "Globex",
        issued_at: "2026-01-01T00:00:00.000Z",
        line_amounts: [1200],
        memo: "Q1 services",
        // Unmapped upstream keys pass through.
        id: "in_000001",
        object: "invoice",
        metadata: { order: "A-1", "note & more": "x=1" },
      },
    });
    const request = lastRequest();
    expect(request).toMatchObject({ method: "POST", path: "/v1/invoices" });
    expect(request.headers).toMatchObject({
      authorization: `Bearer ${SECRET}`,
      accept: "application/json",
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(request.body).toBe(
      encodeForm({
        amount_due: 1200,
        status: "open",
        customer: { name: "Globex" },
        created: 1_767_225_600,
        description: "Q1 services",
        metadata: { order: "A-1", "note & more": "x=1" },
      }),
    );
    expect(request.parsed).toEqual({
      amount_due: "1200",
      status: "open",
      customer: { name: "Globex" },
      created: "1767225600",
      description: "Q1 services",
      metadata: { order: "A-1", "note & more": "x=1" },
    });
    expect(upstream.invoices.get("in_000001")).toMatchObject({ amount_due: 1200, customer: { name: "Globex" } });
  });

  it("gets a record by id, percent-encoding it into the URL, and answers null for the upstream's 404", async () => {
    const { externalId } = await stripe.create(globex);
    expect(await stripe.get(externalId)).toMatchObject({ externalId, data: { amount: 1200, state: "open" } });
    expect(lastRequest()).toMatchObject({ method: "GET", path: `/v1/invoices/${externalId}`, body: "" });

    expect(await stripe.get("in_missing")).toBeNull();
    expect(await stripe.get("in/../../admin?x=1#y")).toBeNull();
    expect(lastRequest().path).toBe("/v1/invoices/in%2F..%2F..%2Fadmin%3Fx%3D1%23y");
    // Ids a URL would resolve away are never sent: they would reach another endpoint with the credentials.
    const sent = upstream.requests.length;
    for (const id of ["", ".", ".."]) expect(await stripe.get(id)).toBeNull();
    expect(await stripe.delete("..")).toBe(false);
    expect((await failureOf(stripe.update("..", { amount: 1 }))).kind).toBe("not_found");
    expect(upstream.requests.length).toBe(sent);
  });

  it("maps enum values both ways, and refuses an unmapped one before anything is sent", async () => {
    const { externalId } = await stripe.create({ ...globex, state: "cancelled" });
    expect(upstream.invoices.get(externalId)?.status).toBe("void");
    expect((await stripe.get(externalId))?.data.state).toBe("cancelled");

    const sent = upstream.requests.length;
    const error = await stripe.create({ ...globex, state: "bogus" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({ direction: "write", field: "state" });
    expect(upstream.requests.length).toBe(sent);
  });

  it("gets many by ids in chunks of max_ids, keeping only the asked ids, or one get per id without get_many", async () => {
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await stripe.create({ ...globex, amount: i }));
    const [first, ...rest] = created.map((item) => item.externalId);
    const batched = source(
      stripeConfig(upstream.url, {
        get_many: {
          url: `${upstream.url}/v1/invoices?ids={{external_ids}}`,
          method: "GET",
          response_path: "data",
          max_ids: 2,
        },
      }),
    );
    upstream.requests.length = 0;
    const ids = [...rest, rest[0] as string, "in_missing/../x"];
    const found = await batched.getMany(ids);
    expect(found.map((item) => item.externalId).sort()).toEqual([...rest].sort());
    expect(found.find((item) => item.externalId === rest[1])?.data).toMatchObject({
      amount: 2,
      customer_name: "Globex",
    });
    // 4 distinct ids + 1 odd one = 5 ids in chunks of 2, each percent-encoded, joined by commas.
    expect(upstream.requests.map((r) => r.path)).toHaveLength(3);
    expect(upstream.requests.some((r) => r.path.includes("in_missing%2F..%2Fx"))).toBe(true);
    expect(first).toBeDefined();
    expect(found.some((item) => item.externalId === first)).toBe(false);

    upstream.requests.length = 0;
    const single = await stripe.getMany([first as string, "in_nope"]);
    expect(single.map((item) => item.externalId)).toEqual([first]);
    expect(upstream.requests.map((r) => r.path).sort()).toEqual([`/v1/invoices/${first}`, "/v1/invoices/in_nope"]);
  });

  it("lists a page with limit and offset in the URL and the total from total_path", async () => {
    for (const name of ["A", "B", "C"]) await stripe.create({ ...globex, customer_name: name });
    const page = await stripe.list({ limit: 2, offset: 1 });
    expect(lastRequest()).toMatchObject({ method: "GET", path: "/v1/invoices?limit=2&offset=1" });
    expect(page.total).toBe(3);
    expect(page.items.map((item) => [item.externalId, item.data.customer_name])).toEqual([
      ["in_000002", "B"],
      ["in_000003", "C"],
    ]);
    // Without total_path there is no total.
    const untotalled = source(
      stripeConfig(upstream.url, {
        list: { url: `${upstream.url}/v1/invoices?limit={{query.limit}}`, method: "GET", response_path: "data" },
      }),
    );
    expect(await untotalled.list({ limit: 10, offset: 0 })).toMatchObject({ total: null, items: { length: 3 } });
  });

  it("updates with a form body and maps the answered record back", async () => {
    const { externalId } = await stripe.create(globex);
    const updated = await stripe.update(externalId, { state: "paid", customer_name: "Initech", memo: null });
    expect(lastRequest()).toMatchObject({ method: "POST", path: `/v1/invoices/${externalId}` });
    expect(lastRequest().parsed).toEqual({ status: "paid", customer: { name: "Initech" }, description: "" });
    expect(updated).toEqual({
      externalId,
      data: expect.objectContaining({ amount: 1200, state: "paid", customer_name: "Initech", memo: null }),
    });

    const missing = await failureOf(stripe.update("in_missing", { amount: 5 }));
    expect(missing).toMatchObject({ kind: "not_found", status: 404 });
  });

  it("deletes, answering false when the upstream has no such record", async () => {
    const { externalId } = await stripe.create(globex);
    expect(await stripe.delete(externalId)).toBe(true);
    expect(lastRequest()).toMatchObject({ method: "DELETE", path: `/v1/invoices/${externalId}`, body: "" });
    expect(await stripe.get(externalId)).toBeNull();
    expect(await stripe.delete(externalId)).toBe(false);
  });

  it("sends JSON bodies when the endpoint says so, typed as the mapping wrote them", async () => {
    const json = source(
      stripeConfig(upstream.url, { create: { url: `${upstream.url}/v1/invoices`, method: "POST", body: "json" } }),
    );
    await json.create({ amount: 50, customer_name: "Umbrella", memo: "n" });
    expect(lastRequest().headers["content-type"]).toBe("application/json");
    expect(lastRequest().parsed).toEqual({ amount_due: 50, customer: { name: "Umbrella" }, description: "n" });
  });

  it("reads the record at response_path and the id at id_path, a number given as text", async () => {
    const { externalId } = await stripe.create(globex);
    const wrapped = source(
      stripeConfig(upstream.url, {
        id_path: "ref.number",
        get: { url: `${upstream.url}/wrapped/invoices/{{external_id}}`, method: "GET", response_path: "data" },
      }),
    );
    expect(await wrapped.get(externalId)).toMatchObject({ externalId: "17", data: { customer_name: "Globex" } });

    const nowhere = source(
      stripeConfig(upstream.url, {
        get: { url: `${upstream.url}/v1/invoices/{{external_id}}`, method: "GET", response_path: "data.record" },
      }),
    );
    const error = await failureOf(nowhere.get(externalId));
    expect(error).toMatchObject({
      kind: "failed",
      status: 200,
      message: "get: the upstream's answer has nothing at 'data.record'",
    });

    const noId = source(stripeConfig(upstream.url, { id_path: "ref.number" }));
    expect((await failureOf(noId.get(externalId))).message).toBe("get: the record has no id (looked for 'ref.number')");
  });

  it("turns a record the mapping cannot read into a failure, not the client's error", async () => {
    const { externalId } = await stripe.create(globex);
    (upstream.invoices.get(externalId) as Invoice).amount_due = "twelve";
    const error = await failureOf(stripe.get(externalId));
    expect(error.kind).toBe("failed");
    expect(error.message).toMatch(/^get: the record cannot be mapped: amount: /);
    expect((await failureOf(stripe.list({ limit: 10, offset: 0 }))).message).toMatch(
      /^list: item 0 of the list cannot be mapped: amount: /,
    );
  });

  it("sends the credentials only in the auth header, resolved at call time, and none without auth", async () => {
    const before = secretReads;
    await stripe.get("in_x");
    await stripe.get("in_y");
    expect(secretReads).toBe(before + 2);
    expect(upstream.requests.every((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true);

    const open = source({ ...stripeConfig(upstream.url), auth: undefined });
    const error = await failureOf(open.get("in_x"));
    expect(lastRequest().headers.authorization).toBeUndefined();
    expect(error).toMatchObject({ kind: "rejected", status: 401 });

    const unresolved = source(stripeConfig(upstream.url), async () => undefined);
    const sent = upstream.requests.length;
    expect(await failureOf(unresolved.get("in_x"))).toMatchObject({
      kind: "failed",
      message: "get: the source's secret is not in the vault",
    });
    const broken = source(stripeConfig(upstream.url), () => Promise.reject(new Error(`vault down: ${SECRET}`)));
    expect((await failureOf(broken.get("in_x"))).message).toBe("get: the source's secret could not be read");
    expect(upstream.requests.length).toBe(sent);
  });

  it("turns a 401 into rejected with the upstream's message and without the secret", async () => {
    const wrong = source(stripeConfig(upstream.url), async () => "sk_test_wrongKey123");
    const error = await failureOf(wrong.list({ limit: 1, offset: 0 }));
    expect(error).toMatchObject({
      kind: "rejected",
      status: 401,
      upstreamMessage: "Invalid API Key provided: sk_test_****",
    });
  });

  describe("failures", () => {
    const failing = (path: string, extra: Partial<SourceConfig> = {}) =>
      source(
        stripeConfig(upstream.url, {
          get: { url: `${upstream.url}/fail/${path}/{{external_id}}`, method: "GET" },
          create: { url: `${upstream.url}/fail/${path}`, method: "POST", body: "form" },
          ...extra,
        }),
      );

    it("turns a 400 into rejected, carrying the upstream's message", async () => {
      const error = await failureOf(failing("400").create({ amount: 1 }));
      expect(error).toMatchObject({
        kind: "rejected",
        status: 400,
        upstreamMessage: "amount must be positive",
        message: "create: the upstream refused the request (400): amount must be positive",
      });
      expect(error.latencyMs).toBeGreaterThan(0);
    });

    it("strips the secret from what the upstream echoes, plain and percent-encoded", async () => {
      const error = await failureOf(
        failing("echo-400", {
          get: { url: `${upstream.url}/fail/echo-400/{{external_id}}?key={{external_id}}`, method: "GET" },
        }).get(SECRET),
      );
      expect(error.kind).toBe("rejected");
      expect(error.upstreamMessage).toBe("key Bearer [secret] is not allowed for ?key=[secret]");
      const failed = await failureOf(failing("500").get("in_1"));
      expect(failed.upstreamMessage).toBe("internal failure while serving Bearer [secret]");
    });

    it("turns a 500 into failed with the upstream status", async () => {
      const error = await failureOf(failing("500").get("in_1"));
      expect(error).toMatchObject({ kind: "failed", status: 500, message: "get: the upstream answered 500" });
    });

    it("turns no answer within the timeout into timeout, without waiting longer", async () => {
      const started = Date.now();
      const error = await failureOf(failing("hang").get("in_1"));
      expect(error.kind).toBe("timeout");
      expect(error.status).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
    });

    it("turns invalid JSON, a redirect and an oversized answer into failed", async () => {
      expect(await failureOf(failing("bad-json").get("in_1"))).toMatchObject({
        kind: "failed",
        status: 200,
        message: "get: the upstream answered invalid JSON",
      });
      expect(await failureOf(failing("redirect").get("in_1"))).toMatchObject({
        kind: "failed",
        status: 302,
        message: "get: the upstream answered 302 (redirects are not followed)",
      });
      expect(await failureOf(failing("huge").get("in_1"))).toMatchObject({ kind: "failed", status: undefined });
    });

    it("turns an address the outbound policy refuses into failed, and a closed port too", async () => {
      const closedClient = clientWith(new AddressPolicy());
      try {
        const refused = new UpstreamSource(stripeConfig(upstream.url), {
          client: closedClient,
          secret: async () => SECRET,
        });
        const error = await failureOf(refused.get("in_1"));
        expect(error.kind).toBe("failed");
        expect(error.message).toMatch(/not an address outbound requests may reach/);
      } finally {
        await closedClient.close();
      }
      const down = source(stripeConfig("http://127.0.0.1:9"));
      expect((await failureOf(down.get("in_1"))).kind).toBe("failed");
    });

    it("answers unsupported for an operation the source has no endpoint for", async () => {
      const readOnly = source({
        ...stripeConfig(upstream.url),
        list: undefined,
        create: undefined,
        update: undefined,
        delete: undefined,
      });
      expect(await failureOf(readOnly.delete("in_1"))).toMatchObject({
        kind: "unsupported",
        message: "Source 'stripe' has no delete endpoint",
      });
      expect((await failureOf(readOnly.list({ limit: 1, offset: 0 }))).kind).toBe("unsupported");
      expect((await failureOf(readOnly.create({ amount: 1 }))).kind).toBe("unsupported");
      expect((await failureOf(readOnly.update("in_1", { amount: 1 }))).kind).toBe("unsupported");
      expect(upstream.requests).toEqual([]);
    });
  });
});

describe("upstream messages", () => {
  it("are taken from the common error shapes, else short plain text", () => {
    expect(upstreamMessageOf('{"error":{"message":"No such invoice"}}', undefined)).toBe("No such invoice");
    expect(upstreamMessageOf('{"error":"invalid_grant"}', undefined)).toBe("invalid_grant");
    expect(upstreamMessageOf('{"message":"Bad  \\n request"}', undefined)).toBe("Bad request");
    expect(upstreamMessageOf('{"errors":[{"message":"first"},{"message":"second"}]}', undefined)).toBe("first");
    expect(upstreamMessageOf("Service Unavailable", undefined)).toBe("Service Unavailable");
    expect(upstreamMessageOf("<html><body>502</body></html>", undefined)).toBeUndefined();
    expect(upstreamMessageOf('{"detail":{"x":1}}', undefined)).toBeUndefined();
    expect(upstreamMessageOf("", undefined)).toBeUndefined();
  });

  it("are capped at 500 characters after the secret is stripped, so no prefix of it survives the cut", () => {
    const long = upstreamMessageOf(JSON.stringify({ message: "x".repeat(1000) }), undefined);
    expect(long).toHaveLength(500);
    const secret = "s".repeat(40);
    const atTheEdge = upstreamMessageOf(JSON.stringify({ message: `${"x".repeat(480)}${secret}` }), secret);
    expect(atTheEdge).toBe(`${"x".repeat(480)}[secret]`);
    expect(atTheEdge).not.toContain("ssssssssssssssssssss");
  });

  it("lose every occurrence of the secret, and keep text unchanged without one", () => {
    expect(stripSecret("a sk_1 b sk_1", "sk_1")).toBe("a [secret] b [secret]");
    expect(stripSecret("k=a%2Fb&k=a/b", "a/b")).toBe("k=[secret]&k=[secret]");
    expect(stripSecret("text", undefined)).toBe("text");
    expect(stripSecret("text", "")).toBe("text");
  });
});
