// `robustmq-cli server start`: load the configuration, start a Broker, stop it cleanly on a signal.
import { Command, Errors, Flags } from '@oclif/core';
import { loadConfig, type BrokerConfig, type BrokerConfigInput } from '../../lib/config.js';
import { isRobustMQError } from '../../lib/errors.js';
import { usageErrorLine } from '../../lib/cli/usage-error.js';
import { createLogger, LOG_LEVELS, type Logger } from '../../lib/logger.js';
import { Broker } from '../../server/broker.js';
import { WorkerPrimary } from '../../server/workers/worker-primary.js';

export default class ServerStart extends Command {
  static override summary = 'Start the RobustMQ broker in the foreground.';
  static override description = `Configuration is read from defaults, then the TOML file given with --config, then ROBUSTMQ_* environment variables (ROBUSTMQ_<SECTION>_<KEY>, e.g. ROBUSTMQ_MQTT_PORT=1884), then these flags. A bad value stops the start with a message naming the key. SIGINT and SIGTERM shut the broker down cleanly: MQTT 5 clients get DISCONNECT 0x8B. SIGHUP reloads the certificates of the TLS listeners ([listeners.<name>]).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --mqtt-port 1884 --log-level debug',
    '<%= config.bin %> <%= command.id %> --config robustmq.toml',
    '<%= config.bin %> <%= command.id %> --workers 2 --storage memory',
  ];

  static override flags = {
    config: Flags.string({ char: 'c', summary: 'TOML configuration file.' }),
    'mqtt-port': Flags.integer({ summary: 'MQTT TCP port (mqtt.port, default 1883).', min: 0, max: 65535 }),
    bind: Flags.string({
      summary:
        'Address the MQTT listener binds (mqtt.bind, default 127.0.0.1; another address needs auth.allow_anonymous).',
    }),
    'admin-port': Flags.integer({
      summary: 'Admin gRPC port (admin.grpc_port, default 1228; 0 = any free port).',
      min: 0,
      max: 65535,
    }),
    'http-port': Flags.integer({
      summary: 'Admin REST API port (admin.http_port, default 8080; 0 = any free port).',
      min: 0,
      max: 65535,
    }),
    'data-dir': Flags.string({ summary: 'Directory for stored data (node.data_dir, default ./data).' }),
    'log-level': Flags.string({ summary: 'Log level (node.log_level, default info).', options: [...LOG_LEVELS] }),
    workers: Flags.integer({
      summary: 'Worker processes serving clients (node.workers, default 1; above 1 needs --storage memory).',
      min: 1,
      max: 64,
    }),
    storage: Flags.string({
      summary: 'Storage engine (storage.engine, default sqlite).',
      options: ['memory', 'sqlite', 'postgres'],
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServerStart);
    const overrides: BrokerConfigInput = {
      node: {
        data_dir: flags['data-dir'],
        log_level: flags['log-level'] as BrokerConfig['node']['log_level'] | undefined,
        workers: flags.workers,
      },
      storage: { engine: flags.storage as BrokerConfig['storage']['engine'] | undefined },
      mqtt: { port: flags['mqtt-port'], bind: flags.bind },
      admin: { grpc_port: flags['admin-port'], http_port: flags['http-port'] },
    };
    let broker: { readonly log: Logger; stop(): Promise<void>; reloadTls?(reason: string): boolean };
    try {
      const config = loadConfig({ file: flags.config, env: process.env, overrides });
      if (config.node.workers > 1) {
        const primary = new WorkerPrimary(config, createLogger(config.node.log_level).child({ primary: true }));
        broker = primary;
        await primary.start();
      } else {
        const single = new Broker(config);
        broker = single;
        await single.start();
        // SIGHUP: the auth providers read their files again (password file, JWT key)
        process.on('SIGHUP', () => {
          single.log.info('SIGHUP: reloading the authentication files');
          void single.authChain.reload();
        });
      }
    } catch (err) {
      if (isRobustMQError(err)) this.fail(`${err.code}: ${err.message}`);
      throw err;
    }
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          broker.log.warn({ signal }, 'second signal: exiting now');
          process.exit(130);
        }
        stopping = true;
        broker.log.info({ signal }, 'signal received');
        broker.stop().then(resolve, (err: unknown) => {
          broker.log.error({ err }, 'error during shutdown');
          resolve();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // SIGHUP: the TLS listeners read their certificate files again (each reload is logged)
      process.on('SIGHUP', () => {
        broker.log.info({ signal: 'SIGHUP' }, 'signal received: reloading TLS certificates');
        broker.reloadTls?.('SIGHUP');
      });
    });
  }

  /** A bad flag (oclif parse error) is the user's to fix too: one line, exit 2, no stack or help dump. */
  protected override async catch(err: Errors.CLIError & { code?: string }): Promise<unknown> {
    const line = usageErrorLine(err);
    if (line !== undefined) this.fail(`${line} (see robustmq-cli server start --help)`);
    return super.catch(err);
  }

  /** One line on stderr (oclif's own error output wraps at 80 columns), then exit 2. */
  private fail(line: string): never {
    process.stderr.write(`Error: ${line}\n`);
    return this.exit(2);
  }
}
