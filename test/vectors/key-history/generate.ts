/**
 * Writes the key-history vectors next to this file (docs/FORMATS.md §10):
 *
 *   npx tsx test/vectors/key-history/generate.ts --new-keys   keys.json: new keys (done once)
 *   npx tsx test/vectors/key-history/generate.ts              cases.json from keys.json
 *   npx biome check --write test/vectors/key-history
 *
 * keys.json holds real Ed25519 and P-256 keys (PKCS#8 and SPKI), each key's id and its
 * proof of possession, made with node:crypto; P-256 signatures are randomised, so they
 * are made once and kept. cases.json spells every record out in full (ids, SPKIs, pops),
 * so a verifier in another language reads it without this script. The expected outcome
 * of each record, and each keyAt answer, is written by hand below from the rules of
 * docs/design/key-history.md §3–§4 — never computed with lib/chain.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import type { VectorCase, VectorKey, VectorRecord } from "./types.js";

const dir = new URL(".", import.meta.url);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const unb64 = (s: string): Buffer => Buffer.from(s, "base64");

const KEY_NAMES: Array<Pick<VectorKey, "name" | "owner" | "role" | "alg">> = [
  { name: "a1", owner: "hf-haikou", role: "department", alg: "ed25519" },
  { name: "a2", owner: "hf-haikou", role: "department", alg: "ed25519" },
  { name: "a3", owner: "hf-haikou", role: "department", alg: "ed25519" },
  { name: "s1", owner: "hf-sanya", role: "department", alg: "ecdsa-p256-sha256" },
  { name: "s2", owner: "hf-sanya", role: "department", alg: "ecdsa-p256-sha256" },
  { name: "u1", owner: "auditor", role: "auditor", alg: "ed25519" },
];

function signWith(key: Pick<VectorKey, "alg" | "pkcs8">, message: string): string {
  const privateKey = createPrivateKey({ key: unb64(key.pkcs8), format: "der", type: "pkcs8" });
  const data = Buffer.from(message, "utf8");
  return key.alg === "ed25519"
    ? b64(sign(null, data, privateKey))
    : b64(sign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" }));
}

function newKeys(): VectorKey[] {
  return KEY_NAMES.map((k) => {
    const pair =
      k.alg === "ed25519"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("ec", { namedCurve: "P-256" });
    const spki = pair.publicKey.export({ format: "der", type: "spki" });
    const pkcs8 = b64(pair.privateKey.export({ format: "der", type: "pkcs8" }));
    const keyId = `${k.owner}/${createHash("sha256").update(spki).digest("hex").slice(0, 16)}`;
    return {
      ...k,
      pkcs8,
      spki: b64(spki),
      keyId,
      pop: signWith({ alg: k.alg, pkcs8 }, `zhixin/key-pop/v1\n${keyId}`),
    };
  });
}

if (process.argv.includes("--new-keys")) {
  const keys = newKeys();
  writeFileSync(
    new URL("keys.json", dir),
    `${JSON.stringify(
      {
        description:
          'Keys of the key-history vectors (docs/FORMATS.md §10): name, owner, role, alg, PKCS#8 private key and DER SPKI (base64), keyId = owner/hex(SHA-256(spki))[0:16], pop = the key\'s signature over "zhixin/key-pop/v1\\n" || keyId (Ed25519; P-256 as r || s over SHA-256).',
        source: "node:crypto generateKeyPairSync, by test/vectors/key-history/generate.ts --new-keys",
        keys,
      },
      null,
      2,
    )}\n`,
  );
}

const keys: VectorKey[] = JSON.parse(readFileSync(new URL("keys.json", dir), "utf8")).keys;
const K = Object.fromEntries(keys.map((k) => [k.name, k])) as Record<string, VectorKey>;
const id = (name: string): string => (K[name] as VectorKey).keyId;

/** Times of a case: t(n) is n seconds after 08:00:00 on 2026-11-21, t(n, ms) that plus ms. */
function t(seconds: number, ms = 0): string {
  return new Date(Date.UTC(2026, 10, 21, 8, 0, 0) + seconds * 1000 + ms).toISOString();
}

let entry = 0;
const nextEntryId = (): string => (++entry).toString(16).padStart(32, "0");

