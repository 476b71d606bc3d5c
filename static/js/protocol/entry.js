// Entries: the header, the padded and sealed body, the author's signature, the entry hash
// (crypto/entry.py, docs/PROTOCOL.md sections 6.4 to 6.6 and 7).
//
// The header is public and fixed-size; it is the AEAD associated data of the body, so a body
// cannot be moved to another case, entry, epoch or author without failing to open. The body is
// UTF-8 JSON, padded to a PADME size so that its length tells little, then AES-256-GCM under a
// key derived for this one entry from the epoch key, so no (key, nonce) pair can repeat even if
// a random nonce did. The author signs the header and the SHA-256 of the body; the entry hash
// covers the same plus the signature. Because both use the body's digest, a server may later
// keep only a stub (header, digest, signature) of a resealed entry and every chain still
// verifies.

import { MAX_EPOCH } from "./casekeys.js";
import { concatBytes, equalBytes, freshBytes, isBytes, isZeroBytes, Reader, Writer } from "./encoding.js";
import {
  InvalidBody,
  InvalidEncoding,
  OversizedInput,
  WrongFormat,
} from "./errors.js";
import { ID_BYTES, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from "./keys.js";
import * as labels from "./labels.js";
import { aesGcmOpen, aesGcmSeal, hkdfAesGcmKey, sha256 } from "./primitives.js";
import { SIGNATURE_BYTES, verifyEd25519 } from "./roster.js";

export { MAX_EPOCH, SIGNATURE_BYTES };
export const HEADER_TAG = "CNH";
export const ENVELOPE_TAG = "CNE";
export const STUB_TAG = "CNS";
export const HASH_BYTES = 32;
export const HEADER_BYTES = 161;
export const ZERO_HASH = new Uint8Array(HASH_BYTES);

/** What an entry is. Control kinds carry clear payloads; sealed kinds carry ciphertext. */
export const Kind = Object.freeze({ GENESIS: 1, ADD: 2, REMOVE: 3, ROTATE: 4, CONTENT: 16, RESEAL: 17 });
const KIND_VALUES = new Set(Object.values(Kind));
export const CONTROL_KINDS = new Set([Kind.GENESIS, Kind.ADD, Kind.REMOVE, Kind.ROTATE]);
export const SEALED_KINDS = new Set([Kind.CONTENT, Kind.RESEAL]);

// Padding: the padded plaintext is u32 length || JSON || zeros, of PADME size, at least 256.
export const MIN_PADDED = 256;
export const MAX_BODY_JSON = 1 << 20;
export const MAX_JSON_DEPTH = 64;

function bitLength(value) {
  return value === 0 ? 0 : 32 - Math.clz32(value);
}

/** PADME (Nikitin et al., PETS 2019): round up so that only O(log log L) bits of L remain. */
export function padme(length) {
  const exponent = bitLength(length) - 1;
  const sizeBits = bitLength(exponent);
  const mask = 2 ** (exponent - sizeBits) - 1;
  // Lengths stay below 2**31 here, so 32-bit bitwise operations are exact.
  return (length + mask) & ~mask;
}

export function paddedSize(jsonLength) {
  return padme(Math.max(4 + jsonLength, MIN_PADDED));
}

export const MAX_PADDED = paddedSize(MAX_BODY_JSON);
export const SEALED_OVERHEAD = NONCE_BYTES + TAG_BYTES;
export const MAX_BODY = HASH_BYTES + SEALED_OVERHEAD + MAX_PADDED;

export function isPaddedSize(size) {
  return size >= MIN_PADDED && size <= MAX_PADDED && padme(size) === size;
}

// The decoder of docs/PROTOCOL.md 6.6: invalid UTF-8 fails, and a BOM is kept (so that the JSON
// parse then fails on it) rather than silently stripped.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// JSON.parse checks the grammar of RFC 8259 (it refuses NaN, Infinity, comments, trailing
// commas, control characters in strings, single quotes) but silently keeps the last of
// duplicate member names and has no depth limit. This walk over the text, run after JSON.parse
// accepted it, so on well-formed JSON only, finds duplicate names (compared after unescaping,
// as the Python reference compares decoded strings) and nesting deeper than 64 levels.
function checkNamesAndDepth(textValue) {
  const stack = [];
  let i = 0;
  while (i < textValue.length) {
    const c = textValue[i];
    if (c === "{" || c === "[") {
      stack.push(c === "{" ? { names: new Set(), expectName: true } : null);
      if (stack.length > MAX_JSON_DEPTH) throw new InvalidBody(`a body nests at most ${MAX_JSON_DEPTH} levels`);
      i += 1;
    } else if (c === "}" || c === "]") {
      stack.pop();
      i += 1;
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top) top.expectName = true;
      i += 1;
    } else if (c === '"') {
      let end = i + 1;
      while (textValue[end] !== '"') end += textValue[end] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top && top.expectName) {
        const name = JSON.parse(textValue.slice(i, end + 1));
        if (top.names.has(name)) throw new InvalidBody("duplicate member name in a JSON object");
        top.names.add(name);
        top.expectName = false;
      }
      i = end + 1;
    } else {
      i += 1;
    }
  }
}

