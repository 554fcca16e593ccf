import {
  type CryptoSuite,
  contentDigest,
  type EntrySignatureCheck,
  fromBase64,
  isKeyRecordType,
  isSignatureAlgorithm,
  type JsonValue,
  judgeEntrySignature,
  KEY_COSIGN_TYPE,
  type KeyRecordEntry,
  type KeySignatureCheck,
  type LedgerEnvelope,
  type LedgerKeys,
  ledgerKeys,
  noLedgerKeys,
  OWNER_ALONE,
  parseJson,
  type SignatureAlgorithm,
  signatureCheckKey,
  type VerifyBlocksOptions,
} from "#chain";
import { ExportError } from "./export-errors.js";
import { EXPORT_FILES, type ExportBlock, type ExportLeaf } from "./export-format.js";
import type { TrustRoot } from "./trust-root.js";

/**
 * How an export's audit judges department signatures (docs/formats/export.md §4), in this
 * one place: the online audit's rule (FORMATS.md §2 step 4), by the ledger's own key
 * history folded from the export's key records, and by the trust bundle the export
 * carries (FORMATS.md §5, keys.json) for a department with no key on the ledger yet.
 */

export interface BundleKey {
  keyId: string;
  owner: string;
  role: "department" | "auditor" | "sealer";
  alg: SignatureAlgorithm;
  spki: Uint8Array;
  validFrom: string;
  validUntil?: string;
}

const ROLES: readonly string[] = ["department", "auditor", "sealer"];
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * keys.json, the trust bundle: `{"log"?: origin, "keys": [{keyId, owner, role, alg, spki,
 * validFrom, validUntil?}]}` (FORMATS.md §5). EXPORT_INVALID for another form or a key id
 * listed twice.
 */
export function parseTrustBundle(text: string): BundleKey[] {
  const where = EXPORT_FILES.keys;
  const bad = (message: string): never => {
    throw new ExportError("EXPORT_INVALID", message, where);
  };
  let json: JsonValue;
  try {
    json = parseJson(text);
  } catch (e) {
    return bad(`not I-JSON text: ${(e as Error).message}`);
  }
  const keys = (json as { keys?: unknown } | null)?.keys;
  if (typeof json !== "object" || json === null || Array.isArray(json) || !Array.isArray(keys))
    return bad('not a trust bundle: {"log", "keys": [...]}');
  const seen = new Set<string>();
  return keys.map((k, i) => {
    const o = (typeof k === "object" && k !== null && !Array.isArray(k) ? k : {}) as Record<string, unknown>;
    const { keyId, owner, role, alg, spki, validFrom, validUntil } = o;
    if (
      typeof keyId !== "string" ||
      typeof owner !== "string" ||
      typeof role !== "string" ||
      !ROLES.includes(role) ||
      typeof alg !== "string" ||
      !isSignatureAlgorithm(alg) ||
      typeof spki !== "string" ||
      typeof validFrom !== "string" ||
      !TIME.test(validFrom) ||
      (validUntil !== undefined && (typeof validUntil !== "string" || !TIME.test(validUntil)))
    )
      return bad(`keys[${i}] is not {keyId, owner, role, alg, spki, validFrom, validUntil?}`);
    if (seen.has(keyId)) return bad(`keys[${i}]: key id ${keyId} is listed twice`);
    seen.add(keyId);
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(spki);
    } catch {
      return bad(`keys[${i}].spki is not base64`);
    }
    return {
      keyId,
      owner,
      role: role as BundleKey["role"],
      alg,
      spki: bytes,
      validFrom,
      ...(validUntil === undefined ? {} : { validUntil: validUntil as string }),
    };
  });
}

/**
 * The export audit's department-signature check (verifyBlocks' verifyEntrySignature): the
 * online audit's rule, lib/chain judgeEntrySignature — the ledger's key history `ledger`
 * (folded from the export's own key records, exportKeyRecordEntries) from a department's
 * first key there on, the bundle's key of the envelope's keyId before it — with `verify`
 * (lib/crypto's node:crypto check, or any other). Every entry of a batch carries one
 * signature over one base and is checked once; a key record is judged by itself.
 */
