"""``[inbound]``: what happens to a customer's text before routing (opt-outs, help,
conversations), the secret that signs route webhooks, and the pictures (MMS) attached to
the emails of customers' texts."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from bridge.parsing.keywords import normal_form
from bridge.settings.section import LocalPath, Section, check_addresses

__all__ = ["InboundSettings", "KeywordLanguage"]

MB = 1024 * 1024
_MEDIA_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/heif",
    "video/mp4",
    "video/3gpp",
    "audio/*",
)
_STOP = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE")


def _normal_words(values: tuple[str, ...]) -> tuple[str, ...]:
    """Kept in their normal form (``bridge.parsing.keywords``), as texts are compared."""
    return tuple(word for word in (normal_form(v) for v in values) if word)


class KeywordLanguage(Section):
    """``[inbound.keywords.fr]``: the words of one language (added to the defaults, in any
    language a customer texts them) and the answers a customer of that language gets
    (``Contact.language``; an answer left out is the default's)."""

    stop: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    help: tuple[str, ...] = ()
    stop_reply: str | None = None
    start_reply: str | None = None
    help_reply: str | None = None

    _words = field_validator("stop", "start", "help")(classmethod(lambda cls, v: _normal_words(v)))


class InboundSettings(Section):
    """Opt-outs, help and conversations: what happens to a customer's text before routing."""

    stop_words: tuple[str, ...] = Field(default=_STOP, validate_default=True)
    start_words: tuple[str, ...] = Field(default=("START", "UNSTOP", "YES"), validate_default=True)
    help_words: tuple[str, ...] = Field(default=("HELP", "INFO"), validate_default=True)
    stop_reply: str = (
        "You will not receive any more texts from this number. Reply START to receive them again."
    )
    start_reply: str = "You will receive texts from this number again. Reply STOP to stop them."
    help_reply: str = "This number is used by our team to text you. Reply STOP to stop texts."
    keywords: dict[str, KeywordLanguage] = Field(
        default={},
        description="Per language (a BCP 47 tag such as fr): more STOP/START/HELP words, and"
        " the answers for customers whose contact has that language.",
    )
    auto_reply_interval_minutes: float = Field(
        default=60.0, ge=0, description="At most one automatic reply per customer in this time."
    )
    conversation_days: float = Field(
        default=30.0, gt=0, description="How long a reply goes to the staff member who texted."
    )
    copy_conversations_to_route: bool = False
    conversation_copies: tuple[str, ...] = Field(
        default=(),
        description="Who also gets every text of a live conversation (a team's inbox, say).",
    )
    thread_history: int = Field(
        default=5, ge=0, le=50, description="How many earlier texts each email of a text shows."
    )
    poll_seconds: float = Field(default=1.0, gt=0)
    webhook_secret: SecretStr | None = None
    webhook_secret_file: LocalPath | None = None
    media_max_bytes: int = Field(
        default=5 * MB, gt=0, description="A picture larger than this is not attached."
    )
    media_types: tuple[str, ...] = Field(
        default=_MEDIA_TYPES,
        validate_default=True,
        description="Content types attached to the email (type/* for a whole family).",
    )
    media_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    media_attempts: int = Field(
        default=5,
        ge=1,
        le=20,
        description="Tries of the text's email before a picture that cannot be fetched is"
        " given up (its email says so).",
    )

    @field_validator("media_types")
    @classmethod
    def _types(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        """Lower case, as content types are compared; each ``type/subtype`` or ``type/*``."""
        cleaned = tuple(value.strip().lower() for value in values)
        bad = [value for value in cleaned if value.count("/") != 1 or value.startswith("/")]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a content type such as image/png or audio/*")
        return cleaned

    _copies = field_validator("conversation_copies")(classmethod(lambda cls, v: check_addresses(v)))

    @field_validator("stop_words", "start_words", "help_words")
    @classmethod
    def _normal(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _normal_words(values)

    @field_validator("keywords")
    @classmethod
    def _languages(cls, value: dict[str, KeywordLanguage]) -> dict[str, KeywordLanguage]:
        """Language tags compared in lower case, as ``Contact.language`` is read."""
        return {tag.strip().lower(): words for tag, words in value.items()}

    @model_validator(mode="after")
    def _all_words(self) -> InboundSettings:
        """Every language's words count for every customer: a STOP is a STOP."""
        extra = self.keywords.values()
        for name in ("stop", "start", "help"):
            words = getattr(self, f"{name}_words") + tuple(
                w for k in extra for w in getattr(k, name)
            )
            object.__setattr__(self, f"{name}_words", tuple(dict.fromkeys(words)))
        return self

    def reply(self, keyword: str, language: str) -> str:
        """The answer to ``keyword`` (stop, start, help) in ``language`` ("fr-CA" falls back
        to "fr", then to the default)."""
        tag = language.strip().lower()
        for key in (tag, tag.split("-")[0]):
            found = self.keywords.get(key)
            answer = getattr(found, f"{keyword}_reply", None) if found else None
            if answer:
                return str(answer)
        return str(getattr(self, f"{keyword}_reply"))