/** The body is one JSON object (RFC 8259) in UTF-8, no BOM, no duplicate names, at most 64 levels. */
export function checkJsonBody(bodyJson) {
  if (!isBytes(bodyJson)) throw new InvalidBody("a body is bytes");
  if (bodyJson.length > MAX_BODY_JSON) throw new OversizedInput(`a body is at most ${MAX_BODY_JSON} bytes`);
  let textValue;
  let value;
  try {
    textValue = utf8.decode(bodyJson);
    value = JSON.parse(textValue);
  } catch {
    throw new InvalidBody("a body is UTF-8 JSON text");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidBody("a body is a JSON object");
  }
  checkNamesAndDepth(textValue);
}

export function padBody(bodyJson) {
  checkJsonBody(bodyJson);
  const padded = new Uint8Array(paddedSize(bodyJson.length));
  new DataView(padded.buffer).setUint32(0, bodyJson.length);
  padded.set(bodyJson, 4);
  return padded;
}

/** Undo the padding, refusing any padding but the one canonical form. */
export function unpadBody(padded) {
  const length = padded.length >= 4 ? new DataView(padded.buffer, padded.byteOffset).getUint32(0) : 0;
  if (padded.length < 4 || length > MAX_BODY_JSON || padded.length !== paddedSize(length)
      || !isZeroBytes(padded.subarray(4 + length))) {
    throw new InvalidBody("non-canonical padding");
  }
  const bodyJson = padded.slice(4, 4 + length);
  checkJsonBody(bodyJson);
  return bodyJson;
}

function checkHeaderRules({ kind, epoch, deviceSeq, prevHash, controlHead, lamport }) {
  if (epoch < 1 || deviceSeq < 1 || lamport < 1) {
    throw new InvalidEncoding("epoch, device sequence and Lamport clock start at 1");
  }
  if ((deviceSeq === 1) !== equalBytes(prevHash, ZERO_HASH)) {
    throw new InvalidEncoding("the previous hash is zero exactly for a device's first entry");
  }
  if ((kind === Kind.GENESIS) !== equalBytes(controlHead, ZERO_HASH)) {
    throw new InvalidEncoding("the control head is zero exactly for the genesis entry");
  }
  if (kind === Kind.GENESIS && (epoch !== 1 || deviceSeq !== 1)) {
    throw new InvalidEncoding("the genesis entry is epoch 1 and its device's first entry");
  }
}

