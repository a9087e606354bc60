"""The report folder: a self-contained HTML page, its Markdown twin, tables and figures.

Layout written by :meth:`Report.write`::

    DIR/index.html          self-contained (figures embedded as PNG data URIs)
    DIR/report.md           the same content in Markdown, figures linked
    DIR/tables/NAME.{csv,tex,md,html}
    DIR/figures/NAME.{png,svg}
    DIR/provenance.json     package version, plan hash, data hashes, creation time
    DIR/manifest.json       written last: every file of the folder with its SHA-256

The folder is built in a hidden sibling folder and appears only by a final rename
(:func:`kaizen_eval._atomic.atomic_folder`): a report that failed or was killed half-way never
exists under the target name, and an existing report is replaced only when asked
(``overwrite=True``; ``--force`` on the command line). :func:`verify_report` checks that a
folder is a complete report (its ``manifest.json`` matches every file).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from kaizen_eval import _render
from kaizen_eval._atomic import atomic_folder
from kaizen_eval._validation import KaizenError
from kaizen_eval._version import __version__
from kaizen_eval.report._frames import frame_table
from kaizen_eval.report._manifest import MANIFEST as MANIFEST
from kaizen_eval.report._manifest import IncompleteReportError as IncompleteReportError
from kaizen_eval.report._manifest import _seal
from kaizen_eval.report._manifest import sha256_file as sha256_file
from kaizen_eval.report._manifest import verify_report as verify_report
from kaizen_eval.waves import refuse_pii

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:980px;margin:2em auto;
color:#222;line-height:1.45;padding:0 1em}
h1{border-bottom:2px solid #1f4e79;padding-bottom:.2em}h2{color:#1f4e79;margin-top:1.8em}
table{border-collapse:collapse;margin:.3em 0;font-size:.85em;max-width:100%}
th,td{padding:.2em .55em;border-bottom:1px solid #ddd;vertical-align:top}
thead th{border-bottom:2px solid #444;font-weight:600}tbody th{font-weight:normal}
tfoot td{border-bottom:none;color:#444;padding-top:.4em}
caption{caption-side:top;font-style:italic;font-size:.95em;color:#444;text-align:left;
padding:.2em 0 .4em}
.table-wrap{margin:1em 0;max-width:100%;overflow-x:auto}
p.caption{font-style:italic;font-size:.85em;color:#444;margin:.2em 0 .3em}
figure{margin:1em 0}figure img{max-width:100%}figcaption{font-size:.85em;color:#555}
.provenance{font-size:.8em;color:#555;background:#f6f6f6;padding:.6em;border-radius:4px}
.toc{font-size:.85em;columns:2;background:#f6f8fb;padding:.6em 1em;border-radius:4px}
.toc ol{margin:.3em 0}
.headline{background:#eef4fa;border-left:5px solid #1f4e79;padding:.4em 1.2em;margin:1em 0}
.headline h2{margin-top:.4em}.headline li{margin:.4em 0}
code{font-size:.9em;background:#f3f3f3;padding:0 .2em;border-radius:3px}
"""

_CODE = re.compile(r"`([^`]+)`")


def _inline(text: str) -> str:
    """Escape ``text`` for HTML, showing Markdown code spans (backticks) as ``<code>``."""
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html.escape(text))


class _Tabular(Protocol):
    def to_frame(self) -> pd.DataFrame: ...


@dataclass
class _Block:
    kind: str
    name: str
    heading: str
    payload: Any
    caption: str = ""
    notes: tuple[str, ...] = ()
    blank: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    by_row: bool | tuple[str, ...] = False


