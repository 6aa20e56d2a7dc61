/**
 * Pure functions on the lab's addresses: IPv4 and CIDR arithmetic (through ipaddr.js), MAC
 * addresses and NixOS host ids. The model constructs call these; they are tested directly.
 */
import { createHash } from 'node:crypto';
import * as ipaddr from 'ipaddr.js';
import { quoted } from './readable';
import { problem } from './validation';

/** A parsed IPv4 network. */
export interface Ipv4Cidr {
  /** The network address, normalized (host bits cleared). */
  readonly network: string;
  /** Prefix length, 0–32. */
  readonly prefixLength: number;
}

/** Is this a dotted-quad IPv4 address (four decimal octets, no leading zeros)? */
export function isIpv4(address: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(address);
}

/** Parses `a.b.c.d/n`. Throws with a readable message when it is not an IPv4 CIDR. */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr {
  const slash = typeof cidr === 'string' ? cidr.indexOf('/') : -1;
  if (slash < 0 || !isIpv4(cidr.slice(0, slash)) || !/^\d{1,2}$/.test(cidr.slice(slash + 1))) {
    throw new Error(problem(`${quoted(cidr)} is not an IPv4 network in CIDR form`, 'write it like 192.168.178.0/24'));
  }
  // Checked before ipaddr.js sees it, whose own message names neither the value nor the fix.
  const prefixLength = Number(cidr.slice(slash + 1));
  if (prefixLength > 32) {
    throw new Error(problem(`${quoted(cidr)} has a prefix length above 32`, 'give a prefix length from 0 to 32, such as /24'));
  }
  const network = ipaddr.IPv4.networkAddressFromCIDR(cidr).toString();
  return { network, prefixLength };
}

/** Is this an IPv4 network in CIDR form (`a.b.c.d/n`)? */
export function isIpv4Cidr(cidr: string): boolean {
  try {
    parseIpv4Cidr(cidr);
    return true;
  } catch {
    return false;
  }
}

/** The address as an unsigned 32-bit integer, for ordering and ranges. */
export function ipv4ToInt(address: string): number {
  const bytes = ipaddr.IPv4.parse(address).toByteArray();
  return ((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3];
}

/** Is `address` inside the network `cidr`? */
export function cidrContains(cidr: string, address: string): boolean {
  if (!isIpv4(address)) {
    return false;
  }
  const parsed = parsedNetwork(cidr);
  return ipaddr.IPv4.parse(address).match(parsed.network, parsed.prefixLength);
}

/** A network parsed once: its address (as ipaddr.js's), prefix length and broadcast address. */
interface ParsedNetwork {
  readonly cidr: Ipv4Cidr;
  readonly network: ipaddr.IPv4;
  readonly prefixLength: number;
  readonly broadcast: string;
}

/**
 * Networks by CIDR, parsed once: every endpoint's check parsed the lab's CIDR twice and its
 * broadcast address once, ~0.1 s at 4000 VMs (issue 17). Pure, so the cache only bounds its size.
 * A CIDR that is not one is not kept, and throws each time.
 */
const parsedNetworks = new Map<string, ParsedNetwork>();
const PARSED_NETWORKS_KEPT = 1000;

function parsedNetwork(cidr: string): ParsedNetwork {
  let parsed = parsedNetworks.get(cidr);
  if (parsed === undefined) {
    const c = parseIpv4Cidr(cidr);
    parsed = { cidr: c, network: ipaddr.IPv4.parse(c.network), prefixLength: c.prefixLength, broadcast: broadcastAddress(cidr) };
    if (parsedNetworks.size >= PARSED_NETWORKS_KEPT) {
      parsedNetworks.clear();
    }
    parsedNetworks.set(cidr, parsed);
  }
  return parsed;
}

/** The network's broadcast address. */
export function broadcastAddress(cidr: string): string {
  return ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString();
}

/** The network's netmask in dotted form (`255.255.255.0`). */
export function netmask(cidr: string): string {
  return ipaddr.IPv4.subnetMaskFromPrefixLength(parseIpv4Cidr(cidr).prefixLength).toString();
}

/** Is `address` a usable host address of `cidr` (inside it, neither network nor broadcast)? */
export function isUsableHostAddress(cidr: string, address: string): boolean {
  if (!cidrContains(cidr, address)) {
    return false;
  }
  const { cidr: parsed, broadcast } = parsedNetwork(cidr);
  if (parsed.prefixLength >= 31) {
    return true; // RFC 3021: both addresses of a /31 are usable
  }
  return address !== parsed.network && address !== broadcast;
}

/** Is `address` within the inclusive range `start`–`end`? */
export function ipInRange(address: string, start: string, end: string): boolean {
  const n = ipv4ToInt(address);
  return n >= ipv4ToInt(start) && n <= ipv4ToInt(end);
}

/** Compares two IPv4 addresses numerically, for sorting. */
export function compareIpv4(a: string, b: string): number {
  return ipv4ToInt(a) - ipv4ToInt(b);
}

/** Is this a MAC address written as six colon-separated pairs of hex digits? */
export function isMacAddress(mac: string): boolean {
  return /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac);
}

