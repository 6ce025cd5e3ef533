"""The member view carries the address email receipts go to, where the library has one."""

from kiosk_data.codes import KIM
from sync_agent.wire.rest import Member


def test_the_member_view_has_the_email_the_library_keeps(api):
    answer = api.get(f"/members/{KIM}").json()
    assert answer["email"] == "minji.kim@example.org"
    assert Member.model_validate(answer).email == "minji.kim@example.org"
    assert api.get("/members/20042000000024").json()["email"] is None, "most members have none"
