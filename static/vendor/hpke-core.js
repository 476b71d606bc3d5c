// node_modules/@hpke/common/esm/src/errors.js
var HpkeError = class extends Error {
  constructor(e) {
    let message;
    e instanceof Error ? message = e.message : typeof e == "string" ? message = e : message = "", super(message), this.name = this.constructor.name;
  }
}, InvalidParamError = class extends HpkeError {
}, ValidationError = class extends HpkeError {
}, SerializeError = class extends HpkeError {
}, DeserializeError = class extends HpkeError {
}, EncapError = class extends HpkeError {
}, DecapError = class extends HpkeError {
}, ExportError = class extends HpkeError {
}, SealError = class extends HpkeError {
}, OpenError = class extends HpkeError {
}, MessageLimitReachedError = class extends HpkeError {
}, DeriveKeyPairError = class extends HpkeError {
}, NotSupportedError = class extends HpkeError {
};

// node_modules/@hpke/common/esm/_dnt.shims.js
var dntGlobals = {}, dntGlobalThis = createMergeProxy(globalThis, dntGlobals);
function createMergeProxy(baseObj, extObj) {
  return new Proxy(baseObj, {
    get(_target, prop, _receiver) {
      return prop in extObj ? extObj[prop] : baseObj[prop];
    },
    set(_target, prop, value) {
      return prop in extObj && delete extObj[prop], baseObj[prop] = value, !0;
    },
    deleteProperty(_target, prop) {
      let success = !1;
      return prop in extObj && (delete extObj[prop], success = !0), prop in baseObj && (delete baseObj[prop], success = !0), success;
    },
    ownKeys(_target) {
      let baseKeys = Reflect.ownKeys(baseObj), extKeys = Reflect.ownKeys(extObj), extKeysSet = new Set(extKeys);
      return [...baseKeys.filter((k) => !extKeysSet.has(k)), ...extKeys];
    },
    defineProperty(_target, prop, desc) {
      return prop in extObj && delete extObj[prop], Reflect.defineProperty(baseObj, prop, desc), !0;
    },
    getOwnPropertyDescriptor(_target, prop) {
      return prop in extObj ? Reflect.getOwnPropertyDescriptor(extObj, prop) : Reflect.getOwnPropertyDescriptor(baseObj, prop);
    },
    has(_target, prop) {
      return prop in extObj || prop in baseObj;
    }
  });
}

// node_modules/@hpke/common/esm/src/algorithm.js
async function loadSubtleCrypto() {
  if (dntGlobalThis !== void 0 && globalThis.crypto !== void 0)
    return globalThis.crypto.subtle;
  try {
    let { webcrypto } = await import("crypto");
    return webcrypto.subtle;
  } catch (e) {
    throw new NotSupportedError(e);
  }
}
var NativeAlgorithm = class {
  constructor() {
    Object.defineProperty(this, "_api", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    });
  }
  async _setup() {
    this._api === void 0 && (this._api = await loadSubtleCrypto());
  }
};

// node_modules/@hpke/common/esm/src/identifiers.js
var Mode = {
  Base: 0,
  Psk: 1,
  Auth: 2,
  AuthPsk: 3
}, KemId = {
  NotAssigned: 0,
  DhkemP256HkdfSha256: 16,
  DhkemP384HkdfSha384: 17,
  DhkemP521HkdfSha512: 18,
  DhkemSecp256k1HkdfSha256: 19,
  DhkemX25519HkdfSha256: 32,
  DhkemX448HkdfSha512: 33,
  HybridkemX25519Kyber768: 48,
  MlKem512: 64,
  MlKem768: 65,
  MlKem1024: 66,
  XWing: 25722
}, KdfId = {
  HkdfSha256: 1,
  HkdfSha384: 2,
  HkdfSha512: 3,
  Sha3256: 4,
  Sha3384: 5,
  Sha3512: 6,
  Shake128: 16,
  Shake256: 17,
  TurboShake128: 18,
  TurboShake256: 19
}, AeadId = {
  Aes128Gcm: 1,
  Aes256Gcm: 2,
  Chacha20Poly1305: 3,
  ExportOnly: 65535
};

// node_modules/@hpke/common/esm/src/consts.js
var EMPTY = /* @__PURE__ */ new Uint8Array(0);
var BYTE_TO_BIGINT_256 = /* @__PURE__ */ (() => {
  let out = new Array(256), i = 0, value = 0n;
  for (; i < 256; )
    out[i] = value, i++, value += 1n;
  return out;
})();

// node_modules/@hpke/common/esm/src/interfaces/kemInterface.js
var SUITE_ID_HEADER_KEM = /* @__PURE__ */ new Uint8Array([
  75,
  69,
  77,
  0,
  0
]);

// node_modules/@hpke/common/esm/src/kdfs/hkdf.js
var HPKE_VERSION = /* @__PURE__ */ new Uint8Array([
  72,
  80,
  75,
  69,
  45,
  118,
  49
]);
function toUint8Array(input) {
  return new Uint8Array(toArrayBuffer(input));
}
function toArrayBuffer(input) {
  return input instanceof ArrayBuffer ? input : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength).slice().buffer : new Uint8Array(input).slice().buffer;
}
var HkdfNative = class extends NativeAlgorithm {
  constructor() {
    super(), Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: KdfId.HkdfSha256
    }), Object.defineProperty(this, "hashSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 0
    }), Object.defineProperty(this, "_suiteId", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: EMPTY
    }), Object.defineProperty(this, "algHash", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: {
        name: "HMAC",
        hash: "SHA-256",
        length: 256
      }
    });
  }
  init(suiteId) {
    this._suiteId = suiteId;
  }
  buildLabeledIkm(label, ikm) {
    this._checkInit();
    let ret = new Uint8Array(7 + this._suiteId.byteLength + label.byteLength + ikm.byteLength);
    return ret.set(HPKE_VERSION, 0), ret.set(this._suiteId, 7), ret.set(label, 7 + this._suiteId.byteLength), ret.set(ikm, 7 + this._suiteId.byteLength + label.byteLength), ret;
  }
  buildLabeledInfo(label, info, len) {
    this._checkInit();
    let ret = new Uint8Array(9 + this._suiteId.byteLength + label.byteLength + info.byteLength);
    return ret.set(new Uint8Array([0, len]), 0), ret.set(HPKE_VERSION, 2), ret.set(this._suiteId, 9), ret.set(label, 9 + this._suiteId.byteLength), ret.set(info, 9 + this._suiteId.byteLength + label.byteLength), ret;
  }
  async extract(salt, ikm) {
    await this._setup();
    let saltBuf = salt.byteLength === 0 ? new ArrayBuffer(this.hashSize) : toArrayBuffer(salt);
    if (saltBuf.byteLength !== this.hashSize)
      throw new InvalidParamError("The salt length must be the same as the hashSize");
    let ikmBuf = toArrayBuffer(ikm), key = await this._api.importKey("raw", saltBuf, this.algHash, !1, [
      "sign"
    ]);
    return await this._api.sign("HMAC", key, ikmBuf);
  }
  async expand(prk, info, len) {
    await this._setup();
    let prkBuf = toArrayBuffer(prk), key = await this._api.importKey("raw", prkBuf, this.algHash, !1, [
      "sign"
    ]), okm = new ArrayBuffer(len), okmBytes = new Uint8Array(okm), prev = EMPTY, mid = toUint8Array(info), tail = new Uint8Array(1);
    if (len > 255 * this.hashSize)
      throw new Error("Entropy limit reached");
    let tmp = new Uint8Array(this.hashSize + mid.length + 1);
    for (let i = 1, cur = 0; cur < okmBytes.length; i++)
      tail[0] = i, tmp.set(prev, 0), tmp.set(mid, prev.length), tmp.set(tail, prev.length + mid.length), prev = new Uint8Array(await this._api.sign("HMAC", key, tmp.slice(0, prev.length + mid.length + 1))), okmBytes.length - cur >= prev.length ? (okmBytes.set(prev, cur), cur += prev.length) : (okmBytes.set(prev.slice(0, okmBytes.length - cur), cur), cur += okmBytes.length - cur);
    return okm;
  }
  async extractAndExpand(salt, ikm, info, len) {
    await this._setup();
    let ikmBuf = toArrayBuffer(ikm), baseKey = await this._api.importKey("raw", ikmBuf, "HKDF", !1, ["deriveBits"]);
    return await this._api.deriveBits({
      name: "HKDF",
      hash: this.algHash.hash,
      salt: toArrayBuffer(salt),
      info: toArrayBuffer(info)
    }, baseKey, len * 8);
  }
  async labeledExtract(salt, label, ikm) {
    return await this.extract(salt, this.buildLabeledIkm(label, ikm));
  }
  async labeledExpand(prk, label, info, len) {
    return await this.expand(prk, this.buildLabeledInfo(label, info, len), len);
  }
  _checkInit() {
    if (this._suiteId === EMPTY)
      throw new Error("Not initialized. Call init()");
  }
}, HkdfSha256Native = class extends HkdfNative {
  constructor() {
    super(...arguments), Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: KdfId.HkdfSha256
    }), Object.defineProperty(this, "hashSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 32
    }), Object.defineProperty(this, "algHash", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: {
        name: "HMAC",
        hash: "SHA-256",
        length: 256
      }
    });
  }
}, HkdfSha384Native = class extends HkdfNative {
  constructor() {
    super(...arguments), Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: KdfId.HkdfSha384
    }), Object.defineProperty(this, "hashSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 48
    }), Object.defineProperty(this, "algHash", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: {
        name: "HMAC",
        hash: "SHA-384",
        length: 384
      }
    });
  }
}, HkdfSha512Native = class extends HkdfNative {
  constructor() {
    super(...arguments), Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: KdfId.HkdfSha512
    }), Object.defineProperty(this, "hashSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 64
    }), Object.defineProperty(this, "algHash", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: {
        name: "HMAC",
        hash: "SHA-512",
        length: 512
      }
    });
  }
};

