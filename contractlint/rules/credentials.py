"""Contract 2 — pluginDefaults inject credentials — and hardcoded secrets.

Credentials and shared runtime values reach tasks through ``pluginDefaults``
(flow-level or the server's global defaults); a task's own ``env`` carries only
dynamic, task-specific values. Secrets are never written into a flow: they come
from ``{{ secret('…') }}`` (or another Pebble expression) at run time.

What the rules know about plugin defaults (which apply to a task, forced or not,
where they are written) comes from ``contractlint.flow.defaults``, which also answers
for the Kestra target: on 2.x the flow's ``pluginDefaults`` are not read (Kestra 2.0
rejects them: CL601); in the Enterprise Edition Policies' ``Add`` rules take their
place, and in open source nothing injects values, so credentials come from
``secret()`` in each task's env (CL403 keeps literals out).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic, Fix, Span
from contractlint.flow import yaml_nodes as yn
from contractlint.rules.base import Invalid, Rule, RuleContext, Valid

if TYPE_CHECKING:
    from contractlint.flow.defaults import EnvProvider
    from contractlint.flow.model import Flow, Task

NULL_TAG = "tag:yaml.org,2002:null"
BOOL_TAG = "tag:yaml.org,2002:bool"

# -- names -----------------------------------------------------------------------------

DEFAULT_CREDENTIAL_PATTERNS = [
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*API_KEY*",
    "*ACCESS_KEY*",
    "*PRIVATE_KEY*",
    "*CREDENTIAL*",
    "AWS_*",
    "DB_*",
    "GCP_*",
    "AZURE_*",
    "GOOGLE_APPLICATION_CREDENTIALS",
]
# Token *counts* of language-model clients and the Hugging Face tokenizers switch.
DEFAULT_IGNORED_PATTERNS = ["*MAX_TOKEN*", "*MIN_TOKEN*", "*NUM_TOKEN*", "TOKENIZERS_*"]

# CL403: an env key holds a secret when its name contains one of these (SPEC).
SECRET_NAME_PARTS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL")
# ...unless the name says it holds something *about* the secret: where it is, what
# it is called, how long it lives (`TOKEN_URL`, `SECRET_NAME`, `PASSWORD_FILE`).
METADATA_WORDS = frozenset(
    "FILE PATH DIR URL URI ENDPOINT HOST PORT NAME TYPE TTL EXPIRY EXPIRES EXPIRATION "
    "LENGTH SIZE COUNT LIMIT REGION ARN VERSION HEADER FIELD PARAM ENABLED".split()
)
TOKEN_COUNT = re.compile(r"(?:MAX|MIN|NUM)_?TOKENS?|TOKENS|TOKENIZERS?")
# Names whose value is a file path by definition (Google's credentials file).
PATH_NAMES = frozenset({"GOOGLE_APPLICATION_CREDENTIALS"})

# CL403: secret-bearing properties, by normalised name (lower case, no `_`, `-`, `.`).
# Exact names, and endings that only secrets have (`clientSecret`, `sendgridApiKey`,
# `basicAuthPassword`); `token` alone is exact, so `maxTokens`, `tokenUrl` and
# `maxToken` are not secrets, nor is `passwordField`.
SECRET_PROPERTIES = frozenset(
    {"token", "secret", "credentials", "serviceaccount", "authorization", "xapikey", "xauthtoken", "clientkeydata"}
)
SECRET_PROPERTY_ENDINGS = (
    "password",
    "passwd",
    "passphrase",
    "apikey",
    "apitoken",
    "apisecret",
    "accesstoken",
    "authtoken",
    "authorizationtoken",
    "bearertoken",
    "jwttoken",
    "sessiontoken",
    "refreshtoken",
    "sastoken",
    "privatetoken",
    "vaulttoken",
    "clientsecret",
    "secretkey",
    "secretkeyid",
    "accesskey",
    "accesskeyid",
    "secretaccesskey",
    "privatekey",
    "accountkey",
)


def normalise_property(name: str) -> str:
    return re.sub(r"[-_.\s]", "", name).lower()


def is_secret_property(name: str) -> bool:
    normal = normalise_property(name)
    return normal in SECRET_PROPERTIES or normal.endswith(SECRET_PROPERTY_ENDINGS)


def is_secret_env_name(name: str) -> bool:
    """CL403's narrower test: the name says the value *is* a secret."""
    upper = name.upper().replace("-", "_")
    if upper in PATH_NAMES:
        return False
    # dlt / Dynaconf nest configuration with `__` (`SOURCES__ZENDESK__CREDENTIALS__EMAIL`):
    # the last section names the value.
    last = upper.split("__")[-1]
    words = [word for word in last.split("_") if word]
    if len(words) > 1 and words[-1] in METADATA_WORDS:
        return False
    cleaned = TOKEN_COUNT.sub(" ", last)
    return any(part in cleaned for part in SECRET_NAME_PARTS)


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Case-insensitive glob match (environment names are conventionally upper case,
    but `aws_secret` is a credential too)."""
    upper = name.upper()
    return any(fnmatchcase(upper, pattern.upper()) for pattern in patterns)


# -- values ----------------------------------------------------------------------------


def has_pebble(text: str) -> bool:
    """The value is rendered: it holds a Pebble expression or tag."""
    from contractlint.python.pebble import find_pebble

    return any(span.kind != "comment" for span in find_pebble(text))


# Text next to a Pebble expression that holds no secret: an HTTP authentication
# scheme (`Bearer {{ secret('T') }}`, `Basic …`) or a URL scheme (`https://{{ … }}`).
AUTH_SCHEMES = frozenset(
    "basic bearer digest token negotiate oauth apikey key jwt ssws splunk hoba mutual dpop gnap".split()
)
_URL_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:(?://)?", re.IGNORECASE)


def is_literal_secret(node: Any) -> bool:
    """A value written into the flow: a non-empty string or number that is not made
    by Pebble. Empty strings, null and booleans are not secrets. A value mixing text
    and expressions is literal when the text outside ``{{ }}`` (and tags and
    comments) is more than a scheme — `Bearer {{ secret('T') }}` takes its secret
    from the expression; `sk-live-abc123{{ '' }}` is a secret with a decoration. A
    whole `${…}` placeholder is filled in when the file is rendered (Terraform,
    envsubst)."""
    if not yn.is_scalar(node) or yn.tag_of(node) in (NULL_TAG, BOOL_TAG):
        return False
    return is_literal_text(node.value)


def is_literal_text(text: str) -> bool:
    """The string test of ``is_literal_secret``."""
    from contractlint.flow.model import is_placeholder
    from contractlint.python.pebble import find_pebble

    if not text.strip() or is_placeholder(text):
        return False
    spans = find_pebble(text)
    if not any(span.kind != "comment" for span in spans):
        return True
    outside = text
    for span in reversed(spans):
        outside = outside[: span.start] + " " + outside[span.end :]
    return text_beyond_scheme(outside)


def text_beyond_scheme(outside: str) -> bool:
    """Whether the text around a value's expressions says more than a scheme: any
    letter or digit, other than one scheme word (``Bearer``, ``https://``)."""
    words = [word for word in outside.split() if any(char.isalnum() for char in word)]
    if not words:
        return False  # separators only: `{{ user }}:{{ password }}`
    if len(words) == 1 and (words[0].strip("'\",;").lower() in AUTH_SCHEMES or _URL_SCHEME.fullmatch(words[0])):
        return False
    return True


_TASK_SPECIFIC = re.compile(r"\b(?:outputs|taskrun|parent|parents)\b")


def is_task_specific(node: Any) -> bool:
    """The value comes from this task's place in the flow (another task's outputs,
    the task run, the parent loop): it cannot be a shared plugin default."""
    from contractlint.python.pebble import find_pebble

    if not yn.is_scalar(node):
        return False
    return any(span.kind != "comment" and _TASK_SPECIFIC.search(span.inner) for span in find_pebble(node.value))


def same_env_value(a: Any, b: Any) -> bool:
    """Kestra renders env values as strings: `5432` and `"5432"` are the same value."""
    if not (yn.is_scalar(a) and yn.is_scalar(b)):
        return False
    a_null, b_null = yn.tag_of(a) == NULL_TAG, yn.tag_of(b) == NULL_TAG
    if a_null or b_null:
        return a_null and b_null
    return a.value == b.value


# -- shared helpers --------------------------------------------------------------------


def owner(task: Task) -> str:
    kind = "trigger" if task.is_trigger else "task"
    return f"{kind} '{task.id}'" if task.id is not None else f"{kind} at {task.location}"


def task_env(task: Task) -> tuple[Any, Any] | None:
    """(key node, mapping node) of the task's own `env`, when it is a mapping."""
    pair = task.get("env")
    if pair is None or not yn.is_mapping(pair[1]):
        return None
    return pair


def effective_entries(mapping: Any) -> Iterator[tuple[int, str, Any, Any]]:
    """(index, key, key node, value node) of each entry that counts: the last of
    duplicate keys, as Kestra's parser keeps it."""
    entries = yn.items(mapping)
    last: dict[str, int] = {}
    for index, (key_node, _) in enumerate(entries):
        key = yn.scalar_text(key_node)
        if key is not None:
            last[key] = index
    for key, index in sorted(last.items(), key=lambda item: item[1]):
        yield index, key, entries[index][0], entries[index][1]


def duplicated_keys(mapping: Any) -> set[str]:
    seen: set[str] = set()
    duplicated: set[str] = set()
    for key_node, _ in yn.items(mapping):
        key = yn.scalar_text(key_node)
        if key in seen:
            duplicated.add(key)
        seen.add(key)
    return duplicated


def every_element(flow: Flow) -> list[Task]:
    """Tasks (nested ones included) and triggers: every mapping a default applies to."""
    return [*flow.tasks, *flow.triggers]


def redacted(diagnostic: Diagnostic, flow: Flow, cache: list[tuple[Span, ...]]) -> Diagnostic:
    """``diagnostic`` with every literal secret of the flow as its redactions: its source
    excerpt shows the lines around an env entry, which may hold one (even when CL403,
    whose diagnostics also carry them, is not selected). ``cache`` holds them once
    computed, per flow."""
    from dataclasses import replace

    if not cache:
        cache.append(secret_spans(flow))
    return replace(diagnostic, redactions=cache[0]) if cache[0] else diagnostic


FLOW_HEAD = "id: nightly_load\nnamespace: company.team\n\n"
# A Kestra 2.x Enterprise Policy giving every shell task the warehouse host (the shape
# of the migration guide's "pluginDefaults Removed" page).
WAREHOUSE_POLICY = (
    "id: warehouse\n"
    "enforcement: ACTIVE\n"
    "rules:\n"
    "  - type: io.kestra.plugin.ee.rules.Add\n"
    "    on: PLUGIN\n"
    "    where:\n"
    "      - field: type\n"
    "        operator: STARTS_WITH\n"
    "        value: io.kestra.plugin.scripts.shell\n"
    "    values:\n"
    "      env:\n"
    "        DB_HOST: db.internal\n"
)

# =====================================================================================
# CL401
# =====================================================================================


@dataclass(frozen=True)
class EnvFinding:
    index: int
    key: str
    key_node: Any
    kind: str  # "duplicate", "overridden" or "shadow"
    provider: EnvProvider


class RedundantEnv(Rule):
    code = "CL401"
    problem_severity = "recommendation"
    name = "redundant-env"
    contract = "2"
    summary = "A task env key that a matching plugin default already provides (duplicate, overridden by a forced default, or shadowing it)"
    fix = "sometimes"
    kestra_targets = (
        "Kestra 1.x: flow-level and global plugin defaults. Kestra 2.x Enterprise Edition: the `Add` rules "
        "of the Policies named by `policies` (plugin defaults are gone, CL601). Kestra 2.x open source: "
        "nothing injects env values, so there is nothing to repeat and the rule never reports."
    )
    explanation = """
## What it does
Compares each key of a task's (or trigger's) `env` with the plugin defaults that
apply to it — flow-level `pluginDefaults` (or the older `taskDefaults`) and the
global defaults of the Kestra server configuration files named by `plugin-defaults`.
A default applies when its `type` equals the task's type or is a prefix of it, as
Kestra matches it.

On a Kestra 2.x target `pluginDefaults` no longer exist; in the Enterprise Edition
the rule compares with the Policies named by `policies` instead: an
`io.kestra.plugin.ee.rules.Add` rule (`on: PLUGIN`) applies when all its `where`
conditions match the task (its `type`, literally: aliases are not resolved), the
policy is `ACTIVE` — or `REFERENCE` and listed in the flow's or the task's
`policyRefs` — and, for a policy file scoped to a namespace, the flow is in it.
`override: true` plays the part of `forced: true`. Three cases are reported:

- **duplicate**: the task repeats the value the default gives it (values compare as
  the strings Kestra renders: `5432` and `"5432"` are equal);
- **overridden**: a `forced: true` default sets the key, so the task's value is never
  used;
- **shadowing**: a non-forced default sets the key to a different value and the
  task's value wins — the message names the default and where it is written.

## Why is this bad?
Shared values belong in one place. A copy in a task's `env` drifts from the default
it repeats: the next change to the default silently misses this task (shadowing),
or the task's value looks authoritative but is thrown away (forced). Either way the
flow no longer says what the task runs with.

The fix deletes a duplicate or overridden entry — with its trailing comment and the
comment lines directly above it — and an `env:` left empty; nothing else in the
file changes. Shadowing has no fix: which value is right is your call. A flow-style
`env: {…}` spanning several lines is not edited.

With a policy file scoped to a namespace, name it as a table in the configuration:
`policies = [{ path = "policies/aws.yaml", namespace = "company.team" }]`.

## Example
```yaml
pluginDefaults:
  - type: io.kestra.plugin.scripts
    values:
      env:
        DB_HOST: db.internal
tasks:
  - id: load
    type: io.kestra.plugin.scripts.python.Commands
    env:
      DB_HOST: db.internal  # repeats the default
      CHANNEL_UUID: "{{ inputs.channel }}"
```

## Use instead
```yaml
tasks:
  - id: load
    type: io.kestra.plugin.scripts.python.Commands
    env:
      CHANNEL_UUID: "{{ inputs.channel }}"
```
"""

    VALID = [
        Valid(
            FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.scripts.python\n"
            "    values:\n"
            "      env:\n"
            "        DB_HOST: \"{{ secret('DB_HOST') }}\"\n\n"
            "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    env:\n"
            "      CHANNEL_UUID: \"{{ inputs.channel_uuid }}\"\n"
            "    commands:\n"
            "      - python -m pipelines.load\n",
            note="the task's env only carries a task-specific value",
        ),
        Valid(
            FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.scripts.python.Script\n"
            "    values:\n"
            "      env:\n"
            "        DB_HOST: db.internal\n\n"
            "tasks:\n"
            "  - id: report\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      DB_HOST: replica.internal\n"
            "    commands:\n"
            "      - ./report.sh\n"
            "  - id: export\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    env:\n"
            "      DB_HOST: replica.internal\n"
            "    commands:\n"
            "      - python -m pipelines.export\n",
            note="the default is for python.Script: neither shell.Commands nor python.Commands matches",
        ),
        Valid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: plan\n"
            "    type: io.kestra.plugin.terraform.cli.TerraformCLI\n"
            "    env:\n"
            "      TF_VAR_environment: staging\n"
            "    commands:\n"
            "      - terraform plan\n",
            files={
                "kestra/application.yml": "kestra:\n  plugins:\n    defaults:\n"
                "      - type: io.kestra.plugin.scripts\n        values:\n          env:\n"
                "            TF_VAR_environment: production\n"
            },
            config={"plugin-defaults": ["kestra/application.yml"]},
            note="a global default for io.kestra.plugin.scripts does not match a Terraform task",
        ),
        Valid(
            FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.scripts.shell.Commands\n"
            "    values:\n"
            "      env:\n"
            "        DB_HOST: db.internal\n\n"
            "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      DB_HOST: db.internal\n"
            "    commands:\n"
            "      - ./load.sh\n",
            config={"kestra-version": "2.0"},
            note="on Kestra 2.0 the flow's pluginDefaults are not applied (CL601 reports them): the task's value is the only one",
        ),
        Valid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      DB_HOST: db.internal\n"
            "    commands:\n"
            "      - ./load.sh\n",
            files={"policies/warehouse.yaml": WAREHOUSE_POLICY.replace("ACTIVE", "REFERENCE")},
            config={"kestra-version": "2.0", "edition": "ee", "policies": ["policies/warehouse.yaml"]},
            note="a REFERENCE policy applies only to flows and tasks that list it in policyRefs",
        ),
    ]
    INVALID = [
        Invalid(
            FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.scripts.python.Commands\n"
            "    values:\n"
            "      env:\n"
            "        DB_HOST: db.internal\n\n"
            "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    env:\n"
            "      # the warehouse\n"
            "      DB_HOST: db.internal  # same as the default\n"
            "      CHANNEL_UUID: \"{{ inputs.channel_uuid }}\"\n"
            "    commands:\n"
            "      - python -m pipelines.load\n",
            line=15,
            column=7,
            end_column=14,
            message="Env key 'DB_HOST' of task 'load' repeats the value of plugin default "
            "'io.kestra.plugin.scripts.python.Commands' (flow pluginDefaults, line 5)",
            fixed=FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.scripts.python.Commands\n"
            "    values:\n"
            "      env:\n"
            "        DB_HOST: db.internal\n\n"
            "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    env:\n"
            "      CHANNEL_UUID: \"{{ inputs.channel_uuid }}\"\n"
            "    commands:\n"
            "      - python -m pipelines.load\n",
            note="exact type; the entry's comments go with it",
        ),
        Invalid(
            FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.scripts\n"
            "    values:\n"
            "      env:\n"
            "        DB_PORT: \"5432\"\n\n"
            "tasks:\n"
            "  - id: transform\n"
            "    type: io.kestra.plugin.dbt.cli.DbtCLI\n"
            "    commands:\n"
            "      - dbt build\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      DB_PORT: 5432\n"
            "    commands:\n"
            "      - ./load.sh\n",
            line=18,
            column=7,
            end_column=14,
            message="repeats the value of plugin default 'io.kestra.plugin.scripts'",
            fixed=FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.scripts\n"
            "    values:\n"
            "      env:\n"
            "        DB_PORT: \"5432\"\n\n"
            "tasks:\n"
            "  - id: transform\n"
            "    type: io.kestra.plugin.dbt.cli.DbtCLI\n"
            "    commands:\n"
            "      - dbt build\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    commands:\n"
            "      - ./load.sh\n",
            note="a prefix default; 5432 and \"5432\" are the same env value, and an emptied env goes",
        ),
        Invalid(
            FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.dbt\n"
            "    forced: true\n"
            "    values:\n"
            "      env:\n"
            "        DBT_TARGET: prod\n\n"
            "tasks:\n"
            "  - id: build\n"
            "    type: io.kestra.plugin.dbt.cli.DbtCLI\n"
            "    env: {DBT_TARGET: dev, DBT_THREADS: \"8\"}\n"
            "    commands:\n"
            "      - dbt build\n",
            line=14,
            column=11,
            end_column=21,
            message="Env key 'DBT_TARGET' of task 'build' is never used: forced plugin default "
            "'io.kestra.plugin.dbt' (flow pluginDefaults, line 5) overrides it",
            fixed=FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.dbt\n"
            "    forced: true\n"
            "    values:\n"
            "      env:\n"
            "        DBT_TARGET: prod\n\n"
            "tasks:\n"
            "  - id: build\n"
            "    type: io.kestra.plugin.dbt.cli.DbtCLI\n"
            "    env: {DBT_THREADS: \"8\"}\n"
            "    commands:\n"
            "      - dbt build\n",
            note="forced: the task's value is dead whatever it is; flow-style env is edited precisely",
        ),
        Invalid(
            FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.scripts.python\n"
            "    values:\n"
            "      env:\n"
            "        DB_HOST: db.internal\n\n"
            "tasks:\n"
            "  - id: backfill\n"
            "    type: io.kestra.plugin.core.flow.ForEach\n"
            "    values: [\"2024-01\", \"2024-02\"]\n"
            "    tasks:\n"
            "      - id: load_month\n"
            "        type: io.kestra.plugin.scripts.python.Commands\n"
            "        env:\n"
            "          DB_HOST: replica.internal\n"
            "        commands:\n"
            "          - python -m pipelines.load \"{{ taskrun.value }}\"\n",
            line=18,
            column=11,
            end_column=18,
            message="Env key 'DB_HOST' of task 'load_month' shadows plugin default "
            "'io.kestra.plugin.scripts.python' (flow pluginDefaults, line 5) with a different value",
            note="shadowing, in a nested task: no fix, the right value is your call",
        ),
        Invalid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: apply\n"
            "    type: io.kestra.plugin.terraform.cli.TerraformCLI\n"
            "    env:\n"
            "      AWS_DEFAULT_REGION: eu-west-1\n"
            "      TF_VAR_bucket: \"{{ inputs.bucket }}\"\n"
            "    commands:\n"
            "      - terraform apply -auto-approve\n",
            files={
                "kestra/application.yml": "datasources:\n  postgres:\n    url: jdbc:postgresql://db:5432/kestra\n"
                "kestra:\n  plugins:\n    defaults:\n"
                "      - type: io.kestra.plugin.terraform\n        values:\n          env:\n"
                "            AWS_DEFAULT_REGION: eu-west-1\n"
            },
            config={"plugin-defaults": ["kestra/application.yml"]},
            line=8,
            column=7,
            end_column=25,
            message="repeats the value of plugin default 'io.kestra.plugin.terraform' (",
            fixed=FLOW_HEAD
            + "tasks:\n"
            "  - id: apply\n"
            "    type: io.kestra.plugin.terraform.cli.TerraformCLI\n"
            "    env:\n"
            "      TF_VAR_bucket: \"{{ inputs.bucket }}\"\n"
            "    commands:\n"
            "      - terraform apply -auto-approve\n",
            note="a global default from the server configuration named by `plugin-defaults`",
        ),
        Invalid(
            FLOW_HEAD
            + "taskDefaults:\n"
            "  - type: io.kestra.plugin.scripts.shell.Commands\n"
            "    values:\n"
            "      env:\n"
            "        SLACK_CHANNEL: \"#data\"\n"
            "        LOG_LEVEL: info\n\n"
            "tasks:\n"
            "  - id: notify\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      SLACK_CHANNEL: \"#data\"\n"
            "      LOG_LEVEL: info\n"
            "    commands:\n"
            "      - ./notify.sh\n",
            line=15,
            column=7,
            end_column=20,
            count=2,
            message="Env key 'SLACK_CHANNEL' of task 'notify' repeats the value",
            fixed=FLOW_HEAD
            + "taskDefaults:\n"
            "  - type: io.kestra.plugin.scripts.shell.Commands\n"
            "    values:\n"
            "      env:\n"
            "        SLACK_CHANNEL: \"#data\"\n"
            "        LOG_LEVEL: info\n\n"
            "tasks:\n"
            "  - id: notify\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    commands:\n"
            "      - ./notify.sh\n",
            note="the older taskDefaults; every entry repeats a default, so the whole env goes",
        ),
        Invalid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      DB_HOST: db.internal\n"
            "      CHANNEL_UUID: \"{{ inputs.channel_uuid }}\"\n"
            "    commands:\n"
            "      - ./load.sh\n",
            files={"policies/warehouse.yaml": WAREHOUSE_POLICY},
            config={"kestra-version": "2.0", "edition": "ee", "policies": ["policies/warehouse.yaml"]},
            line=8,
            column=7,
            end_column=14,
            message="Env key 'DB_HOST' of task 'load' repeats the value of policy 'warehouse' (policies/warehouse.yaml:4)",
            fixed=FLOW_HEAD
            + "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      CHANNEL_UUID: \"{{ inputs.channel_uuid }}\"\n"
            "    commands:\n"
            "      - ./load.sh\n",
            note="Kestra 2.0 Enterprise: an ACTIVE policy's Add rule gives the task DB_HOST",
        ),
        Invalid(
            FLOW_HEAD
            + "policyRefs:\n"
            "  - warehouse\n\n"
            "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      DB_HOST: replica.internal\n"
            "    commands:\n"
            "      - ./load.sh\n",
            files={
                "policies/warehouse.yaml": WAREHOUSE_POLICY.replace("ACTIVE", "REFERENCE").replace(
                    "    on: PLUGIN\n", "    on: PLUGIN\n    override: true\n"
                )
            },
            config={"kestra-version": "2.0", "edition": "ee", "policies": ["policies/warehouse.yaml"]},
            line=11,
            column=7,
            end_column=14,
            message="Env key 'DB_HOST' of task 'load' is never used: policy 'warehouse' (override: true, "
            "policies/warehouse.yaml:4) overrides it",
            fixed=FLOW_HEAD
            + "policyRefs:\n"
            "  - warehouse\n\n"
            "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    commands:\n"
            "      - ./load.sh\n",
            note="a REFERENCE policy the flow lists in policyRefs; `override: true` is 1.x's `forced: true`",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.flow.defaults import env_providers
        from contractlint.flow.edits import delete_entry, shared_nodes

        shared: set[int] | None = None
        secrets: list[tuple[Span, ...]] = []
        for task in every_element(flow):
            pair = task_env(task)
            if pair is None:
                continue
            env_key, env = pair
            providers = env_providers(task, flow, context.project)
            if not providers:
                continue
            findings = [
                finding
                for index, key, key_node, value_node in effective_entries(env)
                if key in providers
                for finding in [_classify(index, key, key_node, value_node, providers[key])]
            ]
            if not findings:
                continue
            if shared is None:
                shared = shared_nodes(flow.root)
            duplicated = duplicated_keys(env)
            entries = yn.items(env)
            fixable = {
                f.index
                for f in findings
                if f.kind != "shadow"
                and f.key not in duplicated
                and not {id(env), id(entries[f.index][0]), id(entries[f.index][1])} & shared
            }
            # When the fixes together would empty the env, each also carries an empty
            # edit at the `env` key: the fixes then overlap, one is applied per round,
            # and the last entry's fix (alone in its env by then) deletes `env:` itself
            # — so a suppressed entry is never deleted with the others.
            marker = None
            if len(entries) > 1 and len(fixable) == len(entries):
                start = env_key.start_mark.index
                marker = flow.source.edit(start, start, "")
            task_index = next(i for i, (_, value) in enumerate(yn.items(task.node)) if value is env)
            for finding in findings:
                fix = None
                if finding.index in fixable:
                    edit = delete_entry(flow.source, env, finding.index, parent=(task.node, task_index))
                    if edit is not None:
                        edits = (edit,) if marker is None else (marker, edit)
                        fix = Fix("safe", f"Remove env key '{finding.key}'", edits)
                diagnostic = self.flow_diagnostic(
                    flow, yn.node_span(flow.source, finding.key_node), _message(finding, task), task=task, fix=fix
                )
                yield redacted(diagnostic, flow, secrets)


def _classify(index: int, key: str, key_node: Any, value_node: Any, providers: list[EnvProvider]) -> EnvFinding:
    forced = [p for p in providers if p.default.forced]
    if forced:
        winner = forced[-1]  # forced defaults merge in order: the last one's value stays
        kind = "duplicate" if same_env_value(value_node, winner.value_node) else "overridden"
        return EnvFinding(index, key, key_node, kind, winner)
    effective = providers[0]  # what the task gets when it does not set the key
    kind = "duplicate" if same_env_value(value_node, effective.value_node) else "shadow"
    return EnvFinding(index, key, key_node, kind, effective)


def _message(finding: EnvFinding, task: Task) -> str:
    default = finding.provider.default
    subject = f"env key '{finding.key}' of {owner(task)}"
    described = default.describe()  # `[forced ]plugin default 'T' (where)` or `policy 'P' ([override: true, ]where)`
    if finding.kind == "duplicate":
        return f"{subject} repeats the value of {described}; remove it from the task"
    if finding.kind == "overridden":
        return f"{subject} is never used: {described} overrides it; remove it from the task"
    what = "policy" if default.origin == "policy" else "default"
    return (
        f"{subject} shadows {described} with a different value; keep one: remove it from the task "
        f"or change the {what}"
    )


# =====================================================================================
# CL402
# =====================================================================================


class CredentialEnv(Rule):
    code = "CL402"
    precision = "medium"
    name = "credential-env"
    contract = "2"
    summary = "A credential or shared runtime value set in a task's env instead of in plugin defaults"
    kestra_targets = (
        "Kestra 1.x: asks for `pluginDefaults`. Kestra 2.x Enterprise Edition: asks for a Policy `Add` rule "
        "(`policies`). Kestra 2.x open source: never reports — there is no central injection, so the "
        "credential belongs in the task's env, as a `secret()` (CL403 reports a literal)."
    )
    options = {
        "patterns": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_CREDENTIAL_PATTERNS,
            "description": "Glob patterns (case-insensitive) of env keys that are credentials or shared runtime values.",
        },
        "extend-patterns": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "More patterns, added to `patterns` (e.g. `[\"SNOWFLAKE_*\"]`).",
        },
        "ignore-patterns": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_IGNORED_PATTERNS,
            "description": "Glob patterns (case-insensitive) of env keys never reported, even when a pattern matches "
            "(by default, token counts of language-model clients such as `MAX_TOKENS`).",
        },
    }
    explanation = """
## What it does
Reports a key of a task's (or trigger's) `env` whose name matches a credential or
shared-runtime pattern — by default `*TOKEN*`, `*SECRET*`, `*PASSWORD*`,
`*PASSWD*`, `*API_KEY*`, `*ACCESS_KEY*`, `*PRIVATE_KEY*`, `*CREDENTIAL*`, `AWS_*`,
`DB_*`, `GCP_*`, `AZURE_*` and `GOOGLE_APPLICATION_CREDENTIALS`, matched without
regard to case — for any task type: shell, Python, Terraform, dbt…

Not reported: a key that a matching plugin default already provides (that is
CL401's finding), and a value computed from this task's place in the flow
(`{{ outputs.… }}`, `{{ taskrun.… }}`, `{{ parent.… }}`), which no shared default
could hold.

Kestra 2.0 removes `pluginDefaults`. On a 2.x Enterprise target the shared place is
a Policy: an `io.kestra.plugin.ee.rules.Add` rule with `on: PLUGIN`, a `where` on
the task's `type` and the variables under `values.env` — `ACTIVE` for every flow in
its scope, or `REFERENCE` for the flows and tasks that list it in `policyRefs:`.
Keys a policy named by `policies` already gives the task are CL401's.

On a 2.x open-source target there is no central injection at all: values go on
each task (or into flow `variables`). Contract 2 then means that a credential in a
task's `env` comes from `{{ secret('…') }}` — never a literal, which CL403 reports —
and that every variable a script reads is one the task is given (CL203). This rule
does not report there: there is nowhere else to move the key to.

## Why is this bad?
Credentials and shared runtime values (database host, cloud keys) are the same for
every task of a kind. Declared task by task, they are copied into each new task,
forgotten in one, and rotated everywhere but there. In `pluginDefaults` — the
flow's, or the server's global defaults — they are written once and every matching
task gets them, so a task's own `env` shows only what is specific to it.

## Example
```yaml
tasks:
  - id: upload
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      AWS_ACCESS_KEY_ID: "{{ secret('AWS_ACCESS_KEY_ID') }}"
      AWS_SECRET_ACCESS_KEY: "{{ secret('AWS_SECRET_ACCESS_KEY') }}"
      EXPORT_DATE: "{{ trigger.date }}"
    commands:
      - aws s3 cp export.csv s3://exports/
```

## Use instead
```yaml
pluginDefaults:
  - type: io.kestra.plugin.scripts
    values:
      env:
        AWS_ACCESS_KEY_ID: "{{ secret('AWS_ACCESS_KEY_ID') }}"
        AWS_SECRET_ACCESS_KEY: "{{ secret('AWS_SECRET_ACCESS_KEY') }}"
tasks:
  - id: upload
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      EXPORT_DATE: "{{ trigger.date }}"
    commands:
      - aws s3 cp export.csv s3://exports/
```
"""
    VALID = [
        Valid(
            FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.scripts\n"
            "    values:\n"
            "      env:\n"
            "        AWS_ACCESS_KEY_ID: \"{{ secret('AWS_ACCESS_KEY_ID') }}\"\n"
            "        AWS_SECRET_ACCESS_KEY: \"{{ secret('AWS_SECRET_ACCESS_KEY') }}\"\n\n"
            "tasks:\n"
            "  - id: upload\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      EXPORT_DATE: \"{{ trigger.date ?? execution.startDate }}\"\n"
            "    commands:\n"
            "      - aws s3 cp export.csv s3://exports/\n",
            note="credentials in pluginDefaults, a task-specific value in env",
        ),
        Valid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: assume_role\n"
            "    type: io.kestra.plugin.aws.cli.AwsCLI\n"
            "    commands:\n"
            "      - aws sts assume-role --role-arn arn:aws:iam::123456789012:role/loader --role-session-name load\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    env:\n"
            "      AWS_SESSION_TOKEN: \"{{ outputs.assume_role.vars.session_token }}\"\n"
            "      MAX_TOKENS: \"800\"\n"
            "    commands:\n"
            "      - python -m pipelines.load\n",
            note="a value from another task's outputs is task-specific; MAX_TOKENS is a count",
        ),
        Valid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    env:\n"
            "      DB_SCHEMA: staging\n"
            "    commands:\n"
            "      - python -m pipelines.load\n",
            config={"rules": {"CL402": {"patterns": ["*TOKEN*", "*PASSWORD*"]}}},
            note="with patterns replaced, DB_* is no longer a credential pattern",
        ),
        Valid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: upload\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      AWS_ACCESS_KEY_ID: \"{{ secret('AWS_ACCESS_KEY_ID') }}\"\n"
            "      AWS_SECRET_ACCESS_KEY: \"{{ secret('AWS_SECRET_ACCESS_KEY') }}\"\n"
            "    commands:\n"
            "      - aws s3 cp export.csv s3://exports/\n",
            config={"kestra-version": "2.0"},
            note="Kestra 2.0 open source: no central injection, secrets in the task's env are the contract",
        ),
    ]
    INVALID = [
        Invalid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: upload\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      AWS_ACCESS_KEY_ID: \"{{ secret('AWS_ACCESS_KEY_ID') }}\"\n"
            "      AWS_SECRET_ACCESS_KEY: \"{{ secret('AWS_SECRET_ACCESS_KEY') }}\"\n"
            "      EXPORT_DATE: \"{{ trigger.date ?? execution.startDate }}\"\n"
            "    commands:\n"
            "      - aws s3 cp export.csv s3://exports/\n",
            line=8,
            column=7,
            end_column=24,
            count=2,
            message="Env key 'AWS_ACCESS_KEY_ID' of task 'upload' is a credential or shared runtime value; "
            "move it to pluginDefaults (type 'io.kestra.plugin.scripts.shell.Commands' or a prefix of it)",
        ),
        Invalid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: infra\n"
            "    type: io.kestra.plugin.core.flow.WorkingDirectory\n"
            "    tasks:\n"
            "      - id: plan\n"
            "        type: io.kestra.plugin.terraform.cli.TerraformCLI\n"
            "        env:\n"
            "          GOOGLE_APPLICATION_CREDENTIALS: sa.json\n"
            "        commands:\n"
            "          - terraform plan\n",
            line=11,
            column=11,
            end_column=41,
            message="Env key 'GOOGLE_APPLICATION_CREDENTIALS' of task 'plan'",
            note="a Terraform task nested in a WorkingDirectory",
        ),
        Invalid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: build\n"
            "    type: io.kestra.plugin.dbt.cli.DbtCLI\n"
            "    env:\n"
            "      db_password: \"{{ secret('WAREHOUSE_PASSWORD') }}\"\n"
            "      snowflake_account: \"{{ secret('SNOWFLAKE_ACCOUNT') }}\"\n"
            "    commands:\n"
            "      - dbt build\n",
            config={"rules": {"CL402": {"extend-patterns": ["SNOWFLAKE_*"]}}},
            line=8,
            column=7,
            end_column=18,
            count=2,
            message="Env key 'db_password' of task 'build' is a credential",
            note="a dbt task; patterns match without regard to case, and extend-patterns adds SNOWFLAKE_*",
        ),
        Invalid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: upload\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      AWS_ACCESS_KEY_ID: \"{{ secret('AWS_ACCESS_KEY_ID') }}\"\n"
            "    commands:\n"
            "      - aws s3 cp export.csv s3://exports/\n",
            files={"policies/warehouse.yaml": WAREHOUSE_POLICY},
            config={"kestra-version": "2.0", "edition": "ee", "policies": ["policies/warehouse.yaml"]},
            line=8,
            column=7,
            end_column=24,
            message="Env key 'AWS_ACCESS_KEY_ID' of task 'upload' is a credential or shared runtime value; "
            "move it to a Policy `Add` rule (`where: type STARTS_WITH` a prefix of "
            "'io.kestra.plugin.scripts.shell.Commands'; `policyRefs:` for a REFERENCE policy)",
            note="Kestra 2.0 Enterprise: a Policy replaces pluginDefaults",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.flow.defaults import env_providers, provider_kind

        target = context.project.target
        if provider_kind(context.project) is None:
            return  # 2.x open source: nothing central to move it to (see the explanation)
        options = context.options
        patterns = [*options["patterns"], *options["extend-patterns"]]
        ignored = options["ignore-patterns"]
        secrets: list[tuple[Span, ...]] = []
        for task in every_element(flow):
            pair = task_env(task)
            if pair is None:
                continue
            provided = env_providers(task, flow, context.project)
            for _, key, key_node, value_node in effective_entries(pair[1]):
                if key in provided or not matches_any(key, patterns) or matches_any(key, ignored):
                    continue
                if is_task_specific(value_node):
                    continue
                if target.is_v2:
                    where = f"`where: type STARTS_WITH` a prefix of '{task.type}'" if task.type else "a `where` on type"
                    destination = f"a Policy `Add` rule ({where}; `policyRefs:` for a REFERENCE policy)"
                else:
                    where = f"type '{task.type}' or a prefix of it" if task.type else "the task's type"
                    destination = f"pluginDefaults ({where})"
                diagnostic = self.flow_diagnostic(
                    flow,
                    yn.node_span(flow.source, key_node),
                    f"env key '{key}' of {owner(task)} is a credential or shared runtime value; "
                    f"move it to {destination} so every task gets it from one place",
                    task=task,
                )
                yield redacted(diagnostic, flow, secrets)


