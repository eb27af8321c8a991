import { defineQuery } from '@temporalio/workflow';
import type { TrainingProgress } from '../../common/types/training';

/** What the run is doing now, per model: read by `mlops train --wait` and the UI's query tab. */
export const trainingProgressQuery = defineQuery<TrainingProgress>('trainingProgress');
