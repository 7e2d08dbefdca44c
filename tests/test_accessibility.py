"""Readable by everyone: axe-core finds no serious or critical WCAG 2 A/AA violation on any page.

Every page of the built site is loaded in the offline headless Chromium of tests/_browser.py, once in
the theme's light mode and once in its dark mode, and axe-core runs in each with the WCAG 2 A and AA
rules. axe-core is installed by `make test` from the npm registry into .venv/axe and injected from
that file, never fetched here. A violation of impact serious or critical fails, listed per page with
the rule, the elements and, for contrast, the measured ratios and colours. Every violation of any
impact, and every check axe could not decide, goes to _build/accessibility/report.txt; screenshots of
a chapter with a model.summary() table in both modes to _build/accessibility/.

The output palette (_styles/course.css) is checked on its own as well: a sample of every colour it
restyles (those of Keras's model.summary() and the eight ANSI colours) is put into a real cell output
and must pass axe's contrast rule and stay distinguishable, in both modes, including the colours that
no page shows today.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from _browser import COLOR_MODES, VIEWPORT, Visit, browsing
from conftest import ROOT
from test_site import HTML, redirect_target, site_pages, soup

pytestmark = [pytest.mark.book, pytest.mark.xdist_group("book")]
AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}
FAILING = ("critical", "serious")
OUT = HTML.parent / "accessibility"
AUDIT_HEIGHT = 2400  # px: the sidebar lists every chapter and assignment
DISTINCT = 20  # the least CIE76 difference between two colours of the output palette

# Keras's summary colours (keras/src/utils/summary_utils.py: `None` color(45), numbers color(34), layer
# classes color(33), a frozen layer's "N" color(9)) as rich writes them into a notebook's HTML output.
SUMMARY_COLOURS = {"cyan": "#00d7ff", "green": "#00af00", "blue": "#0087ff", "red": "#ff0000"}
# myst-nb's ANSI lexer (myst_nb/core/lexers.py) names the eight standard colours as classes.
ANSI_COLOURS = ("Black", "Red", "Green", "Yellow", "Blue", "Magenta", "Cyan", "White")

AXE_RUN_JS = """
async ([options, context]) => {
  const result = await axe.run(context || document, options);
  const brief = rule => ({
    id: rule.id, impact: rule.impact, help: rule.help,
    nodes: rule.nodes.map(node => {
      const checks = [...node.any, ...node.all, ...node.none];
      const data = (checks.find(c => c.data && c.data.contrastRatio !== undefined) || {}).data;
      const why = checks.map(c => c.data && c.data.messageKey).find(Boolean) || null;
      return {
        target: node.target.flat(Infinity).join(" >>> "), impact: node.impact, why,
        contrast: data ? {ratio: data.contrastRatio, expected: data.expectedContrastRatio,
                          fg: data.fgColor, bg: data.bgColor} : null,
      };
    }),
  });
  return {
    version: axe.version,
    theme: document.documentElement.dataset.theme || null,
    background: getComputedStyle(document.body).backgroundColor,
    violations: result.violations.map(brief),
    incomplete: result.incomplete.map(brief),
    passes: result.passes.map(rule => rule.id),
  };
}
"""

# A cell output holding one span of every colour the course stylesheet restyles, inserted into the
# page's first real cell output (so it sits on the real output background), with the computed colours.
PALETTE_SAMPLE_JS = """
([summary, ansi]) => {
  const host = document.querySelector("div.cell_output");
  if (!host) return null;
  const sample = document.createElement("div");
  sample.id = "a11y-palette-sample";
  const style = "white-space:pre;overflow-x:auto;line-height:normal;" +
    "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace";
  const rich = Object.entries(summary).map(([name, hex]) =>
    `<span data-colour="summary ${name}" style="color: ${hex}; text-decoration-color: ${hex}">${name} 0123</span>` +
    ` <span data-colour="summary bold ${name}" style="color: ${hex}; text-decoration-color: ${hex}; font-weight: bold">${name} Y</span>`
  ).join("\\n");
  const fg = ansi.map(name =>
    `<span data-colour="ansi ${name}" class="-Color -Color-${name}">${name} 0123</span>` +
    ` <span data-colour="ansi bold ${name}" class="-Color -Color-Bold -Color-Bold-${name}">${name} bold</span>` +
    ` <span data-colour="ansi background ${name}" class="-Color -Color-BG${name}">on ${name}</span>`
  ).join("\\n");
  sample.innerHTML =
    `<div class="output text_html"><pre style="${style}">${rich}\\n</pre></div>` +
    `<div class="output stream highlight-myst-ansi notranslate"><div class="highlight"><pre>${fg}\\n</pre></div></div>`;
  host.appendChild(sample);
  const colours = {};
  for (const span of sample.querySelectorAll("[data-colour]")) {
    const css = getComputedStyle(span);
    colours[span.dataset.colour] = [css.color, css.backgroundColor];
  }
  return {
    colours,
    plain: [getComputedStyle(sample.querySelector("div.text_html pre")).color,
            getComputedStyle(sample.querySelector("div.highlight pre")).color],
  };
}
"""


def run_axe(page, context: dict | None = None) -> dict:
    """Inject the installed axe-core into `page` and run the WCAG 2 A/AA rules (within `context`).

    The window is made tall enough for the whole left sidebar (a scrolling box of its own): axe cannot
    measure the contrast of a link scrolled out of that box, and would leave it undecided."""
    page.set_viewport_size({"width": VIEWPORT["width"], "height": AUDIT_HEIGHT})
    page.wait_for_timeout(100)
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN_JS, [AXE_OPTIONS, context])


def rgb(css_colour: str) -> tuple[int, int, int]:
    """(r, g, b) of a computed CSS colour, "rgb(0, 103, 110)"."""
    return tuple(int(channel) for channel in re.findall(r"\d+", css_colour)[:3])


def delta_e(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """CIE76 colour difference of two sRGB colours (about 2 is just noticeable; 20 is plainly another colour)."""
    def lab(colour):
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in colour)]
        xyz = [sum(w * c for w, c in zip(row, linear)) / white for row, white in (
            ((0.4124, 0.3576, 0.1805), 0.95047), ((0.2126, 0.7152, 0.0722), 1.0), ((0.0193, 0.1192, 0.9505), 1.08883))]
        fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz)
        return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)

    return sum((p - q) ** 2 for p, q in zip(lab(a), lab(b))) ** 0.5


def audited_pages() -> list[str]:
    """Every page of the site but a meta-refresh one (index.html shows nothing; its target is audited)."""
    return [page for page in site_pages() if not redirect_target(page)]


def summary_page() -> str:
    """The first chapter that shows a model.summary() table (its screenshots and the palette sample)."""
    pages = [page for page in audited_pages() if page.startswith("chapters/")
             and any("Layer (type)" in pre.get_text() for pre in soup(page).select("div.cell_output pre"))]
    assert pages, "no chapter shows a model.summary() table: is the check looking at the right pages?"
    return pages[0]


@pytest.fixture(scope="module")
def built(book_build) -> None:
    code, log = book_build
    assert code == 0, f"make book failed:\n{log[-4000:]}"


@pytest.fixture(scope="module")
def browser(built):
    assert AXE.is_file(), f"{AXE} is missing: `make test` installs axe-core from the npm registry"
    with browsing(HTML) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def audits(browser) -> dict[tuple[str, str], Visit]:
    """axe's findings on every page, in each colour mode: {(page, mode): visit}."""
    OUT.mkdir(parents=True, exist_ok=True)
    shots = {(summary_page(), mode): OUT / f"summary-{mode}.png" for mode in COLOR_MODES}
    for shot in shots.values():
        shot.unlink(missing_ok=True)
    result = {(page, mode): browser.visit(page, color_mode=mode, inspect=run_axe, screenshot=shots.get((page, mode)))
              for mode in COLOR_MODES for page in audited_pages()}
    (OUT / "report.txt").write_text(report(result))
    return result


