/**
 * The first deploy of a lab, step by step, derived from the model: what stays manual (the
 * router's DHCP, firmware settings, accounts), then the network anchor (the host that serves DHCP
 * and DNS), the hosts it wakes, the hypervisors and their pools, the VMs, the NixOS guests, the
 * k3s cluster (its first server, then the others), the manifests. Each step carries the exact
 * commands and what to check afterwards. The order is a topological order of the dependencies
 * the model states (a VM needs its hypervisor, a guest its VM, an agent its server, a woken host
 * its waker), so a lab without a Pi or without a cluster gets its own, shorter runbook.
 * `homelab runbook` prints it as Markdown.
 */
import { K3sCluster } from '../cluster/k3s-cluster';
import { K3sNode, K3sRole } from '../cluster/k3s-node';
import { ProxmoxHost } from '../compute/proxmox-host';
import { ProxmoxStack } from '../compute/proxmox-stack';
import { StorageDeclaration } from '../compute/proxmox-storage';
import { ProxmoxVm } from '../compute/proxmox-vm';
import { Homelab } from '../core/homelab';
import { byText } from '../core/order';
import { HardwareKind } from '../hosts/hardware-profile';
import { Host } from '../hosts/host';
import { Dnsmasq } from '../network/dnsmasq';
import { WakeOnLan } from '../network/wake-on-lan';
import { BackupRemoteKind } from '../operations/backup-remote';
import { OffsiteBackup } from '../operations/offsite-backup';
import { VmBackupJob } from '../operations/vm-backup-job';
import { ZfsPool } from '../storage/zfs-pool';
import { ZfsSettings } from '../storage/zfs-settings';
import { NIXOS_ANYWHERE_RELEASE } from '../compute/nixos-anywhere';
import { hostKeyFile, HOST_KEY_PATH_ON_HOST } from '../core/host-key';
import { sdImagePackageName, terraformName } from '../core/names';
import { nixSopsSecretUses } from '../nix/nix-projection';

/** One step of the first deploy. */
export interface RunbookStep {
  /** A stable key (`host:maxdata`, `stack:prod`, `manual:router-dhcp`). */
  readonly key: string;
  /** What the step does, in a few words. */
  readonly title: string;
  /** Done by hand (firmware, accounts, the router): no command does it. */
  readonly manual: boolean;
  /** The commands to run, in order (empty for a manual step). */
  readonly commands: readonly string[];
  /** What to check afterwards, as commands with what they must show. */
  readonly checks: readonly string[];
  /** The keys of the steps that must be done first. */
  readonly after: readonly string[];
}

