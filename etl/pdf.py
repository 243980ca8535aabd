"""The review report as PDF: WeasyPrint lays out the report's own HTML with its print stylesheet.

The PDF is what printing the HTML report gives, as a file to attach to an email. WeasyPrint needs
the Pango text-layout library from the operating system; where it is missing, `unavailable()` says
why and the HTML report stands alone.

Laying out a report takes a few seconds of CPU, so `write_pdfs` lays out one language in a child
process (`python -m etl.pdf SOURCE TARGET`) while this process does the other.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def unavailable() -> str | None:
    """Why no PDF can be made here, or None when it can."""
    try:
        import weasyprint  # noqa: F401  (imported for its side effect: loading Pango)
    except (ImportError, OSError) as error:
        return f"WeasyPrint cannot run here ({error.__class__.__name__}: {error})"
    return None


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML
    return HTML(string=html, base_url=str(PROJECT_ROOT)).write_pdf()


def write_pdf(source: Path, target: Path) -> Path:
    """source (an HTML file) laid out as target, written whole or not at all."""
    staging = target.with_name(f".{target.name}.tmp")
    staging.write_bytes(pdf_from_html(source.read_text(encoding="utf-8")))
    staging.replace(target)
    return target


def write_pdfs(pairs: list[tuple[Path, Path]]) -> list[Path]:
    """Each (HTML source, PDF target), all but the last laid out in child processes meanwhile.

    A target that cannot be written keeps its previous file; the error names every such target.
    """
    children = [(subprocess.Popen([sys.executable, "-m", "etl.pdf", str(source), str(target)], cwd=PROJECT_ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True), target)
                for source, target in pairs[:-1]]
    own_failure = None
    if pairs:
        try:
            write_pdf(*pairs[-1])
        except Exception as error:  # reported with the children's, once they have finished
            own_failure = f"{pairs[-1][1]}: {error}"
    failures = []
    for child, target in children:
        _, errors = child.communicate()
        if child.returncode != 0:
            lines = errors.strip().splitlines()
            failures.append(f"{target}: {lines[-1] if lines else child.returncode}")
    failures += [own_failure] if own_failure else []
    if failures:
        raise RuntimeError("Could not write " + "; ".join(failures))
    return [target for _, target in pairs]


if __name__ == "__main__":
    write_pdf(Path(sys.argv[1]), Path(sys.argv[2]))
