import { fileURLToPath } from "node:url";
import { type App, type StackProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { ZhixinConfig } from "./config.js";
import { memberStackName, stackName } from "./defaults.js";
import { ZhixinMemberStack } from "./member-stack.js";
import { ZhixinStack } from "./zhixin-stack.js";

/** The repository root: cdk/lib/ → ../../ */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The stacks of one consortium file:
 *   - Zhixin-<consortium>, the consortium's stack (the ledger), in the ledger account;
 *   - ZhixinMember-<consortium>-<member>, one per department and auditor, each deployed by
 *     that member in its own account (./member-stack.ts).
 * `cdk synth` builds them all; `-c member=<id>` builds that member's stack alone, which is
 * what a department or auditor synthesises and deploys. cdk-nag's AwsSolutions
 * pack runs as a validation plugin: synthesis fails on any finding not acknowledged with a
 * reason. cdk/bin/zhixin.ts and the tests build the app through here.
 */
export interface ZhixinApp {
  readonly consortium: ZhixinStack | undefined;
  readonly members: ZhixinMemberStack[];
}

/** `-c member=<id>` names no department or auditor of the file. */
export class UnknownMemberError extends Error {
  override readonly name = "UnknownMemberError";
}

export function addZhixinApp(app: App, config: ZhixinConfig, selection: { member?: string } = {}): ZhixinApp {
  const c = config.consortium;
  const members = [...c.departments, ...c.auditors].map((m) => m.id);
  if (selection.member !== undefined) {
    if (!members.includes(selection.member)) {
      throw new UnknownMemberError(
        `-c member=${selection.member}: ${config.file} has no department or auditor ${selection.member}; ` +
          `its members are ${members.join(", ")}`,
      );
    }
    return { consortium: undefined, members: [addMemberStack(app, config, selection.member)] };
  }
  return {
    consortium: addZhixinStack(app, config),
    members: members.map((id) => addMemberStack(app, config, id)),
  };
}

/**
 * The stacks' environment: a region for a file of the China partition (cdk/lib/config.ts
 * StackTarget), so that the partition, endpoints and service facts there are known at
 * synthesis; none otherwise — environment-agnostic, as every stack of the commercial partition.
 * The account stays the deploying one's in both.
 */
function environmentOf(config: ZhixinConfig): Pick<StackProps, "env"> {
  const region = config.target?.region;
  return region === undefined ? {} : { env: { region } };
}

/** The consortium's stack in `app`. */
export function addZhixinStack(app: App, config: ZhixinConfig): ZhixinStack {
  const stack = new ZhixinStack(app, stackName(config.consortium.consortium), {
    config,
    repoRoot: REPO_ROOT,
    ...environmentOf(config),
  });
  checkWithNag(app);
  return stack;
}

/** Department or auditor `id`'s member stack in `app`. */
export function addMemberStack(app: App, config: ZhixinConfig, id: string): ZhixinMemberStack {
  const c = config.consortium;
  const name = memberStackName(c.consortium, id);
  const common = { consortium: c, repoRoot: REPO_ROOT, ...environmentOf(config) };
  const department = c.departments.find((d) => d.id === id);
  const auditor = c.auditors.find((a) => a.id === id);
  let stack: ZhixinMemberStack;
  if (department !== undefined)
    stack = new ZhixinMemberStack(app, name, { ...common, kind: "department", member: department });
  else if (auditor !== undefined)
    stack = new ZhixinMemberStack(app, name, { ...common, kind: "auditor", member: auditor });
  else throw new UnknownMemberError(`no department or auditor ${id} in ${config.file}`);
  checkWithNag(app);
  return stack;
}

const checked = new WeakSet<App>();

/** Once per app: a second plugin would report every finding twice. */
function checkWithNag(app: App): void {
  if (checked.has(app)) return;
  checked.add(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