@dataclass
class Report:
    """Collects sections, tables and figures, then writes the report folder.

    Parameters
    ----------
    title : str
        Title of the report.
    plan_hash : str, optional
        SHA-256 of the analysis plan that produced it.
    data_hashes : dict of str to str, optional
        SHA-256 of each input data set, by name.
    plan_hashes : dict of str to str, optional
        SHA-256 of every analysis plan that ran, by name (several plans in one report; the
        plan runner fills it in). ``provenance.json`` lists them under ``plans``.
    labels : dict of str to str, optional
        Reader-facing names of variables (a codebook's labels) for the headers and row labels
        of every table; names without one are written by the formatting layer's rules.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> rep = Report("Demo")
    >>> rep.add_text("Design", "Invitation was randomized within strata.")
    >>> rep.add_table("balance", pd.DataFrame({"diff": [0.1]}, index=["age"]), "Balance")
    >>> out = rep.write(tempfile.mkdtemp())
    >>> (out / "index.html").exists(), (out / "tables" / "balance.csv").exists()
    (True, True)
    """

    title: str
    plan_hash: str | None = None
    data_hashes: dict[str, str] = field(default_factory=dict)
    plan_hashes: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    _blocks: list[_Block] = field(default_factory=list, repr=False)

    def _name_free(self, name: str) -> None:
        if not name.replace("_", "").replace("-", "").isalnum():
            raise KaizenError(f"report item name {name!r} must be letters, digits, '-' or '_'.")
        if any(b.name == name and b.kind in ("table", "figure") for b in self._blocks):
            raise KaizenError(f"the report already has an item named {name!r}.")

    def add_text(self, heading: str, text: str) -> None:
        """Add a section heading with a paragraph of plain text."""
        self._blocks.append(_Block("text", heading, heading, text))

    def add_headline(self, items: list[str], heading: str = "Headline") -> None:
        """Put a headline box (one bullet per item, in plain words) at the top of the report.

        Boxes added later go below the earlier ones, still above every other section.
        """
        top = sum(1 for b in self._blocks if b.kind == "headline")
        self._blocks.insert(top, _Block("headline", heading, "", list(items)))

    def add_table(
        self,
        name: str,
        table: pd.DataFrame | _Tabular,
        caption: str = "",
        heading: str = "",
        *,
        notes: tuple[str, ...] | list[str] = (),
        blank: str | None = None,
        kinds: dict[str, str] | None = None,
        by_row: bool | tuple[str, ...] | list[str] = False,
    ) -> None:
        """Add a table: a DataFrame of numbers, a ``ResultsTable`` or an object with ``to_frame()``.

        Every table is written through the formatting layer (HTML, Markdown and LaTeX with
        labelled headers, one precision per column, blank missing cells with a note); the CSV
        keeps the full-precision numbers.

        Parameters
        ----------
        name : str
            File name of the table (letters, digits, ``-``, ``_``).
        table : DataFrame, ResultsTable or object with ``to_frame()``
            The table.
        caption : str
            Its title.
        heading : str
            A section heading above it (none when empty).
        notes : sequence of str
            Lines under the table.
        blank : str, optional
            Why some cells are blank, for the note under the table.
        kinds : dict, optional
            Kind of some columns (or rows, with ``by_row``): ``"money"``, ``"share"``,
            ``"ratio"``, ``"percent"``, ...
        by_row : bool or sequence of str
            One precision per row (in all numeric columns, or those named): rows that are
            variables in different units.
        """
        self._name_free(name)
        payload: Any = table
        if not isinstance(table, pd.DataFrame) and not isinstance(
            getattr(table, "table", None), _render.Table
        ):
            payload = table.to_frame()
        self._blocks.append(
            _Block(
                "table",
                name,
                heading,
                payload,
                caption,
                tuple(notes),
                blank,
                dict(kinds or {}),
                by_row if isinstance(by_row, bool) else tuple(by_row),
            )
        )

    def add_figure(self, name: str, figure: Any, caption: str = "", heading: str = "") -> None:
        """Add a matplotlib figure (written as PNG and SVG, embedded in the HTML)."""
        self._name_free(name)
        self._blocks.append(_Block("figure", name, heading, figure, caption))

    def extend(self, other: Report) -> None:
        """Append every section, table and figure of ``other`` (and its data and plan hashes)."""
        for b in other._blocks:
            if b.kind in ("table", "figure"):
                self._name_free(b.name)
        for b in other._blocks:
            if b.kind == "headline":
                self.add_headline(b.payload, b.name)
            else:
                self._blocks.append(b)
        self.data_hashes.update(other.data_hashes)
        self.plan_hashes.update(other.plan_hashes)
        for name, text in other.labels.items():
            self.labels.setdefault(name, text)

    def write(
        self, directory: str | Path, *, overwrite: bool = False, flag: str = "overwrite=True"
    ) -> Path:
        """Write the report folder atomically and return its path.

        Tables whose columns or index look like direct identifiers (names, phone numbers, GPS)
        are refused: a report never contains flagged personal data.

        Parameters
        ----------
        directory : str or pathlib.Path
            The report folder. It must not exist, or be empty, unless ``overwrite``.
        overwrite : bool
            Replace an existing report (the old one stays in place until the new one is
            complete). Default ``False``.
        flag : str
            How the caller spells ``overwrite`` in the error message (``"--force"``).

        Returns
        -------
        pathlib.Path
            ``directory``.

        Raises
        ------
        OutputExistsError
            ``directory`` exists, is not empty, and ``overwrite`` is false.
        """
        out = Path(directory)
        with atomic_folder(out, overwrite=overwrite, flag=flag) as tmp:
            self.write_into(tmp)
        return out

    def write_into(self, folder: str | Path) -> Path:
        """Write the report files into ``folder`` (which exists), then its ``manifest.json``.

        This is the body of :meth:`write` for a caller that builds a larger folder atomically
        (the demo writes its input data beside the report). The manifest lists every file
        under ``folder`` and is written last.
        """
        out = Path(folder)
        (out / "tables").mkdir(parents=True, exist_ok=True)
        (out / "figures").mkdir(parents=True, exist_ok=True)
        headings = [b.heading for b in self._blocks if b.heading]
        toc = "".join(
            f"<li><a href='#s{i}'>{html.escape(h)}</a></li>" for i, h in enumerate(headings)
        )
        html_parts = [
            f"<h1>{html.escape(self.title)}</h1>",
            f"<nav class='toc'><b>Contents</b><ol>{toc}</ol></nav>" if len(headings) > 3 else "",
        ]
        md_parts = [f"# {self.title}", ""]
        section = 0
        for b in self._blocks:
            if b.heading:
                html_parts.append(f"<h2 id='s{section}'>{html.escape(b.heading)}</h2>")
                md_parts += [f"## {b.heading}", ""]
                section += 1
            if b.kind == "headline":
                items = "".join(f"<li>{_inline(t)}</li>" for t in b.payload)
                html_parts.append(
                    f"<section class='headline'><h2>{html.escape(b.name)}</h2>"
                    f"<ul>{items}</ul></section>"
                )
                md_parts += [f"> **{b.name}**", ">", *[f"> - {t}" for t in b.payload], ""]
            elif b.kind == "text":
                html_parts.append(f"<p>{_inline(b.payload)}</p>")
                md_parts += [b.payload, ""]
            elif b.kind == "table":
                self._write_table(out, b, html_parts, md_parts)
            else:
                self._write_figure(out, b, html_parts, md_parts)
        prov = self._provenance()
        prov_lines = (
            [f"{k}: {v}" for k, v in prov.items() if k not in ("data_hashes", "plans")]
            + [f"plan {k}: {v}" for k, v in prov.get("plans", {}).items()]
            + [f"data {k}: {v}" for k, v in prov["data_hashes"].items()]
        )
        html_parts.append(
            "<h2>Provenance</h2><pre class='provenance'>"
            + html.escape("\n".join(prov_lines))
            + "</pre>"
        )
        md_parts += ["## Provenance", "", "```", *prov_lines, "```", ""]
        page = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(html_parts)
            + "</body></html>\n"
        )
        (out / "index.html").write_text(page, encoding="utf-8")
        (out / "report.md").write_text("\n".join(md_parts), encoding="utf-8")
        (out / "provenance.json").write_text(json.dumps(prov, indent=2) + "\n", encoding="utf-8")
        _seal(out, prov)
        return out

    def _provenance(self) -> dict[str, Any]:
        plans = dict(self.plan_hashes)
        single = self.plan_hash or (next(iter(plans.values())) if len(plans) == 1 else None)
        prov: dict[str, Any] = {
            "kaizen_eval_version": __version__,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        }
        if single is not None:
            prov["plan_sha256"] = single
        elif not plans:
            prov["plan_sha256"] = "(no plan)"
        if plans:
            prov["plans"] = plans
        prov["data_hashes"] = dict(self.data_hashes)
        return prov

    def _write_table(
        self, out: Path, b: _Block, html_parts: list[str], md_parts: list[str]
    ) -> None:
        base = out / "tables" / b.name
        if isinstance(b.payload, pd.DataFrame):
            frame: pd.DataFrame = b.payload
            refuse_pii(frame.reset_index(), where=f"report table {b.name!r}")
            frame.to_csv(base.with_suffix(".csv"))
            table = frame_table(
                frame,
                caption=b.caption,
                notes=b.notes,
                labels=self.labels,
                blank=b.blank,
                kinds=b.kinds,
                by_row=b.by_row,
            )
        else:  # a ResultsTable: its own paper layout, with the report's caption
            refuse_pii(b.payload.numbers, where=f"report table {b.name!r}")
            b.payload.to_csv(base.with_suffix(".csv"))
            table = replace(
                b.payload.table,
                caption=b.caption or b.payload.table.caption,
                notes=(*b.payload.table.notes, *b.notes),
            )
        table = replace(table, label=f"tab:{b.name}")
        (base.with_suffix(".tex")).write_text(_render.to_latex(table), encoding="utf-8")
        markdown = _render.to_markdown(table)
        (base.with_suffix(".md")).write_text(markdown, encoding="utf-8")
        (base.with_suffix(".html")).write_text(_render.to_html(table), encoding="utf-8")
        # on the page the caption is a paragraph above the table: a <caption> is only as wide
        # as its table and wraps a long title of a narrow table into a thin column
        cap = f"<p class='caption'>{_inline(table.caption)}</p>" if table.caption else ""
        body = _render.to_html(replace(table, caption=""))
        html_parts.append(f"<div class='table-wrap'>{cap}{body}</div>")
        md_parts += [markdown, ""]

    @staticmethod
    def _write_figure(out: Path, b: _Block, html_parts: list[str], md_parts: list[str]) -> None:
        base = out / "figures" / b.name
        b.payload.savefig(base.with_suffix(".png"), dpi=110, bbox_inches="tight")
        b.payload.savefig(base.with_suffix(".svg"), bbox_inches="tight")
        data = base64.b64encode(base.with_suffix(".png").read_bytes()).decode()
        html_parts.append(
            f"<figure><img alt='{html.escape(b.name)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{_inline(b.caption)}</figcaption></figure>"
        )
        md_parts += [f"![{b.caption or b.name}](figures/{b.name}.png)", ""]
