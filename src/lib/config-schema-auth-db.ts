// The [auth.postgres], [auth.mysql] and [auth.redis] tables: where the database authentication
// providers find their users (server, credentials, the query or command with ${...} placeholders)
// and how the stored passwords are hashed (EMQX's password_hash_algorithm, salt_position, PBKDF2
// settings). A query that quotes a placeholder or names an unknown one fails at start.
import { z } from 'zod';

/** What a ${...} placeholder of a query or command may name (EMQX's names). */
export const AUTH_PLACEHOLDERS = ['username', 'clientid', 'peerhost', 'cert_common_name'] as const;

export const PASSWORD_HASH_ALGORITHMS = ['plain', 'md5', 'sha', 'sha256', 'sha512', 'bcrypt', 'pbkdf2'] as const;
export const SALT_POSITIONS = ['prefix', 'suffix', 'disable'] as const;
/** HMAC functions of pbkdf2 (EMQX dropped md4, md5 and ripemd160). */
export const PBKDF2_MAC_FUNS = ['sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;

const port = z.number().int().min(1).max(65535);
const positiveInt = z.number().int().min(1);

const PLACEHOLDER = /\$\{([^}]*)\}/g;

function checkPlaceholders(text: string, ctx: z.RefinementCtx, key: string): void {
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (!(AUTH_PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `unknown placeholder \${${m[1]}}: use ${AUTH_PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')}`,
      });
    }
  }
}

const passwordHashFields = {
  /** How password_hash was made from the password (and the salt). */
  password_hash_algorithm: z.enum(PASSWORD_HASH_ALGORITHMS).default('sha256'),
  /** Where the salt goes for plain, md5, sha, sha256, sha512: before the password, after it, or not at all. */
  salt_position: z.enum(SALT_POSITIONS).default('prefix'),
  /** pbkdf2 only: the HMAC hash function. */
  mac_fun: z.enum(PBKDF2_MAC_FUNS).default('sha256'),
  /** pbkdf2 only: the iteration count. */
  iterations: positiveInt.max(10_000_000).default(4096),
  /** pbkdf2 only: the derived key length in bytes; 0 = the output size of mac_fun. */
  dk_length: z.number().int().min(0).max(1024).default(0),
};

const connectionFields = {
  host: z.string().min(1).default('127.0.0.1'),
  username: z.string().default(''),
  password: z.string().default(''),
  /** A connection not made in this time counts as a failure (CONNECTs refused). */
  connect_timeout_ms: positiveInt.default(5000),
  /** A query not answered in this time counts as a failure (CONNECTs refused). */
  query_timeout_ms: positiveInt.default(5000),
};

function sqlSchema(defaultPort: number, defaultUser: string) {
  return z
    .object({
      ...connectionFields,
      port: port.default(defaultPort),
      username: z.string().default(defaultUser),
      /** Connections kept open to the server. */
      pool_size: positiveInt.max(1000).default(8),
      database: z.string({ error: 'required: the name of the database holding the user table' }).min(1),
      /** Run as a parameterized query: each ${...} is a bound parameter, never text pasted into the SQL. */
      query: z
        .string()
        .min(1)
        .default('SELECT password_hash, salt, is_superuser FROM mqtt_user WHERE username = ${username} LIMIT 1'),
      ...passwordHashFields,
    })
    .strict()
    .superRefine((c, ctx) => {
      checkPlaceholders(c.query, ctx, 'query');
      if (/['"`]\s*\$\{[^}]*\}|\$\{[^}]*\}\s*['"`]/.test(c.query)) {
        ctx.addIssue({
          code: 'custom',
          path: ['query'],
          message:
            "must not quote a placeholder: write username = ${username}, not '${username}' (it is a bound parameter)",
        });
      }
    });
}

export const AuthPostgresSchema = sqlSchema(5432, 'postgres');
export const AuthMysqlSchema = sqlSchema(3306, 'root');

export const AuthRedisSchema = z
  .object({
    ...connectionFields,
    port: port.default(6379),
    /** The database index (SELECT). */
    database: z.number().int().min(0).default(0),
    /** HGET or HMGET; each word is one argument, placeholders are filled in within it. */
    cmd: z.string().min(1).default('HMGET mqtt_user:${username} password_hash salt is_superuser'),
    ...passwordHashFields,
  })
  .strict()
  .superRefine((c, ctx) => {
    checkPlaceholders(c.cmd, ctx, 'cmd');
    const [name, key, ...fields] = c.cmd.trim().split(/\s+/);
    const verb = name!.toUpperCase();
    const message =
      verb !== 'HGET' && verb !== 'HMGET'
        ? `must be an HGET or HMGET command (got ${name})`
        : key === undefined || fields.length === 0
          ? 'needs a key and at least one field, e.g. HMGET mqtt_user:${username} password_hash salt is_superuser'
          : verb === 'HGET' && fields.length !== 1
            ? 'HGET takes one field (password_hash); use HMGET for more'
            : !fields.includes('password_hash') && !fields.includes('password')
              ? 'must read the field password_hash (or password)'
              : fields.some((f) => f.includes('${'))
                ? 'placeholders go into the key, not the field names'
                : undefined;
    if (message) ctx.addIssue({ code: 'custom', path: ['cmd'], message });
  });

export type AuthPostgresConfig = z.infer<typeof AuthPostgresSchema>;
export type AuthMysqlConfig = z.infer<typeof AuthMysqlSchema>;
export type AuthRedisConfig = z.infer<typeof AuthRedisSchema>;
export type PasswordHashConfig = Pick<
  AuthPostgresConfig,
  'password_hash_algorithm' | 'salt_position' | 'mac_fun' | 'iterations' | 'dk_length'
>;