type Outcome = { expect?: string; wrong?: string };

function addData(name: string): Record<string, string> {
  const k = K[name] as VectorKey;
  return { keyId: k.keyId, owner: k.owner, role: k.role, alg: k.alg, spki: k.spki, pop: k.pop };
}

/** A record; by default written by the owner of the signing key. */
function rec(
  type: string,
  data: unknown,
  signedBy: string,
  at: string,
  o: Outcome & { writer?: string } = {},
): VectorRecord {
  const signer = K[signedBy];
  const r: VectorRecord = {
    entryId: nextEntryId(),
    writer: o.writer ?? (signer as VectorKey).owner,
    signedBy: signer?.keyId ?? signedBy,
    receivedAt: at,
    type,
    data,
    expect: o.expect ?? "counts",
  };
  if (o.wrong !== undefined) r.wrong = o.wrong;
  return r;
}
const add = (
  name: string,
  signedBy: string,
  at: string,
  o: Outcome & { writer?: string; data?: unknown } = {},
) => rec("zhixin.key.add", o.data ?? addData(name), signedBy, at, o);
const retire = (name: string, signedBy: string, at: string, o: Outcome & { writer?: string } = {}) =>
  rec("zhixin.key.retire", { keyId: K[name]?.keyId ?? name }, signedBy, at, o);
const revoke = (
  name: string,
  signedBy: string,
  at: string,
  compromisedSince: string,
  o: Outcome & { writer?: string } = {},
) => rec("zhixin.key.revoke", { keyId: K[name]?.keyId ?? name, compromisedSince }, signedBy, at, o);

const P256_COMPRESSED_PREFIX = "3039301306072a8648ce3d020106082a8648ce3d030107032200";
/** s1's point in the compressed SPKI form (RFC 5480 §2.2 allows it; the ledger records the uncompressed one). */
function compressedSpki(name: string): string {
  const spki = unb64((K[name] as VectorKey).spki);
  const x = spki.subarray(27, 59);
  const yOdd = (spki[90] as number) & 1;
  return b64(Buffer.concat([Buffer.from(P256_COMPRESSED_PREFIX, "hex"), Buffer.from([yOdd ? 3 : 2]), x]));
}
// Sanity: node reads the compressed form as the same key.
const jwk = (spki: string) =>
  JSON.stringify(
    createPublicKey({ key: unb64(spki), format: "der", type: "spki" }).export({ format: "jwk" }),
  );
if (jwk(compressedSpki("s1")) !== jwk((K.s1 as VectorKey).spki))
  throw new Error("compressed SPKI is not s1's key");

function flip(base64: string): string {
  const bytes = unb64(base64);
  bytes[0] = (bytes[0] as number) ^ 1;
  return b64(bytes);
}

const cases: VectorCase[] = [];

function kase(description: string, build: () => Omit<VectorCase, "description">): void {
  entry = 0;
  cases.push({ description, ...build() });
}

kase("every owner introduces its own first key, signed by that key (rule 1), Ed25519 and P-256", () => ({
  records: [add("a1", "a1", t(0)), add("s1", "s1", t(1)), add("u1", "u1", t(2))],
  history: [
    { keyId: id("a1"), validFrom: t(0) },
    { keyId: id("s1"), validFrom: t(1) },
    { keyId: id("u1"), validFrom: t(2) },
  ],
  keyAt: [
    { keyId: id("a1"), at: t(0), expect: "valid" },
    { keyId: id("a1"), at: t(0, -1), expect: "KEY_NOT_VALID_AT_TIME" },
    { keyId: id("s1"), at: t(86400), expect: "valid" },
    { keyId: id("a2"), at: t(3), expect: "KEY_UNKNOWN" },
    { keyId: "hf-haikou/key-1", at: t(3), expect: "KEY_UNKNOWN" },
  ],
}));

