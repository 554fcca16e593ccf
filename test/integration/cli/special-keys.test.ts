import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, contentDigest, INTL, parseJson } from "#chain";
import { scanAll } from "../../../functions/store/snapshot.js";
import { type CliConsortium, startCliConsortium } from "../../support/cli.js";

// Issue #10, item 3, as a user meets it: `zhixin submit` of data with a "__proto__"
// member was refused BATCH_ROOT_MISMATCH (the API dropped the member the CLI had
// signed). Now the entry is stored, shown and verified exactly as written; and a file
// the API would refuse is refused by the CLI before anything is signed or stored.

const CERT = "housing-fund.deposit-certificate";
const DATA =
  '{"citizen":"460100199001011234","months":36,"status":"active",' +
  '"__proto__":{"isAdmin":true},"constructor":"c","toString":"s","0":[{"__proto__":1}]}';

let cli: CliConsortium;
beforeAll(async () => {
  cli = await startCliConsortium("special-keys");
});
afterAll(async () => {
  await cli?.stop();
});

describe("zhixin submit, get and verify keep every member", () => {
  let id: string;

  it('submits data with __proto__, constructor, toString and "0": exit 0', async () => {
    const file = await cli.writeWork("proto.json", `${DATA}\n`);
    const run = await cli.zhixin(["submit", "--as", "hf-haikou", "--type", CERT, "--file", file]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    id = JSON.parse(run.stdout).entries[0].id;
  });

  it("get shows the payload and contentDigest of exactly that data", async () => {
    const run = await cli.zhixin(["get", id, "--as", "hf-haikou"]);
    expect(run.code).toBe(0);
    const entry = parseJson(run.stdout) as { payload: unknown; envelope: { contentDigest: string } };
    expect(canonicalJson(entry.payload)).toBe(canonicalJson(parseJson(DATA)));
    expect(entry.envelope.contentDigest).toBe(contentDigest(INTL, parseJson(DATA)));
  });

  it("seals, and verify finds nothing wrong", async () => {
    expect((await cli.zhixin(["seal"])).code).toBe(0);
    const run = await cli.zhixin(["verify"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, entriesChecked: 1, findings: [] });
  });
});

describe("a file the API would refuse: exit 2 with the API's code, nothing stored", () => {
  it.each([
    [
      "a name used twice",
      '{"citizen":"460100199001011234","months":1,"months":36,"status":"active"}',
      "DUPLICATE_KEY",
    ],
    [
      "an integer past 2^53",
      '{"citizen":"460100199001011234","months":9007199254740993,"status":"active"}',
      "NUMBER_NOT_EXACT",
    ],
  ])("%s", async (_, text, code) => {
    const before = await scanAll(cli.node.dynamo.client, cli.node.table);
    const file = await cli.writeWork(`${code}.json`, `${text}\n`);
    const run = await cli.zhixin(["submit", "--as", "hf-haikou", "--type", CERT, "--file", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`(${code})`);
    expect(await scanAll(cli.node.dynamo.client, cli.node.table)).toEqual(before);
  });
});
