// The deadline model (static/js/store/deadlines.js), run by node's test runner in a fixed time
// zone (tests/test_deadlines_model.py sets TZ=Europe/Paris).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  byNextDeadline, caseDeadlines, countByState, dueTime, inFilter, localDue, newDeadline, nextDeadline, normalise,
  state, summaryDeadline,
} from "../../static/js/store/deadlines.js";

const HOUR = 3600 * 1000;
// 4 December 2026, 12:00 in Paris.
const NOW = new Date(2026, 11, 4, 12, 0).getTime();
const at = (hours) => localDue(NOW + hours * HOUR);

test("the states: overdue, 48 h, 7 days, later, closed", () => {
  assert.equal(state({ due: at(0) }, NOW), "48h", "due this minute is not overdue yet");
  assert.equal(state({ due: at(-1 / 60) }, NOW), "overdue");
  assert.equal(state({ due: at(30) }, NOW), "48h");
  assert.equal(state({ due: at(48) }, NOW), "48h");
  assert.equal(state({ due: at(49) }, NOW), "7d");
  assert.equal(state({ due: at(168) }, NOW), "7d");
  assert.equal(state({ due: at(169) }, NOW), "later");
  assert.equal(state({ due: "2026-01-10" }, NOW), "overdue", "eleven months past is overdue, not soon");
  assert.equal(state({ due: at(-3000), closed: { reason: "met" } }, NOW), "closed");
  assert.equal(state({ due: "not a date" }, NOW), null);
});

test("the filters are disjoint: each open deadline is in exactly one", () => {
  for (const hours of [-8000, -24, -0.5, 0, 1, 30, 47.9, 48, 48.5, 100, 168, 169, 2000]) {
    const deadline = { due: at(hours) };
    const hits = ["overdue", "48h", "7d"].filter((filter) => inFilter(deadline, filter, NOW));
    assert.ok(hits.length <= 1, `${hours} h is in ${hits}`);
    assert.equal(hits.length === 0, hours > 168);
  }
  assert.ok(!inFilter(null, "overdue", NOW));
  assert.ok(inFilter(null, "", NOW), "no filter keeps everything");
});

test("a date alone is due at the end of its day", () => {
  assert.equal(dueTime("2026-12-04"), new Date(2026, 11, 4, 23, 59).getTime());
  assert.equal(state({ due: "2026-12-04" }, NOW), "48h");
  assert.equal(state({ due: "2026-12-03" }, NOW), "overdue");
  assert.deepEqual(normalise({ label: "Audience", due: "2026-12-20" }, "old#0"),
    { id: "old#0", due: "2026-12-20T23:59", wholeDay: true, kind: "other", label: "Audience", source: "entered", basis: "" });
});

test("old shapes and the appeal field are read; closures close; the next one is the earliest open", () => {
  const suggested = newDeadline({ due: at(30), kind: "appeal", label: "Recours OQTF", source: "suggested", basis: "48 h from the notification" });
  assert.equal(suggested.basis, "48 h from the notification");
  assert.match(suggested.id, /^[A-Za-z0-9_-]{12}$/);
  const versions = [
    { id: "1:dev", time: NOW - 10 * HOUR, author: "a", body: { type: "intake", deadlines: [{ label: "JLD", due: "2026-11-01" }, suggested] } },
    { id: "2:dev", time: NOW - 5 * HOUR, author: "a", body: { type: "edit", deadlines: [], closed: [{ id: "1:dev#0", reason: "lapsed", at: NOW - HOUR }] } },
    { id: "3:dev", time: NOW - 4 * HOUR, author: "b", body: { type: "edit", closed: [{ id: "1:dev#0", reason: "met", at: NOW }, { id: "x", reason: "bogus" }] } },
  ];
  const deadlines = caseDeadlines(versions, { appeal_deadline: "2026-12-01" });
  assert.deepEqual(deadlines.map((d) => d.id), ["1:dev#0", "field:appeal_deadline", suggested.id]);
  assert.equal(deadlines[0].closed.reason, "lapsed", "the first closure stands");
  assert.equal(deadlines[1].kind, "appeal");
  assert.deepEqual(countByState(deadlines, NOW), { overdue: 1, "48h": 1, "7d": 0, later: 0 });
  const next = nextDeadline(deadlines);
  assert.equal(next.id, "field:appeal_deadline", "overdue first, the closed one left out");
  assert.equal(state(next, NOW), "overdue");
  assert.equal(nextDeadline(deadlines.filter((d) => d.id !== "field:appeal_deadline")).id, suggested.id);
});

test("lists sort overdue first, then the nearest; old summaries kept a date text", () => {
  const items = [
    { id: "none", lastActivity: 5 },
    { id: "later", nextDeadline: { id: "l", due: at(500) } },
    { id: "soon", nextDeadline: { id: "s", due: at(2) } },
    { id: "old", nextDeadline: "2026-01-10" },
    { id: "overdue", nextDeadline: { id: "o", due: at(-3) } },
    { id: "none-recent", lastActivity: 9 },
  ];
  assert.deepEqual(items.sort(byNextDeadline).map((i) => i.id), ["old", "overdue", "soon", "later", "none-recent", "none"]);
  assert.equal(state(summaryDeadline({ nextDeadline: "2026-01-10" }), NOW), "overdue");
  assert.equal(summaryDeadline({}), null);
});
