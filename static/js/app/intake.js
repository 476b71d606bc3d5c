// The intake: the fields of an interview, in short steps, and the case view that merges edits.

import { _, formatDate, formatDateTime, ngettext } from "../i18n.js";
import { b64urlEncode } from "../protocol/index.js";
import {
  attachFile, closeDeadline, createCase, discardRefused, editCase, openCase, resendRefused,
} from "../store/cases.js";
import { summaryDeadline } from "../store/deadlines.js";
import { intentions, restoreEdit } from "../store/edit-drafts.js";
import { drafts } from "../store/records.js";
import { NotCertified, rosterNames } from "../store/roster.js";
import { accountDisabled } from "../sync/disabled.js";
import { refreshRoster } from "../sync/directory.js";
import { leavesAt, repairCase, retentionDays } from "../sync/engine.js";
import { dateTimeField, deadlineEntry, watchPlausibility } from "./deadline-entry.js";
import { deadlinesSection } from "./deadline-list.js";
import { deadlineBadge } from "./deadline-view.js";
import { membersSection } from "./members.js";
import { printButton, printHeader, printHistory } from "./print.js";
import { readersNote } from "./readers.js";
import { noteWhere } from "./router.js";
import { deadlineSuggestion } from "./suggest.js";
import { announce, confirmDialog, errorLine, field, foldable, h, show } from "./ui.js";

// Labels are written out in full so that Babel extracts each one for translation.
function steps() {
  return [
    { title: _("The person"), fields: [
      { name: "alias", label: _("Name or alias"), type: "text", required: true },
      { name: "gender", label: _("Sex / gender"), type: "select", options: [["", ""], ["female", _("Female")], ["male", _("Male")], ["other", _("Other or not said")]] },
      { name: "birth_date", label: _("Date of birth"), type: "date" },
      { name: "nationality", label: _("Nationality"), type: "text" },
      { name: "languages", label: _("Languages spoken"), type: "text" },
      { name: "interpreter", label: _("Interpreter needed"), type: "select", options: [["", ""], ["yes", _("Yes")], ["no", _("No")]] },
    ] },
    { title: _("Place"), fields: [
      { name: "place_type", label: _("Kind of place"), type: "select", options: [["", ""], ["prison", _("Prison")], ["detention", _("Immigration detention centre")], ["session", _("Legal-aid session")],
        ["victim_support", _("Victim support desk")], ["violence_day_centre", _("Day centre for people facing violence")],
        ["police", _("Police or gendarmerie station")], ["other", _("Other")]], other: _("Which kind of place?") },
      { name: "place_name", label: _("Place"), type: "text" },
      { name: "prison_number", label: _("Prison number (numéro d'écrou)"), type: "text" },
      { name: "release_date", label: _("Expected release date"), type: "date" },
    ] },
    { title: _("Legal situation"), fields: [
      { name: "residence_status", label: _("Residence status"), type: "select", options: [["", ""], ["permit", _("Residence permit")], ["receipt", _("Receipt (récépissé)")], ["asylum", _("Asylum claim")], ["none", _("None")], ["other", _("Other")]], other: _("Which status?") },
      { name: "residence_expiry", label: _("Expiry of the status"), type: "date" },
      { name: "measure", label: _("Measure"), type: "select", options: [["", ""], ["OQTF", "OQTF"], ["IRTF", "IRTF"], ["ITF", "ITF"], ["expulsion", _("Expulsion order")], ["house_arrest", _("House arrest")], ["other", _("Other")]], other: _("Which measure?") },
      { name: "measure_notified", label: _("Notification of the measure"), type: "datetime" },
    ] },
    { title: _("Family, health, violence"), fields: [
      { name: "family", label: _("Family ties in France"), type: "textarea" },
      { name: "health", label: _("Health and vulnerability"), type: "textarea" },
      { name: "violence", label: _("Violence experienced"), type: "textarea" },
      { name: "complaint_filed", label: _("Complaint filed"), type: "select", options: [["", ""], ["yes", _("Yes")], ["no", _("No")]] },
      { name: "protection_order", label: _("Protection order"), type: "select", options: [["", ""], ["yes", _("Yes")], ["requested", _("Requested")], ["no", _("No")]] },
    ] },
    { title: _("Consent and follow-up"), fields: [
      { name: "consent", label: _("Consent given"), type: "select", options: [["", ""], ["yes", _("Yes")], ["no", _("No")]] },
      { name: "consent_language", label: _("Language of consent"), type: "text" },
      { name: "next_actions", label: _("Next actions"), type: "textarea" },
      { name: "referrals", label: _("Referrals (lawyer, partner association)"), type: "textarea" },
      { name: "notes", label: _("Free notes"), type: "textarea" },
    ] },
  ];
}

