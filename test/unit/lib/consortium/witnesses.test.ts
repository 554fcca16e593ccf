import { describe, expect, it } from "vitest";
import { formatCosignatureVerifierKey, toHex } from "#chain";
import { parseConsortium, witnessesOf, witnessQuorumOf } from "../../../../lib/consortium/consortium.js";
import {
  consortiumProblems,
  type ExampleConsortium,
  exampleConsortium,
  type Json,
} from "../../../support/consortium-file.js";
import { ed25519For } from "../../../support/witness-keys.js";

// Which departments witness, where their deployed witnesses answer, and the quorum a
// checkpoint needs (lib/consortium/consortium.ts): the consortium file decides, and a
// file that cannot be met is refused with the path of the problem.

const vkeyOf = (name: string) =>
  formatCosignatureVerifierKey({ name: name, alg: "ed25519", publicKey: ed25519For(name).publicKey });

function withWitnesses(witness: Record<string, unknown>, quorum?: number): ExampleConsortium {
  const c = exampleConsortium();
  for (const d of c.departments as Json[]) d.witness = witness[d.id as string] ?? false;
  if (quorum !== undefined) (c as Json).witnessQuorum = quorum;
  return c;
}

describe("witnessing departments in the consortium file", () => {
  it("the example has three witnesses and a majority quorum of two", () => {
    const c = parseConsortium(exampleConsortium());
    expect(witnessesOf(c).map((w) => w.id)).toEqual(["hf-haikou", "hf-sanya", "internet-court"]);
    expect(witnessesOf(c).every((w) => w.endpoint === undefined)).toBe(true);
    expect(witnessQuorumOf(c)).toBe(2);
  });

  it("defaults the quorum to a majority: more than half, so two forks cannot both be witnessed", () => {
    const ids = ["hf-haikou", "hf-sanya", "market-regulation", "civil-affairs", "service-centre"];
    for (let n = 0; n <= ids.length; n++) {
      const c = parseConsortium(withWitnesses(Object.fromEntries(ids.slice(0, n).map((id) => [id, true]))));
      expect(witnessQuorumOf(c), `${n} witnesses`).toBe(n === 0 ? 0 : Math.floor(n / 2) + 1);
      expect(2 * witnessQuorumOf(c) > n || n === 0).toBe(true);
    }
  });

  it("takes a deployed witness's URL and verifier key", () => {
    const vkey = vkeyOf("zhixin-witness/demo/hf-sanya");
    const c = parseConsortium(
      withWitnesses({ "hf-haikou": true, "hf-sanya": { url: "https://w.example.gov.cn/witness", vkey } }, 1),
    );
    const [haikou, sanya] = witnessesOf(c);
    expect(haikou).toEqual({ id: "hf-haikou" });
    expect(sanya?.endpoint?.url).toBe("https://w.example.gov.cn/witness");
    expect(sanya?.endpoint?.key.name).toBe("zhixin-witness/demo/hf-sanya");
    expect(toHex(sanya?.endpoint?.key.publicKey ?? new Uint8Array())).toBe(
      toHex(ed25519For("zhixin-witness/demo/hf-sanya").publicKey),
    );
    expect(witnessQuorumOf(c)).toBe(1);
  });

  it("refuses a quorum the witnesses cannot meet, a URL that is not https, and a key that is not a cosigner's", () => {
    const problems = consortiumProblems(() =>
      parseConsortium(
        withWitnesses(
          {
            "hf-haikou": { url: "http://w.example.gov.cn", vkey: vkeyOf("w1") },
            "hf-sanya": { url: "https://w.example.gov.cn", vkey: "w2+00000000+AQ==" },
            "market-regulation": { url: "https://w.example.gov.cn", vkey: vkeyOf("w3"), extra: 1 },
          },
          4,
        ),
      ),
    );
    expect(problems.map((p) => p.slice(0, p.indexOf(":"))).sort()).toEqual(
      [
        "departments.0.witness.url",
        "departments.1.witness.vkey",
        "departments.2.witness",
        "witnessQuorum",
      ].sort(),
    );
  });
});
