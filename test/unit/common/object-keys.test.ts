import assert from 'node:assert/strict';
import { isWellFormedUnicode, MAX_DATA_KEY_NAME_BYTES, normalizeETag, objectKeyProblem, utf8ByteLength } from '../../../common/object-keys';

describe('common/object-keys', () => {
  describe('utf8ByteLength', () => {
    it('when given ASCII, 2-, 3- and 4-byte characters, then it counts them as UTF-8 does', () => {
      for (const text of ['', 'abc', 'é', 'ß日', '😀', 'a😀é日']) assert.equal(utf8ByteLength(text), Buffer.byteLength(text, 'utf8'), text);
    });
  });

  describe('isWellFormedUnicode', () => {
    it('when a surrogate is alone, then the text is not well formed; a pair is', () => {
      assert.equal(isWellFormedUnicode('a😀b'), true);
      assert.equal(isWellFormedUnicode('a\ud83db'), false);
      assert.equal(isWellFormedUnicode('a\ude00'), false);
    });
  });

  describe('objectKeyProblem', () => {
    it('when a key is an ordinary data key, then it has no problem (spaces, unicode, + and % are fine)', () => {
      for (const key of ['training/cars.csv', 'training/used cars 2005.csv', 'scoring/é/日本/a+b%20c.csv', 'x']) assert.equal(objectKeyProblem(key), undefined, key);
    });

    const refused: [string, string, RegExp][] = [
      ['a .. segment', 'training/../registry/champion.json', /'\.' or '\.\.' segment/],
      ['a leading ..', '../x.csv', /'\.' or '\.\.' segment/],
      ['a . segment', 'training/./x.csv', /'\.' or '\.\.' segment/],
      ['a leading /', '/etc/passwd', /starts with '\/'/],
      ['an empty segment', 'training//x.csv', /empty segment/],
      ['a trailing /', 'training/', /ends with '\/'/],
      ['a newline', 'training/a\nb.csv', /control character/],
      ['a NUL', 'training/a\u0000b.csv', /control character/],
      ['a C1 control', 'training/a\u0085b.csv', /control character/],
      ['a backslash', 'training\\..\\x.csv', /backslash/],
      ['a lone surrogate', 'training/\ud83d.csv', /not valid Unicode/],
      ['the reserved temp marker', 'training/x.tmp-1.csv', /reserved marker/],
      ['a key over 1024 bytes', `training/${'a/'.repeat(600)}x.csv`, /longer than 1024 bytes/],
      ['a key of 1024 characters but 2048 bytes', `t/${'é'.repeat(1022)}`, /longer than 1024 bytes/],
      ['a name over 200 bytes', `training/${'n'.repeat(MAX_DATA_KEY_NAME_BYTES + 1)}`, /name in the key is longer than 200 bytes/],
      ['a name of 101 two-byte characters', `training/${'é'.repeat(101)}`, /longer than 200 bytes \(202 bytes/],
      ['an empty key', '', /empty/],
    ];
    for (const [what, key, rule] of refused) {
      it(`when a key has ${what}, then the problem names the rule`, () => {
        assert.match(objectKeyProblem(key) ?? 'no problem', rule);
      });
    }

    it('when a name is exactly 200 bytes, then it is accepted; a store may allow longer names', () => {
      assert.equal(objectKeyProblem(`training/${'n'.repeat(200)}`), undefined);
      assert.equal(objectKeyProblem(`training/${'n'.repeat(250)}`, { maxNameBytes: 250 }), undefined);
    });

    it('when the key is a prefix, then it may be empty or end with /', () => {
      assert.equal(objectKeyProblem('', { prefix: true }), undefined);
      assert.equal(objectKeyProblem('training/', { prefix: true }), undefined);
      assert.match(objectKeyProblem('training/../', { prefix: true }) ?? '', /'\.\.' segment/);
    });
  });

  describe('normalizeETag', () => {
    it('when an ETag is quoted (a HEAD), upper case, weak or padded, then it becomes the one spelling an event uses', () => {
      for (const raw of ['"9B2CF535F27731C974343645A3985328"', '9b2cf535f27731c974343645a3985328', ' "9b2cf535f27731c974343645a3985328" ', 'W/"9b2cf535f27731c974343645a3985328"']) {
        assert.equal(normalizeETag(raw), '9b2cf535f27731c974343645a3985328', raw);
      }
    });

    it('when the ETag is a multipart one, then its part count is kept', () => {
      assert.equal(normalizeETag('"D41D8CD98F00B204E9800998ECF8427E-2"'), 'd41d8cd98f00b204e9800998ecf8427e-2');
    });
  });
});
