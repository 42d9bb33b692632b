// How the security commands show ACL rules and bans in tables.
import type { AclRule, BanInfo } from '../admin-api.js';
import { renderRecord, renderTable } from './render.js';

/** Whom a rule applies to: `user alice`, `client dev-1`, or `all`. */
export function principalText(r: AclRule): string {
  return r.principalKind === 'all' ? 'all' : `${r.principalKind} ${r.principal}`;
}

export function renderAclRules(rules: readonly AclRule[], color: boolean): string {
  return renderTable(
    rules,
    [
      { header: 'id', value: (r) => r.id },
      { header: 'permission', value: (r) => r.permission },
      { header: 'action', value: (r) => r.action },
      { header: 'who', value: principalText },
      { header: 'topic filter', value: (r) => r.filter },
      { header: 'qos', value: qosText },
      { header: 'retain', value: retainText },
      { header: 'created at', value: (r) => new Date(r.createdAtMs).toISOString() },
    ],
    color,
  );
}

/** A rule's QoS condition: `0,1`, or `any`. */
export function qosText(r: AclRule): string {
  return r.qos === undefined || r.qos.length === 0 ? 'any' : r.qos.join(',');
}

/** A rule's retain condition: `true`, `false`, or `any`. */
export function retainText(r: AclRule): string {
  return r.retain === undefined ? 'any' : String(r.retain);
}

export function renderAclRule(r: AclRule, color: boolean): string {
  return renderRecord(
    [
      ['id', r.id],
      ['permission', r.permission],
      ['action', r.action],
      ['who', principalText(r)],
      ['topic filter', r.filter],
      ['qos', qosText(r)],
      ['retain', retainText(r)],
      ['created at', new Date(r.createdAtMs).toISOString()],
    ],
    color,
  );
}

/** The end of a ban for people: an ISO time, or `never`. */
export function untilText(b: BanInfo): string {
  return b.untilMs === 0 ? 'never' : new Date(b.untilMs).toISOString();
}

export function renderBans(bans: readonly BanInfo[], color: boolean): string {
  return renderTable(
    bans,
    [
      { header: 'kind', value: (b) => b.kind },
      { header: 'value', value: (b) => b.value },
      { header: 'reason', value: (b) => b.reason },
      { header: 'until', value: untilText },
      { header: 'created at', value: (b) => new Date(b.createdAtMs).toISOString() },
    ],
    color,
  );
}
