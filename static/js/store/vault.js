// The device's encrypted store, in IndexedDB. Nothing in it is readable without the passphrase:
// records are sealed with a random local store key (AES-256-GCM), and that key is kept only
// wrapped under a key derived from the kek. The kek comes from the passphrase (protocol/kdf.js,
// derived by sync/session.js) and reaches the store only as the protocol's non-extractable
// CryptoKey, so a stolen device holds nothing but ciphertext, salts and counters.
//
// Stores of the IndexedDB database "carnet":
//   device  - key "device": the unlock material (see DeviceRecord below); key "keys": the
//             device record's fields that open or name anything (SEALED), sealed under the
//             local store key like a record;
//   records - sealed records {id, kind, nonce, sealed}; `kind` and `id` are bound as AES-GCM
//             associated data, so the store cannot swap one record for another unnoticed.

import { openDB, deleteDB } from "../../vendor/idb.js";
import {
  b64urlDecode, b64urlEncode, concatBytes, deviceStoreKeyAad, deviceStoreWrappingKey, equalBytes, labels,
  STORE_MODE_PASSPHRASE, STORE_MODE_PRF,
} from "../protocol/index.js";
import { forgetCredential } from "./authenticator.js";
import { KeyFileError, readSlots, scrubKeyFile, writeSlot } from "./keyfile.js";

export const DB_NAME = "carnet";
const DB_VERSION = 1;
const VAULT_FORMAT = 1;
export const DEFAULT_MAX_FAILED_UNLOCKS = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class VaultError extends Error {}
export class WrongPassphrase extends VaultError {
  constructor(remaining) {
    super("wrong passphrase");
    this.remaining = remaining;
  }
}
export class VaultWiped extends VaultError {}
export class NoDevice extends VaultError {}
export class RecordTampered extends VaultError {}
export class DeviceInUse extends VaultError {}
// A record changed since the caller read it (another write, perhaps from another tab): nothing
// of the transaction was written, and the caller reads the record again before retrying.
export class RecordChanged extends VaultError {}

// One connection, opened at first use and kept: opening costs more than most reads and writes.
// It is closed when another tab needs the database upgraded or deleted, and before a wipe.
let connection = null;
// Set by a wipe until the next set-up: work still running (a sync that was under way) must not
// open the database again, which would create it anew, empty, where the wipe left none.
let wiped = false;

function open() {
  if (wiped) return Promise.reject(new NoDevice("this device was wiped"));
  connection ??= openDB(DB_NAME, DB_VERSION, {
    upgrade(db) {
      db.createObjectStore("device");
      const records = db.createObjectStore("records", { keyPath: "id" });
      records.createIndex("kind", "kind");
    },
    blocking() {
      closeConnection();
    },
    terminated() {
      connection = null;
    },
  });
  return connection;
}

async function closeConnection() {
  const pending = connection;
  connection = null;
  if (pending) (await pending).close();
}

// The device record's fields that are kept sealed (the "keys" entry): the escrowed account and
// association key blobs open with the kek alone, so on disk in the clear they would open with
// the passphrase alone, whatever protects the store key; the device id and the pinned
// association name the device's entries and its association. Bytes are sealed as base64url.
const SEALED_BYTES = ["deviceId", "accountKeyBlob", "associationKeyBlob"];
const SEALED = [...SEALED_BYTES, "association"];
const KEYS = "keys";

// The kek itself never keys AES: a labelled HKDF step (with the PRF output as salt when the store
// is bound to this device's authenticator) gives the key that wraps the local store key
// (protocol/kdf.js, PROTOCOL.md "The device store").
function storeMode(device) {
  return device.prf ? STORE_MODE_PRF : STORE_MODE_PASSPHRASE;
}

function localKeyAad(device) {
  return deviceStoreKeyAad(storeMode(device), device.userId);
}

function recordAad(kind, id) {
  return concatBytes(labels.LOCAL_RECORD_AAD, encoder.encode(kind), Uint8Array.of(0), encoder.encode(id));
}

// An unlocked store. Holds the local store key as a non-extractable CryptoKey; lock() drops it.
export class Vault {
  constructor(device, localKey, wrapping, slot = null) {
    this.device = device;
    this.localKey = localKey;
    // The key file's slot that holds the wrapped store key (store/keyfile.js), null in the record.
    this.slot = slot;
    // The key that wraps the store key, kept while unlocked for a re-wrap (a PRF factor set up,
    // changed or removed) without asking the authenticator again; lock() drops it.
    this.wrapping = wrapping;
    // What the store's modules keep opened while unlocked (store/records.js): it goes at lock.
    this.kept = new Map();
  }

