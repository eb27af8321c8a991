import assert from 'node:assert/strict';
import { isS3Uri, joinUri, parseS3Uri, s3Uri } from '../../../common/uri';

describe('common/uri', () => {
  describe('parseS3Uri', () => {
    it('when given bucket and nested key, then it splits them at the first slash', () => {
      assert.deepEqual(parseS3Uri('s3://mlops/training/2024/cars.csv'), { bucket: 'mlops', key: 'training/2024/cars.csv' });
    });

    it('when the bucket uses dots, hyphens and digits, then it is accepted', () => {
      assert.deepEqual(parseS3Uri('s3://my.data-bucket-01/k'), { bucket: 'my.data-bucket-01', key: 'k' });
    });

    it('when the bucket is 3 or 63 characters long, then it is accepted', () => {
      assert.equal(parseS3Uri('s3://abc/k').bucket, 'abc');
      assert.equal(parseS3Uri(`s3://${'a'.repeat(63)}/k`).bucket.length, 63);
    });

    it('when the text does not start with s3://, then it throws naming the text', () => {
      for (const uri of ['https://mlops/k', 'S3://mlops/k', 'mlops/k', '']) {
        assert.throws(() => parseS3Uri(uri), (err: Error) => err.message.includes('is not an s3:// URI'), uri);
      }
    });

    it('when the bucket name breaks the naming rule, then it throws naming the bucket', () => {
      const bad = ['Bad_Bucket', 'UPPER', 'ab', 'a', '', '-lead', 'trail-', '.dot', 'dot.', 'under_score', 'sp ace', `${'a'.repeat(64)}`];
      for (const bucket of bad) {
        assert.throws(
          () => parseS3Uri(`s3://${bucket}/key`),
          (err: Error) => err.message.includes(`bucket '${bucket}' is not a valid bucket name`),
          `bucket '${bucket}' should be rejected`,
        );
      }
    });

    it('when the key is missing, then it throws', () => {
      for (const uri of ['s3://mlops', 's3://mlops/']) {
        assert.throws(() => parseS3Uri(uri), /has no object key/, uri);
      }
    });

    it('when the key is missing but allowEmptyKey is set, then it returns the bucket with an empty key', () => {
      assert.deepEqual(parseS3Uri('s3://mlops', { allowEmptyKey: true }), { bucket: 'mlops', key: '' });
      assert.deepEqual(parseS3Uri('s3://mlops/', { allowEmptyKey: true }), { bucket: 'mlops', key: '' });
    });

    it('when the key ends with a slash, then the slash is kept (a prefix)', () => {
      assert.equal(parseS3Uri('s3://mlops/runs/').key, 'runs/');
    });

    it('when allowEmptyKey is set but the bucket is bad, then it still throws', () => {
      assert.throws(() => parseS3Uri('s3://Bad_Bucket/', { allowEmptyKey: true }), /not a valid bucket name/);
    });
  });

  describe('isS3Uri and s3Uri', () => {
    it('when building a URI from bucket and key, then parsing it gives them back', () => {
      const uri = s3Uri('mlops', 'a/b.csv');

      assert.equal(uri, 's3://mlops/a/b.csv');
      assert.ok(isS3Uri(uri));
      assert.deepEqual(parseS3Uri(uri), { bucket: 'mlops', key: 'a/b.csv' });
    });

    it('when the text is a local path, then isS3Uri is false', () => {
      assert.equal(isS3Uri('/tmp/data.csv'), false);
    });
  });

  describe('joinUri', () => {
    it('when prefix and parts carry extra slashes, then they are joined with single slashes', () => {
      assert.equal(joinUri('s3://mlops/runs/', '/preprocess/', 'train'), 's3://mlops/runs/preprocess/train');
    });

    it('when a part contains inner slashes, then they are kept', () => {
      assert.equal(joinUri('s3://mlops/runs', 'models/xgb', 'output/model.tar.gz'), 's3://mlops/runs/models/xgb/output/model.tar.gz');
    });

    it('when a part is empty or only slashes, then it is skipped', () => {
      assert.equal(joinUri('s3://mlops/runs', '', '/', 'x'), 's3://mlops/runs/x');
    });

    it('when the prefix ends with several slashes, then they all go', () => {
      assert.equal(joinUri('s3://mlops/runs///', 'x'), 's3://mlops/runs/x');
    });

    it('when the last part ends with a slash, then the slash is dropped (callers add it back for prefixes)', () => {
      assert.equal(joinUri('s3://mlops/runs', 'train/'), 's3://mlops/runs/train');
    });

    it('when there are no parts, then the prefix comes back without its trailing slash', () => {
      assert.equal(joinUri('s3://mlops/runs/'), 's3://mlops/runs');
    });
  });
});
