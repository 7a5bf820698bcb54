"""The two-minute tour in headless Chromium: a resident and a cadre side by side in /simulator."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import select

from storage.models import InboundMessage, Outbox, Ticket, TicketEvent, TicketStatus
from tests.support.screenshots import screenshots
from tests.web.simulator_fixtures import Simulator, browser, start_simulator

__all__ = ["browser", "screenshots", "start_simulator"]

WAIT_SECONDS = 30
# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def bubbles(driver: Any, phone: int, area: str = ".messages") -> list[str]:
    """The texts of the phone's bubbles; read again when the page re-renders them mid-read (it polls every second)."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(10):
        try:
            return [e.text for e in driver.find_elements("css selector", f"#phone-{phone} {area} .msg")]
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"phone {phone}: {area} kept changing while being read")


def wait_for(driver: Any, phone: int, pattern: str, area: str = ".messages") -> str:
    """Wait until a bubble on the phone matches pattern; that bubble's text (with its channel line)."""
    found: list[str] = []

    def seen(d: Any) -> bool:
        found[:] = [t for t in bubbles(d, phone, area) if re.search(pattern, t)]
        return bool(found)

    wait(driver, seen, f"phone {phone}: no bubble in {area} matching {pattern!r}; has {bubbles(driver, phone, area)}")
    return found[-1]


def wait_for_text(driver: Any, element_id: str, part: str) -> str:
    wait(driver, lambda d: part in d.find_element("id", element_id).text, f"#{element_id} never showed {part!r}")
    return str(driver.find_element("id", element_id).text)


def wait(driver: Any, condition: Callable[[Any], bool], message: str) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,)).until(condition, message)


def mode(driver: Any, phone: int, name: str) -> None:
    driver.find_element("css selector", f'#phone-{phone} .modes [data-mode="{name}"]').click()


def say(driver: Any, phone: int, text: str) -> None:
    box = driver.find_element("css selector", f"#phone-{phone} textarea")
    box.clear()
    box.send_keys(text)
    driver.find_element("css selector", f"#phone-{phone} .send").click()


def test_tour_resident_and_cadre_side_by_side(
    start_simulator: Callable[..., Simulator], browser: Any, tmp_path: Path, screenshots: Path
) -> None:
    sim = start_simulator()
    driver = browser
    driver.get(sim.base_url + "/simulator")
    assert "这是演示" in wait_for_text(driver, "banner", "这是演示")  # the page's script has loaded the demo

    # Left phone: a new resident files a complaint and gets a number.
    wait(driver, lambda d: bool(d.find_elements("css selector", "#phone-0 .new-resident")), "no 新居民 button")
    driver.find_element("css selector", "#phone-0 .new-resident").click()
    wait_for(driver, 0, "欢迎关注")
    say(driver, 0, "桂花小区门口的路灯坏了三天了，晚上黑黢黢的")
    number = int(re.search(r"编号 (\d+)", wait_for(driver, 0, r"已登记，编号 \d+")).group(1))  # type: ignore[union-attr]

    # A location picked on the little map and a photo join that complaint.
    mode(driver, 0, "location")
    driver.find_element("css selector", "#phone-0 .map").click()
    assert driver.find_element("css selector", "#phone-0 .lat").get_attribute("value")
    driver.find_element("css selector", "#phone-0 .send-location").click()
    wait_for(driver, 0, f"位置已收到，已补充到编号 {number}")
    mode(driver, 0, "photo")
    photo = tmp_path / "lamp.png"
    photo.write_bytes(PNG)
    driver.find_element("css selector", "#phone-0 .photo-input").send_keys(str(photo))
    driver.find_element("css selector", "#phone-0 .send-photo").click()
    wait_for(driver, 0, f"照片已收到，已补充到编号 {number}")
    assert driver.find_elements("css selector", "#phone-0 .msg.me img")
    mode(driver, 0, "text")

    # Right phone: the courtyard's cadre gets the task by customer-service message, accepts and resolves.
    driver.find_element("css selector", '#phone-1 button.persona[data-openid="o_lifang"]').click()
    task = wait_for(driver, 1, f"【新任务】编号 {number}")
    assert "推送 · 客服消息" in task
    say(driver, 1, f"受理 {number}")
    wait_for(driver, 1, f"已受理编号 {number}")
    say(driver, 1, f"办结 {number} 路灯已更换")
    wait_for(driver, 1, f"编号 {number} 已办结")

    # Left phone: both pushes and the survey arrive; the resident answers it.
    assert "推送 · 客服消息" in wait_for(driver, 0, f"编号 {number}）已受理")
    wait_for(driver, 0, f"编号 {number}）已办结：路灯已更换")
    wait_for(driver, 0, "直接回复数字")
    say(driver, 0, "1")
    wait_for(driver, 0, f"感谢您的评价（满意），编号 {number} 已完结")

    # A second complaint, by voice, that nobody takes up; the time machine runs two working days ahead.
    mode(driver, 0, "voice")
    say(driver, 0, "桂花苑3栋的下水道堵了，污水冒到路上了")
    assert "［语音］桂花苑3栋" in wait_for(driver, 0, "桂花苑3栋的下水道堵了")
    second = int(re.search(r"编号 (\d+)", wait_for(driver, 0, rf"编号 (?!{number}\b)\d+")).group(1))  # type: ignore[union-attr]
    wait_for(driver, 1, f"【新任务】编号 {second}")
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(screenshots / "simulator.png"))

    driver.find_element("css selector", '[data-step="day2"]').click()
    assert "11-26 周四 10:00" in wait_for_text(driver, "tm-result", "已快进到")
    # Thursday 10:00 is 48 hours after the cadre last wrote: WeChat's customer-service window has shut
    # and the demo has no template ids, so her reminders are held until she writes again.
    held = wait_for(driver, 1, rf"暂存[\s\S]*【(提醒|即将到期|已超期)】编号 {second}", area=".held")
    assert "再发消息" in held
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(screenshots / "simulator-time-machine.png"))
    say(driver, 1, "任务")
    wait_for(driver, 1, r"您有\d+件待办")
    # Writing reopened her window: what was held goes now (several at once as one 【未读汇总】).
    wait_for(driver, 1, rf"推送 · 客服消息\n【(未读汇总|即将到期|提醒|已超期)】[\s\S]*编号 {second}")
    # The levels above were told too (督办), in the same run of the time machine.
    with sim.db.transaction() as session:
        above = {o.openid for o in session.exec(select(Outbox).where(Outbox.ticket_id == second, Outbox.kind == "escalation"))}
    assert {"o_wangming", "o_zhaoqiang"} <= above, above

    # The same conversation is in the ledger.
    resident = driver.find_element("id", "phone-0").get_attribute("data-openid")
    with sim.db.transaction() as session:
        ticket = session.get(Ticket, number)
        assert ticket is not None and ticket.status == TicketStatus.CLOSED and ticket.satisfaction == "satisfied"
        kinds = [e.kind for e in session.exec(select(TicketEvent).where(TicketEvent.ticket_id == number)).all()]
        said = [m.content for m in session.exec(select(InboundMessage).where(InboundMessage.openid == resident)).all()]
        cadre_said = [m.content for m in session.exec(select(InboundMessage).where(InboundMessage.openid == "o_lifang"))]
        assert session.get(Ticket, second) is not None
    assert "桂花小区门口的路灯坏了三天了，晚上黑黢黢的" in said and "1" in said
    assert cadre_said == [f"受理 {number}", f"办结 {number} 路灯已更换", "任务"]
    assert len(kinds) >= 4, kinds
