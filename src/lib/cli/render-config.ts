// How a configuration value is shown to people: text as it is, numbers, booleans and lists as JSON.
import type { ConfigEntry } from '../admin-api.js';

export function configValueText(e: ConfigEntry): string {
  return typeof e.value === 'string' ? e.value : JSON.stringify(e.value);
}
