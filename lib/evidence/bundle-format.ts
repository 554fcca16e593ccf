import {
  batchKeyOf,
  type ChainError,
  canonicalJson,
  type EntryEnvelope,
  fromHex,
  fromUtf8,
  isAccessEnvelope,
  isKeyRecordType,
  type JsonValue,
  KEY_COSIGN_TYPE,
  type LedgerEnvelope,
  parseCheckpoint,
  parseEntryEnvelope,
  parseJson,
  parseSignedNote,
  toHex,
} from "#chain";
import { EvidenceError } from "./errors.js";

/**
 * The evidence bundle file (docs/formats/evidence.md §1): one entry of the log, proven to
 * a holder of only a trust root. One JSON object, written as RFC 8785 canonical JSON and
 * a final newline (shown spread out here):
 *
 *   {"checkpoint": "zhixin.example/demo\n2\n<root>\n\n— zhixin.example/demo …\n— <witness> …\n",
 *    "entry": {"envelope": {…as the log holds it…},
 *              "inclusion": {"index": 1, "proof": ["<hex>", …], "size": 2},
 *              "payload": "<the stored payload text>" or null},
 *    "evidence": "zhixin/evidence/v1",
 *    "keyRecords": [{"envelope": {…}, "inclusion": {…}, "payload": "<text>"}, …],
 *                  (key records, and the zhixin.cosign entries of those that awaited cosigns)
 *    "log": "zhixin.example/demo"}
 *
 * parseEvidenceBundle reads any I-JSON spelling of it (nothing proven depends on the
 * file's own bytes: leaves are recomputed from the parsed envelopes), refusing anything
 * else as BUNDLE_INVALID; formatEvidenceBundle writes the one canonical spelling.
 */

export const EVIDENCE_BUNDLE_TAG = "zhixin/evidence/v1";

/** An RFC 9162 inclusion proof of a leaf in the checkpoint's tree. */
export interface BundleInclusion {
  /** The leaf's log index: 0 ≤ index < size. */
  index: number;
  /** The tree size the proof is for: the checkpoint's. */
  size: number;
  /** The proof's hashes, deepest first. */
  proof: Uint8Array[];
}

export interface BundleEntry {
  /** The envelope as the log holds it: a record's (FORMATS.md §2) or an access entry's (§8). */
  envelope: LedgerEnvelope;
  /** The stored payload text, JCS of a JSON object; null when the producer withheld it. */
  payload: string | null;
  inclusion: BundleInclusion;
}

/**
 * A zhixin.key.add, retire or revoke record, or a zhixin.cosign of one (design/key-history.md
 * §3, rules 4–5), with its payload (never withheld: the fold reads it).
 */
export interface BundleKeyRecord {
  envelope: EntryEnvelope;
  payload: string;
  inclusion: BundleInclusion;
}

export interface EvidenceBundle {
  /** The log's origin: the trust root's `log` and the checkpoint's first line. */
  log: string;
  /** The checkpoint as a signed note: the sealer's signature and the witnesses' cosignatures. */
  checkpoint: string;
  entry: BundleEntry;
  keyRecords: BundleKeyRecord[];
}

const BUNDLE_FIELDS = ["checkpoint", "entry", "evidence", "keyRecords", "log"];
const ENTRY_FIELDS = ["envelope", "inclusion", "payload"];
const INCLUSION_FIELDS = ["index", "proof", "size"];
const HEX32 = /^[0-9a-f]{64}$/;
/** The trust root's form of an origin (docs/formats/trust-root.md §1). */
const ORIGIN = /^[\x21-\x7e]{1,255}$/;

function invalid(message: string, pointer?: string): never {
  throw new EvidenceError("BUNDLE_INVALID", message, pointer);
}

/** The bundle from its file's text or bytes (strict UTF-8); BUNDLE_INVALID for anything but §1's form. */
export function parseEvidenceBundle(file: string | Uint8Array): EvidenceBundle {
  let json: JsonValue;
  try {
    json = parseJson(typeof file === "string" ? file : fromUtf8(file));
  } catch (e) {
    return invalid(`not I-JSON text: ${(e as Error).message}`);
  }
  const o = object(json, "");
  exactFields(o, BUNDLE_FIELDS, "");
  if (o.evidence !== EVIDENCE_BUNDLE_TAG) invalid(`must be "${EVIDENCE_BUNDLE_TAG}"`, "/evidence");
  const log = o.log;
  if (typeof log !== "string" || !ORIGIN.test(log))
    invalid("must be a log origin: 1 to 255 printable ASCII characters, no spaces", "/log");
  const checkpoint = checkpointNote(o.checkpoint, log);

  const e = object(o.entry, "/entry");
  exactFields(e, ENTRY_FIELDS, "/entry");
  const entry: BundleEntry = {
    envelope: envelope(e.envelope, "/entry/envelope"),
    payload: e.payload === null ? null : payload(e.payload, "/entry/payload"),
    inclusion: inclusion(e.inclusion, "/entry/inclusion"),
  };

  if (!Array.isArray(o.keyRecords)) invalid("must be an array", "/keyRecords");
  const seen = new Set<string>();
  const keyRecords = o.keyRecords.map((value, i): BundleKeyRecord => {
    const at = `/keyRecords/${i}`;
    const r = object(value, at);
    exactFields(r, ENTRY_FIELDS, at);
    const env = envelope(r.envelope, `${at}/envelope`);
    if (isAccessEnvelope(env) || !(isKeyRecordType(env.type) || env.type === KEY_COSIGN_TYPE))
      invalid(`${env.type} is neither a key record type nor ${KEY_COSIGN_TYPE}`, `${at}/envelope/type`);
    if (seen.has(env.id)) invalid(`entry ${env.id} is listed twice`, at);
    seen.add(env.id);
    return {
      envelope: env,
      payload: payload(r.payload, `${at}/payload`),
      inclusion: inclusion(r.inclusion, `${at}/inclusion`),
    };
  });
  return { log, checkpoint, entry, keyRecords };
}

