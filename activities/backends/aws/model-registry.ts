import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  SearchCommand,
  UpdateModelPackageCommand,
  type DescribeModelPackageCommandOutput,
  type ModelMetrics,
  type ModelPackage,
  type ModelPackageSummary,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { ListModelPackageGroupsCommand } from '@aws-sdk/client-sagemaker';
import { sagemakerName } from '../../../common/ids';
import { isDefaultProject, projectOf } from '../../../common/project';
import type { BaselineUris, ModelApprovalStatus, ModelFamily, ModelVersion } from '../../../common/types/model';
import { algorithmImage, type ModelRegistry, type ModelVersionPatch, type RegisterModelVersionInput } from '../types';
import { call, isAlreadyExists, isErrorNamed, isSageMakerNotFound, toActivityError } from './aws-errors';
import { tagList, type AwsControls } from './controls';
import { algorithmImageUri, builtInContract, type AwsImages } from './images';

/** The fields of a model package the registry reads (DescribeModelPackage's answer, or Search's ModelPackage). */
type PackageFields = Pick<ModelPackage, 'ModelPackageArn' | 'ModelPackageVersion' | 'ModelApprovalStatus' | 'CreationTime' | 'CustomerMetadataProperties'>;

export class AwsRegistryNotFoundError extends Error {
  constructor(family: string, version: number) {
    super(`no version ${version} of model family '${family}' in the registry`);
    this.name = 'RegistryNotFoundError';
  }
}

/**
 * The fields of a ModelVersion SageMaker has no place for (workflow ids, metrics, decision,
 * baselines, hyperparameters...) are kept with the version itself, in its
 * CustomerMetadataProperties. SageMaker allows at most 50 properties of at most 256 characters
 * from letters, digits, spaces and `_.:/=+-@` (no JSON punctuation), so the record is stored as
 * gzipped JSON in base64 (whose alphabet fits), cut into 256-character values under
 * `mlops:record:<i>`, with the count under `mlops:record-chunks` (about 11 KB of compressed JSON
 * fits; a record is typically well under 1 KB). Keeping them on the model package rather than in
 * SSM or S3 means one source of truth and no second write that could fail halfway. Version
 * number, approval status and creation time are SageMaker's own (ModelPackageVersion,
 * ModelApprovalStatus, CreationTime); `mlops:training-job` is there for people reading the console.
 */
type StoredRecord = Omit<ModelVersion, 'family' | 'version' | 'status' | 'createdAt'> & { family?: ModelFamily };

const CHUNK = 256;
const CHUNKS_KEY = 'mlops:record-chunks';
const chunkKey = (i: number) => `mlops:record:${i}`;
const MAX_CHUNKS = 45; // SageMaker allows 50 properties

export function encodeRecord(record: StoredRecord): Record<string, string> {
  const text = gzipSync(Buffer.from(JSON.stringify(record), 'utf8')).toString('base64');
  const count = Math.max(1, Math.ceil(text.length / CHUNK));
  if (count > MAX_CHUNKS) throw new Error(`model version record of ${record.trainingJobName} is too large for the registry (${text.length} base64 characters compressed)`);
  const out: Record<string, string> = { [CHUNKS_KEY]: String(count), 'mlops:training-job': record.trainingJobName };
  for (let i = 0; i < count; i++) out[chunkKey(i)] = text.slice(i * CHUNK, (i + 1) * CHUNK);
  return out;
}

export function decodeRecord(properties: Record<string, string> | undefined): StoredRecord | undefined {
  const count = Number(properties?.[CHUNKS_KEY]);
  if (!properties || !Number.isInteger(count) || count < 1) return undefined;
  let text = '';
  for (let i = 0; i < count; i++) text += properties[chunkKey(i)] ?? '';
  try {
    return JSON.parse(gunzipSync(Buffer.from(text, 'base64')).toString('utf8')) as StoredRecord;
  } catch {
    return undefined;
  }
}

/** The model registry on SageMaker: one model package group per family, one model package per version. */
export class AwsModelRegistry implements ModelRegistry {
  private readonly knownGroups = new Set<string>();

