"""Which Kestra the flows are linted for: the version (``kestra-version``) and the
edition (``edition``), each with where its value came from.

The version decides which rules apply: contract 2 reads ``pluginDefaults`` on 1.x
and Policies (Enterprise) or nothing (open source) on 2.x, and the migration rules
(CL6xx) run when the target is 2.0 or later. Resolution, highest first:

1. ``--kestra-version`` (or ``CONTRACTLINT_KESTRA_VERSION``, which click merges into
   the flag);
2. ``kestra-version`` in the configuration file;
3. what the repository pins, as ruff reads ``requires-python``: a Kestra image with a
   version tag (``kestra/kestra:v1.3.5``, ``registry.kestra.io/docker/kestra-ee:v2.0.1``)
   in a Docker Compose file or Helm values file *next to the configuration* — in the
   configuration file's folder (the project root; the working directory when there is
   no configuration file), not above or below it. The files read there are
   ``compose.yaml``, ``compose.yml``, ``docker-compose.yaml``, ``docker-compose.yml``,
   their ``compose.*.y(a)ml`` / ``docker-compose.*.y(a)ml`` overrides, and Helm's
   ``values.y(a)ml``, ``values-*.y(a)ml`` and ``values.*.y(a)ml``. An image is a
   string value of an ``image`` key (``kestra/kestra:v1.3.5``), or an ``image``
   mapping with ``image`` or ``repository`` and ``tag`` (the Kestra Helm chart's
   shape). Tags without a version (``latest``, ``develop``) and environment
   substitutions pin nothing. When several files pin different versions, the lowest
   one applies (the flows must still run there);
4. otherwise Kestra 1.x.

The edition is ``edition`` in the configuration, else Enterprise when ``policies``
are configured or the pinned image is ``kestra-ee``, else open source.

Nothing here touches the network; the files read are the few above, once per
configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contractlint.rules.base import Rule

EDITIONS = ("oss", "ee")
VERSION_PATTERN = r"^[0-9]+\.[0-9]+$"
VERSION_EXPECTED = 'a Kestra version "MAJOR.MINOR" such as "1.3" or "2.0"'
V2 = (2, 0)

COMPOSE_GLOBS = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml",
                 "compose.*.yaml", "compose.*.yml", "docker-compose.*.yaml", "docker-compose.*.yml")
HELM_GLOBS = ("values.yaml", "values.yml", "values-*.yaml", "values-*.yml", "values.*.yaml", "values.*.yml")
# `v1.3.5`, `1.3`, `v2.0.0-slim`, `v1.3.5-full`: a version first, anything after.
_VERSION_TAG = re.compile(r"^v?([0-9]+)\.([0-9]+)(?:$|[.\-+_])")


class TargetError(ValueError):
    """An invalid ``kestra-version`` or ``edition``: the configuration layer turns it
    into a usage error (exit status 2)."""


@dataclass(frozen=True)
class KestraTarget:
    """The Kestra a run lints for, and why."""

    version: tuple[int, int] = (1, 3)
    version_source: str = "default"  # "--kestra-version", "pyproject.toml [tool.contractlint]", "compose.yaml:4 (…)"
    edition: str = "oss"
    edition_source: str = "default"
    version_inferred: bool = False  # read from a pinned image rather than set

    @property
    def is_v2(self) -> bool:
        return self.version >= V2

    @property
    def is_ee(self) -> bool:
        return self.edition == "ee"

    @property
    def version_label(self) -> str:
        """``2.0``, or ``1.x`` for the default."""
        return "1.x" if self.version_source == "default" else f"{self.version[0]}.{self.version[1]}"

    @property
    def label(self) -> str:
        """``Kestra 2.0 Enterprise Edition``, for messages and notes."""
        edition = "Enterprise Edition" if self.is_ee else "open source"
        return f"Kestra {self.version_label} {edition}"

    def describe(self) -> list[tuple[str, str, str]]:
        """``(key, value, where it came from)`` rows, for ``--show-settings``."""
        return [
            ("kestra-version", self.version_label, self.version_source),
            ("edition", self.edition, self.edition_source),
        ]


DEFAULT_TARGET = KestraTarget()


def parse_version(text: str, where: str) -> tuple[int, int]:
    """``"2.0"`` → ``(2, 0)``; anything but MAJOR.MINOR is a ``TargetError`` naming
    ``where`` the value came from."""
    if not isinstance(text, str) or not re.match(VERSION_PATTERN, text.strip()):
        raise TargetError(f"invalid kestra-version {text!r} from {where}: expected {VERSION_EXPECTED}")
    major, minor = text.strip().split(".")
    return int(major), int(minor)


def resolve_target(
    version: str | None,
    version_source: str,
    edition: str | None,
    edition_source: str,
    policies_source: str | None,
    root: Path,
) -> KestraTarget:
    """The target of one configuration from its resolved ``kestra-version`` and
    ``edition`` settings (None: no layer set them) and where each came from
    (``policies_source``: where ``policies`` were set, None without any); ``root`` is
    the configuration's folder, where pinned images are looked for."""
    pinned = None
    if version is not None:
        parsed = parse_version(version, version_source)
    else:
        pinned = lowest_pin(find_pins(root))
        parsed, version_source = (pinned.version, pinned.where) if pinned is not None else ((1, 3), "default")
    if edition is not None:
        if edition not in EDITIONS:
            raise TargetError(f"invalid edition {edition!r} from {edition_source}: expected 'oss' or 'ee'")
    elif policies_source is not None:
        edition, edition_source = "ee", f"{policies_source} (policies are an Enterprise Edition feature)"
    else:
        enterprise = next((pin for pin in find_pins(root) if pin.enterprise), None)
        edition, edition_source = ("ee", enterprise.where) if enterprise is not None else ("oss", "default")
    if edition == "oss" and policies_source is not None:
        raise TargetError(f"policies in {policies_source} are an Enterprise Edition feature, but edition is 'oss'")
    return KestraTarget(parsed, version_source, edition, edition_source, version_inferred=pinned is not None)


