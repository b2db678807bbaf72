"""`python -m bot` is the same as the `pingxing` command."""

from bot.cli import main

main()