/** The canonical form of a MAC address: lower case, colon-separated. */
export function normalizeMac(mac: string): string {
  return mac.toLowerCase();
}

/** Is the first octet's I/G bit clear (a unicast address)? */
export function isUnicastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 0x01) === 0;
}

/** Is the first octet's U/L bit set (a locally administered address)? */
export function isLocallyAdministeredMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 0x02) === 0x02;
}

/**
 * A MAC address derived from a seed: the same seed always gives the same address, and every
 * address is locally administered unicast (first octet `x2`, `x6`, `xA` or `xE`), so it cannot
 * collide with a vendor's burned-in address. With a `prefix` (one to five hex pairs, a Proxmox
 * host's `macPrefix`), its first octets replace the derived ones; whether the result is still
 * locally administered unicast is then the prefix's to ensure (a VM's validation checks it).
 * This is the library's only MAC derivation.
 */
export function deriveMac(seed: string, prefix?: string): string {
  let derived = derivedMacs.get(seed);
  if (derived === undefined) {
    const digest = createHash('sha256').update(`homelab-cdk/mac/${seed}`).digest();
    const octets = Array.from(digest.subarray(0, 6));
    octets[0] = (octets[0] & 0xfc) | 0x02;
    derived = octets.map((o) => o.toString(16).padStart(2, '0'));
    if (derivedMacs.size >= DERIVED_MACS_KEPT) {
      derivedMacs.clear();
    }
    derivedMacs.set(seed, derived);
  }
  if (!prefix) {
    return derived.join(':');
  }
  const head = prefix.toLowerCase().split(':').slice(0, 5);
  return [...head, ...derived.slice(head.length)].join(':');
}

/**
 * Derived MACs by seed. A VM's NICs, and so its MAC, are derived afresh by every reader (its
 * lease, its Terraform NIC, the validation); hashing each time was ~0.4 s at 4000 VMs (issue 17).
 * The function is pure, so the cache only bounds its size, for long-running processes.
 */
const derivedMacs = new Map<string, readonly string[]>();
const DERIVED_MACS_KEPT = 100_000;

/** Is this a NixOS `networking.hostId`: exactly eight hex digits? */
export function isHostId(hostId: string): boolean {
  return /^[0-9a-f]{8}$/.test(hostId);
}

/**
 * A host id derived from the host name: the first 32 bits of its SHA-256, in hex. ZFS refuses
 * to import a pool last used by another host id, so the value must not change between runs.
 */
export function deriveHostId(hostName: string): string {
  return createHash('sha256').update(`homelab-cdk/hostid/${hostName}`).digest('hex').slice(0, 8);
}
