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
import {
  type CryptoSuite,
  isSuiteName,
  ownSm2Id,
  recordedSm2IdProblem,
  type SuiteName,
  suiteNamed,
} from "./suite.js";

/**
 * Block headers (docs/FORMATS.md §3).
 *
 *   header bytes = "zhixin/block-header/v1\n" || JCS(header)
 *   block hash   = H(header bytes), H the suite's hash
 *   signature    = the sealer's signature over header bytes
 *
 * The tag keeps a header from ever hashing like a leaf (those start 0x00) or a node
 * (0x01). Heights start at 1; block 1's `prev` is 64 zeros, and block 1 — the genesis
 * block — alone carries `suite`, the ledger's crypto suite (suite.ts), and under gm with
 * an identifier other than the default `sm2Id`, so that a verifier reads which hash and
 * signatures the ledger uses from the ledger itself, under the sealer's signature, and
 * never guesses.
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
  /**
   * The genesis block's only, under gm only, and only when it is not SM2_DEFAULT_ID: the
   * SM2 identifier every signature of the ledger binds (suite.ts CryptoSuite.sm2Id). One
   * value has one form, so the default is never written.
   */
  sm2Id?: string;
}

/** The suite a genesis header records (intl when it records none, see BlockHeader.suite). */
export function genesisSuite(header: BlockHeader): SuiteName {
  return header.suite ?? "intl";
}

/** The suite a genesis header records, with its SM2 identifier: what the ledger was sealed under. */
export function genesisCryptoSuite(header: BlockHeader): CryptoSuite {
  return suiteNamed(genesisSuite(header), header.sm2Id);
}

/** The genesis header's suite fields for `suite`: `suite`, and `sm2Id` unless it is the default. */
export function genesisSuiteFields(suite: CryptoSuite): Pick<BlockHeader, "suite" | "sm2Id"> {
  const sm2Id = ownSm2Id(suite);
  return sm2Id === undefined ? { suite: suite.name } : { suite: suite.name, sm2Id };
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
  requireExactKeys(
    o,
    [
      ...HEADER_KEYS,
      ...(o.suite === undefined ? [] : ["suite"]),
      ...(o.sm2Id === undefined ? [] : ["sm2Id"]),
    ],
    "header",
  );
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
  const sm2IdProblem = recordedSm2IdProblem(o.suite, o.sm2Id);
  if (sm2IdProblem !== undefined) throw new ChainError("INVALID_FORMAT", `header.${sm2IdProblem}`);
  if (o.suite === undefined) return header;
  if (header.height !== 1) throw new ChainError("INVALID_FORMAT", "header.suite is the genesis block's only");
  if (!isSuiteName(o.suite)) throw new ChainError("INVALID_FORMAT", "header.suite must be intl or gm");
  return o.sm2Id === undefined
    ? { ...header, suite: o.suite }
    : { ...header, suite: o.suite, sm2Id: o.sm2Id as string };
}
