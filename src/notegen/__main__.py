"""`python -m notegen` runs the CLI."""

from notegen.cli import main

if __name__ == "__main__":
    main()
