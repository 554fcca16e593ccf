import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cosignatureMessage,
  formatCheckpoint,
  formatSignedNote,
  INTL,
  type MerkleTree,
  parseSignedNote,
  rootFromLeafHashes,
  signNote,
  toHex,
  verifyCosignature,
} from "#chain";
import {
  ADD_CHECKPOINT_STATUS,
  type AddCheckpointDecision,
  AddCheckpointError,
  type AddCheckpointRefusal,
  decideAddCheckpoint,
  formatAddCheckpointRequest,
  parseAddCheckpointRequest,
  parseConflictResponse,
  parseCosignatureResponse,
  refusalFor,
  TLOG_SIZE_CONTENT_TYPE,
  type WitnessedLog,
  type WitnessState,
} from "../../../../lib/witness/index.js";
import { leaves, signedCheckpoint, testLog, testWitness, treeOf } from "../../../support/witness-keys.js";
import { MemoryWitness } from "./memory-witness.js";
import { expectWitnessError } from "./witness-errors.js";

// The witness's decision on POST /add-checkpoint (c2sp.org/tlog-witness §add-checkpoint,
// docs/formats/witness.md §3): each refusal with its code and the spec's status, checked in
// the spec's order, and the conditional write that keeps two concurrent requests from
// being cosigned on one state.

const NOW = 1_767_225_600;
const log = testLog("zhixin.example/log");
const witnessed: WitnessedLog = { origin: log.origin, suite: INTL, verifiers: [log.verifier] };
const witness = testWitness("dept-a.example/witness");

/** The main branch of the log, and a fork that shares its first 6 leaves. */
const MAIN = leaves("main", 20);
const FORK = [...MAIN.slice(0, 6), ...leaves("fork", 14)];
const prefix = (branch: Uint8Array[], size: number): MerkleTree => treeOf(branch.slice(0, size));
const stateOf = (branch: Uint8Array[], size: number): WitnessState => ({
  size,
  rootHash: rootFromLeafHashes(INTL, branch.slice(0, size)),
});

/** The request a log sends to move a witness from `oldSize` to `size` of `branch`. */
function requestFor(branch: Uint8Array[], oldSize: number, size: number, signed = log): string {
  const tree = prefix(branch, size);
  const proof = oldSize > 0 && oldSize <= size ? tree.consistencyProof(oldSize) : [];
  return formatAddCheckpointRequest(oldSize, proof, signedCheckpoint(signed, tree));
}

function decide(
  body: string,
  state: WitnessState | null,
  logs: WitnessedLog | "unknown origin" = witnessed,
): AddCheckpointDecision {
  const known = logs === "unknown origin" ? undefined : logs;
  return decideAddCheckpoint({ request: parseAddCheckpointRequest(body), log: known, state, now: NOW });
}

function refusal(decision: AddCheckpointDecision): AddCheckpointRefusal {
  if (decision.accepted)
    throw new Error(`expected a refusal, got an acceptance of ${decision.checkpoint.size}`);
  expect(decision.status).toBe(ADD_CHECKPOINT_STATUS[decision.code]);
  return decision;
}

const codeOf = (decision: AddCheckpointDecision) =>
  decision.accepted ? "accepted" : { code: decision.code, status: decision.status };