/** The steps of a lab's first deploy, in an order that respects every `after`. */
export function labRunbook(lab: Homelab): RunbookStep[] {
  const all = lab.node.findAll();
  const domain = lab.domain;
  const steps: RunbookStep[] = [];
  const add = (step: RunbookStep) => steps.push(step);

  const dnsmasqs = all.filter(Dnsmasq.isDnsmasq);
  const wakes = all.filter(WakeOnLan.isWakeOnLan);
  const hypervisors = all.filter(ProxmoxHost.isProxmoxHost);
  const vms = all.filter(ProxmoxVm.isProxmoxVm).sort((a, b) => a.vmid - b.vmid);
  const stacks = ProxmoxStack.all(lab);
  const clusters = K3sCluster.all(lab);
  const anchors = new Set(dnsmasqs.map((d) => d.host));
  const guestVm = new Map<Host, ProxmoxVm>(vms.filter((vm) => vm.guest).map((vm) => [vm.guest!, vm]));
  const hostKey = (h: Host) => `host:${h.hostName}`;
  const anchorKeys = [...anchors].map(hostKey);

  // Manual steps first: what no command of this library can do.
  if (dnsmasqs.some((d) => d.authoritative)) {
    add(manual('router-dhcp', `Turn the router's DHCP server off: ${[...anchors].map((h) => h.hostName).join(', ')} serves DHCP (dnsmasq, authoritative)`, []));
  }
  for (const target of [...new Set(wakes.map((w) => w.target))]) {
    add(manual(`wake-firmware:${target.hostName}`, `Enable Wake-on-LAN in ${target.hostName}'s firmware (BIOS/UEFI: "Wake on LAN", "Power on by PCI-E"; ErP/deep sleep off)`, []));
  }
  const sftpRemotes = new Map(all.filter(OffsiteBackup.isOffsiteBackup).filter((b) => b.remote.kind === BackupRemoteKind.SFTP).map((b) => [b.remote.toString(), b]));
  for (const [remote, backup] of sftpRemotes) {
    add(manual(`backup-account:${remote}`, `Create the backup account ${remote} and allow ${backup.host.hostName}'s key there`, []));
  }
  for (const vm of vms.filter((v) => v.bios === 'ovmf' && !v.guest)) {
    add(manual(`installer:${vm.vmName}`, `Have the installation medium of ${vm.vmName} ready (e.g. the Windows ISO on a storage of ${vm.hypervisor.host.hostName})`, []));
  }
  if (stacks.length > 0) {
    // POST /storage needs Datastore.Allocate on /storage, POST /cluster/backup Sys.Modify on /
    // (PVE::API2::Storage::Config, PVE::API2::Backup): see lib/terraform/proxmox-host-objects.ts.
    const hostObjects = hypervisors.some((p) => p.storages.some((s) => s.declaredBy === StorageDeclaration.TERRAFORM) || VmBackupJob.of(p).length > 0);
    add(
      manual('proxmox-token', 'Create a Proxmox API token (Datacenter → Permissions → API Tokens) and export it for Terraform', [
        ...(hostObjects ? ["# the stacks declare storages and backup jobs: the token needs Datastore.Allocate on /storage and Sys.Modify on / (root@pam's, without privilege separation, has them)"] : []),
        "export PROXMOX_VE_API_TOKEN='root@pam!homelab=…'",
      ]),
    );
  }
  const manualKeys = steps.map((s) => s.key);

  // The secrets before any host: each host is installed with its SSH host key, and its flake
  // evaluates only with the sops files it reads (lib/synth/secrets.ts).
  const secretFiles = [...new Set(nixSopsSecretUses(lab).map((u) => u.secret.sops!.sopsFile))].sort();
  const secretsKeys = secretFiles.length > 0 ? ['secrets'] : [];
  if (secretFiles.length > 0) {
    add({
      key: 'secrets',
      title: "Make the lab's secrets: a host key per host, .sops.yaml and the sops files",
      manual: false,
      commands: ['npx homelab secrets init   # lists the values only you can supply', 'sops secrets/<name>.yaml   # for each of them; then commit .sops.yaml and secrets/*.yaml (not secrets/host-keys/)', 'npx homelab synth'],
      checks: [`ls ${secretFiles.join(' ')}   # all there`, 'npx homelab synth   # no "never initialised" or "placeholder" warning'],
      after: manualKeys.filter((k) => k.startsWith('manual:backup-account:')),
    });
  }

  // NixOS hosts that are not VMs: installed from an installer (or an SD image for a Pi).
  for (const host of Host.all(lab).filter((h) => !guestVm.has(h))) {
    const proxmox = hypervisors.find((p) => p.host === host);
    const pools = ZfsPool.onHost(host);
    const wakers = wakes.filter((w) => w.target === host);
    const commands: string[] = [];
    if (host.hardware.kind === HardwareKind.RASPBERRY_PI_4) {
      commands.push(...sdCardCommands(host));
    } else if (installsWithNixosAnywhere(host)) {
      commands.push(...nixosAnywhereCommands(host));
    } else {
      commands.push(`# boot the NixOS installer on ${host.hostName}; there, with dist/nix copied to ./nix:`);
      if (pools.length > 0) {
        commands.push(`sudo bash nix/scripts/create-pools-${host.hostName}.sh                      # prints what it would do`, `sudo bash nix/scripts/create-pools-${host.hostName}.sh --yes-destroy-data`);
      }
      if (secretsKeys.length > 0) {
        commands.push(`sudo install -D -m 0600 ${hostKeyFile(host.hostName)} /mnt${HOST_KEY_PATH_ON_HOST}   # its host key, copied from your machine`);
      }
      commands.push(`sudo nixos-install --flake ./nix#${host.hostName}`);
    }
    commands.push(`nixos-rebuild switch --flake dist/nix#${host.hostName} --target-host root@${host.ipAddress}   # every later change, from your machine`);
    const checks: string[] = [`ssh ${host.ipAddress} hostname   # ${host.hostName}`];
    if (host.hardware.kind === HardwareKind.RASPBERRY_PI_4 || installsWithNixosAnywhere(host)) {
      checks.push(hostKeyCheck(host));
    }
    if (anchors.has(host)) {
      checks.push(`dig +short @${host.ipAddress} ${host.hostName}.${domain}   # ${host.ipAddress}`);
    }
    if (wakers.length > 0) {
      checks.push(`systemctl status wake-on-lan-arm   # on ${host.hostName}: active (exited), "Wake-on: g"`);
    }
    if (proxmox) {
      // The storages Terraform declares come with the stack's first apply.
      const onHost = proxmox.storages.filter((s) => s.declaredBy !== StorageDeclaration.TERRAFORM);
      checks.push(`pvesh get /version   # on ${host.hostName}: Proxmox VE answers`, `pvesm status   # on ${host.hostName}: ${onHost.map((s) => s.storageId).join(', ')} active`);
    }
    for (const pool of pools) {
      checks.push(`zpool status ${pool.poolName}   # ONLINE, after a reboot too`);
    }
    const after = [...manualKeys.filter((k) => k === 'manual:router-dhcp' || k === `manual:wake-firmware:${host.hostName}`), ...secretsKeys];
    if (!anchors.has(host)) {
      after.push(...anchorKeys);
    }
    after.push(...wakers.map((w) => hostKey(w.host)));
    add({ key: hostKey(host), title: `Install ${host.hostName}${describe(host, anchors, proxmox)}`, manual: false, commands, checks, after: unique(after) });
  }

  // The VMs, one stack at a time, after the hypervisor whose API the stack talks to.
  for (const stack of stacks) {
    const own = vms.filter((vm) => stackOf(vm, stacks) === stack);
    const nodes = [...new Set(own.map((vm) => vm.hypervisor.host))];
    add({
      key: `stack:${stack.stackName}`,
      title: `Create the VMs of the stack ${stack.stackName} (${own.map((vm) => `${vm.vmid} ${vm.vmName}`).join(', ')})`,
      manual: false,
      commands: [`CHECKPOINT_DISABLE=1 npx cdktf diff ${stack.stackName}`, `CHECKPOINT_DISABLE=1 npx cdktf deploy ${stack.stackName}   # or terraform -chdir=dist/terraform/${stack.stackName} init && plan && apply`],
      checks: [
        ...nodes.map((n) => `qm list   # on ${n.hostName}: ${own.filter((vm) => vm.hypervisor.host === n).map((vm) => vm.vmid).join(', ')}`),
        ...nodes.flatMap((n) => {
          const proxmox = hypervisors.find((p) => p.host === n);
          const storages = proxmox?.storages.filter((s) => s.declaredBy === StorageDeclaration.TERRAFORM) ?? [];
          const jobs = proxmox ? VmBackupJob.of(proxmox) : [];
          return [
            ...(storages.length > 0 ? [`pvesm status   # on ${n.hostName}: ${storages.map((s) => s.storageId).join(', ')} active too`] : []),
            ...(jobs.length > 0 ? [`pvesh get /cluster/backup   # ${jobs.map((j) => j.jobName).join(', ')} (Datacenter → Backup)`] : []),
          ];
        }),
      ],
      after: unique([...nodes.map(hostKey), ...manualKeys.filter((k) => k === 'manual:proxmox-token' || k.startsWith('manual:installer:'))]),
    });
  }

  // NixOS guests: installed into their VMs once the VMs exist (by the stack itself, with nixos-anywhere).
  for (const [guest, vm] of [...guestVm].sort(byText(([h]) => h.hostName))) {
    const stack = stackOf(vm, stacks);
    const automatic = vm.boot.details.nixosAnywhere !== undefined;
    add({
      key: hostKey(guest),
      title: automatic ? `${guest.hostName} comes up in VM ${vm.vmid} on ${vm.hypervisor.host.hostName}, installed by the stack` : `Install ${guest.hostName} in VM ${vm.vmid} on ${vm.hypervisor.host.hostName}`,
      manual: false,
      commands: automatic
        ? [`# nothing to run: the stack's module ${terraformName(`${vm.vmName}_install`)} (nixos-anywhere) installed it over the cloud image, with its host key`]
        : [
            `# on VM ${vm.vmid}'s console (it boots the NixOS installer), with dist/nix copied to ./nix:`,
            ...(secretsKeys.length > 0 ? [`sudo install -D -m 0600 ${hostKeyFile(guest.hostName)} /mnt${HOST_KEY_PATH_ON_HOST}   # its host key, copied from your machine`] : []),
            `sudo nixos-install --flake ./nix#${guest.hostName}`,
            `nixos-rebuild switch --flake dist/nix#${guest.hostName} --target-host root@${guest.ipAddress}   # every later change`,
          ],
      checks: [`ssh ${guest.ipAddress} hostname   # ${guest.hostName}`, ...(automatic ? [hostKeyCheck(guest)] : [])],
      after: unique([stack ? `stack:${stack.stackName}` : hostKey(vm.hypervisor.host), ...anchorKeys, ...secretsKeys]),
    });
  }

  // The cluster: the server that initializes it, then the other servers, then the agents.
  for (const cluster of clusters) {
    const primary = cluster.primaryServer;
    const nodeKey = (n: K3sNode) => `k3s:${n.nodeName}`;
    for (const node of cluster.nodes) {
      const joins = node === primary ? [] : primary ? [nodeKey(primary)] : [];
      const servers = node.role === K3sRole.AGENT ? cluster.servers.map(nodeKey) : joins;
      add({
        key: nodeKey(node),
        title: node === primary ? `Start the k3s cluster on ${node.nodeName} (it initializes the cluster)` : `Join ${node.nodeName} to the cluster as ${node.role}`,
        manual: false,
        commands: [`# k3s starts with ${node.nodeName}'s configuration; on ${node.nodeName}:`, 'systemctl status k3s   # active (running)'],
        checks: [`sudo k3s kubectl get nodes   # on ${primary?.nodeName ?? node.nodeName}: ${node.nodeName} Ready`],
        after: unique([hostKey(node.host), ...servers.filter((k) => k !== nodeKey(node))]),
      });
    }
    if (cluster.nodes.length > 0) {
      add({
        key: `k8s:${cluster.node.id}`,
        title: 'Apply the Kubernetes manifests',
        manual: false,
        commands: [
          `scp root@${primary?.nodeIp}:${cluster.kubeconfigPath} ~/.kube/config && sed -i 's#https://127.0.0.1:6443#${cluster.apiServerUrl}#' ~/.kube/config`,
          'kubectl diff -f dist/k8s/',
          'kubectl apply -f dist/k8s/',
        ],
        checks: ['kubectl get pods -A   # every pod Running'],
        after: cluster.nodes.map(nodeKey),
      });
    }
  }
  return orderSteps(steps);
}

