import { JsonTextError, type JsonValue, parseJson } from "#chain";
import { ApiError } from "./errors.js";

/**
 * A request body as JSON (POST /v1/entries, POST /v1/match): UTF-8 (a leading BOM is
 * ignored, RFC 8259 §8.1), read as I-JSON by parseJson (lib/chain json.ts,
 * docs/FORMATS.md §1.1). What handlers validate, hash and store is derived from exactly
 * the members and values the client signed — or the request is refused here, before
 * anything is read or written:
 *
 *   not UTF-8, not JSON text                        INVALID_JSON
 *   an object naming a member twice                 DUPLICATE_KEY     details {path, offset}
 *   a lone surrogate in a string or member name     LONE_SURROGATE    details {path, offset}
 *   a number its canonical form would change        NUMBER_NOT_EXACT  details {path, offset}
 *   nested deeper than MAX_JSON_DEPTH               SCHEMA_VIOLATION  details [{path, message}]
 *
 * `path` is the JSON Pointer (RFC 6901) of the refused member or value; `offset` counts
 * UTF-16 code units into the decoded text.
 */
export function parseJsonBody(body: Uint8Array): JsonValue {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch (e) {
    throw new ApiError("INVALID_JSON", `body is not UTF-8: ${(e as Error).message}`);
  }
  try {
    return parseJson(text);
  } catch (e) {
    if (!(e instanceof JsonTextError)) throw e;
    switch (e.code) {
      case "DUPLICATE_KEY":
      case "LONE_SURROGATE":
      case "NUMBER_NOT_EXACT":
        throw new ApiError(e.code, `body: ${e.message}`, { path: e.pointer, offset: e.offset });
      case "INVALID_ENCODING":
        throw new ApiError("SCHEMA_VIOLATION", `body: ${e.message}`, [
          { path: e.pointer, message: e.message },
        ]);
      default:
        throw new ApiError("INVALID_JSON", `body is not JSON: ${e.message}`, { offset: e.offset });
    }
  }
}
