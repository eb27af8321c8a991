import path from 'node:path';
import { LocalObjectStore } from '../activities/backends/local/object-store';
import { localPaths } from '../activities/backends/local';
import { REPO_ROOT } from '../common/config/parse';
import type { Config } from '../common/config/schema';
import { EndpointHost, type EndpointHostOptions } from './endpoint-host/endpoint-host';

/**
 * The local endpoint host (the local backend's SageMaker hosting) over the same data dir as the
 * backend whose control plane it serves: the hosting state it reconciles and the object store it
 * reads models from and writes capture to.
 */
export function createEndpointHost(config: Config, options: Pick<EndpointHostOptions, 'readyTimeoutMs' | 'log'> = {}): EndpointHost {
  const paths = localPaths(config.home);
  return new EndpointHost({
    home: config.home,
    python: config.python,
    algorithmsDir: path.join(REPO_ROOT, 'algorithms'),
    forkServer: config.forkServer,
    ...options,
    store: new LocalObjectStore(paths.objects),
    stateFile: paths.hostingState,
  });
}
