"""The Jira connector (Cloud and Server/Data Center) built on the `jira` library."""

from __future__ import annotations
