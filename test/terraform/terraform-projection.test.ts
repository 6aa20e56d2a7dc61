import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Testing } from 'cdktf';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Bios,
  BootSource,
  buildTerraformStacks,
  ImageKind,
  Network,
  OsType,
  ProxmoxStack,
  ProxmoxVm,
  renderTerraformStacks,
  Secret,
  Size,
  StateBackend,
  synthesize,
  synthesizeTerraformApp,
} from '../../lib/internal';
import { buildReferenceLab, ReferenceLab } from '../../apps/reference-lab';
import { readTree, tempDir, vmHost } from '../support/labs';
import { plainVm, proxmoxLab, ProxmoxTestLab } from '../support/compute';
import { resourceSchema, schemaProblems, SCHEMA_PROVIDER_VERSION } from '../support/tf-schema';

const VM = 'proxmox_virtual_environment_vm';

/** The stacks of a lab as parsed JSON, by stack name. */
function stacksOf(lab: ReferenceLab['lab']): Record<string, any> {
  return Object.fromEntries(renderTerraformStacks(lab).map((f) => [f.path.split('/')[0], JSON.parse(f.content)]));
}

/** The one stack of a small lab, synthesized with cdktf's Testing helpers. */
function testingSynth(t: ProxmoxTestLab): any {
  const [stack] = buildTerraformStacks(t.lab, Testing.app());
  return JSON.parse(Testing.synth(stack));
}

