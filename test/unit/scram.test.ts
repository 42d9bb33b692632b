// SCRAM (src/server/security/scram.ts) against the test vectors of RFC 5802 (SCRAM-SHA-1, section 5)
// and RFC 7677 (SCRAM-SHA-256, section 3), a SCRAM-SHA-512 round trip with the client side computed
// here, and the messages the server refuses (channel binding, bad escapes, wrong nonce or proof).
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  decodeSaslName,
  encodeSaslName,
  makeScramCredential,
  parseClientFinal,
  parseClientFirst,
  scramCredentialsFor,
  ScramError,
  serverFirstMessage,
  verifyClientFinal,
  type ScramHash,
} from '../../src/server/security/scram.js';

const VECTORS = [
  {
    rfc: 'RFC 5802 (SCRAM-SHA-1)',
    hash: 'sha1' as ScramHash,
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    rfc: 'RFC 7677 (SCRAM-SHA-256)',
    hash: 'sha256' as ScramHash,
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal:
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

/** r= and s= of a server-first-message. */
function serverFirstParts(m: string): { nonce: string; salt: Buffer; iterations: number } {
  const [r, s, i] = m.split(',');
  return { nonce: r!.slice(2), salt: Buffer.from(s!.slice(2), 'base64'), iterations: Number(i!.slice(2)) };
}

describe('SCRAM test vectors', () => {
  for (const v of VECTORS) {
    it(`${v.rfc}: the server accepts the client's proof and signs as the RFC says`, async () => {
      const { nonce, salt, iterations } = serverFirstParts(v.serverFirst);
      const credential = await makeScramCredential(v.hash, 'pencil', salt, iterations);
      const first = parseClientFirst(v.clientFirst);
      assert.equal(first.username, 'user');
      assert.equal(serverFirstMessage(nonce, credential), v.serverFirst);
      const verdict = verifyClientFinal(
        v.hash,
        credential,
        first,
        v.serverFirst,
        nonce,
        parseClientFinal(v.clientFinal),
      );
      assert.deepEqual(verdict, { ok: true, serverFinal: v.serverFinal });
    });

    it(`${v.rfc}: another password's credential refuses the same proof`, async () => {
      const { nonce, salt, iterations } = serverFirstParts(v.serverFirst);
      const credential = await makeScramCredential(v.hash, 'pencil2', salt, iterations);
      const first = parseClientFirst(v.clientFirst);
      const verdict = verifyClientFinal(
        v.hash,
        credential,
        first,
        v.serverFirst,
        nonce,
        parseClientFinal(v.clientFinal),
      );
      assert.equal(verdict.ok, false);
    });
  }
});

describe('SCRAM-SHA-512 with the client side computed independently', () => {
  it('a client that knows the password proves it and checks the server signature', async () => {
    const creds = await scramCredentialsFor('s3cret-pass');
    const credential = creds['SCRAM-SHA-512'];
    assert.equal(credential.iterations, 4096);
    assert.notEqual(creds['SCRAM-SHA-256'].salt, credential.salt, 'each mechanism has its own salt');
    const clientFirst = 'n,,n=bob,r=clientnonce123';
    const nonce = 'clientnonce123SERVERPART';
    const serverFirst = serverFirstMessage(nonce, credential);
    // the client side, from the password (RFC 5802, 3)
    const salted = pbkdf2Sync('s3cret-pass', Buffer.from(credential.salt, 'base64'), 4096, 64, 'sha512');
    const clientKey = createHmac('sha512', salted).update('Client Key').digest();
    const storedKey = createHash('sha512').update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `n=bob,r=clientnonce123,${serverFirst},${withoutProof}`;
    const signature = createHmac('sha512', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    const final = parseClientFinal(`${withoutProof},p=${proof.toString('base64')}`);
    const verdict = verifyClientFinal('sha512', credential, parseClientFirst(clientFirst), serverFirst, nonce, final);
    const serverKey = createHmac('sha512', salted).update('Server Key').digest();
    const expected = createHmac('sha512', serverKey).update(authMessage).digest('base64');
    assert.deepEqual(verdict, { ok: true, serverFinal: `v=${expected}` });
  });
});

describe('SCRAM messages', () => {
  it('usernames: "=2C" and "=3D" are decoded, other "=" escapes are refused', () => {
    assert.equal(decodeSaslName('a=2Cb=3Dc'), 'a,b=c');
    assert.equal(encodeSaslName('a,b=c'), 'a=2Cb=3Dc');
    assert.throws(() => decodeSaslName('a=2Db'), ScramError);
    assert.equal(parseClientFirst('n,,n=x=2Cy,r=abc').username, 'x,y');
  });

  it('channel binding ("p=") is refused; "y" (client supports it, server does not) is accepted', () => {
    assert.throws(() => parseClientFirst('p=tls-unique,,n=user,r=abc'), /channel binding is not supported/);
    assert.equal(parseClientFirst('y,,n=user,r=abc').gs2Header, 'y,,');
  });

  it('malformed client-first messages are refused', () => {
    for (const bad of [
      '',
      'n,',
      'n,,',
      'n,,r=abc,n=user',
      'n,,n=,r=abc',
      'n,,n=user,r=a,b',
      'x,,n=u,r=a',
      'n,,m=ext,n=u,r=a',
    ]) {
      assert.throws(() => parseClientFirst(bad), ScramError, JSON.stringify(bad));
    }
    assert.throws(() => parseClientFirst('n,a=other,n=user,r=abc'), /authorization identity/);
  });

  it('a client-final-message with another nonce or gs2 header is refused', async () => {
    const v = VECTORS[1]!;
    const { nonce, salt, iterations } = serverFirstParts(v.serverFirst);
    const credential = await makeScramCredential(v.hash, 'pencil', salt, iterations);
    const first = parseClientFirst(v.clientFirst);
    const otherNonce = parseClientFinal(v.clientFinal.replace('$k0,', '$k1,'));
    assert.throws(() => verifyClientFinal(v.hash, credential, first, v.serverFirst, nonce, otherNonce), /nonce/);
    const otherBinding = parseClientFinal(v.clientFinal.replace('c=biws', 'c=eSws'));
    assert.throws(() => verifyClientFinal(v.hash, credential, first, v.serverFirst, nonce, otherBinding), /channel/);
    assert.throws(() => parseClientFinal('c=biws,r=abc'), /no proof/);
    assert.throws(() => parseClientFinal('c=biws,r=abc,p=!!'), /base64/);
  });
});