// node_modules/@hpke/common/esm/src/utils/misc.js
var isCryptoKeyPair = (x) => typeof x == "object" && x !== null && typeof x.privateKey == "object" && typeof x.publicKey == "object";
function i2Osp(n, w) {
  if (w <= 0)
    throw new Error("i2Osp: too small size");
  if (n >= 256 ** w)
    throw new Error("i2Osp: too large integer");
  let ret = new Uint8Array(w);
  for (let i = 0; i < w && n; i++)
    ret[w - (i + 1)] = n % 256, n = Math.floor(n / 256);
  return ret;
}
function concat(a, b) {
  let ret = new Uint8Array(a.length + b.length);
  return ret.set(a, 0), ret.set(b, a.length), ret;
}
function base64UrlToBytes(v) {
  let base64 = v.replace(/-/g, "+").replace(/_/g, "/"), byteString = atob(base64), ret = new Uint8Array(byteString.length);
  for (let i = 0; i < byteString.length; i++)
    ret[i] = byteString.charCodeAt(i);
  return ret;
}
function xor(a, b) {
  if (a.byteLength !== b.byteLength)
    throw new Error("xor: different length inputs");
  let buf = new Uint8Array(a.byteLength);
  for (let i = 0; i < a.byteLength; i++)
    buf[i] = a[i] ^ b[i];
  return buf;
}

// node_modules/@hpke/common/esm/src/kems/dhkem.js
var LABEL_EAE_PRK = /* @__PURE__ */ new Uint8Array([
  101,
  97,
  101,
  95,
  112,
  114,
  107
]), LABEL_SHARED_SECRET = /* @__PURE__ */ new Uint8Array([
  115,
  104,
  97,
  114,
  101,
  100,
  95,
  115,
  101,
  99,
  114,
  101,
  116
]);
function concat3(a, b, c) {
  let ret = new Uint8Array(a.length + b.length + c.length);
  return ret.set(a, 0), ret.set(b, a.length), ret.set(c, a.length + b.length), ret;
}
var Dhkem = class {
  constructor(id, prim, kdf) {
    Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "secretSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 0
    }), Object.defineProperty(this, "encSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 0
    }), Object.defineProperty(this, "publicKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 0
    }), Object.defineProperty(this, "privateKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 0
    }), Object.defineProperty(this, "_prim", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_kdf", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), this.id = id, this._prim = prim, this._kdf = kdf;
    let suiteId = new Uint8Array(SUITE_ID_HEADER_KEM);
    suiteId.set(i2Osp(this.id, 2), 3), this._kdf.init(suiteId);
  }
  async serializePublicKey(key) {
    return await this._prim.serializePublicKey(key);
  }
  async deserializePublicKey(key) {
    return await this._prim.deserializePublicKey(toArrayBuffer(key));
  }
  async serializePrivateKey(key) {
    return await this._prim.serializePrivateKey(key);
  }
  async deserializePrivateKey(key) {
    return await this._prim.deserializePrivateKey(toArrayBuffer(key));
  }
  async importKey(format, key, isPublic = !0) {
    return await this._prim.importKey(format, key, isPublic);
  }
  async generateKeyPair() {
    return await this._prim.generateKeyPair();
  }
  async deriveKeyPair(ikm) {
    let rawIkm = toArrayBuffer(ikm);
    if (rawIkm.byteLength > 8192)
      throw new InvalidParamError("Too long ikm");
    return await this._prim.deriveKeyPair(rawIkm);
  }
  async encap(params) {
    let ke;
    params.ekm === void 0 ? ke = await this.generateKeyPair() : isCryptoKeyPair(params.ekm) ? ke = params.ekm : ke = await this.deriveKeyPair(params.ekm);
    let enc = await this._prim.serializePublicKey(ke.publicKey), pkrm = await this._prim.serializePublicKey(params.recipientPublicKey);
    try {
      let dh;
      if (params.senderKey === void 0)
        dh = new Uint8Array(await this._prim.dh(ke.privateKey, params.recipientPublicKey));
      else {
        let sks = isCryptoKeyPair(params.senderKey) ? params.senderKey.privateKey : params.senderKey, dh1 = new Uint8Array(await this._prim.dh(ke.privateKey, params.recipientPublicKey)), dh2 = new Uint8Array(await this._prim.dh(sks, params.recipientPublicKey));
        dh = concat(dh1, dh2);
      }
      let kemContext;
      if (params.senderKey === void 0)
        kemContext = concat(new Uint8Array(enc), new Uint8Array(pkrm));
      else {
        let pks = isCryptoKeyPair(params.senderKey) ? params.senderKey.publicKey : await this._prim.derivePublicKey(params.senderKey), pksm = await this._prim.serializePublicKey(pks);
        kemContext = concat3(new Uint8Array(enc), new Uint8Array(pkrm), new Uint8Array(pksm));
      }
      let sharedSecret = await this._generateSharedSecret(dh, kemContext);
      return {
        enc,
        sharedSecret
      };
    } catch (e) {
      throw new EncapError(e);
    }
  }
  async decap(params) {
    let enc = toArrayBuffer(params.enc), pke = await this._prim.deserializePublicKey(enc), skr = isCryptoKeyPair(params.recipientKey) ? params.recipientKey.privateKey : params.recipientKey, pkr = isCryptoKeyPair(params.recipientKey) ? params.recipientKey.publicKey : await this._prim.derivePublicKey(params.recipientKey), pkrm = await this._prim.serializePublicKey(pkr);
    try {
      let dh;
      if (params.senderPublicKey === void 0)
        dh = new Uint8Array(await this._prim.dh(skr, pke));
      else {
        let dh1 = new Uint8Array(await this._prim.dh(skr, pke)), dh2 = new Uint8Array(await this._prim.dh(skr, params.senderPublicKey));
        dh = concat(dh1, dh2);
      }
      let kemContext;
      if (params.senderPublicKey === void 0)
        kemContext = concat(new Uint8Array(enc), new Uint8Array(pkrm));
      else {
        let pksm = await this._prim.serializePublicKey(params.senderPublicKey);
        kemContext = new Uint8Array(enc.byteLength + pkrm.byteLength + pksm.byteLength), kemContext.set(new Uint8Array(enc), 0), kemContext.set(new Uint8Array(pkrm), enc.byteLength), kemContext.set(new Uint8Array(pksm), enc.byteLength + pkrm.byteLength);
      }
      return await this._generateSharedSecret(dh, kemContext);
    } catch (e) {
      throw new DecapError(e);
    }
  }
  async _generateSharedSecret(dh, kemContext) {
    let labeledIkm = this._kdf.buildLabeledIkm(LABEL_EAE_PRK, dh), labeledInfo = this._kdf.buildLabeledInfo(LABEL_SHARED_SECRET, kemContext, this.secretSize);
    return await this._kdf.extractAndExpand(EMPTY, labeledIkm, labeledInfo, this.secretSize);
  }
};

// node_modules/@hpke/common/esm/src/interfaces/dhkemPrimitives.js
var KEM_USAGES = ["deriveBits"], LABEL_DKP_PRK = /* @__PURE__ */ new Uint8Array([
  100,
  107,
  112,
  95,
  112,
  114,
  107
]), LABEL_SK = /* @__PURE__ */ new Uint8Array([115, 107]);