kase(
  "rotation as design §5 runs it: add the new key signed by the old, retire the old signed by the new",
  () => ({
    records: [
      add("a1", "a1", t(0)),
      add("a2", "a1", t(10)),
      retire("a1", "a2", t(20)),
      add("s1", "s1", t(21)),
      add("s2", "s1", t(22)),
      retire("s1", "s2", t(23)),
    ],
    history: [
      { keyId: id("a1"), validFrom: t(0), validUntil: t(20) },
      { keyId: id("a2"), validFrom: t(10) },
      { keyId: id("s1"), validFrom: t(21), validUntil: t(23) },
      { keyId: id("s2"), validFrom: t(22) },
    ],
    keyAt: [
      { keyId: id("a1"), at: t(20, -1), expect: "valid" },
      { keyId: id("a1"), at: t(20), expect: "KEY_NOT_VALID_AT_TIME" },
      { keyId: id("a2"), at: t(10, -1), expect: "KEY_NOT_VALID_AT_TIME" },
      { keyId: id("a2"), at: t(10), expect: "valid" },
      { keyId: id("a2"), at: t(20), expect: "valid" },
      { keyId: id("s1"), at: t(23), expect: "KEY_NOT_VALID_AT_TIME" },
      { keyId: id("s2"), at: t(23), expect: "valid" },
    ],
  }),
);

kase("a key retires itself, and its successor, added earlier, signs on", () => ({
  records: [add("a1", "a1", t(0)), add("a2", "a1", t(1)), retire("a1", "a1", t(2)), add("a3", "a2", t(3))],
  history: [
    { keyId: id("a1"), validFrom: t(0), validUntil: t(2) },
    { keyId: id("a2"), validFrom: t(1) },
    { keyId: id("a3"), validFrom: t(3) },
  ],
  keyAt: [
    { keyId: id("a1"), at: t(2, -1), expect: "valid" },
    { keyId: id("a1"), at: t(2), expect: "KEY_NOT_VALID_AT_TIME" },
  ],
}));

kase("revoke with a back-dated compromisedSince: what the key signed from then on is KEY_REVOKED", () => ({
  records: [add("a1", "a1", t(0)), add("a2", "a1", t(10)), revoke("a1", "a2", t(100), t(50, 250))],
  history: [
    { keyId: id("a1"), validFrom: t(0), validUntil: t(100), compromisedSince: t(50, 250) },
    { keyId: id("a2"), validFrom: t(10) },
  ],
  keyAt: [
    { keyId: id("a1"), at: t(50, 249), expect: "valid" },
    { keyId: id("a1"), at: t(50, 250), expect: "KEY_REVOKED" },
    { keyId: id("a1"), at: t(99), expect: "KEY_REVOKED" },
    { keyId: id("a1"), at: t(100), expect: "KEY_REVOKED" },
    { keyId: id("a1"), at: t(0, -1), expect: "KEY_NOT_VALID_AT_TIME" },
  ],
}));

kase("a key revokes itself, compromised since its own add: revocation is decided before validity", () => ({
  records: [
    add("a1", "a1", t(0)),
    add("a2", "a1", t(1)),
    revoke("a2", "a2", t(5), t(-10)),
    add("a3", "a1", t(6)),
    revoke("a1", "a1", t(7), t(7)),
  ],
  history: [
    { keyId: id("a1"), validFrom: t(0), validUntil: t(7), compromisedSince: t(7) },
    { keyId: id("a2"), validFrom: t(1), validUntil: t(5), compromisedSince: t(-10) },
    { keyId: id("a3"), validFrom: t(6) },
  ],
  keyAt: [
    { keyId: id("a2"), at: t(-10, -1), expect: "KEY_NOT_VALID_AT_TIME" },
    { keyId: id("a2"), at: t(-10), expect: "KEY_REVOKED" },
    { keyId: id("a2"), at: t(3), expect: "KEY_REVOKED" },
    { keyId: id("a1"), at: t(7, -1), expect: "valid" },
    { keyId: id("a1"), at: t(7), expect: "KEY_REVOKED" },
  ],
}));

kase("a retired key is revoked later: it keeps the end its retire gave it", () => ({
  records: [
    add("s1", "s1", t(0)),
    add("s2", "s1", t(1)),
    retire("s1", "s2", t(10)),
    revoke("s1", "s2", t(30), t(5)),
  ],
  history: [
    { keyId: id("s1"), validFrom: t(0), validUntil: t(10), compromisedSince: t(5) },
    { keyId: id("s2"), validFrom: t(1) },
  ],
  keyAt: [
    { keyId: id("s1"), at: t(5, -1), expect: "valid" },
    { keyId: id("s1"), at: t(5), expect: "KEY_REVOKED" },
    { keyId: id("s1"), at: t(20), expect: "KEY_REVOKED" },
  ],
}));

