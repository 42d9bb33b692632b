// The base of every admin command: the global flags (--server, --token, --output/--json, --no-color,
// --timeout), the AdminApi it talks to, and one error convention: a one-line reason on stderr with
// its RMQ_ERR_* code and a documented exit code (docs/cli.md): 0 ok, 1 the server answered with an
// error, 2 usage, 3 the server cannot be reached, 4 the server refused the call for want of a valid
// admin token (RMQ_ERR_UNAUTHORIZED: pass --token or set ROBUSTMQ_TOKEN).
import { readFileSync } from 'node:fs';
import { Command, Flags, type Interfaces } from '@oclif/core';
import type { AdminApi } from '../admin-api.js';
import { AdminGrpcClient, DEFAULT_ADMIN_SERVER } from '../admin-grpc-client.js';
import { RobustMQError } from '../errors.js';
import { OutputCommand } from './output-command.js';
import { outputFlags } from './render.js';
import { checkServerAddress, resolveTarget, type Target } from './target.js';

export { EXIT } from './command-errors.js';

export type AdminFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof AdminCommand)['baseFlags'] & T['flags']
>;

export abstract class AdminCommand<T extends typeof Command> extends OutputCommand {
  static override baseFlags = {
    server: Flags.string({
      summary: `Admin endpoint of the broker or cluster, host:port (else ROBUSTMQ_SERVER, else the current context's, else ${DEFAULT_ADMIN_SERVER}).`,
      helpGroup: 'GLOBAL',
    }),
    context: Flags.string({
      summary:
        'Use this saved context (see robustmq-cli context list) instead of the current one (also ROBUSTMQ_CONTEXT, which ROBUSTMQ_SERVER overrides; this flag overrides both).',
      helpGroup: 'GLOBAL',
    }),
    ...outputFlags,
    token: Flags.string({
      summary: 'Admin token sent with every call (needed when the endpoint is not on loopback).',
      env: 'ROBUSTMQ_TOKEN',
      helpGroup: 'GLOBAL',
    }),
    'tls-ca': Flags.string({
      summary: 'Talk TLS to the admin endpoint, trusting this CA (PEM) for its certificate.',
      env: 'ROBUSTMQ_TLS_CA',
      helpGroup: 'GLOBAL',
    }),
    'tls-cert': Flags.string({
      summary: 'Client certificate (PEM) for an endpoint that requires one (admin.tls_ca); with --tls-key.',
      env: 'ROBUSTMQ_TLS_CERT',
      helpGroup: 'GLOBAL',
    }),
    'tls-key': Flags.string({
      summary: 'Private key (PEM) of --tls-cert.',
      env: 'ROBUSTMQ_TLS_KEY',
      helpGroup: 'GLOBAL',
    }),
    timeout: Flags.integer({
      summary: 'Seconds to wait for the server.',
      default: 10,
      min: 1,
      max: 3600,
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: AdminFlags<T>;
  private api?: AdminApi;
  /** Where the commands' calls go, resolved in init() (target.ts). */
  protected target!: Target;

  public override async init(): Promise<void> {
    await super.init();
    const { flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as unknown as typeof AdminCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as AdminFlags<T>;
    await this.useOutputFlags(flags);
    this.target = await resolveTarget({
      server: flags.server,
      token: flags.token,
      context: flags.context,
      env: { server: process.env.ROBUSTMQ_SERVER || undefined, context: process.env.ROBUSTMQ_CONTEXT || undefined },
    });
    try {
      checkServerAddress(this.target.server);
    } catch (err) {
      this.usageError(err as RobustMQError);
    }
  }

  /**
   * The AdminApi of the target (target.ts): --server, --context, ROBUSTMQ_SERVER, ROBUSTMQ_CONTEXT or
   * the current context, 127.0.0.1:1228; the token from --token, ROBUSTMQ_TOKEN, or the context.
   */
  protected adminApi(): AdminApi {
    this.api ??= new AdminGrpcClient(this.target.server, {
      timeoutMs: this.flags.timeout * 1000,
      token: this.target.token,
      tls: this.tlsFiles(),
    });
    return this.api;
  }

  /** The --tls-* files, read; undefined when none is given (plain gRPC). A file that cannot be read: exit 2. */
  private tlsFiles(): { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined {
    const f = this.flags;
    if (f['tls-ca'] === undefined && f['tls-cert'] === undefined && f['tls-key'] === undefined) return undefined;
    // gRPC sets the TLS server name to the --server host even when it is an IP address, which Node
    // flags with a deprecation warning (DEP0123) on stderr: a CLI's stderr is its one error line
    process.noDeprecation = true;
    if ((f['tls-cert'] === undefined) !== (f['tls-key'] === undefined)) {
      this.usageError(new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', '--tls-cert and --tls-key go together'));
    }
    const read = (flag: string, file: string | undefined): Buffer | undefined => {
      if (file === undefined) return undefined;
      try {
        return readFileSync(file);
      } catch (err) {
        return this.usageError(
          new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `${flag}: cannot read ${file}: ${(err as Error).message}`),
        );
      }
    };
    return {
      ca: read('--tls-ca', f['tls-ca']),
      cert: read('--tls-cert', f['tls-cert']),
      key: read('--tls-key', f['tls-key']),
    };
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    await this.api?.close();
    return super.finally(err);
  }
}
