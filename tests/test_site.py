"""The course's website (ml_lifecycle.website): built by the real CLI from the shared fast run of the series, then
opened in headless Chromium over the DevTools protocol — every page loads without console errors, every image
loads, the navigation lists the stages in order, search finds a term and links to the lesson that teaches it —
and checked for broken internal links, network resources and leaked exercise solutions."""
import base64, functools, http.server, json, os, subprocess, sys, threading, time, urllib.request
from pathlib import Path
import pytest
from conftest import NBS

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome") if os.path.exists(p)), None)
pytest.importorskip("sphinx", reason="the docs extra (pip install -e '.[docs]') builds the site")
pytest.importorskip("myst_nb", reason="the docs extra (pip install -e '.[docs]') builds the site")

@pytest.fixture(scope="module")
def site(fast_run, tmp_path_factory):
    "The site built by `ml-lifecycle site --run <the shared fast run> --no-execute` (topics and projects unexecuted: saves ~2.5 min)."
    assert fast_run.returncode == 0, fast_run.stdout[-2000:] + fast_run.stderr[-3000:]
    out = tmp_path_factory.mktemp("site") / "site"
    t0 = time.time()
    exe = Path(sys.executable).parent / "ml-lifecycle"
    r = subprocess.run([str(exe), "site", "--run", str(fast_run.run_dir), "--out", str(out), "--no-execute"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    print(f"site built in {time.time() - t0:.0f} s")
    return out

def test_site_layout_and_pages(site):
    from ml_lifecycle.website import site_layout
    lay = site_layout(NBS)
    for k in ("stages", "topics", "projects", "reference"):
        assert lay[k], k
        for p in lay[k]: assert (site / k / f"{p.stem}.html").exists(), p
    for f in ("index.html", "search.html", "searchindex.js", "report.html", "run-report.html", "run-it-yourself.html", "reference/index.html"):
        assert (site / f).exists(), f
    assert len(lay["stages"]) >= 12 and [p.name[:2] for p in lay["stages"]] == sorted(p.name[:2] for p in lay["stages"])
    # topics and projects were not executed for this build: their pages say so
    assert "without its outputs" in (site / "topics" / f"{lay['topics'][0].stem}.html").read_text()

def test_no_broken_links_no_network(site):
    from ml_lifecycle.website import check_links, external_resources
    assert check_links(site) == []
    assert external_resources(site) == []  # no CDN fonts, scripts or styles: the site works offline

def test_exercises_show_prompt_and_hints_not_solutions(site, fast_run):
    "A lesson page shows each exercise's prompt, its hints folded away and how to get the solution; no solution's code."
    from ml_lifecycle.website import exercise_calls, leaked_solutions
    nb = json.loads((Path(fast_run.run_dir) / "notebooks" / "03_data_cleaning.ipynb").read_text())
    exs = [e for c in nb["cells"] if c["cell_type"] == "code" for e in exercise_calls("".join(c["source"]))]
    assert len(exs) >= 2
    page = (site / "stages" / "03_data_cleaning.html").read_text()
    assert "Exercise 1" in page and page.count('class="exercise-hints"') == len(exs)
    for e in exs: assert f"{e['var']}.solution()" in page and e["solution"]
    assert leaked_solutions([e["solution"] for e in exs], site) == []
    assert "Exercise(" not in page  # the checker cells' code is removed, not folded

def test_reference_shows_signatures_and_parameter_tables(site):
    page = (site / "reference" / "96_exercises.html").read_text()
    assert "Exercise" in page and "relative tolerance (share of the expected value)" in page  # a docment of close(rel=...)
    assert page.count("<table") >= 3 and "Default" in page and "Details" in page

@pytest.fixture(scope="module")
def http_site(site):
    "The site over HTTP on 127.0.0.1 (a thread; stopped after the tests)."
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    handler = functools.partial(Quiet, directory=str(site))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    th = threading.Thread(target=srv.serve_forever, daemon=True); th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown(); srv.server_close()

class Browser:
    "Headless Chromium driven over the DevTools protocol: navigate, evaluate, collect console errors, screenshot."
    def __init__(self, profile: Path):
        import websocket
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-port=0",
                 "--window-size=1280,900", "about:blank"]
        self.proc = subprocess.Popen([CHROMIUM, *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        for _ in range(150):
            if port_file.exists() and port_file.read_text().strip(): break
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        pages = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        self.ws = websocket.create_connection(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.n, self.events = 0, []
        for d in ("Page", "Runtime", "Log"): self.call(f"{d}.enable")
    def _recv(self):
        msg = json.loads(self.ws.recv())
        if "method" in msg: self.events.append(msg)
        return msg
    def call(self, method, **params):
        self.n += 1; self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = self._recv()
            if msg.get("id") == self.n:
                if "error" in msg: raise RuntimeError(msg["error"])
                return msg["result"]
    def js(self, expr):
        return self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)["result"].get("value")
    def goto(self, url, timeout=30):
        "Navigate and wait for the load event; return the console errors and exceptions this page raised."
        self.events.clear()
        self.call("Page.navigate", url=url)
        t0 = time.time()
        while not any(e["method"] == "Page.loadEventFired" for e in self.events):
            if time.time() - t0 > timeout: raise TimeoutError(url)
            self._recv()
        time.sleep(0.3); self.js("1")  # let late scripts (search, MathJax) report
        return self.errors()
    def errors(self):
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown": out.append(p["exceptionDetails"].get("exception", {}).get("description") or p["exceptionDetails"].get("text"))
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"): out.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error": out.append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out
    def screenshot(self, path: Path):
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
    def close(self):
        try: self.ws.close()
        finally: self.proc.terminate(); self.proc.wait(20)

@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_site_in_headless_chromium(site, http_site, tmp_path):
    pytest.importorskip("websocket", reason="websocket-client is needed to drive Chromium over the DevTools protocol")
    from ml_lifecycle.website import site_layout, site_pages
    stages = site_layout(NBS)["stages"]
    pages = [p.relative_to(site).as_posix() for p in site_pages(site)]
    out_dir = Path(os.environ.get("ML_LIFECYCLE_SCREENSHOTS", tmp_path)); out_dir.mkdir(parents=True, exist_ok=True)
    b = Browser(tmp_path / "chrome-profile")
    try:
        problems = {}
        for rel in pages:
            errs = b.goto(f"{http_site}/{rel}")
            broken = b.js("Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
            if errs or broken: problems[rel] = dict(console=errs, images=broken)
            if rel == "index.html":
                nav = b.js("""(() => { const cap = Array.from(document.querySelectorAll('.bd-sidebar p.caption'))
                                 .find(p => p.textContent.trim() === 'The lifecycle');
                               if (!cap) return null; let ul = cap.nextElementSibling;
                               return Array.from(ul.querySelectorAll(':scope > li > a')).map(a => a.getAttribute('href')); })()""")
                n_img = b.js("document.querySelectorAll('img').length")
                b.screenshot(out_dir / "site_front_page.png")
            if rel == "stages/04_eda.html":  # a lesson, scrolled to its first figure
                b.js("(() => { const i = document.querySelector('main img'); if (i) i.scrollIntoView({block: 'center'}); })()")
                time.sleep(0.3); b.screenshot(out_dir / "site_lesson.png")
        assert problems == {}, json.dumps(problems, indent=1)[:4000]
        assert nav == [f"stages/{p.stem}.html" for p in stages], nav
        assert n_img >= 1  # the lifecycle map on the front page
        # search: the lesson that names a term most often is among the results and links to its page
        term = "SMOTE"
        counts = {p.stem: sum("".join(c["source"]).count(term) for c in json.loads(p.read_text())["cells"] if c["cell_type"] == "markdown") for p in stages}
        teacher = max(counts, key=counts.get)
        assert counts[teacher] > 0
        errs = b.goto(f"{http_site}/search.html?q={term}")
        for _ in range(100):
            hits = b.js("Array.from(document.querySelectorAll('#search-results li a')).map(a => a.getAttribute('href'))")
            if hits: break
            time.sleep(0.1)
        assert errs == [] and hits, (errs, hits)
        assert any(h.split("?")[0].split("#")[0] == f"stages/{teacher}.html" for h in hits), hits
        target = next(h for h in hits if h.startswith(f"stages/{teacher}.html"))
        assert b.goto(f"{http_site}/{target}") == [] and term in b.js("document.body.innerText")
    finally:
        b.close()
    for f in ("site_front_page.png", "site_lesson.png"):
        assert (out_dir / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
