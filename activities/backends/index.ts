import path from 'node:path';
import { stackPorts, type Config } from '../../common/config/schema';
import { REPO_ROOT } from '../../common/config/parse';
import type { Backend } from './types';
import { createLocalBackend } from './local';

/** Picks the backend named by the configuration. Only this file and `workers/` import a backend folder. */
export function createBackend(config: Config): Backend {
  switch (config.backend) {
    case 'local':
      return createLocalBackend({
        home: config.home,
        python: config.python,
        algorithmsDir: path.join(REPO_ROOT, 'algorithms'),
        notifyWebhookUrl: config.notifyWebhookUrl,
        endpointHostUrl: `http://127.0.0.1:${stackPorts(config.portBase).endpointHost}`,
      });
    case 'aws':
      throw new Error('MLOPS_BACKEND=aws: the AWS backend is not available in this version; use MLOPS_BACKEND=local');
  }
}
