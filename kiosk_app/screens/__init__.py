"""The kiosk's screens: patron screens switch in place, notices and prompts are modal on top."""
