import { modelKey } from './project';
import { joinUri, s3Uri } from './uri';

/**
 * Where a training run writes its artifacts, under one run-scoped prefix, so runs never overwrite
 * each other and a retried step rewrites exactly its own files.
 */
export function trainingRunLayout(bucket: string, runKey: string) {
  const root = s3Uri(bucket, `runs/training/${runKey}`);
  return {
    root,
    preprocessOutput: joinUri(root, 'preprocess'),
    train: joinUri(root, 'preprocess/train/'),
    validation: joinUri(root, 'preprocess/validation/'),
    test: joinUri(root, 'preprocess/test/'),
    schemaPrefix: joinUri(root, 'preprocess/schema/'),
    featureSchema: joinUri(root, 'preprocess/schema/feature-schema.json'),
    modelOutput: joinUri(root, 'models'),
    dataQualityBaseline: joinUri(root, 'baselines/data-quality/'),
    modelQualityBaseline: (family: string) => joinUri(root, `baselines/model-quality/${family}/`),
    /** Step 6: `<model>/<split>/` predictions (label,prediction) and `report/comparison.json`, per family. */
    comparison: (family: string, part: string) => joinUri(root, `comparison/${family}/${part}/`),
    /** The new training data checked against the family champion's data-quality baseline. */
    dataShift: (family: string) => joinUri(root, `data-shift/${family}/`),
  };
}

/** The two files of a Model Monitor baseline under its prefix (what step 7 writes and the registry points at). */
export function baselineFiles(prefix: string): { statisticsUri: string; constraintsUri: string } {
  return { statisticsUri: joinUri(prefix, 'statistics.json'), constraintsUri: joinUri(prefix, 'constraints.json') };
}

/** SageMaker's model artifact location: `<S3OutputPath>/<TrainingJobName>/output/model.tar.gz`. */
export function modelArtifactUri(outputPath: string, jobName: string): string {
  return joinUri(outputPath, jobName, 'output/model.tar.gz');
}

/**
 * Stable parameter-store names, so other pipelines find the current champion of a family:
 * `/mlops/<family>/...` in the demo project, `/mlops/<project>/<family>/...` in every other one.
 */
export const parameterNames = {
  latestModelName: (family: string, project?: string) => `/mlops/${modelKey(project, family)}/latest/model-name`,
  champion: (family: string, field: ChampionField, project?: string) => `/mlops/${modelKey(project, family)}/champion/${field}`,
  /** The whole champion record as one JSON value (written last, so readers never see a mix). */
  championRecord: (family: string, project?: string) => `/mlops/${modelKey(project, family)}/champion/record`,
  championPrefix: (family: string, project?: string) => `/mlops/${modelKey(project, family)}/champion/`,
};

export type ChampionField =
  | 'model-name'
  | 'model-version'
  | 'model-artifact-uri'
  | 'feature-schema-uri'
  | 'training-data-uri'
  | 'data-quality-statistics-uri'
  | 'data-quality-constraints-uri'
  | 'model-quality-statistics-uri'
  | 'model-quality-constraints-uri'
  | 'endpoint-name'
  | 'endpoint-config-name';
