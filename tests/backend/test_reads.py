"""The read side: health, members, books and the catalog delta, rentals, payments, MyPage."""

import sqlite3

from backend_stub.db import Database
from kiosk_data.codes import HOLD_READY, KIM, ON_LOAN, OVERDUE
from sync_agent.wire.rest import Book, BookPage, Health, Member, MyPage, Payment, Rental

from .conftest import error_code


def test_health_reports_every_service_up(api):
    health = Health.model_validate(api.get("/health").json())
    assert health.status == "ok"
    assert set(health.services) == {"rental", "payment", "book"}


def test_member_by_card_number_is_camel_case_and_counts_loans(api):
    response = api.get(f"/members/{KIM}")
    assert response.status_code == 200
    assert {"cardNumber", "loanLimit", "activeLoans"} <= set(response.json())
    member = Member.model_validate(response.json())
    assert (member.id, member.status, member.loan_limit, member.active_loans) == (1, "active", 5, 2)
    assert (response.json()["name"], response.json()["nameEn"]) == ("김민지", "Kim Min-ji")


def test_a_database_made_before_english_names_gets_the_column(tmp_path):
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("CREATE TABLE members (id INTEGER PRIMARY KEY, card_number TEXT NOT NULL UNIQUE, "
                "name TEXT NOT NULL, status TEXT NOT NULL, loan_limit INTEGER NOT NULL, "
                "fines INTEGER NOT NULL DEFAULT 0, payment_declined INTEGER NOT NULL DEFAULT 0, email TEXT)")
    old.execute("INSERT INTO members (id, card_number, name, status, loan_limit) "
                "VALUES (1, '20042000000016', '김민지', 'active', 5)")
    old.commit()
    old.close()
    db = Database(tmp_path / "old.db")
    try:
        with db.transaction() as conn:
            row = conn.execute("SELECT name, name_en FROM members").fetchone()
    finally:
        db.close()
    assert tuple(row) == ("김민지", None)


def test_blocked_and_withdrawn_members_are_shown_with_their_status(api):
    blocked = Member.model_validate(api.get("/members/20042000000032").json())
    withdrawn = Member.model_validate(api.get("/members/20042000000040").json())
    assert (blocked.status, blocked.fines) == ("blocked", 12000)
    assert withdrawn.status == "withdrawn"


def test_unknown_card_is_404_with_an_error_body(api):
    response = api.get("/members/20042000009999")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert response.json()["service"] == "rental"


def test_book_by_barcode_and_unknown_barcode(api):
    book = Book.model_validate(api.get("/books/30042000000014").json())
    assert (book.id, book.title, book.status) == (1, "채식주의자", "reserved")
    assert api.get("/books/30042000000063").json()["status"] == "withdrawn"
    missing = api.get("/books/9788936433598")  # an ISBN, not an item label
    assert missing.status_code == 404 and error_code(missing) == "not_found"


def test_catalog_delta_returns_only_copies_changed_since(api):
    full = BookPage.model_validate(api.get("/books").json())
    assert len(full.books) == 16
    assert api.kiosk_return(ON_LOAN).status_code == 200
    delta = BookPage.model_validate(
        api.get("/books", params={"updatedSince": full.server_time.isoformat()}).json())
    assert [(b.barcode, b.status) for b in delta.books] == [(ON_LOAN, "available")]
    assert delta.server_time >= full.server_time


def test_catalog_delta_needs_a_timezone(api):
    response = api.get("/books", params={"updatedSince": "2026-01-01T00:00:00"})
    assert response.status_code == 422 and error_code(response) == "validation_error"


def test_rentals_filter_by_member_book_and_status(api):
    mine = [Rental.model_validate(r) for r in api.get("/rentals", params={"memberId": 1}).json()]
    assert sorted(r.book_id for r in mine) == [1, 2, 3]
    rented = api.get("/rentals", params={"memberId": 1, "status": "rented"}).json()
    assert sorted(r["bookId"] for r in rented) == [2, 3]
    by_book = api.get("/rentals", params={"bookId": 5}).json()
    assert [(r["memberId"], r["status"]) for r in by_book] == [(2, "reserved")]
    bad = api.get("/rentals", params={"status": "lost"})
    assert bad.status_code == 422 and error_code(bad) == "validation_error"


def test_demo_dates_are_relative_to_the_clock(api):
    now = api.now()
    hold = Rental.model_validate(api.rental(1))
    overdue = Rental.model_validate(api.rental(3))
    assert 1.9 < (hold.hold_until - now).total_seconds() / 86400 <= 2
    assert -5.01 < (overdue.due_at - now).total_seconds() / 86400 <= -4.99


def test_payments_of_a_member(api):
    payments = [Payment.model_validate(p) for p in api.payments(1)]
    assert [(p.rental_id, p.amount, p.status) for p in payments] == [(1, 1000, "paid")]
    assert len(api.get("/payments").json()) == 2


def test_mypage_lists_reservations_and_loans_with_overdue_flag(api):
    page = MyPage.model_validate(api.get("/mypages/1").json())
    assert (page.name, page.fines) == ("김민지", 0)
    assert [e.barcode for e in page.reservations] == [HOLD_READY]
    assert {e.barcode: e.overdue for e in page.loans} == {
        ON_LOAN: False, OVERDUE: True}
    assert abs((page.as_of - api.now()).total_seconds()) < 60


def test_mypage_of_unknown_member_is_404(api):
    response = api.get("/mypages/999")
    assert response.status_code == 404 and error_code(response) == "not_found"


def test_openapi_spec_describes_the_contract(api):
    spec = api.get("/openapi.json").json()
    assert {"/health", "/members/{cardNumber}", "/books/{barcode}", "/books", "/rentals",
            "/rentals/{rentalId}", "/kiosk/returns", "/kiosk/rentals", "/payments",
            "/mypages/{memberId}"} <= set(spec["paths"])
    assert "holdUntil" in spec["components"]["schemas"]["Rental"]["properties"]
