import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { parseConfig, REPO_ROOT } from '../../../common/config/parse';
import type { ModelLifecycleInput } from '../../../common/types/lifecycle';
import type { DriftAlert } from '../../../common/types/monitoring';
import { signalChampionChanged, signalDriftAlert } from '../../../services/lifecycle/ensure';

/** A client that records what signalWithStart was asked (the only call these starters make). */
function recordingClient(): { client: Client; calls: { workflowId: string; args: ModelLifecycleInput[] }[] } {
  const calls: { workflowId: string; args: ModelLifecycleInput[] }[] = [];
  const client = {
    workflow: {
      signalWithStart: async (_type: string, options: { workflowId: string; args: ModelLifecycleInput[] }) => {
        calls.push({ workflowId: options.workflowId, args: options.args });
        return { workflowId: options.workflowId };
      },
    },
  } as unknown as Client;
  return { client, calls };
}

const ALERT: DriftAlert = {
  family: 'xgboost',
  modelVersion: 1,
  modelName: 'm',
  monitoringWorkflowId: 'monitoring-x',
  monitoringRunId: 'r',
  windowStart: '2026-03-02T10:00:00Z',
  windowEnd: '2026-03-02T11:00:00Z',
  kinds: ['data'],
  violations: [],
  reportUri: 's3://mlops/r',
  detectedAt: '2026-03-02T11:00:00Z',
} as unknown as DriftAlert;

describe('services/lifecycle/ensure', () => {
  const config = parseConfig({ MLOPS_HOME: '/tmp/mlops-unit' }, REPO_ROOT);

  it("when a project's model drifts or gets a champion, then its own lifecycle (lifecycle/<project>/<family>) gets it, started with the project in its input; the demo's keeps lifecycle/<family>", async () => {
    const { client, calls } = recordingClient();

    await signalDriftAlert(client, config, { ...ALERT, project: 'penguins' });
    await signalChampionChanged(client, config, { family: 'xgboost', project: 'penguins', version: 2, modelName: 'm2', at: '2026-03-02T12:00:00Z' });
    await signalDriftAlert(client, config, ALERT);

    assert.deepEqual(calls.map((c) => [c.workflowId, c.args[0]!.project]), [
      ['lifecycle/penguins/xgboost', 'penguins'],
      ['lifecycle/penguins/xgboost', 'penguins'],
      ['lifecycle/xgboost', undefined],
    ]);
  });
});
