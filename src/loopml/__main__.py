"""``python -m loopml``: the ``loopml`` command."""

from loopml.cli.main import main

if __name__ == "__main__":
    main()
