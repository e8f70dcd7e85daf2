/** A login node reached only through a bastion (ProxyJump in the user's ssh config). */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import { SshTransport, SshTransportError } from "../src/transport/ssh/index.ts";
import { skipUnless } from "./helpers/components.ts";
import { type Sshd, SshLab } from "./helpers/sshd.ts";

const skip = skipUnless("sshd");
const CODE = "771177";
let lab: SshLab;
let login: Sshd;
let mfa: Sshd;
let bastion: Sshd;

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  login = await lab.server("login");
  mfa = await lab.server("mfa", { mfa: { code: CODE } });
  bastion = await lab.server("bastion");
  lab.jump("login-via-bastion", login, bastion);
  lab.jump("mfa-via-bastion", mfa, bastion);
});
after(async () => {
  await lab?.[Symbol.asyncDispose]();
});

test("commands and files go through the bastion: one login on each server", { skip }, async () => {
  const [bastionLogins, loginLogins] = [bastion.logins(), login.logins()];
  await using t = new SshTransport(lab.transportOptions("login-via-bastion"));
  const r = await t.exec({ argv: ["sh", "-c", 'echo "$SSH_CONNECTION"'] });
  assert.equal(r.exitCode, 0);
  assert.match(r.stdout, new RegExp(` ${login.port}\\n$`), "the command ran on the login node");
  const dir = lab.remoteDir();
  const files = Array.from({ length: 200 }, (_, i) => ({ path: `${dir}/f${i}`, content: `n${i}` }));
  await t.writeMany(files);
  const back = await t.readMany(
    files.map((f) => f.path),
    { within: dir },
  );
  for (const f of files) assert.equal(back.get(f.path), f.content);
  assert.equal(bastion.logins() - bastionLogins, 1);
  assert.equal(login.logins() - loginLogins, 1);
});

test("the one-time code behind a bastion is asked once", { skip }, async () => {
  let asked = 0;
  await using t = new SshTransport({
    ...lab.transportOptions("mfa-via-bastion"),
    prompt: async () => {
      asked++;
      return CODE;
    },
  });
  for (let i = 0; i < 30; i++) assert.equal((await t.exec({ argv: ["echo", String(i)] })).exitCode, 0);
  assert.equal(asked, 1);
});

test("with the bastion down the login node is unreachable through it, and still reachable directly", {
  skip,
}, async () => {
  await bastion.stop();
  try {
    await using via = new SshTransport(lab.transportOptions("login-via-bastion"));
    const e = await via.exec({ argv: ["touch", `${lab.remoteDir()}/ran`] }).catch((x: unknown) => x);
    assert.ok(e instanceof SshTransportError, String(e));
    assert.equal(e.reason, "unreachable");
    assert.equal(e.outcome, "not-run");
    await using direct = new SshTransport(lab.transportOptions("login"));
    assert.equal((await direct.exec({ argv: ["echo", "direct"] })).stdout, "direct\n");
  } finally {
    await bastion.start();
  }
  assert.equal(fs.existsSync(lab.configFile), true);
});
