// The password_file provider with files written by the real mosquitto_passwd (Debian package
// mosquitto): $7$ (its default), $6$ (-H sha512) and our scrypt$ hashes; right and wrong passwords on
// every protocol level and with mosquitto_pub; unknown users passed on (to builtin, or to the
// anonymous rule); the file read again when mosquitto_passwd changes it, and on reload(); a file
// that cannot be read stops the start; a bad line is skipped with its number, never its text.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/lib/config.js';
import { isRobustMQError } from '../../src/lib/errors.js';
import { hashPassword } from '../../src/server/security/password-hash.js';
import { PasswordFileProvider } from '../../src/server/security/providers/password-file-provider.js';
import { BAD_CREDENTIALS, NOT_AUTHORIZED, capturingLogger, connackCode, shownCode } from '../helpers/auth-connect.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';

const dir = mkdtempSync(join(tmpdir(), 'rmq-pwfile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function mosquittoPasswd(...args: string[]): void {
  execFileSync('mosquitto_passwd', args, { stdio: 'pipe' });
}

const execFileAsync = promisify(execFile);
const pw = (s: string) => Buffer.from(s);

describe('password_file: a file written by mosquitto_passwd', () => {
  const file = join(dir, 'passwd');
  let b: TestBroker;
  before(async () => {
    mosquittoPasswd('-c', '-b', file, 'alice', 'wonderland'); // $7$, Mosquitto 2's default
    mosquittoPasswd('-b', file, 'bob', 'pässword ✓');
    mosquittoPasswd('-H', 'sha512', '-b', file, 'carol', 'secret6'); // $6$
    appendFileSync(file, `dave:${await hashPassword('scrypt-pw')}\n`);
    b = await startBroker({
      auth: { providers: ['password_file'], allow_anonymous: false, password_file: { path: file } },
    });
  });
  after(() => b?.stop());

  for (const v of [3, 4, 5] as const) {
    it(`v${v}: the right password connects; a wrong one, or none, is refused (${shownCode(v, BAD_CREDENTIALS)})`, async () => {
      assert.equal(await connackCode(b.port, v, { username: 'alice', password: pw('wonderland') }), 0);
      assert.equal(
        await connackCode(b.port, v, { username: 'alice', password: pw('looking-glass') }),
        BAD_CREDENTIALS[v],
      );
      assert.equal(await connackCode(b.port, v, { username: 'alice' }), BAD_CREDENTIALS[v]);
    });
  }

  it('$7$ with a non-ASCII password, $6$ and scrypt$ hashes all verify', async () => {
    assert.equal(await connackCode(b.port, 5, { username: 'bob', password: pw('pässword ✓') }), 0);
    assert.equal(await connackCode(b.port, 5, { username: 'bob', password: pw('password ✓') }), 0x86);
    assert.equal(await connackCode(b.port, 4, { username: 'carol', password: pw('secret6') }), 0);
    assert.equal(await connackCode(b.port, 4, { username: 'carol', password: pw('secret7') }), 4);
    assert.equal(await connackCode(b.port, 4, { username: 'dave', password: pw('scrypt-pw') }), 0);
  });

  it('an unknown username is passed on: with anonymous clients refused, it is not authorized (0x87 / 5)', async () => {
    assert.equal(await connackCode(b.port, 5, { username: 'mallory', password: pw('x') }), NOT_AUTHORIZED[5]);
    assert.equal(await connackCode(b.port, 4, { username: 'mallory', password: pw('x') }), NOT_AUTHORIZED[4]);
  });

  it('mosquitto_pub connects with the right password and is refused with a wrong one', async () => {
    // asynchronously: the broker runs in this process
    const pub = (password: string) =>
      execFileAsync(
        'mosquitto_pub',
        ['-h', '127.0.0.1', '-p', String(b.port), '-u', 'alice', '-P', password, '-t', 'pwfile/t', '-m', 'x'],
        { encoding: 'utf8', timeout: 10_000 },
      );
    await pub('wonderland');
    await assert.rejects(pub('wrong'), (err: { code?: number; stderr?: string }) => {
      assert.notEqual(err.code, 0);
      assert.match(err.stderr ?? '', /not authori[sz]ed|bad user name or password|Connection Refused/i);
      return true;
    });
  });

  it('reads the file again when mosquitto_passwd adds, changes or deletes a user', async () => {
    mosquittoPasswd('-b', file, 'erin', 'new-user');
    await waitFor(async () => (await connackCode(b.port, 4, { username: 'erin', password: pw('new-user') })) === 0);
    mosquittoPasswd('-b', file, 'alice', 'changed');
    await waitFor(async () => (await connackCode(b.port, 4, { username: 'alice', password: pw('changed') })) === 0);
    assert.equal(await connackCode(b.port, 4, { username: 'alice', password: pw('wonderland') }), 4);
    mosquittoPasswd('-D', file, 'alice');
    await waitFor(async () => (await connackCode(b.port, 4, { username: 'alice', password: pw('changed') })) === 5);
  });
});

/** Polls `check` (an async condition) every 100 ms for up to 5 s. */
async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) assert.fail('the password file change was not picked up within 5 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('password_file: chained before builtin', () => {
  const file = join(dir, 'chain');
  let b: TestBroker;
  before(async () => {
    mosquittoPasswd('-c', '-b', file, 'alice', 'from-file');
    b = await startBroker({
      auth: { providers: ['password_file', 'builtin'], allow_anonymous: false, password_file: { path: file } },
    });
    await b.broker.admin.createUser({ username: 'zed', password: 'from-builtin' });
    await b.broker.admin.createUser({ username: 'alice', password: 'from-builtin' });
  });
  after(() => b?.stop());

  it('a user the file does not know is answered by builtin; one it knows, by the file alone', async () => {
    assert.equal(await connackCode(b.port, 5, { username: 'zed', password: pw('from-builtin') }), 0);
    assert.equal(await connackCode(b.port, 5, { username: 'zed', password: pw('nope') }), 0x86);
    assert.equal(await connackCode(b.port, 5, { username: 'alice', password: pw('from-file') }), 0);
    // the file denies: builtin is not asked
    assert.equal(await connackCode(b.port, 5, { username: 'alice', password: pw('from-builtin') }), 0x86);
  });
});

