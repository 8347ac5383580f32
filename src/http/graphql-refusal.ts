import { GraphQLError } from "graphql";
import { ERROR_STATUS } from "../errors/app-error.ts";

const count = (n: number) => n.toLocaleString("en-US");

/**
 * A GraphQL request refused by one of its limits: QUERY_TOO_COMPLEX with HTTP 400 for every Accept header (`spec:
 * false` tells yoga this is our status, not GraphQL over HTTP's 200-for-application/json rule), the limit's name in
 * `details[0].limit`, and a message that says by how much.
 */
export function limitRefusal(limit: string, message: string, actual?: number, max?: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: "QUERY_TOO_COMPLEX",
      details: [{ path: "query", message, limit, ...(actual === undefined ? {} : { actual, max }) }],
      http: { status: ERROR_STATUS.QUERY_TOO_COMPLEX, spec: false },
    },
  });
}

/**
 * A refusal whose message is `phrase` with `{actual}` and `{max}` written out, e.g. "Query cost {actual} exceeds the
 * budget of {max}" → "Query cost 2,600,000 exceeds the budget of 50,000".
 */
export function overLimit(limit: string, actual: number, max: number, phrase: string): GraphQLError {
  const message = phrase.replace("{actual}", count(actual)).replace("{max}", count(max));
  return limitRefusal(limit, message, actual, max);
}
