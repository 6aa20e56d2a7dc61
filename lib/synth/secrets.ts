/**
 * `homelab secrets init`: everything sops-nix needs before a host can evaluate, derived from the
 * secrets the lab's configurations read (the Nix projection's record of them), in the project's
 * folder, outside `dist/` and never in the Nix store:
 *
 * - `secrets/host-keys/<host>/ssh_host_ed25519_key` (and `.pub`): each NixOS host's SSH host key,
 *   made by `ssh-keygen`, mode 0600, git-ignored by `secrets/.gitignore`. The install copies it to
 *   `/etc/ssh/ssh_host_ed25519_key` on the host ({@link HOST_KEY_PATH_ON_HOST}; nixos-anywhere's
 *   `--extra-files`), where sops-nix turns it into the host's age identity;
 * - the admin's age identity: `$SOPS_AGE_KEY_FILE`, else sops' own default
 *   `$XDG_CONFIG_HOME/sops/age/keys.txt` (`~/.config/sops/age/keys.txt`), made by `age-keygen`
 *   when it does not exist;
 * - `.sops.yaml`: a creation rule per sops file, whose recipients are the admin and exactly the
 *   hosts that read a secret of that file, so that `sops secrets/<name>.yaml` edits it correctly;
 * - `secrets/<name>.yaml` (one per secret by default): every value the library can make (random
 *   tokens and passwords) encrypted, and for each value only the user can supply a placeholder
 *   and a plain-text note, `homelab_todo_unencrypted`, saying what to put there.
 *
 * A second run keeps every key and value and adds what is missing; a file whose recipients no
 * longer match the lab is decrypted with the admin's identity and encrypted again.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { edwardsToMontgomeryPub } from '@noble/curves/ed25519';
import { bech32 } from '@scure/base';
import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { displayPath, Finding, problem, Severity } from '../core/validation';
import { compareText } from '../core/order';
import { nixHostNames, nixSopsSecretUses } from '../nix/nix-projection';
import { hostKeyFile, HOST_KEY_PATH_ON_HOST } from '../core/host-key';
import { SopsSecretUse } from '../nix/renderers/hosts/sops';
import { decryptSopsFile, readSopsFile, UNENCRYPTED_SUFFIX, writeSopsFile } from './sops-file';

export { HOST_KEY_PATH_ON_HOST };

/** The plain-text key of a sops file that lists the values the user still has to put there. */
export const TODO_KEY = `homelab_todo${UNENCRYPTED_SUFFIX}`;

/** The placeholder value of a secret that only the user can supply. */
export const PLACEHOLDER_VALUE = 'REPLACE-ME (homelab secrets init)';

/** The sops configuration `homelab secrets init` writes, relative to the project's folder. */
export const SOPS_CONFIG_FILE = '.sops.yaml';

export { hostKeyFile };

