import path from 'node:path';
import type { Backend } from '../types';
import { LocalJobRunner } from './job-runner';
import { LocalModelHosting } from './model-hosting';
import { LocalModelRegistry } from './model-registry';
import { LocalNotifier } from './notifier';
import { LocalObjectStore } from './object-store';
import { LocalParameterStore } from './parameter-store';

export interface LocalBackendOptions {
  home: string;
  python: string;
  algorithmsDir: string;
  notifyWebhookUrl?: string;
  /** Where the endpoint host listens (the stack starts it); without it the host finds changes by polling. */
  endpointHostUrl?: string;
}

/** The embedded backend: everything under one data dir, jobs as local processes. */
export function createLocalBackend(options: LocalBackendOptions): Backend {
  const objectStore = new LocalObjectStore(path.join(options.home, 'objects'));
  return {
    name: 'local',
    objectStore,
    jobs: new LocalJobRunner({ jobsRoot: path.join(options.home, 'jobs'), python: options.python, algorithmsDir: options.algorithmsDir, objectStore }),
    registry: new LocalModelRegistry(path.join(options.home, 'registry', 'model-registry.json')),
    parameters: new LocalParameterStore(path.join(options.home, 'registry', 'parameters.json')),
    notifier: new LocalNotifier({ outboxDir: path.join(options.home, 'outbox'), webhookUrl: options.notifyWebhookUrl }),
    hosting: new LocalModelHosting(path.join(options.home, 'registry', 'hosting.json'), options.endpointHostUrl),
  };
}
