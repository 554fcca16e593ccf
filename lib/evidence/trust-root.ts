import {
  type ChainError,
  type Checkpoint,
  type CosignatureKey,
  type CryptoSuite,
  INTL,
  isSuiteName,
  KEY_OWNER,
  type KeyGovernance,
  type KeySignatureCheck,
  type NoteVerifier,
  noteSignatureTypeOf,
  noteVerifierOf,
  openCheckpoint,
  ownSm2Id,
  parseCosignatureVerifierKey,
  parseVerifierKey,
  recordedSm2IdProblem,
  SUITE_COSIGNATURE_ALGORITHM,
  SUITE_NAMES,
  SUITE_SEALER_ALGORITHM,
  suiteNamed,
  type VerifierKey,
} from "#chain";
import {
  assertWitnessPolicy,
  checkWitnessQuorum,
  type QuorumReport,
  type WitnessError,
} from "../witness/index.js";
import { EvidenceError } from "./errors.js";

/**
 * The trust root (docs/formats/trust-root.md): all a court, an inspector or another
 * department needs to hold in advance to check Zhixin evidence with no access to the
 * operator — the log's origin, the sealer's checkpoint keys, the witnesses' cosignature
 * keys and how many of them must cosign, and who decides members' key records besides
 * their owner (the key governance). No member keys: those are proven by the log itself
 * (docs/design/key-history.md). A small JSON file, one spelling per root:
 *
 *   {"keyGovernance":{"departments":["hf-haikou","hf-sanya","internet-court"],"ownerCosigns":0},
 *    "log":"zhixin.example/demo","quorum":2,"sealers":["<vkey>"],
 *    "suite":"intl","trustRoot":"zhixin/trust-root/v1","witnesses":["<vkey>","<vkey>","<vkey>"]}
 *
 * A gm root whose consortium set its own SM2 identifier carries it too, "sm2Id" (as the
 * genesis block does): every SM2 signature is checked with it.
 *
 * A root written before keyGovernance existed has none: read as is, and verifiers fold
 * key records under OWNER_ALONE, saying so where a record needs more (a recovery, a cosign).
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
  /**
   * The ledger's crypto suite (lib/chain suite.ts), as its genesis block records it: which
   * hash every proof is recomputed with, and under gm the SM2 identifier every signature is
   * checked with (the file's `sm2Id`, absent for the default). A root written before suites
   * were carried has none, and is the intl suite's (SHA-256): the only one there was.
   */
  suite: CryptoSuite;
  /** The sealer's checkpoint keys (the suite's sealer algorithm as a note key: checkpoint.md §1.3): several while one is rotated. */
  sealers: VerifierKey[];
  /**
   * The witnesses' cosignature keys (c2sp.org/tlog-cosignature type 0x04, or the SM2
   * cosignature's under gm: witness.md §1.7): one or more per
   * witness, a witness being a key name (its old keys beside its new one once it rotated).
   */
  witnesses: CosignatureKey[];
  /** How many distinct witnesses (names) must have cosigned a checkpoint: 0 to witnessNames(witnesses).length. */
  quorum: number;
  /**
   * Who may propose a recovery of a member's key and cosign key records, and how many must
   * cosign an owner's own (lib/chain KeyGovernance, the consortium file's departments and
   * keyRecords.cosigns). Absent from a root written before it was carried: verifiers then
   * fold under OWNER_ALONE and say so.
   */
  keyGovernance?: KeyGovernance;
}

const FIELDS = [
  "keyGovernance",
  "log",
  "quorum",
  "sealers",
  "sm2Id",
  "suite",
  "trustRoot",
  "witnesses",
] as const;

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
  if (o.suite !== undefined && !isSuiteName(o.suite))
    invalid(`suite must be one of ${SUITE_NAMES.join(", ")}`);
  const sm2IdProblem = recordedSm2IdProblem(o.suite, o.sm2Id);
  if (sm2IdProblem !== undefined) invalid(sm2IdProblem);
  const suite = o.suite === undefined ? INTL : suiteNamed(o.suite, o.sm2Id as string | undefined);
  const sealers = stringList(o.sealers, "sealers").map((vkey, i) => sealerKey(vkey, i, log, suite));
  if (sealers.length === 0) invalid("sealers must name at least one key");
  const witnesses = stringList(o.witnesses, "witnesses").map((vkey, i) => witnessKey(vkey, i, suite));
  const quorum = o.quorum;
  if (typeof quorum !== "number") invalid("quorum must be a number");
  try {
    assertWitnessPolicy({ witnesses, threshold: quorum });
  } catch (e) {
    // assertWitnessPolicy throws WitnessError only.
    invalid((e as WitnessError).message);
  }
  return {
    log,
    suite,
    sealers,
    witnesses,
    quorum,
    ...(o.keyGovernance === undefined ? {} : { keyGovernance: keyGovernance(o.keyGovernance) }),
  };
}