kase("KEY_ID_INVALID: ids not derived from owner and spki, pops that do not verify", () => ({
  records: [
    add("a1", "a1", t(0), {
      data: { ...addData("a1"), keyId: "hf-haikou/key-1" },
      expect: "KEY_ID_INVALID",
      wrong: "keyId is an old-style name, not owner/hex(SHA-256(spki))[0:16]",
    }),
    add("a1", "a1", t(1), {
      data: { ...addData("a1"), keyId: `hf-sanya/${id("a1").split("/")[1]}` },
      expect: "KEY_ID_INVALID",
      wrong: "keyId carries another owner than the record's owner",
    }),
    add("a1", "a1", t(2), {
      data: { ...addData("a1"), keyId: id("a2") },
      expect: "KEY_ID_INVALID",
      wrong: "keyId is another key's id (a2's)",
    }),
    add("a1", "a1", t(3), {
      data: { ...addData("a1"), pop: flip((K.a1 as VectorKey).pop) },
      expect: "KEY_ID_INVALID",
      wrong: "pop has one bit flipped",
    }),
    add("a1", "a1", t(4), {
      data: { ...addData("a1"), pop: signWith(K.a2 as VectorKey, `zhixin/key-pop/v1\n${id("a1")}`) },
      expect: "KEY_ID_INVALID",
      wrong: "pop over a1's id is signed by a2, not by a1",
    }),
    add("a1", "a1", t(5), {
      data: { ...addData("a1"), pop: signWith(K.a1 as VectorKey, id("a1")) },
      expect: "KEY_ID_INVALID",
      wrong: "pop signs the key id without the zhixin/key-pop/v1 tag",
    }),
    add("s1", "s1", t(6), {
      data: { ...addData("s1"), pop: K.s2?.pop },
      expect: "KEY_ID_INVALID",
      wrong: "P-256 pop is s2's (over s2's id)",
    }),
    add("a1", "a1", t(7)),
  ],
  history: [{ keyId: id("a1"), validFrom: t(7) }],
  keyAt: [
    { keyId: id("a1"), at: t(6), expect: "KEY_NOT_VALID_AT_TIME" },
    { keyId: id("s1"), at: t(7), expect: "KEY_UNKNOWN" },
  ],
}));

kase("KEY_ID_TAKEN: a key is added once, never again, not even after its retire", () => ({
  records: [
    add("a1", "a1", t(0)),
    add("a2", "a1", t(1)),
    add("a2", "a1", t(2), { expect: "KEY_ID_TAKEN", wrong: "a2 is already in the history" }),
    retire("a2", "a1", t(3)),
    add("a2", "a1", t(4), {
      expect: "KEY_ID_TAKEN",
      wrong: "a2 was retired; a retired key is not added again",
    }),
  ],
  history: [
    { keyId: id("a1"), validFrom: t(0) },
    { keyId: id("a2"), validFrom: t(1), validUntil: t(3) },
  ],
  keyAt: [{ keyId: id("a2"), at: t(4), expect: "KEY_NOT_VALID_AT_TIME" }],
}));

