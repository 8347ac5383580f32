import { useGraphQlJit } from "@envelop/graphql-jit";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createYoga } from "graphql-yoga";
import { INTERNAL_MESSAGE } from "../errors/app-error.ts";
import type { Context } from "../resolvers/context.ts";
import { useErrorCodes } from "../schema/error-codes.ts";
import { schema } from "../schema/index.ts";
import { boundedParserCache } from "./graphql-document-cache.ts";
import { jitExecutesCorrectly } from "./graphql-jit-choice.ts";
import type { GraphqlLimits } from "./graphql-limit-settings.ts";
import { useGraphqlLimits } from "./graphql-limits.ts";

interface ServerContext {
  req: FastifyRequest;
  reply: FastifyReply;
}

/** Mounts graphql-yoga at /graphql inside Fastify, so both transports share hooks, auth, logging and shutdown. */
export function registerGraphql(app: FastifyInstance, limits: GraphqlLimits) {
  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // Our pino logger already records each request; yoga's own logger would print unstructured lines.
    logging: false,
    parserAndValidationCache: boundedParserCache(),
    plugins: [
      useGraphQlJit(
        {},
        {
          enableIf: (args) => jitExecutesCorrectly(args.schema, args.document),
          // A document it cannot compile answers its errors to the client (mapped by useErrorCodes); nothing for
          // the log, and never console.error's unstructured line.
          onError: () => {},
        },
      ),
      useGraphqlLimits(schema, limits),
      useErrorCodes<ServerContext>((server) => server.req.ctx),
    ],
    maskedErrors: {
      // Safety net only: useErrorCodes maps every error first.
      maskError: (error) => error as Error,
      errorMessage: INTERNAL_MESSAGE,
    },
    // The self-contained GraphiQL bundle: the page works without reaching a CDN (self-hosted, offline machines).
    renderGraphiQL,
    graphiql: {
      title: "Recordgate GraphiQL",
      headers: JSON.stringify({ Authorization: "Bearer <paste your admin token>" }, null, 2),
      defaultQuery: [
        "# Paste your admin token into the Headers pane below, then run.",
        "query Workspaces {",
        "  workspaces {",
        "    total",
        "    nodes {",
        "      id",
        "      name",
        "      collections { id version recordCount }",
        "    }",
        "  }",
        "}",
        "",
      ].join("\n"),
    },
    context: ({ req }) => req.ctx,
  });

  app.route({
    url: "/graphql",
    method: ["GET", "POST", "OPTIONS"],
    handler: async (req, reply) => {
      const response = await yoga.handleNodeRequestAndResponse(req, reply, { req, reply });
      for (const [name, value] of response.headers) reply.header(name, value);
      reply.status(response.status);
      reply.send(response.body);
      return reply;
    },
  });
}
