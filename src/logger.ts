import pino, { type Logger } from "pino";

/** The logging calls the domain uses; satisfied by pino and by Fastify's request logger. */
export type Log = Pick<Logger, "debug" | "info" | "warn" | "error">;

/** JSON logs; credentials never reach them even if a header is logged by accident. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ["req.headers.authorization", "headers.authorization", "token", "password"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