  get userId() {
    return this.device.userId;
  }

  requireKey() {
    if (!this.localKey) throw new VaultError("the store is locked");
    return this.localKey;
  }

  async seal(kind, id, value) {
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const plaintext = encoder.encode(JSON.stringify(value));
    const sealed = new Uint8Array(await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: recordAad(kind, id) }, this.requireKey(), plaintext));
    return { id: `${kind}:${id}`, kind, nonce, sealed };
  }

  // Seal first, then write: no await on anything but IndexedDB inside the transaction.
  async put(kind, id, value) {
    const record = await this.seal(kind, id, value);
    await (await open()).put("records", record);
  }

  // Several records, [kind, id, value] each, written in one transaction with the deletions
  // ([kind, id] each): all or none. `unchanged` ([kind, id, nonce] each, nonce null for a record
  // that must not exist) are checked in the same transaction first: a record sealed anew since
  // (every write draws a new nonce) aborts it, RecordChanged. Returns the sealed records.
  async putTogether(items, deletions = [], unchanged = []) {
    const sealed = [];
    for (const [kind, id, value] of items) sealed.push(await this.seal(kind, id, value));
    const tx = (await open()).transaction("records", "readwrite");
    for (const [kind, id, nonce] of unchanged) {
      const found = await tx.store.get(`${kind}:${id}`);
      if (found ? !nonce || !equalBytes(found.nonce, nonce) : nonce) {
        tx.abort();
        await tx.done.catch(() => {});
        throw new RecordChanged(`record ${kind} changed`);
      }
    }
    await Promise.all([...sealed.map((record) => tx.store.put(record)),
      ...deletions.map(([kind, id]) => tx.store.delete(`${kind}:${id}`)), tx.done]);
    return sealed;
  }

  async openRecord(record) {
    const id = record.id.slice(record.kind.length + 1);
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: record.nonce, additionalData: recordAad(record.kind, id) },
        this.requireKey(), record.sealed);
      return JSON.parse(decoder.decode(plaintext));
    } catch (error) {
      if (error instanceof VaultError) throw error;
      throw new RecordTampered(`record ${record.kind} does not open`);
    }
  }

  async get(kind, id) {
    const record = await (await open()).get("records", `${kind}:${id}`);
    return record ? this.openRecord(record) : undefined;
  }

  // A record as stored, unopened: a caller that keeps what it opened compares its nonce.
  async getSealed(kind, id) {
    return (await open()).get("records", `${kind}:${id}`);
  }

  // A kind's records as stored, unopened, each with its key: `{key, record}`.
  async listSealed(kind) {
    const records = await (await open()).getAllFromIndex("records", "kind", kind);
    return records.map((record) => ({ key: record.id.slice(kind.length + 1), record }));
  }

  async list(kind) {
    const records = await (await open()).getAllFromIndex("records", "kind", kind);
    const out = [];
    for (const record of records) out.push([record.id.slice(kind.length + 1), await this.openRecord(record)]);
    return out;
  }

  async delete(kind, id) {
    await (await open()).delete("records", `${kind}:${id}`);
  }

  // The ids of a kind's records, without opening any: the keys are not secret (they are record
  // ids, random case ids and write times), only the values are.
  async ids(kind) {
    const keys = await (await open()).getAllKeysFromIndex("records", "kind", kind);
    return keys.map((key) => key.slice(kind.length + 1));
  }

  lock() {
    this.localKey = null;
    this.wrapping = null;
    this.kept.clear();
  }
}

// DeviceRecord, as stored: {format, userId, kdf, wrappedLocalKey, localKeyNonce, prf?,
// failedUnlocks, maxFailedUnlocks, settings, accountDisabled?}; `prf` ({credentialId, salt}) when
// the store is bound to this device's authenticator. In memory, once unlocked, it also has the
// SEALED fields. Readable without the passphrase: the person's id, the KDF parameters, the
// wrapped store key, the credential id and PRF salt, the settings (lock delay, language) and
// counters; none of it is content, and none of it opens anything without the passphrase (and the
// authenticator, with `prf`). A store made before the "keys" entry holds the SEALED fields in the
// record itself until its next unlock moves them.
export async function readDevice() {
  // Only look: opening would create an empty database where a wipe left none.
  const existing = await indexedDB.databases();
  if (!existing.some((info) => info.name === DB_NAME)) return undefined;
  return (await open()).get("device", "device");
}

