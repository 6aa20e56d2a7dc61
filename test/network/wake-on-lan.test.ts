import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Addressing, backoffDelays, HardwareProfile, Homelab, Host, ReachabilityCheck, renderNixFlake, validateLab, WakeOnLan, WakeOnLanProps } from '../../lib/internal';
import { ReferenceLab } from '../../apps/reference-lab';
import { materialize, smallLab, tempDir, vmHost } from '../support/labs';
import { evalModule } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';

function errorsOf(lab: Homelab): string[] {
  return validateLab(lab).errors.map((f) => `${f.path}: ${f.message}`);
}

/** A lab with an always-on Pi and a bare-metal server it wakes. */
function wakeLab(props: Partial<WakeOnLanProps> = {}, serverMac: string | null = 'a8:a1:59:00:00:05') {
  const { lab } = smallLab();
  const pi = new Host(lab, 'pi', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', macAddress: 'dc:a6:32:00:00:02', addressing: Addressing.STATIC });
  const server = new Host(lab, 'server', {
    hardware: HardwareProfile.bareMetal({ cpuVendor: 'intel', interfaceName: 'enp3s0' }),
    ipAddress: '10.0.0.5',
    macAddress: serverMac ?? undefined,
    addressing: Addressing.STATIC,
  });
  const wake = new WakeOnLan(pi, 'wake-server', { target: server, ...props });
  return { lab, pi, server, wake };
}

describe('backoff', () => {
  it('doubles the wait after each packet, up to the longest wait', () => {
    expect(backoffDelays(10, 60, 5)).toEqual([10, 20, 40, 60, 60]);
    expect(backoffDelays(5, 5, 3)).toEqual([5, 5, 5]);
    expect(backoffDelays(10, 300, 1)).toEqual([10]);
  });

  it('refuses a first wait longer than the longest', () => {
    expect(errorsOf(wakeLab({ initialDelaySeconds: 600, maxDelaySeconds: 300 }).lab)).toContain(
      'testlab/pi/wake-server: initialDelaySeconds (600) is above maxDelaySeconds (300). Fix: make initialDelaySeconds the smaller one.',
    );
  });
});

describe('validation', () => {
  it('accepts a bare-metal target with a MAC and an interface', () => {
    expect(errorsOf(wakeLab().lab)).toEqual([]);
  });

  it('refuses a target without a MAC address', () => {
    const { lab } = wakeLab({}, null);
    expect(errorsOf(lab)).toEqual([
      'testlab/pi/wake-server: testlab/server has no MAC address, so there is nothing to wake it with. Fix: set macAddress on server to its NIC\'s address (ip link).',
    ]);
  });

  it('refuses a virtual machine as target, and the sender itself', () => {
    const { lab } = smallLab();
    const pi = new Host(lab, 'pi', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', macAddress: 'dc:a6:32:00:00:02', addressing: Addressing.STATIC });
    new WakeOnLan(pi, 'wake-vm', { target: vmHost(lab, 'vm', '10.0.0.10') });
    new WakeOnLan(pi, 'wake-self', { target: pi });
    expect(errorsOf(lab)).toEqual([
      'testlab/pi/wake-self: pi cannot wake itself. Fix: target another host.',
      'testlab/pi/wake-vm: testlab/vm is a virtual machine, which its hypervisor starts; a magic packet does not. Fix: wake the hypervisor instead, and let it start the VM on boot.',
    ]);
  });

  it('accepts a target without an interface name: its NIC is found by its permanent MAC', () => {
    const { lab } = smallLab();
    const pi = new Host(lab, 'pi', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', addressing: Addressing.STATIC });
    const server = new Host(lab, 'server', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd' }), ipAddress: '10.0.0.5', macAddress: 'a8:a1:59:00:00:05' });
    new WakeOnLan(pi, 'wake-server', { target: server });
    expect(errorsOf(lab)).toEqual([]);
  });

  it('refuses bad counts, a bad watch interval, a bad service name and two services of one name', () => {
    const { lab, pi, server } = wakeLab({ attempts: 0, initialDelaySeconds: 1.5, watchInterval: 'often', serviceName: 'Wake Server' });
    new WakeOnLan(pi, 'one', { target: server, serviceName: 'wake' });
    new WakeOnLan(pi, 'two', { target: server, serviceName: 'wake' });
    expect(errorsOf(lab)).toEqual([
      'testlab/pi/one: service name wake is also used by testlab/pi/two. Fix: give each WakeOnLan on a host its own serviceName.',
      'testlab/pi/two: service name wake is also used by testlab/pi/one. Fix: give each WakeOnLan on a host its own serviceName.',
      'testlab/pi/wake-server: attempts is 0. Fix: give attempts as a whole number of at least 1.',
      'testlab/pi/wake-server: initialDelaySeconds is 1.5. Fix: give initialDelaySeconds as a whole number of at least 1.',
      'testlab/pi/wake-server: service name "Wake Server" is not a plain systemd unit name. Fix: use lower-case letters, digits and "-".',
      'testlab/pi/wake-server: watch interval "often" is not a systemd time span. Fix: write a number with a unit, such as "5min" or "1h".',
    ]);
  });
});

describe('the reference lab\'s wake-proxmox', () => {
  let ref: ReferenceLab;
  let nixDir: string;
  let module: Record<string, any>;

  beforeAll(() => {
    ({ ref, nixDir } = synthesizeReferenceLab());
    module = evalModule(path.join(nixDir, 'hosts/pi-network/wake-on-lan.nix'), ['wakeonlan', 'iputils']);
  });

  it('is a service on pi-network that wakes maxdata by the MAC of its Host construct, once the network is up, started by its timer only', () => {
    const service = module.systemd.services['wake-proxmox'];
    expect(service.environment).toMatchObject({
      WOL_TARGET: 'maxdata',
      WOL_MAC: ref.maxdata.macAddress,
      WOL_ADDRESS: ref.maxdata.ipAddress,
      WOL_BROADCAST: '192.168.178.255',
      WOL_CHECK: 'tcp:8006',
    });
    expect(service.after).toContain('network-online.target');
    expect(service.wants).toContain('network-online.target');
    // Never wanted by a target (it would hold up the Pi's boot while maxdata is down), never
    // restarted (and waited for) by nixos-rebuild switch.
    expect(service.wantedBy).toBeUndefined();
    expect(service.restartIfChanged).toBe(false);
    expect(service.path).toEqual(['script:homelab-wake-on-lan', 'pkg:wakeonlan', 'pkg:iputils']);
    expect(service.script).toBe('exec homelab-wake-on-lan');
    expect(evalModule(path.join(nixDir, 'hosts/pi-network/configuration.nix'), ref.piNetwork.packages).imports).toContain('wake-on-lan.nix');
  });

  it('retries with the model\'s backoff, and may run as long as its longest run', () => {
    const service = module.systemd.services['wake-proxmox'];
    expect(service.environment.WOL_DELAYS.split(' ').map(Number)).toEqual(ref.wakeProxmox.delays);
    const waits = ref.wakeProxmox.delays.reduce((a, b) => a + b, 0);
    expect(service.serviceConfig.Type).toBe('oneshot');
    expect(service.serviceConfig.TimeoutStartSec).toBeGreaterThan(waits);
  });

  it('keeps watching maxdata with a timer, from 30 s after boot', () => {
    expect(module.systemd.timers['wake-proxmox']).toMatchObject({
      wantedBy: ['timers.target'],
      timerConfig: { OnBootSec: '30s', OnUnitInactiveSec: '5min' },
    });
  });

  it('can be paused by a file in its state folder', () => {
    const service = module.systemd.services['wake-proxmox'];
    expect(service.serviceConfig.StateDirectory).toBe('homelab-wake-on-lan');
    expect(service.environment.WOL_PAUSE_FILE).toBe('/var/lib/homelab-wake-on-lan/wake-proxmox.pause');
  });

  it('arms Wake-on-LAN at every boot on maxdata by its NIC\'s permanent MAC, not by the .link file matched on OriginalName (NixOS/nixpkgs#415213)', () => {
    const nic = evalModule(path.join(nixDir, 'hosts/maxdata/wake-on-lan-nic.nix'), ['ethtool']);
    expect(nic.networking).toBeUndefined();
    const arm = nic.systemd.services['wake-on-lan-arm'];
    expect(arm).toMatchObject({
      wantedBy: ['multi-user.target'],
      environment: { WOL_MAC: ref.maxdata.macAddress },
      path: ['script:homelab-wake-on-lan-arm', 'pkg:ethtool'],
      script: 'exec homelab-wake-on-lan-arm',
      serviceConfig: { Type: 'oneshot', RemainAfterExit: true },
    });
    expect(evalModule(path.join(nixDir, 'hosts/maxdata/configuration.nix'), ref.maxdata.packages).imports).toContain('wake-on-lan-nic.nix');
  });
});

describe('the Wake-on-LAN modules on small labs', () => {
  it('writes one module per sender and enables the NIC of a target woken from two senders once', () => {
    const { lab, server } = wakeLab();
    const other = new Host(lab, 'other', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.3', addressing: Addressing.STATIC, macAddress: 'dc:a6:32:00:00:03' });
    new WakeOnLan(other, 'wake-server', { target: server, check: ReachabilityCheck.ping() });
    const files = renderNixFlake(lab);
    const dir = materialize(files);
    expect(files.filter((f) => f.path.endsWith('/wake-on-lan.nix')).map((f) => f.path)).toEqual(['hosts/other/wake-on-lan.nix', 'hosts/pi/wake-on-lan.nix']);
    const imports = evalModule(path.join(dir, 'hosts/server/configuration.nix')).imports as string[];
    expect(imports.filter((i) => i === 'wake-on-lan-nic.nix')).toHaveLength(1);
    expect(evalModule(path.join(dir, 'hosts/other/wake-on-lan.nix'), ['wakeonlan', 'iputils']).systemd.services['wake-server'].environment.WOL_CHECK).toBe('ping');
  });

  it('writes no script for a lab that wakes nothing', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10');
    expect(renderNixFlake(lab).map((f) => f.path)).not.toContain('scripts/wake-on-lan.sh');
  });
});

describe('scripts/wake-on-lan.sh', () => {
  let script: string;
  beforeAll(() => {
    const { lab } = wakeLab();
    const dir = materialize(renderNixFlake(lab));
    script = path.join(dir, 'scripts/wake-on-lan.sh');
  });

  it('passes bash -n and shellcheck', () => {
    execFileSync('bash', ['-n', script]);
    const r = spawnSync('shellcheck', ['-s', 'bash', script], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  /**
   * Runs the script with stand-ins for ping (answers from the `upAfter`-th call on; never when
   * undefined), wakeonlan and sleep (both log their arguments, sleep returns at once).
   */
  function runWake(env: Record<string, string>, upAfter?: number) {
    const bin = tempDir('fake-bin-');
    const log = path.join(bin, 'log');
    const count = path.join(bin, 'pings');
    fs.writeFileSync(
      path.join(bin, 'ping'),
      `#!/bin/sh\nn=$(($(cat ${count} 2>/dev/null || echo 0) + 1)); echo $n > ${count}\necho "ping $*" >> ${log}\n[ ${upAfter ?? 0} -gt 0 ] && [ $n -ge ${upAfter ?? 0} ]\n`,
      { mode: 0o755 },
    );
    for (const tool of ['wakeonlan', 'sleep']) {
      fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${log}\n`, { mode: 0o755 });
    }
    const base = { WOL_TARGET: 'server', WOL_MAC: 'a8:a1:59:00:00:05', WOL_ADDRESS: '10.0.0.5', WOL_BROADCAST: '10.0.0.255', WOL_PORT: '9', WOL_CHECK: 'ping', WOL_DELAYS: '10 20 40' };
    const r = spawnSync('bash', [script], { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}`, ...base, ...env } });
    return { status: r.status, out: r.stdout + r.stderr, log: fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [] };
  }

  it('does nothing but log when the target answers', () => {
    const r = runWake({}, 1);
    expect(r.status).toBe(0);
    expect(r.log).toEqual(['ping -n -c 1 -W 3 10.0.0.5']);
    expect(r.out).toBe('server (10.0.0.5) answers on ping\n');
  });

  it('sends magic packets to the MAC on the broadcast address, backing off, until the target answers', () => {
    const r = runWake({}, 3);
    expect(r.status).toBe(0);
    expect(r.log.filter((l) => !l.startsWith('ping'))).toEqual([
      'wakeonlan -i 10.0.0.255 -p 9 a8:a1:59:00:00:05',
      'sleep 10',
      'wakeonlan -i 10.0.0.255 -p 9 a8:a1:59:00:00:05',
      'sleep 20',
    ]);
    expect(r.out).toMatch(/sending magic packet 1\/3 to a8:a1:59:00:00:05 via 10\.0\.0\.255/);
    expect(r.out).toMatch(/server \(10\.0\.0\.5\) is up: it answers on ping after 2 magic packet\(s\)\n$/);
  });

  it('gives up with status 1 after the last attempt, saying so', () => {
    const r = runWake({ WOL_DELAYS: backoffDelays(10, 300, 4).join(' ') });
    expect(r.status).toBe(1);
    expect(r.log.filter((l) => l.startsWith('sleep'))).toEqual(['sleep 10', 'sleep 20', 'sleep 40', 'sleep 80']);
    expect(r.log.filter((l) => l.startsWith('wakeonlan'))).toHaveLength(4);
    expect(r.out).toMatch(/server \(10\.0\.0\.5\) still does not answer on ping after 4 magic packets; the timer tries again later\n$/);
  });

  it('writes journal priorities when its output goes to the journal', () => {
    const r = runWake({ JOURNAL_STREAM: '8:12345', WOL_DELAYS: '1' });
    expect(r.out.split('\n').filter(Boolean).map((l) => l.slice(0, 3))).toEqual(['<5>', '<6>', '<3>']);
  });

  it('checks a TCP port with a real connection', async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const up = runWake({ WOL_ADDRESS: '127.0.0.1', WOL_CHECK: `tcp:${port}` });
      expect(up.status).toBe(0);
      expect(up.out).toBe(`server (127.0.0.1) answers on TCP port ${port}\n`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const down = runWake({ WOL_ADDRESS: '127.0.0.1', WOL_CHECK: `tcp:${port}`, WOL_DELAYS: '1' });
    expect(down.status).toBe(1);
    expect(down.log).toContain('wakeonlan -i 10.0.0.255 -p 9 a8:a1:59:00:00:05');
  });

  it('does nothing while paused by an empty pause file, or until the time it holds', () => {
    const pause = path.join(tempDir('wake-pause-'), 'wake-server.pause');
    fs.writeFileSync(pause, '');
    const forever = runWake({ WOL_PAUSE_FILE: pause });
    expect(forever.status).toBe(0);
    expect(forever.log).toEqual([]);
    expect(forever.out).toBe(`waking server is paused until ${pause} is removed\n`);
    fs.writeFileSync(pause, `${Math.floor(Date.now() / 1000) + 3600}\n`);
    const until = runWake({ WOL_PAUSE_FILE: pause });
    expect(until.log).toEqual([]);
    expect(until.out).toMatch(/^waking server is paused until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \(/);
    fs.writeFileSync(pause, `${Math.floor(Date.now() / 1000) - 60}\n`);
    const ended = runWake({ WOL_PAUSE_FILE: pause, WOL_DELAYS: '1' });
    expect(ended.out).toMatch(/^the pause of .* has ended; watching server again\n/);
    expect(ended.log).toContain('wakeonlan -i 10.0.0.255 -p 9 a8:a1:59:00:00:05');
    expect(runWake({ WOL_PAUSE_FILE: path.join(path.dirname(pause), 'absent') }, 1).out).toBe('server (10.0.0.5) answers on ping\n');
  });

  it('refuses a malformed configuration with status 2', () => {
    expect(runWake({ WOL_MAC: 'a8:a1:59' }).out).toMatch(/WOL_MAC "a8:a1:59" is not a MAC address/);
    expect(runWake({ WOL_MAC: 'a8:a1:59' }).status).toBe(2);
    expect(runWake({ WOL_DELAYS: '' }).status).toBe(2);
    expect(runWake({ WOL_DELAYS: '10 soon' }).status).toBe(2);
    expect(runWake({ WOL_CHECK: 'http:80' }).status).toBe(2);
    expect(runWake({ WOL_ADDRESS: 'server' }).status).toBe(2);
  });
});

describe('scripts/wake-on-lan-arm.sh', () => {
  let script: string;
  beforeAll(() => {
    const { lab } = wakeLab();
    script = path.join(materialize(renderNixFlake(lab)), 'scripts/wake-on-lan-arm.sh');
  });

  it('passes bash -n and shellcheck', () => {
    execFileSync('bash', ['-n', script]);
    const r = spawnSync('shellcheck', ['-s', 'bash', script], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
  });

  /**
   * Runs the script on a stand-in /sys/class/net (lo; enp3s0, the renamed NIC, whose permanent
   * address is the target's; vmbr0, a bridge over it with the same current MAC but no device)
   * and a stand-in ethtool answering as ethtool 6.1 does on an r8169 NIC
   * (test/network/fixtures/ethtool-enp3s0.txt), whose Wake-on becomes `wakeOnAfterArming`.
   */
  function runArm(env: Record<string, string>, wakeOnAfterArming = 'g') {
    const root = tempDir('fake-sysfs-');
    const sysfs = path.join(root, 'net');
    for (const [name, physical] of [['lo', false], ['enp3s0', true], ['vmbr0', false]] as const) {
      fs.mkdirSync(path.join(sysfs, name), { recursive: true });
      if (physical) fs.mkdirSync(path.join(sysfs, name, 'device'));
    }
    const state = path.join(root, 'wake-on');
    const log = path.join(root, 'log');
    fs.writeFileSync(state, 'd');
    const fixture = path.join(__dirname, 'fixtures/ethtool-enp3s0.txt');
    fs.writeFileSync(
      path.join(root, 'ethtool'),
      [
        '#!/bin/sh',
        `echo "ethtool $*" >> ${log}`,
        'case "$1" in',
        '  -P) [ "$2" = enp3s0 ] && echo "Permanent address: A8:A1:59:00:00:05" || echo "Permanent address: 00:00:00:00:00:00"; exit 0 ;;',
        `  -s) [ "$2" = enp3s0 ] && [ "$3 $4" = "wol g" ] && echo "${wakeOnAfterArming}" > ${state}; exit 0 ;;`,
        `  enp3s0) sed "s/^\tWake-on: .*/\tWake-on: $(cat ${state})/" ${fixture}; exit 0 ;;`,
        'esac',
        'exit 75',
      ].join('\n') + '\n',
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(root, 'sleep'), '#!/bin/sh\n', { mode: 0o755 });
    const r = spawnSync('bash', [script], { encoding: 'utf8', env: { PATH: `${root}:${process.env.PATH}`, WOL_SYSFS_NET: sysfs, WOL_MAC: 'a8:a1:59:00:00:05', ...env } });
    return { status: r.status, out: r.stdout + r.stderr, log: fs.readFileSync(log, 'utf8').trim().split('\n') };
  }

  it('arms the NIC with the permanent MAC, whatever its name, and checks that it reports Wake-on: g', () => {
    const r = runArm({});
    expect(r.status).toBe(0);
    expect(r.log).toEqual(['ethtool -P enp3s0', 'ethtool -s enp3s0 wol g', 'ethtool enp3s0']);
    expect(r.out).toBe('Wake-on-LAN armed on enp3s0 (a8:a1:59:00:00:05): Wake-on: g\n');
  });

  it('fails when the NIC still reports Wake-on: d after arming', () => {
    const r = runArm({}, 'd');
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/enp3s0 \(a8:a1:59:00:00:05\) reports Wake-on: d after arming; a magic packet would not wake this host/);
  });

  it('fails when no NIC has the MAC, after waiting for it', () => {
    const r = runArm({ WOL_MAC: 'a8:a1:59:00:00:99', WOL_NIC_WAIT: '2' });
    expect(r.status).toBe(1);
    expect(r.log.filter((l) => l === 'ethtool -P enp3s0')).toHaveLength(3);
    expect(r.out).toMatch(/no network interface has the permanent MAC address a8:a1:59:00:00:99 after 2s/);
  });
});
