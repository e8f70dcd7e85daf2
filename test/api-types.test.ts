/**
 * A typed js task links the function's parameter type to the job's inputs. The `@ts-expect-error`
 * lines are checked by `npm run typecheck`: each must be a type error, or tsc fails.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { flow, js, openProject } from "../src/index.ts";
import type * as tasks from "./fixtures/api/tasks.ts";
import { tempDir } from "./helpers/stores.ts";

const square = js<typeof tasks.square>("./fixtures/api/tasks.ts", "square");
const greet = js<typeof tasks.greet>("./fixtures/api/tasks.ts", "greet");

/** Never called: only type-checked. */
export function wrongInputsAreTypeErrors(): void {
  const f = flow("typed");
  const a = f.job("a", { js: square, inputs: { x: 3 } });
  const g = f.job("g", { js: greet, inputs: { name: "ferry", times: a.field("value") } });
  f.job("ok", { js: square, inputs: { x: a.output("value") } });
  // @ts-expect-error x is a number, not a string
  f.job("c", { js: square, inputs: { x: "three" } });
  // @ts-expect-error x is required
  f.job("d", { js: square, inputs: {} });
  // @ts-expect-error there is no input y
  f.job("e", { js: square, inputs: { x: 1, y: 2 } });
  // @ts-expect-error g's field text is a string, x a number
  f.job("h", { js: square, inputs: { x: g.field("text") } });
  // @ts-expect-error square's output has no field "energy"
  a.field("energy");
}

test("a typed flow of TypeScript tasks runs, parents inferred from the typed references", async () => {
  const dir = tempDir("ferry-types-");
  await using p = await openProject({
    config: { workers: { local: { mode: "pull", workDir: "runs" } } },
    dir,
  });
  const f = flow("typed");
  const a = f.job("a", { js: square, inputs: { x: 3 } });
  f.job("b", { js: square, inputs: { x: a.field("value") } });
  f.job("g", { js: greet, inputs: { name: "ferry", times: 2 } });
  await p.add(f);
  assert.equal((await p.launch()).completed, 3);
  const out = Object.fromEntries((await p.jobs()).map((j) => [j.name, j.outputs]));
  assert.deepEqual(out, { a: { value: 9 }, b: { value: 81 }, g: { text: "hello ferryhello ferry" } });
});