/** Options of {@link initSecrets}. */
export interface SecretsInitOptions {
  /**
   * The project's folder: the sops files' paths are relative to it.
   * @default - the working directory
   */
  readonly root?: string;
  /**
   * The environment, for `SOPS_AGE_KEY_FILE`, `XDG_CONFIG_HOME` and `HOME`.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
}

/** A key `homelab secrets init` made or kept. */
export interface SecretsKey {
  /** The key's file (absolute for the admin's identity, relative to the project for host keys). */
  readonly file: string;
  /** Its age recipient (`age1…`). */
  readonly recipient: string;
  /** Did this run make it? */
  readonly created: boolean;
}

/** A host's key. */
export interface SecretsHostKey extends SecretsKey {
  /** The host's name. */
  readonly host: string;
}

/** A value only the user can supply. */
export interface SecretToSupply {
  /** The secret's key in its file. */
  readonly name: string;
  /** What to put there. */
  readonly purpose: string;
}

/** One sops file, as this run left it. */
export interface SecretsFile {
  /** Its path, relative to the project's folder. */
  readonly file: string;
  /** The hosts that can decrypt it (besides the admin). */
  readonly hosts: readonly string[];
  /** The keys this run added. */
  readonly added: readonly string[];
  /** The keys it already had. */
  readonly kept: readonly string[];
  /** The values that are still the placeholder: the user puts them there with `sops <file>`. */
  readonly toSupply: readonly SecretToSupply[];
  /** Did this run write the file (new keys, or new recipients)? */
  readonly written: boolean;
}

/** What {@link initSecrets} did. */
export interface SecretsInitResult {
  /** The admin's age identity. */
  readonly admin: SecretsKey;
  /** Every NixOS host's SSH host key. */
  readonly hostKeys: readonly SecretsHostKey[];
  /** The sops configuration, relative to the project's folder. */
  readonly sopsConfig: string;
  /** Every sops file the lab reads. */
  readonly files: readonly SecretsFile[];
}

/**
 * Makes or completes the keys, `.sops.yaml` and sops files of a lab (see the module's comment).
 * The lab must be valid: call it after {@link validateLab} found no errors.
 */
export function initSecrets(lab: Homelab, options: SecretsInitOptions = {}): SecretsInitResult {
  const root = path.resolve(options.root ?? '.');
  const env = options.env ?? process.env;
  requireTool('ssh-keygen', 'openssh-client');
  requireTool('age', 'age');
  writeIfMissing(path.join(root, 'secrets/.gitignore'), '# Private SSH host keys: copied onto each host when it is installed, never committed.\nhost-keys/\n');
  const hostKeys = nixHostNames(lab)
    .map((hostName) => ensureHostKey(root, hostName))
    .sort((a, b) => compareText(a.host, b.host));
  const admin = ensureAdminIdentity(env);
  const uses = nixSopsSecretUses(lab);
  const byFile = groupByFile(uses);
  const recipientOf = new Map(hostKeys.map((k) => [k.host, k.recipient]));
  fs.writeFileSync(path.join(root, SOPS_CONFIG_FILE), sopsConfig(admin.recipient, byFile, recipientOf));
  const files = [...byFile.entries()].map(([file, fileUses]) => ensureSopsFile(root, file, fileUses, [admin.recipient, ...hostsOf(fileUses).map((h) => recipientOf.get(h)!)], admin.file));
  return { admin, hostKeys, sopsConfig: SOPS_CONFIG_FILE, files };
}

/** The admin's age identity file: `$SOPS_AGE_KEY_FILE`, else where sops looks by default. */
export function adminIdentityFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SOPS_AGE_KEY_FILE) {
    return path.resolve(env.SOPS_AGE_KEY_FILE);
  }
  // sops: os.UserConfigDir() + "/sops/age/keys.txt", i.e. $XDG_CONFIG_HOME or ~/.config on Linux.
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(config, 'sops/age/keys.txt');
}

/**
 * The age recipient of an ed25519 SSH public key (`ssh-ed25519 AAAA…`): the key's Montgomery form,
 * bech32 with the `age` prefix, as Mic92/ssh-to-age's `SSHPublicKeyToAge` (convert.go) computes it
 * and sops-nix decrypts with it.
 */
export function sshPublicKeyToAge(publicKey: string): string {
  const [type, base64] = publicKey.trim().split(/\s+/);
  const blob = Buffer.from(base64 ?? '', 'base64');
  if (type !== 'ssh-ed25519' || blob.length !== 51) {
    throw new Error('not an ed25519 SSH public key');
  }
  // The wire form: string "ssh-ed25519" (4 + 11 bytes), then string key (4 + 32 bytes).
  return bech32.encode('age', bech32.toWords(edwardsToMontgomeryPub(blob.subarray(19))));
}

