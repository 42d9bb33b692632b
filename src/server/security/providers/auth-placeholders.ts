// The ${username}, ${clientid}, ${peerhost} and ${cert_common_name} placeholders of a database
// provider's query or command: an SQL query becomes text with bound parameters ($1 for PostgreSQL,
// ? for MySQL) and the list of values to bind, so a username is never pasted into SQL; a Redis
// command becomes one argument per word with the values filled in within each argument.
import type { AuthRequest } from '../auth-types.js';

const PLACEHOLDER = /\$\{([a-z_]+)\}/g;

/** The value of one placeholder for this CONNECT; undefined when the client sent none (no username). */
export function placeholderValue(name: string, req: AuthRequest): string | undefined {
  switch (name) {
    case 'username':
      return req.username;
    case 'clientid':
      return req.clientId;
    case 'peerhost':
      return req.remoteAddress.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    case 'cert_common_name':
      return req.certCommonName;
    default:
      // the config schema allows only the names above
      throw new Error(`unknown placeholder \${${name}}`);
  }
}

export interface SqlTemplate {
  /** The query with each placeholder replaced by a parameter marker. */
  text: string;
  /** The placeholder bound to each parameter, in order. */
  params: string[];
}

/** PostgreSQL numbers its parameters ($1, $2; one per distinct name), MySQL has one ? per occurrence. */
export function compileSql(query: string, style: 'postgres' | 'mysql'): SqlTemplate {
  const params: string[] = [];
  const text = query.replace(PLACEHOLDER, (_all, name: string) => {
    if (style === 'mysql') {
      params.push(name);
      return '?';
    }
    let i = params.indexOf(name);
    if (i < 0) i = params.push(name) - 1;
    return `$${i + 1}`;
  });
  return { text, params };
}

/** The values to bind, or undefined when one is missing (nothing to look up: the provider ignores the client). */
export function bindValues(names: readonly string[], req: AuthRequest): string[] | undefined {
  const values: string[] = [];
  for (const name of names) {
    const v = placeholderValue(name, req);
    if (v === undefined) return undefined;
    values.push(v);
  }
  return values;
}

/** A Redis command's words with the placeholders filled in, or undefined when a value is missing. */
export function redisArgs(cmd: string, req: AuthRequest): string[] | undefined {
  const args: string[] = [];
  for (const word of cmd.trim().split(/\s+/)) {
    let missing = false;
    args.push(
      word.replace(PLACEHOLDER, (_all, name: string) => {
        const v = placeholderValue(name, req);
        if (v === undefined) missing = true;
        return v ?? '';
      }),
    );
    if (missing) return undefined;
  }
  return args;
}
