// The acceptance rule (crypto/acceptance.py, docs/PROTOCOL.md 9.1): what a server may add to a
// case log. The browser runs it to replay the shared vectors and, as a writer, to check its own
// entry before it leaves; the server runs the Python reference on every push.

import { parseEntry } from "./entry.js";
import { ClockOutOfRange, IncompleteLog } from "./errors.js";

// A phone's clock may run ahead of the server's; a day covers time zones set wrongly and drift.
export const MAX_CLOCK_AHEAD_MS = 24 * 3600 * 1000;

/** Append one offered entry to `log`, or throw without changing it. */
export async function acceptEntry(log, raw, { nowMs }) {
  const entry = await parseEntry(raw);
  if (entry.isStub) throw new IncompleteLog("an entry is offered whole: a stub offered alone is never resealed");
  if (entry.header.time > nowMs + MAX_CLOCK_AHEAD_MS) {
    throw new ClockOutOfRange("the entry's time is more than a day ahead of the server's clock");
  }
  return log.append(raw);
}
