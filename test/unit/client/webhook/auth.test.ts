import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { checkCredentials, resolveWebhookCredentials, WebhookCredentialsError, signBody } from '../../../../client/webhook/auth';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const TOKEN = 'tok-0123456789abcdef';
const SECRET = 'hmac-secret-0123456789';
const BODY = Buffer.from('{"Records":[]}');

describe('client/webhook/auth', () => {
  describe('checkCredentials', () => {
    it('when the bearer token is right, then the request is authenticated', () => {
      assert.equal(checkCredentials({ authorization: `Bearer ${TOKEN}` }, BODY, { token: TOKEN }), undefined);
      assert.equal(checkCredentials({ authorization: `bearer ${TOKEN}` }, BODY, { token: TOKEN }), undefined, 'the scheme is case-insensitive');
    });

    it('when the token is missing, wrong, a prefix of the right one, or not a Bearer, then it says why', () => {
      assert.match(checkCredentials({}, BODY, { token: TOKEN })!, /no credentials/);
      assert.equal(checkCredentials({ authorization: 'Bearer wrong-token-0000000' }, BODY, { token: TOKEN }), 'wrong token');
      assert.equal(checkCredentials({ authorization: `Bearer ${TOKEN.slice(0, -1)}` }, BODY, { token: TOKEN }), 'wrong token');
      assert.equal(checkCredentials({ authorization: `Basic ${TOKEN}` }, BODY, { token: TOKEN }), 'wrong token');
    });

    it('when the HMAC of the raw body is right, then the request is authenticated; when the body or secret differs, then it is not', () => {
      assert.equal(checkCredentials({ 'x-mlops-signature': signBody(BODY, SECRET) }, BODY, { hmacSecret: SECRET }), undefined);
      assert.equal(checkCredentials({ 'x-mlops-signature': signBody(BODY, SECRET).toUpperCase().replace('SHA256=', 'sha256=') }, BODY, { hmacSecret: SECRET }), undefined, 'hex case does not matter');
      assert.equal(checkCredentials({ 'x-mlops-signature': signBody(Buffer.from('{"Records":[1]}'), SECRET) }, BODY, { hmacSecret: SECRET }), 'wrong X-Mlops-Signature');
      assert.equal(checkCredentials({ 'x-mlops-signature': signBody(BODY, 'another-secret-xxxxxx') }, BODY, { hmacSecret: SECRET }), 'wrong X-Mlops-Signature');
      assert.equal(checkCredentials({ 'x-mlops-signature': 'sha256=abc' }, BODY, { hmacSecret: SECRET }), 'wrong X-Mlops-Signature');
    });

    it('when both are configured, then either one is enough; a signature without a configured secret is refused', () => {
      const both = { token: TOKEN, hmacSecret: SECRET };
      assert.equal(checkCredentials({ authorization: `Bearer ${TOKEN}` }, BODY, both), undefined);
      assert.equal(checkCredentials({ 'x-mlops-signature': signBody(BODY, SECRET) }, BODY, both), undefined);
      assert.match(checkCredentials({ 'x-mlops-signature': signBody(BODY, SECRET) }, BODY, { token: TOKEN })!, /no HMAC secret is configured/);
    });
  });

  describe('resolveWebhookCredentials', () => {
    let home: string;

    beforeEach(async () => {
      home = await createTempDir('mlops-webhook-auth-');
    });

    afterEach(async () => {
      await removeTempDir(home);
    });

    it('when a token or secret is configured, then it is used and no file is written', async () => {
      const credentials = await resolveWebhookCredentials({ home, webhookToken: TOKEN, webhookHmacSecret: undefined }, { create: true });

      assert.deepEqual(credentials, { token: TOKEN });
      assert.deepEqual(await fs.readdir(home), []);
    });

    it('when nothing is configured, then the first start writes a 0600 token file and later reads return the same token', async () => {
      const config = { home: path.join(home, 'nested'), webhookToken: undefined, webhookHmacSecret: undefined };

      const first = await resolveWebhookCredentials(config, { create: true });
      const again = await resolveWebhookCredentials(config, { create: true });
      const reader = await resolveWebhookCredentials(config, { create: false });

      const file = path.join(home, 'nested', 'webhook-token');
      assert.equal(first.tokenFile, file);
      assert.match(first.token!, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(again.token, first.token);
      assert.equal(reader.token, first.token);
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    });

    it('when the token file holds a token shorter than 16 characters, with a space, or absurdly long, then it is refused naming the file and the rule', async () => {
      const file = path.join(home, 'webhook-token');
      const config = { home, webhookToken: undefined, webhookHmacSecret: undefined };
      const cases: [string, RegExp][] = [
        ['short-token\n', /at least 16 characters \(it has 11\)/],
        ['a token with spaces in it\n', /printable ASCII without spaces/],
        [`${'t'.repeat(1025)}\n`, /at most 1024 characters/],
      ];
      for (const [content, rule] of cases) {
        await fs.writeFile(file, content, { mode: 0o600 });
        for (const create of [true, false]) {
          await assert.rejects(resolveWebhookCredentials(config, { create }), (err: unknown) => err instanceof WebhookCredentialsError && err.message.startsWith(`${file}: `) && rule.test(err.message));
        }
      }
      await fs.writeFile(file, `${'t'.repeat(16)}\n`);
      assert.equal((await resolveWebhookCredentials(config, { create: false })).token, 't'.repeat(16));
    });

    it('when nothing is configured and the file does not exist yet, then a reader gets no token (and creates nothing)', async () => {
      const credentials = await resolveWebhookCredentials({ home, webhookToken: undefined, webhookHmacSecret: undefined }, { create: false });

      assert.equal(credentials.token, undefined);
      assert.equal(credentials.tokenFile, path.join(home, 'webhook-token'));
      assert.deepEqual(await fs.readdir(home), []);
    });
  });
});
