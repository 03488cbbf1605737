"""`make prod`'s Procfile: the socket processes run on the server SOCKET_SERVER names."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def local_prod():
    spec = importlib.util.spec_from_file_location("local_prod", ROOT / "deploy" / "local_prod.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def socket_lines(procfile: str) -> list[str]:
    return [line for line in procfile.splitlines() if line.startswith("socket")]


def test_socket_processes_run_on_uvicorn_by_default(local_prod, monkeypatch, tmp_path):
    monkeypatch.delenv("SOCKET_SERVER", raising=False)
    lines = socket_lines(local_prod.procfile(tmp_path, sockets=2))
    assert len(lines) == 2
    assert all("/uvicorn --uds " in line and "--proxy-headers" in line for line in lines)
    assert all("--ws-per-message-deflate false" in line for line in lines)
    assert f"{tmp_path}/socket1.sock" in lines[1]


def test_socket_processes_run_on_daphne_when_asked(local_prod, monkeypatch, tmp_path):
    monkeypatch.setenv("SOCKET_SERVER", "daphne")
    lines = socket_lines(local_prod.procfile(tmp_path, sockets=2))
    assert all("/daphne -u " in line and "--proxy-headers" in line for line in lines)


def test_an_unknown_socket_server_is_refused_with_the_choices(local_prod, monkeypatch, tmp_path):
    monkeypatch.setenv("SOCKET_SERVER", "hypercorn")
    with pytest.raises(SystemExit, match="daphne, uvicorn"):
        local_prod.procfile(tmp_path, sockets=2)
