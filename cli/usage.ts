import type { ParseArgsConfig } from "node:util";
import { localPaths } from "./defaults.js";

/**
 * The `zhixin` commands as users see them: names, usage lines, help text, options.
 * Kept free of heavy imports so that --help and usage errors answer quickly; the
 * commands themselves are in ./commands/. Past 400 lines because it is the help text of
 * every command, and one table (COMMANDS) keeps each command's options beside the words
 * that explain them.
 */

export const DEFAULTS = {
  url: "http://127.0.0.1:8787",
  /** This checkout's home and consortium file, whatever the current directory (./defaults.ts). */
  ...localPaths({}, "/"),
};

const ENVIRONMENT = `Environment:
  ZHIXIN_URL          API base URL (default ${DEFAULTS.url}); a deployed stack's is
                      https://<id>.execute-api.<region>.amazonaws.com (a stack output)
  ZHIXIN_HOME         local keys ($ZHIXIN_HOME/keys/<member>.pem) and the checkpoint
                      verify keeps ($ZHIXIN_HOME/audit/); default, from any directory:
                        ${DEFAULTS.home}
  ZHIXIN_CONSORTIUM   consortium file: members and the auditor identity; default:
                        ${DEFAULTS.consortium}
                      (a relative ZHIXIN_HOME or ZHIXIN_CONSORTIUM is taken from the
                      current directory; \`npm start\` uses the same defaults)
  ZHIXIN_SIGV4        1: SigV4-sign every request, as --sigv4
  ZHIXIN_VERIFY_FUNCTION   \`zhixin verify\` invokes this verify function, as --function
  AWS_PROFILE, AWS_ACCESS_KEY_ID, …   AWS credentials (the standard provider chain)
  AWS_REGION, AWS_DEFAULT_REGION      the region when neither --region, an ARN nor the API host says`;

export type Options = NonNullable<ParseArgsConfig["options"]>;
/** Parsed options: a string, a flag, or the strings of a repeatable option (`multiple`). */
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface CommandSpec {
  summary: string;
  usage: string;
  /** Description and option list shown by --help, after the usage line. */
  details: string;
  /** A command line shown at the end of --help. */
  example?: string;
  options: Options;
  positionals: { min: number; max: number };
}

const AS_OPTION = `  --as <member>       act as this department or auditor (key from ZHIXIN_HOME; with
                      --kms-key, default: the <member> of alias/zhixin/<consortium>/<member>,
                      or the member whose keyArn the key is)`;

/** --as for commands only a department may run; `role` says which department, e.g. "the proposing party". */
function asDepartment(role: string): string {
  return `  --as <department>   ${role}
                      (key from ZHIXIN_HOME; with --kms-key, default: the <member> of
                      alias/zhixin/<consortium>/<member>, or the member whose keyArn it is)`;
}

/** Options of every command that signs requests, for a deployed stack. */
const AWS_SIGNING_HELP = `
On AWS (a deployed stack):
  --kms-key <arn|alias>  sign with this KMS key instead of a key file (kms:Sign; AWS
                      credentials from the standard provider chain, or --kms-profile)
  --kms-profile <name>  the AWS profile KMS signs with, when the key is in the member's
                      own account and the API is called with the ledger account's role
                      (default: the same credentials as everything else)
  --key-id <id>       the key id signatures name (default: the id derived from the key,
                      <member>/<16 hex of SHA-256 of its public key>, read with
                      kms:GetPublicKey)
  --alg <alg>         ed25519 or ecdsa-p256-sha256, which the key must be (default: the
                      key's KeySpec)
  --region <region>   AWS region for KMS and SigV4 (default: from the key ARN or the API
                      host, else AWS_REGION / AWS_DEFAULT_REGION)
  --sigv4             SigV4-sign every request (service execute-api) for an IAM-authorised
                      API; automatic for https://….execute-api.<region>.amazonaws.com URLs`;

const AWS_SIGNING_OPTIONS = {
  "kms-key": { type: "string" },
  "key-id": { type: "string" },
  "kms-profile": { type: "string" },
  alg: { type: "string" },
  region: { type: "string" },
  sigv4: { type: "boolean" },
} as const satisfies Options;

