/**
 * YAML floats that stay floats: `x: 1.0` in a flow file reaches a py task as 1.0, not 1.
 * The yaml package resolves `1.0` to the JS number 1, which JSON then writes as `1`; here the
 * core schema's float tags resolve integral values to a RawNumber instead (model/json.ts).
 */
import { Scalar, type ScalarTag, type Tags } from "yaml";
import { floatJson } from "../model/json.ts";

const FLOAT = "tag:yaml.org,2002:float";

function keepFloat(tag: ScalarTag): ScalarTag {
  const resolve = tag.resolve;
  return {
    ...tag,
    resolve(source, onError, options) {
      const value = resolve.call(tag, source, onError, options);
      const n = value instanceof Scalar ? value.value : value;
      return typeof n === "number" ? floatJson(n) : value;
    },
  };
}

/** For parseDocument's customTags: the default tags with integral floats kept. */
export function keepYamlFloats(tags: Tags): Tags {
  return tags.map((t) =>
    typeof t !== "string" && t.tag === FLOAT && !("collection" in t) ? keepFloat(t) : t,
  );
}
