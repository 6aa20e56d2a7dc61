/**
 * `scripts/rebuild.sh`, the rebuild helper (switch, test, build, update inputs, rollback) for
 * the host it runs on, installed on every host as `homelab-rebuild`.
 */
import { Homelab } from '../../../core/homelab';
import { Host } from '../../../hosts/host';
import { generatedHeader, NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixExpr } from '../../nix-value';
import { renderTemplate } from '../../templates';

/** Adds the script, and the shared module that installs it, to every host. */
export function renderRebuildScript(lab: Homelab, flake: NixFlake): void {
  const hosts = Host.all(lab);
  flake.addFile(
    'scripts/rebuild.sh',
    renderTemplate('scripts/rebuild.sh.hbs', {
      header: generatedHeader(lab),
      hosts: hosts.map((h) => h.hostName),
    }),
    { executable: true },
  );
  flake.addSharedModule(
    'rebuild',
    renderSettingsModule(lab, 'the rebuild helper', {
      environment: {
        systemPackages: [
          NixExpr.call('pkgs.writeShellScriptBin', 'homelab-rebuild', NixExpr.call('builtins.readFile', NixExpr.path('../scripts/rebuild.sh'))),
        ],
      },
    }),
  );
  for (const host of hosts) {
    flake.importSharedModule(host, 'rebuild');
  }
}
