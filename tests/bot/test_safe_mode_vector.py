"""WeRoBot's safe-mode MessageCrypt checked against Tencent's published WXBizMsgCrypt test vector."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from werobot.crypto import MessageCrypt
from werobot.crypto.exceptions import AppIdValidationError, InvalidSignature

VECTOR_FILE = Path(__file__).resolve().parent.parent / "data" / "safe_mode_vector.json"


@pytest.fixture(scope="module")
def vector() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
    return data


def crypt_for(vector: dict[str, Any], app_id: str | None = None) -> MessageCrypt:
    return MessageCrypt(vector["token"], vector["encoding_aes_key"], app_id or vector["app_id"])


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def fields(xml: bytes | str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ElementTree.fromstring(xml)}


def test_msg_signature_is_sha1_of_sorted_token_timestamp_nonce_encrypt(vector: dict[str, Any]) -> None:
    signature = sha1_signature(vector["token"], vector["timestamp"], vector["nonce"], vector["encrypt"])

    assert signature == vector["msg_signature"]


def test_werobot_decrypts_the_sample_message(vector: dict[str, Any]) -> None:
    xml = crypt_for(vector).decrypt_message(
        vector["timestamp"], vector["nonce"], vector["msg_signature"], vector["encrypt"]
    )

    assert fields(xml) == vector["expected"]


def test_a_wrong_signature_is_refused(vector: dict[str, Any]) -> None:
    with pytest.raises(InvalidSignature):
        crypt_for(vector).decrypt_message(vector["timestamp"], vector["nonce"], "0" * 40, vector["encrypt"])


def test_a_foreign_appid_is_refused(vector: dict[str, Any]) -> None:
    with pytest.raises(AppIdValidationError):
        crypt_for(vector, app_id="wx0000000000000000").decrypt_message(
            vector["timestamp"], vector["nonce"], vector["msg_signature"], vector["encrypt"]
        )


def test_encrypted_reply_is_signed_and_decrypts_to_itself(vector: dict[str, Any]) -> None:
    crypt = crypt_for(vector)
    reply = (
        "<xml><ToUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></ToUserName>"
        "<FromUserName><![CDATA[gh_10f6c3c3ac5a]]></FromUserName><CreateTime>1409735670</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[已收到，编号 1024。😀]]></Content></xml>"
    )

    envelope = fields(crypt.encrypt_message(reply, timestamp="1409735670", nonce="987654"))

    assert (envelope["TimeStamp"], envelope["Nonce"]) == ("1409735670", "987654")
    assert envelope["MsgSignature"] == sha1_signature(vector["token"], "1409735670", "987654", envelope["Encrypt"])
    decrypted = crypt.decrypt_message("1409735670", "987654", envelope["MsgSignature"], envelope["Encrypt"])
    assert decrypted.decode("utf-8") == reply
