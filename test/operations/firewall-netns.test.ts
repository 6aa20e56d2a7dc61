/**
 * The firewall a watched host gets, run for real: NixOS's nixos-fw chain as firewall-start
 * builds it (loopback and established traffic accepted, then the openings, then the final
 * refuse; nixos/modules/services/networking/firewall-iptables.nix) with the generated
 * `allowedTCPPorts` and `extraCommands`, loaded with the real iptables into a network namespace.
 * On one LAN (a bridge) the monitoring host, the watched host and a phone: the node exporter's
 * port answers the monitoring host and refuses the phone; SSH answers both. Needs root.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderNixFlake } from '../../lib/internal';
import { materialize } from '../support/labs';
import { addNamespace, cleanupAfterEach, ip, netnsTag } from '../support/netns';
import { evalModule } from '../support/nix';
import { opsLab } from './support';

const isRoot = process.getuid?.() === 0;
const defer = cleanupAfterEach();

/** Can `ns` open a TCP connection to `address`:`port` (and read the server's greeting)? */
function connects(ns: string, address: string, port: number): boolean {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'busybox', 'nc', '-w', '2', address, String(port)], { encoding: 'utf8', input: '', timeout: 10_000 });
  return r.stdout.includes('hello');
}

describe.runIf(isRoot)("a watched host's firewall, loaded into iptables", () => {
  it("opens the exporter to the monitoring host alone, and SSH to everyone", async () => {
    const { lab, web, monitoring } = opsLab();
    const firewall = evalModule(path.join(materialize(renderNixFlake(lab)), 'hosts/web/configuration.nix')).networking.firewall as {
      allowedTCPPorts: number[];
      extraCommands: string;
    };
    expect(firewall.allowedTCPPorts).toContain(22);
    expect(firewall.allowedTCPPorts).not.toContain(9100);

    const tag = netnsTag();
    const lan = `hl-b${tag}`;
    const hosts = { web: `hl-t${tag}`, mon: `hl-m${tag}`, phone: `hl-p${tag}` };
    const addresses = { web: web.ipAddress, mon: monitoring!.host.ipAddress, phone: '10.0.0.150' };
    for (const ns of [lan, ...Object.values(hosts)]) {
      addNamespace(ns, defer);
    }
    ip('-n', lan, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', lan, 'link', 'set', 'br0', 'up');
    for (const [name, ns] of Object.entries(hosts)) {
      const port = `p${name}${tag}`.slice(0, 15);
      ip('link', 'add', port, 'type', 'veth', 'peer', 'name', `e${name}${tag}`.slice(0, 15));
      ip('link', 'set', port, 'netns', lan);
      ip('-n', lan, 'link', 'set', port, 'master', 'br0');
      ip('-n', lan, 'link', 'set', port, 'up');
      ip('link', 'set', `e${name}${tag}`.slice(0, 15), 'netns', ns);
      ip('-n', ns, 'link', 'set', `e${name}${tag}`.slice(0, 15), 'name', 'eth0');
      ip('-n', ns, 'addr', 'add', `${addresses[name as keyof typeof addresses]}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }

    // nixos-fw as firewall-start builds it, then the host's openings, then the refuse.
    const rules = [
      'iptables -w -N nixos-fw-accept',
      'iptables -w -A nixos-fw-accept -j ACCEPT',
      'iptables -w -N nixos-fw',
      'iptables -w -A nixos-fw -i lo -j nixos-fw-accept',
      'iptables -w -A nixos-fw -m conntrack --ctstate ESTABLISHED,RELATED -j nixos-fw-accept',
      ...firewall.allowedTCPPorts.map((p) => `iptables -w -A nixos-fw -p tcp --dport ${p} -j nixos-fw-accept`),
      firewall.extraCommands,
      'iptables -w -A nixos-fw -j DROP',
      'iptables -w -A INPUT -j nixos-fw',
    ].join('\n');
    execFileSync('ip', ['netns', 'exec', hosts.web, 'sh', '-e', '-c', rules], { stdio: 'pipe' });

    // Stand-ins for the node exporter and sshd on the watched host: each greets and closes.
    const server = spawn('ip', ['netns', 'exec', hosts.web, process.execPath, '-e', "for (const p of [9100, 22]) require('net').createServer((s) => s.end('hello\\n')).listen(p, () => console.log('up', p))"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    defer(() => server.kill('SIGKILL'));
    await new Promise<void>((resolve) => {
      let out = '';
      server.stdout.on('data', (d) => {
        out += d;
        if ((out.match(/up/g) ?? []).length === 2) resolve();
      });
    });

    expect(connects(hosts.mon, addresses.web, 9100)).toBe(true);
    expect(connects(hosts.phone, addresses.web, 9100)).toBe(false);
    expect(connects(hosts.phone, addresses.web, 22)).toBe(true);
  });
});
