"""Front-end libraries from the npm registry, installed at setup into an ignored folder."""

from __future__ import annotations


def main() -> None:
    print("No front-end assets yet.")


if __name__ == "__main__":
    main()
