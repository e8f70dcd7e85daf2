/**
 * JSON shown a slice at a time. A job's outputs may be 10 MB: put whole into the page they freeze
 * it (bull-board #368 is that bug), so the page gets the first slice and a button that fetches the
 * next one, plus a link to download the whole value.
 */
import { type Html, html } from "../html.ts";

/** Characters of pretty-printed JSON in the page at first. @defaultValue 32 KiB */
export const FIRST_SLICE = 32 * 1024;
/** Characters fetched by each "show more". @defaultValue 256 KiB */
export const MORE_SLICE = 256 * 1024;

export function prettyJson(value: unknown): string {
  return value === null || value === undefined ? "null" : JSON.stringify(value, null, 2);
}

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function moreButton(url: string, next: number, total: number): Html {
  return html`<button type="button" class="more" hx-get="${url}?offset=${next}" hx-swap="outerHTML">show ${size(Math.min(MORE_SLICE, total - next))} more (${size(next)} of ${size(total)} shown)</button>`;
}

/** The first slice, in a <pre>, with "show more" and a download link when there is more. */
export function jsonView(id: string, text: string, url: string): Html {
  const head = text.slice(0, FIRST_SLICE);
  return html`<pre id="${id}" data-size="${text.length}">${head}${text.length > FIRST_SLICE ? moreButton(url, FIRST_SLICE, text.length) : ""}</pre>
${text.length > FIRST_SLICE ? html`<a href="${url}?download=1" download>download all (${size(text.length)})</a>` : ""}`;
}

/** The slice at `offset`, and the next button if more remains: swapped in place of the button. */
export function jsonSlice(text: string, url: string, offset: number): Html {
  const next = Math.min(text.length, offset + MORE_SLICE);
  return html`${text.slice(offset, next)}${next < text.length ? moreButton(url, next, text.length) : ""}`;
}
