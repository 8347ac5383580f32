import type { PathSegment, ValueType } from "./model.ts";

type SchemaNode = Record<string, unknown>;

const asNode = (value: unknown): SchemaNode | undefined =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as SchemaNode) : undefined;

function childOf(node: SchemaNode, segment: PathSegment): SchemaNode | undefined {
  if (typeof segment === "string") return asNode(asNode(node.properties)?.[segment]);
  const tuple = Array.isArray(node.prefixItems) ? node.prefixItems : Array.isArray(node.items) ? node.items : undefined;
  if (tuple && segment < tuple.length) return asNode(tuple[segment]);
  return asNode(node.items) ?? asNode(node.additionalItems);
}

function typeOf(node: SchemaNode): ValueType {
  const declared = Array.isArray(node.type) ? node.type.filter((t) => t !== "null") : [node.type];
  if (declared.length !== 1) return "untyped";
  switch (declared[0]) {
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "array":
      return "array";
    case "string":
      return node.format === "date-time" || node.format === "date" ? "instant" : "text";
    default:
      return "untyped";
  }
}

/**
 * The comparison type of `data.<path>` as the collection's JSON Schema declares it (`properties`, `items`,
 * `prefixItems`; nullable unions like ["number","null"] count as their non-null type). Anything the schema does not
 * pin to one type is `untyped`, and then the filter value's own JSON type decides how it compares.
 */
export function fieldType(schema: unknown, path: PathSegment[]): ValueType {
  let node = asNode(schema);
  for (const segment of path) {
    if (!node) return "untyped";
    node = childOf(node, segment);
  }
  return node ? typeOf(node) : "untyped";
}
