import { forbidden } from "../errors/app-error.ts";
import type { Context } from "./context.ts";

export type Resource = "workspaces" | "collections" | "records" | "relationships";
export type Action = "read" | "write";

/**
 * The single permission check every operation calls before touching data. Only the root admin exists for now, and
 * it may do everything; scoped grants will plug in here without changing any caller.
 */
export function authorize(ctx: Context, action: Action, resource: Resource, _workspaceId?: string): void {
  if (ctx.principal.kind === "admin") return;
  throw forbidden(`Token lacks ${action}:${resource}`);
}
