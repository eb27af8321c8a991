import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { parseSnsMessage, type SnsMessage } from '../../../../client/webhook/event-schemas';
import { SnsCertificateUnavailableError, SnsRejectedError, SnsVerifier, stringToSign, type SnsVerifierOptions } from '../../../../client/webhook/sns-signature';
import { DEFAULT_SNS_CERT_HOSTS } from '../../../../common/config/schema';
import { createSigningIdentity, signSnsMessage, type SigningIdentity } from '../../../helpers/sns-signing';
import { eventFixture, eventFixtureText } from '../../../helpers/webhook-fixtures';

const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem';
const NOW = Date.parse('2026-03-02T10:20:00.000Z');
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:mlops-data-events';

describe('client/webhook/sns-signature', () => {
  let identity: SigningIdentity;
  let other: SigningIdentity;

  before(() => {
    identity = createSigningIdentity();
    other = createSigningIdentity();
  });

  function verifier(overrides: Partial<SnsVerifierOptions> = {}) {
    const fetched: string[] = [];
    const v = new SnsVerifier({
      certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS),
      topics: [],
      maxAgeMs: 3600_000,
      now: () => NOW,
      fetchCertificate: async (url) => {
        fetched.push(url);
        return identity.certificatePem;
      },
      ...overrides,
    });
    return { v, fetched };
  }

  function signed(fixture: string, options: { version?: '1' | '2'; certUrl?: string; by?: SigningIdentity; changes?: Record<string, string> } = {}): SnsMessage {
    const message = { ...eventFixture<Record<string, string>>(fixture), ...options.changes };
    return parseSnsMessage(signSnsMessage(message, options.by ?? identity, { certUrl: options.certUrl ?? CERT_URL, version: options.version ?? '1' }));
  }

  describe('stringToSign', () => {
    it('when a Notification has a Subject, then the fields are Message, MessageId, Subject, Timestamp, TopicArn, Type, each as name\\nvalue\\n', () => {
      const message = signed('sns-notification.json');

      const text = stringToSign(message);

      assert.equal(text, `Message\n${message.Message}\nMessageId\n${message.MessageId}\nSubject\nAmazon S3 Notification\nTimestamp\n${message.Timestamp}\nTopicArn\n${TOPIC}\nType\nNotification\n`);
    });

    it('when a Notification has no Subject, then Subject is left out', () => {
      const body = eventFixture<Record<string, string>>('sns-notification.json');
      delete body.Subject;

      const text = stringToSign(parseSnsMessage({ ...body, SignatureVersion: '1', Signature: 'x', SigningCertURL: CERT_URL }));

      assert.doesNotMatch(text, /Subject/);
      assert.match(text, /^Message\n.*\nMessageId\n[^\n]+\nTimestamp\n/s);
    });

    it('when a confirmation is signed, then SubscribeURL and Token are included in order, and a newline in Message stays a real newline', () => {
      const message = signed('sns-subscription-confirmation.json');

      const names = stringToSign(message).split('\n').filter((_, i, lines) => ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'].includes(lines[i]!));

      assert.deepEqual(names, ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type']);
      assert.ok(stringToSign(message).includes('.\nTo confirm the subscription'));
    });
  });

  describe('SnsVerifier', () => {
    it('when a Notification is signed with SignatureVersion 1 (SHA1withRSA) or 2 (SHA256withRSA), then it verifies', async () => {
      const { v } = verifier();

      await v.verify(signed('sns-notification.json', { version: '1' }));
      await v.verify(signed('sns-notification.json', { version: '2' }));
      await v.verify(signed('sns-subscription-confirmation.json', { version: '2', changes: { Timestamp: '2026-03-02T10:19:00.000Z' } }));
      await v.verify(signed('sns-subscription-confirmation.json', { changes: { Type: 'UnsubscribeConfirmation', Timestamp: '2026-03-02T10:19:00.000Z' } }));
    });

    it('when any signed field was changed after signing, or another key signed it, then it is refused', async () => {
      const { v } = verifier();
      const good = signed('sns-notification.json');

      for (const field of ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn'] as const) {
        const forged = { ...good, [field]: field === 'Timestamp' ? '2026-03-02T10:15:32.000Z' : `${(good as Record<string, string>)[field]}x` } as SnsMessage;
        await assert.rejects(v.verify(forged), (err: unknown) => err instanceof SnsRejectedError && /signature does not verify/.test(err.message), field);
      }
      await assert.rejects(v.verify(signed('sns-notification.json', { by: other })), /signature does not verify/);
      await assert.rejects(v.verify({ ...good, Signature: 'not base64 at all!!' }), /signature does not verify/);
    });

    it('when a v1 signature is presented as v2 (or the reverse), then it is refused', async () => {
      const { v } = verifier();
      const v1 = signed('sns-notification.json', { version: '1' });

      await assert.rejects(v.verify({ ...v1, SignatureVersion: '2' }), /signature does not verify/);
    });

    it('when SignatureVersion is not 1 or 2, then it is refused before any certificate is fetched', async () => {
      const { v, fetched } = verifier();

      for (const version of ['3', '0', '', 'SHA256']) {
        await assert.rejects(v.verify({ ...signed('sns-notification.json'), SignatureVersion: version }), /unknown SignatureVersion/);
      }
      assert.deepEqual(fetched, []);
    });

    it('when SigningCertURL is on a foreign host, not https, has a port or credentials, or does not end in .pem, then it is refused and never fetched', async () => {
      const { v, fetched } = verifier();

      for (const url of [
        'https://evil.example.com/cert.pem',
        'http://sns.eu-west-1.amazonaws.com/cert.pem',
        'https://sns.eu-west-1.amazonaws.com/cert.txt',
        'https://sns.eu-west-1.amazonaws.com/cert.txt?file=x.pem',
        'https://sns.eu-west-1.amazonaws.com.evil.example.com/cert.pem',
        'https://sns.eu-west-1.amazonaws.com:8443/cert.pem',
        'https://user:pw@sns.eu-west-1.amazonaws.com/cert.pem',
        'https://sns.xx.amazonaws.com/cert.pem',
        'not a url',
      ]) {
        await assert.rejects(v.verify(signed('sns-notification.json', { certUrl: url })), (err: unknown) => err instanceof SnsRejectedError && /SigningCertURL refused/.test(err.message), url);
      }
      assert.deepEqual(fetched, []);
    });

    it('when the China partition host is used, then it is allowed by the default pattern', async () => {
      const { v, fetched } = verifier();
      const url = 'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem';

      await v.verify(signed('sns-notification.json', { certUrl: url }));

      assert.deepEqual(fetched, [url]);
    });

    it('when the Timestamp is older than the maximum age, then it is refused as expired even with a good signature', async () => {
      const { v } = verifier({ maxAgeMs: 60_000 });

      await assert.rejects(v.verify(signed('sns-notification.json', { changes: { Timestamp: '2026-03-02T10:18:59.000Z' } })), (err: unknown) => err instanceof SnsRejectedError && err.expired && /expired/.test(err.message));
      await v.verify(signed('sns-notification.json', { changes: { Timestamp: '2026-03-02T10:19:30.000Z' } }));
    });

    it('when the Timestamp is not a date or far in the future, then it is refused', async () => {
      const { v } = verifier();

      await assert.rejects(v.verify(signed('sns-notification.json', { changes: { Timestamp: 'yesterday' } })), /not a date/);
      await assert.rejects(v.verify(signed('sns-notification.json', { changes: { Timestamp: '2026-03-02T12:00:00.000Z' } })), /in the future/);
    });

    it('when topics are configured, then another topic is refused without a fetch; the listed one passes', async () => {
      const { v, fetched } = verifier({ topics: ['arn:aws:sns:eu-west-1:111122223333:other'] });

      await assert.rejects(v.verify(signed('sns-notification.json')), /not in MLOPS_WEBHOOK_SNS_TOPICS/);
      assert.deepEqual(fetched, []);
      await verifier({ topics: [TOPIC] }).v.verify(signed('sns-notification.json'));
    });

    it('when two messages name the same certificate URL, then it is fetched once; a different URL is fetched again', async () => {
      const { v, fetched } = verifier();

      await Promise.all([v.verify(signed('sns-notification.json')), v.verify(signed('sns-notification.json', { version: '2' }))]);
      await v.verify(signed('sns-notification.json'));
      await v.verify(signed('sns-notification.json', { certUrl: CERT_URL.replace('eu-west-1', 'us-east-1') }));

      assert.deepEqual(fetched, [CERT_URL, CERT_URL.replace('eu-west-1', 'us-east-1')]);
    });

    it('when the fetch fails, then it is CertificateUnavailable and the next message fetches again', async () => {
      let calls = 0;
      const { v } = verifier({
        fetchCertificate: async () => {
          calls += 1;
          if (calls === 1) throw new Error('connection reset');
          return identity.certificatePem;
        },
      });

      await assert.rejects(v.verify(signed('sns-notification.json')), SnsCertificateUnavailableError);
      await v.verify(signed('sns-notification.json'));
      assert.equal(calls, 2);
    });

    it('when the URL serves no certificate (a bare public key, garbage) or an expired one, then it is refused', async () => {
      const bareKey = createPublicKey(identity.privateKey).export({ type: 'spki', format: 'pem' }).toString();
      await assert.rejects(verifier({ fetchCertificate: async () => bareKey }).v.verify(signed('sns-notification.json')), /not an X\.509 certificate/);
      await assert.rejects(verifier({ fetchCertificate: async () => 'hello' }).v.verify(signed('sns-notification.json')), /not an X\.509 certificate/);
      const expired = createSigningIdentity({ notBefore: new Date(NOW - 100 * 86400_000), notAfter: new Date(NOW - 86400_000) });
      await assert.rejects(verifier({ fetchCertificate: async () => expired.certificatePem }).v.verify(signed('sns-notification.json', { by: expired })), /not valid now/);
    });
  });

  describe('messages signed by AWS (test/fixtures/events/sns-aws-signed-notifications.json)', () => {
    const fixture = eventFixture<{ certificateFile: string; messages: Record<string, string>[] }>('sns-aws-signed-notifications.json');
    const certificatePem = eventFixtureText(fixture.certificateFile);

    /** A verifier on the message's own clock (the certificate expired in 2022), fetching only the stored certificate. */
    function atTimeOf(message: Record<string, string>) {
      const fetched: string[] = [];
      const v = new SnsVerifier({
        certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS),
        topics: [],
        maxAgeMs: 3600_000,
        now: () => Date.parse(message.Timestamp!) + 60_000,
        fetchCertificate: async (url) => {
          fetched.push(url);
          return certificatePem;
        },
      });
      return { v, fetched };
    }

    it('when SNS signed them with SignatureVersion 1 and 2, with and without a Subject, then each verifies against the certificate SNS served', async () => {
      assert.deepEqual(fixture.messages.map((m) => `${m.SignatureVersion}${m.Subject === undefined ? '' : '+Subject'}`), ['1', '2', '1+Subject', '2+Subject']);
      for (const message of fixture.messages) {
        const { v, fetched } = atTimeOf(message);
        await v.verify(parseSnsMessage(message));
        assert.deepEqual(fetched, [message.SigningCertURL]);
      }
    });

    it('when any signed field of a real message is changed, or its signature is moved to another message, then it is refused', async () => {
      const [first, second] = fixture.messages as [Record<string, string>, Record<string, string>];
      const tampered: Record<string, string>[] = [
        { ...first, Message: 'Hello world!' },
        { ...first, TopicArn: first.TopicArn!.replace('892f85fe', '892f85ff') },
        { ...first, Timestamp: '2022-07-28T21:23:58.318Z' },
        { ...first, Subject: 'added' },
        { ...second, Signature: first.Signature! },
      ];
      for (const message of tampered) {
        await assert.rejects(atTimeOf(message).v.verify(parseSnsMessage(message)), (err: unknown) => err instanceof SnsRejectedError && /does not verify/.test(err.message), JSON.stringify(message).slice(0, 80));
      }
    });

    it('when the clock is past the certificate (2022-08-17), then a real message is refused as signed by a certificate not valid now', async () => {
      const message = fixture.messages[0]!;
      const v = new SnsVerifier({ certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS), topics: [], maxAgeMs: 3650 * 86400_000, now: () => Date.parse('2022-09-01T00:00:00Z'), fetchCertificate: async () => certificatePem });

      await assert.rejects(v.verify(parseSnsMessage(message)), /not valid now/);
    });
  });
});
