import { describe, expect, it } from "vitest";
import {
  type AccessEnvelope,
  accessEntryIdFor,
  type BlockEvidence,
  canonicalJson,
  contentDigest,
  type FindingCode,
  INTL,
  isAccessEnvelope,
  type JsonValue,
  type LedgerEnvelope,
  toBase64,
  verifyBlocks,
  verifyEnvelope,
} from "#chain";
import {
  type AccessEntry,
  accessDetails,
  makeAccessEntry,
  makeConsumer,
  mixedEntries,
  mixedVerifyOptions,
  type StoredEntry,
  sealBlocks,
} from "../../../support/access-fixture.js";
import { makeKeys } from "../../../support/chain-fixture.js";

// The chain audit over a log that mixes record entries with access entries (docs/FORMATS.md
// §8). Every access-envelope field is tampered with twice: in storage only (the leaf no
// longer matches), and by an operator who holds the sealer key and re-seals the whole
// chain over the changed envelope (only the envelope's own bindings can catch it).

const keys = makeKeys();
const consumer = makeConsumer();
const options = mixedVerifyOptions(keys, consumer);
const ENTRIES = await mixedEntries(keys, consumer);
const CHAIN = sealBlocks(keys, ENTRIES);

/** The stored entry at [block][position]; throws if the fixture has none there. */
function entryAt(all: StoredEntry[][], b: number, i: number): StoredEntry {
  const e = all[b]?.[i];
  if (!e) throw new Error(`the fixture has no entry at [${b}][${i}]`);
  return e;
}
function blockAt(all: StoredEntry[][], b: number): StoredEntry[] {
  const block = all[b];
  if (!block) throw new Error(`the fixture has no block ${b}`);
  return block;
}

function fresh(): BlockEvidence[] {
  return structuredClone(CHAIN);
}
function entries(): StoredEntry[][] {
  return structuredClone(ENTRIES);
}
function codes(blocks: BlockEvidence[], opts = options): FindingCode[] {
  return verifyBlocks(blocks, opts)
    .findings.map((f) => f.code)
    .sort();
}
/** Where the access entries are: [block, position in block]. */
const ACCESS_AT = ENTRIES.flatMap((block, b) =>
  block.flatMap((e, i) => (isAccessEnvelope(e.envelope) ? [[b, i] as const] : [])),
);

describe("a clean chain with record and access entries", () => {
  it("interleaves both kinds", () => {
    expect(ACCESS_AT).toEqual([
      [0, 2],
      [1, 0],
      [1, 4],
      [2, 0],
    ]);
    expect(ENTRIES.flat().length).toBe(9);
  });

  it("audits ok, every entry counted", () => {
    const report = verifyBlocks(fresh(), options);
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, blocksChecked: 3, entriesChecked: 9 });
    expect(report.end.logRange.size).toBe(9);
  });

  it("each access envelope passes verifyEnvelope on its own, with its payload", () => {
    for (const [b, i] of ACCESS_AT) {
      const e = entryAt(ENTRIES, b, i);
      expect(verifyEnvelope(e.envelope, e.payload, options)).toEqual([]);
    }
  });

  it("reports the entry signature check's verdicts for access entries", () => {
    const [b, i] = ACCESS_AT[0] as readonly [number, number];
    const e = entryAt(ENTRIES, b, i);
    const at = { entryId: e.envelope.id };
    const expired = mixedVerifyOptions(keys, consumer, "2026-11-21T08:00:00.000Z");
    expect(verifyEnvelope(e.envelope, e.payload, expired).map((f) => f.code)).toEqual(["KEY_NOT_VALID"]);
    expect(verifyEnvelope(e.envelope, null, options, at).map((f) => f.code)).toEqual(["PAYLOAD_MISSING"]);
    expect(verifyEnvelope(e.envelope, undefined, { suite: INTL }, at)).toEqual([]);
  });
});

