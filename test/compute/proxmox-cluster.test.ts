import { describe, expect, it } from 'vitest';
import { Homelab, ProxmoxCluster, ProxmoxHost, ProxmoxStack, ProxmoxVm, renderNixFlake, renderTerraformStacks, Size, StorageBacking, validateLab } from '../../lib/internal';
import { multiHostLab } from '../support/multi-host-lab';
import { schemaProblems } from '../support/tf-schema';

/** The lab's stacks as parsed JSON, by stack name. */
function stacksOf(lab: Homelab): Record<string, any> {
  return Object.fromEntries(renderTerraformStacks(lab).map((f) => [f.path.split('/')[0], JSON.parse(f.content)]));
}

const errorsOf = (lab: Homelab) => validateLab(lab).errors.map((f) => `${f.path}: ${f.message}`);

/**
 * The nodes whose VMs each Proxmox API manages, from the model: a separate host's API its own,
 * a cluster member's API every member's. Keyed by the API URL the provider is given.
 */
function nodesByApi(lab: Homelab): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const host of ProxmoxHost.all(lab)) {
    const nodes = host.cluster ? host.cluster.members.map((m) => m.nodeName) : [host.nodeName];
    result.set(host.apiEndpoint, new Set(nodes));
  }
  return result;
}

describe.each([
  ['one stack per API', true],
  ['the default stacks', false],
])('a lab with two separate Proxmox hosts and a three-node cluster (%s)', (_label, declared) => {
  const t = multiHostLab({ stacks: declared });
  const stacks = stacksOf(t.lab);

  it('validates, and writes one stack per API', () => {
    expect(validateLab(t.lab).errors).toEqual([]);
    expect(validateLab(t.lab).warnings).toEqual([]);
    expect(Object.keys(stacks)).toEqual(declared ? ['cluster', 'site-a', 'site-b'] : ['testlab-pve-a', 'testlab-pve-b', 'testlab-pvec']);
  });

  it('writes stacks that the provider schema accepts (tools/schemas, as test/terraform/fixtures holds it)', () => {
    for (const [name, doc] of Object.entries(stacks)) {
      expect(schemaProblems(doc), name).toEqual([]);
    }
  });

  it('plans every VM through the API of its own host or cluster, and every VM once', () => {
    const apis = nodesByApi(t.lab);
    const planned: string[] = [];
    for (const [name, doc] of Object.entries(stacks)) {
      const [provider] = doc.provider.proxmox;
      const reachable = apis.get(provider.endpoint)!;
      for (const [id, vm] of Object.entries<any>(doc.resource.proxmox_virtual_environment_vm)) {
        expect(reachable.has(vm.node_name), `${name}: ${id} on ${vm.node_name} through ${provider.endpoint}`).toBe(true);
        planned.push(vm.name);
      }
    }
    expect(planned.sort()).toEqual(ProxmoxVm.all(t.lab).map((vm) => vm.vmName).sort());
  });

  it('makes every clone depend on its template through a reference to the template of its own stack', () => {
    let clones = 0;
    for (const doc of Object.values(stacks)) {
      const vms = doc.resource.proxmox_virtual_environment_vm;
      for (const vm of Object.values<any>(vms)) {
        if (!vm.clone) continue;
        clones++;
        const ref = /^\$\{proxmox_virtual_environment_vm\.([a-z0-9_]+)\.vm_id\}$/.exec(vm.clone.vm_id);
        expect(ref, vm.name).not.toBeNull();
        expect(vms[ref![1]].template).toBe(true);
        // A clone on another node names the template's node (the same cluster, shared storage).
        expect(vm.clone.node_name ?? vm.node_name).toBe(vms[ref![1]].node_name);
      }
    }
    expect(clones).toBe(4);
  });

  // storage.cfg is one per cluster, and POST /storage refuses an id twice: each member's "tank" is
  // one entry whose nodes are the members (PVE::API2::Storage::Config).
  it("declares each storage id of the cluster once, with every member that has it as its nodes", () => {
    const entries = Object.values(stacks).flatMap((stack) => Object.values(stack.resource.proxmox_storage_zfspool ?? {}) as Array<{ id: string; nodes: string[] }>);
    expect(entries.map((r) => `${r.id} on ${r.nodes.join(',')}`).sort()).toEqual(['tank on pve-a', 'tank on pve-b', 'tank on pve1,pve2,pve3']);
  });

  it('gives every VM its own vmid across all stacks', () => {
    const vmids = Object.values(stacks).flatMap((doc) => Object.values<any>(doc.resource.proxmox_virtual_environment_vm).map((vm) => vm.vm_id));
    expect(new Set(vmids).size).toBe(vmids.length);
  });

  it('puts the HA group and resources in the cluster\'s stack, each resource after its VM and group', () => {
    const clusterStack = stacks[declared ? 'cluster' : 'testlab-pvec'];
    expect(clusterStack.resource.proxmox_hagroup.ha_group_prefer_pve2.nodes).toEqual({ pve2: 2, pve3: 1 });
    expect(clusterStack.resource.proxmox_haresource.ha_app_1).toMatchObject({
      resource_id: 'vm:130',
      group: 'prefer-pve2',
      depends_on: ['proxmox_virtual_environment_vm.app_1', 'proxmox_hagroup.ha_group_prefer_pve2'],
    });
    expect(clusterStack.resource.proxmox_haresource.ha_app_2.depends_on).toEqual(['proxmox_virtual_environment_vm.app_2']);
    for (const [name, doc] of Object.entries(stacks)) {
      if (doc !== clusterStack) expect(doc.resource.proxmox_haresource, name).toBeUndefined();
    }
  });
});

