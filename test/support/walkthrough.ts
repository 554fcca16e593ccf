/**
 * Executable documentation: the shell blocks of a walkthrough page (the README, each
 * docs/walkthroughs/*.md) as a list of steps, and the check of a step's output against the
 * block the page shows after it. The conventions are written for authors in
 * docs/walkthroughs/README.md; in short:
 *
 *   ```sh                 run, in order, in one shell session (cwd and variables carry on)
 *   ```sh server          the local consortium: started in the background, awaited
 *   ```sh <reason>        not run here; <reason> is one of SKIP_REASONS
 *   ```json [exit=N]      what the block's last command prints on stdout: a JSON shape
 *   ```text [exit=N]      lines its stdout and stderr must contain, in order
 *
 * An output block belongs to the shell block right above it (only blank lines between).
 * Every command of a run block must exit 0, except a block's last command, whose status is
 * the output block's `exit=` (0 when absent).
 */

import { spawnSync } from "node:child_process";

/** Shell-block tags for commands that cannot run in the test, with the reason. */
export const SKIP_REASONS = {
  ci: "the quick-start commands themselves: CI runs `npm ci` and `npm test`, and the walkthrough's `server` block runs `npm start`",
  aws: "a step of deploying to or using AWS: needs an account and a deployed stack, which this machine cannot reach (CI synthesises the demo stack offline)",
  bench: "a benchmark: minutes of load, run by `npm run bench`, never in `npm test`",
} as const;
export type SkipReason = keyof typeof SKIP_REASONS;

export interface Expectation {
  kind: "json" | "text";
  body: string;
  exit: number;
  /** 1-based line of the output block in the page, for messages. */
  line: number;
}

export type Step =
  | { kind: "run"; commands: string[]; expect?: Expectation; line: number }
  | { kind: "server"; command: string; line: number }
  | { kind: "skip"; reason: SkipReason; commands: string[]; line: number };

interface Fence {
  lang: string;
  tags: string[];
  body: string;
  line: number;
  /** Whether only blank lines separate this fence from the one before it. */
  adjacent: boolean;
}

/** The fenced code blocks of a Markdown page (``` fences, not indented code). */
export function readFences(markdown: string): Fence[] {
  const lines = markdown.split("\n");
  const fences: Fence[] = [];
  let lastEnd = -2;
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i] as string);
    if (i >= lines.length) throw new Error(`line ${start + 1}: a code block is never closed`);
    const between = lines.slice(lastEnd + 1, start);
    fences.push({
      lang: open[1] ?? "",
      tags: (open[2] ?? "").trim().split(/\s+/).filter(Boolean),
      body: body.join("\n"),
      line: start + 1,
      adjacent: lastEnd >= 0 && between.every((l) => l.trim() === ""),
    });
    lastEnd = i;
  }
  return fences;
}

/**
 * Splits a shell block into commands: a command runs on over its line while bash reads
 * it as unfinished (a trailing `\`, an open `for … done`, quote or bracket), and a
 * here-document (`<<'EOF'` or `<<EOF`) to its delimiter line; lines that are empty or only
 * a comment between commands are dropped.
 */
export function splitCommands(block: string): string[] {
  const lines = block.split("\n");
  const commands: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let command = lines[i] as string;
    if (command.trim() === "" || command.trim().startsWith("#")) continue;
    for (;;) {
      const heredoc = /<<-?\s*(['"]?)([A-Za-z_]+)\1/.exec(command.split("\n").at(-1) as string);
      if (heredoc) {
        const end = heredoc[2] as string;
        while (i + 1 < lines.length && lines[i + 1] !== end) command += `\n${lines[++i]}`;
        if (i + 1 >= lines.length) throw new Error(`here-document ${end} is never closed`);
        command += `\n${lines[++i]}`;
      }
      if (isComplete(command) || i + 1 >= lines.length) break;
      command += `\n${lines[++i]}`;
    }
    if (!isComplete(command)) throw new Error(`unfinished shell command: ${command}`);
    commands.push(command);
  }
  return commands;
}

/** Whether bash parses `text` as whole commands (`bash -n`: syntax only, nothing runs). */
function isComplete(text: string): boolean {
  if (text.endsWith("\\")) return false;
  return spawnSync("bash", ["-n", "-c", text], { stdio: "ignore" }).status === 0;
}

/** The steps of a walkthrough page, in order; throws on a block the conventions do not allow. */
export function parseWalkthrough(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const fence of readFences(markdown)) {
    const previous = steps.at(-1);
    if (fence.lang === "json" || fence.lang === "text") {
      if (!fence.adjacent || previous?.kind !== "run") continue; // an example, not an output
      if (previous.expect) throw new Error(`line ${fence.line}: a second output block for one command`);
      const exit = fence.tags.find((t) => t.startsWith("exit="));
      const unknown = fence.tags.filter((t) => !t.startsWith("exit="));
      if (unknown.length > 0) throw new Error(`line ${fence.line}: unknown output tag ${unknown.join(" ")}`);
      previous.expect = {
        kind: fence.lang,
        body: fence.body,
        exit: exit ? Number(exit.slice("exit=".length)) : 0,
        line: fence.line,
      };
      continue;
    }
    if (fence.lang !== "sh") continue;
    const [tag, ...more] = fence.tags;
    // A block that is not run may hold placeholders (`<region>`) that are not shell syntax.
    const commands = tag !== undefined && tag in SKIP_REASONS ? [fence.body] : splitCommands(fence.body);
    if (more.length > 0) throw new Error(`line ${fence.line}: one tag at most, got ${fence.tags.join(" ")}`);
    if (tag === undefined) steps.push({ kind: "run", commands, line: fence.line });
    else if (tag === "server") {
      if (commands.length !== 1) throw new Error(`line ${fence.line}: a server block holds one command`);
      steps.push({ kind: "server", command: commands[0] as string, line: fence.line });
    } else if (tag in SKIP_REASONS) {
      steps.push({ kind: "skip", reason: tag as SkipReason, commands, line: fence.line });
    } else throw new Error(`line ${fence.line}: unknown shell tag ${tag}`);
  }
  return steps;
}

