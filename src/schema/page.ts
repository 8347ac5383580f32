import type { ObjectRef } from "@pothos/core";
import type { PageResult } from "../resolvers/page.ts";
import { builder } from "./builder.ts";

export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** One page type per node type: `{ nodes, total, limit, offset }`, the GraphQL twin of REST's `{data, meta}`. */
export function pageType<T>(name: string, node: ObjectRef<Types, T>) {
  return builder.objectRef<PageResult<T>>(`${name}Page`).implement({
    description: `A page of ${name} results; total counts every match.`,
    fields: (t) => ({
      nodes: t.field({ type: [node], resolve: (page) => page.items }),
      total: t.exposeInt("total"),
      limit: t.exposeInt("limit"),
      offset: t.exposeInt("offset"),
    }),
  });
}
