/**
 * Every refusal in the house format (issue 11): what used to be thrown while the tree was built
 * or rendered is a finding with the construct path, what is wrong and the fix, reported with the
 * other findings; no message repeats a secret, carries a raw control character or runs on.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackupRemote,
  BackupSource,
  Disk,
  HardwareProfile,
  Homelab,
  Host,
  K3sCluster,
  OffsiteBackup,
  ProxmoxHost,
  ProxmoxStack,
  runCli,
  Secret,
  Size,
  synthesize,
  User,
  validateLab,
  ValidationError,
  VdevLayout,
  ZfsPool,
} from '../../lib/internal';
import { maskCredentials, readableMessage } from '../../lib/core/readable';
import { clusterLab, errorsOf } from '../support/cluster';
import { smallLab, TEST_KEY, tempDir, vmHost } from '../support/labs';

const TSX = path.resolve(__dirname, '../../node_modules/.bin/tsx');
const HOMELAB = path.resolve(__dirname, '../../bin/homelab.ts');

/** Runs the CLI in-process on an app file and captures what it prints. */
async function cli(args: string[], env: Record<string, string> = {}) {
  const lines: string[] = [];
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await runCli(args, { out: (t) => lines.push(t), err: (t) => lines.push(t) });
    return { code, text: lines.join('\n') };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** An app file in a fresh folder that builds a lab with `body` (which sees `lab` and the library). */
function appFile(body: string): { dir: string; file: string } {
  const dir = tempDir('homelab-refusals-');
  const file = path.join(dir, 'lab.ts');
  const lib = JSON.stringify(path.resolve(__dirname, '../../lib'));
  fs.writeFileSync(file, `import * as h from ${lib};\nconst lab = new h.Homelab({ name: 'lab', network: { cidr: '10.0.0.0/24' } });\n${body}\nexport default lab;\n`);
  return { dir, file };
}

/** The pool `tank` on a new host of `lab` with one stripe of `devices`. */
function poolOf(lab: Homelab, devices: unknown[]): ZfsPool {
  const nas = new Host(lab, 'nas', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }), ipAddress: '10.0.0.5', macAddress: 'a8:a1:59:00:00:05' });
  const pool = new ZfsPool(nas, 'tank');
  pool.addDataVdev({ layout: VdevLayout.STRIPE, devices: devices as never });
  return pool;
}

