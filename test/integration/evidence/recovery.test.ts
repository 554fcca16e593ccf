import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  contentDigest,
  type JsonValue,
  KEY_COSIGN_TYPE,
  KEY_REVOKE_TYPE,
  type SignatureAlgorithm,
  SUITE_SIGNATURE_ALGORITHMS,
} from "#chain";
import { generateKeyPair } from "../../../lib/crypto/key-pairs.js";
import { keyAddRecord } from "../../../lib/crypto/key-records.js";
import { LocalSigner } from "../../../lib/crypto/local-signer.js";
import {
  type EvidenceError,
  formatTrustRoot,
  parseTrustRoot,
  type TrustRoot,
  verifyEvidenceBundle,
} from "../../../lib/evidence/index.js";
import { startTestNode, TEST_SUITE, type TestNode, testSuite } from "../../support/local-node.js";
import { CHECKS, evidenceCli, freePort, type Run, trustRootText } from "./node.js";

// Evidence of a log in which a department's stolen key was recovered by the others
// (docs/design/key-history.md §3 rule 4), against npm start: hf-sanya's key is revoked
// back to compromisedSince and a new one added for it, each written by market-regulation
// and completed by two more of the five other departments. The bundle of what the new
// key signed carries the recovery, its cosigns and the key records of every department
// that wrote one (GET /v1/entries/{id}/evidence), and verifies against the trust root
// alone, with its keyGovernance; what the stolen key signed after compromisedSince does
// not; a trust root without keyGovernance refuses it saying why. And `zhixin export`,
// run once before the cosigns and continued after, indexes the cosigns (though the
// exporter may not read their payloads), and `zhixin verify --export` finds exactly what
// the stolen key signed after compromisedSince.

const VICTIM = "hf-sanya";
const WRITER = "market-regulation";

let t: TestNode;
let root: TrustRoot;
let work: string;
let closedUrl: string;
const runs: Record<string, Run> = {};
const { member, offline } = evidenceCli(() => ({ work, t, closedUrl }));
const ids: Record<string, string> = {};
const at: Record<string, string> = {};

let months = 0;
function deposit() {
  months += 1;
  return {
    type: "housing-fund.deposit-certificate",
    data: { citizen: "460100199001011234", months, status: "active" },
  };
}

async function submit(as: string, record: { type: string; data: unknown }, signer?: LocalSigner) {
  const res = await t.submit(as, [record], signer ? { signer } : {});
  expect(res.status, res.text).toBe(202);
  return res.body.entries[0].id as string;
}

async function cosign(as: string, record: { data: unknown }, entryId: string): Promise<string> {
  const data = { entryId, contentDigest: contentDigest(testSuite, record.data as JsonValue) };
  return submit(as, { type: KEY_COSIGN_TYPE, data });
}

const tick = () => new Promise((r) => setTimeout(r, 20));

