import { isJsonObject } from "../json-object.ts";
import { parseField } from "./fields.ts";
import { parseFilter } from "./filter.ts";
import type { FieldRef, Filter, SortTerm, TotalMode } from "./model.ts";
import { Problems } from "./problems.ts";

const MAX_SORT_TERMS = 5;
const MAX_FIELDS = 50;

function parseSort(input: unknown, schema: unknown, problems: Problems, path = "sort"): SortTerm[] {
  if (input === undefined || input === null) return [];
  const terms = Array.isArray(input) ? input : [input];
  if (terms.length > MAX_SORT_TERMS) {
    problems.add(path, `at most ${MAX_SORT_TERMS} terms`);
    return [];
  }
  const sort: SortTerm[] = [];
  terms.forEach((term, i) => {
    const at = Array.isArray(input) ? `${path}[${i}]` : path;
    if (!isJsonObject(term)) {
      problems.add(at, "must be {field, direction}: strings such as 'data.name:asc' are not accepted");
      return;
    }
    const extra = Object.keys(term).find((k) => !["field", "direction", "order"].includes(k));
    if (extra) problems.add(`${at}.${extra}`, "is not part of a sort term {field, direction}");
    const direction = term.direction ?? term.order ?? "asc";
    if (direction !== "asc" && direction !== "desc") problems.add(`${at}.direction`, "must be 'asc' or 'desc'");
    const field = parseField(term.field, schema, `${at}.field`, problems);
    if (field?.type === "array") problems.add(`${at}.field`, `'${field.label}' is an array and cannot be sorted on`);
    if (field && (direction === "asc" || direction === "desc")) sort.push({ field, direction });
  });
  return sort;
}

export interface QueryInput {
  filter?: unknown;
  sort?: unknown;
  fields?: unknown;
  total?: unknown;
}

export interface ParsedQueryParts {
  filter?: Filter;
  sort: SortTerm[];
  fields?: FieldRef[];
  total: TotalMode;
}

/** Parses the filter, sort, projection and total mode of a record query against the collection's schema. */
export function parseQueryParts(input: QueryInput, schema: unknown): ParsedQueryParts {
  const problems = new Problems();
  const filter = parseFilter(input.filter, schema, problems);
  const sort = parseSort(input.sort, schema, problems);
  let fields: FieldRef[] | undefined;
  if (input.fields !== undefined && input.fields !== null) {
    if (!Array.isArray(input.fields) || input.fields.length === 0 || input.fields.length > MAX_FIELDS) {
      problems.add("fields", `must be a list of 1 to ${MAX_FIELDS} field names`);
    } else {
      fields = input.fields
        .map((f, i) => parseField(f, schema, `fields[${i}]`, problems))
        .filter((f): f is FieldRef => f !== undefined);
    }
  }
  const total = input.total ?? "exact";
  if (total !== "exact" && total !== "estimate" && total !== "none") {
    problems.add("total", "must be 'exact', 'estimate' or 'none'");
  }
  problems.throwIfAny("Invalid query");
  return { filter, sort, fields, total: total as TotalMode };
}

const MAX_INDEXES = 10;

/** A declared index: the fields (and directions) it orders records by, within one collection. */
export type IndexSpec = SortTerm[];

/**
 * Parses a collection's `indexes`: `[{fields: [{field, direction}]}]`, each field typed by the schema being saved.
 * Returns the specs and their normalised JSON for storage.
 */
export function parseIndexes(input: unknown, schema: unknown): { specs: IndexSpec[]; stored: unknown[] } {
  const problems = new Problems();
  if (input === undefined || input === null) return { specs: [], stored: [] };
  if (!Array.isArray(input) || input.length > MAX_INDEXES) {
    problems.add("indexes", `must be a list of at most ${MAX_INDEXES} indexes`);
    problems.throwIfAny("Invalid indexes");
  }
  const specs = (input as unknown[]).map((index, i) => {
    const at = `indexes[${i}]`;
    if (!isJsonObject(index) || !Array.isArray(index.fields) || index.fields.length === 0) {
      problems.add(at, "must be {fields: [{field, direction}]} with at least one field");
      return [];
    }
    const extra = Object.keys(index).find((k) => k !== "fields");
    if (extra) problems.add(`${at}.${extra}`, "is not part of an index {fields}");
    return parseSort(index.fields, schema, problems, `${at}.fields`);
  });
  problems.throwIfAny("Invalid indexes");
  const stored = specs.map((fields) => ({
    fields: fields.map((f) => ({ field: f.field.label, direction: f.direction })),
  }));
  return { specs, stored };
}
