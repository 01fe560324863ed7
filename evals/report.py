"""Readable eval reports: Markdown for reviews and terminals, a self-contained HTML page for browsing."""

from __future__ import annotations

import html
from typing import Any

from schemas import ArticleExtraction

from .expectations import Expectations
from .scoring import KINDS, REPORTED, STATUSES, ArticleScore, items_of

__all__ = ["confusion_rows", "error_rows", "render_html", "render_markdown", "role_rows", "summary_rows"]

# the role each matched-pair field measures, as the report names it
_ROLE_NAMES = {
    ("meetings", "participants"): "participants",
    ("meetings", "status"): "meeting status",
    ("meetings", "location"): "meeting location",
    ("meetings", "date"): "meeting date",
    ("statements", "speaker"): "speaker (direct quotes)",
    ("statements", "quote"): "quote text",
    (REPORTED, "speaker"): "speaker (reported speech)",
    ("demands", "demander"): "demander",
    ("demands", "target"): "target",
}

# provenance shown at the top of both reports
_MANIFEST_KEYS = ("model", "base_url_host", "strategy", "mode", "prompt_hash", "schema_hash", "git_commit")


def summary_rows(summary: dict[str, Any]) -> list[list[str]]:
    """type, TP, FP, FN, P, R, F1: the three headline types, reported speech apart, then micro totals."""
    rows = []
    for kind in KINDS:
        if kind not in summary["per_type"]:
            continue
        c = summary["per_type"][kind]
        rows.append(
            [
                kind,
                str(c["tp"]),
                str(c["fp"]),
                str(c["fn"]),
                f"{c['precision']:.2f}",
                f"{c['recall']:.2f}",
                f"{c['f1']:.2f}",
            ]
        )
    m = summary["micro"]
    rows.append(
        [
            "micro (meetings, statements, demands)",
            str(m["tp"]),
            str(m["fp"]),
            str(m["fn"]),
            f"{m['precision']:.2f}",
            f"{m['recall']:.2f}",
            f"{m['f1']:.2f}",
        ]
    )
    return rows


def role_rows(summary: dict[str, Any]) -> list[list[str]]:
    """role, accuracy, correct/total: field accuracy on matched pairs, named by the role it measures."""
    rows = []
    for kind in KINDS:
        fields = summary["per_type"].get(kind, {}).get("fields", {})
        for name, v in fields.items():
            label = _ROLE_NAMES.get((kind, name), f"{kind} {name}")
            acc = f"{v['accuracy']:.2f}" if v["total"] else "–"
            rows.append([label, acc, f"{v['correct']}/{v['total']}"])
    return rows


