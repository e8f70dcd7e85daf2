/**
 * Regular expressions that cannot hang the store. SQLite runs `$regex` and `--name` in
 * JavaScript (sqlite/client.ts's ferry_regexp), and V8's default engine backtracks:
 * `(.*)(.*)(.*)(.*)(.*)x` over a 1 MB value ran for minutes (issue #8); the nested-repetition
 * rule of regex.ts stops only the exponential cases, not polynomial ones like this. V8's
 * experimental engine runs a pattern in time linear in the input (a Thompson-style automaton);
 * measured on Node 24 here, that pattern over 1 MB answers in about 0.3 s. It takes no lookahead,
 * no back-references, no `u` or `i` flag, and repeat counts up to 16 per nesting level — regex.ts
 * writes its JavaScript form within those bounds and refuses the rest when a query is read, so
 * SQLite and PostgreSQL (whose engine is a DFA hybrid; the same pattern takes 10 ms there)
 * accept the same patterns.
 *
 * The engine is behind a V8 flag that takes effect when a RegExp is created, so setting it once
 * at load is enough (node:v8 setFlagsFromString; the flag changes no other RegExp).
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--enable-experimental-regexp-engine");

/** A RegExp on the linear-time engine; throws SyntaxError for a pattern it cannot run. */
export function linearRegExp(source: string, flags = ""): RegExp {
  return new RegExp(source, `${flags.replace("l", "")}l`);
}

/** Why `source` cannot run on the linear-time engine, or null. */
export function linearProblem(source: string): string | null {
  try {
    linearRegExp(source);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
