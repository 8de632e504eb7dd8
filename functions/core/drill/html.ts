/**
 * A drill report as one self-contained HTML page: inline CSS and an inline SVG chart, no script, no
 * external asset (it is opened from S3 or a disk, often offline). Every text from an instance or an
 * archive (workflow names, URLs, messages) is escaped.
 */
import type { DrillReport } from './report.js';

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#1b1f23;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}td.n,th.n{text-align:right}
.verdict{display:inline-block;padding:.2rem .8rem;border-radius:4px;color:#fff;font-weight:700}
.pass{background:#1a7f37}.fail{background:#cf222e}ul.lines{font-family:ui-monospace,monospace;font-size:12px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}`;

export function renderDrillHtml(report: DrillReport): string {
  const e = escapeHtml;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>n8n-ark drill ${e(report.verdict)}: ${e(report.archive.instance)}</title>
<style>${STYLE}</style></head>
<body>
<h1>Restore drill of ${e(report.archive.instance)} <span id="verdict" class="verdict ${report.verdict}">${report.verdict.toUpperCase()}</span></h1>
${report.reasons.length > 0 ? `<ul id="reasons">${report.reasons.map((r) => `<li>${e(r)}</li>`).join('')}</ul>` : ''}
<dl>
<dt>Archive</dt><dd id="archive">${e(report.archive.location)}</dd>
<dt>Backed up</dt><dd>${e(report.archive.backedUpAt)} from ${e(report.archive.sourceUrl)}</dd>
<dt>Scratch instance</dt><dd id="target">${e(report.target)}</dd>
<dt>Drill ran</dt><dd>${e(report.startedAt)} → ${e(report.finishedAt)}</dd>
<dt>Duration</dt><dd id="duration">${formatDuration(report.durationMs)}</dd>
<dt>RTO estimate</dt><dd id="rto">${formatDuration(report.rtoEstimateMs)} <small>(verify, plan, restore, closing check and comparison into an empty n8n; add the time to start one)</small></dd>
${
  report.wiped
    ? `<dt>Wiped first</dt><dd>${e(
        Object.entries(report.wiped)
          .map(([r, n]) => `${n} ${r}`)
          .join(', '),
      )}</dd>`
    : ''
}
</dl>
<h2>Counts per kind</h2>
<table id="counts"><thead><tr><th>kind</th><th class="n">in archive</th><th class="n">restored</th><th class="n">failed</th></tr></thead><tbody>
${report.kinds.map((k) => `<tr data-kind="${e(k.resource)}"><td>${e(k.resource)}</td><td class="n in-archive">${k.inArchive}</td><td class="n restored">${k.restored}</td><td class="n failed">${k.failed}</td></tr>`).join('\n')}
</tbody></table>
${report.skippedAtBackup.length > 0 ? `<p>Not in the archive: ${e(report.skippedAtBackup.map((s) => `${s.resource} (${s.reason})`).join('; '))}</p>` : ''}
<h2>Restore time per kind</h2>
${chart(report.perKind)}
<table id="steps"><thead><tr><th>step</th><th>kind</th><th class="n">time</th></tr></thead><tbody>
${report.steps.map((s) => `<tr><td>${e(s.step)}</td><td>${e(s.kind ?? '')}</td><td class="n">${formatDuration(s.ms)}</td></tr>`).join('\n')}
</tbody></table>
${listSection('failures', 'Failures (closing check)', report.failures)}
${listSection('differences', 'Differences (diff of the archive and the scratch instance)', report.differences)}
${report.differences.leftOut > 0 ? `<p id="left-out">${report.differences.leftOut} difference(s) in personal projects and project members not counted: they follow users, whom a restore cannot create (n8n only invites by e-mail).</p>` : ''}
<p><small>${e(`${report.format} v${report.formatVersion}`)} — restore: ${report.restore.complete ? 'complete' : 'incomplete'}, ${report.restore.runs} run(s), ${report.restore.warnings} warning(s).</small></p>
</body></html>
`;
}

function listSection(id: string, title: string, list: { total: number; listed: string[] }): string {
  const more =
    list.total > list.listed.length
      ? `<p>… and ${list.total - list.listed.length} more (see the JSON report).</p>`
      : '';
  return `<h2>${title}: <span id="${id}-total">${list.total}</span></h2>
${list.listed.length > 0 ? `<ul class="lines" id="${id}">${list.listed.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>${more}` : '<p>None.</p>'}`;
}

/** Horizontal bars, one per kind, scaled to the slowest. */
function chart(perKind: readonly { kind: string; ms: number }[]): string {
  if (perKind.length === 0) return '<p>No restore step ran.</p>';
  const rowHeight = 24;
  const labelWidth = 120;
  const barWidth = 560;
  const max = Math.max(1, ...perKind.map((k) => k.ms));
  const bars = perKind
    .map((k, i) => {
      const y = i * rowHeight;
      const w = Math.max(1, Math.round((k.ms / max) * barWidth));
      return `<g data-kind="${escapeHtml(k.kind)}"><text x="0" y="${y + 16}">${escapeHtml(k.kind)}</text><rect x="${labelWidth}" y="${y + 4}" width="${w}" height="16" fill="#0969da"></rect><text x="${labelWidth + w + 6}" y="${y + 16}">${formatDuration(k.ms)}</text></g>`;
    })
    .join('');
  const height = perKind.length * rowHeight;
  return `<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 90}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 90} ${height}" font-size="12" role="img" aria-label="restore time per kind">${bars}</svg>`;
}
