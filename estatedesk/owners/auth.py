"""Signing in with a mobile phone number (owner portal, R-OA-1): "+86 138-0000-1234", "138 0000 1234" and
"13800001234" are the same number.

`PhoneBackend` comes after django-axes' backend in AUTHENTICATION_BACKENDS, so the lockout after repeated
failures covers phone sign-ins too; `axes_username` (AXES_USERNAME_CALLABLE) makes every spelling of a
number count against one account, so changing the format does not buy more attempts.

A number matches a user when it is one of the phones of a resident with a portal account
(`Resident.user`), or the user's own `User.phone`. A number shared by several accounts (a family's
landline) signs in nobody: we refuse rather than guess.

Staff accounts never sign in through an owner route (issue 16): a resident's phones, which customer-service
staff may edit, never name an account that holds a staff membership or Django's is_staff/is_superuser
(`is_staff_account`); such an account is found only by its own `User.phone`, which only administrators set.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import check_password_with_timing_attack_mitigation, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from estatedesk.org.models import Membership
from estatedesk.owners.contacts import is_mobile, is_valid_phone, normalize_phone

# What people type for a phone number: digits, spaces, +, dashes, dots and brackets; nothing else.
PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]{7,30}$")


def staff_account_q() -> Q:
    """Accounts that hold staff rights: any org membership (active or not: a membership switched on again
    would give an owner session staff roles), Django's is_staff or is_superuser."""
    return (
        Q(is_staff=True) | Q(is_superuser=True) | Q(Exists(Membership.objects.filter(user_id=OuterRef("pk"))))
    )


def is_staff_account(user: Any) -> bool:
    """Does this account hold staff rights? Such an account never signs in through an owner route."""
    if user is None or getattr(user, "pk", None) is None:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user_id=user.pk).exists()


def phone_number_of(raw: str | None) -> str:
    """The normalized number when `raw` is written like a valid phone number, otherwise ""."""
    text = str(raw or "").strip()
    if not PHONE_LIKE.match(text):
        return ""
    number = normalize_phone(text)
    return number if is_valid_phone(number) else ""


def _user_phone_spellings(number: str) -> list[str]:
    """`User.phone` is free text: the normalized number and the usual ways of writing a mobile."""
    spellings = [number]
    if is_mobile(number):
        head, middle, tail = number[:3], number[3:7], number[7:]
        spellings += [
            f"{head}-{middle}-{tail}",
            f"{head} {middle} {tail}",
            f"+86{number}",
            f"+86 {number}",
            f"86{number}",
        ]
    return spellings


def users_with_phone(*, number: str, owners_only: bool = False) -> list[Any]:
    """At most two users whose account carries `number` (normalized): enough to tell one from several.

    A resident's phone names only owner accounts, never a staff account; `owners_only` (the owner routes)
    leaves staff accounts out altogether."""
    if not number:
        return []
    owner_phone = Q(resident__phones__number=number) & ~staff_account_q()
    condition = owner_phone | Q(phone__in=_user_phone_spellings(number))
    users = get_user_model().objects.filter(condition)
    if owners_only:
        users = users.filter(resident__isnull=False).exclude(staff_account_q())
    return list(users.select_related("resident").distinct().order_by("pk")[:2])


def user_for_phone(*, number: str, owners_only: bool = False) -> Any | None:
    """The one user with this number, or None when nobody or several users have it."""
    users = users_with_phone(number=number, owners_only=owners_only)
    return users[0] if len(users) == 1 else None


class PhoneBackend(ModelBackend):
    """Username = a mobile or landline number in any common format; password as usual."""

    @sensitive_variables("password")
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any | None:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        number = phone_number_of(username)
        if not number:
            return None  # not a phone number: the username backend has already answered
        user = user_for_phone(number=number)
        # an unknown or shared number costs a password hash too, so timing tells nothing
        if check_password_with_timing_attack_mitigation(user, password) and self.user_can_authenticate(user):
            return user
        return None

    @sensitive_variables("password")
    async def aauthenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any | None:
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)


def axes_username(request: Any, credentials: dict[str, Any] | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the name failed attempts are counted under.

    A phone number counts under the username of the one account it signs in to (so the account locks
    whichever way it is addressed, and a successful sign-in clears the count); an unknown or shared
    number counts under its normalized form, whatever the spelling. Anything else is taken as typed.
    """
    if credentials:
        raw = credentials.get("username")
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        raw = data.get("username")
    number = phone_number_of(raw)
    if not number:
        return raw
    cache: dict[str, str] = getattr(request, "_estatedesk_axes_usernames", None) or {}
    if number not in cache:
        user = user_for_phone(number=number)
        cache[number] = user.get_username() if user is not None else number
        with contextlib.suppress(AttributeError):  # a request object that takes no attributes
            request._estatedesk_axes_usernames = cache
    return cache[number]
