import { createPrivateKey, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  contentDigest,
  fromBase64,
  INTL,
  type JsonValue,
  type KeyRecordEntry,
  ledgerKeys,
  noLedgerKeys,
  utf8,
} from "#chain";
import type { KeyDirectory, PublicKeyRecord } from "../../../../lib/crypto/key-directory.js";
import { checkEntrySignature, requestKeys } from "../../../../lib/crypto/ledger-keys.js";
import { keySignatureCheckOf } from "../../../../lib/crypto/verify.js";
import { keyAddEntry as addOf, T0, T1, T2, T3, T4, vectorKey } from "../chain/key-vectors.js";

// The one rule the API and every auditor judge a department's signature by
// (lib/crypto/ledger-keys.ts): the ledger's key history from the department's first key
// there on, the trust bundle before.

const a1 = vectorKey("a1");
const a2 = vectorKey("a2");
const add1 = addOf(a1, T1, a1.keyId, "add-a1");
const add2 = addOf(a2, T2, a1.keyId, "add-a2");
const retire1: KeyRecordEntry = {
  entryId: "retire-a1",
  writer: "hf-haikou",
  signedBy: a2.keyId,
  receivedAt: T3,
  type: "zhixin.key.retire",
  data: { keyId: a1.keyId },
};
const revoke2: KeyRecordEntry = {
  entryId: "revoke-a2",
  writer: "hf-haikou",
  signedBy: a2.keyId,
  receivedAt: T4,
  type: "zhixin.key.revoke",
  data: { keyId: a2.keyId, compromisedSince: T2 },
};
const ledger = ledgerKeys(INTL, [add1, add2, retire1], keySignatureCheckOf(INTL));

const bundleKey: PublicKeyRecord = {
  keyId: a1.keyId,
  owner: "hf-haikou",
  role: "department",
  alg: "ed25519",
  spki: fromBase64(a1.spki),
  validFrom: T0,
  validUntil: T1,
};
const bundle: KeyDirectory = {
  getKey: (id) => (id === bundleKey.keyId ? bundleKey : undefined),
  listKeys: () => [bundleKey],
};

const message = utf8("the signature base");
function signed(k: typeof a1): Uint8Array {
  return sign(
    null,
    message,
    createPrivateKey({ key: Buffer.from(k.pkcs8, "base64"), format: "der", type: "pkcs8" }),
  );
}
function envelope(keyId: string, at: string, over: Partial<{ dept: string; type: string; id: string }> = {}) {
  return {
    id: "e1",
    type: "licence.business",
    dept: "hf-haikou",
    keyId,
    alg: "ed25519" as const,
    receivedAt: at,
    contentDigest: "00",
    ...over,
  };
}

describe("requestKeys", () => {
  it("is the trust bundle before the department's first key on the ledger, and for other departments", () => {
    expect(requestKeys(ledger, bundle, "hf-haikou", T0)).toBe(bundle);
    expect(requestKeys(ledger, bundle, "hf-sanya", T4)).toBe(bundle);
    expect(requestKeys(noLedgerKeys(INTL), bundle, "hf-haikou", T4)).toBe(bundle);
  });

  it("is the department's keys on the ledger after, each ending at its retire or compromisedSince", () => {
    const keys = requestKeys(
      ledgerKeys(INTL, [add1, add2, retire1, revoke2], keySignatureCheckOf(INTL)),
      bundle,
      "hf-haikou",
      T4,
    );
    expect(keys.listKeys().map((k) => [k.keyId, k.validFrom, k.validUntil])).toEqual([
      [a1.keyId, T1, T3],
      [a2.keyId, T2, T2], // revoked since T2, before its retire at T4
    ]);
    expect(keys.getKey(a2.keyId)?.spki).toEqual(fromBase64(a2.spki));
    const open = requestKeys(ledger, bundle, "hf-haikou", T4);
    expect(open.getKey(a2.keyId)?.validUntil).toBeUndefined();
    expect(open.getKey("hf-haikou/0000000000000000")).toBeUndefined();
  });
});

describe("checkEntrySignature", () => {
  const check = (keys: typeof ledger, e: ReturnType<typeof envelope>, signature: Uint8Array) =>
    checkEntrySignature(keys, bundle, e, message, signature);

  it("by the bundle before the first key on the ledger: ok, not valid, unknown, another's key", () => {
    expect(check(ledger, envelope(a1.keyId, T0), signed(a1))).toBe("ok");
    expect(check(noLedgerKeys(INTL), envelope(a1.keyId, T2), signed(a1))).toBe("not-valid");
    expect(check(noLedgerKeys(INTL), envelope(a2.keyId, T0), signed(a2))).toBe("unknown-key");
    expect(check(noLedgerKeys(INTL), envelope(a1.keyId, T0, { dept: "hf-sanya" }), signed(a1))).toBe(
      "invalid",
    );
    expect(check(ledger, envelope(a1.keyId, T0), signed(a2))).toBe("invalid");
  });

  it("by the ledger after: ok, invalid, unknown, and findings with their codes", () => {
    expect(check(ledger, envelope(a2.keyId, T3), signed(a2))).toBe("ok");
    expect(check(ledger, envelope(a2.keyId, T3), signed(a1))).toBe("invalid");
    expect(check(ledger, envelope("hf-haikou/0000000000000000", T3), signed(a1))).toBe("unknown-key");
    expect(check(ledger, envelope(a1.keyId, T3), signed(a1))).toEqual({
      finding: "KEY_NOT_VALID_AT_TIME",
      message: `${a1.keyId} was not hf-haikou's key at ${T3} (valid from ${T1} until ${T3})`,
    });
    expect(check(ledger, envelope(a2.keyId, T1), signed(a2))).toEqual({
      finding: "KEY_NOT_VALID_AT_TIME",
      message: `${a2.keyId} was not hf-haikou's key at ${T1} (valid from ${T2})`,
    });
    const revoked = ledgerKeys(INTL, [add1, add2, retire1, revoke2], keySignatureCheckOf(INTL));
    expect(check(revoked, envelope(a2.keyId, T3), signed(a2))).toEqual({
      finding: "KEY_REVOKED",
      message: `${a2.keyId} was revoked: compromised since ${T2}, received ${T3}`,
    });
  });

  it("a key record: as the fold judged it, refused, or not the one given", () => {
    const asSealed = (r: KeyRecordEntry) =>
      envelope(r.signedBy, r.receivedAt, { id: r.entryId, type: r.type, dept: r.writer });
    const withDigest = (r: KeyRecordEntry) => ({
      ...asSealed(r),
      contentDigest: contentDigest(INTL, r.data as JsonValue),
    });
    expect(check(ledger, withDigest(retire1), signed(a2))).toBe("ok");
    expect(check(ledger, asSealed(retire1), signed(a2))).toMatchObject({ finding: "KEY_HISTORY_MISMATCH" });
    const early: KeyRecordEntry = { ...retire1, entryId: "early", receivedAt: T1 };
    const refused = ledgerKeys(INTL, [add1, early], keySignatureCheckOf(INTL));
    expect(check(refused, withDigest(early), signed(a2))).toEqual({
      finding: "KEY_RECORD_REFUSED",
      message: expect.stringMatching(/^the key history does not count this key record: KEY_NOT_OWNED, /),
    });
  });
});
