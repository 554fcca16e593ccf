import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditChain } from "../../../functions/audit/audit.js";
import { submitEntries } from "../../../functions/ledger/submit.js";
import { matchRecord } from "../../../functions/sharing/match.js";
import type { IndexEntry, LedgerStore } from "../../../functions/store/ports.js";
import type { MatchAnswer } from "../../../lib/protocol/sharing.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { FaultyStore } from "../../support/faulty-store.js";
import { signMatch } from "../../support/match-request.js";
import { S2_CONTRACT as CONTRACT, S2_VERSION as VERSION } from "../../support/sharing.js";
import { testSuite } from "../../support/test-suite.js";
import {
  audit,
  type Dept,
  type Ledger,
  LOG,
  makeMembers,
  openLedger,
  type Records,
  seal,
  signSubmit,
} from "../ledger/harness.js";

// Every answered access entry names the contract version that allowed it, and the
// contract's records are on the ledger, signed by its parties: a full audit re-derives
// the contract's state at each answer's receive time (functions/audit/audit-access.ts)
// and reports an answer no contract allowed. Here the operator's store "forgets" a
// revoke when the API reads the contract — a bug or a lie the audit must expose.

const SUBJECT_KEY = new Uint8Array(32).fill(5);
const CITIZEN = "460100198805056789";
const QUESTION = {
  contract: CONTRACT.id,
  subject: CITIZEN,
  where: [{ field: "action", op: "=", value: "add" }],
};

/** A store that hides the contract's revoke records from readers: the operator ignoring a revoke. */
class ForgetfulStore extends FaultyStore {
  override async listIndexEntries(index: string, options?: { newestFirst?: boolean; limit?: number }) {
    const entries: IndexEntry[] = await super.listIndexEntries(index, options);
    return entries.filter((e) => e.attrs.event !== "revoke");
  }
}

let dynamo: LocalDynamo;
let ledger: Ledger;
beforeAll(async () => {
  dynamo = await startDynalite();
  ledger = await openLedger(await makeMembers(), dynamo.client);
});
afterAll(async () => {
  await dynamo?.stop();
});

const deps = (store: LedgerStore = ledger.store) => ({
  store,
  consortium: ledger.members.consortium,
  clock: ledger.clock,
  subjectKey: SUBJECT_KEY,
});

async function write(dept: Dept, records: Records, nonce: string): Promise<void> {
  const request = await signSubmit(ledger, dept, records, nonce);
  const receipt = await submitEntries(request.caller, request.body, deps());
  ledger.submitted.push(...receipt.entries.map((e) => e.id));
}

async function ask(nonce: string, store?: LedgerStore): Promise<MatchAnswer> {
  const request = await signMatch(ledger, QUESTION, nonce);
  const answer = await matchRecord(request.caller, request.body, deps(store));
  ledger.submitted.push(answer.accessEntryId);
  return answer;
}

describe("the audit re-derives which contract version allowed each answer", () => {
  it("answers under an approved contract audit clean", async () => {
    await write(
      "hf-sanya",
      [{ type: "zhixin.contract.propose", data: CONTRACT as never }],
      "aa-propose-000001",
    );
    await write(
      "hf-haikou",
      [{ type: "housing-fund.blacklist", data: { citizen: CITIZEN, action: "add", reason: "fraud" } }],
      "aa-listing-000001",
    );
    await write(
      "hf-haikou",
      [{ type: "zhixin.contract.approve", data: { contractId: CONTRACT.id, version: VERSION } }],
      "aa-approve-000001",
    );
    expect(await ask("aa-match-0000000001")).toMatchObject({ match: true, contract: { version: VERSION } });
    expect(await seal(ledger)).toMatchObject({ sealed: true });
    expect(await audit(ledger)).toMatchObject({ ok: true, findings: [] });
  });

  it("an answer given after a revoke is ACCESS_CONTRACT_MISMATCH, naming the entry", async () => {
    await write(
      "hf-sanya",
      [{ type: "zhixin.contract.revoke", data: { contractId: CONTRACT.id, reason: "no longer needed" } }],
      "aa-revoke-0000001",
    );
    // The honest API refuses now...
    await expect(ask("aa-match-0000000002")).rejects.toMatchObject({ code: "CONTRACT_NOT_EFFECTIVE" });
    // ...an operator that ignores the revoke answers anyway, and the entry looks sound.
    const lied = await ask("aa-match-0000000003", new ForgetfulStore(ledger.store));
    expect(lied).toMatchObject({ match: true, contract: { version: VERSION } });
    expect(await seal(ledger)).toMatchObject({ sealed: true });

    const report = await audit(ledger);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({
        code: "ACCESS_CONTRACT_MISMATCH",
        entryId: lied.accessEntryId,
        found: expect.stringMatching(/^not in effect: revoked at /),
      }),
    ]);
  });

  it("a partial audit says it did not check answers against contracts, rather than pass them silently", async () => {
    const full = await audit(ledger);
    expect(full.skipped).toBeUndefined();
    const partial = await auditChain(
      {
        source: ledger.store,
        keys: ledger.members.keys,
        log: LOG,
        suite: testSuite,
        keyRecords: ledger.store,
      },
      { from: 2, to: full.to },
    );
    expect(partial.findings.map((f) => f.code)).not.toContain("ACCESS_CONTRACT_MISMATCH");
    expect(partial.skipped).toEqual([expect.stringMatching(/^ACCESS_CONTRACT_MISMATCH: a partial audit/)]);
  });
});
