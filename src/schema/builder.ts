import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import { DateTimeResolver } from "graphql-scalars";
import type PrismaTypes from "../generated/pothos-types.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import type { Context } from "../resolvers/context.ts";
import { JsonScalar } from "./json-scalar.ts";

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: {
    JSON: { Input: unknown; Output: unknown };
    DateTime: { Input: Date; Output: Date };
  };
}>({
  plugins: [PrismaPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.prisma,
    // Prisma 7 no longer exposes the DMMF on the client; the generator writes it for us.
    dmmf: getDatamodel(),
    onUnusedQuery: null,
  },
});

builder.addScalarType("JSON", JsonScalar);
builder.addScalarType("DateTime", DateTimeResolver);

builder.queryType({});
builder.mutationType({});
