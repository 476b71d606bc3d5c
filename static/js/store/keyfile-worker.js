// The dedicated worker that holds the device store's wrapped key in a file of the origin private
// file system (store/keyfile.js). Only a worker may open a file's synchronous access handle, whose
// writes go to the file itself, in place: IndexedDB, a log-structured store on disk, keeps the old
// values it overwrites until it compacts its files, so a wrapped key kept there would outlive a
// re-wrap or a wipe in the browser's files. One request per worker: {op, offset, bytes}.

const NAME = "carnet-store-key";

async function access(create) {
  const root = await navigator.storage.getDirectory();
  try {
    const file = await root.getFileHandle(NAME, { create });
    return { root, handle: await file.createSyncAccessHandle() };
  } catch (error) {
    if (!create && error.name === "NotFoundError") return null;
    throw error;
  }
}

const ops = {
  async read() {
    const opened = await access(false);
    if (!opened) return null;
    try {
      const bytes = new Uint8Array(opened.handle.getSize());
      opened.handle.read(bytes, { at: 0 });
      return bytes;
    } finally {
      opened.handle.close();
    }
  },
  async write({ offset, bytes }) {
    const opened = await access(true);
    try {
      opened.handle.write(bytes, { at: offset });
      opened.handle.flush();
    } finally {
      opened.handle.close();
    }
    return true;
  },
  // Random bytes over the whole file, flushed, then the file removed.
  async scrub() {
    const opened = await access(false);
    if (!opened) return false;
    try {
      opened.handle.write(crypto.getRandomValues(new Uint8Array(opened.handle.getSize())), { at: 0 });
      opened.handle.flush();
    } finally {
      opened.handle.close();
    }
    await opened.root.removeEntry(NAME);
    return true;
  },
};

// A browser without the file system, or without synchronous handles, says so: the store then
// keeps its wrapped key in its record. Any other failure is only that: the store changes nothing.
const missing = () => !navigator.storage?.getDirectory || !globalThis.FileSystemFileHandle?.prototype.createSyncAccessHandle;

self.onmessage = async ({ data }) => {
  if (missing()) {
    self.postMessage({ ok: false, missing: true, error: "no origin private file system with synchronous handles" });
    return;
  }
  try {
    self.postMessage({ ok: true, value: await ops[data.op](data) });
  } catch (error) {
    self.postMessage({ ok: false, error: `${error.name}: ${error.message}` });
  }
};
