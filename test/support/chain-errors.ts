import { expect } from "vitest";
import { ChainError, type ChainErrorCode } from "#chain";

// lib/chain refuses bad input with a ChainError and a code from a closed set; tests
// assert the code, never the message.

/** The ChainError code `fn` throws, or "ok" when it returns. Any other error propagates. */
export function chainErrorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ChainError) return e.code;
    throw e;
  }
  return "ok";
}

/** Asserts that `fn` throws a ChainError with `code`, and returns it. */
export function expectChainError(fn: () => unknown, code: ChainErrorCode): ChainError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ChainError ${code}`).toBeInstanceOf(ChainError);
  expect((thrown as ChainError).name).toBe("ChainError");
  expect((thrown as ChainError).code).toBe(code);
  return thrown as ChainError;
}
