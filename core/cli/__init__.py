"""`python -m core`: everything the dashboard does, headless. One module per group of commands; `main` parses
the arguments and hands each command to its module.
"""
