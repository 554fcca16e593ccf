/** Request limits the API enforces and the CLI checks before sending (docs/API.md). */

export const MAX_BODY_BYTES = 1024 * 1024;

export const MAX_RECORD_BYTES = 64 * 1024;

/**
 * The largest tile or entry bundle GET /v1/log/tile/… serves: base64 makes 4 MiB into
 * 5.6 MB, inside Lambda's 6 MB response. Hash tiles are at most 8 KiB; an entry bundle
 * passes this only when its 256 entries average over 16 KiB (records may be 64 KiB).
 */
export const MAX_SERVED_TILE_BYTES = 4 * 1024 * 1024;

export const MAX_RECORDS = 100;