export function exportEntrySignatureCheck(
  suite: CryptoSuite,
  keys: readonly BundleKey[],
  verify: KeySignatureCheck,
  ledger: LedgerKeys = noLedgerKeys(suite),
): NonNullable<VerifyBlocksOptions["verifyEntrySignature"]> {
  const byId = new Map(keys.map((k) => [k.keyId, k]));
  const checked = new Map<string, EntrySignatureCheck>();
  return (envelope: LedgerEnvelope, message: Uint8Array, signature: Uint8Array): EntrySignatureCheck => {
    const memo = signatureCheckKey(envelope);
    const hit = checked.get(memo);
    if (hit !== undefined) return hit;
    const result = judgeEntrySignature(ledger, (id) => byId.get(id), envelope, message, signature, verify);
    if (checked.size > 100_000) checked.clear();
    checked.set(memo, result);
    return result;
  };
}

/**
 * Which leaves make an export's key history (docs/formats/export.md §2, the manifest's
 * `keyRecords`), given in log order: every key record, and every zhixin.cosign of a key
 * record earlier in the log (design/key-history.md §3, rules 4–5). A cosign is known by
 * its contentDigest alone: its data `{"contentDigest", "entryId"}` is fixed by the record
 * it names, so its payload — which the exporter may not read, being another department's —
 * is not needed, and is known to the verifier all the same. The exporter, the audit and
 * the fold of the key history take the same leaves with it.
 */
export class ExportKeyHistoryIndex {
  /** Per contentDigest a cosign of an earlier key record has: that cosign's data. */
  readonly #cosigns = new Map<string, { contentDigest: string; entryId: string }>();

  /** `suite`: the ledger's, whose hash gives a cosign's contentDigest. */
  constructor(private readonly suite: CryptoSuite) {}

  /** The leaf's part in the key history: a key record, a cosign of one (with its data), or none. */
  classify(
    envelope: ExportLeaf["envelope"],
  ): { kind: "record" } | { kind: "cosign"; data: { contentDigest: string; entryId: string } } | undefined {
    if (envelope === null || envelope.kind !== undefined || typeof envelope.type !== "string")
      return undefined;
    const { id, contentDigest: digest } = envelope;
    if (isKeyRecordType(envelope.type)) {
      if (typeof id === "string" && typeof digest === "string") {
        const data = { contentDigest: digest, entryId: id };
        this.#cosigns.set(contentDigest(this.suite, data), data);
      }
      return { kind: "record" };
    }
    const data = envelope.type === KEY_COSIGN_TYPE && typeof digest === "string" && this.#cosigns.get(digest);
    return data ? { kind: "cosign", data } : undefined;
  }
}

/**
 * The key history among `blocks`' leaves, in ledger order, as lib/chain's fold takes it:
 * the key records whose payload the export holds (key records' payloads are exported for
 * every member), and the cosigns of key records (ExportKeyHistoryIndex), whose data is
 * their target's. A key record without its payload, or whose payload is not JSON, is left
 * out: the audit then finds it not given (KEY_HISTORY_MISMATCH).
 */
export function exportKeyRecordEntries(suite: CryptoSuite, blocks: readonly ExportBlock[]): KeyRecordEntry[] {
  const index = new ExportKeyHistoryIndex(suite);
  const out: KeyRecordEntry[] = [];
  for (const block of blocks) {
    for (const leaf of block.entries) {
      const e = leaf.envelope;
      const part = index.classify(e);
      if (e === null || part === undefined) continue;
      const { id, dept, keyId, receivedAt } = e;
      if (
        typeof id !== "string" ||
        typeof dept !== "string" ||
        typeof keyId !== "string" ||
        typeof receivedAt !== "string"
      )
        continue;
      let data: JsonValue;
      if (part.kind === "cosign") data = part.data;
      else {
        if (leaf.payload === null) continue;
        try {
          data = parseJson(leaf.payload);
        } catch {
          continue;
        }
      }
      out.push({ entryId: id, writer: dept, signedBy: keyId, receivedAt, type: e.type as string, data });
    }
  }
  return out;
}

/**
 * The key history an export's department signatures are judged by (ExportAuditOptions.ledger):
 * lib/chain ledgerKeys over exportKeyRecordEntries(blocks), folded under the trust root's
 * key governance — OWNER_ALONE for a root without one, under which no recovery or cosign
 * counts (the report says so, ExportReport.notChecked).
 */
export function exportKeyHistory(
  blocks: readonly ExportBlock[],
  root: TrustRoot,
  verify: KeySignatureCheck,
): LedgerKeys {
  return ledgerKeys(
    root.suite,
    exportKeyRecordEntries(root.suite, blocks),
    verify,
    root.keyGovernance ?? OWNER_ALONE,
  );
}
