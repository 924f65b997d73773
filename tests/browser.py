"""Headless Chromium for the tests: axe-core on a page, print to PDF, screenshots; no driver library.

axe-core runs on a temporary copy of the page with axe.min.js and a small script inlined; the script writes axe's
result as JSON into the page, and ``chromium --dump-dom`` hands the page back. The shipped report stays script-free:
only the temporary copy gets the script. Installed by ``make browser`` (tools/install_browser_tools.sh).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools"
AXE = TOOLS / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"skjerm": (1366, 900), "mobil": (390, 844)}
MISSING = ("mangler – kjør «make browser» (installerer chromium og poppler-utils med apt og axe-core med npm i "
           "tools/node_modules)")

# Runs axe on the whole document and writes the outcome into <pre id="axe-resultat"> (escaped by textContent).
_RUNNER = """
<script>
(function () {
  function done(value) {
    var pre = document.createElement("pre");
    pre.id = "axe-resultat";
    pre.textContent = JSON.stringify(value);
    document.body.appendChild(pre);
  }
  axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
    done({violations: r.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(function (n) { return n.target.join(" "); })};
    })});
  }).catch(function (e) { done({error: String(e)}); });
})();
</script>
"""


def chromium() -> str | None:
    """The Chromium binary (``$CHROMIUM``, Debian's ``chromium`` or ``chromium-browser``), or None."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def base_command(binary: str, profile: Path, size: tuple[int, int]) -> list[str]:
    """Headless, offline, no user profile of its own, the given window size."""
    return [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"]


def _run(command: list[str], timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def axe_violations(page: Path, size: tuple[int, int]) -> list[dict]:
    """axe-core's violations for ``page`` at the window size: a list of {id, impact, help, nodes}."""
    binary = chromium()
    assert binary is not None and AXE.is_file(), MISSING
    source = page.read_text(encoding="utf-8")
    script = "<script>" + AXE.read_text(encoding="utf-8") + "</script>" + _RUNNER
    if "</body>" not in source:
        raise AssertionError(f"{page} has no </body>")
    instrumented = source.replace("</body>", script + "</body>", 1)
    with tempfile.TemporaryDirectory(prefix="axe-") as tmp:
        copy = Path(tmp) / page.name
        copy.write_text(instrumented, encoding="utf-8")
        done = _run(base_command(binary, Path(tmp) / "profil", size)
                    + ["--virtual-time-budget=60000", "--dump-dom", copy.resolve().as_uri()])
    match = re.search(r'<pre id="axe-resultat">(.*?)</pre>', done.stdout, re.DOTALL)
    assert match, f"axe-core gave no result for {page} (exit {done.returncode}): {done.stderr[-2000:]}"
    result = json.loads(html.unescape(match.group(1)))
    assert "error" not in result, f"axe-core failed on {page}: {result.get('error')}"
    return result["violations"]


def print_pdf(page: Path, pdf: Path) -> Path:
    """Print ``page`` to PDF as the browser's print dialog would (the page's @page rules decide size and margins)."""
    binary = chromium()
    assert binary is not None, MISSING
    with tempfile.TemporaryDirectory(prefix="pdf-") as tmp:
        done = _run(base_command(binary, Path(tmp) / "profil", VIEWPORTS["skjerm"])
                    + ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.resolve().as_uri()])
    assert pdf.is_file(), f"Chromium wrote no PDF (exit {done.returncode}): {done.stderr[-2000:]}"
    return pdf


def screenshot(page: Path, png: Path, size: tuple[int, int], full_height: int | None = None) -> Path:
    """A screenshot of the first screen (or ``full_height`` pixels of the page) at the window size."""
    binary = chromium()
    assert binary is not None, MISSING
    window = (size[0], full_height or size[1])
    with tempfile.TemporaryDirectory(prefix="skjerm-") as tmp:
        done = _run(base_command(binary, Path(tmp) / "profil", window) + [f"--screenshot={png}", page.resolve().as_uri()])
    assert png.is_file(), f"Chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    return png


def pdf_pages_text(pdf: Path) -> list[str]:
    """The text of each page of ``pdf`` (pdftotext; pages split at form feeds)."""
    assert shutil.which("pdftotext"), "pdftotext " + MISSING
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = done.stdout.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_info(pdf: Path) -> dict[str, str]:
    """pdfinfo's fields (Pages, Page size …)."""
    assert shutil.which("pdfinfo"), "pdfinfo " + MISSING
    done = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in done.stdout.splitlines()) if k}
