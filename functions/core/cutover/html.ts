/**
 * A cutover's report as one self-contained HTML page, as the drill's (inline CSS, no script, no
 * external asset; every text from an instance escaped): each step with its time, the freeze window,
 * what was frozen on the source and published on the target, and what needs a person.
 */
import { escapeHtml as e, formatDuration } from '../drill/html.js';
import type { CutoverReport } from './types.js';

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#1b1f23;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}td.n,th.n{text-align:right}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}`;

const rows = (cells: string[][]) =>
  cells.map((row) => `<tr>${row.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');

function table(id: string, head: string[], body: string[][]): string {
  return `<table id="${id}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${rows(body)}
</tbody></table>`;
}

export function renderCutoverHtml(report: CutoverReport, at: string): string {
  const window = report.freezeWindowMs === undefined ? 'not measured' : formatDuration(report.freezeWindowMs);
  const total = report.steps.reduce((sum, step) => sum + step.ms, 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>n8n-ark cutover: ${e(report.source)} → ${e(report.target)}</title>
<style>${STYLE}</style></head>
<body>
<h1>Cutover ${e(report.source)} → ${e(report.target)}</h1>
<dl>
<dt>Reported</dt><dd>${e(at)}</dd>
<dt>Freeze window</dt><dd id="freeze-window">${e(window)} <small>(the first unpublish on the source → the last publish on the target)</small></dd>
<dt>Steps</dt><dd id="duration">${formatDuration(total)}</dd>
</dl>
<h2>Steps</h2>
${table(
  'steps',
  ['step', 'started', 'took', 'what it did'],
  report.steps.map((s) => [e(s.step), e(s.startedAt), formatDuration(s.ms), e(s.summary)]),
)}
<h2>Frozen on the source</h2>
${table(
  'frozen',
  ['workflow', 'id', 'version that ran', 'own trigger', 'webhooks', 'unpublished'],
  report.frozen.map((w) => [
    e(w.name),
    e(w.id),
    e(w.versionId),
    w.triggers ? 'yes' : 'no',
    e(w.webhooks.join(', ')),
    e(w.unpublishedAt ?? ''),
  ]),
)}
<h2>Published on the target</h2>
${table(
  'published',
  ['workflow', 'source id', 'target id', 'published'],
  report.published.map((p) => [e(p.name), e(p.sourceId), e(p.targetId), e(p.publishedAt)]),
)}
<h2>Needs a person</h2>
<ul id="needs-a-person">${report.needsAPerson.map((n) => `<li>${e(n)}</li>`).join('') || '<li>nothing</li>'}</ul>
</body></html>
`;
}