kase("KEY_NOT_OWNED: the writer is not the owner, or the signer is not a valid key of the owner", () => ({
  records: [
    add("a1", "s1", t(0), {
      writer: "hf-haikou",
      expect: "KEY_NOT_OWNED",
      wrong: "first key of hf-haikou, signed by s1 (unknown) instead of by a1 itself",
    }),
    add("s1", "s1", t(1)),
    add("a1", "s1", t(2), {
      writer: "hf-haikou",
      expect: "KEY_NOT_OWNED",
      wrong: "first key of hf-haikou, signed by s1, a valid key of hf-sanya",
    }),
    add("a1", "a1", t(3), {
      writer: "hf-sanya",
      expect: "KEY_NOT_OWNED",
      wrong: "hf-sanya writes a key of hf-haikou",
    }),
    add("a1", "a1", t(4)),
    add("a2", "s1", t(5), {
      writer: "hf-haikou",
      expect: "KEY_NOT_OWNED",
      wrong: "rotation of hf-haikou signed by s1, a valid key of another owner",
    }),
    add("a2", "a2", t(6), {
      expect: "KEY_NOT_OWNED",
      wrong: "hf-haikou has a key: a2 may not introduce itself",
    }),
    retire("a1", "s1", t(7), {
      writer: "hf-sanya",
      expect: "KEY_NOT_OWNED",
      wrong: "hf-sanya retires a key of hf-haikou",
    }),
    retire("a1", "s1", t(8), {
      writer: "hf-haikou",
      expect: "KEY_NOT_OWNED",
      wrong: "hf-haikou's retire signed by s1, a key of hf-sanya",
    }),
    revoke("s1", "a1", t(9), t(9), {
      writer: "hf-sanya",
      expect: "KEY_NOT_OWNED",
      wrong: "hf-sanya's revoke signed by a1, a key of hf-haikou",
    }),
    add("a2", "a1", t(10)),
    retire("a1", "a1", t(11)),
    add("a3", "a1", t(12), { expect: "KEY_NOT_OWNED", wrong: "signed by a1, retired at t(11)" }),
    revoke("a2", "a1", t(13), t(13), { expect: "KEY_NOT_OWNED", wrong: "signed by a1, retired at t(11)" }),
    retire("a2", "a2", t(14)),
    add("a3", "a3", t(15), {
      expect: "KEY_NOT_OWNED",
      wrong: "hf-haikou has no valid key left: recovery by governance (rule 4) is not built",
    }),
  ],
  history: [
    { keyId: id("s1"), validFrom: t(1) },
    { keyId: id("a1"), validFrom: t(4), validUntil: t(11) },
    { keyId: id("a2"), validFrom: t(10), validUntil: t(14) },
  ],
  keyAt: [
    { keyId: id("a3"), at: t(15), expect: "KEY_UNKNOWN" },
    { keyId: id("a1"), at: t(10), expect: "valid" },
  ],
}));

kase("KEY_STATE_CONFLICT: nothing to retire or revoke, or a compromisedSince after the receipt", () => ({
  records: [
    add("a1", "a1", t(0)),
    retire("a2", "a1", t(1), { expect: "KEY_STATE_CONFLICT", wrong: "a2 was never added" }),
    retire("hf-haikou/key-1", "a1", t(2), {
      expect: "KEY_STATE_CONFLICT",
      wrong: "an old-style id is no key",
    }),
    add("a2", "a1", t(3)),
    retire("a2", "a1", t(4)),
    retire("a2", "a1", t(5), { expect: "KEY_STATE_CONFLICT", wrong: "a2 is already retired" }),
    revoke("a1", "a1", t(6), t(6, 1), {
      expect: "KEY_STATE_CONFLICT",
      wrong: "compromisedSince is 1 ms after the revoke's receipt",
    }),
    add("a3", "a1", t(7)),
    revoke("a2", "a3", t(8), t(2)),
    revoke("a2", "a3", t(9), t(1), { expect: "KEY_STATE_CONFLICT", wrong: "a2 is already revoked" }),
    retire("a2", "a3", t(10), { expect: "KEY_STATE_CONFLICT", wrong: "a2 is revoked" }),
  ],
  history: [
    { keyId: id("a1"), validFrom: t(0) },
    { keyId: id("a2"), validFrom: t(3), validUntil: t(4), compromisedSince: t(2) },
    { keyId: id("a3"), validFrom: t(7) },
  ],
  keyAt: [
    { keyId: id("a1"), at: t(6, 1), expect: "valid" },
    { keyId: id("a2"), at: t(2, -1), expect: "KEY_NOT_VALID_AT_TIME" },
    { keyId: id("a2"), at: t(3), expect: "KEY_REVOKED" },
  ],
}));

