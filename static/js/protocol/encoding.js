// Encodings shared by every format of the protocol: base64url text and fixed binary layouts,
// as crypto/encoding.py and docs/PROTOCOL.md section 5 define them.
//
// Every binary format is a fixed sequence of fields: a 3-byte ASCII tag and a 1-byte version,
// then big-endian unsigned integers, fixed-size byte strings and counted lists. There is no
// optional field and no alternative spelling, so each value has exactly one encoding: a parser
// that accepts some bytes re-encodes them to the same bytes and refuses everything else (short
// input, trailing bytes, out-of-range numbers, unsorted lists). That is what lets this code and
// the Python reference compare hashes and signatures over the bytes without ever disagreeing.

import {
  InvalidEncoding,
  OversizedInput,
  TrailingBytes,
  TruncatedInput,
  UnsupportedVersion,
  WrongFormat,
} from "./errors.js";

export const PROTOCOL_VERSION = 1;
// Integers carried in u64 fields stay at or below 2**53 - 1 so that JavaScript numbers hold
// them exactly; a larger value on the wire is refused rather than silently rounded.
export const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
const TWO_32 = 2 ** 32;
// The high 32-bit word of a u64 at or above this makes the value exceed MAX_SAFE_INTEGER.
const SAFE_HIGH_WORD_LIMIT = 2 ** 21;

const ascii = new TextEncoder();

// Base64url without padding (RFC 4648 section 5), strict: non-canonical text is refused. This
// is the one encoding module of the browser: the app, the store and the engine use it too.
export function b64urlEncode(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new InvalidEncoding("base64url encodes bytes");
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64urlDecode(value) {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]*$/.test(value) || value.length % 4 === 1) {
    throw new InvalidEncoding("base64url text must be a string of the base64url alphabet, without padding");
  }
  const binary = atob(value.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (b64urlEncode(bytes) !== value) throw new InvalidEncoding("not canonical base64url");
  return bytes;
}

export function hexEncode(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function hexDecode(value) {
  if (typeof value !== "string" || !/^([0-9a-f]{2})*$/.test(value)) throw new InvalidEncoding("not lowercase hex");
  return Uint8Array.from(value.match(/../g) || [], (h) => parseInt(h, 16));
}

export function asciiBytes(value) {
  return ascii.encode(value);
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// Comparisons of public values (ids, hashes, public keys); nothing secret is compared here,
// secrets are only ever checked by an AEAD tag or a signature.
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

// Bytewise order, the order of every sorted list of the protocol.
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function isZeroBytes(bytes) {
  return bytes.every((byte) => byte === 0);
}

export function isBytes(value, size) {
  return value instanceof Uint8Array && (size === undefined || value.length === size);
}

// Lists are strictly ascending by id: one canonical order and no duplicates.
export function isStrictlySorted(ids) {
  for (let i = 1; i < ids.length; i += 1) if (compareBytes(ids[i - 1], ids[i]) >= 0) return false;
  return true;
}

export function bytesKey(bytes) {
  return hexEncode(bytes);
}

// Randomness can be passed in, so that vectors are exact; otherwise the CSPRNG provides it.
export function freshBytes(value, size) {
  if (value === undefined || value === null) return crypto.getRandomValues(new Uint8Array(size));
  if (!isBytes(value, size)) throw new InvalidEncoding(`injected randomness must be exactly ${size} bytes`);
  return value.slice();
}

/** Builds one binary value field by field, refusing values the format cannot carry. */
export class Writer {
  #parts = [];

  prefix(tag) {
    this.#parts.push(concatBytes(asciiBytes(tag), Uint8Array.of(PROTOCOL_VERSION)));
    return this;
  }

  uint(value, size, maximum = undefined) {
    const limit = maximum ?? (size >= 7 ? MAX_SAFE_INTEGER : 2 ** (8 * size) - 1);
    if (!Number.isSafeInteger(value) || value < 0 || value > limit) {
      throw new InvalidEncoding(`${value} does not fit the field`);
    }
    const out = new Uint8Array(size);
    let rest = value;
    for (let i = size - 1; i >= 0; i -= 1) {
      out[i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
    this.#parts.push(out);
    return this;
  }

  u8(value) { return this.uint(value, 1); }
  u16(value) { return this.uint(value, 2); }
  u32(value) { return this.uint(value, 4); }
  u64(value) { return this.uint(value, 8, MAX_SAFE_INTEGER); }

  fixed(value, size) {
    if (!isBytes(value, size)) throw new InvalidEncoding(`field must be exactly ${size} bytes`);
    this.#parts.push(value.slice());
    return this;
  }

  raw(value) {
    if (!isBytes(value)) throw new InvalidEncoding("a field is bytes");
    this.#parts.push(value.slice());
    return this;
  }

  getValue() {
    return concatBytes(...this.#parts);
  }
}

/** Reads one binary value field by field; every way the bytes can be wrong throws. */
export class Reader {
  #data;
  #pos = 0;

  constructor(data, what) {
    if (!isBytes(data)) throw new InvalidEncoding(`${what} must be bytes`);
    this.#data = data;
    this.what = what;
  }

  get remaining() {
    return this.#data.length - this.#pos;
  }

  take(size) {
    if (this.remaining < size) throw new TruncatedInput(`${this.what} is truncated`);
    const value = this.#data.slice(this.#pos, this.#pos + size);
    this.#pos += size;
    return value;
  }

  // The tag is checked before the version, so a wrong format and a wrong version are told apart.
  prefix(tag) {
    if (!equalBytes(this.take(tag.length), asciiBytes(tag))) {
      throw new WrongFormat(`${this.what} does not start with ${tag}`);
    }
    const version = this.u8();
    if (version !== PROTOCOL_VERSION) {
      throw new UnsupportedVersion(`${this.what} version ${version} is not supported`);
    }
  }

  uint(size, minimum = 0, maximum = undefined) {
    if (size > 4) throw new InvalidEncoding("wide integers are read with u64");
    const bytes = this.take(size);
    let value = 0;
    for (const byte of bytes) value = value * 256 + byte;
    return this.#checkRange(value, minimum, maximum);
  }

  #checkRange(value, minimum, maximum) {
    if (value < minimum) throw new InvalidEncoding(`${this.what}: ${value} is below ${minimum}`);
    if (maximum !== undefined && value > maximum) {
      throw new OversizedInput(`${this.what}: ${value} is above ${maximum}`);
    }
    return value;
  }

  u8() { return this.uint(1); }
  u16(minimum = 0, maximum = undefined) { return this.uint(2, minimum, maximum); }
  u32(minimum = 0, maximum = undefined) { return this.uint(4, minimum, maximum); }

  u64(minimum = 0) {
    const bytes = this.take(8);
    const high = ((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3];
    const low = ((bytes[4] << 24) >>> 0) + (bytes[5] << 16) + (bytes[6] << 8) + bytes[7];
    // A value above 2**53 - 1 cannot even be represented exactly as a number: refuse it from
    // its high word, before any rounding could make two encodings read as one value.
    if (high >= SAFE_HIGH_WORD_LIMIT) throw new OversizedInput(`${this.what}: a u64 above 2**53 - 1`);
    return this.#checkRange(high * TWO_32 + low, minimum, MAX_SAFE_INTEGER);
  }

  finish() {
    if (this.remaining) {
      throw new TrailingBytes(`${this.what} has ${this.remaining} unexpected trailing bytes`);
    }
  }
}
