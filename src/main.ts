import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { startServer } from "./server.ts";
import { describeStartupFailure } from "./startup-failure.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`recordgate: ${error.message}`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);

try {
  const server = await startServer(config, logger);
  logger.info(
    { url: server.url, graphql: `${server.url}/graphql`, rest: `${server.url}/v1`, backend: server.db.backend },
    "recordgate listening",
  );

  const shutdown = (signal: string) => {
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    // A request that never finishes must not keep the process (and its data folder) alive forever.
    const force = setTimeout(() => {
      logger.error("shutdown timed out; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    server.close().then(
      () => {
        logger.info("shutdown complete");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
} catch (error) {
  // One line saying what to do, like a configuration error; the stack only for whoever asks for it.
  logger.debug({ err: error }, "recordgate failed to start");
  console.error(`recordgate: ${describeStartupFailure(error, config)}`);
  process.exit(1);
}
