"""Runs as files (API.md, Additions): problems posted as YAML, a zipped CSV folder or an .xlsx workbook, 415 for
anything else; a finished run's outputs downloaded; its events; the console page and the docs served offline."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from enmusubi.service.io.csv_folder import csv_folder_texts
from enmusubi.service.io.workbook import problem_workbook_bytes
from enmusubi.solver import parse_problem
from tests.service.api.test_api_runs import wait_for_status

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def zipped(problem: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in csv_folder_texts(problem).items():
            archive.writestr(f"round/{name}", text.encode("cp932", errors="strict"))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("media", "encode"),
    [
        ("application/zip", zipped),
        (XLSX, problem_workbook_bytes),
        ("application/yaml", lambda p: yaml.safe_dump(p, allow_unicode=True).encode()),
    ],
    ids=["zip", "xlsx", "yaml"],
)
def test_a_problem_sent_as_a_file_runs_like_the_json(
    client: TestClient, example_problem: dict[str, Any], media: str, encode: Any
) -> None:
    response = client.post(
        "/v1/runs",
        params={"name": "from a file", "time_limit_seconds": 30},
        content=encode(example_problem),
        headers={"Content-Type": media},
    )
    assert response.status_code == 202, response.text
    run = wait_for_status(client, response.json()["id"], {"done", "failed"})
    assert run["status"] == "done" and run["name"] == "from a file" and run["time_limit_seconds"] == 30
    stored = client.get(f"/v1/runs/{run['id']}").json()
    assert stored["progress"] is None  # only while running
    json_run = client.post("/v1/runs", json={"problem": example_problem}).json()
    same = wait_for_status(client, json_run["id"], {"done"})
    assert same["result"]["reproducibility"]["input_digest"] == run["result"]["reproducibility"]["input_digest"]


def test_other_content_types_get_415_and_bad_files_422_naming_the_place(
    client: TestClient, example_problem: dict[str, Any]
) -> None:
    refused = client.post("/v1/runs", content=b"a,b\n", headers={"Content-Type": "text/csv"})
    assert refused.status_code == 415 and "application/zip" in refused.json()["detail"]
    book = load_workbook(io.BytesIO(problem_workbook_bytes(example_problem)))
    book["partners"]["G3"] = "lots"
    buffer = io.BytesIO()
    book.save(buffer)
    bad = client.post("/v1/runs", content=buffer.getvalue(), headers={"Content-Type": XLSX})
    assert bad.status_code == 422
    assert [d["path"] for d in bad.json()["detail"]] == ["problem.xlsx[partners]:3:hourly_rate_yen"]
    problem = parse_problem(example_problem).to_json_dict()
    problem["positions"][1]["municipality"] = "99999"
    unknown = client.post("/v1/runs", content=zipped(problem), headers={"Content-Type": "application/zip"})
    assert unknown.status_code == 422
    assert [d["path"] for d in unknown.json()["detail"]] == ["positions.csv:3:municipality"]
    assert client.post("/v1/runs", content=b"\x00junk", headers={"Content-Type": "application/zip"}).status_code == 422


def test_the_outputs_of_a_finished_run_download(client: TestClient, example_problem: dict[str, Any]) -> None:
    run_id = client.post("/v1/runs", json={"name": "round 3", "problem": example_problem}).json()["id"]
    assert client.get(f"/v1/runs/{run_id}/files/nothing.txt").status_code == 404
    wait_for_status(client, run_id, {"done"})
    for name in ("assignments.csv", "unfilled.csv", "municipalities.csv", "partners.csv"):
        response = client.get(f"/v1/runs/{run_id}/files/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf"), name
    workbook = client.get(f"/v1/runs/{run_id}/files/result.xlsx")
    assert load_workbook(io.BytesIO(workbook.content)).sheetnames[0] == "assignments"
    assert client.get(f"/v1/runs/{run_id}/files/report.md", params={"lang": "ja"}).text.startswith("# 配置レポート")
    html = client.get(f"/v1/runs/{run_id}/files/report.html").text
    assert html.count("<svg") == 4 and "round 3" in html
    svg = client.get(f"/v1/runs/{run_id}/files/map.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert len(re.findall(r'<g id="muni-', svg.text)) == len(example_problem["municipalities"])
    assert client.get(f"/v1/runs/{run_id}/files/report.md", params={"lang": "fr"}).status_code == 422
    assert client.get("/v1/runs/nope/files/report.md").status_code == 404


def test_events_of_a_finished_run_end_at_once(client: TestClient, example_problem: dict[str, Any]) -> None:
    run_id = client.post("/v1/runs", json={"problem": example_problem}).json()["id"]
    wait_for_status(client, run_id, {"done"})
    with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    assert re.search(r"event: end\r?\ndata: \{[^\n]*\"status\":\s*\"done\"", text), text
    assert client.get("/v1/runs/nope/events").status_code == 404


def test_the_files_and_events_need_the_key(make_client: Any, example_problem: dict[str, Any]) -> None:
    client = make_client()
    run_id = client.post("/v1/runs", json={"problem": example_problem}).json()["id"]
    del client.headers["Authorization"]
    assert client.get(f"/v1/runs/{run_id}/files/report.md").status_code == 401
    assert client.get(f"/v1/runs/{run_id}/events").status_code == 401


def test_the_console_page_follows_the_browser_language_and_loads_only_its_own_files(client: TestClient) -> None:
    del client.headers["Authorization"]  # the page itself is public; its data needs the key
    ja = client.get("/", headers={"Accept-Language": "ja,en-US;q=0.8"})
    assert ja.status_code == 200 and '<html lang="ja">' in ja.text and "enmusubi コンソール" in ja.text
    en = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in en.text and "enmusubi console" in en.text
    assert '<html lang="en">' in client.get("/?lang=en", headers={"Accept-Language": "ja"}).text
    loads = re.findall(r'(?:src|href)="([^"#?][^"]*)"', ja.text)
    assert loads and all(link.startswith("/console/static/") for link in loads), loads
    for link in loads:
        assert client.get(link).status_code == 200
    policy = ja.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy  # the browser loads nothing else


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_their_scripts_and_styles_from_the_service(client: TestClient, page: str) -> None:
    html = client.get(page).text
    loads = [link for link in re.findall(r'(?:src|href)="([^"]+)"', html) if not link.endswith("openapi.json")]
    assert loads and all(link.startswith("/") and not link.startswith("//") for link in loads), loads
    for link in loads:
        assert client.get(link).status_code == 200, link
    assert "default-src 'self'" in client.get(page).headers["content-security-policy"]
