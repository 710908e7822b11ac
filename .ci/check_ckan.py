"""Open data driven by third-party clients: ckanapi (PyPI, MIT), CKAN's own
Python client, reads egov's Action API the way harvesters and scripts do
(status, lists, a search paged with rows/start, package and resource
show, the datastore, a NotFound raised as its exception); rdflib (PyPI,
BSD) parses the catalogue's DCAT-AP in JSON-LD and in Turtle, which must
be the same graph with the mandatory properties and both languages.

Usage: python .ci/check_ckan.py EGOV_BINARY"""

import sys
import tempfile

import ckanapi
import rdflib
import requests
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF
from serving import serving


def check_ckan(base: str) -> None:
    ckan = ckanapi.RemoteCKAN(base, apikey="not-needed", user_agent="egov-ci")
    status = ckan.action.status_show()
    assert "datastore" in status["extensions"], status
    names = ckan.action.package_list()
    assert len(names) >= 15, names
    orgs = ckan.action.organization_list()
    assert len(orgs) >= 8, orgs
    org = ckan.action.organization_show(id=orgs[0], include_datasets=True)
    assert org["package_count"] == len(org["packages"]) >= 1, org

    # A search paged through: every page as asked, together the whole count.
    first = ckan.action.package_search(q="", rows=5, start=0, facet_field=["organization"])
    total = first["count"]
    assert total == len(names), (total, len(names))
    seen = []
    for start in range(0, total, 5):
        page = ckan.action.package_search(q="", rows=5, start=start, sort="name asc")
        assert page["count"] == total
        seen += [p["name"] for p in page["results"]]
    assert seen == sorted(names), "paging by name gives every dataset once"
    found = ckan.action.package_search(q="空气质量", rows=10)
    assert found["count"] >= 1, found
    pkg = ckan.action.package_show(id=found["results"][0]["name"])
    resource = ckan.action.resource_show(id=pkg["resources"][0]["id"])
    assert resource["url"].endswith(".csv"), resource
    csv = requests.get(resource["url"], timeout=10)
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf"), csv.status_code
    rows = ckan.action.datastore_search(resource_id=resource["id"], limit=2)
    assert len(rows["records"]) == 2 and rows["total"] >= 2, rows
    field = rows["fields"][0]["id"]
    value = rows["records"][0][field]
    narrowed = ckan.action.datastore_search(
        resource_id=resource["id"], filters={field: value}, limit=100)
    assert all(r[field] == value for r in narrowed["records"]), narrowed

    try:
        ckan.action.package_show(id="no-such-dataset")
        raise AssertionError("package_show of a missing dataset succeeded")
    except ckanapi.NotFound:
        pass
    try:
        ckan.action.datastore_search(resource_id=resource["id"], limit=40000)
        raise AssertionError("a limit over 32000 was taken")
    except ckanapi.ValidationError:
        pass
    print(f"ckanapi: {total} open datasets, {len(orgs)} organizations, paging and datastore ok")


def check_dcat(base: str) -> None:
    graphs = {}
    for suffix, fmt in (("jsonld", "json-ld"), ("ttl", "turtle")):
        g = rdflib.Graph()
        g.parse(data=requests.get(f"{base}/catalog.{suffix}", timeout=30).text, format=fmt)
        graphs[suffix] = g
    g = graphs["ttl"]
    assert rdflib.compare.isomorphic(graphs["jsonld"], g), "JSON-LD and Turtle differ"
    catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1, catalogs
    catalog = catalogs[0]
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
        assert g.value(catalog, p) is not None, f"catalog lacks {p}"
    datasets = list(g.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) >= 15, len(datasets)
    for d in datasets:
        langs = {t.language for t in g.objects(d, DCTERMS.title)}
        assert "zh" in langs, (d, langs)
        assert g.value(d, DCTERMS.description) is not None, d
        for dist in g.objects(d, DCAT.distribution):
            assert g.value(dist, DCAT.accessURL) is not None, dist
    assert any(t.language == "en" for d in datasets for t in g.objects(d, DCTERMS.title))
    for s in g.subjects(RDF.type, DCAT.DataService):
        assert g.value(s, DCAT.endpointURL) is not None and g.value(s, DCTERMS.title) is not None
    for a in g.subjects(RDF.type, FOAF.Agent):
        assert g.value(a, FOAF.name) is not None, a
    print(f"rdflib: {len(datasets)} datasets, {len(g)} triples, JSON-LD and Turtle isomorphic")


def main() -> None:
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as data_dir:
        with serving(binary, data_dir, demo=True) as base:
            check_ckan(base)
            check_dcat(base)


if __name__ == "__main__":
    import rdflib.compare  # noqa: F401  (isomorphism)
    main()
