import pino, { type Logger } from "pino";

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
