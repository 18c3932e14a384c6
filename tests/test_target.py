"""Which Kestra the flows are linted for: `kestra-version` and `edition`, from flags,
the environment, the configuration, or a Kestra image pinned next to the
configuration (compose, Helm values), with where each value came from; and which
rules that turns on."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write
from contractlint.config import CommandLine, ConfigError, settings_from_table
from contractlint.resolver import resolve_settings
from contractlint.target import DEFAULT_TARGET, find_pins, resolve_target

FOREACH_FLOW = (
    "id: loop\nnamespace: company.team\ntasks:\n  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n"
    "    values: [1, 2]\n    concurrencyLimit: 0\n    tasks:\n      - id: log\n        type: io.kestra.plugin.core.log.Log\n"
    "        message: \"{{ taskrun.value }}\"\n"
)
LEGACY_FLOW = "id: legacy\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.core.tasks.log.Log\n    message: hi\n"


COMPOSE = """services:
  postgres:
    image: postgres:16
  kestra:
    image: kestra/kestra:v2.0.1-slim
    command: server standalone
"""
HELM = """image:
  image: kestra/kestra
  tag: v1.3.5
  pullPolicy: Always
"""


def inferred(root: Path):
    """The target when nothing sets a version or an edition: what ``root`` pins."""
    return resolve_target(None, "default", None, "default", None, root)


# -- inference -------------------------------------------------------------------------


def test_compose_pin_gives_the_version_and_says_where(tmp_path: Path) -> None:
    write(tmp_path, "docker-compose.yml", COMPOSE)
    target = inferred(tmp_path)
    assert (target.version, target.version_inferred) == ((2, 0), True)
    assert target.version_source == "docker-compose.yml:5 (kestra/kestra:v2.0.1-slim)"
    assert (target.edition, target.edition_source) == ("oss", "default")
    assert target.describe() == [
        ("kestra-version", "2.0", "docker-compose.yml:5 (kestra/kestra:v2.0.1-slim)"),
        ("edition", "oss", "default"),
    ]


def test_helm_values_pin_with_image_and_tag(tmp_path: Path) -> None:
    write(tmp_path, "values.yaml", HELM)
    target = inferred(tmp_path)
    assert target.version == (1, 3)
    assert target.version_source == "values.yaml:2 (kestra/kestra:v1.3.5)"


def test_enterprise_image_gives_the_edition_even_without_a_version(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", "services:\n  kestra:\n    image: registry.kestra.io/docker/kestra-ee:latest\n")
    target = inferred(tmp_path)
    assert (target.version, target.version_source) == ((1, 3), "default")  # `latest` pins no version
    assert (target.edition, target.edition_source) == ("ee", "compose.yaml:3 (registry.kestra.io/docker/kestra-ee:latest)")


def test_lowest_pinned_version_applies(tmp_path: Path) -> None:
    write(tmp_path, "docker-compose.yml", COMPOSE)
    write(tmp_path, "values-prod.yaml", "image:\n  repository: kestra/kestra\n  tag: \"v1.3.2\"\n")
    target = inferred(tmp_path)
    assert (target.version, target.version_source) == ((1, 3), "values-prod.yaml:2 (kestra/kestra:v1.3.2)")


def test_nothing_pinned_is_kestra_1x(tmp_path: Path) -> None:
    write(tmp_path, "docker-compose.yml", "services:\n  db:\n    image: postgres:16\n  other:\n    image: acme/kestra:v9.9\n")
    write(tmp_path, "values.yaml", "image:\n  image: kestra/kestra\n")  # tag from the chart's appVersion: unknown
    target = inferred(tmp_path)
    assert target == DEFAULT_TARGET
    assert (target.version_label, target.label) == ("1.x", "Kestra 1.x open source")


def test_only_files_next_to_the_configuration_are_read(tmp_path: Path) -> None:
    write(tmp_path, "docker-compose.yml", COMPOSE)  # above the project
    project = tmp_path / "project"
    write(project, "deploy/docker-compose.yml", COMPOSE)  # below it
    write(project, "compose.override.txt", COMPOSE)  # not a compose file name
    assert inferred(project) == DEFAULT_TARGET
    write(project, "docker-compose.override.yml", COMPOSE)
    assert inferred(project).version == (2, 0)


def test_a_broken_compose_file_pins_nothing(tmp_path: Path) -> None:
    write(tmp_path, "docker-compose.yml", "services: [\n  image: kestra/kestra:v2.0.0\n")
    (tmp_path / "values.yaml").write_bytes(b"image: kestra/kestra:v2.0.0\n\xff\n")  # not UTF-8
    assert find_pins(tmp_path) == ()
    assert inferred(tmp_path) == DEFAULT_TARGET


def test_substitution_and_digest_references(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", (
        "services:\n  a:\n    image: kestra/kestra:${KESTRA_VERSION:-v2.0.0}\n"
        "  b:\n    image: docker.io/kestra/kestra:v1.3.7@sha256:abcdef\n"
    ))
    pins = find_pins(tmp_path)
    assert [(pin.version, pin.enterprise) for pin in pins] == [(None, False), ((1, 3), False)]


# -- precedence ------------------------------------------------------------------------


def test_configuration_wins_over_the_pin_and_the_flag_over_both(tmp_path: Path) -> None:
    write(tmp_path, "docker-compose.yml", COMPOSE)
    write(tmp_path, "pyproject.toml", '[tool.contractlint]\nkestra-version = "1.3"\nedition = "ee"\n')
    settings = resolve_settings(CommandLine(), tmp_path)
    assert settings.target.version == (1, 3)
    assert settings.target.version_source.endswith("pyproject.toml")
    assert (settings.target.edition, settings.target.version_inferred) == ("ee", False)
    flagged = resolve_settings(
        CommandLine(extra={"kestra-version": "2.1"}, labels={"kestra-version": "CONTRACTLINT_KESTRA_VERSION"}), tmp_path
    )
    assert (flagged.target.version, flagged.target.version_source) == ((2, 1), "CONTRACTLINT_KESTRA_VERSION")
    assert flagged.target.edition_source.endswith("pyproject.toml")


def test_policies_imply_the_enterprise_edition(tmp_path: Path) -> None:
    target = resolve_target(None, "default", None, "default", "cfg", tmp_path)
    assert (target.edition, target.edition_source) == ("ee", "cfg (policies are an Enterprise Edition feature)")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"kestra-version": "2"}, "invalid value for 'kestra-version' in example: expected a Kestra version "
         '"MAJOR.MINOR" such as "1.3" or "2.0", got \'2\''),
        ({"kestra-version": "2.0.1"}, "got '2.0.1'"),
        ({"kestra-version": 2.0}, "got 2.0"),
        ({"edition": "enterprise"}, "invalid value for 'edition' in example: expected one of 'oss', 'ee'"),
        ({"policies": [{"namespace": "a"}]}, 'expected a path, or a table { path = "…", namespace = "…" }'),
    ],
)
def test_invalid_target_configuration_is_a_clear_error(table: dict, message: str) -> None:
    from contractlint.config import validate_table

    with pytest.raises(ConfigError) as error:
        validate_table(table, "example")
    assert message in str(error.value)


def test_policies_with_the_open_source_edition_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="policies in .* are an Enterprise Edition feature, but edition is 'oss'"):
        settings_from_table({"edition": "oss", "policies": ["p.yaml"]}, tmp_path, None, CommandLine())


# -- which rules run ---------------------------------------------------------------------


def enabled(tmp_path: Path, table: dict, **flags) -> frozenset[str]:
    return settings_from_table(table, tmp_path, None, CommandLine(**flags)).enabled


def test_migration_rules_follow_the_target(tmp_path: Path) -> None:
    on_1x = enabled(tmp_path, {})
    on_2x = enabled(tmp_path, {"kestra-version": "2.0"})
    assert not {code for code in on_1x if code.startswith("CL6")}
    assert {"CL601", "CL602", "CL611", "CL617", "CL623"} <= on_2x
    assert on_2x - on_1x == {code for code in on_2x if code.startswith("CL6")}


def test_renames_valid_on_1x_are_enabled_there_by_name_only(tmp_path: Path) -> None:
    by_family = enabled(tmp_path, {"extend-select": ["CL61"]})
    assert {"CL611", "CL612", "CL617", "CL619"} <= by_family
    assert "CL618" not in by_family  # `checks[].when` does not exist on 1.3
    assert not {"CL601", "CL602", "CL621"} & by_family
    assert "CL611" in enabled(tmp_path, {}, select=("CL611",))
    assert "CL622" in enabled(tmp_path, {}, extend_select=("CL6",))
    assert not {c for c in enabled(tmp_path, {}, select=("ALL",)) if c.startswith("CL6")}  # ALL: what applies
    assert "CL611" not in enabled(tmp_path, {"extend-select": ["CL61"]}, ignore=("CL611",))


# -- end to end --------------------------------------------------------------------------


def test_cli_flag_environment_and_inference(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/loop.yaml", FOREACH_FLOW)
    message = (
        "flows/loop.yaml:5:11: CL602 Task 'each': io.kestra.plugin.core.flow.ForEach is removed in Kestra 2.0 "
        "(the flow does not parse); rewrite it as io.kestra.plugin.core.flow.Loop; its tasks' `taskrun.value` "
        "becomes `item.value`; declare the `outputs` read after the loop and replace an AllowFailure wrapper with "
        "`transmitFailed: false`"
    )
    clean = inprocess_cli("check", "--select", "CL6", cwd=tmp_path)
    assert (clean.code, clean.stdout) == (0, "All checks passed!\n")
    flagged = inprocess_cli("check", "--select", "CL6", "--kestra-version", "2.0", cwd=tmp_path)
    assert (flagged.code, flagged.lines) == (1, [message, "Found 1 diagnostic in 1 file."])
    environment = inprocess_cli("check", "--select", "CL6", cwd=tmp_path, env={"CONTRACTLINT_KESTRA_VERSION": "2.0"})
    assert environment.lines == flagged.lines
    write(tmp_path, "docker-compose.yml", COMPOSE)
    inferred = inprocess_cli("check", "--select", "CL6", cwd=tmp_path)
    assert inferred.lines == flagged.lines
    pinned_back = inprocess_cli("check", "--select", "CL6", "--kestra-version", "1.3", cwd=tmp_path)
    assert pinned_back.code == 0


def test_cli_rejects_a_bad_version_with_its_source(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/loop.yaml", FOREACH_FLOW)
    flag = inprocess_cli("check", "--kestra-version", "two", cwd=tmp_path)
    assert (flag.code, flag.stderr) == (
        2, "error: invalid kestra-version 'two' from --kestra-version: expected a Kestra version \"MAJOR.MINOR\" "
        "such as \"1.3\" or \"2.0\"\n")
    environment = inprocess_cli("check", cwd=tmp_path, env={"CONTRACTLINT_KESTRA_VERSION": "2"})
    assert environment.code == 2 and "from CONTRACTLINT_KESTRA_VERSION" in environment.stderr


def test_opting_into_renames_on_1x_fixes_them(inprocess_cli, tmp_path: Path) -> None:
    path = write(tmp_path, "flows/legacy.yaml", LEGACY_FLOW)
    result = inprocess_cli("check", "--extend-select", "CL61", "--fix", cwd=tmp_path)
    assert result.code == 0, result.stdout
    assert path.read_text() == LEGACY_FLOW.replace("io.kestra.core.tasks.log.Log", "io.kestra.plugin.core.log.Log")


def test_rules_selected_by_name_that_the_target_turns_off_are_named(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/loop.yaml", FOREACH_FLOW)
    result = inprocess_cli("check", "--select", "CL602,CL611", cwd=tmp_path)
    assert (result.code, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr == (
        "note: CL602 applies to Kestra 2.0 and later and the target is Kestra 1.x; set `kestra-version` "
        "(or --kestra-version 2.0) to run it\n"
    )
    quiet = inprocess_cli("check", "--select", "CL602", "-q", cwd=tmp_path)
    assert quiet.stderr == ""
