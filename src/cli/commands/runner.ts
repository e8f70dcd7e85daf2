/**
 * `ferry runner start|stop|status|logs`. `start` detaches by default: it logs in to the ssh
 * hosts first (answering a one-time code at this terminal), then starts itself again with
 * --foreground in a new session, output to .ferry/runner/runner.out, and prints the pid and the
 * log's path once the runner has registered in the database. A detached runner has no terminal:
 * when a connection must be made again and the host asks a question, the worker says needs-login
 * (`ferry runner status`) instead of hanging.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { LogEntry } from "../../api/runner.ts";
import type { CliContext } from "../context.ts";
import { EXIT } from "../exit-codes.ts";
import { ago, fmt, json, paint, safe, table, timestamp } from "../output.ts";

function human(e: LogEntry): string {
  const when = new Date(e.t)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return `${when}${e.level === "info" ? "" : ` ${e.level.toUpperCase()}`}${e.worker ? ` ${e.worker}` : ""} ${e.step}: ${e.msg}`;
}

export async function start(
  ctx: CliContext,
  o: { foreground?: boolean; worker?: string[]; json?: boolean },
): Promise<number> {
  const project = await ctx.project();
  if (o.foreground) {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      const r = await project.runner.run({
        ...(o.worker ? { workers: o.worker } : {}),
        interactive: process.stdin.isTTY === true,
        onLine: (line) => (o.json ? undefined : ctx.out.write(`${safe(line)}\n`)),
        signal: stop.signal,
      });
      if (o.json) ctx.out.write(json(r));
      return EXIT.ok;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
  // before detaching: refuse what the child would refuse (no managed worker, SQLite runner up)
  const before = await project.runner.status();
  if (project.config.database.kind === "sqlite") {
    const live = before.runners.find((r) => r.live);
    if (live) {
      ctx.out.error(
        `ferry: a runner is already running for this project (pid ${live.pid} on ${live.host}); with SQLite a project has one runner — stop it first (ferry runner stop)\n`,
      );
      return EXIT.conflict;
    }
  }
  const failed = await project.runner.login({
    ...(o.worker ? { workers: o.worker } : {}),
    interactive: process.stdin.isTTY === true,
  });
  for (const f of failed)
    ctx.out.error(`${paint(ctx.out, "yellow", fmt`warning: worker ${f.worker}: ${f.message}`).text}\n`);
  const paths = project.runner.paths();
  mkdirSync(dirname(paths.out), { recursive: true });
  const fd = openSync(paths.out, "a");
  const args = [
    // A daemon's garbage is mostly short-lived (command outputs, tar chunks): a small young
    // generation keeps its peak RSS near 130 MB instead of ~250 MB for 1,000 jobs over SSH
    // (bench/runner.ts), at the same throughput. (It must be a flag at start: set later, V8
    // ignores it.)
    "--max-semi-space-size=1",
    ...process.execArgv,
    process.argv[1]!,
    "--project",
    project.config.file,
    ...(ctx.globals.database !== undefined ? ["--database", ctx.globals.database] : []),
    "runner",
    "start",
    "--foreground",
    ...(o.worker ? ["--worker", o.worker.join(",")] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: project.dir,
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, FERRY_PROJECT: undefined, NO_COLOR: "1" },
  });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once("exit", (code) => {
    exited = code;
  });
  child.unref();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = await project.runner.status();
    const me = s.runners.find((r) => r.pid === child.pid && r.live);
    if (me) {
      if (o.json) ctx.out.write(json({ pid: child.pid, id: me.id, log: paths.log, output: paths.out }));
      else
        ctx.out.write(
          fmt`runner started: pid ${child.pid} on ${me.host}\nlog: ${paths.log} (ferry runner logs --follow)\nstop it with: ferry runner stop\n`,
        );
      return EXIT.ok;
    }
    if (exited !== undefined || Date.now() > deadline) {
      const tail = readFileSync(paths.out, "utf8").split("\n").slice(-15).join("\n");
      ctx.out.error(
        `ferry: the runner did not start${exited !== undefined ? ` (exit ${exited})` : " within 30 s"}; its output (${paths.out}):\n${safe(tail)}\n`,
      );
      return exited === undefined || exited === null || exited === 0 ? EXIT.internal : exited;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function stop(
  ctx: CliContext,
  o: { wait?: boolean; timeout?: number; json?: boolean },
): Promise<number> {
  const project = await ctx.project();
  const r = await project.runner.stop({
    ...(o.wait ? { wait: true } : {}),
    ...(o.timeout !== undefined ? { timeoutMs: o.timeout * 1000 } : {}),
  });
  if (o.json) ctx.out.write(json(r));
  else if (r.asked === 0) ctx.out.write("no runner is running for this project\n");
  else if (!o.wait)
    ctx.out.write(`asked ${r.asked} runner(s) to stop (they stop after the step in progress)\n`);
  else if (r.stillRunning === 0) ctx.out.write(`${r.asked} runner(s) stopped\n`);
  else
    ctx.out.write(
      `asked ${r.asked} runner(s) to stop; ${r.stillRunning} still running when the wait ended\n`,
    );
  return o.wait && r.stillRunning > 0 ? EXIT.conflict : EXIT.ok;
}

export async function status(ctx: CliContext, o: { json?: boolean }): Promise<number> {
  const project = await ctx.project();
  const s = await project.runner.status();
  if (o.json) {
    ctx.out.write(json(s));
    return EXIT.ok;
  }
  const live = s.runners.filter((r) => r.live);
  if (live.length === 0) ctx.out.write("no runner is running (ferry runner start)\n");
  else
    ctx.out.write(
      table(
        ["RUNNER", "HOST", "PID", "STARTED", "HEARTBEAT", ""],
        live.map((r) => [
          r.id,
          r.host,
          String(r.pid),
          timestamp(r.startedAt),
          ago(r.heartbeatAt),
          r.stopRequested ? "stopping" : "",
        ]),
        ctx.out,
      ),
    );
  const color = (state: string) =>
    state === "ok" ? "green" : state === "backoff" ? "yellow" : state === "idle" ? "dim" : "red";
  ctx.out.write(
    table(
      ["WORKER", "HOST", "STATE", "QUEUED", "RUNNING", "NEXT CYCLE", "LAST ERROR"],
      s.workers.map((w) => [
        w.worker,
        w.host ?? "(local)",
        paint(ctx.out, color(w.state), w.state),
        String(w.queued),
        String(w.running),
        w.runner === null || w.nextCycleAt === null
          ? "-"
          : w.nextCycleAt <= Date.now()
            ? "now"
            : `in ${Math.ceil((w.nextCycleAt - Date.now()) / 1000)} s`,
        w.lastError ?? "",
      ]),
      ctx.out,
    ),
  );
  return EXIT.ok;
}

export async function logs(
  ctx: CliContext,
  o: { follow?: boolean; lines?: number; json?: boolean },
): Promise<number> {
  const project = await ctx.project();
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once("SIGINT", onSigint);
  try {
    await project.runner.logs({
      ...(o.lines !== undefined ? { tail: o.lines } : {}),
      ...(o.follow ? { follow: true } : {}),
      signal: stop.signal,
      onEntry: (e) => ctx.out.write(o.json ? `${JSON.stringify(e)}\n` : `${safe(human(e))}\n`),
    });
  } finally {
    process.off("SIGINT", onSigint);
  }
  return EXIT.ok;
}
