"""Settings for the demo's services: from the demo alone, never from the machine.

No ``AANSPRAAK_*`` variable of the machine the demo runs on (a production key file, a
webhook, a database URL) may leak into the services the demo starts, so their settings
classes read only the values the demo passes in.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource


class GivenOnly(BaseSettings):
    """A mixin (put it first) that keeps only the initialiser's values as a source."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)
