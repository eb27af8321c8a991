import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createLocalBackend } from '../../../activities/backends/local';
import type { Backend } from '../../../activities/backends/types';
import { parseConfig, REPO_ROOT } from '../../../common/config/parse';
import { resolveDataObject } from '../../../services/data-object';
import { UsageError } from '../../../services/usage-error';
import { createTempDir, removeTempDir } from '../../helpers/temp-dir';

describe('services/data-object', () => {
  let home: string;
  let backend: Backend;
  const config = parseConfig({}, REPO_ROOT);
  const options = { localPrefix: 'training', defaultFile: 'none.csv' };

  beforeEach(async () => {
    home = await createTempDir('mlops-data-object-');
    backend = createLocalBackend({ home, python: 'python3', algorithmsDir: path.join(home, 'none') });
  });

  afterEach(async () => {
    await removeTempDir(home);
  });

  it('when an s3:// object is named without a version, then its version is the ETag an event for it names (normalized)', async () => {
    await backend.objectStore.put('s3://mlops/training/cars.csv', 'Price\n1\n');

    const data = await resolveDataObject(backend, config, 's3://mlops/training/cars.csv', options);

    assert.deepEqual(data, { uri: 's3://mlops/training/cars.csv', bucket: 'mlops', key: 'training/cars.csv', version: createHash('md5').update('Price\n1\n').digest('hex') });
  });

  it("when the key can never be processed ('..', a leading /, a newline), then it is a UsageError naming the rule, also when an event gave the version", async () => {
    for (const uri of ['s3://mlops/training/../x.csv', 's3://mlops//etc/passwd', 's3://mlops/training/a\nb.csv']) {
      await assert.rejects(resolveDataObject(backend, config, uri, options), (err: unknown) => err instanceof UsageError && err.message.startsWith('--data: '), uri);
      await assert.rejects(resolveDataObject(backend, config, uri, { ...options, version: 'e1' }), UsageError, uri);
    }
  });

  it('when a local file name cannot be an object key, then it is a UsageError before anything is written', async () => {
    const file = path.join(home, `${'n'.repeat(201)}.csv`);
    await fs.writeFile(file, 'Price\n1\n');

    await assert.rejects(resolveDataObject(backend, config, file, options), /cannot be an object key: a name in the key is longer than 200 bytes/);
    assert.deepEqual(await backend.objectStore.list('s3://mlops/training/'), []);
  });
});
