import { readFile, writeFile } from "node:fs/promises";
import { type CryptoSuite, canonicalJson, fromUtf8, type JsonValue, parseJson, toHex, utf8 } from "#chain";
import { keySignatureCheckOf } from "../../lib/crypto/verify.js";
import {
  checkFileDigest,
  type EvidenceChecks,
  EvidenceError,
  type EvidenceErrorCode,
  parseEvidenceBundle,
  parseTrustRoot,
  type TrustRoot,
  type VerifiedEvidence,
  verifyEvidenceBundle,
} from "../../lib/evidence/index.js";
import { witnessNames } from "../../lib/witness/index.js";
import { InputError } from "../input.js";
import { UsageError, type Values } from "../usage.js";
import { type Context, optionalString } from "./context.js";

/**
 * `zhixin evidence <id>`: an entry's evidence bundle, fetched from the ledger and written to
 * a file; and `zhixin verify --bundle`: that file checked against a trust root on this
 * machine alone (docs/formats/evidence.md), with no network — what a court does years
 * later, with the bundle, the trust root and the file it is shown. Both say in one plain
 * sentence what the bundle proves or why it does not: the readers are judges and clerks,
 * many reading English as a second language.
 */

/** lib/evidence's signature checks, by node:crypto (lib/crypto/verify.ts). */
/** A bundle's signatures are checked under the trust root's suite (its SM2 identifier, under gm). */
function checksOf(root: TrustRoot): EvidenceChecks {
  return { verifySignature: keySignatureCheckOf(root.suite) };
}

/** What each refusal means, in plain words (the code and the technical message come first). */
const PLAIN: Record<EvidenceErrorCode, string> = {
  TRUST_ROOT_INVALID: "The trust root file is not a trust root (zhixin trust export writes one).",
  BUNDLE_INVALID: "The bundle file is damaged, or is not an evidence bundle.",
  CHECKPOINT_UNTRUSTED:
    "The bundle was not signed by the log named in the trust root: nothing in it can be believed.",
  WITNESS_SIGNATURE_INVALID: "A witness signature in the bundle has been changed or forged.",
  CHECKPOINT_UNWITNESSED:
    "Too few witnesses signed the bundle's copy of the log: it may be a forked copy that other members never saw.",
  INCLUSION_PROOF_INVALID: "The bundle does not prove that the record is in the log.",
  ENTRY_BINDING_INVALID: "The record in the bundle is not what its writer signed.",
  RECEIVED_AT_INVALID: "The time recorded for the record is not the time its writer signed it.",
  PAYLOAD_MISMATCH: "The record's content is not the content its writer signed.",
  KEY_HISTORY_INVALID: "The key records in the bundle are not valid.",
  KEY_UNKNOWN: "The bundle does not show that the key which signed the record belongs to its writer.",
  KEY_REVOKED:
    "The key that signed the record had been reported as stolen or compromised before the record was made.",
  KEY_NOT_VALID_AT_TIME: "The key that signed the record was not in use when the record was made.",
  ENTRY_SIGNATURE_INVALID: "The writer's signature on the record is not valid.",
  PAYLOAD_WITHHELD:
    "The bundle does not contain the record's content, so the file cannot be checked: pass the record's data with --payload, or ask its writer for the bundle.",
  DIGEST_FIELD_INVALID: "The record holds no SHA-256 in that field (see --field).",
  FILE_MISMATCH: "This file is NOT the one that was recorded: its SHA-256 is different.",
};

const ENTRY_ID = /^[0-9a-f]{32}$/;
const COUNT = /^(0|[1-9][0-9]{0,2})$/;

// ---- zhixin evidence ----------------------------------------------------------------------

