import { Counter, Gauge, type Registry } from 'prom-client';

/** Hybrid-mode metrics, registered in the gateway's own registry (served on /metrics). */
export class HybridMetrics {
  readonly configSync: Counter<'result'>;
  readonly controlPlaneConnected: Gauge;
  readonly servingFromBackup: Gauge;
  readonly stalenessSeconds: Gauge;
  readonly backupRefused: Counter;
  readonly analyticsSent: Counter;
  readonly analyticsDropped: Counter;
  readonly analyticsSpooled: Gauge;
  readonly heartbeats: Counter<'result'>;

  constructor(registry: Registry, probes: { staleness: () => number; spooledRecords: () => number }) {
    const registers = [registry];
    this.configSync = new Counter({
      name: 'gatehouse_config_sync_total',
      help: 'Config syncs with the control plane by result (applied, unchanged, refused, error).',
      labelNames: ['result'] as const,
      registers,
    });
    this.controlPlaneConnected = new Gauge({
      name: 'gatehouse_control_plane_connected',
      help: '1 while the change stream to the control plane is open.',
      registers,
    });
    this.servingFromBackup = new Gauge({
      name: 'gatehouse_config_serving_from_backup',
      help: '1 while the gateway serves the local backup because the control plane could not be reached.',
      registers,
    });
    this.stalenessSeconds = new Gauge({
      name: 'gatehouse_config_staleness_seconds',
      help: 'Seconds since the control plane last confirmed the config being served.',
      registers,
      collect() {
        this.set(probes.staleness());
      },
    });
    this.backupRefused = new Counter({
      name: 'gatehouse_config_backup_refused_total',
      help: 'Local config backups refused at load (tampered, truncated, bad signature, invalid).',
      registers,
    });
    this.analyticsSent = new Counter({
      name: 'gatehouse_analytics_sent_total',
      help: 'Analytics records delivered to the control plane.',
      registers,
    });
    this.analyticsDropped = new Counter({
      name: 'gatehouse_analytics_dropped_total',
      help: 'Analytics records lost: spool overflow (oldest dropped), unreadable spool files, or batches the control plane rejected.',
      registers,
    });
    this.analyticsSpooled = new Gauge({
      name: 'gatehouse_analytics_spooled_records',
      help: 'Analytics records waiting in the on-disk spool.',
      registers,
      collect() {
        this.set(probes.spooledRecords());
      },
    });
    this.heartbeats = new Counter({
      name: 'gatehouse_heartbeats_total',
      help: 'Heartbeats to the control plane by result (ok, error).',
      labelNames: ['result'] as const,
      registers,
    });
  }
}
