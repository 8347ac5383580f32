import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import {
  boundedParserCache,
  DOCUMENT_CACHE_ENTRY_TOKENS,
  DOCUMENT_CACHE_TOKENS,
  documentTokens,
} from "../src/http/graphql-document-cache.ts";

/** A document of `fields` distinct field selections: `fields` + 3 tokens (the braces and the end of file). */
const document = (fields: number, tag = "") =>
  `{ ${Array.from({ length: fields }, (_, i) => `f${tag}${i}`).join(" ")} }`;

describe("yoga's parse cache, bounded by tokens", () => {
  it("counts a document's lexer tokens", () => {
    const source = document(10);
    expect(documentTokens(parse(source), source)).toBe(13);
  });

  it("keeps everyday documents and parses larger ones each time", () => {
    const { documentCache } = boundedParserCache();
    const small = document(50);
    const large = document(DOCUMENT_CACHE_ENTRY_TOKENS);
    documentCache.set(small, parse(small));
    documentCache.set(large, parse(large));
    expect(documentCache.get(small)).toBeDefined();
    expect(documentCache.get(large)).toBeUndefined();
  });

  it("holds no more tokens than its budget, whatever the number of documents", () => {
    const { documentCache } = boundedParserCache();
    const perDocument = DOCUMENT_CACHE_ENTRY_TOKENS - 1_000;
    const sources = Array.from({ length: 40 }, (_, i) => document(perDocument - 3, `d${i}_`));
    for (const source of sources) documentCache.set(source, parse(source));
    const kept = sources.filter((source) => documentCache.get(source) !== undefined);
    expect(kept.length).toBe(Math.floor(DOCUMENT_CACHE_TOKENS / perDocument));
    // The most recent stay.
    expect(kept).toEqual(sources.slice(-kept.length));
  });

  it("never keeps a parse error, which would hold the parser and its tokens", () => {
    const { errorCache } = boundedParserCache();
    errorCache.set("{ broken", new Error("Syntax Error"));
    expect(errorCache.get("{ broken")).toBeUndefined();
  });
});