/** The public header of an entry: 161 bytes, the AEAD associated data of its body. */
export class EntryHeader {
  constructor({ kind, caseId, entryId, epoch, author, deviceId, deviceSeq, prevHash, controlHead, lamport, time }) {
    if (!KIND_VALUES.has(kind)) throw new InvalidEncoding(`unknown entry kind ${kind}`);
    const raw = new Writer().prefix(HEADER_TAG).u8(kind).fixed(caseId, ID_BYTES).fixed(entryId, ID_BYTES)
      .uint(epoch, 4, MAX_EPOCH).fixed(author, ID_BYTES).fixed(deviceId, ID_BYTES).u64(deviceSeq)
      .fixed(prevHash, HASH_BYTES).fixed(controlHead, HASH_BYTES).u64(lamport).u64(time).getValue();
    // Building a header goes through the parser's rules, so no header can be made that a
    // verifier would refuse.
    checkHeaderRules({ kind, epoch, deviceSeq, prevHash, controlHead, lamport });
    Object.assign(this, {
      kind, caseId: caseId.slice(), entryId: entryId.slice(), epoch, author: author.slice(),
      deviceId: deviceId.slice(), deviceSeq, prevHash: prevHash.slice(), controlHead: controlHead.slice(),
      lamport, time, raw,
    });
    Object.freeze(this);
  }

  toBytes() {
    return this.raw.slice();
  }

  static fromBytes(raw) {
    const reader = new Reader(raw, "entry header");
    const header = EntryHeader.read(reader);
    reader.finish();
    return header;
  }

  static read(reader) {
    reader.prefix(HEADER_TAG);
    const kind = reader.u8();
    if (!KIND_VALUES.has(kind)) throw new InvalidEncoding(`unknown entry kind ${kind}`);
    return new EntryHeader({
      kind, caseId: reader.take(ID_BYTES), entryId: reader.take(ID_BYTES), epoch: reader.u32(),
      author: reader.take(ID_BYTES), deviceId: reader.take(ID_BYTES), deviceSeq: reader.u64(),
      prevHash: reader.take(HASH_BYTES), controlHead: reader.take(HASH_BYTES), lamport: reader.u64(),
      time: reader.u64(),
    });
  }
}

/** HKDF info of one entry's key: ENTRY_KEY || case id || entry id || u32 epoch. */
export function entryKeyInfo(header) {
  const context = new Writer().fixed(header.caseId, ID_BYTES).fixed(header.entryId, ID_BYTES)
    .u32(header.epoch).getValue();
  return concatBytes(labels.ENTRY_KEY, context);
}

/** The AES-256-GCM key of one entry, derived from the epoch key as a non-extractable CryptoKey. */
export async function entryKey(caseKey, header) {
  if (!isBytes(caseKey, KEY_BYTES)) throw new InvalidEncoding("a case key is 32 bytes");
  return hkdfAesGcmKey(caseKey, entryKeyInfo(header));
}

// Split a sealed body into [aad, nonce, ciphertext]; a RESEAL's reference joins the aad.
function sealedParts(header, body) {
  const refSize = header.kind === Kind.RESEAL ? HASH_BYTES : 0;
  const ref = body.slice(0, refSize);
  return [concatBytes(header.raw, ref), body.slice(refSize, refSize + NONCE_BYTES), body.slice(refSize + NONCE_BYTES)];
}

/** Pad and encrypt a body: [ref ||] nonce || AES-256-GCM(entry key, nonce, padded, header [|| ref]). */
export async function sealEntryBody(header, bodyJson, caseKey, { nonce = undefined, ref = undefined } = {}) {
  if (!SEALED_KINDS.has(header.kind)) throw new InvalidEncoding("only content and reseal entries carry a sealed body");
  const prefix = header.kind === Kind.RESEAL ? new Writer().fixed(ref, HASH_BYTES).getValue() : new Uint8Array(0);
  if (header.kind !== Kind.RESEAL && ref !== undefined && ref !== null) {
    throw new InvalidEncoding("only a reseal entry carries a reference");
  }
  const fresh = freshBytes(nonce, NONCE_BYTES);
  const padded = padBody(bodyJson);
  const ciphertext = await aesGcmSeal(await entryKey(caseKey, header), fresh, padded, concatBytes(header.raw, prefix));
  padded.fill(0);
  return concatBytes(prefix, fresh, ciphertext);
}

/** Decrypt and unpad a sealed body with its epoch key; any change to header or body throws. */
export async function openEntryBody(header, body, caseKey) {
  const [aad, nonce, ciphertext] = sealedParts(header, body);
  const padded = await aesGcmOpen(await entryKey(caseKey, header), nonce, ciphertext, aad, "entry");
  return unpadBody(padded);
}

