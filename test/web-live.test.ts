/**
 * The live feed behind the dashboard's server-sent events, on both databases: a page that
 * subscribes from the history head it rendered at gets every state change `ferry launch` makes,
 * in order; one that reconnects with the last id it saw gets exactly the changes it missed.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { openProject } from "../src/api/project.ts";
import { projectBackend } from "../src/web/backend-project.ts";
import { ChangeFeed, type ChangeTuple } from "../src/web/live.ts";
import { dialects, tempDir } from "./helpers/stores.ts";

const FLOW =
  "name: chain\njobs:\n  - {name: a, sh: 'true'}\n  - {name: b, parents: [a], sh: 'true'}\n  - {name: c, parents: [b], sh: 'exit 1'}\n";

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const d of dialects()) {
  describe(`live feed on ${d.name}`, { skip: d.skip }, () => {
    test("from the rendered head: every change of a launch, in order; a reconnect resumes where it stopped", async () => {
      const { target, dispose } = await d.newTarget();
      const dir = tempDir("ferry-web-live-");
      writeFileSync(join(dir, "flow.yaml"), FLOW);
      const project = await openProject({
        dir,
        config: { workers: { local: { mode: "pull", workDir: "runs" } } },
        database: target,
      });
      const feed = new ChangeFeed(projectBackend(project), { pollMs: 30 });
      try {
        await project.add(join(dir, "flow.yaml"));
        const head = await feed.head();
        assert.ok(head > 0, "adding the flow wrote history");
        const seen: ChangeTuple[] = [];
        const cursors: number[] = [];
        const off = feed.subscribe(head, {
          flowId: 1,
          send: (changes, cursor) => {
            seen.push(...changes);
            cursors.push(cursor);
          },
          reload: () => assert.fail("no reload for a short history"),
        });
        await project.launch();
        await until(() => seen.some(([id, , s]) => id === 3 && s === "FAILED"), "c FAILED");
        off();
        const states = (id: number) => seen.filter(([j]) => j === id).map(([, , s]) => s);
        assert.deepEqual(
          states(1),
          ["RUNNING", "COMPLETED"],
          "a: what launch did, nothing from before the head",
        );
        assert.deepEqual(states(2), ["READY", "RUNNING", "COMPLETED"]);
        assert.deepEqual(states(3), ["READY", "RUNNING", "FAILED"]);
        for (let i = 1; i < cursors.length; i++)
          assert.ok(cursors[i]! >= cursors[i - 1]!, "cursors only grow");

        // a page that saw up to b's COMPLETED reconnects with that id (Last-Event-ID)
        const all = (await project.changes({ after: head })).changes;
        const bDone = all.find((c) => c.jobId === 2 && c.to === "COMPLETED")!;
        const resumed: ChangeTuple[] = [];
        const off2 = feed.subscribe(bDone.id, {
          send: (changes) => resumed.push(...changes),
          reload: () => assert.fail("no reload"),
        });
        await until(() => resumed.some(([id, , s]) => id === 3 && s === "FAILED"), "the replay");
        off2();
        assert.deepEqual(
          resumed.map(([id, , s]) => `${id}:${s}`),
          all.filter((c) => c.id > bDone.id && c.from !== c.to).map((c) => `${c.jobId}:${c.to}`),
          "exactly the changes after the id it gave",
        );
      } finally {
        feed.close();
        await project.close();
        await dispose();
      }
    });
  });
}
