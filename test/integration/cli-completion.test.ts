// Shell completion (@oclif/plugin-autocomplete): `robustmq-cli autocomplete bash` builds the
// completion scripts in the cache dir, `autocomplete script bash` prints the line for ~/.bashrc, and
// the bash function, run by bash itself, completes robustmq-cli's own topics, commands and flags.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

describe('robustmq-cli autocomplete', () => {
  let home: string;
  let env: Record<string, string>;
  let functions: string;

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'rmq-cli-ac-'));
    env = { HOME: home, XDG_CACHE_HOME: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config') };
    functions = join(env.XDG_CACHE_HOME!, 'robustmq', 'autocomplete', 'functions', 'bash', 'robustmq-cli.bash');
  });

  after(() => rmSync(home, { recursive: true, force: true }));

  it('autocomplete bash prints the setup steps and builds the completion functions', async () => {
    const r = await runCli(['autocomplete', 'bash'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /robustmq-cli autocomplete script bash/);
    assert.ok(existsSync(functions), `no ${functions}`);
    const script = readFileSync(functions, 'utf8');
    for (const id of ['server:status', 'config:set', 'config:get', 'context:add', 'context:use', 'topic:create']) {
      assert.match(script, new RegExp(`^${id} `, 'm'), `${id} not in the bash completion`);
    }
    assert.match(script, /^context:add .*--server.*--token.*--use/m);
  });

  it('autocomplete script bash prints the line to source, which names the built setup file', async () => {
    const r = await runCli(['autocomplete', 'script', 'bash'], env);
    assert.equal(r.code, 0, r.stderr);
    const setup = /ROBUSTMQ_CLI_AC_BASH_SETUP_PATH=(\S+)/.exec(r.stdout)?.[1];
    assert.ok(setup, r.stdout);
    assert.ok(readFileSync(setup, 'utf8').includes(functions));
  });

  it('bash completes the topics and the flags of a command', () => {
    const complete = (words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _robustmq-cli_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`,
          'complete',
          functions,
          ...words,
        ],
        { encoding: 'utf8' },
      )
        .split('\n')
        .filter(Boolean);
    const topics = complete(['robustmq-cli', 'con']);
    assert.ok(topics.includes('config') && topics.includes('context'), topics.join(' '));
    const verbs = complete(['robustmq-cli', 'context', '']);
    for (const v of ['add', 'list', 'remove', 'use']) assert.ok(verbs.includes(v), verbs.join(' '));
    const flags = complete(['robustmq-cli', 'server', 'status', '--']);
    for (const f of ['--server', '--context', '--json']) assert.ok(flags.includes(f), flags.join(' '));
  });
});
