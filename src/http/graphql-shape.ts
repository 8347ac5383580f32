import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  validate,
} from "graphql";
import type { GraphqlLimits } from "./graphql-limit-settings.ts";
import { overLimit } from "./graphql-refusal.ts";

/**
 * graphql-armor reports only "… limit of N exceeded, found M." as a message; the figure is read back from it so
 * our refusal can carry its own code and wording. Should its wording change, the refusal still names the limit.
 */
function found(error: GraphQLError, max: number): number {
  const match = /found (\d+)/.exec(error.message);
  return match ? Number(match[1]) : max + 1;
}

function armorRules(limits: GraphqlLimits) {
  const refuse = (limit: string, max: number, phrase: string) => ({
    n: max,
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(overLimit(limit, found(error, max), max, phrase)),
    ],
  });
  return [
    maxDepthRule(refuse("maxDepth", limits.maxDepth, "Query depth {actual} exceeds the limit of {max}")),
    // Every alias counts, `__typename` ones too (armor lets those through by default): each is a field to run.
    maxAliasesRule({
      ...refuse("maxAliases", limits.maxAliases, "Query has {actual} aliases; the limit is {max}"),
      allowList: [],
    }),
    maxDirectivesRule(
      refuse("maxDirectives", limits.maxDirectives, "Query has {actual} directives; the limit is {max}"),
    ),
  ];
}

/**
 * Field selections of the document, each fragment counted at every spread (memoised, so a fragment that spreads
 * another twice, n times over, is counted in linear time: the total is what execution would visit).
 */
export function countFields(document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const counted = new Map<string, number>();
  const open = new Set<string>();
  const count = (set: SelectionSetNode | undefined): number => {
    let total = 0;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) total += 1 + count(selection.selectionSet);
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet);
      else {
        const name = selection.name.value;
        // A cycle is invalid (NoFragmentCyclesRule says so); here it only must not recurse forever.
        if (open.has(name)) continue;
        let inner = counted.get(name);
        if (inner === undefined) {
          open.add(name);
          inner = count(fragments.get(name)?.selectionSet);
          open.delete(name);
          counted.set(name, inner);
        }
        total += inner;
      }
    }
    return total;
  };
  let total = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) total += count(definition.selectionSet);
  }
  return total;
}

/**
 * The document's shape against the limits, before graphql-js' own validation runs: some of its rules
 * (OverlappingFieldsCanBeMerged) grow with the square of repeated fields, so a flood of aliases must be refused
 * before them. Linear in the document, which the size limits already bound.
 */
export function shapeRefusals(schema: GraphQLSchema, document: DocumentNode, limits: GraphqlLimits): GraphQLError[] {
  const fields = countFields(document);
  const errors = [...validate(schema, document, armorRules(limits))];
  if (fields > limits.maxFields) {
    errors.push(overLimit("maxFields", fields, limits.maxFields, "Query selects {actual} fields; the limit is {max}"));
  }
  return errors;
}
