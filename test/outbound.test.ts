import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddressPolicy, OutboundPolicyError } from "../src/outbound/address-policy.ts";
import { OutboundClient, OutboundError } from "../src/outbound/http-client.ts";

// Outbound requests go to URLs that API clients configure: by default nothing but the public internet is reachable.

describe("the outbound address policy", () => {
  const closed = new AddressPolicy();

  it("refuses loopback, private, link-local, metadata and other non-public addresses by default", () => {
    for (const address of [
      "127.0.0.1",
      "127.9.9.9",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "fd00:ec2::254",
      "fe80::1",
    ]) {
      expect(closed.allows("upstream.example", address), address).toBe(false);
    }
  });

  it("allows public addresses", () => {
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"]) {
      expect(closed.allows("upstream.example", address), address).toBe(true);
    }
  });

  it("allows what RECORDGATE_OUTBOUND_ALLOW lists: hostnames, addresses and CIDR ranges", () => {
    const open = new AddressPolicy(" localhost, 10.0.0.0/8 ,192.168.1.7, fd00::/8");
    expect(open.allows("localhost", "127.0.0.1")).toBe(true);
    expect(open.allows("LOCALHOST", "::1")).toBe(true);
    expect(open.allows("internal", "10.200.0.1")).toBe(true);
    expect(open.allows("internal", "192.168.1.7")).toBe(true);
    expect(open.allows("internal", "192.168.1.8")).toBe(false);
    expect(open.allows("internal", "fd12::1")).toBe(true);
    expect(open.allows("internal", "127.0.0.1")).toBe(false);
  });

  it("rejects an allow-list entry it cannot read", () => {
    for (const entry of ["10.0.0.0/33", "http://x", "a b", "1.2.3.4/x", "::/129"]) {
      expect(() => new AddressPolicy(entry), entry).toThrow(OutboundPolicyError);
    }
  });
});

describe("the outbound HTTP client", () => {
  let server: Server;
  let base: string;
  const hits = new Map<string, number>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? "/";
      hits.set(path, (hits.get(path) ?? 0) + 1);
      if (path === "/ok") return res.end(JSON.stringify({ ok: true }));
      if (path === "/slow") return setTimeout(() => res.end("late"), 1000);
      if (path === "/big") return res.end("x".repeat(4096));
      if (path === "/flaky") {
        if ((hits.get(path) ?? 0) < 2) return res.writeHead(503).end("busy");
        return res.end("recovered");
      }
      if (path === "/unavailable") return res.writeHead(503).end("busy");
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = (allow: string, overrides: { responseTimeoutMs?: number; maxResponseBytes?: number } = {}) =>
    new OutboundClient({
      policy: new AddressPolicy(allow),
      connectTimeoutMs: 1000,
      responseTimeoutMs: overrides.responseTimeoutMs ?? 2000,
      maxResponseBytes: overrides.maxResponseBytes ?? 1 << 20,
      retries: 2,
    });

  async function failure(promise: Promise<unknown>): Promise<OutboundError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutboundError);
    return error as OutboundError;
  }

  it("refuses a loopback upstream by address and by name, before any request reaches it", async () => {
    const guarded = client("");
    const before = hits.get("/ok") ?? 0;
    expect((await failure(guarded.request({ method: "GET", url: `${base}/ok` }))).kind).toBe("refused");
    const byName = base.replace("127.0.0.1", "localhost");
    expect((await failure(guarded.request({ method: "GET", url: `${byName}/ok` }))).kind).toBe("refused");
    expect(hits.get("/ok") ?? 0).toBe(before);
    await guarded.close();
  });

  it("reaches an allowed upstream, and tells timeouts and oversized answers apart", async () => {
    const allowed = client("127.0.0.1", { responseTimeoutMs: 200, maxResponseBytes: 1024 });
    const ok = await allowed.request({ method: "GET", url: `${base}/ok` });
    expect(ok).toMatchObject({ status: 200, text: '{"ok":true}' });
    expect((await failure(allowed.request({ method: "POST", url: `${base}/slow`, body: "{}" }))).kind).toBe("timeout");
    expect((await failure(allowed.request({ method: "GET", url: `${base}/big` }))).kind).toBe("too_large");
    await allowed.close();
  });

  it("retries idempotent requests on 503, but never a POST", async () => {
    const allowed = client("127.0.0.1");
    const recovered = await allowed.request({ method: "GET", url: `${base}/flaky` });
    expect(recovered).toMatchObject({ status: 200, text: "recovered" });
    expect(hits.get("/flaky")).toBe(2);
    const post = await allowed.request({ method: "POST", url: `${base}/unavailable`, body: "{}" });
    expect(post.status).toBe(503);
    expect(hits.get("/unavailable")).toBe(1);
    await allowed.close();
  });
});
