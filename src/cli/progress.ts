/**
 * A live progress display for long operations, driven by events. On a terminal: one status line
 * redrawn in place (failures are printed above it and stay). Elsewhere: one line per finished
 * run. Written to stderr, so stdout stays clean for data and --json.
 */
import type { FerryEvents } from "../model/events.ts";
import { duration, type Out, paint, type Styled, safe } from "./output.ts";

export interface Progress {
  stop(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function attachProgress(
  events: FerryEvents,
  out: Out,
  options: { total?: number; tty?: boolean; quiet?: boolean } = {},
): Progress {
  const tty = options.tty ?? process.stderr.isTTY === true;
  let running = 0;
  let completed = 0;
  let failed = 0;
  let interrupted = 0;
  let frame = 0;
  let last = "";
  const started = Date.now();
  const status = () => {
    const parts = [
      `${running} running`,
      paint(out, "green", `${completed} completed`),
      failed > 0 ? paint(out, "red", `${failed} failed`) : `${failed} failed`,
    ];
    if (interrupted > 0) parts.push(paint(out, "yellow", `${interrupted} interrupted`));
    if (options.total !== undefined) parts.push(`${completed + failed}/${options.total} done`);
    return `${FRAMES[frame % FRAMES.length]} ${parts.join(" · ")}  ${paint(out, "gray", `${duration(Date.now() - started)}${last ? `  ${last}` : ""}`)}`;
  };
  const draw = () => {
    if (tty && !options.quiet) out.error(`\r\x1b[K${status()}`);
  };
  const above = (line: string | Styled) => {
    if (options.quiet) return;
    out.error(tty ? `\r\x1b[K${String(line)}\n` : `${String(line)}\n`);
    draw();
  };
  const offs = [
    events.on("run:started", () => {
      running++;
      draw();
    }),
    events.on("run:finished", (e) => {
      if (e.seconds > 0 || e.state !== "FAILED") running = Math.max(0, running - 1);
      if (e.state === "COMPLETED") completed++;
      else if (e.state === "FAILED") failed++;
      else interrupted++;
      last = `${safe(e.name)} ${e.state === "COMPLETED" ? "✓" : "✗"} ${duration(e.seconds * 1000)}`;
      if (e.state === "FAILED")
        above(paint(out, "red", `✗ job ${e.jobId} ${e.name} failed: ${e.error ?? "unknown error"}`));
      else if (e.state === "INTERRUPTED")
        above(paint(out, "yellow", `↺ job ${e.jobId} ${e.name} interrupted; back to READY`));
      else if (!tty && !options.quiet)
        out.error(`✓ job ${e.jobId} ${safe(e.name)} completed in ${duration(e.seconds * 1000)}\n`);
      draw();
    }),
    events.on("launcher:error", (e) =>
      above(
        paint(
          out,
          "yellow",
          `! ${e.error.message}${e.retryInMs ? ` (retrying in ${duration(e.retryInMs)})` : ""}`,
        ),
      ),
    ),
    events.on("launcher:stopping", (e) => above(paint(out, "yellow", `${e.reason}`))),
  ];
  const timer =
    tty && !options.quiet
      ? setInterval(() => {
          frame++;
          draw();
        }, 120)
      : undefined;
  timer?.unref();
  draw();
  return {
    stop() {
      if (timer) clearInterval(timer);
      for (const off of offs) off();
      if (tty && !options.quiet) out.error(`\r\x1b[K${status().slice(2)}\n`);
    },
  };
}
