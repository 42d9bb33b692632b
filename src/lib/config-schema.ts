// The broker's configuration schema: every key, its type, its bounds and its default.
// docs/configuration.md documents the same keys; keep both in step.
import { z } from 'zod';
import { validateTopicFilter } from './topic.js';
import { autoSubscribeTopicError } from './auto-subscribe-topic.js';
import { AuthMysqlSchema, AuthPostgresSchema, AuthRedisSchema } from './config-schema-auth-db.js';
import { checkRewriteRule, MAX_TOPIC_REWRITE_RULES, TOPIC_REWRITE_ACTIONS } from './topic-rewrite-rule.js';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);

export const NodeSchema = z
  .object({
    name: z.string().min(1).default('robustmq-node-1'),
    data_dir: z.string().min(1).default('./data'),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * Processes that serve clients: 1 runs the broker in this process; more fork that many workers
     * behind one listener, each client owned by the worker its client id hashes to.
     */
    workers: z.number().int().min(1).max(64).default(1),
  })
  .strict();

export const MqttSchema = z
  .object({
    /**
     * Address of the MQTT TCP listener: loopback by default (secure by default); another address
     * needs auth.allow_anonymous set, to true or to false.
     */
    bind: z.string().min(1).default('127.0.0.1'),
    port: port.default(1883),
    /** Close a connection that has not completed CONNECT within this many milliseconds. */
    connect_timeout_ms: positiveInt.default(10_000),
    tcp_nodelay: z.boolean().default(true),
    /**
     * Seconds of silence before the kernel probes a client socket (SO_KEEPALIVE); 0 = off, as in
     * Mosquitto. Off by default: it costs four socket options per connection (a quarter of the
     * connect rate in ../shared/bench), and MQTT keep alive already finds dead clients.
     */
    tcp_keepalive_s: z.number().int().min(0).max(7200).default(0),
  })
  .strict();

export const LimitsSchema = z
  .object({
    max_connections: positiveInt.default(100_000),
    /** Largest packet accepted from a client, and advertised in CONNACK (v5). */
    max_packet_size: z.number().int().min(16).max(268_435_455).default(1_048_576),
    /** v5 clients asking for more get Server Keep Alive; v3 clients are refused (0x02). 0 = no limit. */
    max_keepalive: nonNegativeInt.max(65535).default(65535),
    /** How many unacknowledged QoS 1/2 PUBLISHes a client may send us (v5 Receive Maximum). */
    receive_maximum: positiveInt.max(65535).default(128),
    /** Topic aliases a client may use towards us; 0 disables them. */
    topic_alias_maximum: nonNegativeInt.max(65535).default(10),
    /** Unacknowledged QoS 1/2 messages we send to one client at once. */
    max_inflight: positiveInt.max(65535).default(32),
    /** Messages queued for one session while it is offline or its inflight window is full. */
    max_queued_messages: positiveInt.default(1000),
    max_topic_levels: positiveInt.default(128),
    /** 0 = unlimited. */
    max_subscriptions_per_client: nonNegativeInt.default(0),
    max_client_id_length: positiveInt.max(65535).default(65535),
    /** Highest QoS the broker accepts and grants (advertised as Maximum QoS when below 2). */
    max_qos: z.number().int().min(0).max(2).default(2),
    retain_available: z.boolean().default(true),
    /** Bytes buffered for one slow client before its messages queue (and then drop) instead. */
    max_write_buffer: positiveInt.default(4 * 1024 * 1024),
    /** Upper bound for the v5 Session Expiry Interval, in seconds. */
    max_session_expiry_interval: nonNegativeInt.max(4_294_967_295).default(4_294_967_295),
  })
  .strict();

export const SessionSchema = z
  .object({
    /** Queue QoS 0 messages for offline persistent sessions (as EMQX does by default). */
    queue_qos0: z.boolean().default(true),
    /** What to drop when a session queue is full: the oldest queued message, or the new one. */
    queue_drop: z.enum(['oldest', 'newest']).default('oldest'),
  })
  .strict();

export const SharedSchema = z
  .object({
    strategy: z.enum(['round_robin', 'random', 'hash_clientid']).default('round_robin'),
  })
  .strict();

export const SysSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Seconds between $SYS publications. */
    interval: positiveInt.default(10),
  })
  .strict();

