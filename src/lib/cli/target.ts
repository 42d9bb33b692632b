// Which admin endpoint a command talks to, and with which token. The server: --server, then the
// context named by --context, then ROBUSTMQ_SERVER, then the context named by ROBUSTMQ_CONTEXT, else
// the current one, then 127.0.0.1:1228. The token: --token, then ROBUSTMQ_TOKEN, then the context's token, which is sent
// only to that context's own server (never to a server named by --server or ROBUSTMQ_SERVER).
import { existsSync } from 'node:fs';
import { DEFAULT_ADMIN_SERVER } from '../admin-grpc-client.js';
import { RobustMQError } from '../errors.js';
import { contextFile } from './context-file.js';
import type { CliContext, ContextStore } from './contexts.js';

/** host:port, the host a name, an IPv4 address or a bracketed IPv6 address. */
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/** RMQ_ERR_INVALID_ARGUMENT unless `server` is host:port with a port from 1 to 65535. */
export function checkServerAddress(server: string): void {
  const m = ADDRESS.exec(server);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new RobustMQError(
      'RMQ_ERR_INVALID_ARGUMENT',
      `server "${server}" is not host:port (e.g. 127.0.0.1:1228 or [::1]:1228)`,
    );
  }
}

export interface TargetInput {
  /** --server. */
  server?: string;
  /** --token or ROBUSTMQ_TOKEN. */
  token?: string;
  /** --context. */
  context?: string;
  /**
   * ROBUSTMQ_SERVER and ROBUSTMQ_CONTEXT: below both flags, so a typed --context is never overridden
   * by a ROBUSTMQ_SERVER exported in the shell.
   */
  env?: { server?: string; context?: string };
}

export interface Target {
  server: string;
  token?: string;
  /** The context used, if any. */
  context?: string;
}

/** The context store, loaded on demand: conf costs start-up time a command with --server need not pay. */
async function openStore(): Promise<ContextStore> {
  return new (await import('./contexts.js')).ContextStore();
}

/** Throws RMQ_ERR_CONTEXT_NOT_FOUND for a --context that is not saved. */
export async function resolveTarget(
  input: TargetInput,
  store: () => Promise<ContextStore> = openStore,
): Promise<Target> {
  const env = input.env ?? {};
  input = {
    server: input.server ?? (input.context === undefined ? env.server : undefined),
    token: input.token,
    context: input.context ?? env.context,
  };
  // nothing to read from the context file when both are given and no context was named, or when
  // there is no context file at all
  if (
    input.context === undefined &&
    ((input.server !== undefined && input.token !== undefined) || !existsSync(contextFile()))
  ) {
    return { server: input.server ?? DEFAULT_ADMIN_SERVER, token: input.token };
  }
  let name = input.context;
  let context: CliContext | undefined;
  if (name !== undefined) {
    const contexts = await store();
    context = contexts.get(name);
    if (!context) throw contexts.unknown(name);
  } else {
    try {
      const contexts = await store();
      name = contexts.currentName();
      context = name === undefined ? undefined : contexts.get(name);
    } catch (err) {
      // a context file that cannot be read matters only when it would name the server
      if (input.server === undefined) throw err;
    }
  }
  const server = input.server ?? context?.server ?? DEFAULT_ADMIN_SERVER;
  const token = input.token ?? (context && context.server === server ? context.token : undefined);
  return { server, token, context: context && context.server === server ? name : undefined };
}