// The labels of a select field's options by value, as the form shows them.
export function optionLabels(name) {
  const spec = steps().flatMap((group) => group.fields).find((candidate) => candidate.name === name);
  return new Map(spec?.options ?? []);
}

// A list that could miss a case ends with "other", which asks for the case in words, in a text
// field of its own, `<name>_other`, shown only while "other" is chosen.
function otherSpec(spec) {
  return { name: `${spec.name}_other`, label: spec.other, type: "text", otherOf: spec.name };
}

function allFields() {
  return steps().flatMap((group) => group.fields.flatMap((spec) => (spec.other ? [spec, otherSpec(spec)] : [spec])));
}

function withOther(spec, select, values) {
  const text = input(otherSpec(spec), values[`${spec.name}_other`]);
  const shown = () => { text.hidden = select.value !== "other"; };
  select.addEventListener("change", shown);
  shown();
  return [field(`f-${spec.name}`, spec.label, select, spec.hint), text];
}

function input(spec, value, values = {}) {
  let element;
  if (spec.type === "datetime") return dateTimeField(spec.name, spec.label, value);
  if (spec.type === "select") {
    element = h("select", { name: spec.name }, spec.options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
    if (spec.other) return withOther(spec, element, values);
  } else if (spec.type === "textarea") {
    // What is typed takes the direction of its own first letters, whatever the interface's.
    element = h("textarea", { name: spec.name, rows: "3", dir: "auto" });
    element.value = value || "";
  } else {
    // No autocomplete: the browser would keep what was typed, in the clear, in its form history.
    element = h("input", { type: spec.type, name: spec.name, required: spec.required || false, autocomplete: "off",
      "data-other-of": spec.otherOf, dir: spec.type === "text" ? "auto" : null });
    element.value = value || "";
  }
  return field(`f-${spec.name}`, spec.label, element, spec.hint);
}

function readForm(form) {
  const values = {};
  for (const element of form.elements) {
    if (element.name) values[element.name] = element.value.trim();
  }
  // The words of an "other" count only while "other" is chosen.
  for (const element of form.querySelectorAll("[data-other-of]")) {
    if (values[element.dataset.otherOf] !== "other") values[element.name] = "";
  }
  return values;
}

const DRAFT_EVERY_MS = 3000;

// The draft of an intake or an edit, sealed in the device store as the person types: a crash,
// a closed tab or a flat battery loses at most a few seconds, and nothing rests in the clear.
function draftKey(caseId) {
  return caseId || "new";
}

// The draft of the form on screen, saved at once: before a lock that the server's answer forces.
let saveShownDraft = async () => {};

export function saveOpenDraft() {
  return saveShownDraft();
}

// A save refused because this device knows no certified roster entry for its person: the roster
// is fetched at once (certification may have just happened) and the save tried once more.
async function withCertification(state, save) {
  try {
    return await save();
  } catch (problem) {
    if (!(problem instanceof NotCertified)) throw problem;
    state.rosterRefresh = refreshRoster(state).catch(() => {});
    await state.rosterRefresh;
    return save();
  }
}

function saveProblemText(problem) {
  if (problem instanceof NotCertified) {
    return _("Your keys are not certified yet: show “My fingerprint” to an administrator, then save again with a network. Your intake is kept as a draft on this device.");
  }
  return _("Something went wrong on this device. Nothing was sent.");
}

// The same stepped form serves a new intake and an edit; an edit saves only what changed.
export async function intakeScreen(state, { home, caseId = null, current = {}, seen = {} }) {
  // A disabled account records nothing new; its home says why.
  if (accountDisabled(state)) return home();
  noteWhere({ screen: "intake", caseId });
  const draft = await drafts.get(state.vault, draftKey(caseId));
  const restored = caseId && draft ? restoreEdit(draft, current, seen) : null;
  const initial = restored ? restored.values : { ...current, ...draft?.values };
  // The draft's changes to fields someone else changed meanwhile, until the person chooses.
  const moved = new Map(Object.entries(restored?.moved ?? {}));
  const all = steps();
  const error = errorLine("intake-error");
  let step = Math.min(Math.max(Number(draft?.step) || 0, 0), all.length - 1);
  const sections = all.map((group, index) => h("fieldset", { className: "step", hidden: index !== 0, "data-step": String(index + 1) },
    h("legend", {}, group.title), group.fields.flatMap((spec) => input(spec, initial[spec.name], initial))));
  // The legal step holds the deadlines, after the notification and what it suggests.
  const legal = sections.find((section) => section.querySelector("[name=measure_notified]"));
  const entry = deadlineEntry(draft?.deadlines ?? []);
  legal.append(entry.element);
  const progress = h("p", { className: "hint", id: "intake-progress" });
  const back = h("button", { type: "button", id: "step-back" }, _("Previous"));
  const next = h("button", { type: "button", id: "step-next", className: "primary" }, _("Next"));
  const save = h("button", { type: "submit", id: "intake-save", className: "primary" }, _("Save"));
  const render = () => {
    sections.forEach((section, index) => { section.hidden = index !== step; });
    saveDraft().catch(() => {});
    progress.textContent = _("Step %(number)s of %(total)s", { number: step + 1, total: all.length });
    back.hidden = step === 0;
    next.hidden = step === all.length - 1;
    sections[step].querySelector("input, select, textarea")?.focus();
  };
  let draftTimer = null;
  // The writes under way, so that a discard waits for them before deleting. Each write starts at
  // once: it takes the store's key now, before a lock that may come next drops it.
  let saving = Promise.resolve();
  const saveDraft = () => {
    clearTimeout(draftTimer);
    draftTimer = null;
    if (!state.vault.localKey || !typed()) return Promise.resolve();
    const typedNow = caseId ? { changes: { ...Object.fromEntries(moved), ...intentions(readForm(form), current, seen) } }
      : { values: readForm(form) };
    const write = drafts.put(state.vault, draftKey(caseId), { ...typedNow, deadlines: entry.read(), step, saved: Date.now() });
    saving = Promise.all([saving, write.catch(() => {})]);
    return write;
  };
  // Something was typed: a draft was restored, or a field differs from what the form opened with.
  const typed = () => Boolean(draft) || entry.deadlines().length > 0
    || Object.entries(readForm(form)).some(([name, value]) => (current[name] || "") !== value);
  const scheduleDraft = () => {
    draftTimer ??= setTimeout(() => saveDraft().catch(() => {}), DRAFT_EVERY_MS);
  };
  back.addEventListener("click", () => { step -= 1; render(); });
  next.addEventListener("click", () => { step += 1; render(); });
  const form = h("form", { id: "intake-form", novalidate: true, autocomplete: "off", onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    const values = readForm(form);
    if (!caseId && !values.alias) {
      step = 0;
      render();
      error.textContent = _("Enter a name or an alias.");
      return;
    }
    const incomplete = entry.incomplete();
    if (incomplete) {
      step = sections.indexOf(legal);
      render();
      incomplete.focus();
      error.textContent = _("A deadline needs its date.");
      return;
    }
    const deadlines = entry.deadlines();
    if (accountDisabled(state)) {
      await saveDraft();
      error.textContent = _("This account is disabled: nothing new can be recorded. Your draft is kept on this device.");
      return;
    }
    save.disabled = true;
    try {
      if (caseId) {
        const changes = Object.fromEntries(Object.entries(values).filter(([name, value]) => (current[name] || "") !== value));
        await withCertification(state, () => editCase(state, caseId, changes, deadlines, seen));
        clearTimeout(draftTimer);
        await drafts.delete(state.vault, draftKey(caseId));
        announce(_("Saved."));
        await caseScreen(state, caseId, home);
      } else {
        const id = await withCertification(state,
          () => createCase(state, Object.fromEntries(Object.entries(values).filter(([, v]) => v)), deadlines));
        clearTimeout(draftTimer);
        await drafts.delete(state.vault, draftKey(caseId));
        announce(_("Intake saved, encrypted on this device."));
        await caseScreen(state, id, home);
      }
    } catch (problem) {
      save.disabled = false;
      await saveDraft().catch(() => {});
      error.textContent = saveProblemText(problem);
    }
  } }, progress, sections, h("div", { className: "actions" }, back, next, save), error);
  form.addEventListener("input", scheduleDraft);
  showMoved(form, moved, current, scheduleDraft);
  watchPlausibility(form);
  const suggestion = deadlineSuggestion(state, form, entry);
  if (suggestion) legal.querySelector(".date-time-group").after(suggestion);
  saveShownDraft = () => (form.isConnected ? saveDraft() : Promise.resolve());
  // Leaving a field saves at once, without waiting for the timer.
  form.addEventListener("focusout", () => saveDraft().catch(() => {}));
  const discard = async () => {
    if (typed() && !await confirmDialog({ id: "discard-dialog", title: _("Discard what you typed?"),
      text: _("What you typed in this form is deleted from this device. This cannot be undone."),
      cancel: _("Keep typing"), confirm: _("Discard") })) return;
    clearTimeout(draftTimer);
    await saving.catch(() => {});
    await drafts.delete(state.vault, draftKey(caseId));
    return caseId ? caseScreen(state, caseId, home) : home();
  };
  show(h("section", { className: "card narrow" }, h("h1", {}, caseId ? _("Edit the case") : _("New intake")),
    draft ? h("p", { className: "notice", id: "draft-restored" }, _("Your unsaved draft was restored.")) : null,
    moved.size ? h("p", { className: "notice", id: "draft-moved" }, ngettext(
      "%(count)s field of your draft was changed by someone else since: choose below which value to keep.",
      "%(count)s fields of your draft were changed by someone else since: choose below which value to keep.",
      moved.size)) : null,
    form, h("button", { type: "button", id: "intake-discard", onclick: discard }, _("Discard"))));
  render();
}

