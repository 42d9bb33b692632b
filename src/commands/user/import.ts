// `robustmq-cli user import FILE`: the users of a Mosquitto password file (mosquitto_passwd) become
// built-in users with their hashes as they are ($7$, $6$; or scrypt$), so their passwords keep working.
import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import type { ImportUsersResult } from '../../lib/admin-api.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { RobustMQError } from '../../lib/errors.js';
import { checkUsername } from '../../lib/security-rules.js';
import { parsePasswordFile } from '../../server/security/providers/password-file-format.js';

/** Users sent per admin call (the REST body and gRPC message limits stay far away). */
const BATCH = 1000;

export default class UserImport extends AdminCommand<typeof UserImport> {
  static override summary = 'Import the users of a Mosquitto password file, keeping their password hashes.';
  static override description =
    'FILE holds `username:hash` lines as mosquitto_passwd writes them: $7$ (PBKDF2-SHA512, Mosquitto 2) and $6$ (salted SHA-512, Mosquitto 1.6 and before) hashes, or scrypt$ ones; blank lines and lines starting with # are skipped. The broker stores the hashes as they are (no password is known to it or to this command), so every user keeps its password. The whole file is checked first: a bad line is reported by its number (never its text) and nothing is imported (exit 2). Users that exist already are left as they are and listed, unless --overwrite replaces their hashes. Imported users are not superusers.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> /etc/mosquitto/passwd',
    '<%= config.bin %> <%= command.id %> passwd --overwrite --json',
  ];
  static override args = {
    file: Args.string({ description: 'The password file (mosquitto_passwd format).', required: true }),
  };
  static override flags = {
    overwrite: Flags.boolean({ summary: 'Replace the password hash of users that exist already.' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(UserImport);
    const invalid = (message: string) => this.usageError(new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', message));
    let text: string;
    try {
      text = readFileSync(args.file, 'utf8');
    } catch (err) {
      return invalid(`cannot read ${args.file}: ${(err as Error).message}`);
    }
    const parsed = parsePasswordFile(text);
    if (parsed.bad.length > 0) {
      const lines = parsed.bad.map((b) => `line ${b.line}: ${b.reason}`).join('; ');
      return invalid(`${args.file} has lines that are not username:hash, nothing imported: ${lines}`);
    }
    for (const u of parsed.users) {
      try {
        checkUsername(u.username);
      } catch (err) {
        return invalid(`${args.file}: ${(err as Error).message}`);
      }
    }
    const total: ImportUsersResult = { created: 0, updated: 0, skipped: [] };
    const api = this.adminApi();
    for (let i = 0; i < parsed.users.length; i += BATCH) {
      const users = parsed.users.slice(i, i + BATCH).map((u) => ({ username: u.username, passwordHash: u.hash }));
      const r = await api.importUsers({ users, overwrite: this.flags.overwrite });
      total.created += r.created;
      total.updated += r.updated;
      total.skipped.push(...r.skipped);
    }
    this.output(total, () => {
      const lines = [`imported ${args.file}: ${total.created} created, ${total.updated} updated`];
      if (total.skipped.length > 0) {
        lines.push(`left as they are (they exist already; --overwrite replaces them): ${total.skipped.join(', ')}`);
      }
      return lines.join('\n');
    });
  }
}