export const StorageSchema = z
  .object({
    engine: z.enum(['memory', 'sqlite', 'postgres']).default('sqlite'),
    /** Longest wait, in milliseconds, before queued writes are committed together (group commit). */
    commit_interval_ms: positiveInt.max(1000).default(2),
    /** postgres engine: the connection URL, e.g. postgres://user:password@127.0.0.1:5432/robustmq. */
    postgres_url: z.string().default(''),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.engine === 'postgres' && s.postgres_url === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['postgres_url'],
        message:
          'is required when storage.engine is "postgres" (e.g. postgres://user:password@127.0.0.1:5432/robustmq)',
      });
    }
  });

export const TopicsSchema = z
  .object({
    /** Topics matching these filters get a log when first published to, as if created with the defaults below. */
    log_filters: z
      .array(
        z.string().refine((f) => validateTopicFilter(f).ok && !f.startsWith('$share/'), {
          message: 'must be a valid topic filter (not a $share/ filter)',
        }),
      )
      .default([]),
    /** Partitions of a topic created without a partition count. */
    default_partitions: positiveInt.max(1024).default(1),
    /** Log retention by age of a topic created without one, in milliseconds (0 = no limit). Default 7 days. */
    default_retention_ms: nonNegativeInt.default(604_800_000),
    /** Log retention in payload bytes per partition of a topic created without one (0 = no limit). */
    default_retention_bytes: nonNegativeInt.default(0),
  })
  .strict();

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost)$/;

/** Whether an address only takes connections from this machine. */
export function isLoopbackAddress(address: string): boolean {
  return LOOPBACK.test(address);
}

const adminBind = z.string().min(1).default('127.0.0.1');

export const AdminSchema = z
  .object({
    /** Serve the admin gRPC API (robustmq-cli's target). */
    grpc_enabled: z.boolean().default(true),
    /** Address of the admin gRPC endpoint. A non-loopback address needs admin tokens (auth, below). */
    grpc_bind: adminBind,
    /** Port of the admin gRPC endpoint (0 = any free port). */
    grpc_port: port.default(1228),
    /** Serve the admin REST API (/api/v1, /api/docs, /health/live, /health/ready). */
    http_enabled: z.boolean().default(true),
    /** Address of the admin REST API; like grpc_bind. */
    http_bind: adminBind,
    /** Port of the admin REST API (0 = any free port). */
    http_port: port.default(8080),
    /**
     * Who may call the admin endpoints: "token" = only calls with a valid admin token; "none" = anyone
     * who can connect (loopback binds only); "auto" = "token" when an enabled endpoint binds a
     * non-loopback address, else "none".
     */
    auth: z.enum(['auto', 'none', 'token']).default('auto'),
    /**
     * A file holding the first admin token (at least 32 characters, e.g. `openssl rand -hex 32`): read
     * and hashed at start, valid while the setting names it. How the first real tokens get created.
     */
    bootstrap_token_file: z.string().default(''),
    /** PEM certificate (chain) of both admin endpoints: with tls_key, gRPC runs over TLS and REST over HTTPS. */
    tls_cert: z.string().default(''),
    /** PEM private key of tls_cert. */
    tls_key: z.string().default(''),
    /**
     * PEM CA bundle: when set, admin clients must present a certificate it signed (mutual TLS), which
     * is enough to open a non-loopback bind without tokens.
     */
    tls_ca: z.string().default(''),
  })
  .strict()
  .superRefine((a, ctx) => {
    if ((a.tls_cert === '') !== (a.tls_key === '')) {
      ctx.addIssue({
        code: 'custom',
        path: [a.tls_cert === '' ? 'tls_cert' : 'tls_key'],
        message: 'admin.tls_cert and admin.tls_key go together: set both (PEM files) or neither',
      });
    }
    if (a.tls_ca !== '' && a.tls_cert === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['tls_ca'],
        message: 'client certificates need TLS on the admin endpoints: set admin.tls_cert and admin.tls_key too',
      });
    }
    if (a.auth !== 'none' || a.tls_ca !== '') return;
    const open = [
      a.grpc_enabled && !isLoopbackAddress(a.grpc_bind) ? `admin.grpc_bind = "${a.grpc_bind}"` : '',
      a.http_enabled && !isLoopbackAddress(a.http_bind) ? `admin.http_bind = "${a.http_bind}"` : '',
    ].filter(Boolean);
    if (open.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: `"none" is only allowed when the admin endpoints bind loopback addresses, but ${open.join(' and ')}: set admin.auth = "token" (or "auto") and admin.bootstrap_token_file for the first token, or require TLS client certificates (admin.tls_cert, admin.tls_key, admin.tls_ca), or bind 127.0.0.1`,
      });
    }
  });

