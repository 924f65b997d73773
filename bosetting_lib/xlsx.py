"""Save openpyxl workbooks byte-identically: fixed document times and fixed zip entry times."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.xml.functions import tostring

FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def keep_text_as_text(workbook: Workbook) -> int:
    """Store every text cell as text, so no text the project writes can become a live formula; return how many.

    openpyxl turns any str starting with "=" into a formula when it is assigned (a reason like "=SUM(A1:A9)" or
    "=HYPERLINK(…)" typed by a municipality would then run in the analyst's Excel). Marking the cell as a string
    keeps the visible text exactly as written. Text starting with "+", "-" or "@" is already stored as text by
    openpyxl; Excel evaluates those only when typed, not when read from a file. The project writes no formulas
    of its own, so every workbook it saves goes through here.
    """
    changed = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" and isinstance(cell.value, str):
                    cell.data_type = "s"
                    changed += 1
    return changed


def save_workbook(workbook: Workbook, path: Path, *, timestamp: dt.datetime = FIXED_TIME,
                  author: str | None = "bosetting") -> Path:
    """Write the workbook so that the same content always gives the same bytes (and no text becomes a formula).

    The document's created and modified times are ``timestamp`` and every zip entry gets one fixed time. ``author``
    is written as creator and last modifier; ``None`` leaves openpyxl's own (the feedback forms, whose bundled
    examples must regenerate byte for byte). The file is written beside its target and then moved into place.
    """
    keep_text_as_text(workbook)
    workbook.properties.created = timestamp
    workbook.properties.modified = timestamp
    if author is not None:
        workbook.properties.creator = author
        workbook.properties.lastModifiedBy = author
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl sets "modified" to the clock while saving; put the fixed time back into docProps/core.xml.
    workbook.properties.modified = timestamp
    core = tostring(workbook.properties.to_tree())
    buffer.seek(0)
    out = io.BytesIO()
    # openpyxl stamps every zip entry with the current time; rewrite them with a fixed one.
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            data = core if info.filename == "docProps/core.xml" else source.read(info.filename)
            target.writestr(fixed, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(out.getvalue())
    tmp.replace(path)
    return path
