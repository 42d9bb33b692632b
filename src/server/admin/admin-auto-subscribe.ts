// The admin API's auto-subscribe rules: checks a create request (topic template, QoS, options, no
// second rule for a topic), lists the config rules then the runtime ones, deletes a runtime rule by
// id or topic (a config rule: RMQ_ERR_CONFIG_DEFINED). The rules live in features/auto-subscribe.ts.
import type { AutoSubscribeFilter, AutoSubscribeRule, CreateAutoSubscribeRequest, Page } from '../../lib/admin-api.js';
import { autoSubscribeTopicError } from '../../lib/auto-subscribe-topic.js';
import { RobustMQError } from '../../lib/errors.js';
import type { AutoSubscribe } from '../features/auto-subscribe.js';
import { pageOfSorted } from './key-paging.js';

function option(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > 2) {
    throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `${name} must be 0, 1 or 2, got ${value}`);
  }
  return value;
}

export async function createAutoSubscribe(
  rules: AutoSubscribe,
  req: CreateAutoSubscribeRequest,
): Promise<AutoSubscribeRule> {
  const topic = req.topic ?? '';
  const qos = option('qos', req.qos);
  const retainHandling = option('retainHandling', req.retainHandling);
  const noLocal = req.noLocal === true;
  const error = topic === '' ? 'the topic is empty' : autoSubscribeTopicError(topic, noLocal);
  if (error !== undefined)
    throw new RobustMQError('RMQ_ERR_TOPIC_INVALID', `auto-subscribe topic "${topic}": ${error}`);
  const same = rules.rules().find((r) => r.topic === topic);
  if (same) {
    throw new RobustMQError(
      'RMQ_ERR_AUTO_SUBSCRIBE_EXISTS',
      `rule ${same.id}${same.source === 'config' ? ' (from the configuration file)' : ''} has the topic "${topic}" already; delete it first to change its options`,
    );
  }
  return rules.add({ topic, qos, noLocal, retainAsPublished: req.retainAsPublished === true, retainHandling });
}

export function listAutoSubscribes(rules: AutoSubscribe, f: AutoSubscribeFilter = {}): Page<AutoSubscribeRule> {
  // paging key: config rules first in file order, then runtime ones by id (creation order)
  const key = (r: AutoSubscribeRule) => (r.source === 'config' ? `0${r.id.slice(7).padStart(10, '0')}` : `1${r.id}`);
  return pageOfSorted(rules.rules(), key, (r) => r, f);
}

export async function deleteAutoSubscribe(rules: AutoSubscribe, idOrTopic: string): Promise<void> {
  const all = rules.rules();
  const rule = all.find((r) => r.id === idOrTopic) ?? all.find((r) => r.topic === idOrTopic);
  if (!rule) {
    throw new RobustMQError(
      'RMQ_ERR_AUTO_SUBSCRIBE_NOT_FOUND',
      `no auto-subscribe rule has the id or topic "${idOrTopic}"`,
    );
  }
  if (rule.source === 'config') {
    throw new RobustMQError(
      'RMQ_ERR_CONFIG_DEFINED',
      `auto-subscribe rule ${rule.id} ("${rule.topic}") comes from the configuration file: remove it from [[auto_subscribe.rules]] and restart the broker`,
    );
  }
  await rules.remove(rule.id);
}
