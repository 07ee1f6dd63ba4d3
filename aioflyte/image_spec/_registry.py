"""Does an ``ImageSpec``'s image exist? Asked of the local Docker engine when the ``docker`` package and an engine
are there, else of the registry itself over the Docker Registry HTTP API v2 (a ``HEAD`` of the manifest, with an
anonymous or ``registry_config``/``~/.docker/config.json`` token)."""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from aioflyte.image_spec.image_spec import ImageSpec

_log = structlog.get_logger(__name__)

TIMEOUT_S = 10.0
_DOCKER_HUB = "registry-1.docker.io"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io"}
_MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


def image_exists(spec: ImageSpec) -> bool | None:
    """``True``/``False`` when the engine or registry answered, ``None`` when neither could be asked."""
    found = _ask_engine(spec)
    if found is not None:
        return found
    if not spec.registry:
        return None  # a local-only image, and no engine to ask
    host, repository = split_registry(spec.registry, spec.name)
    try:
        return manifest_exists(host, repository, spec.tag, _credentials(host, spec.registry_config))
    except (OSError, ValueError) as e:
        _log.info("could not check whether the image exists", image=spec.image_name(), error=str(e))
        return None


def _ask_engine(spec: ImageSpec) -> bool | None:
    try:
        import docker
        from docker.errors import APIError, ImageNotFound
    except ImportError:
        return None
    try:
        client = docker.from_env()
        if spec.registry:
            client.images.get_registry_data(spec.image_name())
        else:
            client.images.get(spec.image_name())
        return True
    except ImageNotFound:
        return False
    except APIError as e:
        return False if getattr(e.response, "status_code", None) == 404 else None
    except Exception:  # no engine running: ask the registry instead
        return None


def split_registry(registry: str, name: str) -> tuple[str, str]:
    """``(registry host, repository)``: the first part of ``registry`` is a host when it has a ``.`` or ``:`` or is
    ``localhost`` (Docker's rule); otherwise the registry is a Docker Hub namespace."""
    first, _, rest = registry.partition("/")
    if "." in first or ":" in first or first == "localhost":
        host, namespace = first, rest
    else:
        host, namespace = _DOCKER_HUB, registry
    if host in _HUB_ALIASES:
        host = _DOCKER_HUB
    return host, f"{namespace}/{name}" if namespace else name


def _scheme(host: str) -> str:
    bare = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return "http" if bare in ("localhost", "127.0.0.1", "[::1]") else "https"


def _credentials(host: str, registry_config: str | None) -> str | None:
    """The ``user:password`` base64 ``auth`` for ``host`` from ``registry_config`` or ``~/.docker/config.json``."""
    path = registry_config or os.path.join(os.path.expanduser("~"), ".docker", "config.json")
    try:
        with open(path, encoding="utf-8") as f:
            auths: dict[str, Any] = json.load(f).get("auths", {})
    except (OSError, ValueError, AttributeError):
        return None
    keys = [host, f"https://{host}", f"http://{host}"]
    if host == _DOCKER_HUB:
        keys += ["https://index.docker.io/v1/", "docker.io", "index.docker.io"]
    for key in keys:
        entry = auths.get(key)
        if isinstance(entry, dict):
            if entry.get("auth"):
                return str(entry["auth"])
            if entry.get("username") is not None and entry.get("password") is not None:
                return base64.b64encode(f"{entry['username']}:{entry['password']}".encode()).decode()
    return None


def manifest_exists(host: str, repository: str, tag: str, basic_auth: str | None = None) -> bool | None:
    """``HEAD /v2/<repository>/manifests/<tag>``: ``True`` on 200, ``False`` on 404, ``None`` otherwise, following
    one ``401`` challenge (Bearer token or Basic)."""
    url = f"{_scheme(host)}://{host}/v2/{repository}/manifests/{urllib.parse.quote(tag, safe='')}"
    status, challenge = _head(url, None)
    if status == 401 and challenge:
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "bearer":
            token = _token(dict(_CHALLENGE_PARAM.findall(params)), repository, basic_auth)
            if token is not None:
                status, _ = _head(url, f"Bearer {token}")
        elif scheme.lower() == "basic" and basic_auth:
            status, _ = _head(url, f"Basic {basic_auth}")
    if status == 200:
        return True
    if status == 404:
        return False
    return None


def _head(url: str, authorization: str | None) -> tuple[int, str]:
    req = urllib.request.Request(url, method="HEAD", headers={"Accept": _MANIFEST_TYPES})
    if authorization:
        req.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            return resp.status, ""
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("WWW-Authenticate", "") if e.headers else ""


def _token(challenge: dict[str, str], repository: str, basic_auth: str | None) -> str | None:
    realm = challenge.get("realm")
    if not realm:
        return None
    query = {"scope": challenge.get("scope") or f"repository:{repository}:pull"}
    if challenge.get("service"):
        query["service"] = challenge["service"]
    req = urllib.request.Request(f"{realm}?{urllib.parse.urlencode(query)}")
    if basic_auth:
        req.add_header("Authorization", f"Basic {basic_auth}")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            body = json.load(resp)
    except (urllib.error.HTTPError, ValueError):
        return None
    token = body.get("token") or body.get("access_token")
    return str(token) if token else None
