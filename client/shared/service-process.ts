import { ConfigError } from '../../common/config/parse';

/** An error a service's start reports as bad usage (exit 2) or an unreachable dependency (exit 3). */
export interface ExitCodeRules {
  usage?: (err: unknown) => boolean;
  unavailable?: (err: unknown) => boolean;
}

/**
 * Runs one of the stack's service processes: starts it, stops it once on SIGTERM or SIGINT
 * (graceful: `stop` drains before the process exits), and turns start failures into a one-line
 * message with the CLI's exit codes (2 configuration, 3 unreachable dependency, 1 otherwise).
 */
export function runService(name: string, start: () => Promise<{ stop: () => Promise<void> }>, rules: ExitCodeRules = {}): void {
  start()
    .then(({ stop }) => {
      let stopping = false;
      const shutdown = async () => {
        if (stopping) return;
        stopping = true;
        try {
          await stop();
        } catch (err) {
          console.error(`${name}: stopping failed: ${err instanceof Error ? err.message : String(err)}`);
          process.exit(1);
        }
        process.exit(0);
      };
      process.on('SIGTERM', () => void shutdown());
      process.on('SIGINT', () => void shutdown());
    })
    .catch((err: unknown) => {
      if (err instanceof ConfigError || rules.usage?.(err)) {
        console.error(err instanceof Error ? err.message : String(err));
        process.exit(2);
      }
      if (rules.unavailable?.(err)) {
        console.error(err instanceof Error ? err.message : String(err));
        process.exit(3);
      }
      console.error(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
