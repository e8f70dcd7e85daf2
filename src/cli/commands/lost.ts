/** `ferry detect-lost [--fail | --rerun [--task-level]]`. */
import type { CliContext } from "../context.ts";
import { fmt, json, table } from "../output.ts";

export async function detectLost(
  ctx: CliContext,
  o: { fail?: boolean; rerun?: boolean; taskLevel?: boolean; json?: boolean },
): Promise<undefined> {
  const r = await (await ctx.project()).detectLost({
    ...(o.fail ? { fail: true } : {}),
    ...(o.rerun ? { rerun: true } : {}),
    ...(o.taskLevel ? { taskLevel: true } : {}),
  });
  const out = ctx.out;
  if (o.json) {
    out.write(json(r));
    return undefined;
  }
  for (const f of r.submissions.found)
    out.write(fmt`job ${f.jobId}: run ${f.runId} left ${f.state} on ${f.worker} by a submit that stopped\n`);
  const a = r.submissions.adopted;
  if (a)
    out.write(
      `of those: ${a.collected.length} collected, ${a.started.length} running, ${a.found.length} found in the queue, ${a.released.length} back to READY, ${a.left.length} undecided\n`,
    );
  else if (r.submissions.found.length > 0)
    out.write("use --fail to settle them (nothing is submitted twice)\n");
  if (r.lost.length === 0) {
    out.write("no lost runs\n");
    return undefined;
  }
  out.write(
    table(
      ["JOB", "NAME", "RUN", "MODE", "VERDICT", "TASK", "WHY"],
      r.lost.map((l) => [
        String(l.jobId),
        l.name,
        String(l.runId),
        l.mode,
        l.verdict,
        l.checkpointTask === null ? "-" : String(l.checkpointTask),
        l.why,
      ]),
      out,
    ),
  );
  const h = r.handled;
  if (h.collected.length)
    out.write(`collected the results of jobs ${h.collected.join(", ")} (they had finished)\n`);
  if (h.failed.length) out.write(`marked jobs ${h.failed.join(", ")} FAILED (lost)\n`);
  if (h.rerun) out.write(`rerun jobs ${h.rerun.jobs.map((j) => j.id).join(", ")}\n`);
  const left = r.lost.filter((l) => l.verdict === "lost").length;
  if (left > 0 && !h.failed.length) out.write("use --fail to fail them, or --rerun to run them again\n");
  return undefined;
}
