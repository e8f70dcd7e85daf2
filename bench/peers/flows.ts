/** The workloads' flows, written the same way for ferry (here) and for FireWorks (fireworks_flow.py). */

export type FlowKind = "independent" | "chain" | "dag";

interface FerryJob {
  name: string;
  sh: string;
  parents?: string[];
}

/** Jobs in the DAG of `n` (root → 500 → gather → 10 chains): 502 + 10 × ⌊(n − 502) / 10⌋. */
export function dagSize(n: number): number {
  return 502 + 10 * Math.floor((n - 502) / 10);
}

/** A ferry flow file (JSON) of `n` no-op `sh` jobs of this shape. */
export function ferryFlow(kind: FlowKind, n: number): string {
  const jobs: FerryJob[] = [];
  if (kind === "dag") {
    jobs.push({ name: "root", sh: "true" });
    for (let i = 0; i < 500; i++) jobs.push({ name: `w${i}`, sh: "true", parents: ["root"] });
    jobs.push({ name: "gather", sh: "true", parents: jobs.slice(1).map((j) => j.name) });
    const per = Math.floor((n - 502) / 10);
    for (let c = 0; c < 10; c++)
      for (let i = 0; i < per; i++)
        jobs.push({ name: `c${c}_${i}`, sh: "true", parents: [i === 0 ? "gather" : `c${c}_${i - 1}`] });
  } else {
    for (let i = 0; i < n; i++)
      jobs.push({
        name: `j${i}`,
        sh: "true",
        ...(kind === "chain" && i > 0 ? { parents: [`j${i - 1}`] } : {}),
      });
  }
  return JSON.stringify({ name: kind, jobs });
}