export const COMMANDS = {
  submit: {
    summary: "sign and submit records of one type as a department",
    usage:
      "zhixin submit (--as <department> | --kms-key <arn|alias>) --type <record type> --file <file.json | file.ndjson | ->",
    details: `The file holds one record's data (a JSON object), or one object per line (ndjson:
a .ndjson name, or several lines that are each an object); "-" reads stdin. ndjson is
sent as signed batches of up to 100 records, a few at a time; every line is checked
before anything is sent. Prints the receipt: for ndjson
  { "entries": [...in input order], "batches": N, "receivedAt": [first, last] }

Options:
  --as <department>   the writing department (key from ZHIXIN_HOME; with --kms-key,
                      default: the <member> of alias/zhixin/<consortium>/<member>)
  --type <type>       record type, e.g. housing-fund.deposit-certificate
  --file <path>       the record data; - for stdin
  --concurrency <n>   batches in flight at once (default 4)
${AWS_SIGNING_HELP}`,
    options: {
      as: { type: "string" },
      type: { type: "string" },
      file: { type: "string" },
      concurrency: { type: "string" },
      ...AWS_SIGNING_OPTIONS,
    },
    positionals: { min: 0, max: 0 },
  },
  ship: {
    summary: "ship a stream of records (ndjson) to the ledger, restart-safe, as a department",
    usage:
      "zhixin ship (--as <department> | --kms-key <arn|alias>) --type <record type> [--file <file.ndjson> [--follow] | --file -] [options]",
    details: `Reads records of one type, one JSON object per line, as they come — from a file,
or a file it keeps following as it grows (--follow), or stdin — and sends them in signed
batches: a batch goes when it holds --max-records records, or when its first record has
waited --max-wait-ms. Up to --concurrency batches are in flight; a batch that meets a
network error, a timeout, a 5xx or a 429 is sent again (after Retry-After, if the API
gives one, else a backoff from 0.1 s to 2 s), for as long as it takes unless
--max-retries says otherwise.

Restart-safe: the offset file (default <file>.ship-offset) records the byte offset up to
which every line is on the ledger, and journals each batch — its nonce and the byte range
of its lines — on disk BEFORE sending it. Run the same command again after a crash (kill
-9, a power cut, the API down): it first sends the batches the journal left
unacknowledged again, with the same records and the same nonce, then goes on from the
offset. A batch the ledger had already committed is answered NONCE_REPLAYED; the shipper
then reads its first entry back (entry ids derive from key, nonce and record) and counts
it as acknowledged. No record is lost or written twice. Do not edit lines it has read.

From stdin (--file - or no --file) the input cannot be read again: with --offset-file,
the journal keeps each batch's lines, so batches in flight at a crash are resent on the
next run, but lines read and not yet batched are lost with the process — the producer
must send them again. Without --offset-file nothing is journaled.

Output: on a terminal, progress on stderr (records read, sent, acknowledged, rate, batches
in flight); on stdout, unless it is a terminal, one JSON line per acknowledged batch:
  {"from":0,"to":10412,"records":100,"nonce":"…","entries":[{"id":"…","leafHash":"…"},…],"receivedAt":"…"}
(a batch found already on the ledger has "replayed":true and ids only). At the end, a
summary on stderr. Stops at the end of the input; with --follow, at Ctrl-C or SIGTERM,
after sending what it has read (a second Ctrl-C stops at once: the journal is safe).
Exit status 0 when everything read is acknowledged; 1 when the API refused a batch (its
code and lines are named; nothing of it was stored); 2 for a line that is not a record,
a usage or offset-file problem, or retries run out. Every line before the one at fault
is on the ledger; fix it and run the same command again.

Options:
  --as <department>   the writing department (key from ZHIXIN_HOME; with --kms-key,
                      default: the <member> of alias/zhixin/<consortium>/<member>)
  --type <type>       record type of every line, e.g. audit.db-operation
  --file <path>       the ndjson input; - for stdin (the default)
  --follow            keep reading the file as it grows (tail -f), until Ctrl-C/SIGTERM;
                      a file rotated away is not followed to the next one (ship that
                      with its own offset file), and one truncated in place is refused
  --offset-file <path>  the offset and journal (default: <file>.ship-offset; for stdin,
                      none unless given)
  --max-records <n>   records per batch, at most 100 (default 100)
  --max-wait-ms <ms>  longest a record waits for its batch to fill (default 200)
  --concurrency <n>   batches in flight at once (default 4)
  --max-retries <n>   give up on a batch after n resends in a row (default: never)
${AWS_SIGNING_HELP}`,
    example: `zhixin ship --as hf-haikou --type audit.db-operation --file ops.ndjson > receipts.ndjson
  zhixin ship --as hf-haikou --type audit.db-operation --file /var/log/db-ops.ndjson --follow
  node examples/s5/db-operations.mjs --count 1000 | zhixin ship --as hf-haikou --type audit.db-operation --offset-file ops.ship-offset`,
    options: {
      as: { type: "string" },
      type: { type: "string" },
      file: { type: "string" },
      follow: { type: "boolean" },
      "offset-file": { type: "string" },
      "max-records": { type: "string" },
      "max-wait-ms": { type: "string" },
      concurrency: { type: "string" },
      "max-retries": { type: "string" },
      ...AWS_SIGNING_OPTIONS,
    },
    positionals: { min: 0, max: 0 },
  },
  get: {
    summary: "show an entry: status, envelope, proof once sealed, payload for its writer",
    usage: "zhixin get <entry id> [--as <member>] [--kms-key <arn|alias>]",
    details: `Prints the entry as the API returns it. Reads as the consortium's first auditor unless
--as is given; only the writing department sees the payload.

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 1, max: 1 },
  },
  block: {
    summary: "show a sealed block: header, hash, signature, checkpoint",
    usage: "zhixin block [<height> | latest] [--as <member>] [--kms-key <arn|alias>]",
    details: `Prints the block at <height> (default: the latest), read as the consortium's first
auditor unless --as is given.

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 0, max: 1 },
  },
  checkpoint: {
    summary: "print the latest published checkpoint, with its witness cosignatures",
    usage: "zhixin checkpoint [--as <member>] [--kms-key <arn|alias>]",
    details: `Prints the latest checkpoint as published with the log's tiles (C2SP signed note): the
log's text, then the sealer's signature line and one line per witness that cosigned it
(docs/formats/witness.md). If nothing is published yet, prints the latest block's
checkpoint, signed by the sealer alone, and says so on stderr. Read as the consortium's
first auditor unless --as is given.

Example:
  zhixin checkpoint > checkpoint.txt

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 0, max: 0 },
  },
  seal: {
    summary: "seal pending entries into a block now (local mode)",
    usage: "zhixin seal",
    details: `Asks the local consortium (npm start) to seal one block now, and prints the result.
A deployed stack seals on its EventBridge schedule (the seal-block function).`,
    options: {},
    positionals: { min: 0, max: 0 },
  },
  verify: {
    summary: "audit the chain, a range of heights or one entry; or check an evidence bundle offline",
    usage:
      "zhixin verify [--from <height>] [--to <height>] | zhixin verify --entry <entry id>   [--function <name|arn>]\n" +
      "       zhixin verify --bundle <file> --trust-root <file> [--payload <file>] [--file <file> [--field <name>]] [--min-witnesses <n>]\n" +
      "       zhixin verify --export <dir> [--trust-root <file>] [--min-witnesses <n>]",
    details: `Runs the verify function — of the local consortium, or with --function the deployed
stack's (invoked directly, with your AWS credentials) — and prints its report. Exit status
0 when ok, 1 when there are findings, 2 when the function failed or could not answer:
--from/--to outside the log's heights 1 to the latest (RANGE_INVALID: the message gives
the latest height; \`zhixin block\` shows it too), or an --entry id that no block or
pending batch holds (NOT_FOUND: check the id). An entry the ledger holds whose items
are gone is a finding (ENTRY_MISSING, PAYLOAD_MISSING), exit 1.

A chain cannot show on its own that its newest blocks were removed. So after every clean
audit of the whole chain, the checkpoint of its last block (signed by the sealer) is kept
in $ZHIXIN_HOME/audit/trusted-checkpoint, and the next audit requires the log to still
reach it, with the same root (findings LOG_TRUNCATED, LOG_REWRITTEN).

The checkpoint the ledger published with its tiles is checked the same way, and must
carry valid cosignatures from at least the consortium's witnessQuorum of its witnesses
(findings CHECKPOINT_UNWITNESSED, WITNESS_SIGNATURE_INVALID; docs/TRUST.md says what a
witnessed checkpoint proves).

Options:
  --from <height>     first height to audit (default 1); at most the latest height
  --to <height>       last height to audit (default: the latest); from <= to <= latest
  --entry <id>        check one entry: envelope, signature, inclusion proof, block
  --trust <file>      hold the log to this checkpoint instead of the kept one
  --forget            neither use nor update the kept checkpoint
  --min-witnesses <n> require n witness cosignatures instead of the quorum (0: none)

On AWS (a deployed stack):
  --function <name|arn>  invoke this verify function (lambda:InvokeFunction; stack output)
                      instead of the local consortium's (default: $ZHIXIN_VERIFY_FUNCTION)
  --region <region>   the function's region (default: from its ARN, else AWS_REGION /
                      AWS_DEFAULT_REGION)

Evidence bundles, offline (--bundle): checks an evidence bundle (\`zhixin evidence\`)
against a trust root (\`zhixin trust export\`) on this machine alone — no network, no
server, ZHIXIN_URL unused (docs/formats/evidence.md §3). Prints what the bundle proves
as JSON on stdout, and says it in one sentence on stderr. Exit status 0 when it proves
the record (and the --file and --payload checks hold); 1 when it does not, with the
reason's code (FILE_MISMATCH, CHECKPOINT_UNWITNESSED, KEY_REVOKED, …; the list is in
docs/formats/evidence.md §6); 2 for a usage mistake, a file that cannot be read, or a
trust root that is not one (TRUST_ROOT_INVALID).

  --bundle <file>     the evidence bundle
  --trust-root <file> the trust root: the log, its sealer's and witnesses' keys, the quorum
  --file <file>       also check that this file is the one the record holds the SHA-256 of
  --field <name>      the record's member that holds that SHA-256 (default sha256, as in
                      evidence.digest records)
  --payload <file>    also check that this JSON file is the record's data (what was
                      submitted); for a bundle without the payload, --file reads its digest
                      from here
  --min-witnesses <n> require n witness cosignatures instead of the trust root's quorum

Whole-log exports, offline (--export): audits an export (\`zhixin export\`) on this machine
alone, as the online audit audits the ledger: every block's links, sealer signature and
checkpoint, roots, leaves, envelopes, batch proofs, department signatures (by the
export's keys.json) and the payloads it holds; then the published checkpoint against the
trust root (sealer, witness quorum) and that the export reaches it with the same root
(docs/formats/export.md). Prints the report as JSON, a summary on stderr; exit 0 when
clean, 1 with findings or an export that is not one (EXPORT_INVALID), 2 for a usage
mistake or a trust root that is not one.

  --export <dir>      the export's directory
  --trust-root <file> the trust root (default: the export's own trust-root.json, which its
                      maker chose: pass one you got another way)
  --min-witnesses <n> require n witness cosignatures instead of the trust root's quorum`,
    example: `zhixin verify --from 2 --to 5     (a log of 5 blocks or more; see \`zhixin block\`)
  zhixin verify --entry <entry id from a receipt>
  zhixin verify --min-witnesses 3   (every witness must have cosigned)
  zhixin verify --bundle evidence.bundle.json --trust-root trust-root.json --file evidence.png
  zhixin verify --export ledger-export --trust-root trust-root.json`,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      entry: { type: "string" },
      trust: { type: "string" },
      forget: { type: "boolean" },
      "min-witnesses": { type: "string" },
      function: { type: "string" },
      region: { type: "string" },
      bundle: { type: "string" },
      "trust-root": { type: "string" },
      payload: { type: "string" },
      file: { type: "string" },
      field: { type: "string" },
      export: { type: "string" },
    },
    positionals: { min: 0, max: 0 },
  },
  evidence: {
    summary: "fetch an entry's evidence bundle: one file that proves it offline",
    usage:
      "zhixin evidence <entry id> [--out <file>] [--trust-root <file>] [--as <member>] [--kms-key <arn|alias>]",
    details: `Fetches the entry's evidence bundle (GET /v1/entries/{id}/evidence,
docs/formats/evidence.md) and writes it to --out, or to stdout. The bundle holds the
entry, its inclusion proof under the log's published checkpoint with the witnesses'
cosignatures, and the key records of the key that signed it: anyone holding the trust
root (\`zhixin trust export\`) can check it later with \`zhixin verify --bundle\`, with no
access to this ledger. The payload is in it only if you may read it (the department
that wrote the entry; see \`zhixin get\`). Says on stderr what the bundle holds; with
--trust-root, checks it first and says what it proves (exit 1 if it does not prove the
entry; the file is written either way).

An entry can be bundled once a published checkpoint covers it: until then the ledger
answers EVIDENCE_NOT_READY (exit 1; seal, or wait for the next seal, and ask again).
Reads as the consortium's first auditor unless --as is given.

Options:
  --out <file>        write the bundle here (default: stdout)
  --trust-root <file> check the bundle against this trust root before writing it
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    example: `zhixin evidence <entry id> --as internet-court --out evidence.bundle.json`,
    options: {
      out: { type: "string" },
      "trust-root": { type: "string" },
      as: { type: "string" },
      ...AWS_SIGNING_OPTIONS,
    },
    positionals: { min: 1, max: 1 },
  },
  export: {
    summary: "write the whole log to a directory for an offline audit, or continue one",
    usage:
      "zhixin export --out <dir> [--as <member>] [--keys <trust bundle>] [--sealer-key <SealerKeyArn>] [--kms-key <arn|alias>]",
    details: `Writes every sealed block to <dir> (docs/formats/export.md): headers, sealer signatures,
checkpoints, each block's leaves with their envelopes, and the payloads you may read (the
rule of \`zhixin get\`; key records' for everyone; the others withheld, bound by their
digests); the checkpoint published with the witnesses' cosignatures; the trust root (as
\`zhixin trust export\` writes it) and the trust bundle (the members' public keys). A
manifest lists the key records' entry ids. Anyone can audit it with no access to the
ledger: \`zhixin verify --export <dir>\`.

On a directory that holds an export, adds the blocks sealed since its last one, after
checking that the ledger's block at that height is the one exported (else EXPORT_FORKED,
exit 1: the log was forked or rewritten; nothing is added). Read as --as (default: the
consortium's first auditor); continue an export as the member that began it. Prints a
JSON summary; a progress bar on a terminal.

Options:
  --out <dir>         the export's directory (created if need be)
  --keys <file>       the trust bundle to include (default: ZHIXIN_HOME's keys/trust.json)
  --sealer-key <arn>  on AWS: the sealer's KMS key, for the trust root (as \`zhixin trust export\`)
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    example: `zhixin export --out ledger-export && zhixin verify --export ledger-export --trust-root trust-root.json`,
    options: {
      out: { type: "string" },
      keys: { type: "string" },
      "sealer-key": { type: "string" },
      as: { type: "string" },
      ...AWS_SIGNING_OPTIONS,
    },
    positionals: { min: 0, max: 0 },
  },
  "trust export": {
    summary: "write the trust root: what a verifier holds to check evidence offline",
    usage: "zhixin trust export [--out <file>] [--sealer-key <SealerKeyArn> [--region <region>]]",
    details: `Writes the consortium's trust root (docs/formats/trust-root.md): the log's origin, the
sealer's checkpoint key, each witness's cosignature key and the quorum — all that
\`zhixin verify --bundle\` needs besides the bundle. Give it to whoever will check
evidence (a court, an inspector) ahead of time, by another channel than the bundles.
Says on stderr where each key came from.

The origin and the quorum come from the consortium file (ZHIXIN_CONSORTIUM). Locally
(npm start), the sealer's key is keys/trust.json's and each witness's its key file
keys/<id>.witness.pem in ZHIXIN_HOME. On AWS, the sealer's key is read from KMS
(kms:GetPublicKey on the consortium stack's output SealerKeyArn) and each witness's
from the consortium file's witness { url, vkey } (its member stack's WitnessVkey).

Options:
  --out <file>        write it here (default: stdout)
  --sealer-key <arn>  the sealer's KMS key (the stack output SealerKeyArn): AWS mode; while its
                      key is rotated, every version's ARN, oldest first, comma-separated
  --region <region>   its region (default: from the ARN, else AWS_REGION)`,
    example: `zhixin trust export --out trust-root.json`,
    options: {
      out: { type: "string" },
      "sealer-key": { type: "string" },
      region: { type: "string" },
    },
    positionals: { min: 0, max: 0 },
  },
  "contract propose": {
    summary: "propose a sharing contract, or a new version of one, as a party",
    usage: "zhixin contract propose (--as <department> | --kms-key <arn|alias>) --file <contract.json | ->",
    details: `Checks the file against the contract document format (docs/FORMATS.md §9) —
listing every problem, sending nothing — then submits it as a zhixin.contract.propose
record signed by the proposing party, and prints
  { "contractId": "…", "version": "<hex SHA-256 (SM3 under gm) of its canonical JSON>", "entryId": "…" }
The version answers match requests once the other party approves it.

Options:
${asDepartment("the proposing party: the contract's provider or consumer")}
  --file <path>       the contract document (JSON); - for stdin
${AWS_SIGNING_HELP}`,
    example: `zhixin contract propose --as hf-haikou --file examples/contracts/s1-housing-fund-certificate.json`,
    options: { as: { type: "string" }, file: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 0, max: 0 },
  },
  "contract approve": {
    summary: "approve a proposed version of a sharing contract, as the other party",
    usage:
      "zhixin contract approve (--as <department> | --kms-key <arn|alias>) <contract id> [--version <version>]",
    details: `Submits a zhixin.contract.approve record for one version of the contract: --version,
or else the newest version whose status is "proposed" (see \`zhixin contract show\`).
That version then answers match requests, superseding any approved before. Only the
party that did not propose a version may approve it. Prints
  { "contractId": "…", "version": "…", "entryId": "…" }

Options:
${asDepartment("the approving party")}
  --version <version> the version to approve: 64 hex digits, as \`zhixin contract propose\`
                      and \`zhixin contract show\` print them (default: the newest proposed)
${AWS_SIGNING_HELP}`,
    example: `zhixin contract approve --as hf-sanya s1-hf-deposit-certificate`,
    options: { as: { type: "string" }, version: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 1, max: 1 },
  },
  "contract revoke": {
    summary: "revoke a sharing contract, as either party",
    usage:
      "zhixin contract revoke (--as <department> | --kms-key <arn|alias>) <contract id> [--reason <text>]",
    details: `Submits a zhixin.contract.revoke record: every proposed or approved version is
revoked, and from then on match requests under the contract are refused
(CONTRACT_NOT_EFFECTIVE). Either party may revoke. Prints
  { "contractId": "…", "entryId": "…" }

Options:
${asDepartment("the revoking party")}
  --reason <text>     why, kept in the ledger (default: "revoked by <department>")
${AWS_SIGNING_HELP}`,
    example: `zhixin contract revoke --as hf-haikou s1-hf-deposit-certificate --reason "mortgage programme ended"`,
    options: { as: { type: "string" }, reason: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 1, max: 1 },
  },
  "contract show": {
    summary: "show a sharing contract: its versions, who agreed, which is in effect",
    usage: "zhixin contract show <contract id> [--as <member>] [--kms-key <arn|alias>]",
    details: `Prints the contract's state as its records in the ledger make it: every version,
oldest first, with its document, status (proposed, approved, superseded or revoked),
who proposed and approved it and in which entries; revokedAt once revoked; and
  "effective": { "version": "…" }  or  { "version": null, "reason": "…" }
Every member may read a contract. Reads as the consortium's first auditor unless --as
is given.

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    example: `zhixin contract show s1-hf-deposit-certificate --as hf-sanya`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 1, max: 1 },
  },
  "contract list": {
    summary: "list the sharing contracts you are a party to (all of them, for an auditor)",
    usage: "zhixin contract list [--as <member>] [--kms-key <arn|alias>]",
    details: `Prints GET /v1/contracts: the contracts the acting department is a party to, as
provider or consumer — every contract, for an auditor — by id, each as
\`zhixin contract show\` prints it:
  { "contracts": [{ "id", "provider", "consumer", "versions", "effective", … }], "truncated": false }
(truncated: there are more than 1000, and the first 1000 by id are shown). Reads as the
consortium's first auditor unless --as is given.

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    example: `zhixin contract list --as hf-sanya`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 0, max: 0 },
  },
  match: {
    summary: "ask under a sharing contract whether a record about a subject matches",
    usage:
      "zhixin match (--as <department> | --kms-key <arn|alias>) --contract <id> --subject <subject> [--where <field><op><value> ...] [--fields] [--authorisation-ref <ref> (--authorisation-file <file> | --authorisation-digest <hex>)]",
    details: `Asks whether the provider's latest record of the contract's type about <subject>
satisfies every --where predicate, and prints the answer — never the record:
  { "match": true, "contract": { "id": "…", "version": "…" }, "accessEntryId": "…" }
(with --fields, under a contract that lists fields, a match also carries those fields).
Exit status 0 for any answer, match or not.

Every answer, and every refusal by the contract (CONTRACT_NOT_FOUND, NOT_CONSUMER,
CONTRACT_NOT_EFFECTIVE, SHARE_NONE, AUTHORISATION_REQUIRED, FIELD_NOT_ALLOWED,
RATE_LIMITED), is first written to the ledger as an access entry: the subject's trail
(\`zhixin access\`). A refusal exits 1 and prints the API's error as JSON on stderr;
its details.accessEntryId names that entry.

Options:
${asDepartment("the asking department: the contract's consumer")}
  --contract <id>     the sharing contract, e.g. s1-hf-deposit-certificate
  --subject <subject> whom the record is about, e.g. a resident ID-card number (the
                      ledger records only its keyed HMAC)
  --where <field><op><value>
                      a predicate on a field the contract lets you match; repeat for
                      several, all of which must hold. <op> is one of = != >= <= > <.
                      The value is a number when it reads as one (12, 3.5), true or
                      false, otherwise the text as written; quote it as JSON to make
                      digits text ('postcode="570100"'), or to start it with one of
                      = ! < > ('action="=add"': action==add is refused as a mistyped
                      operator). It must be of the field's type (else SCHEMA_VIOLATION).
                      Quote it for the shell: --where 'months>=12'
  --fields            ask for the contract's fields of the record, not just yes/no
  --authorisation-ref <ref>
                      the subject's authorisation, which conditional contracts require:
                      its reference, with one of
  --authorisation-file <file>
                      the signed consent; only its hash is sent (SHA-256; SM3 under
                      the gm suite)
  --authorisation-digest <hex>
                      the signed consent's hash (64 hex digits), instead of the file
${AWS_SIGNING_HELP}`,
    example: `zhixin match --as hf-sanya --contract s1-hf-deposit-certificate \\
    --subject 460100199001011234 --where 'months>=12' --where status=active \\
    --authorisation-ref sanya-mortgage-2026-0001 --authorisation-file consent.pdf`,
    options: {
      as: { type: "string" },
      contract: { type: "string" },
      subject: { type: "string" },
      where: { type: "string", multiple: true },
      fields: { type: "boolean" },
      "authorisation-ref": { type: "string" },
      "authorisation-file": { type: "string" },
      "authorisation-digest": { type: "string" },
      ...AWS_SIGNING_OPTIONS,
    },
    positionals: { min: 0, max: 0 },
  },
  access: {
    summary: "show an access trail: a subject's, or every access you may see",
    usage: "zhixin access (--subject <subject> | --list) [--as <member>] [--kms-key <arn|alias>]",
    details: `With --subject, prints every recorded match request about <subject>, oldest first —
answers and refusals alike — with what it recorded (contract, version, fields tested and
returned, result), who asked, and its entry, with the inclusion proof once sealed:
  { "subjectHmac": "…", "accesses": [{ "access", "consumer", "entry" }], "truncated": false }
(truncated: you may see more than 1000, and the newest 1000 are shown). The subject is
sent in the body of POST /v1/access, never in the URL, so it reaches no access log.

With --list, prints the accesses you may see without naming a subject (GET
/v1/accesses), oldest first, in the same form without subjectHmac: the newest 200, and
truncated: true when there are more.

A department sees the requests it made and those to its own records; an auditor sees
all. Reads as the consortium's first auditor unless --as is given.

Options:
  --subject <subject> whose trail, e.g. a resident ID-card number
  --list              every access you may see, instead of one subject's
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    example: `zhixin access --as hf-haikou --subject 460100199001011234`,
    options: {
      as: { type: "string" },
      subject: { type: "string" },
      list: { type: "boolean" },
      ...AWS_SIGNING_OPTIONS,
    },
    positionals: { min: 0, max: 0 },
  },
  "keys show": {
    summary: "show a member's keys as the ledger's key history records them",
    usage: "zhixin keys show [<member>] [--as <member>] [--kms-key <arn|alias>]",
    details: `Prints GET /v1/keys/<member> (docs/API.md "Keys"): each key the member's key records
added, oldest first, with its status (active, retired or revoked), validity and the
entries that made it, and the key records themselves in ledger order. From a member's
first key on the ledger on, the API accepts its requests only by these keys. Any member
may read any member's keys; <member> defaults to the acting one (--as, else the
consortium's first auditor).

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    example: `zhixin keys show hf-haikou`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 0, max: 1 },
  },
  "keys rotate": {
    summary: "local mode: replace a department's key file with a new key, recorded on the ledger",
    usage: "zhixin keys rotate --as <department>",
    details: `Makes a new key of the same algorithm in ZHIXIN_HOME/keys/<department>.next.pem,
records its zhixin.key.add signed by the current key, records the retire of the current
key signed by the new one, and then swaps the files: the new key becomes
<department>.pem and the old one is kept as <department>.<hash>.retired.pem. From the
moment the retire commits, the old key signs nothing (KEY_NOT_VALID); what it signed
before stays valid. Each step looks at the ledger first, so a run cut short anywhere is
finished by running it again. Prints the old and new key ids and the two entries.

On AWS, rotate with KMS keys instead: create the new key, then \`zhixin keys add\`
and \`zhixin keys retire\` (docs/DEPLOY.md). The sealer's, an auditor's and a witness's
keys are rotated by npm start itself: stop it and start it with, e.g.,
ZHIXIN_ROTATE_KEYS=sealer,auditor,witness:hf-haikou (docs/LOCAL.md "Keys").

Options:
  --as <department>   whose key to rotate (key file in ZHIXIN_HOME)`,
    example: `zhixin keys rotate --as hf-haikou`,
    options: { as: { type: "string" }, "kms-key": { type: "string" } },
    positionals: { min: 0, max: 0 },
  },
  "keys introduce": {
    summary: "record a member's first key on the ledger, signed by itself",
    usage: "zhixin keys introduce (--as <department> | --kms-key <arn|alias>)",
    details: `Records the acting key's own zhixin.key.add, with its proof of possession, signed
by that key: how a department's first key gets on the ledger (npm start does it for
every department of a new home). Refused (KEY_NOT_OWNED) once the department has a key
on the ledger: further keys are added by a current one (\`zhixin keys add\`). From
then on the API accepts its requests only by the keys on the ledger. Prints the key id
and the entry.

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    example: `zhixin keys introduce --kms-key arn:aws:kms:cn-northwest-1:111122223333:key/… --as hf-haikou`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 0, max: 0 },
  },
  "keys add": {
    summary: "add another key of a member: its own, or another member's as a recovery",
    usage:
      "zhixin keys add (--as <department> | --kms-key <arn|alias>) [--for <member>] (--new-key-file <pem> | --new-kms-key <arn|alias> | --record <file>)\n       zhixin keys add --print-record --for <member> (--new-key-file <pem> | --new-kms-key <arn|alias>)",
    details: `Records a zhixin.key.add of the new key, with its proof of possession (so the new
key signs too), in a request signed by the acting key. The new key may sign the moment
the add counts. Prints the new key id and the entry.

A key of the acting department: the acting key must be one of its current keys. Then
switch to the new key and retire the old (\`zhixin keys retire\`). If the consortium
file's keyRecords.cosigns asks for cosigns, the add counts once that many other
departments cosign it (\`zhixin keys cosign\`); the output says so under "pending".

--for <member>: a recovery of another member whose keys are lost or stolen (docs/design/
key-history.md §3 rule 4). The acting department writes the add of the member's new key;
it counts once the acting department and its cosigners are more than half of the
departments other than the member. The proof of possession is the new key's, so its
holder — the member — makes the record with --print-record and hands the file over; the
acting department submits it with --record. The output names the cosign command.

Options:
${AS_OPTION}
  --for <member>       whose key it is (default: the acting department)
  --new-key-file <pem> the new key, a PKCS#8 PEM private key file
  --new-kms-key <arn|alias>
                      the new key in KMS (kms:GetPublicKey and kms:Sign for its proof)
  --record <file>      a zhixin.key.add record, as --print-record writes it
  --print-record       only print the record (type and data, with the pop) as JSON;
                      signs nothing else and needs no --as
${AWS_SIGNING_HELP}`,
    example: `zhixin keys add --kms-key alias/zhixin/demo/hf-haikou --new-kms-key alias/zhixin/demo/hf-haikou/v2
  # recovery: hf-haikou makes the record, hf-sanya submits it, others cosign
  zhixin keys add --print-record --for hf-haikou --new-key-file new.pem > add.json
  zhixin keys add --for hf-haikou --record add.json --as hf-sanya`,
    options: {
      as: { type: "string" },
      for: { type: "string" },
      "new-key-file": { type: "string" },
      "new-kms-key": { type: "string" },
      record: { type: "string" },
      "print-record": { type: "boolean" },
      ...AWS_SIGNING_OPTIONS,
    },
    positionals: { min: 0, max: 0 },
  },
  "keys retire": {
    summary: "retire a member's key: it signs nothing from now on",
    usage: "zhixin keys retire <key id> (--as <department> | --kms-key <arn|alias>)",
    details: `Records a zhixin.key.retire of <key id>, signed by a current key of the same
department (a key may retire itself). From the moment it commits the key signs nothing
(KEY_NOT_VALID); what it signed before stays valid. Prints the entry.

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    example: `zhixin keys retire hf-haikou/06e3fd8fda29bb60 --as hf-haikou`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 1, max: 1 },
  },
  "keys revoke": {
    summary: "revoke a compromised key, back to the time it was compromised",
    usage:
      "zhixin keys revoke <key id> --compromised-since <time> [--for <member>] (--as <department> | --kms-key <arn|alias>)",
    details: `Records a zhixin.key.revoke of <key id>, signed by a current key of the same
department: the key signs nothing from now on, and every entry it signed at or after
<time> is reported by the audit as KEY_REVOKED, even though the API accepted it then.
<time> is an RFC 3339 time no later than now, e.g. 2026-12-01T08:00:00Z or
2026-12-01T16:00:00+08:00. Prints the entry.

With --for <member>, a key of another member (its key id names it): a recovery, for a
member whose key is stolen or lost (docs/design/key-history.md §3 rule 4). It counts once
the acting department and its cosigners are more than half of the departments other than
that member — the output says how many cosigns it needs and the command the others run
(\`zhixin keys cosign\`). Until then the key still signs.

Options:
  --compromised-since <time>  since when the key must be taken as someone else's
  --for <member>      whose key it is, when not the acting department's (a recovery)
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    example: `zhixin keys revoke hf-haikou/06e3fd8fda29bb60 --compromised-since 2026-12-01T08:00:00+08:00 --as hf-haikou`,
    options: {
      as: { type: "string" },
      for: { type: "string" },
      "compromised-since": { type: "string" },
      ...AWS_SIGNING_OPTIONS,
    },
    positionals: { min: 1, max: 1 },
  },
  "keys cosign": {
    summary: "cosign a key record of a member that awaits departments' cosigns",
    usage: "zhixin keys cosign <entry id> --for <member> (--as <department> | --kms-key <arn|alias>)",
    details: `Reads the key record <entry id> from GET /v1/keys/<member> ("pending": a recovery
another department wrote about <member>'s key, or <member>'s own record while the
consortium file's keyRecords.cosigns asks for cosigns), checks that its contentDigest is
the digest of the data shown, and records a zhixin.cosign of it signed by the acting
department. Prints what was cosigned and whether the record took effect (it does at the
cosign that completes it) or how many more cosigns it needs. Read the record before you
cosign it: a recovery gives another department's key, or takes a key away.

Refused (KEY_COSIGN_REFUSED) when the acting department owns the key, wrote the record,
or cosigned it already, or when the record awaits no cosigns.

Options:
  --for <member>      whose key the record is about
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    example: `zhixin keys cosign 5f0c0a3c2d1e4b6a8c9d0e1f2a3b4c5d --for hf-haikou --as civil-affairs`,
    options: { as: { type: "string" }, for: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 1, max: 1 },
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function isCommand(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMANDS, name);
}

/**
 * Commands with subcommands: `zhixin contract propose` is COMMANDS["contract propose"].
 * Each group's help lists its subcommands.
 */
export const GROUPS = {
  contract: `Sharing contracts (docs/design/sharing.md §2): which records one department lets
another match, for what purpose, on what conditions. A contract lives in the ledger as
records signed by its parties: one proposes a version, the other approves exactly that
version, and either may revoke it. Match requests (\`zhixin match\`) are answered only
under an approved version within its validity window.`,
  keys: `A member's keys on the ledger (docs/design/key-history.md): zhixin.key.add, retire
and revoke records, signed by the member's own keys. From a department's first key on
the ledger on, the API accepts its requests, and the audit its entries, only by the keys
those records make valid at the time.`,
  trust: `The trust root (docs/formats/trust-root.md): the small file a verifier keeps to check
evidence bundles with no access to the ledger — the log's origin, the sealer's and
the witnesses' public keys, and how many witnesses must have signed.`,
} satisfies Record<string, string>;

export type GroupName = keyof typeof GROUPS;

export function isGroup(name: string | undefined): name is GroupName {
  return name !== undefined && Object.hasOwn(GROUPS, name);
}

function subcommands(group: GroupName): Array<[string, CommandSpec]> {
  return Object.entries(COMMANDS).filter(([name]) => name.startsWith(`${group} `));
}

function groupUsage(group: GroupName): string {
  const names = subcommands(group).map(([name]) => name.slice(group.length + 1));
  return `zhixin ${group} <${names.join(" | ")}> [options]`;
}

export function groupHelp(group: GroupName): string {
  const entries = subcommands(group);
  const width = Math.max(...entries.map(([name]) => name.length - group.length - 1)) + 2;
  const lines = entries.map(([name, c]) => `  ${name.slice(group.length + 1).padEnd(width)}${c.summary}`);
  return `Usage: ${groupUsage(group)}

${GROUPS[group]}

Subcommands:
${lines.join("\n")}

Run \`zhixin ${group} <subcommand> --help\` for its options.
`;
}

export function topUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  return `zhixin — client for a Zhixin consortium ledger

Usage: zhixin <command> [options]

Commands:
${lines.join("\n")}
  ${"help".padEnd(width)}show help for a command

${ENVIRONMENT}

Run \`zhixin <command> --help\` for its options. Exit status: 0 success; 1 refused by
the API or verification findings; 2 usage, input, key, AWS credentials or connection
error.
`;
}

export function commandHelp(command: CommandSpec): string {
  return `Usage: ${command.usage}

${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.

${command.details}
  -h, --help          show this help
${command.example ? `\nExample:\n  ${command.example}\n` : ""}
${ENVIRONMENT}
`;
}

/** Bad arguments: reported with the command's usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** Prints `zhixin: <message>` and the usage (of the command, group, or zhixin) on stderr; returns exit status 2. */
export function usageFailure(message: string, command?: string): number {
  const usage = isGroup(command)
    ? groupHelp(command)
    : command
      ? `Usage: ${isCommand(command) ? COMMANDS[command].usage : ""}\nRun \`zhixin ${command} --help\` for its options.\n`
      : topUsage();
  process.stderr.write(`zhixin: ${message}\n\n${usage}`);
  return 2;
}
