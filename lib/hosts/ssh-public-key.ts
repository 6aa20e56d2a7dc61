/**
 * SSH public keys as `authorized_keys` lines (`type base64 [comment]`), checked at synth time so
 * that a truncated, mistyped or weak key is refused before it locks anyone out of a host.
 *
 * The key blob's wire format is read here: it is a handful of length-prefixed fields (RFC 4253
 * §6.6, RFC 5656 §3.1, RFC 8709, OpenSSH's PROTOCOL.u2f), and a general SSH library (sshpk, ~38
 * modules) cost 35–60 ms of every cold `homelab synth` for it. The cryptographic checks are left to
 * well-kept code: Node's `crypto` (OpenSSL) for RSA and ECDSA, `@noble/curves` for ed25519.
 *
 * Accepted: `ssh-ed25519`, `ssh-rsa` of at least 2048 bits, `ecdsa-sha2-nistp256`/`384`/`521`
 * (uncompressed points, as ssh-keygen writes them), and the FIDO security-key types
 * `sk-ssh-ed25519@openssh.com` and `sk-ecdsa-sha2-nistp256@openssh.com`. Refused: `ssh-dss` (DSA,
 * which OpenSSH disables by default since 7.0 and removed in 9.8), certificates, key options before
 * the type, and anything else.
 */
import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519';

/** What a valid authorized_keys line holds. */
export interface SshPublicKeyInfo {
  /** The key type as written (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …). */
  readonly type: string;
  /** The SHA-256 fingerprint, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** Key size in bits. */
  readonly bits: number;
}

/** Why a line is not a usable public key, thrown while its blob is read and caught below. */
class KeyRefusal extends Error {}

/** The fields of a key blob in order (RFC 4251 §5), never reading past its end. */
class KeyBlobReader {
  private offset = 0;

  constructor(private readonly blob: Buffer) {}

  /** A `string`: a uint32 length, then that many bytes. */
  public bytes(field: string): Buffer {
    if (this.blob.length - this.offset < 4) {
      throw new KeyRefusal(`the key ends before its ${field}`);
    }
    const length = this.blob.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (length > this.blob.length - start) {
      throw new KeyRefusal(`the key ends inside its ${field}`);
    }
    this.offset = start + length;
    return this.blob.subarray(start, this.offset);
  }

  /** A `string` holding a name. */
  public text(field: string): string {
    return this.bytes(field).toString('latin1');
  }

  /**
   * An `mpint`'s magnitude (big-endian, no leading zeros). Negative values are refused: no key
   * field is negative, and OpenSSH refuses them too (sshbuf_get_bignum2).
   */
  public unsignedMpint(field: string): Buffer {
    const value = this.bytes(field);
    if (value.length > 0 && (value[0] & 0x80) !== 0) {
      throw new KeyRefusal(`the key's ${field} is negative`);
    }
    let start = 0;
    while (start < value.length && value[start] === 0) {
      start++;
    }
    return value.subarray(start);
  }

  /** Refuses bytes after the last field: a blob pasted together from two keys, or damaged. */
  public end(): void {
    const left = this.blob.length - this.offset;
    if (left > 0) {
      throw new KeyRefusal(`${left} byte${left === 1 ? '' : 's'} follow the key's last field`);
    }
  }
}

/** The NIST curves by their SSH names (RFC 5656 §10.1): JWK name and coordinate size in bytes. */
const NIST_CURVES: Readonly<Record<'nistp256' | 'nistp384' | 'nistp521', { readonly jwk: string; readonly bytes: number; readonly bits: number }>> = {
  nistp256: { jwk: 'P-256', bytes: 32, bits: 256 },
  nistp384: { jwk: 'P-384', bytes: 48, bits: 384 },
  nistp521: { jwk: 'P-521', bytes: 66, bits: 521 },
};

/**
 * An ed25519 public key (RFC 8709 §4): 32 bytes that must decode to a curve point. Decoded with
 * @noble/curves (audited, and already loaded for the age recipients of host keys): Node's crypto
 * takes any 32 bytes as an ed25519 key without decoding them.
 */
function ed25519Bits(key: KeyBlobReader): number {
  const point = key.bytes('public key');
  if (point.length !== 32) {
    throw new KeyRefusal(`an ed25519 key is 32 bytes, this one ${point.length}`);
  }
  try {
    ed25519.Point.fromHex(point);
  } catch {
    throw new KeyRefusal('the ed25519 key is not a point of the curve');
  }
  return 256;
}

/**
 * An ECDSA public key (RFC 5656 §3.1): the curve's name, then the point. Checked by Node's crypto
 * (OpenSSL), which refuses a JWK whose point is not on the curve.
 */