/**
 *   "keyGovernance": {"departments": [<member id>, …], "ownerCosigns": <n>}
 * One or more distinct member ids; n an integer from 0 to the number of departments − 1
 * (the other departments are all that can cosign an owner's record).
 */
function keyGovernance(value: unknown): KeyGovernance {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    invalid("keyGovernance must be an object {departments, ownerCosigns}");
  const o = value as Record<string, unknown>;
  const members = Object.keys(o).sort().join(",");
  if (members !== "departments,ownerCosigns")
    invalid(
      `keyGovernance must have exactly the members departments, ownerCosigns, not ${members || "none"}`,
    );
  const { departments, ownerCosigns } = o;
  if (
    !Array.isArray(departments) ||
    departments.length === 0 ||
    !departments.every((d) => typeof d === "string" && KEY_OWNER.test(d))
  )
    invalid("keyGovernance.departments must be one or more member ids (the consortium file's departments)");
  const twice = departments.find((d, i) => departments.indexOf(d) !== i);
  if (twice !== undefined) invalid(`keyGovernance.departments lists ${twice} twice`);
  const others = departments.length - 1;
  if (
    typeof ownerCosigns !== "number" ||
    !Number.isInteger(ownerCosigns) ||
    ownerCosigns < 0 ||
    ownerCosigns > others
  )
    invalid(`keyGovernance.ownerCosigns must be an integer from 0 to ${others}, the other departments`);
  return { departments: departments as string[], ownerCosigns };
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    invalid(`${field} must be an array of verifier keys`);
  }
  return value;
}

/**
 * A sealer vkey: of the suite's sealer algorithm (Ed25519 under intl, SM2 under gm, as
 * note keys: checkpoint.md §1.3), named by the origin, as every checkpoint's first signature is.
 */
function sealerKey(vkey: string, i: number, log: string, suite: CryptoSuite): VerifierKey {
  let key: VerifierKey;
  try {
    key = parseVerifierKey(vkey);
  } catch (e) {
    return invalid(`sealers[${i}]: ${(e as Error).message}`);
  }
  const alg = SUITE_SEALER_ALGORITHM[suite.name];
  if (key.type !== noteSignatureTypeOf(alg))
    invalid(`sealers[${i}]: not a key of the ${suite.name} suite's sealer algorithm, ${alg}`);
  if (key.name !== log) invalid(`sealers[${i}]: named ${JSON.stringify(key.name)}, not the log ${log}`);
  return key;
}

/**
 * A witness vkey: a cosigner key of the suite's cosignature algorithm (Ed25519 type 0x04
 * under intl, the SM2 cosignature under gm: witness.md §1.7), so that a gm root never
 * counts an Ed25519 cosignature, nor an intl root an SM2 one.
 */
function witnessKey(vkey: string, i: number, suite: CryptoSuite): CosignatureKey {
  let key: CosignatureKey;
  try {
    key = parseCosignatureVerifierKey(vkey);
  } catch (e) {
    return invalid(`witnesses[${i}]: ${(e as Error).message}`);
  }
  const alg = SUITE_COSIGNATURE_ALGORITHM[suite.name];
  if (key.alg !== alg)
    invalid(`witnesses[${i}]: not a key of the ${suite.name} suite's cosignature algorithm, ${alg}`);
  return key;
}

/**
 * The file's text for a root given as vkeys (and the key governance: without it, a root as
 * written before it was carried): canonical JSON (keys sorted, no spaces) and a final newline, after the same checks parseTrustRoot makes, so what is written reads back.
 */
export function formatTrustRoot(root: {
  log: string;
  suite: CryptoSuite;
  sealers: readonly string[];
  witnesses: readonly string[];
  quorum: number;
  keyGovernance?: KeyGovernance;
}): string {
  const g = root.keyGovernance;
  const sm2Id = ownSm2Id(root.suite);
  const text = `${JSON.stringify({
    ...(g === undefined
      ? {}
      : { keyGovernance: { departments: g.departments, ownerCosigns: g.ownerCosigns } }),
    log: root.log,
    quorum: root.quorum,
    sealers: root.sealers,
    ...(sm2Id === undefined ? {} : { sm2Id }),
    suite: root.suite.name,
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
  checks: { verifySignature: KeySignatureCheck },
): { checkpoint: Checkpoint; quorum: QuorumReport } {
  const verifiers = sealerVerifiers(root, checks.verifySignature);
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(note, verifiers, root.log);
  } catch (e) {
    // openCheckpoint throws ChainError only, a failing or throwing verify included (verifyNote).
    throw new EvidenceError("CHECKPOINT_UNTRUSTED", (e as ChainError).message);
  }
  return {
    checkpoint,
    quorum: checkWitnessQuorum(
      note,
      { witnesses: root.witnesses, threshold: root.quorum },
      checks.verifySignature,
    ),
  };
}

/** The root's sealer keys as note verifiers, checked with the ledger's signature check. */
export function sealerVerifiers(root: TrustRoot, check: KeySignatureCheck): NoteVerifier[] {
  return root.sealers.map((k) => noteVerifierOf(k, check));
}
