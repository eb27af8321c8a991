import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../common/config/parse';
import type { ObjectCreatedEvent } from '../../client/webhook/event-schemas';
import type { RouteRule } from '../../client/webhook/routes';
import { workflowIdForEvent, type PipelineStart, type PipelineStarter } from '../../client/webhook/start-run';

export const EVENTS_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'events');

/** A fixture of test/fixtures/events, parsed (a fresh copy each call, so tests may change it). */
export function eventFixture<T extends object = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(path.join(EVENTS_DIR, name), 'utf8')) as T;
}

/** The raw text of a fixture (what a sender posts). */
export function eventFixtureText(name: string): string {
  return readFileSync(path.join(EVENTS_DIR, name), 'utf8');
}

export interface RecordingStarter {
  starter: PipelineStarter;
  calls: { route: RouteRule; event: ObjectCreatedEvent }[];
}

/**
 * A starter that records its calls and dedupes like Temporal would: the id comes from bucket, key
 * and version, and a second start of the same id reports `started: false`.
 */
export function recordingStarter(fail?: (route: RouteRule) => Error | undefined): RecordingStarter {
  const calls: RecordingStarter['calls'] = [];
  const seen = new Set<string>();
  const starter: PipelineStarter = async (route, event): Promise<PipelineStart> => {
    calls.push({ route, event });
    const error = fail?.(route);
    if (error) throw error;
    // The product's own id rule, so an expectation never copies a rule of this fake.
    const workflowId = workflowIdForEvent(route, event) ?? `${route.pipeline}/${event.bucket}/${event.key}@(no version)`;
    const started = !seen.has(workflowId);
    seen.add(workflowId);
    return { workflowId, started };
  };
  return { starter, calls };
}
