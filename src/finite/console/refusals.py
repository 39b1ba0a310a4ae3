"""What stops a console request before its handler: not signed in (back to the sign-in page)
or not allowed (a page saying why). routes.py turns them into answers."""

from __future__ import annotations


class SignInRequired(Exception):
    """No valid session: 303 to /console/login, coming back to `next` afterwards."""

    def __init__(self, next_path: str = "/console/") -> None:
        super().__init__("sign in first")
        self.next_path = next_path


class ConsoleRefusal(Exception):
    """A page with `heading` and `text`, answered with `status`."""

    def __init__(
        self, status: int, heading: str, text: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(heading)
        self.status = status
        self.heading = heading
        self.text = text
        self.headers = headers or {}


def not_an_admin() -> ConsoleRefusal:
    return ConsoleRefusal(
        403,
        "Admins only",
        "This page is for members with the Admin role. Ask an admin of your organization "
        "if you need it.",
    )


def csrf_refused() -> ConsoleRefusal:
    return ConsoleRefusal(
        403,
        "This form has expired",
        "The form's security token was missing or does not match your session, so nothing "
        "was changed. Go back, reload the page and try again.",
    )
