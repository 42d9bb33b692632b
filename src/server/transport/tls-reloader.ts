// Reloading a TLS listener's certificate without a restart: its cert, key and CA files are polled
// (fs.watchFile: by path, so an editor or certbot that replaces a file is seen too) and read again
// when one changes, or when asked (SIGHUP). A set of files that does not load keeps the old context
// and logs why; a good one replaces it for new connections, and connections already open continue.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { ListenerConfig } from '../../lib/config-schema.js';
import type { Logger } from '../../lib/logger.js';
import { loadTls, type LoadedTls } from './tls-context.js';

/** How often the files are polled. */
const POLL_MS = 1000;
/** A change is read this long after it is seen, so that a certificate and its key replaced one after the other load together. */
const SETTLE_MS = 300;

export class TlsReloader {
  private timer?: NodeJS.Timeout;
  private readonly files: string[];
  private readonly onChange = (curr: Stats, prev: Stats) => {
    if (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino && curr.size === prev.size) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload('file changed'), SETTLE_MS);
    this.timer.unref();
  };

  constructor(
    private readonly name: string,
    private readonly config: ListenerConfig,
    private current: LoadedTls,
    private readonly apply: (loaded: LoadedTls) => void,
    private readonly log: Logger,
  ) {
    this.files = [config.tls_cert, config.tls_key, config.tls_ca].filter((f) => f !== '');
  }

  get fingerprint(): string {
    return this.current.fingerprint;
  }

  start(): void {
    for (const f of this.files) watchFile(f, { interval: POLL_MS, persistent: false }, this.onChange);
  }

  stop(): void {
    clearTimeout(this.timer);
    for (const f of this.files) unwatchFile(f, this.onChange);
  }

  /** Reads the files again; false (and the old context kept) when they do not load. */
  reload(reason: string): boolean {
    let loaded: LoadedTls;
    try {
      loaded = loadTls(this.name, this.config);
    } catch (err) {
      this.log.error(
        { listener: this.name, reason, error: (err as Error).message },
        'TLS certificate reload failed: the listener keeps its current certificate',
      );
      return false;
    }
    this.apply(loaded);
    this.current = loaded;
    this.log.info(
      { listener: this.name, reason, fingerprint: loaded.fingerprint, validTo: loaded.validTo },
      'TLS certificate reloaded',
    );
    return true;
  }
}
