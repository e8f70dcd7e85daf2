/**
 * What keeping number spellings costs (model/json.ts parseJson): parse a flow-sized JSON text
 * (default 5,000 jobs, about 6 MB, as the jobflow bridge writes for a 5,000-job flow) with
 * parseJson, beside plain JSON.parse of the same text, in the same run.
 *
 *   node bench/json-floats.ts [--jobs 5000] [--repeat 5]
 *
 * Two texts: one whose numbers are all integers or fractions (parseJson's pre-check sends it
 * to JSON.parse), and one full of integral floats (every number goes through the reviver).
 */
import { parseArgs } from "node:util";
import { parseJson } from "../src/model/json.ts";
import { printTable } from "./common.ts";

const { values } = parseArgs({
  options: { jobs: { type: "string", default: "5000" }, repeat: { type: "string", default: "5" } },
});
const N = Number(values.jobs);
const R = Number(values.repeat);

function flowText(floats: boolean): string {
  const num = (i: number) => (floats ? `${i % 7}.0` : `${(i % 7) + 0.5}`);
  const jobs = Array.from({ length: N }, (_, i) => {
    const matrix = Array.from({ length: 30 }, (_, k) => num(i + k)).join(", ");
    return `{"name": "job-${i}", "py": "ferry_jobflow.run:run_job", "parents": [${i > 0 ? `"job-${i - 1}"` : ""}],
      "inputs": {"job": {"@module": "jobflow.core.job", "uuid": "uuid-${i}", "index": 1,
        "function_kwargs": {"strain": ${num(i)}, "matrix": [${matrix}], "label": "deformation ${i}"},
        "config": {"on_missing_references": "error", "manager_config": {}}}}}`;
  });
  return `{"name": "bench", "jobs": [${jobs.join(",\n")}]}`;
}

function best(fn: () => unknown): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < R; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const rows: string[][] = [];
for (const floats of [false, true]) {
  const text = flowText(floats);
  const plain = best(() => JSON.parse(text));
  const kept = best(() => parseJson(text));
  rows.push([
    floats ? "integral floats (1.0, …)" : "ints and fractions only",
    `${(text.length / 1e6).toFixed(1)} MB`,
    `${plain.toFixed(0)} ms`,
    `${kept.toFixed(0)} ms`,
    `${(kept / plain).toFixed(2)}×`,
  ]);
}
console.log(`${N} jobs, best of ${R}, node ${process.version}`);
printTable(["numbers", "text", "JSON.parse", "parseJson", "ratio"], rows);
