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

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ ok: true, value: await ops[data.op](data) });
  } catch (error) {
    self.postMessage({ ok: false, error: `${error.name}: ${error.message}` });
  }
};