// Sets a field of the form as if typed: the date and time inputs of a date-and-time field too.
function setField(form, name, value) {
  const element = form.elements.namedItem(name);
  const group = element.type === "hidden" ? element.closest(".date-time-group") : null;
  if (group) {
    const [date, time = ""] = value.split("T");
    group.querySelector(`#f-${name}`).value = date;
    group.querySelector(`#f-${name}-time`).value = time;
  }
  element.value = value;
  element.dispatchEvent(new Event("input", { bubbles: true }));
}

// Below each field of the draft that someone else changed meanwhile: both values, and a choice.
// The form shows the current value until the person takes their draft's; typing in the field
// is a choice too.
function showMoved(form, moved, current, changed) {
  const specs = Object.fromEntries(allFields().map((spec) => [spec.name, spec]));
  for (const [name, change] of moved) {
    const element = form.elements.namedItem(name);
    if (!element) continue;
    const settle = () => {
      moved.delete(name);
      box.remove();
      changed();
    };
    const box = h("div", { className: "notice draft-choice", "data-moved": name, role: "group",
      "aria-label": _("Changed since your draft") },
    h("p", {}, _("Changed by someone else since your draft.")),
    h("dl", { className: "facts" },
      h("dt", {}, _("Now")), h("dd", {}, fieldText(specs[name], current[name]) || _("(empty)")),
      h("dt", {}, _("Your draft")), h("dd", {}, fieldText(specs[name], change.value) || _("(empty)"))),
    h("button", { type: "button", "data-use-draft": name, onclick: () => { setField(form, name, change.value); settle(); } },
      _("Use my draft's value")),
    h("button", { type: "button", "data-keep-current": name, onclick: settle }, _("Keep the current value")));
    const place = element.closest(".date-time-group") ?? element.closest(".field") ?? element;
    place.addEventListener("input", (event) => { if (event.isTrusted && moved.has(name)) settle(); });
    place.after(box);
  }
}

