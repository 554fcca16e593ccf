import { describe, expect, it } from "vitest";
import { UsageError } from "../../../cli/usage.js";
import { parseWhere } from "../../../cli/where.js";

// `zhixin match --where <field><op><value>`: the operator is read longest first, and the
// value is typed as a JSON number, a boolean, a quoted JSON string, or the text as written.

describe("parseWhere", () => {
  it.each([
    ["months>=12", { field: "months", op: ">=", value: 12 }],
    ["months<=12", { field: "months", op: "<=", value: 12 }],
    ["status!=closed", { field: "status", op: "!=", value: "closed" }],
    ["months>12", { field: "months", op: ">", value: 12 }],
    ["months<12", { field: "months", op: "<", value: 12 }],
    ["status=active", { field: "status", op: "=", value: "active" }],
    // Spaces around field and value are dropped: the whole predicate quoted for the shell.
    [" months >= 12 ", { field: "months", op: ">=", value: 12 }],
    // The operator is the first one in the text; the value keeps any operator characters after it.
    ["note=a>=b", { field: "note", op: "=", value: "a>=b" }],
    // A value that starts with an operator character is written as a JSON string.
    ['action="=add"', { field: "action", op: "=", value: "=add" }],
    ['expr!="=x"', { field: "expr", op: "!=", value: "=x" }],
    ['arrow=">"', { field: "arrow", op: "=", value: ">" }],
  ])("%s → operator and field", (text, predicate) => {
    expect(parseWhere(text)).toEqual(predicate);
  });

  it.each([
    ["score=3.5", 3.5],
    ["delta=-2", -2],
    ["big=1e3", 1000],
    ["active=true", true],
    ["active=false", false],
    // Not JSON numbers: kept as text, so leading zeros and ID numbers survive.
    ["code=007", "007"],
    ["citizen=46010019900101123X", "46010019900101123X"],
    ["n=12abc", "12abc"],
    ["n=.5", ".5"],
    ["flag=True", "True"],
    // A quoted JSON string is always a string.
    ['months="12"', "12"],
    ['name=" x "', " x "],
    ['quote="a\\"b"', 'a"b'],
    // Nothing after the operator: the empty string.
    ["note=", ""],
  ])("%s → value %j", (text, value) => {
    expect(parseWhere(text).value).toStrictEqual(value);
  });

  it.each([
    ["months", "no operator"],
    [">=12", "no field"],
    ["  =x", "a blank field"],
    ['name="unterminated', "a quote that is not a JSON string"],
    ['name="a" b', "text after the JSON string"],
    ["n=1e400", "a number JSON cannot carry"],
    // An operator character right after the operator: a mistyped operator, not a value.
    ["action==add", "== (not an operator)"],
    ["expr!==x", "!== (not an operator)"],
    ["months=>12", "=> (not an operator)"],
    ["months=<12", "=< (not an operator)"],
    ["status<>closed", "<> (not an operator)"],
    ["n>>1", ">> (not an operator)"],
    ["flag=!true", "=! (not an operator)"],
    ["action = =add", "an operator character after the operator and a space"],
  ])("refuses %s (%s) as a usage error of match", (text) => {
    let error: unknown;
    try {
      parseWhere(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).command).toBe("match");
  });
});
