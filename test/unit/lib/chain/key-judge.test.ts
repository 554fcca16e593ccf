import { describe, expect, it } from "vitest";
import {
  contentDigest,
  INTL,
  type JsonValue,
  type JudgedEntry,
  judgeEntryKey,
  judgeEntrySignature,
  type KeyRecordEntry,
  ledgerDecides,
  ledgerKeys,
  noLedgerKeys,
  signatureCheckKey,
} from "#chain";
import { keyAddEntry as addOf, nodeVerify, T0, T1, T2, T3, T4, vectorKey } from "./key-vectors.js";

// judgeEntryKey (lib/chain key-judge.ts): which key judges a request signature at a time,
// by the ledger's key history once the owner has a key there, and the comparison of each
// sealed key record with the history the verifier was given.

const a1 = vectorKey("a1");
const a2 = vectorKey("a2");

function other(entryId: string, type: string, data: unknown, signedBy: string, at: string): KeyRecordEntry {
  return { entryId, writer: "hf-haikou", signedBy, receivedAt: at, type, data };
}

/** The envelope fields of a sealed record that is exactly `r`. */
function sealed(r: KeyRecordEntry): JudgedEntry {
  return {
    id: r.entryId,
    type: r.type,
    dept: r.writer,
    keyId: r.signedBy,
    receivedAt: r.receivedAt,
    contentDigest: contentDigest(INTL, r.data as JsonValue),
  };
}

function entry(keyId: string, at: string, id = "e"): JudgedEntry {
  return { id, type: "licence.business", dept: "hf-haikou", keyId, receivedAt: at, contentDigest: "00" };
}

const add1 = addOf(a1, T1, a1.keyId, "add-a1");
const add2 = addOf(a2, T2, a1.keyId, "add-a2");
const retire1 = other("retire-a1", "zhixin.key.retire", { keyId: a1.keyId }, a1.keyId, T3);
const revoke2 = other(
  "revoke-a2",
  "zhixin.key.revoke",
  { keyId: a2.keyId, compromisedSince: T2 },
  a2.keyId,
  T4,
);

