/**
 * `homelab secrets init` end to end with the real ssh-keygen and age (Debian packages
 * openssh-client and age), the sops files read back by our reader and by an independent one
 * (npm sops-age), and synth's checks of the files.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bech32 } from '@scure/base';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { synthesize, ValidationError, writeOutput } from '../../lib';
import { buildReferenceLab } from '../../apps/reference-lab';
import { checkSopsFiles, hostKeyFile, initSecrets, PLACEHOLDER_VALUE, SecretsInitResult, sshPublicKeyToAge, TODO_KEY } from '../../lib/synth/secrets';
import { decryptSopsFile, readSopsFile, writeSopsFile } from '../../lib/synth/sops-file';
import { ignoredFlakeWarning } from '../../lib/synth/flake-in-git';
import { smallLab, tempDir, vmHost } from '../support/labs';

/** The secrets the reference lab's hosts read (apps/reference-lab), by the hosts that read them. */
const READERS: Record<string, readonly string[]> = {
  'k3s-token': ['k3s-node1', 'k3s-node2', 'k3s-node3', 'pi-network'],
  'grafana-admin-password': ['maxdata'],
  'grafana-secret-key': ['maxdata'],
  'storagebox-ssh-key': ['maxdata'],
};
const HOSTS = ['k3s-node1', 'k3s-node2', 'k3s-node3', 'maxdata', 'pi-network'];

/** A project folder and an admin identity of its own, initialised for the reference lab. */
function initialisedProject(): { root: string; env: NodeJS.ProcessEnv; result: SecretsInitResult } {
  const root = tempDir();
  const env = { ...process.env, SOPS_AGE_KEY_FILE: path.join(tempDir(), 'age/keys.txt') };
  return { root, env, result: initSecrets(buildReferenceLab().lab, { root, env }) };
}

/**
 * The age identity sops-nix derives from a host's SSH key: SHA-512 of the ed25519 seed, its first
 * 32 bytes, bech32 as AGE-SECRET-KEY-1… (Mic92/ssh-to-age, convert.go, SSHPrivateKeyToAge).
 */
function hostIdentityFile(root: string, host: string): string {
  const seed = ed25519Seed(fs.readFileSync(path.join(root, hostKeyFile(host)), 'utf8'));
  const scalar = crypto.createHash('sha512').update(seed).digest().subarray(0, 32);
  const file = path.join(tempDir(), `${host}.agekey`);
  fs.writeFileSync(file, `${bech32.encode('AGE-SECRET-KEY-', bech32.toWords(scalar)).toUpperCase()}\n`, { mode: 0o600 });
  return file;
}

/**
 * The seed of an unencrypted ed25519 key as ssh-keygen writes it (OpenSSH's PROTOCOL.key:
 * "openssh-key-v1\0", cipher and KDF names, KDF options, the number of keys, the public key, then
 * the private section: two check integers, the key type, the public key, and a 64-byte private key
 * that is the seed followed by the public key).
 */
function ed25519Seed(pem: string): Buffer {
  const file = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  expect(file.subarray(0, magic.length).toString('latin1')).toBe(magic);
  const outer = sshFields(file.subarray(magic.length));
  expect([outer.string().toString(), outer.string().toString(), outer.string().length, outer.uint32()]).toEqual(['none', 'none', 0, 1]);
  const publicKey = outer.string();
  const inner = sshFields(outer.string());
  inner.uint32();
  inner.uint32();
  expect(inner.string().toString()).toBe('ssh-ed25519');
  const point = inner.string();
  const secret = inner.string();
  expect(Buffer.concat([Buffer.from('\0\0\0\x0bssh-ed25519\0\0\0\x20', 'latin1'), point]).equals(publicKey)).toBe(true);
  expect(secret.subarray(32).equals(point)).toBe(true);
  return secret.subarray(0, 32);
}

