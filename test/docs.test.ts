import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ERROR_STATUS } from "../src/errors/app-error.ts";
import { buildApp } from "../src/http/app.ts";
import { createLogger } from "../src/logger.ts";
import type { Services } from "../src/resolvers/context.ts";

const apiDoc = await readFile(new URL("../docs/api.md", import.meta.url), "utf8");

/** Every route the server registers, as `METHOD /path/{param}`, without needing a database. */
async function registeredRoutes(): Promise<string[]> {
  const app = buildApp({
    services: {} as Services,
    authenticate: async () => ({ kind: "admin" }),
    logger: createLogger("silent"),
    maxBodyBytes: 1024,
    ping: async () => {},
  });
  const routes: string[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === "HEAD" || method === "OPTIONS") continue;
      routes.push(`${method} ${route.url.replace(/:(\w+)/g, "{$1}")}`);
    }
  });
  await app.ready();
  await app.close();
  return routes;
}

describe("docs/api.md", () => {
  it("documents every error code with its HTTP status", () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(apiDoc, code).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
    }
  });

  it("lists every REST route the server serves", async () => {
    const routes = (await registeredRoutes()).filter((r) => !r.includes("/graphql"));
    expect(routes.length).toBeGreaterThan(15);
    const documented = new Set(
      [...apiDoc.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`),
    );
    expect(routes).toContain("GET /healthz");
    expect(routes.filter((r) => !documented.has(r))).toEqual([]);
  });
});
