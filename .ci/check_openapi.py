"""Starts egov on a fresh data directory and validates its OpenAPI document
with an independent implementation of the OpenAPI 3.1 schema."""

import json
import sys
import tempfile
import urllib.request

from openapi_spec_validator import validate
from serving import serving


def main(binary: str) -> int:
    with tempfile.TemporaryDirectory() as data_dir, serving(binary, data_dir, demo=False) as base:
        with urllib.request.urlopen(f"{base}/api/openapi.json") as res:
            doc = json.load(res)
        validate(doc)
        paths = len(doc["paths"])
        print(f"OpenAPI {doc['openapi']} document is valid: {paths} paths")
        print("1 passed, 0 failed")
        return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
