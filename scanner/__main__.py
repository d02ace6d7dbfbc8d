"""``python -m scanner`` is the console script."""

from scanner.cli import main

if __name__ == "__main__":
    main()
