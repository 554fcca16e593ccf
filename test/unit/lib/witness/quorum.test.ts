import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cosignatureKeyHash,
  cosignCheckpoint,
  cosignerKeyOf,
  formatSignedNote,
  fromHex,
  GM,
  type NoteSignature,
  parseCosignatureVerifierKey,
  parseSignedNote,
  toHex,
  utf8,
} from "#chain";
import { keySignatureCheckOf } from "../../../../lib/crypto/verify.js";
import { sm2PublicKey, sm2PublicKeyToSpki, sm2Sign } from "../../../../lib/sm2/index.js";
import {
  assertWitnessPolicy,
  checkWitnessQuorum,
  openWitnessedCheckpoint,
  QUORUM_FINDING_CODES,
  type WitnessPolicy,
  witnessNames,
} from "../../../../lib/witness/index.js";
import { expectChainError } from "../../../support/chain-errors.js";
import {
  ed25519Check,
  ed25519FromSeed,
  leaves,
  signedCheckpoint,
  type TestWitness,
  testLog,
  testWitness,
  treeOf,
} from "../../../support/witness-keys.js";
import { expectWitnessError } from "./witness-errors.js";

// The quorum a verifier requires of a checkpoint (docs/formats/witness.md §4): t of the n
// consortium witnesses, each counted once, other keys ignored, a bad cosignature from a
// consortium witness reported.

const log = testLog("zhixin.example/quorum");
const W = ["dept-a.example/witness", "dept-b.example/witness", "dept-c.example/witness"].map((n) =>
  testWitness(n),
);
const [A, B, C] = W as [TestWitness, TestWitness, TestWitness];
const policy = (threshold: number, witnesses = W): WitnessPolicy => ({
  witnesses: witnesses.map((w) => w.key),
  threshold,
});

const note = signedCheckpoint(log, treeOf(leaves("q", 9)));
const text = parseSignedNote(note).text;
const T = 1_767_225_600;
const cosign = (w: TestWitness, t = T): NoteSignature => cosignCheckpoint(text, t, w.signer);
/** The checkpoint note with the log's signature, then these lines. */
const withLines = (lines: NoteSignature[]): string =>
  formatSignedNote(text, [...parseSignedNote(note).signatures, ...lines]);
/** The checkpoint text with these lines only. */
const formatLines = (lines: NoteSignature[]): string => formatSignedNote(text, lines);

const flip = (line: NoteSignature, at: number): NoteSignature => {
  const signature = line.signature.slice();
  signature[at] = (signature[at] as number) ^ 1;
  return { ...line, signature };
};

