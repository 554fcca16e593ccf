import { z } from "zod";
import { MAX_SUBJECT_BYTES } from "#chain";
import type { EntryView } from "./entries.js";
import type { ApiErrorCode } from "./errors.js";

/**
 * The match question and its answer (POST /v1/match), what an access entry records, and
 * the access trail (GET /v1/access): docs/design/sharing.md and docs/API.md.
 */

export const OPERATORS = ["=", "!=", ">=", "<=", ">", "<"] as const;

export type Operator = (typeof OPERATORS)[number];

export const MAX_MATCH_BODY_BYTES = 16 * 1024;

const Predicate = z
  .object({
    field: z.string().min(1).max(128),
    op: z.enum(OPERATORS),
    value: z.union([z.string().max(1024), z.number(), z.boolean()]),
  })
  .strict();

/** A subject as a request body carries it: 1 to MAX_SUBJECT_BYTES UTF-8 bytes. */
const Subject = z
  .string()
  .min(1)
  .refine(
    (s) => new TextEncoder().encode(s).length <= MAX_SUBJECT_BYTES,
    `at most ${MAX_SUBJECT_BYTES} bytes`,
  );

export const MatchBody = z
  .object({
    contract: z.string().min(1).max(63),
    subject: Subject,
    where: z.array(Predicate).max(16).default([]),
    /** "match": a yes/no answer; "fields": the contract's fields of the record (when it matches). */
    want: z.enum(["match", "fields"]).default("match"),
    /** The subject's authorisation (conditional contracts): a reference and the SHA-256 of the signed consent. */
    authorisation: z
      .object({
        ref: z.string().min(1).max(200),
        digest: z.string().regex(/^[0-9a-f]{64}$/, "hex SHA-256 of the signed authorisation"),
      })
      .strict()
      .optional(),
  })
  .strict();

export type MatchRequest = z.infer<typeof MatchBody>;

/**
 * What an access entry records (its payload; docs/FORMATS.md §8): names, never values,
 * of the fields tested or returned, and the subject only as its keyed HMAC.
 */
export interface AccessDetails {
  contract: string;
  /** The contract version that allowed (or, when refused for its state, was considered for) the request. */
  version?: string;
  provider?: string;
  type?: string;
  subjectHmac: string;
  want: "match" | "fields";
  fieldsTested: string[];
  fieldsReturned: string[];
  result: "match" | "no-match" | "refused";
  refusal?: ApiErrorCode;
  /** The provider's record the answer was drawn from (absent when there is none). */
  record?: string;
  authorisation?: { ref: string; digest: string };
}

export interface MatchAnswer {
  match: boolean;
  contract: { id: string; version: string };
  accessEntryId: string;
  /** Only under a `fields` contract, when asked for and the record matches: the allowed fields. */
  fields?: Record<string, unknown>;
}

/** Accesses returned at most: the newest ones. */
export const MAX_TRAIL = 1000;

/** One recorded access as the trails show it: what it recorded, who asked, and its entry (with proof once sealed). */
export interface TrailAccess {
  access: AccessDetails;
  consumer: string;
  entry: Omit<EntryView, "payload">;
}

export interface AccessTrail {
  subjectHmac: string;
  accesses: TrailAccess[];
  /** True when the caller may see more than MAX_TRAIL accesses: the newest MAX_TRAIL are shown. */
  truncated: boolean;
}

/**
 * POST /v1/access: the subject in the body, so it travels in no URL and no access log.
 * At most MAX_ACCESS_BODY_BYTES; the subject as POST /v1/match takes it.
 */
export const MAX_ACCESS_BODY_BYTES = 1024;

export const AccessQueryBody = z
  .object({
    subject: Subject,
  })
  .strict();

/** Accesses listed at most by GET /v1/accesses: the newest ones. */
export const MAX_ACCESS_LIST = 200;

/**
 * GET /v1/accesses: the recorded accesses naming the caller as consumer or provider
 * (every access, for an auditor), without naming a subject; oldest first.
 */
export interface AccessList {
  accesses: TrailAccess[];
  /** True when the caller may see more than MAX_ACCESS_LIST: the newest MAX_ACCESS_LIST are shown. */
  truncated: boolean;
}
