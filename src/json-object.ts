/** A JSON object: what `typeof` calls an object, without null and arrays. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
