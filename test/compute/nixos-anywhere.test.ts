import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Testing } from 'cdktf';
import { BootSource, buildTerraformStacks, HardwareProfile, ImageKind, NIXOS_ANYWHERE_MODULE_SOURCE, ProxmoxVm, Size, User } from '../../lib/internal';
import { buildReferenceLab } from '../../apps/reference-lab';
import { ReferenceLab } from '../../apps/reference-lab';
import { synthesizeReferenceLab } from '../support/reference';
import { errorsOf, only, proxmoxLab, ProxmoxTestLab } from '../support/compute';
import { evalModule } from '../support/nix';
import { tempDir, vmHost } from '../support/labs';
import { MODULE_FACTS, nixosAnywhereModuleProblems } from '../support/tf-modules';

let ref: ReferenceLab;
let outdir: string;
let stack: any;

beforeAll(() => {
  const synth = synthesizeReferenceLab();
  ref = synth.ref;
  outdir = synth.result.outdir;
  stack = JSON.parse(fs.readFileSync(path.join(outdir, 'terraform/prod/cdk.tf.json'), 'utf8'));
});

describe('the NixOS VMs of the reference lab', () => {
  it('are installed by a nixos-anywhere all-in-one module each, whose blocks match the module\'s variables at the pinned release', () => {
    expect(Object.keys(stack.module).sort()).toEqual(['k3s_node1_install', 'k3s_node2_install', 'k3s_node3_install']);
    expect(NIXOS_ANYWHERE_MODULE_SOURCE).toBe(`github.com/nix-community/nixos-anywhere//terraform/all-in-one?ref=${MODULE_FACTS.x_source.tag}`);
    expect(nixosAnywhereModuleProblems(stack)).toEqual([]);
  });

  it('the module check finds an unknown variable, a missing required one and another ref', () => {
    const broken = structuredClone(stack);
    const block = broken.module.k3s_node1_install;
    block.extra_files = 'x';
    delete block.target_host;
    block.source = block.source.replace('ref=1.13.0', 'ref=1.12.0');
    expect(nixosAnywhereModuleProblems(broken)).toEqual([
      'module.k3s_node1_install.source: pins 1.12.0, but the facts describe tag 1.13.0',
      'module.k3s_node1_install.extra_files: not a variable of terraform/all-in-one',
      'module.k3s_node1_install.target_host: the required variable is missing',
    ]);
  });

  it('boot no installer ISO: each first boots the pinned cloud image, reachable over SSH with the admin\'s key at its Host\'s address', () => {
    const vms = stack.resource.proxmox_virtual_environment_vm;
    for (const vm of ref.compute.vms.k3sNodes) {
      const resource = vms[vm.vmName.replace(/-/g, '_')];
      expect(resource.cdrom, vm.vmName).toBeUndefined();
      const download = resource.disk[0].import_from.match(/^\$\{proxmox_download_file\.(\w+)\.id\}$/)[1];
      expect(stack.resource.proxmox_download_file[download]).toMatchObject({ content_type: 'import', checksum_algorithm: 'sha512' });
      expect(resource.initialization.user_account).toEqual({ username: ref.max.userName, keys: [...ref.max.sshKeys] });
      expect(resource.initialization.ip_config[0].ipv4.address).toBe(`${vm.guest!.ipAddress}/24`);
    }
  });

  it('each install targets its VM\'s address as the cloud-init user, is tied to the VM\'s id, and names the guest\'s own configuration and disko script', () => {
    for (const vm of ref.compute.vms.k3sNodes) {
      const name = vm.vmName.replace(/-/g, '_');
      const host = vm.guest!.hostName;
      const block = stack.module[`${name}_install`];
      expect(block.target_host).toBe(vm.guest!.ipAddress);
      expect(block.target_user).toBe('max');
      expect(block.instance_id).toBe(`\${proxmox_virtual_environment_vm.${name}.id}`);
      const flake = 'path:${abspath("${path.root}/../../../dist/nix")}';
      expect(block.nixos_system_attr).toBe(`${flake}#nixosConfigurations.${host}.config.system.build.toplevel`);
      expect(block.nixos_partitioner_attr).toBe(`${flake}#nixosConfigurations.${host}.config.system.build.diskoScript`);
      expect(fs.readFileSync(path.join(outdir, 'nix/flake.nix'), 'utf8')).toMatch(new RegExp(`${host} = nixpkgs\\.lib\\.nixosSystem \\{[^}]*inputs\\.disko\\.nixosModules\\.disko`));
      expect(block.extra_environment).toEqual({
        HOMELAB_HOST_KEY: `\${abspath("\${path.root}/../../../secrets/host-keys/${host}/ssh_host_ed25519_key")}`,
        HOMELAB_INSTALL_TARGET: vm.guest!.ipAddress,
      });
      expect(block.extra_files_script).toBe('${abspath("${path.root}/../../../dist/nix/scripts/install-host-key.sh")}');
    }
    // The stack's folder is three levels below the project, as its state path says.
    expect(stack.terraform.backend.local.path).toBe('../../../terraform.prod.tfstate');
  });

  it('each guest\'s disko layout makes the disk its hardware module boots: GRUB\'s disk, with the root file system labelled as it is mounted', () => {
    for (const vm of ref.compute.vms.k3sNodes) {
      const dir = path.join(outdir, 'nix/hosts', vm.guest!.hostName);
      const hardware = evalModule(path.join(dir, 'hardware.nix'));
      const layout = evalModule(path.join(dir, 'nixos-anywhere.nix')).disko;
      // disko's module.nix: fileSystems and boot come from the layout only with enableConfig.
      expect(layout.enableConfig).toBe(false);
      const disk = layout.devices.disk.main;
      expect(disk.device).toBe(hardware.boot.loader.grub.device);
      expect(disk.content.partitions.bios).toMatchObject({ size: '1M', type: 'EF02' });
      const root = disk.content.partitions.root.content;
      expect(root).toMatchObject({ type: 'filesystem', mountpoint: '/', format: hardware.fileSystems['/'].fsType });
      expect(`/dev/disk/by-label/${root.extraArgs[root.extraArgs.indexOf('-L') + 1]}`).toBe(hardware.fileSystems['/'].device);
    }
  });

  // terraform/nixos-rebuild/deploy.sh (1.13.0) copies later systems with `nix copy --to
  // ssh://<target_user>@<host>`; the daemon takes unsigned paths only from trusted users.
  it('trusts the user that the module deploys later systems as, besides root', () => {
    for (const vm of ref.compute.vms.k3sNodes) {
      const module = evalModule(path.join(outdir, 'nix/hosts', vm.guest!.hostName, 'nixos-anywhere.nix'));
      expect(module.nix.settings['trusted-users']).toEqual(['root', stack.module[`${vm.vmName.replace(/-/g, '_')}_install`].target_user]);
    }
  });
});

