#!/usr/bin/env python3
"""Builds the small model fixtures fusec's import tests read (compiler/src/test/resources/models/).

No download: every model is made from a config (hidden 64, intermediate 176, two layers) with
random weights from a fixed seed, written as a Hugging Face folder (config.json + safetensors, in the
checkpoint format the Hub uses), loaded back with transformers (so the folder is one transformers
accepts), and run: the MLP of each layer on fixed inputs gives the outputs the tests compare with.
Also: ONNX models of one MLP in the three ways exporters write a linear layer, an external-data
model, one written by torch.onnx.export, and a gpt-oss expert with Slice step 2 and Clip.

Needs torch, transformers, safetensors, onnx, numpy (onnxruntime optional: a cross-check). Run:
    python3 make_fixtures.py OUT_DIR
Everything it checks goes to OUT_DIR/manifest.json; a family that fails is logged and skipped.
"""
import json
import math
import os
import sys
import traceback

import numpy as np
import torch
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else "fixtures-out"
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)
torch.set_num_threads(4)

H, I, LAYERS, T = 64, 176, 2, 5
manifest = {"versions": {}, "families": {}, "onnx": {}, "errors": {}}
for mod in ("torch", "transformers", "safetensors", "onnx", "onnxruntime", "numpy"):
    try:
        manifest["versions"][mod] = __import__(mod).__version__
    except Exception as e:  # noqa: BLE001
        manifest["versions"][mod] = "missing: %s" % e

import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

COMMON = dict(hidden_size=H, intermediate_size=I, num_hidden_layers=LAYERS, num_attention_heads=4,
              num_key_value_heads=2, vocab_size=32, max_position_embeddings=64, pad_token_id=0,
              bos_token_id=1, eos_token_id=2, tie_word_embeddings=False)


def npy(path, t):
    np.save(path, np.ascontiguousarray(t.detach().to(torch.float32).cpu().numpy()))


def randomise(model, std=0.1, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.randn(p.shape, generator=g) * std)


def hub_state_dict(model, family):
    """The checkpoint as the Hub stores it: transformers 5 keeps Mixtral's experts fused in memory."""
    sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    if family != "mixtral":
        return sd
    out = {}
    for k, v in sd.items():
        if k.endswith(".mlp.experts.gate_up_proj"):  # [E, 2I, H]: w1 (gate) then w3 (up)
            pre = k[: -len(".mlp.experts.gate_up_proj")] + ".block_sparse_moe.experts"
            half = v.shape[1] // 2
            for e in range(v.shape[0]):
                out["%s.%d.w1.weight" % (pre, e)] = v[e, :half].clone().contiguous()
                out["%s.%d.w3.weight" % (pre, e)] = v[e, half:].clone().contiguous()
        elif k.endswith(".mlp.experts.down_proj"):  # [E, H, I]
            pre = k[: -len(".mlp.experts.down_proj")] + ".block_sparse_moe.experts"
            for e in range(v.shape[0]):
                out["%s.%d.w2.weight" % (pre, e)] = v[e].clone().contiguous()
        elif ".mlp.gate." in k:
            out[k.replace(".mlp.gate.", ".block_sparse_moe.gate.")] = v
        else:
            out[k] = v
    return out


def save_checkpoint(folder, config, sd, shards=1, dtype=None):
    os.makedirs(folder, exist_ok=True)
    if dtype is not None:
        sd = {k: v.to(dtype).contiguous() for k, v in sd.items()}
        for attr in ("dtype", "torch_dtype"):
            try:
                setattr(config, attr, dtype)
            except Exception:  # noqa: BLE001
                pass
    config.save_pretrained(folder)
    keys = sorted(sd)
    if shards == 1:
        save_file(sd, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
        return
    per = math.ceil(len(keys) / shards)
    weight_map = {}
    total = 0
    for s in range(shards):
        name = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
        part = {k: sd[k] for k in keys[s * per:(s + 1) * per]}
        save_file(part, os.path.join(folder, name), metadata={"format": "pt"})
        for k, v in part.items():
            weight_map[k] = name
            total += v.numel() * v.element_size()
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def load(folder, dtype):
    from transformers import AutoModelForCausalLM
    try:
        m, info = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, output_loading_info=True)
    except TypeError:
        m, info = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=dtype, output_loading_info=True)
    m.eval()
    info = {k: sorted(str(x) for x in v) for k, v in info.items() if isinstance(v, (list, set, tuple))}
    return m, info