describe('VMs and the APIs of several Proxmox hosts', () => {
  it('refuses a VM put into the stack of another host\'s API', () => {
    const t = multiHostLab();
    new ProxmoxVm(t.lab, 'stray', { hypervisor: t.b.proxmox, vmid: 140, stack: t.stacks!.siteA, disks: [{ storage: t.b.tank, size: Size.gibibytes(8) }] });
    expect(errorsOf(t.lab)).toEqual([
      'testlab/stray: the VM runs on pve-b but its stack site-a talks to the API of pve-a (https://10.0.0.11:8006), which manages only pve-a, so Terraform would send the VM to the wrong host. ' +
        "Fix: put the VM in a stack whose endpoint is pve-b (new ProxmoxStack(lab, '…', { endpoint: … })).",
    ]);
  });

  it('refuses the only stack of a lab when its API does not reach the VM\'s host', () => {
    const t = multiHostLab({ stacks: false });
    new ProxmoxStack(t.lab, 'only', { endpoint: t.a.proxmox });
    const errors = errorsOf(t.lab);
    // Every VM outside pve-a: pve-b's two and the cluster's five.
    expect(errors.filter((e) => e.includes('so Terraform would send the VM to the wrong host'))).toHaveLength(7);
    expect(errors).toContain(
      'testlab/db: the VM runs on pve1 but its stack only talks to the API of pve-a (https://10.0.0.11:8006), which manages only pve-a, so Terraform would send the VM to the wrong host. ' +
        "Fix: put the VM in a stack whose endpoint is pve1 or cluster pvec (new ProxmoxStack(lab, '…', { endpoint: … })).",
    );
  });

  it('accepts a VM of any cluster member in the stack of the cluster\'s API', () => {
    const t = multiHostLab();
    new ProxmoxVm(t.lab, 'extra', { hypervisor: t.members[2].proxmox, vmid: 141, stack: t.stacks!.cluster, disks: [{ storage: t.members[2].tank, size: Size.gibibytes(8) }] });
    expect(errorsOf(t.lab)).toEqual([]);
  });

  it('refuses a disk on another member\'s local storage, and accepts the cluster\'s shared one', () => {
    const t = multiHostLab();
    new ProxmoxVm(t.lab, 'misplaced', { hypervisor: t.members[1].proxmox, vmid: 142, disks: [{ storage: t.members[0].tank, size: Size.gibibytes(8) }, { storage: t.shared, size: Size.gibibytes(8) }] });
    expect(errorsOf(t.lab)).toEqual(['testlab/misplaced: disk scsi0 is on storage tank of pve1, which does not exist on pve2. Fix: use a storage of pve2 (tank).']);
  });

  it('refuses a vmid that another VM of the cluster has, on another node', () => {
    const t = multiHostLab();
    new ProxmoxVm(t.lab, 'twin', { hypervisor: t.members[2].proxmox, vmid: 132, disks: [{ storage: t.members[2].tank, size: Size.gibibytes(8) }] });
    expect(errorsOf(t.lab)).toEqual(['testlab/twin: vmid 132 is also the vmid of testlab/db. Fix: give each VM its own vmid.']);
  });

  it('refuses a clone of the cluster\'s template onto a separate host', () => {
    const t = multiHostLab();
    new ProxmoxVm(t.lab, 'far', { hypervisor: t.a.proxmox, vmid: 143, boot: { ...t.vms.app1.boot } as never, disks: [{ storage: t.a.tank, size: Size.gibibytes(8) }] });
    expect(errorsOf(t.lab).filter((e) => e.includes('not one Proxmox cluster'))).toEqual([
      "testlab/far: the template testlab/base-c is on pve1 and the VM on pve-a, which are not one Proxmox cluster; Proxmox clones only within a cluster. Fix: clone a template on pve-a (make one there), or make both nodes members of one ProxmoxCluster with the template's disks on its shared storage.",
    ]);
  });
});

