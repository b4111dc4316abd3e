"""The whole configuration: one validated object, built only by ``bridge.settings.load``.

Sections live in their own modules; this one gathers them, applies the environment
(``SMSBRIDGE_<SECTION>__<KEY>``, ``__`` between levels, taking precedence over the file) and
checks what spans sections: the routing table's calendars and default, the provider rules'
names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bridge.parsing.numbers import is_short_code
from bridge.providers.registry import kind_of
from bridge.settings.bulk import BulkSettings
from bridge.settings.campaigns import CampaignSettings
from bridge.settings.compliance import ComplianceSettings
from bridge.settings.core import (
    AdminSettings,
    BridgeSettings,
    HttpSettings,
    MetricsSettings,
    QueueSettings,
    StoreSettings,
)
from bridge.settings.environment import without_strays
from bridge.settings.flows import FlowSettings, flow_faults
from bridge.settings.inbound import InboundSettings
from bridge.settings.links import LinksSettings
from bridge.settings.mail import MailboxSettings, MailSettings
from bridge.settings.numbers import ReplyNumber
from bridge.settings.providers import ProviderEntry, ProviderRule, from_short_form, name_faults
from bridge.settings.reports import ReportSchedule
from bridge.settings.routes import CalendarSettings, RouteSettings, table_faults
from bridge.settings.section import SettingError
from bridge.settings.smtp import SmtpSettings
from bridge.settings.templates import GroupsSettings, TemplatesSettings
from bridge.settings.text import SendersSettings, TextSettings

__all__ = ["ENV_PREFIX", "Settings"]

ENV_PREFIX = "SMSBRIDGE_"


class _KnownEnvironment(PydanticBaseSettingsSource):
    """The environment, less variables for providers the file does not define
    (``bridge.settings.environment``)."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        env: PydanticBaseSettingsSource,
        file: dict[str, Any],
    ) -> None:
        super().__init__(settings_cls)
        self._env = env
        self._file = file

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ gives every value at once

    def __call__(self) -> dict[str, Any]:
        return without_strays(self._env(), self._file)