export async function runEvidence(ctx: Context, values: Values, [id]: string[]): Promise<number> {
  if (id === undefined || !ENTRY_ID.test(id)) {
    throw new UsageError(
      `entry ids are 32 lowercase hex digits, got ${JSON.stringify(id ?? "")}`,
      "evidence",
    );
  }
  const out = optionalString(values, "out");
  const rootFile = optionalString(values, "trust-root");
  // A trust root that cannot be read stops the command before the ledger is asked.
  const root = rootFile === undefined ? undefined : await readTrustRoot(rootFile);
  if (root instanceof EvidenceError) return refuse(root, "trust root", false);
  const bundle = await (await ctx.client()).evidence(id);
  if (out === undefined) process.stdout.write(bundle);
  else await writeFile(out, bundle);
  const where = out === undefined ? "" : ` It is in ${out}.`;

  if (root === undefined) {
    let parsed: ReturnType<typeof parseEvidenceBundle>;
    try {
      parsed = parseEvidenceBundle(bundle);
    } catch (e) {
      if (e instanceof EvidenceError) return refuse(e, "bundle", false);
      throw e;
    }
    const { envelope, inclusion, payload } = parsed.entry;
    const records = parsed.keyRecords.length;
    say(
      `Evidence bundle of entry ${id}: ${envelope.type} by ${envelope.dept}, received at ${envelope.receivedAt}, ` +
        `at position ${inclusion.index} of the log's first ${inclusion.size} entries; ` +
        `${records} key record${records === 1 ? "" : "s"}; content ${payload === null ? "withheld (you may not read it)" : "included"}.${where}`,
      `Not checked here: check it with \`zhixin verify --bundle <file> --trust-root <file>\`.`,
    );
    return 0;
  }
  try {
    const proven = verifyEvidenceBundle(bundle, root, checksOf(root));
    say(provenSentence(proven, root, "record") + where, CAVEAT_SHORT);
    return 0;
  } catch (e) {
    if (e instanceof EvidenceError) return refuse(e, "bundle", false);
    throw e;
  }
}

// ---- zhixin verify --bundle ---------------------------------------------------------------

/** `zhixin verify --bundle`: reads files only; never the network (nor ZHIXIN_URL). */
export async function runVerifyBundle(values: Values): Promise<number> {
  for (const flag of ["from", "to", "entry", "trust", "forget", "function", "region"]) {
    if (values[flag] !== undefined)
      throw new UsageError(`--bundle cannot be combined with --${flag}`, "verify");
  }
  const bundleFile = optionalString(values, "bundle") as string;
  const rootFile = optionalString(values, "trust-root");
  if (rootFile === undefined) {
    throw new UsageError(
      "--bundle needs --trust-root <file>: the trust root the bundle is checked against (zhixin trust export)",
      "verify",
    );
  }
  const file = optionalString(values, "file");
  const field = optionalString(values, "field");
  if (field !== undefined && file === undefined) throw new UsageError("--field goes with --file", "verify");
  const payloadFile = optionalString(values, "payload");
  const min = values["min-witnesses"];
  if (min !== undefined && !COUNT.test(String(min))) {
    throw new UsageError(
      `--min-witnesses is a count of witnesses (0 or more), got ${JSON.stringify(min)}`,
      "verify",
    );
  }

  const root = await readTrustRoot(rootFile);
  if (root instanceof EvidenceError) return refuse(root, "trust root", true);
  const minWitnesses = min === undefined ? undefined : Number(min);
  const witnessCount = witnessNames(root.witnesses).length;
  if (minWitnesses !== undefined && minWitnesses > witnessCount) {
    throw new UsageError(
      `--min-witnesses ${minWitnesses}: the trust root names ${witnessCount} witness(es)`,
      "verify",
    );
  }
  const [bundle, fileBytes, payloadBytes] = await Promise.all([
    readBytes(bundleFile),
    file === undefined ? undefined : readBytes(file),
    payloadFile === undefined ? undefined : readBytes(payloadFile),
  ]);

  let proven: VerifiedEvidence;
  let fileCheck: { field: string; sha256: string } | undefined;
  try {
    proven = verifyEvidenceBundle(
      bundle,
      root,
      checksOf(root),
      minWitnesses === undefined ? {} : { minWitnesses },
    );
    const payload =
      payloadBytes === undefined ? proven.payload : checkPayloadFile(payloadBytes, proven, root.suite);
    if (fileBytes !== undefined) fileCheck = checkFileDigest(fileBytes, { payload }, field);
  } catch (e) {
    if (e instanceof EvidenceError) return refuse(e, "bundle", true);
    throw e;
  }
  process.stdout.write(
    `${JSON.stringify({ ok: true, ...proven, ...(fileCheck ? { file: fileCheck } : {}) }, null, 2)}\n`,
  );
  say(provenSentence(proven, root, fileCheck ? "file" : "record"), CAVEAT_SHORT);
  return 0;
}

