import { Pool } from 'undici';

/** Why an endpoint gave no prediction: shown to the caller when the gateway answers degraded. */
export class EndpointCallError extends Error {
  constructor(
    readonly endpointName: string,
    message: string,
    readonly kind: 'timeout' | 'unavailable' | 'model-error',
  ) {
    super(message);
    this.name = 'EndpointCallError';
  }
}

/** What the gateway needs from a runtime: one CSV record in, one prediction out. */
export interface EndpointInvoker {
  invoke(endpointName: string, csvRecord: string, inferenceId: string): Promise<number>;
  close(): Promise<void>;
}

/** Built-in algorithms answer one value per line (or comma separated): the first is the prediction. */
export function parsePrediction(endpointName: string, text: string): number {
  const value = text.trimStart().startsWith('{') ? jsonScore(text) : Number(text.split(/[\n,]/)[0]!.trim());
  if (!Number.isFinite(value)) throw new EndpointCallError(endpointName, `${endpointName} answered '${text.slice(0, 100)}', not a number`, 'model-error');
  return value;
}

/** The first score of a built-in algorithm's JSON answer: `{"predictions": [{"score": v}]}` or `{"score": v}`. */
function jsonScore(text: string): number {
  try {
    const doc = JSON.parse(text) as { predictions?: { score?: unknown }[]; score?: unknown };
    const score = doc.predictions ? doc.predictions[0]?.score : doc.score;
    return typeof score === 'number' ? score : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * InvokeEndpoint over a keep-alive pool (the local endpoint host speaks SageMaker's runtime API):
 * one CSV record in, one number out, bounded by a timeout so the gateway never hangs.
 */
export class EndpointClient implements EndpointInvoker {
  private readonly pool: Pool;

  constructor(
    runtimeUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.pool = new Pool(runtimeUrl, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  async invoke(endpointName: string, csvRecord: string, inferenceId: string): Promise<number> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response;
    try {
      response = await this.pool.request({
        method: 'POST',
        path: `/endpoints/${encodeURIComponent(endpointName)}/invocations`,
        headers: { 'content-type': 'text/csv', accept: 'text/csv', 'x-amzn-sagemaker-inference-id': inferenceId },
        body: csvRecord,
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw new EndpointCallError(endpointName, `${endpointName} did not answer within ${this.timeoutMs} ms`, 'timeout');
      throw new EndpointCallError(endpointName, `${endpointName} is unreachable: ${(err as Error).message}`, 'unavailable');
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch {
      throw new EndpointCallError(endpointName, `${endpointName} did not answer within ${this.timeoutMs} ms`, 'timeout');
    }
    if (response.statusCode !== 200) {
      const kind = response.statusCode === 424 ? 'model-error' : 'unavailable';
      throw new EndpointCallError(endpointName, `${endpointName} answered ${response.statusCode}: ${text.slice(0, 300)}`, kind);
    }
    return parsePrediction(endpointName, text);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
