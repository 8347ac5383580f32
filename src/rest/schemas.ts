/**
 * JSON Schemas for the shape of /v1 requests: types and unknown fields only. The rules about values (slug format,
 * limit range, record schemas) live in src/resolvers so GraphQL gets exactly the same decisions.
 */
const text = { type: "string" } as const;
const nullableText = { type: ["string", "null"] } as const;

export const pageQuery = {
  type: "object",
  additionalProperties: false,
  properties: { limit: { type: "integer" }, offset: { type: "integer" } },
} as const;

/** GET list: filter and sort travel as URL-encoded JSON, fields as a comma list (see docs/query.md). */
export const recordListQuery = {
  ...pageQuery,
  properties: {
    ...pageQuery.properties,
    filter: text,
    sort: text,
    fields: text,
    after: text,
    total: text,
    external_source: text,
  },
} as const;

const anyJson = {} as const;

/** POST …/query: the same query as a JSON body. */
export const recordQueryBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    filter: anyJson,
    sort: anyJson,
    fields: { type: "array", items: text },
    limit: { type: "integer" },
    offset: { type: "integer" },
    after: text,
    total: text,
    external_source: text,
  },
} as const;

export const aggregateBody = {
  type: "object",
  additionalProperties: false,
  required: ["aggregations"],
  properties: { aggregations: anyJson, group_by: anyJson, filter: anyJson },
} as const;

export const workspaceListQuery = {
  ...pageQuery,
  properties: { ...pageQuery.properties, tag: text },
} as const;

const settings = {
  type: "object",
  additionalProperties: false,
  properties: { timezone: text },
} as const;

export const createWorkspaceBody = {
  type: "object",
  additionalProperties: false,
  required: ["id", "name"],
  properties: {
    id: text,
    name: text,
    description: nullableText,
    tags: { type: "array", items: text },
    settings,
  },
} as const;

const { id: _immutable, ...updatableWorkspaceFields } = createWorkspaceBody.properties;

/** The create body minus the id (immutable), every field optional. */
export const updateWorkspaceBody = {
  type: "object",
  additionalProperties: false,
  properties: updatableWorkspaceFields,
} as const;

export const upsertCollectionBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    // `id` may repeat the path id (clients often send the whole object back).
    id: text,
    name: nullableText,
    description: nullableText,
    json_schema: { type: "object" },
    schema: { type: "object" },
    icon: nullableText,
    color: nullableText,
    indexes: { type: "array" },
    sources: { type: ["array", "null"] },
  },
} as const;

export const upsertRecordBody = {
  type: "object",
  additionalProperties: false,
  required: ["data"],
  properties: {
    id: text,
    data: { type: "object" },
    external_id: nullableText,
    external_source: nullableText,
    version: { type: "integer" },
  },
} as const;

export const patchRecordBody = {
  type: "object",
  additionalProperties: false,
  required: ["data"],
  properties: { data: { type: "object" }, version: { type: "integer" } },
} as const;

/** PUT /v1/{ws}/relationships: the contract's fields (value rules live in the resolver). */
export const upsertRelationshipBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    id: text,
    rel_type: text,
    source_collection: text,
    source_id: text,
    target_collection: text,
    target_id: text,
    data: anyJson,
  },
} as const;

export const relationshipListQuery = {
  ...pageQuery,
  properties: {
    ...pageQuery.properties,
    type: text,
    source_collection: text,
    source_id: text,
    target_collection: text,
    target_id: text,
  },
} as const;

/** GET …/records/{collection}/{id}/relationships: `include=record` embeds the record at each link's other end. */
export const traversalQuery = {
  ...pageQuery,
  properties: { ...pageQuery.properties, type: text, direction: text, after: text, include: { enum: ["record"] } },
} as const;

/** POST /v1/tokens (grants are checked by src/auth/grants.ts, for GraphQL too). */
export const createTokenBody = {
  type: "object",
  additionalProperties: false,
  properties: { name: text, grants: anyJson, expires_at: nullableText, type: text },
} as const;

export const createSecretBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: text,
    value: text,
    content_type: text,
    tags: { type: "array", items: text },
    expires_at: nullableText,
  },
} as const;

export const rotateSecretBody = {
  type: "object",
  additionalProperties: false,
  properties: { value: text, expires_at: nullableText },
} as const;

export const secretListQuery = {
  type: "object",
  additionalProperties: false,
  properties: { expiring: { type: "boolean" }, days: { type: "integer" } },
} as const;

export const createPreviewBody = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: { name: text, description: nullableText },
} as const;

const idList = { type: ["array", "null"], items: text } as const;

export const promoteBody = {
  type: "object",
  additionalProperties: false,
  required: ["from"],
  properties: {
    from: text,
    dry_run: { type: ["boolean", "null"] },
    collections: idList,
    triggers: idList,
    hooks: idList,
  },
} as const;
