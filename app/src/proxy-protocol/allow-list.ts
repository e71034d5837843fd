// --proxy-allow-from: which peers may send a PROXY header. Entries are IP addresses or CIDR
// networks, or '*' for any peer, checked as Python's ipaddress.ip_network(strict) checks them
// (Gunicorn's validator); an IPv4 peer never matches an IPv6 network nor the reverse, as in Python.
import { isIPv4, isIPv6 } from 'node:net';

interface Network {
  readonly version: 4 | 6;
  readonly base: bigint;
  readonly prefixLength: number;
}

export interface AllowList {
  /** The entries as given (after Gunicorn's split and strip), for messages. */
  readonly entries: readonly string[];
  allows(peer: string): boolean;
}

function ipv4Bits(text: string): bigint {
  return text.split('.').reduce((bits, octet) => (bits << 8n) | BigInt(octet), 0n);
}

function ipv6Bits(text: string): bigint {
  // An embedded IPv4 (::ffff:192.0.2.1) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  const hex = last.includes('.')
    ? `${text.slice(0, lastColon + 1)}${(ipv4Bits(last) >> 16n).toString(16)}:${(ipv4Bits(last) & 0xffffn).toString(16)}`
    : text;
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => BigInt(`0x${group}`)));
  const [left, right] = hex.split('::');
  const all = right === undefined
    ? groups(left)
    : [...groups(left), ...Array<bigint>(8 - groups(left).length - groups(right).length).fill(0n), ...groups(right)];
  return all.reduce((bits, group) => (bits << 16n) | group, 0n);
}

function addressBits(text: string): { version: 4 | 6; bits: bigint } | null {
  if (isIPv4(text)) return { version: 4, bits: ipv4Bits(text) };
  if (isIPv6(text) && !text.includes('%')) return { version: 6, bits: ipv6Bits(text) };
  return null;
}

/** The network an entry names, or why it names none. */
function parseNetwork(entry: string): Network | string {
  const slash = entry.indexOf('/');
  const addressText = slash === -1 ? entry : entry.slice(0, slash);
  const address = addressBits(addressText);
  if (!address) return 'is not an IP address or network';
  const width = address.version === 4 ? 32 : 128;
  const lengthText = slash === -1 ? String(width) : entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > width) {
    return `has prefix length ${JSON.stringify(lengthText)}, not in 0..${width}`;
  }
  const prefixLength = Number(lengthText);
  const hostMask = (1n << BigInt(width - prefixLength)) - 1n;
  if ((address.bits & hostMask) !== 0n) return 'has host bits set';
  return { version: address.version, base: address.bits, prefixLength };
}

/** Gunicorn's validate_string_to_list: split on ',', empty items dropped, each stripped. */
export function splitAllowFrom(raw: string): string[] {
  return raw.split(',').filter((item) => item !== '').map((item) => item.trim());
}

/** The first entry that is not '*', an address or a network, with why; null when all are. */
export function findBadEntry(entries: readonly string[]): { entry: string; problem: string } | null {
  for (const entry of entries) {
    if (entry === '*') continue;
    const network = parseNetwork(entry);
    if (typeof network === 'string') return { entry, problem: network };
  }
  return null;
}

export function createAllowList(entries: readonly string[]): AllowList {
  const any = entries.includes('*');
  const networks = entries.filter((entry) => entry !== '*').map(parseNetwork)
    .filter((network): network is Network => typeof network !== 'string');
  return {
    entries,
    allows(peer) {
      if (any) return true;
      const address = addressBits(peer);
      if (!address) return false;
      const width = address.version === 4 ? 32 : 128;
      return networks.some((network) => network.version === address.version
        && (address.bits >> BigInt(width - network.prefixLength)) === (network.base >> BigInt(width - network.prefixLength)));
    },
  };
}
