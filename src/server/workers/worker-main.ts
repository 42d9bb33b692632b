// The entry point of a worker process (forked by WorkerPrimary): runs a Broker in worker mode,
// takes the client sockets the primary hands over, and answers the primary's admin calls.
import type net from 'node:net';
import type { ClusterStatus } from '../../lib/admin-api.js';
import { isRobustMQError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import type { BrokerConfig } from '../../lib/config.js';
import { Broker, type WorkerRole } from '../broker.js';
import { WORKER_ADMIN_METHODS, type AdminResult, type FromWorker, type ToWorker } from './ipc.js';

function send(msg: FromWorker): void {
  process.send?.(msg);
}

let broker: Broker | undefined;
let nextStatusId = 1;
const statusWaiters = new Map<number, (s: ClusterStatus | undefined) => void>();

process.on('message', (msg: ToWorker, handle?: net.Socket) => {
  switch (msg.t) {
    case 'init':
      void init(msg.config, msg.role);
      return;
    case 'conn': {
      if (!handle) return;
      if (!broker) {
        handle.destroy();
        return;
      }
      // the primary's bytes go first: the Connection reads them before what the socket brings
      if (msg.head.length > 0) handle.unshift(Buffer.from(msg.head.buffer, msg.head.byteOffset, msg.head.byteLength));
      broker.handleSocket(handle, { transport: 'tcp', remoteAddress: msg.remoteAddress, remotePort: msg.remotePort });
      return;
    }
    case 'admin': {
      const b = broker;
      const call = msg.call;
      const run: Promise<AdminResult> = !b
        ? Promise.reject(new Error('worker not started'))
        : WORKER_ADMIN_METHODS.includes(call.method)
          ? // a method that throws instead of rejecting is answered as an error, not a crashed worker
            Promise.resolve().then(() =>
              (b.admin[call.method] as (...args: unknown[]) => Promise<AdminResult>).apply(b.admin, call.args),
            )
          : Promise.reject(new Error(`no admin method ${String(call.method)} in a worker`));
      run.then(
        (result) => send({ t: 'admin', id: msg.id, result }),
        (err: unknown) =>
          send({
            t: 'admin',
            id: msg.id,
            error: {
              code: isRobustMQError(err) ? err.code : 'RMQ_ERR_ADMIN',
              message: err instanceof Error ? err.message : String(err),
            },
          }),
      );
      return;
    }
    case 'node-status': {
      const waiter = statusWaiters.get(msg.id);
      statusWaiters.delete(msg.id);
      waiter?.(msg.status);
      return;
    }
    // the primary's copy of users, ACL rules and bans is the one that counts: a worker keeps the same
    case 'security-sync':
      broker?.security.replace(msg.snapshot);
      return;
    case 'security':
      broker?.security.apply(msg.change);
      return;
    case 'stop':
      void (broker ? broker.stop() : Promise.resolve()).finally(() => process.exit(0));
      return;
  }
});

/** The node's figures over all workers, from the primary (for $SYS). */
function nodeStatus(): Promise<ClusterStatus | undefined> {
  const id = nextStatusId++;
  return new Promise((resolve) => {
    statusWaiters.set(id, resolve);
    send({ t: 'node-status?', id });
  });
}

async function init(config: BrokerConfig, role: WorkerRole): Promise<void> {
  const log = createLogger(config.node.log_level).child({ worker: role.index });
  try {
    broker = new Broker(config, { logger: log, worker: role, nodeStatus });
    await broker.start();
    send({ t: 'ready' });
  } catch (err) {
    send({
      t: 'failed',
      code: isRobustMQError(err) ? err.code : undefined,
      message: err instanceof Error ? err.message : String(err),
    });
    process.exit(1);
  }
}

// the primary is gone: a worker never outlives it
process.on('disconnect', () => {
  void (broker ? broker.stop() : Promise.resolve()).finally(() => process.exit(0));
});
// a signal to the whole process group (the terminal's Ctrl-C, a service manager's stop) reaches the
// workers too: the primary decides, and stops them in order
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
