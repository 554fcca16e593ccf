import { describe, expect, it } from "vitest";
import {
  type BlockHeader,
  hashBlockHeader,
  INTL,
  type JsonValue,
  type LedgerKeys,
  ledgerKeys,
  noLedgerKeys,
  recordedCosignerKey,
  recordedKeyOf,
  toHex,
} from "#chain";
import {
  CHUNK_BLOCKS,
  checkExportContinues,
  chunkFile,
  EXPORT_ERROR_CODES,
  ExportAudit,
  type ExportBlock,
  ExportError,
  type ExportManifest,
  type ExportReport,
  exportKeyRecordEntries,
  formatBlockLine,
  formatManifest,
  parseBlockLine,
  parseManifest,
  parseTrustBundle,
} from "../../../../lib/evidence/index.js";
import { checks, ed25519Key, keyAdd, record, t } from "../../../vectors/evidence/ledger.js";
import {
  entriesOf,
  type Fixture,
  fixture,
  haikou,
  keys,
  keysText,
  LOG,
  manifestOf,
  sanya,
  sealBlocks,
  trust,
  witnesses,
} from "./export-fixture.js";

// lib/evidence's export audit (docs/formats/export.md): a clean export of a small log
// passes; each tampering is found with its own code; the files' form is refused as
// EXPORT_INVALID; an incremental export refuses a fork (EXPORT_FORKED).

/** The key history an export's own key records make, as the CLI reads it before the blocks. */
const ledgerOf = (blocks: readonly ExportBlock[]) =>
  ledgerKeys(INTL, exportKeyRecordEntries(INTL, blocks), checks.verifySignature);

function audit(
  f: Fixture,
  o: { keysText?: string; minWitnesses?: number; ledger?: LedgerKeys } = {},
): ExportReport {
  const a = new ExportAudit(
    trust.root,
    o.keysText === undefined ? keys() : parseTrustBundle(o.keysText),
    checks,
    {
      ledger: o.ledger ?? ledgerOf(f.blocks),
      ...(o.minWitnesses === undefined ? {} : { minWitnesses: o.minWitnesses }),
    },
  );
  // Through the files' text, as the CLI reads them.
  a.add(f.blocks.map((b, i) => parseBlockLine(formatBlockLine(b), `line ${i + 1}`)));
  return a.finish(parseManifest(formatManifest(f.manifest)), f.checkpoint);
}

const codes = (r: ExportReport) => [...new Set(r.findings.map((f) => f.code))].sort();

function exportCode(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ExportError);
    expect(EXPORT_ERROR_CODES).toContain((e as ExportError).code);
    return (e as ExportError).code;
  }
}

const header = (b: ExportBlock) => b.header as unknown as BlockHeader;

describe("ExportAudit: a clean export", () => {
  it("passes every check, and says what it checked", () => {
    const f = fixture();
    const r = audit(f);
    expect(r.findings).toEqual([]);
    expect(r).toMatchObject({
      ok: true,
      log: LOG,
      blocksChecked: 3,
      entriesChecked: 5,
      payloads: { checked: 4, withheld: 1, missing: 0 },
      last: f.manifest.last,
      checkpoint: { size: 5, minWitnesses: 2 },
      keyRecords: 2,
    });
    expect(r.checkpoint?.witnesses.map((w) => w.name)).toEqual(witnesses.slice(0, 2).map((w) => w.key.name));
    expect(r.notChecked.join(" ")).toContain("ACCESS_CONTRACT_MISMATCH");
  });

  it("accepts a checkpoint of an earlier block: the export extends it", () => {
    const f = fixture();
    f.checkpoint = f.ledger.checkpoint(witnesses, 1_800_000_000, 4);
    expect(audit(f).ok).toBe(true);
  });

  it("audits in runs: blocks fed one at a time give the same report", () => {
    const f = fixture();
    const a = new ExportAudit(trust.root, keys(), checks, { ledger: ledgerOf(f.blocks) });
    for (const b of f.blocks) a.add([b]);
    expect(a.finish(f.manifest, f.checkpoint)).toEqual(audit(f));
  });

  it("an export of no blocks, with a checkpoint of the empty log", () => {
    const f = fixture();
    const empty = {
      ...f,
      blocks: [],
      manifest: manifestOf([]),
      checkpoint: sealBlocks([]).ledger.checkpoint(witnesses, 1),
    };
    expect(audit(empty)).toMatchObject({ ok: true, blocksChecked: 0, last: null });
  });
});

