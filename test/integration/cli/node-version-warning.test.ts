import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSORTIUM, ROOT } from "../../support/cli.js";

// The AWS SDK warns once per process, on Node < 22, that its releases after January 2027
// will need Node 22. The CLI does not pass that on to its users (bin/zhixin.js says why);
// the tests run with the warning off (vitest.config.ts), so here it is put back.

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "zhixin-node-warning-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("zhixin and the AWS SDK's Node version notice", () => {
  it("a command that builds an SDK client prints the CLI's own message only", async () => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
    Object.assign(env, {
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: join(work, "no-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(work, "no-credentials"),
      ZHIXIN_URL: "http://127.0.0.1:9",
      ZHIXIN_HOME: join(work, "home"),
      ZHIXIN_CONSORTIUM: CONSORTIUM,
    });
    // --kms-key builds a KMS client, where the SDK checks the Node version, before it
    // finds there are no credentials.
    const args = ["checkpoint", "--as", "hf-haikou", "--kms-key", "alias/zhixin/demo/hf-haikou"];
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, "bin", "zhixin.js"), ...args, "--alg", "ed25519", "--region", "cn-north-1"],
        { cwd: work, env },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
      );
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^zhixin: no AWS credentials found: .*\n$/);
  });
});
