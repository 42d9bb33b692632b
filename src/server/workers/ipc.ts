// The messages between the primary process and its workers over Node's IPC channel (advanced
// serialization, so Buffers travel as they are). Sockets travel as the handle of a 'conn' message.
import type { AdminApi, ClusterStatus } from '../../lib/admin-api.js';
import type { BrokerConfig } from '../../lib/config.js';
import type { WorkerRole } from '../broker.js';
import type { SecurityChange, SecuritySnapshot } from '../security/security-store.js';

/** The AdminApi methods a worker answers for the primary, from its own Broker's AdminService. */
export const WORKER_ADMIN_METHODS = [
  'clusterStatus',
  'listClients',
  'describeClient',
  'kickClient',
  'listUsers',
  'listAcls',
  'listBans',
  'setConfig',
  'listSessions',
  'describeSession',
  'deleteSession',
  'listSubscriptions',
  'listRetained',
  'getRetained',
  'deleteRetained',
  'listSlowSubscriptions',
  'clearSlowSubscriptions',
] as const satisfies readonly (keyof AdminApi)[];
export type WorkerAdminMethod = (typeof WORKER_ADMIN_METHODS)[number];

/** One AdminApi call for a worker: the method and its arguments, as the AdminApi types them. */
export type AdminCall = {
  [M in WorkerAdminMethod]: { method: M; args: Parameters<AdminApi[M]> };
}[WorkerAdminMethod];
export type AdminResult = Awaited<ReturnType<AdminApi[WorkerAdminMethod]>>;

export type ToWorker =
  | { t: 'init'; config: BrokerConfig; role: WorkerRole }
  /** A client socket (the handle) and the bytes the primary read from it: the whole CONNECT, maybe more. */
  | { t: 'conn'; head: Uint8Array; remoteAddress: string; remotePort: number }
  | { t: 'admin'; id: number; call: AdminCall }
  | { t: 'node-status'; id: number; status?: ClusterStatus; error?: string }
  | { t: 'stop' }
  /** Users, ACL rules, bans: the primary's whole copy when a worker is ready, then each change. */
  | { t: 'security-sync'; snapshot: SecuritySnapshot }
  | { t: 'security'; change: SecurityChange };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'failed'; code?: string; message: string }
  | { t: 'admin'; id: number; result?: AdminResult; error?: { code: string; message: string } }
  /** Worker 0 asks for the node's figures (all workers) for $SYS. */
  | { t: 'node-status?'; id: number };
