import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatCosignature,
  formatCosignatureVerifierKey,
  formatSignedNote,
  formatVerifierKey,
  INTL,
  NOTE_SIGNATURE_TYPE_ED25519,
  type NoteSignature,
  parseSignedNote,
  verifyCosignature,
} from "#chain";
import {
  decideAddCheckpoint,
  formatAddCheckpointRequest,
  formatCosignatureResponse,
  parseAddCheckpointRequest,
  parseCosignatureResponse,
} from "../../lib/witness/index.js";
import { expectChainError } from "../support/chain-errors.js";
import {
  ed25519For,
  leaves,
  signedCheckpoint,
  type TestWitness,
  testLog,
  testWitness,
  treeOf,
} from "../support/witness-keys.js";

// Interop, not self-consistency (issue 12): the checkpoints Zhixin's witnesses cosign are
// read by an implementation that shares no code with ours — Go's golang.org/x/mod/sumdb/note
// and crypto/ed25519, in test/interop/note-verify/main.go, built offline from Debian's
// golang-go and golang-golang-x-mod-dev (.ci/run installs both). x/mod knows no
// cosignatures, so main.go verifies and writes cosignature/v1 from the spec's text alone,
// inside x/mod's note.Open and note.Sign (docs/formats/witness.md §1).
//
// Without Go these tests are skipped on a developer's machine, and fail in CI (CI=true, or
// ZHIXIN_REQUIRE_INTEROP=1 as .ci/run sets it), so that the check never silently stops there.

const X_MOD_GOPATH = "/usr/share/gocode";
const X_MOD_NOTE = join(X_MOD_GOPATH, "src/golang.org/x/mod/sumdb/note/note.go");
const SOURCE = fileURLToPath(new URL("./note-verify/", import.meta.url));
const truthy = (v: string | undefined) => ["true", "1"].includes((v ?? "").toLowerCase());
/** CI=true (as CI services set it), or ZHIXIN_REQUIRE_INTEROP=1 (as .ci/run sets it). */
const REQUIRED = truthy(process.env.CI) || truthy(process.env.ZHIXIN_REQUIRE_INTEROP);
const run = promisify(execFile);

let dir = "";
let binary = "";
/** Why the Go side cannot run here, or "" when it can. */
let missing = "";

beforeAll(async () => {
  try {
    await run("go", ["version"]);
  } catch {
    missing = "the go command (Debian: golang-go)";
    return;
  }
  if (!existsSync(X_MOD_NOTE)) {
    missing = `${X_MOD_NOTE} (Debian: golang-golang-x-mod-dev)`;
    return;
  }
  dir = await mkdtemp(join(tmpdir(), "zhixin-interop-"));
  binary = join(dir, "note-verify");
  const cache = join(tmpdir(), "zhixin-go-build-cache");
  await mkdir(cache, { recursive: true });
  // GOPATH mode, so the build needs no module proxy: x/mod comes from Debian's GOPATH.
  const env = { ...process.env, GOPATH: X_MOD_GOPATH, GO111MODULE: "off", GOFLAGS: "", GOCACHE: cache };
  await run("go", ["build", "-o", binary, "."], { cwd: SOURCE, env });
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Skips the test when Go is missing here, fails it when it is missing in CI. */
function requireGo(ctx: { skip: (note?: string) => void }): void {
  if (!missing) return;
  if (REQUIRED) throw new Error(`the Go interop test must run here (CI), but ${missing} is missing`);
  ctx.skip(`missing ${missing}`);
}

function go<T>(input: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as T);
      else reject(new Error(`note-verify exited ${code}: ${stderr}`));
    });
    child.stdin.end(JSON.stringify(input));
  });
}

interface Opened {
  error: string;
  verified: string[];
  unverified: string[];
  timestamps: Record<string, number>;
  text: string;
}
type Verified = { plain: Opened; cosigned: Opened };

const verify = (note: string, logVkey: string, witnessVkeys: string[]) =>
  go<Verified>({ mode: "verify", note, logVkey, witnessVkeys });

const log = testLog("zhixin.example/interop");
const logVkey = formatVerifierKey(log.origin, NOTE_SIGNATURE_TYPE_ED25519, log.publicKey);
const witnesses = ["dept-a.example/witness", "dept-b.example/witness", "dept-c.example/witness"].map((n) =>
  testWitness(n),
);
const vkeyOf = (w: TestWitness) => formatCosignatureVerifierKey(w.key);
const T = 1_767_225_600;

/** What a Zhixin witness answers to the log's request: lib/witness's decision, then the cosignature. */
function cosignThroughWitness(w: TestWitness, note: string, now: number): NoteSignature[] {
  const request = parseAddCheckpointRequest(formatAddCheckpointRequest(0, [], note));
  const decision = decideAddCheckpoint({
    request,
    log: { suite: INTL, origin: log.origin, verifiers: [log.verifier] },
    state: null,
    now,
  });
  if (!decision.accepted) throw new Error(`witness refused: ${decision.code}`);
  const line = formatCosignature(w.signer, decision.timestamp, w.signer.sign(decision.message));
  return parseCosignatureResponse(note, formatCosignatureResponse([line]));
}

