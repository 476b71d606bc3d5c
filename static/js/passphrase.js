// Passphrase strength: refuse the obvious, with a reason a person can act on.
//
// The passphrase protects the account keys against anyone who gets the escrowed blob or the
// server's auth hash, so guesses can be tried offline: what an attacker tries first (digits,
// repeats, sequences, the person's own address, the passwords everybody uses) is refused. The
// rules are pure functions; the common-password list is fetched only when it is first needed.

import { _ } from "./i18n.js";

export const MIN_PASSPHRASE = 12;
const COMMON_LIST_URL = "/static/data/common-passwords.txt";
const SEQUENCES = ["abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm",
  "azertyuiopqsdfghjklmwxcvbn", "qwertzuiopasdfghjklyxcvbnm"];
const SHORTEST_CHECKED_LOCAL_PART = 3;

// Case, spaces and punctuation do not make a guess harder: they are ignored by the rules.
export function normalise(text) {
  return text.normalize("NFKC").toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, "");
}

function isRepeatedPattern(text) {
  return /^(.+?)\1+$/u.test(text);
}

function isSequence(text) {
  if (text.length < 4) return false;
  return SEQUENCES.some((sequence) => {
    const around = sequence.repeat(Math.ceil(text.length / sequence.length) + 1);
    const backwards = [...around].reverse().join("");
    return around.includes(text) || backwards.includes(text);
  });
}

function containsEmail(text, email) {
  const local = normalise((email || "").split("@")[0]);
  return local.length >= SHORTEST_CHECKED_LOCAL_PART && text.includes(local);
}

// The whole passphrase, or its letters alone when they make one word ("Password2024!"), is in
// the list. Several words each found in the list are fine: that is what a good passphrase is.
function isCommon(passphrase, common) {
  if (!common) return false;
  const whole = normalise(passphrase);
  const words = passphrase.toLowerCase().split(/[^\p{L}]+/u).filter(Boolean);
  return common.has(whole) || common.has(passphrase.toLowerCase()) || (words.length === 1 && common.has(words[0]));
}

/**
 * The first rule a passphrase breaks, as a code ("too-short", "digits-only", "repeated",
 * "sequence", "email", "common"), or null when it passes. ``common`` is a Set of lower-case
 * common passwords (``loadCommonPasswords``), or null to skip that rule.
 */
export function passphraseProblem(passphrase, { email = "", common = null } = {}) {
  if ([...passphrase].length < MIN_PASSPHRASE) return "too-short";
  const text = normalise(passphrase);
  if (/^\p{Nd}+$/u.test(passphrase.replace(/\s+/gu, ""))) return "digits-only";
  if (isRepeatedPattern(text)) return "repeated";
  if (isSequence(text)) return "sequence";
  if (containsEmail(text, email)) return "email";
  if (isCommon(passphrase, common)) return "common";
  return null;
}

export function problemText(code) {
  return {
    "too-short": _("The passphrase must have at least 12 characters."),
    "digits-only": _("A passphrase of digits only is guessed quickly. Use words."),
    repeated: _("This passphrase repeats the same characters or pattern. Use several different words."),
    sequence: _("This passphrase is a sequence (letters, digits or a keyboard row). Use several different words."),
    email: _("The passphrase must not contain your email address or its first part."),
    common: _("This passphrase is among the most common passwords. Use several words of your own."),
  }[code] || "";
}

let commonPasswords = null;

/** The common-password list, fetched once; null when it cannot be had (the other rules still hold). */
export async function loadCommonPasswords() {
  if (commonPasswords) return commonPasswords;
  try {
    const response = await fetch(COMMON_LIST_URL, { credentials: "same-origin" });
    if (!response.ok) return null;
    commonPasswords = new Set((await response.text()).split("\n").map((line) => line.trim()).filter(Boolean));
    return commonPasswords;
  } catch {
    return null;
  }
}

/** The translated reason a passphrase is refused, or "" when it is accepted. */
export async function checkPassphrase(passphrase, { email = "" } = {}) {
  const code = passphraseProblem(passphrase, { email, common: await loadCommonPasswords() });
  return code ? problemText(code) : "";
}
