import { describe, expect, it } from "vitest";
import {
  accountOfKeyArn,
  keyVersionAlias,
  keyVersionsOf,
  memberKeyArns,
  parseConsortium,
} from "../../../../lib/consortium/consortium.js";
import { consortiumProblems, exampleConsortium, type Json } from "../../../support/consortium-file.js";

// A member's request-signing key in its own AWS account (lib/consortium/consortium.ts,
// `keyArn`, and `aws.ledgerAccount`): named by key ARN, never an alias, one key per member,
// and never in the ledger's own account.

const HAIKOU_KEY = "arn:aws:kms:cn-northwest-1:111111111111:key/0b7c2f0e-1f7a-4c1e-9d2a-5e8f6a7b8c9d";
const SANYA_KEY = "arn:aws-cn:kms:cn-northwest-1:222222222222:key/mrk-0123456789abcdef0123456789abcdef";

function withKeys(keys: Record<string, string>, ledgerAccount?: string): Json {
  const c = exampleConsortium();
  for (const m of [...(c.departments as Json[]), ...(c.auditors as Json[])]) {
    const arn = keys[m.id as string];
    if (arn !== undefined) m.keyArn = arn;
  }
  if (ledgerAccount !== undefined) (c.aws as Json).ledgerAccount = ledgerAccount;
  return c;
}

