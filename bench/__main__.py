"""python -m bench [NAME ...] [OPTIONS]

Runs the named benchmarks (all of them when none is named); OPTIONS go to each benchmark, e.g.
`python -m bench customer_upsert --customers 500 --keep`. `python -m bench --list` names them.
"""

import sys

from bench import benchmarks


def main(argv: list[str]) -> int:
    available = benchmarks()
    if argv[:1] in (["-h"], ["--help"], ["--list"]):
        print(__doc__.strip(), end="\n\n")
        for name, module in available.items():
            print(f"  {name:<24} {(module.__doc__ or '').strip().splitlines()[0]}")
        return 0
    # Leading words name benchmarks; everything from the first option on belongs to the benchmarks.
    split = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    names, options = argv[:split], argv[split:]
    unknown = [name for name in names if name not in available]
    if unknown:
        print(f"Unknown benchmark {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    failed = []
    for name in names or list(available):
        print(f"=== {name} ===", flush=True)
        if available[name].main(options) != 0:
            failed.append(name)
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