describe('the reference lab\'s Terraform stack', () => {
  let ref: ReferenceLab;
  let doc: any;
  let vms: Record<string, any>;

  beforeAll(() => {
    ref = buildReferenceLab();
    const stacks = stacksOf(ref.lab);
    expect(Object.keys(stacks)).toEqual(['prod']);
    doc = stacks.prod;
    vms = doc.resource[VM];
  });

  it('has the eight VMs with their vmids and names', () => {
    const byName = Object.fromEntries(Object.values(vms).map((v: any) => [v.name, v.vm_id]));
    expect(byName).toEqual({ windows11: 100, 'my-app-vm': 101, 'web-1': 110, 'web-2': 111, db: 120, 'k3s-node1': 201, 'k3s-node2': 202, 'k3s-node3': 203 });
    expect(doc.output.vm_ids.value).toEqual(byName);
    for (const vm of Object.values<any>(vms)) {
      expect(vm.node_name).toBe('maxdata');
    }
  });

  it('matches the provider\'s schema: names, types, nesting and required attributes', () => {
    expect(schemaProblems(doc)).toEqual([]);
    expect(Object.keys(doc.resource).sort()).toEqual(['proxmox_backup_job', 'proxmox_download_file', 'proxmox_storage_zfspool', VM]);
  });

  it('writes every network_device with all of its keys, null where unset', () => {
    const keys = Object.keys(resourceSchema(VM).attributes!.network_device.x_object_attributes!).sort();
    expect(keys).toHaveLength(11);
    for (const vm of Object.values<any>(vms)) {
      for (const nic of vm.network_device) {
        expect(Object.keys(nic).sort()).toEqual(keys);
      }
    }
    expect(vms.web_1.network_device[0]).toMatchObject({ bridge: 'vmbr0', model: 'virtio', mtu: null, vlan_id: null, trunks: null });
  });

  it('gives windows11 UEFI with its EFI disk, a TPM 2.0 and its ISO, all on the facts\' storage', () => {
    const win = vms.windows11;
    expect(win).toMatchObject({
      bios: 'ovmf',
      machine: 'q35',
      operating_system: { type: 'win11' },
      cpu: { cores: 4, type: 'host' },
      memory: { dedicated: 8192 },
      efi_disk: { datastore_id: 'tank', type: '4m' },
      tpm_state: { datastore_id: 'tank', version: 'v2.0' },
      disk: [{ interface: 'scsi0', size: 100, datastore_id: 'tank', file_format: 'raw' }],
      cdrom: { file_id: 'local:iso/Win11_24H2_English_x64.iso', interface: 'ide2' },
      boot_order: ['scsi0', 'ide2'],
      started: true,
      on_boot: true,
    });
  });

  it('gives the standard VMs their family\'s 4096 MB and 32 GB on fast, with their own cores', () => {
    for (const [name, cores] of [['web_1', 4], ['web_2', 4], ['db', 8]] as const) {
      expect(vms[name]).toMatchObject({ cpu: { cores }, memory: { dedicated: 4096 }, disk: [{ datastore_id: 'fast', size: 32, file_format: 'raw' }] });
    }
    expect(vms.my_app_vm.disk[0]).toMatchObject({ datastore_id: 'my-app', size: 50 });
  });

  it('gives each NixOS VM the MAC of its Host, which is also its address on the network (its DHCP lease)', () => {
    const endpoints = Network.of(ref.lab).endpoints;
    for (const host of ref.k3sNodes) {
      const resource = Object.values<any>(vms).find((v) => v.name === host.hostName);
      const endpoint = endpoints.find((e) => e.endpointName === host.hostName)!;
      expect(resource.network_device[0].mac_address).toBe(host.macAddress);
      expect(endpoint.macAddress).toBe(host.macAddress);
      expect(endpoint.ipAddress).toBe(host.ipAddress);
      expect(doc.output.mac_addresses.value[host.hostName]).toBe(host.macAddress);
      expect(doc.output.ip_addresses.value[host.hostName]).toBe(host.ipAddress);
    }
  });

  it('points the provider at maxdata\'s API, pinned to the schema\'s release, without a token value', () => {
    expect(doc.provider.proxmox).toEqual([
      { endpoint: 'https://192.168.178.97:8006', insecure: true, ssh: { agent: true, username: 'max', node: [{ name: 'maxdata', address: '192.168.178.97' }] } },
    ]);
    expect(doc.terraform.required_providers.proxmox).toEqual({ source: 'bpg/proxmox', version: SCHEMA_PROVIDER_VERSION });
  });

  it('imports the five running VMs by node/vmid instead of creating them', () => {
    const imports = doc.import.filter((i: any) => i.to.startsWith(`${VM}.`)).map((i: any) => [i.to, i.id]);
    expect(imports).toHaveLength(5);
    for (const [to, id] of imports) {
      const name = to.replace(`${VM}.`, '');
      expect(id).toBe(`maxdata/${vms[name].vm_id}`);
    }
  });

  it('keeps the state at a path relative to the stack folder', () => {
    expect(doc.terraform.backend).toEqual({ local: { path: '../../../terraform.prod.tfstate' } });
  });

  it('downloads the images the VMs boot from, and the VMs refer to the downloads', () => {
    const downloads = doc.resource.proxmox_download_file;
    const [debianId, debian] = Object.entries<any>(downloads).find(([, d]) => d.content_type === 'import')!;
    expect(debian).toMatchObject({ node_name: 'maxdata', datastore_id: 'local', file_name: 'debian-13-genericcloud-amd64-20260712-2537.qcow2' });
    expect(vms.web_1.disk[0].import_from).toBe(`\${proxmox_download_file.${debianId}.id}`);
    // The NixOS VMs first boot the same cloud image, which nixos-anywhere installs over.
    expect(vms.k3s_node1.disk[0].import_from).toBe(`\${proxmox_download_file.${debianId}.id}`);
    expect(vms.web_1.initialization).toMatchObject({ user_account: { username: 'max', keys: [...ref.max.sshKeys] }, ip_config: [{ ipv4: { address: 'dhcp' } }] });
  });

  it('pins the downloaded images to dated builds with their published digests; only virtio-win\'s stable link moves', () => {
    const downloads = Object.values<any>(doc.resource.proxmox_download_file);
    const moving = downloads.filter((d) => d.checksum === undefined).map((d) => d.url);
    expect(moving).toEqual(['https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/stable-virtio/virtio-win.iso']);
    for (const d of downloads.filter((x) => x.checksum !== undefined)) {
      expect(d.url).not.toMatch(/latest/);
      expect(d.checksum).toMatch(d.checksum_algorithm === 'sha512' ? /^[0-9a-f]{128}$/ : /^[0-9a-f]{64}$/);
    }
  });

  it('downloads the virtio-win drivers next to the Windows installer', () => {
    const drivers = Object.values<any>(doc.resource.proxmox_download_file).find((d) => d.file_name === 'virtio-win.iso');
    expect(drivers).toMatchObject({ node_name: 'maxdata', datastore_id: 'local', content_type: 'iso' });
  });

  it('starts the k3s control plane before the workers', () => {
    expect(vms.k3s_node1.startup.order).toBeLessThan(vms.k3s_node2.startup.order);
    expect(vms.k3s_node1.agent.enabled).toBe(true);
  });

  // bpg's docs: "Setting agent.enabled = true without running qemu-guest-agent in the VM will
  // also result in long timeouts"; agent.timeout defaults to 15m (the schema's x_default).
  it('waits at most a minute for the guest agent of a NixOS VM still on the cloud image nixos-anywhere installs over, which runs none', () => {
    expect(resourceSchema(VM).block_types!.agent.block.attributes!.timeout).toMatchObject({ x_default: '15m' });
    const installed = Object.values<any>(vms).filter((v) => doc.module?.[`${v.name.replace(/-/g, '_')}_install`] !== undefined);
    expect(installed.map((v) => v.name).sort()).toEqual(['k3s-node1', 'k3s-node2', 'k3s-node3']);
    for (const vm of installed) {
      expect(vm.agent.enabled, vm.name).toBe(true);
      expect(vm.agent.timeout, vm.name).toBe('1m');
    }
  });
});

