/**
 * The sops file format (getsops/sops), written and read with Node's crypto and the real `age`
 * binary, so that `homelab secrets init` needs no sops binary (Debian has none):
 *
 * - every value is AES-256-GCM under one random 32-byte data key, with a 32-byte nonce and the
 *   value's path (`key:`) as additional data, written `ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`
 *   (sops' aes/cipher.go, `Encrypt`: `nonceSize = 32`, the tag apart from the data);
 * - the MAC is SHA-512 over every value in the file's order (encrypted or not: the metadata's
 *   `mac_only_encrypted` is off), as upper-case hex, encrypted the same way with the file's
 *   `lastmodified` (RFC 3339, seconds) as additional data (sops.go, `Tree.Encrypt`; cmd/sops,
 *   `encrypt`);
 * - the data key is encrypted to each age recipient separately, ASCII-armored (`sops.age[]`:
 *   `recipient`, `enc`), as sops' age/keysource.go does;
 * - keys that end in `_unencrypted` stay plain text (the default `unencrypted_suffix`).
 *
 * Only flat files (top-level keys with string values) are written and read: one sops secret is one
 * top-level key, as sops-nix reads `sops.secrets.<name>` by default (`key` = the name).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import { parse, Scalar, stringify } from 'yaml';

/** The suffix of keys that sops leaves unencrypted (its default `unencrypted_suffix`). */
export const UNENCRYPTED_SUFFIX = '_unencrypted';

/** The sops version the files claim to be written by: the format of sops 3.9 (age, MAC, suffix). */
const SOPS_FORMAT_VERSION = '3.9.4';

/** A sops file's metadata and its values, still encrypted. */
export interface SopsFileContent {
  /** Each top-level key and its value as written (`ENC[…]`, or plain text for `_unencrypted` keys). */
  readonly values: ReadonlyMap<string, string>;
  /** The age recipients the data key is encrypted to, in the file's order. */
  readonly recipients: readonly string[];
}

/** Reads the keys and recipients of a sops YAML file without decrypting anything, or undefined when it is not one. */
export function readSopsFile(text: string): SopsFileContent | undefined {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || !('sops' in doc)) {
    return undefined;
  }
  const { sops, ...rest } = doc as { sops: { age?: { recipient?: unknown }[] } } & Record<string, unknown>;
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(rest)) {
    values.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const recipients = (sops?.age ?? []).map((a) => a.recipient).filter((r): r is string => typeof r === 'string');
  return { values, recipients };
}

/**
 * A sops YAML file of `values` (top-level keys, string values, in this order), encrypted to the
 * age `recipients` with the `age` binary.
 */
export function writeSopsFile(values: ReadonlyMap<string, string>, recipients: readonly string[], now: Date = new Date()): string {
  const dataKey = crypto.randomBytes(32);
  const mac = crypto.createHash('sha512');
  const doc: Record<string, unknown> = {};
  for (const [key, value] of values) {
    // sops hashes every value, then encrypts those that are not unencrypted (sops.go, Tree.Encrypt).
    mac.update(Buffer.from(value, 'utf8'));
    doc[key] = key.endsWith(UNENCRYPTED_SUFFIX) ? value : encryptValue(value, dataKey, `${key}:`);
  }
  // Go's time.RFC3339 of a UTC time: seconds, "Z".
  const lastModified = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  doc.sops = {
    age: recipients.map((recipient) => ({ recipient, enc: ageEncrypt(dataKey, recipient) })),
    // Quoted, as sops writes it: a YAML 1.1 reader would take the bare form for a timestamp.
    lastmodified: Object.assign(new Scalar(lastModified), { type: Scalar.QUOTE_DOUBLE }),
    mac: encryptValue(mac.digest('hex').toUpperCase(), dataKey, lastModified),
    unencrypted_suffix: UNENCRYPTED_SUFFIX,
    version: SOPS_FORMAT_VERSION,
  };
  return stringify(doc, { lineWidth: 0, indent: 4 });
}

/**
 * Decrypts a sops YAML file written by sops or {@link writeSopsFile} with the age identities in
 * `identityFile`, checking its MAC: the top-level values as text (a nested value as JSON). Throws
 * when no identity opens it or the MAC does not match. Nested maps and lists are read as sops
 * walks them (sops.go, `walkBranch`): a map's key adds to the path, a list's index does not.
 */
export function decryptSopsFile(text: string, identityFile: string): Map<string, string> {
  const doc = parse(text) as { sops: { age?: { enc: string }[]; lastmodified: string; mac: string } } & Record<string, unknown>;
  const { sops, ...rest } = doc;
  let dataKey: Buffer | undefined;
  for (const stanza of sops.age ?? []) {
    const result = spawnSync('age', ['--decrypt', '--identity', identityFile], { input: stanza.enc });
    if (result.status === 0 && result.stdout.length === 32) {
      dataKey = result.stdout;
      break;
    }
  }
  if (!dataKey) {
    throw new Error(`none of the identities in ${identityFile} is a recipient of the file`);
  }
  const key = dataKey;
  const mac = crypto.createHash('sha512');
  const walk = (value: unknown, path: readonly string[]): unknown => {
    if (Array.isArray(value)) {
      return value.map((v) => walk(v, path));
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    const plain = path.some((k) => k.endsWith(UNENCRYPTED_SUFFIX)) ? String(value) : decryptValue(String(value), key, `${path.join(':')}:`);
    mac.update(Buffer.from(plain, 'utf8'));
    return plain;
  };
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(rest)) {
    const plain = walk(value, [name]);
    values.set(name, typeof plain === 'string' ? plain : JSON.stringify(plain));
  }
  const expected = decryptValue(sops.mac, key, String(sops.lastmodified));
  if (expected !== mac.digest('hex').toUpperCase()) {
    throw new Error('the MAC of the file does not match its values');
  }
  return values;
}

function encryptValue(value: string, key: Buffer, additionalData: string): string {
  const iv = crypto.randomBytes(32);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(additionalData, 'utf8'));
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${cipher.getAuthTag().toString('base64')},type:str]`;
}

function decryptValue(value: string, key: Buffer, additionalData: string): string {
  const match = /^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:(.+)\]$/.exec(value);
  if (!match) {
    throw new Error(`a value is not in sops' ENC[AES256_GCM,…] form`);
  }
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(match[2], 'base64'));
  decipher.setAAD(Buffer.from(additionalData, 'utf8'));
  decipher.setAuthTag(Buffer.from(match[3], 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(match[1], 'base64')), decipher.final()]).toString('utf8');
}

function ageEncrypt(data: Buffer, recipient: string): string {
  const result = spawnSync('age', ['--encrypt', '--armor', '--recipient', recipient], { input: data });
  if (result.error || result.status !== 0) {
    throw new Error(`age could not encrypt to ${recipient}: ${result.error?.message ?? result.stderr.toString().trim()}`);
  }
  return result.stdout.toString('utf8');
}
