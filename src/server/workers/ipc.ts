// The messages between the primary process and its workers over Node's IPC channel (advanced
// serialization, so Buffers travel as they are). Sockets travel as the handle of a 'conn' message.
import type {
  AclFilter,
  AclRule,
  BanFilter,
  BanInfo,
  ClientDetail,
  ClientFilter,
  ClientInfo,
  ClusterStatus,
  Page,
  UserFilter,
  UserInfo,
} from '../../lib/admin-api.js';
import type { BrokerConfig } from '../../lib/config.js';
import type { WorkerRole } from '../broker.js';
import type { SecurityChange, SecuritySnapshot } from '../security/security-store.js';

export type AdminCall =
  | { method: 'clusterStatus' }
  | { method: 'listClients'; filter: ClientFilter }
  | { method: 'describeClient' | 'kickClient'; clientId: string }
  | SecurityListCall;
export type AdminResult =
  ClusterStatus | Page<ClientInfo> | ClientDetail | Page<UserInfo> | Page<AclRule> | Page<BanInfo> | undefined;

/** Lists of users, ACL rules and bans, read from a worker's copy (the one authentication will use). */
export type SecurityListCall =
  | { method: 'listUsers'; filter: UserFilter }
  | { method: 'listAcls'; filter: AclFilter }
  | { method: 'listBans'; filter: BanFilter };

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