# =====================================================================================
# CL403
# =====================================================================================


@dataclass(frozen=True)
class SecretValue:
    path: str  # `env.API_TOKEN`, `options.auth.password`
    env_key: str | None  # the env key, when the value is an env entry
    node: Any  # the value node


def literal_secrets(node: Any, skip: set[int], seen: set[int]) -> Iterator[SecretValue]:
    """Every literal value of a secret env key or secret property under ``node``, at
    any depth, not descending into nodes in ``skip`` (nested tasks: reported as
    themselves) nor twice into one node (aliases)."""
    stack: list[tuple[Any, str]] = [(node, "")]
    while stack:
        current, path = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if yn.is_sequence(current):
            for index, element in reversed(list(enumerate(current.value))):
                if id(element) not in skip:
                    stack.append((element, f"{path}[{index}]"))
            continue
        found: list[SecretValue] = []
        for key_node, value_node in yn.items(current):
            key = yn.scalar_text(key_node)
            if key is None or id(value_node) in skip:
                continue
            child = f"{path}.{key}" if path else key
            if key == "env" and yn.is_mapping(value_node):
                seen.add(id(value_node))
                # Every entry, duplicates included: an overridden value is still in the file.
                for env_key_node, env_value in yn.items(value_node):
                    env_key = yn.scalar_text(env_key_node)
                    if env_key is None or not is_secret_env_name(env_key):
                        continue
                    if is_literal_secret(env_value) and id(env_value) not in seen:
                        seen.add(id(env_value))
                        found.append(SecretValue(f"{child}.{env_key}", env_key, env_value))
            elif yn.is_scalar(value_node):
                if is_secret_property(key) and is_literal_secret(value_node) and id(value_node) not in seen:
                    seen.add(id(value_node))
                    found.append(SecretValue(child, None, value_node))
            else:
                stack.append((value_node, child))
        yield from found