/** Each tampering, and the one code it is found by (among the findings it gives). */
const TAMPERINGS: Array<[string, string, (f: Fixture) => void]> = [
  [
    "a header changed after sealing",
    "BLOCK_HASH_MISMATCH",
    (f) => {
      header(f.blocks[1] as ExportBlock).sealedAt = t(999);
    },
  ],
  ["a block removed from the middle", "HEIGHT_MISMATCH", (f) => void f.blocks.splice(1, 1)],
  ["an entry removed from a block", "ENTRY_COUNT_MISMATCH", (f) => void f.blocks[1]?.entries.splice(0, 1)],
  [
    "an envelope removed",
    "ENTRY_MISSING",
    (f) => {
      (f.blocks[1]?.entries[0] as { envelope: unknown }).envelope = null;
    },
  ],
  [
    "an envelope changed",
    "LEAF_HASH_MISMATCH",
    (f) => {
      ((f.blocks[1]?.entries[0]?.envelope as { receivedAt: string }) ?? {}).receivedAt = t(11);
    },
  ],
  [
    "a payload changed",
    "PAYLOAD_DIGEST_MISMATCH",
    (f) => {
      (f.blocks[1]?.entries[0] as { payload: string }).payload = JSON.stringify({ citizen: "1", months: 37 });
    },
  ],
  [
    "a payload gone from the ledger",
    "PAYLOAD_MISSING",
    (f) => {
      Object.assign(f.blocks[2]?.entries[0] as object, { payload: null, payloadStatus: "missing" });
      f.manifest.payloads = { included: 3, withheld: 1, missing: 1 };
    },
  ],
  [
    "a header signature replaced",
    "HEADER_SIGNATURE_INVALID",
    (f) => {
      (f.blocks[0] as ExportBlock).signature = { ...(f.blocks[1] as ExportBlock).signature };
    },
  ],
  [
    "a block's checkpoint from another block",
    "CHECKPOINT_INVALID",
    (f) => {
      (f.blocks[2] as ExportBlock).checkpoint = (f.blocks[1] as ExportBlock).checkpoint;
    },
  ],
  [
    "the published checkpoint cosigned by one witness of a quorum of two",
    "CHECKPOINT_UNWITNESSED",
    (f) => {
      f.checkpoint = f.ledger.checkpoint(witnesses.slice(0, 1), 1_800_000_000);
    },
  ],
  [
    "a witness's cosignature altered",
    "WITNESS_SIGNATURE_INVALID",
    (f) => {
      const lines = f.checkpoint.split("\n");
      const last = lines.length - 2;
      const line = lines[last] as string;
      lines[last] = `${line.slice(0, -6)}${line.slice(-6, -2) === "AAAA" ? "BBBB" : "AAAA"}${line.slice(-2)}`;
      f.checkpoint = lines.join("\n");
    },
  ],
  [
    "the newest block removed",
    "LOG_TRUNCATED",
    (f) => {
      f.blocks.pop();
      f.manifest = manifestOf(f.blocks);
    },
  ],
  [
    "the manifest's key records edited",
    "MANIFEST_MISMATCH",
    (f) => {
      f.manifest.keyRecords.pop();
    },
  ],
  [
    "an entry signed with a key the bundle does not list",
    "KEY_UNKNOWN",
    (f) => {
      const other = ed25519Key("hf-haikou", new Uint8Array(32).fill(9));
      const entries = entriesOf();
      entries[2] = [
        record(other, "housing-fund.deposit-certificate", { citizen: "3", months: 1 }, { receivedAt: t(20) }),
      ];
      const sealed = sealBlocks(entries);
      f.blocks = sealed.blocks;
      f.manifest = manifestOf(sealed.blocks);
      f.checkpoint = sealed.ledger.checkpoint(witnesses, 1_800_000_000);
    },
  ],
];

