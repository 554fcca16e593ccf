import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { LEDGER_TABLE } from "../../../lib/store-layout.js";
import { StoreInvariantError } from "../ports.js";
import type { Item } from "../table.js";

/**
 * What every item family's encoding shares: attribute names, the condition pieces,
 * field validation and the item size limit.
 *
 * Writers check what readers will check, so nothing is stored that cannot be read
 * back. Readers treat any deviation as corruption (StoreInvariantError naming the item)
 * rather than return something half-parsed; the lenient readers serve the auditor
 * (AuditSource), which must see a corrupt item as a finding, not an error.
 */

/** DynamoDB refuses items over 400 KB; we refuse ours well before, with a clear message. */
export const MAX_ITEM_BYTES = 350 * 1024;

export const HEX64 = /^[0-9a-f]{64}$/;
/** RFC 3339 UTC with milliseconds: fixed width, so string order is time order (pendingSortKey). */
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const A = {
  pk: LEDGER_TABLE.partitionKey.name,
  sk: LEDGER_TABLE.sortKey.name,
  gsi1pk: LEDGER_TABLE.pendingIndex.partitionKey.name,
  gsi1sk: LEDGER_TABLE.pendingIndex.sortKey.name,
  sealedHeight: "sealedHeight",
  sealedOffset: "sealedOffset",
} as const;

// Condition pieces. Each names the race it closes where it is used.
/** The item does not exist yet: first writer wins, every later writer learns it lost. */
export const ITEM_IS_NEW = "attribute_not_exists(#pk)";
export const ITEM_EXISTS = "attribute_exists(#pk)";

export function lenientJson(attr: AttributeValue | undefined): unknown {
  if (attr?.S === undefined) return undefined;
  try {
    return JSON.parse(attr.S);
  } catch {
    return undefined;
  }
}

export function lenientInteger(attr: AttributeValue | undefined): number | undefined {
  const n = attr?.N === undefined ? Number.NaN : Number(attr.N);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Field readers over a raw item; every failure is turned into one StoreInvariantError by decode. */
export class ItemReader {
  constructor(private readonly item: Item) {}

  string(name: string): string {
    const v = this.item[name]?.S;
    if (v === undefined) throw new Error(`${name} is not a string attribute`);
    return v;
  }

  keyAfter(name: string, prefix: string): string {
    const v = this.string(name);
    if (!v.startsWith(prefix) || v.length === prefix.length) throw new Error(`${name} ${v} lacks ${prefix}`);
    return v.slice(prefix.length);
  }

  integer(name: string): number {
    const v = this.optionalInteger(name);
    if (v === undefined) throw new Error(`${name} is missing`);
    return v;
  }

  optionalInteger(name: string): number | undefined {
    const attr = this.item[name];
    if (attr === undefined) return undefined;
    const n = attr.N === undefined ? Number.NaN : Number(attr.N);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} is not a non-negative integer`);
    return n;
  }

  bytes(name: string): Uint8Array {
    const v = this.item[name]?.B;
    if (v === undefined) throw new Error(`${name} is not a binary attribute`);
    return v;
  }

  json(name: string): unknown {
    return JSON.parse(this.string(name));
  }

  stringArray(name: string): string[] {
    const v = this.json(name);
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
      throw new Error(`${name} is not a JSON array of strings`);
    }
    return v;
  }
}

export function decode<T>(item: Item, read: (r: ItemReader) => T): T {
  try {
    return read(new ItemReader(item));
  } catch (err) {
    const where = `${item[A.pk]?.S ?? "?"} / ${item[A.sk]?.S ?? "?"}`;
    throw new StoreInvariantError(`stored item ${where} is corrupt: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Upper bound of DynamoDB's item size: attribute names plus values in UTF-8 (numbers
 * are counted as their digits, which overestimates DynamoDB's ~1 byte per 2 digits).
 */
export function itemSizeBytes(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name, "utf8");
    if (value.S !== undefined) size += Buffer.byteLength(value.S, "utf8");
    else if (value.N !== undefined) size += value.N.length + 1;
    else if (value.B !== undefined) size += value.B.length;
    else throw new TypeError(`attribute ${name}: only S, N and B are sized`);
  }
  return size;
}

export function assertItemFits(item: Item, what: string): void {
  const size = itemSizeBytes(item);
  if (size > MAX_ITEM_BYTES) {
    throw new RangeError(`${what} would be a ${size}-byte item, over the ${MAX_ITEM_BYTES}-byte limit`);
  }
}

export function assertCount(n: number, what: string, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min)
    throw new RangeError(`${what} must be an integer >= ${min}, got ${n}`);
}
