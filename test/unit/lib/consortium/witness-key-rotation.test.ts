import { describe, expect, it } from "vitest";
import { formatCosignatureVerifierKey } from "#chain";
import { parseConsortium, witnessesOf } from "../../../../lib/consortium/consortium.js";
import { consortiumProblems, exampleConsortium, type Json } from "../../../support/consortium-file.js";
import { ed25519For } from "../../../support/witness-keys.js";

// A deployed witness that rotated its key (docs/DEPLOY.md §8): the consortium file gives the
// vkey it cosigns with now and its earlier ones (retiredVkeys, oldest first, under the same
// name), and how many witness keys its member stack holds (witnessKeyVersions).

const NAME = "zhixin-witness/demo/hf-haikou";
const vkey = (label: string, name = NAME) =>
  formatCosignatureVerifierKey({ name: name, alg: "ed25519", publicKey: ed25519For(label).publicKey });
const URL_ = "https://w.example.gov.cn/witness";

function withHaikou(witness: Json | boolean, extra: Json = {}): Json {
  const c = exampleConsortium();
  const d = (c.departments as Json[])[0] as Json;
  d.witness = witness;
  Object.assign(d, extra);
  return c;
}

describe("a deployed witness's retired vkeys", () => {
  it("are read beside its vkey, oldest first", () => {
    const c = parseConsortium(
      withHaikou(
        { url: URL_, vkey: vkey("v3"), retiredVkeys: [vkey("v1"), vkey("v2")] },
        { witnessKeyVersions: 3 },
      ),
    );
    const haikou = witnessesOf(c)[0];
    expect(haikou?.endpoint?.key.publicKey).toEqual(ed25519For("v3").publicKey);
    expect(haikou?.endpoint?.retired.map((k) => k.publicKey)).toEqual([
      ed25519For("v1").publicKey,
      ed25519For("v2").publicKey,
    ]);
    expect(haikou?.endpoint?.retired.every((k) => k.name === NAME)).toBe(true);
    expect(c.departments[0]?.witnessKeyVersions).toBe(3);
  });

  it("are none when the file gives none", () => {
    const c = parseConsortium(withHaikou({ url: URL_, vkey: vkey("v1") }));
    expect(witnessesOf(c)[0]?.endpoint?.retired).toEqual([]);
  });

  it.each([
    ["a retired vkey under another name", [vkey("v1", "zhixin-witness/demo/other")], "retiredVkeys.0"],
    ["the current vkey again", [vkey("v2")], "retiredVkeys.0"],
    ["one retired vkey twice", [vkey("v1"), vkey("v1")], "retiredVkeys.1"],
    ["a retired vkey that is not a cosigner's", [`${NAME}+00000000+AQ==`], "retiredVkeys.0"],
  ])("refuses %s, saying where", (_, retiredVkeys, at) => {
    const problems = consortiumProblems(() =>
      parseConsortium(withHaikou({ url: URL_, vkey: vkey("v2"), retiredVkeys })),
    );
    expect(problems.map((p) => p.slice(0, p.indexOf(":")))).toEqual([`departments.0.witness.${at}`]);
  });

  it("refuses a witnessKeyVersions out of range", () => {
    for (const n of [0, 9, 1.5]) {
      const problems = consortiumProblems(() => parseConsortium(withHaikou(true, { witnessKeyVersions: n })));
      expect(
        problems.map((p) => p.slice(0, p.indexOf(":"))),
        String(n),
      ).toEqual(["departments.0.witnessKeyVersions"]);
    }
  });
});
