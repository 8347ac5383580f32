import { randomUUID } from "node:crypto";
import Fastify, { type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Authenticate } from "../auth/authenticate.ts";
import { AppError, forbidden, notFound } from "../errors/app-error.ts";
import { type Context, createContext, type Services } from "../resolvers/context.ts";
import { restErrorHandler, sendError } from "../rest/error-handler.ts";
import { registerRest } from "../rest/index.ts";
import { frameworkError } from "./framework-errors.ts";
import { registerGraphql } from "./graphql.ts";
import type { GraphqlLimits } from "./graphql-limit-settings.ts";
import { jsonBodyParser } from "./json-body.ts";
import { assertUrlText } from "./url-text.ts";
import { createValidatorCompiler } from "./validator-compiler.ts";

declare module "fastify" {
  interface FastifyRequest {
    ctx: Context;
  }
}

export interface AppOptions {
  services: Services;
  authenticate: Authenticate;
  logger: Logger;
  maxBodyBytes: number;
  /** What one GraphQL request may ask for and produce. */
  graphqlLimits: GraphqlLimits;
  /** Readiness: throws when the database cannot answer. */
  ping: () => Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** GraphiQL is a static page: a browser opening /graphql gets it without a token (the queries still need one). */
function isGraphiqlPage(req: FastifyRequest): boolean {
  return req.method === "GET" && (req.headers.accept ?? "").includes("text/html");
}

export function buildApp(options: AppOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.maxBodyBytes,
    // Honour a caller's X-Request-Id so logs correlate across services; otherwise make one.
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    // Errors Fastify raises before routing (a URL that is not valid percent-encoding) get the envelope too; they
    // skip the onSend hook, so the request id is set here.
    frameworkErrors: (error, req, reply) => sendError(req, reply.header("x-request-id", req.id), frameworkError(error)),
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, jsonBodyParser);
  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(restErrorHandler);
  app.setNotFoundHandler(async (req, reply) => {
    // Internal paths are reserved for the platform (seed 001): no API token may probe them, even for a 404.
    if (req.url.startsWith("/v1/internal/")) {
      const principal = await options.authenticate(req.headers.authorization).catch(() => undefined);
      if (principal?.kind === "token") {
        return sendError(req, reply, forbidden("Internal endpoints are not available to API tokens"));
      }
    }
    return sendError(req, reply, notFound(`No route for ${req.method} ${req.url.split("?")[0]}`));
  });
  // Graceful shutdown: requests already running when close() starts finish normally, but their keep-alive
  // connections must not hold the process open afterwards, so they are told to close and then reaped.
  let draining = false;
  app.addHook("preClose", async () => {
    draining = true;
  });
  app.addHook("onSend", async (req, reply) => {
    reply.header("x-request-id", req.id);
    if (draining) reply.header("connection", "close");
  });
  app.addHook("onResponse", async () => {
    if (draining) setImmediate(() => app.server.closeIdleConnections());
  });

  app.register(async (probes) => {
    probes.get("/healthz", async () => ({ status: "ok" }));
    probes.get("/readyz", async (_req, reply) => {
      try {
        await options.ping();
        return { status: "ok" };
      } catch (error) {
        reply.log.warn({ err: error }, "readiness check failed");
        return reply.code(503).send({ status: "unavailable" });
      }
    });
  });

  app.register(async (api) => {
    api.addHook("onRequest", async (req, reply) => {
      if (req.url.startsWith("/graphql") && isGraphiqlPage(req)) return;
      try {
        const principal = await options.authenticate(req.headers.authorization);
        req.ctx = createContext(options.services, {
          principal,
          requestId: req.id,
          log: req.log,
          header: (name, value) => reply.header(name, value),
        });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        reply.header("www-authenticate", 'Bearer realm="recordgate"');
        return sendError(req, reply, error);
      }
    });
    api.addHook("preValidation", async (req) => assertUrlText(req));
    registerGraphql(api, options.graphqlLimits);
    await api.register(registerRest, { prefix: "/v1" });
  });

  return app;
}