describe("judgeEntryKey", () => {
  const keys = ledgerKeys(INTL, [add1, add2, retire1, revoke2], nodeVerify);

  it("leaves an owner's signatures to the trust bundle until its first key on the ledger", () => {
    expect(judgeEntryKey(keys, entry(a1.keyId, T0))).toEqual({ decidedBy: "bundle" });
    expect(judgeEntryKey(noLedgerKeys(INTL), entry(a1.keyId, T4))).toEqual({ decidedBy: "bundle" });
    expect(judgeEntryKey(keys, { ...entry(a1.keyId, T4), dept: "hf-sanya" })).toEqual({
      decidedBy: "bundle",
    });
    expect([ledgerDecides(keys, "hf-haikou", T0), ledgerDecides(keys, "hf-haikou", T1)]).toEqual([
      false,
      true,
    ]);
  });

  it("from then on answers by keyAt over the whole history: valid, not valid at the time, revoked, unknown", () => {
    const answer = (keyId: string, at: string) => {
      const j = judgeEntryKey(keys, entry(keyId, at));
      if (j.decidedBy !== "ledger" || !("answer" in j)) throw new Error(JSON.stringify(j));
      return j.answer.valid ? "valid" : j.answer.code;
    };
    expect(answer(a1.keyId, T1)).toBe("valid");
    expect(answer(a1.keyId, T3)).toBe("KEY_NOT_VALID_AT_TIME");
    expect(answer(a2.keyId, T1)).toBe("KEY_NOT_VALID_AT_TIME"); // before its add
    expect(answer(a2.keyId, T2)).toBe("KEY_REVOKED");
    expect(answer("hf-haikou/0000000000000000", T2)).toBe("KEY_UNKNOWN");
  });

  it("judges a key record's signer as the fold did: a key retiring or revoking itself signed that record validly", () => {
    for (const r of [add1, retire1, revoke2]) {
      const j = judgeEntryKey(keys, sealed(r));
      expect(j.decidedBy === "ledger" && "answer" in j && j.answer.valid, r.entryId).toBe(true);
    }
  });

  it("is KEY_REVOKED for a key record signed at or after a later revoke's compromisedSince", () => {
    // a2 adds nothing itself, but a record it signs after T2 is a thief's.
    const add1b = other("retire-a1-by-a2", "zhixin.key.retire", { keyId: a1.keyId }, a2.keyId, T3);
    const k = ledgerKeys(INTL, [add1, add2, add1b, revoke2], nodeVerify);
    expect(judgeEntryKey(k, sealed(add1b))).toMatchObject({
      decidedBy: "ledger",
      answer: { valid: false, code: "KEY_REVOKED" },
    });
  });

  it("names a sealed key record the fold does not count", () => {
    const foreign = {
      ...other("retire-by-a2-early", "zhixin.key.retire", { keyId: a1.keyId }, a2.keyId, T1),
    };
    const k = ledgerKeys(INTL, [add1, foreign], nodeVerify);
    expect(judgeEntryKey(k, sealed(foreign))).toMatchObject({
      decidedBy: "ledger",
      refused: { code: "KEY_NOT_OWNED" },
    });
  });

  it("is KEY_HISTORY_MISMATCH for a sealed key record not given, or given otherwise", () => {
    const mismatch = (e: JudgedEntry) => {
      const j = judgeEntryKey(keys, e);
      return j.decidedBy === "ledger" && "problem" in j ? j.problem.code : JSON.stringify(j);
    };
    expect(mismatch({ ...sealed(retire1), id: "not-given" })).toBe("KEY_HISTORY_MISMATCH");
    expect(mismatch({ ...sealed(retire1), receivedAt: T4 })).toBe("KEY_HISTORY_MISMATCH");
    expect(mismatch({ ...sealed(retire1), keyId: a2.keyId })).toBe("KEY_HISTORY_MISMATCH");
    expect(mismatch({ ...sealed(retire1), dept: "hf-sanya" })).toBe("KEY_HISTORY_MISMATCH");
    expect(mismatch({ ...sealed(retire1), type: "zhixin.key.revoke" })).toBe("KEY_HISTORY_MISMATCH");
    expect(mismatch({ ...sealed(retire1), contentDigest: "00".repeat(32) })).toBe("KEY_HISTORY_MISMATCH");
    // Data that is no JSON value has no digest to match.
    const odd = other("odd", "zhixin.key.retire", { keyId: a1.keyId, n: Number.NaN }, a1.keyId, T3);
    expect(
      judgeEntryKey(ledgerKeys(INTL, [add1, odd], nodeVerify), sealed({ ...odd, data: {} })),
    ).toMatchObject({
      problem: { code: "KEY_HISTORY_MISMATCH" },
    });
  });
});

