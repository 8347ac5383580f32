// A small Stripe-like upstream for trying external sources (docs/sources.md, "Worked example"), and the upstream the
// tests run against:
//
//   npm run example:upstream      # http://127.0.0.1:4010, API key sk_test_example (STRIPE_LIKE_PORT, STRIPE_LIKE_KEY)
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";

/**
 * Invoices with nested objects and enums, form-encoded writes, bearer auth, list pages with a total, customers
 * readable one by one or by ids (`GET /v1/customers?ids=a,b`), and switches for the failures a gateway must survive.
 */
export interface Invoice {
  id: string;
  object: "invoice";
  amount_due: number;
  status: string;
  customer: { name: string };
  created: number;
  metadata: Record<string, string>;
}

export interface Customer {
  id: string;
  object: "customer";
  name: string;
  email: string;
  metadata: { tier: string };
}

export interface StripeLike {
  url: string;
  invoices: Map<string, Invoice>;
  customers: Map<string, Customer>;
  /** The API key requests must carry from now on (a rotation upstream). */
  setSecret: (secret: string) => void;
  /** Every answer waits this long; `maxInFlight` is the most requests that were ever being answered at once. */
  setDelay: (ms: number) => void;
  readonly maxInFlight: number;
  resetMaxInFlight: () => void;
  /** Requests received, for asserting what was (not) sent. */
  requests: Array<{ method: string; path: string; body: string; authorization?: string }>;
  /** Next responses: answer 500, never answer, or answer broken JSON. */
  failNext: (mode: "500" | "hang" | "bad-json") => void;
  close(): Promise<void>;
}

const SECRET_HEADER = (secret: string) => `Bearer ${secret}`;

/** Stripe-style form body (`a=1&customer[name]=x&metadata[k]=v`) back into nested objects. */
function parseForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split(/\[|\]\[|\]/).filter(Boolean);
    let node = out;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        node[part] = value;
        return;
      }
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    });
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startStripeLike(initialSecret: string, port = 0): Promise<StripeLike> {
  let secret = initialSecret;
  let delayMs = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const customers = new Map<string, Customer>();
  const invoices = new Map<string, Invoice>();
  const requests: StripeLike["requests"] = [];
  let failure: "500" | "hang" | "bad-json" | undefined;
  let next = 1;

  const server: Server = createServer(async (req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on("close", () => inFlight--);
    const body = await readBody(req);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const url = new URL(req.url ?? "/", "http://upstream");
    requests.push({
      method: req.method ?? "",
      path: `${url.pathname}${url.search}`,
      body,
      authorization: req.headers.authorization,
    });
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    };
    if (failure) {
      const mode = failure;
      failure = undefined;
      if (mode === "hang") return; // never answers; the client's timeout ends it
      if (mode === "bad-json") return res.writeHead(200, { "content-type": "application/json" }).end("{not json");
      return send(500, { error: { message: "internal upstream failure" } });
    }
    if (req.headers.authorization !== SECRET_HEADER(secret)) {
      return send(401, {
        error: { message: `Invalid API Key provided: ${String(req.headers.authorization).slice(0, 12)}****` },
      });
    }
    const customer = /^\/v1\/customers(?:\/([^/]+))?$/.exec(url.pathname);
    if (customer && req.method === "GET") {
      if (customer[1] === undefined && url.searchParams.has("ids")) {
        const ids = (url.searchParams.get("ids") ?? "").split(",").filter(Boolean);
        return send(200, { object: "list", data: ids.flatMap((id) => customers.get(id) ?? []) });
      }
      if (customer[1] === undefined) {
        const limit = Number(url.searchParams.get("limit") ?? 10);
        const offset = Number(url.searchParams.get("offset") ?? 0);
        const all = [...customers.values()];
        return send(200, { object: "list", data: all.slice(offset, offset + limit), total_count: all.length });
      }
      const found = customers.get(decodeURIComponent(customer[1]));
      return found ? send(200, found) : send(404, { error: { message: `No such customer: '${customer[1]}'` } });
    }
    if (customer?.[1] !== undefined && req.method === "POST") {
      const found = customers.get(decodeURIComponent(customer[1]));
      if (!found) return send(404, { error: { message: `No such customer: '${customer[1]}'` } });
      const form = parseForm(body) as Partial<Customer>;
      const updated = { ...found, ...form, metadata: { ...found.metadata, ...form.metadata } };
      customers.set(found.id, updated);
      return send(200, updated);
    }
    const match = /^\/v1\/invoices(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) return send(404, { error: { message: "Unrecognized request URL" } });
    const id = match[1] ? decodeURIComponent(match[1]) : undefined;
    if (req.method === "GET" && id === undefined) {
      const limit = Number(url.searchParams.get("limit") ?? 10);
      const offset = Number(url.searchParams.get("offset") ?? 0);
      const all = [...invoices.values()];
      return send(200, { object: "list", data: all.slice(offset, offset + limit), total_count: all.length });
    }
    if (req.method === "GET") {
      const invoice = id ? invoices.get(id) : undefined;
      return invoice ? send(200, invoice) : send(404, { error: { message: `No such invoice: '${id}'` } });
    }
    if (req.method === "DELETE") {
      if (!id || !invoices.delete(id)) return send(404, { error: { message: `No such invoice: '${id}'` } });
      return send(200, { id, object: "invoice", deleted: true });
    }
    if (req.method === "POST") {
      const form = parseForm(body);
      const amount = form.amount_due === undefined ? undefined : Number(form.amount_due);
      if (amount !== undefined && !(amount >= 0)) {
        return send(400, { error: { message: "amount_due must be a positive integer", param: "amount_due" } });
      }
      const current = id ? invoices.get(id) : undefined;
      if (id && !current) return send(404, { error: { message: `No such invoice: '${id}'` } });
      const invoice: Invoice = {
        id: current?.id ?? `in_${String(next++).padStart(6, "0")}`,
        object: "invoice",
        amount_due: amount ?? current?.amount_due ?? 0,
        status: (form.status as string | undefined) ?? current?.status ?? "draft",
        customer: { name: ((form.customer as { name?: string } | undefined)?.name ?? current?.customer.name) || "" },
        created: current?.created ?? 1_767_225_600,
        metadata: { ...(current?.metadata ?? {}), ...((form.metadata as Record<string, string>) ?? {}) },
      };
      invoices.set(invoice.id, invoice);
      return send(200, invoice);
    }
    send(405, { error: { message: "method not allowed" } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invoices,
    customers,
    setSecret: (next) => {
      secret = next;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    resetMaxInFlight: () => {
      maxInFlight = inFlight;
    },
    requests,
    failNext: (mode) => {
      failure = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The customers the worked example in docs/sources.md starts with (its tested outputs show them). */
export function seedExampleCustomers(upstream: StripeLike): void {
  for (const [id, name, tier] of [
    ["cus_globex", "Globex", "gold"],
    ["cus_initech", "Initech", "silver"],
  ] as const) {
    upstream.customers.set(id, {
      id,
      object: "customer",
      name,
      email: `billing@${name.toLowerCase()}.test`,
      metadata: { tier },
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const key = process.env.STRIPE_LIKE_KEY ?? "sk_test_example";
  const upstream = await startStripeLike(key, Number(process.env.STRIPE_LIKE_PORT ?? 4010));
  seedExampleCustomers(upstream);
  console.log(`Stripe-like upstream on ${upstream.url} (API key ${key}); Ctrl-C stops it`);
  const stop = () => void upstream.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
