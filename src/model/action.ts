/**
 * Actions: what a finished job may ask of its flow — FireWorks' FWAction and jobflow's Response
 * in one JSON object. A task returns one; ferry applies the job's actions when its run
 * COMPLETES, in the same transaction as the completion (engine/actions.ts). An action that is
 * invalid or refused fails the job with the reason ("its action was refused: task 0 (js): …")
 * and changes nothing else: the whole action is checked before anything is written.
 *
 * Returning an action
 *   js task   return { output: {...}, $action: { stopChildren: true } }   (or withAction(output, action))
 *   sh task   write one JSON object to the file named by $FERRY_ACTION:
 *               printf '{"stopChildren": true}' > "$FERRY_ACTION"
 *
 * Fields (all optional; an unknown key is an error that names it and suggests the right one)
 *   output          The job's output becomes this value (it replaces the merged task outputs).
 *   storedData      {key: value} kept on the job (`ferry jobs show`, queries); never passed to children.
 *   updateChildren  {inputs: {key: value}, propagate?}: set these top-level input keys on the
 *                   children, or on every descendant with propagate: true.
 *   modifyChildren  {set, unset, push, pushAll, inc, propagate?}: edits inside the children's inputs
 *                   at dotted paths ("a.b.c"). Missing intermediate objects are created; a numeric
 *                   part indexes an existing array. Within one modifyChildren the operators run in
 *                   the order set, unset, push, pushAll, inc. push/pushAll onto a missing key
 *                   create the array, inc of a missing key sets it, unset of a missing key does
 *                   nothing; push onto a non-array, inc of a non-number or a path through a scalar
 *                   is an error (the job FAILS).
 *   addJobs         [job, …] in the flow-file job format: new jobs of this flow. A job without
 *                   `parents` gets this job as its parent; `parents` may name this job, other jobs
 *                   of the flow and other added jobs. Inputs may reference outputs of ancestors
 *                   (existing jobs included), exactly as in a flow file.
 *   addFlow         {name, metadata?, jobs}: a sub-flow inside this flow. Its job names get the
 *                   prefix "<name>-" (parents and references naming its own jobs are rewritten;
 *                   other names are left alone), every job of it without a parent inside it
 *                   depends on this job, and each job's metadata gets `metadata` plus subflow: name.
 *   detour          {jobs}: jobs inserted between this job and its children: the detour's jobs
 *                   without a parent inside it depend on this job, and every child also waits
 *                   for the detour's leaves (a READY child goes back to WAITING; several detours
 *                   all gate the children). Refused when a child already ran or runs (any state
 *                   but WAITING, READY, PAUSED, CANCELLED; ARCHIVED children are ignored).
 *   replace         {jobs, output?}: this job's output comes from new jobs. They are added as in
 *                   a detour; the children are moved from this job onto the output job — the one
 *                   named by output: "${{ name.path }}" (or {$ref, path}), else the single leaf —
 *                   and this job's stored output becomes {"$replacedBy": name, "path": path}, which
 *                   every reference to this job follows, through chains of replacements
 *                   (engine/resolve.ts; an output of exactly that shape is always read as a
 *                   marker). Refused like a detour.
 *                   Cannot be combined with `output`, nor repeated; a replacement job cannot
 *                   reference this job (its output is the replacement's).
 *   stopChildren    true: children that have not run (WAITING, READY, PAUSED) → CANCELLED.
 *   stopFlow        true: every job of the flow that has not run (WAITING, READY, PAUSED) → CANCELLED.
 *   exit            true: skip this job's remaining tasks; the job still COMPLETES. The js runtime
 *                   does this itself, for exit and for every graph action (addJobs, addFlow,
 *                   detour, replace, stopChildren, stopFlow), as FireWorks does. The sh wrapper
 *                   does not read actions: an sh task that wants to stop must `touch "$FERRY_STOP"`,
 *                   otherwise the next tasks run and their actions apply too.
 *
 * References in the values of updateChildren/modifyChildren are resolved when each child runs,
 * like its other inputs; they may name this job, its ancestors, and the new jobs every child
 * will wait for (a detour's jobs, a replacement's output job and its ancestors).
 *
 * Which jobs an action touches. "The children" are the job's children when it finished, not
 * counting jobs added by an action of this same job (so a rerun does not update, stop or detour
 * the jobs its first run added). Jobs added by the actions never receive this job's
 * updateChildren/modifyChildren (FireWorks #407: write their inputs directly) and are never
 * cancelled by its stopChildren/stopFlow (stop the rest, then add a clean-up job). Input edits
 * skip children that already ran; their inputs record what they ran with.
 *
 * Several tasks, one job. Each task's action is applied in task order: updateChildren and
 * modifyChildren of a later task apply after those of earlier ones; storedData merges key by key
 * (later tasks win); the last `output` wins; jobs added by an earlier task may be named by later
 * ones (sh tasks: js tasks stop after a graph action). Within one action the order is: output, storedData, stops, input edits, then new jobs
 * (addJobs, addFlow, detour, replace). A task-level rerun replays the actions of the skipped
 * tasks from the checkpoint.
 *
 * New jobs inherit `worker`, `category` and `priority` from this job unless they set their own
 * (they usually read this job's files, which live where it ran; jobflow-remote does the same),
 * and nothing else: not resources (a one-core post-processing step must not inherit a 64-node
 * allocation), not metadata, not inputs. A relative js module path is resolved against the
 * directory of the js module whose task returned the action; an sh task must give absolute paths.
 *
 * Bookkeeping. New jobs start WAITING (READY once their parents are done) with a history row
 * "added by the action of "<job>" (run <id>)" and remember that run (Job.addedByRun); every
 * existing job whose inputs or parents changed gets a history row saying what changed.
 *
 * Reruns. A job run again returns its action again. FireWorks then adds its additions a second
 * time (`LaunchPad.rerun_fw` in fireworks/core/launchpad.py); ferry does not: a new job whose name already exists in the
 * flow and was added by an earlier run of this same job is not added again (it keeps its
 * inputs and edges) and is reported as skipped. Any other existing name is an error.
 */
