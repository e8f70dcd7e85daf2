/** The command table, part four: importing workflows written for other tools. */
import type { Command } from "commander";
import { importFireworks } from "./commands/import-fireworks.ts";
import type { Context } from "./context.ts";
import { json } from "./output.ts";
import { printAdded } from "./print.ts";

type Run = (fn: (c: Context) => Promise<void>) => () => Promise<void>;

export function registerImportCommands(program: Command, run: Run): void {
  const group = program.command("import").description("add workflows written for other tools");
  group
    .command("fireworks")
    .description("a FireWorks workflow file (lpad add format: fws, links, metadata; or one Firework)")
    .argument("<file>", "JSON or YAML")
    .option("--write <out>", "write the converted ferry flow (JSON) to this file instead of adding it")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nScriptTask, FileWriteTask and local FileTransferTask run as sh tasks; any other Firework runs\nthrough FireWorks on the node (pip install ./python fireworks in the worker's python).\nSpec keys ferry does not interpret are reported, never dropped silently.",
    )
    .action((file: string, o: { write?: string; json?: boolean }) =>
      run(async (c) => {
        const r = await importFireworks(c, file, o.write ? { write: o.write } : {});
        if (o.json) {
          c.out.write(json(r));
          return;
        }
        for (const w of r.warnings) c.out.error(`warning: Firework ${w.fwId} (job ${w.job}): ${w.message}\n`);
        if (r.added) printAdded(c.out, [r.added]);
        else c.out.write(`wrote ${r.written}\n`);
        const viaPython = Object.entries(r.runs)
          .filter(([, how]) => how === "py")
          .map(([name]) => name);
        if (viaPython.length > 0) c.out.write(`through FireWorks on the node: ${viaPython.join(", ")}\n`);
      })(),
    );
}
