// The browser implementation of the Carnet protocol, version 1 (docs/PROTOCOL.md), one module
// per module of the Python reference in crypto/. Import from here or from the module itself.

export * from "./errors.js";
export * from "./encoding.js";
export * as labels from "./labels.js";
export * from "./primitives.js";
export * from "./kdf.js";
export * from "./keys.js";
export * from "./roster.js";
export * from "./casekeys.js";
export * from "./entry.js";
export * from "./control.js";
export * from "./caselog.js";
export * from "./writer.js";
export * from "./acceptance.js";
export * from "./measures.js";
