import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import type { Backend } from '../../activities/backends/types';
import { PYTHON } from './temporal-env';

/** Two XGBoost models (they take missing values) and a linear one (it refuses them), on 3 features. */
const MAKE_MODELS = String.raw`
import json, os, sys
import numpy as np, xgboost as xgb
out, old_rounds, new_rounds, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(0)
X = rng.normal(size=(300, 3)); y = X @ np.array([1.0, 2.0, 3.0]) + 10
for name, rounds in (('old', old_rounds), ('new', new_rounds)):
    d = os.path.join(out, name); os.makedirs(d)
    booster = xgb.train({'nthread': 1, 'max_depth': depth, 'seed': 0}, xgb.DMatrix(X, label=y), num_boost_round=rounds)
    booster.save_model(os.path.join(d, 'model.json')); os.rename(os.path.join(d, 'model.json'), os.path.join(d, 'xgboost-model'))
d = os.path.join(out, 'linear'); os.makedirs(d)
with open(os.path.join(d, 'linear-learner-model.json'), 'w') as f:
    json.dump({'featureNames': ['a', 'b', 'c'], 'featureDim': 3, 'coefficients': [1.0, 2.0, 3.0], 'intercept': 10.0}, f)
`;

/**
 * Writes the artifacts of the models `old`, `new` (XGBoost) and `linear` under `dir/<name>/`; the
 * XGBoost models' rounds and depth are the tests' small ones unless given (the bench's are larger).
 */
export async function makeDeploymentModels(dir: string, xgboost: { oldRounds: number; newRounds: number; maxDepth: number } = { oldRounds: 5, newRounds: 8, maxDepth: 2 }): Promise<void> {
  await promisify(execFile)(PYTHON, ['-c', MAKE_MODELS, dir, String(xgboost.oldRounds), String(xgboost.newRounds), String(xgboost.maxDepth)]);
}

/**
 * Registers one of those models with the backend's hosting (as step 8 does) and its
 * single-variant configuration `cfg-<name>` for `endpointName` (as step 9 does).
 */
export async function createDeploymentModel(backend: Backend, name: string, dir: string, image: 'xgboost' | 'linear-learner', endpointName: string): Promise<void> {
  const archive = path.join(dir, 'model.tar.gz');
  const files = (await fs.readdir(dir)).filter((f) => f !== 'model.tar.gz');
  await tar.create({ gzip: true, file: archive, cwd: dir }, files);
  const artifactUri = `s3://mlops/test-models/${name}/model.tar.gz`;
  await backend.objectStore.putFile(artifactUri, archive);
  await backend.hosting.createModel({ modelName: name, image, artifactUri });
  await backend.hosting.createEndpointConfig({ endpointConfigName: `cfg-${name}`, endpointName, variants: [{ variantName: name, modelName: name, instanceType: 'ml.m5.large', instanceCount: 1 }] });
}
