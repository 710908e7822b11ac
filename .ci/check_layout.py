#!/usr/bin/env python3
"""Checks the platform's layout (see .ci/layout.toml and ARCHITECTURE.md):

1. every workspace crate has a kind in layout.toml;
2. no crate but the web ones depends on the web stack;
3. no crate depends on another system's crate, domain or web part (kernel,
   engines, their web parts and the web kit are open to all; an engine's
   web part uses no system; the kernel depends on no egov crate; the
   composing crate, a web crate of no system, may use every one);
4. no import loops between the top-level modules of a crate, except the
   known ones listed (which must still exist, so the list only shrinks).

Usage: python3 .ci/check_layout.py   (from the repository root)
"""
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
layout = tomllib.loads((ROOT / ".ci/layout.toml").read_text())
kinds = layout["crates"]
web_stack = set(layout["web_stack"])
known_loops = {
    crate: [frozenset(loop) for loop in loops]
    for crate, loops in layout.get("known_loops", {}).items()
}

meta = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
)
failures = []
members = {p["name"]: p for p in meta["packages"]}

for name, package in sorted(members.items()):
    entry = kinds.get(name)
    if entry is None:
        failures.append(f"{name}: no kind in .ci/layout.toml")
        continue
    kind = entry["kind"]
    deps = [d for d in package["dependencies"] if d["kind"] is None]
    for dep in deps:
        dep_name = dep["name"]
        if kind != "web" and dep_name in web_stack:
            failures.append(f"{name} ({kind}) depends on the web stack: {dep_name}")
        other = kinds.get(dep_name)
        if other is None:
            continue
        if kind == "kernel":
            failures.append(f"{name} (kernel) depends on {dep_name}")
        elif kind in ("engine", "system") and other["kind"] == "web":
            failures.append(f"{name} ({kind}) depends on the web crate {dep_name}")
        elif kind == "engine" and other["kind"] == "system":
            failures.append(f"{name} (engine) depends on the system crate {dep_name}")
        elif entry.get("engine") and (other["kind"] == "system" or other.get("system")):
            failures.append(
                f"{name} (web part of the engine {entry['engine']}) depends on "
                f"{dep_name} (system {other.get('system')})"
            )
        elif (
            kind in ("system", "web")
            and entry.get("system")
            and other.get("system")
            and other.get("system") != entry.get("system")
        ):
            failures.append(
                f"{name} ({kind} of system {entry.get('system')}) reaches into "
                f"{dep_name} (system {other.get('system')})"
            )

# Import loops between top-level modules.


def module_graph(src: Path):
    """Top-level module -> the top-level modules it names."""
    graph = {}
    for path in src.rglob("*.rs"):
        rel = path.relative_to(src)
        top = rel.parts[0].removesuffix(".rs")
        if top in ("lib", "main"):
            continue
        text = path.read_text()
        names = set()
        for m in re.finditer(r"\bcrate::([a-z_][a-z0-9_]*)", text):
            names.add(m.group(1))
        # `super::x` stays inside the module folder it is written in, so
        # only `crate::` paths can cross between top-level modules.
        graph.setdefault(top, set()).update(n for n in names if n != top)
    known = set(graph)
    return {m: {n for n in deps if n in known} for m, deps in graph.items()}


def strongly_connected(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


for name, package in sorted(members.items()):
    src = Path(package["manifest_path"]).parent / "src"
    if not src.is_dir():
        continue
    loops = [
        frozenset(c) for c in strongly_connected(module_graph(src)) if len(c) > 1
    ]
    allowed = known_loops.get(name, [])
    for loop in loops:
        if loop not in allowed:
            failures.append(
                f"{name}: modules import each other in a loop: {', '.join(sorted(loop))}"
            )
    for loop in allowed:
        if loop not in loops:
            now = "; ".join(", ".join(sorted(l)) for l in loops) or "none"
            failures.append(
                f"{name}: the known loop {', '.join(sorted(loop))} is gone or changed "
                f"(loops now: {now}); update [known_loops] in .ci/layout.toml"
            )

if failures:
    print("layout check failed:")
    for f in failures:
        print(f"  - {f}")
    sys.exit(1)
print(f"layout holds: {len(members)} crates, no new import loops")
