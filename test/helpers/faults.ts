/**
 * Fault injection for runner trials: a scheduler wrapper (the worker's `commandPrefix`, on this
 * machine or on the far side of an ssh login) that logs every submission the scheduler accepted,
 * and holds the runner at a planned point — before or after a submission, a status call or a
 * name lookup — until the test has killed it (the wrapper writes `hit`, then waits for `go`), or
 * makes one call fail. The plan is a file holding `<kind>:<when>[:<skip>]`; the first call that
 * matches takes it (an atomic rename), so each plan fires once.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** submit (`sh -c … ferry-submit`), status (`ps -p`), lookup (`ps -A`), cancel. */
export type CallKind = "submit" | "status" | "lookup" | "cancel";
export type CallPoint = "before" | "after" | "fail";

const WRAPPER = (dir: string) => `#!/bin/sh
d='${dir}'
if [ "$4" = ferry-submit ]; then kind=submit
elif [ "$4" = ferry-cancel ]; then kind=cancel
elif [ "$1" = ps ] && [ "$2" = -A ]; then kind=lookup
else kind=status; fi
# take the plan if it names this call: skip it N more times, else fire
take() {
  plan=$(cat "$d/plan" 2>/dev/null) || return 1
  case "$plan" in "$kind:$1"|"$kind:$1:"*) ;; *) return 1;; esac
  skip=\${plan#"$kind:$1"}; skip=\${skip#:}
  if [ -n "$skip" ] && [ "$skip" -gt 0 ]; then
    echo "$kind:$1:$((skip - 1))" > "$d/plan.$$" && mv "$d/plan.$$" "$d/plan"; return 1
  fi
  mv "$d/plan" "$d/plan.taken.$$" 2>/dev/null || return 1
  echo "$plan" >> "$d/fired"
}
if take fail; then echo "injected failure of $kind" >&2; exit 1; fi
# hold the caller until the test has killed it
hold() { : > "$d/hit"; i=0; while [ ! -e "$d/go" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done; rm -f "$d/go"; exit 1; }
if take before; then hold; fi
out=$("$@"); rc=$?
if [ "$kind" = submit ] && [ $rc -eq 0 ]; then eval "name=\\\${$#}"; echo "$name $out" >> "$d/submits"; fi
if take after; then hold; fi
printf '%s\\n' "$out"
exit $rc
`;

export interface SchedulerFaults {
  /** The wrapper's path: the worker's commandPrefix. */
  prefix: string[];
  /** Arm a kill (or a failure) at the next matching call, after `skip` matching calls. */
  plan(kind: CallKind, when: CallPoint, skip?: number): void;
  /** Disarm (the plan did not fire). */
  disarm(): void;
  /** A planned call holds its caller (the runner waits for it): kill the runner, then release(). */
  held(): boolean;
  release(): void;
  /** Plans that fired, in order. */
  fired(): string[];
  /** Every submission the scheduler accepted: the run's job name and the scheduler's id. */
  submissions(): { name: string; id: string }[];
}

/** The wrapper in `dir` (which the worker's side must be able to write). */
export function schedulerFaults(dir: string): SchedulerFaults {
  const path = join(dir, "sched-wrapper.sh");
  writeFileSync(path, WRAPPER(dir), { mode: 0o755 });
  const lines = (f: string) =>
    existsSync(join(dir, f))
      ? readFileSync(join(dir, f), "utf8")
          .split("\n")
          .filter((l) => l.length > 0)
      : [];
  return {
    prefix: [path],
    plan(kind, when, skip = 0) {
      writeFileSync(join(dir, "plan.new"), `${kind}:${when}${skip ? `:${skip}` : ""}\n`);
      renameSync(join(dir, "plan.new"), join(dir, "plan"));
    },
    disarm() {
      try {
        renameSync(join(dir, "plan"), join(dir, "plan.disarmed"));
      } catch {
        // taken meanwhile
      }
    },
    held: () => existsSync(join(dir, "hit")),
    release() {
      rmSync(join(dir, "hit"), { force: true });
      writeFileSync(join(dir, "go"), "");
    },
    fired: () => lines("fired"),
    submissions: () =>
      lines("submits").map((l) => {
        const [name, id] = l.split(" ");
        return { name: name!, id: id ?? "" };
      }),
  };
}