// node_modules/@hpke/common/esm/src/utils/bignum.js
var Bignum = class {
  constructor(size) {
    Object.defineProperty(this, "_num", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), this._num = new Uint8Array(size);
  }
  val() {
    return this._num;
  }
  reset() {
    this._num.fill(0);
  }
  set(src) {
    if (src.length !== this._num.length)
      throw new Error("Bignum.set: invalid argument");
    this._num.set(src);
  }
  isZero() {
    for (let i = 0; i < this._num.length; i++)
      if (this._num[i] !== 0)
        return !1;
    return !0;
  }
  lessThan(v) {
    if (v.length !== this._num.length)
      throw new Error("Bignum.lessThan: invalid argument");
    for (let i = 0; i < this._num.length; i++) {
      if (this._num[i] < v[i])
        return !0;
      if (this._num[i] > v[i])
        return !1;
    }
    return !1;
  }
};

// node_modules/@hpke/common/esm/src/kems/dhkemPrimitives/ec.js
var LABEL_CANDIDATE = /* @__PURE__ */ new Uint8Array([
  99,
  97,
  110,
  100,
  105,
  100,
  97,
  116,
  101
]), ORDER_P_256 = /* @__PURE__ */ new Uint8Array([
  255,
  255,
  255,
  255,
  0,
  0,
  0,
  0,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  188,
  230,
  250,
  173,
  167,
  23,
  158,
  132,
  243,
  185,
  202,
  194,
  252,
  99,
  37,
  81
]), ORDER_P_384 = /* @__PURE__ */ new Uint8Array([
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  199,
  99,
  77,
  129,
  244,
  55,
  45,
  223,
  88,
  26,
  13,
  178,
  72,
  176,
  167,
  122,
  236,
  236,
  25,
  106,
  204,
  197,
  41,
  115
]), ORDER_P_521 = /* @__PURE__ */ new Uint8Array([
  1,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  255,
  250,
  81,
  134,
  135,
  131,
  191,
  47,
  150,
  107,
  127,
  204,
  1,
  72,
  247,
  9,
  165,
  208,
  59,
  181,
  201,
  184,
  137,
  156,
  71,
  174,
  187,
  111,
  183,
  30,
  145,
  56,
  100,
  9
]), PKCS8_ALG_ID_P_256 = /* @__PURE__ */ new Uint8Array([
  48,
  65,
  2,
  1,
  0,
  48,
  19,
  6,
  7,
  42,
  134,
  72,
  206,
  61,
  2,
  1,
  6,
  8,
  42,
  134,
  72,
  206,
  61,
  3,
  1,
  7,
  4,
  39,
  48,
  37,
  2,
  1,
  1,
  4,
  32
]), PKCS8_ALG_ID_P_384 = /* @__PURE__ */ new Uint8Array([
  48,
  78,
  2,
  1,
  0,
  48,
  16,
  6,
  7,
  42,
  134,
  72,
  206,
  61,
  2,
  1,
  6,
  5,
  43,
  129,
  4,
  0,
  34,
  4,
  55,
  48,
  53,
  2,
  1,
  1,
  4,
  48
]), PKCS8_ALG_ID_P_521 = /* @__PURE__ */ new Uint8Array([
  48,
  96,
  2,
  1,
  0,
  48,
  16,
  6,
  7,
  42,
  134,
  72,
  206,
  61,
  2,
  1,
  6,
  5,
  43,
  129,
  4,
  0,
  35,
  4,
  73,
  48,
  71,
  2,
  1,
  1,
  4,
  66
]), EC_P_256_PARAMS = {
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  coordinateSize: 32
}, EC_P_384_PARAMS = {
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
  b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
  gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
  coordinateSize: 48
}, EC_P_521_PARAMS = {
  p: (1n << 521n) - 1n,
  b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  gx: 0x00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66n,
  gy: 0x011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650n,
  coordinateSize: 66
};
function mod(a, p) {
  let r = a % p;
  return r >= 0n ? r : r + p;
}
function modPow(base, exponent, p) {
  let result = 1n, b = mod(base, p), e = exponent;
  for (; e > 0n; )
    (e & 1n) === 1n && (result = mod(result * b, p)), b = mod(b * b, p), e >>= 1n;
  return result;
}
function modSqrt(rhs, p) {
  let y = modPow(rhs, p + 1n >> 2n, p);
  if (mod(y * y, p) !== mod(rhs, p))
    throw new Error("Invalid ECDH point");
  return y;
}
function bytesToBigInt(bytes) {
  let v = 0n;
  for (let b of bytes)
    v = v << 8n | BYTE_TO_BIGINT_256[b];
  return v;
}
function bigIntToBytes(v, len) {
  let out = new Uint8Array(len), n = v;
  for (let i = len - 1; i >= 0; i--)
    out[i] = Number(n & 0xffn), n >>= 8n;
  if (n !== 0n)
    throw new Error("Invalid coordinate length");
  return out;
}
function buildRawUncompressedPublicKey(x, y, coordinateSize) {
  let out = new Uint8Array(1 + coordinateSize * 2);
  return out[0] = 4, out.set(bigIntToBytes(x, coordinateSize), 1), out.set(bigIntToBytes(y, coordinateSize), 1 + coordinateSize), out;
}
var Ec = class extends NativeAlgorithm {
  constructor(kem, hkdf) {
    switch (super(), Object.defineProperty(this, "_hkdf", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_alg", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nPk", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nSk", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nDh", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_order", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_bitmask", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_pkcs8AlgId", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_curveParams", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), this._hkdf = hkdf, kem) {
      case KemId.DhkemP256HkdfSha256:
        this._alg = { name: "ECDH", namedCurve: "P-256" }, this._nPk = 65, this._nSk = 32, this._nDh = 32, this._order = ORDER_P_256, this._bitmask = 255, this._pkcs8AlgId = PKCS8_ALG_ID_P_256, this._curveParams = EC_P_256_PARAMS;
        break;
      case KemId.DhkemP384HkdfSha384:
        this._alg = { name: "ECDH", namedCurve: "P-384" }, this._nPk = 97, this._nSk = 48, this._nDh = 48, this._order = ORDER_P_384, this._bitmask = 255, this._pkcs8AlgId = PKCS8_ALG_ID_P_384, this._curveParams = EC_P_384_PARAMS;
        break;
      default:
        this._alg = { name: "ECDH", namedCurve: "P-521" }, this._nPk = 133, this._nSk = 66, this._nDh = 66, this._order = ORDER_P_521, this._bitmask = 1, this._pkcs8AlgId = PKCS8_ALG_ID_P_521, this._curveParams = EC_P_521_PARAMS;
        break;
    }
  }
  async serializePublicKey(key) {
    await this._setup();
    try {
      return await this._api.exportKey("raw", key);
    } catch (e) {
      throw new SerializeError(e);
    }
  }
  async deserializePublicKey(key) {
    await this._setup();
    try {
      return await this._importRawKey(toArrayBuffer(key), !0);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async serializePrivateKey(key) {
    await this._setup();
    try {
      let jwk = await this._api.exportKey("jwk", key);
      if (!("d" in jwk))
        throw new Error("Not private key");
      return base64UrlToBytes(jwk.d).buffer;
    } catch (e) {
      throw new SerializeError(e);
    }
  }
  async deserializePrivateKey(key) {
    await this._setup();
    try {
      return await this._importRawKey(toArrayBuffer(key), !1);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async importKey(format, key, isPublic) {
    await this._setup();
    try {
      if (format === "raw")
        return await this._importRawKey(key, isPublic);
      if (key instanceof ArrayBuffer)
        throw new Error("Invalid jwk key format");
      return await this._importJWK(key, isPublic);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async generateKeyPair() {
    await this._setup();
    try {
      return await this._api.generateKey(this._alg, !0, KEM_USAGES);
    } catch (e) {
      throw new NotSupportedError(e);
    }
  }
  async deriveKeyPair(ikm) {
    await this._setup();
    try {
      let rawIkm = toArrayBuffer(ikm), dkpPrk = await this._hkdf.labeledExtract(EMPTY, LABEL_DKP_PRK, new Uint8Array(rawIkm)), bn = new Bignum(this._nSk);
      for (let counter = 0; bn.isZero() || !bn.lessThan(this._order); counter++) {
        if (counter > 255)
          throw new Error("Faild to derive a key pair");
        let bytes = new Uint8Array(await this._hkdf.labeledExpand(dkpPrk, LABEL_CANDIDATE, i2Osp(counter, 1), this._nSk));
        bytes[0] = bytes[0] & this._bitmask, bn.set(bytes);
      }
      let sk = await this._deserializePkcs8Key(bn.val());
      return bn.reset(), {
        privateKey: sk,
        publicKey: await this.derivePublicKey(sk)
      };
    } catch (e) {
      throw new DeriveKeyPairError(e);
    }
  }
  async derivePublicKey(key) {
    await this._setup();
    try {
      let jwk = await this._api.exportKey("jwk", key);
      return delete jwk.d, delete jwk.key_ops, await this._api.importKey("jwk", jwk, this._alg, !0, []);
    } catch {
      try {
        return await this._derivePublicKeyWithoutJwkExport(key);
      } catch (e) {
        throw new DeserializeError(e);
      }
    }
  }
  async dh(sk, pk) {
    try {
      return await this._setup(), await this._api.deriveBits({
        name: "ECDH",
        public: pk
      }, sk, this._nDh * 8);
    } catch (e) {
      throw new SerializeError(e);
    }
  }
  async _importRawKey(key, isPublic) {
    if (isPublic && key.byteLength !== this._nPk)
      throw new Error("Invalid public key for the ciphersuite");
    if (!isPublic && key.byteLength !== this._nSk)
      throw new Error("Invalid private key for the ciphersuite");
    return isPublic ? await this._api.importKey("raw", key, this._alg, !0, []) : await this._deserializePkcs8Key(new Uint8Array(key));
  }
  async _importJWK(key, isPublic) {
    if (typeof key.crv > "u" || key.crv !== this._alg.namedCurve)
      throw new Error(`Invalid crv: ${key.crv}`);
    if (isPublic) {
      if (typeof key.d < "u")
        throw new Error("Invalid key: `d` should not be set");
      return await this._api.importKey("jwk", key, this._alg, !0, []);
    }
    if (typeof key.d > "u")
      throw new Error("Invalid key: `d` not found");
    return await this._api.importKey("jwk", key, this._alg, !0, KEM_USAGES);
  }
  async _deserializePkcs8Key(k) {
    let pkcs8Key = new Uint8Array(this._pkcs8AlgId.length + k.length);
    return pkcs8Key.set(this._pkcs8AlgId, 0), pkcs8Key.set(k, this._pkcs8AlgId.length), await this._api.importKey("pkcs8", pkcs8Key, this._alg, !0, KEM_USAGES);
  }
  async _derivePublicKeyWithoutJwkExport(key) {
    let basePointRaw = buildRawUncompressedPublicKey(this._curveParams.gx, this._curveParams.gy, this._curveParams.coordinateSize), basePoint = await this._api.importKey("raw", basePointRaw.buffer, this._alg, !0, []), xBytes = new Uint8Array(await this._api.deriveBits({
      name: "ECDH",
      public: basePoint
    }, key, this._nDh * 8)), p = this._curveParams.p, x = bytesToBigInt(xBytes), rhs = mod(modPow(x, 3n, p) - 3n * x + this._curveParams.b, p), y = modSqrt(rhs, p);
    (y & 1n) === 1n && (y = p - y);
    let pubRaw = buildRawUncompressedPublicKey(x, y, this._curveParams.coordinateSize);
    return await this._api.importKey("raw", pubRaw.buffer, this._alg, !0, []);
  }
};

// node_modules/@hpke/common/esm/src/interfaces/aeadEncryptionContext.js
var AEAD_USAGES = ["encrypt", "decrypt"];

// node_modules/@hpke/common/esm/src/utils/noble.js
function isBytes(a) {
  return a instanceof Uint8Array || ArrayBuffer.isView(a) && a.constructor.name === "Uint8Array";
}
function anumber(n, title = "") {
  if (!Number.isSafeInteger(n) || n < 0) {
    let prefix = title && `"${title}" `;
    throw new Error(`${prefix}expected integer >0, got ${n}`);
  }
}
function abytes(value, length, title = "") {
  let bytes = isBytes(value), len = value?.length, needsLen = length !== void 0;
  if (!bytes || needsLen && len !== length) {
    let prefix = title && `"${title}" `, ofLen = needsLen ? ` of length ${length}` : "", got = bytes ? `length=${len}` : `type=${typeof value}`;
    throw new Error(prefix + "expected Uint8Array" + ofLen + ", got " + got);
  }
  return value;
}
function aexists(instance, checkFinished = !0) {
  if (instance.destroyed)
    throw new Error("Hash instance has been destroyed");
  if (checkFinished && instance.finished)
    throw new Error("Hash#digest() has already been called");
}
function clean(...arrays) {
  for (let i = 0; i < arrays.length; i++)
    arrays[i].fill(0);
}
var _endianTestBuffer = /* @__PURE__ */ new Uint32Array([287454020]), _endianTestBytes = /* @__PURE__ */ new Uint8Array(_endianTestBuffer.buffer), isLE = _endianTestBytes[0] === 68;

// node_modules/@hpke/common/esm/src/hash/hash.js
function ahash(h) {
  if (typeof h != "function" || typeof h.create != "function")
    throw new Error("Hash must wrapped by utils.createHasher");
  anumber(h.outputLen), anumber(h.blockLen);
}

// node_modules/@hpke/common/esm/src/hash/hmac.js
var _HMAC = class {
  constructor(hash, key) {
    if (Object.defineProperty(this, "oHash", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "iHash", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "blockLen", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "outputLen", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "finished", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: !1
    }), Object.defineProperty(this, "destroyed", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: !1
    }), ahash(hash), abytes(key, void 0, "key"), this.iHash = hash.create(), typeof this.iHash.update != "function")
      throw new Error("Expected instance of class which extends utils.Hash");
    this.blockLen = this.iHash.blockLen, this.outputLen = this.iHash.outputLen;
    let blockLen = this.blockLen, pad = new Uint8Array(blockLen);
    pad.set(key.length > blockLen ? hash.create().update(key).digest() : key);
    for (let i = 0; i < pad.length; i++)
      pad[i] ^= 54;
    this.iHash.update(pad), this.oHash = hash.create();
    for (let i = 0; i < pad.length; i++)
      pad[i] ^= 106;
    this.oHash.update(pad), clean(pad);
  }
  update(buf) {
    return aexists(this), this.iHash.update(buf), this;
  }
  digestInto(out) {
    aexists(this), abytes(out, this.outputLen, "output"), this.finished = !0, this.iHash.digestInto(out), this.oHash.update(out), this.oHash.digestInto(out), this.destroy();
  }
  digest() {
    let out = new Uint8Array(this.oHash.outputLen);
    return this.digestInto(out), out;
  }
  _cloneInto(to) {
    to ||= Object.create(Object.getPrototypeOf(this), {});
    let { oHash, iHash, finished, destroyed, blockLen, outputLen } = this;
    return to = to, to.finished = finished, to.destroyed = destroyed, to.blockLen = blockLen, to.outputLen = outputLen, to.oHash = oHash._cloneInto(to.oHash), to.iHash = iHash._cloneInto(to.iHash), to;
  }
  clone() {
    return this._cloneInto();
  }
  destroy() {
    this.destroyed = !0, this.oHash.destroy(), this.iHash.destroy();
  }
}, hmac = (hash, key, message) => new _HMAC(hash, key).update(message).digest();
hmac.create = (hash, key) => new _HMAC(hash, key);

// node_modules/@hpke/common/esm/src/hash/u64.js
var U32_MASK64 = 0xffffffffn, _32n = 32n;
function fromBig(n, le = !1) {
  return le ? { h: Number(n & U32_MASK64), l: Number(n >> _32n & U32_MASK64) } : {
    h: Number(n >> _32n & U32_MASK64) | 0,
    l: Number(n & U32_MASK64) | 0
  };
}
function split(lst, le = !1) {
  let len = lst.length, Ah = new Uint32Array(len), Al = new Uint32Array(len);
  for (let i = 0; i < len; i++) {
    let { h, l } = fromBig(lst[i], le);
    [Ah[i], Al[i]] = [h, l];
  }
  return [Ah, Al];
}

// node_modules/@hpke/common/esm/src/hash/sha3.js
var _0n = 0n, _1n = 1n, _2n = 2n, _7n = 7n, _256n = 256n, _0x71n = 0x71n, SHA3_PI = [], SHA3_ROTL = [], _SHA3_IOTA = [];
for (let round = 0, R = _1n, x = 1, y = 0; round < 24; round++) {
  [x, y] = [y, (2 * x + 3 * y) % 5], SHA3_PI.push(2 * (5 * y + x)), SHA3_ROTL.push((round + 1) * (round + 2) / 2 % 64);
  let t = _0n;
  for (let j = 0; j < 7; j++)
    R = (R << _1n ^ (R >> _7n) * _0x71n) % _256n, R & _2n && (t ^= _1n << (_1n << BigInt(j)) - _1n);
  _SHA3_IOTA.push(t);
}
var IOTAS = split(_SHA3_IOTA, !0), SHA3_IOTA_H = IOTAS[0], SHA3_IOTA_L = IOTAS[1];

// node_modules/@hpke/common/esm/src/curve/modular.js
/*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */

// node_modules/@hpke/common/esm/src/curve/montgomery.js
/*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */

// node_modules/@hpke/core/esm/src/aeads/aesGcm.js
var AesGcmContext = class extends NativeAlgorithm {
  constructor(key) {
    super(), Object.defineProperty(this, "_rawKey", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_key", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), this._rawKey = toArrayBuffer(key);
  }
  async seal(iv, data, aad) {
    await this._setupKey();
    let alg = {
      name: "AES-GCM",
      iv: toArrayBuffer(iv),
      additionalData: toArrayBuffer(aad)
    };
    return await this._api.encrypt(alg, this._key, toArrayBuffer(data));
  }
  async open(iv, data, aad) {
    await this._setupKey();
    let alg = {
      name: "AES-GCM",
      iv: toArrayBuffer(iv),
      additionalData: toArrayBuffer(aad)
    };
    return await this._api.decrypt(alg, this._key, toArrayBuffer(data));
  }
  async _setupKey() {
    if (this._key !== void 0)
      return;
    await this._setup();
    let key = await this._importKey(this._rawKey);
    new Uint8Array(this._rawKey).fill(0), this._key = key;
  }
  async _importKey(key) {
    return await this._api.importKey("raw", key, { name: "AES-GCM" }, !0, AEAD_USAGES);
  }
}, Aes128Gcm = class {
  constructor() {
    Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: AeadId.Aes128Gcm
    }), Object.defineProperty(this, "keySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 16
    }), Object.defineProperty(this, "nonceSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 12
    }), Object.defineProperty(this, "tagSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 16
    });
  }
  createEncryptionContext(key) {
    return new AesGcmContext(key);
  }
}, Aes256Gcm = class extends Aes128Gcm {
  constructor() {
    super(...arguments), Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: AeadId.Aes256Gcm
    }), Object.defineProperty(this, "keySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 32
    }), Object.defineProperty(this, "nonceSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 12
    }), Object.defineProperty(this, "tagSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 16
    });
  }
};

