#!/usr/bin/env python3
"""Size budgets of the C++ sources (issue 13): no file over 600 lines, no function over 60.

Files and functions already over budget are listed in scripts/budget_allowlist.txt with their
size today; they may shrink but not grow, and nothing new may join them. Run with --update to
rewrite the allowlist after shrinking something (never to let something grow).

Functions are found the way this code base is formatted (clang-format, Google style): a
definition at namespace level starts at column 0 and ends at the next "}" in column 0.
Tables (a brace-initialised array or struct at namespace level) are not functions.
Exit 0 within budget, 1 over budget (each offender printed).
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRS = ["src", "apps"]
FILE_BUDGET = 600
FUNCTION_BUDGET = 60
ALLOWLIST = os.path.join(ROOT, "scripts", "budget_allowlist.txt")
# A function definition's first line: not a declaration (no ';'), not a type or table.
START = re.compile(r"^(?!namespace|struct|class|enum|union|template|using|typedef|static_assert|extern|#|//|\})"
                   r"[A-Za-z_].*\)\s*(const)?\s*(noexcept)?\s*(override)?\s*(->\s*[\w:<>, ]+)?\s*\{\s*$")
SIGNATURE_START = re.compile(r"^[A-Za-z_][\w:<>,*& ]*\s+[\w:~]+\(|^[\w:~]+::[\w~]+\(")


def sources():
    for d in DIRS:
        for base, _, files in os.walk(os.path.join(ROOT, d)):
            for f in sorted(files):
                if f.endswith((".cpp", ".hpp", ".h", ".cc")):
                    yield os.path.relpath(os.path.join(base, f), ROOT)


def functions(lines):
    """(name line, length) of each namespace-level function definition."""
    i = 0
    while i < len(lines):
        line = lines[i]
        if START.match(line) or (SIGNATURE_START.match(line) and not line.rstrip().endswith(";")):
            # The body opens on this line or on one of the next few continuation lines.
            j = i
            while j < len(lines) and j < i + 6:
                text = lines[j].rstrip()
                if text.endswith("{"):
                    break
                if ";" in text or "}" in text:
                    j = len(lines)  # a declaration or a one-line definition
                    break
                j += 1
            if j < len(lines) and lines[j].rstrip().endswith("{") and "=" not in lines[i].split("(")[0]:
                k = j + 1
                while k < len(lines) and not lines[k].startswith("}"):
                    k += 1
                name = re.sub(r"\s+", " ", line.strip())[:100]
                yield name, k - i + 1
                i = k + 1
                continue
        i += 1


def measure():
    over = {}
    for path in sources():
        with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        n = len(lines) - (1 if lines and lines[-1] == "" else 0)
        if n > FILE_BUDGET:
            over[f"file {path}"] = n
        for name, length in functions(lines):
            if length > FUNCTION_BUDGET:
                over[f"function {path}: {name}"] = length
    return over


def main():
    over = measure()
    if "--update" in sys.argv:
        with open(ALLOWLIST, "w") as f:
            f.write("# Over budget today (size, what); may shrink, never grow. scripts/check_budgets.py --update\n")
            for what, size in sorted(over.items()):
                f.write(f"{size}\t{what}\n")
        print(f"wrote {len(over)} entries to {os.path.relpath(ALLOWLIST, ROOT)}")
        return 0
    allowed = {}
    with open(ALLOWLIST) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            size, what = line.rstrip("\n").split("\t", 1)
            allowed[what] = int(size)
    bad = []
    for what, size in sorted(over.items()):
        limit = allowed.get(what)
        if limit is None:
            bad.append(f"{what}: {size} lines (budget {FILE_BUDGET if what.startswith('file') else FUNCTION_BUDGET})")
        elif size > limit:
            bad.append(f"{what}: grew to {size} lines (allowlisted at {limit})")
    for b in bad:
        print("over budget:", b)
    print(f"{len(over)} over budget, all allowlisted and not grown" if not bad else f"{len(bad)} budget violations")
    return 1 if bad else 0


sys.exit(main())
