"""Prove that the test-support pieces are real: wheels install, indexes speak the protocols."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import platform
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
import requests
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from indexserver import HTML_TYPE, JSON_TYPE, IndexServer, with_credentials
from wheelfactory import build_sdist, build_wheel, compress_tags, expand_tags

PY = f"cp{sys.version_info.major}{sys.version_info.minor}"
HOST_TAGS = f"{PY}-{PY}-manylinux_2_17_{platform.machine()}.manylinux2014_{platform.machine()}"

IndexFactory = Callable[..., IndexServer]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=True
    )


def native_so(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".so")]
        return archive.read(name)


def needed(shared_object: bytes) -> list[str]:
    elf = ELFFile(io.BytesIO(shared_object))
    # pyelftools sets ``needed`` dynamically, so its type hints do not know about it.
    return [
        str(vars(tag)["needed"])
        for section in elf.iter_sections()
        if isinstance(section, DynamicSection)
        for tag in section.iter_tags("DT_NEEDED")
    ]


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))


def anchors(page: str) -> dict[str, dict[str, str | None]]:
    """Anchor attributes keyed by the file name the link points at."""
    parser = Anchors()
    parser.feed(page)
    return {urldefrag(a["href"] or "")[0].rsplit("/", 1)[-1]: a for a in parser.anchors}


# wheelfactory


@pytest.mark.parametrize("cxx", [False, True])
def test_native_wheel_installs_with_pip_and_runs(
    tmp_path: Path, wheel_dir: Path, cxx: bool
) -> None:
    wheel = build_wheel(wheel_dir, "Native.Pkg", "1.0", HOST_TAGS, c_extension=True, cxx=cxx)
    assert wheel.name == f"native_pkg-1.0-{HOST_TAGS}.whl"
    target = tmp_path / "site"
    pip("install", "--no-index", "--no-deps", "--target", str(target), str(wheel))
    result = subprocess.run(
        [sys.executable, "-c", "import native_pkg; print(native_pkg.answer())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    assert result.stdout.strip() == "42"


def test_cxx_extension_really_needs_libstdcxx(wheel_dir: Path) -> None:
    cxx = build_wheel(wheel_dir, "cxx-pkg", "1.0", HOST_TAGS, cxx=True)
    c = build_wheel(wheel_dir, "c-pkg", "1.0", HOST_TAGS, c_extension=True)
    assert "libstdc++.so.6" in needed(native_so(cxx))
    assert "libstdc++.so.6" not in needed(native_so(c))


def test_same_arguments_give_identical_wheels(tmp_path: Path) -> None:
    def build(out: str, tags: str) -> Path:
        return build_wheel(
            tmp_path / out,
            "same",
            "2.0",
            tags,
            cxx=True,
            requires_dist=["dep>=1"],
            extra_files={"same/data.txt": b"x"},
        )

    first, second = build("a", HOST_TAGS), build("b", HOST_TAGS)
    other_tag = build("c", f"{PY}-{PY}-linux_{platform.machine()}")
    assert sha256(first.read_bytes()) == sha256(second.read_bytes())
    assert sha256(first.read_bytes()) != sha256(other_tag.read_bytes())
    assert native_so(first) == native_so(other_tag)


def test_wheel_contents_and_record(wheel_dir: Path) -> None:
    wheel = build_wheel(
        wheel_dir,
        "My_Pkg",
        "1.2.3",
        ["py2-none-any", "py3-none-any"],
        requires_dist=["requests>=2", "attrs; extra == 'x'"],
        requires_python=">=3.8",
        build_tag="7",
    )
    assert wheel.name == "my_pkg-1.2.3-7-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        payload = [n for n in names[:-1] if ".dist-info/" not in n]
        dist_info = [n for n in names[:-1] if ".dist-info/" in n]
        assert names == [*sorted(payload), *sorted(dist_info), names[-1]]
        assert names[-1] == "my_pkg-1.2.3.dist-info/RECORD"
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
        metadata = archive.read("my_pkg-1.2.3.dist-info/METADATA").decode()
        wheel_file = archive.read("my_pkg-1.2.3.dist-info/WHEEL").decode()
        rows = list(csv.reader(io.StringIO(archive.read(names[-1]).decode())))
        for path, digest, size in rows[:-1]:
            data = archive.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode()
            assert int(size) == len(data)
        assert [row[0] for row in rows] == names
        assert rows[-1] == [names[-1], "", ""]
    assert "Metadata-Version: 2.1\nName: My_Pkg\nVersion: 1.2.3\n" in metadata
    assert "Requires-Python: >=3.8\n" in metadata
    assert "Requires-Dist: attrs; extra == 'x'\n" in metadata
    assert "Root-Is-Purelib: true" in wheel_file
    assert "Tag: py2-none-any\nTag: py3-none-any\n" in wheel_file
    assert "Build: 7" in wheel_file


def test_tag_helpers() -> None:
    assert expand_tags("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64") == [
        "cp312-cp312-manylinux_2_17_x86_64",
        "cp312-cp312-manylinux2014_x86_64",
    ]
    with pytest.raises(ValueError, match="not a product"):
        compress_tags(["cp311-cp311-linux_x86_64", "cp312-abi3-linux_x86_64"])


def test_sdist_is_minimal_and_reproducible(tmp_path: Path) -> None:
    first = build_sdist(tmp_path / "a", "Sdist.Only", "0.1")
    second = build_sdist(tmp_path / "b", "Sdist.Only", "0.1")
    assert first.name == "sdist_only-0.1.tar.gz"
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as tar:
        assert sorted(tar.getnames()) == [
            "sdist_only-0.1/PKG-INFO",
            "sdist_only-0.1/pyproject.toml",
            "sdist_only-0.1/sdist_only/__init__.py",
        ]
        pkg_info = tar.extractfile("sdist_only-0.1/PKG-INFO")
        assert pkg_info is not None
        assert b"Name: Sdist.Only\nVersion: 0.1\n" in pkg_info.read()


# IndexServer


@pytest.fixture
def served(wheel_dir: Path) -> dict[str, Path]:
    return {
        "new": build_wheel(wheel_dir, "demo", "2.0", requires_python=">=3.8,<4"),
        "old": build_wheel(wheel_dir, "demo", "1.0"),
        "sdist": build_sdist(wheel_dir, "demo", "1.0"),
        "other": build_wheel(wheel_dir, "other-project", "0.1"),
    }


def test_json_project_page(
    index_factory: IndexFactory, wheel_dir: Path, served: dict[str, Path]
) -> None:
    index = index_factory(wheel_dir, yanked={served["old"].name: "broken"})
    response = requests.get(index.url + "demo/", headers={"Accept": JSON_TYPE}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_TYPE
    page = response.json()
    assert page["meta"]["api-version"] == "1.1"
    assert page["name"] == "demo"
    assert page["versions"] == ["1.0", "2.0"]
    files = {entry["filename"]: entry for entry in page["files"]}
    assert set(files) == {served["new"].name, served["old"].name, served["sdist"].name}
    new, old, sdist = (
        files[served["new"].name],
        files[served["old"].name],
        files[served["sdist"].name],
    )
    assert new["requires-python"] == ">=3.8,<4"
    assert "requires-python" not in old
    assert (new["yanked"], old["yanked"]) == (False, "broken")
    assert new["size"] == served["new"].stat().st_size
    assert new["upload-time"].endswith("Z")
    assert "core-metadata" not in sdist
    for name, entry in files.items():
        assert not entry["url"].startswith("http")
        assert entry["hashes"] == {"sha256": sha256((wheel_dir / name).read_bytes())}
        download = requests.get(urljoin(response.url, entry["url"]), timeout=10)
        assert download.content == (wheel_dir / name).read_bytes()
    metadata = requests.get(urljoin(response.url, new["url"]) + ".metadata", timeout=10)
    assert new["core-metadata"] == {"sha256": sha256(metadata.content)}
    with zipfile.ZipFile(served["new"]) as archive:
        assert metadata.content == archive.read("demo-2.0.dist-info/METADATA")


def test_html_project_page(
    index_factory: IndexFactory, wheel_dir: Path, served: dict[str, Path]
) -> None:
    index = index_factory(
        wheel_dir, yanked={served["old"].name: True}, requires_python={served["old"].name: ">=3.9"}
    )
    response = requests.get(index.url + "demo/", headers={"Accept": "text/html"}, timeout=10)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "&gt;=3.8,&lt;4" in response.text
    links = anchors(response.text)
    new, old = links[served["new"].name], links[served["old"].name]
    assert new["data-requires-python"] == ">=3.8,<4"
    assert old["data-requires-python"] == ">=3.9"
    assert "data-yanked" not in new and old["data-yanked"] == ""
    href, fragment = urldefrag(new["href"] or "")
    assert fragment == "sha256=" + sha256(served["new"].read_bytes())
    metadata = requests.get(urljoin(response.url, href) + ".metadata", timeout=10).content
    assert new["data-core-metadata"] == "sha256=" + sha256(metadata)
    assert "data-core-metadata" not in links[served["sdist"].name]


@pytest.mark.parametrize(
    ("accept", "options", "status", "content_type"),
    [
        (None, {}, 200, "text/html"),
        ("*/*", {}, 200, JSON_TYPE),
        ("text/html, application/vnd.pypi.simple.v1+json;q=0.9", {}, 200, "text/html"),
        ("text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.5", {}, 200, JSON_TYPE),
        (f"{JSON_TYPE}, {HTML_TYPE};q=0.2, text/html;q=0.01", {}, 200, JSON_TYPE),
        (f"{HTML_TYPE}, {JSON_TYPE};q=0.1", {}, 200, HTML_TYPE),
        ("application/vnd.pypi.simple.latest+json", {}, 200, JSON_TYPE),
        (JSON_TYPE, {"json": False}, 200, "text/html"),
        ("text/html", {"html": False}, 406, None),
        ("application/json", {}, 406, None),
        (None, {"html": False}, 200, JSON_TYPE),
    ],
)
def test_content_negotiation(
    index_factory: IndexFactory,
    wheel_dir: Path,
    served: dict[str, Path],
    accept: str | None,
    options: dict[str, bool],
    status: int,
    content_type: str | None,
) -> None:
    index = index_factory(wheel_dir, **options)
    headers = {"Accept": accept} if accept is not None else {}
    # requests adds "Accept: */*" by default; None removes the header entirely.
    response = requests.get(index.url + "demo/", headers={"Accept": None, **headers}, timeout=10)
    assert response.status_code == status
    if content_type is not None:
        assert response.headers["Content-Type"].split(";")[0] == content_type


def test_normalisation_redirect_and_unknown_project(
    index_factory: IndexFactory, wheel_dir: Path, served: dict[str, Path]
) -> None:
    index = index_factory(wheel_dir)
    response = requests.get(index.url + "Other_Project/", allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"] == "/simple/other-project/"
    assert requests.get(index.url + "Other.Project", timeout=10).url == index.url + "other-project/"
    assert requests.get(index.url + "missing/", timeout=10).status_code == 404
    root = requests.get(index.url, headers={"Accept": JSON_TYPE}, timeout=10).json()
    assert root["projects"] == [{"name": "demo"}, {"name": "other-project"}]
    assert ("GET", "/simple/Other_Project/") in index.requests


def test_range_requests(
    index_factory: IndexFactory, wheel_dir: Path, served: dict[str, Path]
) -> None:
    index = index_factory(wheel_dir)
    url = index.base_url + "files/" + served["new"].name
    data = served["new"].read_bytes()
    size = len(data)

    def get(range_header: str | None) -> requests.Response:
        headers = {"Range": range_header} if range_header else {}
        return requests.get(url, headers=headers, timeout=10)

    whole = get(None)
    assert (whole.status_code, whole.content) == (200, data)
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = get("bytes=10-19")
    assert (part.status_code, part.content) == (206, data[10:20])
    assert part.headers["Content-Range"] == f"bytes 10-19/{size}"
    tail = get("bytes=-22")
    assert (tail.status_code, tail.content) == (206, data[-22:])
    assert tail.headers["Content-Range"] == f"bytes {size - 22}-{size - 1}/{size}"
    assert get(f"bytes={size - 5}-").content == data[-5:]
    assert get(f"bytes={size}-").status_code == 416
    head = requests.head(url, timeout=10)
    assert int(head.headers["Content-Length"]) == size


def test_metadata_switches(
    index_factory: IndexFactory, wheel_dir: Path, served: dict[str, Path]
) -> None:
    metadata_url = "files/" + served["new"].name + ".metadata"
    for options, advertised, status in [
        ({"metadata": False}, False, 404),
        ({"advertise_metadata": False}, False, 200),
    ]:
        index = index_factory(wheel_dir, hashes=False, **options)
        page = requests.get(index.url + "demo/", headers={"Accept": JSON_TYPE}, timeout=10)
        entry = next(f for f in page.json()["files"] if f["filename"] == served["new"].name)
        assert ("core-metadata" in entry) is advertised
        assert entry["hashes"] == {}
        assert requests.get(index.base_url + metadata_url, timeout=10).status_code == status
        html_page = requests.get(
            index.url + "demo/", headers={"Accept": "text/html"}, timeout=10
        ).text
        assert "#sha256=" not in html_page and "data-core-metadata" not in html_page


def test_basic_auth(index_factory: IndexFactory, wheel_dir: Path, served: dict[str, Path]) -> None:
    index = index_factory(wheel_dir, auth=("user", "secret"))
    anonymous = requests.get(index.url + "demo/", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic ")
    wrong = requests.get(index.url + "demo/", auth=("user", "nope"), timeout=10)
    assert wrong.status_code == 401
    assert requests.get(index.url + "demo/", auth=("user", "secret"), timeout=10).ok
    assert "Authorization" not in index.headers_seen[0]
    assert index.headers_seen[-1]["Authorization"].startswith("Basic ")


def test_fault_injection(
    index_factory: IndexFactory, wheel_dir: Path, served: dict[str, Path]
) -> None:
    faults = {"/simple/demo/": [503, 429]}
    index = index_factory(wheel_dir, faults=faults)
    url = index.url + "demo/"
    first, second, third = (requests.get(url, timeout=10) for _ in range(3))
    assert first.status_code == 503
    assert (second.status_code, second.headers["Retry-After"]) == (429, "0")
    assert third.status_code == 200
    assert faults == {"/simple/demo/": [503, 429]}
    assert index.requests == [("GET", "/simple/demo/")] * 3


def test_pip_downloads_through_index_server(
    index_factory: IndexFactory, tmp_path: Path, wheel_dir: Path, served: dict[str, Path]
) -> None:
    index = index_factory(wheel_dir, auth=("user", "secret"))
    url = with_credentials(index.url, "user", "secret")
    out = tmp_path / "out"
    pip("download", "--no-deps", "--index-url", url, "demo==2.0", "-d", str(out))
    assert (out / served["new"].name).read_bytes() == served["new"].read_bytes()
    paths = [path for _, path in index.requests]
    assert f"/files/{served['new'].name}.metadata" in paths
    assert any(JSON_TYPE in headers.get("Accept", "") for headers in index.headers_seen)


# pypiserver


def test_pypiserver_serves_built_wheel(
    pypiserver_factory: Callable[[Path], str], tmp_path: Path, wheel_dir: Path
) -> None:
    wheel = build_wheel(wheel_dir, "Served_Pkg", "1.0", requires_python=">=3.8")
    url = pypiserver_factory(wheel_dir)
    page = requests.get(url + "served-pkg/", timeout=10)
    assert page.status_code == 200
    link = anchors(page.text)[wheel.name]
    assert urldefrag(link["href"] or "").fragment == "sha256=" + sha256(wheel.read_bytes())
    out = tmp_path / "out"
    pip("download", "--no-deps", "--index-url", url, "Served_Pkg==1.0", "-d", str(out))
    assert (out / wheel.name).read_bytes() == wheel.read_bytes()


def test_pypiserver_quirks(pypiserver_factory: Callable[[Path], str], wheel_dir: Path) -> None:
    """Pin down what pypiserver 2.4 does differently, so the code under test copes."""
    wheel = build_wheel(wheel_dir, "quirky", "1.0", requires_python=">=3.8")
    url = pypiserver_factory(wheel_dir)
    page = requests.get(url + "quirky/", headers={"Accept": JSON_TYPE}, timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")  # no PEP 691 JSON
    link = anchors(page.text)[wheel.name]
    assert set(link) == {"href"}  # no requires-python, yanked or core-metadata attributes
    file_url = urljoin(page.url, urldefrag(link["href"] or "")[0])
    assert "/packages/" in file_url
    part = requests.get(file_url, headers={"Range": "bytes=-22"}, timeout=10)
    assert (part.status_code, part.content) == (206, wheel.read_bytes()[-22:])
    assert requests.get(file_url + ".metadata", timeout=10).status_code == 404
    redirect = requests.get(url + "Quirky/", allow_redirects=False, timeout=10)
    assert redirect.status_code == 301
    missing = requests.get(url + "missing/", allow_redirects=False, timeout=10)
    assert missing.status_code == 404


def test_pypiserver_lists_sdists(
    pypiserver_factory: Callable[[Path], str], wheel_dir: Path
) -> None:
    sdist = build_sdist(wheel_dir, "only-sdist", "0.1")
    url = pypiserver_factory(wheel_dir)
    page = requests.get(url + "only-sdist/", timeout=10)
    assert page.status_code == 200
    assert sdist.name in anchors(page.text)