const flip = (line: NoteSignature, at: number): NoteSignature => {
  const signature = line.signature.slice();
  signature[at] = (signature[at] as number) ^ 1;
  return { ...line, signature };
};

describe("Go's sumdb/note reads Zhixin's cosigned checkpoints", () => {
  const note = signedCheckpoint(log, treeOf(leaves("interop", 11)));
  const { text, signatures } = parseSignedNote(note);
  const lines = witnesses.flatMap((w, i) => cosignThroughWitness(w, note, T + i));
  const cosigned = formatSignedNote(text, [...signatures, ...lines]);

  it("verifies the log's signature and every witness's cosignature, at its timestamp", async (ctx) => {
    requireGo(ctx);
    const out = await verify(cosigned, logVkey, witnesses.map(vkeyOf));
    expect(out.cosigned).toEqual({
      error: "",
      verified: [log.origin, ...witnesses.map((w) => w.key.name)],
      unverified: [],
      timestamps: Object.fromEntries(witnesses.map((w, i) => [w.key.name, T + i])),
      text,
    });
  });

  it("with the log's key alone, opens the note and ignores the cosignatures as unknown keys", async (ctx) => {
    requireGo(ctx);
    const out = await verify(cosigned, logVkey, []);
    expect(out.plain).toMatchObject({
      error: "",
      verified: [log.origin],
      unverified: witnesses.map((w) => w.key.name),
    });
  });

  it("refuses a cosignature with a flipped bit in its signature or in its timestamp, as we do", async (ctx) => {
    requireGo(ctx);
    const [first] = lines;
    if (!first) throw new Error("three lines");
    for (const at of [3, 8 + 20]) {
      const bad = flip(first, at);
      const out = await verify(formatSignedNote(text, [...signatures, bad]), logVkey, witnesses.map(vkeyOf));
      expect(out.cosigned.error).toBe("invalid-signature");
      // The same line under x/mod without the witness keys: an unknown key's, ignored.
      expect(out.plain.error).toBe("");
      expectChainError(
        () => verifyCosignature(text, bad, (witnesses[0] as TestWitness).verifier),
        "INVALID_COSIGNATURE",
      );
    }
  });

  it("refuses a cosignature moved to another checkpoint of the same log", async (ctx) => {
    requireGo(ctx);
    const other = signedCheckpoint(log, treeOf(leaves("interop", 12)));
    const moved = formatSignedNote(parseSignedNote(other).text, [
      ...parseSignedNote(other).signatures,
      ...lines.slice(0, 1),
    ]);
    expect((await verify(moved, logVkey, witnesses.map(vkeyOf))).cosigned.error).toBe("invalid-signature");
  });

  it("refuses a note whose log signature fails, whatever its cosignatures", async (ctx) => {
    requireGo(ctx);
    const [logLine] = signatures;
    if (!logLine) throw new Error("one log line");
    const forged = formatSignedNote(text, [flip(logLine, 0), ...lines]);
    expect((await verify(forged, logVkey, witnesses.map(vkeyOf))).cosigned.error).toBe("invalid-signature");
  });

  it("finds no trusted signature in a note cosigned by witnesses but not signed by the log", async (ctx) => {
    requireGo(ctx);
    const impostor = testLog(log.origin, "not the log's key");
    const unsigned = formatSignedNote(text, [
      ...parseSignedNote(signedCheckpoint(impostor, treeOf(leaves("interop", 11)))).signatures,
      ...lines,
    ]);
    const out = await verify(unsigned, logVkey, []);
    expect(out.plain.error).toBe("unverified");
  });
});

describe("Go writes cosignatures Zhixin reads", () => {
  it("x/mod's note.Sign with a cosignature/v1 signer writes the worked example byte for byte", async (ctx) => {
    requireGo(ctx);
    const worked = JSON.parse(
      readFileSync(new URL("../vectors/cosignature/worked-example.json", import.meta.url), "utf8"),
    );
    const out = await go<{ note: string }>({
      mode: "cosign",
      note: worked.checkpointNote,
      logVkey: "zhixin.example/demo+1197537b+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
      name: worked.keyName,
      seed: worked.ed25519Seed,
      timestamp: worked.timestamp,
    });
    expect(out.note).toBe(worked.cosignedNote);
  });

  it("cosigns a checkpoint of ours with a key Go derives from the seed; lib/chain verifies it", async (ctx) => {
    requireGo(ctx);
    const w = witnesses[1] as TestWitness;
    const seed = ed25519For(w.key.name).seed;
    const note = signedCheckpoint(log, treeOf(leaves("go-side", 5)));
    const out = await go<{ note: string }>({
      mode: "cosign",
      note,
      logVkey,
      name: w.key.name,
      seed: Buffer.from(seed).toString("hex"),
      timestamp: T,
    });
    const { text, signatures } = parseSignedNote(out.note);
    const line = signatures.at(-1);
    if (!line) throw new Error("Go wrote no line");
    expect(verifyCosignature(text, line, w.verifier).timestamp).toBe(T);
    expect(signatures.slice(0, -1)).toEqual(parseSignedNote(note).signatures);
    expect(line.keyHash).toEqual(w.key.keyHash);
  });
});
