/**
 * The commander program built from the command table. Building it loads no command module: an
 * entry's module is imported when its command runs. Unknown commands and flags are errors
 * (commander's default, kept), with suggestions.
 */
import { Command, Option } from "commander";
import { FERRY_VERSION } from "../version.ts";
import { CliContext, type Env, type GlobalOptions } from "./context.ts";
import type { Out } from "./output.ts";
import { COMMANDS, type CommandSpec, GROUPS } from "./table.ts";

const EXAMPLES = `
Examples:
  ferry init                       write a ferry.yaml here
  ferry add flow.yaml              add a flow (prints its id and job ids)
  ferry launch                     run READY jobs here until none are left
  ferry jobs list --state FAILED   list failed jobs
  ferry jobs show 12               a job's inputs, outputs, runs and history
  ferry rerun --state FAILED       rerun failed jobs (--dry-run first shows what changes)
  ferry demo                       run the demo (= npm start)

Exit codes: 0 ok, 2 usage, 3 invalid input, 4 not found, 5 database, 6 jobs failed,
7 refused, 8 scheduler/transport, 130 interrupted, 1 internal error.`;

export interface ProgramIO {
  out: Out;
  env: Env;
  /** Receives the exit code the command returned. */
  setExitCode(code: number): void;
}

function addCommand(parent: Command, spec: CommandSpec, io: ProgramIO, root: Command): void {
  const cmd = parent.command(spec.path.at(-1)!).description(spec.summary);
  for (const a of spec.args) {
    const parse = a.parse;
    if (!parse) cmd.argument(a.name, a.description);
    else if (a.name.endsWith("...]") || a.name.endsWith("...>"))
      cmd.argument(a.name, a.description, (v: string, prev: unknown[] | undefined) => [
        ...(prev ?? []),
        parse(v),
      ]);
    else cmd.argument(a.name, a.description, (v: string) => parse(v));
  }
  const keys = new Map<string, string>();
  for (const [key, o] of Object.entries(spec.options)) {
    const option = new Option(o.flags, o.description);
    const parse = o.parse;
    if (parse) option.argParser((text: string, prev: unknown) => parse(text, prev));
    if (o.hidden) option.hideHelp();
    cmd.addOption(option);
    keys.set(option.attributeName(), key);
  }
  if (spec.help) cmd.addHelpText("after", `\n${spec.help}`);
  cmd.action(async (...params: unknown[]) => {
    const self = params.at(-1) as Command;
    const raw = self.opts();
    const options: Record<string, unknown> = {};
    for (const [attr, key] of keys) if (raw[attr] !== undefined) options[key] = raw[attr];
    const args = params.slice(0, spec.args.length);
    const handler = await spec.load();
    await using ctx = new CliContext(root.opts<GlobalOptions>(), io.out, io.env);
    const code = await handler(ctx, options, args);
    if (code !== undefined) io.setExitCode(code);
  });
}

export function buildProgram(io: ProgramIO): Command {
  const program = new Command("ferry")
    .description(
      "ferry: workflows of jobs on HPC clusters — no database server, nothing to install on compute nodes",
    )
    .version(FERRY_VERSION)
    .option(
      "-p, --project <path>",
      "ferry.yaml, or the folder holding it (default: search upwards; env FERRY_PROJECT)",
    )
    .option(
      "--database <url>",
      "override the project's database (postgres://… or a SQLite path; env FERRY_DATABASE_URL)",
    )
    .addHelpText("after", EXAMPLES)
    .showSuggestionAfterError(true)
    .exitOverride();
  const groups = new Map<string, Command>();
  for (const spec of COMMANDS) {
    let parent = program;
    if (spec.path.length > 1) {
      const group = spec.path[0]!;
      let g = groups.get(group);
      if (!g) {
        g = program.command(group).description(GROUPS.get(group) ?? group);
        groups.set(group, g);
      }
      parent = g;
    }
    addCommand(parent, spec, io, program);
  }
  return program;
}
