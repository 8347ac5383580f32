// Sequential, interleaved latency measurement of two (or more) sides answering the same question.
import { performance } from "node:perf_hooks";
import type { RestClient } from "./recordgate.ts";
import type { StatementRecorder } from "./statements.ts";
import { type LatencyStats, latencyStats, round } from "./stats.ts";

export interface LatencySettings {
  /** Measured iterations per side, after the warm-up. */
  iterations: number;
  /** A case stops early once its measured iterations took this long. */
  caseSeconds: number;
}

export interface LatencyRun<S extends string> {
  latency: Record<S, LatencyStats>;
  samples: Record<S, number[]>;
  /** Driver statements per request over the measured iterations. */
  statementsPerRequest: Record<S, number>;
  failures: number;
}

const bySide = <S extends string, T>(sides: readonly S[], value: (side: S) => T) =>
  Object.fromEntries(sides.map((side) => [side, value(side)])) as Record<S, T>;

/**
 * Sequential requests, one side after the other, the order flipping every iteration (A B, B A, …) so a drift in
 * machine conditions falls on both sides alike. The warm-up is 1,000 iterations or a tenth of the case's time,
 * whichever ends first. Each call reports whether it succeeded and never throws; the recorder's sides are the
 * sides measured, in that order.
 */
export async function measureLatency<S extends string>(
  call: Record<S, () => Promise<boolean>>,
  recorder: StatementRecorder<S>,
  settings: LatencySettings,
): Promise<LatencyRun<S>> {
  const sides = recorder.sides;
  const samples = bySide(sides, (): number[] => []);
  let failures = 0;
  const iteration = async (i: number, keep: boolean) => {
    const order: readonly S[] = i % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const started = performance.now();
      const ok = await recorder.during(side, call[side]);
      const ms = performance.now() - started;
      if (!ok) failures++;
      if (keep) samples[side].push(ms);
    }
  };
  // A millisecond request needs many iterations before V8 has optimised the server's hot paths (bench:query at 20k
  // records, 200 measured pairs: the indexed page measured 1.84-1.99x after 50 warm-up iterations, 1.64-1.67x after
  // 1,000). Up to 1,000, within a tenth of the case's time: the server is measured warm, as it runs, and slow cases
  // are not kept warming for minutes.
  const warmupCount = 1000;
  const warmupDeadline = performance.now() + (settings.caseSeconds * 1000) / 10;
  for (let i = 0; i < warmupCount && (i === 0 || performance.now() < warmupDeadline); i++) await iteration(i, false);
  recorder.reset();
  const deadline = performance.now() + settings.caseSeconds * 1000;
  for (let i = 0; i < settings.iterations && (i === 0 || performance.now() < deadline); i++) await iteration(i, true);
  const n = samples[sides[0] as S].length;
  return {
    latency: bySide(sides, (side) => latencyStats(samples[side])),
    samples: bySide(sides, (side) => samples[side].map((v) => round(v))),
    statementsPerRequest: bySide(sides, (side) => recorder.counts[side] / n),
    failures,
  };
}

/**
 * The HTTP round trip alone (GET /healthz: no auth, no database) with the same client: the part of Recordgate's
 * latency that no query work can remove, for reading the ratios of fast queries.
 */
export async function measureHttpFloor(rest: RestClient, iterations: number): Promise<LatencyStats> {
  const samples: number[] = [];
  for (let i = 0; i < iterations + 10; i++) {
    const started = performance.now();
    const { status } = await rest.send("GET", "/healthz");
    if (status !== 200) throw new Error(`GET /healthz answered ${status}`);
    if (i >= 10) samples.push(performance.now() - started);
  }
  return latencyStats(samples);
}

/** A timed call that reports failure instead of throwing, so one failed request counts rather than ends the run. */
export function succeeds(call: () => Promise<unknown>, ok: (result: unknown) => boolean = () => true) {
  return async (): Promise<boolean> => {
    try {
      return ok(await call());
    } catch {
      return false;
    }
  };
}
