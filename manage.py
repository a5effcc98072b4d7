#!/usr/bin/env python
from palaute.cli import main

if __name__ == "__main__":
    main()
