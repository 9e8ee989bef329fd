"""The static site, results/site/: built by a real run, complete, linked, deterministic,
and read by a real browser (headless Chromium, driven by Selenium)."""

import json
import os
import re
import shutil
import sys
import tempfile
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import repro
from reproductions import report, site, spec

REPO = Path(__file__).resolve().parents[1]
STEP_LOCAL = REPO / "tests" / "definitions" / "xor_2_2_1_tanh_step_local.toml"
EXAMPLES = ["xor_feature_cross", "or_batch", "mazur_backprop"]  # mazur_backprop: an outside source
OUTSIDE = ["mazur_backprop"]
IDS = sorted([*EXAMPLES, "xor_2_2_1_tanh_step_local"])
LISTED = [i for i in IDS if i not in OUTSIDE] + OUTSIDE  # the index: the seeds' examples first
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.xdist_group("site")  # one worker makes the run once for every test


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A results folder of a short real run: two catalogue examples (one with refuted
    claims) and one step-local definition, every framework; its site built by the run."""
    out = tmp_path_factory.mktemp("site") / "results"
    done = repro("check", *EXAMPLES, "--spec", str(STEP_LOCAL), "--steps", "3", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def summary(out: Path, example_id: str) -> dict:
    return json.loads((out / example_id / "summary.json").read_text())


class Page(HTMLParser):
    """A page's links (href, src), ids, tables (class, rows of cell texts) and images."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path, self.links, self.ids, self.images, self.tables = path, [], set(), [], []
        self._cell, self._text = None, []
        self.feed(path.read_text(encoding="utf-8"))
        self.text = " ".join("".join(self._text).split())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                self.links.append((tag, attrs[name]))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs)
        if tag == "table":
            self.tables.append({"class": attrs.get("class", ""), "rows": []})
        if tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table(self, name: str) -> list[list[str]]:
        """The body rows of the tables of class ``name``, in the page's order."""
        found = [t for t in self.tables if name in t["class"].split()]
        assert found, name
        return [row for t in found for row in t["rows"][1:]]

    def target(self, link: str) -> tuple[Path, str]:
        parts = urllib.parse.urlsplit(link)
        path = self.path if not parts.path else self.path.parent / urllib.parse.unquote(parts.path)
        return path, parts.fragment


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- what the site holds ---------------------------------------------------------------

def test_the_index_lists_every_example_as_index_md_does(results):
    page = Page(results / "site" / "index.html")
    rows = page.table("index")
    assert [row[0].split()[0] for row in rows] == LISTED
    links = {target for tag, target in page.links if tag == "a"}
    assert {f"{i}/index.html" for i in IDS} <= links
    by_id = {row[0].split()[0]: row for row in rows}
    for example_id in IDS:
        s, row = summary(results, example_id), by_id[example_id]
        source = report.results.Source(**s["source"])
        assert s["title"] in row[0] and source.text() in row[1] and s["source"]["section"] in row[1]
        assert row[2].startswith("passed")
        for p in s["parity"]:  # the worst difference per framework, and the share of the tolerance
            assert f"{p['framework']} {p['max_abs_diff']:.1e} ({p['tolerance_used']:.2%}" in row[3]
        for verdict, n in s["claim_counts"].items():
            assert f"{n} {verdict}" in row[4]
    step_local = summary(results, "xor_2_2_1_tanh_step_local")["parity"]
    assert len(step_local) >= 2 and all(p["mode"] == "step_local" for p in step_local)
    assert by_id["xor_2_2_1_tanh_step_local"][3].count("step-local") == len(step_local)
    assert "step-local" not in by_id["or_batch"][3]
    refuted = [c for c in summary(results, "or_batch")["claims"] if c["verdict"] == "refuted"]
    assert len(refuted) == 2
    for c in refuted:  # named on the index by quantity, element, step and what was printed
        assert (f"{c['quantity']}[{','.join(map(str, c['index']))}] step {c['step']} printed "
                f"{c['printed']}") in by_id["or_batch"][5]
    assert "2 refuted claims" in page.text
    # README.md is made from the same rows
    markdown = (results / "README.md").read_text()
    for row in report.summaries(results):
        line = next(line for line in markdown.splitlines() if line.startswith(f"| [{row.id}]("))
        assert row.parity_text() in line and row.claims_text() in line and row.status in line
        assert row.refuted_text() in line
    assert "step-local" in markdown and "squared_residual[0,1] step 1 printed 0.113689" in markdown


