// Base64url without padding (RFC 4648 section 5), strict: non-canonical text is refused.

export class InvalidEncoding extends Error {}

export function b64urlEncode(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64urlDecode(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new InvalidEncoding("not base64url");
  }
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (b64urlEncode(bytes) !== text) throw new InvalidEncoding("non-canonical base64url");
  return bytes;
}

export function hexEncode(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function hexDecode(text) {
  if (!/^([0-9a-f]{2})*$/.test(text)) throw new InvalidEncoding("not lowercase hex");
  return Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
}
