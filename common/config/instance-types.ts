import { ProcessingInstanceType, ProductionVariantInstanceType, TrainingInstanceType, TransformInstanceType } from '@aws-sdk/client-sagemaker';

/**
 * The SageMaker job kinds that take an instance type, each with its own list: SageMaker answers a
 * ValidationException for a type outside the list of that kind (e.g. `ml.t3.medium` is a
 * processing and training type but not a transform type). The lists are the AWS SDK's own enums
 * (`TrainingInstanceType`, `ProcessingInstanceType`, `TransformInstanceType`,
 * `ProductionVariantInstanceType` of @aws-sdk/client-sagemaker), so they follow the pinned SDK.
 */
export type InstanceKind = 'training' | 'processing' | 'transform' | 'endpoint';

const VALID: Record<InstanceKind, ReadonlySet<string>> = {
  training: new Set(Object.values(TrainingInstanceType)),
  processing: new Set(Object.values(ProcessingInstanceType)),
  transform: new Set(Object.values(TransformInstanceType)),
  endpoint: new Set(Object.values(ProductionVariantInstanceType)),
};

/** Defaults per kind: the smallest general-purpose type each kind accepts that runs the demo. */
export const DEFAULT_INSTANCE_TYPES: Record<InstanceKind, string> = {
  training: 'ml.m5.large',
  processing: 'ml.t3.medium',
  transform: 'ml.m5.large',
  endpoint: 'ml.m5.large',
};

export function isInstanceType(kind: InstanceKind, instanceType: string): boolean {
  return VALID[kind].has(instanceType);
}

export function instanceTypesOf(kind: InstanceKind): readonly string[] {
  return [...VALID[kind]].sort();
}

/** A short message naming the setting when the type is not one of that kind, else undefined. */
export function instanceTypeProblem(kind: InstanceKind, instanceType: string, setting: string): string | undefined {
  if (isInstanceType(kind, instanceType)) return undefined;
  const family = /^ml\.([a-z0-9]+)\./.exec(instanceType)?.[1];
  const sameFamily = family ? instanceTypesOf(kind).filter((t) => t.startsWith(`ml.${family}.`)) : [];
  const hint = sameFamily.length ? `; ${kind} types of that family: ${sameFamily.slice(0, 6).join(', ')}` : `; e.g. ${DEFAULT_INSTANCE_TYPES[kind]}`;
  return `${setting}: '${instanceType}' is not a SageMaker ${kind} instance type${hint}`;
}

/** Every instance type of a training configuration with the kind of job it runs, named as the settings are. */
export interface InstanceTypeUse {
  kind: InstanceKind;
  instanceType: string;
  setting: string;
}

export function trainingConfigInstanceTypes(config: {
  models: { family: string; resources: { instanceType: string } }[];
  preprocessing: { resources: { instanceType: string } };
  baselines: { resources: { instanceType: string }; transformResources?: { instanceType: string } };
  deployment?: { instanceType: string };
}): InstanceTypeUse[] {
  return [
    ...config.models.map((m) => ({ kind: 'training' as const, instanceType: m.resources.instanceType, setting: `models.${m.family}.instanceType` })),
    { kind: 'processing', instanceType: config.preprocessing.resources.instanceType, setting: 'preprocessing.instanceType' },
    { kind: 'processing', instanceType: config.baselines.resources.instanceType, setting: 'baselines.instanceType' },
    ...(config.baselines.transformResources ? [{ kind: 'transform' as const, instanceType: config.baselines.transformResources.instanceType, setting: 'baselines.transformInstanceType' }] : []),
    ...(config.deployment ? [{ kind: 'endpoint' as const, instanceType: config.deployment.instanceType, setting: 'deployment.instanceType' }] : []),
  ];
}

/** The problems of a training configuration's instance types (empty when every one fits its job kind). */
export function trainingConfigInstanceTypeProblems(config: Parameters<typeof trainingConfigInstanceTypes>[0]): string[] {
  return trainingConfigInstanceTypes(config)
    .map((u) => instanceTypeProblem(u.kind, u.instanceType, u.setting))
    .filter((p): p is string => p !== undefined);
}
