"""The caseworkers' dashboard: a Starlette app with server-rendered Jinja2 pages."""
