import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { CommanderError } from 'commander';
import { InvalidObjectKeyError } from '../../../activities/backends/errors';
import { ErrorType } from '../../../common/errors';
import { EdgeError, ERROR_TYPE_KIND, EXIT, exitCodeOf, toEdgeProblem } from '../../../client/edge-errors';
import { PayloadError } from '../../../client/gateway/feature-vector';
import { SnsRejectedError } from '../../../client/webhook/sns-signature';
import { TemporalUnavailableError } from '../../../client/temporal';
import { UsageError } from '../../../services/usage-error';

const ctx = { service: 'gateway', maxBodyBytes: 1024 };

describe('client/edge-errors: one mapping for every edge', () => {
  it('when a run failed with a project failure type, then every ErrorType has a status and an exit code, found along the cause chain', () => {
    for (const type of Object.values(ErrorType)) {
      const failure = ApplicationFailure.nonRetryable(`it broke: ${type}`, type);
      const wrapped = new WorkflowFailedError('Workflow execution failed', failure, 'NON_RETRYABLE_FAILURE');
      const p = toEdgeProblem(wrapped, ctx);
      assert.equal(p.kind, ERROR_TYPE_KIND[type], type);
      assert.deepEqual(p.body, { error: type, message: `it broke: ${type}` });
    }
    assert.equal(toEdgeProblem(ApplicationFailure.nonRetryable('no', ErrorType.NotFound), ctx).status, 404);
    assert.equal(toEdgeProblem(ApplicationFailure.nonRetryable('no', ErrorType.DatasetSchemaInvalid), ctx).status, 422);
    assert.equal(exitCodeOf(ApplicationFailure.nonRetryable('busy', ErrorType.Conflict)), EXIT.usage);
    assert.equal(exitCodeOf(ApplicationFailure.nonRetryable('job', ErrorType.JobFailed)), EXIT.failed);
  });

  it('when an edge raised its own error, then its kind decides both the status and the exit code', () => {
    const p = toEdgeProblem(new PayloadError("record 0, field 'Mileage': is required"), ctx);
    assert.deepEqual([p.status, p.exitCode, p.body.error], [400, 2, 'InvalidPayload']);
    const sns = toEdgeProblem(new SnsRejectedError('expired', true), ctx);
    assert.deepEqual([sns.status, sns.body.error], [403, 'Expired']);
    const detailed = toEdgeProblem(new EdgeError('unavailable', 'EndpointUnavailable', 'down', { unavailable: ['xgboost'] }), ctx);
    assert.deepEqual([detailed.status, detailed.exitCode, detailed.body.details], [503, 3, { unavailable: ['xgboost'] }]);
  });

  it('when the user asked for something wrong, then exit 2; when the stack is unreachable, exit 3; commander help exits 0', () => {
    assert.equal(exitCodeOf(new UsageError('--data: no such file')), 2);
    assert.equal(exitCodeOf(new InvalidObjectKeyError('s3://b/../x', "'..' segment")), 2);
    assert.equal(exitCodeOf(new TemporalUnavailableError('127.0.0.1:7233', new Error('refused'))), 3);
    assert.equal(exitCodeOf(new CommanderError(0, 'commander.helpDisplayed', '')), 0);
    assert.equal(exitCodeOf(new CommanderError(1, 'commander.unknownOption', "unknown option '--x'")), 2);
  });

  it('when anything else fails, then it is internal: 500 and exit 1, the answer says only where to look', () => {
    const p = toEdgeProblem(new Error('EACCES /home/secret/registry.json'), ctx);
    assert.deepEqual([p.status, p.exitCode, p.internal], [500, 1, true]);
    assert.deepEqual(p.body, { error: 'InternalError', message: 'the gateway failed; see its log' });
  });

  it('when the HTTP framework refused the body, then 413 names the limit and other 4xx keep their status', () => {
    assert.equal(toEdgeProblem(Object.assign(new Error('too big'), { statusCode: 413 }), ctx).body.message, 'the body exceeds 1024 bytes');
    assert.equal(toEdgeProblem(Object.assign(new Error('bad json'), { statusCode: 400 }), ctx).status, 400);
  });
});
