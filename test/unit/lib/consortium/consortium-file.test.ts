import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseStackConsortium } from "../../../../cdk/lib/config.js";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import { ConsortiumFileError, parseConsortium, schemaOf } from "../../../../lib/consortium/consortium.js";
import { recordDataProblems } from "../../../../lib/consortium/record-schemas.js";
import {
  consortiumProblems,
  type ExampleConsortium,
  exampleConsortium,
  type Json,
} from "../../../support/consortium-file.js";

// Record-type schemas are checked when the consortium file is loaded: a schema that is
// not valid draft 2020-12, or that strict mode refuses to compile, fails the load with
// the path of the bad record type — together with every other problem of the file.

/** The example with record type `index`'s schema replaced. */
/** The example with record type `index`'s schema replaced (and no subject field, which the new schema may not require). */
function withSchema(index: number, schema: unknown): ExampleConsortium {
  const c = exampleConsortium();
  (c.recordTypes[index] as Json).schema = schema;
  delete (c.recordTypes[index] as Json).subject;
  return c;
}

const pathOf = (problem: string) => problem.slice(0, problem.indexOf(": "));

const object = (properties: Json, extra: Json = {}) => ({ type: "object", properties, ...extra });

// Each case: a schema for record type 1 (housing-fund.blacklist), what is wrong with it,
// and where the problem is reported.
const BAD_SCHEMAS: Array<{ wrong: string; schema: unknown; path: string }> = [
  { wrong: "not an object", schema: "citizen, action, reason", path: "recordTypes.1.schema" },
  { wrong: "an array", schema: [{ type: "object" }], path: "recordTypes.1.schema" },
  {
    wrong: "describes a string, not a record's data object",
    schema: { type: "string" },
    path: "recordTypes.1.schema.type",
  },
  { wrong: "no type at all", schema: { properties: {} }, path: "recordTypes.1.schema.type" },
  {
    wrong: "another dialect (draft-07)",
    schema: { $schema: "http://json-schema.org/draft-07/schema#", type: "object" },
    path: "recordTypes.1.schema.$schema",
  },
  {
    wrong: "a type name JSON Schema does not have",
    schema: object({ citizen: { type: "text" } }),
    path: "recordTypes.1.schema.properties.citizen.type",
  },
  {
    wrong: "a negative minLength",
    schema: object({ reason: { type: "string", minLength: -1 } }),
    path: "recordTypes.1.schema.properties.reason.minLength",
  },
  {
    wrong: "required is not an array",
    schema: object({ reason: { type: "string" } }, { required: "reason" }),
    path: "recordTypes.1.schema.required",
  },
  {
    wrong: "a misspelt keyword (strict mode)",
    schema: object({ months: { type: "integer", minimun: 0 } }),
    path: "recordTypes.1.schema",
  },
  {
    wrong: "a numeric keyword without a numeric type (strict types)",
    schema: object({ months: { minimum: 0 } }),
    path: "recordTypes.1.schema",
  },
  {
    wrong: "a required property the schema does not define (strict required)",
    schema: object({ citizen: { type: "string" } }, { required: ["citizen", "reasn"] }),
    path: "recordTypes.1.schema",
  },
  {
    wrong: "an unknown format",
    schema: object({ at: { type: "string", format: "datetime" } }),
    path: "recordTypes.1.schema",
  },
  {
    wrong: "a remote $ref (never fetched)",
    schema: object({ citizen: { $ref: "https://schemas.example/citizen.json" } }),
    path: "recordTypes.1.schema",
  },
  {
    wrong: "a local $ref to nothing",
    schema: object({ citizen: { $ref: "#/$defs/citizen" } }),
    path: "recordTypes.1.schema",
  },
  {
    wrong: "an invalid regular expression",
    schema: object({ citizen: { type: "string", pattern: "([0-9]{17}" } }),
    path: "recordTypes.1.schema",
  },
];

