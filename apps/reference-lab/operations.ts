/**
 * The reference lab's operations on maxdata: the monitoring (Prometheus, Grafana, Loki; exporters
 * and log shipping on every host) and the off-site backup to the storage box.
 */
import { Monitoring, Secret } from '../../lib';
import { ReferenceHosts } from './hosts';
import { ReferenceStorage } from './storage';

/** The operations constructs of the reference lab. */
export interface ReferenceOperations {
  readonly monitoring: Monitoring;
}

/** Adds the monitoring and the off-site backup to maxdata. */
export function addOperations(hosts: ReferenceHosts, _storage: ReferenceStorage): ReferenceOperations {
  const monitoring = new Monitoring(hosts.maxdata, 'monitoring', {
    // Cockpit, the lab's system management UI on maxdata (with the Proxmox host), listens on 9090,
    // Prometheus's default port: Prometheus moves to the next one.
    prometheusPort: 9091,
    grafana: {
      // Decrypted by sops-nix for the grafana user. Create them with `openssl rand -hex 32`.
      adminPassword: Secret.fromSops({ name: 'grafana-admin-password', owner: 'grafana' }),
      secretKey: Secret.fromSops({ name: 'grafana-secret-key', owner: 'grafana' }),
    },
  });
  return { monitoring };
}
