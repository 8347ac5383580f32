import fc from "fast-check";
import { FIXTURE, type HostileCase, type HostileFamily, recordsPath } from "./case.ts";

/** Bodies that are not JSON at all: cut short, wrong tokens, trailing garbage. */
const brokenJson = fc.oneof(
  fc.json().map((text) => `${text.slice(0, Math.max(1, text.length - 1))}{`),
  fc.constantFrom("{", "[", '{"data":', "{'a':1}", '{"a":1,}', "{a:1}", "nul", '{"a":1} x', '"\\x"'),
);

const endpoints = fc.constantFrom(recordsPath(FIXTURE.open), recordsPath(FIXTURE.open, FIXTURE.record), "/graphql");

export const malformedJson: HostileFamily = {
  name: "malformed JSON bodies",
  cases: fc.tuple(brokenJson, endpoints).map(
    ([rawBody, path]): HostileCase => ({
      label: `${path} ← ${JSON.stringify(rawBody)}`,
      method: path === "/graphql" ? "POST" : path.endsWith("/records") ? "PUT" : "PATCH",
      path,
      rawBody,
      headers: { "content-type": "application/json" },
      expect: { status: 400, code: "VALIDATION_ERROR" },
    }),
  ),
};
