import { describe, expect, it } from "vitest";
import { canonicalJson, contentDigest, INTL, type JsonValue, parseJson } from "#chain";
import { batchRoot, submitBody } from "../../../cli/client.js";
import { InputError, parseRecordInput, planBatches } from "../../../cli/input.js";

// `zhixin submit --file` reads record data by the API's rule (docs/FORMATS.md §1.1):
// a file the API would refuse is refused before anything is signed, with the API's
// code and the line; every member it keeps — "__proto__" included — is signed and sent.

function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("expected an InputError");
}

const where = (e: InputError) => ({ code: e.code, line: e.line });

describe("a file the API would refuse is refused, with the code and the line", () => {
  it.each([
    ["a duplicate name in one object", '{"a":1,"a":2}', {}, "DUPLICATE_KEY", 1],
    ["a duplicate on line 3 of a pretty object", '{\n  "a": 1,\n  "a": 1\n}\n', {}, "DUPLICATE_KEY", 3],
    ["a duplicate on ndjson line 2", '{"a":1}\n{"b":{"c":1,"c":2}}\n', {}, "DUPLICATE_KEY", 2],
    ["a duplicate in a .ndjson file", '{"a":1}\n\n{"a":1,"a":1}\n', { ndjson: true }, "DUPLICATE_KEY", 3],
    ["an integer past 2^53", '{"n":9007199254740993}', {}, "NUMBER_NOT_EXACT", 1],
    ["a number past a double's range", '{"a":1}\n{"n":1e400}\n', {}, "NUMBER_NOT_EXACT", 2],
    ["a lone surrogate", '{"s":"\\ud800"}', {}, "LONE_SURROGATE", 1],
    ["not JSON", "{a:1}", {}, "INVALID_JSON", undefined],
  ])("%s", (_, text, options, code, line) => {
    expect(where(inputError(() => parseRecordInput(text, options)))).toEqual({ code, line });
  });
});

describe("special names are kept, signed and sent exactly", () => {
  const text = '{"citizen":"460100199001011234","__proto__":{"x":1},"constructor":2,"0":3}';

  it("in the data, the batch root and the body", () => {
    const { records } = parseRecordInput(text);
    const data = records[0]?.data as Record<string, unknown>;
    expect(Object.hasOwn(data, "__proto__")).toBe(true);
    expect(canonicalJson(data)).toBe(canonicalJson(parseJson(text)));
    const [batch] = planBatches("t", records);
    const sent = batch?.records ?? [];
    const body = new TextDecoder().decode(submitBody(sent));
    const received = (parseJson(body) as { records: Array<{ type: string; data: JsonValue }> }).records;
    expect(canonicalJson(received[0]?.data ?? null)).toBe(canonicalJson(parseJson(text)));
    expect(contentDigest(INTL, received[0]?.data ?? null)).toBe(contentDigest(INTL, parseJson(text)));
    expect(batchRoot(INTL, sent)).toEqual(batchRoot(INTL, received as never));
  });

  it("in ndjson too", () => {
    const { records } = parseRecordInput(`{"a":1}\n${text}\n`);
    expect(canonicalJson(records[1]?.data as JsonValue)).toBe(canonicalJson(parseJson(text)));
  });
});
