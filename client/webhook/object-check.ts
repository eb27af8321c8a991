import type { ObjectStore } from '../../activities/backends/types';
import { s3Uri } from '../../common/uri';
import type { ObjectCreatedEvent } from './event-schemas';

/** Why an event must not start a run (answered 200 `ignored` with this reason), or undefined when it may. */
export type EventObjectCheck = (event: ObjectCreatedEvent) => Promise<string | undefined>;

/**
 * Checks an event's ETag against the object's ETag now, as the store reports it (`currentETag`:
 * no content read). A mismatch means the event is stale (the object was overwritten or deleted
 * since, and a run would read other data than the event names) or forged: either way it starts
 * nothing and is acknowledged with the reason, since a retry by the sender can never make it
 * right. An event without an ETag, or a store that cannot answer, is not checked: the run itself
 * reads the object and fails clearly if it is gone.
 */
export function objectETagCheck(store: Pick<ObjectStore, 'currentETag'>, log: (message: string) => void = () => undefined): EventObjectCheck {
  return async (event) => {
    if (!event.etag) return undefined;
    const uri = s3Uri(event.bucket, event.key);
    let current: string | undefined;
    try {
      current = await store.currentETag(uri);
    } catch (err) {
      log(`ETag of ${uri} not checked (the store did not answer: ${err instanceof Error ? err.message : String(err)})`);
      return undefined;
    }
    if (current === undefined) return `stale or forged: no object at ${uri} now (deleted since the event, or never written)`;
    if (current !== event.etag) return `stale or forged: ${uri} has ETag ${current} now, the event names ${event.etag}`;
    return undefined;
  };
}
