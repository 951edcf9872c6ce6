// Graceful shutdown: the first SIGINT or SIGTERM runs `stop` once; a second one exits at once.
import type { Logger } from "../metadata";

export function onShutdownSignal(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn("second signal: exiting now", { signal });
      process.exit(130);
    }
    stopping = true;
    logger.info("shutting down", { signal });
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error("shutdown failed", { error: err });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", handle);
  process.on("SIGTERM", handle);
}
