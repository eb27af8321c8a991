import { parseConfig } from '../common/config/parse';
import { runService } from '../client/shared/service-process';
import { startJobRunner } from '../hosting/job-runner/job-runner-service';

/**
 * The job runner process (the `job-runner` service of docker-compose.yml): owns the local backend's
 * job processes for every worker that has MLOPS_JOB_RUNNER_URL (hosting/job-runner/). SIGTERM ends
 * its jobs and releases its lease; the workers start those jobs again through the next instance.
 */
runService('job-runner', async () => {
  const config = parseConfig();
  return startJobRunner(config, { log: (m) => console.log(`${new Date().toISOString()} ${m}`) });
});
