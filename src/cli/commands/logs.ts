/** `ferry jobs logs ID`: each task's output tail, and with --follow what comes next until the run ends. */
import type { CliContext } from "../context.ts";
import { fmt, safe } from "../output.ts";

/** Task output is shown as it is, except control characters that are not layout (ESC, BEL, …). */
const visible = (text: string) =>
  text
    .split("\n")
    .map((l) => safe(l.replace(/\r$/, "")).replaceAll("\\t", "\t"))
    .join("\n");

export async function logs(
  ctx: CliContext,
  o: { task?: number; lines?: number; run?: number; follow?: boolean },
  [id]: readonly [number],
): Promise<undefined> {
  const project = await ctx.project();
  const request = {
    ...(o.task !== undefined ? { task: o.task } : {}),
    ...(o.lines !== undefined ? { lines: o.lines } : {}),
    ...(o.run !== undefined ? { runId: o.run } : {}),
  };
  const l = await project.logs(id, request);
  ctx.out.write(
    fmt`# job ${l.job.id} "${l.job.name}", run ${l.run.id} (${l.run.state}) in ${l.run.launchDir}\n`,
  );
  for (const t of l.tasks)
    for (const stream of ["stdout", "stderr"] as const)
      if (t[stream] !== "") ctx.out.write(`== task ${t.task} ${stream} ==\n${visible(t[stream])}\n`);
  if (o.follow) {
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once("SIGINT", onSigint);
    try {
      await project.followLogs(id, {
        ...request,
        runId: l.run.id,
        after: l,
        write: (text) => ctx.out.write(visible(text)),
        signal: stop.signal,
      });
    } finally {
      process.off("SIGINT", onSigint);
    }
  }
  return undefined;
}
