// The device store's wrapped key, in a file of the origin private file system written in place
// (store/keyfile-worker.js): two slots of SLOT_BYTES (nonce || wrapped key). A re-wrap writes the
// new wrapped key to the other slot and then random bytes over the old one, so that a crash
// between the two leaves a store that opens; a wipe writes random bytes over the whole file
// before removing it. Where the browser has no such file system, the store keeps the wrapped key
// in its IndexedDB record (store/vault.js), and says so in docs/THREAT_MODEL.md.

export const SLOT_BYTES = 12 + 48;
// `missing`: this browser has no such file system (or the worker cannot start), not a passing
// failure.
export class KeyFileError extends Error {
  constructor(message, missing = false) {
    super(message);
    this.missing = missing;
  }
}

function ask(message) {
  return new Promise((resolve, reject) => {
    let worker;
    try {
      worker = new Worker(new URL("./keyfile-worker.js", import.meta.url), { type: "module" });
    } catch (error) {
      reject(new KeyFileError(String(error), true));
      return;
    }
    worker.onmessage = ({ data }) => {
      worker.terminate();
      if (data.ok) resolve(data.value);
      else reject(new KeyFileError(data.error, Boolean(data.missing)));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new KeyFileError(event.message || "the key file's worker failed"));
    };
    worker.postMessage(message);
  });
}

/** The two slots, [{nonce, wrapped}, ...], or null when there is no key file. */
export async function readSlots() {
  const bytes = await ask({ op: "read" });
  if (!bytes) return null;
  const slots = [];
  for (let at = 0; at + SLOT_BYTES <= bytes.length; at += SLOT_BYTES) {
    slots.push({ nonce: bytes.slice(at, at + 12), wrapped: bytes.slice(at + 12, at + SLOT_BYTES) });
  }
  return slots;
}

/** One slot written in place and flushed: `nonce` and `wrapped`, or random bytes when omitted. */
export async function writeSlot(slot, nonce = null, wrapped = null) {
  const bytes = crypto.getRandomValues(new Uint8Array(SLOT_BYTES));
  if (nonce) {
    bytes.set(nonce, 0);
    bytes.set(wrapped, 12);
  }
  await ask({ op: "write", offset: slot * SLOT_BYTES, bytes });
}

/** Random bytes over the key file, then the file removed; false if there was none. */
export async function scrubKeyFile() {
  return ask({ op: "scrub" });
}
