"""The in-process Bot API keeps Telegram's limits, and says so in Telegram's words."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.chat.transport import (
    ALERT_LIMIT,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    OFFLINE_TOKEN,
    OfflineBotAPI,
)

CHAT = 4242


@pytest.fixture
async def ptb(api: OfflineBotAPI) -> AsyncIterator[Bot]:
    """PTB's own Bot over the offline API, as the application uses it."""
    bot = Bot(OFFLINE_TOKEN, request=api)
    await bot.initialize()
    yield bot
    await bot.shutdown()


async def refusal(api: OfflineBotAPI, method: str, **params: Any) -> str | None:
    """Telegram's description of why `method` was refused, or None if it was answered."""
    status, body = await api.call(method, {"chat_id": CHAT, **params})
    answer = json.loads(body)
    assert (status == 200) == answer["ok"]
    return None if answer["ok"] else str(answer["description"])


async def test_a_message_of_4097_characters_is_refused_and_4096_pass(
    ptb: Bot, api: OfflineBotAPI
) -> None:
    assert MESSAGE_LIMIT == 4096
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await ptb.send_message(CHAT, "x" * 4097)
    assert api.messages(CHAT) == []  # nothing reached the phone
    sent = await ptb.send_message(CHAT, "x" * 4096)
    assert [m.text for m in api.messages(CHAT)] == ["x" * 4096]
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await ptb.edit_message_text("y" * 4097, CHAT, sent.message_id)
    assert api.messages(CHAT)[0].text == "x" * 4096  # left as it was
    await ptb.edit_message_text("y" * 4096, CHAT, sent.message_id)
    assert api.messages(CHAT)[0].text == "y" * 4096


@pytest.mark.parametrize("text", ["", " ", "\n\n\t"])
async def test_an_empty_message_is_refused(api: OfflineBotAPI, text: str) -> None:
    assert await refusal(api, "sendMessage", text=text) == "Bad Request: message text is empty"
    assert await refusal(api, "sendMessage") == "Bad Request: message text is empty"
    assert await refusal(api, "sendMessage", text=".") is None


async def test_an_edit_to_empty_text_is_refused(api: OfflineBotAPI) -> None:
    assert await refusal(api, "sendMessage", text="Question?") is None
    message_id = api.messages(CHAT)[0].message_id
    description = await refusal(api, "editMessageText", message_id=message_id, text="  ")
    assert description == "Bad Request: message text is empty"
    assert api.messages(CHAT)[0].text == "Question?"


async def test_a_caption_longer_than_1024_characters_is_refused(api: OfflineBotAPI) -> None:
    assert CAPTION_LIMIT == 1024
    too_long = await refusal(api, "sendPhoto", photo="p1", caption="c" * 1025)
    assert too_long == "Bad Request: message caption is too long"
    # Within the limit, the call goes on, to what the offline API does not offer.
    within = await refusal(api, "sendPhoto", photo="p1", caption="c" * 1024)
    assert within == "Bad Request: method sendPhoto is not available offline"


@pytest.mark.parametrize(
    ("data", "refused"),
    [
        ("d" * 64, False),
        ("é" * 32, False),  # 64 bytes in UTF-8
        ("d" * 65, True),
        ("é" * 33, True),  # 33 characters, but 66 bytes
        ("", True),
    ],
)
async def test_callback_data_holds_1_to_64_bytes(
    ptb: Bot, api: OfflineBotAPI, data: str, refused: bool
) -> None:
    assert CALLBACK_DATA_LIMIT == 64
    markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}],
                                  [{"text": "Other", "callback_data": data}]]}  # fmt: skip
    description = await refusal(api, "sendMessage", text="Choose", reply_markup=markup)
    assert description == ("Bad Request: BUTTON_DATA_INVALID" if refused else None)
    if data:  # PTB itself builds no button without data
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Other", callback_data=data)]])
        if refused:
            with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
                await ptb.send_message(CHAT, "Choose", reply_markup=keyboard)
        else:
            await ptb.send_message(CHAT, "Choose", reply_markup=keyboard)


async def test_a_button_edit_keeps_the_callback_data_limit(api: OfflineBotAPI) -> None:
    assert await refusal(api, "sendMessage", text="Choose") is None
    message_id = api.messages(CHAT)[0].message_id
    markup = {"inline_keyboard": [[{"text": "Other", "callback_data": "d" * 65}]]}
    description = await refusal(
        api, "editMessageReplyMarkup", message_id=message_id, reply_markup=markup
    )
    assert description == "Bad Request: BUTTON_DATA_INVALID"
    assert api.messages(CHAT)[0].reply_markup is None


async def test_a_callback_answer_holds_at_most_200_characters(api: OfflineBotAPI) -> None:
    assert ALERT_LIMIT == 200
    too_long = await refusal(api, "answerCallbackQuery", callback_query_id="1", text="a" * 201)
    assert too_long == "Bad Request: MESSAGE_TOO_LONG"
    assert await refusal(api, "answerCallbackQuery", callback_query_id="1", text="a" * 200) is None
    assert await refusal(api, "answerCallbackQuery", callback_query_id="1") is None