function ensureHostKey(root: string, hostName: string): SecretsHostKey {
  const relative = hostKeyFile(hostName);
  const file = path.join(root, relative);
  let created = false;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${hostName}`, '-f', file]);
    created = true;
  }
  fs.chmodSync(file, 0o600);
  if (!fs.existsSync(`${file}.pub`)) {
    fs.writeFileSync(`${file}.pub`, run('ssh-keygen', ['-y', '-f', file]));
  }
  return { host: hostName, file: relative, recipient: sshPublicKeyToAge(fs.readFileSync(`${file}.pub`, 'utf8')), created };
}

function ensureAdminIdentity(env: NodeJS.ProcessEnv): SecretsKey {
  const file = adminIdentityFile(env);
  let created = false;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    run('age-keygen', ['-o', file]);
    created = true;
  }
  // age-keygen -y prints the recipient of every identity in the file; the first is the admin's.
  const recipient = run('age-keygen', ['-y', file]).split('\n')[0].trim();
  return { file, recipient, created };
}

function groupByFile(uses: readonly SopsSecretUse[]): Map<string, SopsSecretUse[]> {
  const byFile = new Map<string, SopsSecretUse[]>();
  for (const use of uses) {
    const file = use.secret.sops!.sopsFile;
    byFile.set(file, [...(byFile.get(file) ?? []), use]);
  }
  return new Map([...byFile.entries()].sort(([a], [b]) => compareText(a, b)));
}

function hostsOf(uses: readonly SopsSecretUse[]): string[] {
  return [...new Set(uses.map((u) => u.host.hostName))].sort(compareText);
}

/** `.sops.yaml`: the keys as YAML anchors, one creation rule per file (sops-nix's README's layout). */
function sopsConfig(admin: string, byFile: ReadonlyMap<string, readonly SopsSecretUse[]>, recipientOf: ReadonlyMap<string, string>): string {
  const hosts = [...new Set([...byFile.values()].flatMap(hostsOf))].sort(compareText);
  const lines = [
    '# Written by `homelab secrets init` from the lab: run it again after the model changes.',
    '# Each file is encrypted for the admin and for exactly the hosts that read a secret in it.',
    'keys:',
    `  - &admin ${admin}`,
    ...hosts.map((h) => `  - &host_${h} ${recipientOf.get(h)}`),
    'creation_rules:',
  ];
  for (const [file, uses] of byFile) {
    lines.push(`  - path_regex: ${file.replace(/[.]/g, '\\.')}$`, '    key_groups:', '      - age:', '          - *admin', ...hostsOf(uses).map((h) => `          - *host_${h}`));
  }
  return `${lines.join('\n')}\n`;
}

function ensureSopsFile(root: string, file: string, uses: readonly SopsSecretUse[], recipients: readonly string[], adminFile: string): SecretsFile {
  const absolute = path.join(root, file);
  const existing = fs.existsSync(absolute) ? fs.readFileSync(absolute, 'utf8') : undefined;
  const current = existing === undefined ? undefined : readSopsFile(existing);
  if (existing !== undefined && current === undefined) {
    throw new Error(`${file} is not a sops file; move it away and run homelab secrets init again`);
  }
  const names = [...new Set(uses.map((u) => u.secret.reference))].sort(compareText);
  const missing = names.filter((n) => !current?.values.has(n));
  const sameRecipients = current !== undefined && [...current.recipients].sort().join(',') === [...recipients].sort().join(',');
  let values = new Map<string, string>();
  if (missing.length > 0 || !sameRecipients) {
    if (existing !== undefined) {
      values = decryptSopsFile(existing, adminFile);
    }
    values.delete(TODO_KEY);
    for (const name of missing) {
      const use = uses.find((u) => u.secret.reference === name)!;
      values.set(name, use.generated ? crypto.randomBytes(32).toString('base64url') : PLACEHOLDER_VALUE);
    }
  }
  const toSupply = names
    .filter((n) => (values.size > 0 ? values.get(n) === PLACEHOLDER_VALUE : stillPlaceholder(existing!, n)))
    .map((name) => ({ name, purpose: uses.find((u) => u.secret.reference === name)!.purpose }));
  if (values.size > 0) {
    const ordered = new Map([...values.entries()].sort(([a], [b]) => compareText(a, b)));
    if (toSupply.length > 0) {
      ordered.set(TODO_KEY, toSupply.map((t) => `${t.name}: put ${t.purpose} here with \`sops ${file}\`, then delete this line`).join('; '));
    }
    fs.mkdirSync(path.dirname(absolute), { recursive: true });
    fs.writeFileSync(absolute, writeSopsFile(ordered, recipients));
  }
  return { file, hosts: hostsOf(uses), added: missing, kept: names.filter((n) => !missing.includes(n)), toSupply, written: values.size > 0 };
}