function ecdsaBits(curveName: keyof typeof NIST_CURVES, key: KeyBlobReader): number {
  const curve = NIST_CURVES[curveName];
  const named = key.text('curve name');
  if (named !== curveName) {
    throw new KeyRefusal(`the key names the curve ${named}, but its type says ${curveName}`);
  }
  const point = key.bytes('point');
  if (point[0] !== 0x04 || point.length !== 1 + 2 * curve.bytes) {
    throw new KeyRefusal(`the ${curveName} point is not an uncompressed point of ${1 + 2 * curve.bytes} bytes`);
  }
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: curve.jwk,
    x: point.subarray(1, 1 + curve.bytes).toString('base64url'),
    y: point.subarray(1 + curve.bytes).toString('base64url'),
  };
  try {
    createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new KeyRefusal(`the ECDSA point is not on the ${curveName} curve`);
  }
  return curve.bits;
}

/**
 * An RSA public key (RFC 4253 §6.6): exponent, then modulus. Node's crypto (OpenSSL) takes them as
 * a JWK and measures the modulus as ssh-keygen does (its bit length).
 */
function rsaBits(key: KeyBlobReader): number {
  const e = key.unsignedMpint('exponent');
  const n = key.unsignedMpint('modulus');
  // OpenSSL takes any exponent, but an even one (or 1) verifies no signature: the key is damaged.
  if (e.length === 0 || (e[e.length - 1] & 1) === 0 || (e.length === 1 && e[0] === 1)) {
    throw new KeyRefusal('the RSA exponent is not an odd number of at least 3');
  }
  try {
    const details = createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' }).asymmetricKeyDetails;
    return details!.modulusLength!;
  } catch {
    throw new KeyRefusal('the RSA key is not usable');
  }
}

/** A security key's application (PROTOCOL.u2f: after the key, typically "ssh:"). */
function skApplication(key: KeyBlobReader): void {
  key.bytes('application');
}

/** The accepted key types: each reads the fields after the type name and returns the key's bits. */
const KEY_TYPES: ReadonlyMap<string, (key: KeyBlobReader) => number> = new Map([
  ['ssh-ed25519', ed25519Bits],
  ['ssh-rsa', rsaBits],
  ['ecdsa-sha2-nistp256', (key) => ecdsaBits('nistp256', key)],
  ['ecdsa-sha2-nistp384', (key) => ecdsaBits('nistp384', key)],
  ['ecdsa-sha2-nistp521', (key) => ecdsaBits('nistp521', key)],
  [
    'sk-ssh-ed25519@openssh.com',
    (key) => {
      const bits = ed25519Bits(key);
      skApplication(key);
      return bits;
    },
  ],
  [
    'sk-ecdsa-sha2-nistp256@openssh.com',
    (key) => {
      const bits = ecdsaBits('nistp256', key);
      skApplication(key);
      return bits;
    },
  ],
]);

/**
 * Canonical padded base64, as ssh-keygen writes it: Buffer.from alone skips stray characters, and
 * OpenSSH's b64_pton refuses nonzero bits after the last byte.
 */
function decodeBase64(text: string): Buffer | undefined {
  const blob = Buffer.from(text, 'base64');
  return blob.toString('base64') === text ? blob : undefined;
}

/**
 * Parses one public key line (`type base64 [comment]`). Returns its facts, or a string saying
 * why it is not a usable public key.
 */
export function parseSshPublicKey(line: string): SshPublicKeyInfo | string {
  const trimmed = line.trim();
  // Before the one-line check: a whole private key file is several lines, and this says more.
  if (/PRIVATE KEY/.test(trimmed)) {
    return 'this is a private key; give the public key (the .pub file)';
  }
  if (/[\r\n]/.test(trimmed)) {
    return 'a key must be one line';
  }
  const [type, base64] = trimmed.split(/\s+/);
  if (type === 'ssh-dss') {
    return 'DSA keys (ssh-dss) are refused by OpenSSH since 7.0 and no longer read since 9.8; use an ed25519 key (ssh-keygen -t ed25519)';
  }
  const keyType = KEY_TYPES.get(type);
  if (keyType === undefined) {
    return `not an SSH public key (unknown key type "${type.slice(0, 40)}"; accepted: ${[...KEY_TYPES.keys()].join(', ')})`;
  }
  const blob = base64 === undefined ? undefined : decodeBase64(base64);
  if (blob === undefined) {
    return 'not an SSH public key (the key after the type is not base64)';
  }
  try {
    const key = new KeyBlobReader(blob);
    const inner = key.text('type');
    if (inner !== type) {
      throw new KeyRefusal(`the key inside is of type "${inner.slice(0, 40)}", not ${type} as the line says`);
    }
    const bits = keyType(key);
    key.end();
    if (type === 'ssh-rsa' && bits < 2048) {
      return `RSA key of ${bits} bits is too weak; use ed25519 or RSA of at least 2048 bits`;
    }
    const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    return { type, fingerprint, bits };
  } catch (e) {
    if (e instanceof KeyRefusal) {
      return `not an SSH public key (${e.message})`;
    }
    throw e;
  }
}
