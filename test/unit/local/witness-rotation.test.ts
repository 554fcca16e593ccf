import { existsSync } from "node:fs";
import { mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cosignatureKeyHash, formatCosignatureVerifierKey, noteKeyOf, toHex } from "#chain";
import { generateKeyFile, readSignerFile } from "../../../functions/auth/signer-file.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { witnessesOf, witnessName } from "../../../lib/consortium/consortium.js";
import { parseTrustRoot } from "../../../lib/evidence/index.js";
import { witnessKeyFile } from "../../../lib/local-home.js";
import { witnessNames } from "../../../lib/witness/index.js";
import { ensureLocalKeys, rotateLocalKeys } from "../../../local/keys.js";
import { zhixinInProcess } from "../../support/zhixin-in-process.js";

// ZHIXIN_ROTATE_KEYS=witness:<department> (local/keys.ts rotateLocalWitnessKey): the old
// cosignature key kept as keys/<id>.witness.<key ID>.retired.pem, a new keys/<id>.witness.pem,
// and `zhixin trust export` listing every key of that witness, retired first, under its one
// name, with the quorum unchanged (docs/formats/trust-root.md §1).

const CONSORTIUM = "consortium.example.json";
const consortium = loadConsortium(CONSORTIUM);
const witnessIds = witnessesOf(consortium).map((w) => w.id);
const ID = witnessIds[0] as string;
const NAME = witnessName(consortium.consortium, ID);
let home = "";

/** "<cosigner name>+<key ID hex>" of a witness key file. */
async function keyIdOf(path: string, id = ID): Promise<string> {
  const signer = await readSignerFile(path, `${id}/witness`, "ed25519");
  const name = witnessName(consortium.consortium, id);
  return `${name}+${toHex(cosignatureKeyHash(name, "ed25519", noteKeyOf("ed25519", await signer.publicKey()).publicKey))}`;
}
async function vkeyOf(path: string, id = ID): Promise<string> {
  const signer = await readSignerFile(path, `${id}/witness`, "ed25519");
  return formatCosignatureVerifierKey({
    name: witnessName(consortium.consortium, id),
    alg: "ed25519",
    publicKey: noteKeyOf("ed25519", await signer.publicKey()).publicKey,
  });
}
const trustExport = () =>
  zhixinInProcess(["trust", "export"], { ZHIXIN_HOME: home, ZHIXIN_CONSORTIUM: CONSORTIUM });

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "zhixin-witness-rotation-"));
  await ensureLocalKeys(home, consortium, new Date("2026-11-21T07:00:00.000Z"));
  for (const id of witnessIds) await generateKeyFile(witnessKeyFile(home, id), "ed25519");
});
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

describe("ZHIXIN_ROTATE_KEYS=witness:<department>", () => {
  it("keeps the old key as <id>.witness.<key ID>.retired.pem and makes a new one", async () => {
    const before = await keyIdOf(witnessKeyFile(home, ID));
    const [r] = await rotateLocalKeys(home, consortium, [`witness:${ID}`], new Date());
    expect(r?.name).toBe(`witness:${ID}`);
    expect(r?.retired).toBe(before);
    expect(r?.oldKeyFile).toBe(`${ID}.witness.${before.slice(NAME.length + 1)}.retired.pem`);
    expect(await keyIdOf(join(home, "keys", r?.oldKeyFile as string))).toBe(before);
    const after = await keyIdOf(witnessKeyFile(home, ID));
    expect(after).toBe(r?.active);
    expect(after).not.toBe(before);
    expect(existsSync(join(home, "keys", `${ID}.witness.next.pem`))).toBe(false);
  });

  it("makes zhixin trust export list every key of the witness, oldest first, under its one name", async () => {
    const first = await vkeyOf(witnessKeyFile(home, ID));
    const root0 = parseTrustRoot((await trustExport()).stdout);
    await rotateLocalKeys(home, consortium, [`witness:${ID}`], new Date(Date.now() - 1000));
    const second = await vkeyOf(witnessKeyFile(home, ID));
    await rotateLocalKeys(home, consortium, [`witness:${ID}`], new Date());
    const third = await vkeyOf(witnessKeyFile(home, ID));

    const out = await trustExport();
    expect(out.code).toBe(0);
    const root = parseTrustRoot(out.stdout);
    const vkeys = JSON.parse(out.stdout).witnesses as string[];
    expect(vkeys.filter((v) => v.startsWith(`${NAME}+`))).toEqual([first, second, third]);
    expect(vkeys).toHaveLength(witnessIds.length + 2);
    expect(witnessNames(root.witnesses)).toEqual(witnessNames(root0.witnesses));
    expect(root.quorum).toBe(root0.quorum);
    expect(out.stderr).toContain(`quorum ${root.quorum} of ${witnessIds.length} witnesses`);
    expect(out.stderr).toContain(`${ID}.witness.${first.split("+")[1]}.retired.pem`);
  });

  it("finishes a rotation cut short between its two renames", async () => {
    const before = await keyIdOf(witnessKeyFile(home, ID));
    const [r] = await rotateLocalKeys(home, consortium, [`witness:${ID}`], new Date());
    // As if stopped after keeping the old key aside, before the new one took its place.
    await rename(witnessKeyFile(home, ID), join(home, "keys", `${ID}.witness.next.pem`));
    const [again] = await rotateLocalKeys(home, consortium, [`witness:${ID}`], new Date());
    expect(again).toEqual(r);
    expect(again?.retired).toBe(before);
    expect(await keyIdOf(witnessKeyFile(home, ID))).toBe(r?.active);
  });

  it("refuses a cut-short rotation with no retired key beside it, and a witness with no key yet", async () => {
    await rename(witnessKeyFile(home, ID), join(home, "keys", `${ID}.witness.next.pem`));
    await expect(rotateLocalKeys(home, consortium, [`witness:${ID}`], new Date())).rejects.toThrow(
      /no retired key/,
    );
    const other = witnessIds[1] as string;
    await rm(witnessKeyFile(home, other));
    await expect(rotateLocalKeys(home, consortium, [`witness:${other}`], new Date())).rejects.toThrow(
      /npm start. makes it/,
    );
  });

  it("refuses a department that does not witness, or no department, before rotating anything", async () => {
    const plain = consortium.departments.find((d) => d.witness === false)?.id as string;
    const files = await readdir(join(home, "keys"));
    await expect(
      rotateLocalKeys(home, consortium, ["sealer", `witness:${plain}`], new Date()),
    ).rejects.toThrow(new RegExp(`is no witnessing department.*witness:<department> with one of ${ID}`));
    await expect(rotateLocalKeys(home, consortium, ["witness:nobody"], new Date())).rejects.toThrow(
      /is no witnessing department/,
    );
    await expect(rotateLocalKeys(home, consortium, ["nobody"], new Date())).rejects.toThrow(
      /or witness:<department> \(/,
    );
    expect(await readdir(join(home, "keys"))).toEqual(files);
  });
});
