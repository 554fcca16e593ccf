import { sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type BlockEvidence,
  type BlockHeader,
  blockHeaderBytes,
  type EntryEnvelope,
  entryIdFor,
  type FindingCode,
  hashBlockHeader,
  INTL,
  MAX_CLOCK_SKEW_SECONDS,
  MAX_RECEIVE_DELAY_SECONDS,
  recordHash,
  toBase64,
  toHex,
  verifyBlocks,
} from "#chain";
import {
  type StoredEntry as Entry,
  type FixtureKeys,
  makeChain,
  makeKeys,
  sealBlocks,
  verifyOptions,
} from "../../../support/chain-fixture.js";

// verifyBlocks, finding by finding. Past 400 lines: the findings are made on one fixture
// chain and asserted here, a case for each way of tampering.

const keys = makeKeys();
const SIZES = [3, 5, 1, 4];

function fresh(): BlockEvidence[] {
  return structuredClone(makeChain(keys, SIZES));
}
function header(b: BlockEvidence): BlockHeader {
  return b.header as BlockHeader;
}
function envelope(b: BlockEvidence, i: number): EntryEnvelope {
  return (b.entries[i] as { envelope: EntryEnvelope }).envelope;
}
/** What an operator holding the sealer key could do: re-hash and re-sign a changed header. */
function resign(k: FixtureKeys, b: BlockEvidence): void {
  b.hash = toHex(hashBlockHeader(INTL, header(b)));
  b.signature = {
    ...b.signature,
    value: toBase64(sign(null, blockHeaderBytes(header(b)), k.sealer.privateKey)),
  };
}
function codes(blocks: BlockEvidence[]): FindingCode[] {
  return verifyBlocks(blocks, verifyOptions(keys)).findings.map((f) => f.code);
}

describe("verifyBlocks on an untouched chain", () => {
  it("reports ok with every block and entry counted", () => {
    const report = verifyBlocks(fresh(), verifyOptions(keys));
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, blocksChecked: 4, entriesChecked: 13 });
    expect(report.end.height).toBe(4);
    expect(report.end.logRange.size).toBe(13);
  });

  it("continues an audit from a previous report's end position", () => {
    const blocks = fresh();
    const first = verifyBlocks(blocks.slice(0, 2), verifyOptions(keys));
    const rest = verifyBlocks(blocks.slice(2), { ...verifyOptions(keys), start: first.end });
    expect(rest).toMatchObject({ ok: true, blocksChecked: 2, entriesChecked: 5 });
  });

  it("takes the log origin from the first block when none is given", () => {
    const { log: _, ...options } = verifyOptions(keys);
    expect(verifyBlocks(fresh(), options).ok).toBe(true);
  });

  it("an empty run is ok and ends where it started", () => {
    const report = verifyBlocks([], verifyOptions(keys));
    expect(report).toMatchObject({ ok: true, blocksChecked: 0, entriesChecked: 0, end: { height: 0 } });
  });
});

// Each header field, changed without re-signing (storage tampering) and with re-signing
// (an operator holding the sealer key): the finding that names the field must appear.
const headerTampers: Array<{
  field: keyof BlockHeader;
  change: (h: BlockHeader) => void;
  want: FindingCode[];
}> = [
  {
    field: "log",
    change: (h) => {
      h.log = "zhixin.test/other";
    },
    want: ["LOG_MISMATCH"],
  },
  {
    field: "height",
    change: (h) => {
      h.height += 1;
      // Only the genesis block may name the suite: a block 1 moved up drops it, or it no longer parses.
      delete h.suite;
    },
    want: ["HEIGHT_MISMATCH"],
  },
  {
    field: "prev",
    change: (h) => {
      h.prev = "ab".repeat(32);
    },
    want: ["PREV_HASH_MISMATCH"],
  },
  {
    field: "root",
    change: (h) => {
      h.root = "cd".repeat(32);
    },
    want: ["BLOCK_ROOT_MISMATCH"],
  },
  {
    field: "first",
    change: (h) => {
      h.first += 1;
      h.logSize += 1;
    },
    want: ["FIRST_INDEX_MISMATCH"],
  },
  {
    field: "count",
    change: (h) => {
      h.count += 1;
      h.logSize += 1;
    },
    want: ["ENTRY_COUNT_MISMATCH"],
  },
  {
    field: "logRoot",
    change: (h) => {
      h.logRoot = "ef".repeat(32);
    },
    want: ["LOG_ROOT_MISMATCH"],
  },
  {
    field: "sealedAt",
    change: (h) => {
      h.sealedAt = "2030-01-01T00:00:00.000Z";
    },
    want: [],
  },
  {
    field: "sealer",
    change: (h) => {
      h.sealer = "sealer-2";
    },
    want: ["HEADER_SIGNATURE_INVALID"],
  },
];

