// The deadline the intake suggests from the team's table of measures (docs/PROTOCOL.md 6.11).
// `form` is the intake form (its `measure` and `measure_notified` fields); `entry.fill({ due,
// kind, label, source, basis })` puts a deadline into the intake's deadline entry, where the
// person confirms or changes it. Returns the element to show below the notification, or null.
export function deadlineSuggestion(_state, _form, _entry) {
  return null;
}
