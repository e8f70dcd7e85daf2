/**
 * Many small files over SSH: 1,000 × 1 KB up and down through one OpenSSH ControlMaster, ferry's
 * one tar stream per batch (SshTransport.putMany/getMany) against `scp -r` through the same
 * master (the SFTP protocol, OpenSSH 9's default) and `scp -O -r` (the legacy protocol), plus the
 * latency of one command. Each RTT runs against a throwaway loopback sshd (test/helpers/sshd.ts),
 * the WAN case through a TCP proxy in front of it that delays every chunk by half the RTT each way.
 *
 *   node bench/ssh-transfer.ts [--files 1000] [--rtt 0,20]     (root; scripts/ci/sshd.sh first)
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { SshTransport } from "../src/transport/ssh/index.ts";
import { SshLab } from "../test/helpers/sshd.ts";
import { DEFAULT_BENCH_DIR, printTable } from "./common.ts";

const { values } = parseArgs({
  options: { files: { type: "string", default: "1000" }, rtt: { type: "string", default: "0,20" } },
});
const FILES = Number(values.files);
const RTTS = values.rtt.split(",").map(Number);

/** A TCP proxy to `port` that holds every chunk `oneWayMs` in each direction. */
function delayProxy(port: number, oneWayMs: number): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    const relay = (from: net.Socket, to: net.Socket) => {
      from.on("data", (d) => setTimeout(() => to.write(d), oneWayMs));
      from.on("end", () => setTimeout(() => to.end(), oneWayMs));
      from.on("error", () => to.destroy());
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ port: (server.address() as net.AddressInfo).port, close: () => server.close() }),
    ),
  );
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function run(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    c.stderr.on("data", (d) => {
      err += d;
    });
    c.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(" ")}: ${err}`))));
  });
}

function count(dir: string): number {
  return fs.readdirSync(dir).length;
}

await using lab = await SshLab.create();
const server = await lab.server("login");
const localRoot = fs.mkdtempSync(
  path.join(fs.mkdirSync(DEFAULT_BENCH_DIR, { recursive: true }) ?? DEFAULT_BENCH_DIR, "ssh-"),
);
try {
  const src = path.join(localRoot, "src");
  fs.mkdirSync(src);
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(src, `f${i}.json`), "x".repeat(1023) + "\n");
  const rows: string[][] = [];
  for (const rtt of RTTS) {
    const proxy = rtt > 0 ? await delayProxy(server.port, rtt / 2) : undefined;
    const alias = proxy ? lab.alias(`login-rtt-${rtt}`, server, { port: proxy.port }) : "login";
    const t = new SshTransport(lab.transportOptions(alias));
    try {
      await t.connect();
      const remote = lab.remoteDir();
      const scp = (opts: string[], from: string, to: string) =>
        run([
          "scp",
          "-q",
          "-r",
          ...opts,
          "-F",
          lab.configFile,
          "-o",
          `ControlPath=${t.controlPath}`,
          "-o",
          "ControlMaster=no",
          "-o",
          "BatchMode=yes",
          from,
          to,
        ]);
      const names = fs.readdirSync(src);
      const latency: number[] = [];
      for (let i = 0; i < 20; i++) latency.push(await timed(() => t.exec({ argv: ["true"] })));
      latency.sort((a, b) => a - b);

      const up = await timed(() =>
        t.putMany(names.map((n) => ({ local: path.join(src, n), remote: `${remote}/ferry/${n}` }))),
      );
      const scpUp = await timed(() => scp([], src, `${alias}:${remote}/scp`));
      const scpOUp = await timed(() => scp(["-O"], src, `${alias}:${remote}/scp-O`));
      for (const d of ["ferry", "scp", "scp-O"])
        if (count(`${remote}/${d}`) !== FILES) throw new Error(`upload ${d} incomplete`);

      const down = path.join(localRoot, `down-${rtt}`);
      fs.mkdirSync(down);
      const get = await timed(() =>
        t.getMany(names.map((n) => ({ remote: `${remote}/ferry/${n}`, local: path.join(down, "ferry", n) }))),
      );
      const scpDown = await timed(() => scp([], `${alias}:${remote}/scp`, path.join(down, "scp")));
      const scpODown = await timed(() => scp(["-O"], `${alias}:${remote}/scp-O`, path.join(down, "scp-O")));
      for (const d of ["ferry", "scp", "scp-O"])
        if (count(path.join(down, d)) !== FILES) throw new Error(`download ${d} incomplete`);

      const s = (x: number) => `${x.toFixed(2)} s`;
      const cond = `${FILES} × 1 KB, RTT ${rtt} ms`;
      rows.push(["upload", s(up), s(scpUp), s(scpOUp), `${(scpUp / up).toFixed(0)}×`, cond]);
      rows.push(["download", s(get), s(scpDown), s(scpODown), `${(scpDown / get).toFixed(0)}×`, cond]);
      rows.push([
        "one command (median of 20)",
        `${(latency[10]! * 1000).toFixed(0)} ms`,
        "–",
        "–",
        "–",
        `RTT ${rtt} ms`,
      ]);
    } finally {
      await t.close();
      proxy?.close();
    }
  }
  printTable(
    ["figure", "ferry (one tar stream)", "scp -r (SFTP)", "scp -O -r", "scp -r / ferry", "conditions"],
    rows,
  );
  console.log(
    `\nloopback sshd (OpenSSH), one ControlMaster shared by all; ${process.platform}, load ${(await import("node:os")).loadavg()[0]!.toFixed(1)}`,
  );
} finally {
  fs.rmSync(localRoot, { recursive: true, force: true });
}
