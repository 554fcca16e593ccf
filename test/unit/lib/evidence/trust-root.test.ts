import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  cosignatureMessage,
  cosignCheckpoint,
  cosignerKeyOf,
  formatCheckpoint,
  formatCosignature,
  formatCosignatureVerifierKey,
  formatSignedNote,
  formatVerifierKey,
  GM,
  gmSuite,
  INTL,
  NOTE_SIGNATURE_TYPE_ECDSA,
  NOTE_SIGNATURE_TYPE_ED25519,
  noteKeyOf,
  noteMessage,
  parseSignedNote,
  parseVerifierKey,
  sameSuite,
} from "#chain";
import { generateKeyPair } from "../../../../lib/crypto/key-pairs.js";
import { LocalSigner } from "../../../../lib/crypto/local-signer.js";
import { keySignatureCheckOf } from "../../../../lib/crypto/verify.js";
import {
  formatTrustRoot,
  openTrustedCheckpoint,
  parseTrustRoot,
  TRUST_ROOT_TAG,
} from "../../../../lib/evidence/index.js";
import {
  leaves,
  signedCheckpoint,
  type TestWitness,
  testLog,
  testWitness,
  treeOf,
} from "../../../support/witness-keys.js";
import { checks } from "../../../vectors/evidence/ledger.js";
import { codeOf } from "./evidence-errors.js";

// The trust root (docs/formats/trust-root.md): one spelling, every key checked on reading,
// and what it proves about a published checkpoint — the sealer's signature for its log,
// then the quorum of its witnesses — with no access to the operator.

const ORIGIN = "zhixin.example/trust";
const log = testLog(ORIGIN);
const W = ["zhixin-witness/demo/a", "zhixin-witness/demo/b", "zhixin-witness/demo/c"].map((n) =>
  testWitness(n),
);
const [A, B, C] = W as [TestWitness, TestWitness, TestWitness];
const sealerVkey = formatVerifierKey(ORIGIN, NOTE_SIGNATURE_TYPE_ED25519, log.publicKey);
const witnessVkeys = W.map((w) => formatCosignatureVerifierKey(w.key));
const rootText = formatTrustRoot({
  suite: INTL,
  log: ORIGIN,
  sealers: [sealerVkey],
  witnesses: witnessVkeys,
  quorum: 2,
});