kase("KEY_RECORD_INVALID: data not of its type's form is no record, and changes nothing", () => ({
  records: [
    add("a1", "a1", t(0), {
      data: { ...addData("a1"), validFrom: t(0) },
      expect: "KEY_RECORD_INVALID",
      wrong: "an add with a field §10 does not have",
    }),
    add("a1", "a1", t(1), {
      data: { ...addData("a1"), role: "sealer" },
      expect: "KEY_RECORD_INVALID",
      wrong: "role sealer: sealer keys are the trust root's, never recorded",
    }),
    add("a1", "a1", t(2), {
      data: { ...addData("a1"), alg: "ecdsa-p256-sha256" },
      expect: "KEY_RECORD_INVALID",
      wrong: "an Ed25519 spki under alg ecdsa-p256-sha256",
    }),
    add("s1", "s1", t(3), {
      data: { ...addData("s1"), spki: compressedSpki("s1") },
      expect: "KEY_RECORD_INVALID",
      wrong: "s1's P-256 point in compressed form: one key has one recorded spki, the uncompressed one",
    }),
    add("a1", "a1", t(4), {
      data: { ...addData("a1"), spki: (K.a1 as VectorKey).spki.replace(/=*$/, "") },
      expect: "KEY_RECORD_INVALID",
      wrong: "spki is base64 without its padding",
    }),
    add("a1", "a1", t(5), {
      data: { ...addData("a1"), pop: b64(unb64((K.a1 as VectorKey).pop).subarray(0, 63)) },
      expect: "KEY_RECORD_INVALID",
      wrong: "pop of 63 bytes",
    }),
    add("a1", "a1", t(6), {
      data: { ...addData("a1"), owner: "HF-Haikou" },
      expect: "KEY_RECORD_INVALID",
      wrong: "owner is not a member id (capitals)",
    }),
    add("a1", "a1", t(7)),
    rec("zhixin.key.revoke", { keyId: id("a1"), compromisedSince: "2026-11-21T08:00:00Z" }, "a1", t(8), {
      expect: "KEY_RECORD_INVALID",
      wrong: "compromisedSince without milliseconds",
    }),
    rec("zhixin.key.revoke", { keyId: id("a1"), compromisedSince: "2026-02-29T00:00:00.000Z" }, "a1", t(9), {
      expect: "KEY_RECORD_INVALID",
      wrong: "compromisedSince on a day 2026 does not have",
    }),
    rec("zhixin.key.retire", { keyId: id("a1"), reason: "rotation" }, "a1", t(10), {
      expect: "KEY_RECORD_INVALID",
      wrong: "a retire with a field §10 does not have",
    }),
    rec("zhixin.key.retire", [id("a1")], "a1", t(11), {
      expect: "KEY_RECORD_INVALID",
      wrong: "data is an array, not an object",
    }),
    rec("zhixin.key.rotate", { keyId: id("a1") }, "a1", t(12), {
      expect: "KEY_RECORD_INVALID",
      wrong: "not one of the three key record types",
    }),
  ],
  history: [{ keyId: id("a1"), validFrom: t(7) }],
  keyAt: [{ keyId: id("a1"), at: t(12), expect: "valid" }],
}));

// Rules 4–5 (design §3): records that count only once other departments cosign them.
// Cosigners need no keys here: the fold judges who wrote a cosign, not its signature,
// which is judged as any entry's (key-judge.ts).

/** JCS (RFC 8785) of a record's data — flat objects of ASCII strings here, so sorted keys suffice. */
const jcs = (data: Record<string, string>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))));
const digestOf = (r: VectorRecord): string =>
  createHash("sha256")
    .update(jcs(r.data as Record<string, string>))
    .digest("hex");
/** A zhixin.cosign of `target` by department `writer`. */
const cosign = (target: VectorRecord, writer: string, at: string, o: Outcome & { digest?: string } = {}) =>
  rec(
    "zhixin.cosign",
    { entryId: target.entryId, contentDigest: o.digest ?? digestOf(target) },
    `${writer}/0000000000000000`,
    at,
    { ...o, writer },
  );

const FIVE = ["hf-haikou", "hf-sanya", "hf-danzhou", "hf-wenchang", "hf-qionghai"];

