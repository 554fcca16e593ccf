import { fileURLToPath } from "node:url";
import { type App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { ZhixinConfig } from "./config.js";
import { stackName } from "./defaults.js";
import { ZhixinStack } from "./zhixin-stack.js";

/** The repository root: cdk/lib/ → ../../ */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The consortium's stack in `app`, with cdk-nag's AwsSolutions pack as a validation
 * plugin: synthesis fails on any finding that is not acknowledged with a reason.
 * cdk/bin/zhixin.ts and the tests both build the app through here.
 */
export function addZhixinStack(app: App, config: ZhixinConfig): ZhixinStack {
  const stack = new ZhixinStack(app, stackName(config.consortium.consortium), {
    config,
    repoRoot: REPO_ROOT,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
