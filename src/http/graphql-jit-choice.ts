import {
  BREAK,
  type DocumentNode,
  type GraphQLSchema,
  getNamedType,
  isScalarType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from "graphql";

const VALUE_KINDS = new Set<string>([
  Kind.OBJECT,
  Kind.LIST,
  Kind.STRING,
  Kind.INT,
  Kind.FLOAT,
  Kind.BOOLEAN,
  Kind.NULL,
  Kind.ENUM,
]);

const decided = new WeakMap<DocumentNode, boolean>();

/**
 * Whether graphql-jit executes `document` as graphql-js would. It parses a literal of a custom scalar without the
 * variables (`parseLiteral(node, {})`), so `filter: {field: "data.status", op: "eq", value: $v}` or `input: {data:
 * {name: $n}}` lose `$v` and `$n`, and it prints an unstructured line for every such literal. Documents with a
 * literal of a scalar whose parsing reads variables (JSON) run on graphql-js instead; everything else, including
 * the large nested reads the compiled executor was chosen for (bench:graph passes JSON only as variables), stays
 * compiled. Decided once per parsed document (yoga caches those).
 */
export function jitExecutesCorrectly(schema: GraphQLSchema, document: DocumentNode): boolean {
  const known = decided.get(document);
  if (known !== undefined) return known;
  let correct = true;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      enter(node) {
        if (!VALUE_KINDS.has(node.kind)) return undefined;
        const type = typeInfo.getInputType();
        const named = type && getNamedType(type);
        if (named && isScalarType(named) && named.parseLiteral.length > 1) {
          correct = false;
          return BREAK;
        }
        // Below a literal of a known type only nested literals follow; TypeInfo keeps typing them.
        return undefined;
      },
    }),
  );
  decided.set(document, correct);
  return correct;
}
