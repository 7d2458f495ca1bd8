package dev.fusec.codegen;

/**
 * The machine's preferred float vector shape, read reflectively so that only commands that generate
 * kernels need {@code --add-modules jdk.incubator.vector}. Kernels are specialised on it.
 */
public record Species(int lanes) {
    public Species {
        if (lanes != 4 && lanes != 8 && lanes != 16) {
            throw new IllegalArgumentException("unsupported vector width: " + lanes + " floats");
        }
    }

    /** The JDK's FloatVector.SPECIES_PREFERRED, or an error that says how to enable the Vector API. */
    public static Species preferred() {
        try {
            Class<?> fv = Class.forName("jdk.incubator.vector.FloatVector");
            Object species = fv.getField("SPECIES_PREFERRED").get(null);
            int lanes = (int) Class.forName("jdk.incubator.vector.VectorSpecies").getMethod("length").invoke(species);
            return new Species(Math.min(lanes, 16));
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("the Vector API is not available: start the JVM with "
                    + "--add-modules jdk.incubator.vector (the fusec launcher does)");
        }
    }

    /** The FloatVector constant naming this species in generated code. */
    public String constant() {
        return "SPECIES_" + (lanes * 32);
    }

    /** What the cache key and the emitted headers call it. */
    @Override
    public String toString() {
        return "FloatVector." + constant() + " (" + lanes + " x f32)";
    }
}