kase("rule 4: a recovery by another department counts once a majority of the others cosign it", () => {
  const revokeA1 = revoke("a1", "s1", t(10), t(5), { writer: "hf-sanya" });
  const addA2 = add("a2", "s1", t(20), { writer: "hf-sanya" });
  const addA3 = add("a3", "s1", t(25), { writer: "hf-sanya" });
  return {
    governance: { departments: FIVE, ownerCosigns: 0 },
    records: [
      add("a1", "a1", t(0)),
      add("s1", "s1", t(1)),
      revokeA1,
      cosign(revokeA1, "hf-danzhou", t(11)),
      cosign(revokeA1, "hf-danzhou", t(12), {
        expect: "KEY_COSIGN_REFUSED",
        wrong: "hf-danzhou cosigned it already",
      }),
      cosign(revokeA1, "hf-haikou", t(13), {
        expect: "KEY_COSIGN_REFUSED",
        wrong: "hf-haikou owns the key",
      }),
      cosign(revokeA1, "hf-sanya", t(14), {
        expect: "KEY_COSIGN_REFUSED",
        wrong: "hf-sanya wrote the recovery",
      }),
      cosign(revokeA1, "auditor", t(15), {
        expect: "KEY_COSIGN_REFUSED",
        wrong: "auditor is not a department",
      }),
      cosign(revokeA1, "hf-wenchang", t(16), {
        digest: "0".repeat(64),
        expect: "KEY_COSIGN_REFUSED",
        wrong: "the contentDigest is not the revoke's",
      }),
      // hf-sanya, hf-danzhou, hf-wenchang: 3 of the 4 departments other than hf-haikou.
      cosign(revokeA1, "hf-wenchang", t(17)),
      cosign(revokeA1, "hf-qionghai", t(18), {
        expect: "KEY_COSIGN_REFUSED",
        wrong: "the revoke took effect at t(17): it awaits no cosigns",
      }),
      addA2,
      cosign(addA2, "hf-danzhou", t(21)),
      cosign(addA2, "hf-qionghai", t(22)),
      retire("a2", "s1", t(23), {
        writer: "hf-sanya",
        expect: "KEY_NOT_OWNED",
        wrong: "a retire is the owner's alone: no recovery retires a key",
      }),
      add("a3", "u1", t(24), {
        writer: "auditor",
        expect: "KEY_NOT_OWNED",
        wrong: "auditor is not a department: it may propose no recovery",
      }),
      addA3,
    ],
    history: [
      { keyId: id("a1"), validFrom: t(0), validUntil: t(17), compromisedSince: t(5) },
      { keyId: id("s1"), validFrom: t(1) },
      { keyId: id("a2"), validFrom: t(22) },
    ],
    keyAt: [
      { keyId: id("a1"), at: t(5, -1), expect: "valid" },
      { keyId: id("a1"), at: t(5), expect: "KEY_REVOKED" },
      { keyId: id("a2"), at: t(22, -1), expect: "KEY_NOT_VALID_AT_TIME" },
      { keyId: id("a2"), at: t(22), expect: "valid" },
      { keyId: id("a3"), at: t(25), expect: "KEY_UNKNOWN" },
    ],
    pending: [{ entryId: addA3.entryId, cosigners: [] }],
  };
});

kase("rule 5: with ownerCosigns 1 an owner's own records count once another department cosigns", () => {
  const addA1 = add("a1", "a1", t(0));
  const addA2 = add("a2", "a1", t(3));
  const retireA1 = retire("a1", "a1", t(4));
  const addA3 = add("a3", "a2", t(8));
  return {
    governance: { departments: ["hf-haikou", "hf-sanya", "hf-danzhou"], ownerCosigns: 1 },
    records: [
      addA1,
      add("a2", "a1", t(1), {
        expect: "KEY_NOT_OWNED",
        wrong: "a1's add awaits its cosign: hf-haikou has no key yet, so a2 must introduce itself",
      }),
      cosign(addA1, "hf-sanya", t(2)),
      addA2,
      retireA1,
      cosign(retireA1, "hf-danzhou", t(5)),
      cosign(addA2, "hf-danzhou", t(6)),
      cosign(addA2, "hf-sanya", t(7), {
        expect: "KEY_COSIGN_REFUSED",
        wrong: "a2's add took effect at t(6)",
      }),
      addA3,
    ],
    history: [
      { keyId: id("a1"), validFrom: t(2), validUntil: t(5) },
      { keyId: id("a2"), validFrom: t(6) },
    ],
    keyAt: [
      { keyId: id("a1"), at: t(1), expect: "KEY_NOT_VALID_AT_TIME" },
      { keyId: id("a1"), at: t(2), expect: "valid" },
      { keyId: id("a1"), at: t(5), expect: "KEY_NOT_VALID_AT_TIME" },
      { keyId: id("a2"), at: t(5), expect: "KEY_NOT_VALID_AT_TIME" },
    ],
    pending: [{ entryId: addA3.entryId, cosigners: [] }],
  };
});

