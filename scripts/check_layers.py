#!/usr/bin/env python3
"""Rejects an #include that points from a lower folder of src/ to a higher
one (or sideways, between two folders of one layer).

The layers, low to high (docs/ARCHITECTURE.md, "Layers"): a folder may
include its own headers and those of folders in lower layers only.
Unit tests (*_test.cc, *_test_util.h) may also include higher layers except
cli/, since they exercise a folder together with what runs above it.

Usage: scripts/check_layers.py [SRC_DIR]   (exit 1 and one line per
offending include; exit 0 and a summary otherwise)
"""

import os
import re
import sys

LAYERS = [
    ["util"],
    ["packet"],
    ["catalog"],
    ["segment", "anon"],
    ["capture", "flow", "index", "synth"],
    ["store"],
    ["levels"],
    ["ingest", "query"],
    ["plan"],
    ["cli"],
]
RANK = {folder: i for i, layer in enumerate(LAYERS) for folder in layer}
GENERATED = {"trove"}  # build-generated headers (trove/version.h): below everything

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"')


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    bad, checked = [], 0
    for folder in sorted(os.listdir(src)):
        path = os.path.join(src, folder)
        if not os.path.isdir(path):
            continue
        if folder not in RANK:
            bad.append(f"src/{folder}/: a folder with no layer: add it to LAYERS in {__file__} "
                       "and to docs/ARCHITECTURE.md")
            continue
        for name in sorted(os.listdir(path)):
            if not name.endswith((".h", ".cc")):
                continue
            is_test = name.endswith(("_test.cc", "_test_util.h"))
            with open(os.path.join(path, name), encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    checked += 1
                    target = m[1]
                    if target == folder or target in GENERATED:
                        continue
                    if target not in RANK:
                        bad.append(f"src/{folder}/{name}:{lineno}: includes unknown folder {target}/")
                    elif is_test and target != "cli":
                        continue
                    elif RANK[target] >= RANK[folder]:
                        how = "sideways" if RANK[target] == RANK[folder] else "upward"
                        bad.append(f"src/{folder}/{name}:{lineno}: {how} include of {target}/ "
                                   f"(layer {RANK[target]}) from {folder}/ (layer {RANK[folder]}): "
                                   f"{line.strip()}")
    for b in bad:
        print(b)
    if bad:
        print(f"check_layers: {len(bad)} include(s) break the layering")
        return 1
    print(f"check_layers: {checked} includes in src/ follow the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
