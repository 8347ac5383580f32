// EXPLAIN ANALYZE of the statements a side sent, summarised as a plan shape.
import type pg from "pg";
import type { Statement } from "./statements.ts";

export interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

export interface Explained {
  Plan: PlanNode;
  "Planning Time": number;
  "Execution Time": number;
  JIT?: { Functions: number };
}

export interface PlanSummary {
  sql: string;
  values: unknown[];
  shape: string;
  planningMs: number;
  executionMs: number;
  jit: boolean;
  plan: PlanNode;
}

export function shape(node: PlanNode): string {
  const label = node["Index Name"] ? `${node["Node Type"]} (${node["Index Name"]})` : node["Node Type"];
  const children = node.Plans ?? [];
  if (children.length === 0) return label;
  if (children.length === 1) return `${label} > ${shape(children[0] as PlanNode)}`;
  return `${label} > [${children.map(shape).join(", ")}]`;
}

/** Runs twice and reports the second, so neither side's plan pays for a cold backend or cold buffers. */
export async function explain(client: pg.Client, statement: Statement): Promise<PlanSummary> {
  const sql = `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`;
  await client.query(sql, statement.values);
  const { rows } = await client.query<{ "QUERY PLAN": Explained[] }>(sql, statement.values);
  const output = rows[0]?.["QUERY PLAN"][0];
  if (!output) throw new Error(`EXPLAIN returned nothing for ${statement.text}`);
  return {
    sql: statement.text.replace(/\s+/g, " ").trim(),
    values: statement.values,
    shape: shape(output.Plan),
    planningMs: output["Planning Time"],
    executionMs: output["Execution Time"],
    jit: (output.JIT?.Functions ?? 0) > 0,
    plan: output.Plan,
  };
}