/** The runbook as Markdown: numbered steps, each with its commands and checks. */
export function formatRunbook(lab: Homelab, steps: readonly RunbookStep[]): string {
  const lines = [`# First deploy of ${lab.name}`, '', 'Generated from the model by `homelab runbook`; each step needs the ones before it.', ''];
  steps.forEach((step, i) => {
    lines.push(`${i + 1}. ${step.manual ? '(by hand) ' : ''}${step.title}`);
    if (step.commands.length > 0) {
      lines.push('', '   ```sh', ...step.commands.map((c) => `   ${c}`), '   ```');
    }
    if (step.checks.length > 0) {
      lines.push('', '   Check:', '', '   ```sh', ...step.checks.map((c) => `   ${c}`), '   ```');
    }
    lines.push('');
  });
  return lines.join('\n');
}

/** Steps in dependency order; among steps that are ready, the order they were listed in. */
function orderSteps(steps: readonly RunbookStep[]): RunbookStep[] {
  const keys = new Set(steps.map((s) => s.key));
  const done = new Set<string>();
  const out: RunbookStep[] = [];
  const pending = [...steps];
  while (pending.length > 0) {
    const i = pending.findIndex((s) => s.after.every((k) => done.has(k) || !keys.has(k)));
    // A cycle cannot come from the model's dependencies; should one appear, keep the list order.
    const [next] = pending.splice(i < 0 ? 0 : i, 1);
    out.push(next);
    done.add(next.key);
  }
  return out;
}