def test_the_index_keeps_the_seeds_apart_and_tallies_each_source(results):
    page = Page(results / "site" / "index.html")
    sections = re.findall(r'<section id="([^"]+)">(.*?)</section>',
                          (results / "site" / "index.html").read_text(), re.S)
    listed = {name: re.findall(r'<a href="([^"/]+)/index.html"><code>', html) for name, html in sections}
    assert listed["the-seed-documents"] == [i for i in LISTED if i not in OUTSIDE]
    assert listed["outside-sources"] == OUTSIDE
    tally = {row[0]: row for row in page.table("sources")}
    models = report.summaries(results)
    for r in models:
        row = tally[r.source.text()]
        members = [m for m in models if m.source.text() == r.source.text()]
        assert row[1] == ("outside" if r.source.outside else "seed") and r.id in row[2]
        assert int(row[3]) == sum(len(m.claims) for m in members)
        assert int(row[4]) == sum(m.claim_counts.get("confirmed", 0) for m in members)
    assert int(tally[summary_source(results, "mazur_backprop")][4]) > 0
    assert "## Outside sources" in (results / "README.md").read_text()


def summary_source(results, example_id: str) -> str:
    return report.results.Source(**summary(results, example_id)["source"]).text()


def atlas_rows(results) -> set[tuple[str, str, str]]:
    """(example, where, printed) of every erratum and refuted claim of the run."""
    return {(r.id, c.where, c.printed) for r in report.summaries(results) for c in r.claims
            if c.verdict in ("erratum", "erratum (typo)", "refuted")}


def test_the_errata_atlas_lists_every_erratum_and_refuted_claim_by_cause(results):
    page = Page(results / "site" / "errata.html")
    expected = atlas_rows(results)
    assert {r for r in expected if r[0] == "mazur_backprop"} and \
        {r for r in expected if r[0] == "or_batch"}  # an outside source's errata and a seed's
    rows = page.table("atlas")
    found = {(row[0], row[1].removeprefix(summary_source(results, row[0])).strip(), row[3])
             for row in rows}
    assert found == expected
    assert len(rows) == len(expected)
    titles = [t for t in report.results.ATLAS_GROUPS.values() if t in page.text]
    assert "Refuted: no cause found" in titles and "Stale printouts" in titles
    for tag, link in page.links:
        if tag == "a" and "#called-out" in link:
            path, fragment = page.target(link)
            assert fragment in Page(path).ids
    markdown = (results / "README.md").read_text()
    assert "## Errata atlas" in markdown and "### Stale printouts" in markdown
    for example_id, where, printed in expected:
        assert where.replace("|", "\\|") in markdown or where in markdown


def test_each_example_page_has_its_plots_tables_and_provenance(results):
    for example_id in IDS:
        s = summary(results, example_id)
        page = Page(results / "site" / example_id / "index.html")
        assert s["title"] in page.text and s["source"]["section"] in page.text
        plots = sorted(p.name for p in (results / example_id).glob("*.png"))
        assert plots and sorted(image["src"] for image in page.images) == plots
        for name in plots:  # copied into the site, byte for byte
            assert (results / "site" / example_id / name).read_bytes() == \
                (results / example_id / name).read_bytes()
        assert all(image.get("alt") for image in page.images)
        prov = s["provenance"]
        for fact in (*[f"{k} {v}" for k, v in prov["frameworks"].items()], prov["dtype"],
                     prov["platform"], prov["git_commit"], prov["date"]):
            assert fact in page.text, (example_id, fact)
        parity = page.table("quantities")
        assert len(parity) == sum(len(p["quantities"]) for p in s["parity"])
        assert {row[3] for row in parity} == {p["framework"] for p in s["parity"]} >= {"torch", "tensorflow"}
        assert [row[0] for row in page.table("frameworks")] == [p["framework"] for p in s["parity"]]
        if s["claims"]:
            claims = page.table("claims")
            assert len(claims) == len(s["claims"])
            verdicts = [row[8] for row in claims]
            assert sorted(verdicts, key=lambda v: v not in ("FAILED", "refuted")) == verdicts
        else:
            assert "prints no number" in page.text
    or_batch = Page(results / "site" / "or_batch" / "index.html")
    assert [row[8] for row in or_batch.table("claims")[:2]] == ["refuted", "refuted"]
    assert "Called out" in or_batch.text and "declares wrong, with no cause found" in or_batch.text
    step_local = Page(results / "site" / "xor_2_2_1_tanh_step_local" / "index.html")
    assert "drift.png" in {image["src"] for image in step_local.images}
    assert step_local.text.count("step-local") >= 2 and "free-running" in step_local.text


