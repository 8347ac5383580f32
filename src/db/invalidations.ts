import pg from "pg";

/** The PostgreSQL channel instances use to tell each other a cached definition changed. */
export const INVALIDATION_CHANNEL = "recordgate_invalidations";

export interface InvalidationHandlers {
  /** A key another instance (or this one) published. */
  onMessage(key: string): void;
  /** true once LISTEN is in place, false when the connection is lost (until it is back). */
  onCoherent(coherent: boolean): void;
}

/** Cross-instance invalidation over LISTEN/NOTIFY (PostgreSQL only: PGlite has one process). */
export interface Invalidations {
  publish(key: string): Promise<void>;
  /** Starts listening on a dedicated connection, reconnecting with backoff; resolves after the first attempt. */
  listen(handlers: InvalidationHandlers): Promise<void>;
  close(): Promise<void>;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export function postgresInvalidations(url: string, pool: pg.Pool): Invalidations {
  let handlers: InvalidationHandlers | undefined;
  let client: pg.Client | undefined;
  let retryMs = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const retry = () => {
    if (closed) return;
    timer = setTimeout(() => void connect(), retryMs);
    // A pending reconnect must not keep a stopping process alive.
    timer.unref();
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  };

  const lost = (which: pg.Client) => {
    if (client !== which) return;
    client = undefined;
    handlers?.onCoherent(false);
    which.end().catch(() => {});
    retry();
  };

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: url });
    next.on("notification", (message) => {
      if (message.channel === INVALIDATION_CHANNEL && message.payload) handlers?.onMessage(message.payload);
    });
    next.on("error", () => lost(next));
    next.on("end", () => lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    } catch {
      next.removeAllListeners("end");
      await next.end().catch(() => {});
      retry();
      return;
    }
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    retryMs = RETRY_MIN_MS;
    handlers?.onCoherent(true);
  }

  return {
    async publish(key) {
      await pool.query("SELECT pg_notify($1, $2)", [INVALIDATION_CHANNEL, key]);
    },
    async listen(h) {
      handlers = h;
      await connect();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
