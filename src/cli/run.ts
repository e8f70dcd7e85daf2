/**
 * Run one `ferry` command line: parse, run, and map every error to one documented exit code
 * (changesets' packages/cli/src/index.ts). Expected errors print a short message; only a bug
 * prints a stack trace (exit 1). FireWorks' command and option names get ferry's.
 */
import { CommanderError } from "commander";
import { coerceError, FerryError, UsageError } from "../model/errors.ts";
import { FOREIGN_COMMANDS, FOREIGN_OPTIONS, FOREIGN_SUBCOMMANDS } from "../model/foreign-words.ts";
import type { Env } from "./context.ts";
import { EXIT, EXIT_BY_KIND } from "./exit-codes.ts";
import { makeOut, type Out, paint, safe } from "./output.ts";
import { buildProgram } from "./program.ts";
import { COMMANDS, GROUPS } from "./table.ts";

/** The global options that take a value (program.ts): the command word comes after the value. */
const GLOBAL_VALUE_OPTIONS = new Set(["-p", "--project", "--database"]);

/** The command word and the word after it, skipping options and the global options' values. */
function commandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const a = argv[i]!;
    if (a === "--") break;
    if (!a.startsWith("-")) words.push(a);
    else if (words.length === 0 && GLOBAL_VALUE_OPTIONS.has(a)) i++;
  }
  return words;
}

/** FireWorks' words typed where ferry's belong: say which ferry word to use. */
function foreignWords(argv: readonly string[]): void {
  for (const a of argv) {
    if (a === "--") break;
    const option = FOREIGN_OPTIONS.get(a.split("=")[0]!);
    if (option) throw new UsageError(`ferry has no ${a} option; use ${option}`);
  }
  const [word, sub] = commandWords(argv);
  if (word === undefined) return;
  const topLevel = new Set(COMMANDS.filter((c) => c.path.length === 1).map((c) => c.path[0]!));
  if (!topLevel.has(word) && !GROUPS.has(word) && word !== "help") {
    const ours = FOREIGN_COMMANDS.get(word);
    if (ours) throw new UsageError(`ferry has no "${word}" command; use ferry ${ours}`);
    return;
  }
  if (!GROUPS.has(word) || sub === undefined) return;
  const path = `${word} ${sub}`;
  if (COMMANDS.some((c) => c.path.join(" ") === path)) return;
  const ours = FOREIGN_SUBCOMMANDS.get(path) ?? (topLevel.has(sub) ? sub : FOREIGN_COMMANDS.get(sub));
  if (ours) throw new UsageError(`ferry has no "${path}" command; use ferry ${ours}`);
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
