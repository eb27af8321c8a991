import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { deploymentOverviews, listDeployments, parseDeploymentId } from '../../../../services/deployments/deployments';
import { fakeClient, type FakeRun } from '../../../helpers/fake-temporal-client';

const run = (workflowId: string, over: Partial<FakeRun> = {}): FakeRun => ({ type: 'endpointDeployment', workflowId, status: 'COMPLETED', queries: { deploymentState: { phase: 'completed' } }, ...over });

describe('services/deployments', () => {
  it('when a workflow id names a deployment, then its endpoint and version are read from it; anything else is not one', () => {
    assert.deepEqual(parseDeploymentId('deployment/mlops-penguins-hgb/v12'), { endpointName: 'mlops-penguins-hgb', version: 12 });
    for (const id of ['deployment/a/b/v1', 'deployment/-a/v1', 'training/x', 'deployment/a/v']) assert.equal(parseDeploymentId(id), undefined, id);
  });

  it('when listing for an endpoint, then only its deployments count toward the limit', async () => {
    const client = fakeClient([run('deployment/a/v1'), run('deployment/b/v1'), run('deployment/a/v2'), run('deployment/b/v2')]);
    assert.deepEqual((await listDeployments(client, { endpointName: 'a', limit: 5 })).map((d) => d.deployment), ['a/v2', 'a/v1']);
    assert.deepEqual((await listDeployments(client, { limit: 3 })).map((d) => [d.endpointName, d.version]), [['b', 2], ['a', 2], ['b', 1]]);
  });

  it('when a query runs out of time (no worker), then the other deployments are not asked and each row says why', async () => {
    const base = fakeClient([run('deployment/a/v1'), run('deployment/a/v2'), run('deployment/a/v3')]);
    const asked: string[] = [];
    const client = {
      ...base,
      workflow: {
        ...base.workflow,
        getHandle: (id: string) => ({
          query: () => {
            asked.push(id);
            return Promise.reject(Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), { code: 4 }));
          },
        }),
      },
    } as unknown as Client;
    const listed = await listDeployments(base, { limit: 10 });
    const rows = await deploymentOverviews(client, listed, { concurrency: 1, timeoutMs: 50 });
    assert.deepEqual(asked, ['deployment/a/v3']);
    assert.match(rows[0]!.problem ?? '', /could not be read: 4 DEADLINE_EXCEEDED/);
    for (const r of rows.slice(1)) assert.match(r.problem ?? '', /found no worker in time/);
    assert.ok(rows.every((r) => r.state === undefined));
  });
});
