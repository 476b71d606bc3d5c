import { callApi } from "./sync/api.js";

document.getElementById("logout")?.addEventListener("click", async () => {
  try {
    await callApi("POST", "/api/v1/auth/logout");
  } finally {
    location.assign("/login");
  }
});
