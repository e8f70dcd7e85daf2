/**
 * The confirmation an action asks for: the preview `--dry-run` prints on the CLI, and a button that
 * sends the same request again to apply it. Then what was done, as the CLI says it.
 */
import type { ActionOutcome, ActionPreview, ActionRequest } from "../backend.ts";
import { type Html, html } from "../html.ts";
import { selectorParams } from "./jobs-table.ts";

/** Long previews (a rerun of 10,000 jobs lists each one) are cut for the page. */
const MAX_PREVIEW_LINES = 60;
const EXACT_IDS = 5000;

function cut(text: string): string {
  const lines = text.split("\n");
  if (lines.length <= MAX_PREVIEW_LINES) return text;
  return `${lines.slice(0, MAX_PREVIEW_LINES).join("\n")}\n… ${lines.length - MAX_PREVIEW_LINES} more lines`;
}

export function previewDialog(req: ActionRequest, p: ActionPreview): Html {
  const n = p.changes.length;
  // confirm exactly the jobs previewed (a selector could match others by then); a huge selection
  // goes back as its selectors, as `ferry rerun --state FAILED --yes` would
  const exact = n > 0 && n <= EXACT_IDS;
  const params = exact
    ? new URLSearchParams([["id", p.changes.map((j) => j.id).join(",")]])
    : selectorParams(req.selection);
  const hidden = [...params].map(([k, v]) => html`<input type="hidden" name="f_${k}" value="${v}">`);
  return html`<form hx-post="/actions/apply" hx-target="#dialog" class="confirm">
  <h2>${req.action}${req.taskLevel ? " (task level)" : ""}: ${n} of ${p.matched} matching job${p.matched === 1 ? "" : "s"} would change</h2>
  <p class="muted">This is what <code>ferry ${req.action} … --dry-run</code> shows. Nothing has changed yet.</p>
  <pre class="preview">${cut(p.text)}</pre>
  <input type="hidden" name="scope" value="matching"><input type="hidden" name="action" value="${req.action}">
  ${req.taskLevel ? html`<input type="hidden" name="taskLevel" value="1">` : ""}
  ${hidden}
  <div class="actions">
    ${n > 0 ? html`<button type="submit" class="primary confirm-button">Confirm: ${req.action} ${n} job${n === 1 ? "" : "s"}</button>` : ""}
    <button type="button" class="close-dialog">${n > 0 ? "Cancel" : "Close"}</button>
  </div>
</form>`;
}

export function outcomeDialog(o: ActionOutcome): Html {
  return html`<div class="outcome">
  <h2>${o.action}: ${o.changed.length} job${o.changed.length === 1 ? "" : "s"} changed</h2>
  <pre>${cut(o.text)}</pre>
  <div class="actions"><button type="button" class="close-dialog primary">Close</button></div>
</div>`;
}

export function errorDialog(message: string): Html {
  return html`<div class="error" role="alert">${message}</div>
<div class="actions"><button type="button" class="close-dialog">Close</button></div>`;
}
