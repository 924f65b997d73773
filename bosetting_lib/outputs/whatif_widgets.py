"""The live what-if panel of notebook 03: sliders for the anchor model's settings (the request's weight in the base,
how much older years count, each criterion's strength), the total and the minimum, a picker for fixed numbers and
exceptions, and the new numbers with a chart of what changed.

All the work is done by :func:`bosetting_lib.steps.whatif.what_if` on the inputs read once (the anchor model runs
in a fraction of a second); this module only draws. :func:`what_if_view` and :func:`what_if_chart` need no widgets; ipywidgets is imported only when
the panel is built, in JupyterLab.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

from matplotlib.figure import Figure

from bosetting_lib.formatting import format_int
from bosetting_lib.outputs.html import Html, esc
from bosetting_lib.outputs.notebook_view import bullets, paragraph, table
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.whatif import STRENGTH_MAX, WhatIf, WhatIfBase, WhatIfError, describe_change, prepare_what_if, what_if

UP, DOWN = "#0b5394", "#b45f06"  # the report's accent colour for more, a warm contrast for fewer
CHART_BARS = 15
# Slider keys for the two model settings that are not criteria (criteria are keyed by their id).
_REQUEST, _RECENCY = "anmodet_vekt", "eldre_aar"
NO_FRONTEND = ("Hva om-panelet med glidebrytere vises når notatboken kjøres i JupyterLab (make lab). Her er "
               "notatboken kjørt av «bosetting kjor» uten skjerm, så panelet er ikke laget.")


def what_if_view(result: WhatIf) -> Html:
    """The what-if's model settings, notes and changed numbers as Norwegian tables (no widgets needed)."""
    settings = table(result.settings, {"navn": "Innstilling", "anbefaling": "I anbefalingen", "hva_om": "I hva om"},
                     percent={"anbefaling": 0, "hva_om": 0})
    changed = table(result.changed, {"kommunenummer": "Nr.", "kommune": "Kommune", "anbefaling": "Anbefaling",
                                     "hva_om": "Hva om", "forskjell": "Forskjell", "merknad": "Merknad"},
                    change=["forskjell"], empty="Ingen kommuner får et annet tall enn i anbefalingen.")
    n = len(result.changed)
    moved = ("ingen kommuner får et annet tall" if n == 0 else "én kommune får et annet tall" if n == 1
             else f"{format_int(n)} kommuner får et annet tall")
    summary = paragraph(f"Totaltall {format_int(result.total)}, minstetall {format_int(result.minimum)}; summen av "
                        f"hva om-tallene er {format_int(result.table['hva_om'].sum())}, og {moved}.")
    notes = bullets([describe_change(result), *result.notes])
    return Html(f"{summary}{notes}<h4>Modellens innstillinger</h4>{settings}<h4>Kommuner med endret tall</h4>{changed}")


def show_what_if(run: RunContext | WhatIfBase, **changes) -> Html:
    """:func:`what_if` shown as tables, or its refusal as a sentence (no traceback) when the changes cannot be done.

    For typing what-ifs in a notebook cell: ``show_what_if(run, justeringer={"Trondheim": 450})``.
    """
    try:
        return what_if_view(what_if(run, **changes))
    except WhatIfError as exc:
        return refusal(exc)


def refusal(exc: WhatIfError) -> Html:
    """A what-if's refusal in words."""
    return Html(f'<p style="color:#8b0000"><strong>Går ikke:</strong> {esc(exc)}</p>')