describe.each([1, 2])("header tampering in block %i", (height) => {
  it.each(headerTampers)(
    "$field changed in storage: hash, signature and the field's own finding",
    ({ change, want }) => {
      const blocks = fresh();
      change(header(blocks[height - 1] as BlockEvidence));
      const found = codes(blocks);
      expect(found).toContain("BLOCK_HASH_MISMATCH");
      expect(found).toContain("HEADER_SIGNATURE_INVALID");
      for (const code of want) expect(found).toContain(code);
    },
  );

  it.each(headerTampers)(
    "$field changed and re-signed: the next block no longer links",
    ({ field, change, want }) => {
      const blocks = fresh();
      const b = blocks[height - 1] as BlockEvidence;
      change(header(b));
      resign(keys, b);
      const found = codes(blocks);
      for (const code of want) expect(found).toContain(code);
      if (field !== "sealer") expect(found).not.toContain("HEADER_SIGNATURE_INVALID");
      expect(found).toContain("PREV_HASH_MISMATCH");
    },
  );
});

describe("block sequence tampering", () => {
  it("a dropped block breaks heights, links and the first index", () => {
    const blocks = fresh();
    blocks.splice(1, 1);
    expect(codes(blocks)).toEqual(
      expect.arrayContaining(["HEIGHT_MISMATCH", "PREV_HASH_MISMATCH", "FIRST_INDEX_MISMATCH"]),
    );
  });

  it("swapped blocks break heights and links", () => {
    const blocks = fresh();
    [blocks[1], blocks[2]] = [blocks[2] as BlockEvidence, blocks[1] as BlockEvidence];
    expect(codes(blocks)).toEqual(expect.arrayContaining(["HEIGHT_MISMATCH", "PREV_HASH_MISMATCH"]));
  });

  it("a repeated block is caught by height, link and duplicate entries", () => {
    const blocks = fresh();
    blocks.splice(2, 0, structuredClone(blocks[1] as BlockEvidence));
    expect(codes(blocks)).toEqual(
      expect.arrayContaining(["HEIGHT_MISMATCH", "PREV_HASH_MISMATCH", "ENTRY_DUPLICATE"]),
    );
  });

  it("a stored hash that is not the header's hash", () => {
    const blocks = fresh();
    (blocks[0] as BlockEvidence).hash = "00".repeat(32);
    expect(codes(blocks)).toEqual(["BLOCK_HASH_MISMATCH"]);
  });

  it("a header that does not parse is reported and the audit goes on", () => {
    const blocks = fresh();
    (blocks[1] as BlockEvidence).header = { ...header(blocks[1] as BlockEvidence), extra: 1 };
    const report = verifyBlocks(blocks, verifyOptions(keys));
    expect(report.findings.map((f) => f.code)).toEqual(["HEADER_INVALID"]);
    expect(report.findings[0]).toMatchObject({ height: 2 });
    expect(report.blocksChecked).toBe(4);
  });

  it("a header signature by a key the auditor does not know", () => {
    const options = verifyOptions(keys);
    const report = verifyBlocks(fresh(), { ...options, verifyHeaderSignature: () => "unknown-key" });
    expect(report.findings.map((f) => f.code)).toEqual([
      "KEY_UNKNOWN",
      "KEY_UNKNOWN",
      "KEY_UNKNOWN",
      "KEY_UNKNOWN",
    ]);
  });

  it("a stored compact range that is not the log's state", () => {
    const blocks = fresh();
    const b = blocks[1] as BlockEvidence;
    b.logRange = { size: 8, hashes: ["11".repeat(32)] };
    expect(codes(blocks)).toEqual(["LOG_RANGE_MISMATCH"]);
  });

  it("a block of another log", () => {
    expect(
      verifyBlocks(fresh(), { ...verifyOptions(keys), log: "zhixin.test/other" }).findings.map((f) => f.code),
    ).toEqual(["LOG_MISMATCH", "LOG_MISMATCH", "LOG_MISMATCH", "LOG_MISMATCH"]);
  });

  it("a checkpoint the checkpoint check rejects", () => {
    const blocks = fresh();
    (blocks[0] as BlockEvidence).checkpoint = "bad";
    const report = verifyBlocks(blocks, {
      ...verifyOptions(keys),
      checkCheckpoint: (note) => (note === "bad" ? "unsigned" : undefined),
    });
    expect(report.findings).toEqual([expect.objectContaining({ code: "CHECKPOINT_INVALID", height: 1 })]);
  });
});