describe("record-type schemas in the consortium file", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("the example file gives every scenario record type a schema, and loads", () => {
    const c = loadConsortium("consortium.example.json");
    for (const t of c.recordTypes) expect(schemaOf(c, t.type), t.type).toMatchObject({ type: "object" });
  });

  it("a record type without a schema is allowed (any data object)", () => {
    const c = exampleConsortium();
    delete c.recordTypes[1]?.schema;
    const parsed = parseConsortium(c);
    expect(schemaOf(parsed, "housing-fund.blacklist")).toBeUndefined();
  });

  it.each(BAD_SCHEMAS)("refuses a schema with $wrong, at $path", ({ schema, path }) => {
    const problems = consortiumProblems(() => parseConsortium(withSchema(1, schema)));
    expect(problems.map(pathOf)).toEqual([path]);
    expect(problems[0]).toContain("housing-fund.blacklist");
  });

  it("accepts local $refs, $defs, nullable unions and the 2020-12 $schema", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      $defs: { citizen: { type: "string", pattern: "^[0-9]{17}[0-9X]$" } },
      properties: { citizen: { $ref: "#/$defs/citizen" }, reason: { type: ["string", "null"] } },
      additionalProperties: false,
    };
    const c = parseConsortium(withSchema(1, schema));
    const s = schemaOf(c, "housing-fund.blacklist");
    expect(s).toBeDefined();
    expect(recordDataProblems(0, s as never, { citizen: "460100199001011234", reason: null })).toEqual([]);
  });

  it("a subject field the schema does not require is a problem at recordTypes.N.subject", () => {
    const c = exampleConsortium();
    (c.recordTypes[1] as Json).subject = "reason-code";
    const problems = consortiumProblems(() => parseConsortium(c, "consortium.json"));
    expect(problems.map(pathOf)).toEqual(["recordTypes.1.subject"]);
  });

  it("two record types may share a schema with the same $id", () => {
    const schema = { $id: "https://zhixin.example/certificate", type: "object" };
    const c = withSchema(0, schema);
    (c.recordTypes[1] as Json).schema = { ...schema };
    delete (c.recordTypes[1] as Json).subject;
    expect(() => parseConsortium(c)).not.toThrow();
  });

  it("reports schema problems together with every other problem of the file", () => {
    const c = withSchema(1, object({ months: { type: "integer", minimun: 0 } }));
    (c.recordTypes[2] as Json).schema = { type: "object", properties: { creditCode: { type: "code" } } };
    (c.recordTypes[3] as Json).writers = ["nobody"];
    (c.recordTypes[5] as Json).schema = { type: "object", $ref: "https://example.org/evidence.json" };
    (c.departments[2] as Json).name = "";
    const problems = consortiumProblems(() => parseConsortium(c, "consortium.json"));
    expect(problems.map(pathOf).sort()).toEqual(
      [
        "recordTypes.1.schema",
        "recordTypes.2.schema.properties.creditCode.type",
        "recordTypes.3.writers.0",
        "recordTypes.5.schema",
        "departments.2.name",
      ].sort(),
    );
  });

  it("reports a bad schema even when another field of the same record type is wrong", () => {
    const c = withSchema(4, { type: "object", properties: { at: { type: "string", format: "timestamp" } } });
    (c.recordTypes[4] as Json).description = 5;
    (c.recordTypes[4] as Json).writers = [];
    const problems = consortiumProblems(() => parseConsortium(c));
    expect(problems.map(pathOf).sort()).toEqual(
      ["recordTypes.4.description", "recordTypes.4.schema", "recordTypes.4.writers"].sort(),
    );
  });

  it("a schema problem fails loading the file (npm start) with the file's name", () => {
    const dir = mkdtempSync(join(tmpdir(), "zhixin-schemas-"));
    const file = join(dir, "consortium.json");
    writeFileSync(file, JSON.stringify(withSchema(0, object({ months: { type: "integer", minimun: 0 } }))));
    let error: unknown;
    try {
      loadConsortium(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConsortiumFileError);
    expect((error as ConsortiumFileError).file).toBe(file);
    expect((error as ConsortiumFileError).problems.map(pathOf)).toEqual(["recordTypes.0.schema"]);
    expect((error as Error).message).toContain("housing-fund.deposit-certificate");
  });

  it("and synth (the stack's config), beside the AWS-only problems", () => {
    const c = withSchema(3, { type: "object", properties: { spouses: { type: "array", minItems: "2" } } });
    delete c.departments[0]?.principal;
    const problems = consortiumProblems(() => parseStackConsortium(c));
    expect(problems.map(pathOf).sort()).toEqual(
      ["departments.0.principal", "recordTypes.3.schema.properties.spouses.minItems"].sort(),
    );
  });

  it("compiles each schema once, when the file is loaded; submits reuse it", () => {
    const compile = vi.spyOn(Ajv2020.prototype, "compile");
    const c = parseConsortium(exampleConsortium());
    expect(compile).toHaveBeenCalledTimes(c.recordTypes.length);
    const schema = schemaOf(c, "housing-fund.deposit-certificate");
    for (let i = 0; i < 50; i++) {
      recordDataProblems(i, schema as never, { citizen: "460100199001011234", months: i, status: "active" });
    }
    parseConsortium(c); // the parsed file again (same schema objects): nothing to compile
    expect(compile).toHaveBeenCalledTimes(c.recordTypes.length);
  });
});
