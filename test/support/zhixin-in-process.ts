import { main } from "../../cli/zhixin.js";
import { captureOutput } from "./output.js";

/**
 * `zhixin <args>` run in this process (cli/zhixin.ts main), its output captured: for
 * commands that need no server. ZHIXIN_URL points at a port nothing listens on unless
 * `env` names one, so a command that should stay offline fails loudly if it does not.
 */
export async function zhixinInProcess(
  args: string[],
  env: Record<string, string>,
  deps: Parameters<typeof main>[2] = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = captureOutput();
  try {
    const code = await main(args, { ZHIXIN_URL: "http://127.0.0.1:9", ...env }, deps);
    return { code, stdout: output.stdout, stderr: output.stderr };
  } finally {
    output.stop();
  }
}
