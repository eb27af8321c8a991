import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { objectKeyProblem } from '../../../common/object-keys';
import { parseS3Uri, s3Uri } from '../../../common/uri';
import { temporalUiUrl } from '../../temporal';
import { UsageError } from '../../../services/usage-error';
import { resolveWebhookCredentials, SIGNATURE_HEADER, signBody } from '../../webhook/auth';
import { minioEscapeKey } from '../../webhook/event-schemas';
import type { CliContext } from '../context';
import { StackUnreachableError } from '../../edge-errors';
import { printJson } from '../output';

/** The webhook of the local stack does not answer: the object is written, nothing was started (exit 3). */
export class WebhookUnavailableError extends StackUnreachableError {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookUnavailableError';
  }
}

interface WebhookAnswer {
  runs?: { workflowId: string; started: boolean; queued?: boolean; pipeline: string }[];
  ignored?: boolean | { key?: string; reason: string }[];
  reason?: string;
  error?: string;
  message?: string;
}

export function registerDataCommands(program: Command, ctx: CliContext): void {
  const data = program.command('data').description('objects in the bucket of the local stack');
  data
    .command('put <file> <uri>')
    .description(
      'write FILE to s3://bucket/key in the local object store and notify the webhook as MinIO would (so the routing rules start a pipeline: training/*.csv trains by default). ' +
        'A key ending in / gets the file name appended.',
    )
    .option('--json', 'print one JSON object: the object written and the webhook\'s answer')
    .action(async (file: string, uri: string, options: { json?: boolean }) => {
      const stat = await fs.stat(file).catch(() => undefined);
      if (!stat?.isFile()) throw new UsageError(`${file}: not a file`);
      let location;
      try {
        location = parseS3Uri(uri);
      } catch (err) {
        throw new UsageError(`${uri}: ${(err as Error).message} (expected s3://bucket/key)`);
      }
      const bucket = location.bucket;
      const key = location.key.endsWith('/') ? `${location.key}${path.basename(file)}` : location.key;
      // The same rule the webhook applies at its door: a key it would refuse is bad usage here.
      const problem = objectKeyProblem(key);
      if (problem) throw new UsageError(`${uri}: ${problem}`);
      const objectUri = s3Uri(bucket, key);
      const meta = await ctx.backend.objectStore.putFile(objectUri, file, { contentType: contentTypeOf(file) });
      const object = { uri: objectUri, size: meta.size, etag: meta.etag };
      if (!options.json) console.error(`wrote ${objectUri} (${meta.size} bytes, ETag ${meta.etag})`);

      const url = `${ctx.config.webhookUrl}/hooks/minio`;
      const body = JSON.stringify(minioEvent(bucket, key, meta));
      const credentials = await resolveWebhookCredentials(ctx.config, { create: false });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
      else if (credentials.hmacSecret) headers[SIGNATURE_HEADER] = signBody(body, credentials.hmacSecret);
      else throw new WebhookUnavailableError(`${objectUri} is written, but no run was started: there is no webhook token yet (${credentials.tokenFile}); start the stack with 'mlops stack up'`);
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
      } catch {
        throw new WebhookUnavailableError(`${objectUri} is written, but the webhook at ${url} is not reachable, so no run was started: start the stack with 'mlops stack up', then put the file again`);
      }
      const answer = (await response.json().catch(() => ({}))) as WebhookAnswer;
      if (!response.ok) {
        const message = `${objectUri} is written, but the webhook answered ${response.status}: ${answer.message ?? JSON.stringify(answer)}`;
        // 400/413/422: the webhook refused this object's event (its key or size breaks a rule): bad usage.
        throw [400, 413, 422].includes(response.status) ? new UsageError(message) : new Error(message);
      }
      if (options.json) return printJson({ object, webhook: { status: response.status, ...answer } });
      for (const run of answer.runs ?? []) {
        const state = run.queued ? 'accepted (starts in a moment, or joins the run that exists):' : run.started ? 'started' : 'already exists:';
        console.log(`${state} ${run.pipeline} run ${run.workflowId}`);
        console.log(`  Temporal UI: ${temporalUiUrl(ctx.config, run.workflowId)}`);
      }
      if (!answer.runs?.length) console.log(`no run started: ${answer.reason ?? 'ignored by the webhook'}`);
    });
}

/** One MinIO bucket notification (what MinIO POSTs to a webhook target) for a new object. */
export function minioEvent(bucket: string, key: string, meta: { size: number; etag: string; contentType?: string }, now: Date = new Date()) {
  // MinIO's sequencer is a hex timestamp; nanoseconds here, so two puts of one key are ordered.
  const sequencer = (BigInt(now.getTime()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n).toString(16).toUpperCase();
  return {
    EventName: 's3:ObjectCreated:Put',
    Key: `${bucket}/${key}`,
    Records: [
      {
        eventVersion: '2.0',
        eventSource: 'minio:s3',
        awsRegion: '',
        eventTime: now.toISOString(),
        eventName: 's3:ObjectCreated:Put',
        userIdentity: { principalId: 'mlops-cli' },
        requestParameters: { principalId: 'mlops-cli', region: '', sourceIPAddress: '127.0.0.1' },
        responseElements: {},
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'mlops-data-put',
          bucket: { name: bucket, ownerIdentity: { principalId: 'mlops-cli' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: minioEscapeKey(key), size: meta.size, eTag: meta.etag, contentType: meta.contentType ?? 'application/octet-stream', sequencer },
        },
        source: { host: '127.0.0.1', port: '', userAgent: 'mlops-cli' },
      },
    ],
  };
}

function contentTypeOf(file: string): string {
  const ext = path.extname(file).toLowerCase();
  return ext === '.csv' ? 'text/csv' : ext === '.json' ? 'application/json' : ext === '.jsonl' ? 'application/jsonlines' : 'application/octet-stream';
}
