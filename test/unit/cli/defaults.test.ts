import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localPaths, PROJECT_ROOT } from "../../../cli/defaults.js";

// The CLI's and `npm start`'s default paths: in the project root, whatever the current
// directory; paths from the environment as given, relative to the current directory.

describe("localPaths", () => {
  it("finds the project root from its own file: the folder holding bin/zhixin", () => {
    expect(existsSync(join(PROJECT_ROOT, "bin", "zhixin.js"))).toBe(true);
    expect(existsSync(join(PROJECT_ROOT, "consortium.example.json"))).toBe(true);
  });

  it.each(["/", "/tmp/elsewhere", join(PROJECT_ROOT, "docs"), PROJECT_ROOT])(
    "defaults to the project's home and consortium from %s",
    (cwd) => {
      expect(localPaths({}, cwd, "/repo")).toEqual({
        home: "/repo/.zhixin",
        consortium: "/repo/consortium.example.json",
      });
    },
  );

  it("takes the environment's paths as given, relative ones from the current directory", () => {
    expect(localPaths({ ZHIXIN_HOME: "h", ZHIXIN_CONSORTIUM: "../c.json" }, "/work/sub", "/repo")).toEqual({
      home: "/work/sub/h",
      consortium: "/work/c.json",
    });
    expect(
      localPaths({ ZHIXIN_HOME: "/abs/home", ZHIXIN_CONSORTIUM: "/abs/c.json" }, "/work", "/repo"),
    ).toEqual({ home: "/abs/home", consortium: "/abs/c.json" });
  });

  it("counts an empty variable as unset", () => {
    expect(localPaths({ ZHIXIN_HOME: "", ZHIXIN_CONSORTIUM: "" }, "/work", "/repo")).toEqual({
      home: "/repo/.zhixin",
      consortium: "/repo/consortium.example.json",
    });
  });
});
