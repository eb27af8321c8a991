/** Default task queues: workflows on one, the activities that do real work on the other. */
export const DEFAULT_TASK_QUEUES = {
  orchestration: 'mlops-orchestration',
  compute: 'mlops-compute',
} as const;

export interface TaskQueues {
  orchestration: string;
  compute: string;
}