describe("the trust root file", () => {
  it("is canonical JSON with a final newline, and reads back as the keys it was written from", () => {
    expect(rootText).toBe(
      `{"log":"${ORIGIN}","quorum":2,"sealers":["${sealerVkey}"],"suite":"intl","trustRoot":"${TRUST_ROOT_TAG}",` +
        `"witnesses":[${witnessVkeys.map((v) => `"${v}"`).join(",")}]}\n`,
    );
    const root = parseTrustRoot(rootText);
    expect(root.log).toBe(ORIGIN);
    expect(root.quorum).toBe(2);
    expect(root.sealers.map((k) => k.publicKey)).toEqual([log.publicKey]);
    expect(root.witnesses.map((k) => k.name)).toEqual(W.map((w) => w.key.name));
    expect(root.witnesses.map((k) => k.publicKey)).toEqual(W.map((w) => w.key.publicKey));
  });

  const base = JSON.parse(rootText) as Record<string, unknown>;
  it.each([
    ["not JSON", "{"],
    ["not an object", "[]"],
    ["another tag", JSON.stringify({ ...base, trustRoot: "zhixin/trust-root/v2" })],
    ["an unknown field", JSON.stringify({ ...base, members: [] })],
    ["a log with a space", JSON.stringify({ ...base, log: "a b" })],
    ["a suite that is not defined", JSON.stringify({ ...base, suite: "sm" })],
    ["a suite named in capitals", JSON.stringify({ ...base, suite: "GM" })],
    ["a suite that is not a string", JSON.stringify({ ...base, suite: 1 })],
    ["no sealer key", JSON.stringify({ ...base, sealers: [] })],
    [
      "a sealer key named for another log",
      JSON.stringify({
        ...base,
        sealers: [formatVerifierKey("other.example/log", NOTE_SIGNATURE_TYPE_ED25519, log.publicKey)],
      }),
    ],
    ["a sealer key that is a cosignature key", JSON.stringify({ ...base, sealers: [witnessVkeys[0]] })],
    [
      "a sealer key of ECDSA (type 0x02), which checkpoints are not signed with",
      JSON.stringify({
        ...base,
        sealers: [
          formatVerifierKey(
            ORIGIN,
            NOTE_SIGNATURE_TYPE_ECDSA,
            new Uint8Array(
              generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
                format: "der",
                type: "spki",
              }),
            ),
          ),
        ],
      }),
    ],
    ["a witness key that is a note key", JSON.stringify({ ...base, witnesses: [sealerVkey] })],
    ["a witness listed twice", JSON.stringify({ ...base, witnesses: [witnessVkeys[0], witnessVkeys[0]] })],
    ["a quorum above the witnesses", JSON.stringify({ ...base, quorum: 4 })],
    ["a fractional quorum", JSON.stringify({ ...base, quorum: 1.5 })],
    ["a quorum as text", JSON.stringify({ ...base, quorum: "2" })],
    ["witnesses not strings", JSON.stringify({ ...base, witnesses: [1] })],
  ])("refuses %s: TRUST_ROOT_INVALID", (_, text) => {
    expect(codeOf(() => parseTrustRoot(text))).toBe("TRUST_ROOT_INVALID");
  });

  describe("the key governance (keyGovernance)", () => {
    const governance = { departments: ["hf-haikou", "hf-sanya", "internet-court"], ownerCosigns: 1 };
    const text = formatTrustRoot({
      suite: INTL,
      log: ORIGIN,
      sealers: [sealerVkey],
      witnesses: witnessVkeys,
      quorum: 2,
      keyGovernance: governance,
    });

    it("is written first, its members sorted, and reads back as given", () => {
      expect(text).toBe(
        `{"keyGovernance":{"departments":["hf-haikou","hf-sanya","internet-court"],"ownerCosigns":1},${rootText.slice(1)}`,
      );
      expect(parseTrustRoot(text).keyGovernance).toEqual(governance);
    });

    it("is absent from a root written without it (an older root), which reads as before", () => {
      expect(parseTrustRoot(rootText)).not.toHaveProperty("keyGovernance");
    });

    const withGovernance = (keyGovernance: unknown) => JSON.stringify({ ...base, keyGovernance });
    it.each([
      ["null", null],
      ["an array", [governance]],
      ["an unknown member", { ...governance, cosigns: 1 }],
      ["no ownerCosigns", { departments: governance.departments }],
      ["no department", { departments: [], ownerCosigns: 0 }],
      ["a department that is not a member id", { departments: ["Hf Haikou"], ownerCosigns: 0 }],
      ["a department listed twice", { departments: ["hf-haikou", "hf-haikou"], ownerCosigns: 0 }],
      ["more cosigns than other departments", { ...governance, ownerCosigns: 3 }],
      ["negative cosigns", { ...governance, ownerCosigns: -1 }],
      ["fractional cosigns", { ...governance, ownerCosigns: 0.5 }],
      ["cosigns as text", { ...governance, ownerCosigns: "1" }],
    ])("refuses one with %s: TRUST_ROOT_INVALID", (_, value) => {
      expect(codeOf(() => parseTrustRoot(withGovernance(value)))).toBe("TRUST_ROOT_INVALID");
    });

    it("takes ownerCosigns up to the other departments", () => {
      expect(parseTrustRoot(withGovernance({ ...governance, ownerCosigns: 2 })).keyGovernance).toEqual({
        ...governance,
        ownerCosigns: 2,
      });
    });
  });

  it("writes only what it can read back", () => {
    expect(
      codeOf(() =>
        formatTrustRoot({
          suite: INTL,
          log: ORIGIN,
          sealers: [sealerVkey],
          witnesses: witnessVkeys,
          quorum: 5,
        }),
      ),
    ).toBe("TRUST_ROOT_INVALID");
  });
});

