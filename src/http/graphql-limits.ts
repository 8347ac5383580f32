import { type ExecutionArgs, type GraphQLSchema, parse, type Source } from "graphql";
import type { Plugin } from "graphql-yoga";
import { installBudget, startBudget } from "./graphql-budget.ts";
import { costRefusal, queryCost } from "./graphql-cost.ts";
import { documentSizeRefusal } from "./graphql-document-size.ts";
import type { GraphqlLimits } from "./graphql-limit-settings.ts";
import { shapeRefusals } from "./graphql-shape.ts";

/**
 * GraphQL cost control, in the order a request meets it (docs/api.md, "Limits"):
 * 1. before parsing: characters, tokens and bracket nesting of the document;
 * 2. before graphql-js validation: depth, aliases, directives (graphql-armor's rules) and fields;
 * 3. before execution, with the variables: the estimated cost, list sizes multiplied through nesting;
 * 4. during execution: rows and JSON bytes produced, and a deadline.
 * Each refusal is QUERY_TOO_COMPLEX, HTTP 400. Must come after the executor plugin (graphql-jit), since it wraps
 * whichever execute function that one chose.
 */
export function useGraphqlLimits(schema: GraphQLSchema, limits: GraphqlLimits): Plugin {
  installBudget(schema);
  return {
    onParse({ setParseFn }) {
      setParseFn((source: string | Source, options) => {
        const refusal = documentSizeRefusal(typeof source === "string" ? source : source.body, limits);
        if (refusal) throw refusal;
        return parse(source, options);
      });
    },
    onValidate({ params, setResult }) {
      const refusals = shapeRefusals(params.schema, params.documentAST, limits);
      if (refusals.length) setResult(refusals);
    },
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const cost = queryCost(
        args.schema,
        args.document,
        args.variableValues ?? undefined,
        args.operationName ?? undefined,
      );
      const refusal = costRefusal(cost, limits.maxCost);
      if (refusal) {
        setResultAndStopExecution({ errors: [refusal] });
        return;
      }
      const budget = startBudget(args.contextValue, limits);
      setExecuteFn((a: ExecutionArgs) => budget.run(() => executeFn(a)));
    },
    onResultProcess({ result }) {
      // yoga marks every parse error as GraphQL over HTTP's own (`spec: true`: 200 for application/json clients);
      // a refusal is ours and answers 400 whatever the client accepts.
      if (Array.isArray(result) || !("errors" in result)) return;
      for (const error of result.errors ?? []) {
        const http = error.extensions?.http as { spec?: boolean } | undefined;
        if (error.extensions?.code === "QUERY_TOO_COMPLEX" && http) http.spec = false;
      }
    },
  };
}