describe("ExportAudit: each tampering is found, with its own code", () => {
  it.each(TAMPERINGS)("%s: %s", (_what, code, tamper) => {
    const f = fixture();
    tamper(f);
    const r = audit(f);
    expect(r.ok).toBe(false);
    expect(codes(r)).toContain(code);
  });

  it("no two tamperings are told apart by the same code alone", () => {
    const found = TAMPERINGS.map(([, code]) => code);
    expect(new Set(found).size).toBe(found.length);
  });

  it("an export that another log's trust root holds is LOG_MISMATCH", () => {
    const f = fixture();
    f.manifest.log = "zhixin.example/other";
    expect(codes(audit(f))).toEqual(["LOG_MISMATCH"]);
  });

  it("a fork: the checkpoint's root is not the export's at its size — LOG_REWRITTEN", () => {
    const f = fixture();
    const forked = entriesOf();
    forked[2] = [
      record(haikou, "housing-fund.deposit-certificate", { citizen: "4", months: 2 }, { receivedAt: t(21) }),
    ];
    f.checkpoint = sealBlocks(forked).ledger.checkpoint(witnesses, 1_800_000_000);
    expect(codes(audit(f))).toEqual(["LOG_REWRITTEN"]);
    // A checkpoint at a size where no exported block ends.
    f.checkpoint = f.ledger.checkpoint(witnesses, 1_800_000_000, 3);
    expect(codes(audit(f))).toEqual(["LOG_REWRITTEN"]);
  });

  it("a checkpoint the sealer did not sign is CHECKPOINT_INVALID, and nothing else of it is judged", () => {
    const f = fixture();
    f.checkpoint = "not a note";
    const r = audit(f);
    expect([codes(r), r.checkpoint]).toEqual([["CHECKPOINT_INVALID"], null]);
  });

  it("a header that does not parse: HEADER_INVALID, and the manifest's last block is not the export's", () => {
    const f = fixture();
    (f.blocks[2] as ExportBlock).header = { v: 2 };
    const r = audit(f);
    expect(codes(r)).toContain("HEADER_INVALID");
    expect(r.last).toBeNull();
  });

  it("a header signed under a key id the trust root's sealers do not derive is KEY_UNKNOWN", () => {
    const f = fixture();
    const b = f.blocks[0] as ExportBlock;
    b.signature = { ...b.signature, keyId: "sealer/0000000000000000" };
    header(b).sealer = "sealer/0000000000000000";
    b.hash = toHex(hashBlockHeader(INTL, header(b)));
    expect(codes(audit(f))).toContain("KEY_UNKNOWN");
    const g = fixture();
    const c = g.blocks[0] as ExportBlock;
    c.signature = { ...c.signature, value: "%%%" };
    c.checkpoint = "not a checkpoint";
    expect(codes(audit(g))).toEqual(["CHECKPOINT_INVALID", "HEADER_SIGNATURE_INVALID"]);
  });

  it("department signatures by the bundle's rule where no key is on the ledger: owner, role, algorithm, validity", () => {
    // The log without its key records: the trust bundle decides every signature.
    const { blocks, ledger } = sealBlocks(entriesOf().slice(1));
    const f: Fixture = {
      blocks,
      manifest: manifestOf(blocks),
      checkpoint: ledger.checkpoint(witnesses.slice(0, 2), 1_800_000_000),
      ledger,
    };
    expect(audit(f).ok).toBe(true);
    const swapped = JSON.stringify({
      keys: [haikou, sanya].map((k) => ({
        keyId: k.keyId,
        owner: k === haikou ? sanya.owner : haikou.owner,
        role: "department",
        alg: k.alg,
        spki: Buffer.from(k.spki).toString("base64"),
        validFrom: t(0),
      })),
    });
    expect(codes(audit(f, { keysText: swapped }))).toEqual(["ENTRY_SIGNATURE_INVALID"]);
    expect(codes(audit(f, { keysText: keysText([haikou, sanya], t(15)) }))).toEqual(["KEY_NOT_VALID"]);
    const until = JSON.parse(keysText()) as { keys: Array<Record<string, string>> };
    for (const k of until.keys) k.validUntil = t(30);
    expect(audit(f, { keysText: JSON.stringify(until) }).ok).toBe(true);
    // A checker that throws proves nothing (the sealer's and witnesses' signatures, checked
    // by the same port, are left to the real check, so only the departments' are in question).
    const sealerSpkis = [
      ...trust.root.sealers.map((k) => toHex(recordedKeyOf(k).spki)),
      ...trust.root.witnesses.map((k) => toHex(recordedCosignerKey(k).spki)),
    ];
    const a = new ExportAudit(trust.root, keys(), {
      ...checks,
      verifySignature: (alg, spki, message, signature) => {
        if (sealerSpkis.includes(toHex(spki))) return checks.verifySignature(alg, spki, message, signature);
        throw new Error("no");
      },
    });
    a.add(f.blocks);
    expect(codes(a.finish(f.manifest, f.checkpoint))).toEqual(["ENTRY_SIGNATURE_INVALID"]);
  });

  it("department signatures by the ledger's key history once a key is on it, as the online audit judges them", () => {
    const f = fixture();
    // The bundle no longer matters for the introduced departments: an empty one changes nothing.
    expect(audit(f, { keysText: JSON.stringify({ keys: [] }) }).ok).toBe(true);
    // Key records the audit is not given are KEY_HISTORY_MISMATCH.
    expect(codes(audit(f, { ledger: noLedgerKeys(INTL) }))).toEqual(["KEY_HISTORY_MISMATCH"]);
    // hf-haikou revokes its key back to t(15): its record received at t(20) is KEY_REVOKED.
    const revoke = record(
      haikou,
      "zhixin.key.revoke",
      { keyId: haikou.keyId, compromisedSince: t(15) },
      { receivedAt: t(30) },
    );
    const { blocks, ledger } = sealBlocks([...entriesOf(), [revoke]]);
    const g: Fixture = {
      blocks,
      manifest: manifestOf(blocks),
      checkpoint: ledger.checkpoint(witnesses.slice(0, 2), 1_800_000_000),
      ledger,
    };
    const r = audit(g);
    expect(r.findings.map((x) => [x.code, x.height])).toEqual([["KEY_REVOKED", 3]]);
  });

  it("takes minWitnesses from the caller, and refuses one the root cannot meet", () => {
    const f = fixture();
    f.checkpoint = f.ledger.checkpoint(witnesses.slice(0, 1), 1_800_000_000);
    expect(audit(f, { minWitnesses: 1 }).ok).toBe(true);
    expect(() => new ExportAudit(trust.root, keys(), checks, { minWitnesses: 4 })).toThrow(RangeError);
  });

  it("a key record's logIndex and id in the manifest are the blocks'", () => {
    const f = fixture();
    (f.manifest.keyRecords[1] as { logIndex: number }).logIndex = 0;
    expect(codes(audit(f))).toEqual(["MANIFEST_MISMATCH"]);
    const g = fixture();
    g.manifest.payloads.withheld++;
    expect(codes(audit(g))).toEqual(["MANIFEST_MISMATCH"]);
  });
});

