"""infra/Dockerfile.api, infra/docker-compose.yml and .dockerignore, parsed and checked.

No image is built here (the base images need a registry this machine does not reach): the
files are read as Docker reads them and checked against the code they package, the settings
the server reads and the ports it listens on.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import api
from api.console.paths import ASSETS_DIR
from tests.deploy import k8s_checks

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "infra" / "Dockerfile.api"
COMPOSE = ROOT / "infra" / "docker-compose.yml"
DOCKERIGNORE = ROOT / ".dockerignore"


# --- Dockerfile -----------------------------------------------------------------------------


@dataclass
class Instruction:
    stage: str
    keyword: str
    arguments: str


def _instructions() -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    assert not pending, "a continued line never ends"
    out, stage = [], ""
    for text in logical:
        keyword, _, arguments = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", arguments.strip(), re.IGNORECASE)
            assert match, arguments
            stage = match.group(2) or match.group(1)
        out.append(Instruction(stage, keyword, arguments.strip()))
    return out


def _stages(instructions: list[Instruction]) -> dict[str, list[Instruction]]:
    stages: dict[str, list[Instruction]] = {}
    for instruction in instructions:
        stages.setdefault(instruction.stage, []).append(instruction)
    return stages


def _exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value


def test_dockerfile_stages_build_the_console_then_the_platform() -> None:
    instructions = _instructions()
    froms = [i.arguments for i in instructions if i.keyword == "FROM"]
    assert len(froms) == 2
    assert froms[0].startswith("node:") and froms[0].endswith(" AS console")
    assert froms[1].startswith("python:3.11") and froms[1].endswith(" AS platform")
    known = {"FROM", "RUN", "COPY", "ENV", "WORKDIR", "USER", "EXPOSE", "CMD", "ARG", "LABEL"}
    assert {i.keyword for i in instructions} <= known


def test_the_console_assets_are_built_and_copied_where_the_server_serves_them() -> None:
    stages = _stages(_instructions())
    console = stages["console"]
    runs = " && ".join(i.arguments for i in console if i.keyword == "RUN")
    # As scripts/install-deps.sh builds them: the lock's exact packages, no install scripts.
    assert re.search(r"npm ci\b[^&]*--ignore-scripts", runs)
    assert "npm run" in runs and "build" in runs
    copied = [shlex.split(i.arguments) for i in console if i.keyword == "COPY"]
    sources = {source for args in copied for source in args[:-1]}
    assert {"console/package.json", "console/package-lock.json", "console/build.mjs"} <= sources
    assert "console/src" in sources
    # The lock is copied (and `npm ci` run) before the sources, so a source change reuses
    # the installed packages' layer.
    order = [i for i in console if i.keyword in ("COPY", "RUN")]
    assert "package-lock.json" in order[0].arguments and "npm ci" in order[1].arguments
    platform = stages["platform"]
    (copy,) = [i for i in platform if i.keyword == "COPY" and "--from=console" in i.arguments]
    _, source, target = shlex.split(copy.arguments)
    workdir = [i.arguments for i in console if i.keyword == "WORKDIR"][-1]
    assert source == f"{workdir}/dist"
    # The server reads console/dist beside its installed `api` package (api/console/paths.py).
    python = re.match(r"python:(\d+\.\d+)", platform[0].arguments)
    assert python
    site_packages = Path(f"/usr/local/lib/python{python.group(1)}/site-packages")
    beside_api = ASSETS_DIR.relative_to(Path(api.__file__).resolve().parents[1])
    assert Path(target) == site_packages / beside_api
    # What the build writes last, which the server looks for before serving the assets.
    assert (ROOT / "console" / "build.mjs").read_text().count('join(dist, "BUILT")') == 1


def test_the_platform_stage_installs_bwrap_and_the_locked_packages() -> None:
    platform = _stages(_instructions())["platform"]
    runs = " ".join(i.arguments for i in platform if i.keyword == "RUN")
    assert re.search(r"apt-get install[^&]*\bbubblewrap\b", runs)
    assert "-c requirements.lock" in runs
    copied = {
        source
        for i in platform
        if i.keyword == "COPY" and "--from" not in i.arguments
        for source in shlex.split(i.arguments)[:-1]
    }
    for needed in ("sandbox", "api", "algorithms", "client", "pyproject.toml", "requirements.lock"):
        assert needed in copied, needed
        assert (ROOT / needed).exists()


def test_the_platform_runs_unprivileged_and_exposes_its_port() -> None:
    platform = _stages(_instructions())["platform"]
    users = [i.arguments for i in platform if i.keyword == "USER"]
    assert users and users[-1] not in ("0", "root")
    assert int(users[-1]) == k8s_checks.PLATFORM_UID
    runs = " ".join(i.arguments for i in platform if i.keyword == "RUN")
    assert f"--uid {k8s_checks.PLATFORM_UID}" in runs
    (expose,) = [i.arguments for i in platform if i.keyword == "EXPOSE"]
    command = _exec_form([i.arguments for i in platform if i.keyword == "CMD"][-1])
    assert command[:2] == ["sandbox", "serve"]
    assert command[command.index("--port") + 1] == expose
    assert command[command.index("--host") + 1] == "0.0.0.0"
    env = " ".join(i.arguments for i in platform if i.keyword == "ENV")
    for name in re.findall(r"\b(SANDBOX_[A-Z_]+)=", env):
        assert name in k8s_checks.setting_names(), name


# --- .dockerignore --------------------------------------------------------------------------


def _ignore_patterns() -> list[str]:
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's .dockerignore matching (Go's filepath.Match plus ``**``), from the root."""
    out = ""
    index = 0
    pattern = pattern.strip("/")
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out += "(?:.*/)?"
            index += 3
        elif pattern.startswith("**", index):
            out += ".*"
            index += 2
        elif pattern[index] == "*":
            out += "[^/]*"
            index += 1
        elif pattern[index] == "?":
            out += "[^/]"
            index += 1
        else:
            out += re.escape(pattern[index])
            index += 1
    return re.compile(out)


