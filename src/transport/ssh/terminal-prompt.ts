/**
 * An SshPrompt that asks the person at this process's terminal (`ferry runner start` in the
 * foreground): the prompt goes to stderr, the answer is read without echo. Prompts of several
 * hosts logging in at once are asked one after the other, never interleaved. Without a terminal
 * (stdin not a TTY: cron, nohup) it refuses at once, so the login fails with a clear auth error
 * instead of waiting for an answer nobody can type.
 */
import { InterruptedError } from "../../model/errors.ts";
import type { SshPrompt } from "./options.ts";

export interface TerminalPromptOptions {
  input?: NodeJS.ReadStream;
  output?: NodeJS.WritableStream;
}

export function terminalPrompt(options: TerminalPromptOptions = {}): SshPrompt {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  let queue: Promise<unknown> = Promise.resolve();
  return (text, info) => {
    const asked = queue.then(() => ask(input, output, `[${info.host}] ${text}`));
    queue = asked.catch(() => {});
    return asked;
  };
}

function ask(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  if (!input.isTTY) return Promise.reject(new Error("no terminal to ask for the answer"));
  return new Promise((resolve, reject) => {
    let answer = "";
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    output.write(prompt);
    const finish = (error?: Error) => {
      input.off("data", onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write("\n");
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003") return finish(new InterruptedError("the prompt was interrupted (Ctrl-C)"));
        if (ch === "\u0004") return finish(new Error("no answer (Ctrl-D)"));
        if (ch === "\u007f" || ch === "\b") answer = [...answer].slice(0, -1).join("");
        else if (ch >= " ") answer += ch;
      }
    };
    input.on("data", onData);
  });
}
