// Where the CLI's contexts are kept: $XDG_CONFIG_HOME/robustmq/contexts.json, else
// ~/.config/robustmq/contexts.json (%APPDATA%\\robustmq\\contexts.json on Windows). Known without
// loading conf, so that a command can tell there are no contexts without paying for it.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function contextFile(): string {
  const base =
    process.platform === 'win32'
      ? (process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'))
      : process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'robustmq', 'contexts.json');
}