/**
 * Whether admin calls need a token under this configuration (admin.auth, resolving "auto": a
 * non-loopback bind needs one, unless TLS client certificates are required, which authenticate).
 */
export function adminAuthRequired(admin: z.infer<typeof AdminSchema>): boolean {
  if (admin.auth !== 'auto') return admin.auth === 'token';
  if (admin.tls_ca !== '') return false;
  return (
    (admin.grpc_enabled && !isLoopbackAddress(admin.grpc_bind)) ||
    (admin.http_enabled && !isLoopbackAddress(admin.http_bind))
  );
}

/** auth.providers: the authentication providers a CONNECT is asked of, in order. */
export const AUTH_PROVIDERS = ['builtin', 'password_file', 'jwt', 'http', 'postgres', 'mysql', 'redis'] as const;

/** [auth.password_file]: a Mosquitto password file (mosquitto_passwd). */
export const PasswordFileAuthSchema = z
  .object({
    /** The file: `username:hash` lines ($7$, $6$ or scrypt$ hashes); read again when it changes. */
    path: z.string().min(1, { message: 'must name the password file' }),
  })
  .strict();

/** [auth.jwt]: a JSON Web Token in the CONNECT password (or username). */
export const JwtAuthSchema = z
  .object({
    /** Which CONNECT field carries the token. */
    from: z.enum(['password', 'username']).default('password'),
    algorithm: z.enum(['HS256', 'RS256', 'ES256']),
    /** HS256: the shared secret (or secret_file). */
    secret: z.string().min(1).optional(),
    /** HS256: a file holding the shared secret (one trailing newline is dropped). */
    secret_file: z.string().min(1).optional(),
    /** RS256 / ES256: the PEM file of the public key (SPKI) or certificate. */
    public_key_file: z.string().min(1).optional(),
    /** Claims that must equal these values; ${clientid} and ${username} are the client's. */
    verify_claims: z.record(z.string(), z.string()).default({}),
    /** The claim holding ACL rules for the connection (EMQX's formats). */
    acl_claim: z.string().min(1).default('acl'),
    /** The claim that makes the client a superuser when it is true. */
    superuser_claim: z.string().min(1).default('is_superuser'),
  })
  .strict()
  .superRefine((j, ctx) => {
    if (j.algorithm === 'HS256') {
      if ((j.secret === undefined) === (j.secret_file === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['secret'],
          message: 'HS256 needs the shared secret: set auth.jwt.secret or auth.jwt.secret_file (one of them)',
        });
      }
      if (j.public_key_file !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['public_key_file'], message: 'is for RS256 and ES256, not HS256' });
      }
    } else {
      if (j.public_key_file === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['public_key_file'],
          message: `${j.algorithm} needs the public key: set auth.jwt.public_key_file to a PEM file`,
        });
      }
      if (j.secret !== undefined || j.secret_file !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['secret'], message: `is for HS256, not ${j.algorithm}` });
      }
    }
  });

/** [auth.http]: an HTTP service that answers allow, deny or ignore. */
export const HttpAuthSchema = z
  .object({
    url: z.string().refine((u) => /^https?:\/\/[^/]/.test(u), { message: 'must be an http:// or https:// URL' }),
    method: z.enum(['post', 'get']).default('post'),
    /** The JSON body (POST) or query parameters (GET); values may hold ${clientid}, ${username}, ${password}, ${peerhost}. */
    body: z.record(z.string(), z.string()).default({
      clientid: '${clientid}',
      username: '${username}',
      password: '${password}',
      peerhost: '${peerhost}',
    }),
    headers: z.record(z.string(), z.string()).default({}),
    timeout_ms: z.number().int().min(1).max(60_000).default(5000),
    /** How long an allow answer is reused for the same client id, username, password and address (0 = never). */
    cache_ttl_ms: nonNegativeInt.max(86_400_000).default(0),
  })
  .strict();

