import type { KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cosignerKeyOf, formatCosignatureVerifierKey, GM, gmSuite, sameSuite } from "#chain";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import {
  ConsortiumFileError,
  cosignatureAlgorithmOf,
  suiteOf,
  witnessesOf,
  witnessName,
} from "../../../../lib/consortium/consortium.js";
import { generateKeyPair } from "../../../../lib/crypto/key-pairs.js";

const spkiOf = (key: KeyObject) => new Uint8Array(key.export({ format: "der", type: "spki" }));

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

  it("runs a gm consortium's witnesses with SM2 cosigner keys, and refuses a deployed witness's Ed25519 one", () => {
    const path = fileWith("gm");
    const file = JSON.parse(readFileSync(path, "utf8")) as { departments: Array<Record<string, unknown>> };
    const [first, second] = file.departments as [Record<string, unknown>, Record<string, unknown>];
    first.witness = true;
    const name = witnessName(
      String((JSON.parse(readFileSync(path, "utf8")) as { consortium: string }).consortium),
      String(second.id),
    );
    const cosigner = (alg: "ed25519" | "sm2-sm3") =>
      formatCosignatureVerifierKey(cosignerKeyOf(name, alg, spkiOf(generateKeyPair(alg).publicKey)));
    second.witness = { url: "https://witness.example", vkey: cosigner("sm2-sm3") };
    writeFileSync(path, JSON.stringify(file));
    const c = loadConsortium(path);
    expect(cosignatureAlgorithmOf(c)).toBe("sm2-sm3");
    expect(witnessesOf(c).map((w) => w.endpoint?.key.alg ?? "local")).toEqual(["local", "sm2-sm3"]);

    second.witness = { url: "https://witness.example", vkey: cosigner("ed25519") };
    writeFileSync(path, JSON.stringify(file));
    expect(() => loadConsortium(path)).toThrow(ConsortiumFileError);
    expect(() => loadConsortium(path)).toThrow(
      /witness\.vkey.*under the gm suite a witness cosigns with sm2-sm3/,
    );
  });

  it("takes a gm consortium's own SM2 identifier into its suite, and refuses one under intl or of another form", () => {
    const path = fileWith("gm");
    const file = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...file, sm2Id: "zhixin@ningxia.gov.cn" }));
    const c = loadConsortium(path);
    expect(c.sm2Id).toBe("zhixin@ningxia.gov.cn");
    expect(sameSuite(suiteOf(c), gmSuite("zhixin@ningxia.gov.cn"))).toBe(true);
    expect(suiteOf(loadConsortium(fileWith("gm")))).toBe(GM);
    for (const [sm2Id, why] of [
      ["", /sm2Id.*printable ASCII/],
      ["宁夏回族自治区", /sm2Id.*printable ASCII/],
      ["x".repeat(129), /sm2Id.*printable ASCII/],
    ] as const) {
      writeFileSync(path, JSON.stringify({ ...file, sm2Id }));
      expect(() => loadConsortium(path)).toThrow(why);
    }
    const intl = fileWith("intl");
    writeFileSync(
      intl,
      JSON.stringify({ ...JSON.parse(readFileSync(intl, "utf8")), sm2Id: "zhixin@ningxia.gov.cn" }),
    );
    expect(() => loadConsortium(intl)).toThrow(/sm2Id is the gm suite's SM2 identifier.*leave sm2Id out/);
  });
});
