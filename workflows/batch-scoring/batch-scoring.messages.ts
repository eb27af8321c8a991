import { defineQuery } from '@temporalio/workflow';
import type { ScoringStage } from '../../common/types/scoring';

export const scoringProgressQuery = defineQuery<{ stage: ScoringStage; models: string[] }>('scoringProgress');