  constructor(
    private readonly sagemaker: SageMakerClient,
    private readonly options: { namePrefix: string; images: AwsImages; controls?: AwsControls },
  ) {}

  /**
   * `<prefix>-<family>` in the demo project, `<prefix>-<project>-<family>` in the others, within
   * SageMaker's 63 characters (a longer name ends with a hash of the whole: sagemakerName).
   */
  groupName(family: ModelFamily, project?: string): string {
    return sagemakerName(isDefaultProject(project) ? [this.options.namePrefix, family] : [this.options.namePrefix, projectOf(project), family]);
  }

  async registerVersion(input: RegisterModelVersionInput): Promise<ModelVersion> {
    const { project } = input;
    const group = await this.ensureGroup(input.family, project);
    const existing = (await this.summaries(input.family, project)).find((s) => s.ModelPackageDescription === description(input.trainingJobName));
    if (existing?.ModelPackageArn) return this.describeOwn(input.family, existing.ModelPackageArn);
    const now = new Date().toISOString();
    const { expectedBaselines, project: _project, ...fields } = input;
    const image = algorithmImage(input.family, input.algorithm);
    const imageUri = algorithmImageUri(this.options.images, image);
    const contract = builtInContract(image, imageUri);
    const record: StoredRecord = { ...fields, ...(isDefaultProject(project) ? {} : { project: projectOf(project) }), updatedAt: now };
    const out = await call(`SageMaker CreateModelPackage in ${group}`, () =>
      this.sagemaker.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: group,
          ModelPackageDescription: description(input.trainingJobName),
          // Same training job, same token: SageMaker returns the package a concurrent attempt created.
          ClientToken: createHash('sha256').update(`${group}/${input.trainingJobName}`).digest('hex').slice(0, 36),
          ModelApprovalStatus: 'PendingManualApproval',
          InferenceSpecification: {
            Containers: [{ Image: imageUri, ModelDataUrl: input.artifactUri }],
            SupportedContentTypes: ['text/csv'],
            // What the serving container answers: built-in Linear Learner has no text/csv response.
            SupportedResponseMIMETypes: contract ? [...contract.accepts] : ['text/csv'],
          },
          ...(expectedBaselines ? { ModelMetrics: modelMetrics(expectedBaselines) } : {}),
          CustomerMetadataProperties: encodeRecord(record),
          Tags: tagList(this.options.controls ?? {}, { 'mlops:training-job': input.trainingJobName, 'mlops:family': input.family, 'mlops:project': projectOf(project) }),
        }),
      ),
    );
    if (!out.ModelPackageArn) throw new Error(`SageMaker CreateModelPackage in ${group} returned no ARN`);
    return this.describeOwn(input.family, out.ModelPackageArn);
  }

  /** A version the project did not register (made by hand or in Studio) is not one of its versions: undefined. */
  async getVersion(family: ModelFamily, version: number, project?: string): Promise<ModelVersion | undefined> {
    const found = (await this.summaries(family, project)).find((s) => s.ModelPackageVersion === version);
    return found?.ModelPackageArn ? toVersion(family, await this.raw(found.ModelPackageArn)) : undefined;
  }

  /**
   * Every version of the project in the groups, without a Describe call per version: ListModelPackages
   * (consistent) says which packages exist and their approval status, one Search page per 100
   * packages brings their records. Search is eventually consistent, so a package it does not have
   * yet, or has with another approval status, is described on its own. Packages the project did not
   * register are skipped.
   */
  async listVersions(family?: ModelFamily, project?: string): Promise<ModelVersion[]> {
    // Without a family: every group under the prefix; each version's record names its project and family.
    const groups = family ? [{ group: this.groupName(family, project), family }] : (await this.groupsUnderPrefix()).map((group) => ({ group, family: undefined }));
    const versions: ModelVersion[] = [];
    for (const { group, family: f } of groups) {
      const summaries = await this.summariesOf(group);
      if (summaries.length === 0) continue;
      const searched = await this.searchGroup(group);
      for (const s of summaries) {
        if (!s.ModelPackageArn) continue;
        const hit = searched.get(s.ModelPackageArn);
        const fields = hit && hit.ModelApprovalStatus === s.ModelApprovalStatus ? hit : await this.raw(s.ModelPackageArn);
        // Records written before projects name no family: their group is `<prefix>-<family>` of the demo project.
        const version = toVersion(f ?? decodeRecord(fields.CustomerMetadataProperties)?.family ?? group.slice(this.options.namePrefix.length + 1), fields);
        if (version && projectOf(version.project) === projectOf(project)) versions.push(version);
      }
    }
    return versions.sort((a, b) => a.family.localeCompare(b.family) || a.version - b.version);
  }

  /** The model package groups whose names start with the prefix (ListModelPackageGroups, all pages). */
  private async groupsUnderPrefix(): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await call('SageMaker ListModelPackageGroups', () =>
        this.sagemaker.send(new ListModelPackageGroupsCommand({ NameContains: this.options.namePrefix, MaxResults: 100, ...(token ? { NextToken: token } : {}) })),
      );
      for (const g of page.ModelPackageGroupSummaryList ?? []) if (g.ModelPackageGroupName?.startsWith(`${this.options.namePrefix}-`)) out.push(g.ModelPackageGroupName);
      token = page.NextToken || undefined;
    } while (token);
    return out.sort();
  }

  async updateVersion(family: ModelFamily, version: number, patch: ModelVersionPatch, project?: string): Promise<ModelVersion> {
    const found = (await this.summaries(family, project)).find((s) => s.ModelPackageVersion === version);
    if (!found?.ModelPackageArn) throw new AwsRegistryNotFoundError(family, version);
    const arn = found.ModelPackageArn;
    const raw = await this.raw(arn);
    const current = toVersion(family, raw);
    if (!current) throw new AwsRegistryNotFoundError(family, version);
    const next: ModelVersion = { ...current, updatedAt: new Date().toISOString() };
    if (patch.status) next.status = patch.status;
    if (patch.decision) {
      if (current.decision && JSON.stringify(current.decision) !== JSON.stringify(patch.decision)) next.previousDecisions = [...(current.previousDecisions ?? []), current.decision];
      next.decision = patch.decision;
    }
    if (patch.metrics) next.metrics = patch.metrics;
    if (patch.governance) next.governance = patch.governance;
    if (patch.baselines) next.baselines = { ...current.baselines, ...patch.baselines };
    const { version: _v, status: _s, createdAt: _c, ...record } = next;
    const properties = encodeRecord(record);
    const previousChunks = Number(raw.CustomerMetadataProperties?.[CHUNKS_KEY] ?? 0);
    const stale = Array.from({ length: Math.max(0, previousChunks - Number(properties[CHUNKS_KEY])) }, (_, i) => chunkKey(Number(properties[CHUNKS_KEY]) + i));
    await call(`SageMaker UpdateModelPackage ${arn}`, () =>
      this.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: arn,
          ModelApprovalStatus: next.status,
          ...(patch.decision ? { ApprovalDescription: patch.decision.reason.slice(0, 1000) } : {}),
          CustomerMetadataProperties: properties,
          ...(stale.length ? { CustomerMetadataPropertiesToRemove: stale } : {}),
        }),
      ),
    );
    return this.describeOwn(family, arn);
  }

  private async ensureGroup(family: ModelFamily, project?: string): Promise<string> {
    const name = this.groupName(family, project);
    if (this.knownGroups.has(name)) return name;
    try {
      await this.sagemaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: name }));
    } catch (err) {
      if (!isSageMakerNotFound(err)) throw toActivityError(err, `SageMaker DescribeModelPackageGroup ${name}`);
      try {
        await this.sagemaker.send(
          new CreateModelPackageGroupCommand({
            ModelPackageGroupName: name,
            ModelPackageGroupDescription: `temporal-mlops: versions of the ${family} model family of project ${projectOf(project)}`,
            Tags: tagList(this.options.controls ?? {}, { 'mlops:family': family, 'mlops:project': projectOf(project) }),
          }),
        );
      } catch (createErr) {
        if (!isAlreadyExists(createErr)) throw toActivityError(createErr, `SageMaker CreateModelPackageGroup ${name}`);
      }
    }
    this.knownGroups.add(name);
    return name;
  }

  /** Every package of the family's group (all pages); none when the group does not exist yet. */
  private summaries(family: ModelFamily, project?: string): Promise<ModelPackageSummary[]> {
    return this.summariesOf(this.groupName(family, project));
  }

  private async summariesOf(group: string): Promise<ModelPackageSummary[]> {
    const out: ModelPackageSummary[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, ModelPackageType: 'Versioned', MaxResults: 100, ...(token ? { NextToken: token } : {}) }));
        out.push(...(page.ModelPackageSummaryList ?? []));
        token = page.NextToken || undefined;
      } while (token);
    } catch (err) {
      if (isSageMakerNotFound(err)) return [];
      throw toActivityError(err, `SageMaker ListModelPackages ${group}`);
    }
    return out;
  }

  private async raw(arn: string): Promise<DescribeModelPackageCommandOutput> {
    return call(`SageMaker DescribeModelPackage ${arn}`, () => this.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn })));
  }

  /** Every package of the group with its record, by ARN (Search, all pages); empty when Search is not allowed. */
  private async searchGroup(group: string): Promise<Map<string, PackageFields>> {
    const out = new Map<string, PackageFields>();
    let token: string | undefined;
    try {
      do {
        const page = await this.sagemaker.send(
          new SearchCommand({
            Resource: 'ModelPackage',
            SearchExpression: { Filters: [{ Name: 'ModelPackageGroupName', Operator: 'Equals', Value: group }] },
            MaxResults: 100,
            ...(token ? { NextToken: token } : {}),
          }),
        );
        for (const r of page.Results ?? []) if (r.ModelPackage?.ModelPackageArn) out.set(r.ModelPackage.ModelPackageArn, r.ModelPackage);
        token = page.NextToken || undefined;
      } while (token);
    } catch (err) {
      // Without sagemaker:Search every package is described (slower, still right).
      if (isErrorNamed(err, 'AccessDeniedException', 'AccessDenied')) return out;
      throw toActivityError(err, `SageMaker Search ModelPackage in ${group}`);
    }
    return out;
  }

  /** A package the project registered itself (register and update only ever see those). */
  private async describeOwn(family: ModelFamily, arn: string): Promise<ModelVersion> {
    const version = toVersion(family, await this.raw(arn));
    if (!version) throw new Error(`model package ${arn} was not registered by temporal-mlops (no record in its CustomerMetadataProperties)`);
    return version;
  }
}

