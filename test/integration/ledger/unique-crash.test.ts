import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import { UNIQUE_CLAIM_LEASE_MS } from "../../../functions/rules/unique-claims.js";
import { uniqueKeyFor } from "../../../functions/rules/unique-keys.js";
import { scanAll } from "../../../functions/store/snapshot.js";
import type { PublicKeyRecord } from "../../../lib/crypto/key-directory.js";
import { LocalSigner } from "../../../lib/crypto/local-signer.js";
import { ApiError } from "../../../lib/protocol/errors.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { CrashError, type CrashPoint, FaultyStore } from "../../support/faulty-store.js";
import { testSuite } from "../../support/test-suite.js";
import {
  audit,
  checkLedger,
  type Dept,
  drain,
  type Ledger,
  makeMembers,
  openLedger,
  type Records,
  type SignedSubmit,
  send,
  signSubmit,
  TEST_SUBJECT_KEY,
  TickClock,
} from "./harness.js";

// Uniqueness claims are written before a submit's payloads and commit point
// (functions/rules/unique-claims.ts). A submit that dies after claiming but before
// committing leaves a claim whose batch never exists: within the lease it blocks the
// value (another submit of it may be in progress), after the lease anyone takes it over —
// and a retry of the dead request itself takes its own claim back at once.

const WRITERS = ["service-centre", "market-regulation"] as const;
const INVOICE = "04400123456789012345";
const claim = (invoiceNo: string, claimant: string): Records => [
  { type: "invoice.claim", data: { invoiceNo, amount: 300, claimant, claimedAt: "2026-11-20" } },
];

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.stop();
});

/** A ledger whose members include the invoice.claim writers (the harness has only the housing-fund pair). */
async function openInvoiceLedger(): Promise<Ledger & { clock: TickClock }> {
  const base = await makeMembers();
  const validFrom = "2026-01-01T00:00:00.000Z";
  const records: PublicKeyRecord[] = [...base.keys.listKeys()];
  for (const d of WRITERS) {
    const s = new LocalSigner(`${d}/key-1`, generateKeyPairSync("ed25519").privateKey);
    records.push({
      keyId: s.keyId,
      owner: d,
      role: "department",
      alg: s.alg,
      spki: await s.publicKey(),
      validFrom,
    });
    base.depts.set(d, s);
  }
  const members = { ...base, keys: new StaticKeyDirectory(records) };
  const clock = new TickClock();
  const ledger = await openLedger(members, dynamo.client, clock);
  return { ...ledger, clock };
}

const sign = (ledger: Ledger, dept: (typeof WRITERS)[number], records: Records, nonce: string) =>
  signSubmit(ledger, dept as unknown as Dept, records, nonce);

async function crashSubmit(ledger: Ledger, request: SignedSubmit, crash: CrashPoint): Promise<FaultyStore> {
  const dying = new FaultyStore(ledger.store, { crash });
  await expect(send(ledger, request, dying)).rejects.toBeInstanceOf(CrashError);
  await dying.idle();
  return dying;
}

async function refusal(ledger: Ledger, request: SignedSubmit): Promise<ApiError> {
  const before = await scanAll(ledger.client, ledger.table);
  const error = await send(ledger, request).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect(await scanAll(ledger.client, ledger.table)).toEqual(before);
  return error as ApiError;
}

describe("a submit that dies after claiming, before its commit point", () => {
  it.each([
    { when: "after", method: "claimUnique", nth: 1 },
    { when: "before", method: "putEntryItems", nth: 1 },
    { when: "after", method: "putEntryItems", nth: 1 },
    { when: "before", method: "commitBatch", nth: 1 },
  ] as const)("crash $when $method: the value is held for the lease, then free", async (point) => {
    const ledger = await openInvoiceLedger();
    const dead = await sign(ledger, "service-centre", claim(INVOICE, "dead"), "dead-request-000001");
    await crashSubmit(ledger, dead, point);
    expect(
      await ledger.store.getClaim(uniqueKeyFor(testSuite, TEST_SUBJECT_KEY, "invoice.claim", [INVOICE])),
    ).toMatchObject({
      batchKey: "service-centre/key-1#dead-request-000001",
    });

    // Within the lease: the dead submit might still be running, so the value is refused.
    const early = await sign(ledger, "market-regulation", claim(INVOICE, "early"), "early-request-00001");
    const error = await refusal(ledger, early);
    expect(error.code).toBe("DUPLICATE_RECORD");
    expect(error.details).toEqual({ index: 0, fields: ["invoiceNo"] });

    // After the lease: taken over, committed, sealed, audited.
    ledger.clock.ms += UNIQUE_CLAIM_LEASE_MS + 1;
    const late = await sign(ledger, "market-regulation", claim(INVOICE, "late"), "late-request-000001");
    const receipt = await send(ledger, late);
    expect(
      await ledger.store.getClaim(uniqueKeyFor(testSuite, TEST_SUBJECT_KEY, "invoice.claim", [INVOICE])),
    ).toMatchObject({
      batchKey: "market-regulation/key-1#late-request-000001",
      entryId: receipt.entries[0]?.id,
    });
    // The dead request's retry now finds the value committed by another: refused.
    expect((await refusal(ledger, dead)).code).toBe("DUPLICATE_RECORD");
    await drain(ledger);
    await checkLedger(ledger, 1);
    expect(await audit(ledger)).toMatchObject({ ok: true, entriesChecked: 1 });
  });

  it("the dead request's own retry takes its claim back at once and commits", async () => {
    const ledger = await openInvoiceLedger();
    const dead = await sign(ledger, "service-centre", claim(INVOICE, "dead"), "dead-request-000002");
    await crashSubmit(ledger, dead, { when: "before", method: "commitBatch", nth: 1 });
    const receipt = await send(ledger, dead);
    expect(receipt.entries).toHaveLength(1);
    const other = await sign(ledger, "market-regulation", claim(INVOICE, "other"), "other-request-00002");
    expect((await refusal(ledger, other)).code).toBe("DUPLICATE_RECORD");
    await drain(ledger);
    expect(await audit(ledger)).toMatchObject({ ok: true, entriesChecked: 1 });
  });

  it("a refused replay that dies before releasing its claims: the strays block nothing", async () => {
    const ledger = await openInvoiceLedger();
    const nonce = "replayed-request-01";
    await send(ledger, await sign(ledger, "service-centre", claim(INVOICE, "original"), nonce));
    const replay = await sign(ledger, "service-centre", claim("12345678", "replay"), nonce);
    const dying = await crashSubmit(ledger, replay, { when: "before", method: "releaseClaims", nth: 1 });
    expect(dying.count("commitBatch")).toBe(1);
    // The stray claim names a committed batch that does not hold its entry: taken over at once.
    const next = await sign(ledger, "market-regulation", claim("12345678", "next"), "next-request-000001");
    await send(ledger, next);
    await drain(ledger);
    await checkLedger(ledger, 1);
  });
});
