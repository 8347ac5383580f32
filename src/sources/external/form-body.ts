/**
 * `application/x-www-form-urlencoded` bodies with bracket keys, the way Stripe reads writes: `a[b]=1` for nested
 * objects and `items[0][name]=x` for arrays (indexed, so elements of objects keep their fields together).
 *
 * - Strings as they are; booleans `true`/`false`; numbers as JSON writes them (a non-finite one, which JSON writes
 *   as null, is null here too); null as an empty value (`key=`), which is how Stripe unsets a field.
 * - undefined is omitted, as in JSON; so are empty objects and arrays (they have no keys to write), as Stripe's own
 *   clients do.
 * - A value with `toJSON` (a Date) is encoded as what that returns.
 * - Keys are written as given: a key that itself holds `[` or `]` cannot be told apart from nesting by the upstream.
 */
export function encodeForm(value: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, item] of Object.entries(value)) append(params, key, item);
  return params.toString();
}

function append(params: URLSearchParams, key: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null) {
    params.append(key, "");
    return;
  }
  switch (typeof value) {
    case "string":
      params.append(key, value);
      return;
    case "boolean":
      params.append(key, value ? "true" : "false");
      return;
    case "number":
      params.append(key, Number.isFinite(value) ? JSON.stringify(value) : "");
      return;
    case "bigint":
      params.append(key, value.toString());
      return;
    case "object":
      break;
    default:
      throw new TypeError(`${key}: a ${typeof value} cannot be form-encoded`);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    append(params, key, toJSON.call(value));
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      append(params, `${key}[${i}]`, item);
    });
    return;
  }
  for (const [name, item] of Object.entries(value)) append(params, `${key}[${name}]`, item);
}
