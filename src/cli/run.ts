/**
 * Run one `ferry` command line: parse, run, and map every error to one documented exit code
 * (changesets' packages/cli/src/index.ts). Expected errors print a short message; only a bug
 * prints a stack trace (exit 1). FireWorks' command and option names get ferry's.
 */
import { CommanderError } from "commander";
import { coerceError, FerryError, UsageError } from "../model/errors.ts";
import { FOREIGN_COMMANDS, FOREIGN_OPTIONS } from "../model/foreign-words.ts";
import type { Env } from "./context.ts";
import { EXIT, EXIT_BY_KIND } from "./exit-codes.ts";
import { makeOut, type Out, paint, safe } from "./output.ts";
import { buildProgram } from "./program.ts";
import { COMMANDS, GROUPS } from "./table.ts";

/** FireWorks' words typed where ferry's belong: say which ferry word to use. */
function foreignWords(argv: readonly string[]): void {
  for (const a of argv) {
    if (a === "--") break;
    const option = FOREIGN_OPTIONS.get(a.split("=")[0]!);
    if (option) throw new UsageError(`ferry has no ${a} option; use ${option}`);
  }
  const word = argv.find((a) => !a.startsWith("-"));
  const known = new Set([...COMMANDS.map((c) => c.path[0]!), ...GROUPS.keys(), "help"]);
  if (word && !known.has(word)) {
    const ours = FOREIGN_COMMANDS.get(word);
    if (ours) throw new UsageError(`ferry has no "${word}" command; use ferry ${ours}`);
  }
}

export async function run(
  argv: readonly string[],
  env: Env = process.env,
  out: Out = makeOut(env),
): Promise<number> {
  let code: number = EXIT.ok;
  try {
    foreignWords(argv);
    const program = buildProgram({ out, env, setExitCode: (c) => (code = c) });
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are "errors" to commander; they already printed what they had to
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0
        ? EXIT.ok
        : EXIT.usage;
    }
    const err = coerceError(e);
    if (err instanceof FerryError) {
      out.error(`${paint(out, "red", "ferry:").text} ${err.message.split("\n").map(safe).join("\n")}\n`);
      return EXIT_BY_KIND[err.kind];
    }
    out.error(
      `${paint(out, "red", "ferry: internal error").text} — please report it with this trace:\n${err.stack ?? err.message}\n`,
    );
    return EXIT.internal;
  }
}
