// The messages between the primary process and its workers over Node's IPC channel (advanced
// serialization, so Buffers travel as they are). Sockets travel as the handle of a 'conn' message.
import type { ClientDetail, ClientFilter, ClientInfo, ClusterStatus, Page } from '../../lib/admin-api.js';
import type { BrokerConfig } from '../../lib/config.js';
import type { WorkerRole } from '../broker.js';
import type { SessionsAdminCall, SessionsAdminResult } from './admin-sessions-calls.js';

export type AdminCall =
  | { method: 'clusterStatus' }
  | { method: 'listClients'; filter: ClientFilter }
  | { method: 'describeClient' | 'kickClient'; clientId: string }
  | SessionsAdminCall;
export type AdminResult = ClusterStatus | Page<ClientInfo> | ClientDetail | SessionsAdminResult | undefined;

export type ToWorker =
  | { t: 'init'; config: BrokerConfig; role: WorkerRole }
  /** A client socket (the handle) and the bytes the primary read from it: the whole CONNECT, maybe more. */
  | { t: 'conn'; head: Uint8Array; remoteAddress: string; remotePort: number }
  | { t: 'admin'; id: number; call: AdminCall }
  | { t: 'node-status'; id: number; status?: ClusterStatus; error?: string }
  | { t: 'stop' };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'failed'; code?: string; message: string }
  | { t: 'admin'; id: number; result?: AdminResult; error?: { code: string; message: string } }
  /** Worker 0 asks for the node's figures (all workers) for $SYS. */
  | { t: 'node-status?'; id: number };
