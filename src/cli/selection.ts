/** The selector options (--id … --runs --all) as the API's Selection. */
import type { Selection } from "../api/selection.ts";
import { UsageError } from "../model/errors.ts";
import type { SelectorValues } from "./options.ts";

export function selectionOf(o: SelectorValues): Selection {
  if (o.runs && o.query === undefined)
    throw new UsageError(
      '--runs needs --query (a query over run fields, e.g. \'{"error.stack": {"$regex": "…"}}\')',
    );
  return {
    ...(o.id ? { ids: o.id } : {}),
    ...(o.name ? { names: o.name } : {}),
    ...(o.state ? { states: o.state } : {}),
    ...(o.flow ? { flows: o.flow } : {}),
    ...(o.worker ? { workers: o.worker } : {}),
    ...(o.since !== undefined ? { since: o.since } : {}),
    ...(o.until !== undefined ? { until: o.until } : {}),
    ...(o.query !== undefined ? (o.runs ? { runQuery: o.query } : { query: o.query }) : {}),
    ...(o.all ? { all: true } : {}),
  };
}
