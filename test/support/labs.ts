/** Labs for the tests: small ones built here, and the reference lab of apps/. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HardwareProfile, Homelab, HomelabProps, Host, HostProps, User } from '../../lib';

/** A valid ed25519 public key (of no private key anyone keeps). */
export const TEST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1QFYlN+n1fxJxVnzJXKcWIXGWwCci+KPGlJTpcIFIC test@example';

/** A lab on 10.0.0.0/24 with a dynamic range .100–.199 and one admin user. */
export function smallLab(props: Partial<HomelabProps> = {}): { lab: Homelab; admin: User } {
  const lab = new Homelab({
    name: 'testlab',
    domain: 'lab.example',
    network: { cidr: '10.0.0.0/24', gateway: '10.0.0.1', dhcpRange: { start: '10.0.0.100', end: '10.0.0.199' } },
    ...props,
  });
  const admin = new User(lab, 'admin', { sudo: true, sshKeys: [TEST_KEY] });
  return { lab, admin };
}

/** A VM host with the given overrides. */
export function vmHost(lab: Homelab, id: string, ipAddress: string, props: Partial<HostProps> = {}): Host {
  return new Host(lab, id, { hardware: HardwareProfile.qemuGuest(), ipAddress, ...props });
}

/** A fresh temporary folder, removed by the OS eventually. */
export function tempDir(prefix = 'homelab-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every file under a folder with its content, by relative path. */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) {
    return out;
  }
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** Writes rendered files into a fresh temporary folder and returns it. */
export function materialize(files: ReadonlyArray<{ path: string; content: string }>): string {
  const dir = tempDir('homelab-files-');
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.path), f.content);
  }
  return dir;
}
