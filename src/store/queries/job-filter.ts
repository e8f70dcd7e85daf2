/**
 * The shared job selectors (`--id`, `--name`, `--state`, `--flow`, `--worker`, `--since`,
 * `--until`, `--query`) → one SQL condition over `jobs` aliased as `j`. The query language
 * itself (a MongoDB subset) is translated by query/ into the `where` fragment.
 */
import type { JobState } from "../../model/states.ts";
import { fragment, joinFragments, type SqlFragment } from "../fragment.ts";
import { compileGlob } from "../query/glob.ts";
import { regexFragment, translateJobQuery, translateRunQuery } from "../query/translate.ts";
import { type Dialect, placeholders } from "../sql.ts";

export interface JobFilter {
  ids?: readonly number[];
  /** Globs over job names (any matches). */
  names?: readonly string[];
  states?: readonly JobState[];
  flowIds?: readonly number[];
  workers?: readonly string[];
  /** Jobs updated at or after this time (ms). */
  since?: number;
  /** Jobs updated before this time (ms). */
  until?: number;
  /** A query over job fields, in ferry's MongoDB subset (docs/queries.md). */
  query?: unknown;
  /** A query over run fields: jobs whose current (latest, not archived) run matches. */
  runQuery?: unknown;
  /** Extra condition over `j` (store-internal). */
  where?: SqlFragment;
  /** ARCHIVED jobs are left out unless asked for by state or by this flag. */
  includeArchived?: boolean;
}

export function jobFilterSql(dialect: Dialect, filter: JobFilter): SqlFragment {
  const parts: SqlFragment[] = [];
  if (filter.ids) parts.push(inList("j.id", filter.ids));
  if (filter.names && filter.names.length > 0) {
    parts.push(
      joinFragments(
        filter.names.map((g) => regexFragment(dialect, "j.name", compileGlob(g))),
        " OR ",
      ),
    );
  }
  if (filter.states) parts.push(inList("j.state", filter.states));
  if (filter.flowIds) parts.push(inList("j.flow_id", filter.flowIds));
  if (filter.workers) parts.push(inList("j.worker", filter.workers));
  if (filter.since !== undefined) parts.push(fragment("j.updated_at >= ?", [filter.since]));
  if (filter.until !== undefined) parts.push(fragment("j.updated_at < ?", [filter.until]));
  if (filter.query !== undefined) parts.push(translateJobQuery(dialect, filter.query));
  if (filter.runQuery !== undefined) {
    const cond = translateRunQuery(dialect, filter.runQuery);
    parts.push({
      sql: `j.id IN (SELECT r.job_id FROM runs r WHERE r.archived = 0 AND r.id = (SELECT max(r2.id) FROM runs r2 WHERE r2.job_id = r.job_id AND r2.archived = 0) AND (${cond.sql}))`,
      params: cond.params,
    });
  }
  if (filter.where) parts.push(filter.where);
  if (!filter.includeArchived && !filter.states?.includes("ARCHIVED"))
    parts.push(fragment("j.state <> 'ARCHIVED'"));
  return joinFragments(parts, " AND ");
}

function inList(column: string, values: readonly (string | number)[]): SqlFragment {
  if (values.length === 0) return fragment("1=0");
  return fragment(`${column} IN (${placeholders(values.length)})`, [...values]);
}

export function isEmptyFilter(filter: JobFilter): boolean {
  return (
    filter.ids === undefined &&
    (filter.names === undefined || filter.names.length === 0) &&
    filter.states === undefined &&
    filter.flowIds === undefined &&
    filter.workers === undefined &&
    filter.since === undefined &&
    filter.until === undefined &&
    isBlankQuery(filter.query) &&
    isBlankQuery(filter.runQuery) &&
    filter.where === undefined
  );
}

/** `{}` matches everything: as a selector it counts as none (a change needs --all). */
function isBlankQuery(q: unknown): boolean {
  return (
    q === undefined ||
    (typeof q === "object" && q !== null && !Array.isArray(q) && Object.keys(q).length === 0)
  );
}
