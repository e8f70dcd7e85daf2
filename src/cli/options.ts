/**
 * Typed options and arguments for the command table. Each option says how its text is parsed;
 * a value that does not parse (`--limit abc`, `--id 1x`, `--worker ''`) is a usage error (exit 2)
 * at the CLI boundary, before any command runs. `Values<O>` is the type a command receives.
 */
import { InvalidArgumentError } from "commander";

export interface OptionSpec<T> {
  /** Commander flags: "-l, --limit <n>", "--json", "--state <states>". */
  readonly flags: string;
  readonly description: string;
  /** Parse one occurrence; `previous` is the value so far (lists accumulate). */
  readonly parse?: (text: string, previous: T | undefined) => T;
  readonly hidden?: boolean;
  /** Type only. */
  readonly __type?: T;
}

export interface ArgSpec<T> {
  /** "<id>", "[dir]", "<files...>" */
  readonly name: string;
  readonly description: string;
  readonly parse?: (text: string) => T;
  readonly __type?: T;
}

// biome-ignore lint/suspicious/noExplicitAny: a table of options of any value type
export type OptionSpecs = Readonly<Record<string, OptionSpec<any>>>;
export type Values<O extends OptionSpecs> = { [K in keyof O]?: O[K] extends OptionSpec<infer T> ? T : never };
// biome-ignore lint/suspicious/noExplicitAny: a tuple of arguments of any value type
export type ArgValues<A extends readonly ArgSpec<any>[]> = {
  [K in keyof A]: A[K] extends ArgSpec<infer T> ? Optional<A[K]["name"], Variadic<A[K]["name"], T>> : never;
};
/** `<files...>` and `[ids...]` collect every remaining argument. */
type Variadic<N, T> = N extends `${string}...${"]" | ">"}` ? T[] : T;
/** `[dir]` may be left out. */
type Optional<N, T> = N extends `[${string}` ? T | undefined : T;

const invalid = (message: string) => new InvalidArgumentError(message);

/** A boolean switch. */
export function flag(flags: string, description: string): OptionSpec<boolean> {
  return { flags, description };
}

/** One value, parsed. */
export function value<T = string>(
  flags: string,
  description: string,
  parse: (text: string) => T = (t) => t as T,
  o: { hidden?: boolean } = {},
): OptionSpec<T> {
  return { flags, description, parse: (text) => parse(text), ...o };
}

/** Repeatable, and each occurrence may be comma-separated: `--id 1,2 --id 3`. */
export function list<T = string>(
  flags: string,
  description: string,
  parse: (text: string) => T = (t) => t as T,
): OptionSpec<T[]> {
  return {
    flags,
    description,
    parse: (text, previous) => [
      ...(previous ?? []),
      ...text
        .split(",")
        .map((v) => v.trim())
        .map((v) => {
          if (v === "") throw invalid("an empty item (an empty value, or a stray comma)");
          return parse(v);
        }),
    ],
  };
}

/** Repeatable, each occurrence one whole value (no comma splitting): `--set a=1 --set b=[1,2]`. */
export function repeat(flags: string, description: string): OptionSpec<string[]> {
  return { flags, description, parse: (text, previous) => [...(previous ?? []), text] };
}

export function arg<const N extends string, T = string>(
  name: N,
  description: string,
  parse?: (text: string) => T,
): ArgSpec<T> & { name: N } {
  return parse ? { name, description, parse } : { name, description };
}

// ---- parsers ----

export function integer(text: string, min = 0): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t)) || Number(t) < min)
    throw invalid(`expected a whole number${min > 0 ? ` ≥ ${min}` : " ≥ 0"}`);
  return Number(t);
}

export const positive = (text: string): number => integer(text, 1);
export const count = (text: string): number => integer(text, 0);

/** A TCP port: 0 (any free one) to 65535. */
export function port(text: string): number {
  const n = integer(text, 0);
  if (n > 65535) throw invalid("expected a port from 0 to 65535");
  return n;
}

/** A job, flow or run id. */
export function id(text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t)) || Number(t) < 1)
    throw invalid("expected an id (a positive whole number)");
  return Number(t);
}

/** A number of seconds (fractions allowed), > 0. */
export function seconds(text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0) throw invalid("expected a number of seconds > 0");
  return n;
}

/** Any finite number (a priority). */
export function finite(text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw invalid("expected a number");
  return n;
}

/** A name that must not be empty (worker names: an empty one would select every worker). */
export function name(text: string): string {
  if (text.trim() === "") throw invalid("expected a name, got an empty one");
  return text;
}

export function choice<const T extends string>(values: readonly T[]): (text: string) => T {
  return (text) => {
    if (!(values as readonly string[]).includes(text)) throw invalid(`expected one of ${values.join(", ")}`);
    return text as T;
  };
}

// ---- shared option sets ----

export const json = { json: flag("--json", "print the result as JSON (everything, unabridged)") };

export const selectors = {
  id: list("-i, --id <ids>", "job ids (comma-separated or repeated)", id),
  name: list("-n, --name <glob>", "job names matching a glob (repeatable)", name),
  state: list("-s, --state <states>", "job states (FireWorks' names are explained: FIZZLED is FAILED)"),
  flow: list("-f, --flow <ids>", "jobs of these flows", id),
  worker: list("-w, --worker <names>", "jobs pinned to these workers", name),
  since: value("--since <time>", "updated at or after (ISO date/time, or 30m, 2h, 1d ago)"),
  until: value("--until <time>", "updated before (same forms as --since)"),
  query: value(
    "-q, --query <json>",
    'a query over job fields, e.g. \'{"inputs.temperature": {"$gte": 300}}\' (docs/queries.md)',
  ),
  runs: flag(
    "--runs",
    "--query matches each job's current run instead (state, exitCode, error.message, error.stack, launchDir, …)",
  ),
};

/** What a command that changes jobs takes besides its own options. */
export const change = {
  ...selectors,
  all: flag("--all", "select every job (required when no other selector is given)"),
  dryRun: flag("--dry-run", "show what would change, change nothing"),
  yes: flag("-y, --yes", "do not ask before changing more than 10 jobs"),
  ...json,
};

export type SelectorValues = Values<typeof selectors> & { all?: boolean };