describe("judgeEntryKey with the consortium's governance (rules 4–5)", () => {
  const s1 = vectorKey("s1");
  const governance = { departments: ["hf-haikou", "hf-sanya", "hf-danzhou"], ownerCosigns: 0 };
  const addS1 = addOf(s1, T1, s1.keyId, "add-s1");
  const recovery: KeyRecordEntry = {
    entryId: "5".repeat(32), // cosigns name entries by their 32 hex digits
    writer: "hf-sanya",
    signedBy: s1.keyId,
    receivedAt: T2,
    type: "zhixin.key.revoke",
    data: { keyId: a1.keyId, compromisedSince: T1 },
  };
  const cosign: KeyRecordEntry = {
    entryId: "cosign-danzhou",
    writer: "hf-danzhou",
    signedBy: "hf-danzhou/0000000000000000",
    receivedAt: T3,
    type: "zhixin.cosign",
    data: { entryId: "5".repeat(32), contentDigest: contentDigest(INTL, recovery.data as JsonValue) },
  };
  const keys = ledgerKeys(INTL, [add1, addS1, recovery, cosign], nodeVerify, governance);

  it("judges a recovery and a cosign by their writer's own keys, not by the owner's", () => {
    expect(judgeEntryKey(keys, sealed(recovery))).toMatchObject({
      decidedBy: "ledger",
      answer: { valid: true, key: { keyId: s1.keyId } },
    });
    // hf-danzhou has no key on the ledger: its trust-bundle key judges its cosign.
    expect(judgeEntryKey(keys, sealed(cosign))).toEqual({ decidedBy: "bundle" });
  });

  it("holds a given cosign to the log as it holds key records", () => {
    expect(judgeEntryKey(keys, { ...sealed(cosign), contentDigest: "00".repeat(32) })).toMatchObject({
      problem: { code: "KEY_HISTORY_MISMATCH" },
    });
  });

  it("the recovered revoke ends the key at the completing cosign, and reaches back to compromisedSince", () => {
    expect(keys.history.keys.get(a1.keyId)).toMatchObject({ validUntil: T3, compromisedSince: T1 });
    expect(judgeEntryKey(keys, entry(a1.keyId, T1))).toMatchObject({ answer: { code: "KEY_REVOKED" } });
    // Without the cosign the recovery awaits it and a1 still signs.
    const uncosigned = ledgerKeys(INTL, [add1, addS1, recovery], nodeVerify, governance);
    expect(judgeEntryKey(uncosigned, entry(a1.keyId, T3))).toMatchObject({ answer: { valid: true } });
    expect([...uncosigned.history.pending.keys()]).toEqual([recovery.entryId]);
  });

  it("without the governance nobody but the owner writes about its keys", () => {
    const alone = ledgerKeys(INTL, [add1, addS1, recovery, cosign], nodeVerify);
    expect(judgeEntryKey(alone, sealed(recovery))).toMatchObject({ refused: { code: "KEY_NOT_OWNED" } });
    expect(judgeEntryKey(alone, sealed(cosign))).toMatchObject({ refused: { code: "KEY_COSIGN_REFUSED" } });
  });

  it("dates an owner's ledger keys from the first key that took effect, not the first add written", () => {
    const first = { ...add1, entryId: "1".repeat(32) };
    const pendingFirst = ledgerKeys(INTL, [first], nodeVerify, { ...governance, ownerCosigns: 1 });
    expect(ledgerDecides(pendingFirst, "hf-haikou", T4)).toBe(false);
    const cosigned = ledgerKeys(
      INTL,
      [
        first,
        {
          ...cosign,
          receivedAt: T2,
          data: { entryId: first.entryId, contentDigest: contentDigest(INTL, first.data as JsonValue) },
        },
      ],
      nodeVerify,
      { ...governance, ownerCosigns: 1 },
    );
    expect([ledgerDecides(cosigned, "hf-haikou", T1), ledgerDecides(cosigned, "hf-haikou", T2)]).toEqual([
      false,
      true,
    ]);
    // The first add's signer is the key it adds, as the fold judged it while it awaited its cosign.
    expect(judgeEntryKey(cosigned, sealed(first))).toMatchObject({ answer: { valid: true } });
  });
});

