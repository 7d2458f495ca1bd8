package dev.fusec.codegen.opencl;

import dev.fusec.codegen.KernelGenerator;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.DType;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.Op;
import dev.fusec.ir.ShapeInference;
import dev.fusec.ir.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the OpenCL C program of a graph: the shared functions ({@link ClPrelude}), then the kernels
 * of each distinct computation (nodes with the same op, attributes and operand types share them, as
 * the Java kernels do), specialised on the static dims; symbolic dims arrive as int arguments. Every
 * op is one case of the switch below, so a new op does not compile until it has a kernel here too.
 *
 * @param source the whole program
 * @param plans  per node of the graph, how it launches its kernels (null for a reshape: a view)
 * @param kernelCount kernel functions in the program
 */
public record OpenClKernels(String source, List<NodePlan> plans, int kernelCount) {

    public static OpenClKernels generate(Graph g) {
        Map<String, TensorType> types = ShapeInference.infer(g);
        ClText text = new ClText(KernelGenerator.symbols(types));
        Map<String, List<Node>> groups = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof Op.Reshape)) {
                groups.computeIfAbsent(KernelGenerator.signature(n, types), k -> new ArrayList<>()).add(n);
            }
        }
        ClWriter out = new ClWriter();
        // The text names no mode: a fused graph that fusion left as it was is the same program, built once.
        out.comment("OpenCL C kernels of graph " + g.name() + ", written by fusec (fusec emit --target opencl).");
        out.comment("Static dims are constants; the symbolic ones (" + String.join(", ", text.symbols().isEmpty() ? List.of("none")
                : symbolNames(text.symbols())) + ") are the int arguments sym0, sym1, ... every kernel ends with.");
        out.line("");
        out.lines(ClPrelude.TEXT);
        Map<String, NodePlan> planOf = new HashMap<>();
        int index = 0;
        for (var e : groups.entrySet()) {
            Node first = e.getValue().getFirst();
            ClGen gen = new ClGen(first, e.getValue(), types, text, g.name(), "k" + index + "_" + first.op().opName(), out);
            try {
                planOf.put(e.getKey(), kernel(gen));
            } catch (IllegalStateException symbolicWeight) {
                throw new CompileError(first.pos(), first.op().opName() + ": code generation needs static weight and feature dims: "
                        + symbolicWeight.getMessage());
            }
            index++;
        }
        java.util.TreeSet<String> narrow = new java.util.TreeSet<>();
        types.values().forEach(t -> {
            if (t.dtype() != DType.F32) {
                narrow.add(t.dtype().toString());
            }
        });
        for (String kind : narrow) {
            out.line("");
            out.comment("Rounds n floats in place to " + kind + ", after each kernel that stores a value of that type.");
            out.open("__kernel void " + roundingKernel(kind) + "(__global float* x, const int n)");
            out.line("const int i = get_global_id(0);");
            out.open("if (i < n)");
            out.line("x[i] = " + roundingFunction(kind) + "(x[i]);");
            out.close();
            out.close();
        }
        List<NodePlan> plans = new ArrayList<>();
        for (Node n : g.nodes()) {
            plans.add(n.op() instanceof Op.Reshape ? null : planOf.get(KernelGenerator.signature(n, types)));
        }
        int kernels = (int) out.toString().lines().filter(l -> l.startsWith("__kernel")).count();
        return new OpenClKernels(out.toString(), plans, kernels);
    }

    /** The kernel that rounds a buffer to {@code kind} ("bf16", "f16", "f8e4m3"). */
    static String roundingKernel(String kind) {
        return roundingFunction(kind) + "_all";
    }

    private static String roundingFunction(String kind) {
        return switch (kind) {
            case "bf16" -> "fusec_round_bf16";
            case "f16" -> "fusec_round_f16";
            case "f8e4m3" -> "fusec_round_e4m3";
            default -> throw new IllegalArgumentException("no rounding to " + kind);
        };
    }

    private static List<String> symbolNames(List<String> symbols) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < symbols.size(); i++) {
            out.add("sym" + i + " = " + symbols.get(i));
        }
        return out;
    }

    private static NodePlan kernel(ClGen g) {
        return switch (g.node().op()) {
            case Op.MatMul m -> ClMatMul.generate(g, m);
            case Op.Linear l -> ClMatMul.generate(g, l);
            case Op.GateUp gu -> ClMatMul.generate(g, gu);
            case Op.GateUpSwiGlu gu -> ClMatMul.generate(g, gu);
            case Op.Binary b -> ClElementwise.binary(g, b);
            case Op.Unary u -> ClElementwise.unary(g, u);
            case Op.Clamp c -> ClElementwise.clamp(g, c);
            case Op.Split s -> ClLayout.split(g);
            case Op.Concat c -> ClLayout.concat(g);
            case Op.Transpose t -> ClLayout.transpose(g);
            case Op.Reshape r -> throw new IllegalStateException("reshape has no kernel");
            case Op.SwiGlu s -> ClSwiGlu.forward(g, s);
            case Op.BiasSwiGlu s -> ClSwiGlu.forward(g, s);
            case Op.WeightedSwiGlu s -> ClSwiGlu.forward(g, s);
            case Op.WeightedBiasSwiGlu s -> ClSwiGlu.forward(g, s);
            case Op.SwiGluBack s -> ClSwiGlu.backward(g, s);
            case Op.BiasSwiGluBack s -> ClSwiGlu.backward(g, s);
            case Op.WeightedSwiGluBack s -> ClSwiGlu.backward(g, s);
            case Op.Swish s -> ClElementwise.swish(g, s);
            case Op.Const c -> ClElementwise.constant(g, c);
        };
    }
}