def mlp_of(model, layer):
    blk = model.model.layers[layer]
    for attr in ("mlp", "block_sparse_moe", "feed_forward"):
        if hasattr(blk, attr):
            return getattr(blk, attr)
    raise RuntimeError("no MLP module in layer %d" % layer)


def run_mlp(model, layer, x):
    with torch.no_grad():
        out = mlp_of(model, layer)(x[None])
    if isinstance(out, tuple):
        out = out[0]
    return out.reshape(x.shape[0], -1)


def act(name):
    return {"silu": F.silu, "gelu": F.gelu, "gelu_pytorch_tanh": lambda v: F.gelu(v, approximate="tanh")}[name]


def manual_dense(sd, layer, config, x):
    """The MLP from the checkpoint tensors by the family's formula: what fusec's import must compute."""
    p = "model.layers.%d.mlp." % layer
    a = act(config.hidden_act)
    b = lambda k: sd.get(p + k)  # noqa: E731
    gate = F.linear(x, sd[p + "gate_proj.weight"], b("gate_proj.bias"))
    up = F.linear(x, sd[p + "up_proj.weight"], b("up_proj.bias"))
    return F.linear(a(gate) * up, sd[p + "down_proj.weight"], b("down_proj.bias"))


def manual_phi3(sd, layer, config, x):
    p = "model.layers.%d.mlp." % layer
    gu = F.linear(x, sd[p + "gate_up_proj.weight"])
    gate, up = gu.chunk(2, dim=-1)  # gate first
    return F.linear(act(config.hidden_act)(gate) * up, sd[p + "down_proj.weight"])


def mixtral_routing(sd, layer, config, x):
    w = sd["model.layers.%d.block_sparse_moe.gate.weight" % layer]
    logits = F.linear(x, w)
    probs = F.softmax(logits, dim=-1, dtype=torch.float32)
    top, idx = torch.topk(probs, config.num_experts_per_tok, dim=-1)
    top = top / top.sum(dim=-1, keepdim=True)
    return logits, torch.zeros_like(logits).scatter_(1, idx, top)


def manual_mixtral(sd, layer, config, x, dense):
    p = "model.layers.%d.block_sparse_moe.experts." % layer
    y = torch.zeros_like(x)
    for e in range(config.num_local_experts):
        h = F.silu(F.linear(x, sd["%s%d.w1.weight" % (p, e)])) * F.linear(x, sd["%s%d.w3.weight" % (p, e)])
        y = y + F.linear(h, sd["%s%d.w2.weight" % (p, e)]) * dense[:, e:e + 1]
    return y


def gptoss_routing(sd, layer, config, x):
    p = "model.layers.%d.mlp.router." % layer
    logits = F.linear(x, sd[p + "weight"], sd[p + "bias"])
    top, idx = torch.topk(logits, config.num_experts_per_tok, dim=-1)
    top = F.softmax(top, dim=1)
    return logits, torch.zeros_like(logits).scatter_(1, idx, top)


def gptoss_expert(sd, layer, e, config, x):
    p = "model.layers.%d.mlp.experts." % layer
    limit = config.swiglu_limit
    gu = x @ sd[p + "gate_up_proj"][e] + sd[p + "gate_up_proj_bias"][e]  # [in, out], interleaved
    gate, up = gu[..., ::2], gu[..., 1::2]
    gate = gate.clamp(max=limit)
    up = up.clamp(min=-limit, max=limit)
    h = (up + 1) * (gate * torch.sigmoid(gate * 1.702))
    return h @ sd[p + "down_proj"][e] + sd[p + "down_proj_bias"][e]


def manual_gptoss(sd, layer, config, x, dense):
    y = torch.zeros_like(x)
    for e in range(config.num_local_experts):
        y = y + gptoss_expert(sd, layer, e, config, x) * dense[:, e:e + 1]
    return y


def maxdiff(a, b):
    return float((a.float() - b.float()).abs().max() / b.float().abs().max().clamp_min(1e-30))


