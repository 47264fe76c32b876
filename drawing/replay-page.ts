// The self-contained page of `process-topology graph --trace FILE --format html`: the program's
// graph (the static drawing, static-svg.ts) with a run replayed on it — a scrubber over the trace's
// steps, play and speed, each process coloured by its state (running, blocked, exited), the edge
// an operation travels lit up, queue depths and lock holders, and the deadlock in red with its
// report. Built in Node (no DOM): the trace, the model and the replay script (dist/replay.js, the
// bundle of webview/src/replay/main.ts) are inlined, under a CSP that allows only this page's nonce.
import type { TopologyModel } from '../common/model';
import { escapeHtml, jsonForScript, randomNonce } from './standalone';
import { staticSvg } from './static-svg';

export const REPLAY_DATA_ID = 'pt-replay-data';

/** A complete HTML page replaying `traceText` on `model`'s graph. */
export function replayHtml(model: TopologyModel, traceText: string, replayJs: string, title: string): string {
  const nonce = randomNonce();
  // The static findings would colour the drawing before anything ran: the run's colours only.
  let svg = staticSvg({ ...model, findings: [] }, { title });
  // The drawing's own <style> moves into the page's (an inline style needs the nonce).
  let svgCss = '';
  svg = svg.replace(/<style>([\s\S]*?)<\/style>/, (_m, css: string) => {
    svgCss = css;
    return '';
  });
  const csp = ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, "base-uri 'none'", "form-action 'none'"].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
${svgCss.replace(/<\/(style)/gi, '<\\/$1')}
${REPLAY_CSS}
</style>
</head>
<body>
<header class="rt-bar">
  <strong>${escapeHtml(title)}</strong>
  <span class="rt-controls">
    <button type="button" id="rt-first" title="Before the first step (Home)">Start</button>
    <button type="button" id="rt-prev" title="Previous step (←)">Back</button>
    <button type="button" id="rt-play" title="Play / pause (Space)">Play</button>
    <button type="button" id="rt-next" title="Next step (→)">Step</button>
    <button type="button" id="rt-last" title="Last step (End)">End</button>
    <input type="range" id="rt-scrub" min="-1" max="0" value="-1" aria-label="Step">
    <select id="rt-speed" aria-label="Speed"><option value="0.5">0.5×</option><option value="1" selected>1×</option><option value="4">4×</option><option value="16">16×</option><option value="100">100×</option></select>
    <span id="rt-pos" class="rt-pos"></span>
  </span>
</header>
<main class="rt-main">
  <section class="rt-graph" id="rt-graph">${svg}</section>
  <aside class="rt-side">
    <div id="rt-step" class="rt-step"></div>
    <div id="rt-deadlock" class="rt-deadlock" hidden></div>
    <h3>Processes</h3><ul id="rt-procs" class="rt-list"></ul>
    <h3>Objects</h3><ul id="rt-objs" class="rt-list"></ul>
    <div id="rt-extra"></div>
  </aside>
</main>
<script type="application/json" id="${REPLAY_DATA_ID}">${jsonForScript({ model, trace: traceText })}</script>
<script nonce="${nonce}">
${replayJs.replace(/<\/(script)/gi, '<\\/$1')}
</script>
</body>
</html>
`;
}

const REPLAY_CSS = `
body{margin:0;font:13px system-ui,-apple-system,"Segoe UI",Ubuntu,sans-serif;color:#1f1f1f;background:#fff}
.rt-bar{display:flex;gap:16px;align-items:center;padding:8px 12px;border-bottom:1px solid #d4d4d4;position:sticky;top:0;background:#fff;z-index:1}
.rt-controls{display:flex;gap:6px;align-items:center;flex:1}
.rt-controls button{min-width:32px}
#rt-scrub{flex:1}
.rt-pos{font-variant-numeric:tabular-nums;color:#616161;white-space:nowrap}
.rt-main{display:flex;align-items:flex-start}
.rt-graph{flex:1;overflow:auto;padding:12px}
.rt-side{width:360px;padding:12px;border-left:1px solid #d4d4d4;max-height:calc(100vh - 50px);overflow:auto}
.rt-side h3{margin:12px 0 4px;font-size:12px;text-transform:uppercase;color:#616161}
.rt-list{list-style:none;margin:0;padding:0}
.rt-list li{padding:2px 0}
.rt-step{min-height:2.6em;font-weight:600}
.rt-state-running{color:#1a7f37}.rt-state-blocked{color:#e51400;font-weight:600}.rt-state-exited{color:#616161}
.rt-deadlock{border:2px solid #e51400;background:#fdeceb;padding:8px;white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:11px;margin-top:8px}
.node.rt-running .shape{stroke:#1a7f37;stroke-width:3px}
.node.rt-blocked .shape{fill:#fbdedb;stroke:#e51400;stroke-width:3px}
.node.rt-exited .shape{opacity:.45}
.node.rt-idle .shape{opacity:.7}
.node .rt-badge{font-size:10px;fill:#1a7f37;font-weight:600}.node.rt-blocked .rt-badge{fill:#e51400}.node.rt-exited .rt-badge{fill:#616161}
.node .rt-info{font-size:10px;fill:#616161}
.edge.rt-flash .edge-line{stroke:#1a85ff;stroke-width:4px;stroke-opacity:1}
.edge.rt-wait .edge-line{stroke:#e51400;stroke-width:3px;stroke-opacity:1;stroke-dasharray:4 3}
`;
