/**
 * One lab with many distinct mistakes, run through the real CLI: every mistake is reported in
 * the one run, each as a finding with its construct path (or the app file's line) and a fix, no
 * stack trace, no secret, and nothing is written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../lib/internal';
import { TEST_KEY, tempDir } from '../support/labs';

const LIB = path.resolve(__dirname, '../../lib');

/** A mistake: the app code that makes it, and the error line (after `error `) it must give. */
interface Mistake {
  readonly mistake: string;
  readonly code: string;
  readonly finding: RegExp;
}

/** The lab every mistake is added to: valid on its own. */
const BASE = `
import {
  Addressing, BackupRemote, BackupSource, Disk, HardwareProfile, Homelab, Host, K3sCluster, Monitoring, OffsiteBackup,
  PartitionType, ProxmoxHost, ProxmoxStack, ProxmoxVm, ReachabilityCheck, Secret, Size, StorageBacking, User, VdevLayout,
  WakeOnLan, ZfsPool, ZfsReplication, ZfsSettings,
} from ${JSON.stringify(LIB)};

const lab = new Homelab({ name: 'lab', domain: 'lab.example', network: { cidr: '10.0.0.0/24', gateway: '10.0.0.1' } });
new User(lab, 'admin', { sudo: true, sshKeys: [${JSON.stringify(TEST_KEY)}] });
const pve = new Host(lab, 'pve', {
  hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }),
  ipAddress: '10.0.0.2', macAddress: 'a8:a1:59:00:00:02', addressing: Addressing.STATIC, memory: Size.gibibytes(64), cpuThreads: 16,
});
const proxmox = new ProxmoxHost(pve, 'proxmox');
const local = proxmox.addStorage('local', { backing: StorageBacking.directory('/var/lib/vz') });
new ProxmoxStack(lab, 'prod', { endpoint: proxmox });
const cluster = new K3sCluster(lab, 'k3s', { token: Secret.fromFile('/var/lib/secrets/k3s-token'), clusterCidr: '10.42.0.0/33' });
let n = 10;
const host = (id: string, props: Record<string, unknown> = {}) =>
  new Host(lab, id, { hardware: HardwareProfile.qemuGuest(), ipAddress: \`10.0.0.\${n++}\`, ...props });
const disk = (name: string, size = Size.terabytes(1)) => Disk.byId(\`/dev/disk/by-id/ata-\${name}\`, { size });
const pool = (id: string, devices: unknown[], layout: unknown = VdevLayout.STRIPE) => {
  const p = new ZfsPool(pve, id);
  p.addDataVdev({ layout: layout as VdevLayout, devices: devices as never });
  return p;
};
const sources = [BackupSource.directory('/var/lib/data')];
`;

