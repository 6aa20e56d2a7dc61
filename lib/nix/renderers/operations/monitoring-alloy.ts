/**
 * The log shipper of a watched host: Grafana Alloy reading the systemd journal and pushing it to
 * the lab's Loki, labelled with the host, the unit and the priority.
 *
 * Why Alloy: Promtail reached its end of life on 2026-03-02 and NixOS removed `services.promtail`
 * with grafana-loki 3.7 (nixpkgs PR 505055), before 26.05; `services.alloy` is its successor.
 */
import { Host } from '../../../hosts/host';
import { Monitoring } from '../../../operations/monitoring';

/** A string literal of the Alloy configuration syntax (Go escapes, which JSON's are a subset of). */
export function alloyString(value: string): string {
  return JSON.stringify(value);
}

/** `config.alloy` of a watched host. */
export function alloyConfig(monitoring: Monitoring, host: Host, header: string): string {
  const comment = header
    .split('\n')
    .map((l) => `// ${l}`)
    .join('\n');
  return `${comment}

// The journal's fields become labels: the unit and the priority (level).
loki.relabel "journal" {
  forward_to = []

  rule {
    source_labels = ["__journal__systemd_unit"]
    target_label  = "unit"
  }

  rule {
    source_labels = ["__journal_priority_keyword"]
    target_label  = "level"
  }
}

loki.source.journal "journal" {
  max_age       = "12h"
  relabel_rules = loki.relabel.journal.rules
  labels        = { host = ${alloyString(host.hostName)}, job = "systemd-journal" }
  forward_to    = [loki.write.lab.receiver]
}

// The lab's Loki, on ${monitoring.host.hostName}.
loki.write "lab" {
  endpoint {
    url = ${alloyString(monitoring.lokiPushUrl)}
  }
}
`;
}
