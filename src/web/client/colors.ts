/**
 * One colour per job state, shared by the canvas (client) and the style sheet (server), so a
 * badge in a table and a box in the graph always agree. Failure red, running blue, done green,
 * waiting greys; chosen to stay apart for the common kinds of colour blindness by lightness too.
 */
export const STATE_COLORS: Readonly<Record<string, string>> = {
  WAITING: "#c9ced6",
  READY: "#8fb8e8",
  RESERVED: "#b39ddb",
  STAGED: "#9575cd",
  SUBMITTED: "#7e57c2",
  RUNNING: "#1e6fd9",
  FINISHED: "#26a69a",
  COMPLETED: "#2e9d4f",
  FAILED: "#d93025",
  PAUSED: "#f2b600",
  CANCELLED: "#6b6f76",
  HELD: "#e8710a",
  ARCHIVED: "#e6e8eb",
};

/** Which state a group of jobs shows when it holds several: what needs attention first. */
export const STATE_URGENCY: readonly string[] = [
  "FAILED",
  "HELD",
  "RUNNING",
  "FINISHED",
  "SUBMITTED",
  "STAGED",
  "RESERVED",
  "READY",
  "PAUSED",
  "WAITING",
  "CANCELLED",
  "COMPLETED",
  "ARCHIVED",
];

/** States whose badge needs light text on it. */
export const DARK_STATES: ReadonlySet<string> = new Set([
  "RUNNING",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "SUBMITTED",
  "STAGED",
  "FINISHED",
  "HELD",
]);
