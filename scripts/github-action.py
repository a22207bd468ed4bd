#!/usr/bin/env python3
"""Entry point of the liftoff GitHub Action (action.yml): runs one `liftoff check` that writes
every output, annotates the run, writes the verdict to the job summary, and creates or updates
one pull-request comment (found again by a hidden marker, so re-runs never add a second one).

Configuration comes from the environment, as GitHub passes it to a composite action's step:
INPUT_DIRECTORY, INPUT_STAGE, INPUT_BASELINE, INPUT_NEW_SINCE, INPUT_FORMATS (comma-separated
extra outputs, e.g. "junit"), INPUT_COMMENT ("true"/"false"), INPUT_FAIL ("true"/"false"),
LIFTOFF_BIN (default "liftoff"); and GitHub's own GITHUB_EVENT_NAME, GITHUB_EVENT_PATH,
GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_TOKEN, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT.

Only the Python standard library is used: the runner has nothing else for certain.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

MARKER = "<!-- liftoff-report -->"
# Comments are longer than this only for very large reports; GitHub refuses above 65,536.
MAX_COMMENT = 60000


def env(name, default=""):
    value = os.environ.get(name, "")
    return value if value != "" else default


def truthy(name, default):
    return env(name, default).strip().lower() in ("1", "true", "yes", "on")


def append(path, text):
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)


def api(method, url, token, body=None):
    """One GitHub REST call; returns (status, parsed JSON or None, headers)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    request.add_header("User-Agent", "liftoff-action")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode() or "null"
            return response.status, json.loads(text), response.headers
    except urllib.error.HTTPError as e:
        return e.code, None, e.headers


def pull_request_number(event_name, event_path):
    if event_name not in ("pull_request", "pull_request_target") or not event_path:
        return None
    try:
        with open(event_path, encoding="utf-8") as f:
            event = json.load(f)
    except (OSError, ValueError):
        return None
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    return int(number) if number else None


def upsert_comment(text):
    """Creates the report comment, or updates the one an earlier run made. Returns a note."""
    number = pull_request_number(env("GITHUB_EVENT_NAME"), env("GITHUB_EVENT_PATH"))
    token = env("GITHUB_TOKEN")
    repository = env("GITHUB_REPOSITORY")
    if number is None:
        return "not a pull request: no comment"
    if not token or not repository:
        return "no GITHUB_TOKEN or GITHUB_REPOSITORY: no comment"
    base = env("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    body = f"{MARKER}\n{text}"
    if len(body) > MAX_COMMENT:
        body = body[:MAX_COMMENT] + "\n\n… (truncated: the full report is in the job summary)"
    existing = None
    page = 1
    # Comments are listed a page at a time; a long discussion has several pages.
    while existing is None and page <= 50:
        status, comments, _ = api(
            "GET",
            f"{base}/repos/{repository}/issues/{number}/comments?per_page=100&page={page}",
            token,
        )
        if status != 200 or not isinstance(comments, list):
            return f"cannot list the pull request's comments (HTTP {status})"
        for comment in comments:
            if MARKER in (comment.get("body") or ""):
                existing = comment
                break
        if len(comments) < 100:
            break
        page += 1
    if existing is not None:
        status, _, _ = api(
            "PATCH",
            f"{base}/repos/{repository}/issues/comments/{existing['id']}",
            token,
            {"body": body},
        )
        return "comment updated" if status == 200 else f"cannot update the comment (HTTP {status})"
    status, _, _ = api(
        "POST", f"{base}/repos/{repository}/issues/{number}/comments", token, {"body": body}
    )
    return "comment created" if status == 201 else f"cannot create the comment (HTTP {status})"


def main():
    liftoff = env("LIFTOFF_BIN", "liftoff")
    directory = env("INPUT_DIRECTORY", ".")
    out_dir = env("RUNNER_TEMP", ".")
    sarif = os.path.join(out_dir, "liftoff.sarif")
    markdown = os.path.join(out_dir, "liftoff-comment.md")
    report = os.path.join(out_dir, "liftoff.json")
    command = [liftoff, "check", directory]
    command += ["-o", "github=-", "-o", f"sarif={sarif}", "-o", f"markdown={markdown}"]
    command += ["-o", f"json={report}"]
    for extra in filter(None, (f.strip() for f in env("INPUT_FORMATS").split(","))):
        if extra in ("github", "sarif", "markdown", "json"):
            continue
        suffix = {"junit": "xml", "text": "txt", "html": "html", "codeclimate": "json"}.get(extra, extra)
        path = os.path.join(out_dir, f"liftoff-{extra}.{suffix}")
        command += ["-o", f"{extra}={path}"]
        append(env("GITHUB_OUTPUT"), f"{extra}={path}\n")
    if env("INPUT_STAGE"):
        command += ["--stage", env("INPUT_STAGE")]
    if env("INPUT_BASELINE"):
        command += ["--baseline", env("INPUT_BASELINE")]
    elif env("INPUT_NEW_SINCE"):
        command += ["--new-since", env("INPUT_NEW_SINCE")]
    ran = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The annotations: the runner reads workflow commands from standard output.
    sys.stdout.write(ran.stdout)
    sys.stderr.write(ran.stderr)
    append(env("GITHUB_OUTPUT"), f"exit-code={ran.returncode}\n")
    for name, path in (("sarif", sarif), ("json", report)):
        if os.path.exists(path):
            append(env("GITHUB_OUTPUT"), f"{name}={path}\n")
    if ran.returncode == 2 or not os.path.exists(markdown):
        append(
            env("GITHUB_STEP_SUMMARY"),
            "## liftoff could not assess the deployment\n\n```\n" + ran.stderr[-4000:] + "\n```\n",
        )
        print("::error title=liftoff::the deployment could not be assessed (exit code 2)")
        return 2
    with open(markdown, encoding="utf-8") as f:
        text = f.read()
    append(env("GITHUB_STEP_SUMMARY"), text)
    if truthy("INPUT_COMMENT", "true"):
        print(f"liftoff: {upsert_comment(text)}")
    if ran.returncode == 1 and not truthy("INPUT_FAIL", "true"):
        return 0
    return ran.returncode


if __name__ == "__main__":
    sys.exit(main())
