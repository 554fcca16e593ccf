import { createReadStream } from "node:fs";
import { appendFile, mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { JsonValue } from "#chain";
import { keySignatureCheckOf } from "../../lib/crypto/verify.js";
import {
  CHUNK_BLOCKS,
  checkExportContinues,
  chunkFile,
  type EvidenceChecks,
  EvidenceError,
  EXPORT_FILES,
  EXPORT_TAG,
  ExportAudit,
  type ExportBlock,
  ExportError,
  ExportKeyHistoryIndex,
  type ExportLeaf,
  type ExportManifest,
  type ExportReport,
  exportKeyHistory,
  formatBlockLine,
  formatManifest,
  parseBlockLine,
  parseManifest,
  parseTrustBundle,
  parseTrustRoot,
  type TrustRoot,
} from "../../lib/evidence/index.js";
import { trustFile } from "../../lib/local-home.js";
import type { BlockView } from "../../lib/protocol/entries.js";
import { ClientError, type ZhixinClient } from "../client.js";
import { InputError } from "../input.js";
import { ProgressBar } from "../progress.js";
import { UsageError, type Values } from "../usage.js";
import { type Context, optionalString, printJson, requireString } from "./context.js";
import { buildTrustRoot } from "./trust.js";

/**
 * `zhixin export --out <dir>`: the whole log, for an offline audit (docs/formats/export.md):
 * every block with its leaves, envelopes and the payloads the exporter may read, the
 * published checkpoint with its cosignatures, the trust root and the trust bundle. On a
 * directory that holds an export, continues it from its last block — once the ledger's
 * block there is the one exported (EXPORT_FORKED otherwise). And `zhixin verify --export
 * <dir>`: that directory audited on this machine alone, with lib/evidence's ExportAudit.
 * The files are read and written here; every judgement is lib/evidence's.
 */

/** lib/evidence's signature checks, by node:crypto (lib/crypto/verify.ts). */

/** Blocks handed to the audit at a time while reading. */
const FEED = 32;

// ---- zhixin export ------------------------------------------------------------------------

export async function runExport(ctx: Context, values: Values): Promise<number> {
  const out = requireString(values, "out", "export");
  const sealerKey = optionalString(values, "sealer-key");
  const keysFile = optionalString(values, "keys") ?? trustFile(ctx.home);
  const client = await ctx.client();
  const identity = await ctx.identity();
  const log = ctx.consortium.log;

  const before = await readManifestIfAny(out);
  if (before instanceof ExportError) return refuse(before, true);
  if (before && before.log !== log)
    throw new UsageError(
      `${out} holds an export of ${before.log}, not of ${log}: export to another directory`,
    );
  if (before && before.exportedAs !== identity.department)
    throw new UsageError(
      `${out} holds an export read as ${before.exportedAs}: continue it --as ${before.exportedAs}, or export to another directory`,
      "export",
    );
  // Read before the blocks, so that the blocks written reach its size.
  const checkpoint = await client.publishedCheckpoint();
  const latest = await client.latestBlock().catch(noBlock);
  const to = latest?.header.height ?? 0;
  if (before?.last) {
    const there = await client.block(before.last.height).catch(noBlock);
    try {
      checkExportContinues(client.suite, before.last, there);
    } catch (e) {
      if (e instanceof ExportError) return refuse(e, true);
      throw e;
    }
  }
  const from = (before?.last?.height ?? 0) + 1;
  const [trustRoot, keys] = await Promise.all([buildTrustRoot(ctx, sealerKey), readText(keysFile, "--keys")]);
  parseTrustBundleOrExplain(keys, keysFile);

  await mkdir(join(out, EXPORT_FILES.blocks), { recursive: true });
  await dropPastLast(out, from);
  const manifest: ExportManifest = before ?? {
    export: EXPORT_TAG,
    log,
    exportedAs: identity.department,
    last: null,
    payloads: { included: 0, withheld: 0, missing: 0 },
    keyRecords: [],
    runs: [],
  };
  // The key history so far, to know the cosigns of its records among the blocks to come.
  const keyIndex = new ExportKeyHistoryIndex(client.suite);
  if (before)
    for (const block of await readKeyRecordBlocks(out, before))
      for (const leaf of block.entries) keyIndex.classify(leaf.envelope);
  const bar =
    process.stderr.isTTY && to >= from ? new ProgressBar(process.stderr, to - from + 1, "blocks") : undefined;
  let entries = 0;
  try {
    for (let h = from; h <= to; h++) {
      const block = await exportBlock(client, h);
      await appendFile(join(out, chunkFile(h)), `${formatBlockLine(block)}\n`);
      note(manifest, block, keyIndex);
      entries += block.entries.length;
      bar?.advance(1);
    }
  } finally {
    if (bar) bar.finish();
  }
  if (to >= from) manifest.runs.push({ from, to, at: new Date().toISOString() });
  await writeFile(join(out, EXPORT_FILES.trustRoot), trustRoot.text);
  await writeFile(join(out, EXPORT_FILES.keys), keys);
  await writeFile(join(out, EXPORT_FILES.checkpoint), checkpoint);
  // The manifest last, whole or not at all: it says how far the blocks written are complete.
  await writeFile(join(out, `${EXPORT_FILES.manifest}.tmp`), formatManifest(manifest));
  await rename(join(out, `${EXPORT_FILES.manifest}.tmp`), join(out, EXPORT_FILES.manifest));

  printJson({
    out,
    log,
    exportedAs: manifest.exportedAs,
    added: to >= from ? { from, to, blocks: to - from + 1, entries } : null,
    last: manifest.last,
    payloads: manifest.payloads,
    keyRecords: manifest.keyRecords.length,
  });
  process.stderr.write(
    `${
      to >= from
        ? `Exported blocks ${from} to ${to} (${entries} entries) to ${out}.`
        : `${out} already holds every block (the log's height is ${to}); the checkpoint is refreshed.`
    } Payloads you may not read are withheld (${manifest.payloads.withheld} so far); check it offline with \`zhixin verify --export ${out} --trust-root <file>\`.\n`,
  );
  return 0;
}

/** A ledger with no block yet (404) has none at that height; other refusals stand. */
function noBlock(e: unknown): undefined {
  if (e instanceof ClientError && e.code === "NOT_FOUND") return undefined;
  throw e;
}

/** Block `height` and all its leaves, part by part. */
async function exportBlock(client: ZhixinClient, height: number): Promise<ExportBlock> {
  const block: BlockView = await client.block(height);
  const entries: ExportLeaf[] = [];
  for (let start: number | null = 0; start !== null; ) {
    const part = await client.blockEntries(height, start);
    if (part.hash !== block.hash)
      throw new InputError(
        `block ${height} changed while it was read (hash ${part.hash}, was ${block.hash}): export again`,
      );
    entries.push(
      ...part.entries.map((e) => ({
        ...e,
        envelope: e.envelope as unknown as { [key: string]: JsonValue } | null,
      })),
    );
    start = part.next;
  }
  return {
    height,
    header: block.header as unknown as JsonValue,
    hash: block.hash,
    signature: block.signature,
    checkpoint: block.checkpoint,
    entries,
  };
}

/** The manifest's account of one more block: its last block, payload counts, key records and their cosigns. */
function note(manifest: ExportManifest, block: ExportBlock, keyIndex: ExportKeyHistoryIndex): void {
  const header = block.header as unknown as BlockView["header"];
  manifest.last = {
    height: header.height,
    hash: block.hash,
    logSize: header.logSize,
    logRoot: header.logRoot,
  };
  block.entries.forEach((leaf, i) => {
    manifest.payloads[leaf.payloadStatus]++;
    const envelope = leaf.envelope;
    if (envelope && keyIndex.classify(envelope))
      manifest.keyRecords.push({
        entryId: envelope.id as string,
        type: envelope.type as string,
        height: block.height,
        logIndex: header.first + i,
      });
  });
}

/**
 * A run that stopped before writing its manifest may have left blocks past the export's
 * last (even half a line): the file that `from` falls in keeps only the lines before it.
 */
async function dropPastLast(out: string, from: number): Promise<void> {
  const file = join(out, chunkFile(from));
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (text === undefined) return;
  const kept = text.split("\n").filter((line) => {
    try {
      return (JSON.parse(line) as { height: number }).height < from;
    } catch {
      return false; // a line cut short by the stopped run
    }
  });
  await writeFile(file, kept.map((l) => `${l}\n`).join(""));
}

async function readManifestIfAny(dir: string): Promise<ExportManifest | ExportError | undefined> {
  const text = await readFile(join(dir, EXPORT_FILES.manifest), "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw new InputError(`cannot read ${join(dir, EXPORT_FILES.manifest)}: ${e.code ?? e.message}`);
  });
  if (text === undefined) return undefined;
  try {
    return parseManifest(text);
  } catch (e) {
    if (e instanceof ExportError) return e;
    throw e;
  }
}