def flow_secrets(flow: Flow) -> Iterator[tuple[SecretValue, str, Task | None]]:
    """Every literal secret of a flow — in its tasks, triggers and flow-level plugin
    defaults — with who holds it (for messages) and the task (None for a default)."""
    from contractlint.flow.defaults import flow_defaults

    elements = every_element(flow)
    task_nodes = {id(task.node) for task in elements}
    seen: set[int] = set()
    for task in elements:
        for found in literal_secrets(task.node, task_nodes - {id(task.node)}, seen):
            yield found, owner(task), task
    for default in flow_defaults(flow):
        if default.values is None:
            continue
        for found in literal_secrets(default.values, set(), seen):
            yield SecretValue(f"values.{found.path}", found.env_key, found.node), f"plugin default '{default.type}'", None


def secret_spans(flow: Flow) -> tuple[Span, ...]:
    """The spans of every literal secret in the flow: text that must never be printed,
    whichever rules run. CL401 and CL402 put them in their diagnostics' ``redactions``
    (their source excerpts show the lines around an env entry)."""
    return tuple(yn.node_span(flow.source, found.node) for found, _, _ in flow_secrets(flow))


class HardcodedSecret(Rule):
    code = "CL403"
    problem_severity = "error"
    security_severity = "8.0"
    name = "hardcoded-secret"
    contract = "security"
    summary = "A secret written into the flow: a literal value for a secret env key or a secret property"
    explanation = """
## What it does
Reports a literal value — one with no Pebble expression — given to a secret:

- an `env` key whose name contains `TOKEN`, `SECRET`, `PASSWORD`, `PASSWD`,
  `API_KEY`, `ACCESS_KEY`, `PRIVATE_KEY` or `CREDENTIAL` (not mere prefixes such as
  `AWS_REGION` or `DB_HOST`; not names that describe a secret rather than hold it,
  such as `TOKEN_URL`, `SECRET_NAME`, `PASSWORD_FILE`, `MAX_TOKENS`, nor
  `GOOGLE_APPLICATION_CREDENTIALS`, which is a file path);
- a secret property, at any depth of a task, trigger or flow-level plugin default:
  `password`, `apiKey`, `token`, `secret`, `secretKeyId`, `accessKeyId`,
  `secretAccessKey`, `privateKey`, `clientSecret`, `serviceAccount`, `apiToken`,
  `accessToken`, `authorization`… and names ending in `Password`, `ApiKey`,
  `AccessToken`, `ClientSecret`…, compared without regard to case, `_` and `-`
  (`maxTokens`, `tokenUrl` and `passwordField` are not secrets).

Values such as `"{{ secret('X') }}"`, `"{{ kv('X') }}"`, `"{{ envs.x }}"` or
`"Bearer {{ secret('T') }}"` are fine; empty strings, `null` and booleans are not
secrets. A value that mixes text and Pebble is still a literal when the text
outside `{{ }}` is more than a scheme (`Bearer `, `Basic `, `https://`):
`"sk-live-abc123{{ '' }}"` hides a secret behind an empty expression. The
diagnostic points at the value but never shows it: the message names the key, and
reporters hide the value in source excerpts.

Global defaults in Kestra server configuration files are not checked: they are
deployment configuration (commonly filled from the environment), not flows.

## Why is this bad?
A secret in a flow is in version control, in Kestra's flow revisions, in every
export and in the UI of everyone who can read the namespace. Rotating it means
editing flows. Kestra's secret backend keeps it out of all of these and lets you
rotate it in one place.

## Example
```yaml
tasks:
  - id: sync
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      CLOUDQUERY_API_KEY: 9ITIyNYb8s3Cr8nSi  # a real key, in git
```

## Use instead
```yaml
tasks:
  - id: sync
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      CLOUDQUERY_API_KEY: "{{ secret('CLOUDQUERY_API_KEY') }}"
```
"""
    VALID = [
        Valid(
            FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.jdbc.postgresql\n"
            "    values:\n"
            "      url: jdbc:postgresql://db.internal:5432/warehouse\n"
            "      username: loader\n"
            "      password: \"{{ secret('POSTGRES_PASSWORD') }}\"\n\n"
            "tasks:\n"
            "  - id: fetch\n"
            "    type: io.kestra.plugin.core.http.Request\n"
            "    uri: https://api.example.com/orders\n"
            "    headers:\n"
            "      Authorization: \"Bearer {{ secret('ORDERS_API_TOKEN') }}\"\n"
            "    options:\n"
            "      auth:\n"
            "        type: BASIC\n"
            "        username: \"{{ kv('ORDERS_USER') }}\"\n"
            "        password: \"{{ envs.orders_password }}\"\n"
            "  - id: summarize\n"
            "    type: io.kestra.plugin.openai.ChatCompletion\n"
            "    apiKey: \"{{ secret('OPENAI_API_KEY') }}\"\n"
            "    model: gpt-4o-mini\n"
            "    maxTokens: 800\n"
            "    prompt: \"Summarize {{ outputs.fetch.body }}\"\n",
            note="Pebble expressions, alone or after a literal prefix; maxTokens is a count",
        ),
        Valid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: export\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    env:\n"
            "      AWS_REGION: eu-west-1\n"
            "      DB_HOST: db.internal\n"
            "      GOOGLE_APPLICATION_CREDENTIALS: sa.json\n"
            "      TOKEN_URL: https://auth.example.com/oauth/token\n"
            "      SMTP_PASSWORD: \"\"\n"
            "    commands:\n"
            "      - python -m pipelines.export\n"
            "  - id: form\n"
            "    type: io.kestra.plugin.core.http.Request\n"
            "    uri: https://auth.example.com/login\n"
            "    formData:\n"
            "      passwordField: password\n"
            "      tokenUrl: https://auth.example.com/oauth/token\n",
            note="names that are not secrets, a file path, and an empty value",
        ),
        Valid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: sync\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      API_TOKEN: ${api_token}\n"
            "    commands:\n"
            "      - ./sync.sh\n",
            note="a whole ${…} placeholder: the file is a Terraform or envsubst template",
        ),
    ]
    INVALID = [
        Invalid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: sync\n"
            "    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    env:\n"
            "      CLOUDQUERY_API_KEY: 9ITIyNYb8s3Cr8nSi\n"
            "    commands:\n"
            "      - cloudquery sync config.yml\n",
            line=8,
            column=27,
            end_column=44,
            message="Hardcoded secret in env key 'CLOUDQUERY_API_KEY' of task 'sync'; "
            "use \"{{ secret('CLOUDQUERY_API_KEY') }}\"",
            note="a shell task; the message does not repeat the value",
        ),
        Invalid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: fetch\n"
            "    type: io.kestra.plugin.core.http.Request\n"
            "    uri: https://api.example.com/orders\n"
            "    options:\n"
            "      auth:\n"
            "        type: BASIC\n"
            "        username: loader\n"
            "        password: \"s3cr3t-Pa55\"\n",
            line=12,
            column=19,
            end_column=32,
            message="Hardcoded secret in property 'options.auth.password' of task 'fetch'",
            note="a nested property",
        ),
        Invalid(
            FLOW_HEAD
            + "pluginDefaults:\n"
            "  - type: io.kestra.plugin.jdbc.postgresql\n"
            "    values:\n"
            "      url: jdbc:postgresql://db.internal:5432/warehouse\n"
            "      username: loader\n"
            "      password: 12345\n"
            "  - type: io.kestra.plugin.scripts\n"
            "    values:\n"
            "      env:\n"
            "        SLACK_BOT_TOKEN: xoxb-1234-5678-abcdef\n\n"
            "tasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.jdbc.postgresql.Queries\n"
            "    sql: SELECT 1\n",
            line=9,
            column=17,
            end_column=22,
            count=2,
            message="Hardcoded secret in property 'values.password' of plugin default 'io.kestra.plugin.jdbc.postgresql'",
            note="in pluginDefaults too (a number is a literal as much as a string)",
        ),
        Invalid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: transform\n"
            "    type: io.kestra.plugin.dbt.cli.DbtCLI\n"
            "    taskRunner:\n"
            "      type: io.kestra.plugin.ee.aws.runner.Batch\n"
            "      accessKeyId: AKIAIOSFODNN7EXAMPLE\n"
            "      secretKeyId: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
            "      region: eu-west-1\n"
            "    commands:\n"
            "      - dbt build\n",
            line=9,
            column=20,
            end_column=40,
            count=2,
            message="Hardcoded secret in property 'taskRunner.accessKeyId' of task 'transform'",
            note="a dbt task's task runner",
        ),
        Invalid(
            FLOW_HEAD
            + "tasks:\n"
            "  - id: notify\n"
            "    type: io.kestra.plugin.core.http.Request\n"
            "    uri: https://api.example.com/notify\n"
            "    headers:\n"
            "      Authorization: \"Bearer sk-live-4eC39HqLyjWDarjtT1{{ '' }}\"\n",
            line=9,
            column=22,
            end_column=65,
            message="Hardcoded secret in property 'headers.Authorization' of task 'notify'",
            note="text outside the expression that is more than a scheme is a literal",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        for found, where, task in flow_secrets(flow):
            yield self._report(flow, found, where, task)

    def _report(self, flow: Flow, found: SecretValue, where: str, task: Task | None) -> Diagnostic:
        from dataclasses import replace

        span = yn.node_span(flow.source, found.node)
        if found.env_key is not None:
            message = (
                f"hardcoded secret in env key '{found.env_key}' of {where}; "
                f"use \"{{{{ secret('{found.env_key}') }}}}\" and store the value in Kestra's secrets"
            )
        else:
            message = (
                f"hardcoded secret in property '{found.path}' of {where}; "
                "use a \"{{ secret('…') }}\" expression and store the value in Kestra's secrets"
            )
        diagnostic = self.flow_diagnostic(flow, span, message, task=task, fingerprint_text=f"{where} {found.path}")
        return replace(diagnostic, redactions=(span,))
