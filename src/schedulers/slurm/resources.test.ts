import assert from "node:assert/strict";
import { test } from "node:test";
import { request } from "../../../test/fixtures/schedulers/requests.ts";
import { ValidationError } from "../../model/errors.ts";
import { formatSlurmTime, renderSlurmDirectives } from "./resources.ts";

test("every neutral key becomes an #SBATCH line", () => {
  const lines = renderSlurmDirectives(
    request(
      "slurm",
      {
        nodes: 2,
        processesPerNode: 4,
        processes: 8,
        cpusPerProcess: 2,
        gpus: 1,
        memory: "4G",
        walltime: "1d2h",
        partition: "gpu",
        account: "proj1",
        qos: "long",
        reservation: "maint",
        constraint: "a100&ib",
        exclusive: true,
        mail: { user: "me@example.org", events: ["end", "fail"] },
        custom: { slurm: ["--hint=nomultithread"], pbs: ["-V"] },
      },
      { arraySize: 5, warning: { signal: "USR1", secondsBefore: 300 } },
    ),
  );
  assert.deepEqual(lines, [
    "#SBATCH --job-name=ferry-job7",
    "#SBATCH --chdir=/scratch/flows/f1/job7",
    "#SBATCH --output=/scratch/flows/f1/job7/stdout.txt",
    "#SBATCH --error=/scratch/flows/f1/job7/stderr.txt",
    "#SBATCH --nodes=2",
    "#SBATCH --ntasks=8",
    "#SBATCH --ntasks-per-node=4",
    "#SBATCH --cpus-per-task=2",
    "#SBATCH --gpus-per-node=1",
    "#SBATCH --mem=4096M",
    "#SBATCH --time=1-02:00:00",
    "#SBATCH --partition=gpu",
    "#SBATCH --account=proj1",
    "#SBATCH --qos=long",
    "#SBATCH --reservation=maint",
    '#SBATCH --constraint="a100&ib"',
    "#SBATCH --exclusive",
    "#SBATCH --mail-user=me@example.org",
    "#SBATCH --mail-type=END,FAIL",
    "#SBATCH --array=1-5",
    "#SBATCH --signal=B:USR1@300",
    "#SBATCH --hint=nomultithread",
  ]);
});

test("values with blanks, # or % are quoted and escaped the way sbatch reads them", () => {
  const lines = renderSlurmDirectives(
    request(
      "slurm",
      { jobName: "my job #1" },
      { stdoutPath: "/data/100% done/out-{index}.txt", arraySize: 2 },
    ),
  );
  assert.ok(lines.includes('#SBATCH --job-name="my job #1"'));
  assert.ok(lines.includes('#SBATCH --output="/data/100%% done/out-%a.txt"'));
});

test("a line break in any value is refused: it would inject a command into the batch script", () => {
  assert.throws(
    () => renderSlurmDirectives(request("slurm", { jobName: "x\nrm -rf ~" })),
    (e: unknown) => e instanceof ValidationError && /line break/.test(e.message),
  );
  assert.throws(
    () => renderSlurmDirectives(request("slurm", { custom: ["--comment=a\nb"] })),
    ValidationError,
  );
});

test("a double quote cannot be quoted in a directive", () => {
  assert.throws(() => renderSlurmDirectives(request("slurm", { account: 'a"b' })), ValidationError);
});

test("a warning must come before the walltime", () => {
  assert.throws(
    () =>
      renderSlurmDirectives(
        request("slurm", { walltime: 60 }, { warning: { signal: "USR1", secondsBefore: 60 } }),
      ),
    /not before a walltime/,
  );
});

test("walltime format", () => {
  assert.equal(formatSlurmTime(59), "0-00:00:59");
  assert.equal(formatSlurmTime(86400 + 3661), "1-01:01:01");
});
