import { App } from "aws-cdk-lib";
import { ConsortiumFileError } from "../../lib/consortium/consortium.js";
import { addZhixinStack } from "../lib/app.js";
import { consortiumFileFrom, loadStackConfig } from "../lib/config.js";

// cdk synth|deploy [-c consortium=<file>]   (or ZHIXIN_CONSORTIUM=<file>; default consortium.example.json)
const app = new App();
try {
  addZhixinStack(app, loadStackConfig(consortiumFileFrom(app.node.tryGetContext("consortium"))));
} catch (e) {
  if (!(e instanceof ConsortiumFileError)) throw e;
  // Every problem, one per line, without a stack trace: the file is what needs fixing.
  console.error(e.message);
  process.exit(1);
}
