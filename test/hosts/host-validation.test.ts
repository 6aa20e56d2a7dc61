import { describe, expect, it } from 'vitest';
import { Addressing, Annotations, HardwareProfile, Homelab, Host, Protocol, Secret, User, validateLab } from '../../lib';
import { smallLab, TEST_KEY, vmHost } from '../support/labs';

/** The error messages of a lab, as `path: message` lines. */
function errorsOf(lab: Homelab): string[] {
  return validateLab(lab).errors.map((f) => `${f.path}: ${f.message}`);
}

function warningsOf(lab: Homelab): string[] {
  return validateLab(lab).warnings.map((f) => `${f.path}: ${f.message}`);
}

describe('a valid lab', () => {
  it('has no errors', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10');
    vmHost(lab, 'db', '10.0.0.11');
    expect(errorsOf(lab)).toEqual([]);
  });
});

describe('addresses', () => {
  it('refuses two hosts with one IP address, naming both', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10');
    vmHost(lab, 'db', '10.0.0.10');
    expect(errorsOf(lab)).toEqual([
      'testlab/web: IP address 10.0.0.10 is already used by testlab/db. Fix: give each device its own address.',
    ]);
  });

  it('refuses two hosts with one MAC address', () => {
    const { lab } = smallLab();
    vmHost(lab, 'a', '10.0.0.10', { macAddress: '02:00:00:00:00:01' });
    vmHost(lab, 'b', '10.0.0.11', { macAddress: '02:00:00:00:00:01' });
    expect(errorsOf(lab).join('\n')).toMatch(/testlab\/b: MAC address 02:00:00:00:00:01 is already used by testlab\/a\. Fix:/);
  });

  it('refuses two hosts with one host name', () => {
    const { lab } = smallLab();
    vmHost(lab, 'a', '10.0.0.10', { hostName: 'same' });
    vmHost(lab, 'b', '10.0.0.11', { hostName: 'same' });
    expect(errorsOf(lab).join('\n')).toMatch(/testlab\/b: host name same is already used by testlab\/a/);
  });

  it('refuses an IP address outside the network', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.1.10');
    expect(errorsOf(lab)).toEqual([
      'testlab/web: IP address 10.0.1.10 is outside the usable addresses of the network 10.0.0.0/24. Fix: give it an address inside 10.0.0.0/24.',
    ]);
  });

  it('refuses a static address inside the dynamic DHCP range, unless the lab allows it', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.150');
    expect(errorsOf(lab)[0]).toMatch(/^testlab\/web: static IP address 10\.0\.0\.150 is inside the dynamic DHCP range 10\.0\.0\.100–10\.0\.0\.199\. Fix: .*allowStaticAddressesInDhcpRange/);

    const allowing = new Homelab({
      network: { cidr: '10.0.0.0/24', dhcpRange: { start: '10.0.0.100', end: '10.0.0.199' }, allowStaticAddressesInDhcpRange: true },
    });
    vmHost(allowing, 'web', '10.0.0.150');
    expect(errorsOf(allowing)).toEqual([]);
  });

  it('refuses a malformed and a multicast MAC address', () => {
    const { lab } = smallLab();
    vmHost(lab, 'a', '10.0.0.10', { macAddress: '02:00:00:00:01' });
    vmHost(lab, 'b', '10.0.0.11', { macAddress: '01:00:5e:00:00:01' });
    const errors = errorsOf(lab);
    expect(errors).toContain('testlab/a: MAC address "02:00:00:00:01" is malformed. Fix: write six pairs of hex digits separated by ":" (aa:bb:cc:dd:ee:ff).');
    expect(errors.join('\n')).toMatch(/testlab\/b: MAC address 01:00:5e:00:00:01 is a multicast address/);
  });

  it('derives a MAC for a VM and warns about bare metal without one', () => {
    const { lab } = smallLab();
    const vm = vmHost(lab, 'vm', '10.0.0.10');
    new Host(lab, 'metal', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd' }), ipAddress: '10.0.0.11' });
    expect(vm.macAddress).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(warningsOf(lab).join('\n')).toMatch(/testlab\/metal: metal is not a VM and has no macAddress.*Fix: set macAddress/);
  });

  it('checks the network itself: gateway, range order, range containing the gateway', () => {
    const lab = new Homelab({ network: { cidr: '10.0.0.0/24', gateway: '10.0.1.1', dhcpRange: { start: '10.0.0.200', end: '10.0.0.100' } } });
    const lab2 = new Homelab({ network: { cidr: '10.0.0.0/24', gateway: '10.0.0.150', dhcpRange: { start: '10.0.0.100', end: '10.0.0.199' } } });
    expect(errorsOf(lab)).toEqual([
      'homelab/network: DHCP range starts at 10.0.0.200, after its end 10.0.0.100. Fix: swap start and end.',
      'homelab/network: gateway 10.0.1.1 is not a usable address of 10.0.0.0/24. Fix: set gateway to the router\'s address inside 10.0.0.0/24.',
    ]);
    expect(errorsOf(lab2)).toEqual([
      'homelab/network: the DHCP range 10.0.0.100–10.0.0.199 contains the gateway 10.0.0.150. Fix: move the range so that it excludes the gateway.',
    ]);
  });
});