/**
 * How many records of a kind the store holds, locked or not (nothing is opened: record ids are
 * not secret). 0 where there is no store.
 */
export async function countRecords(kind) {
  if (!await readDevice()) return 0;
  return (await open()).countFromIndex("records", "kind", kind);
}

function sealedFields(device) {
  const out = {};
  for (const name of SEALED) {
    const value = device[name] ?? null;
    out[name] = value && SEALED_BYTES.includes(name) ? b64urlEncode(value) : value;
  }
  return out;
}

function unsealedFields(fields) {
  const out = {};
  for (const name of SEALED) {
    const value = fields[name] ?? null;
    out[name] = value && SEALED_BYTES.includes(name) ? b64urlDecode(value) : value;
  }
  return out;
}

// Without the vault (a failed unlock's count, the settings), the record is written as it was
// read; with it, the SEALED fields go to the "keys" entry, sealed, in the same transaction.
async function writeDevice(device, vault = null) {
  if (!vault) {
    await (await open()).put("device", device, "device");
    return;
  }
  const plain = { ...device };
  for (const name of SEALED) delete plain[name];
  const keys = await vault.seal("device", KEYS, sealedFields(device));
  const tx = (await open()).transaction("device", "readwrite");
  await Promise.all([tx.store.put(plain, "device"), tx.store.put(keys, KEYS), tx.done]);
}

// Once unlocked: the SEALED fields join the device in memory; a store from before the "keys"
// entry is moved to it now.
async function openSealedFields(vault) {
  const keys = await (await open()).get("device", KEYS);
  if (keys) Object.assign(vault.device, unsealedFields(await vault.openRecord(keys)));
  else await writeDevice(vault.device, vault);
}

// Where the wrapped store key is kept: in the key file (store/keyfile.js, written in place), as
// {slot, nonce, wrapped}, or, where the browser has no such file or for a store from before it,
// in the device record itself (slot null). Every candidate the store holds, in order.
async function wrappedKeys(device) {
  if (device.wrappedLocalKey) return [{ slot: null, nonce: device.localKeyNonce, wrapped: device.wrappedLocalKey }];
  const slots = await readSlots();
  if (!slots) throw new VaultError("the store's key file is missing");
  return slots.map((held, slot) => ({ slot, ...held }));
}

async function wrapLocalKey(localKey, wrapping, device) {
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const wrapped = new Uint8Array(await crypto.subtle.wrapKey("raw", localKey, wrapping,
    { name: "AES-GCM", iv: nonce, additionalData: localKeyAad(device) }));
  return { nonce, wrapped };
}

// The wrapped key goes to the key file, slot `slot` (the other slot then gets random bytes by the
// caller), or into the record where the browser has no such file system. A store that uses the
// key file never falls back to the record: a failed write changes nothing (the caller throws).
// Returns the slot, null for the record.
async function keepWrappedKey(device, held, slot) {
  try {
    await writeSlot(slot, held.nonce, held.wrapped);
    delete device.wrappedLocalKey;
    delete device.localKeyNonce;
    device.keyFile = true;
    return slot;
  } catch (error) {
    if (!(error instanceof KeyFileError) || !error.missing || device.keyFile) throw error;
    device.keyFile = false;
    device.wrappedLocalKey = held.wrapped;
    device.localKeyNonce = held.nonce;
    return null;
  }
}

// First use on this device, right after an online login: make the local store key.
export async function createDevice({ userId, kdf, kek, accountKeyBlob, association, associationKeyBlob = null,
  settings = {} }) {
  const existing = await readDevice();
  // Another person's store may hold notes not yet sent: it is never replaced silently.
  if (existing && existing.userId !== userId) throw new DeviceInUse("this device holds another person's Carnet");
  if (existing) await wipeDevice();
  wiped = false;  // A set-up opens the store again.
  const wrapping = await deviceStoreWrappingKey(kek);
  const extractable = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const device = {
    // One id per installation: it names this device's chain of entries in every case (PROTOCOL 1).
    deviceId: crypto.getRandomValues(new Uint8Array(16)),
    format: VAULT_FORMAT, userId, kdf, accountKeyBlob, association, associationKeyBlob,
    failedUnlocks: 0, maxFailedUnlocks: DEFAULT_MAX_FAILED_UNLOCKS, settings,
  };
  const held = await wrapLocalKey(extractable, wrapping, device);
  return withKeyFile(async () => {
    const slot = await keepWrappedKey(device, held, 0);
    if (slot !== null) await writeSlot(1);
    // The extractable copy existed only to be wrapped; the vault works with a non-extractable one.
    const vault = new Vault(device, await unwrapLocalKey(device, wrapping, held), wrapping, slot);
    await writeDevice(device, vault);
    return vault;
  });
}

