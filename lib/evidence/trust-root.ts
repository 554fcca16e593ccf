import {
  type ChainError,
  type Checkpoint,
  type CosignatureKey,
  NOTE_SIGNATURE_TYPE_ED25519,
  type NoteVerifier,
  openCheckpoint,
  parseCosignatureVerifierKey,
  parseVerifierKey,
  type VerifierKey,
} from "#chain";
import {
  assertWitnessPolicy,
  checkWitnessQuorum,
  type Ed25519Verify,
  type QuorumReport,
  type WitnessError,
} from "../witness/index.js";
import { EvidenceError } from "./errors.js";

/**
 * The trust root (docs/formats/trust-root.md): all a court, an inspector or another
 * department needs to hold in advance to check Zhixin evidence with no access to the
 * operator — the log's origin, the sealer's checkpoint keys, the witnesses' cosignature
 * keys and how many of them must cosign. No member keys: those are proven by the log
 * itself (docs/design/key-history.md). A small JSON file, one spelling per root:
 *
 *   {"log":"zhixin.example/demo","quorum":2,"sealers":["<vkey>"],
 *    "trustRoot":"zhixin/trust-root/v1","witnesses":["<vkey>","<vkey>","<vkey>"]}
 *
 * A witness whose key was rotated is listed with each of its keys (the same name): what it
 * cosigned under any of them counts, once per witness.
 *
 * written as RFC 8785 canonical JSON and a final newline by formatTrustRoot, read by
 * parseTrustRoot, which refuses anything else (TRUST_ROOT_INVALID) rather than guess.
 */

export const TRUST_ROOT_TAG = "zhixin/trust-root/v1";

export interface TrustRoot {
  /** The log's origin: the first line of its checkpoints, and every sealer key's name. */
  log: string;
  /** The sealer's checkpoint keys (Ed25519, c2sp.org/signed-note type 0x01): several while one is rotated. */
  sealers: VerifierKey[];
  /**
   * The witnesses' cosignature keys (c2sp.org/tlog-cosignature, type 0x04): one or more per
   * witness, a witness being a key name (its old keys beside its new one once it rotated).
   */
  witnesses: CosignatureKey[];
  /** How many distinct witnesses (names) must have cosigned a checkpoint: 0 to witnessNames(witnesses).length. */
  quorum: number;
}

const FIELDS = ["log", "quorum", "sealers", "trustRoot", "witnesses"] as const;

function invalid(message: string): never {
  throw new EvidenceError("TRUST_ROOT_INVALID", message);
}

/** A trust root from its file's text; TRUST_ROOT_INVALID for anything but §1's form. */
export function parseTrustRoot(text: string): TrustRoot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    invalid(`not JSON: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) invalid("not a JSON object");
  const o = json as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) invalid(`unknown field(s) ${extra.join(", ")}`);
  if (o.trustRoot !== TRUST_ROOT_TAG) invalid(`trustRoot must be "${TRUST_ROOT_TAG}"`);
  const log = o.log;
  if (typeof log !== "string" || !/^[\x21-\x7e]{1,255}$/.test(log)) {
    invalid("log must be the log's origin: 1 to 255 printable ASCII characters, no spaces");
  }
  const sealers = stringList(o.sealers, "sealers").map((vkey, i) => sealerKey(vkey, i, log));
  if (sealers.length === 0) invalid("sealers must name at least one key");
  const witnesses = stringList(o.witnesses, "witnesses").map((vkey, i) => {
    try {
      return parseCosignatureVerifierKey(vkey);
    } catch (e) {
      return invalid(`witnesses[${i}]: ${(e as Error).message}`);
    }
  });
  const quorum = o.quorum;
  if (typeof quorum !== "number") invalid("quorum must be a number");
  try {
    assertWitnessPolicy({ witnesses, threshold: quorum });
  } catch (e) {
    // assertWitnessPolicy throws WitnessError only.
    invalid((e as WitnessError).message);
  }
  return { log, sealers, witnesses, quorum };
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    invalid(`${field} must be an array of verifier keys`);
  }
  return value;
}

/** A sealer vkey: Ed25519, named by the origin, as every checkpoint's first signature is. */
function sealerKey(vkey: string, i: number, log: string): VerifierKey {
  let key: VerifierKey;
  try {
    key = parseVerifierKey(vkey);
  } catch (e) {
    return invalid(`sealers[${i}]: ${(e as Error).message}`);
  }
  if (key.type !== NOTE_SIGNATURE_TYPE_ED25519) invalid(`sealers[${i}]: not an Ed25519 key (type 0x01)`);
  if (key.name !== log) invalid(`sealers[${i}]: named ${JSON.stringify(key.name)}, not the log ${log}`);
  return key;
}

/**
 * The file's text for a root given as vkeys: canonical JSON (keys sorted, no spaces) and a
 * final newline, after the same checks parseTrustRoot makes, so what is written reads back.
 */
export function formatTrustRoot(root: {
  log: string;
  sealers: readonly string[];
  witnesses: readonly string[];
  quorum: number;
}): string {
  const text = `${JSON.stringify({
    log: root.log,
    quorum: root.quorum,
    sealers: root.sealers,
    trustRoot: TRUST_ROOT_TAG,
    witnesses: root.witnesses,
  })}\n`;
  parseTrustRoot(text);
  return text;
}

/**
 * What a verifier holding only the trust root makes of a published checkpoint: the log's
 * signature by one of the root's sealer keys, for the root's log (else CHECKPOINT_UNTRUSTED,
 * thrown: nothing in such a note can be believed), then the witness quorum, reported —
 * the caller decides what an unwitnessed checkpoint means for it.
 */
export function openTrustedCheckpoint(
  note: string | Uint8Array,
  root: TrustRoot,
  verify: Ed25519Verify,
): { checkpoint: Checkpoint; quorum: QuorumReport } {
  const verifiers: NoteVerifier[] = root.sealers.map((k) => ({
    name: k.name,
    keyHash: k.keyHash,
    verify: (message, signature) => verify(k.publicKey.slice(), message, signature),
  }));
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(note, verifiers, root.log);
  } catch (e) {
    // openCheckpoint throws ChainError only, a failing or throwing verify included (verifyNote).
    throw new EvidenceError("CHECKPOINT_UNTRUSTED", (e as ChainError).message);
  }
  return {
    checkpoint,
    quorum: checkWitnessQuorum(note, { witnesses: root.witnesses, threshold: root.quorum }, verify),
  };
}
