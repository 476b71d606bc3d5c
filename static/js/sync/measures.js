// The team's table of measures at each sync (docs/PROTOCOL.md 6.11): a coordinator's new table is
// sent first, then the server's table is fetched and kept once it verifies here.

import { b64urlDecode, b64urlEncode } from "../protocol/index.js";
import { confirmMeasures, keepServerMeasures, pendingMeasures, refuseMeasures } from "../store/measures.js";
import { rosterView } from "../store/roster.js";
import { ApiProblem, callApi } from "./api.js";

// The team comes from this person's verified roster entry, not from what the server says.
async function teamPath(state) {
  const mine = (await rosterView(state)).current(b64urlDecode(state.vault.userId));
  return `/api/v1/teams/${encodeURIComponent(b64urlEncode(mine.teamId))}/measures`;
}

async function sendPending(state, path) {
  const pending = await pendingMeasures(state);
  if (!pending) return;
  try {
    await callApi("PUT", path, { table: pending });
    await confirmMeasures(state, pending);
  } catch (error) {
    // A refusal is final for this table; a network failure leaves it for the next sync.
    if (error instanceof ApiProblem && error.status >= 400 && error.status < 500 && error.code !== "rate-limited") {
      await refuseMeasures(state, error.code);
    } else {
      throw error;
    }
  }
}

export async function syncMeasures(state) {
  if (!["volunteer", "coordinator"].includes(state.profile?.role)) return;
  let path;
  try {
    path = await teamPath(state);
  } catch {
    return; // Not certified yet: no team table to read or write.
  }
  await sendPending(state, path);
  const { table } = await callApi("GET", path);
  await keepServerMeasures(state, table);
}
