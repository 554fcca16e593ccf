import {
  type BlockEvidence,
  fromHex,
  type HeaderSignature,
  isSignatureAlgorithm,
  type JsonTextError,
  type JsonValue,
  parseJson,
} from "#chain";
import { ExportError } from "./export-errors.js";

/**
 * The files of a whole-log export (docs/formats/export.md §1–§2): what `zhixin export`
 * writes and `zhixin verify --export` reads, parsed here and nowhere else. A directory:
 *
 *   manifest.json          the index: format, log, last block, payload counts, key records and their cosigns
 *   trust-root.json        the trust root (trust-root.md), as `zhixin trust export` writes it
 *   keys.json              the trust bundle (FORMATS.md §5): the members' public keys
 *   checkpoint             the checkpoint published with the tiles, with its cosignatures
 *   blocks/000000.ndjson   heights 1–1000, one block a line; blocks/000001.ndjson 1001–2000, …
 *
 * A block line, one JSON object (shown spread out):
 *
 *   {"height": 7, "header": {…}, "hash": "<hex>", "signature": {"keyId", "alg", "value"},
 *    "checkpoint": "<the block's checkpoint note>",
 *    "entries": [{"leafHash": "<hex>", "id": "…", "batchKey": "<keyId>#<nonce>",
 *                 "envelope": {…} | null, "payload": "<text>" | null,
 *                 "payloadStatus": "included" | "withheld" | "missing"}, …]}
 *
 * The reader checks the files' form (EXPORT_INVALID), never their content: headers,
 * envelopes and hashes are what the audit judges, so a tampered value becomes a finding.
 */

export const EXPORT_TAG = "zhixin/export/v1";

/** Blocks per file of blocks/: file k holds heights k·1000 + 1 … (k + 1)·1000. */
export const CHUNK_BLOCKS = 1000;

export const EXPORT_FILES = {
  manifest: "manifest.json",
  trustRoot: "trust-root.json",
  keys: "keys.json",
  checkpoint: "checkpoint",
  blocks: "blocks",
} as const;

/** The file of blocks/ that holds `height` (≥ 1): "blocks/000000.ndjson" for 1–1000. */
export function chunkFile(height: number): string {
  return `${EXPORT_FILES.blocks}/${String(Math.floor((height - 1) / CHUNK_BLOCKS)).padStart(6, "0")}.ndjson`;
}

export type PayloadStatus = "included" | "withheld" | "missing";
const PAYLOAD_STATUSES: readonly string[] = ["included", "withheld", "missing"];

/** One leaf of a block as the ledger's pages file it (GET /v1/blocks/{height}/entries). */
export interface ExportLeaf {
  leafHash: string;
  id: string;
  batchKey: string;
  envelope: { [key: string]: JsonValue } | null;
  payload: string | null;
  payloadStatus: PayloadStatus;
}

export interface ExportBlock {
  height: number;
  header: JsonValue;
  hash: string;
  signature: HeaderSignature;
  checkpoint: string;
  entries: ExportLeaf[];
}

export interface ExportLast {
  height: number;
  hash: string;
  logSize: number;
  logRoot: string;
}

export interface ExportKeyRecordRef {
  entryId: string;
  type: string;
  height: number;
  logIndex: number;
}

export interface ExportManifest {
  export: typeof EXPORT_TAG;
  log: string;
  /** The member whose reads the export holds: payloads are those it may read. */
  exportedAs: string;
  /** The last block exported; null for a log with no blocks. */
  last: ExportLast | null;
  /** Leaves by payloadStatus, over every block. */
  payloads: { included: number; withheld: number; missing: number };
  /**
   * Every key record (zhixin.key.add/retire/revoke) the blocks hold, and every zhixin.cosign
   * of one earlier in the log (ExportKeyHistoryIndex), in log order.
   */
  keyRecords: ExportKeyRecordRef[];
  /** Each run of `zhixin export` that wrote blocks: heights from–to, and when it ran. */
  runs: Array<{ from: number; to: number; at: string }>;
}

type Where = string;

