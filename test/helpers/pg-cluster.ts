/**
 * A throwaway PostgreSQL cluster of a test's own: initdb into a fresh directory, a server on a free
 * port of 127.0.0.1, and `stop()`/`start()` to make the database disappear and come back mid-run
 * (about 0.7 s from nothing to ready on the CI machine). Needs root, because initdb
 * and the server must run as the `postgres` user, and Debian's server binaries.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface PgCluster extends AsyncDisposable {
  /** `postgresql://postgres@127.0.0.1:PORT/postgres`, trust authentication. */
  url: string;
  port: number;
  /** Holds `data/`, `server.log` and the unix socket; removed on dispose. */
  dir: string;
  /** Fast shutdown: open sessions are cut off, as when a database server goes away. */
  stop(): Promise<void>;
  /** Starts the same cluster again on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** Newest installed server's bin dir, e.g. /usr/lib/postgresql/15/bin. */
function serverBinDir(): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync("/usr/lib/postgresql");
  } catch {
    return undefined;
  }
  return versions
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => `/usr/lib/postgresql/${v}/bin`)
    .find((bin) => existsSync(join(bin, "initdb")));
}

export function pgClusterAvailable(): boolean {
  return process.getuid?.() === 0 && serverBinDir() !== undefined;
}

// Servers still running when the test process exits (a test that forgot to dispose, or a crash):
// an immediate shutdown keeps them from outliving it. `exit` handlers can only act synchronously.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGQUIT");
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no TCP address for a free port");
  return address.port;
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([
    execFileAsync("id", ["-u", "postgres"]),
    execFileAsync("id", ["-g", "postgres"]),
  ]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, "server.log"), "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "(no server.log)";
  }
}

interface Server {
  child: ChildProcess;
  exited: Promise<void>;
}

class PortInUseError extends Error {
  override name = "PortInUseError";
}

/**
 * Runs the postmaster as our own child rather than through `pg_ctl`: its pid is exact, and Node
 * reaps it, so a stopped server is really gone (pg_ctl's postmaster is re-parented to PID 1, which
 * on this VM reaps late and leaves a zombie that still answers `kill -0`). `setpriv` switches to
 * the postgres user and execs in place, where `runuser` would stay in between as the parent.
 */
async function launch(bin: string, dir: string, port: number): Promise<Server> {
  const log = openSync(join(dir, "server.log"), "a");
  let child: ChildProcess;
  try {
    child = spawn(
      "setpriv",
      [
        "--reuid=postgres",
        "--regid=postgres",
        "--init-groups",
        "--",
        join(bin, "postgres"),
        ...["-D", join(dir, "data"), "-p", String(port), "-k", dir],
        // Durability is worthless for a throwaway cluster; these make it several times faster.
        ...["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        ...["-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
      ],
      { cwd: dir, stdio: ["ignore", log, log] },
    );
  } finally {
    closeSync(log);
  }
  child.unref();
  let gone = false;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("error", (error) => {
      spawnError = error;
      gone = true;
      resolve();
    });
    child.once("exit", () => {
      gone = true;
      resolve();
    });
  });
  running.add(child);
  void exited.then(() => running.delete(child));

  // The postmaster writes "ready" on line 8 of postmaster.pid once it accepts connections; this is
  // what `pg_ctl -w` waits for.
  const pidFile = join(dir, "data", "postmaster.pid");
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!gone) {
    let lines: string[] = [];
    try {
      lines = readFileSync(pidFile, "utf8").split("\n");
    } catch {
      // Not written yet.
    }
    if (lines[0]?.trim() === String(child.pid) && lines[7]?.trim() === "ready") return { child, exited };
    if (Date.now() > deadline) {
      child.kill("SIGQUIT");
      await exited;
      throw new Error(`PostgreSQL in ${dir} was not ready after ${READY_TIMEOUT_MS} ms:\n${logTail(dir)}`);
    }
    await sleep(25);
  }
  if (spawnError) throw new Error(`could not start PostgreSQL in ${dir}`, { cause: spawnError });
  const tail = logTail(dir);
  if (tail.includes("Address already in use")) throw new PortInUseError(`port ${port} is taken`);
  throw new Error(`PostgreSQL in ${dir} exited while starting:\n${tail}`);
}

async function shutdown(server: Server): Promise<void> {
  const { child, exited } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGINT");
  // The timer is cancelled once the server is gone; a pending one would hold the test process open.
  const timer = new AbortController();
  const timedOut = await Promise.race([
    exited.then(() => false),
    sleep(STOP_TIMEOUT_MS, true, { signal: timer.signal }).catch(() => false),
  ]);
  timer.abort();
  if (timedOut) {
    child.kill("SIGKILL");
    await exited;
  }
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = serverBinDir();
  if (bin === undefined)
    throw new Error("no PostgreSQL server in /usr/lib/postgresql/*/bin (apt-get install postgresql)");
  // /tmp rather than os.tmpdir(): the postgres user must be able to enter every parent directory,
  // and the socket path inside must stay under the 107-byte limit of unix socket names.
  const dir = mkdtempSync("/tmp/ferry-pg-");
  let server: Server | undefined;
  try {
    const { uid, gid } = await postgresIds();
    chownSync(dir, uid, gid);
    // initdb refuses to run as root. --no-sync: nothing here must survive a power cut.
    const initdb = [join(bin, "initdb"), "-D", join(dir, "data"), "-U", "postgres", "-A", "trust"];
    await execFileAsync(
      "runuser",
      ["-u", "postgres", "--", ...initdb, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
      { cwd: dir },
    );
    // The free port can be taken between the probe and the bind: try a few.
    let port = 0;
    for (let attempt = 1; server === undefined; attempt++) {
      port = await freePort();
      try {
        server = await launch(bin, dir, port);
      } catch (error) {
        if (!(error instanceof PortInUseError) || attempt >= 5) throw error;
      }
    }

    const cluster: PgCluster = {
      url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      port,
      dir,
      async stop() {
        if (server === undefined) return;
        const current = server;
        server = undefined;
        await shutdown(current);
      },
      async start() {
        if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null)
          return;
        server = await launch(bin, dir, port);
      },
      async [Symbol.asyncDispose]() {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return cluster;
  } catch (error) {
    if (server !== undefined) await shutdown(server);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
