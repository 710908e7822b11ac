#!/usr/bin/env python3
"""Validates the demo information resource catalogue beside this file.

    python3 data/catalogue/demo/check.py

Reads resources.toml and rows/<code>.csv here, ../classes.toml and
../../org/departments.toml, checks the rules written in the header of
resources.toml (and that related links form no cycle, since the demo
loader registers the resources a resource names before it) and prints a
summary. Exits 1 with one line per problem when something is wrong.
Standard library only (Python 3.11+ for tomllib)."""

import csv
import datetime
import os
import re
import sys
import tomllib
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.join(HERE, "resources.toml")
ROWS = os.path.join(HERE, "rows")
CLASSES = os.path.join(HERE, "..", "classes.toml")
DEPARTMENTS = os.path.join(HERE, "..", "..", "org", "departments.toml")

MIN_RESOURCES, MIN_DEPARTMENTS, MIN_OPEN = 32, 10, 18
MIN_ROWS, MAX_ROWS, MAX_ITEMS = 10, 60, 12
MAX_ROWS_BYTES = 400 * 1024

FORMATS = {"电子表格", "数据库", "接口", "文件"}
CYCLES = {"realtime", "daily", "weekly", "monthly", "quarterly", "yearly", "irregular"}
SHARING = {"unconditional", "conditional", "none"}
METHODS = {"api", "download", "file"}
OPEN = {"open", "conditional", "closed"}
TYPES = {"string", "integer", "decimal", "date", "datetime", "boolean"}

REQUIRED = ["code", "department", "class", "name", "name_en", "abstract", "abstract_en", "keywords",
            "format", "update_cycle", "published", "sharing", "open", "items"]
OPTIONAL = ["sharing_condition", "sharing_method", "legal_basis", "related"]

CODE_RE = re.compile(r"^(\d{6}-[A-Z]+)-(\d{5})$")
ITEM_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
INTEGER_RE = re.compile(r"^-?[0-9]+$")
DECIMAL_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
LAW_RE = re.compile(r"《[^》]+》第[一二三四五六七八九十百零〇]+条")

problems = []


def bad(where, msg):
    problems.append(f"{where}: {msg}")


def valid_date(s):
    if not DATE_RE.match(s):
        return False
    try:
        datetime.date.fromisoformat(s)
        return True
    except ValueError:
        return False


def valid_datetime(s):
    if not DATETIME_RE.match(s):
        return False
    try:
        datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S")
        return True
    except ValueError:
        return False


CELL_OK = {
    "string": lambda s: True,
    "integer": lambda s: bool(INTEGER_RE.match(s)),
    "decimal": lambda s: bool(DECIMAL_RE.match(s)),
    "date": valid_date,
    "datetime": valid_datetime,
    "boolean": lambda s: s in ("true", "false"),
}


def nonempty_str(v):
    return isinstance(v, str) and v.strip() != ""


def sentences_zh(s):
    return len(re.findall(r"[。！？]", s))


def sentences_en(s):
    return len(re.findall(r"[.!?](?=\s|$)", s))