/** The SD card of a Pi: the flake's image, with the host key put on the card before it boots. */
function sdCardCommands(host: Host): string[] {
  return [
    `# on an aarch64-linux machine (or one with an aarch64 builder): the image of ${host.hostName}'s own configuration`,
    `nix build path:dist/nix#packages.${host.system}.${sdImagePackageName(host.hostName)}`,
    'zstdcat result/sd-image/*.img.zst | sudo dd of=/dev/<sd-card> bs=4M conv=fsync status=progress',
    '# its host key, before the first boot (sops-nix decrypts with it on that boot):',
    'sudo mount /dev/<sd-card>2 /mnt   # the root partition, labelled NIXOS_SD',
    `sudo install -D -m 0600 ${hostKeyFile(host.hostName)} /mnt/etc/ssh/ssh_host_ed25519_key && sudo umount /mnt`,
    `# boot ${host.hostName} from the card`,
  ];
}

/**
 * A bare-metal host whose disks disko lays out whole (its root on a pool, no file system the
 * hardware profile mounts by label) is installed with nixos-anywhere from the user's machine.
 */
function installsWithNixosAnywhere(host: Host): boolean {
  return host.hardware.kind === HardwareKind.BARE_METAL && host.hardware.details.rootFileSystem === undefined && ZfsPool.onHost(host).length > 0 && ZfsSettings.resolve(host).disko;
}