describe("leaf and entry tampering", () => {
  it("reordered leaves change the block root (and each leaf's envelope no longer matches)", () => {
    const blocks = fresh();
    const b = blocks[1] as BlockEvidence;
    const leaves = [...b.leafHashes];
    [leaves[0], leaves[1]] = [leaves[1] as Uint8Array, leaves[0] as Uint8Array];
    b.leafHashes = leaves;
    expect(codes(blocks)).toEqual(
      expect.arrayContaining(["BLOCK_ROOT_MISMATCH", "LOG_ROOT_MISMATCH", "LEAF_HASH_MISMATCH"]),
    );
  });

  it("a dropped leaf changes the count and roots", () => {
    const blocks = fresh();
    const b = blocks[1] as BlockEvidence;
    b.leafHashes = b.leafHashes.slice(1);
    b.entries = b.entries.slice(1);
    expect(codes(blocks)).toEqual(expect.arrayContaining(["ENTRY_COUNT_MISMATCH", "BLOCK_ROOT_MISMATCH"]));
  });

  it("a duplicated leaf is counted and named as a duplicate entry", () => {
    const blocks = fresh();
    const b = blocks[1] as BlockEvidence;
    b.leafHashes = [...b.leafHashes, b.leafHashes[0] as Uint8Array];
    b.entries = [...b.entries, structuredClone(b.entries[0])];
    expect(codes(blocks)).toEqual(expect.arrayContaining(["ENTRY_COUNT_MISMATCH", "ENTRY_DUPLICATE"]));
  });

  it("a leaf that is not 32 bytes", () => {
    const blocks = fresh();
    const b = blocks[0] as BlockEvidence;
    b.leafHashes = [new Uint8Array(31), ...b.leafHashes.slice(1)];
    expect(codes(blocks)).toContain("ENTRY_COUNT_MISMATCH");
  });

  it("more entries than leaves", () => {
    const blocks = fresh();
    const b = blocks[0] as BlockEvidence;
    b.entries = [...b.entries, structuredClone(b.entries[0])];
    expect(codes(blocks)).toEqual(["ENTRY_COUNT_MISMATCH"]);
  });

  const envelopeTampers: Array<{ what: string; change: (e: EntryEnvelope) => void; want: FindingCode }> = [
    {
      what: "type",
      change: (e) => {
        e.type = "licence.business";
      },
      want: "LEAF_HASH_MISMATCH",
    },
    {
      what: "dept",
      change: (e) => {
        e.dept = "hf-sanya";
      },
      want: "LEAF_HASH_MISMATCH",
    },
    {
      what: "receivedAt",
      change: (e) => {
        e.receivedAt = "2020-01-01T00:00:00.000Z";
      },
      want: "LEAF_HASH_MISMATCH",
    },
    {
      what: "contentDigest",
      change: (e) => {
        e.contentDigest = "aa".repeat(32);
      },
      want: "LEAF_HASH_MISMATCH",
    },
  ];
  it.each(envelopeTampers)("an edited envelope $what no longer hashes to its leaf", ({ change, want }) => {
    const blocks = fresh();
    const b = blocks[2] as BlockEvidence;
    change(envelope(b, 0));
    const report = verifyBlocks(blocks, verifyOptions(keys));
    expect(report.findings.map((f) => f.code)).toContain(want);
    expect(report.findings.find((f) => f.code === want)).toMatchObject({
      height: 3,
      entryIndex: 8,
      entryId: envelope(b, 0).id,
    });
  });

  it("a missing envelope", () => {
    const blocks = fresh();
    const b = blocks[1] as BlockEvidence;
    b.entries = [undefined, ...b.entries.slice(1)];
    expect(verifyBlocks(blocks, verifyOptions(keys)).findings).toEqual([
      expect.objectContaining({ code: "ENTRY_MISSING", height: 2, entryIndex: 3, entryId: b.entryIds?.[0] }),
    ]);
  });

  it("an envelope that does not parse", () => {
    const blocks = fresh();
    const b = blocks[1] as BlockEvidence;
    (b.entries[0] as { envelope: unknown }).envelope = { v: 2 };
    expect(codes(blocks)).toEqual(["ENVELOPE_INVALID"]);
  });

  it("a page entry id that is not the envelope's", () => {
    const blocks = fresh();
    const b = blocks[0] as BlockEvidence;
    b.entryIds = ["0".repeat(32), ...(b.entryIds ?? []).slice(1)];
    expect(codes(blocks)).toEqual(["ENTRY_ID_MISMATCH"]);
  });

  it("an edited payload", () => {
    const blocks = fresh();
    const entry = (blocks[0] as BlockEvidence).entries[1] as { payload: string };
    entry.payload = entry.payload.replace(/"months":\d+/, '"months":99');
    expect(codes(blocks)).toEqual(["PAYLOAD_DIGEST_MISMATCH"]);
  });

  it("a missing payload", () => {
    const blocks = fresh();
    ((blocks[0] as BlockEvidence).entries[1] as { payload: string | null }).payload = null;
    expect(codes(blocks)).toEqual(["PAYLOAD_MISSING"]);
  });

  it("a department signature that does not verify", () => {
    const options = verifyOptions(keys);
    const report = verifyBlocks(fresh().slice(0, 1), { ...options, verifyEntrySignature: () => "invalid" });
    expect(report.findings.map((f) => f.code)).toEqual([
      "ENTRY_SIGNATURE_INVALID",
      "ENTRY_SIGNATURE_INVALID",
      "ENTRY_SIGNATURE_INVALID",
    ]);
  });

  it("a department key unknown, or not valid at receive time", () => {
    const options = verifyOptions(keys);
    const blocks = fresh().slice(0, 1);
    expect(
      verifyBlocks(blocks, { ...options, verifyEntrySignature: () => "unknown-key" }).findings[0]?.code,
    ).toBe("KEY_UNKNOWN");
    expect(
      verifyBlocks(blocks, { ...options, verifyEntrySignature: () => "not-valid" }).findings[0]?.code,
    ).toBe("KEY_NOT_VALID");
  });

  it("the real signature check catches a re-signed envelope's forged signature", () => {
    const blocks = fresh();
    const e = envelope(blocks[0] as BlockEvidence, 0);
    e.signature = toBase64(new Uint8Array(64));
    expect(codes(blocks)).toEqual(expect.arrayContaining(["ENTRY_SIGNATURE_INVALID", "LEAF_HASH_MISMATCH"]));
  });

  it("a batch path that does not lead to the signed root", () => {
    const blocks = fresh();
    const e = envelope(blocks[1] as BlockEvidence, 0);
    e.batch.path = [...e.batch.path].reverse();
    e.batch.path[0] = "77".repeat(32);
    expect(codes(blocks)).toContain("BATCH_PROOF_INVALID");
  });

  it("a signature base for another department, path or key", () => {
    for (const edit of [
      (t: string) => t.replace('"zhixin-department": hf-haikou', '"zhixin-department": hf-sanya'),
      (t: string) => t.replace('"@path": /v1/entries', '"@path": /v1/match'),
      (t: string) => t.replace('keyid="hf-haikou-1"', 'keyid="hf-haikou-2"'),
      (t: string) => t.replace('alg="ed25519"', 'alg="ecdsa-p256-sha256"'),
      (t: string) => t.replace(/"content-digest": [^\n]*\n/, ""),
      () => "not a signature base",
    ]) {
      const blocks = fresh();
      const e = envelope(blocks[0] as BlockEvidence, 0);
      e.signatureBase = edit(e.signatureBase);
      expect(codes(blocks)).toContain("SIGNATURE_BASE_INVALID");
    }
  });
});