async function unwrapLocalKey(device, wrapping, held, extractable = false) {
  return crypto.subtle.unwrapKey(
    "raw", held.wrapped, wrapping, { name: "AES-GCM", iv: held.nonce, additionalData: localKeyAad(device) },
    { name: "AES-GCM", length: 256 }, extractable, ["encrypt", "decrypt"]);
}

async function firstOpening(device, wrapping, candidates) {
  for (const held of candidates) {
    try {
      return { slot: held.slot, localKey: await unwrapLocalKey(device, wrapping, held) };
    } catch {
      // The next candidate.
    }
  }
  return null;
}

// Unlock offline with the kek the passphrase gives under `device.kdf` (sync/session.js derives
// it) and, when the store is bound to this device's authenticator, its PRF output: returns the
// vault. What does not open the store counts as a failed unlock, and repeated failures wipe the
// device.
export async function unlockDevice(kek, prfOutput = null) {
  // The record and the slots read together, so that another tab's re-wrap is seen whole or not.
  const { device, candidates } = await withKeyFile(async () => {
    const found = await readDevice();
    if (!found) throw new NoDevice("this device holds no account");
    return { device: found, candidates: await wrappedKeys(found) };
  });
  let wrapping = null;
  let opened = null;
  try {
    wrapping = await deviceStoreWrappingKey(kek, device.prf ? prfOutput : null);
    opened = await firstOpening(device, wrapping, candidates);
  } catch {
    opened = null;
  }
  if (!opened) {
    device.failedUnlocks += 1;
    if (device.failedUnlocks >= device.maxFailedUnlocks) {
      await wipeDevice();
      throw new VaultWiped("too many failed unlocks: local data was wiped");
    }
    await writeDevice(device);
    throw new WrongPassphrase(device.maxFailedUnlocks - device.failedUnlocks);
  }
  if (device.failedUnlocks) {
    device.failedUnlocks = 0;
    await writeDevice(device);
  }
  const vault = new Vault(device, opened.localKey, wrapping, opened.slot);
  await openSealedFields(vault);
  // Tidying may fail (another tab holds the key file): the store opened, it is tidied next time.
  await tidyWrappedKeys(vault).catch(() => {});
  return vault;
}

// After an unlock: the slot that did not open gets random bytes (a re-wrap cut short between its
// two writes left an old wrapping there); a store that keeps its wrapped key in its record moves
// it to the key file, which the wipe can overwrite in place (the record's old value stays in the
// browser's files until IndexedDB compacts them: docs/THREAT_MODEL.md).
// Under the key file's lock, after reading again: another tab may have re-wrapped (or moved the
// store) since this one read the slots, and its new slot must not be the one overwritten.
async function tidyWrappedKeys(vault) {
  if (vault.device.keyFile === false) return;
  await withKeyFile(async () => {
    const stored = await readDevice();
    if (!stored) return;
    if (vault.slot === null) {
      if (!stored.wrappedLocalKey) return;
      const current = { slot: null, nonce: stored.localKeyNonce, wrapped: stored.wrappedLocalKey };
      await rewrap(vault, { kek: null, wrapping: vault.wrapping, prf: stored.prf ?? null }, {}, current);
      return;
    }
    const opened = await firstOpening(stored, vault.wrapping, await wrappedKeys(stored));
    if (opened?.slot === vault.slot) await writeSlot(1 - vault.slot);
  });
}

// Every sequence of writes to the key file runs under one lock of the origin, shared by its tabs.
// The wipe takes it from whoever holds it (`steal`): it waits for nothing.
function withKeyFile(work, { steal = false } = {}) {
  return navigator.locks ? navigator.locks.request("carnet-store-key", { steal }, work) : work();
}

function withSealed(stored, vault) {
  const device = { ...stored };
  for (const name of SEALED) device[name] = vault.device[name];
  return device;
}

