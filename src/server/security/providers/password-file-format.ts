// The text of a Mosquitto password file (mosquitto_passwd): `username:hash` per line, read by the
// password_file provider and by `robustmq-cli user import`. Only hashes verifyPassword can check
// are taken ($7$, $6$, scrypt$); a bad line is reported by its number and why, never its text.
import { isPasswordHash } from '../password-hash.js';

export interface PasswordFileLine {
  username: string;
  hash: string;
}

export interface ParsedPasswordFile {
  users: PasswordFileLine[];
  /** 1-based numbers of the lines skipped, with why (never the line's text). */
  bad: { line: number; reason: string }[];
}

/**
 * Reads the text of a password file: `username:hash` per line; blank lines and lines starting with
 * `#` are skipped; a username given twice keeps its last line (as a later mosquitto_passwd run would).
 */
export function parsePasswordFile(text: string): ParsedPasswordFile {
  const byName = new Map<string, PasswordFileLine>();
  const bad: ParsedPasswordFile['bad'] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.startsWith('#')) return;
    const cut = line.indexOf(':');
    if (cut <= 0) {
      bad.push({ line: i + 1, reason: 'not username:hash' });
      return;
    }
    const username = line.slice(0, cut);
    const hash = line.slice(cut + 1).trim();
    if (!isPasswordHash(hash)) {
      bad.push({
        line: i + 1,
        reason: 'the hash is not $7$, $6$ or scrypt$ (a clear-text password file needs mosquitto_passwd -U)',
      });
      return;
    }
    byName.delete(username);
    byName.set(username, { username, hash });
  });
  return { users: [...byName.values()], bad };
}
