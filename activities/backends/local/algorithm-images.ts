import type { AlgorithmImage, ProcessingImage } from '../types';

/**
 * The local stand-in for container images: each image is a Python module of `algorithms/` run the
 * way SageMaker runs a container (`train` for training images; arguments as ContainerArguments).
 */
export const LOCAL_IMAGES: Record<AlgorithmImage | ProcessingImage, { module: string; trainArgument?: string }> = {
  xgboost: { module: 'mlops_algorithms.xgboost', trainArgument: 'train' },
  'linear-learner': { module: 'mlops_algorithms.linear_learner', trainArgument: 'train' },
  preprocess: { module: 'mlops_algorithms.preprocess' },
  'model-monitor': { module: 'mlops_algorithms.monitor' },
};