def family(name, config, kind, x_scale=1.0, shards=1, variants=()):
    """Writes models/<name>/ (and <name>_<dtype>/ for each variant dtype) with outputs per layer."""
    from transformers import AutoModelForCausalLM
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    randomise(model)
    model.eval()
    sd = hub_state_dict(model, kind)
    folder = os.path.join(OUT, name)
    save_checkpoint(folder, config, sd, shards=shards)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(T, H, generator=g) * x_scale
    npy(os.path.join(folder, "x.npy"), x)
    loaded, info = load(folder, torch.float32)
    rec = {"loading_info": info, "layers": {},
           "keys_layer0": {k: list(v.shape) for k, v in sd.items() if ".layers.0." in k},
           "module_keys_layer0": {k: list(v.shape) for k, v in model.state_dict().items() if ".layers.0." in k}}
    ys = []
    for layer in range(LAYERS):
        lrec = {}
        y = run_mlp(loaded, layer, x)
        y_orig = run_mlp(model, layer, x)
        lrec["reloaded_vs_original"] = maxdiff(y, y_orig)
        if kind == "dense":
            ref = manual_dense(sd, layer, config, x)
        elif kind == "phi3":
            ref = manual_phi3(sd, layer, config, x)
        elif kind == "mixtral":
            logits, dense = mixtral_routing(sd, layer, config, x)
            ref = manual_mixtral(sd, layer, config, x, dense)
            npy(os.path.join(folder, "router%d_logits.npy" % layer), logits)
            npy(os.path.join(folder, "routing%d.npy" % layer), dense)
        else:
            logits, dense = gptoss_routing(sd, layer, config, x)
            ref = manual_gptoss(sd, layer, config, x, dense)
            npy(os.path.join(folder, "router%d_logits.npy" % layer), logits)
            npy(os.path.join(folder, "routing%d.npy" % layer), dense)
            gu = x @ sd["model.layers.%d.mlp.experts.gate_up_proj" % layer][0]
            lrec["gate_clamped_fraction"] = float((gu[..., ::2] > config.swiglu_limit).float().mean())
        lrec["module_vs_formula"] = maxdiff(y, ref)
        npy(os.path.join(folder, "mlp%d_out.npy" % layer), y)
        npy(os.path.join(folder, "mlp%d_formula.npy" % layer), ref)
        ys.append(y)
        rec["layers"][layer] = lrec
    if kind in ("dense", "phi3"):
        # --layer all: each layer's MLP reads the previous one's output.
        h = x
        for layer in range(LAYERS):
            h = run_mlp(loaded, layer, h)
        npy(os.path.join(folder, "stack_out.npy"), h)
    manifest["families"][name] = rec
    for dtype in variants:
        try:
            variant(name, config, sd, x, dtype)
        except Exception:  # noqa: BLE001
            manifest["errors"]["%s_%s" % (name, dtype)] = traceback.format_exc()
            print("FAILED variant", name, dtype, traceback.format_exc(), flush=True)


def variant(name, config, sd, x, dtype):
    vname = "%s_%s" % (name, {torch.bfloat16: "bf16", torch.float16: "f16"}[dtype])
    vfolder = os.path.join(OUT, vname)
    save_checkpoint(vfolder, config, sd, dtype=dtype)
    xv = x.to(dtype)
    npy(os.path.join(vfolder, "x.npy"), xv)
    low, vinfo = load(vfolder, dtype)
    wide, _ = load(vfolder, torch.float32)
    vrec = {"loading_info": vinfo, "layers": {}}
    manifest["families"][vname] = vrec
    for layer in range(LAYERS):
        with torch.no_grad():
            y_wide = run_mlp(wide, layer, xv.float())  # f32 arithmetic on the narrow weights
        npy(os.path.join(vfolder, "mlp%d_out_f32.npy" % layer), y_wide)
        with torch.no_grad():
            y_low = run_mlp(low, layer, xv)  # PyTorch in the narrow type (CPU)
        npy(os.path.join(vfolder, "mlp%d_out.npy" % layer), y_low)
        vrec["layers"][layer] = {"narrow_vs_f32_compute": maxdiff(y_low, y_wide)}


def guarded(name, fn):
    try:
        fn()
        print("ok", name, flush=True)
    except Exception:  # noqa: BLE001
        manifest["errors"][name] = traceback.format_exc()
        print("FAILED", name, "\n", traceback.format_exc(), flush=True)


from transformers import (LlamaConfig, MistralConfig, MixtralConfig, Phi3Config,  # noqa: E402
                          Qwen2Config)

guarded("llama", lambda: family("llama", LlamaConfig(**COMMON, mlp_bias=False), "dense",
                                variants=(torch.bfloat16, torch.float16)))
