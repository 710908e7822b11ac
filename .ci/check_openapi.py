"""Starts egov on a fresh data directory and validates its OpenAPI document
with an independent implementation of the OpenAPI 3.1 schema."""

import json
import subprocess
import sys
import tempfile
import urllib.request

from openapi_spec_validator import validate


def main(binary: str) -> int:
    with tempfile.TemporaryDirectory() as data_dir:
        proc = subprocess.Popen(
            [binary, "serve", "--bind", "127.0.0.1:0", "--data-dir", data_dir, "--no-demo"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            base = None
            for line in proc.stdout:
                if line.startswith("egov is serving "):
                    base = line.split()[3]
                    break
            if base is None:
                print("egov exited before serving", file=sys.stderr)
                return 1
            with urllib.request.urlopen(f"{base}/api/openapi.json") as res:
                doc = json.load(res)
            validate(doc)
            paths = len(doc["paths"])
            print(f"OpenAPI {doc['openapi']} document is valid: {paths} paths")
            print("1 passed, 0 failed")
            return 0
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
