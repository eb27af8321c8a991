import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { PreprocessResult } from '../../activities/training/preprocess';
import type { trainingRunLayout } from '../../common/artifacts';
import type { BaselineUris, ModelFamily } from '../../common/types/model';
import type { ModelStage, TrainingInput } from '../../common/types/training';
import type { PipelineRun } from '../shared/pipeline-run';
import type { ApprovalBoard } from './approval';

/** What every model branch of one run shares. */
export interface BranchContext {
  pipeline: PipelineRun;
  input: TrainingInput;
  layout: ReturnType<typeof trainingRunLayout>;
  prep: PreprocessResult;
  /** Step 7a, started before the branches: every branch awaits the same baseline. */
  dataQualityBaseline: Promise<BaselineUris>;
  approvals: ApprovalBoard;
  setStage: (family: ModelFamily, stage: ModelStage) => void;
  /** Activity proxies by timeout class: jobs (long, heartbeating), quick calls, endpoint deployment. */
  jobs: ActivityInterfaceFor<Activities>;
  quick: ActivityInterfaceFor<Activities>;
  deploy: ActivityInterfaceFor<Activities>;
}
