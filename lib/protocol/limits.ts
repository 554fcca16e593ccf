/** Request limits the API enforces and the CLI checks before sending (docs/API.md). */

export const MAX_BODY_BYTES = 1024 * 1024;

export const MAX_RECORD_BYTES = 64 * 1024;

export const MAX_RECORDS = 100;
