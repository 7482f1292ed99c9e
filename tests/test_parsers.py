"""Pure parsers: Simple API pages, requirements files, credentials, SRI hashes."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from samples import SAMPLES

from pyhelpers.errors import UserError
from pyhelpers.index.simple import parse_html, parse_json
from pyhelpers.index.urls import redact, split_credentials
from pyhelpers.lock.lockfile import sri_sha256
from pyhelpers.resolve.requirements_txt import parse

SHA = "a" * 64


def test_json_page_resolves_relative_urls_and_reads_pep_592_658_700_fields() -> None:
    page = {
        "meta": {"api-version": "1.1"},
        "name": "foo",
        "files": [
            {
                "filename": "foo-1.0-py3-none-any.whl",
                "url": "../../files/foo-1.0-py3-none-any.whl",
                "hashes": {"sha256": SHA.upper()},
                "requires-python": ">=3.9",
                "size": 10,
                "yanked": "broken",
                "core-metadata": {"sha256": "b" * 64},
            },
            {
                "filename": "foo-1.0.tar.gz",
                "url": "https://cdn/foo-1.0.tar.gz#sha256=x",
                "hashes": {},
                "yanked": False,
            },
            {"filename": 3, "url": "bad"},
        ],
    }
    files = parse_json(json.dumps(page), "http://127.0.0.1:1/simple/foo/", "page")
    assert len(files) == 2
    whl, sdist = files
    assert whl.url == "http://127.0.0.1:1/files/foo-1.0-py3-none-any.whl"
    assert (whl.sha256, whl.requires_python, whl.size, whl.yanked) == (SHA, ">=3.9", 10, "broken")
    assert whl.core_metadata and whl.core_metadata_sha256 == "b" * 64
    assert (
        sdist.url == "https://cdn/foo-1.0.tar.gz" and sdist.sha256 is None and sdist.yanked is None
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<html>", "invalid JSON"),
        ('{"files": 1}', "no 'files' list"),
        ('{"meta": {"api-version": "2.0"}, "files": []}', "version 2.0"),
    ],
)
def test_json_page_errors(text: str, fragment: str) -> None:
    with pytest.raises(UserError, match=fragment):
        parse_json(text, "http://x/simple/foo/", "http://x/simple/foo/")


def test_html_page_reads_data_attributes() -> None:
    html = f"""<!DOCTYPE html><html><body>
    <a href="/f/foo-1.0-py3-none-any.whl#sha256={SHA}" data-requires-python="&gt;=3.9"
       data-core-metadata="sha256={"c" * 64}">foo-1.0-py3-none-any.whl</a>
    <a href="foo-0.9-py3-none-any.whl#md5=abc" data-yanked="">foo-0.9-py3-none-any.whl</a>
    <a href="foo-0.8-py3-none-any.whl" data-yanked="bad build" data-dist-info-metadata>x</a>
    </body></html>"""
    a, b, c = parse_html(html, "http://h:8/simple/foo/")
    assert a.url == "http://h:8/f/foo-1.0-py3-none-any.whl" and a.sha256 == SHA
    assert a.requires_python == ">=3.9" and a.core_metadata_sha256 == "c" * 64
    assert b.url == "http://h:8/simple/foo/foo-0.9-py3-none-any.whl" and b.sha256 is None
    assert b.yanked == "" and not b.core_metadata
    assert c.yanked == "bad build" and c.core_metadata and c.filename == "x"


def test_credentials_are_split_off_and_redacted() -> None:
    clean, creds = split_credentials("https://user:p%40ss@host.example:8443/simple/")
    assert clean == "https://host.example:8443/simple/" and creds == ("user", "p@ss")
    assert split_credentials("https://TOKEN@host/simple")[1] == ("TOKEN", "")
    assert redact("https://user:password@h/x?q=1") == "https://h/x?q=1"
    assert split_credentials("https://h/x") == ("https://h/x", None)


def test_sri_hash_is_base64_of_the_digest() -> None:
    digest = hashlib.sha256(b"wheel").hexdigest()
    sri = sri_sha256(digest)
    assert sri.startswith("sha256-")
    assert base64.b64decode(sri[7:]) == hashlib.sha256(b"wheel").digest()


def test_requirements_file_with_hashes_markers_and_includes(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("idna==3.20 --hash=sha256:" + SHA + "\n")
    (tmp_path / "req.txt").write_text(
        "--index-url https://user:password@private/simple\n--extra-index-url=https://extra/simple\n"
        "-r base.txt\n# comment\n"
        "numpy==2.4.6 ; python_full_version < '3.12' \\\n    --hash=sha256:" + "B" * 64 + "\n"
        "requests[socks]>=2  # trailing comment\n--pre\n"
    )
    r = parse(tmp_path / "req.txt")
    assert [str(x) for x in r.requirements] == [
        "idna==3.20",
        'numpy==2.4.6; python_full_version < "3.12"',
        "requests[socks]>=2",
    ]
    assert r.hashes == {"idna": {SHA}, "numpy": {"b" * 64}}
    assert r.index_url == "https://user:password@private/simple" and r.extra_index_urls == [
        "https://extra/simple"
    ]
    assert r.pre


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("-e .", "editable"),
        ("foo @ https://x/foo.whl", "direct URL"),
        ("foo==1 --hash=md5:1", "--hash"),
        ("foo bar baz", "invalid requirement"),
        ("-r missing.txt", "cannot read"),
        ("--bogus x", "unknown option"),
    ],
)
def test_requirements_file_errors_name_the_line(tmp_path: Path, line: str, fragment: str) -> None:
    (tmp_path / "r.txt").write_text(f"six\n{line}\n")
    with pytest.raises(UserError, match=fragment) as info:
        parse(tmp_path / "r.txt")
    assert "\n" not in str(info.value)


def test_sample_requirements_parse() -> None:
    r = parse(SAMPLES / "scientific" / "requirements.txt")
    assert len(r.requirements) == 15 and len(r.hashes["numpy"]) > 100