def test_every_link_and_source_resolves_from_disk(results):
    """Every href and src of every page, and of every page they embed or link, is a file
    (and an anchor names an element of its page); nothing is fetched from elsewhere."""
    pages = sorted((results / "site").rglob("*.html"))
    seen, checked = set(), 0
    while pages:
        path = pages.pop().resolve()
        if path in seen:
            continue
        seen.add(path)
        page = Page(path)
        for tag, link in page.links:
            assert not urllib.parse.urlsplit(link).scheme and not link.startswith("//"), (path, link)
            target, fragment = page.target(link)
            assert target.is_file(), (path, link)
            if fragment:
                assert fragment in Page(target).ids, (path, link)
            if target.suffix == ".html":
                pages.append(target)
            checked += 1
    assert checked > 10 * len(IDS)
    for example_id in IDS:  # the code view: the example's own code page, embedded in place
        page = Page(results / "site" / example_id / "index.html")
        (frame,) = [link for tag, link in page.links if tag == "iframe"]
        name = "translation.html" if (results / example_id / "translation.html").is_file() else "code.html"
        assert page.target(frame)[0].resolve() == (results / example_id / name).resolve()


def test_the_site_is_swapped_in_whole_and_leaves_nothing_behind(results):
    assert not list(results.glob(".staging-*"))
    assert not [p for p in (results / "site").rglob(".*")]  # no temporary file
    assert {p.name for p in (results / "site").iterdir()} == {"index.html", "errata.html", "style.css", *IDS}


def test_pages_are_escaped_not_concatenated(results, tmp_path):
    """A title or a claim's text that looks like HTML is shown as text (autoescape)."""
    out = tmp_path / "results"
    shutil.copytree(results / "or_batch", out / "or_batch")
    path = out / "or_batch" / "summary.json"
    s = json.loads(path.read_text())
    s["title"] = "<script>alert('title')</script> & <b>bold</b>"
    s["claims"][0]["explanation"] = "<img src=x onerror=alert(1)>"
    path.write_text(json.dumps(s))
    site.build(out)
    for page in (out / "site" / "index.html", out / "site" / "or_batch" / "index.html"):
        text = page.read_text()
        assert "<script>" not in text and "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; &amp;" in text
    assert "<img src=x" not in (out / "site" / "or_batch" / "index.html").read_text()


