// One PUBLISH and its acknowledgement as the QoS requires (QoS 0: written; QoS 1: PUBACK; QoS 2:
// PUBREC then PUBCOMP), with the reason codes the broker answered. A refusal (a reason code >= 0x80,
// or the connection closed first) is RMQ_ERR_MQTT_REFUSED; no acknowledgement in time, RMQ_ERR_UNREACHABLE.
import type { IClientPublishOptions, MqttClient, Packet } from 'mqtt';
import { RobustMQError } from '../errors.js';
import { reasonText } from './mqtt-command.js';

export interface PublishResult {
  /** The packet identifier (QoS 1 and 2), else null. */
  messageId: number | null;
  /** Of the PUBACK (QoS 1) or PUBREC (QoS 2); null for QoS 0 (nothing is acknowledged). */
  reasonCode: number | null;
  /** The v5 Reason String of that acknowledgement, if the broker sent one. */
  reasonString?: string;
}

type Ack = Extract<Packet, { cmd: 'puback' | 'pubrec' | 'pubcomp' }>;

export function publishAcknowledged(
  client: MqttClient,
  topic: string,
  payload: Buffer,
  options: IClientPublishOptions,
  timeoutMs: number,
): Promise<PublishResult> {
  let messageId: number | null = null;
  let first: Ack | undefined; // PUBACK or PUBREC: the broker's answer to the PUBLISH
  let last: Ack | undefined;
  let disconnect: number | undefined;
  const onSend = (p: Packet) => {
    // QoS 0 has no packet identifier [MQTT-2.2.1-2] (MQTT.js may still set one on the object)
    if (p.cmd === 'publish' && p.topic === topic && messageId === null && p.qos > 0) messageId = p.messageId ?? null;
  };
  const onReceive = (p: Packet) => {
    if ((p.cmd === 'puback' || p.cmd === 'pubrec' || p.cmd === 'pubcomp') && p.messageId === messageId) {
      first ??= p;
      last = p;
    }
    if (p.cmd === 'disconnect') disconnect = p.reasonCode ?? 0;
  };
  client.on('packetsend', onSend);
  client.on('packetreceive', onReceive);
  const expected = options.qos === 2 ? 'PUBCOMP' : 'PUBACK';
  return new Promise<PublishResult>((resolve, reject) => {
    const done = (err: RobustMQError | null) => {
      clearTimeout(timer);
      client.removeListener('close', onClose);
      client.removeListener('packetsend', onSend);
      client.removeListener('packetreceive', onReceive);
      if (err) reject(err);
      else
        resolve({
          messageId,
          reasonCode: options.qos ? (first?.reasonCode ?? 0) : null,
          ...(first?.properties?.reasonString ? { reasonString: first.properties.reasonString } : {}),
        });
    };
    const timer = setTimeout(
      () => done(new RobustMQError('RMQ_ERR_UNREACHABLE', `no ${expected} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onClose = () => {
      const why = disconnect === undefined ? '' : `: DISCONNECT ${reasonText(disconnect)}`;
      const before = options.qos ? `before its ${expected}` : 'while publishing';
      done(new RobustMQError('RMQ_ERR_MQTT_REFUSED', `the broker closed the connection ${before}${why}`));
    };
    client.once('close', onClose);
    client.publish(topic, payload, options, (err) => {
      if (!err) return done(null);
      const ack = last ?? first;
      const code = (err as Error & { code?: unknown }).code;
      if (ack && typeof code === 'number') {
        const reasonString = ack.properties?.reasonString ? ` (${ack.properties.reasonString})` : '';
        done(
          new RobustMQError(
            'RMQ_ERR_MQTT_REFUSED',
            `the broker refused the PUBLISH to "${topic}": ${ack.cmd.toUpperCase()} ${reasonText(code)}${reasonString}`,
          ),
        );
      } else if (!client.connected) {
        onClose();
      } else {
        done(new RobustMQError('RMQ_ERR_MQTT_REFUSED', `the PUBLISH to "${topic}" failed: ${err.message}`));
      }
    });
  });
}