function object(value: unknown, pointer: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    invalid("must be a JSON object", pointer);
  return value as Record<string, unknown>;
}

function exactFields(o: Record<string, unknown>, fields: readonly string[], pointer: string): void {
  const extra = Object.keys(o).filter((k) => !fields.includes(k));
  if (extra.length > 0) invalid(`unknown member(s) ${extra.join(", ")}`, pointer);
  const missing = fields.filter((k) => !Object.hasOwn(o, k));
  if (missing.length > 0) invalid(`missing member(s) ${missing.join(", ")}`, pointer);
}

/** A signed note whose text is a checkpoint of `log` (signatures are checked later, against the root). */
function checkpointNote(value: unknown, log: string): string {
  if (typeof value !== "string") invalid("must be the checkpoint's signed note as text", "/checkpoint");
  let origin: string;
  try {
    origin = parseCheckpoint(parseSignedNote(value).text).origin;
  } catch (e) {
    return invalid((e as ChainError).message, "/checkpoint");
  }
  if (origin !== log)
    invalid(`is a checkpoint of ${JSON.stringify(origin)}, not of the bundle's log`, "/checkpoint");
  return value;
}

function envelope(value: unknown, pointer: string): LedgerEnvelope {
  try {
    return parseEntryEnvelope(value);
  } catch (e) {
    return invalid((e as ChainError).message, pointer);
  }
}

/** A payload is stored as JCS(data) of a JSON object (FORMATS.md §1): I-JSON text of an object. */
function payload(value: unknown, pointer: string): string {
  if (typeof value !== "string") invalid("must be the stored payload text", pointer);
  let data: JsonValue;
  try {
    data = parseJson(value);
  } catch (e) {
    return invalid(`not I-JSON text: ${(e as Error).message}`, pointer);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    invalid("must be the text of a JSON object", pointer);
  return value;
}

function inclusion(value: unknown, pointer: string): BundleInclusion {
  const o = object(value, pointer);
  exactFields(o, INCLUSION_FIELDS, pointer);
  const { index, size, proof } = o;
  if (!isCount(index)) invalid("must be an integer from 0 to 2^53 - 1", `${pointer}/index`);
  if (!isCount(size)) invalid("must be an integer from 0 to 2^53 - 1", `${pointer}/size`);
  if (!Array.isArray(proof) || !proof.every((h) => typeof h === "string" && HEX32.test(h)))
    invalid("must be an array of 64-digit lowercase hex hashes", `${pointer}/proof`);
  return { index, size, proof: proof.map((h) => fromHex(h as string)) };
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Ledger order (FORMATS.md §9 "State", §10): by receivedAt, then batch key
 * `<keyId>#<nonce>`, then position in the batch — the order the key-history fold takes
 * records in. Strings compare by UTF-16 code units; receivedAt has one fixed-width form,
 * so this is the order of instants. Requires envelopes whose signature base has a nonce.
 */
export function byLedgerOrder(a: EntryEnvelope, b: EntryEnvelope): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? -1 : 1;
  const [ka, kb] = [batchKeyOf(a), batchKeyOf(b)];
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.batch.index - b.batch.index;
}

/**
 * The bundle file's text for its parts (docs/formats/evidence.md §1): RFC 8785 canonical
 * JSON and a final newline, the key records in ledger order. Pure: the server or the CLI
 * gathers the parts (the envelope and payload as stored, proofs from the tiles, the
 * witnessed checkpoint, the key records and their cosigns, evidence.md §2) and writes this. Throws BUNDLE_INVALID
 * for parts that would not read back (parseEvidenceBundle), so what is written is a file
 * every verifier can read — whether its proofs hold is verifyEvidenceBundle's question.
 */
export function formatEvidenceBundle(parts: EvidenceBundle): string {
  let keyRecords: BundleKeyRecord[];
  try {
    keyRecords = [...parts.keyRecords].sort((a, b) => byLedgerOrder(a.envelope, b.envelope));
  } catch (e) {
    return invalid(`key records without a signed nonce have no ledger order: ${(e as Error).message}`);
  }
  const item = (r: BundleEntry | BundleKeyRecord) => ({
    envelope: r.envelope,
    inclusion: { index: r.inclusion.index, proof: r.inclusion.proof.map(toHex), size: r.inclusion.size },
    payload: r.payload,
  });
  let text: string;
  try {
    text = `${canonicalJson({
      checkpoint: parts.checkpoint,
      entry: item(parts.entry),
      evidence: EVIDENCE_BUNDLE_TAG,
      keyRecords: keyRecords.map(item),
      log: parts.log,
    })}\n`;
  } catch (e) {
    return invalid(`parts are not JSON: ${(e as Error).message}`);
  }
  parseEvidenceBundle(text);
  return text;
}
