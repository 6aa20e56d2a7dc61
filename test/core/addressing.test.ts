import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  broadcastAddress,
  cidrContains,
  deriveHostId,
  deriveMac,
  ipInRange,
  isHostId,
  isLocallyAdministeredMac,
  isMacAddress,
  isUnicastMac,
  isUsableHostAddress,
  netmask,
  parseIpv4Cidr,
} from '../../lib/internal';

describe('IPv4 networks', () => {
  it('parses and normalizes CIDR networks', () => {
    expect(parseIpv4Cidr('192.168.178.7/24')).toEqual({ network: '192.168.178.0', prefixLength: 24 });
    expect(netmask('10.0.0.0/20')).toBe('255.255.240.0');
    expect(broadcastAddress('192.168.178.0/24')).toBe('192.168.178.255');
  });

  it('refuses what is not a CIDR network', () => {
    for (const bad of ['192.168.178.0', '192.168.178.0/33', '192.168.1780/24', '10.0.0.0/x', '010.0.0.0/8']) {
      expect(() => parseIpv4Cidr(bad), bad).toThrow(/CIDR|prefix/);
    }
  });

  it('knows which addresses a network contains and which are usable by hosts', () => {
    expect(cidrContains('192.168.178.0/24', '192.168.178.97')).toBe(true);
    expect(cidrContains('192.168.178.0/24', '192.168.179.1')).toBe(false);
    expect(isUsableHostAddress('192.168.178.0/24', '192.168.178.0')).toBe(false);
    expect(isUsableHostAddress('192.168.178.0/24', '192.168.178.255')).toBe(false);
    expect(isUsableHostAddress('10.0.0.0/31', '10.0.0.0')).toBe(true);
    expect(ipInRange('192.168.178.101', '192.168.178.50', '192.168.178.200')).toBe(true);
    expect(ipInRange('192.168.178.10', '192.168.178.50', '192.168.178.200')).toBe(false);
  });
});

describe('derived identifiers', () => {
  it('derives locally administered unicast MAC addresses, the same for the same seed', () => {
    fc.assert(
      fc.property(fc.string(), (seed) => {
        const mac = deriveMac(seed);
        expect(isMacAddress(mac)).toBe(true);
        expect(isUnicastMac(mac)).toBe(true);
        expect(isLocallyAdministeredMac(mac)).toBe(true);
        expect(deriveMac(seed)).toBe(mac);
      }),
    );
    expect(deriveMac('homelab/k3s-node1')).not.toBe(deriveMac('homelab/k3s-node2'));
  });

  it('derives eight-hex-digit host ids from host names', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        expect(isHostId(deriveHostId(name))).toBe(true);
      }),
    );
    expect(deriveHostId('maxdata')).toBe(deriveHostId('maxdata'));
    expect(deriveHostId('maxdata')).not.toBe(deriveHostId('pi-network'));
  });

  it('tells unicast from multicast and burned-in from locally administered MACs', () => {
    expect(isUnicastMac('dc:a6:32:00:00:01')).toBe(true);
    expect(isUnicastMac('01:00:5e:00:00:01')).toBe(false);
    expect(isLocallyAdministeredMac('dc:a6:32:00:00:01')).toBe(false);
    expect(isLocallyAdministeredMac('02:00:00:00:00:01')).toBe(true);
  });
});