describe("a published checkpoint judged by the trust root alone", () => {
  const root = parseTrustRoot(rootText);
  const note = signedCheckpoint(log, treeOf(leaves("t", 5)));
  const text = parseSignedNote(note).text;
  const T = 1_767_225_600;
  const cosigned = (...ws: TestWitness[]) =>
    formatSignedNote(text, [
      ...parseSignedNote(note).signatures,
      ...ws.map((w) => cosignCheckpoint(text, T, w.signer)),
    ]);

  it("with the sealer's signature and the quorum: the checkpoint, witnessed", () => {
    const { checkpoint, quorum } = openTrustedCheckpoint(cosigned(A, C), root, checks);
    expect(checkpoint.size).toBe(5);
    expect(quorum.ok).toBe(true);
    expect(quorum.witnessed.map((c) => c.name)).toEqual([A.key.name, C.key.name]);
  });

  it("below the quorum: the checkpoint, with CHECKPOINT_UNWITNESSED for the caller to weigh", () => {
    const { quorum } = openTrustedCheckpoint(cosigned(B), root, checks);
    expect(quorum.ok).toBe(false);
    expect(quorum.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
  });

  it("signed by another key, or for another log: CHECKPOINT_UNTRUSTED, whatever the witnesses say", () => {
    const forger = testLog(ORIGIN, "someone else's key");
    const forged = signedCheckpoint(forger, treeOf(leaves("t", 5)));
    expect(codeOf(() => openTrustedCheckpoint(forged, root, checks))).toBe("CHECKPOINT_UNTRUSTED");
    const elsewhere = testLog("other.example/log", ORIGIN);
    const other = signedCheckpoint(elsewhere, treeOf(leaves("t", 5)));
    expect(codeOf(() => openTrustedCheckpoint(other, root, checks))).toBe("CHECKPOINT_UNTRUSTED");
    expect(codeOf(() => openTrustedCheckpoint("not a note", root, checks))).toBe("CHECKPOINT_UNTRUSTED");
    const throwing = () => {
      throw new Error("cannot check");
    };
    expect(codeOf(() => openTrustedCheckpoint(note, root, { verifySignature: throwing }))).toBe(
      "CHECKPOINT_UNTRUSTED",
    );
  });

  it("a second sealer key (a rotation) is trusted beside the first", () => {
    const next = testLog(ORIGIN, "the sealer's next key");
    const rotated = parseTrustRoot(
      formatTrustRoot({
        suite: INTL,
        log: ORIGIN,
        sealers: [sealerVkey, formatVerifierKey(ORIGIN, NOTE_SIGNATURE_TYPE_ED25519, next.publicKey)],
        witnesses: witnessVkeys,
        quorum: 0,
      }),
    );
    const byNext = signedCheckpoint(next, treeOf(leaves("t", 6)));
    expect(openTrustedCheckpoint(byNext, rotated, checks).checkpoint.size).toBe(6);
    expect(openTrustedCheckpoint(note, rotated, checks).quorum.ok).toBe(true);
  });

  describe("a witness's rotated key, listed beside its old one", () => {
    const A2 = testWitness(A.key.name, "A's next key");
    const a2Vkey = formatCosignatureVerifierKey(A2.key);
    const vkeys = [witnessVkeys[0] as string, a2Vkey, ...witnessVkeys.slice(1)];
    const both = parseTrustRoot(
      formatTrustRoot({ suite: INTL, log: ORIGIN, sealers: [sealerVkey], witnesses: vkeys, quorum: 3 }),
    );

    it("reads back with four keys for three witnesses, and a quorum of at most 3", () => {
      expect(both.witnesses.map((k) => k.name)).toEqual([A.key.name, A.key.name, B.key.name, C.key.name]);
      const text = JSON.stringify({ ...JSON.parse(rootText), witnesses: vkeys, quorum: 4 });
      expect(codeOf(() => parseTrustRoot(text))).toBe("TRUST_ROOT_INVALID");
    });

    it("counts the old key's and the new key's cosignatures, each witness once", () => {
      const lines = (...ws: TestWitness[]) =>
        formatSignedNote(text, [
          ...parseSignedNote(note).signatures,
          ...ws.map((w) => cosignCheckpoint(text, T, w.signer)),
        ]);
      expect(openTrustedCheckpoint(lines(A, B, C), both, checks).quorum.ok).toBe(true);
      expect(openTrustedCheckpoint(lines(A2, B, C), both, checks).quorum.ok).toBe(true);
      const twice = openTrustedCheckpoint(lines(A, A2, B), both, checks).quorum;
      expect(twice.witnessed.map((c) => c.name)).toEqual([A.key.name, B.key.name]);
      expect(twice.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
    });
  });
});

describe("under the gm suite: the sealer's and witnesses' keys are SM2 (checkpoint.md §1.3, witness.md §1.7)", () => {
  const sm2 = new LocalSigner("sealer", generateKeyPair("sm2-sm3").privateKey, "sm2-sm3");
  const sm2Witness = new LocalSigner("w", generateKeyPair("sm2-sm3").privateKey, "sm2-sm3");
  const witnessName = "zhixin-witness/gm/a";
  const sm2Root = async () => {
    const key = noteKeyOf("sm2-sm3", await sm2.publicKey());
    const vkey = formatVerifierKey(ORIGIN, key.type, key.publicKey);
    const witness = cosignerKeyOf(witnessName, "sm2-sm3", await sm2Witness.publicKey());
    const witnessVkey = formatCosignatureVerifierKey(witness);
    return {
      vkey,
      witness,
      witnessVkey,
      text: formatTrustRoot({ suite: GM, log: ORIGIN, sealers: [vkey], witnesses: [witnessVkey], quorum: 1 }),
    };
  };

  it("a gm root holds SM2 sealer and witness keys, and opens a checkpoint they signed and cosigned", async () => {
    const { vkey, witness, text } = await sm2Root();
    const root = parseTrustRoot(text);
    expect(root.suite).toBe(GM);
    expect(root.witnesses).toEqual([witness]);
    const body = formatCheckpoint({ origin: ORIGIN, size: 3, rootHash: GM.emptyRoot() });
    const signature = await sm2.sign(noteMessage(body));
    const logLine = { name: ORIGIN, keyHash: parseVerifierKey(vkey).keyHash, signature };
    const cosignature = formatCosignature(witness, 9, await sm2Witness.sign(cosignatureMessage(body, 9)));
    const unwitnessed = openTrustedCheckpoint(formatSignedNote(body, [logLine]), root, checks);
    expect(unwitnessed.quorum.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
    const note = formatSignedNote(body, [logLine, cosignature]);
    const { checkpoint, quorum } = openTrustedCheckpoint(note, root, checks);
    expect(checkpoint.size).toBe(3);
    expect([quorum.ok, quorum.witnessed.map((c) => c.name)]).toEqual([true, [witnessName]]);
    const forged = formatSignedNote(body.replace("\n3\n", "\n4\n"), parseSignedNote(note).signatures);
    expect(codeOf(() => openTrustedCheckpoint(forged, root, checks))).toBe("CHECKPOINT_UNTRUSTED");
  });

  it("refuses an Ed25519 witness key under gm, and an SM2 one under intl: TRUST_ROOT_INVALID", async () => {
    const { witnessVkey, text } = await sm2Root();
    const gm = JSON.parse(text) as Record<string, unknown>;
    const edWitness = witnessVkeys[0] as string;
    expect(() => parseTrustRoot(JSON.stringify({ ...gm, witnesses: [edWitness] }))).toThrow(
      /witnesses\[0\]: not a key of the gm suite's cosignature algorithm, sm2-sm3/,
    );
    const intl = JSON.parse(rootText) as Record<string, unknown>;
    expect(
      codeOf(() => parseTrustRoot(JSON.stringify({ ...intl, witnesses: [witnessVkey], quorum: 1 }))),
    ).toBe("TRUST_ROOT_INVALID");
  });

  it("carries a consortium's own SM2 identifier, which every signature it opens is checked with", async () => {
    const own = "zhixin@hainan.gov.cn";
    const suite = gmSuite(own);
    const signer = new LocalSigner("sealer", generateKeyPair("sm2-sm3").privateKey, "sm2-sm3", own);
    const key = noteKeyOf("sm2-sm3", await signer.publicKey());
    const vkey = formatVerifierKey(ORIGIN, key.type, key.publicKey);
    const text = formatTrustRoot({ suite, log: ORIGIN, sealers: [vkey], witnesses: [], quorum: 0 });
    // Canonical: keys sorted, so sm2Id before suite; the default identifier is never written.
    expect(text).toContain(`"sealers":["${vkey}"],"sm2Id":"${own}","suite":"gm",`);
    const root = parseTrustRoot(text);
    expect(sameSuite(root.suite, suite)).toBe(true);
    const body = formatCheckpoint({ origin: ORIGIN, size: 1, rootHash: GM.emptyRoot() });
    const note = formatSignedNote(body, [
      {
        name: ORIGIN,
        keyHash: parseVerifierKey(vkey).keyHash,
        signature: await signer.sign(noteMessage(body)),
      },
    ]);
    const withOwn = { verifySignature: keySignatureCheckOf(root.suite) };
    expect(openTrustedCheckpoint(note, root, withOwn).checkpoint.size).toBe(1);
    // The same note under a root without the identifier (the default's Z_A) is not the log's.
    const defaulted = parseTrustRoot(formatTrustRoot({ ...root, suite: GM, sealers: [vkey], witnesses: [] }));
    const withDefault = { verifySignature: keySignatureCheckOf(defaulted.suite) };
    expect(codeOf(() => openTrustedCheckpoint(note, defaulted, withDefault))).toBe("CHECKPOINT_UNTRUSTED");
    const gm = JSON.parse(text) as Record<string, unknown>;
    for (const bad of [{ sm2Id: "1234567812345678" }, { sm2Id: "" }, { sm2Id: 7 }, { sm2Id: "海南" }]) {
      expect(codeOf(() => parseTrustRoot(JSON.stringify({ ...gm, ...bad })))).toBe("TRUST_ROOT_INVALID");
    }
    expect(codeOf(() => parseTrustRoot(JSON.stringify({ ...JSON.parse(rootText), sm2Id: own })))).toBe(
      "TRUST_ROOT_INVALID",
    );
  });

  it("refuses an Ed25519 sealer key under gm, and an SM2 one under intl: TRUST_ROOT_INVALID", async () => {
    const { vkey, text } = await sm2Root();
    const gm = JSON.parse(text) as Record<string, unknown>;
    expect(codeOf(() => parseTrustRoot(JSON.stringify({ ...gm, sealers: [sealerVkey] })))).toBe(
      "TRUST_ROOT_INVALID",
    );
    expect(codeOf(() => parseTrustRoot(JSON.stringify({ ...JSON.parse(rootText), sealers: [vkey] })))).toBe(
      "TRUST_ROOT_INVALID",
    );
    expect(
      codeOf(() => parseTrustRoot(JSON.stringify({ ...gm, suite: undefined, witnesses: [], quorum: 0 }))),
    ).toBe("TRUST_ROOT_INVALID");
  });
});