describe("members' key ARNs in the consortium file", () => {
  it("takes key ARNs (standard and multi-region, any partition) and the ledger account", () => {
    const c = parseConsortium(withKeys({ "hf-haikou": HAIKOU_KEY, auditor: SANYA_KEY }, "999999999999"));
    expect(c.departments.find((d) => d.id === "hf-haikou")?.keyArn).toBe(HAIKOU_KEY);
    expect(c.auditors[0]?.keyArn).toBe(SANYA_KEY);
    expect(c.departments.find((d) => d.id === "hf-sanya")?.keyArn).toBeUndefined();
    expect(c.aws.ledgerAccount).toBe("999999999999");
    expect(accountOfKeyArn(HAIKOU_KEY)).toBe("111111111111");
  });

  it.each([
    ["an alias", "alias/zhixin/demo/hf-haikou"],
    ["an alias ARN", "arn:aws:kms:cn-northwest-1:111111111111:alias/zhixin/demo/hf-haikou"],
    ["a bare key id", "0b7c2f0e-1f7a-4c1e-9d2a-5e8f6a7b8c9d"],
    ["another service's ARN", "arn:aws:iam::111111111111:key/0b7c2f0e-1f7a-4c1e-9d2a-5e8f6a7b8c9d"],
    ["a short account", "arn:aws:kms:cn-northwest-1:1111:key/0b7c2f0e-1f7a-4c1e-9d2a-5e8f6a7b8c9d"],
  ])("refuses %s as a keyArn", (_, arn) => {
    expect(consortiumProblems(() => parseConsortium(withKeys({ "hf-haikou": arn })))).toEqual([
      expect.stringMatching(/^departments\.0\.keyArn: /),
    ]);
  });

  it("refuses two members naming the same key", () => {
    expect(
      consortiumProblems(() =>
        parseConsortium(withKeys({ "hf-haikou": HAIKOU_KEY, "hf-sanya": HAIKOU_KEY })),
      ),
    ).toEqual([expect.stringMatching(/^departments\.1\.keyArn: hf-sanya and hf-haikou name the same key/)]);
  });

  it("refuses a key in the ledger account: that is the single-account layout, without saying so", () => {
    expect(
      consortiumProblems(() => parseConsortium(withKeys({ "hf-haikou": HAIKOU_KEY }, "111111111111"))),
    ).toEqual([expect.stringMatching(/^departments\.0\.keyArn: hf-haikou's key is in the ledger account/)]);
  });

  it("refuses a ledger account that is not 12 digits", () => {
    expect(consortiumProblems(() => parseConsortium(withKeys({}, "ledger")))).toEqual([
      expect.stringMatching(/^aws\.ledgerAccount: /),
    ]);
  });
});

// Several versions of a key while it is rotated (docs/DEPLOY.md, "Rotating a member's key"):
// keyArns lists a member's keys in its own account, oldest first; keyVersions says how many
// keys the stack that holds them creates, for members and the sealer alike.
const HAIKOU_KEY_2 = "arn:aws:kms:cn-northwest-1:111111111111:key/1c8d3f1f-2a8b-4d2f-8e3b-6f9a7b8c9d0e";

function withMember(id: string, fields: Json): Json {
  const c = exampleConsortium();
  const m = [...(c.departments as Json[]), ...(c.auditors as Json[])].find((x) => x.id === id) as Json;
  Object.assign(m, fields);
  return c;
}

describe("several versions of a member's or the sealer's key", () => {
  it("takes keyArns oldest first, keyArn as the one-key form, and keyVersions for members and the sealer", () => {
    const c = parseConsortium({
      ...withMember("hf-haikou", { keyArns: [HAIKOU_KEY, HAIKOU_KEY_2] }),
      sealer: { keyVersions: 2 },
    });
    const haikou = c.departments.find((d) => d.id === "hf-haikou");
    expect(memberKeyArns(haikou ?? {})).toEqual([HAIKOU_KEY, HAIKOU_KEY_2]);
    expect(memberKeyArns({ keyArn: HAIKOU_KEY })).toEqual([HAIKOU_KEY]);
    expect(memberKeyArns({})).toEqual([]);
    expect(keyVersionsOf(c.sealer)).toBe(2);
    expect(c.sealer.alg).toBe("ed25519");
    const sanya = parseConsortium(withMember("hf-sanya", { keyVersions: 3 })).departments[1];
    expect(keyVersionsOf(sanya ?? {})).toBe(3);
    expect(keyVersionsOf({})).toBe(1);
  });

  it("names version 1 by the alias keys had before versions, and later ones …/v<n>", () => {
    expect(keyVersionAlias("demo", "hf-haikou", 1)).toBe("alias/zhixin/demo/hf-haikou");
    expect(keyVersionAlias("demo", "hf-haikou", 2)).toBe("alias/zhixin/demo/hf-haikou/v2");
    expect(keyVersionAlias("demo", "sealer", 3)).toBe("alias/zhixin/demo/sealer/v3");
  });

  it("refuses keyArn beside keyArns, one key listed twice or by two members, and a version in the ledger account", () => {
    const both = withMember("hf-haikou", { keyArn: HAIKOU_KEY, keyArns: [HAIKOU_KEY_2] });
    expect(consortiumProblems(() => parseConsortium(both))).toEqual([
      expect.stringMatching(/^departments\.0\.keyArns: hf-haikou names keyArn and keyArns/),
    ]);
    const twice = withMember("hf-haikou", { keyArns: [HAIKOU_KEY, HAIKOU_KEY] });
    expect(consortiumProblems(() => parseConsortium(twice))).toEqual([
      expect.stringMatching(/^departments\.0\.keyArns\.1: hf-haikou lists the same key twice/),
    ]);
    const shared = withMember("hf-haikou", { keyArns: [HAIKOU_KEY, HAIKOU_KEY_2] });
    (shared.departments as Json[])[1] = {
      ...((shared.departments as Json[])[1] as Json),
      keyArn: HAIKOU_KEY_2,
    };
    expect(consortiumProblems(() => parseConsortium(shared))).toEqual([
      expect.stringMatching(/^departments\.1\.keyArn: hf-sanya and hf-haikou name the same key/),
    ]);
    const inLedger = withMember("hf-haikou", { keyArns: [HAIKOU_KEY_2] });
    (inLedger.aws as Json).ledgerAccount = "111111111111";
    expect(consortiumProblems(() => parseConsortium(inLedger))).toEqual([
      expect.stringMatching(
        /^departments\.0\.keyArns\.0: hf-haikou's key is in the ledger account .* leave keyArns out/,
      ),
    ]);
  });

  it.each([
    ["an empty keyArns", { keyArns: [] }, /^departments\.0\.keyArns: /],
    [
      "an alias among keyArns",
      { keyArns: [HAIKOU_KEY, "alias/zhixin/demo/hf-haikou"] },
      /^departments\.0\.keyArns\.1: /,
    ],
    ["keyVersions 0", { keyVersions: 0 }, /^departments\.0\.keyVersions: /],
    ["keyVersions 9", { keyVersions: 9 }, /^departments\.0\.keyVersions: /],
    ["keyVersions 1.5", { keyVersions: 1.5 }, /^departments\.0\.keyVersions: /],
  ])("refuses %s", (_, fields, problem) => {
    expect(consortiumProblems(() => parseConsortium(withMember("hf-haikou", fields)))).toEqual([
      expect.stringMatching(problem),
    ]);
  });

  it("refuses a sealer keyVersions out of range", () => {
    expect(
      consortiumProblems(() => parseConsortium({ ...exampleConsortium(), sealer: { keyVersions: 0 } })),
    ).toEqual([expect.stringMatching(/^sealer\.keyVersions: /)]);
  });
});