// The edit of a case, from its record: the resumed screen after an unlock, and a listed draft.
export async function editScreen(state, caseId, home) {
  const opened = await openCase(state, caseId);
  return intakeScreen(state, { home, caseId, current: opened.fields, seen: opened.versionOf });
}

const PHOTO_MAX_SIDE = 1600;

// Photos are decoded and drawn again before anything is stored: smaller, and stripped of the
// camera's metadata (place, time, device) by the re-encoding.
async function resizePhoto(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.8 });
  return new Uint8Array(await blob.arrayBuffer());
}

function photoControl(state, caseId, home) {
  const status = h("p", { className: "status", role: "status", id: "photo-status" });
  const chooser = h("input", { type: "file", id: "photo-input", accept: "image/*", capture: "environment",
    className: "visually-hidden", onchange: async (event) => {
      const file = event.target.files[0];
      if (!file) return;
      status.textContent = _("Encrypting the photo…");
      try {
        await attachFile(state, caseId, await resizePhoto(file), { mime: "image/jpeg", name: _("Document photo") });
        announce(_("Photo saved, encrypted on this device."));
        await caseScreen(state, caseId, home);
      } catch {
        status.textContent = _("This file could not be read as a photo.");
      }
    } });
  return h("div", { className: "photo-control" }, chooser,
    h("label", { for: "photo-input", className: "button" }, _("Attach a photo of a document")), status);
}

