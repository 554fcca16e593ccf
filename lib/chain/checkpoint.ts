import { fromBase64, toBase64 } from "./bytes.js";
import { ChainError } from "./errors.js";
import { type NoteVerifier, noteMessage, verifyNote } from "./note.js";
import { HASH_SIZE } from "./rfc6962.js";

/**
 * C2SP tlog-checkpoints (c2sp.org/tlog-checkpoint, docs/formats/checkpoint.md §2): the
 * text of a signed note, each line ending in "\n":
 *
 *   zhixin.example/demo                              origin, non-empty
 *   20852163                                         tree size, decimal, no leading zeros
 *   CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=     base64 RFC 6962 root, 32 bytes
 *   <extension lines>                                optional, opaque, non-empty
 *
 * Sizes are limited to 2^53 - 1 like every tree size in lib/chain. All failures are
 * ChainError("INVALID_NOTE").
 */

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions: string[];
}

export interface CheckpointInput {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions?: readonly string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

function fail(message: string): never {
  throw new ChainError("INVALID_NOTE", message);
}

/** The checkpoint's note text (what the log signs). */
export function formatCheckpoint(checkpoint: CheckpointInput): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (typeof origin !== "string" || origin === "" || origin.includes("\n")) {
    fail("checkpoint origin must be a non-empty single line");
  }
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    fail(`checkpoint size must be a non-negative safe integer, got ${String(size)}`);
  }
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== HASH_SIZE) {
    fail(`checkpoint root hash must be ${HASH_SIZE} bytes`);
  }
  if (!Array.isArray(extensions)) fail("checkpoint extensions must be an array of lines");
  extensions.forEach((line, i) => {
    if (typeof line !== "string" || line === "" || line.includes("\n")) {
      fail(`checkpoint extension ${i + 1} must be a non-empty single line`);
    }
  });
  const text = [origin, String(size), toBase64(rootHash), ...extensions].map((l) => `${l}\n`).join("");
  // Control characters, lone surrogates and oversize text are caught here, as for any note.
  noteMessage(text);
  return text;
}

/** Strict parse of a checkpoint's note text. Does not check signatures: see openCheckpoint. */
export function parseCheckpoint(text: string): Checkpoint {
  noteMessage(text);
  const lines = text.slice(0, -1).split("\n");
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  if (origin === undefined || sizeLine === undefined || rootLine === undefined) {
    fail(`checkpoint has ${lines.length} lines, want at least 3 (origin, size, root hash)`);
  }
  const empty = lines.indexOf("");
  if (empty >= 0) fail(`checkpoint line ${empty + 1} is empty; every line must be non-empty`);
  if (!DECIMAL.test(sizeLine)) {
    fail(`checkpoint size ${JSON.stringify(sizeLine)} is not a decimal number without leading zeros`);
  }
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) fail(`checkpoint size ${sizeLine} is above 2^53 - 1`);
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64(rootLine);
  } catch {
    fail("checkpoint root hash is not canonical base64");
  }
  if (rootHash.length !== HASH_SIZE) {
    fail(`checkpoint root hash is ${rootHash.length} bytes, want ${HASH_SIZE}`);
  }
  return { origin, size, rootHash, extensions };
}

/**
 * Verifies a signed checkpoint against the known keys (see verifyNote), then parses its
 * text. With `origin`, also requires the checkpoint to be for that log: a key trusted for
 * one log must not vouch for a checkpoint that claims to be another's.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  origin?: string,
): Checkpoint {
  const { text } = verifyNote(note, verifiers);
  const checkpoint = parseCheckpoint(text);
  if (origin !== undefined && checkpoint.origin !== origin) {
    fail(`checkpoint origin ${JSON.stringify(checkpoint.origin)} is not ${JSON.stringify(origin)}`);
  }
  return checkpoint;
}
