// The copy button beside a one-time link on the admin pages. Its messages come translated in the
// button's data attributes, so this file needs no catalog.

const button = document.getElementById("copy-link");
const status = document.getElementById("copy-status");

async function copyLink() {
  const text = document.getElementById(button.dataset.copyFrom).textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = button.dataset.copied;
  } catch {
    // Without clipboard access (an insecure origin, a refused permission), select the link so
    // that the person can copy it by hand.
    const range = document.createRange();
    range.selectNodeContents(document.getElementById(button.dataset.copyFrom));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    status.textContent = button.dataset.failed;
  }
}

button?.addEventListener("click", copyLink);
