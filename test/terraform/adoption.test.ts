/**
 * Adopting VMs that exist: import blocks only for the VMs the lab marks as existing, never a
 * destroy, and no attribute that makes bpg replace the VM unless the user stated it as what the
 * VM has. The replacing attributes are read from the provider schema's `x_force_new` and
 * `x_force_new_if` (test/terraform/fixtures/bpg-proxmox.schema.json, bpg/proxmox v0.111.1).
 */
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { Bios, BootSource, buildTerraformStacks, ImageKind, OsType, ProxmoxVm, renderTerraformStacks, Size, TpmVersion, VmAdoptionProps } from '../../lib/internal';
import { buildReferenceLab } from '../../apps/reference-lab';
import { errorsOf, only, plainVm, proxmoxLab, ProxmoxTestLab, warningsOf } from '../support/compute';
import { resourceSchema, schemaProblems } from '../support/tf-schema';

const VM = 'proxmox_virtual_environment_vm';

interface ForceNew {
  /** Dotted path without indexes (`efi_disk.type`, `amd_sev`). */
  readonly path: string;
  /** `true` for x_force_new, the condition text for x_force_new_if. */
  readonly when: true | string;
}

/** Every attribute and block of the VM resource that the schema marks as replacing the VM. */
function forceNewOfSchema(): ForceNew[] {
  const found: ForceNew[] = [];
  const walk = (block: any, prefix: string) => {
    for (const [name, a] of Object.entries<any>(block.attributes ?? {})) {
      if (a.x_force_new) found.push({ path: prefix + name, when: true });
      else if (a.x_force_new_if) found.push({ path: prefix + name, when: a.x_force_new_if });
    }
    for (const [name, bt] of Object.entries<any>(block.block_types ?? {})) {
      if (bt.x_force_new) found.push({ path: prefix + name, when: true });
      else if (bt.x_force_new_if) found.push({ path: prefix + name, when: bt.x_force_new_if });
      walk(bt.block, `${prefix}${name}.`);
    }
  };
  walk(resourceSchema(VM), '');
  return found;
}

/** The values a resource body gives to a path such as `efi_disk.type` (blocks are lists or objects). */
function valuesAt(body: any, path: string): unknown[] {
  let values: unknown[] = [body];
  for (const key of path.split('.')) {
    values = values.flatMap((v: any) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v])).map((v: any) => v?.[key]);
  }
  return values.filter((v) => v !== undefined && v !== null);
}

/** What the user stated about an existing VM, as schema paths. */
function statedOf(vm: ProxmoxVm): Record<string, unknown> {
  return {
    vm_id: vm.vmid,
    node_name: vm.hypervisor.nodeName,
    'efi_disk.type': vm.adoption?.efiDiskType,
    'tpm_state.version': vm.adoption?.tpmVersion,
  };
}

/**
 * The replacing attributes an imported VM's resource sets to a value the user did not state as
 * the existing one and that `lifecycle.ignore_changes` does not cover. A stated `"none"` (the
 * VM has no such device) is fine where the schema replaces only between two non-empty values.
 */
function unstatedForceNew(body: any, stated: Record<string, unknown>): string[] {
  const ignored: string[] = (body.lifecycle?.ignore_changes ?? []).map((p: string) => p.replace(/\[\d+\]/g, ''));
  const risks: string[] = [];
  for (const { path, when } of forceNewOfSchema()) {
    for (const value of valuesAt(body, path)) {
      if (ignored.some((i) => path === i || path.startsWith(`${i}.`))) continue;
      const existing = stated[path];
      if (existing !== undefined && existing === value) continue;
      if (existing === 'none' && typeof when === 'string' && when.includes('non-empty')) continue;
      risks.push(`${path} = ${JSON.stringify(value)}`);
    }
  }
  return risks;
}

/** The one stack of a small lab, synthesized with cdktf's Testing helpers. */
function testingSynth(t: ProxmoxTestLab): any {
  const [stack] = buildTerraformStacks(t.lab, Testing.app());
  return JSON.parse(Testing.synth(stack));
}