class Settings(BaseSettings):
    """The whole configuration; built only by ``load_settings``."""

    model_config = SettingsConfigDict(
        extra="forbid", frozen=True, env_prefix=ENV_PREFIX, env_nested_delimiter="__"
    )

    bridge: BridgeSettings = BridgeSettings()
    store: StoreSettings = StoreSettings()
    smtp: SmtpSettings
    http: HttpSettings = HttpSettings()
    text: TextSettings = TextSettings()
    senders: SendersSettings = SendersSettings()
    compliance: ComplianceSettings = ComplianceSettings()
    provider: dict[str, Any] | None = Field(
        default=None, description="The short form for one provider; becomes [providers.NAME]."
    )
    providers: dict[str, ProviderEntry] = Field(
        default={}, description="Named providers, in failover order."
    )
    provider_rules: tuple[ProviderRule, ...] = ()
    queue: QueueSettings = QueueSettings()
    mail: MailSettings = MailSettings()
    numbers: tuple[ReplyNumber, ...] = ()
    inbound: InboundSettings = InboundSettings()
    routes: tuple[RouteSettings, ...] = ()
    calendars: tuple[CalendarSettings, ...] = ()
    admin: AdminSettings = AdminSettings()
    metrics: MetricsSettings = MetricsSettings()
    mailboxes: tuple[MailboxSettings, ...] = ()
    campaigns: tuple[CampaignSettings, ...] = ()
    templates: TemplatesSettings = TemplatesSettings()
    groups: GroupsSettings = GroupsSettings()
    bulk: BulkSettings = BulkSettings()
    flows: tuple[FlowSettings, ...] = ()
    reports: tuple[ReportSchedule, ...] = ()
    links: LinksSettings = LinksSettings()

    @model_validator(mode="before")
    @classmethod
    def _one_form(cls, data: Any) -> Any:
        """``[provider]`` becomes ``[providers.NAME]``; with neither, the sandbox."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        short = data.pop("provider", None)
        if short is not None and data.get("providers"):
            raise SettingError(
                "provider",
                "write either one [provider] section or [providers.NAME] tables, not both"
                " (move the [provider] settings into a [providers.NAME] table)",
            )
        if short is not None:
            data["providers"] = from_short_form(short)
        elif not data.get("providers"):
            data["providers"] = {"sandbox": {"type": "sandbox"}}
        return data

    @model_validator(mode="after")
    def _across_sections(self) -> Settings:
        """What spans sections, every fault at the key it concerns, all at once."""
        SettingError.raise_any(
            table_faults(self.routes, self.calendars)
            + self._provider_faults()
            + self._compliance_faults()
            + self._campaign_faults()
            + self._short_code_sender_faults()
            + self._flow_faults()
            + self._links_faults()
        )
        return self

    def _compliance_faults(self) -> list[tuple[str, str]]:
        known = {calendar.name for calendar in self.calendars}
        unknown = sorted(set(self.compliance.quiet_during) - known)
        if not unknown:
            return []
        return [
            (
                "compliance.quiet_during",
                f"names calendar(s) {', '.join(unknown)} that no [[calendars]] entry defines",
            )
        ]

    def _campaign_faults(self) -> list[tuple[str, str]]:
        """A campaign runs on the bridge's numbers and its keyword means nothing else."""
        owned = {number.number for number in self.numbers}
        taken = {*self.inbound.stop_words, *self.inbound.start_words, *self.inbound.help_words}
        faults, seen = [], set()
        for index, campaign in enumerate(self.campaigns):
            where = f"campaigns.{index}"
            strange = [n for n in campaign.numbers if n not in owned]
            if strange:
                faults.append((f"{where}.numbers", f"{strange[0]} is not one of [[numbers]]"))
            if campaign.keyword in taken:
                faults.append(
                    (
                        f"{where}.keyword",
                        f"{campaign.keyword.upper()} is already STOP, START or HELP",
                    )
                )
            if campaign.keyword in seen:
                faults.append((f"{where}.keyword", f"{campaign.keyword.upper()} is used twice"))
            seen.add(campaign.keyword)
        return faults

    def _short_code_sender_faults(self) -> list[tuple[str, str]]:
        """A short code sends only as one of the bridge's numbers: its digits mean something
        only in the country ``[[numbers]]`` declares for it."""
        owned = {number.number for number in self.numbers}
        senders = [("senders.default", self.senders.default)]
        senders += [
            (f"senders.rules.{i}.sender", r.sender) for i, r in enumerate(self.senders.rules)
        ]
        return [
            (
                key,
                f"{sender} is a short code but not one of [[numbers]]: add it there with its"
                f' country (number = "{sender}", country = "GB"), or use a number in E.164 or'
                " a sender ID",
            )
            for key, sender in senders
            if is_short_code(sender) and sender not in owned
        ]

    def _links_faults(self) -> list[tuple[str, str]]:
        if self.links.under_public_url and not self.bridge.public_url:
            return [("links.under_public_url", "set [bridge] public_url, or give links.domain")]
        return []

    def _provider_faults(self) -> list[tuple[str, str]]:
        faults = [(f"providers.{name}", message) for name, message in name_faults(self.providers)]
        for name, entry in self.providers.items():
            if entry.watch_seconds and not kind_of(entry).pollable:
                faults.append(
                    (
                        f"providers.{name}.watch_seconds",
                        f"{entry.type} cannot be polled; remove watch_seconds",
                    )
                )
        known = set(self.providers)
        for index, rule in enumerate(self.provider_rules):
            unknown = [name for name in rule.providers if name not in known]
            if unknown:
                faults.append(
                    (
                        f"provider_rules.{index}.providers",
                        f"no provider is named {', '.join(unknown)}; known: {', '.join(known)}",
                    )
                )
        return faults

    def _flow_faults(self) -> list[tuple[str, str]]:
        """Flows run on the bridge's numbers; their keywords mean nothing else (there)."""
        owned = {number.number for number in self.numbers}
        taken = {*self.inbound.stop_words, *self.inbound.start_words, *self.inbound.help_words}
        taken |= {campaign.keyword for campaign in self.campaigns}
        return flow_faults(self.flows, owned=owned, taken=taken)

    def reply_number(self, number: str) -> ReplyNumber | None:
        return next((n for n in self.numbers if n.number == number), None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file = init_settings.init_kwargs if isinstance(init_settings, InitSettingsSource) else {}
        return (_KnownEnvironment(settings_cls, env_settings, file), init_settings)

    @property
    def database_path(self) -> Path:
        return self.store.path or self.bridge.data_dir / "smsbridge.db"

    @property
    def pid_lock_path(self) -> Path:
        """The running bridge's lock and pid file: one bridge per SQLite file, or per data_dir
        when the store is shared (``smsbridge reload`` finds the bridge through it)."""
        if self.store.backend == "sqlite":
            return self.database_path.with_name(self.database_path.name + ".lock")
        return self.bridge.data_dir / "smsbridge.lock"

    @property
    def maildir_path(self) -> Path:
        return self.mail.maildir.path or self.bridge.data_dir / "mail"