function parseTrustBundleOrExplain(text: string, file: string): void {
  try {
    parseTrustBundle(text);
  } catch (e) {
    throw new InputError(
      `${file} is not a trust bundle (${(e as Error).message}); pass the consortium's with --keys`,
    );
  }
}

// ---- zhixin verify --export ---------------------------------------------------------------

/** `zhixin verify --export <dir>`: reads files only; never the network (nor ZHIXIN_URL). */
export async function runVerifyExport(values: Values): Promise<number> {
  for (const flag of [
    "bundle",
    "from",
    "to",
    "entry",
    "trust",
    "forget",
    "function",
    "region",
    "payload",
    "file",
    "field",
  ]) {
    if (values[flag] !== undefined)
      throw new UsageError(`--export cannot be combined with --${flag}`, "verify");
  }
  const dir = optionalString(values, "export") as string;
  const rootFile = optionalString(values, "trust-root");
  const min = values["min-witnesses"];
  if (min !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(String(min)))
    throw new UsageError(
      `--min-witnesses is a count of witnesses (0 or more), got ${JSON.stringify(min)}`,
      "verify",
    );

  let root: TrustRoot;
  try {
    root = parseTrustRoot(await readText(rootFile ?? join(dir, EXPORT_FILES.trustRoot), "--trust-root"));
  } catch (e) {
    if (!(e instanceof EvidenceError)) throw e;
    process.stderr.write(
      `zhixin: ${e.code}: ${e.message}\nThe trust root file is not a trust root (zhixin trust export writes one).\n`,
    );
    return 2;
  }
  if (rootFile === undefined)
    process.stderr.write(
      `Note: checking against the export's own trust root (${join(dir, EXPORT_FILES.trustRoot)}). ` +
        "Whoever made the export chose it: pass --trust-root with one you got another way.\n",
    );
  const minWitnesses = min === undefined ? undefined : Number(min);
  if (minWitnesses !== undefined && minWitnesses > root.witnesses.length)
    throw new UsageError(
      `--min-witnesses ${minWitnesses}: the trust root names ${root.witnesses.length} witness(es)`,
      "verify",
    );

  let report: ExportReport;
  try {
    report = await auditExport(dir, root, minWitnesses);
  } catch (e) {
    if (e instanceof ExportError) return refuse(e, true);
    throw e;
  }
  printJson(report);
  process.stderr.write(`${exportSummary(report)}\n`);
  return report.ok ? 0 : 1;
}

