"""Build time and size of the course's website (ml_lifecycle.website).

    python bench/site.py [--run RUN_DIR] [--execute] [--repeat 1]

Builds the site from RUN_DIR (default: a fresh fast run of the series, which is timed apart and not counted in the
build) and times its phases: laying out the sources (which runs the front page, and with --execute the topics and
projects, through papermill) and the Sphinx build. Then measures the site: total size, size per part (pages by
section, images, the theme's static files, MathJax, search index), number of pages and images. The machine's load
average is recorded: on a shared machine absolute times move, compare figures taken in one run. Prints a table,
writes bench/results/site.json.
"""
import argparse, json, os, platform, shutil, sys, tempfile, time
from pathlib import Path

def du(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() else (p.stat().st_size if p.exists() else 0)

def build_once(run_dir, execute):
    from ml_lifecycle.website import write_sources, sphinx_build, check_links, site_pages
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter(); info = write_sources(tmp / "src", run_dir, execute=execute, log=lambda *a: None)
        t1 = time.perf_counter(); html = sphinx_build(tmp / "src", tmp / "html")
        t2 = time.perf_counter()
        sizes = {k: du(html / k) for k in ("stages", "topics", "projects", "reference", "_images", "_static")}
        sizes["_static/mathjax"] = du(html / "_static" / "mathjax")
        sizes["searchindex.js"] = du(html / "searchindex.js")
        sizes["run-report.html"] = du(html / "run-report.html")
        pages = site_pages(html)
        return dict(sources_s=round(t1 - t0, 2), sphinx_s=round(t2 - t1, 2), total_s=round(t2 - t0, 2),
                    site_bytes=du(html), part_bytes=sizes, pages=len(pages), images=len(list((html / "_images").glob("*"))),
                    broken_links=len(check_links(html)), notebook_pages={k: len(v) for k, v in info["pages"].items()})

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default=None, help="an executed run folder (default: a fresh fast run on the built-in data)")
    ap.add_argument("--execute", action="store_true", help="also run the topics and projects (as `ml-lifecycle site` does by default)")
    ap.add_argument("--repeat", type=int, default=1, help="builds to time (the median is reported)")
    a = ap.parse_args(argv)
    out = dict(python=platform.python_version(), cpus=os.cpu_count(), load_before=os.getloadavg(), execute=a.execute)
    tmp_run = None
    if a.run is None:
        from ml_lifecycle.runner import run_series
        tmp_run = Path(tempfile.mkdtemp(prefix="bench-site-run-")) / "run"
        t0 = time.perf_counter(); run_series(fast=True, run_dir=tmp_run, log=lambda *x: None)
        out["fast_run_s"] = round(time.perf_counter() - t0, 1)
        a.run = tmp_run
    try:
        builds = [build_once(Path(a.run), a.execute) for _ in range(a.repeat)]
    finally:
        if tmp_run: shutil.rmtree(tmp_run.parent, ignore_errors=True)
    builds.sort(key=lambda b: b["total_s"])
    out.update(builds[len(builds) // 2], all_totals_s=[b["total_s"] for b in builds], load_after=os.getloadavg())
    import sphinx, myst_nb, sphinx_book_theme
    out["versions"] = dict(sphinx=sphinx.__version__, myst_nb=myst_nb.__version__, sphinx_book_theme=sphinx_book_theme.__version__)
    mb = lambda b: f"{b / 1e6:.1f} MB"
    print(f"site build ({'with' if a.execute else 'without'} running topics/projects), load {out['load_before'][0]:.1f}:")
    print(f"  sources {out['sources_s']:.1f} s + sphinx {out['sphinx_s']:.1f} s = {out['total_s']:.1f} s")
    print(f"  {out['pages']} pages, {out['images']} images, {mb(out['site_bytes'])} in all; broken links: {out['broken_links']}")
    for k, v in out["part_bytes"].items(): print(f"    {k:<18} {mb(v)}")
    res = Path(__file__).resolve().parent / "results"; res.mkdir(exist_ok=True)
    (res / "site.json").write_text(json.dumps(out, indent=1))
    print(f"wrote {res / 'site.json'}")

if __name__ == "__main__":
    main()