/** Import targets by resource name. */
function importsOf(doc: any): Record<string, string> {
  return Object.fromEntries((doc.import ?? []).filter((i: any) => i.to.startsWith(`${VM}.`)).map((i: any) => [i.to.replace(`${VM}.`, ''), i.id]));
}

describe('the schema fixture', () => {
  it('marks the attributes bpg replaces a VM for, the ones the library must guard', () => {
    const paths = forceNewOfSchema().map((f) => f.path);
    for (const p of ['vm_id', 'node_name', 'efi_disk.type', 'tpm_state.version', 'clone.vm_id', 'initialization.user_data_file_id', 'disk.file_id', 'amd_sev']) {
      expect(paths).toContain(p);
    }
  });
});

describe('the reference lab adopts the five VMs of the seed and creates the k3s VMs', () => {
  const ref = buildReferenceLab();
  const [file] = renderTerraformStacks(ref.lab);
  const doc = JSON.parse(file.content);
  const vms = doc.resource[VM];

  it('imports exactly vmids 100, 101, 110, 111 and 120, by node/vmid', () => {
    expect(importsOf(doc)).toEqual({
      windows11: 'maxdata/100',
      my_app_vm: 'maxdata/101',
      web_1: 'maxdata/110',
      web_2: 'maxdata/111',
      db: 'maxdata/120',
    });
    expect(schemaProblems(doc)).toEqual([]);
  });

  it('keeps every imported VM from being destroyed, and leaves the VMs it creates alone', () => {
    for (const name of Object.keys(importsOf(doc))) {
      expect(vms[name].lifecycle.prevent_destroy, name).toBe(true);
    }
    for (const name of ['k3s_node1', 'k3s_node2', 'k3s_node3']) {
      expect(vms[name].lifecycle, name).toBeUndefined();
    }
  });

  it('sets no replacing attribute of an imported VM to a value the lab did not state as the existing one', () => {
    for (const vm of ProxmoxVm.all(ref.lab).filter((v) => v.importExisting)) {
      expect(unstatedForceNew(vms[vm.vmName.replace(/-/g, '_')], statedOf(vm)), vm.vmName).toEqual([]);
    }
  });

  it('would catch the Windows VM\'s 4m EFI disk if the lab had not stated what the VM has', () => {
    const windows = vms.windows11;
    expect(windows.efi_disk.type).toBe('4m');
    expect(unstatedForceNew(windows, { vm_id: 100, node_name: 'maxdata' })).toEqual(['efi_disk.type = "4m"', 'tpm_state.version = "v2.0"']);
    expect(unstatedForceNew(windows, { vm_id: 100, node_name: 'maxdata', 'efi_disk.type': '2m', 'tpm_state.version': 'v2.0' })).toEqual(['efi_disk.type = "4m"']);
  });
});

