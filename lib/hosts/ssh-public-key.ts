/**
 * SSH public keys as `authorized_keys` lines. Checked with sshpk, which decodes the key blob, so a
 * truncated or mistyped key is refused before it locks anyone out of a host.
 */
import * as sshpk from 'sshpk';

/** What a valid authorized_keys line holds. */
export interface SshPublicKeyInfo {
  /** The key type as written (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …). */
  readonly type: string;
  /** The SHA-256 fingerprint, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** Key size in bits. */
  readonly bits: number;
}

/**
 * Parses one public key line (`type base64 [comment]`). Returns its facts, or a string saying
 * why it is not a usable public key.
 */
export function parseSshPublicKey(line: string): SshPublicKeyInfo | string {
  const trimmed = line.trim();
  if (trimmed.includes('\n')) {
    return 'a key must be one line';
  }
  if (/PRIVATE KEY/.test(trimmed)) {
    return 'this is a private key; give the public key (the .pub file)';
  }
  const [type] = trimmed.split(/\s+/);
  try {
    const key = sshpk.parseKey(trimmed, 'ssh');
    if (key.type === 'rsa' && key.size < 2048) {
      return `RSA key of ${key.size} bits is too weak; use ed25519 or RSA of at least 2048 bits`;
    }
    return { type, fingerprint: key.fingerprint('sha256').toString(), bits: key.size };
  } catch (e) {
    return `not an SSH public key (${(e as Error).message.split('\n')[0]})`;
  }
}
