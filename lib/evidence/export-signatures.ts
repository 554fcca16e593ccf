import {
  fromBase64,
  isSignatureAlgorithm,
  type JsonValue,
  type KeySignatureCheck,
  type LedgerEnvelope,
  parseJson,
  type SignatureAlgorithm,
  type SignatureCheck,
  type VerifyBlocksOptions,
} from "#chain";
import { ExportError } from "./export-errors.js";
import { EXPORT_FILES } from "./export-format.js";

/**
 * How an export's audit judges department signatures (docs/formats/export.md §4), in this
 * one place. For now it is the online audit's rule over the trust bundle the export
 * carries (FORMATS.md §5, keys.json): the key named by the envelope's keyId, owned by its
 * dept, a department key of its alg, valid at its receivedAt (validFrom ≤ receivedAt <
 * validUntil), whose signature over the signature base verifies. The online audit moves to
 * judging keys by the ledger's own key history (docs/design/key-history.md §4); this
 * function follows it then, and keys.json becomes unneeded.
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
 * The export audit's department-signature check (verifyBlocks' verifyEntrySignature): by
 * the bundle's key of the envelope's keyId, with `verify` (lib/crypto's node:crypto check,
 * or any other). Every entry of a batch carries one signature over one base: each is
 * checked once.
 */
export function exportEntrySignatureCheck(
  keys: readonly BundleKey[],
  verify: KeySignatureCheck,
): NonNullable<VerifyBlocksOptions["verifyEntrySignature"]> {
  const byId = new Map(keys.map((k) => [k.keyId, k]));
  const checked = new Map<string, SignatureCheck>();
  return (envelope: LedgerEnvelope, message: Uint8Array, signature: Uint8Array): SignatureCheck => {
    const memo = JSON.stringify([
      envelope.keyId,
      envelope.dept,
      envelope.alg,
      envelope.receivedAt,
      envelope.signature,
      envelope.signatureBase,
    ]);
    const hit = checked.get(memo);
    if (hit !== undefined) return hit;
    const key = byId.get(envelope.keyId);
    let result: SignatureCheck;
    if (!key) result = "unknown-key";
    else if (key.owner !== envelope.dept || key.role !== "department" || key.alg !== envelope.alg)
      result = "invalid";
    else if (!validAt(key, envelope.receivedAt)) result = "not-valid";
    else result = safeVerify(verify, key, message, signature) ? "ok" : "invalid";
    if (checked.size > 100_000) checked.clear();
    checked.set(memo, result);
    return result;
  };
}

function validAt(key: BundleKey, at: string): boolean {
  const t = Date.parse(at);
  return t >= Date.parse(key.validFrom) && (key.validUntil === undefined || t < Date.parse(key.validUntil));
}

function safeVerify(verify: KeySignatureCheck, key: BundleKey, message: Uint8Array, signature: Uint8Array) {
  try {
    return verify(key.alg, key.spki, message, signature);
  } catch {
    return false; // a key the checker cannot read proves nothing
  }
}