describe('adopting a VM', () => {
  const windows = (t: ProxmoxTestLab, adopt: VmAdoptionProps, efiType: '2m' | '4m' = '4m') =>
    new ProxmoxVm(t.lab, 'win', {
      hypervisor: t.proxmox,
      vmid: 100,
      disks: [{ storage: t.tank, size: Size.gibibytes(64) }],
      bios: Bios.OVMF,
      efiDisk: { storage: t.tank, type: efiType },
      tpm: { storage: t.tank },
      osType: OsType.WINDOWS_11,
      adopt,
    });

  it('writes no import block for a VM that is to be created', () => {
    const t = proxmoxLab();
    plainVm(t, 'old', 110, { adopt: {} });
    plainVm(t, 'new', 111);
    const doc = testingSynth(t);
    expect(importsOf(doc)).toEqual({ old: 'pve/110' });
    expect(doc.resource[VM].new.lifecycle).toBeUndefined();
  });

  it('lets the user allow destroying an adopted VM', () => {
    const t = proxmoxLab();
    plainVm(t, 'old', 110, { adopt: { allowDestroy: true } });
    const doc = testingSynth(t);
    expect(importsOf(doc)).toEqual({ old: 'pve/110' });
    expect(doc.resource[VM].old.lifecycle?.prevent_destroy).toBeUndefined();
  });

  it('leaves what it was not told as the VM has it: EFI disk, TPM, clone source, image, user data', () => {
    const t = proxmoxLab();
    windows(t, {});
    const template = plainVm(t, 'template', 9000, { template: true, started: false });
    plainVm(t, 'clone', 120, { boot: BootSource.clone(template), adopt: {} });
    const image = t.local.addImage('debian', { kind: ImageKind.DISK_IMAGE, url: 'https://example.org/debian-13.qcow2' });
    plainVm(t, 'cloud', 121, { boot: BootSource.cloudImage(image), cloudInit: { userData: '#cloud-config\npackages: [htop]\n' }, adopt: {} });
    expect(errorsOf(t.lab)).toEqual([]);
    const doc = testingSynth(t);
    const vms = doc.resource[VM];
    expect(vms.win.lifecycle).toEqual({ prevent_destroy: true, ignore_changes: ['efi_disk', 'tpm_state'] });
    expect(vms.clone.lifecycle).toEqual({ prevent_destroy: true, ignore_changes: ['clone'] });
    expect(vms.cloud.lifecycle).toEqual({ prevent_destroy: true, ignore_changes: ['disk[0].import_from', 'initialization[0].user_data_file_id'] });
    for (const vm of ProxmoxVm.all(t.lab).filter((v) => v.importExisting)) {
      expect(unstatedForceNew(vms[vm.vmName], statedOf(vm)), vm.vmName).toEqual([]);
    }
    expect(schemaProblems(doc)).toEqual([]);
  });

  it('applies the EFI disk and TPM when the user states that the VM has the same', () => {
    const t = proxmoxLab();
    windows(t, { efiDiskType: '4m', tpmVersion: TpmVersion.V2_0 });
    const doc = testingSynth(t);
    const win = doc.resource[VM].win;
    expect(win.lifecycle).toEqual({ prevent_destroy: true });
    expect(unstatedForceNew(win, statedOf(ProxmoxVm.all(t.lab)[0]))).toEqual([]);
  });

  it('refuses an EFI disk type other than the existing VM\'s, which would replace the VM', () => {
    const t = proxmoxLab();
    windows(t, { efiDiskType: '2m', tpmVersion: TpmVersion.V2_0 });
    expect(only(errorsOf(t.lab), /EFI disk/)).toBe(
      "testlab/win: the existing VM's EFI disk is 2m but the model's is 4m; bpg replaces a VM whose EFI disk type changes (forceNewOnEFIDiskTypeChange), destroying it and its disks. Fix: set efiDisk.type: '2m' (what the VM has), or leave adopt.efiDiskType out to keep the EFI disk as it is.",
    );
  });

  it('refuses a TPM version other than the existing VM\'s, which would replace the VM', () => {
    const t = proxmoxLab();
    windows(t, { efiDiskType: '4m', tpmVersion: TpmVersion.V1_2 });
    expect(only(errorsOf(t.lab), /TPM/)).toMatch(/^testlab\/win: the existing VM's TPM is v1\.2 but the model's is v2\.0; bpg replaces .* Fix: set tpm\.version to the VM's \(v1\.2\)/);
  });

  it('warns when Terraform adds an EFI disk to a VM that has none', () => {
    const t = proxmoxLab();
    windows(t, { efiDiskType: 'none', tpmVersion: TpmVersion.V2_0 });
    expect(errorsOf(t.lab)).toEqual([]);
    expect(only(warningsOf(t.lab), /EFI disk/)).toMatch(/^testlab\/win: the existing VM has no EFI disk, so Terraform adds a 4m one in place.*Fix: have the recovery key at hand/);
  });
});
