import { describe, expect, it } from 'vitest';
import { adGuardUpstream, cidrsOverlap, DnsUpstream, isK3sVersion, isPinnedImage, k3sPackageAttribute } from '../../lib/internal';

describe('derived values of the cluster model', () => {
  it('names the nixpkgs package of a k3s minor version', () => {
    expect(k3sPackageAttribute('1.35')).toBe('k3s_1_35');
    expect(k3sPackageAttribute('1.9')).toBe('k3s_1_9');
    expect(isK3sVersion('1.35')).toBe(true);
    expect(['1.35.1', 'v1.35', '1', '1.35+k3s1'].filter(isK3sVersion)).toEqual([]);
  });

  it('tells overlapping networks from separate ones', () => {
    expect(cidrsOverlap('10.42.0.0/16', '10.42.128.0/17')).toBe(true);
    expect(cidrsOverlap('10.42.128.0/17', '10.42.0.0/16')).toBe(true);
    expect(cidrsOverlap('10.42.0.0/16', '10.43.0.0/16')).toBe(false);
    expect(cidrsOverlap('192.168.178.0/24', '10.0.0.0/8')).toBe(false);
    expect(cidrsOverlap('0.0.0.0/0', '192.168.178.0/24')).toBe(true);
  });

  it('accepts images pinned by tag or digest, not latest or untagged ones', () => {
    expect(isPinnedImage('adguard/adguardhome:v0.107.79')).toBe(true);
    expect(isPinnedImage('registry.local:5000/adguard/adguardhome:v0.107.79')).toBe(true);
    expect(isPinnedImage(`adguard/adguardhome@sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(isPinnedImage('adguard/adguardhome:latest')).toBe(false);
    expect(isPinnedImage('adguard/adguardhome')).toBe(false);
    expect(isPinnedImage('registry.local:5000/adguard/adguardhome')).toBe(false);
  });

  it('writes upstreams as AdGuard Home takes them', () => {
    expect(adGuardUpstream(DnsUpstream.CLOUDFLARE)).toBe('1.1.1.1');
    expect(adGuardUpstream(new DnsUpstream({ address: '192.168.178.1', port: 5353 }))).toBe('192.168.178.1:5353');
    expect(adGuardUpstream(new DnsUpstream({ address: '2606:4700:4700::1111' }))).toBe('[2606:4700:4700::1111]:53');
  });
});