guarded("llama_bias", lambda: family("llama_bias", LlamaConfig(**COMMON, mlp_bias=True), "dense"))
guarded("mistral", lambda: family("mistral", MistralConfig(**COMMON, sliding_window=None), "dense"))
guarded("qwen2", lambda: family("qwen2", Qwen2Config(**COMMON), "dense", shards=2))
guarded("phi3", lambda: family("phi3", Phi3Config(**COMMON), "phi3"))
guarded("mixtral", lambda: family("mixtral", MixtralConfig(**COMMON, num_local_experts=4, num_experts_per_tok=2,
                                                            sliding_window=None), "mixtral"))


def gptoss():
    from transformers import GptOssConfig
    kw = dict(COMMON)
    kw.update(num_local_experts=4, num_experts_per_tok=2, head_dim=16, swiglu_limit=7.0, sliding_window=16,
              layer_types=["sliding_attention", "full_attention"], max_position_embeddings=4096)
    try:
        config = GptOssConfig(**kw)
        from transformers import AutoModelForCausalLM
        AutoModelForCausalLM.from_config(config)
    except Exception:  # noqa: BLE001
        manifest["errors"]["gpt_oss_first_config"] = traceback.format_exc()
        for k in ("sliding_window", "layer_types", "max_position_embeddings"):
            kw.pop(k)
        config = GptOssConfig(**kw)
    family("gpt_oss", config, "gptoss", x_scale=4.0)


guarded("gpt_oss", gptoss)


# ---- ONNX: the llama MLP of layer 0 and a gpt-oss expert, written by hand in the forms exporters use ----

