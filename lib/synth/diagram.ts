/**
 * A picture of the lab, generated from the model: a Mermaid flowchart of the network, the hosts
 * and their roles, and what the constructs of the lab add to it (a hypervisor's VMs, the pools,
 * Wake-on-LAN, DNS forwarding, the k3s joins: see {@link IDiagramPartHolder}). `homelab diagram`
 * prints it; GitHub and most Markdown viewers draw it.
 */
import { IConstruct } from 'constructs';
import { DiagramEdge, DiagramNode, DiagramShape, isDiagramPartHolder } from '../core/diagram-part';
import { Homelab } from '../core/homelab';
import { hostRolesIn } from '../core/host-role';
import { byText } from '../core/order';

/** The lab as a Mermaid flowchart (without the ```mermaid fence). */
export function labDiagram(lab: Homelab): string {
  const lines: string[] = ['flowchart LR'];
  const id = (c: IConstruct) => 'n_' + c.node.path.replace(/[^A-Za-z0-9]/g, '_');
  // The roles that shape the lab (hypervisor, DHCP/DNS, cluster), as the constructs on each host state them.
  const roles = hostRolesIn(lab);
  const roleOf = (host: IConstruct) => (roles.get(host) ?? []).flatMap((r) => (r.diagram === undefined ? [] : [r.diagram]));
  const node = (n: DiagramNode) => {
    const label = [...n.label, ...(n.withRoles ? roleOf(n.node) : [])].join('<br/>');
    const text = `"${escapeLabel(label)}"`;
    const shape = n.shape ?? DiagramShape.BOX;
    return `${id(n.node)}${shape === DiagramShape.DATABASE ? `[(${text})]` : shape === DiagramShape.ROUND ? `(${text})` : `[${text}]`}`;
  };
  const edge = (e: DiagramEdge) => {
    const line = e.dotted ? (e.arrow ? '-.->' : '-.-') : e.arrow ? '-->' : '---';
    return `${id(e.from)} ${line}${e.label === undefined ? '' : `|${e.label}|`} ${id(e.to)}`;
  };

  const parts = lab.node
    .findAll()
    .filter(isDiagramPartHolder)
    .map((holder) => holder.diagramParts());
  const groups = parts.flatMap((p) => p.groups ?? []);
  // A host drawn in a group (a NixOS guest in its hypervisor's VMs) is not drawn in the LAN.
  const grouped = new Set(groups.flatMap((g) => g.members.map((m) => m.node)));
  const lanHosts = parts
    .flatMap((p) => p.lan ?? [])
    .filter((n) => !grouped.has(n.node))
    .sort(byText((n) => n.label[0]));

  lines.push(`  subgraph lan["${escapeLabel(`LAN ${lab.network.cidr} · ${lab.domain}`)}"]`);
  lines.push(`    gateway(("${escapeLabel(`router ${lab.network.gateway}`)}"))`);
  for (const host of lanHosts) {
    lines.push(`    ${node(host)}`);
  }
  lines.push('  end');
  // The router is every host's default route (VMs reach it through their hypervisor's bridge).
  for (const host of lanHosts) {
    lines.push(`  ${id(host.node)} ---|default route| gateway`);
  }
  for (const group of groups) {
    lines.push(`  subgraph ${id(group.group)}["${escapeLabel(group.label)}"]`);
    lines.push(...group.members.map((m) => `    ${node(m)}`));
    lines.push('  end');
    lines.push(`  ${edge({ from: group.attachedTo, to: group.group })}`);
  }
  for (const part of parts) {
    lines.push(...(part.nodes ?? []).map((n) => `  ${node(n)}`));
    lines.push(...(part.edges ?? []).map((e) => `  ${edge(e)}`));
  }
  return lines.join('\n');
}

/** Mermaid label text: quotes and angle brackets as entities, except the line breaks we write. */
function escapeLabel(text: string): string {
  return text
    .split('<br/>')
    .map((part) => part.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;'))
    .join('<br/>');
}
