#!/usr/bin/env python3
"""The C ABI as the compiler sees it: every public struct's size and field
offsets and every KFK_* constant of include/kfk.h, as JSON.

The bindings declare the header's structs and constants in their own
languages; a mismatch corrupts memory without a word. Each binding's test
suite runs this script and compares its declarations with what it prints,
so the header stays the one source of truth.

The script reads the header, writes a small C program that prints sizeof,
offsetof and the value of each name it found, compiles it with $CC (cc),
runs it and prints the JSON:

    {"structs": {"kfk_message_t": {"size": 96, "fields": {"topic": 0, ...}}},
     "constants": {"KFK_ERR_CLOSED": -114, ...}}

Usage: kfk_abi.py [--header include/kfk.h] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_HEADER = os.path.join(HERE, "..", "..", "include", "kfk.h")

# Names that are not ABI values: the include guard, the export macro and
# the version string.
NOT_VALUES = {"KFK_H", "KFK_API", "KFK_VERSION_STR"}


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def parse_header(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """The structs (typedef name -> field names in order) and the constant
    names (#define KFK_* with a value, and enum members) of the header."""
    code = _strip_comments(text)
    structs: dict[str, list[str]] = {}
    for body, name in re.findall(r"typedef\s+struct\s+\w+\s*\{(.*?)\}\s*(\w+)\s*;", code, flags=re.S):
        fields = []
        for decl in body.split(";"):
            decl = decl.strip()
            if decl:
                fields.append(re.findall(r"\w+", decl)[-1])
        structs[name] = fields
    constants = []
    for name in re.findall(r"^\s*#\s*define\s+(KFK_\w+)\s+\S", code, flags=re.M):
        if name not in NOT_VALUES:
            constants.append(name)
    for body in re.findall(r"typedef\s+enum\s+\w+\s*\{(.*?)\}", code, flags=re.S):
        constants += re.findall(r"\b(KFK_\w+)\s*=", body)
    return structs, constants


def probe_source(structs: dict[str, list[str]], constants: list[str]) -> str:
    lines = ["#include <stddef.h>", "#include <stdio.h>", '#include "kfk.h"', "int main(void) {",
             '    printf("{\\"structs\\": {");']
    for i, (name, fields) in enumerate(structs.items()):
        sep = ", " if i else ""
        lines.append(f'    printf("{sep}\\"{name}\\": {{\\"size\\": %zu, \\"fields\\": {{", sizeof({name}));')
        for j, field in enumerate(fields):
            fsep = ", " if j else ""
            lines.append(f'    printf("{fsep}\\"{field}\\": %zu", offsetof({name}, {field}));')
        lines.append('    printf("}}");')
    lines.append('    printf("}, \\"constants\\": {");')
    for i, name in enumerate(constants):
        sep = ", " if i else ""
        lines.append(f'    printf("{sep}\\"{name}\\": %lld", (long long)({name}));')
    lines += ['    printf("}}\\n");', "    return 0;", "}"]
    return "\n".join(lines) + "\n"


def measure(header: str) -> dict:
    with open(header, encoding="utf-8") as f:
        structs, constants = parse_header(f.read())
    cc = os.environ.get("CC", "cc")
    with tempfile.TemporaryDirectory(prefix="kfk-abi-") as tmp:
        src, exe = os.path.join(tmp, "probe.c"), os.path.join(tmp, "probe")
        with open(src, "w", encoding="utf-8") as f:
            f.write(probe_source(structs, constants))
        subprocess.run([cc, "-std=c11", "-Wall", "-Werror", "-I", os.path.dirname(os.path.abspath(header)),
                        "-o", exe, src], check=True)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--header", default=DEFAULT_HEADER)
    ap.add_argument("--out", help="write the JSON here instead of standard output")
    args = ap.parse_args()
    abi = measure(args.header)
    text = json.dumps(abi, indent=1, sort_keys=True) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
