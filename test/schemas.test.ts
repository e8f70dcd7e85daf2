import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { renderSchemas } from "../scripts/schemas.ts";

test("the JSON Schemas in schema/ are generated from the current zod schemas (npm run schemas)", () => {
  for (const [file, text] of Object.entries(renderSchemas())) {
    assert.equal(
      readFileSync(new URL(`../${file}`, import.meta.url), "utf8"),
      text,
      `${file} is stale: run npm run schemas`,
    );
  }
  const flow = JSON.parse(renderSchemas()["schema/flow.schema.json"]!);
  assert.deepEqual(flow.required, ["name", "jobs"]);
  assert.equal(flow.additionalProperties, false, "unknown keys are rejected by editors too");
});
