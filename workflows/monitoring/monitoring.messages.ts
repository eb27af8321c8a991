import { defineQuery } from '@temporalio/workflow';

export type MonitoringStage = 'resolving-model' | 'consolidating' | 'checking' | 'evaluating' | 'completed' | 'failed';

export const monitoringProgressQuery = defineQuery<{ stage: MonitoringStage }>('monitoringProgress');