describe("checkWitnessQuorum", () => {
  it("is ok with t valid cosignatures, listed in policy order whatever the note's order", () => {
    const report = checkWitnessQuorum(withLines([cosign(C), cosign(A, T + 5)]), policy(2), ed25519Check);
    expect(report.ok).toBe(true);
    expect(report.threshold).toBe(2);
    expect(report.findings).toEqual([]);
    expect(report.witnessed.map((c) => [c.name, c.timestamp])).toEqual([
      [A.key.name, T + 5],
      [C.key.name, T],
    ]);
  });

  it("reports CHECKPOINT_UNWITNESSED with fewer than t", () => {
    const report = checkWitnessQuorum(withLines([cosign(B)]), policy(2), ed25519Check);
    expect(report.ok).toBe(false);
    expect(report.witnessed).toHaveLength(1);
    expect(report.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
    expect(report.findings[0]?.witness).toBeUndefined();
  });

  it("counts two cosignatures from one witness once", () => {
    const report = checkWitnessQuorum(withLines([cosign(A), cosign(A, T + 60)]), policy(2), ed25519Check);
    expect(report.witnessed.map((c) => c.timestamp)).toEqual([T]);
    expect(report.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
  });

  it("ignores lines from keys outside the policy: another witness, another key under a witness's name, the log", () => {
    const stranger = testWitness("stranger.example/witness");
    const renamed = testWitness(A.key.name, "A's name, another key");
    const report = checkWitnessQuorum(
      withLines([cosign(stranger), cosign(renamed)]),
      policy(1),
      ed25519Check,
    );
    expect(report.witnessed).toEqual([]);
    expect(report.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
  });

  it("reports WITNESS_SIGNATURE_INVALID for a policy witness's line that fails, even with t met", () => {
    const bad = flip(cosign(B), 20);
    const report = checkWitnessQuorum(withLines([cosign(A), bad, cosign(C)]), policy(2), ed25519Check);
    expect(report.ok).toBe(false);
    expect(report.witnessed.map((c) => c.name)).toEqual([A.key.name, C.key.name]);
    expect(report.findings).toEqual([
      {
        code: "WITNESS_SIGNATURE_INVALID",
        witness: `${B.key.name}+${toHex(B.key.keyHash)}`,
        message: expect.any(String),
      },
    ]);
  });

  it("reports both findings when the only line fails", () => {
    const report = checkWitnessQuorum(withLines([flip(cosign(A), 0)]), policy(1), ed25519Check);
    expect(report.findings.map((f) => f.code)).toEqual([
      "WITNESS_SIGNATURE_INVALID",
      "CHECKPOINT_UNWITNESSED",
    ]);
  });

  it("refuses a cosignature of another checkpoint, a changed timestamp, a note signature and a short line", () => {
    const other = parseSignedNote(signedCheckpoint(log, treeOf(leaves("q", 10)))).text;
    const elsewhere = cosignCheckpoint(other, T, A.signer);
    const retimed = flip(cosign(A), 7);
    const plain = { ...cosign(A), signature: A.signer.sign(utf8(text)) };
    const short = { ...cosign(A), signature: cosign(A).signature.slice(0, 71) };
    for (const line of [elsewhere, retimed, plain, short]) {
      const report = checkWitnessQuorum(withLines([line]), policy(0), ed25519Check);
      expect(report.findings.map((f) => f.code)).toEqual(["WITNESS_SIGNATURE_INVALID"]);
    }
  });

  it("counts a verify function that throws as a failed cosignature", () => {
    const throwing = () => {
      throw new Error("no key");
    };
    const report = checkWitnessQuorum(withLines([cosign(A)]), policy(1), throwing);
    expect(report.findings.map((f) => f.code)).toEqual([
      "WITNESS_SIGNATURE_INVALID",
      "CHECKPOINT_UNWITNESSED",
    ]);
  });

  it("is ok with threshold 0 and no witnesses at all (--min-witnesses 0)", () => {
    expect(checkWitnessQuorum(note, { witnesses: [], threshold: 0 }, ed25519Check)).toEqual({
      ok: true,
      threshold: 0,
      witnessed: [],
      findings: [],
    });
  });

  it("reads the note as text, as UTF-8 bytes or parsed, alike", () => {
    const n = withLines([cosign(A), cosign(B)]);
    const want = checkWitnessQuorum(n, policy(3), ed25519Check);
    expect(checkWitnessQuorum(utf8(n), policy(3), ed25519Check)).toEqual(want);
    expect(checkWitnessQuorum(parseSignedNote(n), policy(3), ed25519Check)).toEqual(want);
    expect(want.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
  });

  it("refuses a note that is not a signed checkpoint (INVALID_NOTE)", () => {
    expectChainError(
      () => checkWitnessQuorum("hello\n\n\u2014 k AAAAAAA=\n", policy(0), ed25519Check),
      "INVALID_NOTE",
    );
    expectChainError(() => checkWitnessQuorum(text, policy(0), ed25519Check), "INVALID_NOTE");
  });

  it("has exactly the two finding codes the audit reports", () => {
    expect(QUORUM_FINDING_CODES).toEqual(["CHECKPOINT_UNWITNESSED", "WITNESS_SIGNATURE_INVALID"]);
  });

  it("for any t of n and any set of cosigners, is ok exactly when t of them cosigned", () => {
    const pool = Array.from({ length: 5 }, (_, i) => testWitness(`w${i}.example/witness`));
    const stranger = testWitness("stranger.example/witness");
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            t: fc.integer({ min: 0, max: n }),
            signers: fc.subarray(pool.slice(0, n)),
            repeats: fc.nat({ max: 2 }),
            strangers: fc.boolean(),
          }),
        ),
        fc.infiniteStream(fc.integer()),
        ({ n, t, signers, repeats, strangers }, order) => {
          const lines = signers.flatMap((w) =>
            Array.from({ length: repeats + 1 }, (_, k) => cosign(w, T + k)),
          );
          if (strangers) lines.push(cosign(stranger));
          const coin = order[Symbol.iterator]();
          lines.sort(() => ((coin.next().value as number) % 3) - 1);
          const report = checkWitnessQuorum(withLines(lines), policy(t, pool.slice(0, n)), ed25519Check);
          expect(report.ok).toBe(signers.length >= t);
          expect(report.witnessed.map((c) => c.name).sort()).toEqual(signers.map((w) => w.key.name).sort());
          expect(report.findings.every((f) => f.code === "CHECKPOINT_UNWITNESSED")).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

// A witness whose key was rotated: its old and new keys under its one name (witness.md §4.1).
describe("a witness with several keys", () => {
  const A2 = testWitness(A.key.name, "A's next key");
  const rotated = (threshold: number): WitnessPolicy => ({
    witnesses: [A.key, B.key, A2.key, C.key],
    threshold,
  });

  it("counts the witnesses by name: the threshold goes up to 3, not 4", () => {
    expect(witnessNames(rotated(0).witnesses)).toEqual([A.key.name, B.key.name, C.key.name]);
    expect(() => assertWitnessPolicy(rotated(3))).not.toThrow();
    expectWitnessError(() => assertWitnessPolicy(rotated(4)), "INVALID_POLICY");
  });

  it("counts a cosignature by its old key or its new key, for that witness", () => {
    for (const w of [A, A2]) {
      const report = checkWitnessQuorum(withLines([cosign(w), cosign(B)]), rotated(2), ed25519Check);
      expect(report.ok).toBe(true);
      expect(report.witnessed.map((c) => [c.name, toHex(c.keyHash)])).toEqual([
        [A.key.name, toHex(w.key.keyHash)],
        [B.key.name, toHex(B.key.keyHash)],
      ]);
    }
  });

  it("counts a witness once when both its keys cosigned: the first valid line in the note", () => {
    const report = checkWitnessQuorum(withLines([cosign(A2, T + 1), cosign(A)]), rotated(2), ed25519Check);
    expect(report.ok).toBe(false);
    expect(report.witnessed.map((c) => [c.name, c.timestamp])).toEqual([[A.key.name, T + 1]]);
    expect(report.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
  });

  it("reports WITNESS_SIGNATURE_INVALID for a failing line by either key, naming that key", () => {
    const report = checkWitnessQuorum(
      withLines([flip(cosign(A), 30), cosign(A2), cosign(B)]),
      rotated(2),
      ed25519Check,
    );
    expect(report.ok).toBe(false);
    expect(report.witnessed.map((c) => c.name)).toEqual([A.key.name, B.key.name]);
    expect(report.findings).toEqual([
      {
        code: "WITNESS_SIGNATURE_INVALID",
        witness: `${A.key.name}+${toHex(A.key.keyHash)}`,
        message: expect.any(String),
      },
    ]);
  });

  it("ignores the old key's lines when the policy lists only the new key", () => {
    const report = checkWitnessQuorum(
      withLines([cosign(A), cosign(B)]),
      { witnesses: [A2.key, B.key], threshold: 2 },
      ed25519Check,
    );
    expect(report.witnessed.map((c) => c.name)).toEqual([B.key.name]);
    expect(report.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
  });

  it("for any keys per witness and any lines by them, is ok exactly when t names cosigned", () => {
    const names = Array.from({ length: 4 }, (_, i) => `w${i}.example/witness`);
    const keys = names.map((n) => [0, 1, 2].map((k) => testWitness(n, `${n} key ${k}`)));
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 4 }).chain((perName) => {
          const listed = perName.flatMap((k, i) => (keys[i] as TestWitness[]).slice(0, k));
          return fc.record({
            listed: fc.shuffledSubarray(listed, { minLength: listed.length }),
            t: fc.integer({ min: 0, max: perName.length }),
            signers: fc.subarray(listed),
          });
        }),
        ({ listed, t, signers }) => {
          const lines = signers.map((w, i) => cosign(w, T + i));
          const report = checkWitnessQuorum(
            withLines(lines),
            { witnesses: listed.map((w) => w.key), threshold: t },
            ed25519Check,
          );
          const cosigned = new Set(signers.map((w) => w.key.name));
          expect(report.ok).toBe(cosigned.size >= t);
          expect(report.witnessed.map((c) => c.name)).toEqual(
            witnessNames(listed.map((w) => w.key)).filter((n) => cosigned.has(n)),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("test/vectors/cosignature/quorum-rotated-witness.json", () => {
  interface Vector {
    checkpointText: string;
    keys: Array<{ label: string; name: string; ed25519Seed: string; verifierKey: string }>;
    policy: { witnesses: string[]; threshold: number };
    cases: Array<{
      description: string;
      lines: Array<{ key: string; timestamp: number; signatureBitFlipped?: number }>;
      note: string;
      wantOk: boolean;
      wantWitnessed: string[];
      wantFindings: Array<{ code: string; witness?: string }>;
    }>;
  }
  const v = JSON.parse(
    readFileSync(
      new URL("../../../vectors/cosignature/quorum-rotated-witness.json", import.meta.url),
      "utf8",
    ),
  ) as Vector;
  const vectorPolicy: WitnessPolicy = {
    witnesses: v.policy.witnesses.map((k) => parseCosignatureVerifierKey(k)),
    threshold: v.policy.threshold,
  };

  it.each(v.cases.map((c) => [c.description, c] as const))("%s", (_, c) => {
    const report = checkWitnessQuorum(c.note, vectorPolicy, ed25519Check);
    expect(report.ok).toBe(c.wantOk);
    expect(report.witnessed.map((w) => `${w.name}+${toHex(w.keyHash)}`)).toEqual(c.wantWitnessed);
    expect(report.findings.map(({ code, witness }) => (witness ? { code, witness } : { code }))).toEqual(
      c.wantFindings,
    );
  });

  it("cosigning again with the seeds gives each case's note byte for byte", () => {
    const signers = new Map(
      v.keys.map((k) => {
        const ed = ed25519FromSeed(fromHex(k.ed25519Seed));
        const vkey = parseCosignatureVerifierKey(k.verifierKey);
        expect(vkey.publicKey).toEqual(ed.publicKey);
        return [k.label, { name: k.name, keyHash: vkey.keyHash, sign: ed.sign }];
      }),
    );
    for (const c of v.cases) {
      const logLines = parseSignedNote(c.note).signatures.slice(0, 1);
      const lines = c.lines.map((l) => {
        const line = cosignCheckpoint(
          v.checkpointText,
          l.timestamp,
          signers.get(l.key) as TestWitness["signer"],
        );
        return l.signatureBitFlipped === undefined ? line : flip(line, l.signatureBitFlipped);
      });
      expect(formatSignedNote(v.checkpointText, [...logLines, ...lines])).toBe(c.note);
    }
  });
});

describe("assertWitnessPolicy", () => {
  it("accepts t from 0 to n", () => {
    for (let t = 0; t <= 3; t++) expect(() => assertWitnessPolicy(policy(t))).not.toThrow();
  });

  const key = A.key;
  it.each([
    ["a negative threshold", { witnesses: [key], threshold: -1 }],
    ["a threshold above n", { witnesses: [key], threshold: 2 }],
    ["a fractional threshold", { witnesses: [key], threshold: 0.5 }],
    ["a threshold that is not a number", { witnesses: [key], threshold: "1" as unknown as number }],
    ["NaN", { witnesses: [key], threshold: Number.NaN }],
    ["witnesses that are not a list", { witnesses: key as unknown as [], threshold: 0 }],
    ["one witness twice", { witnesses: [key, { ...key }], threshold: 1 }],
    [
      "one public key under two names (the cosignature/v1 message names no cosigner)",
      {
        witnesses: [
          key,
          {
            name: "alias.example/w",
            keyHash: cosignatureKeyHash("alias.example/w", "ed25519", key.publicKey),
            alg: "ed25519" as const,
            publicKey: key.publicKey,
          },
        ],
        threshold: 1,
      },
    ],
    ["a key ID that is not the key's", { witnesses: [{ ...key, keyHash: B.key.keyHash }], threshold: 1 }],
    ["a key ID of the wrong length", { witnesses: [{ ...key, keyHash: new Uint8Array(5) }], threshold: 1 }],
    [
      "a key ID that is not bytes",
      { witnesses: [{ ...key, keyHash: "ab" as unknown as Uint8Array }], threshold: 1 },
    ],
    ["a name with a space", { witnesses: [{ ...key, name: "a b" }], threshold: 1 }],
    ["a 31-byte public key", { witnesses: [{ ...key, publicKey: key.publicKey.slice(1) }], threshold: 1 }],
  ])("refuses %s (INVALID_POLICY)", (_, p) => {
    expectWitnessError(() => assertWitnessPolicy(p), "INVALID_POLICY");
    expectWitnessError(() => checkWitnessQuorum(note, p, ed25519Check), "INVALID_POLICY");
  });
});

describe("openWitnessedCheckpoint", () => {
  it("checks the log's signature and origin, then reports the quorum without throwing", () => {
    const n = withLines([cosign(A)]);
    const { checkpoint, quorum } = openWitnessedCheckpoint(
      n,
      [log.verifier],
      log.origin,
      policy(2),
      ed25519Check,
    );
    expect(checkpoint.size).toBe(9);
    expect(quorum.ok).toBe(false);
    expect(quorum.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
    const full = withLines([cosign(A), cosign(B)]);
    expect(openWitnessedCheckpoint(full, [log.verifier], log.origin, policy(2), ed25519Check).quorum.ok).toBe(
      true,
    );
  });

  it("throws INVALID_NOTE without the log's signature or for another origin, whatever the cosignatures", () => {
    const cosignedOnly = formatLines([cosign(A), cosign(B)]);
    expectChainError(
      () => openWitnessedCheckpoint(cosignedOnly, [log.verifier], log.origin, policy(2), ed25519Check),
      "INVALID_NOTE",
    );
    const n = withLines([cosign(A), cosign(B)]);
    expectChainError(
      () => openWitnessedCheckpoint(n, [log.verifier], "other.example/log", policy(2), ed25519Check),
      "INVALID_NOTE",
    );
  });
});

describe("SM2 witnesses (the gm suite, witness.md §1.7)", () => {
  /** An SM2 witness: its key, and a synchronous signer by lib/sm2 over a fixed scalar. */
  const sm2Witness = (name: string, scalar: number) => {
    const d = new Uint8Array(32).fill(scalar);
    const key = cosignerKeyOf(name, "sm2-sm3", sm2PublicKeyToSpki(sm2PublicKey(d)));
    const signer = { name, keyHash: key.keyHash, sign: (m: Uint8Array) => sm2Sign(d, m) };
    return { key, signer };
  };
  const G = [sm2Witness("gm-a.example/witness", 3), sm2Witness("gm-b.example/witness", 5)];
  const gmPolicy = (threshold: number): WitnessPolicy => ({ witnesses: G.map((w) => w.key), threshold });
  const gmCosign = (w: (typeof G)[number]) => cosignCheckpoint(text, T, w.signer);

  it("counts SM2 cosignatures checked with the ledger's signature check", () => {
    const report = checkWitnessQuorum(withLines(G.map(gmCosign)), gmPolicy(2), keySignatureCheckOf(GM));
    expect(report.ok).toBe(true);
    expect(report.witnessed.map((c) => c.name)).toEqual(G.map((w) => w.key.name));
  });

  it("reports a failing SM2 line, and does not count it under a check of another algorithm", () => {
    const [first, second] = G.map(gmCosign) as [NoteSignature, NoteSignature];
    const bad = checkWitnessQuorum(
      withLines([flip(first, 20), second]),
      gmPolicy(1),
      keySignatureCheckOf(GM),
    );
    expect(bad.findings.map((f) => f.code)).toEqual(["WITNESS_SIGNATURE_INVALID"]);
    // ed25519Check answers false for any key that is not Ed25519: no SM2 line counts.
    const none = checkWitnessQuorum(withLines([first, second]), gmPolicy(1), ed25519Check);
    expect(none.witnessed).toEqual([]);
    expect(none.ok).toBe(false);
  });

  it("refuses a policy whose SM2 key's key ID is the Ed25519 rule's", () => {
    const [g] = G as [(typeof G)[number]];
    expectWitnessError(
      () =>
        assertWitnessPolicy({
          witnesses: [{ ...g.key, keyHash: cosignatureKeyHash(g.key.name, "ed25519", new Uint8Array(32)) }],
          threshold: 1,
        }),
      "INVALID_POLICY",
    );
  });
});
