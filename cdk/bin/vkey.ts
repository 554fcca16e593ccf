import { readFileSync } from "node:fs";
import { type VkeyKind, vkeyFromKmsPublicKey } from "../lib/vkey.js";

// aws kms get-public-key --key-id <arn> --query PublicKey --output text | npx tsx cdk/bin/vkey.ts log|witness <name>
//   log <origin>         the log's checkpoint vkey, from the sealer's key (SealerKeyArn, the consortium's "log")
//   witness <name>       a witness's vkey, from its key (WitnessKeyArn, WitnessName of its member stack)
const [kind, name] = process.argv.slice(2);
if ((kind !== "log" && kind !== "witness") || name === undefined || name === "") {
  console.error(
    "usage: aws kms get-public-key --key-id <arn> --query PublicKey --output text | npx tsx cdk/bin/vkey.ts log|witness <name>",
  );
  process.exit(2);
}
try {
  console.log(vkeyFromKmsPublicKey(kind as VkeyKind, name, readFileSync(0, "utf8")));
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