const freshAlg = SUITE_SIGNATURE_ALGORITHMS[TEST_SUITE][0] as SignatureAlgorithm;
const fresh = LocalSigner.forOwner(testSuite, VICTIM, generateKeyPair(freshAlg).privateKey, freshAlg);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "zhixin-recovery-"));
  closedUrl = `http://127.0.0.1:${await freePort()}`;
  t = await startTestNode({ introduceKeys: true });
  root = parseTrustRoot(await trustRootText(t.node));
  await t.seal();

  ids.before = await submit(VICTIM, deposit());
  await tick();
  at.compromisedSince = new Date().toISOString();
  await tick();
  ids.stolen = await submit(VICTIM, deposit());
  const revoke = {
    type: KEY_REVOKE_TYPE,
    data: { keyId: await t.keyIdOf(VICTIM), compromisedSince: at.compromisedSince },
  };
  ids.revoke = await submit(WRITER, revoke);
  expect(await t.seal()).toMatchObject({ sealed: true });
  runs.export1 = await member(["export", "--out", "exp", "--as", "hf-haikou"]);
  ids.revokeCosign1 = await cosign("civil-affairs", revoke, ids.revoke);
  ids.revokeCosign2 = await cosign("internet-court", revoke, ids.revoke);
  const add = await keyAddRecord(fresh, VICTIM);
  ids.add = await submit(WRITER, add);
  ids.addCosign1 = await cosign("service-centre", add, ids.add);
  ids.addCosign2 = await cosign("hf-haikou", add, ids.add);
  ids.after = await submit(VICTIM, deposit(), fresh);
  expect(await t.seal()).toMatchObject({ sealed: true });
  runs.export2 = await member(["export", "--out", "exp", "--as", "hf-haikou"]);
  runs.trust = await member(["trust", "export", "--out", "trust-root.json"]);
});
afterAll(async () => {
  await t?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const bundleOf = async (id: string) => {
  const res = await t.send({ method: "GET", path: `/v1/entries/${id}/evidence`, as: "auditor" });
  expect(res.status, res.text).toBe(200);
  return res.text;
};

describe("evidence bundles of a recovered department", () => {
  it("prove what the recovered key signed: the recovery, its cosigns and their writers' key records", async () => {
    const proven = verifyEvidenceBundle(await bundleOf(ids.after as string), root, CHECKS);
    expect(proven.signingKey.keyId).toBe(fresh.keyId);
    expect(proven.keyGovernance).toEqual({
      departments: t.node.consortium.departments.map((d) => d.id),
      ownerCosigns: 0,
    });
    const byId = new Map(proven.keyRecords.map((r) => [r.entryId, r]));
    expect(proven.signingKey.validFrom).toBe(byId.get(ids.addCosign2 as string)?.receivedAt);
    expect(byId.get(ids.add as string)).toMatchObject({
      writer: WRITER,
      keyId: fresh.keyId,
      completedBy: ids.addCosign2,
    });
    expect(byId.get(ids.revoke as string)).toMatchObject({ writer: WRITER, completedBy: ids.revokeCosign2 });
    expect(byId.get(ids.revokeCosign1 as string)).toMatchObject({
      writer: "civil-affairs",
      cosigns: ids.revoke,
    });
    // Every writer's key records are in: each department's genesis add, and hf-sanya's own.
    const adds = proven.keyRecords.filter(
      (r) => r.type === "zhixin.key.add" && r.writer === r.keyId.split("/")[0],
    );
    expect(adds.map((r) => r.writer).sort()).toEqual(
      [VICTIM, WRITER, "civil-affairs", "internet-court", "service-centre", "hf-haikou"].sort(),
    );
  });

  it("refuse what the stolen key signed after compromisedSince (KEY_REVOKED), not what it signed before", async () => {
    try {
      verifyEvidenceBundle(await bundleOf(ids.stolen as string), root, CHECKS);
      expect.unreachable("the stolen key's entry verified");
    } catch (e) {
      expect((e as EvidenceError).code).toBe("KEY_REVOKED");
    }
    const before = verifyEvidenceBundle(await bundleOf(ids.before as string), root, CHECKS);
    expect(before.signingKey).toMatchObject({
      keyId: await t.keyIdOf(VICTIM),
      compromisedSince: at.compromisedSince,
    });
  });

  it("against a trust root without keyGovernance, are refused saying the root carries none", async () => {
    const { keyGovernance: _, ...older } = JSON.parse(await trustRootText(t.node));
    const olderRoot = parseTrustRoot(formatTrustRoot({ ...older, suite: testSuite }));
    try {
      verifyEvidenceBundle(await bundleOf(ids.after as string), olderRoot, CHECKS);
      expect.unreachable("a recovery counted under no governance");
    } catch (e) {
      expect((e as EvidenceError).code).toBe("KEY_HISTORY_INVALID");
      expect((e as EvidenceError).message).toContain("no keyGovernance");
    }
  });
});

describe("an export of a recovered department", () => {
  it("indexes the recovery's cosigns, the second run those of a revoke the first exported", () => {
    for (const run of [runs.export1, runs.export2, runs.trust]) expect(run?.code, run?.stderr).toBe(0);
    // 6 genesis adds, the revoke, its 2 cosigns, the add and its 2 cosigns.
    expect(JSON.parse(runs.export1?.stdout ?? "").keyRecords).toBe(7);
    expect(JSON.parse(runs.export2?.stdout ?? "").keyRecords).toBe(12);
  });

  it("is audited offline under the trust root's keyGovernance: only what the stolen key signed after compromisedSince", async () => {
    const run = await offline(["--export", "exp", "--trust-root", "trust-root.json"]);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.findings.map((f: { code: string; entryId: string }) => [f.code, f.entryId])).toEqual([
      ["KEY_REVOKED", ids.stolen],
    ]);
    expect(report.keyGovernance.departments).toHaveLength(6);
  });

  it("against a trust root without keyGovernance, reports the recovery refused and says why", async () => {
    const { keyGovernance: _, ...older } = JSON.parse(await trustRootText(t.node));
    await writeFile(join(work, "older-root.json"), formatTrustRoot({ ...older, suite: testSuite }));
    const run = await offline(["--export", "exp", "--trust-root", "older-root.json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.keyGovernance).toBeNull();
    expect(report.findings.map((f: { code: string }) => f.code)).toContain("KEY_RECORD_REFUSED");
    expect(run.stderr).toContain("the trust root carries no keyGovernance");
  });
});
