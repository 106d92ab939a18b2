"""Labelled evaluation sets built from real text we did not write.

Sources (see ``../shared/corpus/SOURCES.md``, both Apache-2.0):

* ``daily-arxiv/2025-06-26.md``: 381 arXiv papers with an English title, a
  Chinese title, and several Chinese summaries written by a language model
  (TL;DR, Motivation/Method, ``ai_Abstract``, a translated abstract);
* ``paper-reading/README.md``: deep-learning papers as a short English model
  name with a one-line Chinese 简介, grouped under section headings.

Everything is deterministic given the seed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
ARXIV = CORPUS / "daily-arxiv" / "2025-06-26.md"
PAPER_READING = CORPUS / "paper-reading" / "README.md"


@dataclass(frozen=True)
class Paper:
    key: str
    en_title: str
    zh_title: str
    category: str
    tldr: str
    abstract: str
    motivation: str
    method: str
    translation: str


@dataclass
class Row:
    """One entry to write: its title side and description, plus the truth."""

    title: str
    description: str | None
    track: str | None = None
    speakers: str | None = None
    truth: dict[str, object] = field(default_factory=dict)


def _field(block: str, name: str) -> str:
    m = re.search(rf"\*\*{re.escape(name)}:\*\*\s*(.*)", block)
    if not m:
        return ""
    value = m.group(1).strip()
    return "" if value.lower().startswith("not mentioned") else value


def arxiv_papers(path: Path = ARXIV) -> list[Paper]:
    text = path.read_text(encoding="utf-8")
    heads = list(re.finditer(r"^### \[(\d+)\] \[(.+?)\]\((\S+?)\)\s*$", text, re.M))
    papers: list[Paper] = []
    seen: set[str] = set()
    for k, m in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        block = text[m.end() : end]
        url = m.group(3)
        if url in seen:
            continue
        seen.add(url)
        zh = re.search(r"^> \*(.+?)\*\s*$", block, re.M)
        cat = re.search(r"\*\*Category: ([^*,]+)", block)
        papers.append(
            Paper(
                key=url,
                en_title=m.group(2).strip(),
                zh_title=zh.group(1).strip() if zh else "",
                category=cat.group(1).strip() if cat else "",
                tldr=_field(block, "TL;DR"),
                abstract=_field(block, "ai_Abstract"),
                motivation=_field(block, "Motivation"),
                method=_field(block, "Method"),
                translation=_field(block, "摘要翻译"),
            )
        )
    return [p for p in papers if p.abstract and p.zh_title]


def paper_reading_rows(path: Path = PAPER_READING) -> list[tuple[str, str, str]]:
    """(section, model name, 简介) for every table row with a 简介."""
    rows: list[tuple[str, str, str]] = []
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            section = line[4:].strip()
            continue
        if not line.startswith("|") or not section:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[1] in ("年份",) or set(cells[1]) <= {"-", ":"}:
            continue
        name = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", cells[2]).strip()
        intro = cells[3].strip()
        if name and intro:
            rows.append((section, name, intro))
    return rows


# ----------------------------------------------------------------- rendering


def brief_markdown(rows: list[Row]) -> str:
    """A daily brief in the seed's template."""
    out = ["# 每日参会快报", ""]
    for row in rows:
        out += [f"## 【Talks & Panels】{row.title}", ""]
        out += ["### 主题", row.track or "Research - Papers", ""]
        out += ["### 演讲人或相关公司", row.speakers or "Anonymous（Researcher, Lab）", ""]
        if row.description is not None:
            out += ["### 实事描述", row.description, ""]
            out += ["### 对华为的启示", "值得跟进。", ""]
        out += ["撰稿人：测试 12345678", "", "---", ""]
    return "\n".join(out)


# ----------------------------------------------------------------- mismatch sets


