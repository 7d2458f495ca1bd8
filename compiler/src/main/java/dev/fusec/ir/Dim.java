package dev.fusec.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One dimension: a monomial {@code coeff * s1 * s2 * ...} over symbolic dims bound at run time.
 * {@code 4096} is (4096, []), {@code T} is (1, [T]), {@code S*B} is (1, [B, S]). Monomials are
 * closed under what shapes need here: reshape flattening ({@code S*B}), concat of equal parts
 * ({@code T + T = 2*T}) and split ({@code 2*T / 2 = T}). {@link #INFER} is reshape's {@code -1}.
 */
public record Dim(long coeff, List<String> symbols) {
    /** reshape's {@code -1}: the one dim computed from the others. */
    public static final Dim INFER = new Dim(-1, List.of());
    /** Most factors a written dim may have ({@code S*B} has 2); products copy their symbols, so this keeps them cheap. */
    public static final int MAX_FACTORS = 64;

    public Dim {
        symbols = List.copyOf(symbols.stream().sorted().toList());
        if (coeff < 0 && !(coeff == -1 && symbols.isEmpty())) {
            throw new IllegalArgumentException("negative dim " + coeff);
        }
    }

    public static Dim of(long value) {
        return new Dim(value, List.of());
    }

    public static Dim sym(String name) {
        return new Dim(1, List.of(name));
    }

    public boolean isStatic() {
        return symbols.isEmpty() && coeff >= 0;
    }

    public boolean isInfer() {
        return this.equals(INFER);
    }

    /** The static value; only for {@link #isStatic()} dims. */
    public long value() {
        if (!isStatic()) {
            throw new IllegalStateException("dim " + this + " is not static");
        }
        return coeff;
    }

    /** The product, or empty when the coefficient overflows a long. */
    public Optional<Dim> times(Dim other) {
        try {
            List<String> syms = new ArrayList<>(symbols);
            syms.addAll(other.symbols);
            return Optional.of(new Dim(Math.multiplyExact(coeff, other.coeff), syms));
        } catch (ArithmeticException overflow) {
            return Optional.empty();
        }
    }

    /** The sum, when both have the same symbols ({@code T + T = 2*T}); empty otherwise. */
    public Optional<Dim> plus(Dim other) {
        if (!symbols.equals(other.symbols)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Dim(Math.addExact(coeff, other.coeff), symbols));
        } catch (ArithmeticException overflow) {
            return Optional.empty();
        }
    }

    /** This divided by a constant, when it divides the coefficient exactly. */
    public Optional<Dim> dividedBy(long divisor) {
        if (divisor <= 0 || coeff % divisor != 0) {
            return Optional.empty();
        }
        return Optional.of(new Dim(coeff / divisor, symbols));
    }

    /** This divided by another monomial, when the quotient is a monomial. */
    public Optional<Dim> dividedBy(Dim other) {
        List<String> rest = new ArrayList<>(symbols);
        for (String s : other.symbols) {
            if (!rest.remove(s)) {
                return Optional.empty();
            }
        }
        if (other.coeff <= 0 || coeff % other.coeff != 0) {
            return Optional.empty();
        }
        return Optional.of(new Dim(coeff / other.coeff, rest));
    }

    /** The value under a binding of every symbol, or empty when a symbol is unbound or it overflows. */
    public Optional<Long> evaluate(Map<String, Long> binding) {
        long v = coeff;
        try {
            for (String s : symbols) {
                Long b = binding.get(s);
                if (b == null) {
                    return Optional.empty();
                }
                v = Math.multiplyExact(v, b);
            }
        } catch (ArithmeticException overflow) {
            return Optional.empty();
        }
        return Optional.of(v);
    }

    @Override
    public String toString() {
        if (symbols.isEmpty()) {
            return Long.toString(coeff);
        }
        List<String> parts = new ArrayList<>();
        if (coeff != 1) {
            parts.add(Long.toString(coeff));
        }
        parts.addAll(symbols);
        return String.join("*", parts);
    }
}
