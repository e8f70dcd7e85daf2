/** The SSH transport: the system OpenSSH client through one ferry-owned ControlMaster per host. */
export { type HostKeyProblem, type SshFailureReason, type SshOutcome, SshTransportError } from "./errors.ts";
export type { SshEvent, SshPrompt, SshTransportOptions } from "./options.ts";
export { type TerminalPromptOptions, terminalPrompt } from "./terminal-prompt.ts";
export { SshTransport } from "./transport.ts";