// --- output shapes ---------------------------------------------------------------------

/** In a JSON shape: "any further elements" (the last element of an array), "any value". */
const MORE = Symbol("more");
const ANY = Symbol("any");
type Shape = null | boolean | number | string | Shape[] | { [key: string]: Shape } | typeof MORE | typeof ANY;
const SENTINELS: Record<string, typeof MORE | typeof ANY> = { "\u0000more": MORE, "\u0000any": ANY };

/**
 * A JSON block as a shape. The page may elide with `…` outside strings: `{ … }` or a
 * `, …` in an object (objects allow extra members anyway), a trailing `…` element in an
 * array (any further elements), and `: …` as a value (anything).
 */
export function parseShape(text: string): Shape {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    if (c !== "…") {
      out += c;
      continue;
    }
    const before = out.trimEnd().at(-1);
    const afterText = text.slice(i + 1).trimStart();
    if (before === ":") out += '"\\u0000any"';
    else if (enclosing(out) === "[") out += '"\\u0000more"';
    else if (before === "{" || before === ",") {
      // An elided member: drop it with the comma that joins it to a neighbour.
      if (afterText.startsWith(",")) i = text.indexOf(",", i + 1);
      else if (before === ",") out = out.trimEnd().slice(0, -1);
    } else throw new Error(`cannot read "…" after ${JSON.stringify(before)} in ${JSON.stringify(text)}`);
  }
  return JSON.parse(out, (_k, v) => (typeof v === "string" && SENTINELS[v]) || v) as Shape;
}

/** The innermost open bracket of a JSON prefix: "{" or "[" (strings skipped). */
function enclosing(prefix: string): "{" | "[" | undefined {
  const stack: string[] = [];
  let inString = false;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") stack.push(c);
    else if (c === "}" || c === "]") stack.pop();
  }
  return stack.at(-1) as "{" | "[" | undefined;
}

/** Whether `actual` matches a string pattern where `…` stands for any run of characters. */
export function matchesGlob(pattern: string, actual: string): boolean {
  const parts = pattern.split("…").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`, "s").test(actual);
}

/**
 * The differences between a shape and a value, as `path: message` lines (none: it
 * matches). Objects match when every shown member matches (more are allowed); arrays
 * element by element, with the same length unless the shape ends in `…`; strings by
 * glob; numbers, booleans and null exactly.
 */
export function compareShape(shape: Shape, actual: unknown, path = "$"): string[] {
  if (typeof shape === "string") {
    if (typeof actual !== "string")
      return [`${path}: expected a string like ${JSON.stringify(shape)}, got ${JSON.stringify(actual)}`];
    return matchesGlob(shape, actual)
      ? []
      : [`${path}: ${JSON.stringify(actual)} does not match ${JSON.stringify(shape)}`];
  }
  if (shape === MORE || shape === ANY) return [];
  if (Array.isArray(shape)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    const open = shape.at(-1) === MORE;
    const shown = open ? shape.slice(0, -1) : shape;
    const problems: string[] = [];
    if (open ? actual.length < shown.length : actual.length !== shown.length)
      problems.push(
        `${path}: ${actual.length} elements, the page shows ${shown.length}${open ? " or more" : ""}`,
      );
    shown.forEach((s, i) => {
      if (i < actual.length) problems.push(...compareShape(s, actual[i], `${path}[${i}]`));
    });
    return problems;
  }
  if (shape !== null && typeof shape === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual))
      return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    const record = actual as Record<string, unknown>;
    return Object.entries(shape).flatMap(([key, s]) =>
      Object.hasOwn(record, key)
        ? compareShape(s, record[key], `${path}.${key}`)
        : [`${path}: no member "${key}"`],
    );
  }
  return Object.is(shape, actual)
    ? []
    : [`${path}: ${JSON.stringify(actual)}, the page shows ${JSON.stringify(shape)}`];
}

/** Problems with a command's output against its expectation (none: it matches). */
export function checkOutput(
  expect: Expectation | undefined,
  run: { code: number; stdout: string; stderr: string },
): string[] {
  const wanted = expect?.exit ?? 0;
  const problems = run.code === wanted ? [] : [`exit status ${run.code}, the page shows ${wanted}`];
  if (!expect) return problems;
  if (expect.kind === "json") {
    let value: unknown;
    try {
      value = JSON.parse(run.stdout);
    } catch {
      return [...problems, `stdout is not JSON: ${JSON.stringify(run.stdout.slice(0, 200))}`];
    }
    return [...problems, ...compareShape(parseShape(expect.body), value)];
  }
  // text: each shown line matches a later line of the output, in order.
  const lines = `${run.stdout}\n${run.stderr}`.split("\n").map((l) => l.trimEnd());
  let at = 0;
  for (const want of expect.body.split("\n").map((l) => l.trimEnd())) {
    if (want === "") continue;
    const found = lines.findIndex((l, i) => i >= at && matchesGlob(want, l));
    if (found < 0) {
      problems.push(`no output line matches ${JSON.stringify(want)} (after line ${at + 1})`);
      break;
    }
    at = found + 1;
  }
  return problems;
}
