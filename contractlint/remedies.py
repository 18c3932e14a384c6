"""What to do about each rule's finding, in one line an agent (or a person in a hurry)
can act on: the rule's summary says what is wrong, its remedy says how to make it
right. The MCP server's ``check`` gives the remedy of every rule it reports, and
``contractlint rule CODE --format json`` carries it; the test suite checks that every
rule has one.
"""

from __future__ import annotations

REMEDIES: dict[str, str] = {
    "CL000": "Save the file as UTF-8 text (no NUL bytes) at a path that can be read.",
    "CL001": "Make the YAML parse: correct the syntax at the reported position, or drop the repeated mapping key.",
    "CL002": "Give the flow what Kestra requires: an `id`, a `namespace` and `tasks`, each task with a unique, valid "
    "`id` and a `type`.",
    "CL003": "Make the Python parse at the reported position; in an inline script keep Pebble (`{{ }}`) out of the "
    "code and pass values through the task's `env` instead.",
    "CL101": "Move the script's logic into a function of a project module and keep the inline script to an import, "
    "a call and its outputs.",
    "CL102": "Move the def/class/loop/try into a project module; the inline script only imports the function and "
    "calls it.",
    "CL103": "Pass the value through the task's `env` (`NAME: \"{{ … }}\"`) and read it in the script with "
    "`os.environ[\"NAME\"]`.",
    "CL201": "Read the variable with `os.environ[\"KEY\"]` so a missing one raises KeyError, and make sure the task "
    "is given it (unsafe fix).",
    "CL202": "Read the variable with `os.environ[\"KEY\"]`: a missing variable must raise KeyError, not become None "
    "(unsafe fix).",
    "CL203": "Give the task the variable the code reads: task-specific values in the task's `env`, credentials and "
    "shared values in `pluginDefaults` (a Policy on Kestra 2.x EE), values every task gets in `runtime-env`.",
    "CL301": "Drop the `or <literal>` fallback: use the value as it is, or raise an error that names what is missing.",
    "CL302": "Catch only the exception you expect and re-raise (or exit non-zero) after handling it; never let a "
    "failure pass silently.",
    "CL401": "Delete the key from the task's `env`: the matching plugin default (or Policy) already provides it.",
    "CL402": "Set the credential or shared value once for every task — `pluginDefaults` on 1.x, a Policy's `Add` "
    "rule on 2.x EE, `{{ secret('…') }}` in `env` on 2.x open source — not as a value in this task's `env`.",
    "CL403": "Put the secret in Kestra's secret store and reference it as `{{ secret('NAME') }}`; then rotate the "
    "value that was written into the flow.",
    "CL501": "Have the stage write its result to the database and pass only the key (an id) to the next stage, "
    "which reads the rows itself.",
    "CL601": "Move the flow's `pluginDefaults` out of the flow: to a Policy on 2.x EE (listed in `policyRefs`), "
    "into the tasks' own properties on 2.x open source.",
    "CL602": "Replace the removed task type with its Kestra 2.0 replacement named in the message (a ForEach becomes "
    "an `io.kestra.plugin.core.flow.Loop`).",
    "CL603": "Rewrite the trigger's `conditions` as a `when` expression (and Flow-trigger preconditions as "
    "`dependsOn`) as the message shows (unsafe fix).",
    "CL604": "Give the input `defaults`, or have the trigger set it under its `inputs:`.",
    "CL605": "Remove the property, or replace it with what the message names (e.g. `taskRunner` for "
    "`runner`/`docker`).",
    "CL606": "Give the task `auth` (e.g. `apiToken: \"{{ secret('KESTRA_API_TOKEN') }}\"`): Kestra 2.0 refuses its "
    "API calls without it.",
    "CL607": "Drop `required: false` from the input that has `defaults` (safe fix).",
    "CL611": "Write the current type name the message gives (fixed for plain renames).",
    "CL612": "Rename the input's `name` to `id` and a MULTISELECT input's `options` to `values` (safe fix).",
    "CL613": "Use the type `BOOL` instead of `BOOLEAN` and `SELECT` instead of `ENUM` (safe fix).",
    "CL614": "Rename the retry's `maxAttempt` to `maxAttempts` (safe fix).",
    "CL615": "Replace the Pause task's `delay` with `pauseDuration` (safe fix).",
    "CL616": "Write the state as `CANCELLED` (safe fix).",
    "CL617": "Use `fromJson()` instead of `json()` and `| toJson` instead of `| json` (safe fix).",
    "CL618": "Rename the flow check's `condition` to `when` (safe fix).",
    "CL619": "Give the flow an id Kestra does not reserve (the safe fix adds `-flow`), and update the flows that "
    "name it.",
    "CL621": "Rename `read()`/`fileURI()`'s `version=` argument to `revision=` (safe fix).",
    "CL622": "Write `recursive: true` on the Delete task to keep what it does today, or `recursive: false` if it "
    "must not delete below a folder (safe fix: true).",
    "CL623": "Set the `concurrencyLimit` the message gives on the Loop that replaces the task, or every iteration "
    "runs at once.",
    "CL624": "Wrap the read in `fromIon(…)` (`allRows=true` for every row): Kestra 2.0 writes ION as binary.",
    "CL900": "Remove the code from the `# noqa` comment, or the comment itself: it suppresses nothing there (safe "
    "fix).",
}


def remedy(code: str) -> str:
    """The one-line remedy of rule ``code`` (KeyError for a code that is not a rule's)."""
    return REMEDIES[code]
