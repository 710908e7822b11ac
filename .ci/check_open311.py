"""Open311 GeoReport v2 driven by a third-party client: georeport (PyPI,
Apache-2.0) reads discovery-free endpoints the way city apps do (services,
a service definition, requests with filters, one request) in JSON and in
XML; it has no call for posting, so the report itself goes in as the spec
says, a form POST with the api_key (python-requests), and its token is
followed to the request id. Errors must come back as the spec's list.

Usage: python .ci/check_open311.py EGOV_BINARY"""

import subprocess
import sys
import tempfile
import time

import requests
import xmltodict
from georeport import GeoReport
from serving import serving

# 东华门大街, in 东城区 (WGS 84).
LAT, LONG = "39.9140", "116.4020"


def check(binary: str, data_dir: str, base: str) -> None:
    key = subprocess.run(
        [binary, "admin", "api-key", "create", "--data-dir", data_dir,
         "--name", "open311-ci", "--scope", "open311:write"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    root = f"{base}/open311/v2"
    discovery = requests.get(f"{root}/discovery.json", timeout=10).json()
    assert discovery["endpoints"][0]["url"] == root, discovery

    res = requests.post(
        f"{root}/requests.json",
        data={"api_key": key, "service_code": "e0102", "lat": LAT, "long": LONG,
              "description": "东华门大街路边暴露垃圾", "email": "ci@example.cn"},
        timeout=10,
    )
    assert res.status_code == 200, res.text
    token = res.json()[0]["token"]
    # The server opens received reports as cases as they arrive.
    request_id = None
    for _ in range(100):
        found = requests.get(f"{root}/tokens/{token}.json", timeout=10).json()
        request_id = found[0]["service_request_id"]
        if request_id:
            break
        time.sleep(0.1)
    assert request_id, f"token {token} was not opened as a request"

    for fmt in ("json", "xml"):
        client = GeoReport(root, api_key=key, output_format=fmt)
        services = client.get_service_list()
        assert any(s["service_code"] == "e0102" for s in services), services[:3]
        definition = client.get_service_definition("c0101")
        attributes = definition["attributes"]
        if fmt == "xml":
            attributes = attributes["attribute"]
            attributes = attributes if isinstance(attributes, list) else [attributes]
        assert attributes[0]["code"] == "cover_state", attributes
        one = client.get_service_request(request_id)
        assert one["service_request_id"] == request_id and one["status"] == "open", one
        assert "ci@example.cn" not in str(one), "the reporter's address is not public"
        listed = client.get_service_requests(service_code="e0102", status="open")
        listed = listed if isinstance(listed, list) else [listed]
        assert any(r["service_request_id"] == request_id for r in listed), listed
        by_id = client.get_service_requests(service_request_id=request_id)
        by_id = by_id if isinstance(by_id, list) else [by_id]
        assert [r["service_request_id"] for r in by_id] == [request_id], by_id
        try:
            client.get_service_definition("x9999")
            raise AssertionError("an unknown service was found")
        except requests.HTTPError as e:
            body = e.response.content
            if fmt == "json":
                assert e.response.json()[0]["code"] == 404, body
            else:
                assert xmltodict.parse(body)["errors"]["error"]["code"] == "404", body
        print(f"georeport ({fmt}): services, definition, requests, one request, an error: ok")

    bad = requests.post(
        f"{root}/requests.xml",
        data={"api_key": "egov_wrong", "service_code": "e0102", "lat": LAT, "long": LONG},
        timeout=10,
    )
    assert bad.status_code == 403, bad.text
    assert xmltodict.parse(bad.content)["errors"]["error"]["code"] == "403", bad.text
    outside = requests.post(
        f"{root}/requests.json",
        data={"api_key": key, "service_code": "e0102", "lat": "31.2304", "long": "121.4737"},
        timeout=10,
    )
    assert outside.status_code == 400 and outside.json()[0]["code"] == 400, outside.text
    print("posting: a report with a token followed to its id, a wrong key, a point outside: ok")


def main(binary: str) -> int:
    with tempfile.TemporaryDirectory() as data_dir, serving(binary, data_dir, demo=True) as base:
        check(binary, data_dir, base)
        print("Open311 standard client: all passed")
        return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
