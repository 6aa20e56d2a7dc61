/**
 * authorized_keys lines checked by parseSshPublicKey, against keys that the real ssh-keygen
 * (Debian package openssh-client) makes at test time and against its own reading of them
 * (`ssh-keygen -l -E sha256`), and against blobs damaged in each way the parser refuses.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSshPublicKey, SshPublicKeyInfo } from '../../lib/hosts/ssh-public-key';
import { tempDir } from '../support/labs';

function sshKeygen(args: readonly string[]): string {
  const run = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(`ssh-keygen ${args.join(' ')}: ${run.stderr}`);
  }
  return run.stdout;
}

/** A new key pair from ssh-keygen: the private key file's path and the public key line. */
function newKey(type: string, bits?: number): { file: string; line: string } {
  const file = path.join(tempDir('homelab-sshkey-'), 'key');
  sshKeygen(['-q', '-t', type, ...(bits === undefined ? [] : ['-b', String(bits)]), '-N', '', '-C', `test ${type}`, '-f', file]);
  return { file, line: fs.readFileSync(`${file}.pub`, 'utf8') };
}

/** What `ssh-keygen -l -E sha256` says of a public key line: its bits and fingerprint. */
function keygenReading(line: string): { bits: number; fingerprint: string } {
  const file = path.join(tempDir('homelab-sshkey-'), 'key.pub');
  fs.writeFileSync(file, line);
  const [bits, fingerprint] = sshKeygen(['-l', '-E', 'sha256', '-f', file]).split(' ');
  return { bits: Number(bits), fingerprint };
}

function accepted(line: string): SshPublicKeyInfo {
  const parsed = parseSshPublicKey(line);
  if (typeof parsed === 'string') {
    throw new Error(`refused: ${parsed}`);
  }
  return parsed;
}

/** The blob of a public key line. */
function blobOf(line: string): Buffer {
  return Buffer.from(line.split(' ')[1], 'base64');
}

/** A key line of a type with a blob. */
function lineOf(type: string, blob: Buffer): string {
  return `${type} ${blob.toString('base64')} test`;
}

