package dev.fusec.codegen;

import dev.fusec.ir.Op;
import dev.fusec.ir.Shape;
import dev.fusec.runtime.KernelSource;

/**
 * Data-movement kernels: split and concat copy contiguous runs with System.arraycopy (the JIT's
 * vectorised copy); transpose walks the result in order with strided reads. (Reshape needs no kernel:
 * the executor gives the result the operand's buffer.)
 */
final class LayoutKernels {
    private LayoutKernels() {}

    static KernelSource split(Gen g) {
        Op.Split s = (Op.Split) g.node().op();
        Shape x = g.operand(0);
        int axis = x.axis(s.axis()).orElseThrow();
        String outer = g.ext().product(x, 0, axis);
        String inner = g.ext().product(x, axis + 1, x.rank());
        KernelClass k = g.start("view the input as [outer, extent, inner] around axis " + s.axis(),
                "for each outer index, copy each part's contiguous run of size*inner floats");
        StringBuilder body = new StringBuilder(g.arrays());
        body.append("final int outer = ").append(outer).append(";\n");
        body.append("final int inner = ").append(inner).append(";\n");
        body.append("final int extent = ").append(g.ext().of(x.dim(axis))).append(";\n");
        body.append("for (int o = 0; o < outer; o++) {\n");
        String offset = "0";
        for (int r = 0; r < g.node().results().size(); r++) {
            String size = g.ext().of(g.result(r).dim(axis));
            body.append("    System.arraycopy(a0, (o * extent + ").append(offset).append(") * inner, r").append(r)
                    .append(", o * ").append(size).append(" * inner, ").append(size).append(" * inner);\n");
            offset = offset + " + " + size;
        }
        body.append("}\n");
        k.run(body.toString());
        return k.build();
    }

    static KernelSource concat(Gen g) {
        Op.Concat c = (Op.Concat) g.node().op();
        Shape out = g.result(0);
        int axis = out.axis(c.axis()).orElseThrow();
        KernelClass k = g.start("view the result as [outer, extent, inner] around axis " + c.axis(),
                "for each outer index, copy each operand's contiguous run into place");
        StringBuilder body = new StringBuilder(g.arrays());
        body.append("final int outer = ").append(g.ext().product(out, 0, axis)).append(";\n");
        body.append("final int inner = ").append(g.ext().product(out, axis + 1, out.rank())).append(";\n");
        body.append("final int extent = ").append(g.ext().of(out.dim(axis))).append(";\n");
        body.append("for (int o = 0; o < outer; o++) {\n");
        String offset = "0";
        int n = g.node().op().operands().size();
        for (int i = 0; i < n; i++) {
            String size = g.ext().of(g.operand(i).dim(axis));
            body.append("    System.arraycopy(a").append(i).append(", o * ").append(size).append(" * inner, r0, (o * extent + ")
                    .append(offset).append(") * inner, ").append(size).append(" * inner);\n");
            offset = offset + " + " + size;
        }
        body.append("}\n");
        k.run(body.toString());
        return k.build();
    }

    static KernelSource transpose(Gen g) {
        Op.Transpose t = (Op.Transpose) g.node().op();
        Shape x = g.operand(0);
        int rank = x.rank();
        KernelClass k = g.start("walk the result in C order with one loop per dim; the read offset advances by the "
                + "input stride of the permuted axis");
        StringBuilder body = new StringBuilder(g.arrays());
        for (int i = 0; i < rank; i++) {
            body.append("final int stride").append(i).append(" = ").append(g.ext().product(x, i + 1, rank)).append(";\n");
        }
        if (rank == 0) {
            body.append("r0[0] = a0[0];\n");
        } else {
            body.append("int o = 0;\n");
            for (int i = 0; i < rank; i++) {
                int p = t.perm().get(i);
                String from = i == 0 ? "0" : "off" + (i - 1);
                body.append("for (int i").append(i).append(" = 0, off").append(i).append(" = ").append(from).append("; i")
                        .append(i).append(" < ").append(g.ext().of(x.dim(p))).append("; i").append(i).append("++, off")
                        .append(i).append(" += stride").append(p).append(") {\n");
            }
            body.append("r0[o++] = a0[off").append(rank - 1).append("];\n");
            body.append("}\n".repeat(rank));
        }
        k.run(body.toString());
        return k.build();
    }
}