// Each tamper changes one thing about the first access entry (block 1, position 2).
// `stored`: findings when only the stored envelope (or payload) is changed (the page
// still files it under its request's original keyId#nonce: BATCH_KEY_MISMATCH if the
// edit names another key id or nonce).
// `resealed`: findings when the operator also re-seals the chain over the change.
const tampers: Array<{
  what: string;
  change: (e: AccessEntry) => void;
  stored: FindingCode[];
  resealed: FindingCode[];
}> = [
  {
    what: "dept set to the provider",
    change: (e) => {
      e.envelope.dept = "hf-haikou";
    },
    // The base names the consumer; the key is not the provider's.
    stored: ["ENTRY_SIGNATURE_INVALID", "LEAF_HASH_MISMATCH", "SIGNATURE_BASE_INVALID"],
    resealed: ["ENTRY_SIGNATURE_INVALID", "SIGNATURE_BASE_INVALID"],
  },
  {
    what: "dept and the base's zhixin-department both changed",
    change: (e) => {
      e.envelope.dept = "tax-sanya";
      e.envelope.signatureBase = e.envelope.signatureBase.replace(
        '"zhixin-department": tax-haikou',
        '"zhixin-department": tax-sanya',
      );
    },
    stored: ["ENTRY_SIGNATURE_INVALID", "LEAF_HASH_MISMATCH"],
    resealed: ["ENTRY_SIGNATURE_INVALID"],
  },
  {
    what: "keyId set to the record department's key",
    change: (e) => {
      e.envelope.keyId = keys.dept.keyId;
    },
    stored: ["BATCH_KEY_MISMATCH", "ENTRY_SIGNATURE_INVALID", "LEAF_HASH_MISMATCH", "SIGNATURE_BASE_INVALID"],
    resealed: ["ENTRY_SIGNATURE_INVALID", "SIGNATURE_BASE_INVALID"],
  },
  {
    what: "keyId set to a key nobody knows",
    change: (e) => {
      e.envelope.keyId = "nobody-1";
    },
    stored: ["BATCH_KEY_MISMATCH", "KEY_UNKNOWN", "LEAF_HASH_MISMATCH", "SIGNATURE_BASE_INVALID"],
    resealed: ["KEY_UNKNOWN", "SIGNATURE_BASE_INVALID"],
  },
  {
    what: "alg set to ecdsa-p256-sha256",
    change: (e) => {
      e.envelope.alg = "ecdsa-p256-sha256";
    },
    stored: ["ENTRY_SIGNATURE_INVALID", "LEAF_HASH_MISMATCH", "SIGNATURE_BASE_INVALID"],
    resealed: ["ENTRY_SIGNATURE_INVALID", "SIGNATURE_BASE_INVALID"],
  },
  {
    what: "signature base path changed to /v1/entries",
    change: (e) => {
      e.envelope.signatureBase = e.envelope.signatureBase.replace(
        '"@path": /v1/match',
        '"@path": /v1/entries',
      );
    },
    stored: ["ENTRY_SIGNATURE_INVALID", "LEAF_HASH_MISMATCH", "SIGNATURE_BASE_INVALID"],
    resealed: ["ENTRY_SIGNATURE_INVALID", "SIGNATURE_BASE_INVALID"],
  },
  {
    what: "signature base nonce changed",
    change: (e) => {
      e.envelope.signatureBase = e.envelope.signatureBase.replace(
        'nonce="access-nonce-0-0123456789"',
        'nonce="access-nonce-9-0123456789"',
      );
    },
    stored: ["BATCH_KEY_MISMATCH", "ENTRY_SIGNATURE_INVALID", "LEAF_HASH_MISMATCH", "SIGNATURE_BASE_INVALID"],
    resealed: ["ENTRY_SIGNATURE_INVALID", "SIGNATURE_BASE_INVALID"],
  },
  {
    what: "id replaced by another well-formed id",
    change: (e) => {
      e.envelope.id = "0123456789abcdef0123456789abcdef";
    },
    // The page still lists the original id until the operator rewrites the page too.
    stored: ["ENTRY_ID_MISMATCH", "LEAF_HASH_MISMATCH", "SIGNATURE_BASE_INVALID"],
    resealed: ["SIGNATURE_BASE_INVALID"],
  },
  {
    what: "contentDigest changed, payload and id left",
    change: (e) => {
      e.envelope.contentDigest = contentDigest(INTL, accessDetails("460100199001010000", "no-match"));
    },
    stored: ["LEAF_HASH_MISMATCH", "PAYLOAD_DIGEST_MISMATCH", "SIGNATURE_BASE_INVALID"],
    resealed: ["PAYLOAD_DIGEST_MISMATCH", "SIGNATURE_BASE_INVALID"],
  },
  {
    what: "signatureBase replaced by text that is no signature base",
    change: (e) => {
      e.envelope.signatureBase = "not a signature base";
    },
    // Unparseable, it names no request: nothing to compare with other access entries.
    stored: ["ENTRY_SIGNATURE_INVALID", "LEAF_HASH_MISMATCH", "SIGNATURE_BASE_INVALID"],
    resealed: ["ENTRY_SIGNATURE_INVALID", "SIGNATURE_BASE_INVALID"],
  },
  {
    what: "payload changed (result match → no-match)",
    change: (e) => {
      e.payload = canonicalJson({ ...(e.details as Record<string, JsonValue>), result: "no-match" });
    },
    stored: ["PAYLOAD_DIGEST_MISMATCH"],
    resealed: ["PAYLOAD_DIGEST_MISMATCH"],
  },
  {
    what: "signature replaced by the record batch's signature",
    change: (e) => {
      e.envelope.signature = entryAt(ENTRIES, 0, 0).envelope.signature;
    },
    stored: ["ENTRY_SIGNATURE_INVALID", "LEAF_HASH_MISMATCH"],
    resealed: ["ENTRY_SIGNATURE_INVALID"],
  },
  {
    what: "receivedAt moved a month later",
    change: (e) => {
      e.envelope.receivedAt = "2026-12-21T08:00:10.000Z";
    },
    // Re-sealed, the leaf is consistent again, but the time no longer fits the signature.
    stored: ["LEAF_HASH_MISMATCH", "RECEIVED_AT_INVALID"],
    resealed: ["RECEIVED_AT_INVALID"],
  },
  {
    what: "signature with one bit flipped",
    change: (e) => {
      const sig = Buffer.from(e.envelope.signature, "base64");
      sig[10] = (sig[10] as number) ^ 1;
      e.envelope.signature = toBase64(sig);
    },
    stored: ["ENTRY_SIGNATURE_INVALID", "LEAF_HASH_MISMATCH"],
    resealed: ["ENTRY_SIGNATURE_INVALID"],
  },
  {
    what: "signature that is not base64",
    change: (e) => {
      e.envelope.signature = "***";
    },
    stored: ["ENVELOPE_INVALID"],
    resealed: ["ENVELOPE_INVALID"],
  },
  {
    what: "kind removed (read as a record envelope without a batch)",
    change: (e) => {
      delete (e.envelope as Partial<AccessEnvelope>).kind;
    },
    stored: ["ENVELOPE_INVALID"],
    resealed: ["ENVELOPE_INVALID"],
  },
  {
    what: "type set to a record type",
    change: (e) => {
      (e.envelope as { type: string }).type = "housing-fund.deposit-certificate";
    },
    stored: ["ENVELOPE_INVALID"],
    resealed: ["ENVELOPE_INVALID"],
  },
];

