import {
  type Checkpoint,
  concatBytes,
  fromBase64,
  fromUtf8,
  HASH_SIZE,
  isValidKeyName,
  MAX_NOTE_SIZE,
  NOTE_KEY_HASH_SIZE,
  type NoteSignature,
  parseCheckpoint,
  parseSignedNote,
  type SignedNote,
  toBase64,
  utf8,
} from "#chain";
import { type AddCheckpointCode, AddCheckpointError, WitnessError } from "./errors.js";

/**
 * The bodies of POST <submission prefix>/add-checkpoint and of its answers,
 * c2sp.org/tlog-witness (docs/formats/witness.md §3): the witness parses the request and
 * formats the answer; a log formats the request and parses the answer. Deciding on a
 * parsed request is add-checkpoint.ts.
 *
 * The request body:
 *
 *   "old " <size the client believes this witness last cosigned> "\n"
 *   <base64 RFC 6962 consistency proof hash> "\n"       (0 to 63 lines)
 *   "\n"
 *   <signed checkpoint note>
 *
 * The answers: 200 with one or more note signature lines ("— <name> <base64>\n"), or 409
 * with "<stored size>\n" as text/x.tlog.size; every other status has no body the spec defines.
 */

/** "The client MUST NOT send more than 63 consistency proof lines." */
export const MAX_PROOF_LINES = 63;
/**
 * Largest request body: the old size line (at most 21 bytes), 63 proof lines of 45 bytes
 * and the blank line fit in 4 KiB, then a note of at most MAX_NOTE_SIZE.
 */
export const MAX_ADD_CHECKPOINT_BODY = 4096 + MAX_NOTE_SIZE;
/** Content-Type of the 409 answer, whose body is the witness's size in decimal and "\n". */
export const TLOG_SIZE_CONTENT_TYPE = "text/x.tlog.size";

export interface AddCheckpointRequest {
  oldSize: number;
  /** The consistency proof from oldSize to the checkpoint's size, 32-byte hashes. */
  proof: Uint8Array[];
  /** The checkpoint note as sent: text and every signature line, none checked yet. */
  note: SignedNote;
  /** The note's text parsed. Not to be acted on before the log's signature is verified. */
  checkpoint: Checkpoint;
}

function bad(code: AddCheckpointCode, message: string): never {
  throw new AddCheckpointError(code, message);
}

const OLD_SIZE_LINE = /^old (0|[1-9][0-9]*)$/;

/** Parses an add-checkpoint body; every malformed body is an AddCheckpointError (status 400). */
export function parseAddCheckpointRequest(body: string | Uint8Array): AddCheckpointRequest {
  let text: string;
  if (body instanceof Uint8Array) {
    if (body.length > MAX_ADD_CHECKPOINT_BODY) {
      bad("REQUEST_TOO_LARGE", `body is ${body.length} bytes, over ${MAX_ADD_CHECKPOINT_BODY}`);
    }
    try {
      text = fromUtf8(body);
    } catch {
      bad("REQUEST_NOT_UTF8", "body is not valid UTF-8");
    }
  } else if (typeof body === "string") {
    if (!body.isWellFormed()) bad("REQUEST_NOT_UTF8", "body has a lone surrogate");
    const size = utf8(body).length;
    if (size > MAX_ADD_CHECKPOINT_BODY) bad("REQUEST_TOO_LARGE", `body is ${size} bytes`);
    text = body;
  } else {
    bad("REQUEST_NOT_UTF8", "body must be text or bytes");
  }

  let pos = 0;
  // Each line must end in "\n"; undefined when the body ends first.
  const nextLine = (): string | undefined => {
    const end = text.indexOf("\n", pos);
    if (end < 0) return undefined;
    const line = text.slice(pos, end);
    pos = end + 1;
    return line;
  };

  const oldLine = nextLine();
  const match = oldLine === undefined ? null : OLD_SIZE_LINE.exec(oldLine);
  if (!match) bad("OLD_SIZE_LINE_INVALID", 'the first line must be "old <size>": decimal, no leading zeros');
  const oldSize = Number(match[1]);
  if (!Number.isSafeInteger(oldSize)) bad("OLD_SIZE_LINE_INVALID", "old size is above 2^53 - 1");

  const proof: Uint8Array[] = [];
  for (;;) {
    const line = nextLine();
    if (line === undefined) bad("BLANK_LINE_MISSING", "no empty line between the proof and the checkpoint");
    if (line === "") break;
    if (proof.length === MAX_PROOF_LINES) {
      bad("TOO_MANY_PROOF_LINES", `more than ${MAX_PROOF_LINES} consistency proof lines`);
    }
    let hash: Uint8Array;
    try {
      hash = fromBase64(line);
    } catch {
      bad("PROOF_LINE_INVALID", `proof line ${proof.length + 1} is not canonical base64`);
    }
    if (hash.length !== HASH_SIZE) {
      bad("PROOF_LINE_INVALID", `proof line ${proof.length + 1} is ${hash.length} bytes, want ${HASH_SIZE}`);
    }
    proof.push(hash);
  }

  let note: SignedNote;
  let checkpoint: Checkpoint;
  try {
    note = parseSignedNote(text.slice(pos));
    checkpoint = parseCheckpoint(note.text);
  } catch (e) {
    bad("CHECKPOINT_MALFORMED", e instanceof Error ? e.message : String(e));
  }
  return { oldSize, proof, note, checkpoint };
}

