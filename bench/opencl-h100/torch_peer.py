"""PyTorch eager and torch.compile on the shapes of fusec's OpenCL benchmark suite, TF32 off.

Prints one line per case (median of CUDA-event timed runs after warm-up) with the bytes and FLOPs
counted as fusec counts them (every input read once, every output written once), so the rows can be
set beside fusec's from the same machine and run. Usage: python3 torch_peer.py [--no-compile]
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")
dev = "cuda"


def timed(fn, args, runs=20, warmup=5):
    for _ in range(warmup):
        fn(*args)
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn(*args)
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2], times[0]


def swiglu(y):
    a, b = y.chunk(2, dim=-1)
    return F.silu(a) * b


def bias_swiglu(y, bias):
    return swiglu(y + bias)


def weighted_swiglu(y, w):
    return swiglu(y) * w


def gate_up(x, wg, wu):
    return F.silu(x @ wg) * (x @ wu)


def ffn(x, wg, wu, wd):
    return (F.silu(x @ wg) * (x @ wu)) @ wd


def r(*shape):
    return torch.rand(*shape, device=dev) * 2 - 1


def main():
    compile_too = "--no-compile" not in sys.argv
    props = torch.cuda.get_device_properties(0)
    print(json.dumps({"device": props.name, "torch": torch.__version__, "sms": props.multi_processor_count,
                      "tf32": torch.backends.cuda.matmul.allow_tf32}))
    n = 1 << 28  # 1 GiB of floats
    a = torch.empty(n, device=dev)
    b = torch.empty(n, device=dev)
    ms, best = timed(lambda: b.copy_(a), ())
    print(json.dumps({"case": "copy", "bytes": 2 * 4 * n, "median_ms": ms, "gbps": 2 * 4 * n / ms / 1e6}))
    del a, b
    T, I2, I = 16384, 22016, 11008
    H = 4096
    cases = []
    y = r(T, I2)
    cases.append(("swiglu", swiglu, (y,), 4 * (T * I2 + T * I), T * I))
    bias = r(I2)
    cases.append(("bias_swiglu", bias_swiglu, (y, bias), 4 * (T * I2 + I2 + T * I), T * I))
    w = r(T, 1)
    cases.append(("weighted_swiglu", weighted_swiglu, (y, w), 4 * (T * I2 + T + T * I), T * I))
    wg, wu, wd = r(H, I) / H ** 0.5, r(H, I) / H ** 0.5, r(I, H) / I ** 0.5
    for t in (1, 512):
        x = r(t, H)
        cases.append((f"llama2_7b_gate_up T={t}", gate_up, (x, wg, wu), 4 * (t * H + 2 * H * I + t * I), 2 * 2 * t * H * I))
        cases.append((f"llama2_7b_ffn T={t}", ffn, (x, wg, wu, wd), 4 * (t * H + 3 * H * I + t * H), 2 * 3 * t * H * I))
        if t == 1:
            h = r(t, I)
            cases.append((f"llama2_7b_down T={t}", torch.matmul, (h, wd), 4 * (t * I + H * I + t * H), 2 * t * H * I))
    for name, fn, args, nbytes, flops in cases:
        rows = {}
        ms, best = timed(fn, args)
        rows["eager"] = ms
        if compile_too:
            t0 = time.time()
            cfn = torch.compile(fn)
            cfn(*args)
            compile_s = time.time() - t0
            ms_c, _ = timed(cfn, args)
            rows["compiled"] = ms_c
            rows["compile_s"] = compile_s
        out = {"case": name, "bytes": nbytes, "flops": flops}
        for k, v in rows.items():
            out[k + ("_ms" if k != "compile_s" else "")] = v
        out["eager_gbps"] = nbytes / rows["eager"] / 1e6
        out["eager_tflops"] = flops / rows["eager"] / 1e9
        if "compiled" in rows:
            out["compiled_gbps"] = nbytes / rows["compiled"] / 1e6
            out["compiled_tflops"] = flops / rows["compiled"] / 1e9
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