def onnx_models():
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.torch import load_file
    folder = os.path.join(OUT, "onnx")
    os.makedirs(folder, exist_ok=True)
    sd = load_file(os.path.join(OUT, "llama", "model.safetensors"))
    p = "model.layers.0.mlp."
    wg, wu, wd = (sd[p + k + ".weight"].numpy() for k in ("gate_proj", "up_proj", "down_proj"))
    x = np.load(os.path.join(OUT, "llama", "x.npy"))
    expected = np.load(os.path.join(OUT, "llama", "mlp0_out.npy"))
    np.save(os.path.join(folder, "x.npy"), x)
    np.save(os.path.join(folder, "mlp_out.npy"), expected)

    def vi(name, dims):
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)

    def init(name, arr):
        return numpy_helper.from_array(np.ascontiguousarray(arr.astype(np.float32)), name)

    def silu(src, dst, nodes, tag):
        nodes.append(helper.make_node("Sigmoid", [src], [tag + "_sig"], name=tag + "/Sigmoid"))
        nodes.append(helper.make_node("Mul", [src, tag + "_sig"], [dst], name=tag + "/Mul"))

    def linear(form, xin, wname, w, out, nodes, inits, tag):
        if form == "gemm":  # Gemm(x, W, transB=1), W [out, in]
            inits.append(init(wname, w))
            nodes.append(helper.make_node("Gemm", [xin, wname], [out], name=tag + "/Gemm", transB=1))
        elif form == "transpose":  # Transpose(W) then MatMul
            inits.append(init(wname, w))
            nodes.append(helper.make_node("Transpose", [wname], [wname + "_t"], name=tag + "/Transpose", perm=[1, 0]))
            nodes.append(helper.make_node("MatMul", [xin, wname + "_t"], [out], name=tag + "/MatMul"))
        else:  # MatMul on a pre-transposed weight [in, out]
            inits.append(init(wname, w.T))
            nodes.append(helper.make_node("MatMul", [xin, wname], [out], name=tag + "/MatMul"))

    def save(model_name, nodes, inits, out_dim, external=False):
        graph = helper.make_graph(nodes, model_name, [vi("x", ["T", H])], [vi("y", ["T", out_dim])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="fusec-fixtures")
        model.ir_version = 8  # what ONNX Runtime 1.23 and later read (onnx 1.23 would write 14, which ORT 1.30 refused)
        onnx.checker.check_model(model)
        path = os.path.join(folder, model_name + ".onnx")
        if external:
            onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                            location=model_name + ".onnx.data", size_threshold=0)
        else:
            onnx.save_model(model, path)
        return path

    paths = {}
    for form in ("gemm", "transpose", "pretransposed"):
        nodes, inits = [], []
        linear(form, "x", "gate_proj.weight", wg, "gate", nodes, inits, "/mlp/gate_proj")
        linear(form, "x", "up_proj.weight", wu, "up", nodes, inits, "/mlp/up_proj")
        silu("gate", "act", nodes, "/mlp/act_fn")
        nodes.append(helper.make_node("Mul", ["act", "up"], ["h"], name="/mlp/Mul"))
        linear(form, "h", "down_proj.weight", wd, "y", nodes, inits, "/mlp/down_proj")
        paths["mlp_" + form] = save("mlp_" + form, nodes, inits, H, external=False)
    # External data, and a merged gate_up weight made by Concat, split after the matmul (Phi-3 style).
    nodes, inits = [], []
    inits += [init("gate_proj.weight", wg), init("up_proj.weight", wu), init("down_proj.weight", wd)]
    nodes.append(helper.make_node("Concat", ["gate_proj.weight", "up_proj.weight"], ["gate_up.weight"], name="/mlp/Concat", axis=0))
    nodes.append(helper.make_node("Gemm", ["x", "gate_up.weight"], ["gate_up"], name="/mlp/gate_up/Gemm", transB=1))
    nodes.append(helper.make_node("Split", ["gate_up", "split_sizes"], ["gate", "up"], name="/mlp/Split", axis=-1))
    inits.append(numpy_helper.from_array(np.array([I, I], dtype=np.int64), "split_sizes"))
    silu("gate", "act", nodes, "/mlp/act_fn")
    nodes.append(helper.make_node("Mul", ["act", "up"], ["h"], name="/mlp/Mul"))
    nodes.append(helper.make_node("Gemm", ["h", "down_proj.weight"], ["y"], name="/mlp/down_proj/Gemm", transB=1))
    paths["mlp_concat_external"] = save("mlp_concat_external", nodes, inits, H, external=True)
    for k in paths:
        manifest["onnx"][k] = {"expected": "mlp_out.npy"}

    # gpt-oss expert 0 of layer 0: interleaved [in, out] gate_up with bias, Slice step 2, Clip, alpha, up + 1.
    go = load_file(os.path.join(OUT, "gpt_oss", "model.safetensors"))
    q = "model.layers.0.mlp.experts."
    wgu, bgu = go[q + "gate_up_proj"][0].numpy(), go[q + "gate_up_proj_bias"][0].numpy()
    wdn, bdn = go[q + "down_proj"][0].numpy(), go[q + "down_proj_bias"][0].numpy()
    xg = np.load(os.path.join(OUT, "gpt_oss", "x.npy"))
    cfg = json.load(open(os.path.join(OUT, "gpt_oss", "config.json")))
    limit = float(cfg.get("swiglu_limit", 7.0))
    ref = gptoss_expert({k: v for k, v in go.items()}, 0, 0, type("C", (), {"swiglu_limit": limit})(), torch.from_numpy(xg))
    np.save(os.path.join(folder, "gptoss_x.npy"), xg)
    np.save(os.path.join(folder, "gptoss_expert_out.npy"), ref.numpy())
    nodes = []
    inits = [init("gate_up_proj", wgu), init("gate_up_proj_bias", bgu), init("down_proj", wdn), init("down_proj_bias", bdn),
             init("alpha", np.array(1.702, dtype=np.float32)), init("one", np.array(1.0, dtype=np.float32)),
             init("limit", np.array(limit, dtype=np.float32)), init("neg_limit", np.array(-limit, dtype=np.float32))]
    for n, v in (("s_gate", [0]), ("s_up", [1]), ("s_end", [2 * I]), ("s_axis", [1]), ("s_step", [2])):
        inits.append(numpy_helper.from_array(np.array(v, dtype=np.int64), n))
    nodes.append(helper.make_node("MatMul", ["x", "gate_up_proj"], ["gu0"], name="/experts/MatMul"))
    nodes.append(helper.make_node("Add", ["gu0", "gate_up_proj_bias"], ["gu"], name="/experts/Add"))
    nodes.append(helper.make_node("Slice", ["gu", "s_gate", "s_end", "s_axis", "s_step"], ["gate0"], name="/experts/Slice_gate"))
    nodes.append(helper.make_node("Slice", ["gu", "s_up", "s_end", "s_axis", "s_step"], ["up0"], name="/experts/Slice_up"))
    nodes.append(helper.make_node("Clip", ["gate0", "", "limit"], ["gate"], name="/experts/Clip_gate"))
    nodes.append(helper.make_node("Clip", ["up0", "neg_limit", "limit"], ["up"], name="/experts/Clip_up"))
    nodes.append(helper.make_node("Mul", ["gate", "alpha"], ["ga"], name="/experts/Mul_alpha"))
    nodes.append(helper.make_node("Sigmoid", ["ga"], ["sig"], name="/experts/Sigmoid"))
    nodes.append(helper.make_node("Mul", ["gate", "sig"], ["glu"], name="/experts/Mul_glu"))
    nodes.append(helper.make_node("Add", ["up", "one"], ["up1"], name="/experts/Add_one"))
    nodes.append(helper.make_node("Mul", ["up1", "glu"], ["h"], name="/experts/Mul"))
    nodes.append(helper.make_node("MatMul", ["h", "down_proj"], ["d"], name="/experts/MatMul_down"))
    nodes.append(helper.make_node("Add", ["d", "down_proj_bias"], ["y"], name="/experts/Add_down"))
    paths["gptoss_expert"] = save("gptoss_expert", nodes, inits, H)
    manifest["onnx"]["gptoss_expert"] = {"expected": "gptoss_expert_out.npy", "input": "gptoss_x.npy"}

    # What torch.onnx.export writes for the llama MLP module itself.
    from transformers import AutoModelForCausalLM
    m, _ = load(os.path.join(OUT, "llama"), torch.float32)
    mlp = mlp_of(m, 0)
    tpath = os.path.join(folder, "mlp_torch.onnx")
    xt = torch.from_numpy(x)
    how = None
    try:
        export_torch(mlp, xt, tpath)
        how = "torchscript exporter (dynamo=False)"
        tm = onnx.load(tpath)
        paths["mlp_torch"] = tpath
        manifest["onnx"]["mlp_torch"] = {"expected": "mlp_out.npy", "exporter": how,
                                         "ops": [n.op_type for n in tm.graph.node],
                                         "initializers": [(t.name, list(t.dims)) for t in tm.graph.initializer]}
    except Exception:  # noqa: BLE001
        manifest["errors"]["torch_onnx_export"] = traceback.format_exc()
    run_ort(paths, folder, x, xg)


