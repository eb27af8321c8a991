import path from 'node:path';
import type { Backend, ObjectStore } from '../types';
import { LocalJobRunner } from './job-runner';
import { LocalEndpointMetrics } from './endpoint-metrics';
import { LocalEndpointAutoscaling, LocalModelHosting } from './model-hosting';
import { LocalModelRegistry } from './model-registry';
import { LocalNotifier } from './notifier';
import { LocalObjectStore } from './object-store';
import { LocalParameterStore } from './parameter-store';
import { ReadThroughObjectStore } from './read-through-object-store';

export interface LocalBackendOptions {
  home: string;
  python: string;
  algorithmsDir: string;
  /** Python processes as forks of the warm fork server (MLOPS_FORK_SERVER; default on). */
  forkServer?: boolean;
  notifyWebhookUrl?: string;
  /** Where the endpoint host listens (the stack starts it); without it the host finds changes by polling and no metrics are read. */
  endpointHostUrl?: string;
  /** Where the gateway listens: its /metrics feeds the prediction-sanity alarm of deployments. */
  gatewayUrl?: string;
  /** The job runner service that owns the jobs' processes (MLOPS_JOB_RUNNER_URL); unset: this process spawns them. */
  jobRunnerUrl?: string;
  /** An S3-compatible store whose objects are imported on first read (MLOPS_S3_UPSTREAM_ENDPOINT). */
  upstreamObjectStore?: ObjectStore;
}

/** Where the local backend keeps each thing under its data dir (shared by the backend and the endpoint host). */
export function localPaths(home: string) {
  return { objects: path.join(home, 'objects'), hostingState: path.join(home, 'registry', 'hosting.json') };
}

/** The embedded backend: everything under one data dir, jobs as local processes. */
export function createLocalBackend(options: LocalBackendOptions): Backend {
  const root = localPaths(options.home).objects;
  const objectStore = options.upstreamObjectStore ? new ReadThroughObjectStore(root, options.upstreamObjectStore) : new LocalObjectStore(root);
  return {
    name: 'local',
    objectStore,
    jobs: new LocalJobRunner({
      jobsRoot: path.join(options.home, 'jobs'),
      python: options.python,
      algorithmsDir: options.algorithmsDir,
      forkServer: options.forkServer,
      objectStore,
      ...(options.jobRunnerUrl ? { runnerUrl: options.jobRunnerUrl } : {}),
    }),
    registry: new LocalModelRegistry(path.join(options.home, 'registry', 'model-registry.json')),
    parameters: new LocalParameterStore(path.join(options.home, 'registry', 'parameters.json')),
    notifier: new LocalNotifier({ outboxDir: path.join(options.home, 'outbox'), webhookUrl: options.notifyWebhookUrl }),
    hosting: new LocalModelHosting(localPaths(options.home).hostingState, options.endpointHostUrl),
    autoscaling: new LocalEndpointAutoscaling(localPaths(options.home).hostingState),
    ...(options.endpointHostUrl ? { endpointMetrics: new LocalEndpointMetrics(options.endpointHostUrl, options.gatewayUrl) } : {}),
  };
}
