import {
  defaultFieldResolver,
  type GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isLeafType,
  isListType,
  isObjectType,
} from "graphql";
import type { GraphqlLimits } from "./graphql-limit-settings.ts";
import { limitRefusal, overLimit } from "./graphql-refusal.ts";

/** JSON text length of `value`, counted without serialising it; stops once past `cap`. */
export function jsonSize(value: unknown, cap: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length && size <= cap) {
    const v = stack.pop();
    if (typeof v === "string") size += v.length + 2;
    else if (typeof v === "number") size += 8;
    else if (typeof v === "boolean" || v === null || v === undefined) size += 5;
    else if (Array.isArray(v)) {
      size += 1 + v.length;
      for (const item of v) stack.push(item);
    } else if (typeof v === "object") {
      for (const [key, item] of Object.entries(v)) {
        size += key.length + 4;
        stack.push(item);
      }
    }
  }
  return size;
}

/**
 * What one request has produced so far, against its ceilings, and its deadline. Checked by the resolvers of list
 * and JSON fields (installBudget below), which throw its refusal once it is over; the executor's result is then
 * replaced by that one error (run), so the client gets one clear answer however many fields were cut short.
 */
export class ExecutionBudget {
  rows = 0;
  bytes = 0;
  refusal: GraphQLError | undefined;

  constructor(private readonly limits: GraphqlLimits) {}

  /** Throws the refusal once the request is over a ceiling or past its deadline. */
  check(): void {
    if (this.refusal) throw this.refusal;
  }

  /** Counts a resolved value: list items as rows, JSON values as bytes. */
  charge(value: unknown, json: boolean): unknown {
    if (Array.isArray(value)) this.rows += value.length;
    if (json) this.bytes += jsonSize(value, this.limits.maxBytes - this.bytes);
    if (this.rows > this.limits.maxRows) {
      this.refusal ??= overLimit(
        "maxRows",
        this.rows,
        this.limits.maxRows,
        "Query produced {actual} rows, over the limit of {max}",
      );
    } else if (this.bytes > this.limits.maxBytes) {
      this.refusal ??= overLimit(
        "maxBytes",
        this.bytes,
        this.limits.maxBytes,
        "Query produced more than {max} bytes of JSON",
      );
    }
    this.check();
    return value;
  }

  /**
   * Runs `execute` until it ends or the deadline passes, whichever is first: past it the client gets the refusal
   * at once, and what is still running fails at its next list or JSON field.
   */
  async run<R>(execute: () => R | Promise<R>): Promise<R | { errors: GraphQLError[] }> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.refusal ??= limitRefusal(
          "timeoutMs",
          `Query ran past the execution deadline of ${this.limits.timeoutMs.toLocaleString("en-US")} ms`,
          undefined,
        );
        resolve();
      }, this.limits.timeoutMs);
    });
    try {
      const running = Promise.resolve().then(execute);
      // Past the deadline nobody awaits it any more; its end must not become an unhandled rejection.
      running.catch(() => {});
      const result = await Promise.race([running, deadline]);
      return this.refusal ? { errors: [this.refusal] } : (result as R);
    } finally {
      clearTimeout(timer);
    }
  }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | null)?.then === "function";

const budgets = new WeakMap<object, ExecutionBudget>();

export function startBudget(context: object, limits: GraphqlLimits): ExecutionBudget {
  const budget = new ExecutionBudget(limits);
  budgets.set(context, budget);
  return budget;
}

const installed = new WeakSet<GraphQLSchema>();

/**
 * Wraps the resolver of every field that produces rows (a list of objects) or JSON (record data, schemas,
 * aggregate groups) so it charges the request's budget, on graphql-js and graphql-jit alike (both call
 * `field.resolve`). The schema is wrapped in place once: without a budget in the context the wrapper only
 * forwards, so other users of the schema see no difference.
 */
export function installBudget(schema: GraphQLSchema): void {
  if (installed.has(schema)) return;
  installed.add(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const nullable = getNullableType(field.type);
      const json = getNamedType(field.type).name === "JSON";
      const rows = isListType(nullable) && !isLeafType(getNamedType(nullable));
      if (!json && !rows) continue;
      const resolve: GraphQLFieldResolver<unknown, object> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const budget = budgets.get(context);
        if (!budget) return resolve(source, args, context, info);
        budget.check();
        const value: unknown = resolve(source, args, context, info);
        return isThenable(value) ? value.then((v) => budget.charge(v, json)) : budget.charge(value, json);
      };
    }
  }
}
