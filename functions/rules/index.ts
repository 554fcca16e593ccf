import type { Consortium } from "../../lib/consortium/consortium.js";
import { writersOf } from "../../lib/consortium/consortium.js";
import { contractsRule } from "./contracts.js";
import { cosignRule } from "./cosign.js";
import { keyRecordsRule } from "./key-records.js";
import type { ParsedRecord, PreparedBatch, RecordRule, RuleDeps, RuleEffects } from "./rule.js";
import { schemaRule } from "./schema.js";
import { subjectIndexRule } from "./subject-index.js";
import { uniquenessRule } from "./unique-claims.js";

export type {
  ParsedRecord,
  PreparedBatch,
  RecordRule,
  RuleDeps,
  RuleEffects,
  RuleStore,
  Submitter,
  WantedClaim,
} from "./rule.js";
export { releaseReplayedClaims, takeClaims } from "./unique-claims.js";

/**
 * The record rules intake applies, in order (README.md in this folder). The order is the
 * order of refusals and of writes, which clients and the crash tests rely on:
 *
 *   checkRecords  schema, key-records, then subject-index (the others check nothing before the batch root);
 *   apply         uniqueness, cosign, contracts, key-records — the claims are taken in this
 *                 order; the cosign marks and the C#, K# and S# index entries are written
 *                 together after them (functions/ledger/submit.ts).
 *
 * The subject index is last because its apply refuses nothing: every refusal of the
 * store-reading rules comes before any index entry is computed.
 */
export const RECORD_RULES: readonly RecordRule[] = [
  schemaRule,
  uniquenessRule,
  cosignRule,
  contractsRule,
  keyRecordsRule,
  subjectIndexRule,
];

/**
 * Who may write a record of `type`: its consortium writers, or anyone when a rule owns the
 * type (that rule decides); undefined when the type is neither.
 */
export function writersOfType(
  type: string,
  department: string,
  consortium: Consortium,
  rules: readonly RecordRule[] = RECORD_RULES,
): readonly string[] | undefined {
  return rules.some((rule) => rule.ownsType?.(type)) ? [department] : writersOf(consortium, type);
}

/** Every rule's record checks, in rule order; throws the first refusal. */
export function checkRecords(
  records: readonly ParsedRecord[],
  consortium: Consortium,
  rules: readonly RecordRule[] = RECORD_RULES,
): void {
  for (const rule of rules) rule.checkRecords?.(records, consortium);
}

/** Every rule's judgement of the batch, in rule order; throws the first refusal, else what to write. */
export async function applyRules(
  batch: PreparedBatch,
  deps: RuleDeps,
  rules: readonly RecordRule[] = RECORD_RULES,
): Promise<Required<RuleEffects>> {
  const all: Required<RuleEffects> = { claims: [], marks: [], index: [] };
  for (const rule of rules) {
    const effects = (await rule.apply?.(batch, deps)) ?? {};
    all.claims.push(...(effects.claims ?? []));
    all.marks.push(...(effects.marks ?? []));
    all.index.push(...(effects.index ?? []));
  }
  return all;
}