function tamperedEntries(change: (e: AccessEntry) => void): StoredEntry[][] {
  const all = entries();
  change(entryAt(all, 0, 2) as AccessEntry);
  return all;
}

describe.each(tampers)("access entry with $what", ({ change, stored, resealed }) => {
  it("is caught in storage", () => {
    const blocks = fresh();
    const changed = entryAt(tamperedEntries(change), 0, 2);
    const first = blocks[0] as BlockEvidence;
    first.entries = first.entries.map((e, i) =>
      i === 2 ? { envelope: changed.envelope, payload: changed.payload } : e,
    );
    expect(codes(blocks)).toEqual(stored);
  });

  it("is caught after a full re-seal by the operator", () => {
    expect(codes(sealBlocks(keys, tamperedEntries(change)))).toEqual(resealed);
  });

  it("findings name the entry's block and log index", () => {
    const findings = verifyBlocks(sealBlocks(keys, tamperedEntries(change)), options).findings;
    for (const f of findings) expect(f).toMatchObject({ height: 1, entryIndex: 2 });
  });
});

describe("records and access entries cannot stand in for each other", () => {
  it("a record envelope relabelled as access (kind added, batch dropped) fails its binding", () => {
    const all = entries();
    const { batch: _, ...rest } = entryAt(all, 0, 0).envelope as Extract<LedgerEnvelope, { batch: unknown }>;
    const relabelled = {
      ...rest,
      kind: "access",
      type: "zhixin.access",
      id: accessEntryIdFor(INTL, rest.keyId, "record-nonce-0-0123456789", rest.contentDigest),
    } as AccessEnvelope;
    blockAt(all, 0)[0] = { envelope: relabelled, payload: entryAt(all, 0, 0).payload };
    // The signed request is a submit, not a match; the key and signature are genuine.
    expect(codes(sealBlocks(keys, all))).toEqual(["SIGNATURE_BASE_INVALID"]);
  });
});

