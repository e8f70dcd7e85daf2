/** Building blocks every parser shares: an empty listing, terminal states, array aggregation. */
import type { CommandOutput } from "../../transport/types.ts";
import type { NeutralState, SchedulerJobStatus, StatusListing } from "../types.ts";

export const TERMINAL_STATES: ReadonlySet<NeutralState> = new Set([
  "done",
  "failed",
  "cancelled",
  "timeout",
  "out-of-memory",
]);

export function isTerminal(state: NeutralState): boolean {
  return TERMINAL_STATES.has(state);
}

export function emptyListing(): StatusListing {
  return { jobs: new Map(), problems: [], failure: null };
}

/** A listing that says nothing about any job because the command itself failed. */
export function failedListing(failure: string): StatusListing {
  return { jobs: new Map(), problems: [], failure };
}

/** The first lines of a command's stderr (or stdout), for messages that stay readable. */
export function excerpt(text: string, max = 300): string {
  const t = text.trim();
  return t.length <= max ? t : `${t.slice(0, max)}…`;
}

/**
 * Worst first: when elements of an array job ended differently, the array as a whole reports the
 * most alarming outcome (one out-of-memory element makes the array out-of-memory).
 */
const TERMINAL_RANK: readonly NeutralState[] = [
  "out-of-memory",
  "timeout",
  "failed",
  "cancelled",
  "unknown",
  "done",
];

/**
 * Add one entry per array job that summarises its elements (`elements` maps an element key such
 * as "10_3" to its array id "10"), unless the listing already has an entry under that id.
 * Running beats queued beats terminal: the array is over only when every listed element is.
 */
export function addArrayAggregates(listing: StatusListing, elements: ReadonlyMap<string, string>): void {
  const byArray = new Map<string, SchedulerJobStatus[]>();
  for (const [key, arrayId] of elements) {
    const status = listing.jobs.get(key);
    if (status === undefined || listing.jobs.has(arrayId)) continue;
    const list = byArray.get(arrayId) ?? [];
    list.push(status);
    byArray.set(arrayId, list);
  }
  for (const [arrayId, statuses] of byArray) {
    const count = (s: NeutralState) => statuses.filter((x) => x.state === s).length;
    let state: NeutralState;
    if (count("running") > 0) state = "running";
    else if (count("queued") > 0) state = "queued";
    else state = TERMINAL_RANK.find((s) => count(s) > 0) ?? "unknown";
    const summary = [...new Set(statuses.map((s) => s.state))].map((s) => `${count(s)} ${s}`).join(", ");
    const worst = statuses.find((s) => s.state === state);
    listing.jobs.set(arrayId, {
      id: arrayId,
      state,
      exitCode: isTerminal(state) ? (worst?.exitCode ?? null) : null,
      reason: `array of ${statuses.length} listed elements: ${summary}`,
      native: worst?.native ?? "",
    });
  }
}

/**
 * Output that has lines but not one readable job is not a listing (a wrapper printing a banner,
 * a changed format): absences would be lies, so the whole answer counts as failed.
 */
export function unreadable(listing: StatusListing, command: string, output: CommandOutput): StatusListing {
  if (listing.jobs.size === 0 && listing.problems.length > 0) {
    return {
      ...failedListing(`${command} printed nothing readable: ${excerpt(output.stdout, 160)}`),
      problems: listing.problems,
    };
  }
  return listing;
}
