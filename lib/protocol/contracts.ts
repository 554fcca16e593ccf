import { z } from "zod";
import { type CryptoSuite, contentDigest, type JsonValue } from "#chain";

/**
 * Sharing contracts as records (docs/design/sharing.md): the record types, the contract
 * document and the approve and revoke records' data, a contract version's id, and the
 * contract as GET /v1/contracts/{id} shows it. The CLI builds these; functions/rules
 * checks them and folds a contract's records into its state.
 */

export const CONTRACT_PROPOSE = "zhixin.contract.propose";

export const CONTRACT_APPROVE = "zhixin.contract.approve";

export const CONTRACT_REVOKE = "zhixin.contract.revoke";

const CONTRACT_TYPES = [CONTRACT_PROPOSE, CONTRACT_APPROVE, CONTRACT_REVOKE] as const;

export function isContractType(type: string): boolean {
  return (CONTRACT_TYPES as readonly string[]).includes(type);
}

const Identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lowercase letters, digits and '-', 2 to 63 characters");

const FieldName = z.string().min(1).max(128);

const FieldList = z
  .array(FieldName)
  .min(1)
  .max(32)
  .refine((f) => new Set(f).size === f.length, "field names must be distinct");

const Timestamp = z.iso.datetime({ message: "an RFC 3339 UTC time, e.g. 2026-01-01T00:00:00Z" });

export const SHARE_CLASSES = ["unconditional", "conditional", "none"] as const;

export type ShareClass = (typeof SHARE_CLASSES)[number];

/**
 * The contract document (docs/FORMATS.md §9). `match`: fields the consumer may put
 * predicates on (answer yes/no); `fields`: fields it may have returned. `conditional`
 * contracts answer only requests that present the subject's authorisation.
 */
export const ContractDocumentSchema = z
  .object({
    id: Identifier,
    provider: Identifier,
    consumer: Identifier,
    type: z.string().min(1).max(128),
    purpose: z.string().min(1).max(500),
    share: z.enum(SHARE_CLASSES),
    match: FieldList.optional(),
    fields: FieldList.optional(),
    validFrom: Timestamp,
    validUntil: Timestamp,
    rateLimit: z.object({ perMinute: z.number().int().min(1).max(100_000) }).strict(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.provider === c.consumer)
      ctx.addIssue({ code: "custom", path: ["consumer"], message: "consumer must differ from provider" });
    if (Date.parse(c.validUntil) <= Date.parse(c.validFrom))
      ctx.addIssue({ code: "custom", path: ["validUntil"], message: "validUntil must be after validFrom" });
    if (c.share !== "none" && c.match === undefined && c.fields === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["match"],
        message: "a contract that shares needs match or fields",
      });
  });

export type ContractDocument = z.infer<typeof ContractDocumentSchema>;

export const ApproveSchema = z
  .object({ contractId: Identifier, version: z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits") })
  .strict();

export const RevokeSchema = z.object({ contractId: Identifier, reason: z.string().min(1).max(500) }).strict();

/** A contract version: hex H of the document's canonical JSON (H: the ledger suite's hash). */
export function contractVersion(suite: CryptoSuite, doc: ContractDocument): string {
  return contentDigest(suite, doc as unknown as JsonValue);
}

export type VersionStatus = "proposed" | "approved" | "superseded" | "revoked";

export interface ContractVersion {
  version: string;
  doc: ContractDocument;
  status: VersionStatus;
  proposedBy: string;
  proposeEntry: string;
  proposedAt: string;
  approvedBy?: string;
  approveEntry?: string;
  approvedAt?: string;
}

export interface ContractState {
  id: string;
  provider: string;
  consumer: string;
  /** Oldest first. */
  versions: ContractVersion[];
  revokedAt?: string;
  revokeEntry?: string;
}

/**
 * GET /v1/contracts/{id}: a contract's state as folded from its committed records —
 * every version with who proposed and approved it (and the entries that did), whether
 * it was revoked, and which version is in effect now. Contracts are ledger records that
 * every member may read, like envelopes.
 */
export interface ContractView extends ContractState {
  /** The version answering requests now, or why none does. */
  effective: { version: string } | { version: null; reason: string };
}

/** Contracts listed at most by GET /v1/contracts: the first, by id. */
export const MAX_CONTRACT_LIST = 1000;

/**
 * GET /v1/contracts: the contracts the caller is a party to (every contract, for an
 * auditor), by id, each as GET /v1/contracts/{id} shows it.
 */
export interface ContractList {
  contracts: ContractView[];
  /** True when there are more than MAX_CONTRACT_LIST: the first MAX_CONTRACT_LIST by id are shown. */
  truncated: boolean;
}
