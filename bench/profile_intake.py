"""Profile one intake's save in Chromium (4x CPU slowdown) with the DevTools CPU profiler.

    .venv/bin/python bench/profile_intake.py    # writes bench-results/intake.cpuprofile, prints the top

The .cpuprofile file opens in Chromium's DevTools (Performance panel, "Load profile").
"""

import collections
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from bench.phone import CPU_SLOWDOWN, VOLUNTEER, phone_context  # noqa: E402
from bench.servers import demo_server  # noqa: E402
from bench.workload import NOTES  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.test_app import set_up_device  # noqa: E402


def self_times(profile: dict) -> list[tuple[float, str]]:
    """Milliseconds of self time per function, largest first."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    totals: collections.Counter[str] = collections.Counter()
    deltas = profile["timeDeltas"]
    for sample, delta in zip(profile["samples"][1:], deltas[1:]):
        frame = nodes[sample]["callFrame"]
        where = frame["url"].rsplit("/", 1)[-1]
        totals[f"{frame['functionName'] or '(anonymous)'} {where}:{frame['lineNumber'] + 1}"] += delta / 1000
    return sorted(((ms, name) for name, ms in totals.items()), reverse=True)


def main() -> None:
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as driver, \
            demo_server(Path(folder)) as server:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with phone_context(browser) as (_context, page):
            set_up_device(page, server, *VOLUNTEER)
            page.click("#new-intake")
            page.fill("#f-alias", "Personne profilée")
            page.fill("#f-notes", NOTES) if page.is_visible("#f-notes") else None
            cdp = page.context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 100})
            cdp.send("Profiler.start")
            page.click("#intake-save")
            expect(page.locator("#edit-case")).to_be_visible()
            profile = cdp.send("Profiler.stop")["profile"]
        browser.close()
    (out / "intake.cpuprofile").write_text(json.dumps(profile))
    for ms, name in self_times(profile)[:25]:
        print(f"{ms:8.1f} ms  {name}")


if __name__ == "__main__":
    main()