describe('synthesis', () => {
  it('writes the same JSON as cdktf synth does, byte for byte', () => {
    const outdir = tempDir('cdktf-out-');
    synthesizeTerraformApp(buildReferenceLab().lab, new App({ outdir, skipValidation: true }));
    const [file] = renderTerraformStacks(buildReferenceLab().lab);
    expect(file.path).toBe('prod/cdk.tf.json');
    expect(fs.readFileSync(path.join(outdir, 'stacks/prod/cdk.tf.json'), 'utf8')).toBe(file.content);
  });

  it('is deterministic', () => {
    expect(renderTerraformStacks(buildReferenceLab().lab)).toEqual(renderTerraformStacks(buildReferenceLab().lab));
  });

  it('never writes the API token\'s value, neither into dist/ nor into cdktf.out/', () => {
    const token = `root@pam!homelab=${crypto.randomUUID()}`;
    const before = process.env.PROXMOX_VE_API_TOKEN;
    process.env.PROXMOX_VE_API_TOKEN = token;
    try {
      const dist = synthesize(buildReferenceLab().lab, { outdir: tempDir() }).outdir;
      const cdktfOut = tempDir('cdktf-out-');
      synthesizeTerraformApp(buildReferenceLab().lab, new App({ outdir: cdktfOut, skipValidation: true }));
      const files = { ...readTree(dist), ...readTree(cdktfOut) };
      expect(Object.keys(files).some((f) => f.endsWith('cdk.tf.json'))).toBe(true);
      for (const [file, content] of Object.entries(files)) {
        expect(content.includes(token), file).toBe(false);
        expect(content.includes(token.split('=')[1]), file).toBe(false);
      }
    } finally {
      if (before === undefined) delete process.env.PROXMOX_VE_API_TOKEN;
      else process.env.PROXMOX_VE_API_TOKEN = before;
    }
  });
});