async function auditExport(
  dir: string,
  root: TrustRoot,
  minWitnesses: number | undefined,
): Promise<ExportReport> {
  const manifest = parseManifest(await readExportFile(dir, EXPORT_FILES.manifest));
  const keys = parseTrustBundle(await readExportFile(dir, EXPORT_FILES.keys));
  const note = await readExportFile(dir, EXPORT_FILES.checkpoint);
  // The key history first: department signatures are judged by it, under the trust root's
  // key governance (docs/formats/export.md §4).
  const ledger = exportKeyHistory(
    await readKeyRecordBlocks(dir, manifest),
    root,
    keySignatureCheckOf(root.suite),
  );
  const audit = new ExportAudit(
    root,
    keys,
    { verifySignature: keySignatureCheckOf(root.suite) } satisfies EvidenceChecks,
    {
      ledger,
      ...(minWitnesses === undefined ? {} : { minWitnesses }),
    },
  );
  const files = (await readdir(join(dir, EXPORT_FILES.blocks)).catch(() => [] as string[]))
    .filter((f) => /^\d{6}\.ndjson$/.test(f))
    .sort();
  const total = manifest.last?.height ?? 0;
  const bar =
    process.stderr.isTTY && total > 0 ? new ProgressBar(process.stderr, total, "blocks") : undefined;
  try {
    for (const file of files) {
      const name = `${EXPORT_FILES.blocks}/${file}`;
      let run: ExportBlock[] = [];
      let n = 0;
      for await (const line of createInterface({
        input: createReadStream(join(dir, name)),
        crlfDelay: Infinity,
      })) {
        n++;
        if (line === "") continue;
        run.push(parseBlockLine(line, `${name}:${n}`));
        if (run.length === FEED) {
          audit.add(run);
          bar?.advance(run.length);
          run = [];
        }
      }
      audit.add(run);
      bar?.advance(run.length);
    }
  } finally {
    bar?.finish();
  }
  return audit.finish(manifest, note);
}

