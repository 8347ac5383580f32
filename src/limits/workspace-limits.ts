import { Redis } from "ioredis";
import {
  BurstyRateLimiter,
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";

export interface RateLimitSettings {
  /** Requests per window per workspace; 0 turns limiting off. */
  points: number;
  windowSeconds: number;
  /** Extra requests a workspace may burst to once the steady rate is spent, refilled over ten windows. */
  burst: number;
  /** Counters in Redis, shared by every instance using it; in this process otherwise. */
  redisUrl?: string;
}

/** One workspace's standing after a request was counted. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (and, when refused, until a retry may pass). */
  resetSeconds: number;
}

export interface WorkspaceLimits {
  consume(workspaceId: string): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

const KEY_PREFIX = "recordgate:rl";

/**
 * Per-workspace request limits with rate-limiter-flexible: a fixed window of `points`, plus a burst allowance.
 * With Redis the counting is one atomic script per request, so instances sharing it enforce one exact limit; if
 * Redis fails, each instance falls back to counting in memory rather than refusing or waving everything through.
 */
export function createWorkspaceLimits(settings: RateLimitSettings): WorkspaceLimits {
  if (settings.points <= 0) {
    return {
      consume: async () => ({ allowed: true, limit: 0, remaining: 0, resetSeconds: 0 }),
      close: async () => {},
    };
  }
  const redis = settings.redisUrl
    ? new Redis(settings.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    : undefined;
  // ioredis reports connection trouble as events; the insurance limiter covers the requests meanwhile.
  redis?.on("error", () => {});

  const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
    redis
      ? new RateLimiterRedis({
          storeClient: redis,
          keyPrefix,
          points,
          duration,
          insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
        })
      : new RateLimiterMemory({ keyPrefix, points, duration });

  const steady = limiter(`${KEY_PREFIX}:steady`, settings.points, settings.windowSeconds);
  const counter =
    settings.burst > 0
      ? new BurstyRateLimiter(steady, limiter(`${KEY_PREFIX}:burst`, settings.burst, settings.windowSeconds * 10))
      : steady;

  const decision = (res: RateLimiterRes, allowed: boolean): RateLimitDecision => ({
    allowed,
    limit: settings.points,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });

  return {
    async consume(workspaceId) {
      try {
        return decision(await counter.consume(workspaceId), true);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return decision(rejection, false);
        throw rejection;
      }
    },
    async close() {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