// Fields an unlocked app may change: the association key blob (an admin's, itself ciphertext),
// the pinned association, the account's disabled mark. Returns the device as the vault keeps it.
export async function updateDevice(vault, fields) {
  const stored = await readDevice();
  if (!stored) throw new NoDevice("this device holds no account");
  const device = { ...withSealed(stored, vault), ...fields };
  await writeDevice(device, vault);
  return device;
}

export async function updateDeviceSettings(settings) {
  const device = await readDevice();
  if (!device) throw new NoDevice("this device holds no account");
  device.settings = { ...device.settings, ...settings };
  await writeDevice(device);
}

/**
 * The store key wrapped anew: under a new passphrase's kek (`fields` then holds the new KDF
 * parameters and the key blobs re-wrapped by the caller), or with a PRF factor set up, changed
 * (`prf` {credentialId, salt} and its `prfOutput`) or removed (both null). In the key file, the
 * new wrapped key goes to the other slot, then the device record is written (with its sealed
 * entry), then the old slot gets random bytes: the store opens under the old wrapping or the new,
 * never neither. The vault takes the new wrapping key.
 */
export async function rewrapDevice(vault, how, fields = {}) {
  return withKeyFile(() => rewrap(vault, how, fields));
}

async function rewrap(vault, { kek, wrapping = null, prf = null, prfOutput = null }, fields = {}, current = null) {
  const stored = await readDevice();
  if (!stored) throw new NoDevice("this device holds no account");
  const held = current ?? (await wrappedKeys(stored)).find((candidate) => candidate.slot === vault.slot);
  // Extractable for this one re-wrap only; the vault keeps working with its non-extractable copy.
  const localKey = await unwrapLocalKey(stored, vault.wrapping, held, true);
  const updated = { ...withSealed(stored, vault), ...fields, failedUnlocks: 0 };
  delete updated.prf;
  if (prf) updated.prf = prf;
  const next = wrapping ?? await deviceStoreWrappingKey(kek, prf ? prfOutput : null);
  const old = vault.slot;
  const slot = await keepWrappedKey(updated, await wrapLocalKey(localKey, next, updated), old === null ? 0 : 1 - old);
  await writeDevice(updated, vault);
  if (slot !== null) await writeSlot(old === null ? 1 : old);
  vault.wrapping = next;
  vault.slot = slot;
  vault.device = updated;
  return updated;
}

// Random bytes of the same size in place of every value that could open anything: the key file
// (written in place, then removed), and in the record the PRF salt and credential id, the sealed
// "keys" entry, and for a store that keeps them there, the wrapped store key and its nonce and
// the key blobs. IndexedDB appends the overwrite rather than writing in place, so its files keep
// the old values until compaction (docs/THREAT_MODEL.md): the key file is what the wipe can
// really destroy. Returns the store's credential id, or null.
async function overwriteUnlockMaterial() {
  const device = await readDevice();
  if (!device) {
    await scrubKeyFile().catch(() => false);
    return null;
  }
  const noise = (value) => (value instanceof Uint8Array ? crypto.getRandomValues(new Uint8Array(value.length)) : value);
  const credentialId = device.prf?.credentialId ?? null;
  const scrambled = { ...device };
  for (const name of ["wrappedLocalKey", "localKeyNonce"]) if (device[name]) scrambled[name] = noise(device[name]);
  if (device.prf) scrambled.prf = { credentialId: noise(device.prf.credentialId), salt: noise(device.prf.salt) };
  for (const name of SEALED_BYTES) if (name in device) scrambled[name] = noise(device[name]);
  const tx = (await open()).transaction("device", "readwrite");
  const keys = await tx.store.get(KEYS);
  const writes = [tx.store.put(scrambled, "device")];
  if (keys) writes.push(tx.store.put({ ...keys, nonce: noise(keys.nonce), sealed: noise(keys.sealed) }, KEYS));
  await Promise.all([...writes, tx.done]);
  await scrubKeyFile().catch(() => false);
  return credentialId;
}

// Everything of the person on this device goes: first the unlock material is overwritten, then
// the store's credential is signalled unknown (removed from the authenticator where the platform
// allows), then the whole database is deleted. The service worker cache holds only the app's own
// files (app/main.js forgets the role's).
export async function wipeDevice() {
  let credentialId = null;
  if (!wiped) credentialId = await withKeyFile(overwriteUnlockMaterial, { steal: true }).catch(() => null);
  wiped = true;
  if (credentialId) await forgetCredential(credentialId);
  await closeConnection();
  await deleteDB(DB_NAME, {
    blocked() {
      // Another tab holds the database open; deletion completes when it closes it.
    },
  });
}
