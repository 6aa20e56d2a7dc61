/**
 * The generated wake script with the real `wakeonlan` (Debian's, the same Perl tool as nixpkgs'
 * `wakeonlan`) in a network namespace, its magic packet captured by the real tcpdump on the other
 * end of a veth pair and checked byte for byte: Ethernet and IPv4 broadcast, UDP port 9, six
 * 0xff bytes and the target's MAC sixteen times. Needs root for `ip netns` (CI runs as root).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Addressing, HardwareProfile, Host, renderNixFlake, WakeOnLan } from '../../lib/internal';
import { materialize, smallLab, tempDir } from '../support/labs';
import { addNamespace, cleanupAfterEach, ip, netnsTag } from '../support/netns';
import { evalModule } from '../support/nix';

const isRoot = process.getuid?.() === 0;
const defer = cleanupAfterEach();

/** The UDP payloads of the IPv4 packets in a pcap file (Ethernet link type), with their headers. */
function udpPackets(pcap: Buffer): Array<{ ethDst: string; ipDst: string; udpPort: number; payload: Buffer }> {
  const little = pcap.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (little ? pcap.readUInt32LE(o) : pcap.readUInt32BE(o));
  expect(u32(20)).toBe(1); // LINKTYPE_ETHERNET
  const packets = [];
  for (let o = 24; o + 16 <= pcap.length; ) {
    const length = u32(o + 8);
    const frame = pcap.subarray(o + 16, o + 16 + length);
    o += 16 + length;
    if (frame.readUInt16BE(12) !== 0x0800 || frame[23] !== 17) continue; // IPv4, UDP
    const ihl = (frame[14] & 0x0f) * 4;
    const udp = 14 + ihl;
    packets.push({
      ethDst: [...frame.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':'),
      ipDst: [...frame.subarray(30, 34)].join('.'),
      udpPort: frame.readUInt16BE(udp + 2),
      payload: frame.subarray(udp + 8, udp + frame.readUInt16BE(udp + 4)),
    });
  }
  return packets;
}

describe.runIf(isRoot)('the wake script on a veth', () => {
  it('sends the magic packet for the target\'s MAC to the lab\'s broadcast address, byte for byte', async () => {
    const { lab } = smallLab();
    const pi = new Host(lab, 'pi', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', macAddress: 'dc:a6:32:00:00:02', addressing: Addressing.STATIC });
    const server = new Host(lab, 'server', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd' }), ipAddress: '10.0.0.5', macAddress: 'a8:a1:59:3c:12:7e', addressing: Addressing.STATIC });
    new WakeOnLan(pi, 'wake-server', { target: server, attempts: 1, initialDelaySeconds: 1 });
    const dir = materialize(renderNixFlake(lab));
    const env = evalModule(path.join(dir, 'hosts/pi/wake-on-lan.nix'), ['wakeonlan', 'iputils']).systemd.services['wake-server'].environment as Record<string, string>;

    const tag = netnsTag();
    const [sender, lan] = [`hl-w${tag}`, `hl-l${tag}`].map((ns) => addNamespace(ns, defer));
    ip('link', 'add', `ws${tag}`, 'type', 'veth', 'peer', 'name', `wl${tag}`);
    ip('link', 'set', `ws${tag}`, 'netns', sender);
    ip('link', 'set', `wl${tag}`, 'netns', lan);
    ip('-n', sender, 'link', 'set', `ws${tag}`, 'name', 'eth0');
    ip('-n', lan, 'link', 'set', `wl${tag}`, 'name', 'eth0');
    for (const ns of [sender, lan]) {
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
    ip('-n', sender, 'addr', 'add', '10.0.0.2/24', 'dev', 'eth0');

    const pcap = path.join(tempDir('wol-capture-'), 'magic.pcap');
    const tcpdump = spawn('ip', ['netns', 'exec', lan, 'tcpdump', '-i', 'eth0', '-n', '-U', '-c', '1', '-w', pcap, 'udp port 9'], { stdio: ['ignore', 'ignore', 'pipe'] });
    defer(() => tcpdump.kill('SIGKILL'));
    let tcpdumpLog = '';
    tcpdump.stderr.on('data', (d) => (tcpdumpLog += d));
    const exited = new Promise<void>((resolve) => tcpdump.on('exit', () => resolve()));
    const deadline = Date.now() + 5000;
    while (!/listening on eth0/.test(tcpdumpLog)) {
      if (tcpdump.exitCode !== null || Date.now() > deadline) throw new Error(`tcpdump did not start: ${tcpdumpLog}`);
      await new Promise((r) => setTimeout(r, 20));
    }

    // The target never answers here (nothing has 10.0.0.5): one packet, a 1 s wait, status 1.
    const run = spawnSync('ip', ['netns', 'exec', sender, 'bash', path.join(dir, 'scripts/wake-on-lan.sh')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env, WOL_CHECK_TIMEOUT: '1', WOL_PAUSE_FILE: '' },
      timeout: 30_000,
    });
    expect(run.stdout).toMatch(/sending magic packet 1\/1 to a8:a1:59:3c:12:7e via 10\.0\.0\.255/);
    expect(run.status).toBe(1);
    await exited;

    const [packet] = udpPackets(fs.readFileSync(pcap));
    expect(packet.ethDst).toBe('ff:ff:ff:ff:ff:ff');
    expect(packet.ipDst).toBe('10.0.0.255');
    expect(packet.udpPort).toBe(9);
    const mac = Buffer.from('a8a1593c127e', 'hex');
    expect(packet.payload.equals(Buffer.concat([Buffer.alloc(6, 0xff), ...Array.from({ length: 16 }, () => mac)]))).toBe(true);
  });
});
