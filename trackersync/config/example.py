"""The commented example `trackersync init` writes."""

EXAMPLE_CONFIG = """\
# trackersync configuration. Every key is documented in the README.
# Secrets never go in this file: each *_env key names the environment variable that
# holds the secret.

# Where trackersync keeps its state. SQLite by default; for several replicas use
# PostgreSQL: postgresql+psycopg://user@host/db  (TRACKERSYNC_STATE overrides this)
state: sqlite:///trackersync.db

connectors:
  gh:                                       # a name of your choosing
    type: github
    url: https://api.github.com             # GitHub Enterprise: https://HOST/api/v3
    token_env: GITHUB_TOKEN                 # a token with repo scope
    repos: [acme/web]
    write_interval: 1s                      # pause between writes (GitHub asks >= 1 s)
    timeout: 30s                            # per-request timeout
  jira:
    type: jira
    url: https://acme.atlassian.net         # Server/Data Center: its base URL
    email_env: JIRA_EMAIL                   # Cloud (basic auth); remove for a Server/DC token
    token_env: JIRA_TOKEN
    projects: [WEB]
    api: auto                               # auto | cloud | server
    back_link: description                  # description | remote_link: where a twin links back

links:
  - name: web
    source: jira:WEB                        # CONNECTOR:SCOPE
    target: gh:acme/web
    direction: two-way                      # two-way | one-way (source -> target)
    fields: [title, body, status, labels, assignees, milestone, comments]
    conflict: newest                        # newest | source | target
    # filter:                               # which items take part
    #   source: 'labels = public'           # JQL for Jira
    #   target: {labels: [jira]}            # labels for GitHub
    # status:                               # per-status-name category overrides
    #   source: {"In Review": in_progress}
    # users:                                # Jira accountId or name -> GitHub login
    #   "5b10a2844c20165700ede21g": octocat

milestones:
  - name: "Release 2.0"
    members:
      - gh:acme/web milestone="v2.0"
      - jira:WEB fixVersion="2.0"
    due: 2026-12-15                         # else the members' due dates
    publish: [members]
"""
