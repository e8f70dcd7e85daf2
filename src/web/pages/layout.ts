/** The page shell: header, navigation, the one style sheet and the two scripts (htmx, app.js). */
import { type Html, html, raw } from "../html.ts";

export interface PageContext {
  csrf: string;
  project: string;
  /** The history head when the page's data was read: its live events start there. */
  since: number;
}

const NAV = [
  ["/flows", "Flows"],
  ["/workers", "Workers"],
  ["/report", "Report"],
] as const;

export function page(ctx: PageContext, title: string, active: string, body: Html): Html {
  const headers = raw(JSON.stringify({ "X-Ferry-CSRF": ctx.csrf }).replace(/"/g, "&quot;"));
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"responseHandling":[{"code":"204","swap":false},{"code":"...","swap":true}]}'>
<title>${title} · ferry</title>
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/htmx.js" defer></script>
<script src="/assets/app.js" type="module"></script>
</head>
<body hx-headers="${headers}" data-since="${ctx.since}">
<header>
  <span class="brand">ferry</span>
  ${NAV.map(([href, label]) => html`<a href="${href}" class="${href === active ? "on" : ""}">${label}</a>`)}
  <span class="project">${ctx.project}</span>
</header>
<main>
${body}
</main>
<dialog id="dialog"></dialog>
</body>
</html>
`;
}
