import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { JSONResolver } from "graphql-scalars";
import { numberTokenProblem } from "../json/number-token.ts";
import { joinPath } from "../json/path.ts";

/**
 * The first number written in a JSON literal that would not be stored as written (1e400, 1e-400, integers beyond
 * 2^53: see src/json/number-token.ts), with its path inside the literal. The literal's text is the only place
 * these can be seen: graphql-scalars reads each with parseFloat. Iterative, like every walk over client input.
 */
function literalNumberProblem(ast: ValueNode): { path: string; message: string } | undefined {
  const stack: Array<{ node: ValueNode; path: Array<string | number> }> = [{ node: ast, path: [] }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { node, path } = item;
    if (node.kind === Kind.INT || node.kind === Kind.FLOAT) {
      const message = numberTokenProblem(node.value);
      if (message) return { path: joinPath(path) || "value", message };
    } else if (node.kind === Kind.OBJECT) {
      for (const field of node.fields) stack.push({ node: field.value, path: [...path, field.name.value] });
    } else if (node.kind === Kind.LIST) {
      node.values.forEach((value, i) => {
        stack.push({ node: value, path: [...path, i] });
      });
    }
  }
  return undefined;
}

/** graphql-scalars' JSON, refusing literal numbers it would change instead of storing them changed. */
export const JsonScalar = new GraphQLScalarType({
  ...JSONResolver.toConfig(),
  parseLiteral(ast, variables) {
    const problem = literalNumberProblem(ast);
    // A GraphQLError with our code (not an AppError): graphql-js reports it as the document's validation error.
    if (problem) {
      throw new GraphQLError("A number in the JSON literal cannot be stored as written", {
        nodes: ast,
        extensions: { code: "VALIDATION_ERROR", details: [problem] },
      });
    }
    return JSONResolver.parseLiteral(ast, variables);
  },
});
