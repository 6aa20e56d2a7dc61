/**
 * home-manager: `home/<user>.nix` for each user with a home profile, and on every host where
 * such a user has an account, the home-manager NixOS module with that profile.
 */
import { Homelab } from '../../../core/homelab';
import { Host } from '../../../hosts/host';
import { User } from '../../../hosts/user';
import { NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';

/** Adds the home-manager input, profiles and host modules. */
export function renderHomeProfiles(lab: Homelab, flake: NixFlake): void {
  const rendered = new Set<string>();
  for (const host of Host.all(lab)) {
    const users = host.users.filter((u) => u.home !== undefined);
    if (users.length === 0) {
      continue;
    }
    flake.addInput({ name: 'home-manager', url: `github:nix-community/home-manager/release-${lab.nixosRelease}` });
    flake.addHostFlakeModule(host, 'home-manager', 'home-manager');
    const profiles: Record<string, NixExpr> = {};
    for (const user of users) {
      profiles[user.userName] = NixExpr.call('import', NixExpr.path(`../../home/${user.userName}.nix`));
      if (!rendered.has(user.userName)) {
        rendered.add(user.userName);
        flake.addFile(`home/${user.userName}.nix`, renderSettingsModule(lab, `${user.node.path} (home-manager profile)`, homeSettings(lab, user)));
      }
    }
    flake.addHostModule(
      host,
      'home-manager',
      renderSettingsModule(lab, `${host.node.path} (home-manager users)`, {
        'home-manager': { useGlobalPkgs: true, useUserPackages: true, users: profiles },
      }),
    );
  }
}

/** The settings of one user's home-manager profile. */
export function homeSettings(lab: Homelab, user: User): NixAttrs {
  const home = user.home!;
  const aliases = home.shellAliases ?? {};
  return {
    home: {
      username: user.userName,
      homeDirectory: `/home/${user.userName}`,
      stateVersion: home.stateVersion ?? lab.nixosRelease,
      packages: (home.packages ?? []).map((name) => NixExpr.select('pkgs', ...name.split('.'))),
    },
    programs: {
      'home-manager': { enable: true },
      [user.shell]: { enable: true, shellAliases: Object.keys(aliases).length ? aliases : undefined },
      git: home.git ? { enable: true, settings: { user: { name: home.git.userName, email: home.git.userEmail } } } : undefined,
    },
  };
}


