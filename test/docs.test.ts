import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ERROR_STATUS } from "../src/errors/app-error.ts";
import { registeredRoutes } from "./support/routes.ts";

const apiDoc = await readFile(new URL("../docs/api.md", import.meta.url), "utf8");

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