describe('a lab without hosts', () => {
  it('warns about an empty lab, whose outputs would all be empty', () => {
    const lab = new Homelab({ name: 'empty', network: { cidr: '10.0.0.0/24' } });
    expect(errorsOf(lab)).toEqual([]);
    expect(warningsOf(lab)).toEqual([
      "empty: the lab is empty: it declares nothing but its network, so every output would be empty. Fix: declare the lab's machines with new Host(lab, '<name>', { hardware, ipAddress }). [homelab-cdk:lab-without-hosts]",
    ]);
  });

  it('warns about a lab with users but no hosts, whose flake configures no machine', () => {
    const { lab } = smallLab();
    expect(warningsOf(lab)).toEqual([
      "testlab: the lab has no hosts, so the synthesized flake configures no machine. Fix: declare the lab's machines with new Host(lab, '<name>', { hardware, ipAddress }). [homelab-cdk:lab-without-hosts]",
    ]);
  });

  it('is fatal in strict mode', () => {
    const { lab } = smallLab();
    expect(validateLab(lab, { strict: true }).errors.map((f) => f.message)).toEqual([expect.stringContaining('[homelab-cdk:lab-without-hosts]')]);
  });
});

describe('the network', () => {
  it('refuses a CIDR with host bits set, naming the network address in the fix', () => {
    const { lab } = smallLab({ network: { cidr: '10.0.0.5/24', gateway: '10.0.0.1' } });
    vmHost(lab, 'web', '10.0.0.10');
    expect(errorsOf(lab)).toEqual(['testlab/network: the network 10.0.0.5/24 has host bits set: its network address is 10.0.0.0. Fix: write the network address, 10.0.0.0/24.']);
  });

  it('refuses a prefix written with a leading zero', () => {
    const { lab } = smallLab({ network: { cidr: '10.0.0.0/08', gateway: '10.0.0.1' } });
    vmHost(lab, 'web', '10.0.0.10');
    expect(errorsOf(lab)).toEqual(['testlab/network: the network 10.0.0.0/08 is not written as 10.0.0.0/8. Fix: write 10.0.0.0/8.']);
  });
});

