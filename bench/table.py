#!/usr/bin/env python3
"""Renders `fusec bench --json` lines (bench/run-suite's output) as the README's markdown table. Ratios are
taken round by round, as `fusec bench` takes its speed-up, with the 95% interval in parentheses."""
import json
import math
import sys


def interval_rank(n):
    """The 1-based rank k of the 95% distribution-free interval for a median (fusec's SpeedUp.intervalRank)."""
    below, k = 0.0, 0
    for i in range(n):
        below += math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + n * math.log(0.5))
        if below > 0.025:
            break
        k = i + 1
    return k


def paired(base, mode):
    """How much faster `mode` ran than `base`: the median of per-round ratios, and a 95% interval (or None).
    Falls back to the ratio of the medians for results written before fusec kept every round."""
    if "round_ms" not in base or "round_ms" not in mode:
        return base["median_ms"] / mode["median_ms"], None
    ratios = sorted(b / m for b, m in zip(base["round_ms"], mode["round_ms"]))
    n = len(ratios)
    median = ratios[n // 2] if n % 2 else (ratios[n // 2 - 1] + ratios[n // 2]) / 2
    k = interval_rank(n)
    return median, ((ratios[k - 1], ratios[n - k]) if k else None)


def ratio(base, mode):
    median, interval = paired(base, mode)
    return f"{median:.2f}x" + (f" ({interval[0]:.2f}-{interval[1]:.2f})" if interval else "")


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

        vs_ort = ratio(ort, fused) if ort else "-"
        vs_unfused = ratio(unfused, fused)
        print(f'| {c["graph"]} | {c["dims"].get("T", "-")} | {c["threads"]} | {c["bound"]} | {ms(fused)} | {ms(unfused)} '
              f'| {ms(ort)} | {vs_unfused} | {vs_ort} '
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
