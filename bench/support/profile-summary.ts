import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Where a V8 CPU profile's time goes, grouped the way docs/PERFORMANCE.md discusses it
 * (the store emulation, the ledger's own code, SHA-256, signatures, GC...).
 *
 *   node --cpu-prof --cpu-prof-dir=.prof --import tsx bench/index.ts ledger
 *   npx tsx bench/support/profile-summary.ts .prof/<file>.cpuprofile [--under verifyBlocks] [--timeline]
 *
 * --under keeps only samples with that function on the stack (synchronous callees only:
 * V8 does not stitch stacks across awaits). Idle time is reported, not counted as busy.
 * --timeline adds the busy share of each second of the profile: a process near 100%
 * is saturated, whatever it is waiting for.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const CATEGORIES: Array<[string, (f: CallFrame) => boolean]> = [
  ["idle", (f) => f.functionName === "(idle)"],
  ["garbage collection", (f) => f.functionName === "(garbage collector)"],
  // node:crypto's one-shot verify runs as a synchronous job in native code.
  [
    "signature checks (node:crypto)",
    (f) => f.functionName === "verifyOneShot" || (/^(run|SignJob)$/.test(f.functionName) && f.url === ""),
  ],
  [
    "dynalite server + LevelDB",
    (f) =>
      /node_modules\/(dynalite|classic-level|abstract-level|buffer-crc32|lazy|big\.js|lock|level-)/.test(
        f.url,
      ),
  ],
  [
    "AWS SDK client + store module",
    (f) => /node_modules\/@(smithy|aws-sdk|aws-crypto)|functions\/store\//.test(f.url),
  ],
  // The gm suite's (issue 17): lib/sm2 on @noble/curves; SM3 on @noble/hashes' frame,
  // whose own functions (HashMD) fall in the next category.
  [
    "SM2 (lib/sm2, @noble/curves)",
    (f) => f.url.includes("node_modules/@noble/curves/") || f.url.includes("/lib/sm2/"),
  ],
  ["SM3 (lib/chain/sm3.ts)", (f) => f.url.endsWith("lib/chain/sm3.ts")],
  [
    "SHA-256 (@noble/hashes, lib/chain's node hash)",
    (f) => f.url.includes("node_modules/@noble/") || f.url.endsWith("lib/chain/sha256-node.ts"),
  ],
  [
    "ledger code (lib/chain, functions/, zod, JCS)",
    (f) => /\/lib\/chain\/|\/functions\/|node_modules\/(zod|canonicalize)\//.test(f.url),
  ],
  ["node internals (HTTP, sockets, streams, buffers)", (f) => f.url.startsWith("node:") || f.url === ""],
];

function categoryOf(frame: CallFrame): string {
  for (const [name, test] of CATEGORIES) if (test(frame)) return name;
  return "other";
}

/** Busy share of each whole second since the profile started. */
export function timeline(profile: CpuProfile): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const seconds: Array<{ busy: number; total: number }> = [];
  let t = 0;
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    t += micros;
    const s = Math.floor(t / 1e6);
    seconds[s] ??= { busy: 0, total: 0 };
    const bin = seconds[s];
    bin.total += micros;
    if (byId.get(id)?.callFrame.functionName !== "(idle)") bin.busy += micros;
  });
  return seconds.map(
    (b, s) =>
      `${String(s).padStart(4)} s  busy ${((100 * b.busy) / Math.max(b.total, 1)).toFixed(0).padStart(3)}%`,
  );
}

export function summarize(profile: CpuProfile, under?: string): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const onStack = (id: number, name: string): boolean => {
    for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
      if (byId.get(p)?.callFrame.functionName === name) return true;
    }
    return false;
  };
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const micros = profile.timeDeltas[i] ?? 0;
    if (!node || (under !== undefined && !onStack(id, under))) return;
    const category = categoryOf(node.callFrame);
    byCategory.set(category, (byCategory.get(category) ?? 0) + micros);
    if (category === "idle") return;
    busy += micros;
    const f = node.callFrame;
    const name = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(node_modules|work\/main)\//, "")}:${f.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  });
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const pct = (us: number) => `${((100 * us) / Math.max(busy, 1)).toFixed(1).padStart(5)}%`;
  const lines = [
    `busy ${ms(busy).trim()}${under ? ` under ${under}` : ""}; idle ${ms(byCategory.get("idle") ?? 0).trim()}`,
  ];
  for (const [name, us] of [...byCategory].sort((a, b) => b[1] - a[1])) {
    if (name !== "idle") lines.push(`${ms(us)} ${pct(us)}  ${name}`);
  }
  lines.push("", "top functions by self time:");
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    lines.push(`${ms(us)} ${pct(us)}  ${name}`);
  }
  return lines;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [file, ...args] = process.argv.slice(2);
  let under: string | undefined;
  let withTimeline = false;
  let usable = file !== undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--under" && args[i + 1] !== undefined) under = args[++i];
    else if (args[i] === "--timeline") withTimeline = true;
    else usable = false;
  }
  if (file === undefined || !usable) {
    console.error(
      "usage: npx tsx bench/support/profile-summary.ts <file.cpuprofile> [--under <function>] [--timeline]",
    );
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  for (const line of summarize(profile, under)) console.log(line);
  if (withTimeline) for (const line of ["", ...timeline(profile)]) console.log(line);
}
