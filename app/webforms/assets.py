"""ODK Web Forms' files, as Doorstep serves them: taken from the npm packages (the pinned
release of @getodk/web-forms and of vue, its peer), checked against the registry's SHA-512,
and written with a gzip and a brotli copy of each beside it under the web forms directory.

Nothing here is built: @getodk/web-forms is published as ES modules with every dependency
inside except vue, which a page maps with an import map to vue's own browser build. So
"installing" is reading two tarballs, which Python does alone; the README's first command
still needs no Node. `flask webforms install` (and `flask setup`) run it; tests take the same
files from tests/engine/node_modules, which `npm ci` verified against its lock file.
"""
import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request

import brotli

REGISTRY = "https://registry.npmjs.org"

#: package -> (version, the registry's dist.integrity, files taken from the package)
PACKAGES = {
    "@getodk/web-forms": (
        "0.22.0",
        "sha512-vG4ZWWqIUNNXVab8qdLtPouxv8fOjJNIloWcWbTn8hSeID9f2tBeSHV89Avptw+BRyj2YDFmrFrKDYNwErD5Jg==",
        ("dist/index.js", "dist/index-DlGh9P5C.js", "dist/MapBlock-Bb-sCnDx.js")),
    "vue": (
        "3.5.46",
        "sha512-0kW5CgfjMPBqmH158049SaE1muufp+K/ZyrwvSEwrwYky6QB7zL2y8kXfruneKb9O12eh0xAJL6CVSpzb9o0Kg==",
        ("dist/vue.runtime.esm-browser.prod.js",)),
}
#: every file installed (and served), by its name in the installed directory
NAMES = tuple(os.path.basename(path) for _, _, files in PACKAGES.values() for path in files)
#: the page's entry points, by role, as files of the installed directory
ENGINE, VUE = "index.js", "vue.runtime.esm-browser.prod.js"
MANIFEST = "installed.json"
#: what an install writes beside each file (2: gzip and brotli); a change reinstalls
LAYOUT = 2
#: a tarball larger than this is not what was pinned; stop reading (bytes)
MAX_TARBALL = 32 << 20


class AssetsError(Exception):
    """The files could not be installed; the message says why, for the person installing."""


def tag():
    """The installed set's name in URLs: changes with either pinned version."""
    return "-".join(version for version, _, _ in PACKAGES.values())


def installed(directory):
    """True when `directory` holds this release's files (written by install)."""
    try:
        with open(os.path.join(directory, MANIFEST), encoding="utf-8") as f:
            found = json.load(f)
        return found.get("tag") == tag() and found.get("layout") == LAYOUT
    except (OSError, ValueError):
        return False


def install(directory, node_modules=None, registry=REGISTRY, opener=urllib.request.urlopen,
            quality=11):
    """Write the pinned files into `directory` (replacing what is there); from an
    npm-installed node_modules when given, else from the registry's tarballs. `quality`:
    brotli's, 11 (seven seconds, once) for what phones download; tests of the install itself
    take less."""
    if installed(directory):
        return False
    parent = os.path.dirname(os.path.abspath(directory)) or "."
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".webforms-", dir=parent)
    os.chmod(staging, 0o755)            # served by whichever user runs gunicorn
    try:
        for name, (version, integrity, files) in PACKAGES.items():
            contents = (_from_node_modules(node_modules, name, version, files) if node_modules
                        else _from_tarball(_download(registry, name, version, opener),
                                           name, integrity, files))
            for path, data in contents.items():
                _write(staging, os.path.basename(path), data, quality)
        with open(os.path.join(staging, MANIFEST), "w", encoding="utf-8") as f:
            json.dump({"tag": tag(), "layout": LAYOUT, "packages": {n: p[0] for n, p in PACKAGES.items()}}, f)
        if os.path.isdir(directory):
            shutil.rmtree(directory)
        os.replace(staging, directory)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)
    return True


def _download(registry, name, version, opener):
    url = f"{registry.rstrip('/')}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
    try:
        with opener(url, timeout=60) as response:
            data = response.read(MAX_TARBALL + 1)
    except OSError as error:
        raise AssetsError(f"could not download {url}: {error}") from error
    if len(data) > MAX_TARBALL:
        raise AssetsError(f"{url} is larger than {MAX_TARBALL} bytes")
    return data


def _from_tarball(data, name, integrity, files):
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise AssetsError(f"{name}: the tarball's {algorithm} is not the pinned one "
                          f"(a different or damaged download)")
    wanted = {f"package/{path}": path for path in files}
    found = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive:
            if member.name in wanted and member.isfile():
                found[wanted[member.name]] = archive.extractfile(member).read()
    missing = set(files) - set(found)
    if missing:
        raise AssetsError(f"{name}: the package lacks {sorted(missing)}")
    return found


def _from_node_modules(node_modules, name, version, files):
    root = os.path.join(node_modules, *name.split("/"))
    try:
        with open(os.path.join(root, "package.json"), encoding="utf-8") as f:
            have = json.load(f).get("version")
    except (OSError, ValueError) as error:
        raise AssetsError(f"{name} is not installed in {node_modules}") from error
    if have != version:
        raise AssetsError(f"{name} {have} in {node_modules}; Doorstep pins {version}")
    found = {}
    for path in files:
        with open(os.path.join(root, path), "rb") as f:
            found[path] = f.read()
    return found


def _write(directory, name, data, quality):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)
    # mtime=0: the same bytes every install, so a compressed copy's ETag never changes
    with open(os.path.join(directory, name + ".gz"), "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))
    # browsers offer brotli only over HTTPS; where they do, it is smaller than gzip
    with open(os.path.join(directory, name + ".br"), "wb") as f:
        f.write(brotli.compress(data, quality=quality))
