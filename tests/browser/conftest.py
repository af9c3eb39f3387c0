"""A live server (uvicorn in a thread, SQLite) and headless Chromium for the browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.config import Settings
from safeguard.web.app import create_app
from tests.web_fixtures import World, build_world

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "web-assets" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """Base URL of a running app with the test world loaded."""
    if not CHROMIUM.exists() or not AXE.exists():
        pytest.fail("needs /usr/bin/chromium (apt-get install chromium) and `make setup` (npm)")
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'web.db'}"
    engine = make_engine(url)
    upgrade(engine)
    world = build_world(engine)
    settings = Settings(environment="test", database_url=url, web_assets_dir=NODE_MODULES)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, engine),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # axe-core is injected as a script; the app's CSP (rightly) forbids that, so bypass it here.
    context = browser.new_context(bypass_csp=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)  # generous: CI shares two cores with the other tests
    yield pg
    context.close()