/** What to set when auth.providers names a provider whose section is missing. */
const PROVIDER_SETTINGS: Record<string, string> = {
  password_file: 'set auth.password_file.path (a [auth.password_file] section with path = "/etc/mosquitto/passwd")',
  jwt: 'set auth.jwt.algorithm and its key (a [auth.jwt] section with algorithm = "HS256" and secret_file, or RS256/ES256 and public_key_file)',
  http: 'set auth.http.url (a [auth.http] section with url = "http://127.0.0.1:8080/mqtt/auth")',
};

/** auth.scram.algorithms: the SCRAM mechanisms (MQTT 5 Authentication Method names) a client may use. */
export const SCRAM_ALGORITHMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** [auth.scram]: MQTT 5 enhanced authentication of the built-in users with SCRAM (RFC 5802 / 7677). */
export const ScramSchema = z
  .object({
    enabled: z.boolean().default(true),
    algorithms: z
      .array(z.enum(SCRAM_ALGORITHMS))
      .default([...SCRAM_ALGORITHMS])
      .refine((list) => new Set(list).size === list.length, { message: 'lists an algorithm twice' }),
  })
  .strict();

export const AuthSchema = z
  .object({
    /**
     * Whether a client that no provider recognises is let in. "auto" (the default) allows it while
     * every MQTT listener binds a loopback address, and refuses to start otherwise: binding another
     * address needs an explicit true or false.
     */
    allow_anonymous: z
      .preprocess(
        (v) => (v === 'true' ? true : v === 'false' ? false : v),
        z.union([z.boolean(), z.literal('auto')], { message: 'must be true, false or "auto"' }),
      )
      .default('auto'),
    /** The providers asked, in order; each allows, denies or passes the client on to the next. */
    providers: z
      .array(z.enum(AUTH_PROVIDERS))
      .default(['builtin'])
      .refine((list) => new Set(list).size === list.length, { message: 'lists a provider twice' }),
    scram: ScramSchema.default(ScramSchema.parse({})),
    password_file: PasswordFileAuthSchema.optional(),
    jwt: JwtAuthSchema.optional(),
    http: HttpAuthSchema.optional(),
    /** The database authentication providers (docs/security.md): present only when configured. */
    postgres: AuthPostgresSchema.optional(),
    mysql: AuthMysqlSchema.optional(),
    redis: AuthRedisSchema.optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    for (const name of a.providers) {
      if (name === 'builtin' || a[name] !== undefined) continue;
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message:
          PROVIDER_SETTINGS[name] !== undefined
            ? `auth.providers lists "${name}" but its settings are missing: ${PROVIDER_SETTINGS[name]}`
            : `is missing: auth.providers lists "${name}", so add an [auth.${name}] table saying where its users are (see docs/security.md), or remove "${name}" from auth.providers`,
      });
    }
  });

/** Quotas against clients that take more than their share (0 = off for each); see docs/security.md. */
export const QuotaSchema = z
  .object({
    /** Open connections from one IP address; a further socket from it is closed on accept. */
    max_connections_per_ip: nonNegativeInt.default(0),
    /** New connections per second on each listener; the excess is closed on accept. */
    connection_rate: nonNegativeInt.default(0),
    /** Connections a listener accepts at once after a quiet spell (0 = connection_rate). */
    connection_burst: nonNegativeInt.default(0),
    /** PUBLISH packets per second from one client; the excess waits (its socket is not read meanwhile). */
    messages_per_second: nonNegativeInt.default(0),
    /** PUBLISHes one client may send at once after a quiet spell (0 = messages_per_second). */
    messages_burst: nonNegativeInt.default(0),
    /** Bytes per second read from one client; the excess waits (its socket is not read meanwhile). */
    bytes_per_second: nonNegativeInt.default(0),
    /** Bytes one client may send at once after a quiet spell (0 = bytes_per_second). */
    bytes_burst: nonNegativeInt.default(0),
    /** A client held back by a quota for this many seconds without a break is disconnected (0 = never). */
    abuse_disconnect_s: nonNegativeInt.max(86_400).default(0),
  })
  .strict();