describe('construction mistakes are findings', () => {
  it('refuses a stack named like a host (a construct-id clash) with the path and a fix, and still reports the rest', () => {
    const { lab } = smallLab();
    vmHost(lab, 'pve1', '10.0.0.5');
    new ProxmoxStack(lab, 'pve1');
    vmHost(lab, 'web', '10.9.9.9');
    const errors = errorsOf(lab);
    expect(errors).toContain(
      'testlab: there is already a construct named "pve1" in testlab. Fix: give one of them another id (ids name the files and resources made from them, so they must differ among siblings).',
    );
    expect(errors.some((e) => e.startsWith('testlab/web: IP address 10.9.9.9'))).toBe(true);
  });

  it('refuses an empty id', () => {
    const { lab } = smallLab();
    vmHost(lab, '', '10.0.0.5');
    expect(errorsOf(lab)).toContain('testlab: a construct under it has an empty id. Fix: give every construct a name (the second argument of new X(scope, id, …)).');
  });

  it('refuses a partition after a partition that takes the rest of the disk', () => {
    const { lab } = smallLab();
    const disk = Disk.byId('/dev/disk/by-id/ata-A', { size: Size.terabytes(1) });
    disk.addPartition();
    poolOf(lab, [disk.addPartition({ size: Size.gibibytes(8) })]);
    expect(errorsOf(lab)).toContain(
      'testlab/nas/tank/data-1: devices[0].disk: partition 1 of disk "/dev/disk/by-id/ata-A" takes the rest of the disk, so partition 2 cannot follow it. Fix: give partition 1 a size, or make partition 2 the last one.',
    );
  });

  it('refuses NaN, negative and zero sizes where they are held, instead of throwing', () => {
    const { lab } = smallLab();
    expect(() => Size.gibibytes(NaN)).not.toThrow();
    poolOf(lab, [Disk.byId('/dev/disk/by-id/ata-NAN', { size: Size.terabytes(NaN) }), Disk.byId('/dev/disk/by-id/ata-ZERO', { size: Size.bytes(0) })]);
    vmHost(lab, 'small', '10.0.0.6', { memory: Size.mebibytes(-1) });
    const errors = errorsOf(lab);
    expect(errors).toContain('testlab/nas/tank/data-1: devices[0].size is NaN bytes, which is not a size. Fix: give a finite number of zero or more bytes, such as Size.gibibytes(16).');
    expect(errors).toContain('testlab/nas/tank/data-1: devices[1]: disk "/dev/disk/by-id/ata-ZERO" has a size of 0 bytes. Fix: give its capacity as sold, such as size: Size.terabytes(4).');
    expect(errors).toContain('testlab/small: memory is -1048576 bytes, which is not a size. Fix: give a finite number of zero or more bytes, such as Size.gibibytes(16).');
  });

  it('refuses a network CIDR with a prefix above 32 in its own words, not ipaddr.js\'s', () => {
    const { lab } = smallLab({ network: { cidr: '10.0.0.0/33' } });
    const errors = errorsOf(lab);
    expect(errors).toContain('testlab/network: "10.0.0.0/33" has a prefix length above 32. Fix: give a prefix length from 0 to 32, such as /24.');
    expect(errors.join('\n')).not.toMatch(/ipaddr/);
  });

  it('refuses each mistaken Secret factory call on the construct that holds it, never repeating the value', () => {
    const { lab } = smallLab();
    const user = (id: string, secret: Secret) => new User(lab, id, { sshKeys: [TEST_KEY], hashedPasswordFile: secret });
    user('a', Secret.fromFile('hunter2-file'));
    user('b', Secret.fromEnvironment('hunter2-env'));
    user('c', Secret.fromTerraformVariable('1hunter2-tf'));
    user('d', Secret.fromSops({ name: 'hunter2/sops' }));
    user('e', Secret.fromSops({ name: 'pw', sopsFile: '/hunter2/file.yaml' }));
    user('f', Secret.fromSops({ name: 'pw', mode: 'hunter2' }));
    const errors = errorsOf(lab).filter((e) => / [a-f]: hashedPasswordFile: /.test(e) || /^testlab\/[a-f]: hashedPasswordFile: /.test(e));
    expect(errors).toHaveLength(6);
    expect(errors.join('\n')).not.toContain('hunter2');
    expect(errors[0]).toBe(
      'testlab/a: hashedPasswordFile: Secret.fromFile was given something that is not an absolute path of plain segments (the value is not shown: it may be the secret itself). Fix: give the file\'s path on the host, such as Secret.fromFile(\'/var/lib/secrets/k3s-token\') (letters, digits, ".", "_", "-"; no "..", no spaces).',
    );
    for (const e of errors) {
      expect(e).toMatch(/^testlab\/[a-f]: hashedPasswordFile: .+\. Fix: .+\.$/);
    }
  });

  it('refuses hardware, reachability and backup values on the construct that holds them', () => {
    const { lab } = smallLab();
    new Host(lab, 'pi', { hardware: HardwareProfile.raspberryPi4({ poePlusHat: true, nixosHardware: false }), ipAddress: '10.0.0.7' });
    const nas = new Host(lab, 'nas', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', bootLoader: 'grub' }), ipAddress: '10.0.0.5', macAddress: 'a8:a1:59:00:00:05' });
    new OffsiteBackup(nas, 'offsite', {
      remote: BackupRemote.sftp({ host: 'backup.example.org', user: 'u1', path: 'lab', privateKey: Secret.fromFile('/run/key'), password: Secret.fromFile('/run/pw') }),
      sources: [BackupSource.dataset('tank' as never)],
    });
    const errors = errorsOf(lab);
    expect(errors).toContain("testlab/pi: hardware: raspberryPi4's poePlusHat needs nixosHardware (the PoE+ HAT overlay is nixos-hardware's). Fix: drop nixosHardware: false, or drop poePlusHat.");
    expect(errors).toContain('testlab/nas: hardware: a bare-metal profile with bootLoader "grub" has no grubDevice. Fix: give grubDevice: the disk GRUB is installed on, as a /dev/disk/by-id/ path.');
    expect(errors).toContain('testlab/nas/offsite: remote: the SFTP remote "backup.example.org" has both a privateKey and a password. Fix: give privateKey or password, not both.');
    expect(errors).toContain(
      'testlab/nas/offsite: sourceList[0]: BackupSource.dataset was given something that is not a ZfsPool or ZfsDataset of the model. Fix: give the pool or dataset construct, such as BackupSource.dataset(pool).',
    );
  });

  it('reports a check that throws as a finding on its construct, and still runs the others', () => {
    const { lab } = smallLab();
    const host = vmHost(lab, 'web', '10.0.0.5');
    host.node.addValidation({ validate: () => { throw new Error('boom'); } });
    vmHost(lab, 'db', '10.9.9.9');
    const errors = errorsOf(lab);
    expect(errors).toContain('testlab/web: a check of this construct failed: boom. Fix: correct the other errors first; if this one stays, report it as a bug of homelab-cdk.');
    expect(errors.some((e) => e.startsWith('testlab/db: IP address 10.9.9.9'))).toBe(true);
  });

  it('sorts findings by code units (compareText), not by locale', () => {
    const { lab } = smallLab();
    vmHost(lab, 'b', '10.9.9.8');
    new ProxmoxStack(lab, 'Z');
    new ProxmoxStack(lab, 'a');
    const paths = validateLab(lab).errors.map((f) => f.path);
    expect(paths.indexOf('testlab/Z')).toBeLessThan(paths.indexOf('testlab/a'));
    expect([...paths].sort()).toEqual(paths);
  });
});

describe('render-time failures are caught by validation first', () => {
  it('refuses a NUL character in any text a construct holds, before anything is rendered', () => {
    const { lab } = smallLab();
    new User(lab, 'bob', { description: 'Bob\0', sshKeys: [TEST_KEY] });
    const dir = path.join(tempDir(), 'dist');
    expect(() => synthesize(lab, { outdir: dir })).toThrow(ValidationError);
    expect(errorsOf(lab)).toEqual(['testlab/bob: description holds a NUL character (Bob\\0). Fix: remove it: no file, Nix string or command line can carry one.']);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('refuses a 10,000-character stack name instead of failing with ENAMETOOLONG', () => {
    const { lab } = smallLab();
    const pve = new Host(lab, 'pve', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }), ipAddress: '10.0.0.2', macAddress: 'a8:a1:59:00:00:02' });
    new ProxmoxStack(lab, 's'.repeat(10000), { endpoint: new ProxmoxHost(pve, 'proxmox') });
    const dir = path.join(tempDir(), 'dist');
    const error = synthesisRefusal(lab, dir);
    const messages = error.report.errors.map((f) => `${f.path}: ${f.message}`);
    expect(messages).toContain(`testlab: the id "${'s'.repeat(80)}…" of a construct under it is 10000 bytes long, and ids become file and resource names. Fix: give it an id of at most 255 bytes.`);
    for (const m of messages) {
      expect(m.length).toBeLessThan(400);
    }
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('reports a projection that still fails as a finding on the lab, nothing written', () => {
    const { lab } = smallLab();
    // A value the Nix serializer refuses at render time; a finding either way, never a bare exception.
    vmHost(lab, 'web', '10.0.0.5').addNixSettings({ 'boot.kernel.sysctl': { 'vm.x': 2 ** 60 } });
    const dir = path.join(tempDir(), 'dist');
    const error = synthesisRefusal(lab, dir);
    for (const f of error.report.errors) {
      expect(`${f.path}: ${f.message}`).toMatch(/^testlab(\/\S+)?: .+ Fix: .+/);
    }
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe('messages never repeat a secret, a control character or a wall of text', () => {
  it('masks the password of a WebDAV URL and of an S3 endpoint', () => {
    const { lab } = smallLab();
    const nas = vmHost(lab, 'nas', '10.0.0.5');
    const sources = [BackupSource.directory('/srv')];
    new OffsiteBackup(nas, 'dav', { remote: BackupRemote.webdav({ url: 'https://bob:hunter2@dav.example.org/b', user: 'bob', password: Secret.fromFile('/run/pw') }), sources });
    new OffsiteBackup(nas, 's3', { remote: BackupRemote.s3({ endpoint: 'https://AKIA:hunter2@s3.example.org', bucket: 'lab-backups', credentials: Secret.fromFile('/run/s3') }), sources });
    const errors = errorsOf(lab);
    expect(errors.join('\n')).not.toContain('hunter2');
    expect(errors).toContain(
      'testlab/nas/dav: the WebDAV URL carries a password (user:password@), which would be copied into the world-readable Nix store. Fix: remove the user and password from the URL: give the user as user and the password as password: Secret.fromSops({ name: … }) or Secret.fromFile(…).',
    );
    expect(errors).toContain(
      'testlab/nas/s3: the S3 endpoint carries a password (user:password@), which would be copied into the world-readable Nix store. Fix: remove the credentials from the endpoint and put AWS_ACCESS_KEY_ID=… and AWS_SECRET_ACCESS_KEY=… in the environment file given as credentials (a Secret).',
    );
    // Where a remote is shown (another finding, the summary), its password is masked.
    expect(BackupRemote.webdav({ url: 'https://bob:hunter2@dav.example.org/b', user: 'bob', password: Secret.fromFile('/run/pw') }).toString()).toBe('https://bob:***@dav.example.org/b');
  });

  it('does not repeat the value of --agent-token in k3s extra flags', () => {
    const { lab, cluster, worker1 } = clusterLab();
    cluster.addAgent(worker1, { extraFlags: ['--agent-token hunter2'] });
    const errors = errorsOf(lab);
    expect(errors.join('\n')).not.toContain('hunter2');
    expect(errors).toContain(
      "testlab/k3s/worker1: extra flag --agent-token would put the token (or its place) beside the model's and risks copying it into the world-readable Nix store. Fix: remove it: the token comes from the cluster's token (a Secret).",
    );
  });

  it('masks credentials wherever a message carries them', () => {
    expect(maskCredentials('mysql://k3s:hunter2@db:3306/k3s and https://user:p%40ss@host/')).toBe('mysql://k3s:***@db:3306/k3s and https://user:***@host/');
    expect(maskCredentials('flag "--agent-token hunter2" and --token=hunter2')).toBe('flag "--agent-token ***" and --token=***');
  });

  it('escapes ESC, NUL, CR and the RTL override in messages', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.5', { hostName: 'a\x1b[31mb\0c\rd\u202ee' });
    const message = errorsOf(lab).find((e) => e.includes('host name'))!;
    expect(message).toContain('"a\\x1b[31mb\\0c\\rd\\u202ee"');
    // eslint-disable-next-line no-control-regex
    expect(errorsOf(lab).join('\n')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
  });

  it('cuts long values to a readable length', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.5', { hostName: 'x'.repeat(60000) });
    const message = errorsOf(lab).find((e) => e.includes('host name'))!;
    expect(message).toBe(`testlab/web: host name "${'x'.repeat(80)}…" is not a valid host name. Fix: use lower-case letters, digits and "-", at most 63 characters, not starting or ending with "-".`);
    expect(readableMessage('y'.repeat(10000) + ' ' + 'z '.repeat(5000)).length).toBeLessThanOrEqual(2001);
  });
});

describe('the CLI', () => {
  it('turns an exception of the app into a finding on the app file\'s line, without a stack trace', () => {
    const { dir, file } = appFile(`h.NixExpr.ref('pkgs.\${evil}');`);
    // The real command: positions come from the app's source map (vitest maps stacks its own way).
    const run = spawnSync(TSX, [HOMELAB, 'synth', '--app', file, '--out', path.join(dir, 'dist')], { cwd: dir, encoding: 'utf8' });
    const text = run.stdout + run.stderr;
    expect(run.status).toBe(1);
    expect(text).toContain(`error ${file}:3:11: "pkgs.\${evil}" is not a Nix attribute path. Fix: write identifiers joined by dots, such as pkgs.htop.`);
    expect(text).not.toMatch(/^\s+at /m);
    expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
  });

  it('translates a construct library message thrown in the app into the house format', async () => {
    const { dir, file } = appFile(`const { Construct } = require(${JSON.stringify(require.resolve('constructs'))});\nnew Construct(lab, 'x');\nnew Construct(lab, 'x');`);
    const { code, text } = await cli(['validate', '--app', file]);
    expect(code).toBe(1);
    expect(text).toMatch(new RegExp(`^error ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: there is already a construct named "x" in lab\\. Fix: give one of them another id\\.$`, 'm'));
    expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
  });

  it('prints any other error as one finding-like line, and the stack only with HOMELAB_DEBUG=1', async () => {
    const missing = path.join(tempDir(), 'missing.ts');
    const plain = await cli(['validate', '--app', missing]);
    expect(plain.code).toBe(1);
    expect(plain.text).toBe(`error homelab: app file ${missing} does not exist. Fix: give the file that exports the lab with --app (or HOMELAB_APP).`);
    const { file } = appFile(`throw new Error('kaputt');`);
    const debug = await cli(['validate', '--app', file], { HOMELAB_DEBUG: '1' });
    expect(debug.text).toContain('the app stopped with an error: kaputt. Fix:');
    expect(debug.text).toMatch(/^\s+at /m);
    const quiet = await cli(['validate', '--app', file]);
    expect(quiet.text).not.toMatch(/^\s+at /m);
  });

  it('gives a second cluster its own finding too: many mistakes, one run', () => {
    const { lab } = smallLab();
    new K3sCluster(lab, 'k3s', { token: Secret.fromEnvironment('hunter2') });
    new K3sCluster(lab, 'k3s', { token: Secret.fromFile('/run/token') });
    const errors = errorsOf(lab);
    expect(errors).toContain('testlab: there is already a construct named "k3s" in testlab. Fix: give one of them another id (ids name the files and resources made from them, so they must differ among siblings).');
    expect(errors.some((e) => e.startsWith('testlab/k3s: token: Secret.fromEnvironment was given something'))).toBe(true);
    expect(errors.join('\n')).not.toContain('hunter2');
  });
});

/** The ValidationError that synthesizing `lab` into `dir` throws (failing the test if none). */
function synthesisRefusal(lab: Homelab, dir: string): ValidationError {
  try {
    synthesize(lab, { outdir: dir });
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected synthesis to refuse the lab');
}
