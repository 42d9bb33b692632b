// Banned clients: the check at CONNECT (client id, username, remote address, regex bans, in that
// order) and whether a new ban covers a client that is connected already.
import { BlockList, isIP } from 'node:net';
import type { BanRecord } from '../storage/storage-adapter.js';
import type { SecurityStore } from './security-store.js';

/** The identity a ban is checked against: the client id and username as in the AuthRequest. */
export interface BanSubject {
  clientId: string;
  username?: string;
  remoteAddress: string;
}

/** The ban in force on this client, or undefined. */
export function findBan(store: SecurityStore, who: BanSubject): BanRecord | undefined {
  return (
    store.ban('clientid', who.clientId) ??
    (who.username !== undefined ? store.ban('username', who.username) : undefined) ??
    store.ipBan(who.remoteAddress) ??
    store.regexBan([who.clientId, who.username])
  );
}

/** Whether one ban covers this client (for the clients connected when the ban is added). */
export function banCovers(ban: BanRecord, who: BanSubject): boolean {
  switch (ban.kind) {
    case 'clientid':
      return who.clientId === ban.value;
    case 'username':
      return who.username !== undefined && who.username === ban.value;
    case 'ip': {
      const family = isIP(who.remoteAddress);
      if (family === 0) return false;
      const [address, prefix] = ban.value.split('/') as [string, string | undefined];
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      const list = new BlockList();
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
      return list.check(who.remoteAddress, family === 4 ? 'ipv4' : 'ipv6');
    }
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp(ban.value, 'u');
      } catch {
        return false;
      }
      return re.test(who.clientId) || (who.username !== undefined && re.test(who.username));
    }
  }
}