# -- pinned images ---------------------------------------------------------------------


@dataclass(frozen=True)
class ImagePin:
    image: str  # as written: `kestra/kestra:v1.3.5`
    version: tuple[int, int] | None  # None: a tag without a version (`latest`)
    enterprise: bool
    where: str  # `compose.yaml:7 (kestra/kestra:v1.3.5)`


_PIN_CACHE: dict[Path, tuple[tuple[tuple[str, int, int], ...], tuple[ImagePin, ...]]] = {}


def candidate_files(root: Path) -> list[Path]:
    """The compose and Helm values files next to the configuration, sorted by name."""
    found: dict[str, Path] = {}
    try:
        for pattern in (*COMPOSE_GLOBS, *HELM_GLOBS):
            for path in root.glob(pattern):
                if path.is_file():
                    found[path.name] = path
    except OSError:
        return []  # an unreadable root: nothing pinned there (discovery reports the folder)
    return [found[name] for name in sorted(found)]


def find_pins(root: Path) -> tuple[ImagePin, ...]:
    """Every Kestra image in the candidate files, in file and document order. A file
    that cannot be read or parsed pins nothing: it is the deployment's, not ours."""
    files = candidate_files(root)
    key = tuple(_stamp(path) for path in files)
    cached = _PIN_CACHE.get(root)
    if cached is not None and cached[0] == key:
        return cached[1]
    pins: list[ImagePin] = []
    for path in files:
        pins.extend(_pins_in(path, root))
    result = tuple(pins)
    _PIN_CACHE[root] = (key, result)
    return result


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        status = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), status.st_mtime_ns, status.st_size)


def lowest_pin(pins: Iterable[ImagePin]) -> ImagePin | None:
    versioned = [pin for pin in pins if pin.version is not None]
    return min(versioned, key=lambda pin: pin.version) if versioned else None


def _pins_in(path: Path, root: Path) -> list[ImagePin]:
    from contractlint.flow import yaml_nodes as yn
    from contractlint.source import SourceFile, UndecodableFile, UnreadablePath, read_file

    try:
        source = SourceFile.from_bytes(path.name, read_file(path), syntax="yaml")
        documents = yn.compose_documents(source)
    except (UnreadablePath, UndecodableFile, yn.YamlError):
        return []
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
    pins: list[ImagePin] = []
    for document in documents:
        for node in yn.walk(document):
            for key_node, value_node in yn.items(node):
                if yn.scalar_text(key_node) != "image":
                    continue
                pin = _pin(value_node)
                if pin is not None:
                    image, version, enterprise = pin
                    line = value_node.start_mark.line + 1
                    pins.append(ImagePin(image, version, enterprise, f"{shown}:{line} ({image})"))
    return pins


