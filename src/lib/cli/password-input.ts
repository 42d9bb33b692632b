// Where `user create` and `user passwd` get a password: --password, all of stdin with
// --password-stdin (one trailing line break dropped), or a prompt without echo when stdin is a
// terminal. Never a prompt when stdin is not a terminal: that is a usage error.
import { Flags } from '@oclif/core';
import { RobustMQError } from '../errors.js';

export const passwordFlags = {
  password: Flags.string({
    summary: 'The password (visible to other users in the process list: prefer --password-stdin).',
    exclusive: ['password-stdin'],
  }),
  'password-stdin': Flags.boolean({
    summary: 'Read the password from stdin (all of it, one trailing line break dropped).',
    exclusive: ['password'],
  }),
};

function usage(message: string): RobustMQError {
  return new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', message);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** One line typed on the terminal, not echoed; the prompt goes to stderr. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(usage('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** The password the flags ask for; a RobustMQError (a usage error for the caller) when there is none. */
export async function readPassword(flags: { password?: string; 'password-stdin'?: boolean }): Promise<string> {
  if (flags.password !== undefined) return flags.password;
  if (flags['password-stdin']) {
    const password = await readStdin();
    if (password === '') throw usage('--password-stdin read an empty password');
    return password;
  }
  if (!process.stdin.isTTY) {
    throw usage('no password given and stdin is not a terminal: pass it with --password-stdin (or --password)');
  }
  const first = await promptHidden('Password: ');
  const again = await promptHidden('Password again: ');
  if (first !== again) throw usage('the two passwords differ');
  return first;
}
