/**
 * SD card images of the hosts that boot from one (a Raspberry Pi 4): `packages.<system>.<host>-sd-image`,
 * the host's own configuration extended with nixpkgs' `installer/sd-card/sd-image-aarch64.nix`
 * (the firmware partition with U-Boot and config.txt, and the root file system labelled
 * `NIXOS_SD`, which the Pi's hardware module mounts), so the card boots as the host.
 */
import { Homelab } from '../../../core/homelab';
import { sdImagePackageName } from '../../../core/names';
import { HardwareKind } from '../../../hosts/hardware-profile';
import { Host } from '../../../hosts/host';
import { generatedHeader, NixFlake } from '../../nix-flake';
import { NixExpr, toNix } from '../../nix-value';
import { renderTemplate } from '../../templates';

/** Adds the SD image of every Raspberry Pi, and the module that makes it. */
export function renderSdImages(lab: Homelab, flake: NixFlake): void {
  for (const host of Host.all(lab).filter((h) => h.hardware.kind === HardwareKind.RASPBERRY_PI_4)) {
    // Not imported by the host's configuration: the running system stays what the flake
    // describes, and only the image adds the SD card's partitions and first-boot resizing.
    flake.addFile(`hosts/${host.hostName}/sd-image.nix`, renderTemplate('host/sd-image.nix.hbs', { header: generatedHeader(lab, `${host.node.path} (SD image)`) }));
    // eval-config.nix's extendModules: the same evaluation with one module more.
    const configuration = NixExpr.select('self.nixosConfigurations', host.hostName).code;
    const module = toNix(NixExpr.path(`./hosts/${host.hostName}/sd-image.nix`));
    flake.addPackage(host.system, sdImagePackageName(host.hostName), NixExpr.raw(`(${configuration}.extendModules { modules = [ ${module} ]; }).config.system.build.sdImage`));
  }
}
