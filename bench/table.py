#!/usr/bin/env python3
"""Renders `fusec bench --json` lines (bench/run-suite's output) as the README's markdown table."""
import json
import sys


def main(path):
    cases = [json.loads(line) for line in open(path) if line.strip()]
    print("| graph | T | threads | bound | fused ms | unfused ms | ort ms | fused vs unfused | fused vs ort "
          "| fused % of limit | ort % of limit | fused % of live |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in cases:
        rows = {r["mode"]: r for r in c["results"]}
        fused, unfused, ort = rows.get("fused"), rows.get("unfused"), rows.get("ort")

        def live(r):
            pct = r.get("pct_of_live_limit")
            return f"{pct:.0f}%" if pct is not None else "-"

        def ms(r):
            return f'{r["median_ms"]:.2f}' if r else "-"

        vs_ort = f'{ort["median_ms"] / fused["median_ms"]:.2f}x' if ort else "-"
        print(f'| {c["graph"]} | {c["dims"].get("T", "-")} | {c["threads"]} | {c["bound"]} | {ms(fused)} | {ms(unfused)} '
              f'| {ms(ort)} | {unfused["median_ms"] / fused["median_ms"]:.2f}x | {vs_ort} '
              f'| {fused["pct_of_limit"]:.0f}% | {(format(ort["pct_of_limit"], ".0f") + "%") if ort else "-"} '
              f'| {live(fused)} |')
    seen = {}
    for c in cases:
        seen.setdefault(c["threads"], c["limits"])
    for threads, limits in sorted(seen.items()):
        print(f'\nlimits with {threads} thread(s), measured by fusec on {limits["cpu"]}: memory {limits["mem_gbps"]:.1f} GB/s, '
              f'FMA peak {limits["peak_gflops"]:.1f} GFLOP/s')


if __name__ == "__main__":
    main(sys.argv[1])
