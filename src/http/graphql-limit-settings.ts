/** GraphQL cost control: document limits are checked before execution, the last three while it runs. */
export interface GraphqlLimits {
  /** Characters of the query document. */
  maxChars: number;
  /** Lexical tokens of the query document (punctuators, names, values; comments excluded). */
  maxTokens: number;
  /** Brackets (`{`, `[`, `(`) open at once anywhere in the document: what the recursive parser can take. */
  maxNesting: number;
  /** Depth of field selections (graphql-armor max-depth; fragments count their own levels). */
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Field selections, each fragment counted at every spread. */
  maxFields: number;
  /** Estimated cost: every field 1, list fields multiply what they select by their page size. */
  maxCost: number;
  /** Records, relationships and other list items one request may produce. */
  maxRows: number;
  /** JSON bytes (record data, schemas, settings) one request may produce. */
  maxBytes: number;
  /** Execution deadline. */
  timeoutMs: number;
}
