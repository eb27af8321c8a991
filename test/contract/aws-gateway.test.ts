import assert from 'node:assert/strict';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { AwsEndpointClient } from '../../client/gateway/aws-endpoint-client';
import { EndpointCallError } from '../../client/gateway/endpoint-client';
import { MOTO_CREDENTIALS, MOTO_REGION, startMoto, type MotoServer } from '../helpers/moto';

/** The gateway's SageMaker Runtime client (aws backend) against moto's InvokeEndpoint over HTTP. */
describe('gateway on the aws backend: InvokeEndpoint through SageMaker Runtime (moto over HTTP)', function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let client: AwsEndpointClient;

  before(async () => {
    moto = await startMoto();
    await moto.reset();
    client = new AwsEndpointClient(new SageMakerRuntimeClient({ region: MOTO_REGION, endpoint: moto.url, credentials: MOTO_CREDENTIALS, maxAttempts: 1 }), 5000);
  });

  after(() => client?.close());

  /** moto answers InvokeEndpoint from a queue of canned results (it runs no model). */
  async function queueResults(bodies: string[], variant = 'AllTraffic'): Promise<void> {
    const response = await fetch(`${moto.url}/moto-api/static/sagemaker/endpoint-results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ results: bodies.map((Body) => ({ Body, ContentType: 'text/csv', InvokedProductionVariant: variant })) }),
    });
    assert.ok(response.ok, `moto refused the canned results: ${response.status}`);
  }

  it('when the endpoint answers a CSV prediction, then the gateway gets the number and the variant that served it', async () => {
    await queueResults(['15234.5\n'], 'model-xgboost-0123456789ab');
    assert.deepEqual(await client.invoke('mlops-xgboost', '20156,4,4,0,1,1,0,0,1,0,0,0,0,0,1,0,0', 'inference-1'), { prediction: 15234.5, variant: 'model-xgboost-0123456789ab' });
  });

  it('when the model answers NaN, then the call fails as non-finite (the gateway then asks whether the record was out of range)', async () => {
    await queueResults(['{"predictions": [{"score": NaN}]}']);
    await assert.rejects(client.invoke('mlops-linear-learner', '1,2,3', 'inference-4'), (err: unknown) => err instanceof EndpointCallError && err.kind === 'non-finite');
  });

  it('when the endpoint answers something that is not a number, then it is a model error naming the endpoint', async () => {
    await queueResults(['<html>oops</html>']);
    await assert.rejects(client.invoke('mlops-linear-learner', '1,2,3', 'inference-2'), (err: unknown) => err instanceof EndpointCallError && err.kind === 'model-error' && /mlops-linear-learner/.test(err.message));
  });

  it('when the runtime is unreachable, then the call fails as unavailable (the gateway answers degraded or 503)', async () => {
    const down = new AwsEndpointClient(new SageMakerRuntimeClient({ region: MOTO_REGION, endpoint: 'http://127.0.0.1:9', credentials: MOTO_CREDENTIALS, maxAttempts: 1 }), 2000);
    await assert.rejects(down.invoke('mlops-xgboost', '1,2,3', 'inference-3'), (err: unknown) => err instanceof EndpointCallError && err.kind === 'unavailable');
    await down.close();
  });
});
