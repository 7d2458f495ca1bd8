package dev.fusec.codegen.opencl;

import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Data-movement kernels. Split and concat view every tensor as [outer, extent, inner] around the
 * axis: one kernel per part (split) or per operand (concat) copies its elements, one work-item each,
 * to or from the part's place along the axis. Transpose gives each result element a work-item that
 * reads the input at the permuted strides. (Reshape needs no kernel: its result is its operand's
 * buffer.)
 */
final class ClLayout {
    private ClLayout() {}

    static NodePlan split(ClGen g) {
        Op.Split s = (Op.Split) g.node().op();
        Shape x = g.operand(0);
        int axis = x.axis(s.axis()).orElseThrow();
        List<String> kernels = new ArrayList<>();
        String offset = "0";
        for (int r = 0; r < g.node().results().size(); r++) {
            Shape part = g.result(r);
            String run = g.text().product(part, axis, part.rank());
            String inner = g.text().product(x, axis + 1, x.rank());
            String extent = g.text().of(x.dim(axis));
            kernels.add(g.name("part" + r));
            g.begin("part" + r, List.of(ClGen.in("x"), ClGen.outParam("out")),
                    "view x as [outer, " + extent + ", " + inner + "] around axis " + s.axis() + "; part " + r
                            + " starts at " + offset + " along it",
                    "one work-item per element of the part: copy it from its place in x");
            g.out().line("const int i = get_global_id(0);");
            g.out().open("if (i < " + g.text().count(part) + ")");
            g.out().line("const int o = i / " + run + ";");
            g.out().line("out[i] = x[o * " + extent + " * " + inner + " + (" + offset + ") * " + inner + " + i % " + run + "];");
            g.out().close();
            g.end();
            offset = offset + " + " + g.text().of(part.dim(axis));
        }
        int parts = g.node().results().size();
        return binding -> {
            List<NodePlan.Launch> out = new ArrayList<>();
            for (int r = 0; r < parts; r++) {
                long n = ClGen.count(g.result(r), binding);
                out.add(new NodePlan.Launch(kernels.get(r), List.of(new NodePlan.Arg.Operand(0), new NodePlan.Arg.Result(r)),
                        new long[] {NodePlan.roundUp(n, ClElementwise.GROUP)}, new long[] {ClElementwise.GROUP}));
            }
            return out;
        };
    }

    static NodePlan concat(ClGen g) {
        Op.Concat c = (Op.Concat) g.node().op();
        Shape out = g.result(0);
        int axis = out.axis(c.axis()).orElseThrow();
        List<String> kernels = new ArrayList<>();
        String offset = "0";
        int n = g.node().op().operands().size();
        for (int i = 0; i < n; i++) {
            Shape part = g.operand(i);
            String run = g.text().product(part, axis, part.rank());
            String inner = g.text().product(out, axis + 1, out.rank());
            String extent = g.text().of(out.dim(axis));
            kernels.add(g.name("part" + i));
            g.begin("part" + i, List.of(ClGen.in("x"), ClGen.outParam("out")),
                    "view the result as [outer, " + extent + ", " + inner + "] around axis " + c.axis() + "; operand " + i
                            + " goes at " + offset + " along it",
                    "one work-item per element of the operand: copy it to its place in the result");
            g.out().line("const int i = get_global_id(0);");
            g.out().open("if (i < " + g.text().count(part) + ")");
            g.out().line("const int o = i / " + run + ";");
            g.out().line("out[o * " + extent + " * " + inner + " + (" + offset + ") * " + inner + " + i % " + run + "] = x[i];");
            g.out().close();
            g.end();
            offset = offset + " + " + g.text().of(part.dim(axis));
        }
        return binding -> {
            List<NodePlan.Launch> launches = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long count = ClGen.count(g.operand(i), binding);
                launches.add(new NodePlan.Launch(kernels.get(i), List.of(new NodePlan.Arg.Operand(i), new NodePlan.Arg.Result(0)),
                        new long[] {NodePlan.roundUp(count, ClElementwise.GROUP)}, new long[] {ClElementwise.GROUP}));
            }
            return launches;
        };
    }

    static NodePlan transpose(ClGen g) {
        Op.Transpose t = (Op.Transpose) g.node().op();
        Shape x = g.operand(0);
        Shape out = g.result(0);
        int rank = x.rank();
        g.begin("", List.of(ClGen.in("x"), ClGen.outParam("out")),
                "one work-item per result element: its index split into one per result dim, each the index of input dim"
                        + " perm[d], read at that dim's input stride");
        g.out().line("const int i = get_global_id(0);");
        g.out().open("if (i < " + g.text().count(out) + ")");
        if (rank == 0) {
            g.out().line("out[i] = x[i];");
        } else {
            g.out().line("int rest = i;");
            g.out().line("int from = 0;");
            for (int d = rank - 1; d >= 0; d--) {
                int p = t.perm().get(d);
                String stride = g.text().product(x, p + 1, rank);
                String e = g.text().of(out.dim(d));
                if (d == 0) {
                    g.out().line("from += rest * " + stride + ";");
                } else {
                    g.out().line("from += rest % " + e + " * " + stride + ";");
                    g.out().line("rest /= " + e + ";");
                }
            }
            g.out().line("out[i] = x[from];");
        }
        g.out().close();
        g.end();
        return ClElementwise.oneDimensional(g, 1);
    }
}
