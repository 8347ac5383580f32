import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeleteRelationshipDocument, RecordLinksDocument, UpsertRelationshipDocument } from "./generated/graphql.ts";
import { backends } from "./support/database.ts";
import { countRows } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const MISSING = "01926f3a-0000-7000-8000-000000000000";

describe.each(backends())("relationships over REST on %s", (backend) => {
  let t: TestServer;
  let alice: string;
  let bob: string;
  let acme: string;

  async function record(ws: string, collection: string, data: object): Promise<string> {
    const res = await t.rest("PUT", `/v1/${ws}/records/${collection}`, { body: { data } });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const link = (body: object) => t.rest("PUT", "/v1/crm/relationships", { body });
  const works = (from: string, to: string, data: object = {}) => ({
    rel_type: "works_at",
    source_collection: "people",
    source_id: from,
    target_collection: "companies",
    target_id: to,
    data,
  });

  beforeAll(async () => {
    t = await startTestServer(backend);
    for (const ws of ["crm", "other"]) {
      await t.rest("POST", "/v1/workspaces", { body: { id: ws, name: ws } });
      for (const c of ["people", "companies"]) {
        await t.rest("PUT", `/v1/${ws}/collections/${c}`, { body: { json_schema: { type: "object" } } });
      }
    }
    alice = await record("crm", "people", { name: "Alice" });
    bob = await record("crm", "people", { name: "Bob" });
    acme = await record("crm", "companies", { name: "Acme" });
  });
  afterAll(() => t?.close());

  it("creates a link once: repeating the PUT updates its data and keeps its id", async () => {
    const first = await link(works(alice, acme, { role: "engineer" }));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      rel_type: "works_at",
      source_collection: "people",
      source_id: alice,
      target_collection: "companies",
      target_id: acme,
      data: { role: "engineer" },
    });
    expect(Object.keys(first.body).sort()).toEqual(
      ["id", "rel_type", "source_collection", "source_id", "target_collection", "target_id", "data"]
        .concat(["created_at", "updated_at"])
        .sort(),
    );

    const again = await link(works(alice, acme, { role: "manager" }));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.data).toEqual({ role: "manager" });

    const got = await t.rest("GET", `/v1/crm/relationships/${first.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual({ role: "manager" });
  });

  it("upserts by id: creates with the given id, updates data, refuses to move its ends", async () => {
    const id = "01926f3a-1111-7000-8000-000000000001";
    const created = await link({ ...works(bob, acme), id, rel_type: "advises" });
    expect(created.status).toBe(201);
    expect(created.body.id).toBe(id);
    const updated = await link({ ...works(bob, acme, { since: 2024 }), id, rel_type: "advises" });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toEqual({ since: 2024 });

    const moved = await link({ ...works(alice, acme), id, rel_type: "advises" });
    expect(moved.status).toBe(409);
    expect(moved.body.error.code).toBe("CONFLICT");

    // The same ends and type already linked under another id.
    const duplicate = await link({
      ...works(bob, acme),
      id: "01926f3a-1111-7000-8000-000000000002",
      rel_type: "advises",
    });
    expect(duplicate.status).toBe(409);
    expect((await t.rest("GET", `/v1/crm/relationships/${id}`)).body.source_id).toBe(bob);
  });

  it("answers 404 naming each missing end, including an end in another workspace, and writes nothing", async () => {
    const stranger = await record("other", "companies", { name: "Elsewhere" });
    const before = await countRows(t, "relationships");

    const noTarget = await link(works(alice, MISSING));
    expect(noTarget.status).toBe(404);
    expect(noTarget.body.error.code).toBe("NOT_FOUND");
    expect(noTarget.body.error.details).toEqual([
      { path: "target_id", message: `no record '${MISSING}' in collection 'companies'` },
    ]);

    const both = await link({ ...works(MISSING, MISSING), source_collection: "people" });
    expect(both.body.error.details.map((d: { path: string }) => d.path)).toEqual(["source_id", "target_id"]);

    const crossWorkspace = await link(works(alice, stranger));
    expect(crossWorkspace.status).toBe(404);
    expect(crossWorkspace.body.error.details[0].path).toBe("target_id");

    // The record exists, but not in the collection the link names.
    const wrongCollection = await link({ ...works(alice, acme), target_collection: "people" });
    expect(wrongCollection.status).toBe(404);

    expect(await countRows(t, "relationships")).toBe(before);
  });

  it.each([
    [{ rel_type: "" }, "rel_type"],
    [{ rel_type: "has space" }, "rel_type"],
    [{ rel_type: undefined }, "rel_type"],
    [{ source_id: "not-a-uuid" }, "source_id"],
    [{ target_collection: "Bad Collection" }, "target_collection"],
    [{ data: [1, 2] }, "data"],
    [{ id: "42" }, "id"],
  ])("rejects %j with 400 at %s, writing nothing", async (change, path) => {
    const before = await countRows(t, "relationships");
    const res = await link({ ...works(alice, acme), ...change });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_ERROR");
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await countRows(t, "relationships")).toBe(before);
  });

  it("rejects unknown fields and oversized metadata", async () => {
    const unknown = await link({ ...works(alice, acme), type: "works_at" });
    expect(unknown.status).toBe(400);

    const big = await t.rest("PUT", "/v1/crm/relationships", {
      body: works(alice, acme, { blob: "x".repeat(1024 * 1024) }),
    });
    expect(big.status).toBe(413);
  });

  it("traverses a record's links by direction and type, paging by offset or cursor", async () => {
    const people = [];
    for (let i = 0; i < 5; i++) people.push(await record("crm", "people", { name: `Employee ${i}` }));
    const corp = await record("crm", "companies", { name: "Corp" });
    for (const p of people) expect((await link(works(p, corp, { n: people.indexOf(p) }))).status).toBe(201);
    const owner = await record("crm", "people", { name: "Owner" });
    await link({
      ...works(corp, owner),
      rel_type: "owned_by",
      source_collection: "companies",
      target_collection: "people",
    });

    const at = (query: string) => t.rest("GET", `/v1/crm/records/companies/${corp}/relationships${query}`);

    const incoming = await at("?direction=incoming&type=works_at&limit=2");
    expect(incoming.status).toBe(200);
    expect(incoming.body.data.map((r: { source_id: string }) => r.source_id)).toEqual(people.slice(0, 2));
    expect(incoming.body.data[0].direction).toBe("incoming");
    expect(incoming.body.meta).toMatchObject({ total: 5, limit: 2, offset: 0 });
    expect(incoming.body.data[0].record).toBeUndefined();

    const next = await at(`?direction=incoming&type=works_at&limit=2&after=${incoming.body.meta.next_cursor}`);
    expect(next.body.data.map((r: { source_id: string }) => r.source_id)).toEqual(people.slice(2, 4));
    const byOffset = await at("?direction=incoming&type=works_at&limit=2&offset=4");
    expect(byOffset.body.data.map((r: { source_id: string }) => r.source_id)).toEqual(people.slice(4));
    expect(byOffset.body.meta.next_cursor).toBeNull();

    const outgoing = await at("?direction=outgoing&include=record");
    expect(outgoing.body.data).toHaveLength(1);
    expect(outgoing.body.data[0]).toMatchObject({ rel_type: "owned_by", direction: "outgoing" });
    expect(outgoing.body.data[0].record).toMatchObject({ id: owner, collection: "people", data: { name: "Owner" } });

    const both = await at("");
    expect(both.body.meta.total).toBe(6);
    expect(both.body.data.map((r: { direction: string }) => r.direction).sort()).toEqual([
      "incoming",
      "incoming",
      "incoming",
      "incoming",
      "incoming",
      "outgoing",
    ]);

    const listed = await t.rest("GET", `/v1/crm/relationships?type=owned_by&source_id=${corp}`);
    expect(listed.body.meta.total).toBe(1);
    expect(listed.body.data[0].target_id).toBe(owner);
  });

  it.each([
    ["?direction=sideways", "direction"],
    ["?type=no%20spaces", "type"],
    ["?limit=0", "limit"],
    ["?after=garbage", "after"],
    ["?include=everything", "include"],
  ])("rejects the traversal %s with 400", async (query, path) => {
    const res = await t.rest("GET", `/v1/crm/records/people/${alice}/relationships${query}`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error.details)).toContain(path);
  });

  it("answers 404 for the traversal of a missing record and for an unknown relationship", async () => {
    expect((await t.rest("GET", `/v1/crm/records/people/${MISSING}/relationships`)).status).toBe(404);
    expect((await t.rest("GET", `/v1/crm/records/people/nope/relationships`)).status).toBe(404);
    // alice is a person, not a company.
    expect((await t.rest("GET", `/v1/crm/records/companies/${alice}/relationships`)).status).toBe(404);
    expect((await t.rest("GET", `/v1/crm/relationships/${MISSING}`)).status).toBe(404);
    expect((await t.rest("DELETE", `/v1/crm/relationships/${MISSING}`)).status).toBe(404);
    expect((await t.rest("GET", "/v1/crm/relationships/not-a-uuid")).status).toBe(404);
  });

  it("deletes a link; deleting a record removes all of its links", async () => {
    const carol = await record("crm", "people", { name: "Carol" });
    const dave = await record("crm", "people", { name: "Dave" });
    const first = await link(works(carol, acme));
    const knows = await link({
      ...works(dave, carol),
      rel_type: "knows",
      target_collection: "people",
    });
    expect((await t.rest("DELETE", `/v1/crm/relationships/${first.body.id}`)).status).toBe(204);
    expect((await t.rest("GET", `/v1/crm/relationships/${first.body.id}`)).status).toBe(404);
    expect((await t.rest("DELETE", `/v1/crm/relationships/${first.body.id}`)).status).toBe(404);

    await link(works(carol, acme));
    expect((await t.rest("DELETE", `/v1/crm/records/people/${carol}`)).status).toBe(204);
    const left = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM relationships WHERE source_id = $1 OR target_id = $1",
      [carol],
    );
    expect(left[0]?.n).toBe(0);
    expect((await t.rest("GET", `/v1/crm/relationships/${knows.body.id}`)).status).toBe(404);
    expect((await t.rest("GET", `/v1/crm/records/people/${dave}/relationships`)).body.meta.total).toBe(0);
    // A deleted record cannot be linked again.
    expect((await link(works(carol, acme))).status).toBe(404);
  });

  it("deleting a collection removes the links of its records, on either end", async () => {
    await t.rest("PUT", "/v1/crm/collections/projects", { body: { json_schema: { type: "object" } } });
    const project = await record("crm", "projects", { name: "Apollo" });
    await link({ ...works(alice, project), rel_type: "leads", target_collection: "projects" });
    await link({ ...works(project, acme), rel_type: "for", source_collection: "projects" });
    const count = async () =>
      (
        await t.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM relationships WHERE source_collection = 'projects' OR target_collection = 'projects'",
        )
      )[0]?.n;
    expect(await count()).toBe(2);
    expect((await t.rest("DELETE", "/v1/crm/collections/projects")).status).toBe(204);
    expect(await count()).toBe(0);
  });

  it("keeps one link under 20 concurrent identical PUTs", async () => {
    const erin = await record("crm", "people", { name: "Erin" });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => link(works(erin, acme, { attempt: i }))));
    expect(results.map((r) => r.status).sort()).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const [row] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM relationships WHERE source_id = $1", [
      erin,
    ]);
    expect(row?.n).toBe(1);
  });

  it("never leaves a link to a record deleted at the same moment", async () => {
    for (let round = 0; round < 10; round++) {
      const p = await record("crm", "people", { name: `Racer ${round}` });
      const [linked, deleted] = await Promise.all([
        link(works(p, acme)),
        t.rest("DELETE", `/v1/crm/records/people/${p}`),
      ]);
      expect(deleted.status).toBe(204);
      expect([201, 404]).toContain(linked.status);
      const [row] = await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM relationships WHERE source_id = $1",
        [p],
      );
      expect(row?.n).toBe(0);
    }
  });
});

describe.each(backends())("relationships over GraphQL on %s", (backend) => {
  let t: TestServer;
  let task: (title: string) => Promise<string>;

  async function run<R, V extends Record<string, unknown>>(doc: TypedDocumentNode<R, V>, variables: V) {
    return (await t.gql<R>(print(doc), variables)).body;
  }

  beforeAll(async () => {
    t = await startTestServer(backend);
    await t.rest("POST", "/v1/workspaces", { body: { id: "pm", name: "PM" } });
    await t.rest("PUT", "/v1/pm/collections/tasks", { body: { json_schema: { type: "object" } } });
    task = async (title) => (await t.rest("PUT", "/v1/pm/records/tasks", { body: { data: { title } } })).body.id;
  });
  afterAll(() => t?.close());

  it("links, walks, pages and unlinks records", async () => {
    const [a, b, c] = [await task("A"), await task("B"), await task("C")];
    const input = (target: string) => ({
      relType: "blocks",
      sourceCollection: "tasks",
      sourceId: a,
      targetCollection: "tasks",
      targetId: target,
      data: { reason: `A before ${target === b ? "B" : "C"}` },
    });
    const ab = await run(UpsertRelationshipDocument, { workspace: "pm", input: input(b) });
    expect(ab.errors).toBeUndefined();
    expect(ab.data?.upsertRelationship.created).toBe(true);
    expect(ab.data?.upsertRelationship.relationship.source?.data).toEqual({ title: "A" });
    expect(ab.data?.upsertRelationship.relationship.target?.collection.id).toBe("tasks");
    const repeat = await run(UpsertRelationshipDocument, { workspace: "pm", input: input(b) });
    expect(repeat.data?.upsertRelationship.created).toBe(false);
    await run(UpsertRelationshipDocument, { workspace: "pm", input: input(c) });

    const page1 = await run(RecordLinksDocument, { workspace: "pm", collection: "tasks", id: a, first: 1 });
    const links = page1.data?.record.relationships;
    expect(links?.edges.map((e) => [e.direction, e.node.data])).toEqual([["outgoing", { title: "B" }]]);
    expect(links?.pageInfo.hasNextPage).toBe(true);
    expect(page1.data?.record.related.map((r) => r.id)).toEqual([b, c]);

    const page2 = await run(RecordLinksDocument, {
      workspace: "pm",
      collection: "tasks",
      id: a,
      first: 1,
      after: links?.pageInfo.endCursor,
    });
    expect(page2.data?.record.relationships.edges.map((e) => e.node.id)).toEqual([c]);
    expect(page2.data?.record.relationships.pageInfo).toEqual({ hasNextPage: false, endCursor: null });

    const incoming = await run(RecordLinksDocument, {
      workspace: "pm",
      collection: "tasks",
      id: c,
      direction: "incoming",
      type: "blocks",
    });
    expect(incoming.data?.record.relationships.edges.map((e) => [e.direction, e.node.id])).toEqual([["incoming", a]]);

    const id = ab.data?.upsertRelationship.relationship.id as string;
    expect((await run(DeleteRelationshipDocument, { workspace: "pm", id })).data?.deleteRelationship).toBe(id);
    const gone = await run(DeleteRelationshipDocument, { workspace: "pm", id });
    expect(gone.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("reports the shared error codes: a missing end, a bad type, a bad cursor", async () => {
    const a = await task("lonely");
    const before = await countRows(t, "relationships");
    const missing = await run(UpsertRelationshipDocument, {
      workspace: "pm",
      input: {
        relType: "blocks",
        sourceCollection: "tasks",
        sourceId: a,
        targetCollection: "tasks",
        targetId: MISSING,
      },
    });
    expect(missing.errors?.[0]?.extensions).toMatchObject({
      code: "NOT_FOUND",
      details: [{ path: "target_id", message: `no record '${MISSING}' in collection 'tasks'` }],
    });
    const badType = await run(UpsertRelationshipDocument, {
      workspace: "pm",
      input: { relType: "", sourceCollection: "tasks", sourceId: a, targetCollection: "tasks", targetId: a },
    });
    expect(badType.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
    const badCursor = await run(RecordLinksDocument, { workspace: "pm", collection: "tasks", id: a, after: "x" });
    expect(badCursor.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
    expect(await countRows(t, "relationships")).toBe(before);
  });
});
