"""The course's website (ml_lifecycle.website): built by the real CLI from the shared fast run of the series, then
opened in headless Chromium over the DevTools protocol — every page loads without console errors, every image
loads, the navigation lists the stages in order, search finds a term and links to the lesson that teaches it —
and checked for broken internal links, network resources and leaked exercise solutions."""
import base64, functools, http.server, json, os, subprocess, sys, threading, time, urllib.request
from pathlib import Path
import pytest
from conftest import NBS

from chromium import CHROMIUM, Browser
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
