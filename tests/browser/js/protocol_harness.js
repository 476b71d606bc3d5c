async ({ vectors }) => {
  // Test-only code, evaluated into a page of the live server by tests/browser/test_protocol_browser.py.
  // It runs tests/vectors/protocol-v1.json through static/js/protocol/ and offers the steps the
  // interoperability tests drive from Python. Every runner returns the failures it found, each
  // naming its vector, instead of stopping at the first: a report says which vectors broke.
  const P = await import("/static/js/protocol/index.js");
  const { hexDecode: h, hexEncode: hx, b64urlDecode: b64d, b64urlEncode: b64 } = P;
  const text = (bytes) => new TextDecoder().decode(bytes);
  const utf8 = (value) => new TextEncoder().encode(value);
  const random32 = () => crypto.getRandomValues(new Uint8Array(32));

  function check(condition, message) {
    if (!condition) throw new Error(`check failed: ${message}`);
  }

  function same(actual, expected, what) {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    if (a !== e) throw new Error(`${what}: got ${a.slice(0, 300)}, expected ${e.slice(0, 300)}`);
  }

  async function refuses(promiseOrFn, errorName, what) {
    try {
      await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
    } catch (error) {
      if (!(error instanceof P.CarnetCryptoError) || error.constructor !== P[errorName] || error.name !== errorName) {
        throw new Error(`${what}: threw ${error.name} (${error.message}), expected ${errorName}`);
      }
      return;
    }
    throw new Error(`${what}: accepted, expected ${errorName}`);
  }

  // Runs one check per row and collects failures under the row's name.
  async function rows(items, name, run) {
    const failures = [];
    let index = 0;
    for (const item of items) {
      const label = name(item, index);
      try {
        await run(item, index);
      } catch (error) {
        failures.push({ vector: label, error: `${error.name}: ${error.message}` });
      }
      index += 1;
    }
    return { count: items.length, failures };
  }

  const associationPublic = () => P.importEd25519PublicKey(h(vectors.roster.association_public));
  const epochKeys = (row) => new Map(Object.entries(row).map(([epoch, key]) => [Number(epoch), h(key)]));
  const account = (person) => P.importAccountKeys(h(person.user_id), {
    encryptionSeed: h(person.encryption_private), signingSeed: h(person.signing_private),
  });
  const bodiesAsHex = (bodies) => Object.fromEntries([...bodies].map(([hash, body]) => [hash, text(body)]));
  const expectedBodies = (list) => Object.fromEntries(list.map((b) => [b.entry_hash, b.body_json]));

  const groups = {
    labels: () => rows(Object.entries(vectors.labels), ([name]) => name, async ([name, value]) => {
      same(text(P.labels.ALL_LABELS[name]), value, name);
      same(Object.keys(P.labels.ALL_LABELS).sort(), Object.keys(vectors.labels).sort(), "label names");
    }),

    derivation: () => rows(vectors.derivation, (row) => row.passphrase, async (row) => {
      const params = P.parseKdfParams(row.kdf);
      const master = await P.deriveMasterSecret(row.passphrase, params);
      const { auth, kek } = await P.splitMasterSecret(master);
      same([hx(master), hx(auth), hx(kek)], [row.master, row.auth, row.kek], "master, auth, kek");
      same(hx(await P.hkdfSha256(kek, P.labels.KEY_BLOB_WRAP)), row.key_blob_key, "key blob key");
      const secrets = await P.deriveAccountSecrets(row.passphrase, row.kdf);
      same(hx(secrets.auth), row.auth, "auth from deriveAccountSecrets");
      check(secrets.kek instanceof CryptoKey && !secrets.kek.extractable, "the kek is a non-extractable CryptoKey");
    }),

    hkdf: () => rows(vectors.hkdf, (row) => row.name, async (row) => {
      same(hx(await P.hkdfSha256(h(row.ikm), h(row.info))), row.okm, row.name);
    }),

    padding: async () => {
      const sizes = await rows(vectors.padding.sizes, (row) => `json_length ${row.json_length}`, async (row) => {
        same(P.paddedSize(row.json_length), row.padded_size, "padded size");
        check(P.isPaddedSize(row.padded_size), "a padded size is a padded size");
      });
      const example = await rows([vectors.padding.example], () => "example", async (row) => {
        const padded = P.padBody(utf8(row.body_json));
        same(hx(padded), row.padded, "padded bytes");
        same(text(P.unpadBody(padded)), row.body_json, "unpadded");
      });
      return { count: sizes.count + example.count, failures: [...sizes.failures, ...example.failures] };
    },

    public_keys: async () => {
      const keys = vectors.public_keys;
      const cases = [
        ...keys.x25519_invalid.map((raw) => ["x25519_invalid", raw]),
        ...keys.ed25519_invalid.map((raw) => ["ed25519_invalid", raw]),
        ...keys.x25519_valid.map((raw) => ["x25519_valid", raw]),
        ...keys.ed25519_valid.map((raw) => ["ed25519_valid", raw]),
      ];
      return rows(cases, ([kind, raw]) => `${kind} ${raw}`, async ([kind, raw]) => {
        const [curve, verdict] = kind.split("_");
        const checkKey = curve === "x25519" ? P.checkX25519PublicKey : P.checkEd25519PublicKey;
        const importKey = curve === "x25519" ? P.importX25519PublicKey : P.importEd25519PublicKey;
        if (verdict === "invalid") {
          await refuses(() => checkKey(h(raw)), "InvalidPublicKey", "check");
          await refuses(importKey(h(raw)), "InvalidPublicKey", "import");
        } else {
          checkKey(h(raw));
          check((await importKey(h(raw))) instanceof CryptoKey, "a valid key imports");
        }
      });
    },

    fingerprints: () => rows(vectors.fingerprints, (row) => row.kind, async (row) => {
      const digest = row.kind === "association"
        ? await P.associationFingerprint(h(row.signing_public))
        : await P.userFingerprint(h(row.user_id), h(row.encryption_public), h(row.signing_public));
      same([b64(digest), P.spokenFingerprint(digest)], [row.fingerprint, row.spoken], "fingerprint and spoken form");
      if (row.kind === "association") {
        await P.pinAssociationKey(h(row.signing_public), digest);
        await refuses(P.pinAssociationKey(h(row.signing_public), digest.map((b, i) => (i ? b : b ^ 1))),
          "UntrustedAssociationKey", "a different fingerprint");
      }
    }),

    key_blobs: () => rows(vectors.key_blobs, (row) => `purpose ${row.purpose}`, async (row) => {
      const kek = await P.importKek(h(row.kek));
      const blob = b64d(row.blob);
      if (row.purpose === 1) {
        const seeds = { userId: h(row.user_id), encryptionSeed: h(row.encryption_private), signingSeed: h(row.signing_private) };
        same(hx(await P.wrapAccountKeysWithKek(seeds, kek, { nonce: h(row.nonce) })), hx(blob), "wrapped blob");
        same(hx(await P.wrapAccountKeysWithKek(seeds, h(row.kek), { nonce: h(row.nonce) })), hx(blob), "wrapped with kek bytes");
        const generated = await P.generateAccountKeys(h(row.user_id), kek, {
          encryptionSeed: h(row.encryption_private), signingSeed: h(row.signing_private), nonce: h(row.nonce) });
        same(hx(generated.blob), hx(blob), "generated blob");
        const expected = await P.importAccountKeys(h(row.user_id), seeds);
        const unwrapped = await P.unwrapAccountKeysWithKek(blob, kek, { userId: h(row.user_id) });
        same([hx(unwrapped.encryptionPublic), hx(unwrapped.signingPublic)],
          [hx(expected.encryptionPublic), hx(expected.signingPublic)], "unwrapped public keys");
        same(hx(generated.keys.signingPublic), hx(expected.signingPublic), "generated public key");
        P.checkAccountKeysMatch(unwrapped, expected.encryptionPublic, expected.signingPublic);
        await refuses(P.unwrapAccountKeysWithKek(blob, kek, { userId: new Uint8Array(16) }), "DecryptionFailed", "another owner");
        await refuses(P.unwrapAccountKeysWithKek(blob, await P.importKek(random32()), { userId: h(row.user_id) }),
          "DecryptionFailed", "another kek");
        await refuses(P.unwrapAssociationKeyWithKek(blob, kek, { adminId: h(row.user_id) }), "InvalidEncoding", "another purpose");
      } else {
        same(hx(await P.wrapAssociationKeyWithKek(h(row.signing_private), h(row.user_id), kek, { nonce: h(row.nonce) })),
          hx(blob), "wrapped association blob");
        const generated = await P.generateAssociationKey(h(row.user_id), kek, { seed: h(row.signing_private), nonce: h(row.nonce) });
        same(hx(generated.blob), hx(blob), "generated association blob");
        const unwrapped = await P.unwrapAssociationKeyWithKek(blob, kek, { adminId: h(row.user_id) });
        same(hx(unwrapped.public), hx((await P.importAssociationKey(h(row.signing_private))).public), "association public key");
        await refuses(P.unwrapAccountKeysWithKek(blob, kek, { userId: h(row.user_id) }), "InvalidEncoding", "another purpose");
      }
    }),

    roster: async () => {
      const data = vectors.roster;
      const association = await P.importAssociationKey(h(data.association_seed));
      return rows(data.entries, (row) => row.name, async (row) => {
        same(hx(association.public), data.association_public, "association public key");
        const entry = await P.signRosterEntryAsAdmin(association, {
          userId: h(row.user_id), serial: row.serial, role: row.role, teamId: h(row.team_id),
          encryptionPublic: h(row.encryption_public), signingPublic: h(row.signing_public), status: row.status,
          now: row.issued_at });
        same(b64(entry.raw), row.raw, "signed roster entry");
        const verified = await P.verifyRosterEntry(b64d(row.raw), await associationPublic());
        same([hx(verified.userId), verified.serial, verified.role, verified.status, hx(verified.teamId), verified.issuedAt],
          [row.user_id, row.serial, row.role, row.status, row.team_id, row.issued_at], "parsed fields");
      });
    },

    wraps: () => rows(vectors.wraps, (row) => `wrap to ${row.recipient}`, async (row) => {
      const raw = b64d(row.wrapped);
      const wrapped = P.WrappedCaseKey.fromBytes(raw);
      same(hx(wrapped.info()), row.info, "HPKE info");
      same(hx(wrapped.toBytes()), hx(raw), "re-encoding");
      const member = await P.importAccountKeys(h(row.recipient), { encryptionSeed: h(row.recipient_private), signingSeed: random32() });
      same(hx(member.encryptionPublic), row.recipient_public, "recipient public key");
      same(hx(await P.unwrapCaseKeyAsMember(wrapped, member, { caseId: h(row.case_id), epoch: row.epoch })), row.case_key, "case key");
      await refuses(P.unwrapCaseKeyAsMember(wrapped, member, { caseId: h(row.case_id), epoch: row.epoch + 1 }),
        "EpochMismatch", "another epoch");
      await refuses(P.unwrapCaseKeyAsMember(wrapped, member, { caseId: new Uint8Array(16), epoch: row.epoch }),
        "WrongCase", "another case");
    }),

    seals: () => rows(vectors.seals, (row) => `kind ${row.kind}`, async (row) => {
      const f = row.header;
      const header = new P.EntryHeader({
        kind: f.kind, caseId: h(f.case_id), entryId: h(f.entry_id), epoch: f.epoch, author: h(f.author),
        deviceId: h(f.device_id), deviceSeq: f.device_seq, prevHash: h(f.prev_hash), controlHead: h(f.control_head),
        lamport: f.lamport, time: f.time });
      same(hx(header.raw), row.header_bytes, "header bytes");
      same(hx(P.EntryHeader.fromBytes(header.raw).raw), row.header_bytes, "header re-parsed");
      const key = h(row.case_key);
      same(hx(await P.hkdfSha256(key, P.entryKeyInfo(header))), row.entry_key, "entry key");
      same(hx(P.padBody(utf8(row.body_json))), row.padded, "padded body");
      const ref = row.ref ? h(row.ref) : undefined;
      const body = await P.sealEntryBody(header, utf8(row.body_json), key, { nonce: h(row.nonce), ref });
      same(hx(body), row.body, "sealed body");
      same(text(await P.openEntryBody(header, body, key)), row.body_json, "opened body");
      const author = await P.importAccountKeys(header.author, { encryptionSeed: random32(), signingSeed: h(row.author_signing_seed) });
      same(hx(author.signingPublic), row.author_signing_public, "author public key");
      const entry = await P.makeEntryAsAuthor(header, body, author);
      same([hx(entry.signature), hx(entry.bodyDigest), hx(entry.hash)], [row.signature, row.body_digest, row.entry_hash],
        "signature, digest, hash");
      same(b64(entry.toBytes()), row.envelope, "envelope");
      same(b64(entry.stub().toBytes()), row.stub, "stub");
      const signer = await P.importEd25519PublicKey(h(row.author_signing_public));
      const stub = await P.parseEntry(b64d(row.stub));
      await stub.verifySignature(signer);
      same(hx(stub.hash), row.entry_hash, "stub hash");
      const parsed = await P.parseEntry(b64d(row.envelope));
      same(b64(parsed.toBytes()), row.envelope, "envelope re-encoded");
      same(b64(await P.stubOf(b64d(row.envelope))), row.stub, "stubOf");
    }),

    history: () => rows(vectors.history, (row) => `epoch ${row.new_epoch}`, async (row) => {
      const args = { caseId: h(row.case_id), newEpoch: row.new_epoch };
      const box = await P.sealPreviousCaseKey(h(row.previous_key), h(row.new_key), { ...args, nonce: h(row.nonce) });
      same(hx(box), row.box, "history box");
      same(hx(await P.openPreviousCaseKey(box, h(row.new_key), args)), row.previous_key, "opened box");
      await refuses(P.openPreviousCaseKey(box, h(row.previous_key), args), "DecryptionFailed", "the wrong key");
    }),

    commitments: () => rows(vectors.commitments, (row) => `epoch ${row.epoch}`, async (row) => {
      same(hx(await P.caseKeyCommitment(h(row.case_key), { caseId: h(row.case_id), epoch: row.epoch })), row.commitment, "commitment");
    }),

    people: async () => {
      const roster = Object.fromEntries(vectors.roster.entries.map((e) => [e.name, e]));
      return rows(Object.entries(vectors.people), ([name]) => name, async ([name, person]) => {
        const keys = await account(person);
        if (roster[name]) {
          same([hx(keys.encryptionPublic), hx(keys.signingPublic)],
            [roster[name].encryption_public, roster[name].signing_public], "public keys of the roster");
          P.checkAccountKeysMatchRosterEntry(keys, await P.verifyRosterEntry(b64d(roster[name].raw), await associationPublic()));
        }
      });
    },

    case_log: () => rows([vectors.case_log], () => "case_log", async (data) => {
      const association = await associationPublic();
      const envelopes = data.envelopes.map(b64d);
      const caseId = h(data.case_id);
      const log = await P.verifyCaseLog(caseId, envelopes, association, { caseKeys: epochKeys(data.epoch_keys) });
      const { expect } = data;
      const checkpoint = log.checkpoint();
      same(b64(checkpoint.toBytes()), expect.checkpoint, "checkpoint");
      same([hx(await checkpoint.head()), await checkpoint.spokenHead()], [expect.head, expect.spoken_head], "head");
      same([log.state.epoch, log.state.memberIds().map(hx)], [expect.epoch, expect.members], "epoch and members");
      same(b64(P.Checkpoint.fromBytes(b64d(expect.checkpoint)).toBytes()), expect.checkpoint, "checkpoint re-encoded");
      await P.verifyCaseLog(caseId, envelopes, association, { checkpoint: P.Checkpoint.fromBytes(b64d(expect.checkpoint)) });
      same(bodiesAsHex(await log.openWith(epochKeys(data.epoch_keys))), expectedBodies(expect.bodies), "bodies");
      for (const [name, epochs] of Object.entries(expect.recovered_epochs)) {
        const opened = await P.openCaseLogAsMember(caseId, envelopes, association, await account(vectors.people[name]));
        same([...opened.keys.keys()].sort(), epochs, `epochs recovered by ${name}`);
        for (const epoch of epochs) same(hx(opened.keys.get(epoch)), data.epoch_keys[String(epoch)], `${name}'s key of epoch ${epoch}`);
        const reachable = expectedBodies(expect.bodies.filter((b) => Object.keys(bodiesAsHex(opened.bodies)).includes(b.entry_hash)));
        same(bodiesAsHex(opened.bodies), reachable, `bodies opened by ${name}`);
      }
    }),

    reencrypted_case_log: () => rows([vectors.reencrypted_case_log], () => "reencrypted_case_log", async (data) => {
      const association = await associationPublic();
      const envelopes = data.envelopes.map(b64d);
      const log = await P.verifyCaseLog(h(data.case_id), envelopes, association);
      same(hx(await log.checkpoint().head()), data.expect.head, "head");
      same(bodiesAsHex(await log.openWith(epochKeys(data.epoch_keys))), expectedBodies(data.expect.bodies), "bodies");
      const parsed = await Promise.all(envelopes.map(P.parseEntry));
      same(parsed.filter((e) => e.isStub).length, 2, "stubs");
      const full = await Promise.all(data.unstubbed_envelopes.map((e) => P.parseEntry(b64d(e))));
      same(full.map((e) => hx(e.hash)), parsed.map((e) => hx(e.hash)), "hashes of the unstubbed envelopes");
    }),

    measures: async () => {
      const rosterEntry = async (name) => P.verifyRosterEntry(
        b64d(vectors.roster.entries.find((e) => e.name === name).raw), await associationPublic());
      const rowJson = (r) => ({ code: r.code, label: r.label, amount: r.amount, unit: r.unit, checked: r.checked });
      const exact = await rows(vectors.measures.tables, (row) => row.name, async (row) => {
        const signer = await rosterEntry(row.signer);
        const table = await P.signMeasuresTableAsCoordinator(await account(vectors.people[row.signer]), signer, {
          teamId: h(row.team_id), version: row.version, rows: row.rows, now: row.issued_at });
        same(b64(table.raw), row.raw, "signed table");
        same(P.parseMeasuresTable(b64d(row.raw)).rows.map(rowJson), row.sorted_rows, "parsed rows");
      });
      const refused = await rows(vectors.measures.negative, (row) => row.name, async (row) => {
        const known = row.known ? P.parseMeasuresTable(b64d(row.known)) : null;
        await refuses(async () => P.acceptMeasuresTable(b64d(row.raw), await rosterEntry(row.signer),
          { teamId: h(row.team_id), known }), row.error, row.name);
      });
      return { count: exact.count + refused.count, failures: [...exact.failures, ...refused.failures] };
    },
  };

  function applyOps(envelopes, ops) {
    let result = envelopes.map((e) => e.slice());
    for (const op of ops) {
      if (op.op === "drop") result.splice(op.index, 1);
      else if (op.op === "swap") [result[op.i], result[op.j]] = [result[op.j], result[op.i]];
      else if (op.op === "replace") result[op.index] = b64d(op.envelope);
      else if (op.op === "append") result.push(b64d(op.envelope));
      else if (op.op === "truncate") result = result.slice(0, op.length);
      else if (op.op === "append_bytes") result[op.index] = P.concatBytes(result[op.index], h(op.data));
      else if (op.op === "truncate_bytes") result[op.index] = result[op.index].slice(0, op.length);
      else if (op.op === "flip") result[op.index][op.offset] ^= op.mask;
      else if (op.op === "set_byte") result[op.index][op.offset] = op.value;
      else throw new Error(`unknown op ${op.op}`);
    }
    return result;
  }

  async function runNegative(row) {
    if (row.target === "case_log") {
      const base = vectors[row.base];
      const envelopes = applyOps(base.envelopes.map(b64d), row.ops);
      const association = await P.importEd25519PublicKey(h(row.association_public ?? vectors.roster.association_public));
      const checkpoint = row.checkpoint ? P.Checkpoint.fromBytes(b64d(row.checkpoint)) : null;
      const caseKeys = row.case_keys ? epochKeys(row.case_keys) : null;
      await P.verifyCaseLog(h(row.case_id ?? base.case_id), envelopes, association, { checkpoint, caseKeys });
    } else if (row.target === "roster_entry") {
      await P.verifyRosterEntry(b64d(row.raw), await associationPublic());
    } else if (row.target === "wrapped_key") {
      await P.unwrapCaseKeyAsMember(P.WrappedCaseKey.fromBytes(b64d(row.raw)), await account(vectors.people[row.member]),
        { caseId: h(row.case_id), epoch: row.epoch });
    } else if (row.target === "kdf_params") {
      P.parseKdfParams(row.json);
    } else if (row.target === "base64url") {
      P.b64urlDecode(row.text);
    } else if (row.target === "entry") {
      await P.parseEntry(b64d(row.raw));
    } else {
      throw new Error(`unknown target ${row.target}`);
    }
  }

  // Test-side state for the interoperability steps: keys stay in the page, as in the app.
  const accounts = new Map();

  window.carnetTest = {
    groups: Object.keys(groups),
    negativeTargets: [...new Set(vectors.negative.map((row) => row.target))],

    runGroup: (name) => groups[name](),

    runNegative: (target) => rows(vectors.negative.filter((row) => row.target === target), (row) => row.name,
      (row) => refuses(() => runNegative(row), row.error, row.name)),

    // The acceptance rule (docs/PROTOCOL.md 9.1): each row's entry offered to the whole case log.
    runAcceptance: () => rows(vectors.acceptance, (row) => row.name, async (row) => {
      const offer = async () => {
        const base = vectors[row.base];
        const log = await P.verifyCaseLog(h(base.case_id), base.envelopes.map(b64d),
          await P.importEd25519PublicKey(h(vectors.roster.association_public)));
        for (const envelope of row.before ?? []) await P.acceptEntry(log, b64d(envelope), { nowMs: row.now_ms });
        await P.acceptEntry(log, b64d(row.offered), { nowMs: row.now_ms });
      };
      if (row.error === null) return offer();
      return refuses(offer, row.error, row.name);
    }),

    // A member's device makes its account: seeds from the CSPRNG, wrapped under the kek,
    // imported non-extractable. Only the public keys and the blob come back to Python.
    async generateAccount(name, userId, kekBytes) {
      const kek = await P.importKek(b64d(kekBytes));
      const { keys, blob } = await P.generateAccountKeys(b64d(userId), kek);
      accounts.set(name, keys);
      return { blob: b64(blob), encryptionPublic: b64(keys.encryptionPublic), signingPublic: b64(keys.signingPublic) };
    },

    async unwrapAccount(name, userId, kekBytes, blob) {
      const keys = await P.unwrapAccountKeysWithKek(b64d(blob), await P.importKek(b64d(kekBytes)), { userId: b64d(userId) });
      accounts.set(name, keys);
      return { encryptionPublic: b64(keys.encryptionPublic), signingPublic: b64(keys.signingPublic) };
    },

    // Writes a small case in the browser: the steps name who does what, as crypto/writer.py does.
    async writeCase({ association, roster, teamId, devices, steps }) {
      const associationKey = await P.importEd25519PublicKey(b64d(association));
      const view = new P.RosterView(associationKey);
      const entries = {};
      for (const [name, raw] of Object.entries(roster)) entries[name] = await view.accept(b64d(raw));
      for (const [name, keys] of accounts) if (entries[name]) P.checkAccountKeysMatchRosterEntry(keys, entries[name]);
      const device = (name) => b64d(devices[name]);
      const keys = new Map();
      const envelopes = [];
      const written = [];
      let log = null;
      for (const step of steps) {
        const who = accounts.get(step.by);
        if (step.do === "create") {
          const made = await P.createCaseAsMember(who, {
            associationKey, teamId: b64d(teamId), deviceId: device(step.by), members: step.members.map((n) => view.current(entries[n].userId)) });
          log = made.log;
          keys.set(1, made.caseKey);
          envelopes.push(made.envelope);
        } else if (step.do === "write") {
          const bodyJson = utf8(JSON.stringify(step.body));
          const envelope = await P.sealEntryAsAuthor(log, who, { deviceId: device(step.by), caseKey: keys.get(log.state.epoch), bodyJson });
          envelopes.push(envelope);
          written.push({ hash: hx((await P.parseEntry(envelope)).hash), body: text(bodyJson) });
        } else if (step.do === "add") {
          envelopes.push(await P.addMemberAsCoordinator(log, who, {
            deviceId: device(step.by), newMember: view.current(entries[step.member].userId), caseKey: keys.get(log.state.epoch) }));
        } else if (step.do === "rotate") {
          const { envelope, newKey } = await P.rotateCaseKeyAsCoordinator(log, who, {
            deviceId: device(step.by), caseKey: keys.get(log.state.epoch), full: Boolean(step.full) });
          keys.set(log.state.epoch, newKey);
          envelopes.push(envelope);
        } else if (step.do === "remove") {
          const { envelope, newKey } = await P.removeMemberAsCoordinator(log, who, {
            deviceId: device(step.by), userId: entries[step.member].userId, caseKey: keys.get(log.state.epoch) });
          keys.set(log.state.epoch, newKey);
          envelopes.push(envelope);
        } else if (step.do === "reencrypt") {
          const { envelopes: reseals, newKey } = await P.reencryptCaseAsCoordinator(log, who, {
            deviceId: device(step.by), caseKeys: keys });
          keys.set(log.state.epoch, newKey);
          envelopes.push(...reseals);
        } else {
          throw new Error(`unknown step ${step.do}`);
        }
      }
      // What a server keeps after a full re-encryption: stubs of the content entries it resealed.
      const resealed = steps.some((step) => step.do === "reencrypt");
      const stored = [];
      for (const envelope of envelopes) {
        const kind = (await P.parseEntry(envelope)).header.kind;
        stored.push(resealed && kind === P.Kind.CONTENT ? await P.stubOf(envelope) : envelope);
      }
      const checkpoint = log.checkpoint();
      return {
        caseId: b64(log.caseId), envelopes: envelopes.map(b64), stored: stored.map(b64), written,
        keys: Object.fromEntries([...keys].map(([epoch, key]) => [epoch, b64(key)])),
        checkpoint: b64(checkpoint.toBytes()), head: hx(await checkpoint.head()),
      };
    },

    // A member's read path on bytes from elsewhere: verify, recover keys, open every entry.
    async openCaseAs(name, { caseId, association, envelopes, checkpoint }) {
      const opened = await P.openCaseLogAsMember(b64d(caseId), envelopes.map(b64d), await P.importEd25519PublicKey(b64d(association)),
        accounts.get(name), { checkpoint: checkpoint ? P.Checkpoint.fromBytes(b64d(checkpoint)) : null });
      const next = opened.log.checkpoint();
      return {
        epochs: [...opened.keys.keys()].sort(),
        keys: Object.fromEntries([...opened.keys].map(([epoch, key]) => [epoch, b64(key)])),
        bodies: bodiesAsHex(opened.bodies),
        checkpoint: b64(next.toBytes()), head: hx(await next.head()), members: opened.log.state.memberIds().map(hx),
      };
    },

    async unwrapAs(name, wrapped, caseId, epoch) {
      return b64(await P.unwrapCaseKeyAsMember(P.WrappedCaseKey.fromBytes(b64d(wrapped)), accounts.get(name),
        { caseId: b64d(caseId), epoch }));
    },

    async openEntryBody(envelope, caseKey) {
      const entry = await P.parseEntry(b64d(envelope));
      return text(await P.openEntryBody(entry.header, entry.body, b64d(caseKey)));
    },

    // Differential checks: the verdict of the JavaScript parsers on bytes the Python test chose,
    // to compare with crypto/ on the same bytes. An accepted message must re-encode to itself
    // ("same"); anything else is reported as the bytes it re-encoded to, or as the error class.
    async parseVerdicts(what, messages) {
      const association = await associationPublic();
      const parsers = {
        entry: async (raw) => (await P.parseEntry(raw)).toBytes(),
        roster: async (raw) => (await P.verifyRosterEntry(raw, association)).raw,
        wrapped: async (raw) => P.WrappedCaseKey.fromBytes(raw).toBytes(),
        checkpoint: async (raw) => P.Checkpoint.fromBytes(raw).toBytes(),
        body: async (raw) => { P.checkJsonBody(raw); return raw; },
        keyblob: async (raw) => {
          const row = vectors.key_blobs[0];
          const keys = await P.unwrapAccountKeysWithKek(raw, await P.importKek(h(row.kek)), { userId: h(row.user_id) });
          return keys.signingPublic.length === 32 ? raw : new Uint8Array(0);
        },
      };
      const verdicts = [];
      for (const message of messages) {
        const raw = b64d(message);
        try {
          const out = await parsers[what](raw);
          verdicts.push({ ok: P.equalBytes(out, raw) ? "same" : b64(out) });
        } catch (error) {
          verdicts.push({ error: error instanceof P.CarnetCryptoError ? error.name : `not a protocol error: ${error}` });
        }
      }
      return verdicts;
    },

    // Verifies each log (a list of base64url envelopes) as section 9 says, then opens it with the
    // given keys of the epochs the log reaches (step 14); the verdict is the checkpoint and the
    // bodies opened, or the error class of the first failing check.
    async logVerdicts(caseId, logs, caseKeys) {
      const association = await associationPublic();
      const verdicts = [];
      for (const envelopes of logs) {
        try {
          const log = await P.verifyCaseLog(h(caseId), envelopes.map(b64d), association);
          const held = new Map([...epochKeys(caseKeys)].filter(([epoch]) => epoch <= log.state.epoch));
          const bodies = bodiesAsHex(await log.openWith(held));
          verdicts.push({ ok: b64(log.checkpoint().toBytes()), bodies });
        } catch (error) {
          verdicts.push({ error: error instanceof P.CarnetCryptoError ? error.name : `not a protocol error: ${error}` });
        }
      }
      return verdicts;
    },

    // Outside vectors (Project Wycheproof) through the protocol's own checks and wrappers.
    async x25519KeyVerdicts(publicKeys) {
      return publicKeys.map((raw) => {
        try {
          P.checkX25519PublicKey(h(raw));
          return "accepted";
        } catch (error) {
          return error.name;
        }
      });
    },

    async ed25519Verdicts(cases) {
      const verdicts = [];
      for (const { pk, sig, msg } of cases) {
        try {
          await P.verifyEd25519(await P.importEd25519PublicKey(h(pk)), h(sig), h(msg), "Wycheproof case");
          verdicts.push("valid");
        } catch (error) {
          verdicts.push(error.name);
        }
      }
      return verdicts;
    },

    async aesGcmVerdicts(cases) {
      const verdicts = [];
      for (const { key, iv, aad, msg, ct, tag } of cases) {
        const aesKey = await crypto.subtle.importKey("raw", h(key), "AES-GCM", false, ["encrypt", "decrypt"]);
        const sealed = P.concatBytes(h(ct), h(tag));
        let opened;
        try {
          opened = hx(await P.aesGcmOpen(aesKey, h(iv), sealed, h(aad)));
        } catch (error) {
          verdicts.push({ open: error.name });
          continue;
        }
        verdicts.push({ open: opened, seal: hx(await P.aesGcmSeal(aesKey, h(iv), h(msg), h(aad))) });
      }
      return verdicts;
    },

    // A roster view fed the same sequence of entries as crypto/roster.py RosterView: each step
    // accepts an entry or asks for a user's current entry; the outcome is the serial or the error.
    async rosterScenario(association, steps) {
      const view = new P.RosterView(await P.importEd25519PublicKey(b64d(association)));
      const outcomes = [];
      for (const step of steps) {
        try {
          const entry = step.accept ? await view.accept(b64d(step.accept)) : view.current(b64d(step.current));
          outcomes.push({ serial: entry.serial });
        } catch (error) {
          outcomes.push({ error: error.name });
        }
      }
      return outcomes;
    },

    async checkAccountAgainstRoster(name, raw, association) {
      const entry = await P.verifyRosterEntry(b64d(raw), await P.importEd25519PublicKey(b64d(association)));
      try {
        P.checkAccountKeysMatchRosterEntry(accounts.get(name), entry);
        return "match";
      } catch (error) {
        return error.name;
      }
    },

    // Reports, for every private or secret CryptoKey this code hands out, whether it claims to be
    // extractable and whether exportKey gives anything in any format.
    async extractability(userId, kekBytes) {
      const report = {};
      async function probe(name, key) {
        const exported = [];
        for (const format of ["raw", "pkcs8", "jwk", "spki"]) {
          try {
            await crypto.subtle.exportKey(format, key);
            exported.push(format);
          } catch {
            // Refused, as it must be.
          }
        }
        report[name] = { isCryptoKey: key instanceof CryptoKey, extractable: key.extractable, type: key.type,
          algorithm: key.algorithm.name, usages: [...key.usages].sort(), exported };
      }
      const kek = await P.importKek(b64d(kekBytes));
      const generated = await P.generateAccountKeys(b64d(userId), kek);
      const unwrapped = await P.unwrapAccountKeysWithKek(generated.blob, kek, { userId: b64d(userId) });
      const association = await P.generateAssociationKey(b64d(userId), kek);
      const associationUnwrapped = await P.unwrapAssociationKeyWithKek(association.blob, kek, { adminId: b64d(userId) });
      const secrets = await P.deriveAccountSecrets("a passphrase for the extractability test",
        { v: 1, alg: "PBKDF2-HMAC-SHA256", iterations: 600000, salt: "AAECAwQFBgcICQoLDA0ODw" });
      await probe("kek", kek);
      await probe("derived kek", secrets.kek);
      await probe("generated encryption key", generated.keys.encryptionPrivate);
      await probe("generated signing key", generated.keys.signingPrivate);
      await probe("unwrapped encryption key", unwrapped.encryptionPrivate);
      await probe("unwrapped signing key", unwrapped.signingPrivate);
      await probe("generated association key", association.key.signingPrivate);
      await probe("unwrapped association key", associationUnwrapped.signingPrivate);
      const header = new P.EntryHeader({ kind: P.Kind.CONTENT, caseId: random32().slice(0, 16), entryId: random32().slice(0, 16),
        epoch: 1, author: b64d(userId), deviceId: random32().slice(0, 16), deviceSeq: 1, prevHash: P.ZERO_HASH,
        controlHead: random32(), lamport: 2, time: 1 });
      await probe("entry key", await P.entryKey(random32(), header));
      // The unwrapped signing key still does its work; the HPKE side is what the interop tests use.
      const entry = await P.makeEntryAsAuthor(header, new Uint8Array(284), unwrapped);
      await entry.verifySignature(await P.importEd25519PublicKey(unwrapped.signingPublic));
      report.unwrappedKeysWork = true;
      return report;
    },
  };
  return { groups: window.carnetTest.groups, negativeTargets: window.carnetTest.negativeTargets };
}
