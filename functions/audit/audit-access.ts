import {
  batchKeyFor,
  type CryptoSuite,
  type Finding,
  isAccessEnvelope,
  type LedgerEnvelope,
  parseEntryEnvelope,
  parseSignatureBase,
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
 * Refusals are not checked: a refusal needs no contract. Only an audit that sees every
 * contract record from height 1 makes this check: a full audit; an incremental one, which
 * carries the contract records of the blocks it audited before in its state (`state()`,
 * ./audit-state.ts); and a fan-out, whose chunks each record what they saw (`items()`)
 * and whose join replays it all in chain order (./fan-out.ts). A range audit skips it.
 */

export interface Answer {
  height: number;
  entryIndex: number;
  entryId: string;
  consumer: string;
  receivedAt: string;
  details: AccessDetails;
}

/** What an audit saw that the check reads, in chain order: a contract record, or an answer. */
export type AccessItem = { contract: string; event: ContractEvent } | { answer: Answer };

/**
 * What the check carries from one incremental run to the next: the contract records seen so
 * far, by contract, and the answers not yet allowed by them (a run that stopped to resume
 * before the record allowing an answer was sealed). As in a full audit, an answer the records
 * seen when it is met allow is not checked again.
 */
export interface AccessAuditState {
  contracts: Array<[string, ContractEvent[]]>;
  deferred: Answer[];
}

export class AccessAudit {
  readonly #events = new Map<string, ContractEvent[]>();
  readonly #deferred: Answer[] = [];
  readonly #items: AccessItem[] | undefined;

  /** `suite`: the ledger's, whose hash names contract versions. `record`: keep every item taken, for `items()` (a fan-out's chunk). */
  constructor(
    private readonly suite: CryptoSuite,
    options: { state?: AccessAuditState; record?: boolean } = {},
  ) {
    for (const [id, events] of options.state?.contracts ?? []) this.#events.set(id, [...events]);
    this.#deferred.push(...(options.state?.deferred ?? []));
    this.#items = options.record ? [] : undefined;
  }

  /** The contract records seen so far and the answers they do not yet allow (for the next incremental run). */
  state(): AccessAuditState {
    return { contracts: [...this.#events], deferred: this.#deferred.filter((a) => this.#problem(a)) };
  }

  /** Every item taken, in the order taken (with `record`). */
  items(): AccessItem[] {
    return this.#items ?? [];
  }

  /** Takes an item another audit recorded: the same as observing the entry it came from. */
  take(item: AccessItem): void {
    this.#items?.push(item);
    if ("answer" in item) {
      if (this.#problem(item.answer)) this.#deferred.push(item.answer);
      return;
    }
    const list = this.#events.get(item.contract) ?? [];
    list.push(item.event);
    this.#events.set(item.contract, list);
  }

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
        if (toHex(this.suite.hash(utf8(entry.payload))) !== envelope.contentDigest) return;
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
        this.take({ answer });
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
      this.take({ contract: contractIdOf(event, data), event });
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
    const state = foldContract(this.suite, events);
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
