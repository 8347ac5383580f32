import { loadConfig } from "../../src/config.ts";
import { buildApp } from "../../src/http/app.ts";
import { createLogger } from "../../src/logger.ts";
import type { Services } from "../../src/resolvers/context.ts";

/** Every route the server registers, as `METHOD /path/{param}`, without needing a database. */
export async function registeredRoutes(): Promise<string[]> {
  const app = buildApp({
    services: {} as Services,
    authenticate: async () => ({ kind: "admin" }),
    logger: createLogger("silent"),
    maxBodyBytes: 1024,
    graphqlLimits: loadConfig({}).graphql,
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
