// The MQTT listeners a configuration asks for: the default TCP listener (mqtt.bind/mqtt.port) and
// each enabled [listeners.<name>], made by kind. Certificate files are read here, so a bad one
// fails the start before anything listens.
import { enabledListeners } from '../../lib/config-schema.js';
import type { Broker } from '../broker.js';
import type { MqttListener } from './listener.js';
import { TcpListener } from './tcp-listener.js';
import { TlsListener } from './tls-listener.js';
import { WsListener } from './ws-listener.js';

export function createListeners(broker: Broker): MqttListener[] {
  const { bind, port } = broker.config.mqtt;
  const out: MqttListener[] = [new TcpListener(broker, bind, port)];
  for (const [name, l] of enabledListeners(broker.config)) {
    switch (l.kind) {
      case 'tcp':
        out.push(new TcpListener(broker, l.bind, l.port, name));
        break;
      case 'tls':
        out.push(new TlsListener(broker, name, l));
        break;
      case 'ws':
      case 'wss':
        out.push(new WsListener(broker, name, l));
        break;
    }
  }
  return out;
}
