import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Backend } from '../../activities/backends/types';
import { readInsightRows } from '../../activities/insights/parquet';
import { createConsolidationActivities } from '../../activities/monitoring/consolidate';
import { writeChampion } from '../../activities/registry/champion-store';
import { storeGroundTruth } from '../../client/gateway/ground-truth';
import { defaultMonitoringConfig } from '../../client/schedules/monitoring-schedule';
import { parseConfig } from '../../common/config/parse';
import { runKey } from '../../common/ids';
import { projectOf } from '../../common/project';
import type { MonitoringConfig } from '../../common/types/monitoring';
import { joinUri } from '../../common/uri';
import { runInActivity } from '../helpers/activity-env';
import { BOTH_PROJECTS, contractSuite, type ProjectNames } from './backends';

const HOUR = 3_600_000;

/** The monitoring locations of a project as schedules and run-now give them (captures, ground truth, reports, bookmarks). */
function monitoringOf(project: string): MonitoringConfig {
  return defaultMonitoringConfig(parseConfig({ MLOPS_HOME: '/nonexistent', MLOPS_BUCKET: 'mlops' }), project);
}

/** A settled real-time capture file of the endpoint, as data capture names it. */
function captureFileUri(config: MonitoringConfig, endpoint: string, at: number): string {
  const [date, time] = new Date(at).toISOString().split('T') as [string, string];
  const [y, m, d] = date.split('-') as [string, string, string];
  const [hh, mm, ss] = time.slice(0, 8).split(':') as [string, string, string];
  return joinUri(config.captureUri, endpoint, 'AllTraffic', y, m, d, hh, `${mm}-${ss}-000-${randomUUID()}.jsonl`);
}

function captureLine(inferenceId: string, at: number): string {
  return JSON.stringify({
    captureData: {
      endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '1,2,3', encoding: 'CSV' },
      endpointOutput: { observedContentType: 'text/csv', mode: 'OUTPUT', data: '42', encoding: 'CSV' },
    },
    eventMetadata: { eventId: randomUUID(), inferenceId, inferenceTime: new Date(at).toISOString() },
    eventVersion: '0',
  });
}

/**
 * What one project's runs leave for monitoring: its champion (with baselines and endpoint), a
 * real-time capture file of its endpoint, a batch capture file and a ground-truth file, each
 * under the project's own roots. Returns the objects written.
 */
async function seedProject(backend: Backend, project: string, names: ProjectNames, at: number): Promise<string[]> {
  const config = monitoringOf(project);
  const endpoint = names.endpoint('xgboost');
  await writeChampion(backend.parameters, {
    family: 'xgboost',
    ...names.field,
    modelName: `model-${project}`,
    modelVersion: 1,
    modelArtifactUri: `s3://mlops/m/${project}/model.tar.gz`,
    featureSchemaUri: `s3://mlops/m/${project}/feature-schema.json`,
    endpointName: endpoint,
    dataQualityBaseline: { statisticsUri: `s3://mlops/b/${project}/statistics.json`, constraintsUri: `s3://mlops/b/${project}/constraints.json` },
    modelQualityBaseline: { statisticsUri: `s3://mlops/b/${project}/mq-statistics.json`, constraintsUri: `s3://mlops/b/${project}/mq-constraints.json` },
  });
  const capture = captureFileUri(config, endpoint, at);
  await backend.objectStore.put(capture, `${[0, 1, 2].map((i) => captureLine(`${project}-${i}`, at)).join('\n')}\n`);
  const batch = joinUri(config.batchCaptureUri, 'xgboost', `scoring-${project}`, 'data.captured.csv');
  await backend.objectStore.put(batch, 'a,b,prediction\n1,2,42\n');
  const labels = await storeGroundTruth(backend.objectStore, config.groundTruthUri, [0, 1, 2].map((i) => ({ inferenceId: `${project}-${i}`, groundTruth: 40 + i })), new Date(at + 60_000));
  return [capture, batch, labels];
}

/**
 * Issue 15, "nothing shared by accident": two projects monitor a family of the same name on one
 * backend. Step 1 of monitoring (the real consolidateCapture activity) run for one project claims
 * only its own capture, batch capture and labels, keeps its bookmark and copies under its own
 * monitoring prefix, and records inference volumes under its project; the other project's run
 * still finds all of its own files afterwards. Runs for the demo project and a second one, so each
 * direction is checked on both backends.
 */
contractSuite(
  'contract: monitoring prefixes and bookmarks per project',
  (target, _kind, p) => {
    it("when two projects monitor the same family, then each run claims, bookmarks and copies only its own project's captures and labels", async () => {
      const { backend, names, other, otherNames } = target();
      const at = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR + 5 * 60_000;
      const mine = await seedProject(backend, p, names, at);
      const theirs = await seedProject(backend, other, otherNames, at);
      const consolidation = createConsolidationActivities(backend);

      const run = async (project: string, n: number) => {
        const config = monitoringOf(project);
        const execution = { workflowId: `monitoring-${project}-xgboost/${n}`, runId: randomUUID() };
        const env = new MockActivityEnvironment({ workflowExecution: execution }, { logger: new DefaultLogger('ERROR') });
        const model = await consolidation.resolveMonitoredModel({ family: 'xgboost', project });
        const consolidated = await runInActivity(env, () => consolidation.consolidateCapture({ family: 'xgboost', model, config, runKey: runKey(execution) }));
        return { config, model, consolidated };
      };

      const first = await run(p, 1);
      assert.equal(first.model.modelName, `model-${p}`);
      assert.equal(first.consolidated.filesRead, 2, JSON.stringify(first.consolidated));
      assert.equal(first.consolidated.groundTruthFilesRead, 1);
      for (const prefix of [first.consolidated.realtimePrefix, first.consolidated.batchPrefix, first.consolidated.groundTruthPrefix]) assert.ok(prefix?.startsWith(`${first.config.outputUri}/xgboost/`), `${prefix} under ${first.config.outputUri}`);
      const bookmark = JSON.parse((await backend.objectStore.get(joinUri(first.config.outputUri, 'xgboost', 'bookmark.json'))).toString('utf8')) as { capture: Record<string, unknown>; groundTruth: Record<string, unknown> };
      assert.deepEqual([...Object.keys(bookmark.capture), ...Object.keys(bookmark.groundTruth)].sort(), [...mine].sort());
      // The other project's files are where it left them, unclaimed.
      for (const uri of theirs) assert.ok(await backend.objectStore.head(uri), uri);

      const second = await run(other, 2);
      assert.notEqual(second.config.outputUri, first.config.outputUri);
      assert.equal(second.consolidated.filesRead, 2, `the other project's run still finds its own files: ${JSON.stringify(second.consolidated)}`);
      assert.equal(second.consolidated.groundTruthFilesRead, 1);
      const copied = await backend.objectStore.list(`${second.config.outputUri}/xgboost/`);
      assert.ok(copied.some((u) => u.endsWith('.jsonl')) && copied.every((u) => !u.includes(`model-${p}`)), copied.join('\n'));
      assert.equal((await run(p, 3)).consolidated.filesRead, 0, 'nothing new for the first project');

      const volumes = await readInsightRows(backend.objectStore, 'mlops', 'inference_volumes');
      assert.deepEqual(
        volumes.map((r) => [r.project, r.endpoint_name, r.requests]).sort(),
        [
          [projectOf(p), names.endpoint('xgboost'), 3],
          [projectOf(other), otherNames.endpoint('xgboost'), 3],
        ].sort(),
      );
    });
  },
  { projects: BOTH_PROJECTS },
);