def confusion_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Meeting status on matched meetings: one row per expected status, one column per predicted one."""
    confusion = summary["per_type"]["meetings"].get("confusion", {})
    return [
        [want, *(str(confusion.get(want, {}).get(got, 0)) for got in STATUSES)]
        for want in STATUSES
        if confusion.get(want)
    ]


def _evidence(item: Any) -> str:
    ev = item.evidence[0]
    text = ev if isinstance(ev, str) else ev.text
    return text if len(text) <= 140 else text[:137] + "…"


def _describe(kind: str, item: Any) -> str:
    if item is None:
        return ""
    if kind == "meetings":
        names = ", ".join(p.canonical or p.name for p in item.participants)
        head = f"[{item.status}] {names}" + (f" @ {item.location}" if item.location else "")
    elif kind in ("statements", REPORTED):
        q = item.quote
        head = f"{item.speaker.canonical or item.speaker.name}: " + (f"“{q[:80]}”" if q else "(reported)")
    else:
        target = (item.of.canonical or item.of.name) if item.of else "—"
        head = f"{item.by.canonical or item.by.name} → {target}: {item.demand[:80]}"
    return f"{head} — «{_evidence(item)}»"


def error_rows(
    score: ArticleScore, pred: ArticleExtraction | None, exp: Expectations
) -> list[tuple[str, str, str]]:
    """(kind, MISS or SPURIOUS, item with its evidence) for one article: what to read to find the cause."""
    rows = []
    for kind in KINDS:
        preds = items_of(pred, kind) if pred else []
        exps = items_of(exp, kind)
        rows += [(kind, "MISS", _describe(kind, exps[j])) for j in score.misses.get(kind, [])]
        rows += [(kind, "SPURIOUS", _describe(kind, preds[i])) for i in score.false_positives.get(kind, [])]
    return rows


def _rows(
    kind: str, score: ArticleScore, pred: ArticleExtraction | None, exp: Expectations
) -> list[tuple[str, str, str]]:
    """(status, expected, predicted) rows: match / miss / false positive."""
    preds = items_of(pred, kind) if pred else []
    exps = items_of(exp, kind)
    rows = []
    for i, j in score.pairs.get(kind, []):
        tag = "optional" if exps[j].optional else "match"
        rows.append((tag, _describe(kind, exps[j]), _describe(kind, preds[i])))
    for j in score.misses.get(kind, []):
        rows.append(("MISS", _describe(kind, exps[j]), ""))
    for i in score.false_positives.get(kind, []):
        rows.append(("FALSE POSITIVE", "", _describe(kind, preds[i])))
    return rows


def render_markdown(
    manifest: dict[str, Any],
    summary: dict[str, Any],
    scores: list[ArticleScore],
    outputs: dict[str, ArticleExtraction | None],
    expectations: tuple[Expectations, ...],
) -> str:
    lines = [f"# Eval report: {manifest.get('label', '')}", ""]
    for key in _MANIFEST_KEYS:
        if key in manifest:
            lines.append(f"- **{key}**: `{manifest[key]}`")
    lines += [
        f"- **grounded rate**: {summary['grounded_rate']:.2f} of {summary['items']} items; "
        f"hallucinated quotes: {summary['hallucinated_quotes']}; trap hits: {summary['trap_hits']}",
        f"- **seconds/article**: {summary.get('seconds_per_article', '-')}; "
        f"**tokens/article**: {summary.get('tokens_per_article', '-')}; failed: {summary.get('failed_articles') or 'none'}",
        "",
        "| type | TP | FP | FN | P | R | F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in summary_rows(summary)]
    lines += [
        "",
        f"macro F1 (meetings, statements, demands): **{summary['macro_f1']:.3f}**",
        "",
        "## Roles and fields on pairs that share evidence",
        "",
        "| role | accuracy | correct/total |",
        "|---|---|---|",
        *("| " + " | ".join(r) + " |" for r in role_rows(summary)),
        "",
        "## Meeting status on matched meetings (rows expected, columns predicted)",
        "",
        "| expected \\ predicted | " + " | ".join(STATUSES) + " |",
        "|---" * (len(STATUSES) + 1) + "|",
        *("| " + " | ".join(r) + " |" for r in confusion_rows(summary)),
    ]
    by_name = {e.article: e for e in expectations}
    for score in scores:
        exp = by_name[score.article]
        lines += ["", f"## {score.article}", ""]
        for kind in KINDS:
            c = score.counts[kind]
            lines += [
                f"**{kind}** — TP {c.tp}, FP {c.fp}, FN {c.fn}",
                "",
                "| | expected | predicted |",
                "|---|---|---|",
            ]
            for tag, e, p in _rows(kind, score, outputs.get(score.article), exp):
                cell = f"**{tag}**" if tag in ("MISS", "FALSE POSITIVE") else tag
                lines.append(f"| {cell} | {e.replace('|', '/')} | {p.replace('|', '/')} |")
            lines.append("")
        if score.trap_hits:
            lines += ["Trap hits:", *[f"- {t}" for t in score.trap_hits], ""]
    return "\n".join(lines) + "\n"


_CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}.MISS{background:#fdd}
.FALSE{background:#ffe3b3}.match{background:#e6f7e6}.optional{background:#eee}h2{margin-top:2em}"""


def render_html(
    manifest: dict[str, Any],
    summary: dict[str, Any],
    scores: list[ArticleScore],
    outputs: dict[str, ArticleExtraction | None],
    expectations: tuple[Expectations, ...],
) -> str:
    e = html.escape
    out = [
        f"<!doctype html><meta charset=utf-8><title>Eval {e(str(manifest.get('label', '')))}</title>",
        f"<style>{_CSS}</style><h1>Eval report: {e(str(manifest.get('label', '')))}</h1><ul>",
    ]
    for key in _MANIFEST_KEYS:
        if key in manifest:
            out.append(f"<li><b>{key}</b>: <code>{e(str(manifest[key]))}</code></li>")
    out.append(
        f"<li>grounded rate {summary['grounded_rate']:.2f}; hallucinated quotes "
        f"{summary['hallucinated_quotes']}; trap hits {summary['trap_hits']}</li></ul>"
    )
    out.append("<table><tr><th>type<th>TP<th>FP<th>FN<th>P<th>R<th>F1</tr>")
    out += ["<tr>" + "".join(f"<td>{e(c)}" for c in r) + "</tr>" for r in summary_rows(summary)]
    out.append("</table><h2>Roles and fields on pairs that share evidence</h2>")
    out.append("<table><tr><th>role<th>accuracy<th>correct/total</tr>")
    out += ["<tr>" + "".join(f"<td>{e(c)}" for c in r) + "</tr>" for r in role_rows(summary)]
    out.append("</table><h2>Meeting status on matched meetings</h2>")
    out.append("<table><tr><th>expected \\ predicted" + "".join(f"<th>{x}" for x in STATUSES) + "</tr>")
    out += ["<tr>" + "".join(f"<td>{e(c)}" for c in r) + "</tr>" for r in confusion_rows(summary)]
    out.append("</table>")
    by_name = {x.article: x for x in expectations}
    for score in scores:
        out.append(f"<h2>{e(score.article)}</h2>")
        for kind in KINDS:
            out.append(f"<h3>{kind}</h3><table><tr><th><th>expected<th>predicted</tr>")
            for tag, exp_s, pred_s in _rows(kind, score, outputs.get(score.article), by_name[score.article]):
                out.append(f"<tr class='{tag.split()[0]}'><td>{e(tag)}<td>{e(exp_s)}<td>{e(pred_s)}</tr>")
            out.append("</table>")
    return "\n".join(out) + "\n"