/**
 * nixos-anywhere over SSH: kexec into its installer, disko partitions the disks and creates the
 * pools, the host key goes in with --extra-files, and the pools are exported before the reboot
 * (nixos-anywhere.sh: "we always want to export the zfs pools so people can boot from it without
 * force import"), so the installed host imports them. `accept-flake-config` lets the build use
 * the flake's binary caches (proxmox-nixos's).
 */
function nixosAnywhereCommands(host: Host): string[] {
  const extra = `/tmp/${host.hostName}-extra-files`;
  return [
    `# boot ${host.hostName} into the NixOS installer (or any x86_64 Linux with kexec and 1.5 GB of RAM) with root's SSH open to your key; from your machine:`,
    `install -d -m 0755 ${extra}/etc/ssh && install -m 0600 ${hostKeyFile(host.hostName)} ${extra}/etc/ssh/ssh_host_ed25519_key`,
    `nix run github:nix-community/nixos-anywhere/${NIXOS_ANYWHERE_RELEASE} -- --flake path:dist/nix#${host.hostName} --extra-files ${extra} --option accept-flake-config true --target-host root@${host.ipAddress}   # wipes and partitions ${ZfsPool.onHost(host).map((p) => p.poolName).join(', ')}'s disks`,
    `rm -r ${extra}`,
  ];
}

/** The check that a host runs with its own host key. */
function hostKeyCheck(host: Host): string {
  return `ssh-keyscan -t ed25519 ${host.ipAddress}   # the key of ${hostKeyFile(host.hostName)}.pub`;
}

function manual(key: string, title: string, commands: string[]): RunbookStep {
  return { key: `manual:${key}`, title, manual: true, commands, checks: [], after: [] };
}

function describe(host: Host, anchors: ReadonlySet<Host>, proxmox: ProxmoxHost | undefined): string {
  const roles = [anchors.has(host) ? 'the network anchor (DHCP, DNS)' : undefined, proxmox ? 'the hypervisor' : undefined].filter((r) => r !== undefined);
  return roles.length ? `, ${roles.join(' and ')}` : '';
}

/** The stack a VM is planned in: the one whose endpoint is its hypervisor, else the only one. */
function stackOf(vm: ProxmoxVm, stacks: readonly ProxmoxStack[]): ProxmoxStack | undefined {
  return stacks.find((s) => s.endpoint === vm.hypervisor) ?? (stacks.length === 1 ? stacks[0] : undefined);
}

function unique(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}
