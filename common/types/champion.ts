import type { AlgorithmSpec } from './algorithm';
import type { BaselineUris, ModelFamily } from './model';

/**
 * The champion of a model family: the accepted version other pipelines use, as the training
 * pipeline's step 11 exports it (SSM / the local parameter store under `/mlops/<family>/champion/`, `/mlops/<project>/<family>/champion/` outside the demo project).
 * The gateway finds its endpoint and feature schema here, batch scoring its artifact, monitoring
 * its baselines, the lifecycle its training data.
 */
export interface Champion {
  family: ModelFamily;
  /** The project; absent in the demo project's records. */
  project?: string;
  /** What serves it; absent: the built-in algorithm its family names. */
  algorithm?: AlgorithmSpec;
  modelName: string;
  modelVersion: number;
  modelArtifactUri: string;
  featureSchemaUri: string;
  /** The raw data the version was trained on (the lifecycle retrains on it). */
  trainingDataUri?: string;
  dataQualityBaseline?: BaselineUris;
  modelQualityBaseline?: BaselineUris;
  /** Absent when the run exported the model without deploying it (`--no-deploy`). */
  endpointName?: string;
  endpointConfigName?: string;
}
