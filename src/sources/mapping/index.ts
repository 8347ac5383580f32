/**
 * The field-mapping DSL of external sources: `field_mapping.to_external` maps Recordgate fields (top-level keys of
 * record data) to paths in the upstream's JSON. It is pure and compiled once per source config.
 *
 * - A value is a path string (a rename) or a rule `{ path, array_mode?, values?, transform?, external_format?,
 *   default? }`. Paths: `a.b`, `items[0].name`, `items[].name` (every element); indexes 0–9999; the name
 *   `__proto__` is refused, as field name and as path segment.
 * - Read: path → array_mode (first/last/flatten, only when the value is an array) → default (when undefined or null)
 *   → transform → values inverted. An undefined result omits the field. After `[]` (without first/last) or
 *   flatten, transform and values apply to each element; elements missing the rest of the path are dropped.
 * - Write: the field (absent or undefined → default if any, else omitted) → values → write transform → array_mode
 *   first wraps it in a one-element array → set at path, creating objects and arrays (skipped slots become null).
 * - Read-only fields (path with `[]`, array_mode last or flatten) are skipped by toExternal; `readOnly` lists them.
 * - null means "no value": it passes values and transforms unchanged in both directions (and takes the default on
 *   read).
 * - values: an unmapped Recordgate value on write throws MappingError (400 for the client); an unmapped external
 *   value on read passes through unchanged, so upstream additions do not break reads. Lookups are type-exact.
 * - Transforms: lowercase/uppercase/trim touch strings only and apply both ways. to_string, to_number, to_boolean
 *   and iso_date convert on read (bad input throws MappingError) and send the value as is on write, except
 *   iso_date with `external_format: "unix"`, which writes floor(ms / 1000). iso_date reads unix seconds or an
 *   ISO-8601 date / date-time with a zone (no zone-less date-times: they would depend on the server's zone).
 * - default is a Recordgate value on write and an external value on read; with values it must be a values key
 *   that reads back as itself (through the pass-through of unmapped values), so both directions agree.
 * - Pass-through: keys that are neither a mapped field name nor the root of a mapped path are copied unchanged in
 *   both directions; other unmapped keys are dropped. Output lists mapped fields in mapping order, then
 *   pass-through keys in input order. Values are not copied (except defaults).
 * - invertible: fromExternal(toExternal(x)) equals x for every x whose mapped fields are present and in their
 *   domain (values keys, normalised strings, finite numbers, booleans, ISO strings); false with read-only fields
 *   or unix dates (sub-second precision is dropped).
 */
export type { CompiledMapping } from "./compile.ts";
export { compileMapping, MappingConfigError, MappingError } from "./compile.ts";
export type { Problem } from "./rules.ts";
