/** CloudWatch embedded metric format: a log line that CloudWatch turns into metrics, no API call. */
export const METRIC_NAMESPACE = 'n8n-ark';

type Unit = 'Count' | 'Milliseconds' | 'Bytes';

/** One EMF line of per-instance metrics: each is declared with its unit and given its value, in order. */
function emfLine(instance: string, metrics: [name: string, unit: Unit, value: number][], now: Date): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['Instance']],
          Metrics: metrics.map(([name, unit]) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    Instance: instance,
    ...Object.fromEntries(metrics.map(([name, , value]) => [name, value])),
  });
}

/** A restore drill's verdict: `DrillSucceeded` 1 or 0 (alarms: drill failed, no passing drill in N days). */
export function drillMetricsLine(
  metrics: { instance: string; passed: boolean; durationMs: number; rtoEstimateMs: number },
  now: Date = new Date(),
): string {
  return emfLine(
    metrics.instance,
    [
      ['DrillSucceeded', 'Count', metrics.passed ? 1 : 0],
      ['DrillDuration', 'Milliseconds', metrics.durationMs],
      ['DrillRtoEstimate', 'Milliseconds', metrics.rtoEstimateMs],
    ],
    now,
  );
}

export interface BackupMetrics {
  instance: string;
  success: boolean;
  durationMs: number;
  bytes: number;
  counts: Record<string, number>;
  /** Resources the backup skipped (unlicensed, out of the key's scopes); absent for a failed backup. */
  skipped?: number;
  /** Whether the backup holds less than the previous archive (core/backup/shrink.ts); absent for a failed one. */
  shrank?: boolean;
  /** The kinds whose count fell past the share (`Shrank_<kind>` = 1; 0 for every other counted kind). */
  fell?: string[];
}

export function backupMetricsLine(metrics: BackupMetrics, now: Date = new Date()): string {
  const counts = Object.entries(metrics.counts).map(([resource, n]): [string, Unit, number] => [
    `Count_${resource}`,
    'Count',
    n,
  ]);
  // A metric is declared only with a value: a failed backup knows neither what it skipped nor what it lost.
  const judged: [string, Unit, number][] = [
    ...(metrics.skipped !== undefined
      ? [['SkippedResources', 'Count', metrics.skipped] as [string, Unit, number]]
      : []),
    ...(metrics.shrank !== undefined
      ? [['BackupShrank', 'Count', metrics.shrank ? 1 : 0] as [string, Unit, number]]
      : []),
  ];
  const fell = metrics.fell;
  const shrankByKind = fell
    ? [...new Set([...Object.keys(metrics.counts), ...fell])].map((kind): [string, Unit, number] => [
        `Shrank_${kind}`,
        'Count',
        fell.includes(kind) ? 1 : 0,
      ])
    : [];
  return emfLine(
    metrics.instance,
    [
      ['BackupSuccess', 'Count', metrics.success ? 1 : 0],
      ['BackupFailure', 'Count', metrics.success ? 0 : 1],
      ['BackupDuration', 'Milliseconds', metrics.durationMs],
      ['BackupBytes', 'Bytes', metrics.bytes],
      ...judged,
      ...counts,
      ...shrankByKind,
    ],
    now,
  );
}