kase("a completing cosign is judged by the state it completes in; a malformed cosign is no cosign", () => {
  const bySanya = revoke("a1", "s1", t(10), t(9), { writer: "hf-sanya" });
  const byDanzhou = revoke("a1", "s1", t(11), t(8), { writer: "hf-danzhou" });
  const addBySanya = add("a2", "s1", t(14), { writer: "hf-sanya" });
  const addByDanzhou = add("a2", "s1", t(15), { writer: "hf-danzhou" });
  return {
    governance: { departments: ["hf-haikou", "hf-sanya", "hf-danzhou"], ownerCosigns: 0 },
    records: [
      add("a1", "a1", t(0)),
      add("s1", "s1", t(1)),
      revoke("a1", "s1", t(2), t(3), {
        writer: "hf-sanya",
        expect: "KEY_STATE_CONFLICT",
        wrong: "compromisedSince t(3) is after the proposal's receipt t(2)",
      }),
      bySanya,
      byDanzhou,
      cosign(bySanya, "hf-danzhou", t(12)),
      cosign(byDanzhou, "hf-sanya", t(13), {
        expect: "KEY_STATE_CONFLICT",
        wrong: "it would complete a revoke of a1, which hf-sanya's revoke revoked at t(12)",
      }),
      addBySanya,
      addByDanzhou,
      cosign(addBySanya, "hf-danzhou", t(16)),
      cosign(addByDanzhou, "hf-sanya", t(17), {
        expect: "KEY_ID_TAKEN",
        wrong: "it would complete an add of a2, which hf-sanya's add added at t(16)",
      }),
      rec("zhixin.cosign", { entryId: addByDanzhou.entryId }, "hf-sanya/0000000000000000", t(18), {
        writer: "hf-sanya",
        expect: "KEY_RECORD_INVALID",
        wrong: "a cosign without its contentDigest",
      }),
    ],
    history: [
      { keyId: id("a1"), validFrom: t(0), validUntil: t(12), compromisedSince: t(9) },
      { keyId: id("s1"), validFrom: t(1) },
      { keyId: id("a2"), validFrom: t(16) },
    ],
    keyAt: [{ keyId: id("a1"), at: t(8), expect: "valid" }],
    pending: [
      { entryId: byDanzhou.entryId, cosigners: [] },
      { entryId: addByDanzhou.entryId, cosigners: [] },
    ],
  };
});

kase("rule 4 with two departments: the other one is a majority alone", () => ({
  governance: { departments: ["hf-haikou", "hf-sanya"], ownerCosigns: 0 },
  records: [
    add("a1", "a1", t(0)),
    add("s1", "s1", t(1)),
    revoke("a1", "s1", t(2), t(1), { writer: "hf-sanya" }),
  ],
  history: [
    { keyId: id("a1"), validFrom: t(0), validUntil: t(2), compromisedSince: t(1) },
    { keyId: id("s1"), validFrom: t(1) },
  ],
  keyAt: [{ keyId: id("a1"), at: t(1), expect: "KEY_REVOKED" }],
}));

writeFileSync(
  new URL("cases.json", dir),
  `${JSON.stringify(
    {
      description:
        'Key-history fold vectors (docs/FORMATS.md §10, docs/design/key-history.md §3–§4). Each case\'s records are folded in the order given; each record\'s `expect` is "counts" or the refusal code, and a record that does not count says in `wrong` what is wrong with it. `history` is every key of the history after the fold, in the order added; `keyAt` asks whether a key could sign at a time ("valid" or the code). Keys and pops are those of keys.json; verify signatures with the key\'s alg (Ed25519, or P-256 r || s over SHA-256).',
      source:
        "Written by test/vectors/key-history/generate.ts from keys.json; expected outcomes by hand from the design's rules, not computed with lib/chain.",
      cases,
    },
    null,
    2,
  )}\n`,
);
