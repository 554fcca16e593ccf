import { describe, expect, it } from "vitest";
import {
  checkOutput,
  compareShape,
  matchesGlob,
  parseShape,
  parseWalkthrough,
  splitCommands,
} from "../../support/walkthrough.js";

// The executable-documentation reader (test/support/walkthrough.ts) must be able to fail:
// each check here is one way a page can drift from the product.

const fence = "```";

describe("parseWalkthrough", () => {
  it("reads run, server and skipped blocks, and binds an adjacent output block to a run block", () => {
    const page = [
      `${fence}sh ci`,
      "npm ci && npm start",
      fence,
      `${fence}sh server`,
      "ZHIXIN_SEAL_INTERVAL=off npm start",
      fence,
      `${fence}sh`,
      "echo one",
      "echo two",
      fence,
      "",
      `${fence}text exit=3`,
      "two",
      fence,
      "Prose between a command and an example.",
      "",
      `${fence}json`,
      '{ "an": "example, not an output" }',
      fence,
    ].join("\n");
    const steps = parseWalkthrough(page);
    expect(steps.map((s) => s.kind)).toEqual(["skip", "server", "run"]);
    const run = steps[2];
    expect(run?.kind === "run" && run.commands).toEqual(["echo one", "echo two"]);
    expect(run?.kind === "run" && run.expect).toMatchObject({ kind: "text", body: "two", exit: 3 });
  });

  it.each([
    ["an unknown shell tag", `${fence}sh later\necho\n${fence}`],
    ["two tags", `${fence}sh aws bench\necho\n${fence}`],
    ["a server block of two commands", `${fence}sh server\nnpm start\nnpm start\n${fence}`],
    ["an unknown output tag", `${fence}sh\necho\n${fence}\n${fence}json stdout\n{}\n${fence}`],
    [
      "two output blocks for one command",
      `${fence}sh\necho\n${fence}\n${fence}text\na\n${fence}\n${fence}text\nb\n${fence}`,
    ],
    ["an unclosed block", `${fence}sh\necho`],
  ])("refuses %s", (_what, page) => {
    expect(() => parseWalkthrough(page)).toThrow();
  });

  it("keeps placeholders of blocks that are not run as they are", () => {
    const steps = parseWalkthrough(`${fence}sh aws\nnpx cdk bootstrap aws://<account>/<region>\n${fence}`);
    expect(steps).toEqual([
      { kind: "skip", reason: "aws", commands: ["npx cdk bootstrap aws://<account>/<region>"], line: 1 },
    ]);
  });
});

describe("splitCommands", () => {
  it("joins continuation lines, loops and here-documents, and drops comments", () => {
    const block = [
      "# a comment",
      "zhixin match --as a \\",
      "  --subject b",
      "for i in 1 2; do",
      "  echo $i",
      "done > out.txt",
      "cat > doc.json <<'EOF'",
      '{ "a": 1 }',
      "EOF",
      "echo 'a # not a comment'",
    ].join("\n");
    expect(splitCommands(block)).toEqual([
      "zhixin match --as a \\\n  --subject b",
      "for i in 1 2; do\n  echo $i\ndone > out.txt",
      "cat > doc.json <<'EOF'\n{ \"a\": 1 }\nEOF",
      "echo 'a # not a comment'",
    ]);
  });

  it("refuses an unfinished command or here-document", () => {
    expect(() => splitCommands("for i in 1; do")).toThrow(/unfinished/);
    expect(() => splitCommands("cat <<EOF\nno end")).toThrow(/never closed/);
  });
});

describe("JSON shapes", () => {
  it("reads elisions", () => {
    const shape = parseShape('{ "a": …, "b": [1, …], "c": { … }, "d": "x…", … }');
    expect(compareShape(shape, { a: { any: 1 }, b: [1, 2, 3], c: { z: 1 }, d: "xyz", e: 5 })).toEqual([]);
  });

  it.each([
    ["a missing member", '{ "a": 1 }', { b: 1 }, '$: no member "a"'],
    ["another number", '{ "height": 1 }', { height: 2 }, "$.height: 2, the page shows 1"],
    ["another boolean", '{ "ok": true }', { ok: false }, "$.ok: false, the page shows true"],
    [
      "a string that does not match",
      '{ "v": "a2b7…d1b2" }',
      { v: "a2b7ffff" },
      '$.v: "a2b7ffff" does not match "a2b7…d1b2"',
    ],
    ["a number for a string", '{ "v": "…" }', { v: 1 }, '$.v: expected a string like "…", got 1'],
    ["more elements than shown", "[1]", [1, 2], "$: 2 elements, the page shows 1"],
    ["fewer elements than shown", "[1, 2, …]", [1], "$: 1 elements, the page shows 2 or more"],
    ["an object for an array", "[]", {}, "$: expected an array, got {}"],
    ["an array for an object", "{}", [], "$: expected an object, got []"],
    ["null for a value", '{ "a": 0 }', { a: null }, "$.a: null, the page shows 0"],
  ])("names %s", (_what, shape, actual, problem) => {
    expect(compareShape(parseShape(shape), actual)).toEqual([problem]);
  });

  it("matches globs on the whole string", () => {
    expect(matchesGlob("20…Z", "2026-12-03T08:00:00.000Z")).toBe(true);
    expect(matchesGlob("a.c", "abc")).toBe(false);
    expect(matchesGlob("abc", "abcd")).toBe(false);
  });
});

describe("checkOutput", () => {
  const json = (body: string, exit = 0) => ({ kind: "json" as const, body, exit, line: 1 });
  const text = (body: string, exit = 0) => ({ kind: "text" as const, body, exit, line: 1 });

  it("passes output of the page's shape and status", () => {
    expect(
      checkOutput(json('{ "ok": true }'), { code: 0, stdout: '{"ok":true,"more":1}', stderr: "" }),
    ).toEqual([]);
    expect(
      checkOutput(text('zhixin: …\n  "code": "X",', 1), {
        code: 1,
        stdout: "",
        stderr: 'zhixin: X: no\n{\n  "code": "X",\n}',
      }),
    ).toEqual([]);
    expect(checkOutput(undefined, { code: 0, stdout: "anything", stderr: "" })).toEqual([]);
  });

  it("fails another exit status, with or without an output block", () => {
    expect(checkOutput(undefined, { code: 1, stdout: "", stderr: "" })).toEqual([
      "exit status 1, the page shows 0",
    ]);
    expect(checkOutput(text("", 1), { code: 0, stdout: "", stderr: "" })).toEqual([
      "exit status 0, the page shows 1",
    ]);
  });

  it("fails stdout that is not JSON", () => {
    expect(checkOutput(json("{}"), { code: 0, stdout: "zhixin: oops", stderr: "" })).toEqual([
      'stdout is not JSON: "zhixin: oops"',
    ]);
  });

  it("fails text lines that are missing or out of order", () => {
    const problems = checkOutput(text("b\na"), { code: 0, stdout: "a\nb", stderr: "" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^no output line matches "a"/);
    expect(checkOutput(text("c"), { code: 0, stdout: "a\nb", stderr: "" })).toHaveLength(1);
  });
});