def export_torch(mlp, xt, tpath):
    try:
        torch.onnx.export(mlp, (xt,), tpath, input_names=["x"], output_names=["y"], opset_version=17,
                          dynamic_axes={"x": {0: "T"}, "y": {0: "T"}}, dynamo=False)
    except Exception as e:  # noqa: BLE001
        manifest["onnx"]["torchscript_export_error"] = repr(e)[:500]
        torch.onnx.export(mlp, (xt,), tpath, input_names=["x"], output_names=["y"], opset_version=18,
                          dynamic_shapes={"x": {0: torch.export.Dim("T")}}, dynamo=True, external_data=False)
        manifest["onnx"]["torch_exporter"] = "dynamo"


def run_ort(paths, folder, x, xg):
    import onnxruntime as ort
    for k, path in paths.items():
        try:
            s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            feed = xg if k == "gptoss_expert" else x
            want = np.load(os.path.join(folder, manifest["onnx"][k]["expected"]))
            got = s.run(None, {s.get_inputs()[0].name: feed})[0]
            manifest["onnx"][k]["ort_vs_torch"] = float(np.abs(got - want).max() / np.abs(want).max())
        except Exception as e:  # noqa: BLE001
            manifest["onnx"][k]["ort_error"] = repr(e)[:500]


def ort_narrow_matmul():
    """Whether ONNX Runtime's CPU provider runs a MatMul on bf16 or f16 weights (for the bench notes)."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper
    for name, et in (("bf16", TensorProto.BFLOAT16), ("f16", TensorProto.FLOAT16)):
        g = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "mm",
                              [helper.make_tensor_value_info("a", et, [1, 8]), helper.make_tensor_value_info("b", et, [8, 8])],
                              [helper.make_tensor_value_info("c", et, [1, 8])])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
        m.ir_version = 8
        try:
            ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
            manifest["onnx"]["ort_cpu_matmul_" + name] = "session created"
        except Exception as e:  # noqa: BLE001
            manifest["onnx"]["ort_cpu_matmul_" + name] = repr(e)[:400]


guarded("onnx", onnx_models)
guarded("ort_narrow", ort_narrow_matmul)

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=2, default=str)
total = 0
for root, _, files in os.walk(OUT):
    for name in files:
        total += os.path.getsize(os.path.join(root, name))
print("wrote %d bytes under %s; errors: %s" % (total, OUT, sorted(manifest["errors"])))
print(json.dumps({k: v for k, v in manifest.items() if k != "errors"}, indent=1, default=str)[:6000])
