import path from 'node:path';
import type { BuiltinAlgorithm, ByoContainer } from '../../../common/types/algorithm';
import type { ProcessingImage } from '../types';

/**
 * The local stand-in for container images: each image is a Python module of `algorithms/` run the
 * way SageMaker runs a container (`train` for training images; arguments as ContainerArguments).
 */
export const LOCAL_IMAGES: Record<BuiltinAlgorithm | ProcessingImage, { module: string; trainArgument?: string }> = {
  xgboost: { module: 'mlops_algorithms.xgboost', trainArgument: 'train' },
  'linear-learner': { module: 'mlops_algorithms.linear_learner', trainArgument: 'train' },
  preprocess: { module: 'mlops_algorithms.preprocess' },
  'model-monitor': { module: 'mlops_algorithms.monitor' },
};

/**
 * A bring-your-own container as a local process: its command (a leading `python` is the stack's
 * interpreter), run in its directory (relative to the repository root), with `train` or `serve`
 * appended as SageMaker passes it to the container.
 */
export function byoCommand(byo: ByoContainer, options: { python: string; repoRoot: string }, argument: 'train' | 'serve'): { command: string[]; cwd: string } {
  if (!byo.command?.length) throw new Error(`the bring-your-own algorithm '${byo.name}' has no local command: set algorithms[].command in its project file to run it on the local backend`);
  const [first, ...rest] = byo.command;
  const command = [first === 'python' || first === 'python3' ? options.python : first!, ...rest, argument];
  const cwd = path.resolve(options.repoRoot, byo.dir ?? '.');
  return { command, cwd };
}
