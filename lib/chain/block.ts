import { utf8 } from "./bytes.js";
import { canonicalJson } from "./canonical.js";
import { ChainError } from "./errors.js";
import {
  asObject,
  HEX32,
  IDENTIFIER,
  requireExactKeys,
  requireInteger,
  requireString,
  TIMESTAMP,
} from "./fields.js";
import { type CryptoSuite, isSuiteName, type SuiteName } from "./suite.js";

/**
 * Block headers (docs/FORMATS.md §3).
 *
 *   header bytes = "zhixin/block-header/v1\n" || JCS(header)
 *   block hash   = H(header bytes), H the suite's hash
 *   signature    = the sealer's signature over header bytes
 *
 * The tag keeps a header from ever hashing like a leaf (those start 0x00) or a node
 * (0x01). Heights start at 1; block 1's `prev` is 64 zeros, and block 1 — the genesis
 * block — alone carries `suite`, the ledger's crypto suite (suite.ts), so that a verifier
 * reads which hash and signatures the ledger uses from the ledger itself, under the
 * sealer's signature, and never guesses.
 */

export const BLOCK_HEADER_VERSION = 1;
export const BLOCK_HEADER_TAG = "zhixin/block-header/v1\n";
export const GENESIS_PREV = "0".repeat(64);

export interface BlockHeader {
  v: 1;
  /** The log's origin (checkpoint origin line), e.g. "zhixin.example/demo". */
  log: string;
  height: number;
  /** Hex block hash of height - 1; GENESIS_PREV for height 1. */
  prev: string;
  /** Hex RFC 6962 root over this block's entry leaf hashes. */
  root: string;
  /** Global log index of this block's first entry (= the previous block's logSize). */
  first: number;
  /** Entries in this block, >= 1. */
  count: number;
  /** first + count: leaves in the global log after this block. */
  logSize: number;
  /** Hex RFC 6962 root over all logSize leaves of the global log. */
  logRoot: string;
  /** Seal time, RFC 3339 UTC with milliseconds. */
  sealedAt: string;
  /** Key id of the sealer's signing key. */
  sealer: string;
  /**
   * The genesis block's (height 1) only: the ledger's crypto suite. A genesis header
   * without it was sealed before suites were recorded, when the only one was intl.
   */
  suite?: SuiteName;
}

/** The suite a genesis header records (intl when it records none, see BlockHeader.suite). */
export function genesisSuite(header: BlockHeader): SuiteName {
  return header.suite ?? "intl";
}

const HEADER_KEYS = [
  "v",
  "log",
  "height",
  "prev",
  "root",
  "first",
  "count",
  "logSize",
  "logRoot",
  "sealedAt",
  "sealer",
];

export function blockHeaderBytes(header: BlockHeader): Uint8Array {
  return utf8(BLOCK_HEADER_TAG + canonicalJson(header as unknown as Record<string, unknown>));
}

export function hashBlockHeader(suite: CryptoSuite, header: BlockHeader): Uint8Array {
  return suite.hash(blockHeaderBytes(header));
}

/** Strict parse; also checks logSize = first + count. Throws INVALID_FORMAT naming the field. */
export function parseBlockHeader(value: unknown): BlockHeader {
  const o = asObject(value, "header");
  requireExactKeys(o, o.suite === undefined ? HEADER_KEYS : [...HEADER_KEYS, "suite"], "header");
  if (o.v !== BLOCK_HEADER_VERSION)
    throw new ChainError("INVALID_FORMAT", `header.v must be ${BLOCK_HEADER_VERSION}`);
  const header: BlockHeader = {
    v: BLOCK_HEADER_VERSION,
    log: requireString(o, "log", "header", /^[\x21-\x7e]{1,255}$/),
    height: requireInteger(o, "height", "header", 1),
    prev: requireString(o, "prev", "header", HEX32),
    root: requireString(o, "root", "header", HEX32),
    first: requireInteger(o, "first", "header"),
    count: requireInteger(o, "count", "header", 1),
    logSize: requireInteger(o, "logSize", "header", 1),
    logRoot: requireString(o, "logRoot", "header", HEX32),
    sealedAt: requireString(o, "sealedAt", "header", TIMESTAMP),
    sealer: requireString(o, "sealer", "header", IDENTIFIER),
  };
  if (header.logSize !== header.first + header.count) {
    throw new ChainError("INVALID_FORMAT", "header.logSize must equal header.first + header.count");
  }
  if (o.suite === undefined) return header;
  if (header.height !== 1) throw new ChainError("INVALID_FORMAT", "header.suite is the genesis block's only");
  if (!isSuiteName(o.suite)) throw new ChainError("INVALID_FORMAT", "header.suite must be intl or gm");
  return { ...header, suite: o.suite };
}
