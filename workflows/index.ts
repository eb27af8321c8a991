/** The workflow bundle's entry: every workflow of the project, by name. */
export { trainingPipeline } from './training/training.workflow';
export { batchScoringPipeline } from './batch-scoring/batch-scoring.workflow';
export { modelLifecycle } from './lifecycle/model-lifecycle.workflow';
export { monitoringPipeline } from './monitoring/monitoring.workflow';
export { rollbackChampion } from './rollback/rollback.workflow';
export { endpointDeployment } from './deployment/deployment.workflow';
