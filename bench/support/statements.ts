// Counting (and capturing) the SQL statements each side of a comparison sends, at the driver.
import pg from "pg";
import type { Closer } from "./lifecycle.ts";

export interface Statement {
  text: string;
  values: unknown[];
}

type DriverQuery = (this: pg.Client, ...args: unknown[]) => unknown;

/**
 * Wraps pg's Client.prototype.query, which Recordgate's record source, its Prisma adapter and the baseline pool all
 * go through. Requests run one at a time while it counts, so everything seen belongs to the side being measured.
 * The sides are named by the caller (e.g. "recordgate" and "baseline").
 */
export class StatementRecorder<S extends string> {
  private side: S | undefined;
  private captured: Statement[] | undefined;
  readonly counts: Record<S, number>;

  constructor(readonly sides: readonly S[]) {
    this.counts = Object.fromEntries(sides.map((side) => [side, 0])) as Record<S, number>;
  }

  install(): Closer {
    const proto = pg.Client.prototype as unknown as { query: DriverQuery };
    const original = proto.query;
    const note = (args: unknown[]) => this.note(args);
    proto.query = function (this: pg.Client, ...args: unknown[]) {
      note(args);
      return original.apply(this, args);
    };
    return {
      what: "driver statement recorder",
      close: async () => {
        proto.query = original;
      },
    };
  }

  private note(args: unknown[]): void {
    if (!this.side) return;
    this.counts[this.side]++;
    if (!this.captured) return;
    const [first, second] = args;
    if (typeof first === "string") {
      this.captured.push({ text: first, values: Array.isArray(second) ? second : [] });
    } else if (first && typeof first === "object" && "text" in first) {
      const config = first as { text: string; values?: unknown[] };
      this.captured.push({ text: config.text, values: config.values ?? [] });
    }
  }

  reset(): void {
    for (const side of this.sides) this.counts[side] = 0;
  }

  async during<T>(side: S, fn: () => Promise<T>): Promise<T> {
    this.side = side;
    try {
      return await fn();
    } finally {
      this.side = undefined;
    }
  }

  async capture(side: S, fn: () => Promise<unknown>): Promise<Statement[]> {
    const captured: Statement[] = [];
    this.captured = captured;
    try {
      await this.during(side, fn);
    } finally {
      this.captured = undefined;
    }
    return captured;
  }
}
