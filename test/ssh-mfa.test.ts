/**
 * Keyboard-interactive one-time codes (publickey, then a PAM code): the prompt reaches the
 * caller once per connection, then many commands run without another one.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type SshEvent, SshTransport, SshTransportError } from "../src/transport/ssh/index.ts";
import { skipUnless } from "./helpers/components.ts";
import { type Sshd, SshLab } from "./helpers/sshd.ts";

const skip = skipUnless("sshd");
const CODE = "424242";
let lab: SshLab;
let mfa: Sshd;

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  mfa = await lab.server("mfa", { mfa: { code: CODE } });
});
after(async () => {
  await lab?.[Symbol.asyncDispose]();
});

test("the code is asked once, then 120 commands run without another prompt", { skip }, async () => {
  const checksBefore = mfa.codeChecks();
  const prompts: { text: string; echo: boolean; host: string }[] = [];
  const events: SshEvent[] = [];
  await using t = new SshTransport({
    ...lab.transportOptions("mfa"),
    prompt: async (text, info) => {
      prompts.push({ text, ...info });
      return CODE;
    },
    onEvent: (e) => events.push(e),
  });
  for (let i = 0; i < 100; i++) assert.equal((await t.exec({ argv: ["echo", String(i)] })).stdout, `${i}\n`);
  const dir = lab.remoteDir();
  await Promise.all(Array.from({ length: 20 }, (_, i) => t.writeAtomic(`${dir}/f${i}`, String(i))));
  assert.equal(prompts.length, 1, "one prompt for 120 commands");
  assert.equal(t.prompts, 1);
  assert.match(prompts[0]!.text, /Password:/);
  assert.deepEqual({ echo: prompts[0]!.echo, host: prompts[0]!.host }, { echo: false, host: "mfa" });
  assert.equal(mfa.codeChecks() - checksBefore, 1, "the server checked one code");
  assert.equal(mfa.logins(), 1);
  assert.ok(!JSON.stringify(events).includes(CODE), "the code never reaches an event");
});

test("a second transport beside the first reuses its connection: no second code", { skip }, async () => {
  let asked = 0;
  const prompt = async () => {
    asked++;
    return CODE;
  };
  await using first = new SshTransport({ ...lab.transportOptions("mfa"), prompt });
  await first.connect();
  const checks = mfa.codeChecks();
  {
    await using second = new SshTransport({ ...lab.transportOptions("mfa"), prompt });
    assert.equal((await second.exec({ argv: ["echo", "shared"] })).stdout, "shared\n");
  }
  assert.equal(asked, 1);
  assert.equal(mfa.codeChecks(), checks);
  // The second did not own the master: closing it left the first working.
  assert.equal((await first.exec({ argv: ["echo", "still"] })).stdout, "still\n");
});

test("without a prompt function the login fails as auth, saying why; nothing is retried", {
  skip,
}, async () => {
  const checks = mfa.codeChecks();
  await using t = new SshTransport(lab.transportOptions("mfa"));
  const e = await t.exec({ argv: ["true"] }).catch((x: unknown) => x);
  assert.ok(e instanceof SshTransportError, String(e));
  assert.equal(e.reason, "auth");
  assert.equal(e.outcome, "not-run");
  assert.equal(e.retryable, false);
  assert.match(e.message, /no prompt is wired/);
  // ssh sends an empty answer per prompt unless told to ask nothing: a site counts each as a failed code
  assert.equal(mfa.codeChecks(), checks, "no empty code was sent");
});

test("a wrong code is an auth error and never appears in the message", { skip }, async () => {
  const wrong = "999111";
  await using t = new SshTransport({ ...lab.transportOptions("mfa"), prompt: async () => wrong });
  const e = await t.exec({ argv: ["true"] }).catch((x: unknown) => x);
  assert.ok(e instanceof SshTransportError, String(e));
  assert.equal(e.reason, "auth");
  assert.ok(!e.message.includes(wrong));
  assert.ok(!e.message.includes(CODE));
});
