/**
 * Authentication prompts of a login (one-time code, password, key passphrase) relayed to the
 * ferry process. ssh runs $SSH_ASKPASS with the prompt as its argument and reads the answer from
 * its stdout (SSH_ASKPASS_REQUIRE=force: even without X11, even with a terminal). Our helper is a
 * few lines of JavaScript run by this same node binary: it sends the prompt over a unix socket in
 * a private folder and prints the answer it gets back. The answer passes through memory and that
 * socket only: never a file, an argument or a log line.
 *
 * ssh says nothing through askpass about echo (readpass.c passes only a "confirm" hint), so every
 * prompt is reported with echo: false — a terminal hides what is typed, which is safe for codes.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** Answer for a prompt, or null to refuse it (ssh then fails that authentication). */
export type AskpassHandler = (prompt: string, hint: string) => Promise<string | null>;

const HELPER = `import { connect } from "node:net";
const s = connect(process.env.FERRY_ASKPASS_SOCKET ?? "");
let got = "";
s.setEncoding("utf8");
s.on("connect", () => s.write(JSON.stringify({ token: process.env.FERRY_ASKPASS_TOKEN, prompt: process.argv[2] ?? "", hint: process.env.SSH_ASKPASS_PROMPT ?? "" }) + "\\n"));
s.on("data", (d) => { got += d; });
s.on("end", () => {
  let m;
  try { m = JSON.parse(got); } catch { process.exit(1); }
  if (typeof m.answer !== "string") process.exit(1);
  process.stdout.write(m.answer + "\\n", () => process.exit(0));
});
s.on("error", () => process.exit(1));
`;

export class AskpassRelay {
  readonly #server: net.Server;
  readonly #dir: string;
  readonly #socket: string;
  readonly #token = randomBytes(24).toString("hex");
  readonly #script: string;

  private constructor(dir: string, handler: AskpassHandler) {
    this.#dir = dir;
    this.#socket = path.join(dir, "a.sock");
    this.#script = path.join(dir, "askpass");
    this.#server = net.createServer((conn) => {
      let buf = "";
      conn.setEncoding("utf8");
      conn.on("error", () => {});
      conn.on("data", (d: string) => {
        buf += d;
        const nl = buf.indexOf("\n");
        if (nl === -1) return;
        let req: { token?: unknown; prompt?: unknown; hint?: unknown };
        try {
          req = JSON.parse(buf.slice(0, nl));
        } catch {
          conn.end("{}");
          return;
        }
        if (req.token !== this.#token || typeof req.prompt !== "string") {
          conn.end("{}");
          return;
        }
        handler(req.prompt, typeof req.hint === "string" ? req.hint : "").then(
          (answer) => conn.end(JSON.stringify(answer === null ? {} : { answer })),
          () => conn.end("{}"),
        );
      });
    });
  }

  /** A relay in `parent` (a private folder; the socket path must stay short). */
  static async start(parent: string, handler: AskpassHandler): Promise<AskpassRelay> {
    const dir = fs.mkdtempSync(path.join(parent, "ap-"));
    const relay = new AskpassRelay(dir, handler);
    fs.writeFileSync(path.join(dir, "askpass.mjs"), HELPER, { mode: 0o600 });
    const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    fs.writeFileSync(
      relay.#script,
      `#!/bin/sh\nunset NODE_OPTIONS\nexec ${q(process.execPath)} ${q(path.join(dir, "askpass.mjs"))} "$@"\n`,
      { mode: 0o700 },
    );
    await new Promise<void>((resolve, reject) => {
      relay.#server.once("error", reject);
      relay.#server.listen(relay.#socket, () => resolve());
    });
    relay.#server.unref();
    return relay;
  }

  /** Environment for an ssh process whose prompts come here. */
  env(): Record<string, string> {
    return {
      SSH_ASKPASS: this.#script,
      SSH_ASKPASS_REQUIRE: "force",
      FERRY_ASKPASS_SOCKET: this.#socket,
      FERRY_ASKPASS_TOKEN: this.#token,
      // OpenSSH before 8.4 ignores SSH_ASKPASS_REQUIRE; it uses askpass when DISPLAY is set and
      // there is no terminal (our ssh runs detached, without one).
      DISPLAY: process.env.DISPLAY ?? ":0",
    };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
}
