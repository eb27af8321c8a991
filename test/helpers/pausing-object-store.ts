import type { ObjectStore } from '../../activities/backends/types';

/** What the wrapper saw: every getForUpdate (in order) and every conditional write with its outcome. */
export interface ConditionalLog {
  reads: string[];
  writes: { uri: string; won: boolean }[];
}

/**
 * An object store that pauses after each `getForUpdate` until `afterRead` resolves: the window
 * between a read and its conditional write, held open so that two writers interleave exactly as
 * a test says (both read, then both write). Everything else goes straight to `inner`.
 * `ignoreConditions` turns `putIfMatch` into a plain put that always wins: a store (or a caller)
 * without the compare-and-swap, to show what the interleaving does without it.
 */
export function pausingObjectStore(
  inner: ObjectStore,
  afterRead: (uri: string, readNumber: number) => Promise<void>,
  options: { ignoreConditions?: boolean } = {},
): { store: ObjectStore; log: ConditionalLog } {
  const log: ConditionalLog = { reads: [], writes: [] };
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'getForUpdate') {
        return async (uri: string) => {
          const read = await target.getForUpdate(uri);
          log.reads.push(uri);
          await afterRead(uri, log.reads.length);
          return read;
        };
      }
      if (property === 'putIfMatch') {
        return async (uri: string, body: Buffer | string, token: string | undefined, putOptions?: { contentType?: string }) => {
          let won = true;
          if (options.ignoreConditions) await target.put(uri, body, putOptions);
          else won = await target.putIfMatch(uri, body, token, putOptions);
          log.writes.push({ uri, won });
          return won;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, log };
}

/** A barrier for `parties` callers: each `arrive()` resolves once all of them arrived. */
export function barrier(parties: number): { arrive: () => Promise<void> } {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    arrive() {
      if (++arrived >= parties) open();
      return opened;
    },
  };
}
