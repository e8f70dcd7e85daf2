/** `ferry offline submit|recover|forget`. */
import type { CliContext } from "../context.ts";
import { EXIT } from "../exit-codes.ts";
import { fmt, json, LISTED, paint, plural, table } from "../output.ts";
import { selectionOf } from "../selection.ts";
import { type ChangeFlags, confirm } from "./change.ts";

export async function submit(
  ctx: CliContext,
  o: { worker?: string; maxJobs?: number; id?: number[]; json?: boolean },
): Promise<number> {
  const s = await (await ctx.project()).submitOffline({
    ...(o.worker !== undefined ? { worker: o.worker } : {}),
    ...(o.maxJobs !== undefined ? { maxJobs: o.maxJobs } : {}),
    ...(o.id ? { ids: o.id } : {}),
  });
  const out = ctx.out;
  if (o.json) out.write(json(s));
  else {
    if (s.submitted.length > 0)
      out.write(
        table(
          ["JOB", "NAME", "RUN", "SCHEDULER ID", "LAUNCH DIR"],
          s.submitted.map((x) => [
            String(x.jobId),
            x.name,
            String(x.runId),
            x.schedulerId ?? (s.pilots ? "(batch queue)" : "?"),
            x.launchDir,
          ]),
          out,
        ),
      );
    const others = [
      s.held.length > 0 ? `${s.held.length} held (the scheduler refused them)` : "",
      s.failed.length > 0 ? `${s.failed.length} failed before submission` : "",
    ].filter(Boolean);
    out.write(
      fmt`submitted ${plural(s.submitted.length, "job")} to worker ${s.worker}${others.length ? `; ${others.join(", ")}` : ""}${s.limitedBy ? ` (${s.limitedBy})` : ""}\n`,
    );
    if (s.pilots) {
      const ids = s.pilots.submitted.map((x) => x.schedulerId).join(", ");
      out.write(
        `batch: ${s.pilots.ready} waiting in the queue, ${plural(s.pilots.live, "pilot")} alive, ${s.pilots.submitted.length} submitted${ids ? ` (${ids})` : ""}\n`,
      );
      for (const p of s.pilots.problems) out.write(`${paint(out, "yellow", `? ${p}`).text}\n`);
    }
    const a = s.adopted;
    if (a.examined > 0)
      out.write(
        `an earlier submit stopped half-way: ${a.collected.length} collected, ${a.started.length} running, ${a.found.length} found in the queue, ${a.released.length} back to READY, ${a.left.length} to look at again\n`,
      );
    for (const u of s.unknown)
      out.write(`${paint(out, "yellow", `? job ${u.jobId} ${u.name}: ${u.message}`).text}\n`);
    for (const f of s.failed)
      out.write(`${paint(out, "red", `✗ job ${f.jobId} ${f.name} failed: ${f.message}`).text}\n`);
    for (const h of s.held)
      out.write(
        `${paint(out, "yellow", `! job ${h.jobId} ${h.name} held: ${h.message} (ferry retry --id ${h.jobId} releases it)`).text}\n`,
      );
  }
  if (s.held.length > 0) return EXIT.scheduler;
  return s.failed.length > 0 ? EXIT.jobsFailed : EXIT.ok;
}

export async function recover(
  ctx: CliContext,
  o: { worker?: string; quiet?: boolean; json?: boolean },
): Promise<number> {
  const project = await ctx.project();
  const out = ctx.out;
  const tty = process.stderr.isTTY === true && !o.quiet;
  const total = tty ? await project.activeOfflineRuns(o.worker) : 0;
  let seen = 0;
  const draw = () => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((width * seen) / total);
    out.error(
      `\r\x1b[Krecovering ${paint(out, "cyan", "█".repeat(filled)).text}${"·".repeat(width - filled)} ${seen}/${total} runs`,
    );
  };
  const off = project.events.on("offline:recovered", () => {
    seen++;
    if (tty && (seen % 50 === 0 || seen === total)) draw();
  });
  let s: Awaited<ReturnType<typeof project.recoverOffline>>;
  try {
    s = await project.recoverOffline(o.worker !== undefined ? { worker: o.worker } : {});
  } finally {
    off();
    if (tty && total > 0) out.error("\r\x1b[K");
  }
  if (o.json) out.write(json(s));
  else {
    out.write(
      `examined ${plural(s.examined, "run")}: ${s.started.length} started, ${s.completed.length} completed, ${s.failed.length} failed, ${s.finished.length} finished without a result yet, ${s.alreadyApplied.length} already recovered\n`,
    );
    for (const p of s.problems)
      out.write(
        `${paint(out, "yellow", `! ${p.jobId >= 0 ? `job ${p.jobId}: ` : ""}${p.problem} (will retry)`).text}\n`,
      );
    for (const x of s.silent)
      out.write(
        `${paint(out, "yellow", `! job ${x.jobId}: no heartbeat for ${x.seconds} s (ferry detect-lost)`).text}\n`,
      );
    for (const x of s.deferred)
      out.write(
        fmt`${x.worker}: scheduler status not asked (statusIntervalSeconds); next call allowed in ${x.seconds} s\n`,
      );
  }
  return s.failed.length > 0 ? EXIT.jobsFailed : EXIT.ok;
}

export async function forget(ctx: CliContext, o: ChangeFlags): Promise<undefined> {
  const project = await ctx.project();
  const sel = selectionOf(o);
  if (!o.dryRun && !o.yes)
    await confirm((await project.forgetOffline(sel, { dryRun: true })).runIds.length, "offline forget");
  const r = await project.forgetOffline(sel, { dryRun: o.dryRun === true });
  if (o.json) ctx.out.write(json(r));
  else if (r.matched === 0) ctx.out.write("offline forget: no jobs match\n");
  else
    ctx.out.write(
      r.dryRun
        ? `offline forget --dry-run: would forget ${plural(r.runIds.length, "active offline run")} of the ${plural(r.matched, "selected job")}${r.runIds.length ? `: runs ${r.runIds.slice(0, LISTED).join(", ")}${r.runIds.length > LISTED ? `, … (--json lists them all)` : ""}` : ""}\n`
        : `forgot ${plural(r.runIds.length, "run")}\n`,
    );
  return undefined;
}
