// How the token commands show times: ISO 8601 in UTC, or a word for "none" (0).
export function timeText(ms: number, none: string): string {
  return ms > 0 ? new Date(ms).toISOString() : none;
}
