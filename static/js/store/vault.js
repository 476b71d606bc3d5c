// The device's encrypted store, in IndexedDB. Nothing in it is readable without the passphrase:
// records are sealed with a random local store key (AES-256-GCM), and that key is kept only
// wrapped under a key derived from the kek. The kek comes from the passphrase (protocol/kdf.js,
// derived by sync/session.js) and reaches the store only as the protocol's non-extractable
// CryptoKey, so a stolen device holds nothing but ciphertext, salts and counters.
//
// Stores of the IndexedDB database "carnet":
//   device  - one record, key "device": the unlock material (see DeviceRecord below);
//   records - sealed records {id, kind, nonce, sealed}; `kind` and `id` are bound as AES-GCM
//             associated data, so the store cannot swap one record for another unnoticed.

import { openDB, deleteDB } from "../../vendor/idb.js";
import { concatBytes, equalBytes, hkdfAesGcmKey, labels } from "../protocol/index.js";

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

// The kek itself never keys AES: a labelled HKDF step gives the key that wraps the local store
// key, kept apart from the key-blob key that wraps the account keys (PROTOCOL.md, labels).
async function localWrappingKey(kek) {
  return hkdfAesGcmKey(kek, labels.LOCAL_STORE, ["wrapKey", "unwrapKey"]);
}

function localKeyAad(userId) {
  return concatBytes(labels.LOCAL_STORE_KEY_AAD, Uint8Array.of(VAULT_FORMAT), encoder.encode(userId));
}

function recordAad(kind, id) {
  return concatBytes(labels.LOCAL_RECORD_AAD, encoder.encode(kind), Uint8Array.of(0), encoder.encode(id));
}

// An unlocked store. Holds the local store key as a non-extractable CryptoKey; lock() drops it.
export class Vault {
  constructor(device, localKey) {
    this.device = device;
    this.localKey = localKey;
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
    this.kept.clear();
  }
}

// DeviceRecord: {deviceId, format, userId, kdf, wrappedLocalKey, localKeyNonce, accountKeyBlob,
// association, associationKeyBlob, failedUnlocks, maxFailedUnlocks, settings}. Only `settings` (lock delay,
// language) and counters are readable without the passphrase; none of it is content.
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

async function writeDevice(device) {
  await (await open()).put("device", device, "device");
}

// First use on this device, right after an online login: make the local store key.
export async function createDevice({ userId, kdf, kek, accountKeyBlob, association, associationKeyBlob = null,
  settings = {} }) {
  const existing = await readDevice();
  // Another person's store may hold notes not yet sent: it is never replaced silently.
  if (existing && existing.userId !== userId) throw new DeviceInUse("this device holds another person's Carnet");
  if (existing) await wipeDevice();
  wiped = false;  // A set-up opens the store again.
  const wrapping = await localWrappingKey(kek);
  const extractable = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const localKeyNonce = crypto.getRandomValues(new Uint8Array(12));
  const wrappedLocalKey = new Uint8Array(await crypto.subtle.wrapKey(
    "raw", extractable, wrapping, { name: "AES-GCM", iv: localKeyNonce, additionalData: localKeyAad(userId) }));
  const device = {
    // One id per installation: it names this device's chain of entries in every case (PROTOCOL 1).
    deviceId: crypto.getRandomValues(new Uint8Array(16)),
    format: VAULT_FORMAT, userId, kdf, wrappedLocalKey, localKeyNonce, accountKeyBlob, association, associationKeyBlob,
    failedUnlocks: 0, maxFailedUnlocks: DEFAULT_MAX_FAILED_UNLOCKS, settings,
  };
  await writeDevice(device);
  // The extractable copy existed only to be wrapped; the vault works with a non-extractable one.
  return new Vault(device, await unwrapLocalKey(device, wrapping));
}

async function unwrapLocalKey(device, wrapping) {
  return crypto.subtle.unwrapKey(
    "raw", device.wrappedLocalKey, wrapping,
    { name: "AES-GCM", iv: device.localKeyNonce, additionalData: localKeyAad(device.userId) },
    { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

// Unlock offline with the kek the passphrase gives under `device.kdf` (sync/session.js derives
// it): returns the vault. A kek that does not open the store counts as a failed unlock, and
// repeated failures wipe the device.
export async function unlockDevice(kek) {
  const device = await readDevice();
  if (!device) throw new NoDevice("this device holds no account");
  let localKey;
  try {
    localKey = await unwrapLocalKey(device, await localWrappingKey(kek));
  } catch {
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
  return new Vault(device, localKey);
}

// Fields an unlocked app may change: the association key blob (an admin's, itself ciphertext).
export async function updateDevice(fields) {
  const device = await readDevice();
  if (!device) throw new NoDevice("this device holds no account");
  Object.assign(device, fields);
  await writeDevice(device);
  return device;
}

export async function updateDeviceSettings(settings) {
  const device = await readDevice();
  if (!device) throw new NoDevice("this device holds no account");
  device.settings = { ...device.settings, ...settings };
  await writeDevice(device);
}

/**
 * A new passphrase: the local store key is wrapped again under the new kek, and `fields` (the new
 * KDF parameters and the key blobs re-wrapped by the caller) are written in the same single write
 * of the device record, so the store opens with the old passphrase or with the new, never neither.
 */
export async function rewrapDevice(oldKek, newKek, fields) {
  const device = await readDevice();
  if (!device) throw new NoDevice("this device holds no account");
  // Extractable for this one re-wrap only; the vault keeps working with its non-extractable copy.
  const localKey = await crypto.subtle.unwrapKey(
    "raw", device.wrappedLocalKey, await localWrappingKey(oldKek),
    { name: "AES-GCM", iv: device.localKeyNonce, additionalData: localKeyAad(device.userId) },
    { name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const localKeyNonce = crypto.getRandomValues(new Uint8Array(12));
  const wrappedLocalKey = new Uint8Array(await crypto.subtle.wrapKey("raw", localKey, await localWrappingKey(newKek),
    { name: "AES-GCM", iv: localKeyNonce, additionalData: localKeyAad(device.userId) }));
  const updated = { ...device, ...fields, wrappedLocalKey, localKeyNonce, failedUnlocks: 0 };
  await writeDevice(updated);
  return updated;
}

// Everything of the person on this device goes: the whole database. The service worker cache
// holds only the app's own files and stays.
export async function wipeDevice() {
  wiped = true;
  await closeConnection();
  await deleteDB(DB_NAME, {
    blocked() {
      // Another tab holds the database open; deletion completes when it closes it.
    },
  });
}