/** Authorization: what happens when no ACL rule matches, and to a client whose PUBLISH is denied. */
export const AclSchema = z
  .object({
    /**
     * The decision when no ACL rule matches: "allow" (the default, as in EMQX and RobustMQ) or
     * "deny" (what a secure setup sets, with allow rules for what each client may do).
     */
    no_match: z.enum(['allow', 'deny']).default('allow'),
    /** A denied PUBLISH: "ignore" (refused: v5 reason code 0x87, 3.x dropped) or "disconnect" the client. */
    deny_action: z.enum(['ignore', 'disconnect']).default('ignore'),
  })
  .strict();

/** Flapping detection: a client id that connects too often in a window is banned for a while (EMQX's flapping_detect). */
export const FlappingSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** More CONNECTs than this from one client id within window_s: banned. */
    max_count: positiveInt.default(15),
    window_s: positiveInt.default(60),
    /** How long the ban lasts. */
    ban_s: positiveInt.default(300),
  })
  .strict();

/** Slow subscriptions: the (client id, topic) pairs whose deliveries took longest (EMQX's slow_subs). */
export const SLOW_SUBS_STATS_TYPES = ['whole', 'internal', 'response'] as const;
export const SlowSubsSchema = z
  .object({
    /** Off by default (as in EMQX): no hook on the delivery path while off. */
    enabled: z.boolean().default(false),
    /** Only deliveries that took longer than this, in ms, are recorded. */
    threshold_ms: positiveInt.default(500),
    /** How many (client id, topic) entries are kept, the slowest first. */
    top_k: positiveInt.max(1000).default(10),
    /** An entry not slow again for this long is removed. */
    expire_interval_s: positiveInt.default(300),
    /**
     * What is measured: "whole" (arrival at the broker to the end of delivery: QoS 0 written,
     * QoS 1 PUBACK, QoS 2 PUBCOMP), "internal" (arrival to the PUBLISH written to the subscriber) or
     * "response" (PUBLISH written to PUBACK / PUBCOMP; QoS 0 deliveries are not counted).
     */
    stats_type: z.enum(SLOW_SUBS_STATS_TYPES).default('whole'),
  })
  .strict();

/** System alarms: checks every check_interval_s; each threshold 0 turns its check off. */
export const AlarmsSchema = z
  .object({
    enabled: z.boolean().default(true),
    check_interval_s: positiveInt.default(10),
    /** Resident set size of the broker process, in MB. */
    memory_high_mb: nonNegativeInt.default(0),
    /** CPU time of the broker process over the last interval, in % of one core. */
    cpu_high_percent: nonNegativeInt.default(90),
    /** The longest event-loop delay seen over the last interval, in ms. */
    event_loop_lag_ms: nonNegativeInt.default(1000),
    /** Open connections, in % of limits.max_connections. */
    connections_high_percent: nonNegativeInt.max(100).default(90),
    /** Deactivated alarms kept (in storage), the oldest dropped first. */
    history_size: positiveInt.max(100_000).default(1000),
  })
  .strict();

