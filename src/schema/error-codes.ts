import { GraphQLError, type Source, type SourceLocation } from "graphql";
import type { Plugin } from "graphql-yoga";
import { AppError, ERROR_STATUS, INTERNAL_MESSAGE } from "../errors/app-error.ts";
import { unstorableValueError } from "../errors/database-error.ts";
import type { Context } from "../resolvers/context.ts";

/** The offset of a 1-based line and column in `body`, counting line breaks as graphql-js does. */
function positionOf(body: string, { line, column }: SourceLocation): number {
  const lineBreak = /\r\n|[\n\r]/g;
  let start = 0;
  for (let current = 1; current < line; current++) {
    if (!lineBreak.exec(body)) break;
    start = lineBreak.lastIndex;
  }
  return start + column - 1;
}

/**
 * A new error in place of `error`, at the same place in the query. graphql-jit reports `locations` without the AST
 * `nodes` they come from; they become positions in the document's source, the form yoga keeps when it serialises.
 */
function replace(
  error: GraphQLError,
  message: string,
  extensions: Record<string, unknown>,
  source: Source | undefined,
): GraphQLError {
  if (error.nodes || !error.locations || !source) {
    return new GraphQLError(message, { nodes: error.nodes, path: error.path, extensions });
  }
  const positions = error.locations.map((location) => positionOf(source.body, location));
  return new GraphQLError(message, { source, positions, path: error.path, extensions });
}

/** The one GraphQL error mapper: our codes in `extensions.code`, anything unexpected logged and masked. */
export function toGraphQLError(
  error: GraphQLError,
  ctx: Pick<Context, "log" | "requestId"> | undefined,
  source?: Source,
): GraphQLError {
  const original = error.originalError;
  if (original instanceof AppError) {
    return replace(error, original.message, { code: original.code, details: original.details }, source);
  }
  const unstorable = original && unstorableValueError(original);
  if (unstorable) {
    ctx?.log.warn({ err: original, path: error.path?.join(".") }, "database refused a value no input check caught");
    return replace(error, unstorable.message, { code: unstorable.code, details: unstorable.details }, source);
  }
  if (original && !(original instanceof GraphQLError)) {
    ctx?.log.error({ err: original, path: error.path?.join(".") }, "unexpected error in GraphQL request");
    return replace(error, INTERNAL_MESSAGE, { code: "INTERNAL_ERROR", requestId: ctx?.requestId }, source);
  }
  // Syntax, validation and argument-coercion errors (yoga's GRAPHQL_PARSE_FAILED, …): the request is wrong.
  if (!(String(error.extensions.code) in ERROR_STATUS)) {
    return replace(error, error.message, { ...error.extensions, code: "VALIDATION_ERROR" }, source);
  }
  return error;
}

/**
 * Maps every error of a GraphQL response once. Execution errors are mapped when execution ends, with the operation's
 * context; parse and validation errors (and crashes there) only reach the result, where `contextOf` finds the
 * request's context from yoga's server context, so they too are logged with the request id and answered with it.
 */
export function useErrorCodes<S extends object>(contextOf: (server: S) => Context | undefined): Plugin<Context, S> {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (!("errors" in result) || !result.errors?.length) return;
          const source = args.document.loc?.source;
          setResult({ ...result, errors: result.errors.map((e) => toGraphQLError(e, args.contextValue, source)) });
        },
      };
    },
    onResultProcess({ result, setResult, serverContext }) {
      if (Array.isArray(result) || !("errors" in result) || !result.errors?.length) return;
      const ctx = contextOf(serverContext);
      setResult({ ...result, errors: result.errors.map((e) => toGraphQLError(e as GraphQLError, ctx)) });
    },
  };
}
