import { readFileSync } from "node:fs";
import { type Consortium, parseConsortiumText, readConsortiumText } from "../../lib/consortium/consortium.js";

/** Reads and checks the consortium file at `path`: the one file a consortium is built from. */
export function loadConsortium(path: string): Consortium {
  return parseConsortiumText(
    readConsortiumText(path, (p) => readFileSync(p, "utf8")),
    path,
  );
}