describe("accepting", () => {
  it("cosigns a log's first checkpoint from old size 0, with nothing stored", () => {
    const d = decide(requestFor(MAIN, 0, 8), null);
    if (!d.accepted) throw new Error(d.code);
    expect(d.status).toBe(200);
    expect(d.update).toEqual({ origin: log.origin, ifStoredSize: null, next: stateOf(MAIN, 8) });
    expect(d.checkpoint.size).toBe(8);
    expect(d.checkpointText).toBe(
      formatCheckpoint({ origin: log.origin, size: 8, rootHash: prefix(MAIN, 8).root() }),
    );
    expect(d.timestamp).toBe(NOW);
    expect(d.message).toEqual(cosignatureMessage(d.checkpointText, NOW));
  });

  it("cosigns the empty tree, and then any tree from it without a proof", () => {
    const empty = decide(requestFor(MAIN, 0, 0), null);
    expect(empty.accepted && empty.update.next).toEqual({ size: 0, rootHash: INTL.emptyRoot() });
    const next = decide(requestFor(MAIN, 0, 5), { size: 0, rootHash: INTL.emptyRoot() });
    expect(next.accepted && next.update.ifStoredSize).toBe(0);
  });

  it("cosigns again a checkpoint equal to the stored one (same size, same root, no proof)", () => {
    const d = decide(requestFor(MAIN, 8, 8), stateOf(MAIN, 8));
    expect(d.accepted && d.update).toEqual({ origin: log.origin, ifStoredSize: 8, next: stateOf(MAIN, 8) });
  });

  it("cosigns a grown tree with a valid consistency proof from the stored size", () => {
    const d = decide(requestFor(MAIN, 8, 13), stateOf(MAIN, 8));
    expect(d.accepted && d.update).toEqual({ origin: log.origin, ifStoredSize: 8, next: stateOf(MAIN, 13) });
  });

  it("ignores signatures from unknown keys beside the trusted one, in any order", () => {
    const stranger = testLog(log.origin, "another key under the log's name");
    const tree = prefix(MAIN, 4);
    const text = formatCheckpoint({ origin: log.origin, size: 4, rootHash: tree.root() });
    const note = signNote(text, [stranger.signer, log.signer, testLog("other.example").signer]);
    expect(decide(formatAddCheckpointRequest(0, [], note), null).accepted).toBe(true);
  });

  it("accepts any of several trusted log keys (a key rotation)", () => {
    const next = testLog(log.origin, "the log's next key");
    const both: WitnessedLog = { origin: log.origin, suite: INTL, verifiers: [log.verifier, next.verifier] };
    expect(decide(requestFor(MAIN, 0, 3, next), null, both).accepted).toBe(true);
  });

  it("keeps the checkpoint's extension lines in what it cosigns", () => {
    const tree = prefix(MAIN, 2);
    const text = formatCheckpoint({
      origin: log.origin,
      size: 2,
      rootHash: tree.root(),
      extensions: ["x y"],
    });
    const d = decide(formatAddCheckpointRequest(0, [], signNote(text, [log.signer])), null);
    expect(d.accepted && d.checkpointText).toBe(text);
  });

  it("every proof from every stored size verifies; every mutated proof is refused (422)", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 20 })
          .chain((size) => fc.tuple(fc.integer({ min: 1, max: size }), fc.constant(size))),
        fc.nat(),
        ([oldSize, size], pick) => {
          const state = stateOf(MAIN, oldSize);
          const tree = prefix(MAIN, size);
          const note = signedCheckpoint(log, tree);
          const proof = tree.consistencyProof(oldSize);
          const ok = decide(formatAddCheckpointRequest(oldSize, proof, note), state);
          expect(ok.accepted && ok.update.next).toEqual(stateOf(MAIN, size));
          if (proof.length === 0) return;
          const i = pick % proof.length;
          const bad = proof.map((h, j) => {
            const copy = h.slice();
            if (j === i) copy[pick % 32] = (copy[pick % 32] as number) ^ (1 << (pick % 8));
            return copy;
          });
          expect(codeOf(decide(formatAddCheckpointRequest(oldSize, bad, note), state))).toEqual({
            code: "CONSISTENCY_PROOF_INVALID",
            status: 422,
          });
          expect(codeOf(decide(formatAddCheckpointRequest(oldSize, proof.slice(1), note), state))).toEqual({
            code: "CONSISTENCY_PROOF_INVALID",
            status: 422,
          });
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe("refusing, with the spec's status", () => {
  it("404 for a log this witness does not follow, before any signature is read", () => {
    const other = testLog("unknown.example/log");
    const r = refusal(decide(requestFor(MAIN, 0, 3, other), null, "unknown origin"));
    expect([r.code, r.status]).toEqual(["ORIGIN_UNKNOWN", 404]);
    expect(r.signedCheckpoint).toBeUndefined();
  });

  it("403 when no signature is from a trusted key (same name, other key)", () => {
    const impostor = testLog(log.origin, "not the log's key");
    const r = refusal(decide(requestFor(MAIN, 0, 3, impostor), null));
    expect([r.code, r.status]).toEqual(["LOG_SIGNATURE_MISSING", 403]);
    // Not the log's: no evidence of anything.
    expect(r.signedCheckpoint).toBeUndefined();
  });

  it("403 when a line under a trusted key's name and ID does not verify", () => {
    const note = signedCheckpoint(log, prefix(MAIN, 3));
    const { text, signatures } = parseSignedNote(note);
    const [line] = signatures;
    if (!line) throw new Error("one line");
    const flipped = line.signature.slice();
    flipped[0] = (flipped[0] as number) ^ 1;
    const bad = formatSignedNote(text, [{ ...line, signature: flipped }]);
    const r = refusal(decide(formatAddCheckpointRequest(0, [], bad), null));
    expect([r.code, r.status]).toEqual(["LOG_SIGNATURE_INVALID", 403]);
    // A valid line beside it does not save it: every trusted line is checked.
    const both = formatSignedNote(text, [line, { ...line, signature: flipped }]);
    expect(codeOf(decide(formatAddCheckpointRequest(0, [], both), null))).toEqual({
      code: "LOG_SIGNATURE_INVALID",
      status: 403,
    });
  });

  it("403 when the log's verifier throws or answers anything but true", () => {
    const throwing: WitnessedLog = {
      origin: log.origin,
      suite: INTL,
      verifiers: [
        {
          ...log.verifier,
          verify: () => {
            throw new Error("KMS down");
          },
        },
      ],
    };
    const truthy: WitnessedLog = {
      origin: log.origin,
      suite: INTL,
      verifiers: [{ ...log.verifier, verify: () => "yes" as unknown as boolean }],
    };
    for (const logs of [throwing, truthy]) {
      expect(codeOf(decide(requestFor(MAIN, 0, 3), null, logs))).toEqual({
        code: "LOG_SIGNATURE_INVALID",
        status: 403,
      });
    }
  });

  it("400 when the old size is past the checkpoint's size", () => {
    const r = refusal(decide(requestFor(MAIN, 9, 8), stateOf(MAIN, 9)));
    expect([r.code, r.status]).toEqual(["OLD_SIZE_AFTER_CHECKPOINT", 400]);
    expect(r.signedCheckpoint?.size).toBe(8);
  });

  it("409 with the stored size when the old size is not it", () => {
    const r = refusal(decide(requestFor(MAIN, 5, 13), stateOf(MAIN, 8)));
    expect([r.code, r.status, r.body, r.contentType]).toEqual([
      "OLD_SIZE_MISMATCH",
      409,
      "8\n",
      TLOG_SIZE_CONTENT_TYPE,
    ]);
    expect(parseConflictResponse(r.body ?? "")).toBe(8);
  });

  it("409 with size 0 when nothing is stored and the log thinks otherwise", () => {
    const r = refusal(decide(requestFor(MAIN, 4, 8), null));
    expect([r.code, r.body]).toEqual(["OLD_SIZE_MISMATCH", "0\n"]);
  });

  it("422 for a checkpoint of size 0 whose root is not the empty tree's", () => {
    const text = formatCheckpoint({ origin: log.origin, size: 0, rootHash: prefix(MAIN, 1).root() });
    const r = refusal(decide(formatAddCheckpointRequest(0, [], signNote(text, [log.signer])), null));
    expect([r.code, r.status]).toEqual(["EMPTY_TREE_ROOT_INVALID", 422]);
  });

  it("422 for a proof sent from old size 0, stored or not", () => {
    const tree = prefix(MAIN, 8);
    const body = formatAddCheckpointRequest(0, tree.consistencyProof(4), signedCheckpoint(log, tree));
    for (const state of [null, { size: 0, rootHash: INTL.emptyRoot() }]) {
      expect(codeOf(decide(body, state))).toEqual({ code: "PROOF_NOT_EMPTY", status: 422 });
    }
  });

  it("422 for a same-size checkpoint with a proof", () => {
    const tree = prefix(MAIN, 8);
    const body = formatAddCheckpointRequest(8, [tree.root()], signedCheckpoint(log, tree));
    expect(codeOf(decide(body, stateOf(MAIN, 8)))).toEqual({
      code: "CONSISTENCY_PROOF_INVALID",
      status: 422,
    });
  });

  it("checks in the spec's order: 404, 403, 400, 409, 422", () => {
    const impostor = testLog(log.origin, "not the log's key");
    // Unknown origin and a bad signature: 404.
    expect(refusal(decide(requestFor(MAIN, 9, 8, impostor), null, "unknown origin")).status).toBe(404);
    // A bad signature and an old size past the checkpoint: 403.
    expect(refusal(decide(requestFor(MAIN, 9, 8, impostor), stateOf(MAIN, 8))).status).toBe(403);
    // Old size past the checkpoint and not the stored one: 400.
    expect(refusal(decide(requestFor(MAIN, 9, 8), stateOf(MAIN, 3))).status).toBe(400);
    // Not the stored size, and a proof that cannot verify: 409.
    const tree = prefix(MAIN, 8);
    const body = formatAddCheckpointRequest(5, [new Uint8Array(32)], signedCheckpoint(log, tree));
    expect(refusal(decide(body, stateOf(MAIN, 3))).status).toBe(409);
  });

  it("turns a parse error into its refusal, always a 400 without a body", () => {
    let error: unknown;
    try {
      parseAddCheckpointRequest("old 01\n\n");
    } catch (e) {
      error = e;
    }
    if (!(error instanceof AddCheckpointError)) throw new Error("expected an AddCheckpointError");
    expect(error.name).toBe("AddCheckpointError");
    const r = refusalFor(error);
    expect([r.accepted, r.code, r.status, r.body, r.signedCheckpoint]).toEqual([
      false,
      "OLD_SIZE_LINE_INVALID",
      400,
      undefined,
      undefined,
    ]);
  });

  it("gives every code one of the statuses tlog-witness names", () => {
    for (const status of Object.values(ADD_CHECKPOINT_STATUS))
      expect([400, 403, 404, 409, 422]).toContain(status);
  });
});

describe("rollbacks and forks: refused, and the log's signed checkpoint kept as evidence", () => {
  const stored = stateOf(MAIN, 10);

  it("a smaller checkpoint with the old size the log last saw: 409 with the stored size", () => {
    const r = refusal(decide(requestFor(MAIN, 6, 8), stored));
    expect([r.code, r.status, r.body]).toEqual(["OLD_SIZE_MISMATCH", 409, "10\n"]);
    expect(r.signedCheckpoint?.size).toBe(8);
  });

  it("a smaller checkpoint claimed from the stored size: 400, the old size is past it", () => {
    const r = refusal(decide(requestFor(MAIN, 10, 8), stored));
    expect([r.code, r.status]).toEqual(["OLD_SIZE_AFTER_CHECKPOINT", 400]);
  });

  it("the same size with another root, from the stored size: 422, a proven fork", () => {
    const r = refusal(decide(requestFor(FORK, 10, 10), stored));
    expect([r.code, r.status]).toEqual(["ROOT_MISMATCH", 422]);
    // Two checkpoints of size 10 signed by the log with different roots: the split view.
    expect(r.signedCheckpoint?.size).toBe(10);
    expect(toHex(r.signedCheckpoint?.rootHash ?? new Uint8Array())).not.toBe(toHex(stored.rootHash));
  });

  it("the same size with another root, from another old size: 409 with the stored size", () => {
    const r = refusal(decide(requestFor(FORK, 6, 10), stored));
    expect([r.code, r.status, r.body]).toEqual(["OLD_SIZE_MISMATCH", 409, "10\n"]);
    expect(r.signedCheckpoint?.rootHash).toEqual(prefix(FORK, 10).root());
  });

  it("a larger checkpoint of the fork, with the fork's proof: 422", () => {
    const r = refusal(decide(requestFor(FORK, 10, 14), stored));
    expect([r.code, r.status]).toEqual(["CONSISTENCY_PROOF_INVALID", 422]);
    expect(r.signedCheckpoint?.size).toBe(14);
  });
});

describe("decideAddCheckpoint's own input", () => {
  const body = requestFor(MAIN, 0, 3);

  it.each([
    ["now 0 (a cosignature must not have timestamp 0)", { now: 0 }],
    ["a fractional now", { now: 1.5 }],
    ["a negative stored size", { state: { size: -1, rootHash: INTL.emptyRoot() } }],
    ["a fractional stored size", { state: { size: 1.5, rootHash: INTL.emptyRoot() } }],
    ["a 31-byte stored root", { state: { size: 3, rootHash: new Uint8Array(31) } }],
    ["a stored root that is not bytes", { state: { size: 3, rootHash: "x" as unknown as Uint8Array } }],
    ["stored size 0 with another root", { state: { size: 0, rootHash: prefix(MAIN, 1).root() } }],
    ["another log's keys", { log: { suite: INTL, origin: "other.example", verifiers: [log.verifier] } }],
  ])("refuses %s (INVALID_INPUT)", (_, change) => {
    const input = {
      request: parseAddCheckpointRequest(body),
      log: witnessed,
      state: null,
      now: NOW,
      ...change,
    };
    expectWitnessError(() => decideAddCheckpoint(input), "INVALID_INPUT");
  });
});

describe("a witness in memory: the conditional write", () => {
  const fresh = () => new MemoryWitness(witness, witnessed);

  it("answers 200 with a cosignature that verifies, and stores the new state", () => {
    const w = fresh();
    const answer = w.submit(requestFor(MAIN, 0, 8), NOW);
    expect(answer.status).toBe(200);
    const note = signedCheckpoint(log, prefix(MAIN, 8));
    const [line] = parseCosignatureResponse(note, answer.body);
    if (!line) throw new Error("one line");
    const c = verifyCosignature(parseSignedNote(note).text, line, witness.verifier);
    expect(c.timestamp).toBe(NOW);
    expect(w.states.get(log.origin)).toEqual(stateOf(MAIN, 8));
  });

  it("two requests decided on one state: only the first to write is cosigned", () => {
    const w = fresh();
    w.submit(requestFor(MAIN, 0, 10), NOW);
    const a = w.decide(requestFor(MAIN, 10, 12), NOW);
    const b = w.decide(requestFor(MAIN, 10, 15), NOW);
    expect([a.accepted, b.accepted]).toEqual([true, true]);
    expect(w.commit(a)).toMatchObject({ status: 200 });
    expect(w.commit(b)).toBe("lost");
    expect(w.cosigned.map((c) => c.size)).toEqual([10, 12]);
    // Decided again on the state now stored, the late request is told where the witness is.
    expect(w.submit(requestFor(MAIN, 10, 15), NOW)).toEqual({
      status: 409,
      body: "12\n",
      contentType: TLOG_SIZE_CONTENT_TYPE,
    });
    expect(w.submit(requestFor(MAIN, 12, 15), NOW).status).toBe(200);
  });

  it("the spec's race: a smaller request that writes last cannot roll the state back", () => {
    const w = fresh();
    w.submit(requestFor(MAIN, 0, 4), NOW);
    const small = w.decide(requestFor(MAIN, 4, 6), NOW);
    const large = w.decide(requestFor(MAIN, 4, 14), NOW);
    expect(w.commit(large)).toMatchObject({ status: 200 });
    expect(w.commit(small)).toBe("lost");
    expect(w.states.get(log.origin)?.size).toBe(14);
  });

  it("two first checkpoints of a forked log: one is cosigned, the other never", () => {
    const w = fresh();
    const main = w.decide(requestFor(MAIN, 0, 10), NOW);
    const fork = w.decide(requestFor(FORK, 0, 10), NOW);
    expect(w.commit(fork)).toMatchObject({ status: 200 });
    expect(w.commit(main)).toBe("lost");
    expect(w.submit(requestFor(MAIN, 0, 10), NOW)).toMatchObject({ status: 409, body: "10\n" });
    expect(w.submit(requestFor(MAIN, 10, 10), NOW).status).toBe(422);
    expect(w.cosigned.map((c) => toHex(c.rootHash))).toEqual([toHex(prefix(FORK, 10).root())]);
    expect(w.refusedSigned.map((r) => r.code)).toEqual(["OLD_SIZE_MISMATCH", "ROOT_MISMATCH"]);
  });

  it("keeps one state per origin", () => {
    const other = testLog("zhixin.example/other");
    const w = new MemoryWitness(witness, [
      witnessed,
      { origin: other.origin, suite: INTL, verifiers: [other.verifier] },
    ]);
    expect(w.submit(requestFor(MAIN, 0, 10), NOW).status).toBe(200);
    expect(w.submit(requestFor(MAIN, 0, 3, other), NOW).status).toBe(200);
    expect([w.states.get(log.origin)?.size, w.states.get(other.origin)?.size]).toEqual([10, 3]);
    expect(w.submit(requestFor(MAIN, 0, 3, testLog("nobody.example")), NOW).status).toBe(404);
    expect(w.submit("old 0\n", NOW)).toEqual({ status: 400, body: "" });
  });

  it("whatever the interleaving of requests from both branches, all it cosigns is one consistent history", () => {
    type Op = { kind: "decide"; fork: boolean; size: number } | { kind: "commit"; slot: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant("decide" as const),
        fork: fc.boolean(),
        size: fc.integer({ min: 0, max: 20 }),
      }),
      fc.record({ kind: fc.constant("commit" as const), slot: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const w = fresh();
        const pending: AddCheckpointDecision[] = [];
        for (const o of ops) {
          if (o.kind === "decide") {
            // An honest client of either branch: it asks from the size the witness is at.
            const at = w.states.get(log.origin)?.size ?? 0;
            const branch = o.fork ? FORK : MAIN;
            const body = at > o.size ? requestFor(branch, 0, o.size) : requestFor(branch, at, o.size);
            pending.push(w.decide(body, NOW));
          } else if (pending.length > 0) {
            const [d] = pending.splice(o.slot % pending.length, 1);
            if (d) w.commit(d);
          }
        }
        const sizes = w.cosigned.map((c) => c.size);
        expect(sizes).toEqual([...sizes].sort((x, y) => x - y));
        // Every cosigned checkpoint is a prefix of the last one's branch.
        const last = w.cosigned.at(-1);
        if (last === undefined) return;
        const branch = toHex(last.rootHash) === toHex(prefix(MAIN, last.size).root()) ? MAIN : FORK;
        for (const c of w.cosigned) expect(toHex(c.rootHash)).toBe(toHex(prefix(branch, c.size).root()));
        expect(w.states.get(log.origin)).toEqual(stateOf(branch, last.size));
      }),
      { numRuns: 150 },
    );
  });
});