/**
 * The blocks the manifest says hold key records or their cosigns, in height order. A record
 * the manifest leaves out is not read here, and the audit then finds it not given
 * (KEY_HISTORY_MISMATCH); one it names that the blocks do not hold, MANIFEST_MISMATCH.
 */
async function readKeyRecordBlocks(dir: string, manifest: ExportManifest): Promise<ExportBlock[]> {
  const heights = new Set(manifest.keyRecords.map((r) => r.height));
  const byFile = new Map<string, Set<number>>();
  for (const h of heights) byFile.set(chunkFile(h), (byFile.get(chunkFile(h)) ?? new Set()).add(h));
  const blocks: ExportBlock[] = [];
  for (const name of [...byFile.keys()].sort()) {
    const wanted = byFile.get(name) as Set<number>;
    const first = Number(/(\d{6})\.ndjson$/.exec(name)?.[1]) * CHUNK_BLOCKS + 1;
    let n = 0;
    try {
      for await (const line of createInterface({
        input: createReadStream(join(dir, name)),
        crlfDelay: Infinity,
      })) {
        n++;
        if (line !== "" && wanted.has(first + n - 1)) blocks.push(parseBlockLine(line, `${name}:${n}`));
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // the main pass reports the missing file
      throw e;
    }
  }
  return blocks.sort((a, b) => a.height - b.height);
}

export function exportSummary(report: ExportReport): string {
  const { payloads } = report;
  const witnessed = report.checkpoint
    ? `; the published checkpoint (size ${report.checkpoint.size}) has ${report.checkpoint.witnesses.length} witness cosignature(s), ${report.checkpoint.minWitnesses} required`
    : "";
  const head =
    `${report.blocksChecked} blocks, ${report.entriesChecked} entries; payloads checked ${payloads.checked}, ` +
    `withheld ${payloads.withheld}, missing ${payloads.missing}${witnessed}` +
    (report.keyGovernance === null
      ? "; the trust root carries no keyGovernance, so no recovery or cosign of a key record counted (get one from `zhixin trust export`)"
      : "");
  if (report.ok) return `ok: ${head}`;
  const shown = report.findings.slice(0, 3).map((f) => {
    const where = [f.height === undefined ? "" : `height ${f.height}`, f.entryId ? `entry ${f.entryId}` : ""]
      .filter(Boolean)
      .join(", ");
    return `${f.code}${where ? ` (${where})` : ""}: ${f.message}`;
  });
  const more =
    report.findings.length > shown.length ? `; … ${report.findings.length - shown.length} more` : "";
  return `${report.findings.length} finding(s) in ${head}: ${shown.join("; ")}${more}`;
}

// ---- files --------------------------------------------------------------------------------

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new InputError(
      `cannot read ${file} (${what}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** A file the export must hold: its absence is the export's fault (EXPORT_INVALID), not the caller's. */
async function readExportFile(dir: string, name: string): Promise<string> {
  try {
    return await readFile(join(dir, name), "utf8");
  } catch (e) {
    throw new ExportError(
      "EXPORT_INVALID",
      `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      name,
    );
  }
}

/** The refusal's code and message on stderr, and with `json` as JSON on stdout; exit 1. */
function refuse(e: ExportError, json: boolean): number {
  if (json) printJson({ ok: false, error: { code: e.code, message: e.message } });
  process.stderr.write(`zhixin: ${e.code}: ${e.message}\n`);
  return 1;
}
