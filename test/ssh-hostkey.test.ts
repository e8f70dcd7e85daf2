/**
 * Host keys are verified: an unknown or changed key is a clear error (host, fingerprint, what to
 * do) and no command runs — never a silent accept-new. Also through a jump host.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import { SshTransport, SshTransportError } from "../src/transport/ssh/index.ts";
import { skipUnless } from "./helpers/components.ts";
import { type Sshd, SshLab } from "./helpers/sshd.ts";

const skip = skipUnless("sshd");
let lab: SshLab;
let login: Sshd;
let bastion: Sshd;

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  login = await lab.server("login");
  bastion = await lab.server("bastion");
  lab.jump("via-bastion", login, bastion);
});
after(async () => {
  await lab?.[Symbol.asyncDispose]();
});

/** The fingerprint as `ssh-keygen -l` prints it for the server's public key. */
function fingerprint(s: Sshd): string {
  const pub = lab.dir + `/${s.alias}.pub-copy`;
  fs.writeFileSync(pub, s.hostKeyPub);
  return execFileSync("ssh-keygen", ["-l", "-f", pub], { encoding: "utf8" }).split(" ")[1]!;
}

async function refused(destination: string): Promise<{ error: SshTransportError; ran: boolean }> {
  const dir = lab.remoteDir();
  await using t = new SshTransport(lab.transportOptions(destination));
  const error = await t.exec({ argv: ["touch", `${dir}/ran`] }).catch((e: unknown) => e);
  assert.ok(error instanceof SshTransportError, String(error));
  return { error, ran: fs.existsSync(`${dir}/ran`) };
}

test("an unknown host key: the host, its fingerprint and the command to add it; nothing ran", {
  skip,
}, async () => {
  login.forgetHostKey();
  try {
    const logins = login.logins();
    const { error, ran } = await refused("login");
    assert.equal(ran, false);
    assert.equal(login.logins(), logins, "no login happened");
    assert.equal(error.reason, "host-key");
    assert.equal(error.retryable, false);
    assert.equal(error.hostKey?.problem, "unknown");
    assert.equal(error.hostKey?.hostId, `[127.0.0.1]:${login.port}`);
    assert.equal(error.hostKey?.fingerprint, fingerprint(login));
    assert.ok(error.message.includes(fingerprint(login)), error.message);
    assert.ok(
      error.message.includes(`ssh-keyscan -t ed25519 -p ${login.port} 127.0.0.1 >> ${lab.knownHostsFile}`),
      error.message,
    );
    assert.equal(
      fs.readFileSync(lab.knownHostsFile, "utf8").includes(`:${login.port} `),
      false,
      "nothing was added",
    );
  } finally {
    login.trustCurrentKey();
  }
});

test("a changed host key: both keys named, the command to remove the old one; nothing ran", {
  skip,
}, async () => {
  await login.changeHostKey();
  try {
    const { error, ran } = await refused("login");
    assert.equal(ran, false);
    assert.equal(error.reason, "host-key");
    assert.equal(error.hostKey?.problem, "changed");
    assert.equal(error.hostKey?.fingerprint, fingerprint(login));
    assert.match(error.hostKey?.offending ?? "", new RegExp(`^${lab.knownHostsFile}:\\d+$`));
    assert.match(error.message, /CHANGED/);
    assert.ok(
      error.message.includes(`ssh-keygen -f ${lab.knownHostsFile} -R '[127.0.0.1]:${login.port}'`),
      error.message,
    );
  } finally {
    login.trustCurrentKey();
  }
  // After the user checked and trusted the new key, it works.
  await using t = new SshTransport(lab.transportOptions("login"));
  assert.equal((await t.exec({ argv: ["echo", "ok"] })).stdout, "ok\n");
});

test("a jump host's unknown key is named as the jump host's, with its fingerprint", { skip }, async () => {
  bastion.forgetHostKey();
  try {
    const { error, ran } = await refused("via-bastion");
    assert.equal(ran, false);
    assert.equal(error.reason, "host-key");
    assert.equal(error.hostKey?.hostId, `[127.0.0.1]:${bastion.port}`);
    assert.equal(error.hostKey?.fingerprint, fingerprint(bastion));
    assert.match(error.message, /jump host bastion/);
  } finally {
    bastion.trustCurrentKey();
  }
});

test("a changed key behind the jump host is refused too", { skip }, async () => {
  await login.changeHostKey();
  try {
    const { error, ran } = await refused("via-bastion");
    assert.equal(ran, false);
    assert.equal(error.hostKey?.problem, "changed");
    assert.match(error.message, /log in once by hand \(through the same jump hosts\)/);
  } finally {
    login.trustCurrentKey();
  }
});
