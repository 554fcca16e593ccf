import { createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import type { KeyRecordEntry, KeySignatureCheck } from "#chain";
import type { VectorCase, VectorKey, VectorRecord } from "../../../vectors/key-history/types.js";

// The key-history vectors (test/vectors/key-history) and the signature checks the tests
// pass to lib/chain, made with node:crypto as lib/crypto's verifySignature makes them.

function load<T>(name: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../../vectors/key-history/${name}`, import.meta.url), "utf8"),
  ) as T;
}

export const vectorKeys = load<{ keys: VectorKey[] }>("keys.json").keys;
export const vectorCases = load<{ cases: VectorCase[] }>("cases.json").cases;

export function vectorKey(name: string): VectorKey {
  const key = vectorKeys.find((k) => k.name === name);
  if (key === undefined) throw new Error(`no vector key ${name}`);
  return key;
}

export function recordEntry(r: VectorRecord): KeyRecordEntry {
  const { entryId, writer, signedBy, receivedAt, type, data } = r;
  return { entryId, writer, signedBy, receivedAt, type, data };
}

/** Ed25519 over the message, or P-256 r || s over SHA-256(message); throws for a key node cannot read. */
export const nodeVerify: KeySignatureCheck = (alg, spki, message, signature) => {
  const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  return alg === "ed25519"
    ? verify(null, message, key, signature)
    : verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature);
};

/** The times the key-judge and ledger-keys tests place records at, a second apart. */
export const [T0, T1, T2, T3, T4] = [0, 1, 2, 3, 4].map((n) => `2026-11-21T08:00:0${n}.000Z`) as [
  string,
  string,
  string,
  string,
  string,
];

/** A zhixin.key.add of vector key `k`, received at `at`, in a request signed by `signedBy`. */
export function keyAddEntry(k: VectorKey, at: string, signedBy: string, entryId: string): KeyRecordEntry {
  const { keyId, owner, role, alg, spki, pop } = k;
  return {
    entryId,
    writer: owner,
    signedBy,
    receivedAt: at,
    type: "zhixin.key.add",
    data: { keyId, owner, role, alg, spki, pop },
  };
}