def report(audits: dict[tuple[str, str], Visit]) -> str:
    """Every violation of any impact and every undecided check, per page and mode."""
    lines = []
    for (page, mode), visit in audits.items():
        found = visit.inspection or {}
        lines.append(f"{page} ({mode}): {len(found.get('passes', []))} rules pass"
                     + (f"; {visit.load_error}" if visit.load_error else ""))
        for kind in ("violations", "incomplete"):
            for rule in found.get(kind, []):
                lines.append(f"  {kind[:-1] if kind == 'violations' else 'undecided'}: {rule['id']} "
                             f"({rule['impact']}) on {len(rule['nodes'])}: {describe(rule)}")
    return "\n".join(lines) + "\n"


def describe(rule: dict, examples: int = 3) -> str:
    """What to fix: for contrast each measured (ratio, colours) with a count, else the first elements."""
    nodes = rule["nodes"]
    measured = [n for n in nodes if n["contrast"] and n["contrast"]["ratio"]]
    contrasts = Counter((n["contrast"]["ratio"], n["contrast"]["expected"], n["contrast"]["fg"], n["contrast"]["bg"])
                        for n in measured)
    parts = [f"{ratio}:1 where {expected} is needed ({fg} on {bg}) x{count}"
             for (ratio, expected, fg, bg), count in sorted(contrasts.items(), key=lambda item: item[0][0])]
    reasons = Counter(n["why"] for n in nodes if n["why"] and n not in measured)
    parts += [f"{why} x{count}" for why, count in reasons.items()]
    parts.append("e.g. " + "; ".join(n["target"] for n in nodes[:examples]))
    return rule["help"] + ": " + ", ".join(parts)


