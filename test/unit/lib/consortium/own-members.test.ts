import { describe, expect, it } from "vitest";
import { parseJson } from "#chain";
import { type RecordSchema, recordDataProblems } from "../../../../lib/consortium/record-schemas.js";

// A record type's schema sees the record's own members only (docs/FORMATS.md §1.1):
// what every object inherits (constructor, toString, __proto__) is not a member.
// Schemas and data are JSON text, as the consortium file and a body are: an object
// literal's `__proto__:` would set a prototype, not name a member.

const pathsOf = (schema: string, data: string) =>
  recordDataProblems(0, parseJson(schema) as RecordSchema, parseJson(data)).map((p) => p.path);

describe("inherited properties are not members", () => {
  it.each([
    [
      "a required constructor, absent",
      '{"type":"object","properties":{"constructor":{}},"required":["constructor"]}',
      "{}",
      ["/constructor"],
    ],
    [
      "a required __proto__, absent",
      '{"type":"object","properties":{"__proto__":{}},"required":["__proto__"]}',
      "{}",
      ["/__proto__"],
    ],
    ["a string toString, absent", '{"type":"object","properties":{"toString":{"type":"string"}}}', "{}", []],
    [
      "a string toString, present",
      '{"type":"object","properties":{"toString":{"type":"string"}}}',
      '{"toString":"s"}',
      [],
    ],
    [
      "a string toString, a number",
      '{"type":"object","properties":{"toString":{"type":"string"}}}',
      '{"toString":1}',
      ["/toString"],
    ],
    [
      "a required __proto__, present",
      '{"type":"object","properties":{"__proto__":{}},"required":["__proto__"]}',
      '{"__proto__":null}',
      [],
    ],
    [
      "a __proto__ member where no other is allowed",
      '{"type":"object","properties":{"a":{}},"additionalProperties":false}',
      '{"a":1,"__proto__":{}}',
      ["/__proto__"],
    ],
  ])("%s", (_, schema, data, paths) => {
    expect(pathsOf(schema, data)).toEqual(paths);
  });
});
