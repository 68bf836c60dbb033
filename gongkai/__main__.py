"""`python -m gongkai`: the command line (gongkai/cli.py)."""
from gongkai.cli import main

main()
