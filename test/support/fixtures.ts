import type { TestServer } from "./server.ts";

export const contactSchema = {
  type: "object",
  // 2020-12 makes `format` an annotation; these tests rely on `email` being checked (docs/schemas.md).
  "x-format-assertion": true,
  properties: {
    name: { type: "string", minLength: 1 },
    email: { type: "string", format: "email" },
    age: { type: "integer", minimum: 0 },
    address: { type: "object", properties: { city: { type: "string" } } },
  },
  required: ["name"],
  additionalProperties: false,
} as const;

/** A workspace with one `contacts` collection, through the public API. */
export async function seedContacts(t: TestServer, workspace = "crm") {
  const ws = await t.rest("POST", "/v1/workspaces", { body: { id: workspace, name: "CRM" } });
  if (ws.status !== 201) throw new Error(`seed workspace: ${ws.status} ${ws.text}`);
  const col = await t.rest("PUT", `/v1/${workspace}/collections/contacts`, {
    body: { name: "Contacts", json_schema: contactSchema },
  });
  if (col.status !== 201) throw new Error(`seed collection: ${col.status} ${col.text}`);
}

/** Counts rows straight from the database, to prove a rejected request wrote nothing. */
export async function countRows(
  t: TestServer,
  table: "workspaces" | "collections" | "records" | "relationships",
): Promise<number> {
  const [row] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return row?.n ?? -1;
}