// node_modules/@hpke/core/esm/src/aeads/exportOnly.js
var ExportOnly = class {
  constructor() {
    Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: AeadId.ExportOnly
    }), Object.defineProperty(this, "keySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 0
    }), Object.defineProperty(this, "nonceSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 0
    }), Object.defineProperty(this, "tagSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 0
    });
  }
  createEncryptionContext(_key) {
    throw new NotSupportedError("Export only");
  }
};

// node_modules/@hpke/core/esm/src/utils/emitNotSupported.js
function emitNotSupported() {
  return new Promise((_resolve, reject) => {
    reject(new NotSupportedError("Not supported"));
  });
}

// node_modules/@hpke/core/esm/src/exporterContext.js
var LABEL_SEC = new Uint8Array([115, 101, 99]), ExporterContextImpl = class {
  constructor(api, kdf, exporterSecret) {
    Object.defineProperty(this, "_api", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "exporterSecret", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_kdf", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), this._api = api, this._kdf = kdf, this.exporterSecret = exporterSecret;
  }
  async seal(_data, _aad) {
    return await emitNotSupported();
  }
  async open(_data, _aad) {
    return await emitNotSupported();
  }
  async export(exporterContext, len) {
    let rawExporterContext = toArrayBuffer(exporterContext);
    if (rawExporterContext.byteLength > 8192)
      throw new InvalidParamError("Too long exporter context");
    try {
      return await this._kdf.labeledExpand(this.exporterSecret, LABEL_SEC, new Uint8Array(rawExporterContext), len);
    } catch (e) {
      throw new ExportError(e);
    }
  }
}, RecipientExporterContextImpl = class extends ExporterContextImpl {
}, SenderExporterContextImpl = class extends ExporterContextImpl {
  constructor(api, kdf, exporterSecret, enc) {
    super(api, kdf, exporterSecret), Object.defineProperty(this, "enc", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), this.enc = enc;
  }
};

// node_modules/@hpke/core/esm/src/encryptionContext.js
var EncryptionContextImpl = class extends ExporterContextImpl {
  constructor(api, kdf, params) {
    if (super(api, kdf, params.exporterSecret), Object.defineProperty(this, "_aead", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nK", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nN", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nT", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_ctx", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), params.key === void 0 || params.baseNonce === void 0 || params.seq === void 0)
      throw new Error("Required parameters are missing");
    this._aead = params.aead, this._nK = this._aead.keySize, this._nN = this._aead.nonceSize, this._nT = this._aead.tagSize;
    let key = this._aead.createEncryptionContext(params.key);
    this._ctx = {
      key,
      baseNonce: params.baseNonce,
      seq: params.seq
    };
  }
  computeNonce(k) {
    let seqBytes = i2Osp(k.seq, k.baseNonce.byteLength);
    return xor(k.baseNonce, seqBytes).buffer;
  }
  incrementSeq(k) {
    if (k.seq > Number.MAX_SAFE_INTEGER)
      throw new MessageLimitReachedError("Message limit reached");
    k.seq += 1;
  }
};

// node_modules/@hpke/core/esm/src/mutex.js
var __classPrivateFieldGet = function(receiver, state, kind, f) {
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a getter");
  if (typeof state == "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot read private member from an object whose class did not declare it");
  return kind === "m" ? f : kind === "a" ? f.call(receiver) : f ? f.value : state.get(receiver);
}, __classPrivateFieldSet = function(receiver, state, value, kind, f) {
  if (kind === "m") throw new TypeError("Private method is not writable");
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a setter");
  if (typeof state == "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot write private member to an object whose class did not declare it");
  return kind === "a" ? f.call(receiver, value) : f ? f.value = value : state.set(receiver, value), value;
}, _Mutex_locked, Mutex = class {
  constructor() {
    _Mutex_locked.set(this, Promise.resolve());
  }
  async lock() {
    let releaseLock, nextLock = new Promise((resolve) => {
      releaseLock = resolve;
    }), previousLock = __classPrivateFieldGet(this, _Mutex_locked, "f");
    return __classPrivateFieldSet(this, _Mutex_locked, nextLock, "f"), await previousLock, releaseLock;
  }
};
_Mutex_locked = /* @__PURE__ */ new WeakMap();

// node_modules/@hpke/core/esm/src/recipientContext.js
var __classPrivateFieldGet2 = function(receiver, state, kind, f) {
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a getter");
  if (typeof state == "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot read private member from an object whose class did not declare it");
  return kind === "m" ? f : kind === "a" ? f.call(receiver) : f ? f.value : state.get(receiver);
}, __classPrivateFieldSet2 = function(receiver, state, value, kind, f) {
  if (kind === "m") throw new TypeError("Private method is not writable");
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a setter");
  if (typeof state == "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot write private member to an object whose class did not declare it");
  return kind === "a" ? f.call(receiver, value) : f ? f.value = value : state.set(receiver, value), value;
}, _RecipientContextImpl_mutex, RecipientContextImpl = class extends EncryptionContextImpl {
  constructor() {
    super(...arguments), _RecipientContextImpl_mutex.set(this, void 0);
  }
  async open(data, aad = EMPTY.buffer) {
    __classPrivateFieldSet2(this, _RecipientContextImpl_mutex, __classPrivateFieldGet2(this, _RecipientContextImpl_mutex, "f") ?? new Mutex(), "f");
    let release = await __classPrivateFieldGet2(this, _RecipientContextImpl_mutex, "f").lock(), pt;
    try {
      pt = await this._ctx.key.open(this.computeNonce(this._ctx), toArrayBuffer(data), toArrayBuffer(aad));
    } catch (e) {
      throw new OpenError(e);
    } finally {
      release();
    }
    return this.incrementSeq(this._ctx), pt;
  }
};
_RecipientContextImpl_mutex = /* @__PURE__ */ new WeakMap();

// node_modules/@hpke/core/esm/src/senderContext.js
var __classPrivateFieldGet3 = function(receiver, state, kind, f) {
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a getter");
  if (typeof state == "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot read private member from an object whose class did not declare it");
  return kind === "m" ? f : kind === "a" ? f.call(receiver) : f ? f.value : state.get(receiver);
}, __classPrivateFieldSet3 = function(receiver, state, value, kind, f) {
  if (kind === "m") throw new TypeError("Private method is not writable");
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a setter");
  if (typeof state == "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot write private member to an object whose class did not declare it");
  return kind === "a" ? f.call(receiver, value) : f ? f.value = value : state.set(receiver, value), value;
}, _SenderContextImpl_mutex, SenderContextImpl = class extends EncryptionContextImpl {
  constructor(api, kdf, params, enc) {
    super(api, kdf, params), Object.defineProperty(this, "enc", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), _SenderContextImpl_mutex.set(this, void 0), this.enc = enc;
  }
  async seal(data, aad = EMPTY.buffer) {
    __classPrivateFieldSet3(this, _SenderContextImpl_mutex, __classPrivateFieldGet3(this, _SenderContextImpl_mutex, "f") ?? new Mutex(), "f");
    let release = await __classPrivateFieldGet3(this, _SenderContextImpl_mutex, "f").lock(), ct;
    try {
      ct = await this._ctx.key.seal(this.computeNonce(this._ctx), toArrayBuffer(data), toArrayBuffer(aad));
    } catch (e) {
      throw new SealError(e);
    } finally {
      release();
    }
    return this.incrementSeq(this._ctx), ct;
  }
};
_SenderContextImpl_mutex = /* @__PURE__ */ new WeakMap();

// node_modules/@hpke/core/esm/src/cipherSuiteNative.js
var LABEL_BASE_NONCE = new Uint8Array([
  98,
  97,
  115,
  101,
  95,
  110,
  111,
  110,
  99,
  101
]), LABEL_EXP = new Uint8Array([101, 120, 112]), LABEL_INFO_HASH = new Uint8Array([
  105,
  110,
  102,
  111,
  95,
  104,
  97,
  115,
  104
]), LABEL_KEY = new Uint8Array([107, 101, 121]), LABEL_PSK_ID_HASH = new Uint8Array([
  112,
  115,
  107,
  95,
  105,
  100,
  95,
  104,
  97,
  115,
  104
]), LABEL_SECRET = new Uint8Array([115, 101, 99, 114, 101, 116]), SUITE_ID_HEADER_HPKE = new Uint8Array([
  72,
  80,
  75,
  69,
  0,
  0,
  0,
  0,
  0,
  0
]), CipherSuiteNative = class extends NativeAlgorithm {
  /**
   * @param params A set of parameters for building a cipher suite.
   *
   * If the error occurred, throws {@link InvalidParamError}.
   *
   * @throws {@link InvalidParamError}
   */
  constructor(params) {
    if (super(), Object.defineProperty(this, "_kem", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_kdf", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_aead", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_suiteId", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), typeof params.kem == "number")
      throw new InvalidParamError("KemId cannot be used");
    if (this._kem = params.kem, typeof params.kdf == "number")
      throw new InvalidParamError("KdfId cannot be used");
    if (this._kdf = params.kdf, typeof params.aead == "number")
      throw new InvalidParamError("AeadId cannot be used");
    this._aead = params.aead, this._suiteId = new Uint8Array(SUITE_ID_HEADER_HPKE), this._suiteId.set(i2Osp(this._kem.id, 2), 4), this._suiteId.set(i2Osp(this._kdf.id, 2), 6), this._suiteId.set(i2Osp(this._aead.id, 2), 8), this._kdf.init(this._suiteId);
  }
  /**
   * Gets the KEM context of the ciphersuite.
   */
  get kem() {
    return this._kem;
  }
  /**
   * Gets the KDF context of the ciphersuite.
   */
  get kdf() {
    return this._kdf;
  }
  /**
   * Gets the AEAD context of the ciphersuite.
   */
  get aead() {
    return this._aead;
  }
  /**
   * Creates an encryption context for a sender.
   *
   * If the error occurred, throws {@link DecapError} | {@link ValidationError}.
   *
   * @param params A set of parameters for the sender encryption context.
   * @returns A sender encryption context.
   * @throws {@link EncapError}, {@link ValidationError}
   */
  async createSenderContext(params) {
    this._validateInputLength(params), await this._setup();
    let dh = await this._kem.encap(params), mode;
    return params.psk !== void 0 ? mode = params.senderKey !== void 0 ? Mode.AuthPsk : Mode.Psk : mode = params.senderKey !== void 0 ? Mode.Auth : Mode.Base, await this._keyScheduleS(mode, dh.sharedSecret, dh.enc, params);
  }
  /**
   * Creates an encryption context for a recipient.
   *
   * If the error occurred, throws {@link DecapError}
   * | {@link DeserializeError} | {@link ValidationError}.
   *
   * @param params A set of parameters for the recipient encryption context.
   * @returns A recipient encryption context.
   * @throws {@link DecapError}, {@link DeserializeError}, {@link ValidationError}
   */
  async createRecipientContext(params) {
    this._validateInputLength(params), await this._setup();
    let sharedSecret = await this._kem.decap(params), mode;
    return params.psk !== void 0 ? mode = params.senderPublicKey !== void 0 ? Mode.AuthPsk : Mode.Psk : mode = params.senderPublicKey !== void 0 ? Mode.Auth : Mode.Base, await this._keyScheduleR(mode, sharedSecret, params);
  }
  /**
   * Encrypts a message to a recipient.
   *
   * If the error occurred, throws `EncapError` | `MessageLimitReachedError` | `SealError` | `ValidationError`.
   *
   * @param params A set of parameters for building a sender encryption context.
   * @param pt A plain text as bytes to be encrypted.
   * @param aad Additional authenticated data as bytes fed by an application.
   * @returns A cipher text and an encapsulated key as bytes.
   * @throws {@link EncapError}, {@link MessageLimitReachedError}, {@link SealError}, {@link ValidationError}
   */
  async seal(params, pt, aad = EMPTY.buffer) {
    let ctx = await this.createSenderContext(params);
    return {
      ct: await ctx.seal(pt, aad),
      enc: ctx.enc
    };
  }
  /**
   * Decrypts a message from a sender.
   *
   * If the error occurred, throws `DecapError` | `DeserializeError` | `OpenError` | `ValidationError`.
   *
   * @param params A set of parameters for building a recipient encryption context.
   * @param ct An encrypted text as bytes to be decrypted.
   * @param aad Additional authenticated data as bytes fed by an application.
   * @returns A decrypted plain text as bytes.
   * @throws {@link DecapError}, {@link DeserializeError}, {@link OpenError}, {@link ValidationError}
   */
  async open(params, ct, aad = EMPTY.buffer) {
    return await (await this.createRecipientContext(params)).open(ct, aad);
  }
  // private verifyPskInputs(mode: Mode, params: KeyScheduleParams) {
  //   const gotPsk = (params.psk !== undefined);
  //   const gotPskId = (params.psk !== undefined && params.psk.id.byteLength > 0);
  //   if (gotPsk !== gotPskId) {
  //     throw new Error('Inconsistent PSK inputs');
  //   }
  //   if (gotPsk && (mode === Mode.Base || mode === Mode.Auth)) {
  //     throw new Error('PSK input provided when not needed');
  //   }
  //   if (!gotPsk && (mode === Mode.Psk || mode === Mode.AuthPsk)) {
  //     throw new Error('Missing required PSK input');
  //   }
  //   return;
  // }
  async _keySchedule(mode, sharedSecret, params) {
    let pskId = params.psk === void 0 ? EMPTY : toUint8Array(params.psk.id), pskIdHash = await this._kdf.labeledExtract(EMPTY, LABEL_PSK_ID_HASH, pskId), info = params.info === void 0 ? EMPTY : toUint8Array(params.info), infoHash = await this._kdf.labeledExtract(EMPTY, LABEL_INFO_HASH, info), keyScheduleContext = new Uint8Array(1 + pskIdHash.byteLength + infoHash.byteLength);
    keyScheduleContext.set(new Uint8Array([mode]), 0), keyScheduleContext.set(new Uint8Array(pskIdHash), 1), keyScheduleContext.set(new Uint8Array(infoHash), 1 + pskIdHash.byteLength);
    let psk = params.psk === void 0 ? EMPTY : toUint8Array(params.psk.key), ikm = this._kdf.buildLabeledIkm(LABEL_SECRET, psk), exporterSecretInfo = this._kdf.buildLabeledInfo(LABEL_EXP, keyScheduleContext, this._kdf.hashSize), exporterSecret = await this._kdf.extractAndExpand(sharedSecret, ikm, exporterSecretInfo, this._kdf.hashSize);
    if (this._aead.id === AeadId.ExportOnly)
      return { aead: this._aead, exporterSecret };
    let keyInfo = this._kdf.buildLabeledInfo(LABEL_KEY, keyScheduleContext, this._aead.keySize), key = await this._kdf.extractAndExpand(sharedSecret, ikm, keyInfo, this._aead.keySize), baseNonceInfo = this._kdf.buildLabeledInfo(LABEL_BASE_NONCE, keyScheduleContext, this._aead.nonceSize), baseNonce = await this._kdf.extractAndExpand(sharedSecret, ikm, baseNonceInfo, this._aead.nonceSize);
    return {
      aead: this._aead,
      exporterSecret,
      key,
      baseNonce: new Uint8Array(baseNonce),
      seq: 0
    };
  }
  async _keyScheduleS(mode, sharedSecret, enc, params) {
    let res = await this._keySchedule(mode, sharedSecret, params);
    return res.key === void 0 ? new SenderExporterContextImpl(this._api, this._kdf, res.exporterSecret, enc) : new SenderContextImpl(this._api, this._kdf, res, enc);
  }
  async _keyScheduleR(mode, sharedSecret, params) {
    let res = await this._keySchedule(mode, sharedSecret, params);
    return res.key === void 0 ? new RecipientExporterContextImpl(this._api, this._kdf, res.exporterSecret) : new RecipientContextImpl(this._api, this._kdf, res);
  }
  _validateInputLength(params) {
    if (params.info !== void 0 && params.info.byteLength > 268435456)
      throw new InvalidParamError("Too long info");
    if (params.psk !== void 0) {
      if (params.psk.key.byteLength < 32)
        throw new InvalidParamError(`PSK must have at least ${32} bytes`);
      if (params.psk.key.byteLength > 8192)
        throw new InvalidParamError("Too long psk.key");
      if (params.psk.id.byteLength > 8192)
        throw new InvalidParamError("Too long psk.id");
    }
  }
};

// node_modules/@hpke/core/esm/src/kems/dhkemNative.js
var DhkemP256HkdfSha256Native = class extends Dhkem {
  constructor() {
    let kdf = new HkdfSha256Native(), prim = new Ec(KemId.DhkemP256HkdfSha256, kdf);
    super(KemId.DhkemP256HkdfSha256, prim, kdf), Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: KemId.DhkemP256HkdfSha256
    }), Object.defineProperty(this, "secretSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 32
    }), Object.defineProperty(this, "encSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 65
    }), Object.defineProperty(this, "publicKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 65
    }), Object.defineProperty(this, "privateKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 32
    });
  }
}, DhkemP384HkdfSha384Native = class extends Dhkem {
  constructor() {
    let kdf = new HkdfSha384Native(), prim = new Ec(KemId.DhkemP384HkdfSha384, kdf);
    super(KemId.DhkemP384HkdfSha384, prim, kdf), Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: KemId.DhkemP384HkdfSha384
    }), Object.defineProperty(this, "secretSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 48
    }), Object.defineProperty(this, "encSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 97
    }), Object.defineProperty(this, "publicKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 97
    }), Object.defineProperty(this, "privateKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 48
    });
  }
}, DhkemP521HkdfSha512Native = class extends Dhkem {
  constructor() {
    let kdf = new HkdfSha512Native(), prim = new Ec(KemId.DhkemP521HkdfSha512, kdf);
    super(KemId.DhkemP521HkdfSha512, prim, kdf), Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: KemId.DhkemP521HkdfSha512
    }), Object.defineProperty(this, "secretSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 64
    }), Object.defineProperty(this, "encSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 133
    }), Object.defineProperty(this, "publicKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 133
    }), Object.defineProperty(this, "privateKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 64
    });
  }
};

