/**
 * Whether talking to an n8n URL sends the API key in clear across a network: `http://` to a host
 * that is not this machine. Loopback (`localhost`, 127.0.0.0/8, `::1`, and IPv4 loopback written
 * as IPv6) stays on the machine, so a plain URL there exposes nothing; any other name may not.
 */
export function sendsKeyInClear(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && !isLoopback(hostname);
}

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  // ::ffff:127.0.0.1, which URL writes as ::ffff:7f00:1 (any 7fxx:xxxx)
  return /^::ffff:(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|7f[0-9a-f]{2}:[0-9a-f]{1,4})$/.test(host);
}