/** Reads SSH wire fields (RFC 4251 §5) in order. */
function sshFields(data: Buffer): { uint32(): number; string(): Buffer } {
  let at = 0;
  return {
    uint32: () => {
      at += 4;
      return data.readUInt32BE(at - 4);
    },
    string: () => {
      const length = data.readUInt32BE(at);
      at += 4 + length;
      return data.subarray(at - length, at);
    },
  };
}

function identityLine(file: string): string {
  return fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
}

describe('ssh host keys as age recipients', () => {
  it("converts an ed25519 public key as ssh-to-age does (sops-nix's test key and the recipient its test file is encrypted to)", () => {
    // sops-nix pkgs/sops-install-secrets/test-assets/ssh-ed25519-key.pub, and the second
    // recipient of test-assets/secrets.yaml, which sops-nix's tests decrypt with that key.
    expect(sshPublicKeyToAge('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBI1+Q+ntzANebtnicCiAY29uqLGWOaOGLEa8bUqOVmS')).toBe(
      'age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs',
    );
  });

  it('refuses a key that is not ed25519', () => {
    expect(() => sshPublicKeyToAge('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC')).toThrow(/ed25519/);
  });
});

describe('the sops format', () => {
  const fixtures = ['../nixos-eval-data', '/work/nixos-eval-data'].map((d) => path.resolve(__dirname, '../..', d, 'sops-nix/pkgs/sops-install-secrets/test-assets')).find((d) => fs.existsSync(d));

  it.skipIf(!fixtures)("decrypts a file that sops itself wrote (sops-nix's test secrets) and checks its MAC", () => {
    const values = decryptSopsFile(fs.readFileSync(path.join(fixtures!, 'secrets.yaml'), 'utf8'), path.join(fixtures!, 'age-keys.txt'));
    expect(values.get('test_key')).toBe('test_value');
    expect(values.get('nested')).toBe(JSON.stringify({ test: { file: 'another value' } }));
  });

  it('writes files that an independent reader (sops-age) decrypts, and refuses a changed value by its MAC', async () => {
    const dir = tempDir();
    const key = path.join(dir, 'key.txt');
    spawnSync('age-keygen', ['-o', key]);
    const recipient = spawnSync('age-keygen', ['-y', key], { encoding: 'utf8' }).stdout.trim();
    const text = writeSopsFile(new Map([['a-token', 'sekret'], ['note_unencrypted', 'plain']]), [recipient]);
    expect(text).not.toContain('sekret');
    expect(text).toContain('note_unencrypted: plain');
    const { decryptSops } = await import('sops-age');
    expect(await decryptSops(text, { secretKey: identityLine(key), fileType: 'yaml' })).toEqual({ 'a-token': 'sekret', note_unencrypted: 'plain' });
    expect(decryptSopsFile(text, key).get('a-token')).toBe('sekret');
    // The plain value is part of the MAC: changing it is noticed.
    expect(() => decryptSopsFile(text.replace('note_unencrypted: plain', 'note_unencrypted: other'), key)).toThrow(/MAC/);
  });
});

