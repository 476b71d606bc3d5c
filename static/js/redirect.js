// The one check of where the browser goes after login: a path on this site, or the fallback.
//
// A `next` comes from the address bar, which URLSearchParams has already percent-decoded once:
// "/%09/evil.example" arrives as "/\t/evil.example", and browsers drop tabs and newlines from
// URLs and read "\" as "/", so that would leave the site. Refused: anything but an absolute
// path, "//", any control, space or backslash (also once more percent-decoded), and whatever
// does not resolve to this origin. The server's webapp.security.safe_redirect_target matches it.

const UNSAFE = /[\u0000-\u0020\u007f-\u009f\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff\\]/;
const MAX_LENGTH = 2048;

export function safeNext(target, fallback = "/home") {
  if (typeof target !== "string" || !target || target.length > MAX_LENGTH) return fallback;
  let decoded;
  try {
    decoded = decodeURIComponent(target);
  } catch {
    return fallback;
  }
  // Once decoded, a plain space is only a space inside a query ("?q=a%20b"); the rest holds.
  for (const form of [target, decoded.replaceAll(" ", "x")]) {
    if (!form.startsWith("/") || form.startsWith("//") || UNSAFE.test(form)) return fallback;
  }
  let url;
  try {
    url = new URL(target, location.origin);
  } catch {
    return fallback;
  }
  return url.origin === location.origin ? url.pathname + url.search + url.hash : fallback;
}
