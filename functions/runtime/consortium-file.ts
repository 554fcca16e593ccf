import { readFileSync } from "node:fs";
import {
  type Consortium,
  ConsortiumFileError,
  parseConsortiumText,
  readConsortiumText,
} from "../../lib/consortium/consortium.js";

/**
 * Reads and checks the consortium file at `path`: the one file a consortium is built from.
 * A gm consortium is refused here, where local mode and every function start: its hashes
 * are built, its SM2 signatures (members, the sealer's headers and checkpoints, witnesses)
 * are not yet, and a ledger must not start sealing in a suite it cannot finish
 * (docs/formats/suites.md §5). The CDK app still synthesises one (docs/DEPLOY.md).
 */
export function loadConsortium(path: string): Consortium {
  const consortium = parseConsortiumText(
    readConsortiumText(path, (p) => readFileSync(p, "utf8")),
    path,
  );
  if (consortium.suite === "gm") {
    throw new ConsortiumFileError(path, [
      'suite: "gm" cannot run yet — its SM3 hashing is built, its SM2 signatures are not (docs/formats/suites.md §5); use "intl" (or leave suite out) to run this consortium',
    ]);
  }
  return consortium;
}