describe("the export's files", () => {
  const f = fixture();
  const line = formatBlockLine(f.blocks[0] as ExportBlock);

  it("read back as written", () => {
    expect(parseBlockLine(line, "x")).toEqual(f.blocks[0]);
    expect(parseManifest(formatManifest(f.manifest))).toEqual(f.manifest);
    expect(chunkFile(1)).toBe("blocks/000000.ndjson");
    expect(chunkFile(CHUNK_BLOCKS)).toBe("blocks/000000.ndjson");
    expect(chunkFile(CHUNK_BLOCKS + 1)).toBe("blocks/000001.ndjson");
  });

  // biome-ignore lint/suspicious/noExplicitAny: a test edits any member of the parsed line
  const edit = (change: (o: Record<string, any>) => void) => {
    const o = JSON.parse(line);
    change(o);
    return JSON.stringify(o);
  };
  it.each([
    ["not JSON", "{"],
    ["a member twice", line.replace('{"height":1,', '{"height":1,"height":1,')],
    ["not an object", "[]"],
    ["a member missing", edit((o) => delete o.checkpoint)],
    ["an unknown member", edit((o) => (o.extra = 1))],
    ["a height of 0", edit((o) => (o.height = 0))],
    ["a hash in capitals", edit((o) => (o.hash = o.hash.toUpperCase()))],
    ["a signature alg unknown", edit((o) => (o.signature.alg = "rsa"))],
    ["a signature value not a string", edit((o) => (o.signature.value = 1))],
    ["entries not an array", edit((o) => (o.entries = {}))],
    ["a payload status unknown", edit((o) => (o.entries[0].payloadStatus = "lost"))],
    ["a withheld payload given", edit((o) => (o.entries[0].payloadStatus = "withheld"))],
    ["an included payload absent", edit((o) => (o.entries[0].payload = null))],
    [
      "a payload of another type",
      edit((o) => Object.assign(o.entries[0], { payload: 1, payloadStatus: "missing" })),
    ],
    ["an envelope that is an array", edit((o) => (o.entries[0].envelope = []))],
  ])("a block line: %s is EXPORT_INVALID", (_what, text) => {
    expect(exportCode(() => parseBlockLine(text, "blocks/000000.ndjson:1"))).toBe("EXPORT_INVALID");
  });

  const manifest = formatManifest(f.manifest);
  // biome-ignore lint/suspicious/noExplicitAny: a test edits any member of the parsed manifest
  const editManifest = (change: (o: Record<string, any>) => void) => {
    const o = JSON.parse(manifest);
    change(o);
    return JSON.stringify(o);
  };
  it.each([
    ["another version", editManifest((o) => (o.export = "zhixin/export/v2"))],
    ["payloads not counts", editManifest((o) => (o.payloads.included = -1))],
    ["a last block without its root", editManifest((o) => delete o.last.logRoot)],
    ["keyRecords not an array", editManifest((o) => (o.keyRecords = null))],
    ["runs not an array", editManifest((o) => (o.runs = {}))],
    ["a run without its time", editManifest((o) => delete o.runs[0].at)],
    ["a key record without its type", editManifest((o) => delete o.keyRecords[0].type)],
  ])("the manifest: %s is EXPORT_INVALID", (_what, text) => {
    expect(exportCode(() => parseManifest(text))).toBe("EXPORT_INVALID");
  });

  it("a manifest of a log with no blocks has last null", () => {
    expect(parseManifest(formatManifest(manifestOf([]))).last).toBeNull();
  });

  it.each([
    ["not JSON", "{"],
    ["no keys", "{}"],
    [
      "a key without validFrom",
      JSON.stringify({ keys: [{ keyId: "a", owner: "a", role: "department", alg: "ed25519", spki: "" }] }),
    ],
    ["a key that is no object", JSON.stringify({ keys: [1] })],
    ["a validUntil of another form", keysText().replace('"validFrom"', '"validUntil":"soon","validFrom"')],
    [
      "a key id twice",
      JSON.stringify({ keys: [...JSON.parse(keysText()).keys, JSON.parse(keysText()).keys[0]] }),
    ],
    ["an spki not base64", keysText().replace(/"spki":"[^"]+"/, '"spki":"%%"')],
  ])("keys.json: %s is EXPORT_INVALID", (_what, text) => {
    expect(exportCode(() => parseTrustBundle(text))).toBe("EXPORT_INVALID");
  });
});

describe("checkExportContinues: an incremental export adds only to the log it exported", () => {
  const f = fixture();
  const last = f.manifest.last as NonNullable<ExportManifest["last"]>;
  const block = f.blocks[2] as ExportBlock;

  it("passes when the ledger's block at the export's last height is the one exported", () => {
    expect(
      exportCode(() => checkExportContinues(INTL, last, { header: block.header, hash: block.hash })),
    ).toBeUndefined();
  });

  it("refuses a fork: another block at that height (EXPORT_FORKED)", () => {
    const forked = entriesOf();
    forked[2] = [
      record(haikou, "housing-fund.deposit-certificate", { citizen: "4", months: 2 }, { receivedAt: t(21) }),
    ];
    const other = sealBlocks(forked).blocks[2] as ExportBlock;
    expect(
      exportCode(() => checkExportContinues(INTL, last, { header: other.header, hash: other.hash })),
    ).toBe("EXPORT_FORKED");
  });

  it.each([
    ["no block there any more", undefined],
    ["a header that does not parse", { header: { v: 1 }, hash: block.hash }],
    ["a stored hash that is not its header's", { header: block.header, hash: "0".repeat(64) }],
  ])("refuses %s (EXPORT_FORKED)", (_what, there) => {
    expect(exportCode(() => checkExportContinues(INTL, last, there))).toBe("EXPORT_FORKED");
  });

  it("a rotation's key records are listed like the genesis's", () => {
    const entries = entriesOf();
    const next = ed25519Key("hf-haikou", new Uint8Array(32).fill(3));
    entries[2]?.push(keyAdd(next, haikou, { receivedAt: t(25) }));
    const { blocks } = sealBlocks(entries);
    expect(manifestOf(blocks).keyRecords.map((r) => [r.height, r.logIndex])).toEqual([
      [1, 0],
      [1, 1],
      [3, 5],
    ]);
    const { header: h } = blocks[2] as { header: JsonValue };
    expect((h as unknown as BlockHeader).count).toBe(2);
  });
});

describe("exportKeyRecordEntries", () => {
  it("takes each key record with its payload, in order, and leaves out what it cannot read", () => {
    const f = fixture();
    const [first] = f.blocks;
    expect(exportKeyRecordEntries(INTL, f.blocks).map((r) => [r.type, r.writer])).toEqual([
      ["zhixin.key.add", "hf-haikou"],
      ["zhixin.key.add", "hf-sanya"],
    ]);
    const leaves = (first as ExportBlock).entries;
    const [a, b] = leaves as [ExportBlock["entries"][number], ExportBlock["entries"][number]];
    const broken: ExportBlock = {
      ...(first as ExportBlock),
      entries: [
        { ...a, payload: "{not json" },
        { ...b, envelope: { ...(b.envelope as Record<string, JsonValue>), dept: 7 } },
        { ...a, payload: null },
      ],
    };
    expect(exportKeyRecordEntries(INTL, [broken])).toEqual([]);
  });
});
