/**
 * ferry beside FireWorks 2.1.4 and jobflow 0.4.0 on the same work, in one run, interleaved
 * (each round runs ferry and the peers back to back, the order alternating), printing medians,
 * min–max and ratios, with the machine's load.
 *
 *   npm run bench:peers -- [--jobs 300] [--chain 10,50] [--dag 10000] [--rounds 3]
 *                          [--dag-rounds 1] [--rerun-timeout 900] [--sources] [--dir DIR]
 *
 * ferry runs as the package installs it: a copy of this tree built with scripts/build.mjs, its
 * bin/ferry.mjs running the bundled CLI; `--sources` runs this checkout's TypeScript instead.
 *
 * - independent no-op jobs (`sh -c true`) at 1 and 2 lanes: `ferry launch --concurrency 1|2`,
 *   `rlaunch rapidfire`, jobflow `run_locally` (each job spawns `sh -c true`), and the bare
 *   spawn rate from Node as the floor. FireWorks' `rlaunch multi 2` loses its work on mongomock
 *   (its manager process exits without writing the persistence file) and jobflow has one lane:
 *   no 2-lane figure for them.
 * - a dependent chain: marginal ms per link, from chains of two lengths.
 * - a DAG of ~10,000 jobs (root → 500 → gather → 10 chains): add it (time, peak RSS), complete
 *   the job with 500 parents (`ferry launch --max-jobs 1` / `rlaunch singleshot -f`), rerun the
 *   root of the finished DAG (`ferry rerun` / `lpad rerun_fws`). Before the last two, states
 *   are set directly in each database (setup, not timed).
 * FireWorks runs on mongomock with its persistence file because no MongoDB server installs on
 * this machine: every FireWorks command reads the whole file at start and writes it at exit,
 * which a MongoDB server would not make it do. Times include each command's start-up (Node
 * for ferry, Python for FireWorks) except jobflow's, timed inside `run_locally`.
 */
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  bareSpawn,
  benchFerry,
  DEFAULT_BENCH_DIR,
  machineLoad,
  median,
  printTable,
  removeKept,
  spread,
} from "./common.ts";
import { dagSize, type FlowKind } from "./peers/flows.ts";
import { FerryProject, FireworksProject, jobflowSeconds, type Measured, Tools } from "./peers/tools.ts";
import { peersVenv } from "./peers/venv.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "300" },
    chain: { type: "string", default: "10,50" },
    dag: { type: "string", default: "10000" },
    rounds: { type: "string", default: "3" },
    "dag-rounds": { type: "string", default: "1" },
    "rerun-timeout": { type: "string", default: "900" },
    sources: { type: "boolean", default: false },
    dir: { type: "string", default: join(process.cwd(), DEFAULT_BENCH_DIR) },
  },
});
const N = Number(values.jobs);
const [SHORT, LONG] = values.chain.split(",").map(Number) as [number, number];
const DAG = dagSize(Number(values.dag));
const RERUN_TIMEOUT_S = Number(values["rerun-timeout"]);

// ferry as installed (the bundled CLI), or with --sources from this checkout's TypeScript
const tools = new Tools(peersVenv(), values.dir, benchFerry(values.dir, values.sources));
/** figure name → tool → measurements */
const got = new Map<string, Map<string, number[]>>();
const note = (figure: string, tool: string, x: number) => {
  const byTool = got.get(figure) ?? new Map<string, number[]>();
  byTool.set(tool, [...(byTool.get(tool) ?? []), x]);
  got.set(figure, byTool);
};
const lowerBounds = new Set<string>();

function check(what: string, have: number, want: number) {
  if (have !== want) throw new Error(`${what}: ${have}, expected ${want}`);
}

async function ferryRun(kind: FlowKind, n: number, lanes: number): Promise<Measured> {
  const f = tools.folder("ferry-");
  try {
    const p = new FerryProject(tools, f.dir);
    p.write(kind, n);
    await p.run(["add", "flow.json"]);
    const m = await p.run(["launch", "--quiet", "--concurrency", String(lanes)]);
    check(`ferry ${kind} COMPLETED`, await p.count("COMPLETED"), n);
    return m;
  } finally {
    f.dispose();
  }
}

