/** The types shared by the action modules (engine/actions*.ts); the semantics: model/action.ts. */
import type { Action } from "../model/action.ts";
import type { JsonObject, JsonValue } from "../model/json.ts";
import type { Job } from "../model/types.ts";

export interface ActionContext {
  job: Job;
  runId: number;
  /** The actions of the job's tasks, in task order (null: the task returned none). */
  actions: readonly (JsonObject | null)[];
  now: number;
}

export interface ActionResult {
  /** Jobs created by the actions. */
  added: number[];
  /** Existing jobs whose inputs or parents changed. */
  modified: number[];
  /** Jobs moved to CANCELLED by stopChildren / stopFlow. */
  cancelled: number[];
  /** Names not added again because an earlier run of this job added them (a rerun). */
  skipped: string[];
  /** Targets of input edits left alone because they already ran (their inputs are history). */
  untouched: number[];
  /** The job's output after the actions (`output`, or the marker of a `replace`). */
  outputs?: JsonValue;
  storedData?: JsonObject;
}

/** An invalid or refused action: the job FAILS with this message and nothing is written. */
export class ActionError extends Error {
  override name = "ActionError";
}

/** One task's checked action, with the words that name it in errors. */
export interface TaskAction {
  task: number;
  /** `task 1 "split" (js)` */
  label: string;
  action: Action;
}
