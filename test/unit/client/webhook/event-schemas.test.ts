import assert from 'node:assert/strict';
import {
  decodeS3Key,
  detectFormat,
  EventFormatError,
  minioEscapeKey,
  parseEventBridgeEvent,
  parseMinioNotification,
  parseS3Notification,
  parseSnsMessage,
  parseSnsNotificationPayload,
  type ParsedDelivery,
} from '../../../../client/webhook/event-schemas';
import { eventFixture } from '../../../helpers/webhook-fixtures';

function records(delivery: ParsedDelivery) {
  assert.equal(delivery.kind, 'records');
  return delivery as Extract<ParsedDelivery, { kind: 'records' }>;
}

describe('client/webhook/event-schemas', () => {
  describe('S3 event notifications', () => {
    it('when a message holds several records, then each object-created record becomes one event with a decoded key, and the deletion is ignored', () => {
      const delivery = records(parseS3Notification(eventFixture('s3-multi-record.json')));

      assert.deepEqual(delivery.events, [
        {
          source: 's3',
          bucket: 'mlops',
          key: 'training/used cars 2005.csv',
          size: 81234,
          etag: '9b2cf535f27731c974343645a3985328-2',
          versionId: '3HL4kqtJlcpXroDT',
          sequencer: '0065E2F0A1B2C3D4E5',
          eventName: 'ObjectCreated:CompleteMultipartUpload',
          eventTime: '2026-03-02T10:15:30.123Z',
        },
        {
          source: 's3',
          bucket: 'mlops',
          key: 'training/c++ models/price=usd.csv',
          size: 1024,
          etag: '0f343b0931126a20f133d67c2b018a3b',
          sequencer: '0065E2F0A1B2C3D4F0',
          eventName: 'ObjectCreated:Put',
          eventTime: '2026-03-02T10:15:31.456Z',
        },
      ]);
      assert.deepEqual(delivery.ignored, [{ bucket: 'mlops', key: 'training/old data.csv', eventName: 'ObjectRemoved:Delete', reason: 'ObjectRemoved:Delete is not an object-created event' }]);
    });

    it('when the S3 test event arrives, then it is recognised as a test that starts nothing', () => {
      const delivery = parseS3Notification(eventFixture('s3-test-event.json'));

      assert.equal(delivery.kind, 'test');
    });

    it('when a record has a newer 2.x event version and unknown fields, then it is accepted; when its major version is not 2, then it is refused', () => {
      const message = eventFixture<{ Records: Record<string, unknown>[] }>('s3-multi-record.json');
      message.Records[0]!.eventVersion = '2.4';
      message.Records[0]!.glacierEventData = { restoreEventData: {} };
      assert.equal(records(parseS3Notification(message)).events.length, 2);

      message.Records[0]!.eventVersion = '3.0';
      assert.throws(() => parseS3Notification(message), (err: unknown) => err instanceof EventFormatError && /Records\.0\.eventVersion/.test(err.message));
    });

    it('when a record has no key or the Records array is empty, then the error names the field', () => {
      const message = eventFixture<{ Records: { s3: { object: Record<string, unknown> } }[] }>('s3-multi-record.json');
      delete message.Records[1]!.s3.object.key;
      assert.throws(() => parseS3Notification(message), /Records\.1\.s3\.object\.key/);
      assert.throws(() => parseS3Notification({ Records: [] }), /Records/);
    });
  });

  describe('key encoding', () => {
    it('when a key is form-encoded, then + is a space and %XX (including %2B and %2F) is its character', () => {
      assert.equal(decodeS3Key('raw/used+cars+2005.csv'), 'raw/used cars 2005.csv');
      assert.equal(decodeS3Key('c%2B%2B%2Fnotes%3Dv1.csv'), 'c++/notes=v1.csv');
      assert.equal(decodeS3Key('caf%C3%A9.csv'), 'café.csv');
    });

    it('when a key is not valid URL encoding, then it is an EventFormatError', () => {
      assert.throws(() => decodeS3Key('bad%zzkey'), EventFormatError);
    });

    it('when a key is escaped the MinIO way, then / is %2F, a space is + and decoding gives the key back', () => {
      for (const key of ['training/cars 2005+v2.csv', "a/b(c)!*'~_-.csv", 'ünï/cödé.csv', 'x%y&z=1?.csv']) {
        const escaped = minioEscapeKey(key);
        assert.doesNotMatch(escaped, /[/ ()!*']/, escaped);
        assert.equal(decodeS3Key(escaped), key);
      }
      assert.equal(minioEscapeKey('training/cars 2005+v2.csv'), 'training%2Fcars+2005%2Bv2.csv');
    });
  });

  describe('MinIO bucket notifications', () => {
    it('when MinIO posts an event, then the s3: prefix is dropped and the %2F-escaped key is decoded', () => {
      const delivery = records(parseMinioNotification(eventFixture('minio-put.json')));

      assert.deepEqual(delivery.events, [
        {
          source: 'minio',
          bucket: 'mlops',
          key: 'training/cars 2005+v2.csv',
          size: 81234,
          etag: '9b2cf535f27731c974343645a3985328',
          sequencer: '17F8A1B2C3D4E5F6',
          eventName: 'ObjectCreated:Put',
          eventTime: '2026-03-02T10:15:30.120Z',
        },
      ]);
    });

    it('when MinIO reports a deletion, then it is ignored', () => {
      const message = eventFixture<{ Records: Record<string, unknown>[] }>('minio-put.json');
      message.Records[0]!.eventName = 's3:ObjectRemoved:Delete';

      const delivery = records(parseMinioNotification(message));

      assert.equal(delivery.events.length, 0);
      assert.equal(delivery.ignored[0]?.eventName, 'ObjectRemoved:Delete');
    });
  });

  describe('EventBridge', () => {
    it('when S3 sends "Object Created", then it becomes one event with etag, version-id and the reason as event name', () => {
      const delivery = records(parseEventBridgeEvent(eventFixture('eventbridge-object-created.json')));

      assert.deepEqual(delivery.events, [
        {
          source: 'eventbridge',
          bucket: 'mlops',
          key: 'training/used-cars-2005.csv',
          size: 81234,
          etag: '9b2cf535f27731c974343645a3985328',
          versionId: 'Tn3zSrWJ0aZ9ZmRn',
          sequencer: '0065E2F0A1B2C3D4E5',
          eventName: 'ObjectCreated:Put',
          eventTime: '2026-03-02T10:15:31Z',
        },
      ]);
    });

    it('when the key has a + and the encoding is form, then it is a space; when plain, then it is kept', () => {
      const event = eventFixture<{ detail: { object: { key: string } } }>('eventbridge-object-created.json');
      event.detail.object.key = 'training/used+cars.csv';

      assert.equal(records(parseEventBridgeEvent(event, 'form')).events[0]?.key, 'training/used cars.csv');
      assert.equal(records(parseEventBridgeEvent(event, 'plain')).events[0]?.key, 'training/used+cars.csv');
    });

    it('when S3 sends "Object Deleted", then it is ignored', () => {
      const delivery = records(parseEventBridgeEvent(eventFixture('eventbridge-object-deleted.json')));

      assert.deepEqual(delivery.events, []);
      assert.equal(delivery.ignored[0]?.reason, 'Object Deleted is not an object-created event');
    });
  });

  describe('SNS', () => {
    const signed = { SignatureVersion: '1', Signature: 'x', SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/c.pem' };

    it('when a Notification carries an S3 event, then its Message is parsed a second time and the source is sns', () => {
      const message = parseSnsMessage({ ...eventFixture('sns-notification.json'), ...signed });

      const delivery = records(parseSnsNotificationPayload(message));

      assert.equal(delivery.events.length, 1);
      assert.equal(delivery.events[0]?.source, 'sns');
      assert.equal(delivery.events[0]?.key, 'training/used cars 2005.csv');
    });

    it('when the Notification Message is not JSON, then it is an EventFormatError', () => {
      const message = parseSnsMessage({ ...eventFixture('sns-notification.json'), ...signed, Message: 'hello' });

      assert.throws(() => parseSnsNotificationPayload(message), EventFormatError);
    });

    it('when a SubscriptionConfirmation lacks its SubscribeURL, then the error names it', () => {
      const body = eventFixture('sns-subscription-confirmation.json');
      delete body.SubscribeURL;

      assert.throws(() => parseSnsMessage({ ...body, ...signed }), /SubscribeURL/);
    });
  });

  describe('detectFormat', () => {
    it('when given each fixture, then the format is recognised from the body alone', () => {
      const signed = { SignatureVersion: '1', Signature: 'x', SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/c.pem' };
      assert.equal(detectFormat(eventFixture('s3-multi-record.json')), 's3');
      assert.equal(detectFormat(eventFixture('s3-test-event.json')), 's3');
      assert.equal(detectFormat(eventFixture('minio-put.json')), 'minio');
      assert.equal(detectFormat(eventFixture('eventbridge-object-created.json')), 'eventbridge');
      assert.equal(detectFormat({ ...eventFixture('sns-notification.json'), ...signed }), 'sns');
      assert.equal(detectFormat({ ...eventFixture('sns-subscription-confirmation.json'), ...signed }), 'sns');
    });

    it('when the body is something else, then no format is detected', () => {
      for (const body of [{}, [], 'text', 42, null, { hello: 'world' }, { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' }]) {
        assert.equal(detectFormat(body), undefined, JSON.stringify(body));
      }
    });
  });
});
