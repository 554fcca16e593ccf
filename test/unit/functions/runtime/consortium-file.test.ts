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
    (members as Array<Record<string, unknown>>).map(({ alg: _alg, witness: _witness, ...m }) => m);
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

  it("runs a gm consortium: its members and sealer sign with SM2", () => {
    const c = loadConsortium(fileWith("gm"));
    expect(c.suite).toBe("gm");
    expect([c.sealer.alg, ...c.departments.map((d) => d.alg)]).toEqual(
      Array(1 + c.departments.length).fill("sm2-sm3"),
    );
  });

  it("refuses a gm consortium whose departments witness, saying why and what to do", () => {
    const path = fileWith("gm");
    const file = JSON.parse(readFileSync(path, "utf8")) as { departments: Array<Record<string, unknown>> };
    (file.departments[0] as Record<string, unknown>).witness = true;
    writeFileSync(path, JSON.stringify(file));
    expect(() => loadConsortium(path)).toThrow(ConsortiumFileError);
    expect(() => loadConsortium(path)).toThrow(/no department witnesses yet .*leave witness out/);
  });
});