describe('host settings', () => {
  it('refuses a garbage collection schedule that systemd-analyze calendar refuses, saying why', () => {
    const { lab } = smallLab();
    vmHost(lab, 'a', '10.0.0.10', { garbageCollection: { schedule: 'every other tuesday' } });
    vmHost(lab, 'b', '10.0.0.11', { garbageCollection: { schedule: 'Mon..Fri 25:99' } });
    vmHost(lab, 'c', '10.0.0.12', { garbageCollection: { schedule: 'Mon..Fri 02:00 Europe/Berlin' } });
    expect(errorsOf(lab)).toEqual([
      'testlab/a: garbage collection schedule "every other tuesday" is not a systemd calendar expression (it is neither a shorthand (daily, weekly, …) nor weekdays, a date or a time). Fix: use e.g. "weekly" or "Sun 03:00".',
      'testlab/b: garbage collection schedule "Mon..Fri 25:99" is not a systemd calendar expression (hour 25 is not within 0..23). Fix: use e.g. "weekly" or "Sun 03:00".',
    ]);
  });

  it('refuses host names that are not host names (which also keeps them safe as paths)', () => {
    const { lab } = smallLab();
    vmHost(lab, 'a', '10.0.0.10', { hostName: '../etc' });
    vmHost(lab, 'b', '10.0.0.11', { hostName: 'Web_1' });
    const errors = errorsOf(lab);
    expect(errors).toContain(
      'testlab/a: host name "../etc" is not a valid host name. Fix: use lower-case letters, digits and "-", at most 63 characters, not starting or ending with "-".',
    );
    expect(errors.join('\n')).toMatch(/testlab\/b: host name "Web_1" is not a valid host name/);
  });

  it('refuses malformed and duplicate host ids', () => {
    const { lab } = smallLab();
    vmHost(lab, 'a', '10.0.0.10', { hostId: 'DEADBEEF' });
    vmHost(lab, 'b', '10.0.0.11', { hostId: '8425e349' });
    vmHost(lab, 'c', '10.0.0.12', { hostId: '8425e349' });
    const errors = errorsOf(lab);
    expect(errors).toContain('testlab/a: hostId "DEADBEEF" is not eight lower-case hex digits. Fix: leave hostId out to derive one, or give e.g. "8425e349".');
    expect(errors).toContain(
      'testlab/b: hostId 8425e349 is also the hostId of testlab/c. Fix: give each host its own hostId (ZFS pools would be claimed by both).',
    );
    expect(errors).toContain(
      'testlab/c: hostId 8425e349 is also the hostId of testlab/b. Fix: give each host its own hostId (ZFS pools would be claimed by both).',
    );
  });

  it('refuses static addressing without an interface', () => {
    const { lab } = smallLab();
    new Host(lab, 'metal', {
      hardware: HardwareProfile.bareMetal({ cpuVendor: 'intel' }),
      ipAddress: '10.0.0.10',
      macAddress: 'dc:a6:32:00:00:01',
      addressing: Addressing.STATIC,
    });
    expect(errorsOf(lab)).toEqual(['testlab/metal: static addressing needs the name of the interface to configure. Fix: set interfaceName (see `ip link` on the host).']);
  });

  it('refuses two services on one port and protocol, naming both', () => {
    const { lab } = smallLab();
    const host = vmHost(lab, 'mon', '10.0.0.10');
    host.reservePort(host, { port: 9090, protocol: Protocol.TCP, description: 'Cockpit' });
    host.reservePort(lab, { port: 9090, protocol: Protocol.TCP, description: 'Prometheus' });
    host.reservePort(lab, { port: 9090, protocol: Protocol.UDP, description: 'something on UDP' });
    expect(errorsOf(lab)).toEqual([
      'testlab/mon: port 9090/tcp is used by both testlab/mon (Cockpit) and testlab (Prometheus). Fix: move one of them to another port.',
    ]);
  });

  it('refuses bad time zones, locales, state versions, packages and a missing hardware file', () => {
    const { lab } = smallLab();
    new Host(lab, 'h', {
      hardware: HardwareProfile.fromFile('/nonexistent/hardware-configuration.nix'),
      ipAddress: '10.0.0.10',
      macAddress: 'dc:a6:32:00:00:01',
      timeZone: 'Mars/Olympus',
      locale: 'english',
      stateVersion: '26.04',
      packages: ['htop', 'rm -rf /'],
    });
    const errors = errorsOf(lab).join('\n');
    expect(errors).toMatch(/time zone "Mars\/Olympus" is not an IANA time zone/);
    expect(errors).toMatch(/locale "english" is not a locale name/);
    expect(errors).toMatch(/stateVersion "26.04" is not a NixOS release/);
    expect(errors).toMatch(/package "rm -rf \/" is not a nixpkgs attribute path/);
    expect(errors).toMatch(/hardware file \/nonexistent\/hardware-configuration.nix does not exist\. Fix: point HardwareProfile.fromFile/);
  });
});

