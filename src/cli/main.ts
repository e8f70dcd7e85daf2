#!/usr/bin/env node
/**
 * The `ferry` entry point: parse, run, and map every error to one documented exit code. Expected
 * errors print a short message; internal errors print their stack (worth reporting).
 */
import { CommanderError } from "commander";
import { coerceError, FerryError } from "../model/errors.ts";
import { Context } from "./context.ts";
import { EXIT, EXIT_BY_KIND } from "./exit-codes.ts";
import { makeOut, paint } from "./output.ts";
import { buildProgram } from "./program.ts";

export async function main(argv: readonly string[]): Promise<number> {
  const out = makeOut();
  let code: number = EXIT.ok;
  const program = buildProgram({
    setExitCode: (c) => {
      code = c;
    },
    context: (options) => new Context(options, out),
  });
  try {
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
      out.error(`${paint(out, "red", "ferry:")} ${err.message}\n`);
      return EXIT_BY_KIND[err.kind];
    }
    out.error(
      `${paint(out, "red", "ferry: internal error")} — please report it with this trace:\n${err.stack ?? err.message}\n`,
    );
    return EXIT.internal;
  }
}

if (import.meta.main) {
  // `ferry … | head` closes the pipe early: that is not an error
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
}
