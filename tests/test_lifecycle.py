"""Starting and stopping the runtime, in process (`intake-bot run` itself: test_run.py)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.app import build
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.lifecycle import WebhookRefused, serve
from tests.helpers import Clock


async def test_a_refused_webhook_stops_everything_it_started(
    settings: Settings, api: OfflineBotAPI, clock: Clock
) -> None:
    hook = "https://intake.example/telegram/webhook"
    hooked = settings.model_copy(update={"webhook_url": hook, "webhook_secret": SecretStr("s")})
    runtime = await build(hooked, offline=api, clock=clock)
    api.fail("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host")
    with pytest.raises(WebhookRefused, match=f"Telegram refused the webhook {hook}: .*resolve"):
        await serve(runtime, "127.0.0.1", 0)
    assert [c for c, _ in api.calls if c in ("getMe", "setWebhook", "getUpdates")] == [
        "getMe",
        "setWebhook",
    ]
    assert not runtime.application.running
