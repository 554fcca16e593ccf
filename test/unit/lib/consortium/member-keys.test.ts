import { describe, expect, it } from "vitest";
import { accountOfKeyArn, parseConsortium } from "../../../../lib/consortium/consortium.js";
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