def what_if_chart(result: WhatIf, largest: int = CHART_BARS) -> bytes | None:
    """A PNG bar chart of the biggest changes per municipality, or None when nothing changed.

    Drawn without tight layout and with at most ``largest`` bars: text layout is what costs time in matplotlib,
    and the chart must redraw well under a second (all changes are in the table beside it).
    """
    changed = result.changed
    if changed.empty:
        return None
    order = changed["forskjell"].abs().sort_values(ascending=False, kind="stable").index[:largest]
    shown = changed.loc[order].sort_values("forskjell", kind="stable")
    values = shown["forskjell"].astype(int).tolist()
    fig = Figure(figsize=(7.0, 0.9 + 0.26 * len(shown)), dpi=72)
    fig.subplots_adjust(left=0.24, right=0.94, top=1 - 0.35 / (0.9 + 0.26 * len(shown)),
                        bottom=0.45 / (0.9 + 0.26 * len(shown)))
    ax = fig.add_subplot()
    bars = ax.barh(range(len(shown)), values, color=[UP if v > 0 else DOWN for v in values])
    ax.set_yticks(range(len(shown)), shown["kommune"].tolist())
    ax.bar_label(bars, labels=[("+" if v > 0 else "") + format_int(v) for v in values], padding=3, fontsize=8)
    ax.axvline(0, color="#1b1b1b", linewidth=0.8)
    ax.margins(x=0.18)
    ax.set_xlabel("Forskjell fra anbefalingen (personer)")
    ax.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


@dataclass
class WhatIfPanel:
    """The widgets of the what-if panel and the function that redraws it; ``box`` is what the notebook shows."""

    base: WhatIfBase
    box: object
    setting_sliders: dict
    total: object
    minimum: object
    fixed: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    output: object = None
    chart: object = None
    status: object = None
    fixed_list: object = None
    initial_settings: dict[str, float] = field(default_factory=dict)
    last_ms: float = 0.0
    table_ms: float = 0.0

    def arguments(self) -> dict:
        """The what-if's arguments from the widgets: only the settings moved away from where they started."""
        moved = {c: s.value for c, s in self.setting_sliders.items() if s.value != self.initial_settings[c]}
        strengths = {c: v for c, v in moved.items() if c in self.base.criterion_names}
        return {
            "styrker": strengths or None,
            "anmodet_vekt": moved.get(_REQUEST),
            "eldre_aar": moved.get(_RECENCY),
            "totalt": self.total.value,
            "minstetall": self.minimum.value,
            "justeringer": {code: n for code, (n, _) in self.fixed.items()},
            "unntak": {code: why for code, (_, why) in self.fixed.items() if why is not None},
        }

    def update(self, *_) -> WhatIf | None:
        """Run the what-if with the widgets' values and redraw; a refusal is shown in words, never a wrong table."""
        started = time.perf_counter()
        try:
            result = what_if(self.base, **self.arguments())
        except WhatIfError as exc:
            self.output.value = str(refusal(exc))
            self.chart.layout.display = "none"
            self.table_ms = (time.perf_counter() - started) * 1000
            result = None
        else:
            # The table goes to the screen first; the chart follows when drawn.
            self.output.value = str(what_if_view(result))
            self.table_ms = (time.perf_counter() - started) * 1000
            png = what_if_chart(result)
            self.chart.layout.display = "none" if png is None else ""
            if png is not None:
                self.chart.value = png
        self.fixed_list.value = str(self._fixed_html())
        self.last_ms = (time.perf_counter() - started) * 1000
        self.status.value = (f"<small>Oppdatert på {format_int(self.last_ms)} ms (tabellen på "
                             f"{format_int(self.table_ms)} ms).</small>")
        return result

    def _fixed_html(self) -> Html:
        items = [f"{self.base.municipality(code)}: {format_int(n)}" + (f" (unntak: {why})" if why else "")
                 for code, (n, why) in self.fixed.items()]
        return bullets(items, empty="Ingen faste tall i hva om (fylkets egne justeringer gjelder fortsatt).")


