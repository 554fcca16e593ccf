import { App } from "aws-cdk-lib";
import { ConsortiumFileError } from "../../lib/consortium/consortium.js";
import { addZhixinApp, UnknownMemberError } from "../lib/app.js";
import { consortiumFileFrom, loadStackConfig } from "../lib/config.js";

// cdk synth|deploy [-c consortium=<file>] [-c member=<department or auditor>]
//   consortium: or ZHIXIN_CONSORTIUM=<file>; default consortium.example.json
//   member:     that member's stack alone; without it, the consortium's stack and every
//               department's and auditor's member stack (cdk/lib/app.ts)
const app = new App();
try {
  const member = app.node.tryGetContext("member");
  addZhixinApp(
    app,
    // CDK_DEFAULT_REGION: the CLI's region, for a gm file that names no key to take it from.
    loadStackConfig(consortiumFileFrom(app.node.tryGetContext("consortium")), {
      cliRegion: process.env.CDK_DEFAULT_REGION,
    }),
    typeof member === "string" && member !== "" ? { member } : {},
  );
} catch (e) {
  if (!(e instanceof ConsortiumFileError) && !(e instanceof UnknownMemberError)) throw e;
  // Every problem, one per line, without a stack trace: the file or the command is what needs fixing.
  console.error(e.message);
  process.exit(1);
}
