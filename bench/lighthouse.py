"""Section 11: the first load of each page, judged by Lighthouse in its mobile profile.

Lighthouse (npm, pinned in bench/lighthouse/package-lock.json) is installed by this section with
``npm ci`` into ``bench/lighthouse/node_modules/`` (not committed), and drives Debian's Chromium
(``CHROME_PATH``, ``/usr/bin/chromium`` unless ``CARNET_CHROMIUM`` says otherwise). The server is
started as ``scripts/run.sh`` starts it (gunicorn, ``webapp/gunicorn_conf.py``, the demo
association); each page is loaded cold (Lighthouse clears the origin's storage first), with the
simulated slow 4G and 4x slower CPU of the mobile profile, in French. Lighthouse 13 declares
Node.js 22 or later; npm only warns under an older one, and it runs under Node.js 20 as well.

    .venv/bin/python -m bench.lighthouse            # prints the figures (no report written)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.figures import Results, goal_at_least
from tests.conftest import LiveServer, running_demo

LIGHTHOUSE = "11. First load (Lighthouse, mobile)"
HERE = Path(__file__).resolve().parent / "lighthouse"
CLI = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = os.environ.get("CARNET_CHROMIUM", "/usr/bin/chromium")
CATEGORIES = (("performance", "performance", 95), ("accessibility", "accessibility", 100),
              ("best-practices", "best practices", 100), ("seo", "SEO", 100))
# Lighthouse's audit ids of the main timings, with the unit they are reported in.
TIMINGS = (("first-contentful-paint", "FCP", "ms"), ("largest-contentful-paint", "LCP", "ms"),
           ("total-blocking-time", "TBT", "ms"), ("cumulative-layout-shift", "CLS", ""),
           ("interactive", "TTI", "ms"))
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking --lang=fr-FR --accept-lang=fr-FR,fr"


def install() -> None:
    """``npm ci`` from the lock file, once: the same Lighthouse on every machine."""
    if CLI.is_file():
        return
    if shutil.which("npm") is None:
        raise RuntimeError("Lighthouse needs Node.js's npm (it is installed from npm into bench/lighthouse/)")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)


def pages(server: LiveServer) -> dict[str, str]:
    """The four pages a person meets first; /enrol with a real enrolment link."""
    link = server.flask("invite", "lighthouse@demo.carnet.test", "--role", "volunteer", "--team", "Prisons")
    return {"/": server.url + "/", "/login": server.url + "/login", "/app": server.url + "/app",
            "/enrol": link.strip().splitlines()[0]}


def audit(url: str, work: Path, attempts: int = 3) -> dict:
    """One cold Lighthouse run of ``url``: its report as JSON. Lighthouse sometimes loses the trace
    of a load on a busy machine (NO_NAVSTART, NO_FCP): such a run is made again, twice at most."""
    report = work / "report.json"
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = ["node", str(CLI), url, "--quiet", "--output=json", f"--output-path={report}",
               "--only-categories=" + ",".join(key for key, _name, _goal in CATEGORIES),
               f"--chrome-flags={CHROME_FLAGS}", "--locale=en-US", "--no-enable-error-reporting"]
    for attempt in range(attempts):
        done = subprocess.run(command, env=env, timeout=300, capture_output=True, text=True)
        if done.returncode == 0:
            return json.loads(report.read_text())
        print(f"  Lighthouse failed on {url} (attempt {attempt + 1}): {done.stderr.strip()[-300:]}", flush=True)
    raise RuntimeError(f"Lighthouse failed {attempts} times on {url}")


def figures_of(report: dict) -> dict[str, float]:
    scores = {name: round(100 * report["categories"][key]["score"]) for key, name, _goal in CATEGORIES}
    timings = {label: report["audits"][key]["numericValue"] for key, label, _unit in TIMINGS
               if key in report["audits"] and report["audits"][key].get("numericValue") is not None}
    # What the load fetched: the first bound of a page on a slow network.
    fetched = {"requests": len(report["audits"]["network-requests"]["details"]["items"]),
               "transferred": report["audits"]["total-byte-weight"]["numericValue"] / 1000}
    return {**scores, **timings, **fetched}


def run_lighthouse(results: Results, work: Path, runs: int) -> None:
    install()
    folder = Path(tempfile.mkdtemp(prefix="lighthouse-", dir=work))
    with running_demo(folder) as server:
        measured: dict[str, list[dict[str, float]]] = {}
        for page, url in pages(server).items():
            measured[page] = [figures_of(audit(url, folder)) for _ in range(runs)]
    for page, reports in measured.items():
        for key, name, goal in CATEGORIES:
            results.add(LIGHTHOUSE, f"{page}: {name}", "score", [r[name] for r in reports], **goal_at_least(goal))
        for _key, label, unit in TIMINGS:
            values = [r[label] for r in reports if label in r]
            if values:
                results.add(LIGHTHOUSE, f"{page}: {label}", unit, values)
        results.add(LIGHTHOUSE, f"{page}: requests", "", [r["requests"] for r in reports])
        results.add(LIGHTHOUSE, f"{page}: transferred", "KB", [r["transferred"] for r in reports])
    results.read(LIGHTHOUSE, f"Lighthouse {lighthouse_version()}, mobile profile (simulated slow 4G, CPU slowed "
                             f"4x), Debian's Chromium, each page loaded cold; the median of {runs} run(s).")


def lighthouse_version() -> str:
    return json.loads((HERE / "node_modules" / "lighthouse" / "package.json").read_text())["version"]


if __name__ == "__main__":
    found = Results()
    with tempfile.TemporaryDirectory(prefix="carnet-lighthouse-") as work:
        run_lighthouse(found, Path(work), int(sys.argv[1]) if len(sys.argv) > 1 else 1)
