import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Backend } from '../../activities/backends/types';
import { REPO_ROOT, taskQueuesOf } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { trainingWorkflowId } from '../../common/ids';
import { DATA_URI, MODEL_FAMILIES, OUTCOME, PIPELINE, projectAttribute } from '../../common/search-attributes';
import type { ApprovalPolicyName } from '../../common/types/approval';
import type { TrainingInput } from '../../common/types/training';
import type { trainingPipeline } from '../../workflows';
import { applyConfigFile, readTrainingConfigFile } from './config-file';
import { defaultTrainingConfig } from './defaults';
import { resolveDataObject } from '../data-object';
import { UsageError } from '../usage-error';
import { isDefaultProject } from '../../common/project';
import { loadProject } from '../projects/project-file';
import { projectTrainingConfig, putDatasetSpec } from '../projects/training-config';

export const DEMO_DATASET = path.join(REPO_ROOT, 'data', 'kbb-2005-gm-used-cars.csv');

export interface StartTrainingOptions {
  /** `s3://bucket/key`, or a local file that is first put into the bucket. Default: the project's training file (the demo dataset). */
  data?: string;
  /** A project of the stack (projects/<name>/project.yaml); absent: the demo run as before projects. */
  project?: string;
  configFile?: string;
  threshold?: number;
  /** Train again on a data version that already has a run. */
  newRun?: boolean;
  /** With `newRun`: names the run (`<id>/run-<runName>`) instead of the current time, so a retried start adopts its run. */
  runName?: string;
  /** Overrides the approval policy of the config. */
  approval?: ApprovalPolicyName;
  /** False: no endpoints (steps 9-10 are skipped). Default true. */
  deploy?: boolean;
  trigger: string;
  /**
   * The object version announced by an S3 event (versionId, ETag or sequencer), with an s3:// `data`:
   * it names the workflow id instead of a HEAD of the object, so a redelivered event maps to the same id.
   */
  version?: string;
}

export interface StartedTraining {
  handle: WorkflowHandle<typeof trainingPipeline>;
  workflowId: string;
  /** False when a run for this data version already existed and was reused. */
  started: boolean;
  dataUri: string;
}



/**
 * Starts a training run for one data version. The workflow id is derived from the object (bucket,
 * key, ETag), so starting twice for the same data returns the first run instead of a second one.
 */
export async function startTraining(client: Client, backend: Backend, config: Config, options: StartTrainingOptions): Promise<StartedTraining> {
  const loaded = options.project !== undefined ? await loadProject(config.projectsDir, options.project) : undefined;
  const project = loaded?.project;
  const named = project && !isDefaultProject(project.name) ? project.name : undefined;
  const defaultFile = project?.data?.training ? path.resolve(path.dirname(config.projectsDir), project.data.training) : DEMO_DATASET;
  // A project's local files go under `training/<project>/`, the prefix its webhook rule watches.
  const localPrefix = named ? `training/${named}` : 'training';
  const data = await resolveDataObject(backend, config, options.data, { localPrefix, defaultFile, ...(options.version ? { version: options.version } : {}) });
  let trainingConfig = project ? projectTrainingConfig(project, { bucket: config.bucket, taskQueues: taskQueuesOf(config) }) : defaultTrainingConfig(config.bucket, taskQueuesOf(config));
  if (project) trainingConfig.datasetSpecUri = await putDatasetSpec(backend.objectStore, config.bucket, project);
  if (options.configFile) trainingConfig = applyConfigFile(trainingConfig, await readTrainingConfigFile(options.configFile, trainingConfig.models.map((m) => m.family)));
  if (options.threshold !== undefined) trainingConfig.rmseThreshold = options.threshold;
  if (options.approval && trainingConfig.approval) trainingConfig.approval = { ...trainingConfig.approval, policy: options.approval };
  if (options.deploy === false) delete trainingConfig.deployment;
  if (trainingConfig.split.validationFraction + trainingConfig.split.testFraction >= 1) {
    throw new UsageError('split: validationFraction + testFraction must be below 1');
  }
  const input: TrainingInput = { dataUri: data.uri, config: trainingConfig, trigger: options.trigger };
  const object = { bucket: data.bucket, key: data.key, version: data.version };
  const workflowId = options.newRun ? trainingWorkflowId(object, options.runName ?? new Date().toISOString().replace(/[:.]/g, '-'), named) : trainingWorkflowId(object, undefined, named);
  try {
    const handle = await client.workflow.start('trainingPipeline', {
      taskQueue: trainingConfig.taskQueues.orchestration,
      workflowId,
      args: [input],
      // FAIL (not USE_EXISTING): the SDK drops the server's `started` flag with USE_EXISTING, and
      // a duplicate must be reported as such; the handle below reaches the existing run either way.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: PIPELINE, value: 'training' },
        { key: MODEL_FAMILIES, value: trainingConfig.models.map((m) => m.family) },
        { key: DATA_URI, value: data.uri },
        { key: OUTCOME, value: 'running' },
        projectAttribute(project?.name),
      ],
      memo: { trigger: options.trigger, dataUri: data.uri, config: trainingConfig, ...(named ? { project: named } : {}) },
      staticSummary: named ? `Training project ${named} on ${data.uri}` : `Training on ${data.uri}`,
    });
    return { handle: handle as WorkflowHandle<typeof trainingPipeline>, workflowId, started: true, dataUri: data.uri };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { handle: client.workflow.getHandle<typeof trainingPipeline>(workflowId), workflowId, started: false, dataUri: data.uri };
    }
    throw err;
  }
}
