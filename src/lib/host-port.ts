// host:port as people and URLs write it: an IPv6 host goes in brackets ([::1]:1228).

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