describe('homelab secrets init', () => {
  it('makes an ed25519 host key per NixOS host, mode 0600, git-ignored, and the admin identity', () => {
    const { root, env, result } = initialisedProject();
    expect(result.hostKeys.map((k) => k.host)).toEqual(HOSTS);
    for (const host of HOSTS) {
      const file = path.join(root, hostKeyFile(host));
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(`${file}.pub`, 'utf8')).toMatch(/^ssh-ed25519 /);
      // The real age computes the same recipient from the identity the host derives from its key.
      expect(spawnSync('age-keygen', ['-y', hostIdentityFile(root, host)], { encoding: 'utf8' }).stdout.trim()).toBe(result.hostKeys.find((k) => k.host === host)!.recipient);
    }
    const git = spawnSync('git', ['init', '-q', root]);
    expect(git.status).toBe(0);
    expect(spawnSync('git', ['-C', root, 'check-ignore', '-q', hostKeyFile('maxdata')]).status).toBe(0);
    expect(spawnSync('git', ['-C', root, 'check-ignore', '-q', 'secrets/k3s-token.yaml']).status).toBe(1);
    expect(result.admin).toMatchObject({ file: env.SOPS_AGE_KEY_FILE, created: true });
    expect(result.admin.recipient).toMatch(/^age1[a-z0-9]{58}$/);
  });

  it('encrypts every value for the admin and exactly the hosts that read it, which decrypt it with their host key', async () => {
    const { root, env, result } = initialisedProject();
    const { decryptSops } = await import('sops-age');
    expect(Object.fromEntries(result.files.map((f) => [f.file, f.hosts]))).toEqual(Object.fromEntries(Object.entries(READERS).map(([name, hosts]) => [`secrets/${name}.yaml`, hosts])));
    const generated = new Set<string>();
    for (const [name, readers] of Object.entries(READERS)) {
      const text = fs.readFileSync(path.join(root, `secrets/${name}.yaml`), 'utf8');
      const admin = decryptSopsFile(text, env.SOPS_AGE_KEY_FILE!).get(name)!;
      for (const host of HOSTS) {
        const identity = hostIdentityFile(root, host);
        if (readers.includes(host)) {
          expect(decryptSopsFile(text, identity).get(name)).toBe(admin);
          expect((await decryptSops(text, { secretKey: identityLine(identity), fileType: 'yaml' }))[name]).toBe(admin);
        } else {
          expect(() => decryptSopsFile(text, identity), `${host} must not read ${name}`).toThrow(/not a recipient|none of the identities/);
        }
      }
      if (name === 'storagebox-ssh-key') {
        expect(admin).toBe(PLACEHOLDER_VALUE);
        expect(readSopsFile(text)!.values.get(TODO_KEY)).toMatch(/^storagebox-ssh-key: put the private SSH key .* with `sops secrets\/storagebox-ssh-key.yaml`/);
      } else {
        expect(admin).toMatch(/^[A-Za-z0-9_-]{43}$/);
        generated.add(admin);
      }
    }
    expect(generated.size).toBe(3);
    expect(result.files.flatMap((f) => f.toSupply.map((t) => t.name))).toEqual(['storagebox-ssh-key']);
  });

  it('writes .sops.yaml with a creation rule per file naming the admin and the readers', () => {
    const { root, result } = initialisedProject();
    const config = parse(fs.readFileSync(path.join(root, '.sops.yaml'), 'utf8')) as { creation_rules: { path_regex: string; key_groups: { age: string[] }[] }[] };
    const recipient = (host: string) => result.hostKeys.find((k) => k.host === host)!.recipient;
    for (const [name, readers] of Object.entries(READERS)) {
      const rule = config.creation_rules.find((r) => new RegExp(r.path_regex).test(`secrets/${name}.yaml`))!;
      expect(rule.key_groups[0].age.sort()).toEqual([result.admin.recipient, ...readers.map(recipient)].sort());
      expect(new RegExp(rule.path_regex).test(`secrets/${name}xyaml`)).toBe(false);
    }
  });

  it('keeps every key and value on a second run and adds only what is missing', () => {
    const { root, env, result } = initialisedProject();
    const before = Object.fromEntries([...HOSTS.map(hostKeyFile), ...result.files.map((f) => f.file)].map((f) => [f, fs.readFileSync(path.join(root, f), 'utf8')]));
    fs.rmSync(path.join(root, 'secrets/grafana-secret-key.yaml'));
    const again = initSecrets(buildReferenceLab().lab, { root, env });
    expect(again.admin.created).toBe(false);
    expect(again.hostKeys.every((k) => !k.created)).toBe(true);
    expect(again.files.filter((f) => f.written).map((f) => f.file)).toEqual(['secrets/grafana-secret-key.yaml']);
    for (const [file, text] of Object.entries(before)) {
      if (file !== 'secrets/grafana-secret-key.yaml') {
        expect(fs.readFileSync(path.join(root, file), 'utf8'), file).toBe(text);
      }
    }
    expect(again.files.find((f) => f.file === 'secrets/storagebox-ssh-key.yaml')!.toSupply.map((t) => t.name)).toEqual(['storagebox-ssh-key']);
  });

  it('encrypts a file again, values kept, when a host that reads it has a new key', () => {
    const { root, env } = initialisedProject();
    const token = decryptSopsFile(fs.readFileSync(path.join(root, 'secrets/k3s-token.yaml'), 'utf8'), env.SOPS_AGE_KEY_FILE!).get('k3s-token');
    fs.rmSync(path.dirname(path.join(root, hostKeyFile('k3s-node2'))), { recursive: true });
    const again = initSecrets(buildReferenceLab().lab, { root, env });
    expect(again.files.filter((f) => f.written).map((f) => f.file)).toEqual(['secrets/k3s-token.yaml']);
    const text = fs.readFileSync(path.join(root, 'secrets/k3s-token.yaml'), 'utf8');
    expect(decryptSopsFile(text, hostIdentityFile(root, 'k3s-node2')).get('k3s-token')).toBe(token);
  });
});