/** One `[[topic_rewrite.rules]]` table (EMQX's rewrite rule; its `re` is `regex` here). */
export const TopicRewriteRuleSchema = z
  .object({
    action: z.enum(TOPIC_REWRITE_ACTIONS),
    source_topic: z.string(),
    regex: z.string(),
    dest_topic: z.string(),
  })
  .strict()
  .superRefine((r, ctx) => {
    try {
      checkRewriteRule({ action: r.action, sourceTopic: r.source_topic, regex: r.regex, destTopic: r.dest_topic });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

/** Topic rewrite: rules tried on the topics of PUBLISH (and wills), SUBSCRIBE and UNSUBSCRIBE. */
export const TopicRewriteSchema = z
  .object({
    /** In order; when several match a topic, the last one applies (as in EMQX). Runtime rules come after these. */
    rules: z.array(TopicRewriteRuleSchema).max(MAX_TOPIC_REWRITE_RULES).default([]),
  })
  .strict();

/** Delayed publish: `$delayed/{seconds}/{topic}` is held and published to `{topic}` after the delay. */
export const DelayedSchema = z
  .object({
    /** false: `$delayed/...` is an ordinary topic (messages already held are still published when due). */
    enabled: z.boolean().default(true),
    /** The longest delay accepted, in seconds (EMQX's limit); a longer one is refused (v5: 0x90). */
    max_delay_s: z.number().int().min(1).max(4_294_967).default(4_294_967),
    /** Delayed messages held at once; one more is refused (v5: 0x97 Quota exceeded). */
    max_pending: positiveInt.max(10_000_000).default(100_000),
  })
  .strict();

/** One auto-subscribe rule: `[[auto_subscribe.rules]]` (src/server/features/auto-subscribe.ts). */
export const AutoSubscribeRuleSchema = z
  .object({
    /** A topic filter; `${clientid}`, `${username}` and `${host}` are replaced per client. */
    topic: z.string().min(1),
    qos: z.number().int().min(0).max(2).default(0),
    no_local: z.boolean().default(false),
    retain_as_published: z.boolean().default(false),
    retain_handling: z.number().int().min(0).max(2).default(0),
  })
  .strict()
  .superRefine((r, ctx) => {
    const error = autoSubscribeTopicError(r.topic, r.no_local);
    if (error !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['topic'], message: `"${r.topic}": ${error}` });
    }
  });

/** Subscriptions every client gets when it connects, without a SUBSCRIBE of its own. */
export const AutoSubscribeSchema = z
  .object({
    rules: z.array(AutoSubscribeRuleSchema).default([]),
  })
  .strict();

/** `$exclusive/{filter}` subscriptions: one client at a time holds a filter. */
export const ExclusiveSchema = z
  .object({
    /** false: `$exclusive/...` filters are refused as invalid (v5 SUBACK 0x8F, 3.x 0x80). */
    enabled: z.boolean().default(true),
  })
  .strict();

/** The kinds of MQTT listener: plain TCP, TLS, WebSocket, WebSocket over TLS. */
export const LISTENER_KINDS = ['tcp', 'tls', 'ws', 'wss'] as const;
export type ListenerKind = (typeof LISTENER_KINDS)[number];
/** The port a listener of each kind binds when it names none. */
export const LISTENER_DEFAULT_PORTS: Readonly<Record<ListenerKind, number>> = {
  tcp: 1883,
  tls: 8883,
  ws: 8083,
  wss: 8084,
};

/** One [listeners.<name>] table: an MQTT listener besides mqtt.bind/mqtt.port. */
export const ListenerSchema = z
  .object({
    kind: z.enum(LISTENER_KINDS),
    /** false keeps the listener configured but closed. */
    enabled: z.boolean().default(true),
    /** Loopback by default; another address needs auth.allow_anonymous set, as mqtt.bind does. */
    bind: z.string().min(1).default('127.0.0.1'),
    /** Default by kind: tcp 1883, tls 8883, ws 8083, wss 8084 (0 = any free port). */
    port: port.optional(),
    /** ws/wss: the only HTTP path that upgrades to MQTT over WebSocket. */
    path: z.string().startsWith('/', { message: 'must start with "/"' }).default('/mqtt'),
    /** tls/wss: PEM certificate (chain) the listener presents; required. */
    tls_cert: z.string().default(''),
    /** tls/wss: PEM private key of tls_cert; required. */
    tls_key: z.string().default(''),
    /** tls/wss: PEM CA bundle that client certificates are verified against (with tls_verify_peer). */
    tls_ca: z.string().default(''),
    /** tls/wss: require a client certificate signed by tls_ca (mutual TLS); others fail the handshake. */
    tls_verify_peer: z.boolean().default(false),
    /** tls/wss: the lowest TLS version accepted. */
    tls_min_version: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    /** tls/wss: OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's); "" = Node's default. */
    tls_ciphers: z.string().default(''),
    /**
     * tls/wss with tls_verify_peer: the client certificate names the user of a CONNECT without a
     * username: "cn" its subject CN, "san" its first DNS or email subjectAltName, "none" never.
     */
    tls_cert_as_username: z.enum(['cn', 'san', 'none']).default('none'),
    /** tls/wss: close a connection whose TLS handshake has not finished within this many milliseconds. */
    tls_handshake_timeout_ms: positiveInt.default(10_000),
  })
  .strict()
  .superRefine((l, ctx) => {
    const secure = l.kind === 'tls' || l.kind === 'wss';
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (secure) {
      if (l.tls_cert === '') issue('tls_cert', `is required for a ${l.kind} listener: a PEM certificate file`);
      if (l.tls_key === '')
        issue('tls_key', `is required for a ${l.kind} listener: the PEM private key file of tls_cert`);
      if (l.tls_verify_peer && l.tls_ca === '') {
        issue(
          'tls_ca',
          'is required with tls_verify_peer = true: the PEM CA bundle client certificates are checked against',
        );
      }
      if (l.tls_cert_as_username !== 'none' && !l.tls_verify_peer) {
        issue(
          'tls_cert_as_username',
          'needs tls_verify_peer = true: only a verified client certificate may name a user',
        );
      }
    } else {
      const tlsKeys = ['tls_cert', 'tls_key', 'tls_ca', 'tls_ciphers'] as const;
      for (const k of tlsKeys)
        if (l[k] !== '')
          issue(
            k,
            `is for tls and wss listeners, not ${l.kind}: use kind = "${l.kind === 'ws' ? 'wss' : 'tls'}" or remove it`,
          );
      if (l.tls_verify_peer) issue('tls_verify_peer', `is for tls and wss listeners, not ${l.kind}`);
      if (l.tls_cert_as_username !== 'none')
        issue('tls_cert_as_username', `is for tls and wss listeners, not ${l.kind}`);
    }
  })
  .transform((l) => ({ ...l, port: l.port ?? LISTENER_DEFAULT_PORTS[l.kind] }));

export type ListenerConfig = z.infer<typeof ListenerSchema>;

/** [listeners.<name>]: named MQTT listeners, any number of each kind; none by default. */
export const ListenersSchema = z.record(z.string(), ListenerSchema).superRefine((listeners, ctx) => {
  // checked here rather than as the record's key schema, whose message zod replaces with "Invalid key in record"
  for (const name of Object.keys(listeners)) {
    const problem = !/^[A-Za-z0-9_-]{1,64}$/.test(name)
      ? 'a listener name is 1 to 64 letters, digits, "_" or "-"'
      : name === 'default'
        ? '"default" names the mqtt.bind/mqtt.port listener: choose another name'
        : '';
    if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

/** The enabled [listeners.<name>] tables, by name. */
export function enabledListeners(c: Pick<BrokerConfig, 'listeners'>): [string, ListenerConfig][] {
  return Object.entries(c.listeners).filter(([, l]) => l.enabled);
}

/** The addresses the MQTT listeners bind: mqtt.bind and every enabled [listeners.<name>]. */
export function mqttBindAddresses(c: Pick<BrokerConfig, 'mqtt' | 'listeners'>): string[] {
  return [c.mqtt.bind, ...enabledListeners(c).map(([, l]) => l.bind)];
}

/** auth.allow_anonymous with "auto" resolved: anonymous clients only while every listener is loopback. */
export function anonymousAllowed(c: Pick<BrokerConfig, 'mqtt' | 'listeners' | 'auth'>): boolean {
  const a = c.auth.allow_anonymous;
  return a === 'auto' ? mqttBindAddresses(c).every(isLoopbackAddress) : a;
}

/** A schema name: 1 to 64 letters, digits, '_', '-' or '.' (config file and admin API alike). */
export const SCHEMA_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** One [schema.schemas.<name>] table: a payload schema of the configuration file and the filters it is bound to. */
export const SchemaEntrySchema = z
  .object({
    type: z.enum(['json', 'avro', 'protobuf']),
    /** The schema text (JSON Schema, Avro JSON, or .proto); or `file`. */
    definition: z.string().default(''),
    /** A file holding the schema text (read at start), instead of `definition`. */
    file: z.string().default(''),
    /** Protobuf: the message type payloads are ("" = the only one the definition declares). */
    message_type: z.string().default(''),
    description: z.string().default(''),
    /** Topic filters whose PUBLISHes must match the schema. */
    topics: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((e, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if ((e.definition === '') === (e.file === '')) {
      issue('definition', 'give the schema text in definition, or the file that holds it in file (one of the two)');
    }
    if (e.message_type !== '' && e.type !== 'protobuf') issue('message_type', 'is for type = "protobuf" only');
    e.topics.forEach((t, i) => {
      const check = validateTopicFilter(t);
      if (!check.ok) ctx.addIssue({ code: 'custom', path: ['topics', i], message: check.reason ?? 'invalid filter' });
    });
  });

/** [schema]: payload validation of PUBLISHes against JSON Schema, Avro and Protobuf schemas bound to topic filters. */
export const SchemaValidationSchema = z
  .object({
    /**
     * A PUBLISH whose payload does not match: "reject" (v5 PUBACK/PUBREC 0x99, 3.1.1 the normal
     * acknowledgement; not delivered), "drop" (acknowledged as usual, not delivered) or "disconnect".
     */
    on_invalid: z.enum(['reject', 'drop', 'disconnect']).default('reject'),
    schemas: z
      .record(z.string(), SchemaEntrySchema)
      .default({})
      .superRefine((schemas, ctx) => {
        for (const name of Object.keys(schemas)) {
          if (!SCHEMA_NAME.test(name)) {
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: "a schema name is 1 to 64 letters, digits, '_', '-' or '.'",
            });
          }
        }
      }),
  })
  .strict();

export const ConfigSchema = z
  .object({
    node: NodeSchema.default(NodeSchema.parse({})),
    mqtt: MqttSchema.default(MqttSchema.parse({})),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
    session: SessionSchema.default(SessionSchema.parse({})),
    shared: SharedSchema.default(SharedSchema.parse({})),
    sys: SysSchema.default(SysSchema.parse({})),
    storage: StorageSchema.default(StorageSchema.parse({})),
    topics: TopicsSchema.default(TopicsSchema.parse({})),
    admin: AdminSchema.default(AdminSchema.parse({})),
    auth: AuthSchema.default(AuthSchema.parse({})),
    quota: QuotaSchema.default(QuotaSchema.parse({})),
    acl: AclSchema.default(AclSchema.parse({})),
    flapping: FlappingSchema.default(FlappingSchema.parse({})),
    auto_subscribe: AutoSubscribeSchema.default(AutoSubscribeSchema.parse({})),
    exclusive: ExclusiveSchema.default(ExclusiveSchema.parse({})),
    listeners: ListenersSchema.default({}),
    slow_subs: SlowSubsSchema.default(SlowSubsSchema.parse({})),
    alarms: AlarmsSchema.default(AlarmsSchema.parse({})),
    topic_rewrite: TopicRewriteSchema.default(TopicRewriteSchema.parse({})),
    delayed: DelayedSchema.default(DelayedSchema.parse({})),
    schema: SchemaValidationSchema.default(SchemaValidationSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.auth.allow_anonymous === 'auto') {
      const open = mqttBindAddresses(c).filter((a) => !isLoopbackAddress(a));
      if (open.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['auth', 'allow_anonymous'],
          message: `must be set when an MQTT listener binds a non-loopback address (${open.join(', ')}): set auth.allow_anonymous = false to let in only authenticated clients (create users with robustmq-cli user create), or auth.allow_anonymous = true to let anyone connect; or bind 127.0.0.1`,
        });
      }
    }
    if (c.node.workers === 1) return;
    // the primary reads each CONNECT in clear to pick the worker: it cannot see into TLS or WebSocket yet
    for (const [name, l] of enabledListeners(c)) {
      ctx.addIssue({
        code: 'custom',
        path: ['listeners', name, 'kind'],
        message:
          l.kind === 'tcp'
            ? 'listeners.<name> need node.workers = 1 for now (with workers, the node listens on mqtt.bind/mqtt.port only): set node.workers = 1 or remove the listener'
            : 'listeners of kind tls/ws/wss need node.workers = 1 for now: set node.workers = 1 or remove the listener',
      });
    }
    // what the workers do not share yet: say so at start rather than lose data later
    if (c.storage.engine !== 'memory') {
      ctx.addIssue({
        code: 'custom',
        path: ['node', 'workers'],
        message: `above 1 needs storage.engine = "memory" (got "${c.storage.engine}"): sessions and queued messages are not shared between worker processes yet; set storage.engine = "memory" or node.workers = 1`,
      });
    }
    if (c.topics.log_filters.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['node', 'workers'],
        message: 'above 1 cannot be used with topics.log_filters yet: topic logs live in one process',
      });
    }
  });

export type BrokerConfig = z.infer<typeof ConfigSchema>;
export type DeepPartial<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends object ? DeepPartial<NonNullable<T[K]>> : T[K];
};
export type BrokerConfigInput = DeepPartial<BrokerConfig>;

export const DEFAULT_CONFIG: BrokerConfig = ConfigSchema.parse({});
