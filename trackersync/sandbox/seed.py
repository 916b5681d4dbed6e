"""The demo fixture: one GitHub repository and one Jira project working on one release.

Realistic enough to show every feature: statuses across the workflow, labels, assignees,
comments, a GitHub milestone and a Jira fixVersion for the same release, Markdown bodies
on GitHub and wiki markup on Jira.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from trackersync.sandbox.github import GitHubSandbox
from trackersync.sandbox.jira import JiraSandbox

REPO = "acme/web"
PROJECT = "WEB"
RELEASE_GH = "v2.0"
RELEASE_JIRA = "2.0"
RELEASE_DUE = date(2026, 12, 15)

GH_USERS = ("octocat", "hubot", "monalisa")
JIRA_USERS = {
    "5b10a2844c20165700ede21g": "Pat Manager",
    "5b10ac8d82e05b22cc7d4ef5": "Dana Developer",
    "712020:3f1c0e2a-9b7d-4a55-8e2f-1c2d3e4f5a6b": "Sam Tester",
}

GH_ISSUES: list[tuple[str, str, tuple[str, ...], str]] = [
    # (title, Markdown body, labels, state: open | progress | done | wontfix)
    (
        "Login page flickers on Safari",
        "## Steps\n1. Open `/login` in Safari 17\n2. Watch the header\n\n**Expected:** no flicker.",
        ("bug", "frontend"),
        "progress",
    ),
    (
        "Add dark mode toggle",
        "Users asked for a *dark mode*.\n\n- [ ] toggle in settings\n- [ ] persist choice",
        ("enhancement", "frontend"),
        "open",
    ),
    (
        "Upgrade to React 19",
        "See the [upgrade guide](https://react.dev/blog).\n\n```bash\nnpm i react@19\n```",
        ("chore",),
        "done",
    ),
    ("Broken link in footer", "The *Careers* link points to a 404.", ("bug",), "done"),
    (
        "Checkout button misaligned on mobile",
        "| device | width |\n|---|---|\n| iPhone SE | 375 |\n| Pixel 7 | 412 |",
        ("bug", "frontend"),
        "open",
    ),
    (
        "Document the release process",
        "Write down how we cut a release.\n\n> ask @hubot for the old notes",
        ("docs",),
        "progress",
    ),
    ("Remove legacy jQuery", "Last users of `$.ajax` are in `cart.js`.", ("chore",), "open"),
    (
        "Crash when profile photo is huge",
        "Uploading a 40 MB PNG crashes the worker.",
        ("bug", "blocked"),
        "open",
    ),
    ("Add CSV export to reports", "PMs want **CSV** next to PDF.", ("enhancement",), "open"),
    ("Flaky e2e test: search suggestions", "Fails ~1 in 20 runs on CI.", ("tests",), "done"),
    ("Support SSO with Okta", "Out of scope for 2.0.", ("enhancement",), "wontfix"),
    (
        "Speed up first paint",
        "Target: LCP < 2.5 s on 4G.\n\n1. lazy-load hero\n2. inline critical CSS",
        ("performance",),
        "progress",
    ),
    ("Typo on pricing page", '"Anual" → "Annual"', ("docs",), "done"),
    (
        "Keyboard navigation in menus",
        "Arrow keys should move between items.",
        ("accessibility",),
        "open",
    ),
    ("Cookie banner covers the chat widget", "Both sit bottom-right.", ("bug", "frontend"), "open"),
]

JIRA_ISSUES: list[tuple[str, str, tuple[str, ...], str, str]] = [
    # (summary, wiki description, labels, issue type, status)
    (
        "Payment API returns 500 on expired cards",
        "h2. Steps\n# Call {{POST /pay}} with an expired card\n# See the 500\n\n*Expected:* a 402.",
        ("backend", "payments"),
        "Bug",
        "In Progress",
    ),
    (
        "Rate-limit the public search endpoint",
        "Use a token bucket per API key.\n\n{code:python}\nlimit = 100\n{code}",
        ("backend",),
        "Story",
        "To Do",
    ),
    (
        "Migrate sessions to Redis",
        "Sessions live in Postgres today; move them to Redis.",
        ("backend", "infra"),
        "Task",
        "In Review",
    ),
    (
        "GDPR export for user data",
        "Users can download *all* their data as JSON.",
        ("compliance",),
        "Story",
        "To Do",
    ),
    (
        "Nightly backup job fails silently",
        "The cron job exits 0 on failure. See [the runbook|https://wiki.example.com/backup].",
        ("infra", "blocked"),
        "Bug",
        "To Do",
    ),
    (
        "Add audit log for admin actions",
        "||action||who||when||\n|delete user|admin|now|",
        ("compliance",),
        "Story",
        "Done",
    ),
    ("Upgrade Postgres to 16", "Plan the upgrade window with ops.", ("infra",), "Task", "Done"),
    (
        "Webhook retries double-post",
        "Retries without idempotency keys create duplicates.",
        ("backend", "payments"),
        "Bug",
        "In Progress",
    ),
    (
        "Price rounding differs from invoice",
        "-0.01 differences on EUR invoices.",
        ("payments",),
        "Bug",
        "Done",
    ),
    (
        "Feature flag for new checkout",
        "Ship behind {{checkout_v2}}.",
        ("frontend",),
        "Task",
        "To Do",
    ),
    (
        "Load test the order service",
        "Goal: 500 rps at p95 < 300 ms.",
        ("performance",),
        "Task",
        "In Progress",
    ),
    ("Legacy XML export", "Nobody uses it; drop instead.", ("backend",), "Task", "Won't Do"),
    ("Translate onboarding emails", "German and French first.", ("i18n",), "Story", "To Do"),
    (
        "Alert on queue backlog",
        "Page when the backlog exceeds 10k messages.",
        ("infra",),
        "Task",
        "In Review",
    ),
    (
        "Clean up unused S3 buckets",
        "Five buckets have had no writes since 2024.",
        ("infra",),
        "Task",
        "Done",
    ),
]


@dataclass(frozen=True)
class DemoCredentials:
    """What a client needs to talk to the seeded sandboxes."""

    github_token: str = "demo-github-token"
    jira_email: str = "pm@example.com"
    jira_token: str = "demo-jira-token"


def seed_github(sandbox: GitHubSandbox) -> None:
    """Fill the GitHub sandbox with the demo repository."""
    sandbox.add_repo(REPO)
    sandbox.create_milestone(
        REPO, RELEASE_GH, description="Release 2.0 of the web app.", due_on=RELEASE_DUE
    )
    for index, (title, body, labels, state) in enumerate(GH_ISSUES):
        assignees = (
            (GH_USERS[index % 3],) if state in ("progress", "done") or index % 4 == 0 else ()
        )
        issue = sandbox.create_issue(
            REPO,
            title,
            body,
            user=GH_USERS[(index + 1) % 3],
            labels=labels,
            assignees=assignees,
            milestone=RELEASE_GH if index % 5 != 4 else None,
        )
        number = issue["number"]
        if index % 3 == 0:
            sandbox.add_comment(REPO, number, "I can reproduce this on `main`.", user=GH_USERS[2])
        if index % 4 == 1:
            sandbox.add_comment(REPO, number, "Fix is in review, see the linked PR.", user="hubot")
        if state == "done":
            sandbox.edit_issue(REPO, number, state="closed", state_reason="completed")
        elif state == "wontfix":
            sandbox.edit_issue(REPO, number, state="closed", state_reason="not_planned")
    sandbox.create_issue(REPO, "Bump eslint from 8 to 9", "Dependabot PR.", pull_request=True)
    sandbox.create_issue(REPO, "Fix flicker on Safari", "Closes #1.", pull_request=True)


def seed_jira(sandbox: JiraSandbox) -> None:
    """Fill the Jira sandbox with the demo project."""
    for account_id, name in JIRA_USERS.items():
        sandbox.add_user(account_id, name)
    sandbox.add_project(PROJECT, "Web Platform")
    sandbox.create_version(
        PROJECT, RELEASE_JIRA, description="Release 2.0.", release_date=RELEASE_DUE
    )
    accounts = list(JIRA_USERS)
    for index, (summary, description, labels, issue_type, status) in enumerate(JIRA_ISSUES):
        issue = sandbox.create_issue(
            PROJECT,
            summary,
            description,
            issuetype=issue_type,
            labels=labels,
            assignee=accounts[index % 3] if index % 4 != 3 else None,
            fix_versions=(RELEASE_JIRA,) if index % 5 != 4 else (),
        )
        key = issue["key"]
        if index % 3 == 0:
            sandbox.add_comment(key, "Seen in production logs too.", author=accounts[1])
        if index % 4 == 1:
            # Wiki markup, so the demo shows it arriving on GitHub as Markdown.
            sandbox.add_comment(
                key, "*Heads-up:* needs a {{migration}} note in the changelog.", author=accounts[2]
            )
        if status == "Won't Do":
            sandbox.transition(key, "Done", resolution="Won't Do")
        elif status != "To Do":
            sandbox.transition(key, status)
