import { expect } from "vitest";
import {
  AddCheckpointError,
  parseAddCheckpointRequest,
  WitnessError,
  type WitnessErrorCode,
} from "../../../../lib/witness/index.js";

// lib/witness refuses with a closed set of codes; tests assert the code, never the message.

/** Asserts that `fn` throws a WitnessError with `code`. */
export function expectWitnessError(fn: () => unknown, code: WitnessErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected WitnessError ${code}`).toBeInstanceOf(WitnessError);
  expect((thrown as WitnessError).name).toBe("WitnessError");
  expect((thrown as WitnessError).code).toBe(code);
}

/** The code and status parseAddCheckpointRequest refuses `body` with, or "ok". */
export function parseRefusal(body: string | Uint8Array): { code: string; status: number } | "ok" {
  try {
    parseAddCheckpointRequest(body);
  } catch (e) {
    if (e instanceof AddCheckpointError) return { code: e.code, status: e.status };
    throw e;
  }
  return "ok";
}