const MISTAKES: readonly Mistake[] = [
  { mistake: 'two hosts with one id', code: `host('twin'); host('twin');`, finding: /^lab: there is already a construct named "twin" in lab\. Fix: give one of them another id/ },
  { mistake: 'a stack named like a host', code: `new ProxmoxStack(lab, 'pve');`, finding: /^lab: there is already a construct named "pve" in lab\. Fix:/ },
  { mistake: 'an empty id', code: `host('');`, finding: /^lab: a construct under it has an empty id\. Fix: give every construct a name/ },
  { mistake: 'a 10,000-character stack name', code: `new ProxmoxStack(lab, 's'.repeat(10000), { endpoint: proxmox });`, finding: /^lab: the id "s{80}…" of a construct under it is 10000 bytes long.* Fix: give it an id of at most 255 bytes\.$/ },
  { mistake: 'an ESC in an id', code: `new ProxmoxStack(lab, 'st\\x1back', { endpoint: proxmox });`, finding: /^lab: the id "st\\x1back" of a construct under it holds a control character\. Fix:/ },
  { mistake: 'a partition after a rest-of-disk partition', code: `{ const d = disk('rest'); d.addPartition(); pool('restpool', [d.addPartition({ size: Size.gibibytes(8) })]); }`, finding: /^lab\/pve\/restpool\/\S+: devices\[0\]\.disk: partition 1 of disk "\/dev\/disk\/by-id\/ata-rest" takes the rest of the disk, so partition 2 cannot follow it\. Fix: give partition 1 a size/ },
  { mistake: 'a mountpoint on a ZFS partition', code: `pool('mountpool', [disk('mnt').addPartition({ size: Size.gibibytes(8), mountpoint: '/boot' })]);`, finding: /^lab\/pve\/mountpool\/\S+: devices\[0\]\.disk: partition 1 of disk "\/dev\/disk\/by-id\/ata-mnt" has a mountpoint.* Fix: drop mountpoint/ },
  { mistake: 'a zero-size disk', code: `pool('zeropool', [disk('zero', Size.bytes(0))]);`, finding: /^lab\/pve\/zeropool\/\S+: devices\[0\]: disk "\/dev\/disk\/by-id\/ata-zero" has a size of 0 bytes\. Fix:/ },
  { mistake: 'a zero-size partition', code: `pool('zeropart', [disk('zp').addPartition({ size: Size.bytes(0) })]);`, finding: /^lab\/pve\/zeropart\/\S+: devices\[0\]\.disk: partition 1 of disk "\/dev\/disk\/by-id\/ata-zp" has a size of 0 bytes\. Fix:/ },
  { mistake: 'a NaN disk size', code: `pool('nanpool', [disk('nan', Size.terabytes(NaN))]);`, finding: /^lab\/pve\/nanpool\/\S+: devices\[0\]\.size is NaN bytes, which is not a size\. Fix:/ },
  { mistake: 'a disk without a size', code: `pool('nosize', [Disk.byId('/dev/disk/by-id/ata-nosize', {} as never)]);`, finding: /^lab\/pve\/nosize\/\S+: devices\[0\]: the size of disk "\/dev\/disk\/by-id\/ata-nosize" is not a Size\. Fix:/ },
  { mistake: 'a negative host memory', code: `host('negmem', { memory: Size.gibibytes(-4) });`, finding: /^lab\/negmem: memory is -4294967296 bytes, which is not a size\. Fix:/ },
  { mistake: 'a size that does not parse', code: `new ZfsSettings(host('arc'), 'zfs', { arcMax: Size.parse('lots') });`, finding: /^lab\/arc\/zfs: \S*arcMax is "lots", which is not a size\. Fix: write it like "32K"/ },
  { mistake: 'a vdev layout that does not exist', code: `pool('raid7', [disk('r7')], 'raid7');`, finding: /^lab\/pve\/raid7\/\S+: layout "raid7" is not a vdev layout\. Fix: use one of VdevLayout's/ },
  { mistake: 'a device path as a string', code: `pool('strpool', ['/dev/sda']);`, finding: /^lab\/pve\/strpool\/\S+: device 1 is the string "\/dev\/sda", not a Disk or DiskPartition\. Fix:/ },
  { mistake: 'a token value given as an environment variable name', code: `host('envtok').node; new K3sCluster(lab, 'k3s-env', { token: Secret.fromEnvironment('hunter2-token-value') });`, finding: /^lab\/k3s-env: token: Secret\.fromEnvironment was given something that is not an environment variable name \(the value is not shown/ },
  { mistake: 'a relative secret file', code: `new User(lab, 'relpw', { sshKeys: [${JSON.stringify(TEST_KEY)}], hashedPasswordFile: Secret.fromFile('hunter2') });`, finding: /^lab\/relpw: hashedPasswordFile: Secret\.fromFile was given something that is not an absolute path/ },
  { mistake: 'a Terraform variable name that is a token', code: `new ProxmoxStack(lab, 'tfvar', { endpoint: proxmox, apiToken: Secret.fromTerraformVariable('root@pam!t=0123-4567') });`, finding: /^lab\/tfvar: apiToken: Secret\.fromTerraformVariable was given something that is not a Terraform variable name/ },
  { mistake: 'a sops name with ..', code: `new User(lab, 'sopspw', { sshKeys: [${JSON.stringify(TEST_KEY)}], hashedPasswordFile: Secret.fromSops({ name: '../pw' }) });`, finding: /^lab\/sopspw: hashedPasswordFile: Secret\.fromSops was given a name that is not a plain name/ },
  { mistake: 'a sops mode that is not octal', code: `new User(lab, 'sopsmode', { sshKeys: [${JSON.stringify(TEST_KEY)}], hashedPasswordFile: Secret.fromSops({ name: 'pw', mode: '999' }) });`, finding: /^lab\/sopsmode: hashedPasswordFile: the mode of sops secret pw is not an octal file mode/ },
  { mistake: 'a sops file outside the flake', code: `new Monitoring(host('mon'), 'monitoring', { grafana: { adminPassword: Secret.fromSops({ name: 'pw', sopsFile: '../secrets.yaml', owner: 'grafana' }), secretKey: Secret.fromSops({ name: 'key', owner: 'grafana' }) } });`, finding: /^lab\/mon\/monitoring: \S*[aA]dminPassword: the sopsFile of sops secret pw is not a relative path inside the flake/ },
  { mistake: 'a pod network prefix above 32', code: `cluster.addServer(host('server'));`, finding: /^lab\/k3s: cluster \(pod\) network "10\.42\.0\.0\/33" is not an IPv4 network in CIDR form\. Fix:/ },
  { mistake: 'a NUL in a description', code: `new User(lab, 'nul', { description: 'Bob\\0', sshKeys: [${JSON.stringify(TEST_KEY)}] });`, finding: /^lab\/nul: description holds a NUL character \(Bob\\0\)\. Fix: remove it/ },
  { mistake: 'a WebDAV URL with a password', code: `new OffsiteBackup(host('dav'), 'offsite', { remote: BackupRemote.webdav({ url: 'https://bob:hunter2@dav.example.org/b', user: 'bob', password: Secret.fromFile('/run/pw') }), sources });`, finding: /^lab\/dav\/offsite: the WebDAV URL carries a password \(user:password@\).* Fix:/ },
  { mistake: 'an S3 endpoint with a password', code: `new OffsiteBackup(host('s3'), 'offsite', { remote: BackupRemote.s3({ endpoint: 'https://key:hunter2@s3.example.org', bucket: 'lab-backups', credentials: Secret.fromFile('/run/s3') }), sources });`, finding: /^lab\/s3\/offsite: the S3 endpoint carries a password \(user:password@\).* Fix:/ },
  { mistake: 'an agent token in extra flags', code: `cluster.addAgent(host('agent1'), { extraFlags: ['--agent-token hunter2'] });`, finding: /^lab\/k3s\/agent1: extra flag --agent-token would put the token .* Fix: remove it/ },
  { mistake: 'a token in extra flags', code: `cluster.addAgent(host('agent2'), { extraFlags: ['--token=hunter2'] });`, finding: /^lab\/k3s\/agent2: extra flag --token would put the token/ },
  { mistake: 'an agent that initializes the cluster', code: `cluster.addAgent(host('agent3'), { clusterInit: true });`, finding: /^lab\/k3s\/agent3: an agent cannot initialize the cluster \(clusterInit\)\. Fix: make it a server, or drop clusterInit\.$/ },
  { mistake: 'a raw module with a bad name', code: `host('raw1').addRawNixModule('Bad Name', '{ }');`, finding: /^lab\/raw1: raw module name "Bad Name" is not a file name.* Fix:/ },
  { mistake: 'a raw module added twice', code: `{ const h = host('raw2'); h.addRawNixModule('extra', '{ }'); h.addRawNixModule('extra', '{ }'); }`, finding: /^lab\/raw2: a raw module named "extra" was already added\. Fix:/ },
  { mistake: 'a Wake-on-LAN delay above its maximum', code: `new WakeOnLan(host('wol1'), 'wake', { target: pve, initialDelaySeconds: 600, maxDelaySeconds: 300 });`, finding: /^lab\/wol1\/wake: initialDelaySeconds \(600\) is above maxDelaySeconds \(300\)\. Fix:/ },
  { mistake: 'a reachability port out of range', code: `new WakeOnLan(host('wol2'), 'wake', { target: pve, check: ReachabilityCheck.tcpPort(70000) });`, finding: /^lab\/wol2\/wake: check: ReachabilityCheck\.tcpPort was given "70000", which is not a TCP port\. Fix: use a port from 1 to 65535\.$/ },
  { mistake: 'a PoE+ HAT without nixos-hardware', code: `host('pi', { hardware: HardwareProfile.raspberryPi4({ poePlusHat: true, nixosHardware: false }) });`, finding: /^lab\/pi: hardware: raspberryPi4's poePlusHat needs nixosHardware.* Fix:/ },
  { mistake: 'GRUB without a device', code: `host('grub', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1', bootLoader: 'grub' }) });`, finding: /^lab\/grub: hardware: a bare-metal profile with bootLoader "grub" has no grubDevice\. Fix:/ },
  { mistake: 'an SFTP remote with a key and a password', code: `new OffsiteBackup(host('sftp'), 'offsite', { remote: BackupRemote.sftp({ host: 'backup.example.org', user: 'u1', path: 'lab', privateKey: Secret.fromFile('/run/key'), password: Secret.fromFile('/run/pw') }), sources });`, finding: /^lab\/sftp\/offsite: remote: the SFTP remote "backup\.example\.org" has both a privateKey and a password\. Fix:/ },
  { mistake: 'a backup source that is not a dataset', code: `new OffsiteBackup(host('bsrc'), 'offsite', { remote: BackupRemote.sftp({ host: 'backup.example.org', user: 'u1', path: 'lab', privateKey: Secret.fromFile('/run/key') }), sources: [BackupSource.dataset('tank/data' as never)] });`, finding: /^lab\/bsrc\/offsite: \S+: BackupSource\.dataset was given something that is not a ZfsPool or ZfsDataset/ },
  { mistake: 'a backup remote that is not a BackupRemote', code: `new OffsiteBackup(host('brem'), 'offsite', { remote: { url: 'https://x' } as never });`, finding: /^lab\/brem\/offsite: the remote of the backup is not a BackupRemote\. Fix:/ },
  { mistake: 'a replication source that is not a pool', code: `new ZfsReplication(lab, 'repl', { source: 'tank' as never, target: 'tank/backup' });`, finding: /^lab\/repl: the source of the replication is not a ZfsPool or ZfsDataset of the model\. Fix:/ },
  { mistake: 'children-only snapshots without recursion', code: `pool('snappool', [disk('snap')]).snapshot('production', { processChildrenOnly: true });`, finding: /^lab\/pve\/snappool: processChildrenOnly needs recursive.* Fix: add recursive: true/ },
  { mistake: 'a NixOS VM with its own address', code: `new ProxmoxVm(lab, 'guest-vm', { hypervisor: proxmox, vmid: 300, guest: host('guest'), ipAddress: '10.0.0.250', disks: [{ storage: local, size: Size.gibibytes(8) }] });`, finding: /^lab\/guest-vm: a NixOS VM has its Host's address.* Fix: leave ipAddress out/ },
  { mistake: 'cloud-init user data beside a user', code: `new ProxmoxVm(lab, 'ci-vm', { hypervisor: proxmox, vmid: 301, cloudInit: { userData: '#cloud-config', user: lab.node.findChild('admin') as never }, disks: [{ storage: local, size: Size.gibibytes(8) }] });`, finding: /^lab\/ci-vm: cloudInit\.userData replaces cloudInit\.user and password.* Fix:/ },
  { mistake: 'a VM disk of 0 GiB', code: `new ProxmoxVm(lab, 'zero-vm', { hypervisor: proxmox, vmid: 302, disks: [{ storage: local, size: Size.gibibytes(0) }] });`, finding: /^lab\/zero-vm: disk scsi0 is 0 B, not a whole number of GiB\. Fix:/ },
  { mistake: 'two hosts on one address', code: `host('ip1', { ipAddress: '10.0.0.240' }); host('ip2', { ipAddress: '10.0.0.240' });`, finding: /^lab\/ip2: .*10\.0\.0\.240.* Fix:/ },
  { mistake: 'an address outside the network', code: `host('outside', { ipAddress: '10.9.9.9' });`, finding: /^lab\/outside: .*10\.9\.9\.9.* Fix:/ },
  { mistake: 'a host name that is 5,000 characters long', code: `host('long', { hostName: 'x'.repeat(5000) });`, finding: /^lab\/long: host name "x{80}…" is not a valid host name\. Fix:/ },
  { mistake: 'an RTL override in a package name', code: `host('rtl', { packages: ['htop\\u202etxt.exe'] });`, finding: /^lab\/rtl: .*htop\\u202etxt\.exe.* Fix:/ },
];

describe('a lab with many mistakes', () => {
  it(`reports all ${MISTAKES.length} mistakes in one run of the CLI, each with its path and its fix, without a stack trace, a secret or a file written`, async () => {
    expect(MISTAKES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(MISTAKES.map((m) => m.mistake)).size).toBe(MISTAKES.length);
    const dir = tempDir('homelab-mistakes-');
    const app = path.join(dir, 'lab.ts');
    fs.writeFileSync(app, `${BASE}\n${MISTAKES.map((m) => `// ${m.mistake}\n${m.code}`).join('\n')}\nexport default lab;\n`);
    const out = path.join(dir, 'dist');
    const lines: string[] = [];
    const code = await runCli(['synth', '--app', app, '--out', out], { out: (t) => lines.push(t), err: (t) => lines.push(t) });
    const text = lines.join('\n');

    expect(code).toBe(1);
    expect(fs.existsSync(out)).toBe(false);
    expect(text).not.toMatch(/^\s+at /m);
    expect(text).not.toContain('hunter2');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202e]/);
    const errors = text.split('\n').filter((l) => l.startsWith('error ')).map((l) => l.slice('error '.length));
    for (const line of errors) {
      expect(line, line).toMatch(/^lab(\/[^:\s]+)*: .+ Fix: .+$/);
      expect(line.length, line).toBeLessThan(600);
    }
    for (const m of MISTAKES) {
      expect(errors.some((line) => m.finding.test(line)), `${m.mistake}: no line matches ${m.finding}\n${errors.join('\n')}`).toBe(true);
    }
    expect(text).toMatch(new RegExp(`^${errors.length} error\\(s\\); nothing was written\\.$`, 'm'));
  });
});