/** Does a file that this run leaves alone still name `name` in its to-do note? */
function stillPlaceholder(text: string, name: string): boolean {
  const todo = readSopsFile(text)?.values.get(TODO_KEY);
  return todo !== undefined && todo.split('; ').some((t) => t.startsWith(`${name}: `));
}

function requireTool(tool: string, debianPackage: string): void {
  const result = spawnSync(tool, ['--help'], { stdio: 'ignore' });
  if (result.error) {
    throw new Error(`homelab secrets init needs ${tool}: install it (Debian: apt-get install ${debianPackage}; Nix: nix shell nixpkgs#${debianPackage === 'openssh-client' ? 'openssh' : debianPackage})`);
  }
}

function run(tool: string, args: readonly string[]): string {
  const result = spawnSync(tool, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(`${tool} ${args.join(' ')} failed: ${result.error?.message ?? result.stderr.trim()}`);
  }
  return result.stdout;
}

function writeIfMissing(file: string, content: string): void {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/** What {@link checkSopsFiles} found, and the files it copies into the flake. */
export interface SopsFilesCheck {
  /** The sops files, as `nix/<sopsFile>`, to write beside the flake's other files. */
  readonly files: readonly OutputFile[];
  /** Missing files, keys and recipients (errors); placeholders and an uninitialised lab (warnings). */
  readonly findings: readonly Finding[];
}

/**
 * Checks the project's sops files against the secrets the lab's configurations read, and gives
 * them as files of the flake (`nix/secrets/<name>.yaml`): a flake reads its sops files from its
 * own tree in pure evaluation, and sops-nix hashes each at evaluation time.
 *
 * A lab whose secrets were never initialised (no `.sops.yaml`, none of the files) is a warning,
 * not an error: its Terraform and Kubernetes outputs are usable, and a lab under construction
 * synthesizes; once initialised, a missing file, key or host recipient is an error, because every
 * host that reads it would fail to evaluate or to decrypt.
 */
export function checkSopsFiles(lab: Homelab, root: string): SopsFilesCheck {
  const uses = nixSopsSecretUses(lab);
  const byFile = groupByFile(uses);
  if (byFile.size === 0) {
    return { files: [], findings: [] };
  }
  const findings: Finding[] = [];
  const files: OutputFile[] = [];
  const initialised = fs.existsSync(path.join(root, SOPS_CONFIG_FILE)) || [...byFile.keys()].some((f) => fs.existsSync(path.join(root, f)));
  if (!initialised) {
    const names = [...new Set(uses.map((u) => u.secret.reference))].sort(compareText);
    const message = `${problem(
      `the lab's hosts read the sops secrets ${names.join(', ')}, but its secrets were never initialised (no ${SOPS_CONFIG_FILE} and none of ${[...byFile.keys()].join(', ')} in ${root}), so no host that reads one evaluates: sops-nix cannot find its sopsFile`,
      'run `homelab secrets init` (it makes the host keys, .sops.yaml and the encrypted files), then `homelab synth` again',
    )} [homelab-cdk:secrets-not-initialised]`;
    return { files: [], findings: [{ path: displayPath(lab), message, severity: Severity.WARNING }] };
  }
  for (const [file, fileUses] of byFile) {
    const hosts = hostsOf(fileUses);
    const where = displayPath(fileUses.map((u) => u.host).sort((a, b) => compareText(a.hostName, b.hostName))[0]);
    const error = (what: string, fix: string) => findings.push({ path: where, message: problem(what, fix), severity: Severity.ERROR });
    const absolute = path.join(root, file);
    if (!fs.existsSync(absolute)) {
      error(`the sops file ${file}, which ${hosts.join(', ')} read, does not exist in ${root}`, `run \`homelab secrets init\`: it adds the file`);
      continue;
    }
    const text = fs.readFileSync(absolute, 'utf8');
    const content = readSopsFile(text);
    if (!content) {
      error(`${file} is not a sops-encrypted YAML file`, `move it away and run \`homelab secrets init\`, or encrypt it with \`sops --encrypt --in-place ${file}\``);
      continue;
    }
    for (const name of [...new Set(fileUses.map((u) => u.secret.reference))].sort(compareText)) {
      if (!content.values.has(name)) {
        const use = fileUses.find((u) => u.secret.reference === name)!;
        const readers = hostsOf(fileUses.filter((u) => u.secret.reference === name));
        error(
          `the sops file ${file} has no key ${name}, which ${readers.join(', ')} read${readers.length === 1 ? 's' : ''}`,
          use.generated ? 'run `homelab secrets init`: it adds the missing value' : `run \`homelab secrets init\` (it adds a placeholder), then put ${use.purpose} there with \`sops ${file}\``,
        );
      }
    }
    for (const host of hosts) {
      const pub = path.join(root, `${hostKeyFile(host)}.pub`);
      if (fs.existsSync(pub) && !content.recipients.includes(sshPublicKeyToAge(fs.readFileSync(pub, 'utf8')))) {
        error(`${host} reads ${file}, but its host key (${hostKeyFile(host)}) is not a recipient of the file, so sops-nix on ${host} cannot decrypt it`, 'run `homelab secrets init`: it encrypts the file again for the hosts that read it');
      }
    }
    const todo = content.values.get(TODO_KEY);
    if (todo !== undefined) {
      findings.push({ path: where, message: `${problem(`the sops file ${file} still holds a placeholder (its ${TODO_KEY} note: ${todo})`, `edit it with \`sops ${file}\` and delete the ${TODO_KEY} line`)} [homelab-cdk:secret-placeholder]`, severity: Severity.WARNING });
    }
    files.push({ path: `nix/${file}`, content: text });
  }
  return { files, findings };
}

/** What `homelab secrets init` did, for people: each key and file, and what the user still supplies. */
export function formatSecretsInit(result: SecretsInitResult): string {
  const made = (created: boolean) => (created ? 'made' : 'kept');
  const lines = [`admin age identity: ${result.admin.file} (${made(result.admin.created)}; recipient ${result.admin.recipient})`];
  for (const key of result.hostKeys) {
    lines.push(`host key of ${key.host}: ${key.file} (${made(key.created)}; age recipient ${key.recipient}; install it as ${HOST_KEY_PATH_ON_HOST})`);
  }
  lines.push(`${result.sopsConfig}: a creation rule for each of ${result.files.length} file(s)`);
  for (const file of result.files) {
    const what = [file.added.length ? `added ${file.added.join(', ')}` : '', file.kept.length ? `kept ${file.kept.join(', ')}` : ''].filter((x) => x).join('; ');
    lines.push(`${file.file}: ${what} (for the admin and ${file.hosts.join(', ')})${file.written ? '' : ', unchanged'}`);
  }
  const toSupply = result.files.flatMap((f) => f.toSupply.map((t) => ({ ...t, file: f.file })));
  if (toSupply.length > 0) {
    lines.push('', 'to supply by hand (each holds a placeholder until then):');
    for (const t of toSupply) {
      lines.push(`  ${t.name}: ${t.purpose}. Put it there with \`sops ${t.file}\` and delete the ${TODO_KEY} line.`);
    }
  }
  lines.push('', 'next: commit .sops.yaml and secrets/*.yaml (never secrets/host-keys/), then run `homelab synth`.');
  return lines.join('\n');
}