def test_axe_ran_on_every_page_in_both_modes(audits):
    """Every page was loaded and audited, by the installed axe, in the mode asked for."""
    installed = json.loads((AXE.parent / "package.json").read_text())["version"]
    assert set(audits) == {(page, mode) for page in audited_pages() for mode in COLOR_MODES}
    assert len(audited_pages()) > 20, f"only {audited_pages()}: is the site built?"
    problems = []
    for (page, mode), visit in audits.items():
        found = visit.inspection
        if visit.load_error or not found:
            problems.append(f"{page} ({mode}): not audited: {visit.load_error or 'axe returned nothing'}")
            continue
        if found["version"] != installed:
            problems.append(f"{page} ({mode}): axe {found['version']} ran, {installed} is installed")
        channels = rgb(found["background"])
        if found["theme"] != mode or (max(channels) > 80 if mode == "dark" else min(channels) < 200):
            problems.append(f"{page} ({mode}): the page is in {found['theme']!r} mode on {found['background']}")
        checked = set(found["passes"]) | {rule["id"] for rule in found["violations"] + found["incomplete"]}
        if "color-contrast" not in checked or len(found["passes"]) < 10:
            problems.append(f"{page} ({mode}): axe checked too little ({sorted(checked)})")
    assert not problems, "\n".join(problems)


def test_no_serious_or_critical_violation_on_any_page(audits):
    failures = []
    for (page, mode), visit in audits.items():
        rules = [rule for rule in (visit.inspection or {}).get("violations", []) if rule["impact"] in FAILING]
        if rules:
            failures.append(f"{page} ({mode} mode):")
            failures += [f"  {rule['id']} ({rule['impact']}) on {len(rule['nodes'])} element(s): {describe(rule)}"
                         for rule in rules]
    assert not failures, (
        "axe-core (WCAG 2 A/AA) finds serious or critical violations; all findings in "
        f"{OUT / 'report.txt'}:\n" + "\n".join(failures))


@pytest.mark.parametrize("mode", COLOR_MODES)
def test_output_palette_is_readable_and_distinct(browser, mode):
    """Every colour the course stylesheet gives cell output reads at WCAG AA and differs from the others."""
    page = summary_page()
    sample = {}

    def inspect(tab):
        sample.update(tab.evaluate(PALETTE_SAMPLE_JS, [SUMMARY_COLOURS, list(ANSI_COLOURS)]) or {})
        return run_axe(tab, {"include": ["#a11y-palette-sample"]})

    visit = browser.visit(page, color_mode=mode, inspect=inspect)
    assert not visit.load_error and visit.inspection, f"{page} ({mode}): {visit.load_error}"
    assert sample, f"{page} has no cell output to put the sample in"
    assert visit.inspection["theme"] == mode
    failures = [f"{rule['id']} ({rule['impact']}): {describe(rule, examples=20)}"
                for rule in visit.inspection["violations"]]
    assert not failures, f"the output palette in {mode} mode:\n" + "\n".join(failures)
    assert "color-contrast" in visit.inspection["passes"], "axe did not check the sample's contrast"
    colours = sample["colours"]
    foregrounds = {name: rgb(fg) for name, (fg, _) in colours.items() if "background" not in name and "bold" not in name}
    close = [f"{a} and {b} ({delta_e(foregrounds[a], foregrounds[b]):.0f})"
             for a in foregrounds for b in foregrounds if a < b and a.split()[0] == b.split()[0]
             and delta_e(foregrounds[a], foregrounds[b]) < DISTINCT]
    assert not close, f"{mode} mode: colours too close to tell apart (CIE76 delta E < {DISTINCT}): {close}"
    plain = [f"{name} ({delta_e(fg, rgb(text)):.0f})" for name, fg in foregrounds.items() for text in sample["plain"]
             if delta_e(fg, rgb(text)) < DISTINCT and not name.endswith(("Black", "White"))]
    assert not plain, f"{mode} mode: coloured output too close to the plain text colour: {plain}"
    for name, hex_colour in SUMMARY_COLOURS.items():
        original = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        assert foregrounds[f"summary {name}"] != original, f"{mode} mode: Keras's {name} {hex_colour} is not restyled"
