import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { callDeadline } from './call-deadline';
import { EndpointCallError, parsePrediction, type EndpointAnswer, type EndpointInvoker } from './endpoint-client';

/**
 * SageMaker Runtime's InvokeEndpoint (the aws backend), with the same timeout and error kinds as the
 * local runtime. It asks for JSON: the one response type both built-in algorithms speak (Linear
 * Learner has no text/csv response).
 */
export class AwsEndpointClient implements EndpointInvoker {
  constructor(
    private readonly runtime: SageMakerRuntimeClient,
    private readonly timeoutMs: number,
  ) {}

  async invoke(endpointName: string, csvRecord: string, inferenceId: string): Promise<EndpointAnswer> {
    const deadline = callDeadline(this.timeoutMs);
    const abortSignal = deadline.signal;
    let body: string;
    let variant: string | undefined;
    try {
      const out = await this.runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'text/csv', Accept: 'application/json', Body: Buffer.from(csvRecord), InferenceId: inferenceId }), { abortSignal });
      body = Buffer.from(out.Body ?? new Uint8Array()).toString('utf8');
      variant = out.InvokedProductionVariant || undefined;
    } catch (err) {
      if (abortSignal.aborted) throw new EndpointCallError(endpointName, `${endpointName} did not answer within ${this.timeoutMs} ms`, 'timeout');
      const name = (err as { name?: string }).name ?? '';
      // ModelError: the container answered with an error (SageMaker's 424).
      const kind = name === 'ModelError' || name === 'ModelNotReadyException' ? 'model-error' : 'unavailable';
      throw new EndpointCallError(endpointName, `${endpointName}: ${name ? `${name}: ` : ''}${(err as Error).message}`, kind);
    } finally {
      deadline.clear();
    }
    return { prediction: parsePrediction(endpointName, body), ...(variant ? { variant } : {}) };
  }

  async close(): Promise<void> {
    this.runtime.destroy();
  }
}
