import { expect } from "vitest";
import type { TestNode } from "./local-node.js";
import {
  agreeContract,
  type ContractDoc,
  daysFromNow,
  matchAs,
  propose,
  revoke,
  S2_CONTRACT,
} from "./sharing.js";

/**
 * A small sharing history for the console's browser tests (test/browser/sharing.test.ts,
 * citizen.test.ts) and the listing routes' tests (test/integration/sharing/listings.test.ts),
 * made through the public API: an S2 blacklist contract Sanya proposed
 * and Haikou approved, with a second version Haikou proposed and left unapproved; an S3
 * licence contract agreed and then revoked; Haikou lists one citizen; Sanya asks about two
 * citizens — answered yes, answered no, and refused (FIELD_NOT_ALLOWED) — then the block
 * is sealed.
 */

export const LISTED_CITIZEN = "460100198001010011";
export const OTHER_CITIZEN = "460100198202020022";

export const BLACKLIST: ContractDoc = { ...S2_CONTRACT, id: "console-blacklist", validFrom: daysFromNow(-1) };
export const BLACKLIST_V2: ContractDoc = { ...BLACKLIST, purpose: "S2, second version: also lifted entries" };
export const LICENCE: ContractDoc = {
  id: "console-licence",
  provider: "market-regulation",
  consumer: "service-centre",
  type: "licence.business",
  purpose: "S3: licence checks during applications",
  share: "unconditional",
  match: ["holder"],
  validFrom: daysFromNow(-1),
  validUntil: daysFromNow(365),
  rateLimit: { perMinute: 600 },
};

export interface SeededAccesses {
  /** LISTED_CITIZEN, answered yes. */
  listedYes: string;
  /** OTHER_CITIZEN, answered no. */
  otherNo: string;
  /** OTHER_CITIZEN, refused FIELD_NOT_ALLOWED. */
  otherRefused: string;
}

export async function seedSharing(t: TestNode): Promise<SeededAccesses> {
  await agreeContract(t, BLACKLIST, "hf-sanya", "hf-haikou");
  const v2 = await t.submit("hf-haikou", [propose(BLACKLIST_V2)]);
  expect(v2.status, v2.text).toBe(202);
  await agreeContract(t, LICENCE, "market-regulation", "service-centre");
  const revoked = await t.submit("service-centre", [revoke(LICENCE.id, "programme ended")]);
  expect(revoked.status, revoked.text).toBe(202);
  const listing = await t.submit("hf-haikou", [
    { type: "housing-fund.blacklist", data: { citizen: LISTED_CITIZEN, action: "add", reason: "fraud" } },
  ]);
  expect(listing.status, listing.text).toBe(202);
  const isListed = [{ field: "action", op: "=", value: "add" }];
  const ask = async (subject: string, where: unknown[], status: number) => {
    const res = await matchAs(t, "hf-sanya", { contract: BLACKLIST.id, subject, where });
    expect(res.status, res.text).toBe(status);
    return (status === 200 ? res.body.accessEntryId : res.body.error.details.accessEntryId) as string;
  };
  const seeded = {
    listedYes: await ask(LISTED_CITIZEN, isListed, 200),
    otherNo: await ask(OTHER_CITIZEN, isListed, 200),
    otherRefused: await ask(OTHER_CITIZEN, [{ field: "reason", op: "=", value: "fraud" }], 403),
  };
  await t.seal();
  return seeded;
}
