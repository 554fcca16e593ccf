import type { MatchAnswer } from "../../lib/protocol/sharing.js";
import { type RunningNode, signedPost } from "./node.js";
import { AUTHORISATION, type Certificate, CONSUMER, MIN_MONTHS } from "./settings.js";
import { type Timed, timed } from "./timing.js";

/** Matches through the HTTP API, each freshly signed, their answers checked against the certificates. */

export function matchBody(contract: string, citizen: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      contract,
      subject: citizen,
      where: [
        { field: "months", op: ">=", value: MIN_MONTHS },
        { field: "status", op: "=", value: "active" },
      ],
      authorisation: AUTHORISATION,
    }),
  );
}

export function expected(c: Certificate): boolean {
  return c.months >= MIN_MONTHS && c.status === "active";
}

/** `count` matches over HTTP, subjects spread over the certificates, CONCURRENCY in flight. */
export async function matchOverHttp(
  node: RunningNode,
  certificates: readonly Certificate[],
  contract: string,
  count: number,
  seed: number,
): Promise<Timed & { yes: number }> {
  let yes = 0;
  const run = await timed(node, count, async (i) => {
    const c = certificates[(seed + i * 7919) % certificates.length] as Certificate;
    const body = matchBody(contract, c.citizen);
    const answer = await signedPost<MatchAnswer>(node, CONSUMER, "/v1/match", body, 200);
    if (answer.match !== expected(c)) {
      throw new Error(`match for citizen ${c.citizen} answered ${answer.match}, expected ${expected(c)}`);
    }
    if (answer.match) yes++;
  });
  return { ...run, yes };
}