def _corrupt(briefs: list[list[Row]], foreign: list[str], share: float, rng: random.Random) -> None:
    """Swap descriptions inside each brief (pairs) and plant foreign ones.

    About ``share`` of each brief's entries get a wrong description: two
    thirds as swapped pairs (the right owner is in the brief), the rest from
    papers not in the set (no right suggestion exists).
    """
    for rows in briefs:
        n_wrong = round(share * len(rows))
        order = list(range(len(rows)))
        rng.shuffle(order)
        wrong = order[:n_wrong]
        n_swapped = (2 * n_wrong // 3) // 2 * 2
        swapped, alien = wrong[:n_swapped], wrong[n_swapped:]
        for a, b in zip(swapped[0::2], swapped[1::2], strict=True):
            ra, rb = rows[a], rows[b]
            ra.description, rb.description = rb.description, ra.description
            ra.truth.update(mismatch=True, owner=rb.title)
            rb.truth.update(mismatch=True, owner=ra.title)
        for a in alien:
            rows[a].description = foreign.pop()
            rows[a].truth.update(mismatch=True, owner=None)
        for row in rows:
            row.truth.setdefault("mismatch", False)
            row.truth.setdefault("owner", row.title)


def arxiv_mismatch_set(
    seed: int = 7,
    brief_size: int = 12,
    share: float = 0.3,
    english_share: float = 0.6,
    n_briefs: int = 25,
    description: str = "abstract",
) -> dict[str, list[Row]]:
    """Briefs of arXiv papers: English or Chinese title, a Chinese summary.

    ``description`` names the summary: ``abstract`` (the ``ai_Abstract``,
    ~200 characters) or ``tldr`` (one sentence, the harder case).
    """
    rng = random.Random(seed)
    papers = arxiv_papers()
    rng.shuffle(papers)
    need = brief_size * n_briefs
    used, spare = papers[:need], papers[need:]
    foreign = [getattr(p, description) or p.abstract for p in spare]
    briefs: list[list[Row]] = []
    for b in range(n_briefs):
        rows = []
        for p in used[b * brief_size : (b + 1) * brief_size]:
            english = rng.random() < english_share
            title = p.en_title if english else p.zh_title
            rows.append(
                Row(
                    title=title,
                    description=getattr(p, description) or p.abstract,
                    truth={"language": "en" if english else "zh"},
                )
            )
        briefs.append(rows)
    _corrupt(briefs, foreign, share, rng)
    return {f"arxiv-{i:02d}.md": rows for i, rows in enumerate(briefs)}


def paper_reading_mismatch_set(
    seed: int = 7, brief_size: int = 10, share: float = 0.3
) -> dict[str, list[Row]]:
    """Briefs of short model names (track = the README section) with one-line 简介."""
    rng = random.Random(seed)
    rows_all = paper_reading_rows()
    rng.shuffle(rows_all)
    n_foreign = max(2, len(rows_all) // 8)
    foreign = [intro for _s, _n, intro in rows_all[:n_foreign]]
    rest = rows_all[n_foreign:]
    briefs = [
        [
            Row(title=name, description=intro, track=section, truth={"language": "en"})
            for section, name, intro in rest[i : i + brief_size]
        ]
        for i in range(0, len(rest) - brief_size + 1, brief_size)
    ]
    _corrupt(briefs, foreign, share, rng)
    return {f"paper-reading-{i:02d}.md": rows for i, rows in enumerate(briefs)}


# ----------------------------------------------------------------- dedupe set

_PUNCT_SPLIT = re.compile(r"(?<=[。！？；])")


def _with_typos(text: str, rate: float, rng: random.Random) -> str:
    out: list[str] = []
    for ch in text:
        r = rng.random()
        if r < rate / 3:
            continue  # deletion
        if r < 2 * rate / 3:
            out.append(rng.choice(_CHARS))  # substitution
            continue
        out.append(ch)
        if r < rate:
            out.append(rng.choice(_CHARS))  # insertion
    return "".join(out)


#: Common characters used for substitutions and insertions.
_CHARS = (
    "的是在了有和人这中大为上个以要时来用们到作地于出就分对成会可发能下过子说产种面而"
    "方后多定行法所得经进着等部度家力里如化高自理起小物现实加量都体制机当使点从业本去"
    "性好应开合还因由其些然前外天事平形相全表间样与关各重新线内数正心反明看原又么利比"
    "或但质气第向道命此变条只没结解问意建公无系很情者最立代想已通并提直题程展果象员位"
    "入常文总次品式活设及管特件长求老头基资边流路级少图见计别手角期根论运指区强放决被"
    "干做必先回则任取据处给色光门即保治造百规热领口导器压志金增争济阶思术极交受联认共"
    "权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报完"
    "类离华名确才科张信节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织"
    "装影算低持音众书布复容儿须际商非验连断深难近千周委素技备半办青省列习响约支般史感"
    "劳便团往历市克何除消构府称太准精值号率族维划选标写存候亲快效斯院查型眼王按格养易"
    "置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"
)


def _sentences(text: str) -> list[str]:
    return [s for s in _PUNCT_SPLIT.split(text) if s]


def _edit(text: str, how: str, rng: random.Random) -> str:
    if how == "exact":
        return text
    if how == "truncated":
        keep = rng.uniform(0.5, 0.85)
        return text[: max(20, int(len(text) * keep))]
    if how == "reordered":
        parts = _sentences(text)
        if len(parts) < 2:
            return _with_typos(text, 0.03, rng)
        while True:
            shuffled = parts[:]
            rng.shuffle(shuffled)
            if shuffled != parts:
                return "".join(shuffled)
    if how == "typos":
        return _with_typos(text, rng.uniform(0.02, 0.05), rng)
    if how == "heavy-typos":
        return _with_typos(text, 0.08, rng)
    if how == "short-fragment":
        start = rng.randrange(0, max(1, len(text) // 3))
        return text[start : start + max(40, int(len(text) * rng.uniform(0.3, 0.45)))]
    if how == "truncated+typos":
        return _with_typos(_edit(text, "truncated", rng), 0.03, rng)
    if how == "reordered+typos":
        return _with_typos(_edit(text, "reordered", rng), 0.03, rng)
    raise ValueError(how)


def _title_variant(title: str, rng: random.Random) -> str:
    how = rng.choice(["same", "case", "punct", "subtitle"])
    if how == "case":
        return title.lower() if rng.random() < 0.5 else title.upper()
    if how == "punct":
        return title.replace(":", " -").replace(",", "") + " "
    if how == "subtitle" and ":" in title and len(title.split(":")[0]) >= 12:
        return title.split(":")[0]
    return title


EDITS = (
    "exact",
    "truncated",
    "reordered",
    "typos",
    "truncated+typos",
    "reordered+typos",
    "heavy-typos",
    "short-fragment",
)


def dedupe_set(
    seed: int = 11, n_copies: int = 120, n_same: int = 60, brief_size: int = 15
) -> tuple[dict[str, list[Row]], list[tuple[str, str]]]:
    """Briefs of distinct arXiv papers plus planted duplicates.

    * copied descriptions: a description copied under another paper's title
      with an edit from :data:`EDITS`;
    * the same session twice: the same (or near-same) title with a different
      Chinese text on the same paper (TL;DR + Motivation + Method instead of
      the ``ai_Abstract``): "another author".

    Returns the files and the true duplicate groups as (group id, entry id) pairs.
    """
    rng = random.Random(seed)
    papers = arxiv_papers()
    rng.shuffle(papers)
    hosts = papers[-n_copies:]
    base = papers[: len(papers) - n_copies]
    rows: list[Row] = []
    for k, p in enumerate(base):
        rows.append(
            Row(title=p.en_title, description=p.abstract, truth={"id": f"p{k}", "group": f"p{k}"})
        )
    planted: list[Row] = []
    sources = rng.sample(range(len(base)), n_copies + n_same)
    for c, (src, host) in enumerate(zip(sources[:n_copies], hosts, strict=True)):
        how = EDITS[c % len(EDITS)]
        planted.append(
            Row(
                title=host.en_title,
                description=_edit(base[src].abstract, how, rng),
                truth={
                    "id": f"c{c}",
                    "group": f"p{src}",
                    "edit": how,
                    "kind": "copied-description",
                },
            )
        )
    for s, src in enumerate(sources[n_copies:]):
        p = base[src]
        other = " ".join(x for x in (p.tldr, p.motivation, p.method) if x) or p.translation
        planted.append(
            Row(
                title=_title_variant(p.en_title, rng),
                description=other,
                truth={
                    "id": f"s{s}",
                    "group": f"p{src}",
                    "edit": "rewritten",
                    "kind": "same-session",
                },
            )
        )
    everything = rows + planted
    rng.shuffle(everything)
    files = {
        f"dedupe-{i // brief_size:02d}.md": everything[i : i + brief_size]
        for i in range(0, len(everything), brief_size)
    }
    truth = [(str(r.truth["group"]), str(r.truth["id"])) for r in everything]
    return files, truth
