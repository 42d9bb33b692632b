// How a node is shown to people, defined once: `cluster status` and `node list` show some fields
// as table columns (one row a node), `server status` shows them all as a record for one node.
import type { NodeStatus } from '../admin-api.js';
import { formatDuration, renderRecord, type Column } from './render.js';

const NODE_FIELDS = {
  node: { header: 'node', value: (n) => n.name },
  version: { header: 'version', value: (n) => n.version },
  uptime: { header: 'uptime', value: (n) => formatDuration(n.uptimeMs) },
  started: { header: 'started at', value: (n) => (n.startedAtMs ? new Date(n.startedAtMs).toISOString() : '') },
  pid: { header: 'pid', value: (n) => n.pid || '' },
  mqtt: { header: 'mqtt', value: (n) => n.mqttAddress },
  listeners: { header: 'listeners', value: (n) => (n.listeners ?? []).join(', ') },
  admin: { header: 'admin grpc', value: (n) => n.adminGrpcAddress || 'off' },
  rest: { header: 'rest', value: (n) => n.restAddress || 'off' },
  storage: { header: 'storage', value: (n) => n.storageEngine },
  workers: { header: 'workers', value: (n) => n.workers },
  connections: { header: 'connections', value: (n) => n.connections },
  sessions: { header: 'sessions', value: (n) => n.sessions },
  subscriptions: { header: 'subscriptions', value: (n) => n.subscriptions },
  retained: { header: 'retained', value: (n) => n.retained },
  msgsIn: { header: 'msgs in', value: (n) => n.messagesReceived },
  msgsOut: { header: 'msgs out', value: (n) => n.messagesSent },
  dropped: { header: 'dropped', value: (n) => n.messagesDropped },
  bytesIn: { header: 'bytes in', value: (n) => n.bytesReceived },
  bytesOut: { header: 'bytes out', value: (n) => n.bytesSent },
} satisfies Record<string, Column<NodeStatus>>;

export type NodeField = keyof typeof NODE_FIELDS;

/** The columns of these fields, in this order. */
export function nodeColumns(fields: readonly NodeField[]): Column<NodeStatus>[] {
  return fields.map((f) => NODE_FIELDS[f]);
}

/** Every field of one node as a two-column record, `head` rows first. */
export function renderNodeRecord(
  n: NodeStatus,
  head: readonly [string, string | number | boolean][],
  color: boolean,
): string {
  const rows = Object.values(NODE_FIELDS).map((c): [string, string | number | boolean] => [c.header, c.value(n)]);
  return renderRecord([...head, ...rows], color);
}
