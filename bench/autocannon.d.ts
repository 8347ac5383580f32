// autocannon ships no types and @types/autocannon is not a dependency: this declares only what bench/ uses.
declare module "autocannon" {
  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
    }

    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Runs the load generator in worker threads instead of the caller's event loop. */
      workers?: number;
      /** Seconds to wait for a response before counting a timeout (default 10). */
      timeout?: number;
      headers?: Record<string, string>;
      /** Each connection cycles through these in order; fixed requests are pre-built once. */
      requests?: Request[];
    }

    /** Latency values are whole milliseconds (an HDR histogram of integers). */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
    }

    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      latency: Histogram;
      requests: Histogram & { sent: number };
      throughput: Histogram;
      statusCodeStats: Record<string, { count: number }>;
    }
  }

  /** Returns an event emitter that is also thenable when no callback is given. */
  function autocannon(options: autocannon.Options): PromiseLike<autocannon.Result>;
  export = autocannon;
}
