/**
 * Optional real components (PostgreSQL, SLURM, Grid Engine, network namespaces, …). A test that
 * needs one that is absent skips with a message saying how to enable it — unless
 * FERRY_TEST_REQUIRE_ALL=1 (set by .ci/run), where an absent component fails the test, so that
 * nothing required is silently skipped in CI.
 */

export type Component =
  | "postgres"
  | "slurm"
  | "sge"
  | "pbs-wrappers"
  | "netns"
  | "sshd"
  | "chromium"
  | "python";

const HOW: Record<Component, string> = {
  postgres: "set FERRY_TEST_PG_URL=postgres://user@host:port/db (bash .ci/run does)",
  slurm: "start the test cluster with scripts/ci/slurm.sh and set FERRY_TEST_SLURM=1",
  sge: "start Grid Engine with scripts/ci/sge.sh and set FERRY_TEST_SGE=1",
  "pbs-wrappers":
    "run scripts/ci/slurm.sh (it unpacks the slurm-wlm-torque wrappers into /opt/slurm-torque/bin) and set FERRY_TEST_PBS_WRAPPERS=1",
  netns: "run as root where `ip netns`/`unshare -n` are permitted and set FERRY_TEST_NETNS=1",
  sshd: "run scripts/ci/sshd.sh as root (openssh-server, the test user hpcuser) and set FERRY_TEST_SSHD=1",
  chromium:
    "install Debian's chromium with scripts/ci/chromium.sh and set FERRY_TEST_CHROMIUM=/usr/bin/chromium",
  python:
    "build the pinned venv with `bash scripts/ci/python.sh` and set FERRY_TEST_PYTHON to the python it prints",
};

const ENV: Record<Component, string> = {
  postgres: "FERRY_TEST_PG_URL",
  slurm: "FERRY_TEST_SLURM",
  sge: "FERRY_TEST_SGE",
  "pbs-wrappers": "FERRY_TEST_PBS_WRAPPERS",
  netns: "FERRY_TEST_NETNS",
  sshd: "FERRY_TEST_SSHD",
  chromium: "FERRY_TEST_CHROMIUM",
  python: "FERRY_TEST_PYTHON",
};

export function componentEnabled(name: Component): boolean {
  const v = process.env[ENV[name]];
  return v !== undefined && v !== "" && v !== "0";
}

/**
 * For `test(name, { skip: skipUnless("slurm") }, fn)`: false when the component is available;
 * otherwise a skip message — or, under FERRY_TEST_REQUIRE_ALL=1, false, so the test runs and
 * fails loudly on the missing component.
 */
export function skipUnless(...names: Component[]): string | false {
  const missing = names.filter((n) => !componentEnabled(n));
  if (missing.length === 0) return false;
  if (process.env.FERRY_TEST_REQUIRE_ALL === "1") {
    throw new Error(
      `required test component missing: ${missing.join(", ")} (${missing.map((m) => HOW[m]).join("; ")})`,
    );
  }
  return `needs ${missing.map((m) => `${m}: ${HOW[m]}`).join("; ")}`;
}