// node_modules/@hpke/core/esm/src/native.js
var CipherSuite = class extends CipherSuiteNative {
}, DhkemP256HkdfSha256 = class extends DhkemP256HkdfSha256Native {
}, DhkemP384HkdfSha384 = class extends DhkemP384HkdfSha384Native {
}, DhkemP521HkdfSha512 = class extends DhkemP521HkdfSha512Native {
}, HkdfSha256 = class extends HkdfSha256Native {
}, HkdfSha384 = class extends HkdfSha384Native {
}, HkdfSha512 = class extends HkdfSha512Native {
};

// node_modules/@hpke/core/esm/src/kems/dhkemPrimitives/x25519.js
var ALG_NAME = "X25519", PKCS8_ALG_ID_X25519 = new Uint8Array([
  48,
  46,
  2,
  1,
  0,
  48,
  5,
  6,
  3,
  43,
  101,
  110,
  4,
  34,
  4,
  32
]), BASE_POINT_X25519 = /* @__PURE__ */ (() => {
  let p = new Uint8Array(32);
  return p[0] = 9, p;
})(), X25519 = class extends NativeAlgorithm {
  constructor(hkdf) {
    super(), Object.defineProperty(this, "_hkdf", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_alg", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nPk", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nSk", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nDh", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_pkcs8AlgId", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), this._alg = { name: ALG_NAME }, this._hkdf = hkdf, this._nPk = 32, this._nSk = 32, this._nDh = 32, this._pkcs8AlgId = PKCS8_ALG_ID_X25519;
  }
  async serializePublicKey(key) {
    await this._setup();
    try {
      return await this._api.exportKey("raw", key);
    } catch (e) {
      throw new SerializeError(e);
    }
  }
  async deserializePublicKey(key) {
    await this._setup();
    try {
      return await this._importRawKey(toArrayBuffer(key), !0);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async serializePrivateKey(key) {
    await this._setup();
    try {
      let jwk = await this._api.exportKey("jwk", key);
      if (!("d" in jwk))
        throw new Error("Not private key");
      return base64UrlToBytes(jwk.d).buffer;
    } catch (e) {
      throw new SerializeError(e);
    }
  }
  async deserializePrivateKey(key) {
    await this._setup();
    try {
      return await this._importRawKey(toArrayBuffer(key), !1);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async importKey(format, key, isPublic) {
    await this._setup();
    try {
      if (format === "raw")
        return await this._importRawKey(key, isPublic);
      if (key instanceof ArrayBuffer)
        throw new Error("Invalid jwk key format");
      return await this._importJWK(key, isPublic);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async generateKeyPair() {
    await this._setup();
    try {
      return await this._api.generateKey(ALG_NAME, !0, KEM_USAGES);
    } catch (e) {
      throw new NotSupportedError(e);
    }
  }
  async deriveKeyPair(ikm) {
    await this._setup();
    try {
      let rawIkm = toArrayBuffer(ikm), dkpPrk = await this._hkdf.labeledExtract(EMPTY, LABEL_DKP_PRK, new Uint8Array(rawIkm)), rawSk = await this._hkdf.labeledExpand(dkpPrk, LABEL_SK, EMPTY, this._nSk), rawSkBytes = new Uint8Array(rawSk), sk = await this._deserializePkcs8Key(rawSkBytes);
      return rawSkBytes.fill(0), {
        privateKey: sk,
        publicKey: await this.derivePublicKey(sk)
      };
    } catch (e) {
      throw new DeriveKeyPairError(e);
    }
  }
  async derivePublicKey(key) {
    await this._setup();
    try {
      let jwk = await this._api.exportKey("jwk", key);
      return delete jwk.d, delete jwk.key_ops, await this._api.importKey("jwk", jwk, this._alg, !0, []);
    } catch {
      try {
        let bp = await this._api.importKey("raw", BASE_POINT_X25519.buffer, this._alg, !0, []), bits = await this._api.deriveBits({
          name: ALG_NAME,
          public: bp
        }, key, this._nPk * 8);
        return await this._api.importKey("raw", bits, this._alg, !0, []);
      } catch (e) {
        throw new DeserializeError(e);
      }
    }
  }
  async dh(sk, pk) {
    await this._setup();
    try {
      return await this._api.deriveBits({
        name: ALG_NAME,
        public: pk
      }, sk, this._nDh * 8);
    } catch (e) {
      throw new SerializeError(e);
    }
  }
  async _importRawKey(key, isPublic) {
    if (isPublic && key.byteLength !== this._nPk)
      throw new Error("Invalid public key for the ciphersuite");
    if (!isPublic && key.byteLength !== this._nSk)
      throw new Error("Invalid private key for the ciphersuite");
    return isPublic ? await this._api.importKey("raw", key, this._alg, !0, []) : await this._deserializePkcs8Key(new Uint8Array(key));
  }
  async _importJWK(key, isPublic) {
    if (typeof key.kty > "u" || key.kty !== "OKP")
      throw new Error(`Invalid kty: ${key.crv}`);
    if (typeof key.crv > "u" || key.crv !== ALG_NAME)
      throw new Error(`Invalid crv: ${key.crv}`);
    if (isPublic) {
      if (typeof key.d < "u")
        throw new Error("Invalid key: `d` should not be set");
      return await this._api.importKey("jwk", key, this._alg, !0, []);
    }
    if (typeof key.d > "u")
      throw new Error("Invalid key: `d` not found");
    return await this._api.importKey("jwk", key, this._alg, !0, KEM_USAGES);
  }
  async _deserializePkcs8Key(k) {
    let pkcs8Key = new Uint8Array(this._pkcs8AlgId.length + k.length);
    return pkcs8Key.set(this._pkcs8AlgId, 0), pkcs8Key.set(k, this._pkcs8AlgId.length), await this._api.importKey("pkcs8", pkcs8Key, this._alg, !0, KEM_USAGES);
  }
};

// node_modules/@hpke/core/esm/src/kems/dhkemX25519.js
var DhkemX25519HkdfSha256 = class extends Dhkem {
  constructor() {
    let kdf = new HkdfSha256Native();
    super(KemId.DhkemX25519HkdfSha256, new X25519(kdf), kdf), Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: KemId.DhkemX25519HkdfSha256
    }), Object.defineProperty(this, "secretSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 32
    }), Object.defineProperty(this, "encSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 32
    }), Object.defineProperty(this, "publicKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 32
    }), Object.defineProperty(this, "privateKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 32
    });
  }
};

// node_modules/@hpke/core/esm/src/kems/dhkemPrimitives/x448.js
var ALG_NAME2 = "X448", PKCS8_ALG_ID_X448 = new Uint8Array([
  48,
  70,
  2,
  1,
  0,
  48,
  5,
  6,
  3,
  43,
  101,
  111,
  4,
  58,
  4,
  56
]), BASE_POINT_X448 = /* @__PURE__ */ (() => {
  let p = new Uint8Array(56);
  return p[0] = 5, p;
})(), X448 = class extends NativeAlgorithm {
  constructor(hkdf) {
    super(), Object.defineProperty(this, "_hkdf", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_alg", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nPk", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nSk", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_nDh", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), Object.defineProperty(this, "_pkcs8AlgId", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: void 0
    }), this._alg = { name: ALG_NAME2 }, this._hkdf = hkdf, this._nPk = 56, this._nSk = 56, this._nDh = 56, this._pkcs8AlgId = PKCS8_ALG_ID_X448;
  }
  async serializePublicKey(key) {
    await this._setup();
    try {
      return await this._api.exportKey("raw", key);
    } catch (e) {
      throw new SerializeError(e);
    }
  }
  async deserializePublicKey(key) {
    await this._setup();
    try {
      return await this._importRawKey(toArrayBuffer(key), !0);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async serializePrivateKey(key) {
    await this._setup();
    try {
      let jwk = await this._api.exportKey("jwk", key);
      if (!("d" in jwk))
        throw new Error("Not private key");
      return base64UrlToBytes(jwk.d).buffer;
    } catch (e) {
      throw new SerializeError(e);
    }
  }
  async deserializePrivateKey(key) {
    await this._setup();
    try {
      return await this._importRawKey(toArrayBuffer(key), !1);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async importKey(format, key, isPublic) {
    await this._setup();
    try {
      if (format === "raw")
        return await this._importRawKey(key, isPublic);
      if (key instanceof ArrayBuffer)
        throw new Error("Invalid jwk key format");
      return await this._importJWK(key, isPublic);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async generateKeyPair() {
    await this._setup();
    try {
      return await this._api.generateKey(ALG_NAME2, !0, KEM_USAGES);
    } catch (e) {
      throw new NotSupportedError(e);
    }
  }
  async deriveKeyPair(ikm) {
    await this._setup();
    try {
      let rawIkm = toArrayBuffer(ikm), dkpPrk = await this._hkdf.labeledExtract(EMPTY, LABEL_DKP_PRK, new Uint8Array(rawIkm)), rawSk = await this._hkdf.labeledExpand(dkpPrk, LABEL_SK, EMPTY, this._nSk), rawSkBytes = new Uint8Array(rawSk), sk = await this._deserializePkcs8Key(rawSkBytes);
      return rawSkBytes.fill(0), {
        privateKey: sk,
        publicKey: await this.derivePublicKey(sk)
      };
    } catch (e) {
      throw new DeriveKeyPairError(e);
    }
  }
  async derivePublicKey(key) {
    await this._setup();
    try {
      let jwk = await this._api.exportKey("jwk", key);
      return delete jwk.d, delete jwk.key_ops, await this._api.importKey("jwk", jwk, this._alg, !0, []);
    } catch {
      try {
        let bp = await this._api.importKey("raw", BASE_POINT_X448.buffer, this._alg, !0, []), bits = await this._api.deriveBits({
          name: ALG_NAME2,
          public: bp
        }, key, this._nPk * 8);
        return await this._api.importKey("raw", bits, this._alg, !0, []);
      } catch (e) {
        throw new DeserializeError(e);
      }
    }
  }
  async dh(sk, pk) {
    await this._setup();
    try {
      return await this._api.deriveBits({
        name: ALG_NAME2,
        public: pk
      }, sk, this._nDh * 8);
    } catch (e) {
      throw new SerializeError(e);
    }
  }
  async _importRawKey(key, isPublic) {
    if (isPublic && key.byteLength !== this._nPk)
      throw new Error("Invalid public key for the ciphersuite");
    if (!isPublic && key.byteLength !== this._nSk)
      throw new Error("Invalid private key for the ciphersuite");
    return isPublic ? await this._api.importKey("raw", key, this._alg, !0, []) : await this._deserializePkcs8Key(new Uint8Array(key));
  }
  async _importJWK(key, isPublic) {
    if (typeof key.kty > "u" || key.kty !== "OKP")
      throw new Error(`Invalid kty: ${key.crv}`);
    if (typeof key.crv > "u" || key.crv !== ALG_NAME2)
      throw new Error(`Invalid crv: ${key.crv}`);
    if (isPublic) {
      if (typeof key.d < "u")
        throw new Error("Invalid key: `d` should not be set");
      return await this._api.importKey("jwk", key, this._alg, !0, []);
    }
    if (typeof key.d > "u")
      throw new Error("Invalid key: `d` not found");
    return await this._api.importKey("jwk", key, this._alg, !0, KEM_USAGES);
  }
  async _deserializePkcs8Key(k) {
    let pkcs8Key = new Uint8Array(this._pkcs8AlgId.length + k.length);
    return pkcs8Key.set(this._pkcs8AlgId, 0), pkcs8Key.set(k, this._pkcs8AlgId.length), await this._api.importKey("pkcs8", pkcs8Key, this._alg, !0, KEM_USAGES);
  }
};

// node_modules/@hpke/core/esm/src/kems/dhkemX448.js
var DhkemX448HkdfSha512 = class extends Dhkem {
  constructor() {
    let kdf = new HkdfSha512Native();
    super(KemId.DhkemX448HkdfSha512, new X448(kdf), kdf), Object.defineProperty(this, "id", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: KemId.DhkemX448HkdfSha512
    }), Object.defineProperty(this, "secretSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 64
    }), Object.defineProperty(this, "encSize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 56
    }), Object.defineProperty(this, "publicKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 56
    }), Object.defineProperty(this, "privateKeySize", {
      enumerable: !0,
      configurable: !0,
      writable: !0,
      value: 56
    });
  }
};
export {
  AeadId,
  Aes128Gcm,
  Aes256Gcm,
  CipherSuite,
  DecapError,
  DeriveKeyPairError,
  DeserializeError,
  DhkemP256HkdfSha256,
  DhkemP384HkdfSha384,
  DhkemP521HkdfSha512,
  DhkemX25519HkdfSha256,
  DhkemX448HkdfSha512,
  EncapError,
  ExportError,
  ExportOnly,
  HkdfSha256,
  HkdfSha384,
  HkdfSha512,
  HpkeError,
  InvalidParamError,
  KdfId,
  KemId,
  MessageLimitReachedError,
  NotSupportedError,
  OpenError,
  SealError,
  SerializeError,
  ValidationError
};
