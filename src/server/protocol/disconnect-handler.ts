// Client DISCONNECT: normal (will discarded), 0x04 (will sent), v5 session expiry update rules.
import type mqtt from 'mqtt-packet';
import type { Connection } from './connection.js';
import { PacketError } from './publish-codec.js';
import { RC } from './reason-codes.js';

export function handleDisconnect(conn: Connection, packet: mqtt.IDisconnectPacket): void {
  const code = packet.reasonCode ?? 0;
  if (conn.v5) {
    const expiry = packet.properties?.sessionExpiryInterval;
    if (expiry !== undefined) {
      // [MQTT-3.14.2-2] zero at CONNECT cannot become non-zero at DISCONNECT
      if (conn.connectExpiry === 0 && expiry !== 0) {
        throw new PacketError(RC.PROTOCOL_ERROR, 'session expiry interval was 0 at CONNECT');
      }
      conn.session!.expiryInterval = Math.min(expiry, conn.broker.config.limits.max_session_expiry_interval);
    }
  }
  // [MQTT-3.14.4-3] only 0x00 deletes the will; 0x04 (and error codes) leave it to be published
  conn.normalDisconnect = code === RC.SUCCESS;
  conn.destroy(`client DISCONNECT 0x${code.toString(16)}`);
}