// Decrypted photos live in memory as object URLs, revoked when the next case screen is drawn.
let photoUrls = [];

function photoUrl(file) {
  const url = URL.createObjectURL(new Blob([file.bytes], { type: file.mime }));
  photoUrls.push(url);
  return url;
}

// A field as the person reads it: a choice by its label, a day or a time written in their
// language, and what was typed isolated (<bdi>), so that its direction, or an override character
// in it, cannot reorder the text around it. Deadlines have a display of their own.
function fieldText(spec, value) {
  if (!value) return value;
  const option = spec?.options?.find(([v]) => v === value);
  if (option) return option[1];
  if (spec?.type === "date") return formatDate(value);
  if (spec?.type === "datetime") return formatDateTime(value);
  // Long text folds behind "See all": a 200 KB note does not make the page endless.
  return h("bdi", { className: spec?.type === "textarea" ? "typed-text" : null }, foldable(value));
}

// Who wrote a version, and on which device: the author's name as the roster gives it.
function versionSource(version, { names, thisDevice }) {
  const device = version.device === thisDevice ? _("this device") : _("device %(id)s", { id: version.device.slice(0, 6) });
  return _("%(name)s, %(device)s", { name: names[version.author] ?? "?", device });
}

// One field of the case: its value, whether two people changed it without seeing each other, and
// its versions in the order they were written (causal order), each with who wrote it.
function fieldRow(name, value, label, opened, { display, names, thisDevice, keep }) {
  const versions = opened.history[name] || [];
  const conflict = opened.conflicts.includes(name);
  const shown = (text) => display(name, text) || h("em", {}, _("(empty)"));
  return [h("dt", {}, label),
    h("dd", { "data-field": name },
      shown(value),
      conflict ? h("p", { className: "conflict", role: "note" },
        _("Edited on two devices without seeing each other: keep one of the versions, or edit to settle it.")) : null,
      versions.length > 1 ? h("details", { open: conflict }, h("summary", {}, ngettext("%(count)s version", "%(count)s versions", versions.length)),
        h("ol", { className: "versions" }, versions.map((v) => h("li", { "data-version": v.id },
          shown(v.value), " · ", h("span", { className: "version-time" }, formatDateTime(v.time)), " · ",
          versionSource(v, { names, thisDevice }),
          conflict && keep ? [" ", h("button", { type: "button", className: "link-button", "data-keep": v.id,
            onclick: () => keep(name, v.value) }, _("Keep this one"))] : null)))) : null)];
}

// Under the team's retention, when this case leaves the phone: never while it is on screen,
// has a draft or waits to be sent (sync/engine.js).
async function retentionNotice(state, record) {
  const days = await retentionDays(state);
  if (days === null) return null;
  const text = days === 0
    ? _("Your team keeps no synced case on phones: this case leaves this device at the first sync after you leave it, once everything is sent. “Kept on the server” brings it back, with a network.")
    : _("Your team keeps synced cases on phones for a time: this case leaves this device after %(date)s, once everything is sent.",
      { date: formatDate(leavesAt(record.updated ?? Date.now(), days)) });
  return h("p", { className: "hint", id: "case-retention" }, text);
}