// docs: "one access entry per request" (checkEnvelopeBinding). The id binds (keyId, nonce,
// contentDigest), but the consumer's signature does not cover contentDigest, so an
// operator can mint a second access entry from one genuine request with other details.
// The API's (keyId, nonce) guard stops this at write time; the audit does not, yet.
describe("one signed match request, two access entries", () => {
  function twoFromOneRequest(): StoredEntry[][] {
    const all = entries();
    const original = entryAt(all, 0, 2) as AccessEntry;
    const details = accessDetails("460100199001019999", "no-match");
    const digest = contentDigest(INTL, details);
    const copy: AccessEntry = {
      details,
      payload: canonicalJson(details),
      envelope: {
        ...original.envelope,
        contentDigest: digest,
        id: accessEntryIdFor(INTL, original.envelope.keyId, "access-nonce-0-0123456789", digest),
      },
    };
    blockAt(all, 2).push(copy);
    return all;
  }

  it("each copy passes every per-entry check on its own", () => {
    const all = twoFromOneRequest();
    expect(all.flat().length).toBe(10);
    const copy = entryAt(all, 2, 1);
    expect(verifyEnvelope(copy.envelope, copy.payload, options)).toEqual([]);
  });

  it("the audit reports the second entry as an ENTRY_DUPLICATE", () => {
    expect(codes(sealBlocks(keys, twoFromOneRequest()))).toEqual(["ENTRY_DUPLICATE"]);
  });

  it("an exact copy of an access entry is an ENTRY_DUPLICATE", () => {
    const all = entries();
    blockAt(all, 2).push(structuredClone(entryAt(all, 0, 2)));
    expect(codes(sealBlocks(keys, all))).toEqual(["ENTRY_DUPLICATE"]);
  });
});

// The API accepts a request only within 300 s of its signed `created`, but the audit never
// compares receivedAt with `created`, so a re-sealed entry can be moved in time freely
// (records and access entries alike) as long as the key was valid at the new time.
describe("receivedAt against the signed created time", () => {
  it("a re-sealed receivedAt a month after the signature's created is RECEIVED_AT_INVALID", () => {
    const all = entries();
    entryAt(all, 0, 2).envelope.receivedAt = "2026-12-21T08:00:10.000Z";
    expect(codes(sealBlocks(keys, all))).toEqual(["RECEIVED_AT_INVALID"]);
  });
});

describe("an access entry made after the consumer's key expired", () => {
  it("is KEY_NOT_VALID in the chain audit", async () => {
    const late = await makeAccessEntry(
      consumer,
      accessDetails("460100199001011234", "match"),
      "late-nonce-0123456789",
      Date.parse("2027-01-01T00:00:00.000Z"),
    );
    const all = entries();
    blockAt(all, 2).push(late);
    const opts = mixedVerifyOptions(keys, consumer, "2026-12-31T00:00:00.000Z");
    expect(codes(sealBlocks(keys, all), opts)).toEqual(["KEY_NOT_VALID"]);
  });
});