describe("judgeEntrySignature", () => {
  const keys = ledgerKeys(INTL, [add1, add2, retire1], nodeVerify);
  const signed = { ...entry(a2.keyId, T3), alg: "ed25519" as const };
  const yes = () => true;

  it("maps the key's answer to a check, and the signature to ok or invalid", () => {
    expect(judgeEntrySignature(keys, () => undefined, signed, new Uint8Array(), new Uint8Array(), yes)).toBe(
      "ok",
    );
    const no = () => false;
    expect(judgeEntrySignature(keys, () => undefined, signed, new Uint8Array(), new Uint8Array(), no)).toBe(
      "invalid",
    );
    const throws = () => {
      throw new Error("unreadable key");
    };
    expect(
      judgeEntrySignature(keys, () => undefined, signed, new Uint8Array(), new Uint8Array(), throws),
    ).toBe("invalid");
    expect(
      judgeEntrySignature(
        keys,
        () => undefined,
        { ...signed, alg: "ecdsa-p256-sha256" },
        new Uint8Array(),
        new Uint8Array(),
        yes,
      ),
    ).toBe("invalid");
  });

  it("a key the ledger says was not valid then, or revoked, is a finding; one it does not know, unknown", () => {
    const at = (keyId: string, receivedAt: string) => ({
      ...entry(keyId, receivedAt),
      alg: "ed25519" as const,
    });
    const k = ledgerKeys(INTL, [add1, add2, retire1, revoke2], nodeVerify);
    const judge = (e: ReturnType<typeof at>) =>
      judgeEntrySignature(k, () => undefined, e, new Uint8Array(), new Uint8Array(), yes);
    expect(judge(at(a1.keyId, T3))).toMatchObject({ finding: "KEY_NOT_VALID_AT_TIME" });
    expect(judge(at(a2.keyId, T3))).toMatchObject({ finding: "KEY_REVOKED" });
    expect(judge(at("hf-haikou/0000000000000000", T3))).toBe("unknown-key");
  });

  it("a key record the fold refused, or one not given, is a finding with its code", () => {
    const early = other("early", "zhixin.key.retire", { keyId: a1.keyId }, a2.keyId, T1);
    const refusing = ledgerKeys(INTL, [add1, early], nodeVerify);
    const asSealed = { ...sealed(early), alg: "ed25519" as const };
    expect(
      judgeEntrySignature(refusing, () => undefined, asSealed, new Uint8Array(), new Uint8Array(), yes),
    ).toMatchObject({
      finding: "KEY_RECORD_REFUSED",
    });
    expect(
      judgeEntrySignature(keys, () => undefined, asSealed, new Uint8Array(), new Uint8Array(), yes),
    ).toMatchObject({
      finding: "KEY_HISTORY_MISMATCH",
    });
  });

  it("before the owner's first key on the ledger, the bundle's key and its validity decide", () => {
    const bundled = {
      keyId: a1.keyId,
      owner: "hf-haikou",
      role: "department",
      alg: "ed25519" as const,
      spki: new Uint8Array(),
      validFrom: T0,
      validUntil: T1,
    };
    const early = { ...entry(a1.keyId, T0), alg: "ed25519" as const };
    const lookup = (id: string) => (id === a1.keyId ? bundled : undefined);
    expect(
      judgeEntrySignature(noLedgerKeys(INTL), lookup, early, new Uint8Array(), new Uint8Array(), yes),
    ).toBe("ok");
    expect(
      judgeEntrySignature(
        noLedgerKeys(INTL),
        lookup,
        { ...early, receivedAt: T1 },
        new Uint8Array(),
        new Uint8Array(),
        yes,
      ),
    ).toBe("not-valid");
    expect(
      judgeEntrySignature(
        noLedgerKeys(INTL),
        lookup,
        { ...early, keyId: a2.keyId },
        new Uint8Array(),
        new Uint8Array(),
        yes,
      ),
    ).toBe("unknown-key");
    expect(
      judgeEntrySignature(
        noLedgerKeys(INTL),
        lookup,
        { ...early, dept: "hf-sanya" },
        new Uint8Array(),
        new Uint8Array(),
        yes,
      ),
    ).toBe("invalid");
  });
});

describe("signatureCheckKey", () => {
  const base = { alg: "ed25519", signature: "c2ln", signatureBase: "base" };
  it("is one key for the entries of one signed request, and its own for a key record", () => {
    const a = { ...entry(a1.keyId, T1, "e1"), ...base };
    const b = { ...entry(a1.keyId, T1, "e2"), ...base };
    expect(signatureCheckKey(a)).toBe(signatureCheckKey(b));
    expect(signatureCheckKey({ ...a, receivedAt: T2 })).not.toBe(signatureCheckKey(a));
    const k1 = { ...sealed(retire1), ...base };
    expect(signatureCheckKey(k1)).not.toBe(signatureCheckKey({ ...k1, id: "other" }));
    expect(signatureCheckKey(k1)).not.toBe(signatureCheckKey({ ...k1, contentDigest: "00" }));
  });

  it("is its own for a cosign, which may be a key history's, beside other records of its request", () => {
    const record = { ...entry(a1.keyId, T1, "e1"), ...base };
    const cosign = { ...record, id: "e2", type: "zhixin.cosign", contentDigest: "11" };
    expect(signatureCheckKey(cosign)).not.toBe(signatureCheckKey(record));
    expect(signatureCheckKey(cosign)).not.toBe(signatureCheckKey({ ...cosign, id: "e3" }));
  });
});
