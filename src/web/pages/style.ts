/** The dashboard's one style sheet; state colours come from the table the canvas uses too. */
import { DARK_STATES, STATE_COLORS } from "../client/colors.ts";

const states = Object.entries(STATE_COLORS)
  .map(
    ([s, c]) =>
      `.s-${s}{background:${c};color:${DARK_STATES.has(s) ? "#fff" : "#1d2125"}}.bar .s-${s}{background:${c}}`,
  )
  .join("\n");

export const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2125;background:#f6f7f9}
header{display:flex;align-items:center;gap:20px;padding:8px 20px;background:#1d2733;color:#fff}
header a{color:#cfd8e3;text-decoration:none;font-weight:500}
header a.on,header a:hover{color:#fff}
header .brand{font-weight:700;color:#fff;letter-spacing:.02em}
header .project{margin-left:auto;color:#8d9aab;font-size:12px}
main{padding:16px 20px;max-width:1600px;margin:0 auto}
h1{font-size:20px;margin:4px 0 12px}
h2{font-size:16px;margin:20px 0 8px}
a{color:#1a5fb4}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e6}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef1;vertical-align:top}
th{background:#f0f2f5;font-weight:600;font-size:12px;color:#4a525c}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;font-weight:600}
.bar{display:flex;height:10px;min-width:120px;border-radius:3px;overflow:hidden;background:#eceef1}
.bar span{display:block;height:100%}
.counts{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin:8px 0;padding:8px;background:#fff;border:1px solid #dde1e6}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#4a525c}
input,select,button{font:inherit}
input[type=text]{padding:3px 6px;border:1px solid #c3c9d1;border-radius:3px}
button,.button{padding:4px 10px;border:1px solid #b4bcc6;border-radius:4px;background:#fff;cursor:pointer;color:#1d2125;text-decoration:none;font-size:13px}
button:hover{background:#eef2f7}
button.primary{background:#1e6fd9;border-color:#1e6fd9;color:#fff}
button.danger{background:#d93025;border-color:#d93025;color:#fff}
.actions{display:flex;gap:6px;flex-wrap:wrap;align-items:center;margin:8px 0}
.pager{display:flex;gap:10px;align-items:center;margin:8px 0;color:#4a525c}
.muted{color:#6b7480}
.error{background:#fdecea;border:1px solid #f5c2bd;color:#8a1c14;padding:8px 12px;border-radius:4px;white-space:pre-wrap}
pre{background:#fff;border:1px solid #dde1e6;padding:8px;overflow:auto;max-height:480px;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;background:#fff;border:1px solid #dde1e6;padding:8px 12px}
.kv dt{color:#4a525c;font-weight:600}
.kv dd{margin:0}
.graph-box{position:relative;height:460px;background:#fff;border:1px solid #dde1e6}
.graph-box canvas{width:100%;height:100%;display:block;cursor:grab}
.graph-tools{position:absolute;top:6px;right:6px;display:flex;gap:4px}
.graph-info{position:absolute;left:8px;bottom:6px;font-size:12px;color:#6b7480;background:rgba(255,255,255,.85);padding:1px 4px}
.legend{display:flex;flex-wrap:wrap;gap:4px;margin:6px 0}
dialog{border:1px solid #b4bcc6;border-radius:6px;padding:16px;max-width:min(900px,92vw);box-shadow:0 8px 30px rgba(0,0,0,.25)}
dialog::backdrop{background:rgba(20,30,40,.35)}
.chart{background:#fff;border:1px solid #dde1e6}
.rs{display:inline-block;white-space:nowrap;padding:1px 7px;border-radius:9px;font-size:12px;font-weight:600;background:#eceef1;color:#4a525c}
.rs-ok{background:#d7f0dd;color:#1b5e2b}.rs-backoff{background:#fff1c2;color:#6b4e00}
.rs-unreachable,.rs-needs-login{background:#d93025;color:#fff}
tr.stale td{color:#6b7480}
.last-error{color:#8a1c14;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-word}
.needs-login{background:#fdecea;border:1px solid #f5c2bd;color:#5c130d;padding:8px 12px;border-radius:4px;margin:8px 0}
.no-runner{background:#fff;border:1px solid #dde1e6;padding:8px 12px}
#runner-state table{margin-bottom:10px}
.htmx-indicator{opacity:0}.htmx-request .htmx-indicator,.htmx-request.htmx-indicator{opacity:1}
${states}
`;
