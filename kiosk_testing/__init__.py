"""What the tests (``tests/``) and the benchmarks (``bench/``) both need: waits for a state, a kiosk
app under Pilot, a kiosk on a pty, real processes, loads of returns, the outage day. Neither
imports the other; both import this."""
