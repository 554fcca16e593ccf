import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import { ConsortiumFileError } from "../../../../lib/consortium/consortium.js";

const example = JSON.parse(readFileSync("consortium.example.json", "utf8")) as Record<string, unknown>;

/** The example under `suite`, its members' and sealer's alg left to the suite's default. */
function fileWith(suite: string | undefined): string {
  const path = join(mkdtempSync(join(tmpdir(), "zhixin-suite-")), "consortium.json");
  const withoutAlg = (members: unknown) =>
    (members as Array<Record<string, unknown>>).map(({ alg: _alg, ...m }) => m);
  const file =
    suite === undefined
      ? example
      : {
          ...example,
          suite,
          sealer: {},
          departments: withoutAlg(example.departments),
          auditors: withoutAlg(example.auditors ?? []),
        };
  writeFileSync(path, JSON.stringify(file));
  return path;
}

describe("loadConsortium and the suite", () => {
  it("runs an intl consortium, named or by default", () => {
    expect(loadConsortium(fileWith(undefined)).suite).toBe("intl");
    expect(loadConsortium(fileWith("intl")).suite).toBe("intl");
  });

  it("refuses to run a gm consortium, saying why and what to do", () => {
    const path = fileWith("gm");
    expect(() => loadConsortium(path)).toThrow(ConsortiumFileError);
    expect(() => loadConsortium(path)).toThrow(/SM2 signatures are not .*use "intl"/);
  });
});