function invalid(message: string, where: Where): never {
  throw new ExportError("EXPORT_INVALID", message, where);
}

function readJson(text: string, where: Where): JsonValue {
  try {
    return parseJson(text);
  } catch (e) {
    // parseJson throws JsonTextError only.
    return invalid(`not I-JSON text: ${(e as JsonTextError).message}`, where);
  }
}

type Obj = { [key: string]: JsonValue };

function object(value: JsonValue | undefined, members: readonly string[], what: string, where: Where): Obj {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    invalid(`${what} is not an object`, where);
  const o = value as Obj;
  const names = Object.keys(o);
  const missing = members.filter((m) => !Object.hasOwn(o, m));
  const extra = names.filter((n) => !members.includes(n));
  if (missing.length > 0 || extra.length > 0) {
    invalid(
      `${what} must have exactly the members ${members.join(", ")}` +
        (missing.length > 0 ? `; missing ${missing.join(", ")}` : "") +
        (extra.length > 0 ? `; unknown ${extra.join(", ")}` : ""),
      where,
    );
  }
  return o;
}

function count(value: JsonValue | undefined, what: string, where: Where, min = 0): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min)
    invalid(`${what} must be an integer from ${min} to 2^53 − 1`, where);
  return value;
}

function string(value: JsonValue | undefined, what: string, where: Where): string {
  if (typeof value !== "string") invalid(`${what} must be a string`, where);
  return value;
}

const HEX32 = /^[0-9a-f]{64}$/;

function hash(value: JsonValue | undefined, what: string, where: Where): string {
  const s = string(value, what, where);
  if (!HEX32.test(s)) invalid(`${what} must be 64 lowercase hex digits`, where);
  return s;
}

/** One line of a blocks/ file (without its newline); `where` names it in refusals. */
export function parseBlockLine(line: string, where: Where): ExportBlock {
  const o = object(
    readJson(line, where),
    ["checkpoint", "entries", "hash", "header", "height", "signature"],
    "a block line",
    where,
  );
  const sig = object(o.signature, ["alg", "keyId", "value"], "signature", where);
  const alg = string(sig.alg, "signature.alg", where);
  if (!isSignatureAlgorithm(alg))
    invalid(`signature.alg ${JSON.stringify(alg)} is no signature algorithm`, where);
  if (!Array.isArray(o.entries)) invalid("entries must be an array", where);
  return {
    height: count(o.height, "height", where, 1),
    header: o.header as JsonValue,
    hash: hash(o.hash, "hash", where),
    signature: {
      alg,
      keyId: string(sig.keyId, "signature.keyId", where),
      value: string(sig.value, "signature.value", where),
    },
    checkpoint: string(o.checkpoint, "checkpoint", where),
    entries: o.entries.map((e, i) => parseLeaf(e, `entries[${i}]`, where)),
  };
}

function parseLeaf(value: JsonValue, what: string, where: Where): ExportLeaf {
  const o = object(
    value,
    ["batchKey", "envelope", "id", "leafHash", "payload", "payloadStatus"],
    what,
    where,
  );
  const status = string(o.payloadStatus, `${what}.payloadStatus`, where);
  if (!PAYLOAD_STATUSES.includes(status))
    invalid(`${what}.payloadStatus must be included, withheld or missing`, where);
  const payload = o.payload;
  if (
    (status === "included") !== (typeof payload === "string") ||
    (payload !== null && typeof payload !== "string")
  )
    invalid(`${what}.payload must be the payload's text when included, else null`, where);
  const envelope = o.envelope;
  if (envelope !== null && (typeof envelope !== "object" || Array.isArray(envelope)))
    invalid(`${what}.envelope must be an object or null`, where);
  return {
    leafHash: hash(o.leafHash, `${what}.leafHash`, where),
    id: string(o.id, `${what}.id`, where),
    batchKey: string(o.batchKey, `${what}.batchKey`, where),
    envelope: envelope as Obj | null,
    payload: payload as string | null,
    payloadStatus: status as PayloadStatus,
  };
}

