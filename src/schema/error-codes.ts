import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { AppError, ERROR_STATUS, INTERNAL_MESSAGE } from "../errors/app-error.ts";
import { unstorableValueError } from "../errors/database-error.ts";
import type { Context } from "../resolvers/context.ts";

/**
 * A new error in place of `error`, at the same place in the query. graphql-jit reports `locations` without the AST
 * `nodes` they come from, so they are carried over as they are.
 */
function replace(error: GraphQLError, message: string, extensions: Record<string, unknown>): GraphQLError {
  const replacement = new GraphQLError(message, { nodes: error.nodes, path: error.path, extensions });
  if (!replacement.locations && error.locations) {
    (replacement as { locations: GraphQLError["locations"] }).locations = error.locations;
  }
  return replacement;
}

/** The one GraphQL error mapper: our codes in `extensions.code`, anything unexpected logged and masked. */
export function toGraphQLError(error: GraphQLError, ctx: Pick<Context, "log" | "requestId"> | undefined): GraphQLError {
  const original = error.originalError;
  if (original instanceof AppError) {
    return replace(error, original.message, { code: original.code, details: original.details });
  }
  const unstorable = original && unstorableValueError(original);
  if (unstorable) {
    ctx?.log.warn({ err: original, path: error.path?.join(".") }, "database refused a value no input check caught");
    return replace(error, unstorable.message, { code: unstorable.code, details: unstorable.details });
  }
  if (original && !(original instanceof GraphQLError)) {
    ctx?.log.error({ err: original, path: error.path?.join(".") }, "unexpected error in GraphQL resolver");
    return replace(error, INTERNAL_MESSAGE, { code: "INTERNAL_ERROR", requestId: ctx?.requestId });
  }
  // Syntax, validation and argument-coercion errors (yoga's GRAPHQL_PARSE_FAILED, …): the request is wrong.
  if (!(String(error.extensions.code) in ERROR_STATUS)) {
    return replace(error, error.message, { ...error.extensions, code: "VALIDATION_ERROR" });
  }
  return error;
}

export function useErrorCodes(): Plugin<Context> {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (!("errors" in result) || !result.errors?.length) return;
          setResult({ ...result, errors: result.errors.map((e) => toGraphQLError(e, args.contextValue)) });
        },
      };
    },
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !("errors" in result) || !result.errors?.length) return;
      setResult({ ...result, errors: result.errors.map((e) => toGraphQLError(e as GraphQLError, undefined)) });
    },
  };
}
