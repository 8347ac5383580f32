import { type GraphQLError, Lexer, Source, TokenKind } from "graphql";
import type { GraphqlLimits } from "./graphql-limit-settings.ts";
import { overLimit } from "./graphql-refusal.ts";

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Measures a document before it is parsed: characters, tokens and bracket nesting, in one pass of graphql-js' own
 * lexer, which is iterative. graphql-js' parser recurses once per bracket and overflows the stack near 1,500
 * levels, so nesting must be refused before parsing; graphql-armor's max-tokens stops counting at its limit and
 * cannot say by how much, and knows nothing of nesting, so this pass replaces it. A document the lexer cannot read
 * is left to the parser, which reports the syntax error with its location.
 */
export function documentSizeRefusal(body: string, limits: GraphqlLimits): GraphQLError | undefined {
  if (body.length > limits.maxChars) {
    return overLimit(
      "maxChars",
      body.length,
      limits.maxChars,
      "Query document has {actual} characters; the limit is {max}",
    );
  }
  const lexer = new Lexer(new Source(body));
  let tokens = 0;
  let depth = 0;
  let deepest = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      tokens++;
      if (OPENING.has(token.kind)) deepest = Math.max(deepest, ++depth);
      else if (CLOSING.has(token.kind)) depth--;
    }
  } catch {
    return undefined;
  }
  if (deepest > limits.maxNesting) {
    return overLimit(
      "maxNesting",
      deepest,
      limits.maxNesting,
      "Query document nests {actual} brackets deep; the limit is {max}",
    );
  }
  if (tokens > limits.maxTokens)
    return overLimit("maxTokens", tokens, limits.maxTokens, "Query document has {actual} tokens; the limit is {max}");
  return undefined;
}
