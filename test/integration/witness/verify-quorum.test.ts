import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatSignedNote, parseSignedNote } from "#chain";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import { captured } from "../../support/output.js";
import { writeObject } from "../../support/s3.js";

// zhixin verify checks the checkpoint published with the tiles (functions/audit/audit.ts
// checkPublished): signed by the sealer, for a size and root the log has, and cosigned by
// the consortium's quorum of witnesses — here npm start's three in-process witnesses,
// quorum 2 (the example consortium's majority). What an operator could do to the
// published object — strip cosignatures, forge one, publish garbage — is a finding.

let t: TestNode;
let published: string;
beforeAll(async () => {
  t = await startTestNode();
  const records = [
    {
      type: "housing-fund.deposit-certificate",
      data: { citizen: "460100199001011234", months: 7, status: "active" },
    },
  ];
  expect((await t.submit("hf-haikou", records)).status).toBe(202);
  expect(await t.seal()).toMatchObject({ sealed: true, tiles: { published: 1 } });
  published = (await t.send({ method: "GET", path: "/v1/log/checkpoint", as: "auditor" })).text;
});
afterAll(async () => {
  await t?.stop();
});

interface Report {
  ok: boolean;
  findings: Array<{ code: string }>;
  published?: { size: number; witnesses: number; threshold: number };
  error?: { code: string };
}

async function verify(payload: object = {}): Promise<Report> {
  const res = await fetch(`${t.url}/local/verify`, { method: "POST", body: JSON.stringify(payload) });
  return (await res.json()) as Report;
}

/** A verify that finds something: the function logs one WARN line saying so, which is asserted. */
async function verifyWithFindings(payload: object = {}): Promise<Report> {
  const { result, output } = await captured(() => verify(payload));
  expect(output.logLines()).toEqual([
    expect.objectContaining({ level: "WARN", message: "audit findings", findings: result.findings.length }),
  ]);
  return result;
}

async function publish(note: string): Promise<void> {
  await writeObject(t.node.s3.client, t.node.tilesBucket, "checkpoint", note);
}

describe("zhixin verify and the published checkpoint", () => {
  it("is ok when the published checkpoint has the quorum, and says how many cosigned", async () => {
    const report = await verify();
    expect(report).toMatchObject({ ok: true, published: { size: 1, witnesses: 3, threshold: 2 } });
  });

  it("finds a published checkpoint stripped of its cosignatures unwitnessed, unless told --min-witnesses 0", async () => {
    const note = parseSignedNote(published);
    const sealerOnly = formatSignedNote(note.text, note.signatures.slice(0, 1));
    await publish(sealerOnly);
    const report = await verifyWithFindings();
    expect(report.ok).toBe(false);
    expect(report.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
    expect(await verify({ minWitnesses: 0 })).toMatchObject({
      ok: true,
      published: { witnesses: 0, threshold: 0 },
    });
    // One cosignature is not the quorum; asking for one is met.
    await publish(formatSignedNote(note.text, note.signatures.slice(0, 2)));
    expect((await verifyWithFindings()).ok).toBe(false);
    expect(await verify({ minWitnesses: 1 })).toMatchObject({ ok: true });
    await publish(published);
  });

  it("finds a forged cosignature, a checkpoint that is not the sealer's, and refuses a quorum no consortium could meet", async () => {
    const note = parseSignedNote(published);
    const [sealer, first, ...rest] = note.signatures;
    const forged = {
      ...first,
      signature: first?.signature.map((b, i) => (i === 20 ? b ^ 1 : b)),
    } as typeof first;
    await publish(formatSignedNote(note.text, [sealer, forged, ...rest] as typeof note.signatures));
    const report = await verifyWithFindings();
    expect(report.findings.map((f) => f.code)).toEqual(["WITNESS_SIGNATURE_INVALID"]);

    await publish("not a checkpoint\n");
    expect((await verifyWithFindings()).findings.map((f) => f.code)).toEqual(["CHECKPOINT_INVALID"]);
    await publish(published);

    const refused = await verify({ minWitnesses: 4 });
    expect(refused).toMatchObject({ ok: false, error: { code: "INVALID_PARAMETER" } });
    expect(await verify()).toMatchObject({ ok: true });
  });
});
