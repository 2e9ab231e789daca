"""Debian's Chromium as every browser test launches it (never `playwright install`).

The flags keep headless Chromium from reaching for Google's hosts on this closed network
(background networking, component updates, sync) and from needing a GPU or a sandbox.
"""
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