def load(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def main():
    departments = {d["code"]: d for d in load(DEPARTMENTS)["department"]}
    classes = {c["code"]: c for c in load(CLASSES)["class"]}
    try:
        cat = load(RESOURCES)
    except tomllib.TOMLDecodeError as e:
        print(f"resources.toml: not valid TOML: {e}")
        return 1

    if not nonempty_str(cat.get("version")):
        bad("resources.toml", "no version")
    unknown_top = set(cat) - {"version", "resource"}
    if unknown_top:
        bad("resources.toml", f"unknown top-level keys {sorted(unknown_top)}")
    resources = cat.get("resource", [])
    if not isinstance(resources, list):
        bad("resources.toml", "resource is not an array of tables")
        resources = []

    codes = [r.get("code") for r in resources]
    dup = [c for c, n in Counter(codes).items() if n > 1]
    for c in dup:
        bad(c, "duplicate code")
    code_set = set(codes)

    seqs = {}
    rows_total = 0
    for i, r in enumerate(resources):
        code = r.get("code")
        where = code if isinstance(code, str) else f"resource #{i + 1}"
        for k in REQUIRED:
            if k not in r:
                bad(where, f"missing key {k}")
        extra = set(r) - set(REQUIRED) - set(OPTIONAL)
        if extra:
            bad(where, f"unknown keys {sorted(extra)}")

        # code and department
        m = CODE_RE.match(code) if isinstance(code, str) else None
        if not m:
            bad(where, "code is not <department code>-<five digits>")
        dep = r.get("department")
        if m and dep != m.group(1):
            bad(where, f"department {dep!r} is not the code's prefix {m.group(1)!r}")
        if dep not in departments:
            bad(where, f"department {dep!r} not in departments.toml")
        elif departments[dep].get("kind") != "municipal" or not dep.startswith("110000-"):
            bad(where, f"department {dep!r} is not a municipal department")
        if m:
            seqs.setdefault(m.group(1), []).append(int(m.group(2)))

        # class
        cls = r.get("class")
        if cls not in classes or not re.fullmatch(r"\d{3}", str(cls)):
            bad(where, f"class {cls!r} is not a three-digit class of classes.toml")

        # texts
        for k in ("name", "name_en", "abstract", "abstract_en"):
            if k in r and not nonempty_str(r[k]):
                bad(where, f"{k} is empty or not a string")
        if nonempty_str(r.get("abstract")):
            n = sentences_zh(r["abstract"])
            if not 1 <= n <= 3 or not r["abstract"].endswith("。"):
                bad(where, f"abstract should be 1-3 sentences ending with 。 (found {n})")
        if nonempty_str(r.get("abstract_en")):
            n = sentences_en(r["abstract_en"])
            if not 1 <= n <= 3:
                bad(where, f"abstract_en should be 1-3 sentences (found {n})")
        kw = r.get("keywords")
        if not isinstance(kw, list) or not kw or not all(nonempty_str(k) for k in kw):
            bad(where, "keywords must be a non-empty list of non-empty strings")
        elif len(set(kw)) != len(kw):
            bad(where, "duplicate keywords")

        # enumerations and dates
        if r.get("format") not in FORMATS:
            bad(where, f"format {r.get('format')!r} not one of {sorted(FORMATS)}")
        if r.get("update_cycle") not in CYCLES:
            bad(where, f"update_cycle {r.get('update_cycle')!r} not one of {sorted(CYCLES)}")
        pub = r.get("published")
        if not isinstance(pub, str) or not valid_date(pub) or pub[:4] not in ("2025", "2026"):
            bad(where, f"published {pub!r} is not a YYYY-MM-DD date in 2025 or 2026")

        # sharing and opening
        sharing = r.get("sharing")
        if sharing not in SHARING:
            bad(where, f"sharing {sharing!r} not one of {sorted(SHARING)}")
        cond = r.get("sharing_condition")
        if sharing == "conditional":
            if not nonempty_str(cond):
                bad(where, "conditional sharing needs a non-empty sharing_condition")
        elif "sharing_condition" in r:
            bad(where, "sharing_condition given although sharing is not conditional")
        method = r.get("sharing_method")
        if sharing == "none":
            if "sharing_method" in r:
                bad(where, "sharing_method given although sharing is none")
            lb = r.get("legal_basis")
            if not nonempty_str(lb):
                bad(where, "sharing none needs a non-empty legal_basis")
            elif not LAW_RE.search(lb):
                bad(where, "legal_basis should cite a law article as 《…》第…条")
        else:
            if method not in METHODS:
                bad(where, f"sharing_method {method!r} not one of {sorted(METHODS)}")
            if "legal_basis" in r:
                bad(where, "legal_basis given although sharing is not none")
        op = r.get("open")
        if op not in OPEN:
            bad(where, f"open {op!r} not one of {sorted(OPEN)}")
        if sharing != "unconditional" and op != "closed":
            bad(where, f"open must be closed when sharing is {sharing}")

        # related
        rel = r.get("related", [])
        if not isinstance(rel, list) or not all(isinstance(x, str) for x in rel):
            bad(where, "related must be a list of codes")
        else:
            for x in rel:
                if x == code:
                    bad(where, "related names the resource itself")
                elif x not in code_set:
                    bad(where, f"related {x!r} is not a resource in this file")
            if len(set(rel)) != len(rel):
                bad(where, "duplicate related codes")

        # items
        items = r.get("items")
        names, types = [], []
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
            bad(where, f"items must be a list of 1 to {MAX_ITEMS} tables")
            items = items if isinstance(items, list) else []
        for j, it in enumerate(items):
            iw = f"{where} item {j + 1}"
            if not isinstance(it, dict) or set(it) != {"name", "title", "type"}:
                bad(iw, "must have exactly name, title and type")
                continue
            if not isinstance(it["name"], str) or not ITEM_NAME_RE.match(it["name"]):
                bad(iw, f"name {it['name']!r} is not a lowercase identifier")
            if not nonempty_str(it["title"]):
                bad(iw, "title is empty")
            if it["type"] not in TYPES:
                bad(iw, f"type {it['type']!r} not one of {sorted(TYPES)}")
            names.append(it["name"])
            types.append(it["type"])
        if len(set(names)) != len(names):
            bad(where, "duplicate item names")

        # rows
        if isinstance(code, str) and names:
            rows_total += check_rows(where, code, names, types)

    # sequences per department count from 00001 without gaps
    for dep, ns in seqs.items():
        if sorted(ns) != list(range(1, len(ns) + 1)):
            bad(dep, f"sequences {sorted(ns)} do not run 1..{len(ns)}")

    # related links must not form a cycle: the platform registers the
    # resources a resource names before it (a demo load fails otherwise)
    graph = {r.get("code"): [x for x in r.get("related", []) if x in code_set and x != r.get("code")]
             for r in resources if isinstance(r.get("code"), str) and isinstance(r.get("related", []), list)}
    state = {}

    def visit(c, path):
        state[c] = "open"
        for x in graph.get(c, []):
            if state.get(x) == "open":
                bad(c, "related links form a cycle: " + " -> ".join(path[path.index(x):] + [x]))
            elif x not in state:
                visit(x, path + [x])
        state[c] = "done"

    for c in graph:
        if c not in state:
            visit(c, [c])

    # stray CSVs
    stray = sorted(f for f in os.listdir(ROWS) if f[:-4] not in code_set) if os.path.isdir(ROWS) else []
    for f in stray:
        bad(f"rows/{f}", "no resource with this code")

    size = sum(os.path.getsize(os.path.join(ROWS, f)) for f in os.listdir(ROWS)) if os.path.isdir(ROWS) else 0
    if size >= MAX_ROWS_BYTES:
        bad("rows/", f"{size} bytes, limit {MAX_ROWS_BYTES}")

    # counts
    deps_used = Counter(r.get("department") for r in resources)
    sharing = Counter(r.get("sharing") for r in resources)
    opening = Counter(r.get("open") for r in resources)
    klass = Counter(r.get("class") for r in resources)
    if len(resources) < MIN_RESOURCES:
        bad("resources.toml", f"{len(resources)} resources, need at least {MIN_RESOURCES}")
    if len(deps_used) < MIN_DEPARTMENTS:
        bad("resources.toml", f"{len(deps_used)} departments, need at least {MIN_DEPARTMENTS}")
    if opening["open"] < MIN_OPEN:
        bad("resources.toml", f"{opening['open']} open resources, need at least {MIN_OPEN}")

    if problems:
        for p in problems:
            print(p)
        print(f"FAILED: {len(problems)} problem(s)")
        return 1

    print(f"catalogue version {cat['version']}: OK")
    print(f"  resources:   {len(resources)}")
    print(f"  departments: {len(deps_used)} ({', '.join(sorted(deps_used))})")
    print(f"  classes:     {len(klass)} ({', '.join(f'{c}×{n}' for c, n in sorted(klass.items()))})")
    print(f"  sharing:     unconditional {sharing['unconditional']}, conditional {sharing['conditional']}, none {sharing['none']}")
    print(f"  open:        open {opening['open']}, conditional {opening['conditional']}, closed {opening['closed']}")
    print(f"  rows:        {rows_total} in {len(resources)} CSV files, {size / 1024:.1f} KB")
    return 0


def check_rows(where, code, names, types):
    path = os.path.join(ROWS, code + ".csv")
    if not os.path.isfile(path):
        bad(where, f"rows/{code}.csv missing")
        return 0
    raw = open(path, "rb").read()
    if raw.startswith(b"\xef\xbb\xbf"):
        bad(where, "CSV starts with a BOM")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        bad(where, f"CSV is not UTF-8: {e}")
        return 0
    text = text.removeprefix("\ufeff")
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        table = list(reader)
    except csv.Error as e:
        bad(where, f"CSV does not parse: {e}")
        return 0
    if not table or table[0] != names:
        bad(where, f"CSV header {table[0] if table else None} is not {names}")
        return 0
    body = table[1:]
    if not MIN_ROWS <= len(body) <= MAX_ROWS:
        bad(where, f"{len(body)} rows, need {MIN_ROWS} to {MAX_ROWS}")
    for n, row in enumerate(body, start=2):
        if len(row) != len(names):
            bad(where, f"line {n}: {len(row)} cells, expected {len(names)}")
            continue
        for name, ty, v in zip(names, types, row):
            if v.strip() == "":
                bad(where, f"line {n}: {name} is empty")
            elif v != v.strip():
                bad(where, f"line {n}: {name} has surrounding whitespace")
            elif not CELL_OK[ty](v):
                bad(where, f"line {n}: {name} = {v!r} is not a {ty}")
    return len(body)


if __name__ == "__main__":
    sys.exit(main())