describe('lab settings', () => {
  it('refuses a flake input URL carrying a token, never echoing it', () => {
    const { lab } = smallLab({ nixos: { inputUrls: { nixpkgs: 'git+https://max:ghp_hunter2@github.com/max/nixpkgs?ref=mine' } } });
    vmHost(lab, 'web', '10.0.0.10');
    const errors = errorsOf(lab);
    expect(errors).toEqual([
      'testlab: flake input URL for nixpkgs carries a password (user:password@), which would be written into flake.nix and flake.lock. Fix: remove it from the URL and give Nix the credential where it reads it: access-tokens in nix.conf (access-tokens = github.com=…) or a netrc file (netrc-file).',
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });
});

describe('the Nix escape hatch', () => {
  it('refuses an integer beyond Nix\'s 64-bit range in addNixSettings, naming the option', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10').addNixSettings({ boot: { kernel: { sysctl: { 'kernel.shmmax': 1e19 } } } });
    expect(errorsOf(lab)).toEqual([
      'testlab/web: the value of boot.kernel.sysctl."kernel.shmmax" in addNixSettings: 10000000000000000000 is beyond Nix\'s 64-bit integers (at most 9223372036854775807 in magnitude), which Nix refuses as an invalid integer. Fix: give a whole number of at most 2^53 in magnitude, or a string if the option takes one.',
    ]);
  });

  it('refuses a huge whole-number float in addNixSettings', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10').addNixSettings({ nix: { settings: { 'max-free': 1e21 } } });
    expect(errorsOf(lab)).toEqual([expect.stringMatching(/^testlab\/web: the value of nix\.settings\.max-free in addNixSettings: 1e\+21 is beyond Nix's 64-bit integers/)]);
  });

  it('refuses a substituter URL with a password in addNixSettings, never echoing it', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10').addNixSettings({ nix: { settings: { substituters: ['https://cache.nixos.org', 'https://max:hunter2@cache.lab.example'] } } });
    const errors = errorsOf(lab);
    expect(errors).toEqual([expect.stringMatching(/^testlab\/web: the value of nix\.settings\.substituters\[1\] in addNixSettings carries a URL with a password, which would be copied into the world-readable Nix store\. Fix:/)]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });
});

describe('users', () => {
  it('refuses malformed SSH keys, invalid names and root', () => {
    const { lab } = smallLab();
    new User(lab, 'bad', { userName: 'Bad User', sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1QFYlN+n1fxJxVnzJXKcWIXG'] });
    new User(lab, 'root');
    const errors = errorsOf(lab).join('\n');
    expect(errors).toMatch(/testlab\/bad: user name "Bad User" is not a valid Linux user name\. Fix:/);
    expect(errors).toMatch(/testlab\/bad: SSH key 1 of Bad User: not an SSH public key .*Fix: paste the one-line contents of the public key file/);
    expect(errors).toMatch(/testlab\/root: the user "root" cannot be declared\. Fix:/);
  });

  it('refuses a private key pasted as a public key', () => {
    const { lab } = smallLab();
    new User(lab, 'oops', { sshKeys: ['-----BEGIN OPENSSH PRIVATE KEY-----'] });
    expect(errorsOf(lab).join('\n')).toMatch(/this is a private key; give the public key/);
  });

  it('refuses a password given as a literal instead of a secret reference', () => {
    const { lab } = smallLab();
    new User(lab, 'literal', { sshKeys: [TEST_KEY], hashedPasswordFile: '$6$salt$hash' as unknown as Secret });
    expect(errorsOf(lab).join('\n')).toMatch(/hashedPasswordFile is a literal string, not a secret reference/);
  });

  it('warns about a sudo user without SSH keys on a host that takes keys only', () => {
    const { lab } = smallLab();
    new User(lab, 'ops', { sudo: true, hashedPasswordFile: Secret.fromFile('/var/lib/secrets/ops.hash') });
    vmHost(lab, 'web', '10.0.0.10');
    vmHost(lab, 'legacy', '10.0.0.11', { ssh: { passwordAuthentication: true } });
    expect(warningsOf(lab).filter((w) => !w.includes('password logins are enabled'))).toEqual([
      "testlab/web: ops may use sudo but has no SSH key, and web takes SSH keys only: ops can log in to it only at its console. Fix: add a public key to ops's sshKeys, or allow password logins on web (ssh.passwordAuthentication: true). [homelab-cdk:sudo-user-without-ssh-key]",
    ]);
  });

  it('warns about a wheel member without SSH keys too, but not about one with a key', () => {
    const { lab } = smallLab();
    new User(lab, 'wheely', { groups: ['wheel'], hashedPasswordFile: Secret.fromFile('/var/lib/secrets/wheely.hash') });
    new User(lab, 'keyed', { sudo: true, sshKeys: [TEST_KEY], hashedPasswordFile: Secret.fromFile('/var/lib/secrets/keyed.hash') });
    vmHost(lab, 'web', '10.0.0.10');
    expect(warningsOf(lab)).toEqual([expect.stringMatching(/^testlab\/web: wheely may use sudo but has no SSH key.*\[homelab-cdk:sudo-user-without-ssh-key\]$/)]);
  });

  it('warns about a user who cannot log in', () => {
    const { lab } = smallLab();
    new User(lab, 'nobody2');
    expect(warningsOf(lab).join('\n')).toMatch(/testlab\/nobody2: nobody2 has neither SSH keys nor a password/);
  });
});

describe('the report', () => {
  it('lists every error of the tree at once, sorted by path', () => {
    const { lab } = smallLab();
    vmHost(lab, 'zeta', '10.0.1.1');
    vmHost(lab, 'alpha', '10.0.0.150', { hostName: 'ALPHA' });
    new User(lab, 'root');
    const paths = validateLab(lab).errors.map((e) => e.path);
    expect(paths).toEqual(['testlab/alpha', 'testlab/alpha', 'testlab/root', 'testlab/zeta']);
    expect(validateLab(lab).errors.every((e) => e.message.includes('. Fix: '))).toBe(true);
  });

  it('turns warnings into errors in strict mode', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10');
    new User(lab, 'nobody2');
    expect(validateLab(lab, { strict: true }).errors.map((e) => e.path)).toEqual(['testlab/nobody2']);
  });
});

describe('acknowledged warnings', () => {
  it('are reported with their id, and once acknowledged on a scope, neither reported nor fatal in strict mode', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10');
    new User(lab, 'nobody2');
    expect(warningsOf(lab)).toEqual([
      'testlab/nobody2: nobody2 has neither SSH keys nor a password and cannot log in. Fix: add sshKeys (or a hashedPasswordFile for console logins). [homelab-cdk:user-cannot-log-in]',
    ]);
    Annotations.of(lab).acknowledgeWarning('homelab-cdk:user-cannot-log-in', 'nobody2 is a service account');
    const report = validateLab(lab, { strict: true });
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.acknowledged!.map((f) => f.path)).toEqual(['testlab/nobody2']);
  });

  it('only on the scope that acknowledged them', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10');
    const a = new User(lab, 'a1');
    new User(lab, 'b1');
    Annotations.of(a).acknowledgeWarning('homelab-cdk:user-cannot-log-in', 'a1 is a service account');
    expect(validateLab(lab).warnings.map((f) => f.path)).toEqual(['testlab/b1']);
  });
});
