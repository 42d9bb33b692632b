// The placeholders of the jwt and http providers' settings, as EMQX writes them: ${clientid},
// ${username}, ${password}, ${peerhost}, replaced by the connecting client's values (an absent
// username or password is the empty string).
import type { AuthRequest } from '../auth-types.js';

export const AUTH_PLACEHOLDERS = ['${clientid}', '${username}', '${password}', '${peerhost}'] as const;

/** `template` with each placeholder replaced; text that is no placeholder is left as it is. */
export function fillPlaceholders(template: string, req: AuthRequest): string {
  const values: Record<(typeof AUTH_PLACEHOLDERS)[number], string> = {
    '${clientid}': req.clientId,
    '${username}': req.username ?? '',
    '${password}': req.password?.toString('utf8') ?? '',
    '${peerhost}': req.remoteAddress,
  };
  return template.replace(/\$\{(clientid|username|password|peerhost)\}/g, (p) => values[p as keyof typeof values]);
}