def build_what_if_panel(run: RunContext | WhatIfBase) -> WhatIfPanel:
    """Build the panel's widgets (needs ipywidgets, not a screen) and draw the official result once."""
    import ipywidgets as w  # deferred: ipywidgets only in JupyterLab

    base = run if isinstance(run, WhatIfBase) else prepare_what_if(run)
    params = base.params
    wide = {"description_width": "16rem"}
    row = w.Layout(width="36rem")
    settings = base.settings
    sliders = {
        _REQUEST: w.FloatSlider(value=settings.request_weight, min=0.0, max=1.0, step=0.05, readout_format=".0%",
                                description="Vekt på siste anmodning", continuous_update=False, style=wide, layout=row),
        _RECENCY: w.FloatSlider(value=settings.recency, min=0.0, max=1.0, step=0.05, readout_format=".0%",
                                description="Vekt på eldre år", continuous_update=False, style=wide, layout=row),
        **{t.id: w.FloatSlider(value=t.strength, min=0.0, max=STRENGTH_MAX, step=0.01, readout_format=".0%",
                               description=f"Styrke: {t.navn}", continuous_update=False, style=wide, layout=row)
           for t in settings.tilts},
    }
    total = w.IntSlider(value=params.totalt, min=0, max=max(2 * params.totalt, 10), step=1, description="Totaltall",
                        continuous_update=False, style=wide, layout=row)
    minimum = w.IntSlider(value=params.minstetall, min=0, max=max(30, params.minstetall), step=1,
                          description="Minstetall", continuous_update=False, style=wide, layout=row)
    official = base.official["anbefaling"]
    picker = w.Dropdown(options=[(base.municipality(c), c) for c in official.index], description="Kommune",
                        style=wide, layout=row)
    number = w.BoundedIntText(value=int(official.iloc[0]), min=0, max=10**6, description="Antall", style=wide,
                              layout=w.Layout(width="24rem"))
    exception = w.Checkbox(value=False, description="Unntak fra minstetallet", indent=False)
    reason = w.Text(placeholder="begrunnelse for unntaket", layout=w.Layout(width="24rem"))
    put, remove, reset = w.Button(description="Sett tallet"), w.Button(description="Fjern"), \
        w.Button(description="Tilbake til anbefalingen")
    panel = WhatIfPanel(base, None, sliders, total, minimum, output=w.HTML(), chart=w.Image(format="png"),
                        status=w.HTML(), fixed_list=w.HTML(),
                        initial_settings={c: s.value for c, s in sliders.items()})

    def pick(change) -> None:
        code = change["new"]
        n, why = panel.fixed.get(code, (int(official[code]), None))
        number.value, exception.value, reason.value = n, why is not None, why or ""

    def put_number(_) -> None:
        panel.fixed[picker.value] = (number.value, reason.value if exception.value else None)
        panel.update()

    def remove_number(_) -> None:
        panel.fixed.pop(picker.value, None)
        panel.update()

    def reset_all(_) -> None:
        panel.fixed.clear()
        for c, s in sliders.items():
            s.value = panel.initial_settings[c]
        total.value, minimum.value = params.totalt, params.minstetall
        panel.update()

    picker.observe(pick, names="value")
    put.on_click(put_number)
    remove.on_click(remove_number)
    reset.on_click(reset_all)
    for widget in (*sliders.values(), total, minimum):
        widget.observe(panel.update, names="value")
    panel.box = w.VBox([
        w.HTML("<h4>Modellens innstillinger, totaltall og minstetall</h4>"), *sliders.values(), total, minimum,
        w.HTML("<h4>Fast tall eller unntak for en kommune</h4>"), picker, number, w.HBox([exception, reason]),
        w.HBox([put, remove, reset]), panel.fixed_list, panel.status,
        w.VBox([w.HTML(f"<h4>De største endringene (høyst {CHART_BARS})</h4>"), panel.chart], layout=panel.chart.layout),
        panel.output,
    ])
    panel.update()
    return panel


def what_if_panel(run: RunContext, *, interaktiv: bool = True):
    """The panel to show in notebook 03; run without a screen (``interaktiv=False``) a short note instead, so the
    executed notebook holds no widget state."""
    if not interaktiv:
        return paragraph(NO_FRONTEND)
    return build_what_if_panel(run).box