async function fireworksRun(kind: FlowKind, n: number): Promise<Measured> {
  const f = tools.folder("fireworks-");
  try {
    const p = new FireworksProject(tools, f.dir);
    await p.reset(kind, n);
    await p.run("lpad", ["add", "wf.json"]);
    const m = await p.run("rlaunch", ["rapidfire"]);
    check(`FireWorks ${kind} COMPLETED`, await p.count("COMPLETED"), n);
    return m;
  } finally {
    f.dispose();
  }
}

async function jobflowRun(kind: "independent" | "chain", n: number): Promise<number> {
  const f = tools.folder("jobflow-");
  try {
    return await jobflowSeconds(tools, f.dir, kind, n);
  } finally {
    f.dispose();
  }
}

const PER_JOB_1 = "independent no-op jobs, 1 lane (ms/job)";
const PER_JOB_2 = "independent no-op jobs, 2 lanes (ms/job)";
const PER_LINK = `dependent chain, marginal per link (${SHORT}→${LONG} links, ms/link)`;

async function smallRound(flip: boolean): Promise<void> {
  const ms = (m: Measured | number, n: number) => ((typeof m === "number" ? m : m.seconds) * 1000) / n;
  const ferryFirst = async (ferry: () => Promise<void>, peers: () => Promise<void>) => {
    if (flip) {
      await peers();
      await ferry();
    } else {
      await ferry();
      await peers();
    }
  };
  for (const lanes of [1, 2]) {
    const figure = lanes === 1 ? PER_JOB_1 : PER_JOB_2;
    note(figure, "bare spawn", (await bareSpawn(N, lanes)) / N);
    await ferryFirst(
      async () => note(figure, "ferry", ms(await ferryRun("independent", N, lanes), N)),
      async () => {
        if (lanes !== 1) return;
        note(figure, "FireWorks", ms(await fireworksRun("independent", N), N));
        note(figure, "jobflow", ms(await jobflowRun("independent", N), N));
      },
    );
  }
  const links = LONG - SHORT;
  await ferryFirst(
    async () => {
      const a = await ferryRun("chain", SHORT, 1);
      const b = await ferryRun("chain", LONG, 1);
      note(PER_LINK, "ferry", ((b.seconds - a.seconds) * 1000) / links);
    },
    async () => {
      const a = await fireworksRun("chain", SHORT);
      const b = await fireworksRun("chain", LONG);
      note(PER_LINK, "FireWorks", ((b.seconds - a.seconds) * 1000) / links);
      const c = await jobflowRun("chain", SHORT);
      const d = await jobflowRun("chain", LONG);
      note(PER_LINK, "jobflow", ((d - c) * 1000) / links);
    },
  );
}

const ADD = `add a ${DAG}-job DAG (s)`;
const ADD_RSS = `add a ${DAG}-job DAG, peak RSS (MB)`;
const GATHER = "complete the job with 500 parents (s)";
const RERUN = `rerun the finished DAG's root: ${DAG} jobs reset (s)`;

async function ferryDag(): Promise<void> {
  const f = tools.folder("ferry-dag-");
  try {
    const p = new FerryProject(tools, f.dir);
    p.write("dag", DAG);
    const add = await p.run(["add", "flow.json"]);
    note(ADD, "ferry", add.seconds);
    note(ADD_RSS, "ferry", add.maxRssKb / 1024);
    await p.set("gather-ready");
    note(GATHER, "ferry", (await p.run(["launch", "--quiet", "--max-jobs", "1"])).seconds);
    check("ferry: READY after the gather job", await p.count("READY"), 10);
    const root = await p.set("all-completed");
    note(RERUN, "ferry", (await p.run(["rerun", "--id", String(root), "--yes"])).seconds);
    check("ferry: WAITING after the rerun", await p.count("WAITING"), DAG - 1);
  } finally {
    f.dispose();
  }
}