def _pin(node: Any) -> tuple[str, tuple[int, int] | None, bool] | None:
    """(image as written, version or None, enterprise) when ``node`` names a Kestra
    image: ``repo:tag`` as a string, or ``{image|repository: repo, tag: tag}``."""
    from contractlint.flow import yaml_nodes as yn

    if yn.is_string(node):
        reference = node.value.strip()
        # `registry:5000/kestra/kestra:v1.3.5@sha256:…`: the tag follows the first `:`
        # of the last path component, the digest an `@`.
        head, _, last = reference.split("@", 1)[0].rpartition("/")
        name, _, tag = last.partition(":")
        repository = f"{head}/{name}" if head else name
    elif yn.is_mapping(node):
        repository = yn.get_string(node, "repository") or yn.get_string(node, "image") or ""
        tag = yn.scalar_text(yn.get_value(node, "tag")) or ""
        reference = f"{repository}:{tag}" if tag else repository
    else:
        return None
    parts = repository.split("/")
    if len(parts) < 2 or parts[-1] not in ("kestra", "kestra-ee"):
        return None
    if parts[-2] != "kestra" and "kestra.io" not in parts[0]:
        return None  # `someone/kestra` is not Kestra's image
    match = _VERSION_TAG.match(tag.strip())
    version = (int(match.group(1)), int(match.group(2))) if match else None
    return reference, version, parts[-1] == "kestra-ee"


# -- which rules apply -----------------------------------------------------------------


def applies(rule: type[Rule], target: KestraTarget) -> bool:
    """Whether ``rule`` runs for ``target`` without being asked for by name."""
    return rule.kestra_min is None or target.version >= rule.kestra_min


def restrict_to_target(
    enabled: frozenset[str], target: KestraTarget, explicit: frozenset[str]
) -> frozenset[str]:
    """``enabled`` minus the rules that do not apply to ``target``. A rule whose
    findings are also valid before its version (``kestra_opt_in``, e.g. the renames
    1.3 already accepts) stays when it was selected explicitly (``explicit``)."""
    from contractlint.rules import all_rules

    kept = set(enabled)
    for rule in all_rules():
        if rule.code in kept and not applies(rule, target) and not (rule.kestra_opt_in and rule.code in explicit):
            kept.discard(rule.code)
    return frozenset(kept)


def explicitly_selected(selectors: Iterable[str]) -> frozenset[str]:
    """Codes named by a selector at least as specific as a rule family (``CL6``,
    ``CL61``, ``CL611``): ``ALL`` and ``CL`` enable what applies, not what was asked
    for by name."""
    from contractlint.rules import all_rules

    specific = [selector for selector in selectors if selector != "ALL" and len(selector) >= 3]
    return frozenset(rule.code for rule in all_rules() if any(rule.code.startswith(s) for s in specific))


def not_applicable_note(codes: Iterable[str], target: KestraTarget) -> str:
    """Why rules selected by name do not run: their Kestra version is not the target's."""
    from contractlint.rules import rule_by_code_or_name

    codes = list(codes)
    first = rule_by_code_or_name(codes[0])
    since = ".".join(map(str, first.kestra_min)) if first is not None and first.kestra_min else "2.0"
    source = "" if target.version_source == "default" else f", from {target.version_source}"
    verb, pronoun = ("applies", "it") if len(codes) == 1 else ("apply", "them")
    return (
        f"note: {', '.join(codes)} {verb} to Kestra {since} and later and the target is Kestra "
        f"{target.version_label}{source}; set `kestra-version` (or --kestra-version {since}) to run {pronoun}"
    )


def rule_targets(rule: type[Rule]) -> str:
    """What ``contractlint rule`` says about the targets a rule applies to."""
    if rule.kestra_targets:
        return rule.kestra_targets
    if rule.kestra_min is None:
        return "every Kestra version."
    major, minor = rule.kestra_min
    text = f"Kestra {major}.{minor} and later (`kestra-version`, or a pinned image)."
    if rule.kestra_opt_in:
        text += (
            f" What it reports is also valid on 1.3: select it by name on a 1.x target "
            f"(`extend-select = [\"{rule.code}\"]`, or `CL6` for every such rule) to migrate before upgrading."
        )
    return text