def _ignored(path: str) -> bool:
    """Whether the build context leaves ``path`` out: it or a parent directory matches."""
    excluded = False
    parts = path.split("/")
    for pattern in _ignore_patterns():
        negate = pattern.startswith("!")
        regex = _pattern_regex(pattern.removeprefix("!"))
        if any(regex.fullmatch("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            excluded = not negate
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        "client/.venv/lib/x.py",
        "var/sandbox.db",
        "var/data/datasets/x.parquet",
        ".git/HEAD",
        "console/node_modules/chart.js/package.json",
        "console/dist/editor.js",
        "benchmarks/dp/data/big.parquet",
        "sandbox/__pycache__/config.cpython-311.pyc",
        "sandbox.db",
    ],
)
def test_dockerignore_keeps_working_data_out(path: str) -> None:
    assert _ignored(path)


def test_dockerignore_keeps_what_the_image_copies() -> None:
    needed = []
    for instruction in _instructions():
        if instruction.keyword == "COPY" and "--from" not in instruction.arguments:
            needed += shlex.split(instruction.arguments)[:-1]
    assert needed
    for source in needed:
        assert not _ignored(source), source
        assert (ROOT / source).exists(), source
    for source in ("sandbox/config.py", "console/src/editor.js", "api/console/static"):
        assert not _ignored(source), source


