// The CLI's named targets ("contexts"): a server address and maybe an admin token under a name,
// and which one is current. Kept with conf in the user's config dir ($XDG_CONFIG_HOME/robustmq/
// contexts.json, else ~/.config/robustmq/contexts.json), mode 0600 because it may hold tokens.
import { dirname, basename } from 'node:path';
import Conf from 'conf';
import { RobustMQError } from '../errors.js';
import { contextFile } from './context-file.js';

export { checkServerAddress } from './target.js';

export interface CliContext {
  /** The admin gRPC endpoint, host:port. */
  server: string;
  /** Admin token sent with every call to `server`; absent when none. */
  token?: string;
}

interface StoreShape {
  current?: string;
  contexts?: Record<string, CliContext>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** RMQ_ERR_INVALID_ARGUMENT unless `name` can name a context. */
export function checkContextName(name: string): void {
  if (!NAME.test(name)) {
    throw new RobustMQError(
      'RMQ_ERR_INVALID_ARGUMENT',
      `context name "${name}" is not valid: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

/** The context file. Nothing is written until a change is made. */
export class ContextStore {
  private readonly conf: Conf<StoreShape>;
  /** Why the file could not be parsed at the last read (it is then never written over). */
  private parseError?: Error;

  constructor() {
    try {
      const file = contextFile();
      this.conf = new Conf<StoreShape>({
        projectName: 'robustmq',
        cwd: dirname(file),
        configName: basename(file, '.json'),
        configFileMode: 0o600,
        // names may hold dots: keys are never read as paths
        accessPropertiesByDotNotation: false,
        // a file that is not JSON is reported by read() with its path, not thrown from here without it
        deserialize: (text) => {
          this.parseError = undefined;
          try {
            return JSON.parse(text) as StoreShape;
          } catch (err) {
            this.parseError = err as Error;
            return {};
          }
        },
      });
    } catch (err) {
      throw storeError(err);
    }
  }

  /** The error for a name that is not in the store. */
  unknown(name: string): RobustMQError {
    return unknownContext(name);
  }

  /** The file the contexts are kept in. */
  get path(): string {
    return this.conf.path;
  }

  private read(): StoreShape {
    let store: StoreShape;
    try {
      store = this.conf.store;
    } catch (err) {
      throw storeError(err, this.conf.path);
    }
    if (this.parseError) throw storeError(this.parseError, this.conf.path);
    return store;
  }

  /** Every context by name, in name order. */
  all(): [string, CliContext][] {
    return Object.entries(this.read().contexts ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  get(name: string): CliContext | undefined {
    const contexts = this.read().contexts ?? {};
    return Object.hasOwn(contexts, name) ? contexts[name] : undefined;
  }

  /** The name of the current context, if one is set and still exists. */
  currentName(): string | undefined {
    const s = this.read();
    return s.current !== undefined && s.contexts && Object.hasOwn(s.contexts, s.current) ? s.current : undefined;
  }

  put(name: string, context: CliContext): void {
    const s = this.read();
    this.write({ ...s, contexts: { ...s.contexts, [name]: context } });
  }

  /** Makes `name` current; RMQ_ERR_CONTEXT_NOT_FOUND when there is no such context. */
  use(name: string): void {
    const s = this.read();
    if (!s.contexts || !Object.hasOwn(s.contexts, name)) throw unknownContext(name);
    this.write({ ...s, current: name });
  }

  /** Removes `name` (and clears the current context if it was that one). */
  remove(name: string): void {
    const s = this.read();
    if (!s.contexts || !Object.hasOwn(s.contexts, name)) throw unknownContext(name);
    const contexts = { ...s.contexts };
    delete contexts[name];
    const next: StoreShape = { contexts };
    if (s.current !== undefined && s.current !== name) next.current = s.current;
    this.write(next);
  }

  private write(s: StoreShape): void {
    try {
      this.conf.store = s;
    } catch (err) {
      throw storeError(err, this.conf.path);
    }
  }
}

/** The error for a context name that is not in the store: the caller exits 2 (usage). */
export function unknownContext(name: string): RobustMQError {
  return new RobustMQError('RMQ_ERR_CONTEXT_NOT_FOUND', `no context named "${name}"; see robustmq-cli context list`);
}

function storeError(err: unknown, file?: string): RobustMQError {
  const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new RobustMQError(
    'RMQ_ERR_CONFIG_FILE',
    `cannot use the CLI context file${file ? ` ${file}` : ''}: ${why}${file ? ' (fix or remove the file)' : ''}`,
    {
      cause: err,
    },
  );
}
