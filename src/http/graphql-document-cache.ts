import type { DocumentNode } from "graphql";
import { LRUCache } from "lru-cache";

/**
 * Tokens of parsed documents the cache may hold in all. A parsed document keeps every lexer token (graphql-js links
 * them from each node's location) plus its AST: ~470 bytes per token measured, so ~25 MB at most, whatever the
 * documents. yoga's default counts documents, not their size: 1,024 documents of 10,000 tokens (the default
 * RECORDGATE_GRAPHQL_MAX_TOKENS) were ~4.7 GB, and bench:hostile's refused documents alone grew the heap by ~490 MB.
 */
export const DOCUMENT_CACHE_TOKENS = 50_000;
/** A larger document is parsed again each time: it would push out dozens of everyday queries (~50–500 tokens). */
export const DOCUMENT_CACHE_ENTRY_TOKENS = 5_000;

/** Tokens of a parsed document, walked from its first; a document parsed without locations counts by its text. */
export function documentTokens(document: DocumentNode, source: string): number {
  const first = document.loc?.startToken;
  if (first === undefined) return Math.max(1, source.length);
  let count = 0;
  for (let token = first.next; token !== null; token = token.next) count++;
  return Math.max(1, count);
}

/** What yoga's `parserAndValidationCache` option takes (its own type is not exported). */
interface ParserCache {
  documentCache: { get(source: string): DocumentNode | undefined; set(source: string, document: DocumentNode): void };
  errorCache: { get(source: string): unknown; set(source: string, error: unknown): void };
}

/**
 * yoga's parse cache, bounded by what it holds rather than by entries. The validation results and compiled
 * executors yoga and graphql-jit keep per document live in WeakMaps keyed by the document, so this bound is theirs
 * too. Parse errors are not cached: each holds its stack's frames, and with them the parser and every token read
 * so far (up to ~4.7 MB for one document), while computing one again is a bounded lex and parse of at most
 * RECORDGATE_GRAPHQL_MAX_CHARS characters.
 */
export function boundedParserCache(): ParserCache {
  const documentCache = new LRUCache<string, DocumentNode>({
    maxSize: DOCUMENT_CACHE_TOKENS,
    maxEntrySize: DOCUMENT_CACHE_ENTRY_TOKENS,
    sizeCalculation: (document, source) => documentTokens(document, source),
  });
  return {
    documentCache,
    errorCache: { get: () => undefined, set: () => {} },
  };
}