/** The version a package holds, or undefined for a package the project did not register. */
function toVersion(family: ModelFamily, d: PackageFields): ModelVersion | undefined {
  const record = decodeRecord(d.CustomerMetadataProperties);
  if (!record || typeof record.trainingJobName !== 'string') return undefined;
  const createdAt = (d.CreationTime ?? new Date()).toISOString();
  const { family: _recorded, ...fields } = record;
  return {
    family,
    version: d.ModelPackageVersion ?? 0,
    ...fields,
    status: (d.ModelApprovalStatus ?? 'PendingManualApproval') as ModelApprovalStatus,
    createdAt,
    // SageMaker stamps CreationTime after the record was written: never report an update before it.
    updatedAt: record.updatedAt > createdAt ? record.updatedAt : createdAt,
  };
}

/** ModelMetrics in SageMaker's terms: the model-quality and data-quality baselines (Model Monitor's JSON). */
function modelMetrics(baselines: { dataQuality: BaselineUris; modelQuality: BaselineUris }): ModelMetrics {
  const source = (S3Uri: string) => ({ ContentType: 'application/json', S3Uri });
  return {
    ModelQuality: { Statistics: source(baselines.modelQuality.statisticsUri), Constraints: source(baselines.modelQuality.constraintsUri) },
    ModelDataQuality: { Statistics: source(baselines.dataQuality.statisticsUri), Constraints: source(baselines.dataQuality.constraintsUri) },
  };
}

function description(trainingJobName: string): string {
  return `temporal-mlops model trained by training job ${trainingJobName}`;
}
