/**
 * PBS commands against the slurm-wlm-torque wrappers (PBS syntax over the SLURM test cluster;
 * FERRY_TEST_PBS_WRAPPERS=1). The wrappers speak TORQUE's dialect (text qstat -f, no -F json,
 * no exit_status), so this checks the TORQUE flavour's submit, status and cancel end to end;
 * what the wrappers cannot say (exit codes) is cross-checked in SLURM's own accounting.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  execWith,
  PBS_WRAPPERS_ENV,
  pollUntil,
  prepareJob,
  scratchDir,
  submitJob,
} from "../../../test/fixtures/schedulers/real-jobs.ts";
import { skipUnless } from "../../../test/helpers/components.ts";
import { execLocal } from "../../transport/local.ts";
import { createPoller } from "../poller.ts";
import { slurm } from "../slurm/index.ts";
import { torque } from "./index.ts";

const skip = skipUnless("pbs-wrappers");
const exec = execWith(PBS_WRAPPERS_ENV);
const root = skip === false ? scratchDir("pbs-it") : "";
const newPoller = () => createPoller({ scheduler: torque, exec, minIntervalMs: 500 });

describe("PBS (TORQUE flavour) through the slurm-wlm-torque wrappers", { skip, concurrency: true }, () => {
  test("submit → the job runs with our #PBS directives and its output lands where asked", async () => {
    const job = await submitJob(
      torque,
      exec,
      prepareJob(torque, root, { name: "ok", body: "echo hello", resources: { walltime: 120 } }),
    );
    const s = (await pollUntil(newPoller(), [job.id], 60_000, (x) => x.native === "C")).get(job.id)!;
    assert.equal(s.state, "unknown"); // the wrappers' qstat has no exit_status: honestly unknown
    // (sbatch's PBS emulation sets PBS_ARRAYID but not PBS_JOBID: a wrapper limitation)
    assert.equal(readFileSync(join(job.dir, "out.txt"), "utf8"), "hello\n");
    const show = await execLocal({ argv: ["scontrol", "show", "job", "-o", job.id] });
    assert.match(show.stdout, /JobName=ferry-ok .*TimeLimit=00:02:00/);
  });

  test("status → running, then qdel → the job ends, and SLURM's accounting says CANCELLED", async () => {
    const job = await submitJob(
      torque,
      exec,
      prepareJob(torque, root, { name: "cancel", body: "sleep 300" }),
    );
    const poller = newPoller();
    await pollUntil(poller, [job.id], 60_000, (s) => s.state === "running");
    torque.parseCancel(await exec(torque.cancelCommand([job.id])), [job.id]);
    await pollUntil(poller, [job.id], 60_000, (s) => s.native === "C");
    const accounting = await pollUntil(
      createPoller({ scheduler: slurm, exec: execLocal, minIntervalMs: 500 }),
      [job.id],
      60_000,
    );
    assert.equal(accounting.get(job.id)?.state, "cancelled");
  });

  test("qdel of an id the wrappers do not know is not an error", async () => {
    torque.parseCancel(await exec(torque.cancelCommand(["999999"])), ["999999"]);
  });
});