/** The body a log sends (the inverse of parseAddCheckpointRequest). */
export function formatAddCheckpointRequest(
  oldSize: number,
  proof: readonly Uint8Array[],
  checkpointNote: string,
): string {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0) {
    throw new WitnessError("INVALID_INPUT", `old size must be a non-negative safe integer, got ${oldSize}`);
  }
  if (proof.length > MAX_PROOF_LINES || proof.some((h) => h.length !== HASH_SIZE)) {
    throw new WitnessError(
      "INVALID_INPUT",
      `a proof is at most ${MAX_PROOF_LINES} hashes of ${HASH_SIZE} bytes`,
    );
  }
  const body = `old ${oldSize}\n${proof.map((h) => `${toBase64(h)}\n`).join("")}\n${checkpointNote}`;
  // What this side sends must be what the witness side accepts.
  try {
    parseAddCheckpointRequest(body);
  } catch (e) {
    throw new WitnessError("INVALID_INPUT", `not a valid request: ${(e as Error).message}`);
  }
  return body;
}

/** The 200 body: one note signature line per cosignature, each ending in "\n". */
export function formatCosignatureResponse(cosignatures: readonly NoteSignature[]): string {
  if (cosignatures.length === 0) {
    throw new WitnessError("INVALID_INPUT", "a 200 answer has at least one line");
  }
  for (const c of cosignatures) {
    if (!isValidKeyName(c.name) || c.keyHash.length !== NOTE_KEY_HASH_SIZE || c.signature.length === 0) {
      throw new WitnessError("INVALID_INPUT", `not a signature line: ${JSON.stringify(c.name)}`);
    }
  }
  return cosignatures
    .map((c) => `\u2014 ${c.name} ${toBase64(concatBytes(c.keyHash, c.signature))}\n`)
    .join("");
}

function notLines(why: string): never {
  throw new WitnessError("INVALID_INPUT", `the answer is not a sequence of signature lines: ${why}`);
}

/**
 * The signature lines of a 200 body, read as the spec suggests: appended to the checkpoint
 * note (which the caller sent, so a bad one is a ChainError INVALID_NOTE) and parsed as one
 * note. Not verified: see verifyCosignature. A body that is not one or more signature
 * lines is WitnessError INVALID_INPUT.
 */
export function parseCosignatureResponse(checkpointNote: string, body: string): NoteSignature[] {
  const before = parseSignedNote(checkpointNote);
  let after: SignedNote;
  try {
    after = parseSignedNote(checkpointNote + body);
  } catch (e) {
    notLines((e as Error).message);
  }
  // A body starting with a blank line would move the text/signature split.
  if (after.text !== before.text) notLines("it starts with an empty line");
  const lines = after.signatures.slice(before.signatures.length);
  if (lines.length === 0) notLines("it is empty");
  return lines;
}

/** The witness's size from a 409 body ("<size>\n"). */
export function parseConflictResponse(body: string): number {
  const match = /^(0|[1-9][0-9]*)\n$/.exec(body);
  const size = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(size)) {
    throw new WitnessError(
      "INVALID_INPUT",
      `a 409 body is a size and a newline, got ${JSON.stringify(body)}`,
    );
  }
  return size;
}