describe('the install module as an escape hatch', () => {
  it('is the stack\'s module call of the VM, whose variables can be set', () => {
    const { lab, compute } = buildReferenceLab();
    const [stack] = buildTerraformStacks(lab, Testing.app());
    const vm = compute.vms.k3sNodes[1];
    stack.installModules.get(vm)!.set('debug_logging', true);
    const doc = JSON.parse(Testing.synth(stack));
    expect(doc.module.k3s_node2_install.debug_logging).toBe(true);
    expect(nixosAnywhereModuleProblems(doc)).toEqual([]);
    expect([...stack.installModules.keys()]).toEqual([...compute.vms.k3sNodes]);
  });
});

describe('the extra-files script', () => {
  const script = () => path.join(outdir, 'nix/scripts/install-host-key.sh');

  it('passes shellcheck and is executable', () => {
    execFileSync('shellcheck', [script()]);
    expect(fs.statSync(script()).mode & 0o111).not.toBe(0);
  });

  it('waits for the target\'s sshd, then puts the host key where sshd and sops-nix read it, private to root', async () => {
    const keyDir = tempDir('host-key-');
    fs.writeFileSync(path.join(keyDir, 'ssh_host_ed25519_key'), 'PRIVATE\n', { mode: 0o600 });
    fs.writeFileSync(path.join(keyDir, 'ssh_host_ed25519_key.pub'), 'ssh-ed25519 AAAA test\n');
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const root = tempDir('extra-files-');
    const run = await new Promise<{ status: number | null }>((resolve) => {
      const child = spawn('bash', [script()], {
        cwd: root,
        env: { PATH: process.env.PATH, HOMELAB_HOST_KEY: path.join(keyDir, 'ssh_host_ed25519_key'), HOMELAB_INSTALL_TARGET: '127.0.0.1', HOMELAB_INSTALL_PORT: String(port) },
      });
      child.on('exit', (status: number | null) => resolve({ status }));
    });
    server.close();
    expect(run.status).toBe(0);
    expect(fs.readFileSync(path.join(root, 'etc/ssh/ssh_host_ed25519_key'), 'utf8')).toBe('PRIVATE\n');
    expect(fs.statSync(path.join(root, 'etc/ssh/ssh_host_ed25519_key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(root, 'etc/ssh/ssh_host_ed25519_key.pub')).mode & 0o777).toBe(0o644);
  });

  it('stops with the command to run when the host key is missing', () => {
    const root = tempDir('extra-files-');
    const run = spawnSync('bash', [script()], { cwd: root, env: { PATH: process.env.PATH, HOMELAB_HOST_KEY: '/nonexistent/key', HOMELAB_INSTALL_TARGET: '127.0.0.1' }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no host key at /nonexistent/key; run homelab secrets init first');
    expect(fs.existsSync(path.join(root, 'etc'))).toBe(false);
  });
});

describe('BootSource.nixosAnywhere', () => {
  type VmProps = Partial<ConstructorParameters<typeof ProxmoxVm>[2]>;
  const setup = (host: Parameters<typeof vmHost>[3] = {}, vm: VmProps | ((t: ProxmoxTestLab) => VmProps) = {}): ProxmoxTestLab => {
    const t = proxmoxLab();
    const image = t.local.addImage('debian', { kind: ImageKind.DISK_IMAGE, url: 'https://example.org/debian-13.qcow2' });
    new ProxmoxVm(t.lab, 'node1-vm', {
      hypervisor: t.proxmox,
      vmid: 201,
      guest: vmHost(t.lab, 'node1', '10.0.0.21', host),
      memory: Size.mebibytes(2048),
      disks: [{ storage: t.tank, size: Size.gibibytes(16) }],
      boot: BootSource.nixosAnywhere(image),
      cloudInit: { user: t.admin },
      ...(typeof vm === 'function' ? vm(t) : vm),
    });
    return t;
  };

  it('accepts a NixOS VM with the admin as cloud-init user and enough memory', () => {
    expect(errorsOf(setup().lab)).toEqual([]);
  });

  it('refuses a VM without a cloud-init user to log in as', () => {
    expect(only(errorsOf(setup({}, { cloudInit: undefined }).lab), /nixos-anywhere logs in/)).toBe(
      'testlab/node1-vm: nixos-anywhere logs in to the cloud image over SSH as the account cloud-init creates, and the VM sets up none. Fix: give cloudInit: { user } with a lab user that has SSH keys and sudo (the admin).',
    );
  });

  it('refuses a cloud-init user without sudo', () => {
    const t = proxmoxLab();
    const guestUser = new User(t.lab, 'guest', { sshKeys: [...t.admin.sshKeys] });
    const image = t.local.addImage('debian', { kind: ImageKind.DISK_IMAGE, url: 'https://example.org/debian-13.qcow2' });
    new ProxmoxVm(t.lab, 'node1-vm', { hypervisor: t.proxmox, vmid: 201, guest: vmHost(t.lab, 'node1', '10.0.0.21'), memory: Size.mebibytes(2048), disks: [{ storage: t.tank, size: Size.gibibytes(16) }], boot: BootSource.nixosAnywhere(image), cloudInit: { user: guestUser } });
    expect(only(errorsOf(t.lab), /sudo/)).toMatch(/^testlab\/node1-vm: cloud-init user guest has no passwordless sudo on node1.*Fix: give guest sudo: true/);
  });

  it('refuses less memory than the kexec installer needs', () => {
    expect(only(errorsOf(setup({}, { memory: Size.mebibytes(1024) }).lab), /kexec/)).toBe(
      "testlab/node1-vm: the VM has 1 GiB of memory, and nixos-anywhere's kexec installer needs at least 1.5 GiB (its requirements). Fix: give the VM at least 1536 MiB, or install it another way (BootSource.iso).",
    );
  });

  it('refuses a guest whose root is not mounted by label, which no disko layout can match', () => {
    const errors = errorsOf(setup({ hardware: HardwareProfile.qemuGuest({ rootFileSystem: { device: '/dev/disk/by-uuid/1234', fsType: 'ext4' } }) }).lab);
    expect(only(errors, /disko layout/)).toMatch(/^testlab\/node1-vm: node1's root file system is not an ext4, xfs or btrfs file system mounted by label/);
  });

  it('refuses a first disk the guest does not see at its GRUB disk', () => {
    const errors = errorsOf(setup({}, (t) => ({ disks: [{ storage: t.tank, size: Size.gibibytes(16), interface: 'virtio0' }] })).lab);
    expect(only(errors, /GRUB/)).toMatch(/installs GRUB to \/dev\/sda, but the VM's first disk is virtio0/);
  });

  it('refuses a VM without a guest to install', () => {
    const t = proxmoxLab();
    const image = t.local.addImage('debian', { kind: ImageKind.DISK_IMAGE, url: 'https://example.org/debian-13.qcow2' });
    new ProxmoxVm(t.lab, 'web', { hypervisor: t.proxmox, vmid: 110, disks: [{ storage: t.tank, size: Size.gibibytes(16) }], boot: BootSource.nixosAnywhere(image), cloudInit: { user: t.admin } });
    expect(only(errorsOf(t.lab), /nixosAnywhere/)).toMatch(/^testlab\/web: BootSource.nixosAnywhere installs the VM's NixOS guest, and the VM has none/);
  });
});
