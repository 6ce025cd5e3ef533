"""Every patron-visible string, Korean first, then English; and date and money formats.

One table so a missing translation is a failing test, not a blank on a patron's screen. Keys are
looked up with :func:`t`; placeholders are ``str.format`` fields and must match in both languages.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Literal

Lang = Literal["ko", "en"]
LANGS: tuple[Lang, ...] = ("ko", "en")

STRINGS: dict[str, tuple[str, str]] = {
    # frame
    "too_small": ("화면이 너무 작습니다: {width}×{height} 이상이 필요합니다 (지금 {now_width}×{now_height}). 창을 키워 주세요.",
                  "The window is too small: the kiosk needs {width}×{height} (now {now_width}×{now_height}). "
                  "Please enlarge it."),
    "app_title": ("도서관 무인 대출·반납기", "Library self-service kiosk"),
    "lang_toggle": ("English", "한국어"),
    "online": ("● 온라인", "● Online"),
    "offline": ("○ 오프라인", "○ Offline"),
    "done": ("완료", "Done"),
    "ok": ("확인", "OK"),
    "back": ("돌아가기", "Back"),
    "none": ("없음", "None"),
    # welcome
    "welcome_heading": ("어서 오세요", "Welcome"),
    "welcome_borrow": ("빌리기: 회원증을 스캔하세요", "Borrow: scan your library card"),
    "welcome_return": ("반납하기: 책의 도서관 라벨을 스캔하세요 (회원증 필요 없음)",
                       "Return: just scan the book's library label (no card needed)"),
    # return
    "returns_heading": ("반납", "Returns"),
    "returned": ("반납되었습니다", "Returned"),
    "returned_offline": ("반납이 저장되었습니다. 도서관 시스템에 자동으로 전송됩니다.",
                         "Return saved; it will be sent to the library system automatically."),
    "late_fine": ("{days}일 연체 · 예상 연체료 {amount}원",
                  "{days} day(s) late · estimated fine {amount} won"),
    "scan_next_return": ("다음 책을 스캔하거나 '완료'를 누르세요.",
                         "Scan the next book, or tap Done."),
    "return_unchecked": ("반납이 저장되었습니다. 도서관 시스템에서 확인한 뒤 처리됩니다.",
                         "Return saved; the library system will check it."),
    "return_already": ("이미 반납된 책입니다. 다시 처리하지 않았습니다.",
                       "Already returned; nothing more to do."),
    "return_not_on_loan": ("대출 중인 책이 아닙니다. 안내데스크에 맡겨 주세요.",
                           "This book is not on loan. Please leave it at the desk."),
    "return_on_hold": ("예약 보관 중인 책입니다. 본인 예약이면 회원증을 먼저 스캔해 대출하고, 아니면 예약 서가에 놓아 주세요.",
                       "This book is on hold. If it is yours, scan your card first to borrow it; "
                       "otherwise please put it on the hold shelf."),
    "unknown_title": ("(제목 정보 없음)", "(title not available)"),
    "earlier_returns": ("이전 반납 {count}권은 영수증에 있습니다.", "{count} earlier return(s) are on the receipt."),
    # member
    "member_heading": ("{name} 님", "Hello, {name}"),
    "member_scan_book": ("빌릴 책의 도서관 라벨을 스캔하세요.", "Scan a book's library label to borrow it."),
    "reservations_ready": ("찾아갈 예약 도서", "Reservations ready for pickup"),
    "hold_until": ("{date}까지 보관", "held until {date}"),
    "loans": ("대출 중인 도서", "Your loans"),
    "due": ("반납 예정일 {date}", "due {date}"),
    "overdue": ("연체", "OVERDUE"),
    "pending": ("전송 대기", "pending"),
    "fines": ("미납 연체료 {amount}원", "Unpaid fines: {amount} won"),
    "library_says": ("도서관 안내: {words}", "The library says: {words}"),
    "renew": ("연장", "Renew"),
    "renew_all": ("모두 연장", "Renew all"),
    "renewed_to": ("연장되었습니다 · 반납 예정일 {date}", "Renewed · now due {date}"),
    "renewed": ("연장되었습니다", "Renewed"),
    "renew_no_limit": ("연장 안 됨: 연장 가능 횟수를 모두 사용했습니다. 반납 예정일까지 반납해 주세요.",
                       "Not renewed: it has been renewed as often as the library allows. "
                       "Please return it by its due date."),
    "renew_no_reserved": ("연장 안 됨: 다른 회원이 이 책을 예약했습니다. 반납 예정일까지 반납해 주세요.",
                          "Not renewed: another member has reserved this book. "
                          "Please return it by its due date."),
    "renew_no_blocked": ("연장 안 됨: 회원증이 정지되었습니다. 안내데스크에 문의하세요.",
                         "Not renewed: your card is blocked. Please ask at the desk."),
    "renew_no_overdue": ("연장 안 됨: 연체된 책은 연장할 수 없습니다. 반납해 주세요.",
                         "Not renewed: an overdue book cannot be renewed. Please return it."),
    "renew_no_other": ("연장 안 됨. 안내데스크에 문의하세요.", "Not renewed. Please ask at the desk."),
    "renew_busy": ("지금은 연장할 수 없습니다. 도서관 시스템이 응답하지 않습니다. 잠시 후 다시 시도해 주세요.",
                   "Cannot renew right now: the library system is not answering. "
                   "Please try again in a minute."),
    "renew_unconfirmed": ("연장되었는지 확인하지 못했습니다. '연장'을 다시 눌러 확인하거나 안내데스크에 문의하세요.",
                          "The renewal could not be confirmed. Tap Renew again to check, "
                          "or ask at the desk."),
    "as_of": ("오프라인: {time} 기준 정보입니다.", "Offline: information as of {time}."),
    "cancel_reservation": ("예약 취소", "Cancel reservation"),
    "this_visit": ("이번 이용", "This visit"),
    "borrowed": ("대출되었습니다 · 반납 예정일 {date}", "Borrowed · due {date}"),
    "borrowed_offline": ("대출이 저장되었습니다 · 반납 예정일 {date} · 시스템 연결 후 확정됩니다.",
                         "Borrow saved · due {date} · confirmed when the library system is back."),
    "working": ("처리 중입니다…", "One moment…"),
    "visit_borrowed_offline": ("대출 저장됨 · 반납 예정일 {date}", "Borrow saved · due {date}"),
    "visit_cancelled": ("예약 취소 접수 · {fee}원 환불 예정", "Cancelled · {fee} won refund on its way"),
    "visit_reserved": ("예약됨 · 수수료 {fee}원 결제", "Reserved · fee {fee} won paid"),
    "visit_rent_unconfirmed": ("대출 확인 안 됨 · 인정되지 않음", "Loan not confirmed · does not count"),
    "visit_reserve_unconfirmed": ("예약 확인 안 됨 · 인정되지 않음",
                                  "Reservation not confirmed · does not count"),
    # what became of earlier visits' unconfirmed borrows and reservations
    "earlier_heading": ("지난 이용 결과", "From your earlier visits"),
    "earlier_reserve_undone": ("{time} 예약 '{title}'은(는) 확인되지 않아 취소되었고 {fee}원이 환불되었습니다.",
                               "The reservation of '{title}' from your visit at {time} could not be "
                               "confirmed: it was cancelled and {fee} won refunded."),
    "earlier_reserve_undoing": ("{time} 예약 '{title}'은(는) 확인되지 않아 취소 중이며 {fee}원이 환불됩니다.",
                                "The reservation of '{title}' from your visit at {time} could not be "
                                "confirmed: it is being cancelled and {fee} won will be refunded."),
    "earlier_reserve_not_made": ("{time} 예약 '{title}'은(는) 기록되지 않았습니다. 결제된 금액은 없습니다.",
                                 "The reservation of '{title}' from your visit at {time} was never "
                                 "made; nothing was charged."),
    "earlier_rent_undone": ("{time} 대출 '{title}'은(는) 확인되지 않아 반납 처리되었습니다. 연체료는 없습니다.",
                            "The loan of '{title}' from your visit at {time} could not be confirmed: "
                            "it was returned for you, with no fine."),
    "earlier_rent_undoing": ("{time} 대출 '{title}'은(는) 확인되지 않아 반납 처리 중입니다. 연체료는 없습니다.",
                             "The loan of '{title}' from your visit at {time} could not be confirmed: "
                             "it is being returned for you, with no fine."),
    "earlier_rent_not_made": ("{time} 대출 '{title}'은(는) 기록되지 않았습니다.",
                              "The loan of '{title}' from your visit at {time} was never recorded."),
    "earlier_rent_checking": ("{time} 대출 '{title}'의 결과를 아직 확인하고 있습니다.",
                              "The loan of '{title}' from your visit at {time} is still being checked."),
    "earlier_reserve_checking": ("{time} 예약 '{title}'의 결과를 아직 확인하고 있습니다.",
                                 "The reservation of '{title}' from your visit at {time} is still being "
                                 "checked."),
    "earlier_rent_see_desk": ("{time} 대출 '{title}'을(를) 자동으로 처리하지 못했습니다. 안내데스크에 문의해 주세요.",
                              "The loan of '{title}' from your visit at {time} could not be settled "
                              "automatically: please ask at the desk."),
    "earlier_reserve_see_desk": ("{time} 예약 '{title}'을(를) 자동으로 처리하지 못했습니다. 안내데스크에 문의해 주세요.",
                                 "The reservation of '{title}' from your visit at {time} could not be "
                                 "settled automatically: please ask at the desk."),
    # reserve and borrow
    "reserve_offer_title": ("예약되지 않은 책입니다", "This book is not reserved for you"),
    "reserve_offer_body": ("'{title}'은(는) 대출 가능합니다. 예약 수수료 {fee}원을 결제하고 예약과 대출을 한 번에 하시겠어요?",
                           "'{title}' is available. Reserve it for a fee of {fee} won and borrow it "
                           "in one step?"),
    "reserve_and_borrow": ("예약하고 빌리기", "Reserve and borrow"),
    # refusals: what happened, and what to do next
    "why_reserved_for_other": ("이 책은 다른 회원이 예약한 책입니다.", "This book is reserved for another member."),
    "next_reserved_for_other": ("다른 책을 골라 주세요. 책은 안내데스크에 맡겨 주세요.",
                                "Please choose another book and leave this one at the desk."),
    "why_limit_reached": ("대출 가능한 권수를 모두 채웠습니다.", "You have reached your loan limit."),
    "next_limit_reached": ("책을 반납한 뒤 다시 빌려 주세요.", "Return a book first, then borrow again."),
    "why_member_blocked": ("연체료 미납으로 대출이 정지된 회원증입니다.",
                           "Your card is blocked because of unpaid fines."),
    "next_member_blocked": ("안내데스크에서 연체료를 정산해 주세요. 반납은 지금도 가능합니다.",
                            "Please settle your fines at the desk. You can still return books here."),
    "why_member_withdrawn": ("사용이 중지된 회원증입니다.", "This card has been withdrawn."),
    "next_member_withdrawn": ("안내데스크에서 새 회원증을 발급받으세요.", "Please ask at the desk for a new card."),
    "why_book_withdrawn": ("이 책은 분실 또는 제적 처리된 책입니다.", "This copy has been withdrawn from the collection."),
    "next_book_withdrawn": ("책을 안내데스크에 가져다 주세요.", "Please bring it to the desk."),
    "why_return_pending": ("이 책의 반납이 아직 처리되지 않았습니다.", "This book's return has not been processed yet."),
    "next_return_pending": ("몇 분 후 다시 시도해 주세요.", "Please try again in a few minutes."),
    "why_book_unavailable": ("이 책은 지금 대출할 수 없습니다.", "This book cannot be borrowed right now."),
    "next_ask_desk": ("안내데스크에 문의해 주세요.", "Please ask at the desk."),
    "why_payment_declined": ("예약 결제가 거절되었습니다.", "The reservation payment was declined."),
    "why_refused": ("요청을 처리할 수 없습니다.", "This request cannot be completed."),
    "why_member_unknown": ("등록되지 않은 회원증입니다.", "This card is not registered."),
    "why_book_unknown": ("도서관 목록에 없는 책입니다.", "This book is not in the library's catalog."),
    "why_busy": ("대출 서비스가 혼잡합니다. 1분 후 다시 시도해 주세요.",
                 "Lending is busy, please try again in a minute."),
    "next_busy": ("대출 기록은 남지 않았습니다. 반납은 지금도 가능합니다.",
                  "Nothing has been borrowed. Returns still work now."),
    "why_payment_busy": ("결제 서비스가 혼잡합니다. 1분 후 다시 시도해 주세요.",
                         "Payment is busy, please try again in a minute."),
    "next_payment_busy": ("예약되지 않았고 결제된 금액도 없습니다. 반납은 지금도 가능합니다.",
                          "Nothing was reserved and nothing was charged. Returns still work now."),
    "why_rent_unconfirmed": ("도서관 시스템의 응답이 없어 대출을 확인하지 못했습니다.",
                             "The library system did not answer, so this loan could not be confirmed."),
    "next_rent_unconfirmed": ("이 대출은 인정되지 않습니다. 1분 후 책을 다시 스캔하거나 안내데스크에 맡겨 주세요. "
                              "기록되었더라도 자동으로 취소되며 연체료는 없습니다.",
                              "This loan does not count. Scan the book again in a minute, or leave it "
                              "at the desk. If it was recorded after all, it is undone automatically, "
                              "with no fine."),
    "why_reserve_unconfirmed": ("결제 서비스의 응답이 없어 예약을 확인하지 못했습니다.",
                                "The payment service did not answer, so the reservation could not be "
                                "confirmed."),
    "next_reserve_unconfirmed": ("예약되지 않은 것으로 처리됩니다. 수수료가 결제되었다면 자동으로 환불되며, "
                                 "다음 이용 때 결과를 알려 드립니다.",
                                 "It does not count as reserved. If the fee was taken, it is refunded "
                                 "automatically; your next visit will show what happened."),
    "next_reserved_kept": ("예약은 완료되었습니다(수수료 {fee}원). 책은 보관됩니다: 잠시 후 다시 스캔해 대출하거나 "
                           "예약을 취소해 환불받을 수 있습니다.",
                           "Your reservation is made (fee {fee} won) and the book is held for you: "
                           "scan it again shortly to borrow it, or cancel the reservation for a refund."),
    "why_offline_limit": ("오프라인 대출은 한 번에 {max}권까지입니다.",
                          "While offline, you can borrow up to {max} books per visit."),
    "next_offline_limit": ("나머지 책은 시스템이 연결된 뒤 빌려 주세요.",
                           "Please borrow the rest once the library system is back."),
    "why_member_offline": ("도서관 시스템에 연결할 수 없어 회원증을 확인할 수 없습니다.",
                           "The library system is unreachable, so your card cannot be checked."),
    "next_member_offline": ("반납은 지금도 가능합니다. 대출은 잠시 후 다시 시도해 주세요.",
                            "You can still return books. Please try borrowing again shortly."),
    "why_save_failed": ("저장하지 못했습니다.", "This could not be saved."),
    "next_save_failed": ("다시 스캔해 주세요. 계속되면 안내데스크에 문의해 주세요.",
                         "Please scan again; if it keeps failing, ask at the desk."),
    "why_store_disk_full": ("키오스크의 저장 공간이 가득 차서 지금은 반납과 대출을 받을 수 없습니다.",
                            "The kiosk's storage is full, so it cannot accept returns or loans right now."),
    "why_store_corrupt": ("키오스크의 기록이 손상되어 지금은 반납과 대출을 받을 수 없습니다.",
                          "The kiosk's records are damaged, so it cannot accept returns or loans right now."),
    "why_store_unwritable": ("키오스크가 기록을 저장할 수 없어 지금은 반납과 대출을 받을 수 없습니다.",
                             "The kiosk cannot write its records, so it cannot accept returns or loans right now."),
    "out_of_service": ("이 키오스크는 지금 사용할 수 없습니다.", "This kiosk is out of service."),
    "next_out_of_service": ("직원에게 문의해 주세요. 반납은 안내데스크에서 받습니다.",
                            "Please see staff; returns are taken at the desk."),
    "next_store_unsure": ("방금 스캔한 것이 저장되었는지 확실하지 않습니다. 직원에게 문의해 주세요. 다시 스캔해도 두 번 처리되지 않습니다.",
                          "The kiosk cannot be sure what you just scanned was saved. Please see staff; "
                          "scanning it again will not count it twice."),
    "next_store_staff": ("방금 스캔한 것은 기록되지 않았습니다. 직원에게 문의해 주세요.",
                         "What you just scanned was not recorded. Please see staff."),
    # wrong input
    "why_isbn": ("책 뒷면의 ISBN 바코드를 스캔하셨습니다.", "That was the ISBN on the back cover."),
    "next_isbn": ("앞표지 안쪽에 붙은 도서관 라벨(번호가 {prefix}(으)로 시작)을 스캔해 주세요.",
                  "Please scan the library label inside the front cover (its number starts with {prefix})."),
    "label_here": ("도서관 라벨", "library label"),
    "isbn_here": ("ISBN (아님)", "ISBN (not this)"),
    "why_invalid": ("읽을 수 없는 바코드입니다.", "This barcode could not be read."),
    "next_invalid": ("책의 도서관 라벨이나 회원증을 다시 스캔해 주세요.",
                     "Please scan the book's library label or your card again."),
    "why_card_mid_return": ("반납 중에는 회원증을 사용할 수 없습니다.", "You are in the middle of returning books."),
    "next_card_mid_return": ("'완료'를 누른 뒤 회원증을 다시 스캔해 주세요.",
                             "Tap Done first, then scan your card to borrow."),
    "why_second_card": ("이미 다른 회원증으로 이용 중입니다.", "Another card is already in use."),
    "next_second_card": ("'완료'를 눌러 이용을 마친 뒤 새 회원증을 스캔해 주세요.",
                         "Tap Done to finish this visit, then scan the new card."),
    # inactivity
    "still_here_title": ("계속 이용하시나요?", "Still here?"),
    "still_here_body": ("{seconds}초 후 화면이 초기화됩니다.", "The screen will be cleared in {seconds} s."),
    "still_here_yes": ("계속하기", "Continue"),
    # receipt
    "receipt_title": ("이용 내역", "Receipt"),
    "receipt_returned": ("반납", "Returned"),
    "receipt_borrowed": ("대출", "Borrowed"),
    "receipt_renewed": ("대출 연장", "Renewed"),
    "receipt_cancelled": ("예약 취소", "Reservation cancelled"),
    "receipt_reserved": ("예약", "Reserved"),
    "receipt_unconfirmed": ("확인 안 됨 (인정되지 않음)", "Not confirmed (does not count)"),
    "receipt_fee": ("수수료 {amount}원 결제", "fee {amount} won paid"),
    "receipt_refund": ("{amount}원 환불 예정", "{amount} won to be refunded"),
    "receipt_total_fees": ("결제한 수수료 합계 {amount}원", "Fees paid in total: {amount} won"),
    "receipt_total_refunds": ("환불 예정 합계 {amount}원", "Refunds due in total: {amount} won"),
    "receipt_total_fine": ("예상 연체료 합계 {amount}원", "Estimated fines in total: {amount} won"),
    "receipt_nothing": ("이번 이용 내역이 없습니다.", "Nothing was borrowed or returned."),
    "receipt_visit": ("이용 번호", "Visit no."),
    "receipt_print": ("영수증 출력", "Print receipt"),
    "receipt_printed": ("영수증을 출력했습니다.", "Receipt printed."),
    "receipt_print_failed": ("영수증을 출력하지 못했습니다. 화면의 내역을 확인해 주세요.",
                             "The receipt could not be printed; please check the summary on screen."),
    "receipt_finish": ("마치기", "Finish"),
    # technician
    "pin_title": ("관리자 PIN", "Technician PIN"),
    "pin_clear": ("지우기", "Clear"),
    "pin_wrong": ("PIN이 틀렸습니다. 남은 시도 {left}회", "Wrong PIN. {left} tries left"),
    "pin_locked": ("잠김: {minutes}분 {seconds}초 후 다시 시도하세요.", "Locked: try again in {minutes} min {seconds} s."),
    "pin_unset": ("PIN이 설정되지 않았습니다 (KIOSK_TECH_PIN_HASH).",
                  "No technician PIN is configured (KIOSK_TECH_PIN_HASH)."),
    "tech_title": ("관리자 진단", "Technician diagnostics"),
    "tech_devices": ("장치", "Devices"),
    "tech_test_scan": ("시험 스캔: {code}", "Test scan: {code}"),
    "tech_outbox": ("전송 대기열", "Outbox"),
    "tech_dead": ("전송 실패 항목", "Dead letters"),
    "tech_breakers": ("차단기", "Breakers"),
    "tech_health": ("중앙 API 상태", "Central API health"),
    "tech_system": ("시스템", "System"),
    "tech_logs": ("최근 로그", "Recent log lines"),
    "tech_sync_now": ("지금 동기화", "Sync now"),
    "tech_retry": ("재시도", "Retry"),
    "tech_resolve": ("해결됨", "Resolve"),
    "tech_reset": ("초기화", "Reset"),
    "tech_integrity": ("무결성 검사", "Integrity check"),
    "tech_refresh": ("새로 고침", "Refresh"),
    "tech_exit_kiosk": ("키오스크 종료", "Exit kiosk"),
    "tech_close": ("닫기", "Close"),
    # technician: the detail lines
    "tech_ago": ("{seconds}초 전", "{seconds} s ago"),
    "tech_device_line": ("마지막 스캔 {ago} · 정상 {good} · 거부 {rejected} ({reasons})",
                         "last scan {ago} · good {good} · rejected {rejected} ({reasons})"),
    "tech_state_connected": ("연결됨", "connected"),
    "tech_state_reconnecting": ("다시 연결 중", "reconnecting"),
    "tech_state_error": ("오류", "error"),
    "tech_state_stopped": ("멈춤", "stopped"),
    "tech_reason_not_found": ("포트 없음 (케이블이 빠졌나요?)", "port not found (unplugged?)"),
    "tech_reason_permission": ("권한 없음 (kiosk 사용자가 dialout 그룹에 있나요?)",
                               "permission denied (is the kiosk user in the dialout group?)"),
    "tech_reason_in_use": ("다른 프로그램이 포트를 쓰는 중", "port in use by another program"),
    "tech_reason_not_serial": ("시리얼 장치가 아님", "not a serial device"),
    "tech_reason_disconnected": ("장치 연결 끊김", "device disconnected"),
    "tech_reject_wrong check digit": ("검증 숫자 틀림", "wrong check digit"),
    "tech_reject_other institution": ("다른 기관 코드", "other institution"),
    "tech_reject_too short": ("너무 짧음", "too short"),
    "tech_reject_too long": ("너무 김", "too long"),
    "tech_reject_not a library code": ("도서관 코드 아님", "not a library code"),
    "tech_reject_not text": ("문자가 아님", "not text"),
    "tech_reject_line too long": ("줄이 너무 김", "line too long"),
    "tech_reject_incomplete line": ("끊긴 줄", "incomplete line"),
    "tech_kind_member_card": ("회원증", "member card"),
    "tech_kind_item": ("도서 라벨", "item label"),
    "tech_kind_isbn": ("ISBN 바코드", "ISBN"),
    "tech_kind_invalid": ("읽을 수 없음", "unreadable"),
    "tech_entry_return": ("반납", "return"),
    "tech_entry_rent": ("대출", "borrow"),
    "tech_entry_cancel": ("예약 취소", "cancel"),
    "tech_outbox_counts": ("대기 {pending} · 전송 중 {in_flight} · 실패 {dead} · 전송 완료 {delivered} · "
                           "가장 오래된 대기 {oldest}",
                           "pending {pending} · in flight {in_flight} · dead {dead} · delivered {delivered} · "
                           "oldest pending {oldest}"),
    "tech_seconds": ("{seconds}초", "{seconds} s"),
    "tech_service_up": ("정상", "up"),
    "tech_service_down": ("중단", "down"),
    "tech_service_unreachable": ("연결 안 됨", "unreachable"),
    "tech_service_rental": ("대출", "rental"),
    "tech_service_payment": ("결제", "payment"),
    "tech_service_book": ("도서", "book"),
    "tech_last_sync": ("마지막 동기화 성공: {when}", "last successful sync: {when}"),
    "tech_breaker_app": ("앱 · {name}: {state}", "app · {name}: {state}"),
    "tech_breaker_agent": ("에이전트 · {name}: {state}", "agent · {name}: {state}"),
    "tech_kiosk_state": ("키오스크 전체 상태: {state}", "Kiosk-wide state: {state}"),
    "tech_kiosk_ok": ("정상", "ok"),
    "tech_kiosk_unauthorized": ("중앙 API가 이 키오스크의 토큰을 거부함 · 전송 멈춤 · 토큰을 교체하세요",
                                "the central API refuses this kiosk's token · delivery paused · replace the token"),
    "tech_kiosk_clock_skew": ("키오스크 시계가 빠름 · 전송 멈춤 · 시간 동기화(NTP)를 확인하세요",
                              "this kiosk's clock runs ahead · delivery paused · check time sync (NTP)"),
    "tech_kiosk_keys_rejected": ("중앙 API가 이전 요청의 멱등 키를 알고 있음 · 전송 멈춤 · 키를 새로 만드는 중",
                                 "the central API knows a key for another request · delivery paused · "
                                 "renewing keys"),
    "tech_breaker_closed": ("닫힘", "closed"),
    "tech_breaker_open": ("열림", "open"),
    "tech_breaker_half-open": ("반열림", "half-open"),
    "tech_system_line": ("버전 {version} · 스키마 {schema} · 디스크 여유 {disk}",
                         "version {version} · schema {schema} · disk free {disk}"),
    "tech_disk": ("{free} / {total} ({ratio})", "{free} of {total} ({ratio})"),
    "tech_disk_unknown": ("알 수 없음", "unknown"),
}


def t(lang: Lang, key: str, **fields: object) -> str:
    """The string ``key`` in ``lang``, with ``fields`` filled in."""
    korean, english = STRINGS[key]
    text = korean if lang == "ko" else english
    return text.format(**fields) if fields else text


def other(lang: Lang) -> Lang:
    return "en" if lang == "ko" else "ko"


def fmt_date(moment: datetime, lang: Lang, tz: tzinfo | None = None) -> str:
    local = moment.astimezone(tz)
    if lang == "ko":
        return f"{local.year}년 {local.month}월 {local.day}일"
    return f"{local.day} {local:%b %Y}"


def fmt_time(moment: datetime, lang: Lang, tz: tzinfo | None = None) -> str:
    local = moment.astimezone(tz)
    return f"{fmt_date(local, lang, tz)} {local:%H:%M}"


def fmt_won(amount: int) -> str:
    return f"{amount:,}"
