import { validate, version } from "uuid";
import { describe, expect, it } from "vitest";
import { EXTERNAL_RECORD_NAMESPACE, externalRecordId } from "../src/sources/external/record-id.ts";

// A proxied record's id is derived, never stored first: every instance, before and after a restart, must agree.

describe("externalRecordId", () => {
  it("is the same for the same workspace, collection, source and external id, pinned to its namespace", () => {
    const id = externalRecordId("books", "invoices", "stripe", "in_000001");
    expect(externalRecordId("books", "invoices", "stripe", "in_000001")).toBe(id);
    // Pinned (checked against Python's uuid.uuid5): a change of namespace or formula would orphan every remembered id and relationship.
    expect(EXTERNAL_RECORD_NAMESPACE).toBe("425b3f82-2953-43a4-8756-523f9c88b277");
    expect(id).toBe("75a728f7-da3e-5859-a157-2ab42e5b169c");
  });

  it("differs when any one part differs", () => {
    const parts = ["books", "invoices", "stripe", "in_000001"] as const;
    const base = externalRecordId(...parts);
    const ids = new Set([base]);
    for (let i = 0; i < parts.length; i++) {
      const changed = [...parts] as [string, string, string, string];
      changed[i] = `${changed[i]}x`;
      ids.add(externalRecordId(...changed));
    }
    expect(ids.size).toBe(parts.length + 1);
    // Case matters in external ids (Stripe's are case-sensitive).
    expect(externalRecordId("books", "invoices", "stripe", "IN_000001")).not.toBe(base);
  });

  it("is a lower-case UUID of version 5", () => {
    for (const externalId of ["in_1", "42", "a/b", "Zoë", ""]) {
      const id = externalRecordId("books", "invoices", "stripe", externalId);
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(5);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});
