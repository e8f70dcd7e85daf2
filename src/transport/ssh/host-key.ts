/**
 * A refused host key, told so that a person can act: which host (the destination or one of its
 * jump hosts), the fingerprint the server presented, where the old key is, and the exact commands
 * to trust the key after checking it. ferry itself never adds or replaces a key (no accept-new).
 */
import { shJoin } from "../quote.ts";
import { AskpassRelay } from "./askpass.ts";
import { isHostKeyQuestion, parseHostKeyProblem } from "./classify.ts";
import type { HostKeyProblem } from "./errors.ts";
import type { ResolvedSshOptions } from "./options.ts";
import { runSsh } from "./spawn.ts";
import { probeArgs } from "./ssh-args.ts";

type Config = Map<string, string>;

/** `ssh -G`: the effective configuration of a destination (no connection is made). */
export async function effectiveConfig(o: ResolvedSshOptions, destination = o.destination): Promise<Config> {
  const argv = [
    o.ssh,
    ...(o.configFile ? ["-F", o.configFile] : []),
    ...o.extraOptions.flatMap((x) => ["-o", x]),
  ];
  const r = await runSsh({ argv: [...argv, "-G", "--", destination], timeoutMs: 10_000 });
  const out: Config = new Map();
  for (const line of r.stdout.toString("utf8").split("\n")) {
    const sp = line.indexOf(" ");
    if (sp > 0 && !out.has(line.slice(0, sp))) out.set(line.slice(0, sp), line.slice(sp + 1));
  }
  return out;
}

function splitHostId(id: string): { host: string; port: string } {
  const m = id.match(/^\[(.+)\]:(\d+)$/);
  return m ? { host: m[1]!, port: m[2]! } : { host: id, port: "22" };
}

interface Hop {
  /** The name to give ssh for this hop (the destination, or a ProxyJump entry). */
  name: string;
  config: Config;
}

/** The destination and its jump hosts (ProxyJump a,b: b is nearest the destination). */
async function hops(o: ResolvedSshOptions): Promise<Hop[]> {
  const target = await effectiveConfig(o).catch((): Config => new Map());
  const jumps = (target.get("proxyjump") ?? "").split(",").filter((j) => j !== "" && j !== "none");
  const out: Hop[] = [{ name: o.destination, config: target }];
  for (const j of jumps.reverse()) {
    // ProxyJump takes [user@]host[:port]; ssh's command line takes that form only as a URI.
    const name = /:\d+$/.test(j) && !j.startsWith("ssh://") ? `ssh://${j}` : j;
    out.push({ name, config: await effectiveConfig(o, name).catch((): Config => new Map()) });
  }
  return out;
}

function owns(hop: Hop, hostId: string): boolean {
  const { host, port } = splitHostId(hostId);
  const names = [hop.config.get("hostkeyalias"), hop.config.get("hostname")];
  return names.includes(host) && (hop.config.get("port") ?? "22") === port;
}

/** Learn the fingerprint of a key ssh refused without showing it, by asking again (answer: no). */
export async function probeFingerprint(
  o: ResolvedSshOptions,
  dir: string,
  hostId: string,
): Promise<HostKeyProblem | undefined> {
  const hop = (await hops(o)).find((h) => owns(h, hostId));
  let seen: HostKeyProblem | undefined;
  const relay = await AskpassRelay.start(dir, async (prompt) => {
    if (!isHostKeyQuestion(prompt)) return null;
    seen ??= parseHostKeyProblem(prompt);
    return "no";
  });
  try {
    await runSsh({
      argv: [o.ssh, ...probeArgs(o, hop?.name ?? o.destination)],
      env: { ...process.env, ...relay.env() },
      stdin: "",
      detached: true,
      timeoutMs: o.connectTimeoutMs + 5_000,
    });
  } finally {
    await relay.close();
  }
  return seen?.hostId === hostId ? seen : undefined;
}

/** The message of a host-key error, with what to do. */
export async function describeHostKey(o: ResolvedSshOptions, p: HostKeyProblem): Promise<string> {
  const all = await hops(o);
  const hop = all.find((h) => owns(h, p.hostId));
  const who =
    hop === undefined || hop.name === o.destination ? p.hostId : `${p.hostId} (jump host ${hop.name})`;
  const key = `${p.keyType ?? "host"} key${p.fingerprint ? ` ${p.fingerprint}` : ""}`;
  const { host, port } = splitHostId(p.hostId);
  const direct = hop !== undefined && !hop.config.has("proxyjump") && !hop.config.has("proxycommand");
  const knownHosts =
    (hop?.name === o.destination ? o.knownHostsFile : undefined) ??
    p.offending?.replace(/:\d+$/, "") ??
    hop?.config.get("userknownhostsfile")?.split(" ")[0] ??
    "~/.ssh/known_hosts";
  const byHand = shJoin([
    "ssh",
    ...(o.configFile ? ["-F", o.configFile] : []),
    "-o",
    "StrictHostKeyChecking=ask",
    ...(o.knownHostsFile && hop?.name === o.destination
      ? ["-o", `UserKnownHostsFile=${o.knownHostsFile}`]
      : []),
    hop?.name ?? o.destination,
    "true",
  ]);
  const add = direct
    ? [
        `  ${shJoin(["ssh-keyscan", ...(p.keyType ? ["-t", p.keyType.toLowerCase()] : []), "-p", port, host])} >> ${shJoin([knownHosts])}`,
        "or log in once by hand and answer yes:",
        `  ${byHand}`,
      ]
    : ["log in once by hand (through the same jump hosts) and answer yes:", `  ${byHand}`];
  if (p.problem === "changed") {
    return [
      `the host key of ${who} has CHANGED: the server now presents the ${key}` +
        (p.offending ? `, the trusted one is in ${p.offending}` : "") +
        `. ferry did not connect to ${o.destination}: this may be an attack (someone in between) or a reinstalled server.`,
      "Ask the site whether its key changed and compare the fingerprint. Only then remove the old key:",
      `  ${shJoin(["ssh-keygen", "-f", knownHosts, "-R", p.hostId])}`,
      "and add the new one, either with",
      ...add,
    ].join("\n");
  }
  return [
    `the host key of ${who} is not known (the server presents the ${key}); ferry did not connect to ${o.destination}.`,
    `Compare the fingerprint with the one your site publishes, then add the key${direct ? ", either with" : ":"}`,
    ...add,
  ].join("\n");
}