/** A block's line: its JSON and no newline (the writer adds one). */
export function formatBlockLine(block: ExportBlock): string {
  return JSON.stringify({
    height: block.height,
    header: block.header,
    hash: block.hash,
    signature: block.signature,
    checkpoint: block.checkpoint,
    entries: block.entries,
  });
}

/**
 * What lib/chain's verifyBlocks is given for one exported block (docs/formats/export.md
 * §3): the pages' leaves, ids and batch keys, each leaf's envelope (none where null), and
 * its payload — the text when included, null (PAYLOAD_MISSING) when missing, not checked
 * when withheld; the block's own checkpoint.
 */
export function blockEvidenceOf(block: ExportBlock): BlockEvidence {
  return {
    header: block.header,
    hash: block.hash,
    signature: block.signature,
    leafHashes: block.entries.map((e) => fromHex(e.leafHash)),
    entryIds: block.entries.map((e) => e.id),
    batchKeys: block.entries.map((e) => e.batchKey),
    entries: block.entries.map((e) => ({
      ...(e.envelope === null ? {} : { envelope: e.envelope }),
      ...(e.payloadStatus === "withheld" ? {} : { payload: e.payload }),
    })),
    checkpoint: block.checkpoint,
  };
}

const MANIFEST_MEMBERS = ["export", "exportedAs", "keyRecords", "last", "log", "payloads", "runs"] as const;

/** manifest.json's text; EXPORT_INVALID for anything but §2's form. */
export function parseManifest(text: string): ExportManifest {
  const where = EXPORT_FILES.manifest;
  const o = object(readJson(text, where), MANIFEST_MEMBERS, "the manifest", where);
  if (o.export !== EXPORT_TAG)
    invalid(`export must be "${EXPORT_TAG}" (this verifier reads that version only)`, where);
  const p = object(o.payloads, ["included", "missing", "withheld"], "payloads", where);
  let last: ExportLast | null = null;
  if (o.last !== null) {
    const l = object(o.last, ["hash", "height", "logRoot", "logSize"], "last", where);
    last = {
      height: count(l.height, "last.height", where, 1),
      hash: hash(l.hash, "last.hash", where),
      logSize: count(l.logSize, "last.logSize", where),
      logRoot: hash(l.logRoot, "last.logRoot", where),
    };
  }
  if (!Array.isArray(o.keyRecords)) invalid("keyRecords must be an array", where);
  if (!Array.isArray(o.runs)) invalid("runs must be an array", where);
  return {
    export: EXPORT_TAG,
    log: string(o.log, "log", where),
    exportedAs: string(o.exportedAs, "exportedAs", where),
    last,
    payloads: {
      included: count(p.included, "payloads.included", where),
      withheld: count(p.withheld, "payloads.withheld", where),
      missing: count(p.missing, "payloads.missing", where),
    },
    keyRecords: o.keyRecords.map((r, i) => {
      const k = object(r, ["entryId", "height", "logIndex", "type"], `keyRecords[${i}]`, where);
      return {
        entryId: string(k.entryId, `keyRecords[${i}].entryId`, where),
        type: string(k.type, `keyRecords[${i}].type`, where),
        height: count(k.height, `keyRecords[${i}].height`, where, 1),
        logIndex: count(k.logIndex, `keyRecords[${i}].logIndex`, where),
      };
    }),
    runs: o.runs.map((r, i) => {
      const run = object(r, ["at", "from", "to"], `runs[${i}]`, where);
      return {
        from: count(run.from, `runs[${i}].from`, where, 1),
        to: count(run.to, `runs[${i}].to`, where, 1),
        at: string(run.at, `runs[${i}].at`, where),
      };
    }),
  };
}

/** manifest.json's text: its members in §2's order, two-space indented, a final newline. */
export function formatManifest(m: ExportManifest): string {
  const text = `${JSON.stringify(
    {
      export: m.export,
      log: m.log,
      exportedAs: m.exportedAs,
      last: m.last,
      payloads: m.payloads,
      keyRecords: m.keyRecords,
      runs: m.runs,
    },
    null,
    2,
  )}\n`;
  parseManifest(text);
  return text;
}
