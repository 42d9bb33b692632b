// mqtt-packet decodes strings leniently (bad bytes become U+FFFD), but ill-formed UTF-8 must close
// the connection [MQTT-1.5.4-1]. A decoded string with U+FFFD is checked against the raw frame.

export function hasIllFormedUtf8(frame: Buffer, strings: Array<string | undefined>): boolean {
  for (const s of strings) {
    if (s === undefined || !s.includes('\ufffd')) continue;
    if (frame.indexOf(Buffer.from(s, 'utf8')) < 0) return true;
  }
  return false;
}

export function hasNul(strings: Array<string | undefined>): boolean {
  return strings.some((s) => s !== undefined && s.includes('\u0000'));
}