def test_the_code_view_is_the_translation_page_when_there_is_one(results, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(results / "or_batch", out / "or_batch")
    (out / "or_batch" / "translation.html").unlink(missing_ok=True)  # results made before it
    (out / "or_batch" / "code.html").write_text("<!doctype html><title>code</title>")
    site.build(out)
    assert ("iframe", "../../or_batch/code.html") in Page(out / "site" / "or_batch" / "index.html").links
    (out / "or_batch" / "translation.html").write_text("<!doctype html><title>t</title>")
    site.build(out)
    page = Page(out / "site" / "or_batch" / "index.html")
    assert ("iframe", "../../or_batch/translation.html") in page.links
    assert ("a", "../../or_batch/translation.html") in page.links


def test_a_run_that_stopped_with_an_error_has_a_page_saying_so(tmp_path):
    out = tmp_path / "results"
    example = spec.catalogue()["hours_studied"]
    report.write_crash(example, out, ["numpy"], "float64", 3, "the numpy implementation raised "
                       "RuntimeError at step 0: <broken>")
    site.build(out)
    page = Page(out / "site" / "hours_studied" / "index.html")
    assert "FAILED (error)" in page.text and "RuntimeError at step 0: <broken>" in page.text
    assert "No code page" in page.text and not page.images
    assert "FAILED (error)" in Page(out / "site" / "index.html").text
    for tag, link in page.links:
        assert page.target(link)[0].is_file(), link


# --- rebuilding ------------------------------------------------------------------------

def test_building_twice_gives_the_same_bytes(results, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(results, out, ignore=shutil.ignore_patterns("site"))
    before = snapshot(results / "site")
    done = repro("site", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert snapshot(out / "site") == before  # the run's site, and one rebuilt from its results
    index = (out / "README.md").read_bytes()
    done = repro("site", "--out", str(out))
    assert done.returncode == 0 and snapshot(out / "site") == before
    assert (out / "README.md").read_bytes() == index  # only the site is rebuilt
    assert not list(out.glob(".staging-*"))


def test_two_runs_give_the_same_site_apart_from_provenance(tmp_path):
    """Two runs of the same code: their sites differ only where the summaries' provenance
    (the date) is shown."""
    sites = []
    for name in ("first", "second"):
        out = tmp_path / name
        done = repro("check", "hours_studied", "jacobian_square", "--frameworks", "numpy", "--steps",
                     "3", "--jobs", "1", "--out", str(out))
        assert done.returncode == 0, done.stdout + done.stderr
        files = snapshot(out / "site")
        for s in report.summaries(out):
            files = {name: data.replace(s.provenance.date.encode(), b"<date>")
                     for name, data in files.items()}
        sites.append(files)
    assert sites[0] == sites[1]
    assert "hours_studied/cost.png" in sites[0]


def test_repro_site_refuses_a_folder_without_results(tmp_path):
    done = repro("site", "--out", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and done.stderr.strip() == \
        f"repro: results folder '{tmp_path / 'nowhere'}' does not exist"
    done = repro("site", "--out", str(tmp_path))
    assert done.returncode == 2 and "has no results (no */summary.json)" in done.stderr
    assert list(tmp_path.iterdir()) == []


# --- in a real browser -----------------------------------------------------------------

def browser_or_skip():
    """Selenium's Chrome driver on Debian's chromium. Without them the test is skipped,
    unless CI=true: CI installs them (.ci/run), so there a missing browser fails."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = (f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver; "
                  "pip install -e '.[test]')")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, and {reason}")
        pytest.skip(reason)


@pytest.fixture
def browser(tmp_path):
    browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1366,900", f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def code_columns(driver) -> list[str]:
    """The column headings of the code page embedded in an example page."""
    from selenium.webdriver.common.by import By

    driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe.code"))
    try:
        return [e.text.strip().lower() for e in driver.find_elements(By.CSS_SELECTOR, "th, h2, h3")
                if e.text.strip()]
    finally:
        driver.switch_to.default_content()


def test_a_browser_opens_the_site_from_disk_and_every_page_renders(results, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get((results / "site" / "index.html").as_uri())
    assert browser.title.startswith("Results")
    browser.save_screenshot(str(tmp_path / "index.png"))
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "table.index a")]
    assert [urllib.parse.unquote(h).split("/")[-2] for h in hrefs] == LISTED
    # the stylesheet applied: tables scroll in their box, the page itself never sideways
    assert browser.execute_script("return getComputedStyle(document.querySelector('.table-box'))"
                                  ".overflowX") == "auto"
    assert browser.execute_script("return document.documentElement.scrollWidth <= "
                                  "document.documentElement.clientWidth")
    for href in hrefs:
        assert href.startswith("file://")
        browser.get(href)
        example_id = urllib.parse.unquote(href).split("/")[-2]
        s = summary(results, example_id)
        assert example_id in browser.title
        images = browser.find_elements(By.TAG_NAME, "img")
        assert len(images) == len(list((results / example_id).glob("*.png"))) > 0
        for image in images:
            assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth",
                                          image) > 0, (example_id, image.get_attribute("src"))
        assert browser.find_elements(By.CSS_SELECTOR, "table.quantities tbody tr")
        if s["claims"]:
            rows = browser.find_elements(By.CSS_SELECTOR, "table.claims tbody tr")
            assert len(rows) == len(s["claims"])
        else:
            assert browser.find_element(By.ID, "claims").is_displayed()
        headings = code_columns(browser)
        for framework in ("numpy", "torch", "tensorflow"):  # NumPy, PyTorch, TensorFlow
            assert any(framework in h for h in headings), (example_id, framework, headings)
        assert browser.execute_script("return document.documentElement.scrollWidth <= "
                                      "document.documentElement.clientWidth"), example_id
        if example_id == "or_batch":
            browser.save_screenshot(str(tmp_path / "or_batch.png"))
    browser.get((results / "site" / "errata.html").as_uri())
    assert browser.title == "Results: the errata atlas"
    cells = browser.find_elements(By.CSS_SELECTOR, "table.atlas tbody tr")
    assert len(cells) == len(atlas_rows(results)) > 0
    assert browser.find_element(By.ID, "stale").is_displayed()
    assert browser.execute_script("return document.documentElement.scrollWidth <= "
                                  "document.documentElement.clientWidth")
    browser.save_screenshot(str(tmp_path / "errata.png"))
    assert (tmp_path / "index.png").stat().st_size > 0 and (tmp_path / "or_batch.png").stat().st_size > 0
    assert not (results / "site" / "screenshots").exists()


def test_a_missing_browser_skips_here_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium not installed"):
        browser_or_skip()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true, and .*no-chromium not installed"):
        browser_or_skip()
