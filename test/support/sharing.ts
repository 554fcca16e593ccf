import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { contentDigest, type JsonValue } from "#chain";
import type { TestNode, TestRequest } from "./local-node.js";
import { testSuite } from "./test-suite.js";

/**
 * Helpers for the sharing tests (test/integration/sharing): contract documents and
 * their propose/approve records, match requests, the access trail, the audit, and a
 * diff of table snapshots — so a recorded refusal can be shown to have added exactly
 * one access entry's items and nothing else.
 */

export interface ContractDoc {
  id: string;
  provider: string;
  consumer: string;
  type: string;
  purpose: string;
  share: "unconditional" | "conditional" | "none";
  match?: string[];
  fields?: string[];
  validFrom: string;
  validUntil: string;
  rateLimit: { perMinute: number };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** RFC 3339 UTC without fractional seconds, `days` from now (negative: in the past). */
/** The S2 blacklist contract of examples/contracts, as the tests' store-level ledgers propose it. */
export const S2_CONTRACT = JSON.parse(
  readFileSync("examples/contracts/s2-blacklist.json", "utf8"),
) as ContractDoc;
/** Its version: the content digest the approve names. */
export const S2_VERSION = contentDigest(testSuite, S2_CONTRACT as unknown as JsonValue);

export function daysFromNow(days: number): string {
  return new Date(Date.now() + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Today's date (UTC), as the `date` fields of records hold it. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export const propose = (doc: unknown) => ({ type: "zhixin.contract.propose", data: doc });
export const approve = (contractId: string, version: string) => ({
  type: "zhixin.contract.approve",
  data: { contractId, version },
});
export const revoke = (contractId: string, reason: string) => ({
  type: "zhixin.contract.revoke",
  data: { contractId, reason },
});

/** Proposes `doc` as `proposer`; returns the version the ledger derived for it. */
export async function proposeContract(t: TestNode, proposer: string, doc: ContractDoc): Promise<string> {
  const res = await t.submit(proposer, [propose(doc)]);
  expect(res.status, res.text).toBe(202);
  const view = await t.send({ method: "GET", path: `/v1/contracts/${doc.id}`, as: proposer });
  expect(view.status, view.text).toBe(200);
  const versions = view.body.versions as Array<{ version: string; proposeEntry: string }>;
  const mine = versions.find((v) => v.proposeEntry === res.body.entries[0].id);
  expect(mine, `version proposed by entry ${res.body.entries[0].id}`).toBeDefined();
  return (mine as { version: string }).version;
}

/** Proposes `doc` as `proposer` and approves it as `approver`: the contract is in effect. */
export async function agreeContract(
  t: TestNode,
  doc: ContractDoc,
  proposer: string,
  approver: string,
): Promise<string> {
  const version = await proposeContract(t, proposer, doc);
  const res = await t.submit(approver, [approve(doc.id, version)]);
  expect(res.status, res.text).toBe(202);
  return version;
}

export function matchAs(t: TestNode, as: string, body: unknown, extra: Partial<TestRequest> = {}) {
  return t.send({ method: "POST", path: "/v1/match", as, body: JSON.stringify(body), ...extra });
}

export interface TrailAccess {
  access: {
    contract: string;
    version?: string;
    provider?: string;
    subjectHmac: string;
    want: string;
    fieldsTested: string[];
    fieldsReturned: string[];
    result: "match" | "no-match" | "refused";
    refusal?: string;
    record?: string;
  };
  consumer: string;
  entry: { id: string; status: string; sealed?: { proof: string[]; height: number } };
}

/** GET /v1/access?subject=… as `as`: the accesses it may see, oldest first. */
export async function trailOf(t: TestNode, as: string, subject: string): Promise<TrailAccess[]> {
  const res = await t.send({
    method: "GET",
    path: "/v1/access",
    query: `subject=${encodeURIComponent(subject)}`,
    as,
  });
  expect(res.status, res.text).toBe(200);
  return res.body.accesses as TrailAccess[];
}

/** The chain audit of the whole local ledger (POST /local/verify). */
export async function auditNode(t: TestNode): Promise<{ ok: boolean; findings: unknown[] }> {
  const res = await fetch(`${t.url}/local/verify`, { method: "POST", body: "{}" });
  return (await res.json()) as { ok: boolean; findings: unknown[] };
}

type RawItem = Record<string, { S?: string } & Record<string, unknown>>;

/** An item's table key, "pk | sk". */
export function keyOf(item: unknown): string {
  const i = item as RawItem;
  return `${i.pk?.S ?? "?"} | ${i.sk?.S ?? "?"}`;
}

export interface SnapshotDiff {
  /** Keys of items only in `after`, sorted. */
  added: string[];
  /** Keys of items only in `before`, sorted. */
  removed: string[];
  /** Keys of items in both whose attributes differ, sorted. */
  changed: string[];
}

/** What changed between two t.snapshot() results, item by item. */
export function diffSnapshots(before: readonly unknown[], after: readonly unknown[]): SnapshotDiff {
  const old = new Map(before.map((i) => [keyOf(i), JSON.stringify(i)]));
  const now = new Map(after.map((i) => [keyOf(i), JSON.stringify(i)]));
  return {
    added: [...now.keys()].filter((k) => !old.has(k)).sort(),
    removed: [...old.keys()].filter((k) => !now.has(k)).sort(),
    changed: [...now.keys()].filter((k) => old.has(k) && old.get(k) !== now.get(k)).sort(),
  };
}

/** Runs `action` and asserts the table is exactly as it was before. */
export async function unchangedBy<T>(t: TestNode, action: () => Promise<T>): Promise<T> {
  const before = await t.snapshot();
  const result = await action();
  expect(diffSnapshots(before, await t.snapshot())).toEqual({ added: [], removed: [], changed: [] });
  return result;
}

let nonces = 0;
/** A fresh nonce, for a request whose batch key the test names; `tag` is [A-Za-z0-9_-]. */
export function freshNonce(tag: string): string {
  nonces += 1;
  return `${tag}-${Date.now().toString(36)}-${String(nonces).padStart(4, "0")}`.slice(0, 128);
}