import { z } from "zod";
import { jobSchema, plainJobNumbers } from "../flow/schema.ts";
import { isPlainObject, jsonNumberSchema, jsonObjectSchema, jsonValueSchema } from "./json.ts";
import { didYouMean } from "./suggest.ts";

/** A dotted path into inputs: "a.b.c"; a numeric part indexes an existing array. */
const dottedPath = z.string().regex(/^[^.]+(\.[^.]+)*$/, 'a dotted path like "a.b.c" (no empty parts)');
const jsonObject = jsonObjectSchema;
const propagate = z.boolean().optional().describe("Apply to every descendant, not only to the children.");
const jobs = z.array(jobSchema).min(1);

const OUTPUT_FORMS = '"${{ name.path }}" or {"$ref": "name", "path": "a.b"}';
const referenceObject = z.strictObject({ $ref: z.string(), path: z.string().optional() });

export const actionSchema = z.strictObject({
  output: jsonValueSchema.optional().describe("The job's output becomes this value."),
  storedData: jsonObject.optional().describe("Kept on the job, not passed to children."),
  updateChildren: z
    .strictObject({ inputs: jsonObject.describe("Top-level input keys to set."), propagate })
    .optional(),
  modifyChildren: z
    .strictObject({
      set: z.record(dottedPath, jsonValueSchema).optional(),
      unset: z.array(dottedPath).optional(),
      push: z.record(dottedPath, jsonValueSchema).optional(),
      pushAll: z.record(dottedPath, z.array(jsonValueSchema)).optional(),
      inc: z.record(dottedPath, jsonNumberSchema).optional(),
      propagate,
    })
    .optional(),
  addJobs: z.array(jobSchema).optional().describe("New jobs of this flow (default parent: this job)."),
  addFlow: z
    .strictObject({
      name: z
        .string()
        .regex(/^[A-Za-z0-9_][A-Za-z0-9_-]*$/, "a sub-flow name uses letters, digits, '_' and '-'"),
      metadata: jsonObject.optional(),
      jobs,
    })
    .optional(),
  detour: z.strictObject({ jobs }).optional(),
  replace: z
    .strictObject({
      jobs,
      output: z
        .union([z.string(), referenceObject], { error: `the output job: ${OUTPUT_FORMS}` })
        .optional()
        .describe(`The replacement job (and path) that gives this job's output: ${OUTPUT_FORMS}.`),
    })
    .optional(),
  stopChildren: z.boolean().optional(),
  stopFlow: z.boolean().optional(),
  exit: z.boolean().optional(),
});

export type Action = z.infer<typeof actionSchema>;
export type JobEntry = z.infer<typeof jobSchema>;

export function actionJsonSchema(): unknown {
  return z.toJSONSchema(actionSchema, { io: "input", unrepresentable: "any" });
}

/** The keys an object schema accepts, found by walking `path` down from the action schema. */
function keysAt(path: readonly PropertyKey[]): string[] {
  let s: z.ZodType = actionSchema;
  for (const p of path) {
    while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(p)] ?? z.never();
    else return [];
  }
  while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodArray) s = s.element as z.ZodType;
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function located(path: readonly PropertyKey[], raw: unknown): string {
  let out = "";
  let cur: unknown = raw;
  for (const p of path) {
    out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
    cur = (cur as Record<PropertyKey, unknown> | undefined)?.[p as never];
    const name = (cur as { name?: unknown } | undefined)?.name;
    if (typeof p === "number" && typeof name === "string") out += ` (job "${name}")`;
  }
  return out;
}

/** The action with plain numbers in its new jobs' typed fields (flow/schema.ts, plainJobNumbers). */
function plainActionNumbers(raw: unknown): unknown {
  if (!isPlainObject(raw)) return raw;
  const out: Record<string, unknown> = { ...raw };
  const jobs = (v: unknown) => (Array.isArray(v) ? v.map(plainJobNumbers) : v);
  if (raw.addJobs !== undefined) out.addJobs = jobs(raw.addJobs);
  for (const key of ["addFlow", "detour", "replace"]) {
    const v = raw[key];
    if (isPlainObject(v) && v.jobs !== undefined) out[key] = { ...v, jobs: jobs(v.jobs) };
  }
  return out;
}

/** Check one action object; problems are readable one-liners naming the field. */
export function parseAction(raw: unknown): { action: Action } | { problems: string[] } {
  const parsed = actionSchema.safeParse(plainActionNumbers(raw));
  if (parsed.success) return { action: parsed.data };
  const problems: string[] = [];
  for (const issue of parsed.error.issues) {
    const where = issue.path.length > 0 ? `${located(issue.path, raw)}: ` : "";
    if (issue.code === "invalid_key") {
      const at = issue.path.length > 1 ? `${located(issue.path.slice(0, -1), raw)}: ` : "";
      problems.push(`${at}bad path "${String(issue.path.at(-1))}" (use a dotted path like "a.b.c")`);
    } else if (issue.code === "unrecognized_keys") {
      const known = keysAt(issue.path);
      for (const key of issue.keys) problems.push(`${where}unknown key "${key}"${didYouMean(key, known)}`);
    } else problems.push(`${where}${issue.message}`);
  }
  return { problems };
}
