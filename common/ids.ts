/**
 * Deterministic identifiers. Pure functions only: workflow code imports this file, so no Node
 * APIs (no `crypto`) may appear here.
 */
import { utf8ByteLength } from './object-keys';
import { DEFAULT_PROJECT, modelKey } from './project';

/** SageMaker's rule for job, endpoint and config names: 1-63 chars, alphanumeric ends, hyphens inside. */
export const SAGEMAKER_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
export const SAGEMAKER_NAME_MAX_LENGTH = 63;

/**
 * A 64-bit FNV-1a hash as 16 hex characters. Not cryptographic: it only has to make names
 * unique per run and stable across replays and retries.
 */
export function stableHash(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * prime) & mask;
  }
  return hash.toString(16).padStart(16, '0');
}

/** Lower-case, hyphen-separated slug that is safe inside a SageMaker name. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * A SageMaker-valid name `<prefix>-<parts...>-<hash12>` for a step of one workflow run. The hash
 * covers the run, so a retried activity gets the same name (and adopts its job), while a new run
 * of the same workflow id never adopts an old run's job.
 */
export function runScopedName(parts: string[], run: { workflowId: string; runId: string }): string {
  const suffix = stableHash(`${run.workflowId}\u0000${run.runId}\u0000${parts.join('/')}`).slice(0, 12);
  const room = SAGEMAKER_NAME_MAX_LENGTH - suffix.length - 1;
  const head = slug(parts.join('-')).slice(0, room).replace(/-+$/g, '');
  // Parts with nothing to slug (no ASCII letters or digits) leave only the hash, which is valid.
  const name = head ? `${head}-${suffix}` : suffix;
  if (!SAGEMAKER_NAME_PATTERN.test(name)) {
    throw new Error(`internal: generated name '${name}' does not follow SageMaker's naming rule`);
  }
  return name;
}

/** A short key for one run, used as the folder of every artifact the run writes. */
export function runKey(run: { workflowId: string; runId: string }): string {
  return stableHash(`${run.workflowId}\u0000${run.runId}`).slice(0, 16);
}

/** Temporal's default limit on ids (`limit.maxIDLength`), which the server checks in UTF-8 bytes. */
export const MAX_WORKFLOW_ID_BYTES = 1000;

/** `~` and 16 hex characters: what a bounded id ends with. */
const ID_HASH_SUFFIX_BYTES = 17;

/**
 * A workflow id built from names a request chose (an object key), made safe for Temporal:
 * control characters are escaped as `%XX` (so no id holds a newline), a lone surrogate becomes
 * U+FFFD (ids are UTF-8), and an id over MAX_WORKFLOW_ID_BYTES keeps a readable head cut at a
 * character boundary. Whenever anything was escaped or cut, `~<stableHash of the raw id>` is
 * appended, so two raw ids never collapse into one; an id that needs neither is returned as is.
 */
export function boundedWorkflowId(raw: string): string {
  let escaped = '';
  let changed = false;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      escaped += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
      changed = true;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < raw.length && raw.charCodeAt(i + 1) >= 0xdc00 && raw.charCodeAt(i + 1) <= 0xdfff) {
      escaped += raw[i]! + raw[i + 1]!;
      i += 1;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      escaped += '\ufffd';
      changed = true;
    } else {
      escaped += raw[i]!;
    }
  }
  if (!changed && utf8ByteLength(escaped) <= MAX_WORKFLOW_ID_BYTES) return escaped;
  const suffix = `~${stableHash(raw)}`;
  return `${utf8Prefix(escaped, MAX_WORKFLOW_ID_BYTES - ID_HASH_SUFFIX_BYTES)}${suffix}`;
}

/** The longest prefix of a well-formed string within `maxBytes` UTF-8 bytes, never splitting a character. */
function utf8Prefix(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    const pair = code >= 0xd800 && code <= 0xdbff && end + 1 < text.length;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + width > maxBytes) break;
    bytes += width;
    end += pair ? 2 : 1;
  }
  return text.slice(0, end);
}

/** What a data-started run is named by: the object version, and for a deliberate re-run its name. */
export interface DataObjectVersion {
  bucket: string;
  key: string;
  version: string;
}

/**
 * The workflow id of a training run started by a data object. Bucket, key and version (or ETag)
 * identify the object version, so a redelivered event maps to the same id and starts nothing new.
 * `runName` names a deliberate second run on the same version (`<id>/run-<runName>`).
 */
