import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { invalidInput } from '../../common/errors';
import { endpointName as endpointNameOf, runScopedName } from '../../common/ids';
import type { ModelDecision } from '../../common/types/model';
import type { RollbackInput, RollbackResult } from '../../common/types/rollback';
import { deployActivityOptions, quickActivityOptions, step } from '../shared/activity-options';
import { createOrUpdateEndpoint } from '../shared/endpoint-steps';
import { failureTypeOf, innermostMessage } from '../shared/failures';
import { PipelineRun } from '../shared/pipeline-run';

/**
 * Undo: an earlier version becomes the family's champion again, by the same steps a training run
 * takes to deploy one: its endpoint configuration, the endpoint's create-or-update (step 10), the
 * registry's decisions (the target approved again, the replaced champion rejected, both naming who
 * and why, earlier decisions kept), the export (monitoring follows the target's baselines; the
 * family's lifecycle is told), and a notification.
 */
export async function rollbackChampion(input: RollbackInput): Promise<RollbackResult> {
  if (!input.by?.trim()) throw invalidInput('rollback: who decides is required (--by NAME)');
  if (!input.reason?.trim()) throw invalidInput('rollback: a reason is required (--reason TEXT)');
  const queue = input.taskQueues.compute;
  // A project's rollback reads and writes its own registry group and champion; the demo's inputs carry no project, as before projects.
  const projectField = input.project ? { project: input.project } : {};
  const pipeline = new PipelineRun(queue, input.project);
  const quick = proxyActivities<Activities>(quickActivityOptions(queue));
  const deploy = proxyActivities<Activities>(deployActivityOptions(queue));
  const { family, by, reason } = input;
  pipeline.show(`**Rollback of ${family}** by ${by}: ${reason}`);
  try {
    const plan = await step(`check the rollback of ${family}${input.toVersion !== undefined ? ` to version ${input.toVersion}` : ''}`, quick.prepareRollback, {
      family,
      ...projectField,
      ...(input.toVersion !== undefined ? { toVersion: input.toVersion } : {}),
      force: input.force,
    });
    const { target, current } = plan;
    const from = current ? ` (from version ${current.version})` : '';
    pipeline.show(`**Rollback of ${family}** to version ${target.version}${from} by ${by}: ${reason}`);

    let endpoint: RollbackResult['endpoint'];
    if (input.deployment) {
      const endpointConfigName = runScopedName(['rollback-config', family, String(target.version)], pipeline.run);
      const name = current?.endpointName ?? endpointNameOf(input.deployment.endpointNamePrefix, family);
      await step(`step 9: endpoint configuration for ${family} v${target.version} with data capture`, quick.createEndpointConfig, {
        endpointConfigName,
        family,
        modelName: target.modelName,
        deployment: input.deployment,
      });
      const action = await createOrUpdateEndpoint({ quick, deploy }, { endpointName: name, endpointConfigName });
      endpoint = { endpointName: name, endpointConfigName, action };
    }

    const decidedAt = new Date().toISOString();
    const promoted: ModelDecision = {
      outcome: 'accepted',
      reason: `made champion again by ${by} (rollback${from}${target.status !== 'Approved' ? `, forced over its status ${target.status}` : ''}): ${reason}`,
      decidedBy: by,
      decidedAt,
    };
    await step(`record ${family} v${target.version} as approved again`, quick.recordModelDecision, { family, ...projectField, version: target.version, status: 'Approved', decision: promoted });
    if (current) {
      const replaced: ModelDecision = { outcome: 'rejected', reason: `rolled back by ${by} to version ${target.version}: ${reason}`, decidedBy: by, decidedAt };
      await step(`record ${family} v${current.version} as rolled back`, quick.recordModelDecision, { family, ...projectField, version: current.version, status: 'Rejected', decision: replaced });
    }
    const exportedParameters = await step(`step 11: export ${family} v${target.version} as the champion`, quick.exportChampionConfig, { family, ...projectField, version: target.version, ...(endpoint ? { endpointName: endpoint.endpointName, endpointConfigName: endpoint.endpointConfigName } : {}) });

    await pipeline.finish('rolled-back', {
      key: 'rolled-back',
      kind: 'model.rolled-back',
      severity: 'warning',
      subject: `${family}: version ${target.version} is the champion again${from}`,
      message: `${by} rolled ${family} back to version ${target.version}${from}: ${reason}.${endpoint ? ` Endpoint ${endpoint.endpointName} ${endpoint.action} to ${endpoint.endpointConfigName}.` : ''}`,
      details: { family, toVersion: target.version, fromVersion: current?.version ?? null, by, reason, forced: target.status !== 'Approved', endpoint: endpoint ?? null },
    });
    return { family, target, ...(current ? { current } : {}), ...(endpoint ? { endpoint } : {}), exportedParameters };
  } catch (err) {
    await pipeline.finish('failed', {
      key: 'rollback-failed',
      kind: 'model.rollback-failed',
      severity: 'error',
      subject: `${family}: rollback failed`,
      message: innermostMessage(err),
      details: { family, toVersion: input.toVersion ?? null, by, reason, failureType: failureTypeOf(err) ?? null },
    });
    throw err;
  }
}