describe('synth and the sops files', () => {
  it('copies the sops files into the flake, where the hosts name them', () => {
    const { root } = initialisedProject();
    const out = tempDir();
    const result = synthesize(buildReferenceLab().lab, { outdir: out, secretsRoot: root });
    for (const name of Object.keys(READERS)) {
      expect(fs.readFileSync(path.join(out, `nix/secrets/${name}.yaml`), 'utf8')).toBe(fs.readFileSync(path.join(root, `secrets/${name}.yaml`), 'utf8'));
    }
    expect(fs.readFileSync(path.join(out, 'nix/hosts/k3s-node1/k3s.nix'), 'utf8')).toContain('sopsFile = ../../secrets/k3s-token.yaml;');
    expect(fs.readFileSync(path.join(out, 'nix/hosts/k3s-node1/sops.nix'), 'utf8')).toContain('sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];');
    expect(result.report.warnings.map((w) => w.message).join('\n')).toMatch(/secrets\/storagebox-ssh-key.yaml still holds a placeholder/);
    // No private key reaches the output.
    expect(JSON.stringify(result.files)).not.toMatch(/PRIVATE KEY|AGE-SECRET-KEY/);
  });

  it('warns, naming homelab secrets init, when the secrets were never initialised', () => {
    const result = synthesize(buildReferenceLab().lab, { outdir: tempDir(), secretsRoot: tempDir() });
    const warning = result.report.warnings.find((w) => w.message.includes('never initialised'))!;
    expect(warning.path).toBe('homelab');
    expect(warning.message).toMatch(/k3s-token.*Fix: run `homelab secrets init`/);
    expect(result.files.some((f) => f.path.startsWith('nix/secrets/'))).toBe(false);
  });

  it('fails, naming the key and the command that adds it, when a secret a host reads is missing from its file', () => {
    const { root, result } = initialisedProject();
    fs.writeFileSync(path.join(root, 'secrets/k3s-token.yaml'), writeSopsFile(new Map([['other', 'x']]), [result.admin.recipient, ...result.hostKeys.map((k) => k.recipient)]));
    const out = tempDir();
    let error: unknown;
    try {
      synthesize(buildReferenceLab().lab, { outdir: out, secretsRoot: root });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const errors = (error as ValidationError).report.errors;
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe('homelab/k3s-node1');
    expect(errors[0].message).toBe(
      'the sops file secrets/k3s-token.yaml has no key k3s-token, which k3s-node1, k3s-node2, k3s-node3, pi-network read. Fix: run `homelab secrets init`: it adds the missing value.',
    );
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('fails when a file is gone, and when a host that reads a file is not among its recipients', () => {
    const { root, result } = initialisedProject();
    fs.rmSync(path.join(root, 'secrets/grafana-secret-key.yaml'));
    fs.writeFileSync(path.join(root, 'secrets/k3s-token.yaml'), writeSopsFile(new Map([['k3s-token', 'x']]), [result.admin.recipient]));
    let error: unknown;
    try {
      synthesize(buildReferenceLab().lab, { outdir: tempDir(), secretsRoot: root });
    } catch (e) {
      error = e;
    }
    const messages = (error as ValidationError).report.errors.map((e) => e.message);
    expect(messages).toContainEqual(expect.stringMatching(/^the sops file secrets\/grafana-secret-key.yaml, which maxdata read, does not exist .*Fix: run `homelab secrets init`/));
    for (const host of READERS['k3s-token']) {
      expect(messages).toContainEqual(expect.stringMatching(new RegExp(`^${host} reads secrets/k3s-token.yaml, but its host key .* is not a recipient`)));
    }
  });

  it('checks nothing for a lab whose hosts read no sops secret', () => {
    const { lab } = smallLab();
    vmHost(lab, 'a', '10.0.0.10');
    expect(checkSopsFiles(lab, tempDir())).toEqual({ files: [], findings: [] });
    expect(checkSopsFiles(buildReferenceLab().lab, tempDir()).findings).toHaveLength(1);
  });
});

describe('the flake in git', () => {
  const git = (cwd: string, ...args: string[]) => expect(spawnSync('git', args, { cwd }).status).toBe(0);

  it('warns when the flake sits in a work tree that ignores it, and not when it is a repository of its own', () => {
    const lab = buildReferenceLab().lab;
    const project = tempDir();
    git(project, 'init', '-q');
    fs.writeFileSync(path.join(project, '.gitignore'), 'dist/\n');
    fs.mkdirSync(path.join(project, 'dist/nix'), { recursive: true });
    fs.writeFileSync(path.join(project, 'dist/nix/flake.nix'), '{ }\n');
    const warning = ignoredFlakeWarning(lab, path.join(project, 'dist/nix'))!;
    expect(warning.message).toMatch(/sits inside the git work tree .*, which ignores it.*Fix: make .* a repository of its own/);
    expect(ignoredFlakeWarning(lab, path.join(project, 'dist/nix'), ['terraform'])).toBeUndefined();
    git(path.join(project, 'dist/nix'), 'init', '-q');
    expect(ignoredFlakeWarning(lab, path.join(project, 'dist/nix'))).toBeUndefined();
    fs.rmSync(path.join(project, 'dist/nix/.git'), { recursive: true });
    fs.writeFileSync(path.join(project, '.gitignore'), '');
    expect(ignoredFlakeWarning(lab, path.join(project, 'dist/nix'))).toBeUndefined();
  });
});

describe('a locked flake', () => {
  it('keeps a flake.lock and a .git it did not write while it changes and removes its own files', () => {
    const out = tempDir();
    writeOutput(out, [
      { path: 'nix/flake.nix', content: '{ }\n' },
      { path: 'nix/hosts/a/configuration.nix', content: '{ }\n' },
    ]);
    const lock = '{ "nodes": { "root": { } }, "root": "root", "version": 7 }\n';
    fs.writeFileSync(path.join(out, 'nix/flake.lock'), lock);
    fs.mkdirSync(path.join(out, 'nix/.git'));
    fs.writeFileSync(path.join(out, 'nix/.git/HEAD'), 'ref: refs/heads/main\n');
    const plan = writeOutput(out, [{ path: 'nix/flake.nix', content: '{ inputs = { }; }\n' }]);
    expect(plan).toMatchObject({ changed: ['nix/flake.nix'], removed: ['nix/hosts/a/configuration.nix'] });
    expect(fs.readFileSync(path.join(out, 'nix/flake.lock'), 'utf8')).toBe(lock);
    expect(fs.existsSync(path.join(out, 'nix/.git/HEAD'))).toBe(true);
    // and synth of the whole lab, twice, leaves it too
    synthesize(buildReferenceLab().lab, { outdir: out, adopt: true });
    expect(fs.readFileSync(path.join(out, 'nix/flake.lock'), 'utf8')).toBe(lock);
  });
});