/** An SSH `string` (RFC 4251 §5): uint32 length, then the bytes. */
function sshString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** The fields of a blob, without checks (the test's own reading, to rebuild damaged blobs). */
function fieldsOf(blob: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  for (let at = 0; at < blob.length; ) {
    const length = blob.readUInt32BE(at);
    fields.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields;
}

describe('SSH public keys made by ssh-keygen', () => {
  it.each([
    ['ed25519', undefined, 'ssh-ed25519', 256],
    ['rsa', 3072, 'ssh-rsa', 3072],
    ['rsa', 2048, 'ssh-rsa', 2048],
    ['ecdsa', 256, 'ecdsa-sha2-nistp256', 256],
    ['ecdsa', 384, 'ecdsa-sha2-nistp384', 384],
    ['ecdsa', 521, 'ecdsa-sha2-nistp521', 521],
  ])('reads a %s key (%s bits) as ssh-keygen -l does', (keyType, size, type, bits) => {
    const { line } = newKey(keyType, size);
    const info = accepted(line);
    expect(info).toEqual({ type, bits, fingerprint: keygenReading(line).fingerprint });
    expect(keygenReading(line).bits).toBe(bits);
  });

  // No security key here, and ssh-keygen enrolls sk keys only through one: these are OpenSSH's own
  // regress test keys (openssh-portable regress/unittests/sshkey/testdata/ed25519_sk2.pub and
  // ecdsa_sk2.pub, fingerprints from ed25519_sk2.fp and ecdsa_sk2.fp), read by ssh-keygen too.
  it.each([
    [
      'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIBXx+7VJzfVAsrZH/MY903e97nG4W8NzuYQBbFtoj5hzAAAABHNzaDo= ED25519-SK test key #2',
      'SHA256:b9BVPS5vuU4yu/FgweojLLg6zbfmBBoWLUgibdxxsoo',
    ],
    [
      'sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBJOX5JHqtOCU5mZxCQK0nc936VaKd7Oj+AeTihl1lxNCyYRizvroGVYa4HYHPepBEtrpxew/7gr2QCMAnvN2gVQAAAAEc3NoOg== ECDSA-SK test key #2',
      'SHA256:pz8VkgtRY3r50F4zSuzRlmq9c6vPTpJXLKKOgkyUcKE',
    ],
  ])('reads a FIDO security key (OpenSSH regress key %#)', (line, fingerprint) => {
    expect(accepted(line)).toEqual({ type: line.split(' ')[0], bits: 256, fingerprint });
    expect(keygenReading(line)).toEqual({ bits: 256, fingerprint });
  });

  it('refuses an RSA key of 1024 bits as too weak', () => {
    const { line } = newKey('rsa', 1024);
    expect(keygenReading(line).bits).toBe(1024);
    expect(parseSshPublicKey(line)).toBe('RSA key of 1024 bits is too weak; use ed25519 or RSA of at least 2048 bits');
  });

  it('refuses a DSA key, which OpenSSH no longer accepts, and says what to use', () => {
    const { line } = newKey('dsa');
    expect(parseSshPublicKey(line)).toMatch(/^DSA keys \(ssh-dss\) are refused by OpenSSH.*ssh-keygen -t ed25519/);
  });

  it('refuses a certificate: authorized_keys takes the key, or the CA with cert-authority', () => {
    const ca = newKey('ed25519');
    const user = newKey('ed25519');
    sshKeygen(['-q', '-s', ca.file, '-I', 'test', '-n', 'alice', `${user.file}.pub`]);
    const cert = fs.readFileSync(`${user.file}-cert.pub`, 'utf8');
    expect(cert).toMatch(/^ssh-ed25519-cert-v01@openssh\.com /);
    expect(parseSshPublicKey(cert)).toMatch(/^not an SSH public key \(unknown key type "ssh-ed25519-cert-v01@openssh\.com"; accepted: ssh-ed25519, /);
  });

  it('refuses a private key, with the whole file pasted', () => {
    const { file } = newKey('ed25519');
    expect(parseSshPublicKey(fs.readFileSync(file, 'utf8'))).toBe('this is a private key; give the public key (the .pub file)');
  });

  it('refuses two keys on two lines', () => {
    const two = `${newKey('ed25519').line.trim()}\n${newKey('ed25519').line.trim()}`;
    expect(parseSshPublicKey(two)).toBe('a key must be one line');
  });

  it('refuses a type name that only objects have ("constructor")', () => {
    expect(parseSshPublicKey('constructor AAAA')).toMatch(/^not an SSH public key \(unknown key type "constructor"/);
  });
});

describe('damaged key blobs', () => {
  const ed = newKey('ed25519').line;
  const rsa = newKey('rsa', 3072).line;
  const ecdsa = newKey('ecdsa', 256).line;

  it('refuses every truncation of a key', () => {
    for (const line of [ed, rsa, ecdsa]) {
      const [type] = line.split(' ');
      const blob = blobOf(line);
      for (let length = 0; length < blob.length; length++) {
        expect(parseSshPublicKey(lineOf(type, blob.subarray(0, length))), `${type} cut to ${length} bytes`).toMatch(/^not an SSH public key \(the key (ends before|ends inside|after the type is not base64)/);
      }
    }
    // One byte short of an RSA modulus would still be a long modulus, were the lengths not checked.
    expect(parseSshPublicKey(lineOf('ssh-rsa', blobOf(rsa).subarray(0, -1)))).toBe('not an SSH public key (the key ends inside its modulus)');
  });

  it('refuses a line with no key after the type, or a key that is not base64', () => {
    expect(parseSshPublicKey('ssh-ed25519')).toBe('not an SSH public key (the key after the type is not base64)');
    const [type, base64] = ed.split(' ');
    expect(parseSshPublicKey(`${type} ${base64.slice(0, 20)}*${base64.slice(21)}`)).toMatch(/not base64/);
  });

  it('refuses base64 with nonzero bits after the last byte, as ssh-keygen does', () => {
    // A nistp256 blob is 104 bytes: its base64's last character before "=" carries 2 unused bits.
    const [type, base64] = ecdsa.split(' ');
    expect(base64).toMatch(/[^=]=$/);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = base64.length - 2;
    const altered = `${base64.slice(0, last)}${alphabet[alphabet.indexOf(base64[last]) ^ 1]}=`;
    expect(Buffer.from(altered, 'base64').equals(blobOf(ecdsa))).toBe(true);
    expect(() => keygenReading(`${type} ${altered}`)).toThrow(/is not a public key file/);
    expect(parseSshPublicKey(`${type} ${altered}`)).toBe('not an SSH public key (the key after the type is not base64)');
  });

  it('refuses a blob whose own type name differs from the line', () => {
    // An ed25519 point under the security key's name would read as a plain ed25519 key otherwise.
    const [, point] = fieldsOf(blobOf(ed));
    const blob = Buffer.concat([sshString('sk-ssh-ed25519@openssh.com'), sshString(point)]);
    expect(parseSshPublicKey(lineOf('ssh-ed25519', blob))).toBe('not an SSH public key (the key inside is of type "sk-ssh-ed25519@openssh.com", not ssh-ed25519 as the line says)');
  });

  it('refuses bytes after the last field', () => {
    for (const line of [ed, rsa, ecdsa]) {
      const [type] = line.split(' ');
      expect(parseSshPublicKey(lineOf(type, Buffer.concat([blobOf(line), sshString('')])))).toBe("not an SSH public key (4 bytes follow the key's last field)");
    }
  });

  it('refuses a security key without its application', () => {
    const [, point] = fieldsOf(blobOf(ed));
    const blob = Buffer.concat([sshString('sk-ssh-ed25519@openssh.com'), sshString(point)]);
    expect(parseSshPublicKey(lineOf('sk-ssh-ed25519@openssh.com', blob))).toBe('not an SSH public key (the key ends before its application)');
  });

  it('refuses an ed25519 key that is not a point of the curve', () => {
    // y = 2: x² = (y² − 1) / (d·y² + 1) has no square root mod p (Euler's criterion below), so no
    // point has this encoding (RFC 8032 §5.1.3).
    const p = 2n ** 255n - 19n;
    const d = (-121665n * modPow(121666n, p - 2n, p)) % p;
    const y = 2n;
    const x2 = ((((y * y - 1n) % p) + p) % p) * modPow((d * y * y + 1n + p) % p, p - 2n, p) % p;
    expect(modPow(x2, (p - 1n) / 2n, p)).toBe(p - 1n);
    const point = Buffer.alloc(32);
    point[0] = 2;
    const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(point)]);
    expect(parseSshPublicKey(lineOf('ssh-ed25519', blob))).toBe('not an SSH public key (the ed25519 key is not a point of the curve)');
    expect(parseSshPublicKey(lineOf('ssh-ed25519', Buffer.concat([sshString('ssh-ed25519'), sshString(point.subarray(1))])))).toBe('not an SSH public key (an ed25519 key is 32 bytes, this one 31)');
  });

  it('refuses an ECDSA point off the curve', () => {
    // The last bit of y flipped: y² changes (y' is neither y nor p − y), so the point leaves the curve.
    const [type, curve, point] = fieldsOf(blobOf(ecdsa));
    const off = Buffer.from(point);
    off[off.length - 1] ^= 1;
    const blob = Buffer.concat([sshString(type), sshString(curve), sshString(off)]);
    expect(parseSshPublicKey(lineOf('ecdsa-sha2-nistp256', blob))).toBe('not an SSH public key (the ECDSA point is not on the nistp256 curve)');
  });

  it('refuses an ECDSA key whose curve name differs from its type', () => {
    const [type, , point] = fieldsOf(blobOf(ecdsa));
    const blob = Buffer.concat([sshString(type), sshString('nistp384'), sshString(point)]);
    expect(parseSshPublicKey(lineOf('ecdsa-sha2-nistp256', blob))).toBe('not an SSH public key (the key names the curve nistp384, but its type says nistp256)');
  });

  it('refuses a compressed ECDSA point, which ssh-keygen never writes', () => {
    const [type, curve, point] = fieldsOf(blobOf(ecdsa));
    const compressed = Buffer.concat([Buffer.from([2 + (point[point.length - 1] & 1)]), point.subarray(1, 33)]);
    const blob = Buffer.concat([sshString(type), sshString(curve), sshString(compressed)]);
    expect(parseSshPublicKey(lineOf('ecdsa-sha2-nistp256', blob))).toBe('not an SSH public key (the nistp256 point is not an uncompressed point of 65 bytes)');
  });

  it('refuses an RSA exponent that is even or 1', () => {
    const [type, , n] = fieldsOf(blobOf(rsa));
    for (const e of [[], [2], [1], [1, 0]]) {
      const blob = Buffer.concat([sshString(type), sshString(Buffer.from(e)), sshString(n)]);
      expect(parseSshPublicKey(lineOf('ssh-rsa', blob)), `exponent [${e.join(', ')}]`).toBe('not an SSH public key (the RSA exponent is not an odd number of at least 3)');
    }
    const three = Buffer.concat([sshString(type), sshString(Buffer.from([3])), sshString(n)]);
    expect(accepted(lineOf('ssh-rsa', three)).bits).toBe(3072);
  });

  it('refuses an RSA modulus written as a negative mpint', () => {
    // ssh-keygen writes a modulus with its top bit set behind a zero byte; without it, it is negative.
    const [type, e, n] = fieldsOf(blobOf(rsa));
    expect(n[0]).toBe(0);
    const blob = Buffer.concat([sshString(type), sshString(e), sshString(n.subarray(1))]);
    expect(parseSshPublicKey(lineOf('ssh-rsa', blob))).toBe("not an SSH public key (the key's modulus is negative)");
  });
});

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) {
      result = (result * b) % modulus;
    }
    b = (b * b) % modulus;
  }
  return result;
}
