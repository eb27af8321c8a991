import { Pool } from 'undici';
import { callDeadline } from './call-deadline';

/**
 * Why an endpoint gave no prediction: shown to the caller when the gateway answers degraded.
 * `non-finite`: the model answered NaN or an infinity, the caller's fault when the record was out
 * of the training range, the endpoint's otherwise.
 */
export class EndpointCallError extends Error {
  constructor(
    readonly endpointName: string,
    message: string,
    readonly kind: 'timeout' | 'unavailable' | 'model-error' | 'non-finite',
  ) {
    super(message);
    this.name = 'EndpointCallError';
  }
}

/** One invocation's answer: the prediction and the production variant that served it (SageMaker's InvokedProductionVariant). */
export interface EndpointAnswer {
  prediction: number;
  variant?: string;
}

/** What the gateway needs from a runtime: one CSV record in, one prediction and who made it out. */
export interface EndpointInvoker {
  invoke(endpointName: string, csvRecord: string, inferenceId: string): Promise<EndpointAnswer>;
  close(): Promise<void>;
}

const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/**
 * Built-in algorithms answer one value per line (or comma separated): the first is the
 * prediction. A NaN or an infinity (Python spells them NaN, Infinity, inf) is the model's answer,
 * told apart from an answer that is no number at all.
 */
export function parsePrediction(endpointName: string, text: string): number {
  const first = text.trimStart().startsWith('{') ? jsonScore(text) : text.split(/[\n,]/)[0]!.trim();
  const value = first === undefined || first === '' ? Number.NaN : Number(first);
  if (Number.isFinite(value)) return value;
  if (first !== undefined && (NON_FINITE.test(first) || /^[+-]?(\d|\.\d)/.test(first))) {
    throw new EndpointCallError(endpointName, `${endpointName} answered ${first}, not a finite number`, 'non-finite');
  }
  throw new EndpointCallError(endpointName, `${endpointName} answered '${text.slice(0, 100)}', not a number`, 'model-error');
}

/** The first score's text in a built-in algorithm's JSON answer: `{"predictions": [{"score": v}]}` or `{"score": v}`. */
function jsonScore(text: string): string | undefined {
  try {
    // Python's json writes NaN and Infinity bare, which JSON.parse refuses.
    const doc = JSON.parse(text.replace(/:\s*(-?Infinity|NaN)\b/g, ':"$1"')) as { predictions?: { score?: unknown }[]; score?: unknown };
    const score = doc.predictions ? doc.predictions[0]?.score : doc.score;
    return typeof score === 'number' || typeof score === 'string' ? String(score) : undefined;
  } catch {
    return undefined;
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

  async invoke(endpointName: string, csvRecord: string, inferenceId: string): Promise<EndpointAnswer> {
    const deadline = callDeadline(this.timeoutMs);
    try {
      return await this.call(endpointName, csvRecord, inferenceId, deadline.signal);
    } finally {
      deadline.clear();
    }
  }

  private async call(endpointName: string, csvRecord: string, inferenceId: string, signal: AbortSignal): Promise<EndpointAnswer> {
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
    const variant = response.headers['x-amzn-invoked-production-variant'];
    return { prediction: parsePrediction(endpointName, text), ...(typeof variant === 'string' && variant ? { variant } : {}) };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
