"""The demo's side panel: scan by tap, the fault switches, the outbox line and "quit demo".

The panel only shows what :class:`kiosk_demo.demo.DemoApp` knows (attributes go down) and reports
taps, switches and quit to it (the app's methods are the panel's messages up: one place decides).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, OptionList, Static
from textual.widgets.option_list import Option

from kiosk_demo.stack import Faults

if TYPE_CHECKING:
    from kiosk_demo.demo import Code, DemoApp

SWITCHES = {
    "book_down": "book management down",
    "payment_slow": "payment slow (400-620 ms)",
    "central_unreachable": "central API unreachable",
}


def _option(code: Code, shows: str) -> Option:
    return Option(_prompt(code, shows), id=code.code)


def _prompt(code: Code, shows: str) -> str:
    return f"[b]{code.name}[/b] [dim]{code.code[-4:]}[/dim]\n[dim]{shows}[/dim]"


class FaultSwitch(Checkbox):
    """A fault switch that says "ON" or "off" in words: a checkbox's two states otherwise differ
    only in the colour of its X, which a projector or a colour-blind viewer loses."""

    def __init__(self, text: str, value: bool, *, id: str) -> None:
        self.text = text
        super().__init__(self._worded(value), value, id=id, compact=True, classes="fault")

    def _worded(self, value: bool) -> str:
        return f"{self.text}: " + ("[b]ON[/b]" if value else "[dim]off[/dim]")

    def watch_value(self) -> None:
        self.label = self._worded(self.value)
        super().watch_value()


class QuitDemo(ModalScreen[bool]):
    """"Quit the demo?": one stray Enter or tap must not end a demo in front of an audience."""

    DEFAULT_CSS = """
    QuitDemo { align: center middle; }
    QuitDemo > Vertical { width: 56; height: auto; border: thick $error; background: $panel; padding: 1 2; }
    QuitDemo Static { width: 100%; text-style: bold; margin-bottom: 1; }
    QuitDemo Horizontal { height: auto; }
    QuitDemo Button { width: 1fr; margin: 0 1; }
    """
    BINDINGS = [("escape", "dismiss(False)", "keep going")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("quit the demo?\n데모를 끝낼까요?")
            with Horizontal():
                yield Button("no · 아니요", id="quit-no", variant="primary")
                yield Button("yes, quit · 끝내기", id="quit-yes", variant="error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "quit-yes")


class DemoPanel(Vertical):
    """Scan by tap, the fault switches, the outbox line and "quit demo".

    Mounted on every screen the app shows. It carries the ``-textual-system`` class, which keeps
    it in place when a screen recomposes itself (a patron screen redraws on every change).
    """

    # The lists keep the same border whether focused or not (only its colour shows the focus):
    # a border that appeared on focus moved every row down one line under the tap that focused
    # the list, and the tap scanned the row above.
    DEFAULT_CSS = """
    DemoPanel { dock: right; width: 40; height: 100%; background: $boost; border-left: tall $accent;
                padding: 0 1; }
    DemoPanel .demo-title { text-style: bold; color: $accent; height: 1; }
    DemoPanel OptionList, DemoPanel OptionList:focus {
        height: 1fr; border: none; border-left: blank; padding: 0; background: $boost; }
    DemoPanel OptionList:focus { border-left: tall $accent; }
    DemoPanel Checkbox.fault, DemoPanel Checkbox.fault:focus { background: $boost; border: none; }
    DemoPanel #demo-outbox { height: 3; color: $text; }
    DemoPanel #demo-technician { height: 2; color: $text-muted; }
    DemoPanel #demo-note { height: auto; color: $warning; }
    DemoPanel Button { width: 100%; }
    """

    def __init__(self) -> None:
        super().__init__(classes="-textual-system")

    @property
    def demo(self) -> DemoApp:
        return cast("DemoApp", self.app)  # the panel is mounted by DemoApp only

    def compose(self) -> ComposeResult:
        cards, labels = self.demo.codes
        shows = self.demo.descriptions
        yield Static("DEMO · tap to scan a card", classes="demo-title")
        yield OptionList(*(_option(code, shows.get(code.code, code.shows)) for code in cards), id="demo-cards")
        yield Static("tap to scan an item label", classes="demo-title")
        yield OptionList(*(_option(code, shows.get(code.code, code.shows)) for code in labels),
                         id="demo-labels")
        yield Static("faults", classes="demo-title")
        for name, text in SWITCHES.items():
            yield FaultSwitch(text, getattr(self.demo.wanted_faults, name), id=f"demo-{name}")
        yield Static(self.demo.outbox_line, id="demo-outbox")
        yield Static(self.demo.technician_hint, id="demo-technician")
        yield Static(self.demo.note, id="demo-note")
        yield Button("quit demo", id="demo-quit", variant="error", compact=True)

    def on_mount(self) -> None:
        for options in self.query(OptionList):
            options.highlighted = None          # nothing looks chosen before a tap
        self.watch(self.screen, "focused", self._focus_moved, init=False)
        self.show()

    def _focus_moved(self, was: Widget | None, now: Widget | None) -> None:
        """When the focused patron button goes away (a cancelled reservation, a screen that
        redraws), Textual hands the focus to the last widget of the chain: "quit demo". Take it
        back from there unless the patron side still has the widget that lost it (then it was a
        Shift+Tab, a choice)."""
        if now is not None and now.id == "demo-quit" and was is not None and was not in self.walk_children():
            self.call_after_refresh(self._off_quit_unless_chosen, was)

    def _off_quit_unless_chosen(self, was: Widget) -> None:
        gone = not was.is_attached or getattr(was, "_pruning", False)
        if gone and self.screen.focused is self.query_one("#demo-quit"):
            self.screen.set_focus(None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.demo.scan(event.option.id)
        event.option_list.highlighted = None

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        name = (event.checkbox.id or "").removeprefix("demo-")
        if name in SWITCHES:
            self.demo.switch_fault(name, event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "demo-quit":
            event.stop()
            self.demo.ask_to_quit()

    def show(self) -> None:
        """Bring the panel up to what the app knows now."""
        if not self.query("#demo-outbox"):
            return  # mounted on a new screen but not composed yet: on_mount shows the state then
        demo = self.demo
        self.query_one("#demo-outbox", Static).update(demo.outbox_line)
        self.query_one("#demo-note", Static).update(demo.note)
        self._show_switches(demo.wanted_faults)
        self._show_descriptions(demo.descriptions)

    def _show_switches(self, faults: Faults) -> None:
        for name in SWITCHES:
            box = self.query_one(f"#demo-{name}", FaultSwitch)
            with box.prevent(Checkbox.Changed):
                box.value = getattr(faults, name)

    def _show_descriptions(self, shows: dict[str, str]) -> None:
        cards, labels = self.demo.codes
        for list_id, codes in (("#demo-cards", cards), ("#demo-labels", labels)):
            options = self.query_one(list_id, OptionList)
            for code in codes:
                prompt = _prompt(code, shows.get(code.code, code.shows))
                if str(options.get_option(code.code).prompt) != prompt:
                    options.replace_option_prompt(code.code, prompt)
