"""The people's web console under /console: members sign in with a password and act through
pages, each action audited with the member as the actor.

The interface the panels build on:

- `finite.console.principal.ConsoleUser` — who is signed in (frozen): org_id, member_id, email,
  name, role_id, role_name, is_admin, is_owner, permissions (the role's module → actions),
  session_hash, csrf_token, org_name; `user.may(module, action)` as their API keys are allowed.
- `finite.console.routes.CONSOLE_ROUTER` — the one router, mounted in app.py; add a panel's
  handlers (or a Controller) to `ROUTE_HANDLERS` in routes.py. Paths are relative to /console.
  On it:
  - a handler that declares `user: UserDep` (`finite.console.principal.UserDep`, Litestar's
    `NamedDependency[ConsoleUser]`) gets the signed-in member as a ConsoleUser (the router's
    `user` dependency, `guards.console_user`); without a valid session the browser goes to
    /console/login?next=<this page> (303);
  - `guards=[finite.console.guards.admin_only]` admits Admin-role members only (403 page);
  - every POST/PUT/PATCH/DELETE must carry the session's CSRF token (form field `csrf_token`,
    which `{{ csrf_field() }}` writes, or the `X-CSRF-Token` header): otherwise 403 and the
    handler never runs;
  - raise `finite.console.refusals.ConsoleRefusal(status, heading, text)` for a page saying
    why; an AppError from a service becomes such a page too (its message and fields).
- `finite.console.pages.render(request, user, template_name, *, status_code=200,
  headers=None, **context) -> Response[str]` — a page from console/templates/ (autoescaped,
  StrictUndefined) with the security headers. Templates extend "base.html" and fill the blocks
  `title` and `content`; they get `user`, `nav`, `current_path`, `csrf_token` and
  `csrf_field()`. `pages.message(request, status, heading, text, user=…)` and
  `pages.redirect(location)` for the rest. One stylesheet: /console/static/console.css.
- `finite.console.nav.PANELS` — the navigation (Home, API keys, Webhooks, Members, Plan & usage,
  Audit log) with the address each panel lives at and whether it is admin-only.
- `finite.console.audit` — `audit_console_action(platform, request.scope, user, action, …)`
  for an action that changed nothing (or is committed); `record_console_change(session,
  request.scope, user, action, module=…, changes=…)` inside the change's transaction. Rows have
  product "console", no key, `member_id` the member.

The Account page (account.py, /console/account: two-step sign-in, password, sessions) is
every member's; the sign-in's second step is second_step.py, the TOTP secret and recovery
codes `finite.core.accounts.second_factor`.

Passwords (argon2id) live in `finite.core.accounts.passwords`; sessions in `sessions.py`
(the cookie holds the id, the database its SHA-256 only). docs/console.md explains the rest.
"""