describe('stacks of small labs', () => {
  it('reads the API token from a sensitive Terraform variable when asked to', () => {
    const t = proxmoxLab();
    new ProxmoxStack(t.lab, 'prod', { apiToken: Secret.fromTerraformVariable('proxmox_api_token') });
    plainVm(t, 'web', 110);
    const doc = testingSynth(t);
    expect(doc.variable.proxmox_api_token).toMatchObject({ type: 'string', sensitive: true });
    expect(doc.provider.proxmox[0].api_token).toBe('${var.proxmox_api_token}');
    expect(schemaProblems(doc)).toEqual([]);
  });

  it('uploads cloud-init user data as a snippet and refers to it', () => {
    const t = proxmoxLab();
    const image = t.local.addImage('debian', { kind: ImageKind.DISK_IMAGE, url: 'https://example.org/debian-13.qcow2' });
    plainVm(t, 'web', 110, { ipAddress: '10.0.0.50', boot: BootSource.cloudImage(image), cloudInit: { userData: '#cloud-config\npackages: [qemu-guest-agent]\n' } });
    const doc = testingSynth(t);
    const [snippetId, snippet] = Object.entries<any>(doc.resource.proxmox_virtual_environment_file)[0];
    expect(snippet).toMatchObject({ node_name: 'pve', datastore_id: 'local', content_type: 'snippets', source_raw: { file_name: 'web-user-data.yaml', data: '#cloud-config\npackages: [qemu-guest-agent]\n' } });
    expect(doc.resource[VM].web.initialization).toMatchObject({
      user_data_file_id: `\${proxmox_virtual_environment_file.${snippetId}.id}`,
      ip_config: [{ ipv4: { address: '10.0.0.50/24', gateway: '10.0.0.1' } }],
      dns: { domain: 'lab.example', servers: ['10.0.0.1'] },
      datastore_id: 'tank',
    });
    expect(schemaProblems(doc)).toEqual([]);
  });

  it('gives a cloud-init user a password through a sensitive variable', () => {
    const t = proxmoxLab();
    plainVm(t, 'web', 110, { cloudInit: { user: t.admin, password: Secret.fromTerraformVariable('admin_password') } });
    const doc = testingSynth(t);
    expect(doc.variable.admin_password.sensitive).toBe(true);
    expect(doc.resource[VM].web.initialization.user_account).toEqual({ username: 'admin', keys: [...t.admin.sshKeys], password: '${var.admin_password}' });
  });

  it('keeps the provider\'s agent timeout for a VM that boots from its disk, and takes a given one', () => {
    const t = proxmoxLab();
    new ProxmoxVm(t.lab, 'a-vm', { hypervisor: t.proxmox, vmid: 110, guest: vmHost(t.lab, 'a', '10.0.0.21') });
    const iso = t.local.addImage('installer', { kind: ImageKind.ISO, url: 'https://example.org/installer.iso' });
    new ProxmoxVm(t.lab, 'b-vm', { hypervisor: t.proxmox, vmid: 111, guest: vmHost(t.lab, 'b', '10.0.0.22'), boot: BootSource.iso(iso), guestAgentTimeout: '3m' });
    plainVm(t, 'c', 112, { boot: BootSource.iso(iso) });
    const vms = testingSynth(t).resource[VM];
    expect(vms.a.agent).toEqual({ enabled: true });
    expect(vms.b.agent).toEqual({ enabled: true, timeout: '3m' });
    expect(vms.c.agent).toEqual({ enabled: false });
  });

  it('clones a template of the model', () => {
    const t = proxmoxLab();
    const template = plainVm(t, 'debian-template', 9000, { template: true, started: false });
    plainVm(t, 'web', 110, { boot: BootSource.clone(template, { full: false }) });
    const doc = testingSynth(t);
    expect(doc.resource[VM].debian_template).toMatchObject({ template: true, started: false });
    // A reference to the template's resource, not the literal 9000: Terraform creates the template first.
    expect(doc.resource[VM].web.clone).toEqual({ vm_id: '${proxmox_virtual_environment_vm.debian_template.vm_id}', full: false });
    expect(schemaProblems(doc)).toEqual([]);
  });

  it('refers to the template even when the clone comes first by vmid', () => {
    const t = proxmoxLab();
    const template = plainVm(t, 'template', 9000, { template: true, started: false });
    plainVm(t, 'early', 105, { boot: BootSource.clone(template) });
    plainVm(t, 'other', 106, { boot: BootSource.cloneExisting(8000) });
    const doc = testingSynth(t);
    expect(doc.resource[VM].early.clone.vm_id).toBe('${proxmox_virtual_environment_vm.template.vm_id}');
    expect(doc.resource[VM].other.clone.vm_id).toBe(8000);
    expect(schemaProblems(doc)).toEqual([]);
  });

  it('writes one stack per ProxmoxStack, each with its own state', () => {
    const t = proxmoxLab();
    const prod = new ProxmoxStack(t.lab, 'prod');
    const dev = new ProxmoxStack(t.lab, 'dev', { backend: StateBackend.custom('http', { address: 'https://state.lab.example/dev' }), insecure: false });
    plainVm(t, 'web', 110, { stack: prod });
    plainVm(t, 'web-test', 910, { stack: dev });
    const stacks = stacksOf(t.lab);
    expect(Object.keys(stacks)).toEqual(['dev', 'prod']);
    expect(stacks.prod.terraform.backend).toEqual({ local: { path: '../../../terraform.prod.tfstate' } });
    expect(stacks.dev.terraform.backend).toEqual({ http: { address: 'https://state.lab.example/dev' } });
    expect(Object.keys(stacks.prod.resource[VM])).toEqual(['web']);
    expect(Object.keys(stacks.dev.resource[VM])).toEqual(['web_test']);
    expect(stacks.dev.provider.proxmox[0].insecure).toBe(false);
  });

  it('downloads an image used by two stacks once, and the other stack refers to the file', () => {
    const t = proxmoxLab();
    const iso = t.local.addImage('installer', { kind: ImageKind.ISO, url: 'https://example.org/installer.iso' });
    const prod = new ProxmoxStack(t.lab, 'prod');
    const dev = new ProxmoxStack(t.lab, 'dev');
    plainVm(t, 'a', 110, { stack: prod, boot: BootSource.iso(iso) });
    plainVm(t, 'b', 910, { stack: dev, boot: BootSource.iso(iso) });
    const stacks = stacksOf(t.lab);
    expect(Object.keys(stacks.dev.resource.proxmox_download_file)).toEqual(['pve_local_installer']);
    expect(stacks.prod.resource.proxmox_download_file).toBeUndefined();
    expect(stacks.prod.resource[VM].a.cdrom.file_id).toBe('local:iso/installer.iso');
  });

  it('applies the escape hatches: overrides on a VM and on the stack', () => {
    const t = proxmoxLab();
    const stack = new ProxmoxStack(t.lab, 'prod');
    stack.addTerraformOverride('terraform.required_version', '>= 1.5');
    const vm = plainVm(t, 'web', 110);
    vm.addTerraformOverride('cpu.flags', ['+aes']);
    const doc = stacksOf(t.lab).prod;
    expect(doc.terraform.required_version).toBe('>= 1.5');
    expect(doc.resource[VM].web.cpu).toEqual({ cores: 2, type: 'host', flags: ['+aes'] });
  });

  it('leaves out what the VM does not use, and stops a VM without a guest agent on destroy', () => {
    const t = proxmoxLab();
    new ProxmoxVm(t.lab, 'bare', { hypervisor: t.proxmox, vmid: 110, osType: OsType.OTHER, bios: Bios.SEABIOS });
    const vm = testingSynth(t).resource[VM].bare;
    expect(vm.disk).toBeUndefined();
    expect(vm.initialization).toBeUndefined();
    expect(vm.efi_disk).toBeUndefined();
    expect(vm.stop_on_destroy).toBe(true);
    expect(vm.memory.dedicated).toBe(Size.mebibytes(4096).toMebibytes());
  });
});