// Sealed bodies have exactly a padded size plus overhead, checkable without the key.
function checkBodySize(header, size) {
  if (size > MAX_BODY) throw new OversizedInput(`an entry body is at most ${MAX_BODY} bytes`);
  if (SEALED_KINDS.has(header.kind)) {
    const refSize = header.kind === Kind.RESEAL ? HASH_BYTES : 0;
    if (!isPaddedSize(size - refSize - SEALED_OVERHEAD)) throw new InvalidEncoding("a sealed body has a padded size");
  }
}

/** A parsed entry: a full envelope (body present) or a stub (body null, only its digest). */
export class Entry {
  constructor(header, body, bodyDigest, signature, hash) {
    Object.assign(this, { header, body, bodyDigest, signature, hash });
    Object.freeze(this);
  }

  // The entry hash is SHA-256 over a label, the header, the body's digest and the signature;
  // WebCrypto digests are asynchronous, so entries are made through this factory.
  static async create(header, body, bodyDigest, signature) {
    const hash = await sha256(labels.HASH_ENTRY, header.raw, bodyDigest, signature);
    return new Entry(header, body, bodyDigest, signature, hash);
  }

  get isStub() {
    return this.body === null;
  }

  signedMessage() {
    return concatBytes(labels.SIGN_ENTRY, this.header.raw, this.bodyDigest);
  }

  toBytes() {
    if (this.body === null) {
      return new Writer().prefix(STUB_TAG).raw(this.header.raw).raw(this.bodyDigest).raw(this.signature).getValue();
    }
    return new Writer().prefix(ENVELOPE_TAG).raw(this.header.raw).u32(this.body.length).raw(this.body)
      .raw(this.signature).getValue();
  }

  /** What a server keeps of a resealed entry once its ciphertext is deleted. */
  stub() {
    if (!SEALED_KINDS.has(this.header.kind)) throw new InvalidEncoding("only sealed entries can be reduced to a stub");
    return new Entry(this.header, null, this.bodyDigest, this.signature, this.hash);
  }

  /** Throws InvalidSignature unless the author's Ed25519 key (a CryptoKey) signed this entry. */
  async verifySignature(signingKey) {
    await verifyEd25519(signingKey, this.signature, this.signedMessage(),
      "the entry is not signed by its author's key");
  }
}

/** The author's device signs the header and the body's digest with the account signing key. */
export async function makeEntryAsAuthor(header, body, author) {
  if (!equalBytes(header.author, author.userId)) throw new InvalidEncoding("the header names another author");
  checkBodySize(header, body.length);
  const digest = await sha256(body);
  const signature = new Uint8Array(await crypto.subtle.sign(
    { name: "Ed25519" }, author.signingPrivate, concatBytes(labels.SIGN_ENTRY, header.raw, digest)));
  return Entry.create(header, body.slice(), digest, signature);
}

function startsWith(raw, tag) {
  return raw.length >= 3 && [0, 1, 2].every((i) => raw[i] === tag.charCodeAt(i));
}

/** Parse an envelope (CNE) or a stub (CNS); signature checks come with the log. */
export async function parseEntry(raw) {
  const reader = new Reader(raw, "entry");
  let header;
  let body;
  let digest;
  if (startsWith(raw, STUB_TAG)) {
    reader.prefix(STUB_TAG);
    header = EntryHeader.read(reader);
    if (!SEALED_KINDS.has(header.kind)) throw new InvalidEncoding("only sealed entries can be stubs");
    body = null;
    digest = reader.take(HASH_BYTES);
  } else if (startsWith(raw, ENVELOPE_TAG)) {
    reader.prefix(ENVELOPE_TAG);
    header = EntryHeader.read(reader);
    body = reader.take(reader.u32(0, MAX_BODY));
    checkBodySize(header, body.length);
    digest = await sha256(body);
  } else {
    throw new WrongFormat("not an entry envelope or stub");
  }
  const signature = reader.take(SIGNATURE_BYTES);
  reader.finish();
  return Entry.create(header, body, digest, signature);
}
