"The HTML report of stage 12: parses, embeds every figure, no empty section, offline; on a synthetic run folder."
import json
from html.parser import HTMLParser
from pathlib import Path
import pandas as pd
import pytest

from ml_lifecycle.report import build_report, check_report, demo_run, read_run, SECTIONS


class Collect(HTMLParser):
    "Sections (text + images) and every img src / external reference of a page."
    def __init__(self):
        super().__init__(); self.sections, self.imgs, self.external, self.cur = {}, [], [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section": self.cur = a["id"]; self.sections[self.cur] = ""
        if tag == "img":
            self.imgs.append(a.get("src", ""))
            if self.cur: self.sections[self.cur] += "[img]"
        if tag in ("script", "link", "iframe"): self.external.append(tag)
        if tag == "a" and not a.get("href", "#").startswith("#"): self.external.append(a.get("href"))
    def handle_endtag(self, tag):
        if tag == "section": self.cur = None
    def handle_data(self, d):
        if self.cur: self.sections[self.cur] += d


def parse(path):
    p = Collect(); p.feed(Path(path).read_text(encoding="utf-8")); return p


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_run(tmp_path_factory.mktemp("run") / "demo")


def full_run(rd: Path) -> Path:
    "Add the artefacts of the other stages to a demo run, so that no section has to say 'not available'."
    (rd / "lineage.json").write_text(json.dumps([{"source": "customers", "how": "customers.csv", "rows": 100, "sha256": "ab" * 32}]))
    pd.DataFrame({"column": ["age", "fee"], "missing_pct": [1.0, 0.5]}).to_csv(rd / "quality_report.csv", index=False)
    (rd / "splits.json").write_text(json.dumps({"how": "stratified", "sizes": {"train": 2000, "valid": 500, "test": 500}, "train": ["k1", "k2"]}))
    (rd / "eda_findings.md").write_text("# Findings\n- churn is higher on **monthly** contracts\n- `usage` drops before churn\n")
    (rd / "manifest.json").write_text(json.dumps({"parameters": {"data": "churn", "seed": 0}, "stages": [{"stage": "09_evaluation", "status": "ok", "duration_s": 12.0}]}))
    (rd / "model.skops").write_bytes(b"not a real model")
    (rd / "monitoring").mkdir(exist_ok=True); (rd / "monitoring" / "drift.csv").write_text("feature,psi\nage,0.01\n")
    return rd


def test_report_parses_and_embeds_every_figure(demo):
    out = build_report(demo)
    assert out == demo / "report.html" and out.exists()
    p = parse(out)
    assert [s for s, _, _ in SECTIONS] == list(p.sections), "one <section> per report part, in order"
    n_saved = len(list((demo / "figures").glob("*.png")))
    assert len(p.imgs) >= n_saved + 1, f"{len(p.imgs)} images for {n_saved} saved figures (+ the metrics figure)"
    assert all(s.startswith("data:image/png;base64,") and len(s) > 1000 for s in p.imgs), "every image is embedded as a data: URI"
    assert not p.external, f"the report must not load anything: {p.external}"
    empty = [k for k, v in p.sections.items() if len(v.strip()) < 20]
    assert not empty, f"empty sections: {empty}"
    assert check_report(out)["images"] == len(p.imgs)


def test_missing_artefacts_are_noted_not_fatal(demo):
    page = build_report(demo).read_text(encoding="utf-8")
    for missing in ("eda_findings.md", "quality_report.csv", "lineage.json", "model.skops"):
        assert f"Not available in this run: {missing}" in page
    card = (demo / "model_card.md").read_text()
    assert card.startswith("# Model card") and "95 % bootstrap intervals" in card and "not available in this run" in card


def test_full_run_has_no_missing_notes_but_monitoring(tmp_path):
    rd = full_run(demo_run(tmp_path / "full"))
    p = parse(build_report(rd))
    assert "Not available" not in "".join(v for k, v in p.sections.items() if k not in ("candidates", "model"))
    assert "churn is higher on monthly contracts" in p.sections["eda"]
    assert "k1" not in p.sections["data"], "row keys of the splits stay out of the report"
    assert "drift.csv" in p.sections["monitoring"]


def test_report_escapes_file_content(tmp_path):
    rd = demo_run(tmp_path / "esc")
    (rd / "eda_findings.md").write_text("- <script>alert(1)</script>\n")
    page = build_report(rd).read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_no_run_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build_report(tmp_path / "nope")


def test_empty_run_folder_still_reports(tmp_path):
    out = build_report(tmp_path)
    info = check_report(out)
    assert info["sections"] == len(SECTIONS) and info["images"] == 0
    page = out.read_text()
    for f in ("problem_spec.json", "metrics.json", "decision.json", "model.skops"):
        assert f in page
    assert read_run(tmp_path)["missing"][:2] == ["manifest.json", "problem_spec.json"]
