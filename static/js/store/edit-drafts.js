// An edit's draft holds what the person meant to change, not a copy of the form: each field they
// changed, with its value and the version of the field it was based on (the case's `versionOf`).
// Restored after other people's edits, it re-applies only those fields; a field that someone
// else changed meanwhile is set apart, for the person to see both values and choose. A copy of
// the whole form would put the values it was opened with back over everyone's newer edits.

/** The fields of `values` that differ from the case's `current` ones, each with its base. */
export function intentions(values, current, seen) {
  const changes = {};
  for (const [name, value] of Object.entries(values)) {
    if ((current[name] || "") !== value) changes[name] = { value, base: seen[name] ?? null };
  }
  return changes;
}

// A draft written before intentions held every field's value and no base: each value that
// differs from the case now is set apart, since nothing says whether it is the person's.
function changesOf(draft, current) {
  if (draft.changes) return draft.changes;
  return Object.fromEntries(Object.entries(draft.values ?? {})
    .filter(([name, value]) => (current[name] || "") !== value)
    .map(([name, value]) => [name, { value, base: undefined }]));
}

/**
 * The form's values for a restored edit: the case's `current` fields with the draft's changes
 * whose base is still the field's version; `moved` holds the others, by field name.
 */
export function restoreEdit(draft, current, seen) {
  const values = { ...current };
  const moved = {};
  for (const [name, change] of Object.entries(changesOf(draft, current))) {
    if (change.value === (current[name] || "")) continue;
    if (change.base !== undefined && change.base === (seen[name] ?? null)) values[name] = change.value;
    else moved[name] = change;
  }
  return { values, moved };
}
