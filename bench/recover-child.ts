/** Runs the real `ferry offline recover` code path once and reports its time and peak memory. */
import { main } from "../src/cli/main.ts";

const dir = process.argv[2]!;
const writes: string[] = [];
const original = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string) => {
  writes.push(String(chunk));
  return true;
}) as typeof process.stdout.write;
const t0 = performance.now();
const code = await main(["--project", dir, "offline", "recover", "--json", "--quiet"]);
const ms = performance.now() - t0;
process.stdout.write = original;
if (code !== 0) {
  process.stderr.write(writes.join(""));
  process.exit(code);
}
const summary = JSON.parse(writes.join(""));
process.stdout.write(
  JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, completed: summary.completed.length }),
);