/** The --payload file is not the record's data: the bundle may still be sound. */
class PayloadFileMismatch extends EvidenceError {
  constructor(message: string) {
    super("PAYLOAD_MISMATCH", message);
  }
}

/**
 * The record's data as a file (what was submitted: one JSON object) against the
 * proven contentDigest, H(JCS(data)) with the trust root's suite's H (docs/FORMATS.md §1:
 * SHA-256, or SM3 under gm): PAYLOAD_MISMATCH otherwise.
 */
function checkPayloadFile(
  bytes: Uint8Array,
  proven: VerifiedEvidence,
  suite: CryptoSuite,
): VerifiedEvidence["payload"] {
  let data: JsonValue;
  try {
    data = parseJson(fromUtf8(bytes));
  } catch (e) {
    throw new PayloadFileMismatch(`the --payload file is not JSON text: ${(e as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new PayloadFileMismatch("the --payload file is not a JSON object");
  const text = canonicalJson(data);
  const digest = toHex(suite.hash(utf8(text)));
  if (digest !== proven.entry.contentDigest) {
    throw new PayloadFileMismatch(
      `the --payload file's canonical JSON has ${suite.hashName} ${digest}; the record's contentDigest is ${proven.entry.contentDigest}`,
    );
  }
  return { text, data };
}

// ---- what it says -------------------------------------------------------------------------

const CAVEAT_SHORT =
  "Note: the key was checked against the key records in the bundle only; a full audit of the log sees every key record.";

/** "This file was recorded by internet-court at …, signed with key …, included in the log at position …, witnessed by 3 of 3 witnesses." */
export function provenSentence(proven: VerifiedEvidence, root: TrustRoot, what: "file" | "record"): string {
  const subject =
    what === "file"
      ? "This file"
      : `This ${proven.entry.kind === "access" ? "access entry" : "record"} (${proven.entry.type})`;
  const { witnesses, minWitnesses } = proven.checkpoint;
  return (
    `${subject} was recorded by ${proven.entry.writer} at ${proven.entry.receivedAt}, ` +
    `signed with key ${proven.signingKey.keyId}, included in the log at position ${proven.entry.logIndex}, ` +
    `witnessed by ${witnesses.length} of ${witnessNames(root.witnesses).length} witnesses (${minWitnesses} needed).`
  );
}

function say(...lines: string[]): void {
  process.stderr.write(`${lines.join("\n")}\n`);
}

/**
 * A refusal: the code and the plain sentence on stderr, and with `json` its code, message
 * and pointer as JSON on stdout, for scripts (`zhixin verify`; `zhixin evidence`'s stdout
 * may be the bundle). Exit 1 for the bundle's; 2 for a trust root that is not one (the
 * caller's file, not the evidence).
 */
function refuse(e: EvidenceError, of: "bundle" | "trust root", json: boolean): number {
  if (json) {
    const error = {
      code: e.code,
      message: e.message,
      ...(e.pointer === undefined ? {} : { pointer: e.pointer }),
    };
    process.stdout.write(`${JSON.stringify({ ok: false, error }, null, 2)}\n`);
  }
  const plain =
    e instanceof PayloadFileMismatch
      ? "The --payload file is not the record's data: its content is not what was recorded."
      : PLAIN[e.code];
  say(`zhixin: ${e.code}: ${e.message}`, plain);
  return of === "trust root" ? 2 : 1;
}

async function readTrustRoot(file: string): Promise<TrustRoot | EvidenceError> {
  const text = fromUtf8Lenient(await readBytes(file));
  try {
    return parseTrustRoot(text);
  } catch (e) {
    if (e instanceof EvidenceError) return e;
    throw e;
  }
}

function fromUtf8Lenient(bytes: Uint8Array): string {
  try {
    return fromUtf8(bytes);
  } catch {
    return ""; // not UTF-8: parseTrustRoot refuses it as not JSON
  }
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
