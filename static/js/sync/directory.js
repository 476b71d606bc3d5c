// The directory from the server, fetched at unlock and at every sync and kept by the store once
// it verifies (store/roster.js). Offline, the last verified roster stays in use.

import { ApiProblem, callApi } from "./api.js";
import { keepRoster } from "../store/roster.js";

// A roster that does not verify is not kept: keepRoster throws and flags the state.
export async function refreshRoster(state) {
  let people;
  try {
    ({ people } = await callApi("GET", "/api/v1/directory"));
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    return;
  }
  await keepRoster(state, people);
}
