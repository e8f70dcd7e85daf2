/** terminalPrompt on a real pseudo-terminal (util-linux `script` gives the child one). */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { tempDir } from "../../../test/helpers/stores.ts";
import { shJoin } from "../quote.ts";

const here = path.dirname(new URL(import.meta.url).pathname);
const hasScript = spawnSync("script", ["--version"]).status === 0;

function child(code: string): string {
  const file = path.join(tempDir(), "prompt.ts");
  fs.writeFileSync(
    file,
    `import { terminalPrompt } from ${JSON.stringify(path.join(here, "terminal-prompt.ts"))};\n${code}\n`,
  );
  return file;
}

/** Runs `file` on a pty, typing `keys` once the prompt is shown; resolves what the terminal showed. */
function onPty(file: string, keys: string): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve) => {
    const c = spawn("script", ["-q", "-e", "-c", shJoin([process.execPath, file]), "/dev/null"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    let typed = false;
    c.stdout.on("data", (d) => {
      screen += d;
      if (!typed && screen.includes("Password:")) {
        typed = true;
        c.stdin.write(keys);
      }
    });
    c.on("close", (code) => resolve({ code, screen }));
  });
}

test("asks on the terminal, reads the answer without echoing it", {
  skip: !hasScript && "needs util-linux script",
}, async () => {
  const file = child(
    `const p = terminalPrompt();\nconst a = await p("(u@h) Password: ", { echo: false, host: "cluster" });\nconsole.log(a === "4242" ? "GOT-RIGHT" : "GOT-WRONG " + JSON.stringify(a));\nprocess.exit(0);`,
  );
  const r = await onPty(file, "42x\u007f42\r");
  assert.equal(r.code, 0, r.screen);
  assert.match(r.screen, /\[cluster\] \(u@h\) Password: /);
  assert.match(r.screen, /GOT-RIGHT/);
  assert.ok(!r.screen.includes("42x"), `the answer was echoed: ${JSON.stringify(r.screen)}`);
});

test("Ctrl-C at the prompt refuses the answer", {
  skip: !hasScript && "needs util-linux script",
}, async () => {
  const file = child(
    `const p = terminalPrompt();\ntry { await p("Password: ", { echo: false, host: "h" }); console.log("ANSWERED"); } catch (e) { console.log("REFUSED " + e.name); }\nprocess.exit(0);`,
  );
  const r = await onPty(file, "\u0003");
  assert.match(r.screen, /REFUSED InterruptedError/);
});

test("without a terminal it refuses at once", async () => {
  const { terminalPrompt } = await import("./terminal-prompt.ts");
  const notTty = Object.assign(Object.create(process.stdin), { isTTY: false }) as NodeJS.ReadStream;
  await assert.rejects(
    terminalPrompt({ input: notTty })("Password: ", { echo: false, host: "h" }),
    /no terminal/,
  );
});
