import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Backend } from '../../activities/backends/types';
import { REPO_ROOT, taskQueuesOf } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { scoringWorkflowId } from '../../common/ids';
import { DATA_URI, OUTCOME, PIPELINE, projectAttribute } from '../../common/search-attributes';
import type { ModelFamily } from '../../common/types/model';
import type { ScoringConfig, ScoringInput } from '../../common/types/scoring';
import type { batchScoringPipeline } from '../../workflows';
import { resolveDataObject } from '../data-object';
import { isDefaultProject, projectUri } from '../../common/project';
import { loadProject } from '../projects/project-file';
import { UsageError } from '../usage-error';

export const DEMO_SCORING_FILE = path.join(REPO_ROOT, 'data', 'scoring-sample.csv');

export function defaultScoringConfig(config: Config): ScoringConfig {
  return {
    bucket: config.bucket,
    outputPrefix: `s3://${config.bucket}/scored`,
    captureUri: `s3://${config.bucket}/capture/batch`,
    // No idColumns: every column of the file that is neither a feature nor the label passes around
    // the model to the output; the workflow sets the transform's filters from the feature count.
    generateInferenceId: true,
    resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
    maxJobRuntimeSeconds: 3600,
    taskQueues: taskQueuesOf(config),
  };
}

export interface StartScoringOptions {
  /** `s3://bucket/key` or a local CSV (put into `s3://<bucket>/scoring/<name>` first). */
  data?: string;
  families?: ModelFamily[];
  /** The project whose champions score the file (absent: the demo project). */
  project?: string;
  /** The columns joined back to each prediction (ScoringConfig.idColumns); default every non-feature column but the label. */
  idColumns?: string[];
  newRun?: boolean;
  /** The object version when the caller knows it (an S3 event); otherwise read from the store. */
  version?: string;
  trigger: string;
}

/** Starts a scoring run once per data version (`scoring/<bucket>/<key>@<etag>`). */
export async function startScoring(client: Client, backend: Backend, config: Config, options: StartScoringOptions): Promise<{ handle: WorkflowHandle<typeof batchScoringPipeline>; workflowId: string; started: boolean; dataUri: string }> {
  const project = options.project !== undefined ? (await loadProject(config.projectsDir, options.project)).project : undefined;
  const named = project && !isDefaultProject(project.name) ? project.name : undefined;
  const families = project?.algorithms.map((a) => a.name);
  const unknown = options.families?.find((f) => families && !families.includes(f));
  if (unknown !== undefined) throw new UsageError(`unknown model family '${unknown}' of project ${project!.name} (its families: ${families!.join(', ')})`);
  if (named && options.data === undefined && !project?.data?.scoring) throw new UsageError(`name the file to score: project ${named} has no data.scoring file`);
  const defaultFile = project?.data?.scoring ? path.resolve(path.dirname(config.projectsDir), project.data.scoring) : DEMO_SCORING_FILE;
  const localPrefix = named ? `scoring/${named}` : 'scoring';
  const data = await resolveDataObject(backend, config, options.data, { localPrefix, defaultFile, ...(options.version ? { version: options.version } : {}) });
  const base = defaultScoringConfig(config);
  const scoringConfig: ScoringConfig = {
    ...base,
    // A project's outputs and capture under its own prefix (the demo keeps today's).
    ...(named ? { project: named, outputPrefix: projectUri(base.outputPrefix, named), captureUri: projectUri(base.captureUri, named) } : {}),
    ...(options.families ? { families: options.families } : {}),
    ...(options.idColumns ? { idColumns: options.idColumns } : {}),
  };
  const input: ScoringInput = { dataUri: data.uri, config: scoringConfig, trigger: options.trigger };
  const object = { bucket: data.bucket, key: data.key, version: data.version };
  const workflowId = options.newRun ? scoringWorkflowId(object, new Date().toISOString().replace(/[:.]/g, '-'), named) : scoringWorkflowId(object, undefined, named);
  try {
    const handle = await client.workflow.start('batchScoringPipeline', {
      taskQueue: scoringConfig.taskQueues.orchestration,
      workflowId,
      args: [input],
      // FAIL (not USE_EXISTING): the SDK drops the server's `started` flag with USE_EXISTING, and
      // a duplicate must be reported as such; the handle below reaches the existing run either way.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: PIPELINE, value: 'scoring' },
        { key: DATA_URI, value: data.uri },
        { key: OUTCOME, value: 'running' },
        projectAttribute(project?.name),
      ],
      memo: { trigger: options.trigger, dataUri: data.uri, config: scoringConfig, ...(named ? { project: named } : {}) },
      staticSummary: named ? `Batch scoring of ${data.uri} for project ${named}` : `Batch scoring of ${data.uri}`,
    });
    return { handle: handle as WorkflowHandle<typeof batchScoringPipeline>, workflowId, started: true, dataUri: data.uri };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { handle: client.workflow.getHandle<typeof batchScoringPipeline>(workflowId), workflowId, started: false, dataUri: data.uri };
    throw err;
  }
}