describe('ProxmoxCluster', () => {
  it('opens corosync\'s ports on every member', () => {
    const t = multiHostLab();
    for (const m of t.members) {
      expect(m.proxmox.host.ports.filter((p) => p.description.startsWith('corosync')).map((p) => p.port)).toEqual([5405, 5406, 5407, 5408, 5409, 5410, 5411, 5412]);
    }
    expect(t.a.proxmox.host.ports.some((p) => p.description.startsWith('corosync'))).toBe(false);
  });

  it('refuses a host in two clusters, an API host that is no member, and a bad name', () => {
    const t = multiHostLab();
    new ProxmoxCluster(t.lab, 'other-cluster-name', { members: [t.members[0].proxmox, t.a.proxmox], apiHost: t.b.proxmox });
    expect(errorsOf(t.lab)).toEqual([
      'testlab/other-cluster-name: apiHost pve-b is not a member of the cluster. Fix: use a member (pve1, pve-a).',
      'testlab/other-cluster-name: cluster name "other-cluster-name" is not a Proxmox cluster name. Fix: use at most 15 letters, digits and "-" (not at either end).',
      'testlab/other-cluster-name: member pve1 is also a member of cluster pvec. Fix: a Proxmox node belongs to one cluster: take it out of one of them.',
    ]);
  });

  it('refuses one storage id declared differently on two members, since the cluster has one entry for it', () => {
    const t = multiHostLab();
    t.members[1].proxmox.addStorage('archive', { backing: StorageBacking.directory('/srv/archive') });
    t.members[2].proxmox.addStorage('archive', { backing: StorageBacking.directory('/mnt/archive') });
    expect(errorsOf(t.lab)).toEqual([
      'testlab/pvec: storage archive of pve3 (testlab/pve3/proxmox/archive) differs from archive of pve2, but the cluster\'s storage configuration has one entry per id, with the nodes that have it. ' +
        'Fix: declare archive alike on every member (type, pool or path, content), or give one of them another storage id.',
    ]);
  });

  it('limits a directory storage of some members to their nodes in pvesm, and marks a shared one shared', () => {
    const t = multiHostLab();
    for (const m of [t.members[1], t.members[2]]) {
      m.proxmox.addStorage('archive', { backing: StorageBacking.directory('/srv/archive') });
    }
    expect(errorsOf(t.lab)).toEqual([]);
    const script = renderNixFlake(t.lab).find((f) => f.path === 'hosts/pve2/proxmox-storages.sh')!.content;
    expect(script).toContain('ensure_storage archive dir --path /srv/archive --content images,rootdir,iso,import,snippets,backup,vztmpl --nodes pve2,pve3 -- --content images,rootdir,iso,import,snippets,backup,vztmpl --nodes pve2,pve3');
  });

  it('warns about an HA resource whose disks only its node reaches', () => {
    const t = multiHostLab();
    t.cluster.addHaResource(t.vms.db);
    expect(validateLab(t.lab).warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'testlab/pvec: HA resource testlab/db has disks on storage local to pve1 (scsi0 on tank), so the HA manager cannot start it on another node when pve1 fails. ' +
        'Fix: move its disks to a shared storage of the cluster (sharedStorages), or set up storage replication for them. [homelab-cdk:ha-on-local-storage]',
    ]);
  });
});