# --- docker-compose.yml ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_compose_has_the_whole_platform(compose) -> None:
    services = compose["services"]
    assert {"db", "minio", "bucket", "ray-head", "ray-worker", "api"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert services["minio"]["image"].startswith("minio/minio:")
    platform_images = {services[name]["image"] for name in ("ray-head", "ray-worker", "api")}
    assert len(platform_images) == 1  # one image for the API, the head and the workers
    for name in ("ray-head", "ray-worker", "api"):
        assert services[name]["build"]["dockerfile"] == "infra/Dockerfile.api"
        assert (COMPOSE.parent / services[name]["build"]["context"]).resolve() == ROOT


def test_compose_settings_are_real_and_production_on_bwrap(compose) -> None:
    names = k8s_checks.setting_names()
    for name, service in compose["services"].items():
        for variable in _environment(service):
            if variable.startswith("SANDBOX_"):
                assert variable in names, f"{name}: {variable}"
    for name in ("ray-head", "ray-worker", "api"):
        env = _environment(compose["services"][name])
        assert env["SANDBOX_ENVIRONMENT"] == "production"
        assert env["SANDBOX_RUNTIME_BACKEND"] == "bwrap"
        assert "SANDBOX_ALLOW_SUBPROCESS_BACKEND" not in env
        assert env["RAY_AUTH_MODE"] == "token"
        # The server's token and Ray's own are the same secret, from the environment.
        assert env["RAY_AUTH_TOKEN"] == "${SANDBOX_RAY_TOKEN}"
        assert env["SANDBOX_RAY_AUTH_TOKEN"].startswith("${SANDBOX_RAY_TOKEN")
        for secret in ("SANDBOX_DATABASE_URL", "SANDBOX_S3_SECRET_ACCESS_KEY"):
            assert "${" in env[secret], f"{secret} must come from the environment"


def test_compose_ports_agree(compose) -> None:
    services = compose["services"]
    api_service = services["api"]
    command = api_service["command"]
    port = command[command.index("--port") + 1]
    assert [p.rsplit(":", 1)[-1] for p in api_service["ports"]] == [port]
    assert f"127.0.0.1:{port}/v1/ready" in " ".join(api_service["healthcheck"]["test"])
    head = services["ray-head"]["command"]
    head_port = next(a.split("=", 1)[1] for a in head if a.startswith("--port="))
    assert "--num-cpus=0" in head  # no job runs on the head
    worker = services["ray-worker"]["command"]
    assert f"--address=ray-head:{head_port}" in worker
    assert _environment(api_service)["SANDBOX_RAY_ADDRESS"] == f"ray-head:{head_port}"
    endpoint = _environment(api_service)["SANDBOX_S3_ENDPOINT_URL"]
    assert endpoint == "http://minio:9000"
    assert _environment(api_service)["SANDBOX_DATABASE_URL"].endswith("@db:5432/sandbox")


def test_compose_migrates_once_before_the_api(compose) -> None:
    services = compose["services"]
    upgrades = [n for n, s in services.items() if s.get("command") == ["sandbox", "db", "upgrade"]]
    assert upgrades == ["migrate"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    api_needs = services["api"]["depends_on"]
    assert api_needs["migrate"]["condition"] == "service_completed_successfully"


def test_compose_gives_bwrap_what_it_needs_and_no_capability(compose) -> None:
    for name in ("ray-worker", "api"):
        service = compose["services"][name]
        assert set(service["security_opt"]) == {
            "seccomp=unconfined",
            "apparmor=unconfined",
            "systempaths=unconfined",
        }
        assert service["cap_drop"] == ["ALL"]
        assert not service.get("cap_add") and not service.get("privileged")


def test_compose_api_reaches_ray_through_a_node_of_its_own(compose) -> None:
    """A Ray driver connects through a Ray node of its own host: the api container gets a
    CPU-less Ray node sharing its network, processes, IPC (/dev/shm) and /tmp."""
    services = compose["services"]
    node, api_service = services["api-ray-node"], services["api"]
    for namespace in ("network_mode", "pid", "ipc"):
        assert node[namespace] == "service:api", namespace
    assert api_service["ipc"] == "shareable"
    tmp = [v for v in node["volumes"] if v.endswith(":/tmp")]
    assert tmp and tmp[0] in api_service["volumes"]
    assert tmp[0].split(":")[0] in compose["volumes"]
    # The api keeps the platform's shared volume beside its /tmp.
    assert "sandbox-var:/var/lib/sandbox" in api_service["volumes"]
    command = node["command"]
    assert command[:3] == ["ray", "start", "--block"]
    head = services["ray-head"]["command"]
    head_port = next(a.split("=", 1)[1] for a in head if a.startswith("--port="))
    assert f"--address=ray-head:{head_port}" in command and "--num-cpus=0" in command
    assert node["image"] == api_service["image"] and node["pull_policy"] == "never"
    env = _environment(node)
    assert env["RAY_AUTH_MODE"] == "token" and env["RAY_AUTH_TOKEN"] == "${SANDBOX_RAY_TOKEN}"
    assert node["restart"] == "unless-stopped" and node["cap_drop"] == ["ALL"]
    assert not node.get("security_opt")  # it starts no sandbox
