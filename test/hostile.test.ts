// biome-ignore-all lint/suspicious/noExplicitAny: answers are untyped JSON read for their error envelope.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./support/database.ts";
import type { HostileCase, HostileTokens } from "./support/hostile/case.ts";
import { seedHostile, storageSnapshot } from "./support/hostile/fixture.ts";
import { HOSTILE_FAMILIES } from "./support/hostile/index.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const DEFAULT_RUNS = 200;

/** The error an answer carries, from either envelope. */
function errorOf(hostile: HostileCase, body: any): { code?: string; details: { path: string }[] } {
  if (hostile.path.startsWith("/graphql")) {
    const first = body?.errors?.[0];
    return { code: first?.extensions?.code, details: first?.extensions?.details ?? [] };
  }
  return { code: body?.error?.code, details: body?.error?.details ?? [] };
}

describe.each(backends())("hostile input on %s", (backend) => {
  let t: TestServer;
  let tokens: HostileTokens;
  let before: string;

  beforeAll(async () => {
    t = await startTestServer(backend);
    tokens = await seedHostile(t);
    before = await storageSnapshot(t);
  });
  afterAll(() => t?.close());

  it("has families of cases to send", () => {
    expect(HOSTILE_FAMILIES.length).toBeGreaterThan(0);
  });

  for (const family of HOSTILE_FAMILIES) {
    it(`${family.name}: a clear 4xx with its code and path, never a 5xx, and nothing written`, async () => {
      await fc.assert(
        fc.asyncProperty(family.cases, async (hostile) => {
          const answer = await t.rest(hostile.method, hostile.path, {
            body: hostile.body,
            rawBody: hostile.rawBody,
            headers: hostile.headers,
            token: tokens[hostile.as ?? "admin"],
          });
          const error = errorOf(hostile, answer.body);
          const seen = `${hostile.label}: ${answer.status} ${answer.text.slice(0, 300)}`;
          expect(answer.status, seen).toBeLessThan(500);
          expect(answer.status, seen).toBe(hostile.expect.status);
          expect(error.code, seen).toBe(hostile.expect.code);
          if (hostile.expect.detailPath !== undefined) {
            expect(
              error.details.map((d) => d.path),
              seen,
            ).toContain(hostile.expect.detailPath);
          }
          expect(await storageSnapshot(t), `${hostile.label} wrote something`).toBe(before);
        }),
        { numRuns: family.runs ?? DEFAULT_RUNS },
      );
    });
  }

  it("still serves after all of it", async () => {
    expect((await t.rest("GET", "/healthz", { token: null })).status).toBe(200);
    expect(await storageSnapshot(t)).toBe(before);
  });
});
