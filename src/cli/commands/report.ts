/** `ferry report`: jobs per interval and the success ratio (FireWorks' `lpad report`). */
import type { CliContext } from "../context.ts";
import { json, paintState, table, timestamp } from "../output.ts";

export async function report(
  ctx: CliContext,
  o: { interval?: "hours" | "days" | "weeks"; count?: number; json?: boolean },
): Promise<undefined> {
  const r = await (await ctx.project()).report({
    ...(o.interval ? { interval: o.interval } : {}),
    ...(o.count !== undefined ? { count: o.count } : {}),
  });
  const out = ctx.out;
  if (o.json) {
    out.write(json(r));
    return undefined;
  }
  out.write(
    table(
      ["FROM", "TO", "STARTED", "COMPLETED", "FAILED", "CANCELLED", "SUCCESS"],
      r.rows.map((x) => [
        timestamp(x.start),
        timestamp(x.end),
        String(x.started),
        String(x.completed),
        String(x.failed),
        String(x.cancelled),
        x.successPercent === null ? "-" : `${x.successPercent}%`,
      ]),
      out,
    ),
  );
  const now = Object.entries(r.now).map(([s, n]) => `${paintState(out, s).text} ${n}`);
  out.write(`now: ${now.join(", ") || "no jobs"}\n`);
  return undefined;
}
