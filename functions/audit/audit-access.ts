import {
  batchKeyFor,
  type Finding,
  isAccessEnvelope,
  type LedgerEnvelope,
  parseEntryEnvelope,
  parseSignatureBase,
  sha256Bytes,
  toHex,
  utf8,
} from "#chain";
import { isContractType } from "../../lib/protocol/contracts.js";
import type { AccessDetails } from "../../lib/protocol/sharing.js";
import {
  type ContractEvent,
  contractEventOf,
  contractIdOf,
  effectiveVersion,
  foldContract,
} from "../rules/contracts.js";

/**
 * The audit of answers (ACCESS_CONTRACT_MISMATCH): every answered access entry names the
 * contract version that allowed it, and the ledger holds that contract's records, each
 * signed by its party. So an auditor re-derives the contract's state at the answer's
 * receive time and checks that the version named was in effect — for that consumer,
 * provider and record type — without trusting the operator that answered. (Whether the
 * answer itself was right needs the provider's record, which an auditor may not see.)
 *
 * Contract records are taken in ledger order (receivedAt, batch key, position), not chain
 * order: a record received before an answer may be sealed in a later block. So an answer
 * that fails against the records seen so far is checked again when the audit ends.
 * Refusals are not checked: a refusal needs no contract. Only a full audit (from height
 * 1) sees every contract record; a partial one skips this check.
 */

interface Answer {
  height: number;
  entryIndex: number;
  entryId: string;
  consumer: string;
  receivedAt: string;
  details: AccessDetails;
}

export class AccessAudit {
  readonly #events = new Map<string, ContractEvent[]>();
  readonly #deferred: Answer[] = [];

  /** Takes in one block's entries (envelope and payload text as stored, lenient). */
  observe(
    height: number,
    firstIndex: number,
    entries: ReadonlyArray<{ envelope?: unknown; payload?: string | null } | undefined>,
  ): void {
    entries.forEach((entry, i) => {
      if (typeof entry?.payload !== "string") return;
      // Most entries are neither: look before parsing, as this runs on every entry of a full audit.
      const raw = entry.envelope as { kind?: unknown; type?: unknown } | null | undefined;
      if (raw?.kind !== "access" && !(typeof raw?.type === "string" && isContractType(raw.type))) return;
      let envelope: LedgerEnvelope;
      let data: unknown;
      try {
        envelope = parseEntryEnvelope(entry.envelope);
        // Only what was signed counts: a payload that is not the envelope's is not folded.
        if (toHex(sha256Bytes(utf8(entry.payload))) !== envelope.contentDigest) return;
        data = JSON.parse(entry.payload);
      } catch {
        return; // ENVELOPE_INVALID or PAYLOAD_DIGEST_MISMATCH, reported by verifyBlocks
      }
      if (isAccessEnvelope(envelope)) {
        const details = data as AccessDetails;
        if (details.result !== "match" && details.result !== "no-match") return;
        const answer = {
          height,
          entryIndex: firstIndex + i,
          entryId: envelope.id,
          consumer: envelope.dept,
          receivedAt: envelope.receivedAt,
          details,
        };
        if (this.#problem(answer)) this.#deferred.push(answer);
        return;
      }
      if (!isContractType(envelope.type)) return;
      const nonce = safeNonce(envelope.signatureBase);
      const event = contractEventOf(envelope.type, data, {
        dept: envelope.dept,
        entryId: envelope.id,
        receivedAt: envelope.receivedAt,
        batchKey: batchKeyFor(envelope.keyId, nonce),
        position: envelope.batch.index,
      });
      if (!event) return;
      const id = contractIdOf(event, data);
      const list = this.#events.get(id) ?? [];
      list.push(event);
      this.#events.set(id, list);
    });
  }

  /** Findings for answers that no contract record of the audited chain allowed. */
  finish(): Finding[] {
    const findings: Finding[] = [];
    for (const a of this.#deferred) {
      const problem = this.#problem(a);
      if (!problem) continue;
      findings.push({
        code: "ACCESS_CONTRACT_MISMATCH",
        height: a.height,
        entryIndex: a.entryIndex,
        entryId: a.entryId,
        expected: `contract ${a.details.contract} version ${a.details.version ?? "(none)"} in effect`,
        found: problem,
        message: "an answered access names a contract version that was not in effect for it",
      });
    }
    return findings;
  }

  /** Why the answer was not allowed by the contract records received before it; undefined if it was. */
  #problem(a: Answer): string | undefined {
    const events = (this.#events.get(a.details.contract) ?? []).filter((e) => e.receivedAt <= a.receivedAt);
    const state = foldContract(events);
    if (!state) return "no such contract before the answer";
    const now = effectiveVersion(state, new Date(a.receivedAt));
    if (!now.effective) return `not in effect: ${now.reason}`;
    const doc = now.version.doc;
    if (now.version.version !== a.details.version) return `version ${now.version.version} was in effect`;
    if (state.consumer !== a.consumer) return `${a.consumer} is not the consumer`;
    if (doc.provider !== a.details.provider || doc.type !== a.details.type)
      return `the contract is for ${doc.provider}'s ${doc.type}`;
    return undefined;
  }
}

function safeNonce(base: string): string {
  try {
    return parseSignatureBase(base).params.nonce ?? "";
  } catch {
    return "";
  }
}