export async function caseScreen(state, caseId, home) {
  const opened = await openCase(state, caseId);
  noteWhere({ screen: "case", caseId });
  const coordinator = state.profile?.role === "coordinator";
  const closed = opened.fields.status === "closed";
  const redraw = () => caseScreen(state, caseId, home);
  photoUrls.forEach((url) => URL.revokeObjectURL(url));
  photoUrls = [];
  const labels = Object.fromEntries(allFields().map((spec) => [spec.name, spec]));
  labels.status = { label: _("Status"), options: [["open", _("Open")], ["closed", _("Closed")]] };
  // Older cases kept an appeal deadline as a field: it is listed with the deadlines.
  labels.appeal_deadline = { label: _("Appeal deadline"), type: "date" };
  const display = (name, value) => fieldText(labels[name], value);
  const readOnly = Boolean(opened.record.removed);
  const names = await rosterNames(state);
  const thisDevice = b64urlEncode(state.vault.device.deviceId);
  // "Keep this one" settles a conflict: an edit of the field, based on the version shown last.
  const keep = readOnly || accountDisabled(state) ? null : async (name, value) => {
    await withCertification(state, () => editCase(state, caseId, { [name]: value }, [], opened.versionOf));
    announce(_("Saved."));
    await redraw();
  };
  const context = { display, names, thisDevice, keep };
  // A field in conflict is drawn even when the value that won is empty: the other one is not lost.
  const rows = Object.entries(opened.fields)
    .filter(([name, value]) => (value || opened.conflicts.includes(name)) && name !== "status" && name !== "appeal_deadline")
    .map(([name, value]) => fieldRow(name, value, labels[name]?.label || name, opened, context));
  show(h("section", { className: "card case-view" },
    printHeader(),
    h("h1", {}, opened.fields.alias ? h("bdi", {}, opened.fields.alias) : _("Case")),
    closed ? h("p", { className: "notice", id: "case-closed" }, _("This case is closed.")) : null,
    setAsideNotice(state, caseId, opened.record, redraw),
    removedNotice(opened.record),
    readOnly ? null : await retentionNotice(state, opened.record),
    refusedSection(state, caseId, opened.record, labels, redraw),
    h("dl", { className: "facts" }, rows.flat()),
    h("h2", {}, _("Documents")),
    opened.attachments.length
      ? h("ul", { className: "photos" }, opened.attachments.map((file) => h("li", {},
        h("img", { src: photoUrl(file), alt: file.name }))))
      : h("p", { className: "hint" }, _("No document yet.")),
    readOnly ? null : photoControl(state, caseId, home),
    deadlinesSection(opened.deadlines, readOnly ? null : async (id, reason) => {
      await closeDeadline(state, caseId, id, reason);
      announce(_("The deadline is closed."));
      await redraw();
    }, { caseClosed: closed }),
    printHistory(opened.history, (name) => labels[name]?.label || name, display, opened.deadlines),
    coordinator && !readOnly ? await membersSection(state, caseId, redraw) : null,
    readOnly ? null : await readersNote(state, caseId),
    h("div", { className: "actions" },
      readOnly ? null : h("button", { type: "button", id: "edit-case", className: "primary",
        onclick: () => intakeScreen(state, { home, caseId, current: opened.fields, seen: opened.versionOf }) }, _("Edit")),
      coordinator && !readOnly ? h("button", { type: "button", id: "case-status", onclick: async () => {
        await editCase(state, caseId, { status: closed ? "open" : "closed" }, [], opened.versionOf);
        await redraw();
      } }, closed ? _("Reopen the case") : _("Close the case")) : null,
      printButton(),
      h("button", { type: "button", onclick: home }, _("Back")))));
}

// A case whose entries from the server did not verify on this device (docs/PROTOCOL.md 8.12).
function setAsideNotice(state, caseId, record, redraw) {
  if (!record.setAside) return null;
  const error = errorLine("repair-error");
  return h("div", { className: "status-warning", id: "case-set-aside", role: "alert" },
    h("p", {}, _("This case is set aside on this device: what the server sent for it does not verify (%(code)s). Your notes on it stay here, and your other cases keep syncing.", { code: record.setAside.code })),
    h("button", { type: "button", id: "repair-case", onclick: async (event) => {
      event.target.disabled = true;
      error.textContent = "";
      try {
        await repairCase(state, caseId);
        announce(_("The case was repaired: it is up to date with the server."));
        await redraw();
      } catch {
        error.textContent = _("The repair did not succeed: the server's copy still does not verify, or there is no network. Your notes stay here; try again later or tell a coordinator.");
        event.target.disabled = false;
      }
    } }, _("Repair this case")),
    error);
}

