package dev.fusec.codegen;

import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.runtime.KernelSource;

/**
 * Data-movement kernels: split and concat copy contiguous runs with System.arraycopy (the JIT's
 * vectorised copy); transpose walks the result in order with strided reads. All three split their
 * outermost loop across threads. (Reshape needs no kernel: the executor gives the result the
 * operand's buffer.)
 */
final class LayoutKernels {
    private LayoutKernels() {}

    static KernelSource split(Gen g) {
        Op.Split s = (Op.Split) g.node().op();
        Shape x = g.operand(0);
        int axis = x.axis(s.axis()).orElseThrow();
        KernelClass k = g.start("view the input as [outer, extent, inner] around axis " + s.axis() + "; split outer across threads",
                "for each outer index, copy each part's contiguous run of size*inner floats");
        StringBuilder copies = new StringBuilder();
        String offset = "0";
        for (int r = 0; r < g.node().results().size(); r++) {
            String size = g.ext().of(g.result(r).dim(axis));
            copies.append("System.arraycopy(a0, (o * extent + ").append(offset).append(") * inner, r").append(r)
                    .append(", o * ").append(size).append(" * inner, ").append(size).append(" * inner);\n");
            offset = offset + " + " + size;
        }
        k.run(g.arrays() + outerLoop(g.ext().product(x, 0, axis), g.ext().product(x, axis + 1, x.rank()), g.ext().of(x.dim(axis)),
                copies.toString()));
        return k.build();
    }

    static KernelSource concat(Gen g) {
        Op.Concat c = (Op.Concat) g.node().op();
        Shape out = g.result(0);
        int axis = out.axis(c.axis()).orElseThrow();
        KernelClass k = g.start("view the result as [outer, extent, inner] around axis " + c.axis() + "; split outer across threads",
                "for each outer index, copy each operand's contiguous run into place");
        StringBuilder copies = new StringBuilder();
        String offset = "0";
        int n = g.node().op().operands().size();
        for (int i = 0; i < n; i++) {
            String size = g.ext().of(g.operand(i).dim(axis));
            copies.append("System.arraycopy(a").append(i).append(", o * ").append(size).append(" * inner, r0, (o * extent + ")
                    .append(offset).append(") * inner, ").append(size).append(" * inner);\n");
            offset = offset + " + " + size;
        }
        k.run(g.arrays() + outerLoop(g.ext().product(out, 0, axis), g.ext().product(out, axis + 1, out.rank()),
                g.ext().of(out.dim(axis)), copies.toString()));
        return k.build();
    }

    /**
     * {@code body} for every outer index o, the outer range split across threads in pieces of at
     * least a block of elements (the unfused baseline's copies get the cores its other kernels get).
     */
    private static String outerLoop(String outer, String inner, String extent, String body) {
        return "final int outer = " + outer + ";\n"
                + "final int inner = " + inner + ";\n"
                + "final int extent = " + extent + ";\n"
                + "par.forRange(outer, Math.max(1, " + ElementwiseKernels.BLOCK + " / Math.max(1, extent * inner)), (o0, o1) -> {\n"
                + "    for (int o = o0; o < o1; o++) {\n"
                + body.indent(8)
                + "    }\n"
                + "});\n";
    }

    static KernelSource transpose(Gen g) {
        Op.Transpose t = (Op.Transpose) g.node().op();
        Shape x = g.operand(0);
        int rank = x.rank();
        KernelClass k = g.start("walk the result in C order with one loop per dim, its first dim split across threads; the read"
                + " offset advances by the input stride of the permuted axis");
        StringBuilder body = new StringBuilder(g.arrays());
        for (int i = 0; i < rank; i++) {
            body.append("final int stride").append(i).append(" = ").append(g.ext().product(x, i + 1, rank)).append(";\n");
        }
        if (rank == 0) {
            body.append("r0[0] = a0[0];\n");
        } else {
            // Result rows along its first dim are split across threads; each piece starts writing at
            // q0 times the size of one such row.
            int p0 = t.perm().get(0);
            String row = g.ext().product(g.result(0), 1, rank);
            body.append("par.forRange(").append(g.ext().of(x.dim(p0))).append(", Math.max(1, ").append(ElementwiseKernels.BLOCK)
                    .append(" / Math.max(1, ").append(row).append(")), (q0, q1) -> {\n");
            StringBuilder loops = new StringBuilder("int o = q0 * " + row + ";\n");
            for (int i = 0; i < rank; i++) {
                int p = t.perm().get(i);
                String start = i == 0 ? "q0" : "0";
                String end = i == 0 ? "q1" : g.ext().of(x.dim(p));
                String from = i == 0 ? "q0 * stride" + p : "off" + (i - 1);
                loops.append("for (int i").append(i).append(" = ").append(start).append(", off").append(i).append(" = ").append(from)
                        .append("; i").append(i).append(" < ").append(end).append("; i").append(i).append("++, off")
                        .append(i).append(" += stride").append(p).append(") {\n");
            }
            loops.append("r0[o++] = a0[off").append(rank - 1).append("];\n");
            loops.append("}\n".repeat(rank));
            body.append(loops.toString().indent(4)).append("});\n");
        }
        k.run(body.toString());
        return k.build();
    }
}