export function trainingWorkflowId(object: DataObjectVersion, runName?: string, project?: string): string {
  // Another project's run on the same object is another run: its id names the project (the demo's keeps its id).
  const scope = project === undefined || project === DEFAULT_PROJECT ? '' : `${project}:`;
  return boundedWorkflowId(`training/${scope}${object.bucket}/${object.key}@${object.version}${runName !== undefined ? `/run-${runName}` : ''}`);
}

/** Job names of the training pipeline, one per run and step. */
export const trainingJobNames = {
  preprocess: (run: RunRef) => runScopedName(['preprocess'], run),
  train: (run: RunRef, family: string) => runScopedName(['train', family], run),
  dataQualityBaseline: (run: RunRef) => runScopedName(['baseline-data'], run),
  modelQualityBaseline: (run: RunRef, family: string) => runScopedName(['baseline-model', family], run),
  model: (run: RunRef, family: string) => runScopedName(['model', family], run),
  endpointConfig: (run: RunRef, family: string) => runScopedName(['endpoint-config', family], run),
  /** Step 6: one model ('challenger' or 'champion') scoring one split ('validation' or 'test'). */
  scoreForComparison: (run: RunRef, family: string, model: 'challenger' | 'champion', split: 'validation' | 'test') => runScopedName(['compare', family, model, split], run),
  comparison: (run: RunRef, family: string) => runScopedName(['compare', family], run),
  /** The new training data against the family champion's data-quality baseline. */
  dataShift: (run: RunRef, family: string) => runScopedName(['data-shift', family], run),
};

/**
 * A SageMaker name from parts joined by `-` (endpoints, model package groups): as it is when it
 * fits SageMaker's 63 characters, else cut and ended with 8 hex characters of a hash of the whole,
 * so two long names that share a head never collapse into one.
 */
export function sagemakerName(parts: string[]): string {
  const full = parts.map(slug).filter(Boolean).join('-');
  if (full.length <= SAGEMAKER_NAME_MAX_LENGTH && SAGEMAKER_NAME_PATTERN.test(full)) return full;
  const hash = stableHash(full).slice(0, 8);
  const head = full.slice(0, SAGEMAKER_NAME_MAX_LENGTH - hash.length - 1).replace(/-+$/g, '');
  const name = head ? `${head}-${hash}` : hash;
  if (!SAGEMAKER_NAME_PATTERN.test(name)) throw new Error(`internal: generated name '${name}' does not follow SageMaker's naming rule`);
  return name;
}

/**
 * The endpoint of a model family: stable across runs, so a new champion updates it in place. The
 * prefix carries the project outside the demo project (`mlops-<project>`, common/project.ts); a
 * name longer than 63 characters is shortened with a hash (names that fit are unchanged).
 */
export function endpointName(prefix: string, family: string): string {
  return sagemakerName([prefix, family]);
}

/** The workflow id of a scoring run started by a data object (same rule as training). */
export function scoringWorkflowId(object: DataObjectVersion, runName?: string, project?: string): string {
  const scope = project === undefined || project === DEFAULT_PROJECT ? '' : `${project}:`;
  return boundedWorkflowId(`scoring/${scope}${object.bucket}/${object.key}@${object.version}${runName !== undefined ? `/run-${runName}` : ''}`);
}

/** Job names of the batch scoring pipeline. */
export const scoringJobNames = {
  preprocess: (run: RunRef, index: number) => runScopedName(['score-prep', String(index)], run),
  transform: (run: RunRef, family: string) => runScopedName(['transform', family], run),
};

/** Job names of the monitoring pipeline. */
export const monitoringJobNames = {
  dataQuality: (run: RunRef, family: string, source: string) => runScopedName(['monitor-data', family, source], run),
  modelQuality: (run: RunRef, family: string) => runScopedName(['monitor-model', family], run),
};

export interface RunRef {
  workflowId: string;
  runId: string;
}

/**
 * The workflow id of a rollback: the family, the champion it replaces and the version it promotes,
 * so repeating the same command (a retried CLI call) finds the first run instead of a second one.
 */
export function rollbackWorkflowId(family: string, fromVersion: number | undefined, toVersion: number | undefined, project?: string): string {
  return `rollback/${modelKey(project, family)}/from-${fromVersion === undefined ? 'none' : `v${fromVersion}`}/to-${toVersion === undefined ? 'previous' : `v${toVersion}`}`;
}

/** The workflow id of a model family's long-lived lifecycle workflow: one per project and family (`lifecycle/<family>` in the demo project). */
export function lifecycleWorkflowId(family: string, project?: string): string {
  return `lifecycle/${modelKey(project, family)}`;
}