function entryAt(all: Entry[][], b: number, i: number): Entry {
  const e = all[b]?.[i];
  if (!e) throw new Error(`no entry ${i} in block ${b + 1}`);
  return e;
}
/** The chain's entries, block by block, to change and re-seal as an operator holding the sealer key could. */
function entriesOf(blocks: BlockEvidence[]): Entry[][] {
  return blocks.map((b) =>
    b.entries.map((e) => structuredClone(e as { envelope: EntryEnvelope; payload: string })),
  );
}

describe("a record is bound to one place in one signed request", () => {
  it("a copy under a new id, re-sealed in a later block: its id is not derived, and its request's place is taken", () => {
    const all = entriesOf(fresh());
    const copy = structuredClone(entryAt(all, 0, 1));
    copy.envelope.id = "0123456789abcdef0123456789abcdef";
    all[3]?.push(copy);
    const report = verifyBlocks(sealBlocks(keys, all), verifyOptions(keys));
    expect(report.findings.map((f) => f.code).sort()).toEqual(["ENTRY_DUPLICATE", "SIGNATURE_BASE_INVALID"]);
    expect(report.findings.find((f) => f.code === "ENTRY_DUPLICATE")).toMatchObject({
      height: 4,
      entryIndex: 13,
      entryId: copy.envelope.id,
      expected: "1",
      found: "13",
    });
  });

  it("a copy under its own id is a duplicate by id (and its request is not checked twice)", () => {
    const all = entriesOf(fresh());
    all[3]?.push(structuredClone(entryAt(all, 0, 1)));
    expect(codes(sealBlocks(keys, all))).toEqual(["ENTRY_DUPLICATE"]);
  });

  it("an id derived from another index, key or nonce is SIGNATURE_BASE_INVALID", () => {
    const e = entryAt(entriesOf(fresh()), 1, 1).envelope as EntryEnvelope;
    const record = recordHash(INTL, e.type, e.contentDigest);
    for (const id of [
      entryIdFor(INTL, e.keyId, "nonce-1-0-0123456789", 0, record),
      entryIdFor(INTL, "hf-haikou-2", "nonce-1-0-0123456789", 1, record),
      entryIdFor(INTL, e.keyId, "nonce-1-9-0123456789", 1, record),
    ]) {
      const all = entriesOf(fresh());
      entryAt(all, 1, 1).envelope.id = id;
      expect(codes(sealBlocks(keys, all))).toEqual(["SIGNATURE_BASE_INVALID"]);
    }
  });

  it("a signature base without a nonce of the API's form is SIGNATURE_BASE_INVALID", () => {
    for (const edit of [
      (t: string) => t.replace(/;nonce="[^"]*"/, ""),
      (t: string) => t.replace(/nonce="[^"]*"/, 'nonce="short"'),
      (t: string) => t.replace(/nonce="[^"]*"/, 'nonce="has#a-hash-0123456789"'),
    ]) {
      const all = entriesOf(fresh());
      const e = entryAt(all, 0, 0).envelope;
      e.signatureBase = edit(e.signatureBase);
      // The department's signature no longer covers the base either.
      expect(codes(sealBlocks(keys, all)).sort()).toEqual([
        "ENTRY_SIGNATURE_INVALID",
        "SIGNATURE_BASE_INVALID",
      ]);
    }
  });

  it("a page that files a leaf under another batch key than keyId#nonce is BATCH_KEY_MISMATCH", () => {
    const blocks = fresh();
    const b = blocks[1] as BlockEvidence;
    const keysOfPage = [...(b.batchKeys ?? [])];
    expect(keysOfPage[0]).toBe("hf-haikou-1#nonce-1-0-0123456789");
    keysOfPage[0] = "hf-haikou-1#forged-batch-0123456789";
    b.batchKeys = keysOfPage;
    expect(verifyBlocks(blocks, verifyOptions(keys)).findings).toEqual([
      expect.objectContaining({
        code: "BATCH_KEY_MISMATCH",
        height: 2,
        entryIndex: 3,
        expected: "hf-haikou-1#nonce-1-0-0123456789",
        found: "hf-haikou-1#forged-batch-0123456789",
      }),
    ]);
  });

  it("a leaf whose page names no batch key is not compared", () => {
    const blocks = fresh();
    const b = blocks[1] as BlockEvidence;
    b.batchKeys = [undefined, ...(b.batchKeys ?? []).slice(1)];
    expect(codes(blocks)).toEqual([]);
  });
});

describe("receivedAt against the signature's created", () => {
  // Every fixture entry is received at its `created` second exactly.
  const at = (offsetMs: number) => {
    const all = entriesOf(fresh());
    const e = entryAt(all, 0, 0).envelope;
    e.receivedAt = new Date(Date.parse(e.receivedAt) + offsetMs).toISOString();
    return codes(sealBlocks(keys, all));
  };
  const late = (MAX_CLOCK_SKEW_SECONDS + MAX_RECEIVE_DELAY_SECONDS) * 1000;

  it("counts milliseconds: 300 s before is accepted, 300.001 s before is not", () => {
    expect(at(-MAX_CLOCK_SKEW_SECONDS * 1000)).toEqual([]);
    expect(at(-MAX_CLOCK_SKEW_SECONDS * 1000 - 1)).toEqual(["RECEIVED_AT_INVALID"]);
  });

  it("accepts a receive time read after a check made at the 300 s bound, up to the request time limit", () => {
    expect(at(MAX_CLOCK_SKEW_SECONDS * 1000 + 50)).toEqual([]);
    expect(at(late)).toEqual([]);
    expect(at(late + 1)).toEqual(["RECEIVED_AT_INVALID"]);
  });
});
