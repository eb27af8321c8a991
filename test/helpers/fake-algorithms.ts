import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Fake algorithm images: Python packages named like the real modules, put first on PYTHONPATH. The
 * training fake reads its behaviour from its own hyperparameters (mode: ok, hold (until hold_file
 * exists), sleep, fail, exit, no-model; seconds, failure, code, count_file).
 */
export const FAKE_TRAINING = String.raw`
import json, os, sys, time
base = os.environ['SAGEMAKER_BASE_DIR']
with open(os.path.join(base, 'input', 'config', 'hyperparameters.json')) as f:
    hp = json.load(f)
if hp.get('count_file'):
    with open(hp['count_file'], 'a') as f:
        f.write('%d\n' % os.getpid())
with open(os.path.join(base, 'pid'), 'w') as f:
    f.write(str(os.getpid()))
print('started with', sys.argv[1:], os.environ.get('TRAINING_JOB_NAME'), flush=True)
mode = hp.get('mode', 'ok')
if mode == 'hold':
    while not os.path.exists(hp['hold_file']):
        time.sleep(0.02)
if mode == 'sleep':
    time.sleep(float(hp.get('seconds', '30')))
if mode == 'fail':
    with open(os.path.join(base, 'output', 'failure'), 'w') as f:
        f.write(hp['failure'])
    sys.exit(2)
if mode == 'exit':
    print('last words before dying')
    sys.exit(int(hp.get('code', '3')))
if mode == 'no-model':
    sys.exit(0)
with open(os.path.join(base, 'model', 'model.json'), 'w') as f:
    json.dump({'trained': True}, f)
print('[0]\ttrain-rmse:10.5\tvalidation-rmse:12.25')
print('[1]\ttrain-rmse:5.5\tvalidation-rmse:6.75')
print('done')
`;

export const FAKE_PROCESSING = String.raw`
import json, os, sys
args = sys.argv[1:]
opts = dict(zip(args[0::2], args[1::2]))
base = os.environ['SAGEMAKER_BASE_DIR']
if os.environ.get('FAIL_WITH'):
    with open(os.path.join(base, 'output', 'message'), 'w') as f:
        f.write(os.environ['FAIL_WITH'])
    sys.exit(1)
out = os.path.join(opts['--output-dir'], 'train')
rows = []
for root, _, files in os.walk(opts['--input-dir']):
    for name in sorted(files):
        with open(os.path.join(root, name)) as f:
            rows.append(f.read())
with open(os.path.join(out, 'part.csv'), 'w') as f:
    f.write(''.join(rows))
os.makedirs(os.path.join(out, 'meta'), exist_ok=True)
with open(os.path.join(out, 'meta', 'seen.json'), 'w') as f:
    json.dump({'args': args, 'data_path': os.environ.get('data_path'), 'plain': os.environ.get('plain'),
               'schema': os.listdir(os.path.join(base, 'processing', 'input', 'schema'))}, f)
`;

export async function writeFakeAlgorithms(dir: string): Promise<void> {
  const files: Record<string, string> = {
    'mlops_algorithms/__init__.py': '',
    'mlops_algorithms/xgboost/__init__.py': '',
    'mlops_algorithms/xgboost/__main__.py': FAKE_TRAINING,
    'mlops_algorithms/preprocess/__init__.py': '',
    'mlops_algorithms/preprocess/__main__.py': FAKE_PROCESSING,
  };
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), content);
  }
}

/** True while the process exists and is not a zombie (Linux /proc; falls back to signal 0). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

export const XGB_METRICS = [
  { name: 'train:rmse', regex: '.*\\[[0-9]+\\].*#011train-rmse:([-+]?[0-9]*\\.?[0-9]+).*' },
  { name: 'validation:rmse', regex: '.*\\[[0-9]+\\].*#011validation-rmse:([-+]?[0-9]*\\.?[0-9]+).*' },
  { name: 'test:rmse', regex: '.*\\[[0-9]+\\].*#011test-rmse:([-+]?[0-9]*\\.?[0-9]+).*' },
];
