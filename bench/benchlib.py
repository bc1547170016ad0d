"""What the benchmark scripts share: their knobs and their summary.

Imported by bench.py, logbench.py, poolbench.py and rpcbench.py, which
bench/run.sh runs as scripts (their directory is on sys.path)."""
import os


def env_int(name, default):
    """The integer in environment variable NAME, or DEFAULT."""
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def print_summary(verdicts, problems, took_label, seconds):
    """The targets met and missed (VERDICTS: (text, ok, value)), how long it
    took, and what could not run at all."""
    print()
    print("summary:")
    met = 0
    for text, ok, val in verdicts:
        met += ok
        print("  %-6s %s: %s" % ("MET" if ok else "MISSED", text, val))
    print("  %d of %d targets met" % (met, len(verdicts)))
    print("%s took %.0fs" % (took_label, seconds))
    if problems:
        print()
        for p in problems:
            print("could not run: " + p)
