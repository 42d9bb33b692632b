// What one subscription is: the options a client gave for one topic filter.
import type { QoS } from '../message.js';

export interface Subscription {
  clientId: string;
  /** The filter as the client sent it, $share/... included: the key of the subscription. */
  rawFilter: string;
  /** The filter used for matching. */
  filter: string;
  group?: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionId?: number;
  /** Made with `$exclusive/{filter}`: this client holds the filter alone (features/exclusive-subscription.ts). */
  exclusive?: boolean;
}