describe('password_file: the file itself', () => {
  it('bad lines are skipped with a warning naming the line number, never the hash', async () => {
    const file = join(dir, 'bad-lines');
    mosquittoPasswd('-c', '-b', file, 'alice', 'wonderland');
    const good = execFileSync('cat', [file], { encoding: 'utf8' });
    const secretHash = good.slice(good.indexOf(':') + 1).trim();
    writeFileSync(file, `# comment\n${good}no-colon-here\nbob:plain-text-password\n\n:${secretHash}\n`);
    const { log, lines } = capturingLogger();
    const p = new PasswordFileProvider(file, log);
    await p.start();
    try {
      assert.equal(p.size, 1);
      const skipped = lines.filter((l) => l.includes('password file line skipped')).map((l) => JSON.parse(l));
      assert.deepEqual(
        skipped.map((l: { line: number }) => l.line),
        [3, 4, 6],
      );
      const all = lines.join('');
      assert.ok(!all.includes(secretHash), 'a hash is in the log');
      assert.ok(!all.includes('plain-text-password'), 'a line text is in the log');
    } finally {
      await p.stop();
    }
  });

  it('reload() reads the file again; a file gone since keeps the users read last', async () => {
    const file = join(dir, 'reload');
    mosquittoPasswd('-c', '-b', file, 'alice', 'wonderland');
    const { log, lines } = capturingLogger();
    const p = new PasswordFileProvider(file, log);
    await p.reload();
    assert.equal(p.size, 1);
    mosquittoPasswd('-b', file, 'bob', 'builder');
    await p.reload();
    assert.equal(p.size, 2);
    rmSync(file);
    await p.reload();
    assert.equal(p.size, 2);
    assert.ok(lines.some((l) => l.includes('password file cannot be read')));
  });

  it('a file that cannot be read stops the start, naming the key and the file', async () => {
    const missing = join(dir, 'missing');
    await assert.rejects(
      startBroker({ auth: { providers: ['password_file'], password_file: { path: missing } } }),
      (err: unknown) =>
        isRobustMQError(err) &&
        err.code === 'RMQ_ERR_AUTH_PROVIDER' &&
        err.message.includes('auth.password_file.path') &&
        err.message.includes(missing),
    );
  });

  it('listing the provider without its section fails at load, saying what to set', () => {
    assert.throws(
      () => loadConfig({ overrides: { auth: { providers: ['password_file'] } } }),
      /auth\.password_file: auth\.providers lists "password_file" but its settings are missing: set auth\.password_file\.path/,
    );
  });
});