function removedNotice(record) {
  if (!record.removed) return null;
  return h("p", { className: "notice", id: "case-removed" }, record.removed.at
    ? _("You were removed from this case on %(date)s. It is read-only on this device.", { date: formatDate(record.removed.at) })
    : _("You are no longer a member of this case. It is read-only on this device."));
}

function refusalText(item) {
  if (item.code === "ClockOutOfRange") {
    return _("Refused: this device's clock is ahead of the server's. Set the date and time, then send it again.");
  }
  if (item.code === "not-a-member" || item.code === "NotAMember") {
    return item.removedAt
      ? _("Refused: you were removed from this case on %(date)s.", { date: formatDate(item.removedAt) })
      : _("Refused: you were no longer a member of this case.");
  }
  return _("Refused by the server (%(code)s).", { code: item.code });
}

// What the server refused stays here, with its text, until the person sends it again (once they
// are a member again) or discards it.
function refusedSection(state, caseId, record, labels, redraw) {
  if (!record.refused?.length) return null;
  const error = errorLine("refused-error");
  const items = record.refused.map((item, index) => {
    const body = JSON.parse(item.body);
    const lines = Object.entries(body.fields ?? {}).map(([name, value]) => h("li", {}, `${labels[name]?.label || name} : `, h("bdi", {}, String(value))));
    const discard = h("button", { type: "button", className: "danger", "data-discard": String(index), onclick: async (event) => {
      if (event.target.dataset.confirm !== "yes") {
        event.target.dataset.confirm = "yes";
        event.target.textContent = _("Tap again to discard it for good");
        return;
      }
      await discardRefused(state, caseId, index);
      announce(_("The refused entry was discarded."));
      await redraw();
    } }, _("Discard"));
    return h("li", { "data-refused": String(index) },
      h("p", { className: "status-warning" }, refusalText(item)),
      h("p", { className: "hint" }, _("Written on %(date)s.", { date: formatDateTime(item.written) })),
      h("ul", {}, lines),
      h("div", { className: "actions" },
        record.removed ? null : h("button", { type: "button", className: "primary", "data-resend": String(index), onclick: async (event) => {
          event.target.disabled = true;
          try {
            await resendRefused(state, caseId, index);
            announce(_("Sealed again: it leaves with the next sync."));
            await redraw();
          } catch {
            error.textContent = _("It could not be sealed again: you are not a member of this case on this device yet. Sync, then try again.");
            event.target.disabled = false;
          }
        } }, _("Send again")),
        discard));
  });
  return h("section", { id: "refused-entries", "aria-labelledby": "refused-title" },
    h("h2", { id: "refused-title" }, _("Entries the server refused")),
    h("p", { className: "hint" }, record.removed
      ? _("They stay on this device. Show or print them for a coordinator; once you are a member again you can send them.")
      : _("They stay on this device until you send them again or discard them.")),
    h("ul", { className: "refused-list" }, items), error);
}

// One row of a volunteer's list, from the case's summary.
export function caseRow(item, openOne) {
  return h("li", { "data-case": item.id },
    h("button", { type: "button", className: "case-link", onclick: () => openOne(item.id) },
      h("strong", {}, item.title ? h("bdi", {}, item.title) : _("Case")),
      item.number && item.number !== item.title ? [" · ", h("bdi", {}, item.number)] : "",
      item.place ? [" · ", h("bdi", {}, item.place)] : "",
      summaryDeadline(item) ? deadlineBadge(summaryDeadline(item)) : null,
      caseFlags(item)));
}

// What a volunteer's search looks in: what the row shows.
export function rowText(item) {
  return [item.title, item.number, item.place].filter(Boolean).join(" ").toLowerCase();
}

// What needs the person's eye on a case, shown in the lists.
export function caseFlags(item) {
  const flags = [];
  if (item.setAside) flags.push(_("set aside: open it to repair"));
  if (item.refused) flags.push(ngettext("%(count)s refused entry", "%(count)s refused entries", item.refused));
  if (item.removed) flags.push(_("you were removed"));
  if (item.conflicts) flags.push(ngettext("%(count)s conflict to settle", "%(count)s conflicts to settle", item.conflicts));
  return flags.length ? h("span", { className: "status-warning case-flags" }, ` · ${flags.join(" · ")}`) : null;
}