async function fireworksDag(): Promise<void> {
  const f = tools.folder("fireworks-dag-");
  try {
    const p = new FireworksProject(tools, f.dir);
    await p.reset("dag", DAG);
    const add = await p.run("lpad", ["add", "wf.json"]);
    note(ADD, "FireWorks", add.seconds);
    note(ADD_RSS, "FireWorks", add.maxRssKb / 1024);
    await p.helper(["set", "gather-ready"]);
    const gather = await p.helper(["id", "gather"]);
    note(GATHER, "FireWorks", (await p.run("rlaunch", ["singleshot", "-f", gather])).seconds);
    check("FireWorks: READY after the gather FW", await p.count("READY"), 10);
    await p.helper(["set", "all-completed"]);
    const root = await p.helper(["id", "root"]);
    const args = ["rerun_fws", "-i", root, "--password", FireworksProject.password()];
    try {
      note(RERUN, "FireWorks", (await p.run("lpad", args, RERUN_TIMEOUT_S * 1000)).seconds);
    } catch (e) {
      if (!/killed/.test((e as Error).message)) throw e;
      note(RERUN, "FireWorks", RERUN_TIMEOUT_S);
      lowerBounds.add(RERUN);
    }
  } finally {
    f.dispose();
  }
}

console.log(
  `peers benchmark: ${N} independent jobs, chains of ${SHORT} and ${LONG}, a ${DAG}-job DAG; ${values.rounds} rounds (${values["dag-rounds"]} for the DAG), interleaved`,
);
console.log(
  `${cpus().length} cores (${cpus()[0]?.model ?? "?"}); Node ${process.version}; FireWorks 2.1.4 on mongomock-persistence, jobflow 0.4.0; ferry on SQLite, ${values.sources ? "from its sources" : "built as installed (bundled CLI)"}; load average at start ${machineLoad()}`,
);
for (let r = 0; r < Number(values.rounds); r++) {
  await smallRound(r % 2 === 1);
  process.stderr.write(`round ${r + 1} of ${values.rounds} done; load average ${machineLoad()}\n`);
}
for (let r = 0; r < Number(values["dag-rounds"]); r++) {
  if (r % 2 === 0) {
    await ferryDag();
    await fireworksDag();
  } else {
    await fireworksDag();
    await ferryDag();
  }
}

const rows: string[][] = [];
for (const [figure, byTool] of got) {
  const ferry = median(byTool.get("ferry") ?? []);
  const cell = (tool: string) => {
    const xs = byTool.get(tool);
    if (!xs) return ["—", "—"];
    const bound = tool !== "ferry" && lowerBounds.has(figure) ? "> " : "";
    // times: peer ÷ ferry is how many times slower the peer is; bare ÷ ferry is ferry's rate as a share of the spawn rate
    const ratio = median(xs) / ferry;
    return [`${bound}${spread(xs, figure.includes("(s)") ? 2 : 1)}`, `${bound}${ratio.toFixed(1)}×`];
  };
  const [fw, fwRatio] = cell("FireWorks");
  const [jf, jfRatio] = cell("jobflow");
  const [bare, bareRatio] = cell("bare spawn");
  rows.push([figure, spread(byTool.get("ferry") ?? []), fw!, fwRatio!, jf!, jfRatio!, bare!, bareRatio!]);
}
printTable(
  [
    "figure",
    "ferry",
    "FireWorks",
    "FW ÷ ferry",
    "jobflow",
    "jobflow ÷ ferry",
    "bare spawn",
    "ferry rate ÷ bare rate",
  ],
  rows,
);
console.log(`load average at the end ${machineLoad()}`);
removeKept();
if (lowerBounds.size > 0)
  console.log(`"> " marks a FireWorks step stopped at --rerun-timeout ${RERUN_TIMEOUT_S} s: a lower bound.`);
