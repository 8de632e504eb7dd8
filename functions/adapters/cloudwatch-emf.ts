/** CloudWatch embedded metric format: a log line that CloudWatch turns into metrics, no API call. */
export const METRIC_NAMESPACE = 'n8n-ark';

/** A restore drill's verdict: `DrillSucceeded` 1 or 0 (alarms: drill failed, no passing drill in N days). */
export function drillMetricsLine(
  metrics: { instance: string; passed: boolean; durationMs: number; rtoEstimateMs: number },
  now: Date = new Date(),
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['Instance']],
          Metrics: [
            { Name: 'DrillSucceeded', Unit: 'Count' },
            { Name: 'DrillDuration', Unit: 'Milliseconds' },
            { Name: 'DrillRtoEstimate', Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    Instance: metrics.instance,
    DrillSucceeded: metrics.passed ? 1 : 0,
    DrillDuration: metrics.durationMs,
    DrillRtoEstimate: metrics.rtoEstimateMs,
  });
}

export interface BackupMetrics {
  instance: string;
  success: boolean;
  durationMs: number;
  bytes: number;
  counts: Record<string, number>;
  /** Resources the backup skipped (unlicensed, out of the key's scopes); absent for a failed backup. */
  skipped?: number;
  /** Whether the backup holds less than the previous archive (core/backup-shrink.ts); absent for a failed one. */
  shrank?: boolean;
}

export function backupMetricsLine(metrics: BackupMetrics, now: Date = new Date()): string {
  const counts = Object.fromEntries(
    Object.entries(metrics.counts).map(([resource, n]) => [`Count_${resource}`, n]),
  );
  // A metric is declared only with a value: a failed backup knows neither what it skipped nor what it lost.
  const judged = {
    ...(metrics.skipped !== undefined ? { SkippedResources: metrics.skipped } : {}),
    ...(metrics.shrank !== undefined ? { BackupShrank: metrics.shrank ? 1 : 0 } : {}),
  };
  return JSON.stringify({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['Instance']],
          Metrics: [
            { Name: 'BackupSuccess', Unit: 'Count' },
            { Name: 'BackupFailure', Unit: 'Count' },
            { Name: 'BackupDuration', Unit: 'Milliseconds' },
            { Name: 'BackupBytes', Unit: 'Bytes' },
            ...Object.keys({ ...judged, ...counts }).map((name) => ({ Name: name, Unit: 'Count' })),
          ],
        },
      ],
    },
    Instance: metrics.instance,
    BackupSuccess: metrics.success ? 1 : 0,
    BackupFailure: metrics.success ? 0 : 1,
    BackupDuration: metrics.durationMs,
    BackupBytes: metrics.bytes,
    ...judged,
    ...counts,
  });
}
